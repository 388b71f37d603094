// The passkey rules of decide.ts, pure: the WebAuthn verdict is given in the
// context as the shell would give it (an already verified or refused answer),
// so each rule is tested on its own: the challenge used once, the counter, the
// throttle, enrollment by passkey, and passkeys among the other authenticators.
import { describe, expect, it } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import { decide, type Command, type DecideContext } from '../../src/gate/decide.js';
import { initialRecord, type GateRecord, type PasskeyChallenge, type StoredPasskey } from '../../src/gate/record.js';
import { issueRecoveryCodes } from '../../src/gate/recovery.js';
import { codeAt, ctx, enrolled, enrolling, frozen, policy, SECRET, STEP, T0 } from './fixtures.js';

function run<C extends Command>(record: GateRecord, command: C, context: DecideContext = ctx()) {
  return decide(frozen(record), command, context);
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isOtpError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

const RP = { rpId: 'example.com', origins: ['https://example.com'] } as const;
const CHALLENGE = 'Y2hhbGxlbmdlLTEtMzItYnl0ZXMtbG9uZy1mb3ItdGVzdHM';
const FRESH = { challenge: 'ZnJlc2gtY2hhbGxlbmdl', userHandle: 'dXNlci1oYW5kbGU' };
const VERIFIED = { verified: true, newCounter: 8 } as const;

function passkey(overrides: Partial<StoredPasskey> = {}): StoredPasskey {
  return {
    id: 'kone',
    credentialId: 'Y3JlZC0x',
    publicKey: 'cHVibGljLWtleQ',
    counter: 7,
    transports: ['internal'],
    rpId: 'example.com',
    label: 'Laptop',
    createdAt: T0 - 86_400_000,
    lastUsedAt: null,
    ...overrides,
  };
}

function challenge(overrides: Partial<PasskeyChallenge> = {}): PasskeyChallenge {
  return { challenge: CHALLENGE, kind: 'login', ...RP, createdAt: T0 - 1000, expiresAt: T0 + 299_000, used: false, ...overrides };
}

/** A user whose only authenticator is a passkey, with a live login challenge. */
function passkeyUser(overrides: Partial<GateRecord> = {}): GateRecord {
  return {
    ...initialRecord(),
    state: 'enrolled',
    passkeys: [passkey()],
    passkeyChallenges: [challenge()],
    recoveryCodes: issueRecoveryCodes(2).hashes,
    ...overrides,
  };
}

const login = (rest: Partial<Extract<Command, { type: 'verify-passkey' }>> = {}): Extract<Command, { type: 'verify-passkey' }> => ({
  type: 'verify-passkey',
  challenge: CHALLENGE,
  credentialId: 'Y3JlZC0x',
  ...rest,
});

describe('verify-passkey', () => {
  it('accepts a verified answer to a live challenge: the challenge is used, the counter and lastUsedAt move, the throttle clears', () => {
    const record = passkeyUser({ throttle: { failures: 3, locks: 0, lockedUntil: null, hardStop: false } });
    const d = run(record, login(), ctx({ assertion: VERIFIED }));
    expect(d.result).toEqual({ ok: true, method: 'passkey', recoveryCodesLeft: 2 });
    expect(d.next.passkeys).toEqual([{ ...passkey(), counter: 8, lastUsedAt: T0 }]);
    expect(d.next.passkeyChallenges).toEqual([{ ...challenge(), used: true }]);
    expect(d.next.throttle).toEqual({ failures: 0, locks: 0, lockedUntil: null, hardStop: false });
    expect(d.events).toMatchObject([{ type: 'verified', delta: 0, authenticatorId: 'kone', method: 'passkey' }]);
  });

  it('a second answer to the same challenge is replayed, and counted', () => {
    const first = run(passkeyUser(), login(), ctx({ assertion: VERIFIED }));
    const again = run(first.next, login(), ctx({ assertion: { verified: true, newCounter: 9 } }));
    expect(again.result).toEqual({ ok: false, reason: 'replayed' });
    expect(again.next.throttle.failures).toBe(1);
    expect(again.next.passkeys![0]!.counter).toBe(8);
    expect(again.events).toMatchObject([{ type: 'code-refused', during: 'login', reason: 'replayed', failures: 1, method: 'passkey' }]);
  });

  it('an answer the shell could not verify is invalid, counted, and uses the challenge up', () => {
    const d = run(passkeyUser(), login(), ctx({ assertion: { verified: false, newCounter: 0 } }));
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.next.throttle.failures).toBe(1);
    expect(d.next.passkeyChallenges![0]!.used).toBe(true);
    expect(d.next.passkeys).toEqual([passkey()]);
  });

  it('an unknown challenge, a registration challenge or an expired one is invalid and counted', () => {
    const cases: GateRecord[] = [
      passkeyUser({ passkeyChallenges: [] }),
      passkeyUser({ passkeyChallenges: [challenge({ kind: 'registration' })] }),
      passkeyUser({ passkeyChallenges: [challenge({ expiresAt: T0 })] }),
    ];
    for (const record of cases) {
      const d = run(record, login(), ctx({ assertion: VERIFIED }));
      expect(d.result).toEqual({ ok: false, reason: 'invalid' });
      expect(d.next.throttle.failures).toBe(1);
      // Nothing live was answered: the list stays as it was.
      expect(d.next.passkeyChallenges).toEqual(record.passkeyChallenges);
    }
  });

  it('an answer from a credential the user does not have is invalid and uses the challenge up', () => {
    const d = run(passkeyUser(), login({ credentialId: 'b3RoZXI' }), ctx({ assertion: VERIFIED }));
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.next.passkeyChallenges![0]!.used).toBe(true);
  });

  it('a counter that did not go up is a clone: refused as invalid, counted, with passkey-cloned; the stored counter stays', () => {
    for (const newCounter of [7, 3, 1]) {
      const d = run(passkeyUser(), login(), ctx({ assertion: { verified: true, newCounter } }));
      expect(d.result).toEqual({ ok: false, reason: 'invalid' });
      expect(d.next.passkeys).toEqual([passkey()]);
      expect(d.next.throttle.failures).toBe(1);
      expect(d.events.map((e) => e.type)).toEqual(['passkey-cloned', 'code-refused']);
      expect(d.events[0]).toMatchObject({ type: 'passkey-cloned', authenticatorId: 'kone' });
    }
  });

  it('counters of 0 are no clone: an authenticator without a counter, or one that stopped counting (the stored one is kept)', () => {
    const none = run(passkeyUser({ passkeys: [passkey({ counter: 0 })] }), login(), ctx({ assertion: { verified: true, newCounter: 0 } }));
    expect(none.result).toMatchObject({ ok: true });
    expect(none.next.passkeys![0]!.counter).toBe(0);
    const stopped = run(passkeyUser(), login(), ctx({ assertion: { verified: true, newCounter: 0 } }));
    expect(stopped.result).toMatchObject({ ok: true });
    expect(stopped.next.passkeys![0]!.counter).toBe(7);
    const started = run(passkeyUser({ passkeys: [passkey({ counter: 0 })] }), login(), ctx({ assertion: { verified: true, newCounter: 1 } }));
    expect(started.next.passkeys![0]!.counter).toBe(1);
  });

  it('a lock refuses without looking: nothing is consumed or counted; a hard stop refuses passkeys too', () => {
    const timed = passkeyUser({ throttle: { failures: 5, locks: 1, lockedUntil: T0 + 1000, hardStop: false } });
    const d = run(timed, login(), ctx({ assertion: VERIFIED }));
    expect(d.result).toEqual({ ok: false, reason: 'locked', retryAt: T0 + 1000 });
    expect(d.next).toBe(timed);
    const stopped = passkeyUser({ throttle: { failures: 100, locks: 19, lockedUntil: null, hardStop: true } });
    expect(run(stopped, login(), ctx({ assertion: VERIFIED })).result).toEqual({ ok: false, reason: 'locked', retryAt: null });
  });

  it('failures lock as wrong codes do: the fifth locks', () => {
    let record = passkeyUser({ passkeyChallenges: [] });
    let last;
    for (let i = 0; i < 5; i++) {
      last = run(record, login(), ctx({ assertion: { verified: false, newCounter: 0 } }));
      record = last.next;
    }
    expect(last!.result).toEqual({ ok: false, reason: 'invalid', retryAt: T0 + 30_000 });
    expect(last!.events.map((e) => e.type)).toEqual(['code-refused', 'locked']);
  });

  it('not enrolled: refused, nothing counted', () => {
    const record = { ...initialRecord(), passkeyChallenges: [challenge()] };
    const d = run(record, login(), ctx({ assertion: VERIFIED }));
    expect(d.result).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(d.next).toBe(record);
  });

  it('remembers the device when asked and allowed', () => {
    const token = 'ab'.repeat(32);
    const d = run(passkeyUser(), login({ rememberDevice: { label: 'Firefox' } }), ctx({ assertion: VERIFIED, deviceToken: token, policy: policy({ trustedDevices: { enabled: true } }) }));
    expect(d.result).toEqual({ ok: true, method: 'passkey', recoveryCodesLeft: 2, deviceToken: token });
    expect(d.next.devices).toMatchObject([{ label: 'Firefox', expiresAt: T0 + 30 * 86_400_000 }]);
  });

  it('the shell must give its verdict when a live challenge and a known passkey are answered', () => {
    expect(refusal(() => run(passkeyUser(), login(), ctx()))).toBe('ERR_OPTIONS');
  });
});

describe('begin-passkey', () => {
  const begin = (kind: 'login' | 'registration', rest: Partial<Extract<Command, { type: 'begin-passkey' }>> = {}): Extract<Command, { type: 'begin-passkey' }> => ({
    type: 'begin-passkey',
    kind,
    ...RP,
    ...rest,
  });

  it('login: stores a single-use challenge with its expiry, RP id and origins, and names the passkeys of that RP id', () => {
    const record = passkeyUser({ passkeyChallenges: [], passkeys: [passkey(), passkey({ id: 'ktwo', credentialId: 'Y3JlZC0y', rpId: 'other.example', transports: [] })] });
    const d = run(record, begin('login'), ctx({ freshChallenge: FRESH }));
    expect(d.result).toEqual({ challenge: FRESH.challenge, expiresAt: T0 + 300_000, userHandle: FRESH.userHandle, credentials: [{ credentialId: 'Y3JlZC0x', transports: ['internal'] }] });
    expect(d.next.passkeyChallenges).toEqual([{ challenge: FRESH.challenge, kind: 'login', ...RP, createdAt: T0, expiresAt: T0 + 300_000, used: false }]);
    expect(d.events).toEqual([]);
  });

  it('login: the challenge lives policy.passkeys.challengeTtlMs', () => {
    const d = run(passkeyUser(), begin('login'), ctx({ freshChallenge: FRESH, policy: policy({ passkeys: { challengeTtlMs: 60_000 } }) }));
    expect(d.result).toMatchObject({ expiresAt: T0 + 60_000 });
  });

  it('login: refused without a passkey for the RP id', () => {
    expect(refusal(() => run(enrolled(), begin('login'), ctx({ freshChallenge: FRESH })))).toBe('ERR_NOT_ENROLLED');
    expect(refusal(() => run(passkeyUser(), begin('login', { rpId: 'elsewhere.example' }), ctx({ freshChallenge: FRESH })))).toBe('ERR_NOT_ENROLLED');
  });

  it('keeps at most five challenges, pushing out used or expired ones before live ones', () => {
    const spent = [challenge({ challenge: 'dXNlZA', used: true }), challenge({ challenge: 'b2xk', expiresAt: T0 - 1 })];
    const live = ['bGl2ZTE', 'bGl2ZTI', 'bGl2ZTM'].map((c) => challenge({ challenge: c }));
    const d = run(passkeyUser({ passkeyChallenges: [...spent, ...live] }), begin('login'), ctx({ freshChallenge: FRESH }));
    expect(d.next.passkeyChallenges!.map((c) => c.challenge)).toEqual(['b2xk', 'bGl2ZTE', 'bGl2ZTI', 'bGl2ZTM', FRESH.challenge]);
    const full = ['MQ', 'Mg', 'Mw', 'NA', 'NQ'].map((c) => challenge({ challenge: c }));
    const d2 = run(passkeyUser({ passkeyChallenges: full }), begin('login'), ctx({ freshChallenge: FRESH }));
    expect(d2.next.passkeyChallenges!.map((c) => c.challenge)).toEqual(['Mg', 'Mw', 'NA', 'NQ', FRESH.challenge]);
  });

  it('registration for a user not enrolled: no proof; the user handle is drawn once and kept', () => {
    const d = run(initialRecord(), begin('registration', { label: 'Laptop' }), ctx({ freshChallenge: FRESH }));
    expect(d.result).toEqual({ challenge: FRESH.challenge, expiresAt: T0 + 300_000, userHandle: FRESH.userHandle, credentials: [] });
    expect(d.next.passkeyUser).toBe(FRESH.userHandle);
    expect(d.next.passkeyChallenges).toEqual([{ challenge: FRESH.challenge, kind: 'registration', ...RP, createdAt: T0, expiresAt: T0 + 300_000, used: false, label: 'Laptop' }]);
    expect(d.next.state).toBe('none');
    const again = run(d.next, begin('registration'), ctx({ freshChallenge: { challenge: 'c2Vjb25k', userHandle: 'b3RoZXI' } }));
    expect(again.result).toMatchObject({ userHandle: FRESH.userHandle });
  });

  it('registration for an enrolled user asks for a proof first, counts a wrong one, and names the passkeys to exclude', () => {
    expect(refusal(() => run(passkeyUser(), begin('registration'), ctx({ freshChallenge: FRESH })))).toBe('ERR_REAUTH_REQUIRED');
    const wrong = run(enrolled(), begin('registration', { code: '000000' }), ctx({ freshChallenge: FRESH }));
    expect(wrong.result).toEqual({ refused: { ok: false, reason: 'invalid' } });
    expect(wrong.next.throttle.failures).toBe(1);
    expect(wrong.next.passkeyChallenges).toBeUndefined();
    const both = passkeyUser({ active: enrolled().active });
    const right = run(both, begin('registration', { code: codeAt(T0) }), ctx({ freshChallenge: FRESH }));
    expect(right.result).toMatchObject({ challenge: FRESH.challenge, credentials: [{ credentialId: 'Y3JlZC0x', transports: ['internal'] }] });
    expect(right.next.active!.lastStep).toBe(Math.floor(T0 / STEP));
  });

  it('registration with a passkey as the proof uses its login challenge and stores the new one in the same write', () => {
    const d = run(passkeyUser(), begin('registration', { passkey: { challenge: CHALLENGE, credentialId: 'Y3JlZC0x' } }), ctx({ freshChallenge: FRESH, assertion: VERIFIED }));
    expect(d.result).toMatchObject({ challenge: FRESH.challenge });
    expect(d.next.passkeyChallenges!.map((c) => [c.kind, c.used])).toEqual([['login', true], ['registration', false]]);
    expect(d.next.passkeys![0]!.counter).toBe(8);
  });

  it('registration is refused at the authenticator limit, apps and passkeys counted together', () => {
    const record = passkeyUser({ active: enrolled().active });
    expect(refusal(() => run(record, begin('registration', { code: codeAt(T0) }), ctx({ freshChallenge: FRESH, policy: policy({ authenticators: { max: 2 } }) })))).toBe('ERR_LIMIT');
  });
});

describe('confirm-passkey', () => {
  const REG = { verified: true, credentialId: 'bmV3LWNyZWQ', publicKey: 'bmV3LWtleQ', counter: 0, transports: ['usb'] } as const;
  const confirm = (credentialId = 'bmV3LWNyZWQ'): Extract<Command, { type: 'confirm-passkey' }> => ({ type: 'confirm-passkey', challenge: CHALLENGE, credentialId });
  const registering = (overrides: Partial<GateRecord> = {}): GateRecord => ({
    ...initialRecord(),
    passkeyChallenges: [challenge({ kind: 'registration', label: 'Security key' })],
    ...overrides,
  });

  it('a first passkey enrolls the user with recovery codes, as "Verify and Save" does', () => {
    const codes = issueRecoveryCodes(3);
    const record = registering({ mustEnroll: true, pending: enrolling().pending, throttle: { failures: 2, locks: 0, lockedUntil: null, hardStop: false } });
    const d = run(record, confirm(), ctx({ registration: REG, recoveryCodes: codes }));
    expect(d.result).toEqual({ ok: true, authenticatorId: `k${d.events[0]!.id.split('.')[0]}`, recoveryCodes: codes.codes });
    expect(d.next.state).toBe('enrolled');
    expect(d.next.passkeys).toEqual([
      { id: (d.result as { authenticatorId: string }).authenticatorId, credentialId: 'bmV3LWNyZWQ', publicKey: 'bmV3LWtleQ', counter: 0, transports: ['usb'], rpId: 'example.com', label: 'Security key', createdAt: T0, lastUsedAt: null },
    ]);
    expect(d.next.recoveryCodes).toEqual(codes.hashes);
    expect(d.next.mustEnroll).toBe(false);
    expect(d.next.throttle.failures).toBe(0);
    // The app set-up begun beside it is dropped: adding one now asks for a proof.
    expect(d.next.pending).toBeNull();
    expect(d.next.passkeyChallenges).toEqual([{ ...challenge({ kind: 'registration', label: 'Security key' }), used: true }]);
    expect(d.events).toMatchObject([{ type: 'enrolled', renewed: false, recoveryCodes: 3, method: 'passkey' }]);
  });

  it('opts the user in where 2-step is not required', () => {
    expect(run(registering(), confirm(), ctx({ registration: REG, required: false })).next.voluntary).toBe(true);
    expect(run(registering(), confirm(), ctx({ registration: REG, required: true })).next.voluntary).toBe(false);
  });

  it('a further passkey keeps the recovery codes and is numbered', () => {
    const record = passkeyUser({ passkeyChallenges: [challenge({ kind: 'registration' })] });
    const d = run(record, confirm(), ctx({ registration: REG, recoveryCodes: issueRecoveryCodes(3) }));
    expect(d.result).toEqual({ ok: true, authenticatorId: d.next.passkeys![1]!.id });
    expect(d.next.passkeys!.map((p) => p.label)).toEqual(['Laptop', 'Passkey 2']);
    expect(d.next.recoveryCodes).toBe(record.recoveryCodes);
    expect(d.events).toMatchObject([{ type: 'enrolled', renewed: true, recoveryCodes: 0 }]);
  });

  it('refusals: no challenge, a login challenge, expired, locked (the challenge kept for later)', () => {
    expect(run(initialRecord(), confirm(), ctx({ registration: REG })).result).toEqual({ ok: false, reason: 'no-challenge' });
    expect(run(registering({ passkeyChallenges: [challenge()] }), confirm(), ctx({ registration: REG })).result).toEqual({ ok: false, reason: 'no-challenge' });
    const expired = registering({ passkeyChallenges: [challenge({ kind: 'registration', expiresAt: T0 })] });
    expect(run(expired, confirm(), ctx({ registration: REG }))).toMatchObject({ result: { ok: false, reason: 'expired' }, next: expired });
    const locked = registering({ throttle: { failures: 5, locks: 1, lockedUntil: T0 + 5000, hardStop: false } });
    expect(run(locked, confirm(), ctx({ registration: REG }))).toMatchObject({ result: { ok: false, reason: 'locked', retryAt: T0 + 5000 }, next: locked });
  });

  it('an answer that does not verify is invalid, uses the challenge up, and is not counted', () => {
    const d = run(registering(), confirm(), ctx({ registration: { verified: false } }));
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.next.passkeyChallenges![0]!.used).toBe(true);
    expect(d.next.throttle.failures).toBe(0);
    expect(run(d.next, confirm(), ctx({ registration: REG })).result).toEqual({ ok: false, reason: 'no-challenge' });
  });

  it('a second submit after a success is already-registered; a passkey the user has is too', () => {
    const first = run(registering(), confirm(), ctx({ registration: REG }));
    expect(run(first.next, confirm(), ctx({ registration: REG })).result).toEqual({ ok: false, reason: 'already-registered' });
    const again = passkeyUser({ passkeyChallenges: [challenge({ kind: 'registration' })] });
    const d = run(again, confirm('Y3JlZC0x'), ctx({ registration: { ...REG, credentialId: 'Y3JlZC0x' } }));
    expect(d.result).toEqual({ ok: false, reason: 'already-registered' });
    expect(d.next.passkeys).toHaveLength(1);
  });

  it('limit: as many authenticators as allowed already (an app added meanwhile counts)', () => {
    const record = passkeyUser({ active: enrolled().active, passkeyChallenges: [challenge({ kind: 'registration' })] });
    const d = run(record, confirm(), ctx({ registration: REG, policy: policy({ authenticators: { max: 2 } }) }));
    expect(d.result).toEqual({ ok: false, reason: 'limit' });
    expect(d.next.passkeyChallenges![0]!.used).toBe(true);
  });

  it('"Verify and Save" of a first app drops an unanswered passkey registration: adding it later asks for a proof', () => {
    const record = enrolling(T0, { passkeyChallenges: [challenge({ kind: 'registration' }), challenge({ challenge: 'bG9naW4' })] });
    const d = run(record, { type: 'confirm-enrollment', code: codeAt(T0) }, ctx({ recoveryCodes: issueRecoveryCodes(1) }));
    expect(d.result).toMatchObject({ ok: true });
    expect(d.next.passkeyChallenges!.map((c) => c.kind)).toEqual(['login']);
  });
});

describe('passkeys among the other authenticators', () => {
  const stored = (record: GateRecord) => record;

  it('a user with passkeys only is enrolled: nextStep asks for the second factor, status lists the passkey', () => {
    const record = passkeyUser();
    expect(run(record, { type: 'inspect' }).result).toEqual({ step: 'code' });
    const status = run(record, { type: 'status' }).result;
    expect(status).toMatchObject({ state: 'enrolled', enrolledAt: T0 - 86_400_000, recoveryCodesLeft: 2, postponesLeft: 0 });
    expect(status.authenticators).toEqual([{ id: 'kone', type: 'passkey', label: 'Laptop', createdAt: T0 - 86_400_000, lastUsedAt: null }]);
  });

  it('status lists the apps first, then the passkeys, and the earliest enrollment', () => {
    const record = passkeyUser({ active: enrolled().active });
    const { authenticators, enrolledAt } = run(record, { type: 'status' }).result;
    expect(authenticators.map((a) => [a.type, a.id])).toEqual([['totp', 'primary'], ['passkey', 'kone']]);
    expect(enrolledAt).toBe(T0 - 86_400_000);
  });

  it('a passkey-only user logs in with a recovery code; a typed six digits are wrong', () => {
    const codes = issueRecoveryCodes(2);
    const record = passkeyUser({ recoveryCodes: codes.hashes });
    expect(run(record, { type: 'verify', code: '123456' }).result).toEqual({ ok: false, reason: 'invalid' });
    expect(run(record, { type: 'verify', code: codes.codes[0]! }).result).toEqual({ ok: true, method: 'recovery', recoveryCodesLeft: 1 });
  });

  it('an app added to a passkey user keeps the recovery codes and is the first "Authenticator app"', () => {
    const record = passkeyUser({ pending: enrolling().pending });
    const d = run(record, { type: 'confirm-enrollment', code: codeAt(T0) }, ctx({ recoveryCodes: issueRecoveryCodes(4) }));
    expect(d.result).toEqual({ ok: true, recoveryCodes: [] });
    expect(d.next.active!.label).toBe('Authenticator app');
    expect(d.next.recoveryCodes).toBe(record.recoveryCodes);
  });

  it('adding an app to a passkey user asks for a proof: a passkey answer will do', () => {
    expect(refusal(() => run(passkeyUser(), { type: 'begin-enrollment', renew: false }))).toBe('ERR_REAUTH_REQUIRED');
    const d = run(passkeyUser(), { type: 'begin-enrollment', renew: false, passkey: { challenge: CHALLENGE, credentialId: 'Y3JlZC0x' } }, ctx({ assertion: VERIFIED }));
    expect(d.result).toMatchObject({ secret: SECRET, reused: false });
    expect(d.events.map((e) => e.type)).toEqual(['verified', 'enrollment-started']);
    expect(d.events[1]).toMatchObject({ renew: true });
  });

  it('renames a passkey', () => {
    const d = run(passkeyUser(), { type: 'rename-authenticator', id: 'kone', label: 'Work laptop' });
    expect(d.next.passkeys![0]!.label).toBe('Work laptop');
    expect(d.events).toMatchObject([{ type: 'authenticator-renamed', authenticatorId: 'kone' }]);
  });

  it('removes a passkey after a proof; the app stays, devices are forgotten', () => {
    const record = passkeyUser({ active: enrolled().active, devices: [{ id: 'd1', hash: 'ab'.repeat(32), label: 'x', createdAt: T0, expiresAt: T0 + 1000 }] });
    const d = run(record, { type: 'remove-authenticator', id: 'kone', code: codeAt(T0) }, ctx({ required: true }));
    expect(d.result).toEqual({ ok: true });
    expect(d.next.passkeys).toEqual([]);
    expect(d.next.state).toBe('enrolled');
    expect(d.next.devices).toEqual([]);
    expect(d.events).toMatchObject([{ type: 'verified' }, { type: 'authenticator-removed', authenticatorId: 'kone', remaining: 1 }]);
  });

  it('removing the app of a user who has a passkey leaves them enrolled by the passkey', () => {
    const record = passkeyUser({ active: enrolled().active });
    const d = run(record, { type: 'remove-authenticator', id: 'primary', passkey: { challenge: CHALLENGE, credentialId: 'Y3JlZC0x' } }, ctx({ assertion: VERIFIED, required: true }));
    expect(d.result).toEqual({ ok: true });
    expect(d.next.active).toBeNull();
    expect(d.next.state).toBe('enrolled');
    expect(d.next.recoveryCodes).toBe(record.recoveryCodes);
  });

  it('the last passkey: refused where required; elsewhere it turns 2-step off, recovery codes and challenges included', () => {
    const proof = { passkey: { challenge: CHALLENGE, credentialId: 'Y3JlZC0x' } };
    expect(refusal(() => run(passkeyUser(), { type: 'remove-authenticator', id: 'kone', ...proof }, ctx({ assertion: VERIFIED, required: true })))).toBe('ERR_REQUIRED');
    const d = run(passkeyUser({ voluntary: true }), { type: 'remove-authenticator', id: 'kone', ...proof }, ctx({ assertion: VERIFIED, required: false }));
    expect(d.result).toEqual({ ok: true });
    expect(d.next).toMatchObject({ state: 'none', passkeys: [], passkeyChallenges: [], recoveryCodes: [], voluntary: false });
  });

  it('a wrong passkey proof refuses the removal and counts', () => {
    const d = run(passkeyUser({ voluntary: true }), { type: 'remove-authenticator', id: 'kone', passkey: { challenge: CHALLENGE, credentialId: 'Y3JlZC0x' } }, ctx({ assertion: { verified: false, newCounter: 0 }, required: false }));
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.next.passkeys).toHaveLength(1);
    expect(d.next.throttle.failures).toBe(1);
  });

  it('disable with a passkey proof deletes the passkeys and their challenges', () => {
    const d = run(passkeyUser({ voluntary: true }), { type: 'disable', passkey: { challenge: CHALLENGE, credentialId: 'Y3JlZC0x' } }, ctx({ assertion: VERIFIED, required: false }));
    expect(d.result).toEqual({ ok: true });
    expect(d.next).toMatchObject({ state: 'none', passkeys: [], passkeyChallenges: [], recoveryCodes: [] });
    expect(refusal(() => run(passkeyUser({ voluntary: true }), { type: 'disable' }, ctx({ required: false })))).toBe('ERR_REAUTH_REQUIRED');
  });

  it('new recovery codes with a passkey proof', () => {
    const codes = issueRecoveryCodes(5);
    const d = run(passkeyUser(), { type: 'regenerate-recovery-codes', passkey: { challenge: CHALLENGE, credentialId: 'Y3JlZC0x' } }, ctx({ assertion: VERIFIED, recoveryCodes: codes }));
    expect(d.result).toEqual({ ok: true, recoveryCodes: codes.codes });
  });

  it("an administrator's reset clears passkeys and challenges; the user must enroll again", () => {
    const d = run(passkeyUser(), { type: 'reset', adminId: 'root' });
    expect(d.next).toMatchObject({ state: 'none', passkeys: [], passkeyChallenges: [], mustEnroll: true, recoveryCodes: [] });
    expect(run(d.next, { type: 'inspect' }).result).toEqual({ step: 'setup', required: true, postponesLeft: 0 });
  });

  it('a reset of a record without passkeys adds no passkey fields (older records keep their shape)', () => {
    const d = run(stored(enrolled()), { type: 'reset', adminId: 'root' });
    expect('passkeys' in d.next).toBe(false);
    expect('passkeyChallenges' in d.next).toBe(false);
  });

  it('importing an app for a passkey user needs add, and counts the passkey against the limit', () => {
    const imported = { type: 'import', algorithm: 'SHA1', digits: 6, period: 30, lastStep: 0, label: undefined } as const;
    expect(refusal(() => run(passkeyUser(), { ...imported, add: false }))).toBe('ERR_STATE');
    expect(refusal(() => run(passkeyUser(), { ...imported, add: true }, ctx({ policy: policy({ authenticators: { max: 1 } }) })))).toBe('ERR_LIMIT');
    expect(run(passkeyUser(), { ...imported, add: true }).next.active).toMatchObject({ label: 'Authenticator app' });
  });
});

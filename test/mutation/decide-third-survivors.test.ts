// Written from the mutants of src/gate/decide.ts left alive after the second
// edition: event ids, the cool-downs tidied on write, the lock past a hard
// stop when the policy moved, the hard stop against app codes, passkey rules
// (verdicts, challenges, renaming), a reset request's queue, and the names in
// the "context lacks ..." errors that tell the shell what it forgot to give.
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/gate/decide.js';
import type { GateEvent } from '../../src/gate/events.js';
import { initialRecord, type GateRecord, type OutboxEntry, type PasskeyChallenge, type StoredPasskey } from '../../src/gate/record.js';
import { issueRecoveryCodes } from '../../src/gate/recovery.js';
import { codeAt, ctx, enrolled, policy, RECOVERY, T0 } from '../gate/fixtures.js';
import { CLEAR, refusal, run, spare, wrong } from './rig.js';

const lacks = (name: string) => ({ code: 'ERR_OPTIONS', message: `internal: the decision context lacks ${name}` });

const RP = { rpId: 'example.com', origins: ['https://example.com'] } as const;
const CHALLENGE = 'Y2hhbGxlbmdlLTEtMzItYnl0ZXMtbG9uZy1mb3ItdGVzdHM';
const FRESH = { challenge: 'ZnJlc2gtY2hhbGxlbmdl', userHandle: 'dXNlci1oYW5kbGU' };
const REG = { verified: true, credentialId: 'bmV3LWNyZWQ', publicKey: 'bmV3LWtleQ', counter: 0, transports: ['usb'] } as const;

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
  return { ...initialRecord(), state: 'enrolled', passkeys: [passkey()], passkeyChallenges: [challenge()], recoveryCodes: issueRecoveryCodes(2).hashes, ...overrides };
}

describe('event ids', () => {
  it('numbers the events of one decision from 0 up, after the decision id', () => {
    const record = enrolled(T0, { throttle: { ...CLEAR, failures: 4 } });
    const c = ctx();
    const d = run(record, { type: 'verify', code: wrong(codeAt(T0)) }, c);
    expect(d.events.map((e) => [e.type, e.id])).toEqual([
      ['code-refused', `${c.id}.0`],
      ['locked', `${c.id}.1`],
    ]);
    expect(d.next.outbox.map((e) => e.event.id)).toEqual([`${c.id}.0`, `${c.id}.1`]);
  });

  it('gives the events-dropped summary the next id of the decision', () => {
    const old: OutboxEntry[] = Array.from({ length: 500 }, (_, i) => ({
      event: { type: 'enabled', id: `old.${i}`, userId: 'alice', actor: 'alice', at: T0 - 1000 } as GateEvent,
      claim: null,
      attempts: 0,
    }));
    const c = ctx({ required: false });
    const d = run({ ...initialRecord(), outbox: old }, { type: 'enable' }, c);
    expect(d.events.map((e) => e.id)).toEqual([`${c.id}.0`]);
    expect(d.next.outbox).toHaveLength(500);
    expect(d.next.outbox[0]!.event).toEqual({ type: 'events-dropped', id: `${c.id}.1`, userId: 'alice', actor: 'alice', at: T0, dropped: 2, types: { enabled: 2 } });
    expect(d.next.outbox[499]!.event.id).toBe(`${c.id}.0`);
  });
});

describe('cool-downs tidied on write', () => {
  const cooldownMs = 900_000;
  const cooldowns = { over: T0 - cooldownMs, ending: T0 - cooldownMs + 1, long: T0 - 2 * cooldownMs, fresh: T0 - 5 };

  it('forgets a cool-down the moment it is over, keeps the others', () => {
    const d = run({ ...initialRecord(), cooldowns }, { type: 'enable' }, ctx({ required: false }));
    expect(d.next.cooldowns).toEqual({ ending: T0 - cooldownMs + 1, fresh: T0 - 5 });
  });

  it('a record without cool-downs gets none', () => {
    const d = run(initialRecord(), { type: 'enable' }, ctx({ required: false }));
    expect('cooldowns' in d.next).toBe(false);
  });
});

describe('the lock past a hard stop when the policy moved', () => {
  const p = policy({ throttle: { lockAfter: 2, lockMs: 30_000, lockGrowth: 2, maxLockMs: 900_000, hardStopAfter: 4 } });

  it('the failure that makes the stop (beyond the new limit) does not lock as well', () => {
    // hardStopAfter lowered from 100 to 4 while the user had 5 failures: the 6th stops, 2 beyond the limit.
    const record = enrolled(T0, { throttle: { ...CLEAR, failures: 5, locks: 1 } });
    const d = run(record, { type: 'verify', code: wrong(codeAt(T0)) }, ctx({ policy: p }));
    expect(d.result).toEqual({ ok: false, reason: 'invalid', retryAt: null });
    expect(d.next.throttle).toEqual({ failures: 6, locks: 1, lockedUntil: null, hardStop: true });
    expect(d.events.map((e) => e.type)).toEqual(['code-refused', 'locked']);
  });

  it('a stopped user whose count reaches the (raised) limit exactly is not locked out of recovery codes', () => {
    const record = enrolled(T0, { throttle: { ...CLEAR, failures: 3, hardStop: true }, recoveryCodes: RECOVERY.hashes });
    const stranger = issueRecoveryCodes(1).codes[0]!;
    const d = run(record, { type: 'verify', code: stranger }, ctx({ policy: p }));
    expect(d.next.throttle).toEqual({ failures: 4, locks: 0, lockedUntil: null, hardStop: true });
    // Two more beyond the limit lock for the longest lock.
    const again = run(d.next, { type: 'verify', code: stranger }, ctx({ policy: p }));
    expect(again.next.throttle.lockedUntil).toBeNull();
    const third = run(again.next, { type: 'verify', code: stranger }, ctx({ policy: p }));
    expect(third.next.throttle).toEqual({ failures: 6, locks: 0, lockedUntil: T0 + 900_000, hardStop: true });
  });
});

describe('a hard stop against app codes', () => {
  it('refuses a right app code without looking, and leaves the record as it is', () => {
    const record = enrolled(T0, { throttle: { ...CLEAR, failures: 100, hardStop: true } });
    const d = run(record, { type: 'verify', code: codeAt(T0) });
    expect(d.result).toEqual({ ok: false, reason: 'locked', retryAt: null });
    expect(d.next).toBe(record);
    expect(d.events).toEqual([]);
  });

  it('an unlocked user logs in with a right code', () => {
    const d = run(enrolled(T0), { type: 'verify', code: codeAt(T0) });
    expect(d.result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
  });
});

describe('passkey answers', () => {
  const answer = (credentialId = 'Y3JlZC0x') => ({ type: 'verify-passkey', challenge: CHALLENGE, credentialId }) as const;

  it('an unknown credential is refused without asking for a verdict', () => {
    const d = run(passkeyUser(), answer('dW5rbm93bg'), ctx());
    expect(d.result).toStrictEqual({ ok: false, reason: 'invalid' });
    expect('retryAt' in d.result).toBe(false);
  });

  it('a known credential without a verdict is the shell\'s mistake, named', () => {
    expect(refusal(() => run(passkeyUser(), answer(), ctx()))).toEqual(lacks('assertion'));
  });

  it('a refused verdict answers without retryAt when nothing locks', () => {
    const d = run(passkeyUser(), answer(), ctx({ assertion: { verified: false, newCounter: 0 } }));
    expect(d.result).toStrictEqual({ ok: false, reason: 'invalid' });
  });

  it('a passkey failing a re-authentication is reported as one', () => {
    const record = passkeyUser();
    const d = run(record, { type: 'regenerate-recovery-codes', passkey: { challenge: CHALLENGE, credentialId: 'Y3JlZC0x' } }, ctx({ assertion: { verified: false, newCounter: 0 } }));
    expect(d.result).toStrictEqual({ ok: false, reason: 'invalid' });
    expect(d.events.map((e) => ({ ...e, id: undefined }))).toEqual([
      { type: 'code-refused', during: 're-authentication', reason: 'invalid', failures: 1, method: 'passkey', id: undefined, userId: 'alice', actor: 'alice', at: T0 },
    ]);
  });
});

describe('begin-passkey', () => {
  const begin = (kind: 'login' | 'registration', rest: Partial<Extract<Command, { type: 'begin-passkey' }>> = {}): Extract<Command, { type: 'begin-passkey' }> => ({
    type: 'begin-passkey',
    kind,
    ...RP,
    ...rest,
  });

  it('without a fresh challenge names it', () => {
    expect(refusal(() => run(passkeyUser(), begin('login'), ctx()))).toEqual(lacks('freshChallenge'));
  });

  it('stores a challenge without a label when none was given', () => {
    const d = run(passkeyUser({ passkeyChallenges: [] }), begin('login'), ctx({ freshChallenge: FRESH }));
    expect(d.next.passkeyChallenges).toStrictEqual([
      { challenge: FRESH.challenge, kind: 'login', rpId: 'example.com', origins: ['https://example.com'], createdAt: T0, expiresAt: d.next.passkeyChallenges![0]!.expiresAt, used: false },
    ]);
    expect(Object.keys(d.next.passkeyChallenges![0]!)).not.toContain('label');
  });

  it('says why a login cannot be begun, and why a registration cannot', () => {
    expect(refusal(() => run(passkeyUser(), begin('login', { rpId: 'other.example' }), ctx({ freshChallenge: FRESH })))).toEqual({
      code: 'ERR_NOT_ENROLLED',
      message: 'this user has no passkey for this rpId',
    });
    const full = passkeyUser({ active: enrolled().active });
    expect(refusal(() => run(full, begin('registration', { code: codeAt(T0) }), ctx({ freshChallenge: FRESH, policy: policy({ authenticators: { max: 2 } }) })))).toEqual({
      code: 'ERR_LIMIT',
      message: 'at most 2 authenticators per user',
    });
    expect(refusal(() => run(full, begin('registration'), ctx({ freshChallenge: FRESH })))).toEqual({
      code: 'ERR_REAUTH_REQUIRED',
      message: 'adding a passkey needs a fresh code from an authenticator, a recovery code or a passkey',
    });
  });
});

describe('confirm-passkey', () => {
  const confirm = (): Extract<Command, { type: 'confirm-passkey' }> => ({ type: 'confirm-passkey', challenge: CHALLENGE, credentialId: 'bmV3LWNyZWQ' });
  const registering = (overrides: Partial<GateRecord> = {}): GateRecord => ({ ...initialRecord(), passkeyChallenges: [challenge({ kind: 'registration' })], ...overrides });

  it('names what the shell forgot to give', () => {
    expect(refusal(() => run(registering(), confirm(), ctx()))).toEqual(lacks('registration'));
    expect(refusal(() => run(registering(), confirm(), ctx({ registration: REG, recoveryCodes: undefined })))).toEqual(lacks('recoveryCodes'));
    expect(refusal(() => run(registering(), confirm(), ctx({ registration: REG, required: undefined })))).toEqual(lacks('required'));
  });

  it('one more passkey for an enrolled user is reported as a passkey', () => {
    const c = ctx({ registration: REG });
    const d = run(enrolled(T0, { passkeyChallenges: [challenge({ kind: 'registration' })] }), confirm(), c);
    expect(d.result).toEqual({ ok: true, authenticatorId: `k${c.id}` });
    expect(d.events).toEqual([{ type: 'enrolled', renewed: true, recoveryCodes: 0, authenticatorId: `k${c.id}`, method: 'passkey', id: `${c.id}.0`, userId: 'alice', actor: 'alice', at: T0 }]);
  });
});

describe('request-reset with a notification still queued', () => {
  it('does not name again an administrator in a cool-down though an unsent event of the request names them', () => {
    const request = { id: 'r1', to: ['ann'], requestedAt: T0 - 1000, expiresAt: T0 + 3_600_000, lastNotifiedAt: null, notifiedAt: {} };
    const queued: OutboxEntry = {
      event: { type: 'reset-requested', requestId: 'r1', to: ['ann'], expiresAt: request.expiresAt, id: 'r1.0', userId: 'alice', actor: 'alice', at: T0 - 1000 } as GateEvent,
      claim: null,
      attempts: 1,
    };
    const record = enrolled(T0, { resetRequest: request, outbox: [queued], cooldowns: { ann: T0 - 10 } });
    const c = ctx();
    const d = run(record, { type: 'request-reset', to: ['ann', 'bob'] }, c);
    expect(d.result).toEqual({ requestId: 'r1', to: ['bob'], expiresAt: request.expiresAt });
    expect(d.events.map((e) => [e.type, (e as { to?: string[] }).to])).toEqual([['reset-requested', ['bob']]]);
  });
});

describe('removing and renaming beside passkeys', () => {
  const mixed = (overrides: Partial<GateRecord> = {}) => enrolled(T0, { additional: [spare()], passkeys: [passkey(), passkey({ id: 'ktwo', credentialId: 'Y3JlZC0y', label: 'Phone' })], ...overrides });

  it('an unknown id is not found, passkeys or not', () => {
    const notFound = { code: 'ERR_NOT_FOUND', message: 'this user has no authenticator with that id' };
    expect(refusal(() => run(mixed(), { type: 'remove-authenticator', id: 'nope', code: codeAt(T0) }))).toEqual(notFound);
    expect(refusal(() => run(mixed(), { type: 'rename-authenticator', id: 'nope', label: 'X' }))).toEqual(notFound);
  });

  it('renames exactly the passkey named', () => {
    const d = run(mixed(), { type: 'rename-authenticator', id: 'ktwo', label: 'Tablet' });
    expect(d.result).toStrictEqual({ renamed: true });
    expect(d.next.passkeys!.map((p) => [p.id, p.label])).toEqual([
      ['kone', 'Laptop'],
      ['ktwo', 'Tablet'],
    ]);
  });

  it('renames an app beside passkeys, leaving the passkeys as they were', () => {
    const record = mixed();
    const d = run(record, { type: 'rename-authenticator', id: 'a2', label: 'Old phone' });
    expect(d.result).toStrictEqual({ renamed: true });
    expect(d.next.additional!.map((a) => [a.id, a.label])).toEqual([['a2', 'Old phone']]);
    expect(d.next.passkeys).toEqual(record.passkeys);
  });

  it('removing the last authenticator names the missing "required"', () => {
    expect(refusal(() => run(enrolled(T0), { type: 'remove-authenticator', id: 'primary', code: codeAt(T0) }, ctx({ required: undefined })))).toEqual(lacks('required'));
  });
});

describe('what else the shell may forget', () => {
  it('new recovery codes after a good proof', () => {
    expect(refusal(() => run(enrolled(T0), { type: 'regenerate-recovery-codes', code: codeAt(T0) }, ctx({ recoveryCodes: undefined })))).toEqual(lacks('recoveryCodes'));
  });

  it('status', () => {
    expect(refusal(() => run(enrolled(T0), { type: 'status' }, ctx({ required: undefined })))).toEqual(lacks('required'));
  });

  it('import', () => {
    const command = { type: 'import', algorithm: 'SHA1', digits: 6, period: 30, lastStep: 0, label: undefined, add: false } as const;
    expect(refusal(() => run(initialRecord(), command, ctx({ freshSecret: undefined })))).toEqual(lacks('freshSecret'));
  });
});

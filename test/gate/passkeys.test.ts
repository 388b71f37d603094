// Passkeys through the gate's methods, verified by the real
// @simplewebauthn/server: the answers recorded in Chromium
// (test/fixtures/passkeys/, pinned to the challenges they answer), and a
// software authenticator for what a recording cannot do (answer any
// challenge, leave user verification out, name another origin).
import { describe, expect, it } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import { createGate, type Gate } from '../../src/gate/gate.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { AuthenticationResponseJSON } from '../../src/gate/webauthn-json.js';
import { codeOf, harness } from './harness.js';
import { copy, fixture, pinChallenge, RP } from './passkey-fixtures.js';
import { SoftPasskey } from './soft-passkey.js';

type H = ReturnType<typeof harness>;

/** Alice set up by the recorded registration: her only authenticator is the recorded passkey. */
async function enrolledByFixture(h: H, userId = 'alice') {
  await h.gate.beginPasskeyRegistration(userId, RP);
  await pinChallenge(h.store, userId, fixture.registration.challenge);
  const confirmed = await h.gate.confirmPasskeyRegistration(userId, fixture.registration.response);
  if (!confirmed.ok) throw new Error(`registration refused: ${confirmed.reason}`);
  return confirmed;
}

/** Answers a fresh login challenge with the recording made for `recorded`'s challenge. */
async function recordedLogin(h: H, recorded: (typeof fixture)['cloned'], userId = 'alice') {
  await h.gate.beginPasskeyLogin(userId, RP);
  await pinChallenge(h.store, userId, recorded.challenge);
  return recorded.response;
}

const SOFT_RP = { rpId: 'example.com', rpName: 'Example', origin: 'https://example.com' } as const;

/** A user set up with a software passkey: options from the gate, answered by the authenticator. */
async function enrolledBySoft(gate: Gate, userId: string, key = new SoftPasskey()) {
  const options = await gate.beginPasskeyRegistration(userId, SOFT_RP);
  const result = await gate.confirmPasskeyRegistration(userId, key.register(options, SOFT_RP.origin));
  if (!result.ok) throw new Error(`registration refused: ${result.reason}`);
  return { key, result };
}

async function softLogin(gate: Gate, userId: string, key: SoftPasskey): Promise<AuthenticationResponseJSON> {
  return key.login(await gate.beginPasskeyLogin(userId, SOFT_RP), SOFT_RP.origin);
}

describe('set-up and login with the recorded passkey', () => {
  it('beginPasskeyRegistration hands out options for the challenge it stored', async () => {
    const h = harness();
    const options = await h.gate.beginPasskeyRegistration('alice', { ...RP, label: 'Laptop' });
    const record = await h.record('alice');
    const stored = record.passkeyChallenges!;
    expect(stored).toEqual([
      { challenge: options.challenge, kind: 'registration', rpId: 'localhost', origins: [RP.origin], createdAt: h.now, expiresAt: h.now + 300_000, used: false, label: 'Laptop' },
    ]);
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(options.rp).toEqual({ id: 'localhost', name: 'Example Co' });
    // The account name comes from the directory, the user handle is random and kept in the record.
    expect(options.user).toEqual({ id: record.passkeyUser, name: 'alice@acme.example', displayName: 'alice@acme.example' });
    expect(options.timeout).toBe(300_000);
    expect(options.attestation).toBe('none');
    expect(options.excludeCredentials).toEqual([]);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257]);
    expect(record.state).toBe('none');
  });

  it('the recorded registration enrolls: recovery codes once, listed as a passkey, nextStep asks for the second factor', async () => {
    const h = harness();
    const confirmed = await enrolledByFixture(h);
    expect(confirmed.recoveryCodes).toHaveLength(10);
    const [passkey] = await h.gate.authenticators('alice');
    expect(passkey).toEqual({ id: confirmed.authenticatorId, type: 'passkey', label: 'Passkey', createdAt: h.now, lastUsedAt: null });
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'code' });
    const record = await h.record('alice');
    expect(record.passkeys).toEqual([
      {
        id: confirmed.authenticatorId,
        credentialId: fixture.registration.credential.id,
        publicKey: fixture.registration.credential.publicKey,
        counter: fixture.registration.credential.counter,
        transports: ['internal'],
        rpId: 'localhost',
        label: 'Passkey',
        createdAt: h.now,
        lastUsedAt: null,
      },
    ]);
    expect(h.events.filter((e) => e.type === 'enrolled')).toMatchObject([{ renewed: false, recoveryCodes: 10, authenticatorId: confirmed.authenticatorId, method: 'passkey' }]);
    // A second submit of the same registration.
    expect(await h.gate.confirmPasskeyRegistration('alice', fixture.registration.response)).toEqual({ ok: false, reason: 'already-registered' });
  });

  it('logs in with the recorded answers in turn; the same answer twice is replayed; the counter rises', async () => {
    const h = harness();
    await enrolledByFixture(h);
    const options = await h.gate.beginPasskeyLogin('alice', RP);
    expect(options).toMatchObject({ rpId: 'localhost', timeout: 300_000, userVerification: 'preferred' });
    expect(options.allowCredentials).toEqual([{ id: fixture.registration.credential.id, type: 'public-key', transports: ['internal'] }]);
    await pinChallenge(h.store, 'alice', fixture.logins[0].challenge, options.challenge);
    expect(await h.gate.verifyPasskey('alice', fixture.logins[0].response)).toEqual({ ok: true, method: 'passkey', recoveryCodesLeft: 10 });
    expect(await h.gate.verifyPasskey('alice', fixture.logins[0].response)).toEqual({ ok: false, reason: 'replayed' });
    expect((await h.record('alice')).passkeys![0]!.counter).toBe(fixture.logins[0].counter);
    h.advance(60_000);
    const second = await recordedLogin(h, fixture.logins[1]);
    expect(await h.gate.verifyPasskey('alice', second)).toMatchObject({ ok: true, method: 'passkey' });
    const record = await h.record('alice');
    expect(record.passkeys![0]).toMatchObject({ counter: fixture.logins[1].counter, lastUsedAt: h.now });
    expect(record.throttle.failures).toBe(0);
    expect(h.events.filter((e) => e.type === 'verified')).toMatchObject([
      { authenticatorId: record.passkeys![0]!.id, method: 'passkey', delta: 0 },
      { authenticatorId: record.passkeys![0]!.id, method: 'passkey', delta: 0 },
    ]);
  });

  it("refuses the cloned authenticator's answer, whose counter went back, with a passkey-cloned event", async () => {
    const h = harness();
    await enrolledByFixture(h);
    for (const recorded of fixture.logins) expect(await h.gate.verifyPasskey('alice', await recordedLogin(h, recorded))).toMatchObject({ ok: true });
    const result = await h.gate.verifyPasskey('alice', await recordedLogin(h, fixture.cloned), { context: { ip: '203.0.113.9' } });
    expect(result).toEqual({ ok: false, reason: 'invalid' });
    const record = await h.record('alice');
    expect(record.passkeys![0]!.counter).toBe(fixture.logins[1].counter);
    expect(record.throttle.failures).toBe(1);
    expect(h.events.filter((e) => e.type === 'passkey-cloned')).toMatchObject([{ authenticatorId: record.passkeys![0]!.id, context: { ip: '203.0.113.9' } }]);
  });

  it("the clone's answer is refused even as the first login: its counter is not above the registration's", async () => {
    const h = harness();
    await enrolledByFixture(h);
    // Stored counter 1 (from the registration), the clone's answer carries 1 too.
    expect(fixture.cloned.counter).toBe(fixture.registration.credential.counter);
    expect(await h.gate.verifyPasskey('alice', await recordedLogin(h, fixture.cloned))).toEqual({ ok: false, reason: 'invalid' });
  });

  it('an answer to a challenge the gate did not hand out is invalid, and counted', async () => {
    const h = harness();
    await enrolledByFixture(h);
    await h.gate.beginPasskeyLogin('alice', RP);
    expect(await h.gate.verifyPasskey('alice', fixture.logins[0].response)).toEqual({ ok: false, reason: 'invalid' });
    expect((await h.record('alice')).throttle.failures).toBe(1);
  });

  it('an answer from an origin the challenge was not handed out for is invalid and uses the challenge up', async () => {
    const h = harness();
    await enrolledByFixture(h);
    await h.gate.beginPasskeyLogin('alice', { rpId: 'localhost', origin: 'http://localhost:8080' });
    await pinChallenge(h.store, 'alice', fixture.logins[0].challenge);
    expect(await h.gate.verifyPasskey('alice', fixture.logins[0].response)).toEqual({ ok: false, reason: 'invalid' });
    expect((await h.record('alice')).passkeyChallenges!.at(-1)).toMatchObject({ used: true });
  });

  it('a challenge answered after its time is invalid; a registration after its time is expired', async () => {
    const h = harness({ policy: { passkeys: { challengeTtlMs: 60_000 } } });
    await h.gate.beginPasskeyRegistration('alice', RP);
    await pinChallenge(h.store, 'alice', fixture.registration.challenge);
    h.advance(60_000);
    expect(await h.gate.confirmPasskeyRegistration('alice', fixture.registration.response)).toEqual({ ok: false, reason: 'expired' });
    await enrolledByFixture(h, 'bob');
    const answer = await recordedLogin(h, fixture.logins[0], 'bob');
    h.advance(60_000);
    expect(await h.gate.verifyPasskey('bob', answer)).toEqual({ ok: false, reason: 'invalid' });
    expect((await h.record('bob')).throttle.failures).toBe(1);
  });

  it('a registration with no challenge handed out is no-challenge', async () => {
    const h = harness();
    expect(await h.gate.confirmPasskeyRegistration('alice', fixture.registration.response)).toEqual({ ok: false, reason: 'no-challenge' });
    expect(await h.gate.nextStep('alice')).toMatchObject({ step: 'setup' });
  });

  it("where the policy requires user verification, the recorded (verified) answers still pass", async () => {
    const h = harness({ policy: { passkeys: { userVerification: 'required' } } });
    expect((await h.gate.beginPasskeyRegistration('alice', RP)).authenticatorSelection).toMatchObject({ userVerification: 'required' });
    await enrolledByFixture(h);
    const options = await h.gate.beginPasskeyLogin('alice', RP);
    expect(options.userVerification).toBe('required');
    await pinChallenge(h.store, 'alice', fixture.logins[0].challenge);
    expect(await h.gate.verifyPasskey('alice', fixture.logins[0].response)).toMatchObject({ ok: true });
  });

  it("an administrator's reset clears the passkey: no passkey login, set-up again", async () => {
    const h = harness();
    await enrolledByFixture(h);
    const answer = await recordedLogin(h, fixture.logins[0]);
    expect(await h.gate.reset('root', 'alice')).toMatchObject({ ok: true });
    expect(await h.gate.authenticators('alice')).toEqual([]);
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'setup', required: true, postponesLeft: 0 });
    expect(await h.gate.verifyPasskey('alice', answer)).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(await codeOf(h.gate.beginPasskeyLogin('alice', RP))).toBe('ERR_NOT_ENROLLED');
    const record = await h.record('alice');
    expect(record.passkeys).toEqual([]);
    expect(record.passkeyChallenges).toEqual([]);
    // The same authenticator may be registered again afterwards.
    expect((await enrolledByFixture(h)).ok).toBe(true);
  });
});

describe('passkeys from a software authenticator', () => {
  it('P-256 and Ed25519 keys both register and log in', async () => {
    for (const alg of ['ES256', 'Ed25519'] as const) {
      const h = harness();
      const { key } = await enrolledBySoft(h.gate, 'alice', new SoftPasskey({ alg }));
      expect(await h.gate.verifyPasskey('alice', await softLogin(h.gate, 'alice', key))).toMatchObject({ ok: true, method: 'passkey' });
      expect((await h.record('alice')).passkeys![0]).toMatchObject({ counter: 2, transports: ['internal', 'hybrid'], rpId: 'example.com' });
    }
  });

  it('without user verification: refused where the policy requires it, accepted where it prefers it', async () => {
    const strict = harness({ policy: { passkeys: { userVerification: 'required' } } });
    const options = await strict.gate.beginPasskeyRegistration('alice', SOFT_RP);
    expect(await strict.gate.confirmPasskeyRegistration('alice', new SoftPasskey({ uv: false }).register(options, SOFT_RP.origin))).toEqual({ ok: false, reason: 'invalid' });
    const lenient = harness();
    const { key } = await enrolledBySoft(lenient.gate, 'alice', new SoftPasskey({ uv: false }));
    expect(await lenient.gate.verifyPasskey('alice', await softLogin(lenient.gate, 'alice', key))).toMatchObject({ ok: true });
  });

  it('a registration answer for another origin, RP id or ceremony is invalid; the challenge is then used up', async () => {
    const tampers = [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { type: 'webauthn.get' }];
    for (const tamper of tampers) {
      const h = harness();
      const options = await h.gate.beginPasskeyRegistration('alice', SOFT_RP);
      const answer = new SoftPasskey().register(options, SOFT_RP.origin, tamper);
      expect(await h.gate.confirmPasskeyRegistration('alice', answer)).toEqual({ ok: false, reason: 'invalid' });
      expect(await h.gate.confirmPasskeyRegistration('alice', new SoftPasskey().register(options, SOFT_RP.origin))).toEqual({ ok: false, reason: 'no-challenge' });
      expect((await h.record('alice')).throttle.failures).toBe(0);
    }
  });

  it('a login answer for another origin, RP id or ceremony is invalid and counted', async () => {
    const h = harness();
    const { key } = await enrolledBySoft(h.gate, 'alice');
    const tampers = [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { type: 'webauthn.create' }];
    for (const tamper of tampers) {
      const answer = key.login(await h.gate.beginPasskeyLogin('alice', SOFT_RP), SOFT_RP.origin, tamper);
      expect(await h.gate.verifyPasskey('alice', answer)).toEqual({ ok: false, reason: 'invalid' });
    }
    expect((await h.record('alice')).throttle.failures).toBe(3);
  });

  it('a signature by another key under the same credential id is invalid', async () => {
    const h = harness();
    const { key } = await enrolledBySoft(h.gate, 'alice');
    const other = new SoftPasskey();
    other.register({ challenge: 'AA', rp: { id: 'example.com' }, user: { id: 'AA' } }, SOFT_RP.origin);
    other.credentialId = key.credentialId;
    other.counter = 50;
    expect(await h.gate.verifyPasskey('alice', await softLogin(h.gate, 'alice', other))).toEqual({ ok: false, reason: 'invalid' });
  });

  it('several tabs: each challenge handed out is answerable once, in any order', async () => {
    const h = harness();
    const { key } = await enrolledBySoft(h.gate, 'alice');
    const first = await h.gate.beginPasskeyLogin('alice', SOFT_RP);
    const second = await h.gate.beginPasskeyLogin('alice', SOFT_RP);
    expect(await h.gate.verifyPasskey('alice', key.login(second, SOFT_RP.origin))).toMatchObject({ ok: true });
    expect(await h.gate.verifyPasskey('alice', key.login(first, SOFT_RP.origin))).toMatchObject({ ok: true });
    expect(await h.gate.verifyPasskey('alice', key.login(second, SOFT_RP.origin))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('an answer signed before one that was accepted carries a lower counter: refused as a clone, as WebAuthn cannot tell them apart', async () => {
    const h = harness();
    const { key } = await enrolledBySoft(h.gate, 'alice');
    const first = await h.gate.beginPasskeyLogin('alice', SOFT_RP);
    const late = key.login(first, SOFT_RP.origin);
    expect(await h.gate.verifyPasskey('alice', await softLogin(h.gate, 'alice', key))).toMatchObject({ ok: true });
    expect(await h.gate.verifyPasskey('alice', late)).toEqual({ ok: false, reason: 'invalid' });
    expect(h.events.filter((e) => e.type === 'passkey-cloned')).toHaveLength(1);
  });

  it('a passkey without a counter (synced passkeys report 0) logs in every time', async () => {
    const h = harness();
    const key = new SoftPasskey();
    key.counting = false;
    await enrolledBySoft(h.gate, 'alice', key);
    for (let i = 0; i < 3; i++) expect(await h.gate.verifyPasskey('alice', await softLogin(h.gate, 'alice', key))).toMatchObject({ ok: true });
  });

  it('failures lock like wrong codes, and a lock refuses even a right answer', async () => {
    const h = harness();
    const { key } = await enrolledBySoft(h.gate, 'alice');
    for (let i = 0; i < 5; i++) await h.gate.verify('alice', '000000');
    const answer = await softLogin(h.gate, 'alice', key);
    expect(await h.gate.verifyPasskey('alice', answer)).toMatchObject({ ok: false, reason: 'locked' });
    h.advance(30_000);
    // The answer was not looked at, so its challenge is still good once the lock is over.
    expect(await h.gate.verifyPasskey('alice', answer)).toMatchObject({ ok: true });
  });

  it('remembers the device when asked', async () => {
    const h = harness({ policy: { trustedDevices: { enabled: true } } });
    const { key } = await enrolledBySoft(h.gate, 'alice');
    const result = await h.gate.verifyPasskey('alice', await softLogin(h.gate, 'alice', key), { rememberDevice: { label: 'Laptop' } });
    expect(result).toMatchObject({ ok: true, method: 'passkey', deviceToken: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const token = (result as { deviceToken: string }).deviceToken;
    expect(await h.gate.nextStep('alice', { deviceToken: token })).toEqual({ step: 'allow', remembered: true });
    expect(await h.gate.trustedDevices('alice')).toMatchObject([{ label: 'Laptop' }]);
    const off = harness();
    const soft = await enrolledBySoft(off.gate, 'alice');
    expect(await codeOf(off.gate.verifyPasskey('alice', await softLogin(off.gate, 'alice', soft.key), { rememberDevice: {} }))).toBe('ERR_OPTIONS');
  });

  it('a user with an app and a passkey logs in with either', async () => {
    const h = harness();
    const { secret } = await h.gate.beginEnrollment('alice');
    await h.gate.confirmEnrollment('alice', h.code(secret));
    h.advance(30_000);
    const added = await enrolledBySoft(h.gate, 'alice').catch((error: unknown) => error);
    expect(isOtpError(added) && added.code).toBe('ERR_REAUTH_REQUIRED');
    const options = await h.gate.beginPasskeyRegistration('alice', { ...SOFT_RP, code: h.code(secret), label: 'Phone passkey' });
    const key = new SoftPasskey();
    expect(await h.gate.confirmPasskeyRegistration('alice', key.register(options, SOFT_RP.origin))).toEqual({ ok: true, authenticatorId: expect.stringMatching(/^k/) });
    expect((await h.gate.authenticators('alice')).map((a) => [a.type, a.label])).toEqual([['totp', 'Authenticator app'], ['passkey', 'Phone passkey']]);
    h.advance(30_000);
    expect(await h.gate.verify('alice', h.code(secret))).toMatchObject({ ok: true, method: 'totp' });
    expect(await h.gate.verifyPasskey('alice', await softLogin(h.gate, 'alice', key))).toMatchObject({ ok: true, method: 'passkey' });
  });
});

describe('the authenticator limit across apps and passkeys', () => {
  it('an app set-up begun below the maximum, a passkey registered meanwhile: "Verify and Save" answers limit and adds nothing', async () => {
    const h = harness({ policy: { authenticators: { max: 2 } } });
    const { secret } = await h.gate.beginEnrollment('alice');
    await h.gate.confirmEnrollment('alice', h.code(secret));
    h.advance(30_000);
    // Two tabs: an app set-up and a passkey registration, both begun at one authenticator.
    const app = await h.gate.beginEnrollment('alice', { code: h.code(secret), label: 'Tablet' });
    h.advance(30_000);
    const options = await h.gate.beginPasskeyRegistration('alice', { ...SOFT_RP, code: h.code(secret) });
    expect(await h.gate.confirmPasskeyRegistration('alice', new SoftPasskey().register(options, SOFT_RP.origin))).toMatchObject({ ok: true });
    expect(await h.gate.confirmEnrollment('alice', h.code(app.secret))).toEqual({ ok: false, reason: 'limit' });
    expect((await h.gate.authenticators('alice')).map((a) => [a.type, a.label])).toEqual([['totp', 'Authenticator app'], ['passkey', 'Passkey']]);
    expect((await h.record('alice')).pending).toBeNull();
    expect(h.events.at(-1)).toMatchObject({ type: 'enrollment-discarded', reason: 'limit' });
    expect(await h.gate.confirmEnrollment('alice', h.code(app.secret))).toEqual({ ok: false, reason: 'already-enrolled' });
  });
});

describe('a passkey as the proof of a sensitive action', () => {
  it('adds a second passkey: the options exclude the first', async () => {
    const h = harness();
    const { key } = await enrolledBySoft(h.gate, 'alice');
    const proof = await softLogin(h.gate, 'alice', key);
    const options = await h.gate.beginPasskeyRegistration('alice', { ...SOFT_RP, passkey: proof });
    expect(options.excludeCredentials).toEqual([{ id: key.id, type: 'public-key', transports: ['internal', 'hybrid'] }]);
    expect(await h.gate.confirmPasskeyRegistration('alice', new SoftPasskey().register(options, SOFT_RP.origin))).toMatchObject({ ok: true });
    expect((await h.gate.authenticators('alice')).map((a) => a.label)).toEqual(['Passkey', 'Passkey 2']);
    // The proof's challenge is spent.
    expect(await codeOf(h.gate.beginPasskeyRegistration('alice', { ...SOFT_RP, passkey: proof }))).toBe('ERR_REAUTH_FAILED');
  });

  it('adds an app, makes new recovery codes, removes an authenticator and turns 2-step off', async () => {
    const h = harness({ policy: { required: false } });
    const { key } = await enrolledBySoft(h.gate, 'alice');
    const enrollment = await h.gate.beginEnrollment('alice', { passkey: await softLogin(h.gate, 'alice', key) });
    expect((await h.gate.confirmEnrollment('alice', h.code(enrollment.secret))).ok).toBe(true);
    const codes = await h.gate.regenerateRecoveryCodes('alice', { passkey: await softLogin(h.gate, 'alice', key) });
    expect(codes).toMatchObject({ ok: true, recoveryCodes: expect.any(Array) });
    const [app] = await h.gate.authenticators('alice');
    expect(await h.gate.removeAuthenticator('alice', app!.id, { passkey: await softLogin(h.gate, 'alice', key) })).toEqual({ ok: true });
    expect((await h.gate.status('alice')).state).toBe('enrolled');
    expect(await h.gate.disable('alice', { passkey: await softLogin(h.gate, 'alice', key) })).toEqual({ ok: true });
    expect(await h.gate.status('alice')).toMatchObject({ state: 'none', authenticators: [], recoveryCodesLeft: 0 });
    expect((await h.record('alice')).passkeys).toEqual([]);
  });

  it('a wrong passkey proof is refused and counted; a recovery code still works for a passkey-only user', async () => {
    const h = harness({ policy: { required: false } });
    const { key, result } = await enrolledBySoft(h.gate, 'alice');
    const stale = key.login({ challenge: 'bm90LWhhbmRlZC1vdXQ' }, SOFT_RP.origin);
    expect(await h.gate.disable('alice', { passkey: stale })).toEqual({ ok: false, reason: 'invalid' });
    expect((await h.record('alice')).throttle.failures).toBe(1);
    expect(await h.gate.regenerateRecoveryCodes('alice', { code: result.recoveryCodes![0]! })).toMatchObject({ ok: true });
  });

  it('removing a passkey with the proof of another forgets remembered devices', async () => {
    const h = harness({ policy: { trustedDevices: { enabled: true } } });
    const { key } = await enrolledBySoft(h.gate, 'alice');
    const options = await h.gate.beginPasskeyRegistration('alice', { ...SOFT_RP, passkey: await softLogin(h.gate, 'alice', key) });
    const spare = new SoftPasskey();
    await h.gate.confirmPasskeyRegistration('alice', spare.register(options, SOFT_RP.origin));
    await h.gate.verifyPasskey('alice', await softLogin(h.gate, 'alice', key), { rememberDevice: {} });
    const [first] = await h.gate.authenticators('alice');
    expect(await h.gate.removeAuthenticator('alice', first!.id, { passkey: await softLogin(h.gate, 'alice', spare) })).toEqual({ ok: true });
    expect(await h.gate.trustedDevices('alice')).toEqual([]);
    expect((await h.gate.authenticators('alice')).map((a) => a.label)).toEqual(['Passkey 2']);
    // The removed passkey no longer logs in.
    expect(await h.gate.verifyPasskey('alice', key.login(await h.gate.beginPasskeyLogin('alice', SOFT_RP), SOFT_RP.origin))).toEqual({ ok: false, reason: 'invalid' });
  });

  it('renames a passkey', async () => {
    const h = harness();
    const { result } = await enrolledBySoft(h.gate, 'alice');
    await h.gate.renameAuthenticator('alice', result.authenticatorId, 'YubiKey');
    expect((await h.gate.authenticators('alice'))[0]).toMatchObject({ type: 'passkey', label: 'YubiKey' });
  });

  it('refuses a code and a passkey together', async () => {
    const h = harness();
    const { key } = await enrolledBySoft(h.gate, 'alice');
    expect(await codeOf(h.gate.disable('alice', { code: '123456', passkey: await softLogin(h.gate, 'alice', key) }))).toBe('ERR_OPTIONS');
  });
});

describe('bad input', () => {
  const errorOf = async (promise: Promise<unknown>): Promise<{ code: string; message: string }> => {
    try {
      await promise;
    } catch (error) {
      if (isOtpError(error)) return { code: error.code, message: error.message };
      throw error;
    }
    throw new Error('resolved');
  };

  it('a relying party WebAuthn would refuse is ERR_OPTIONS before anything is stored', async () => {
    const h = harness();
    const bad = [
      { rpId: 'https://example.com', origin: 'https://example.com' },
      { rpId: 'Example.com', origin: 'https://example.com' },
      { rpId: 'example.com', origin: 'https://example.com/login' },
      { rpId: 'example.com', origin: 'https://example.org' },
      { rpId: 'example.com', origin: 'https://notexample.com' },
      { rpId: 'example.com', origin: 'http://example.com' },
      { rpId: 'example.com', origin: [] },
      { rpId: 'example.com', origin: ['https://example.com', 42] },
      { rpId: 'example.com', rpName: '', origin: 'https://example.com' },
      { rpId: 'example.com' },
    ];
    for (const options of bad) {
      expect(await codeOf(h.gate.beginPasskeyRegistration('alice', options as never))).toBe('ERR_OPTIONS');
      expect(await codeOf(h.gate.beginPasskeyLogin('alice', options as never))).toBe('ERR_OPTIONS');
    }
    expect(await h.store.get('alice')).toBeNull();
    // What WebAuthn accepts: a subdomain's origin, several origins, http on localhost.
    await h.gate.beginPasskeyRegistration('alice', { rpId: 'example.com', origin: ['https://login.example.com', 'https://example.com:8443'] });
    await h.gate.beginPasskeyRegistration('bob', { rpId: 'localhost', origin: 'http://localhost:3000' });
  });

  it('a label, user name or option the gate does not know is ERR_OPTIONS', async () => {
    const h = harness();
    expect(await codeOf(h.gate.beginPasskeyRegistration('alice', { ...RP, label: '' }))).toBe('ERR_OPTIONS');
    expect(await codeOf(h.gate.beginPasskeyRegistration('alice', { ...RP, userName: 'x'.repeat(257) }))).toBe('ERR_OPTIONS');
    expect(await codeOf(h.gate.beginPasskeyRegistration('alice', { ...RP, attestation: 'direct' } as never))).toBe('ERR_OPTIONS');
    expect(await codeOf(h.gate.verifyPasskey('alice', fixture.logins[0].response, { remember: true } as never))).toBe('ERR_OPTIONS');
    expect(await codeOf(h.gate.beginPasskeyLogin('', RP))).toBe('ERR_OPTIONS');
    expect(await h.store.get('alice')).toBeNull();
  });

  it("an empty account name from the directory is ERR_DIRECTORY, before anything is stored", async () => {
    const store = createMemoryStore();
    const gate = createGate({ store, issuer: 'ACME', directory: { administratorsOf: async () => [], isAdministratorOf: async () => false, accountLabel: async () => ' ' } });
    expect(await codeOf(gate.beginPasskeyRegistration('alice', RP))).toBe('ERR_DIRECTORY');
    expect(await store.get('alice')).toBeNull();
    expect((await gate.beginPasskeyRegistration('alice', { ...RP, userName: 'alice' })).user.name).toBe('alice');
  });

  it('something that is not a browser answer is ERR_OPTIONS, and the message quotes none of it', async () => {
    const h = harness();
    await enrolledByFixture(h);
    const good = fixture.logins[0].response;
    const broken: unknown[] = [
      null,
      'a string',
      [],
      { ...copy(good), id: undefined },
      { ...copy(good), rawId: 'other' },
      { ...copy(good), type: 'password' },
      { ...copy(good), response: null },
      { ...copy(good), response: { ...copy(good.response), signature: undefined } },
      { ...copy(good), response: { ...copy(good.response), clientDataJSON: 'not base64url!' } },
      { ...copy(good), response: { ...copy(good.response), authenticatorData: 'A'.repeat(9000) } },
    ];
    for (const answer of broken) {
      const { code, message } = await errorOf(h.gate.verifyPasskey('alice', answer as never));
      expect(code).toBe('ERR_OPTIONS');
      expect(message).not.toContain(good.response.signature.slice(0, 12));
      expect(message).not.toContain(fixture.logins[0].challenge);
    }
    const registration = fixture.registration.response;
    expect(await codeOf(h.gate.confirmPasskeyRegistration('alice', { ...copy(registration), response: { clientDataJSON: registration.response.clientDataJSON } } as never))).toBe('ERR_OPTIONS');
    expect(await codeOf(h.gate.confirmPasskeyRegistration('alice', { ...copy(registration), response: { ...copy(registration.response), transports: 'usb' } } as never))).toBe('ERR_OPTIONS');
    expect(await codeOf(h.gate.disable('alice', { passkey: { ...copy(good), rawId: 'x' } }))).toBe('ERR_OPTIONS');
    // Nothing was counted: bad input is not a wrong answer.
    expect((await h.record('alice')).throttle.failures).toBe(0);
  });

  it('an answer with unreadable client data is a wrong answer, counted', async () => {
    const h = harness();
    await enrolledByFixture(h);
    await h.gate.beginPasskeyLogin('alice', RP);
    const answer = { ...copy(fixture.logins[0].response), response: { ...copy(fixture.logins[0].response.response), clientDataJSON: 'bm90LWpzb24' } };
    expect(await h.gate.verifyPasskey('alice', answer)).toEqual({ ok: false, reason: 'invalid' });
    expect((await h.record('alice')).throttle.failures).toBe(1);
  });

  it('the events of a passkey carry no challenge, key or signature', async () => {
    const h = harness();
    await enrolledByFixture(h);
    await h.gate.verifyPasskey('alice', await recordedLogin(h, fixture.logins[0]));
    await h.gate.verifyPasskey('alice', fixture.logins[0].response);
    const text = JSON.stringify(h.events);
    for (const secretish of [fixture.logins[0].challenge, fixture.registration.credential.publicKey, fixture.logins[0].response.response.signature, fixture.registration.challenge]) {
      expect(text).not.toContain(secretish);
    }
    expect(h.events.map((e) => e.type)).toEqual(['enrolled', 'verified', 'code-refused']);
  });

});

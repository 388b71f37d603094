// Written from the mutants that survived on the second half of the gate's
// shell (src/gate/gate.ts: the passkey methods and their proofs, the import,
// pendingResets, flushNotifications and the check of a write that failed
// ambiguously) and on the AES-GCM cipher (src/gate/aes-gcm.ts): the messages
// naming each method, the options each one knows, that a locked user's passkey
// answer is never checked, and the cipher's module-level format constants,
// checked on a fresh copy of the module (Stryker counts what a module does at
// load time only for the test that loads it).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { totp } from '../../src/core/totp.js';
import type { OtpError } from '../../src/errors.js';
import { createAesGcmCipher } from '../../src/gate/aes-gcm.js';
import { createGate } from '../../src/gate/gate.js';
import { parseGateRecord } from '../../src/gate/record.js';
import type { MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { T0 } from '../gate/fixtures.js';
import { enroll, harness } from '../gate/harness.js';
import { SoftPasskey } from '../gate/soft-passkey.js';
import {
  CIPHER_KEY as KEY,
  failure,
  OTHER_CIPHER_KEY as OTHER,
  passkeyUser,
  PLAIN_SECRET as SECRET,
  rejection,
  RP,
  sealV1,
  type H,
} from './rig.js';

// Counts the signature checks the gate asks of @simplewebauthn/server.
const checks = vi.hoisted(() => ({ assertions: 0 }));
vi.mock('@simplewebauthn/server', async (importOriginal) => {
  const real = await importOriginal<typeof import('@simplewebauthn/server')>();
  return {
    ...real,
    verifyAuthenticationResponse: (...args: Parameters<typeof real.verifyAuthenticationResponse>) => {
      checks.assertions++;
      return real.verifyAuthenticationResponse(...args);
    },
  };
});

afterEach(() => {
  vi.restoreAllMocks();
});

const ANSWER = "pass the JSON the browser's WebAuthn call resolved with (as @simplewebauthn/browser returns it)";

describe('a locked user\'s passkey answer is refused without a signature check', () => {
  it('locked for a while (no hard stop): locked with the lock\'s end, and the library is not asked', async () => {
    const h = harness({ policy: { throttle: { lockAfter: 2, lockMs: 60_000 } } });
    const key = await passkeyUser(h);
    // The counter of signature checks works: an unlocked login is checked once.
    checks.assertions = 0;
    const options = await h.gate.beginPasskeyLogin('alice', RP);
    expect(await h.gate.verifyPasskey('alice', key.login(options, RP.origin))).toMatchObject({ ok: true, method: 'passkey' });
    expect(checks.assertions).toBe(1);
    // Wrong codes lock the user (a passkey-only user still has recovery codes to type).
    for (let i = 0; i < 2; i++) await h.gate.verify('alice', 'AAAA-BBBB-CCCC');
    const t = (await h.record('alice')).throttle;
    expect(t).toMatchObject({ hardStop: false, lockedUntil: h.now + 60_000 });
    const answer = key.login(await h.gate.beginPasskeyLogin('alice', RP), RP.origin);
    checks.assertions = 0;
    expect(await h.gate.verifyPasskey('alice', answer)).toEqual({ ok: false, reason: 'locked', retryAt: h.now + 60_000 });
    expect(checks.assertions).toBe(0);
    // Nor as the proof of a sensitive action.
    const proof = key.login(await h.gate.beginPasskeyLogin('alice', RP), RP.origin);
    expect(await failure(() => h.gate.beginEnrollment('alice', { passkey: proof }))).toMatchObject({
      code: 'ERR_REAUTH_FAILED',
      message: 're-authentication failed: the user is locked',
    });
    expect(checks.assertions).toBe(0);
  });

  it('hard-stopped (no lock end): locked without retryAt, and the library is not asked', async () => {
    const h = harness({ policy: { throttle: { lockAfter: 2, hardStopAfter: 2 } } });
    const key = await passkeyUser(h);
    for (let i = 0; i < 2; i++) await h.gate.verify('alice', 'AAAA-BBBB-CCCC');
    expect((await h.record('alice')).throttle).toMatchObject({ hardStop: true, lockedUntil: null });
    const answer = key.login(await h.gate.beginPasskeyLogin('alice', RP), RP.origin);
    checks.assertions = 0;
    expect(await h.gate.verifyPasskey('alice', answer)).toEqual({ ok: false, reason: 'locked', retryAt: null });
    expect(checks.assertions).toBe(0);
  });
});

describe('the proof of a sensitive action names the method in its messages', () => {
  const both = { code: '123456', passkey: {} as never };
  it.each<[string, (h: H) => Promise<unknown>]>([
    ['beginEnrollment', (h) => h.gate.beginEnrollment('alice', both)],
    ['disable', (h) => h.gate.disable('alice', both)],
    ['removeAuthenticator', (h) => h.gate.removeAuthenticator('alice', 'a1', both)],
    ['regenerateRecoveryCodes', (h) => h.gate.regenerateRecoveryCodes('alice', both)],
  ])('%s: a code and a passkey together, and a passkey that is not an answer', async (where, call) => {
    const h = harness();
    expect(await failure(() => call(h))).toMatchObject({ code: 'ERR_OPTIONS', message: `${where}: pass a code or a passkey, not both` });
    const notAnAnswer = { passkey: 'not an answer' as never };
    const calls: Record<string, () => Promise<unknown>> = {
      beginEnrollment: () => h.gate.beginEnrollment('alice', notAnAnswer),
      disable: () => h.gate.disable('alice', notAnAnswer),
      removeAuthenticator: () => h.gate.removeAuthenticator('alice', 'a1', notAnAnswer),
      regenerateRecoveryCodes: () => h.gate.regenerateRecoveryCodes('alice', notAnAnswer),
    };
    expect(await failure(calls[where]!)).toMatchObject({
      code: 'ERR_OPTIONS',
      message: `${where}: passkey: the response must be an object: ${ANSWER}`,
    });
  });

  it("a passkey answer that is not right fails the re-authentication naming the passkey's answer", async () => {
    const h = harness();
    const key = await passkeyUser(h);
    const options = await h.gate.beginPasskeyLogin('alice', RP);
    const wrong = key.login(options, RP.origin, { origin: 'https://evil.example' });
    expect(await failure(() => h.gate.beginEnrollment('alice', { passkey: wrong }))).toMatchObject({
      code: 'ERR_REAUTH_FAILED',
      message: "re-authentication failed: the passkey's answer is not right",
    });
    // And a code that is not right names the code.
    expect(await failure(() => h.gate.beginPasskeyRegistration('alice', { ...RP, code: 'AAAA-BBBB-CCCC' }))).toMatchObject({
      code: 'ERR_REAUTH_FAILED',
      message: 're-authentication failed: the code is not right',
    });
  });

  it('beginEnrollment refuses an account that is not a string', async () => {
    const h = harness();
    expect(await failure(() => h.gate.beginEnrollment('alice', { account: 42 as never }))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'account must be a string',
    });
    expect(await h.store.get('alice')).toBeNull();
    // Before the proof is read: a bad proof alongside is not the error named.
    for (const proof of [{ code: '1'.repeat(65) }, { passkey: 'not an answer' as never }]) {
      expect(await failure(() => h.gate.beginEnrollment('alice', { account: 42 as never, ...proof }))).toMatchObject({
        code: 'ERR_OPTIONS',
        message: 'account must be a string',
      });
    }
  });
});

describe('beginPasskeyRegistration checks its arguments, naming itself', () => {
  const where = 'beginPasskeyRegistration';

  it('without options: ERR_OPTIONS asking for the relying party', async () => {
    const h = harness();
    expect(await failure(() => h.gate.beginPasskeyRegistration('alice', undefined as never))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: `${where}: options with rpId and origin are required`,
    });
  });

  it('a bad user id, an unknown option, a user name that is not a string', async () => {
    const h = harness();
    expect(await failure(() => h.gate.beginPasskeyRegistration('', RP))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'userId must be a string of 1 to 256 characters',
    });
    expect(await failure(() => h.gate.beginPasskeyRegistration('alice', { ...RP, bogus: 1 } as never))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: `${where}: unknown option "bogus"; known: rpId, rpName, origin, label, userName, code, passkey, context`,
    });
    expect(await failure(() => h.gate.beginPasskeyRegistration('alice', { ...RP, userName: 42 as never }))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: `${where}: userName must be a string`,
    });
    expect(await h.store.get('alice')).toBeNull();
  });

  it('takes a context, and a user name of 256 characters but not 257', async () => {
    const h = harness();
    const options = await h.gate.beginPasskeyRegistration('alice', { ...RP, userName: 'n'.repeat(256), context: { ip: '203.0.113.7' } });
    expect(options.user).toMatchObject({ name: 'n'.repeat(256), displayName: 'n'.repeat(256) });
    for (const userName of ['n'.repeat(257), '   ']) {
      expect(await failure(() => h.gate.beginPasskeyRegistration('bob', { ...RP, userName }))).toMatchObject({
        code: 'ERR_OPTIONS',
        message: `${where}: the user name must be 1 to 256 characters`,
      });
    }
  });
});

describe('the other passkey methods know their options and name themselves', () => {
  it('confirmPasskeyRegistration knows only context, and takes it', async () => {
    const h = harness();
    expect(await failure(() => h.gate.confirmPasskeyRegistration('alice', {} as never, { bogus: 1 } as never))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'confirmPasskeyRegistration: unknown option "bogus"; known: context',
    });
    expect(await failure(() => h.gate.confirmPasskeyRegistration('alice', 'x' as never))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: `confirmPasskeyRegistration: the response must be an object: ${ANSWER}`,
    });
    const key = new SoftPasskey();
    const options = await h.gate.beginPasskeyRegistration('alice', RP);
    const confirmed = await h.gate.confirmPasskeyRegistration('alice', key.register(options, RP.origin), { context: { ip: '203.0.113.7' } });
    expect(confirmed).toMatchObject({ ok: true });
    expect(h.events.find((e) => e.type === 'enrolled')).toMatchObject({ method: 'passkey', context: { ip: '203.0.113.7' } });
  });

  it('beginPasskeyLogin knows rpId, rpName, origin and context, and takes a context', async () => {
    const h = harness();
    const key = await passkeyUser(h);
    expect(await failure(() => h.gate.beginPasskeyLogin('alice', { ...RP, bogus: 1 } as never))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'beginPasskeyLogin: unknown option "bogus"; known: rpId, rpName, origin, context',
    });
    const options = await h.gate.beginPasskeyLogin('alice', { ...RP, context: { ip: '203.0.113.7' } });
    expect(options.allowCredentials).toEqual([{ id: key.id, type: 'public-key', transports: ['internal', 'hybrid'] }]);
  });

  it('verifyPasskey names itself; rememberDevice needs trusted devices, knows only label, and checks it', async () => {
    const h = harness();
    expect(await failure(() => h.gate.verifyPasskey('alice', 'x' as never))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: `verifyPasskey: the response must be an object: ${ANSWER}`,
    });
    expect(await failure(() => h.gate.verifyPasskey('alice', 'x' as never, { rememberDevice: {} }))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'rememberDevice needs policy.trustedDevices.enabled',
    });
    const trusting = harness({ policy: { trustedDevices: { enabled: true } } });
    expect(await failure(() => trusting.gate.verifyPasskey('alice', 'x' as never, { rememberDevice: { bogus: 1 } as never }))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'rememberDevice: unknown option "bogus"; known: label',
    });
    expect(await failure(() => trusting.gate.verifyPasskey('alice', 'x' as never, { rememberDevice: { label: '' } }))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'label must be 1 to 64 characters, not only spaces, without control characters',
    });
  });

  it('a remembered passkey login without a label is "This device"', async () => {
    const h = harness({ policy: { trustedDevices: { enabled: true } } });
    const key = await passkeyUser(h);
    const answer = key.login(await h.gate.beginPasskeyLogin('alice', RP), RP.origin);
    const result = await h.gate.verifyPasskey('alice', answer, { rememberDevice: {} });
    expect(result).toMatchObject({ ok: true, method: 'passkey', deviceToken: expect.any(String) });
    expect(await h.gate.trustedDevices('alice')).toEqual([expect.objectContaining({ label: 'This device', createdAt: h.now })]);
  });
});

describe('importEnrollment', () => {
  it('imports a SHA512 authenticator, whose codes then log in', async () => {
    const h = harness();
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const { authenticatorId } = await h.gate.importEnrollment('alice', { secret, algorithm: 'SHA512', lastStep: 0 });
    expect(await h.gate.authenticators('alice')).toEqual([expect.objectContaining({ id: authenticatorId, type: 'totp' })]);
    expect(await h.gate.verify('alice', totp(secret, { now: h.now, algorithm: 'SHA512' }))).toMatchObject({ ok: true });
  });
});

describe('pendingResets', () => {
  /** A gate over a store whose open-reset list starts with `junk`, and the errors it reports. */
  async function withJunk(junk: unknown[]) {
    const inner = createMemoryStore();
    const store: MfaStore = { get: (u) => inner.get(u), compareAndSet: (u, e, n) => inner.compareAndSet(u, e, n), listOpenResets: async () => [...junk, ...(await inner.listOpenResets())] as never };
    const errors: OtpError[] = [];
    const h = harness({ store });
    const gate = createGate({
      store,
      directory: { administratorsOf: async () => [{ id: 'root', name: 'Root' }], isAdministratorOf: async (a, u) => a === 'root' && u !== 'root' },
      notifier: { notify: async () => {} },
      issuer: 'ACME',
      clock: { now: () => h.now },
      settleDelayMs: 0,
      onError: (error) => errors.push(error),
    });
    await enroll({ ...h, gate }, 'alice');
    await gate.requestReset('alice', { to: 'root' });
    return { gate, errors, h };
  }

  it('skips entries that are not objects, whatever they are, and lists the real request', async () => {
    const { gate, errors } = await withJunk([undefined, 42, 'x', null, true]);
    expect(await gate.pendingResets('root')).toEqual([expect.objectContaining({ userId: 'alice', to: ['root'] })]);
    expect(errors).toEqual([]);
  });

  it('reports an unreadable record to onError as ERR_STORE, and lists the others', async () => {
    const { gate, errors } = await withJunk([{ userId: 'mallory', record: { state: 'nonsense' } }]);
    expect(await gate.pendingResets('root')).toEqual([expect.objectContaining({ userId: 'alice' })]);
    expect(errors.map((e) => ({ code: e.code, message: e.message }))).toEqual([
      { code: 'ERR_STORE', message: 'pendingResets skipped the record of user "mallory": it cannot be read' },
    ]);
  });
});

/** A memory store whose next compare-and-sets can fail before writing, or after. */
function flakyStore() {
  const inner = createMemoryStore();
  const plan: Array<'ok' | 'before' | 'after'> = [];
  const store: MfaStore = {
    get: (userId) => inner.get(userId),
    async compareAndSet(userId, expected, next) {
      const step = plan.shift() ?? 'ok';
      if (step === 'before') throw new Error('connection reset');
      const written = await inner.compareAndSet(userId, expected, next);
      if (step === 'after') throw new Error('connection reset after the commit');
      return written;
    },
    listOpenResets: () => inner.listOpenResets(),
  };
  return { store, plan };
}

describe('a write that fails ambiguously is read back', () => {
  it('without a notifier (no events queued), a write that landed stands by its lastWrite alone', async () => {
    const { store, plan } = flakyStore();
    let now = T0 + 15_000;
    const gate = createGate({ store, issuer: 'ACME', clock: { now: () => now } });
    const { secret } = await gate.beginEnrollment('alice');
    expect(await gate.confirmEnrollment('alice', totp(secret, { now }))).toMatchObject({ ok: true });
    now += 30_000;
    plan.push('after');
    expect(await gate.verify('alice', totp(secret, { now }))).toMatchObject({ ok: true, method: 'totp' });
    const found = await store.get('alice');
    expect(parseGateRecord(found!.record).outbox).toEqual([]);
  });

  it("a write that did not land is an error even while other writes' events are queued", async () => {
    const { store, plan } = flakyStore();
    const h = harness({ store });
    h.notifier.failing = true;
    const { secret } = await enroll(h, 'alice');
    const before = await store.get('alice');
    expect(parseGateRecord(before!.record).outbox.length).toBeGreaterThan(0);
    plan.push('before');
    expect(await failure(() => h.gate.verify('alice', h.code(secret)))).toMatchObject({ code: 'ERR_STORE', message: 'store.compareAndSet failed' });
    expect(await store.get('alice')).toEqual(before);
    // The code was not used: it logs in now.
    expect(await h.gate.verify('alice', h.code(secret))).toMatchObject({ ok: true, method: 'totp' });
  });
});

describe('flushNotifications', () => {
  it('a flush whose write did not land is an error, and the events it had delivered are not sent again', async () => {
    const { store, plan } = flakyStore();
    const h = harness({ store });
    h.notifier.failing = true;
    await enroll(h, 'alice');
    const queued = (await h.record('alice')).outbox.map((entry) => entry.event.id);
    expect(queued.length).toBeGreaterThan(0);
    h.notifier.failing = false;
    // The flush's write lands; both writes of what was delivered fail.
    plan.push('ok', 'before', 'before');
    expect(await failure(() => h.gate.flushNotifications('alice'))).toMatchObject({ code: 'ERR_STORE' });
    expect(h.events.map((e) => e.id)).toEqual(queued);
    // Once the claims ran out, a flush that cannot write is an error too.
    h.advance(60_001);
    plan.push('before');
    expect(await failure(() => h.gate.flushNotifications('alice'))).toMatchObject({ code: 'ERR_STORE', message: 'store.compareAndSet failed' });
    // The next one writes what was delivered, and sends nothing twice.
    expect(await h.gate.flushNotifications('alice')).toEqual({ delivered: 0, remaining: 0 });
    expect(h.events.map((e) => e.id)).toEqual(queued);
    expect((await h.record('alice')).outbox).toEqual([]);
  });

  it('counts only the events handed to the notifier: those left untried when the budget ran out stay queued', async () => {
    const h = harness({ notifyTimeoutMs: 1_000 });
    h.notifier.failing = true;
    await enroll(h, 'alice');
    const queued = (await h.record('alice')).outbox.length;
    expect(queued).toBeGreaterThanOrEqual(2);
    h.notifier.failing = false;
    // The first notification takes the whole budget (and succeeds): the rest are not tried.
    const realNow = Date.now.bind(Date);
    let skew = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + skew);
    const notify = h.notifier.notify.bind(h.notifier);
    h.notifier.notify = async (event) => {
      await notify(event);
      skew += 1_000;
    };
    expect(await h.gate.flushNotifications('alice')).toEqual({ delivered: 1, remaining: queued - 1 });
    expect(h.events).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// The AES-GCM cipher.

/** A copy of the cipher's module loaded in this test, so its constants are made here. */
async function freshCipherModule(): Promise<typeof import('../../src/gate/aes-gcm.js')> {
  vi.resetModules();
  return import('../../src/gate/aes-gcm.js');
}

describe('the AES-GCM cipher, freshly loaded', () => {
  it('writes and reads exactly v1.<iv>.<sealed> with one key', async () => {
    const { createAesGcmCipher: create } = await freshCipherModule();
    const cipher = create({ key: KEY });
    expect(await cipher.encrypt(SECRET, 'alice')).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(await cipher.decrypt(sealV1(new TextEncoder().encode(SECRET), 'alice'), 'alice')).toBe(SECRET);
  });

  it('writes v2.<id>.… with several keys, and still reads a v1 secret', async () => {
    const { createAesGcmCipher: create } = await freshCipherModule();
    const cipher = create({ keys: { old: KEY, new: OTHER }, current: 'new' });
    expect(await cipher.encrypt(SECRET, 'alice')).toMatch(/^v2\.new\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(await cipher.decrypt(sealV1(new TextEncoder().encode(SECRET), 'alice'), 'alice')).toBe(SECRET);
    expect(cipher.needsRewrap!(sealV1(new TextEncoder().encode(SECRET), 'alice'))).toBe(true);
  });

  it('takes key ids of 1 to 32 letters, digits, _ or -, whole', async () => {
    const { createAesGcmCipher: create } = await freshCipherModule();
    for (const id of ['a', 'ab', 'A-9_z', 'k'.repeat(32)]) expect(() => create({ keys: { [id]: KEY }, current: id })).not.toThrow();
    for (const id of ['!a', 'a!', 'a.b', 'k'.repeat(33)]) {
      let thrown: unknown;
      try {
        create({ keys: { [id]: KEY }, current: id });
      } catch (error) {
        thrown = error;
      }
      expect({ id, code: (thrown as OtpError)?.code, message: (thrown as OtpError)?.message }).toEqual({
        id,
        code: 'ERR_OPTIONS',
        message: 'a key id must be 1 to 32 letters, digits, _ or -',
      });
    }
  });

  it('refuses an authentic plaintext that is not UTF-8', async () => {
    const { createAesGcmCipher: create } = await freshCipherModule();
    const wrapped = sealV1(new Uint8Array([0xff, 0xfe, 0x41]), 'alice');
    expect(await rejection(create({ key: KEY }).decrypt(wrapped, 'alice'))).toEqual({
      code: 'ERR_CIPHER',
      message: "the secret could not be decrypted: wrong key, tampered, or another user's",
    });
  });
});

describe('the AES-GCM cipher', () => {
  it('null options are ERR_OPTIONS asking for a key', () => {
    expect(() => createAesGcmCipher(null as never)).toThrowError(
      expect.objectContaining({ code: 'ERR_OPTIONS', message: 'key must be a Uint8Array of 32 bytes (AES-256)' }),
    );
  });

  it('decrypting a v1 secret imports only the keys it tries', async () => {
    const importKey = vi.spyOn(globalThis.crypto.subtle, 'importKey');
    const wrapped = sealV1(new TextEncoder().encode(SECRET), 'alice');
    expect(await createAesGcmCipher({ key: KEY }).decrypt(wrapped, 'alice')).toBe(SECRET);
    expect(importKey).toHaveBeenCalledTimes(1);
    importKey.mockClear();
    expect(await createAesGcmCipher({ keys: { old: KEY, new: OTHER }, current: 'new' }).decrypt(wrapped, 'alice')).toBe(SECRET);
    expect(importKey).toHaveBeenCalledTimes(1);
  });

  it('with several keys, something not a string is a v1 format error', async () => {
    const cipher = createAesGcmCipher({ keys: { old: KEY, new: OTHER }, current: 'new' });
    for (const wrapped of [42, undefined, null]) {
      expect(await rejection(cipher.decrypt(wrapped as never, 'alice'))).toEqual({
        code: 'ERR_CIPHER',
        message: 'the encrypted secret is not in the v1 AES-GCM format',
      });
    }
  });

  it('with several keys, an empty secret (a sealed part of just the tag) goes round', async () => {
    const cipher = createAesGcmCipher({ keys: { old: KEY, new: OTHER }, current: 'new' });
    const wrapped = await cipher.encrypt('', 'alice');
    expect(Buffer.from(wrapped.split('.')[3]!, 'base64url')).toHaveLength(16);
    expect(await cipher.decrypt(wrapped, 'alice')).toBe('');
  });
});

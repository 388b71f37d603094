// Written from the mutants of src/gate/gate.ts that the second edition's own
// tests left alive: the new methods' argument checks and messages (import,
// remembered devices, labels, re-authentication), what deleteUser and a
// failed write that happened anyway answer, and what several authenticators
// and key rotation cost the cipher.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { createAesGcmCipher, createGate, createMemoryStore, OtpError, type MfaStore } from '../../src/index.js';
import { parseGateRecord } from '../../src/gate/record.js';
import { enroll, harness } from '../gate/harness.js';
import { countingCipher, failure, wrong, type H } from './rig.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const LABEL = 'label must be 1 to 64 characters, not only spaces, without control characters';

/** Adds an authenticator to an enrolled user; returns its secret. */
async function add(h: H, userId: string, secret: string): Promise<string> {
  const begun = await h.gate.beginEnrollment(userId, { code: h.code(secret) });
  h.advance(30_000);
  expect(await h.gate.confirmEnrollment(userId, h.code(begun.secret))).toEqual({ ok: true, recoveryCodes: [] });
  h.advance(30_000);
  return begun.secret;
}

describe('options each new method knows, and the message for any other', () => {
  it.each<[string, (h: H) => Promise<unknown>, string]>([
    ['nextStep', (h) => h.gate.nextStep('alice', { x: 1 } as never), 'nextStep: unknown option "x"; known: deviceToken, context'],
    ['beginEnrollment', (h) => h.gate.beginEnrollment('alice', { x: 1 } as never), 'beginEnrollment: unknown option "x"; known: account, renew, qr, label, code, passkey, context'],
    ['confirmEnrollment', (h) => h.gate.confirmEnrollment('alice', '123456', { x: 1 } as never), 'confirmEnrollment: unknown option "x"; known: context'],
    ['verify', (h) => h.gate.verify('alice', '123456', { x: 1 } as never), 'verify: unknown option "x"; known: rememberDevice, context'],
    ['forgetDevice', (h) => h.gate.forgetDevice('alice', 'd1', { x: 1 } as never), 'forgetDevice: unknown option "x"; known: context'],
    ['forgetAllDevices', (h) => h.gate.forgetAllDevices('alice', { x: 1 } as never), 'forgetAllDevices: unknown option "x"; known: context'],
    [
      'importEnrollment',
      (h) => h.gate.importEnrollment('alice', { secret: 'JBSWY3DPEHPK3PXP', x: 1 } as never),
      'importEnrollment: unknown option "x"; known: secret, algorithm, digits, period, lastStep, label, add, context',
    ],
    ['enable', (h) => h.gate.enable('alice', { x: 1 } as never), 'enable: unknown option "x"; known: context'],
    ['disable', (h) => h.gate.disable('alice', { x: 1 } as never), 'disable: unknown option "x"; known: code, passkey, context'],
    ['status', (h) => h.gate.status('alice', { x: 1 } as never), 'status: unknown option "x"; known: context'],
    ['removeAuthenticator', (h) => h.gate.removeAuthenticator('alice', 'a', { x: 1 } as never), 'removeAuthenticator: unknown option "x"; known: code, passkey, context'],
    ['renameAuthenticator', (h) => h.gate.renameAuthenticator('alice', 'a', 'L', { x: 1 } as never), 'renameAuthenticator: unknown option "x"; known: context'],
    ['regenerateRecoveryCodes', (h) => h.gate.regenerateRecoveryCodes('alice', { x: 1 } as never), 'regenerateRecoveryCodes: unknown option "x"; known: code, passkey, context'],
    ['postpone', (h) => h.gate.postpone('alice', { x: 1 } as never), 'postpone: unknown option "x"; known: attempt, context'],
    ['requestReset', (h) => h.gate.requestReset('alice', { to: 'root', x: 1 } as never), 'requestReset: unknown option "x"; known: to, context'],
    ['reset', (h) => h.gate.reset('root', 'alice', { x: 1 } as never), 'reset: unknown option "x"; known: requestId, context'],
    ['decline', (h) => h.gate.decline('root', 'alice', { x: 1 } as never), 'decline: unknown option "x"; known: requestId, context'],
    ['a long unknown name, cut at 40', (h) => h.gate.status('alice', { ['n'.repeat(50)]: 1 } as never), `status: unknown option "${'n'.repeat(40)}"; known: context`],
    ['options that are an array', (h) => h.gate.status('alice', [] as never), 'status: options must be an object'],
    ['options that are null', (h) => h.gate.status('alice', null as never), 'status: options must be an object'],
  ])('%s', async (_, call, message) => {
    const h = harness();
    expect(await failure(() => call(h))).toMatchObject({ code: 'ERR_OPTIONS', message });
  });

  it('every known option is taken', async () => {
    const h = harness({ policy: { required: false, trustedDevices: { enabled: true } } });
    const context = { requestId: 'r' };
    expect(await h.gate.nextStep('alice', { deviceToken: 'ab'.repeat(32), context })).toMatchObject({ step: 'allow' });
    const { secret } = await h.gate.beginEnrollment('alice', { account: 'a@x', renew: true, qr: {}, label: 'Phone', context });
    expect(await h.gate.confirmEnrollment('alice', h.code(secret), { context })).toMatchObject({ ok: true });
    h.advance(30_000);
    const verified = await h.gate.verify('alice', h.code(secret), { rememberDevice: { label: 'Firefox' }, context });
    expect(verified).toMatchObject({ ok: true, deviceToken: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const [device] = await h.gate.trustedDevices('alice');
    expect(await h.gate.forgetDevice('alice', device!.id, { context })).toBe(true);
    expect(await h.gate.forgetAllDevices('alice', { context })).toBe(0);
    expect(await h.gate.status('alice', { context })).toMatchObject({ state: 'enrolled' });
    const [first] = await h.gate.authenticators('alice');
    await h.gate.renameAuthenticator('alice', first!.id, 'Old phone', { context });
    h.advance(30_000);
    expect(await h.gate.regenerateRecoveryCodes('alice', { code: h.code(secret), context })).toMatchObject({ ok: true });
    h.advance(30_000);
    expect(await h.gate.disable('alice', { code: h.code(secret), context })).toEqual({ ok: true });
    await h.gate.enable('alice', { context });
    expect(await h.gate.importEnrollment('bob', { secret: 'JBSWY3DPEHPK3PXP', algorithm: 'SHA1', digits: 6, period: 30, lastStep: 0, label: 'L', add: false, context })).toMatchObject({
      authenticatorId: expect.any(String),
    });
    expect(h.events.filter((e) => e.context === undefined).map((e) => e.type)).toEqual([]);
  });
});

describe('labels', () => {
  it.each(['', '   ', 'x'.repeat(65), 'a\u0000b', 'tab\there', '\u001f', 'del\u007f', 42])('%j is refused before anything is stored', async (label) => {
    const h = harness();
    expect(await failure(() => h.gate.beginEnrollment('bob', { label: label as string }))).toMatchObject({ code: 'ERR_OPTIONS', message: LABEL });
    expect(await h.store.get('bob')).toBeNull();
  });

  it.each(['x'.repeat(64), ' x ', 'Télé\u0080phone', 'a b'])('%j is taken', async (label) => {
    const h = harness();
    const { secret } = await h.gate.beginEnrollment('bob', { label });
    await h.gate.confirmEnrollment('bob', h.code(secret));
    expect((await h.gate.authenticators('bob')).map((a) => a.label)).toEqual([label]);
  });

  it('of renameAuthenticator and rememberDevice are checked alike', async () => {
    const h = harness({ policy: { trustedDevices: { enabled: true } } });
    const { secret } = await enroll(h, 'alice');
    const [first] = await h.gate.authenticators('alice');
    expect(await failure(() => h.gate.renameAuthenticator('alice', first!.id, ' '))).toMatchObject({ code: 'ERR_OPTIONS', message: LABEL });
    expect(await failure(() => h.gate.verify('alice', h.code(secret), { rememberDevice: { label: '' } }))).toMatchObject({ code: 'ERR_OPTIONS', message: LABEL });
    // Neither refusal used the code.
    expect(await h.gate.verify('alice', h.code(secret))).toMatchObject({ ok: true });
  });
});

describe('ids and codes of the new methods', () => {
  it.each<[string, (h: H) => Promise<unknown>, string]>([
    ['removeAuthenticator id', (h) => h.gate.removeAuthenticator('alice', ''), 'id must be a string of 1 to 256 characters'],
    ['renameAuthenticator id', (h) => h.gate.renameAuthenticator('alice', 'i'.repeat(257), 'L'), 'id must be a string of 1 to 256 characters'],
    ['forgetDevice id', (h) => h.gate.forgetDevice('alice', ''), 'id must be a string of 1 to 256 characters'],
    ['deleteUser userId', (h) => h.gate.deleteUser(''), 'userId must be a string of 1 to 256 characters'],
    ['trustedDevices userId', (h) => h.gate.trustedDevices(''), 'userId must be a string of 1 to 256 characters'],
    ['status userId', (h) => h.gate.status(''), 'userId must be a string of 1 to 256 characters'],
    ['a lone surrogate', (h) => h.gate.status('a\ud800'), 'userId must be well-formed Unicode (it has a lone surrogate)'],
    ['removeAuthenticator code', (h) => h.gate.removeAuthenticator('alice', 'a', { code: '1'.repeat(65) }), 'code must be a string of at most 64 characters'],
    ['disable code', (h) => h.gate.disable('alice', { code: 5 as never }), 'code must be a string of at most 64 characters'],
    ['regenerateRecoveryCodes code', (h) => h.gate.regenerateRecoveryCodes('alice', { code: '1'.repeat(65) }), 'code must be a string of at most 64 characters'],
    ['beginEnrollment code', (h) => h.gate.beginEnrollment('alice', { code: '1'.repeat(65) }), 'code must be a string of at most 64 characters'],
    ['beginEnrollment renew', (h) => h.gate.beginEnrollment('alice', { renew: 1 as never }), 'renew must be a boolean'],
    ['beginEnrollment account', (h) => h.gate.beginEnrollment('alice', { account: 1 as never }), 'account must be a string'],
    ['deviceToken not a string', (h) => h.gate.nextStep('alice', { deviceToken: 42 as never }), 'deviceToken must be a string'],
    ['deviceToken of 257 characters', (h) => h.gate.nextStep('alice', { deviceToken: 'a'.repeat(257) }), 'deviceToken must be a string'],
  ])('%s', async (_, call, message) => {
    const h = harness();
    expect(await failure(() => call(h))).toMatchObject({ code: 'ERR_OPTIONS', message });
    expect(await h.store.get('alice')).toBeNull();
  });

  it('a device token of 256 characters is looked at (and is no device)', async () => {
    const h = harness({ policy: { trustedDevices: { enabled: true } } });
    await enroll(h, 'alice');
    expect(await h.gate.nextStep('alice', { deviceToken: 'a'.repeat(256) })).toEqual({ step: 'code' });
  });
});

describe('re-authentication through the gate', () => {
  it('a refused fresh code is ERR_REAUTH_FAILED saying why: wrong, used already, or locked', async () => {
    const h = harness({ policy: { throttle: { lockAfter: 2 } } });
    const { secret } = await enroll(h, 'alice');
    expect(await failure(() => h.gate.beginEnrollment('alice', { code: wrong(h.code(secret)) }))).toMatchObject({
      code: 'ERR_REAUTH_FAILED',
      message: 're-authentication failed: the code is not right',
    });
    expect(await h.gate.verify('alice', h.code(secret))).toMatchObject({ ok: true });
    expect(await failure(() => h.gate.beginEnrollment('alice', { code: h.code(secret) }))).toMatchObject({
      code: 'ERR_REAUTH_FAILED',
      message: 're-authentication failed: the code was used already',
    });
    // The second failure in a row locked the user.
    expect(await h.gate.verify('alice', wrong(h.code(secret)))).toMatchObject({ ok: false, retryAt: expect.any(Number) });
    expect(await failure(() => h.gate.beginEnrollment('alice', { code: h.code(secret) }))).toMatchObject({
      code: 'ERR_REAUTH_FAILED',
      message: 're-authentication failed: the user is locked',
    });
    // Only the first set-up started one.
    expect(h.events.filter((e) => e.type === 'enrollment-started')).toHaveLength(1);
  });

  it('the other sensitive actions answer their refusal as a result, with the failure stored', async () => {
    const h = harness({ policy: { required: false } });
    const { secret } = await enroll(h, 'alice');
    const spare = await add(h, 'alice', secret);
    const [, second] = await h.gate.authenticators('alice');
    expect(await h.gate.disable('alice', { code: wrong(h.code(secret)) })).toEqual({ ok: false, reason: 'invalid' });
    expect(await h.gate.removeAuthenticator('alice', second!.id, { code: wrong(h.code(spare)) })).toEqual({ ok: false, reason: 'invalid' });
    expect(await h.gate.regenerateRecoveryCodes('alice', { code: wrong(h.code(spare)) })).toEqual({ ok: false, reason: 'invalid' });
    expect((await h.record('alice')).throttle.failures).toBe(3);
    expect(await h.gate.status('alice')).toMatchObject({ state: 'enrolled', authenticators: [{}, {}], recoveryCodesLeft: 10 });
  });
});

describe('remembered devices through the gate', () => {
  it('rememberDevice is refused where the policy does not enable it, and checked for its options', async () => {
    const off = harness();
    const { secret } = await enroll(off, 'alice');
    expect(await failure(() => off.gate.verify('alice', off.code(secret), { rememberDevice: {} }))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'rememberDevice needs policy.trustedDevices.enabled',
    });
    const on = harness({ policy: { trustedDevices: { enabled: true } } });
    const { secret: bobs } = await enroll(on, 'bob');
    expect(await failure(() => on.gate.verify('bob', on.code(bobs), { rememberDevice: { name: 'x' } as never }))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'rememberDevice: unknown option "name"; known: label',
    });
    expect(await failure(() => on.gate.verify('bob', on.code(bobs), { rememberDevice: 'yes' as never }))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'rememberDevice: options must be an object',
    });
    // None of these used the code.
    expect(await on.gate.verify('bob', on.code(bobs))).toMatchObject({ ok: true });
  });

  it('a device without a label is "This device"; the token is 256 random bits, different each time', async () => {
    const h = harness({ policy: { trustedDevices: { enabled: true } } });
    const { secret } = await enroll(h, 'alice');
    const first = (await h.gate.verify('alice', h.code(secret), { rememberDevice: {} })) as { deviceToken: string };
    h.advance(30_000);
    const second = (await h.gate.verify('alice', h.code(secret), { rememberDevice: {} })) as { deviceToken: string };
    expect(first.deviceToken).toMatch(/^[0-9a-f]{64}$/);
    expect(second.deviceToken).toMatch(/^[0-9a-f]{64}$/);
    expect(first.deviceToken).not.toBe(second.deviceToken);
    expect(first.deviceToken.slice(0, 32)).not.toBe(first.deviceToken.slice(32));
    expect((await h.gate.trustedDevices('alice')).map((d) => d.label)).toEqual(['This device', 'This device']);
    for (const token of [first.deviceToken, second.deviceToken]) expect(await h.gate.nextStep('alice', { deviceToken: token })).toEqual({ step: 'allow', remembered: true });
  });
});

describe('importEnrollment through the gate', () => {
  const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

  it.each<[string, unknown, string]>([
    ['no options', undefined, 'importEnrollment: options with a secret are required'],
    ['a secret that is not a string', { secret: 42 }, 'importEnrollment: secret must be a base32 string'],
    ['a secret of 72 bits', { secret: 'AAAAAAAAAAAAAAA' }, 'importEnrollment: the secret must have at least 80 bits'],
    ['an unknown algorithm', { secret: SECRET, algorithm: 'MD5' }, "importEnrollment: algorithm must be 'SHA1', 'SHA256' or 'SHA512'"],
    ['5 digits', { secret: SECRET, digits: 5 }, 'importEnrollment: digits must be an integer from 6 to 10'],
    ['11 digits', { secret: SECRET, digits: 11 }, 'importEnrollment: digits must be an integer from 6 to 10'],
    ['digits as a string', { secret: SECRET, digits: '6' }, 'importEnrollment: digits must be an integer from 6 to 10'],
    ['a period of 0', { secret: SECRET, period: 0 }, 'importEnrollment: period must be an integer from 1 to 3600'],
    ['a period of 3601', { secret: SECRET, period: 3601 }, 'importEnrollment: period must be an integer from 1 to 3600'],
    ['a period of 1.5', { secret: SECRET, period: 1.5 }, 'importEnrollment: period must be an integer from 1 to 3600'],
    ['a negative last step', { secret: SECRET, lastStep: -1 }, `importEnrollment: lastStep must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`],
    ['a last step past 2^53', { secret: SECRET, lastStep: 2 ** 53 }, `importEnrollment: lastStep must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`],
    ['a bad label', { secret: SECRET, label: '' }, LABEL],
    ['add that is not a boolean', { secret: SECRET, add: 'yes' }, 'importEnrollment: add must be a boolean'],
  ])('%s is refused, storing nothing', async (_, options, message) => {
    const h = harness();
    expect(await failure(() => h.gate.importEnrollment('carol', options as never))).toMatchObject({ code: 'ERR_OPTIONS', message });
    expect(await h.store.get('carol')).toBeNull();
  });

  it('takes the bounds, and stores the secret in canonical base32', async () => {
    const h = harness();
    for (const [userId, options] of [
      ['a', { digits: 6, period: 1 }],
      ['b', { digits: 10, period: 3600 }],
      ['c', { lastStep: 0 }],
      ['d', { lastStep: Number.MAX_SAFE_INTEGER }],
    ] as const) {
      await h.gate.importEnrollment(userId, { secret: 'jbsw y3dp ehpk 3pxp====', ...options });
      expect((await h.record(userId)).active).toMatchObject({ secret: 'JBSWY3DPEHPK3PXP', wrapped: false, ...options });
    }
    // 80 bits exactly is enough.
    await h.gate.importEnrollment('e', { secret: 'AAAAAAAAAAAAAAAA' });
    expect((await h.record('e')).active!.secret).toBe('AAAAAAAAAAAAAAAA');
  });

  it('by default the replay floor is the current step of the secret\'s own period, and SHA1, 6 digits, 30 s', async () => {
    const h = harness();
    await h.gate.importEnrollment('alice', { secret: SECRET, period: 60 });
    expect((await h.record('alice')).active).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 60, lastStep: Math.floor(h.now / 60_000), drift: 0 });
    await h.gate.importEnrollment('bob', { secret: SECRET });
    expect((await h.record('bob')).active).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30, lastStep: Math.floor(h.now / 30_000) });
    expect(await h.gate.verify('bob', totp(SECRET, { now: h.now }))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('add: true imports one more; add: false refuses an enrolled user', async () => {
    const h = harness();
    await h.gate.importEnrollment('alice', { secret: SECRET, add: false });
    expect(await failure(() => h.gate.importEnrollment('alice', { secret: SECRET, add: false }))).toMatchObject({ code: 'ERR_STATE' });
    expect(await h.gate.importEnrollment('alice', { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', add: true })).toEqual({ authenticatorId: expect.any(String) });
    expect(await h.gate.authenticators('alice')).toHaveLength(2);
  });
});

describe('deleteUser', () => {
  it('needs a store with delete, and says so', async () => {
    const inner = createMemoryStore();
    const bare: MfaStore = { get: (id) => inner.get(id), compareAndSet: (id, v, r) => inner.compareAndSet(id, v, r), listOpenResets: () => inner.listOpenResets() };
    expect(await failure(() => createGate({ store: bare, issuer: 'X' }).deleteUser('alice'))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'deleteUser needs a store with delete()',
    });
  });

  it('resolves true only when the store says true, and a failing delete is ERR_STORE with a redacted cause', async () => {
    const inner = createMemoryStore();
    let answer: unknown = 'yes';
    let fail = false;
    const store: MfaStore = {
      get: (id) => inner.get(id),
      compareAndSet: (id, v, r) => inner.compareAndSet(id, v, r),
      listOpenResets: () => inner.listOpenResets(),
      async delete() {
        if (fail) throw new Error('connection lost while deleting JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
        return answer as boolean;
      },
    };
    const gate = createGate({ store, issuer: 'X' });
    expect(await gate.deleteUser('alice')).toBe(false);
    answer = true;
    expect(await gate.deleteUser('alice')).toBe(true);
    fail = true;
    const error = await failure(() => gate.deleteUser('alice'));
    expect(error).toMatchObject({ code: 'ERR_STORE', message: 'store.delete failed' });
    expect((error.cause as Error).message).toBe('connection lost while deleting [redacted]');
  });

  it('removes the record, binding the store method to the store', async () => {
    const h = harness();
    await enroll(h, 'alice');
    expect(await h.gate.deleteUser('alice')).toBe(true);
    expect(await h.store.get('alice')).toBeNull();
    expect(await h.gate.deleteUser('alice')).toBe(false);
  });
});

describe('store errors', () => {
  it('pass on a redacted copy of the driver\'s error, never what it was asked to write', async () => {
    const inner = createMemoryStore();
    const driverError = Object.assign(new Error('ERR wrong type near JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'), { code: 'WRONGTYPE', args: ['SET', 'user', '{"secret":"JBSWY3DPEHPK3PXP"}'] });
    const store: MfaStore = {
      get: (id) => inner.get(id),
      async compareAndSet() {
        throw driverError;
      },
      listOpenResets: () => inner.listOpenResets(),
    };
    const error = await failure(() => createGate({ store, issuer: 'X' }).postpone('alice'));
    expect(error).toMatchObject({ code: 'ERR_STORE', message: 'store.compareAndSet failed' });
    expect(error.cause).not.toBe(driverError);
    expect(error.cause).toMatchObject({ message: 'ERR wrong type near [redacted]', code: 'WRONGTYPE' });
    expect(error.cause).not.toHaveProperty('args');
  });

  it('an OtpError the store throws passes through as it is', async () => {
    const inner = createMemoryStore();
    for (const thrown of [new OtpError('ERR_STORE', 'row is locked'), new OtpError('ERR_OPTIONS', 'bad user id')]) {
      const store: MfaStore = {
        async get() {
          throw thrown;
        },
        compareAndSet: (id, v, r) => inner.compareAndSet(id, v, r),
        listOpenResets: () => inner.listOpenResets(),
      };
      expect(await failure(() => createGate({ store, issuer: 'X' }).nextStep('alice'))).toBe(thrown);
    }
  });
});

describe('a write that failed but happened', () => {
  /** A memory store whose next compareAndSet stores the record, then throws; `meanwhile` may change it before the gate reads it back. */
  function flaky(meanwhile?: (record: Record<string, unknown>) => Record<string, unknown>) {
    const inner = createMemoryStore();
    const state = { writeThenThrow: false, throwOnly: false, getFails: false };
    const store: MfaStore = {
      async get(id) {
        if (state.getFails) throw new Error('read failed too');
        return inner.get(id);
      },
      async compareAndSet(id, expected, next) {
        if (state.throwOnly) {
          state.throwOnly = false;
          throw new Error('timeout before the write');
        }
        if (!state.writeThenThrow) return inner.compareAndSet(id, expected, next);
        state.writeThenThrow = false;
        expect(await inner.compareAndSet(id, expected, next)).toBe(true);
        if (meanwhile !== undefined) {
          const found = (await inner.get(id))!;
          expect(await inner.compareAndSet(id, found.version, meanwhile(found.record as never) as never)).toBe(true);
        }
        throw new Error('timeout after the write');
      },
      listOpenResets: () => inner.listOpenResets(),
    };
    return { store, state };
  }

  // Delivered events stay in the record until the next write, so a write's events are still there when it is read back.
  function gateOn(store: MfaStore, clock: { now: () => number }) {
    return createGate({ store, issuer: 'X', clock, notifier: { notify: async () => {} }, settleDelayMs: 30_000 });
  }

  it('answers its result once: the record names the write', async () => {
    const { store, state } = flaky();
    let now = Date.UTC(2026, 0, 1) + 15_000;
    const gate = gateOn(store, { now: () => now });
    const { secret } = await gate.beginEnrollment('alice');
    await gate.confirmEnrollment('alice', totp(secret, { now }));
    now += 30_000;
    state.writeThenThrow = true;
    expect(await gate.verify('alice', totp(secret, { now }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(await gate.verify('alice', totp(secret, { now }))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('or still queues one of its events after a later write, beside older ones', async () => {
    const { store, state } = flaky((record) => ({ ...record, lastWrite: 'someone else' }));
    let now = Date.UTC(2026, 0, 1) + 15_000;
    const gate = gateOn(store, { now: () => now });
    // An older event that failed stays queued, so the write's own are only some of the outbox.
    const refusing = createGate({ store, issuer: 'X', clock: { now: () => now }, notifier: { notify: async () => Promise.reject(new Error('down')) }, onNotifyError: () => {} });
    await refusing.postpone('bob', { attempt: 'first' });
    const { secret } = await gate.beginEnrollment('alice');
    await gate.confirmEnrollment('alice', totp(secret, { now }));
    now += 30_000;
    state.writeThenThrow = true;
    expect(await gate.postpone('bob')).toEqual({ postponesLeft: 0, repeated: false });
    expect((await store.get('bob'))!.record['outbox']).toHaveLength(2);
    state.writeThenThrow = true;
    expect(await gate.verify('alice', totp(secret, { now }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
  });

  it('but a write that did not happen is ERR_STORE, with the first error', async () => {
    const { store, state } = flaky();
    const gate = gateOn(store, { now: () => Date.UTC(2026, 0, 1) });
    state.throwOnly = true;
    const error = await failure(() => gate.postpone('alice'));
    expect(error).toMatchObject({ code: 'ERR_STORE', message: 'store.compareAndSet failed' });
    expect((error.cause as Error).message).toBe('timeout before the write');
    expect(await store.get('alice')).toBeNull();
  });

  it('a write whose record was replaced by another writer without its events is ERR_STORE', async () => {
    const { store, state } = flaky((record) => ({ ...record, lastWrite: 'someone else', outbox: [] }));
    const gate = gateOn(store, { now: () => Date.UTC(2026, 0, 1) });
    state.writeThenThrow = true;
    expect(await failure(() => gate.postpone('alice'))).toMatchObject({ code: 'ERR_STORE', message: 'store.compareAndSet failed' });
  });
});

describe('several authenticators and key rotation cost the cipher', () => {
  const keyA = new Uint8Array(32).fill(1);
  const keyB = new Uint8Array(32).fill(2);

  it('a verify decrypts each authenticator once; a rotated key re-wraps each once, on that same write', async () => {
    const store = createMemoryStore();
    let now = Date.UTC(2026, 0, 1) + 15_000;
    const clock = { now: () => now };
    const old = createGate({ store, issuer: 'X', clock, cipher: createAesGcmCipher({ keys: { a: keyA }, current: 'a' }) });
    const { secret: first } = await old.beginEnrollment('alice');
    await old.confirmEnrollment('alice', totp(first, { now }));
    now += 30_000;
    const { secret: second } = await old.beginEnrollment('alice', { code: totp(first, { now }) });
    await old.confirmEnrollment('alice', totp(second, { now }));
    now += 30_000;

    const { cipher, counts } = countingCipher(createAesGcmCipher({ keys: { a: keyA, b: keyB }, current: 'b' }), { needsRewrap: true });
    const gate = createGate({ store, issuer: 'X', clock, cipher });
    expect(await gate.verify('alice', totp(second, { now }))).toMatchObject({ ok: true });
    expect(counts).toEqual({ decrypt: 2, encrypt: 2 });
    const record = parseGateRecord((await store.get('alice'))!.record);
    for (const a of [record.active!, ...record.additional!]) expect(a.secret.startsWith('v2.b.')).toBe(true);
    // Nothing stale is left: the next verify only decrypts.
    now += 30_000;
    counts.decrypt = 0;
    counts.encrypt = 0;
    expect(await gate.verify('alice', totp(first, { now }))).toMatchObject({ ok: true });
    expect(counts).toEqual({ decrypt: 2, encrypt: 0 });
    // A call that changes nothing re-wraps nothing either.
    counts.decrypt = 0;
    expect(await gate.verify('bob', '123456')).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(counts).toEqual({ decrypt: 0, encrypt: 0 });
  });

  it('plain secrets stored before a cipher was set are wrapped by the next write', async () => {
    const store = createMemoryStore();
    let now = Date.UTC(2026, 0, 1) + 15_000;
    const clock = { now: () => now };
    const plain = createGate({ store, issuer: 'X', clock });
    const { secret } = await plain.beginEnrollment('alice');
    await plain.confirmEnrollment('alice', totp(secret, { now }));
    await plain.beginEnrollment('alice', { code: totp(secret, { now: now + 30_000 }), label: 'Spare' }).catch(() => {});
    now += 60_000;
    const { cipher, counts } = countingCipher(createAesGcmCipher({ key: keyA }), { needsRewrap: true });
    const gate = createGate({ store, issuer: 'X', clock, cipher });
    expect(await gate.verify('alice', totp(secret, { now }))).toMatchObject({ ok: true });
    const record = parseGateRecord((await store.get('alice'))!.record);
    expect(record.active).toMatchObject({ wrapped: true });
    expect(record.pending).toMatchObject({ wrapped: true, label: 'Spare' });
    expect(counts.encrypt).toBe(2);
    expect(JSON.stringify(record)).not.toContain(secret);
  });
});

describe('a gate without a notifier', () => {
  it('keeps no event and reports none, for every new command', async () => {
    const store = createMemoryStore();
    let now = Date.UTC(2026, 0, 1) + 15_000;
    const gate = createGate({ store, issuer: 'X', clock: { now: () => now }, policy: { required: false, trustedDevices: { enabled: true } } });
    const { secret } = await gate.beginEnrollment('alice');
    await gate.confirmEnrollment('alice', totp(secret, { now }));
    now += 30_000;
    await gate.verify('alice', totp(secret, { now }), { rememberDevice: {} });
    expect(await gate.forgetAllDevices('alice')).toBe(1);
    const [first] = await gate.authenticators('alice');
    await gate.renameAuthenticator('alice', first!.id, 'Phone');
    expect((await store.get('alice'))!.record['outbox']).toEqual([]);
    expect(await gate.flushNotifications('alice')).toEqual({ delivered: 0, remaining: 0 });
  });
});

describe('the shell\'s other edges', () => {
  const directoryOf = (list: unknown) => ({ administratorsOf: async () => list as never, isAdministratorOf: async () => true });

  it('a directory list that is not a list, or holds null, is refused saying what it must be', async () => {
    for (const list of [42, 'root', [null], { 0: { id: 'root', name: 'Root' }, length: 1 }]) {
      const gate = createGate({ store: createMemoryStore(), issuer: 'X', directory: directoryOf(list) });
      expect(await failure(() => gate.administrators('alice'))).toMatchObject({
        code: 'ERR_DIRECTORY',
        message: 'directory.administratorsOf must return an array of { id, name } with string ids',
      });
    }
  });

  it('a list whose entries throw when read is ERR_DIRECTORY with the cause; an OtpError they throw passes through', async () => {
    const cause = new TypeError('getter');
    const evil = Object.defineProperty({ name: 'Evil' }, 'id', {
      get() {
        throw cause;
      },
    });
    const gate = createGate({ store: createMemoryStore(), issuer: 'X', directory: directoryOf([evil]) });
    expect(await failure(() => gate.administrators('alice'))).toMatchObject({
      code: 'ERR_DIRECTORY',
      message: 'directory.administratorsOf returned an unreadable list',
      cause,
    });
    const own = new OtpError('ERR_NOT_ADMIN', 'revoked');
    const revoked = Object.defineProperty({ name: 'Evil' }, 'id', {
      get() {
        throw own;
      },
    });
    const other = createGate({ store: createMemoryStore(), issuer: 'X', directory: directoryOf([revoked]) });
    expect(await failure(() => other.administrators('alice'))).toBe(own);
  });

  it('a notifier failure without onNotifyError tells nobody, and a hook that throws reaches onError with its cause', async () => {
    const errors: OtpError[] = [];
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    h.notifier.failing = true;
    const quiet = createGate({ store: h.store, issuer: 'X', clock: { now: () => h.now }, notifier: h.notifier, onError: (e) => errors.push(e) });
    expect(await quiet.verify('alice', h.code(secret))).toMatchObject({ ok: true });
    expect(errors).toEqual([]);
    const thrown = new Error('hook broken');
    const loud = createGate({
      store: h.store,
      issuer: 'X',
      clock: { now: () => h.now },
      notifier: h.notifier,
      onNotifyError: () => {
        throw thrown;
      },
      onError: (e) => errors.push(e),
    });
    h.advance(30_000);
    expect(await loud.verify('alice', h.code(secret))).toMatchObject({ ok: true });
    expect(errors).toMatchObject([{ code: 'ERR_OPTIONS', message: 'onNotifyError threw; the gate went on', cause: thrown }]);
  });

  it('without a directory, pendingResets does not even read the store', async () => {
    let listed = 0;
    const inner = createMemoryStore();
    const store: MfaStore = { get: (id) => inner.get(id), compareAndSet: (id, v, r) => inner.compareAndSet(id, v, r), listOpenResets: async () => (listed++, []) };
    expect(await createGate({ store, issuer: 'X' }).pendingResets('root')).toEqual([]);
    expect(listed).toBe(0);
  });

  it('with a directory but no notifier, a reset request is stored and resolves', async () => {
    const store = createMemoryStore();
    const now = Date.UTC(2026, 0, 1) + 15_000;
    const gate = createGate({ store, issuer: 'X', clock: { now: () => now }, directory: { administratorsOf: async () => [{ id: 'root', name: 'Root' }], isAdministratorOf: async () => true } });
    await gate.importEnrollment('alice', { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
    expect(await gate.requestReset('alice', { to: 'root' })).toMatchObject({ to: ['root'] });
    expect(await gate.pendingResets('root')).toMatchObject([{ userId: 'alice', to: ['root'] }]);
  });

  it('a gate without a notifier flushes nothing of what another gate queued, and leaves it queued', async () => {
    const h = harness();
    h.notifier.failing = true;
    await h.gate.postpone('alice').catch(() => {});
    const before = await h.store.get('alice');
    const silent = createGate({ store: h.store, issuer: 'X', clock: { now: () => h.now } });
    expect(await silent.flushNotifications('alice')).toEqual({ delivered: 0, remaining: 1 });
    expect(await h.store.get('alice')).toEqual(before);
  });

  it('a cipher answering something that is not a base32 secret, or not at all, is refused saying so', async () => {
    const h = harness({ cipher: { encrypt: async (plain) => `sealed:${plain}`, decrypt: async () => 'not base32 at all!' } });
    await h.gate.beginEnrollment('alice');
    expect(await failure(() => h.gate.confirmEnrollment('alice', '123456'))).toMatchObject({
      code: 'ERR_CIPHER',
      message: 'the cipher returned something that is not a base32 secret',
    });
    for (const answer of ['JBSWY3DPEHPK3PX!', 'jbswy3dpehpk3pxp', ' JBSWY3DPEHPK3PXP']) {
      const odd = createGate({ store: h.store, issuer: 'X', clock: { now: () => h.now }, cipher: { encrypt: async (p) => p, decrypt: async () => answer } });
      expect(await failure(() => odd.confirmEnrollment('alice', '123456'))).toMatchObject({ message: 'the cipher returned something that is not a base32 secret' });
    }
    const hanging = createGate({ store: h.store, issuer: 'X', clock: { now: () => h.now }, timeoutMs: 20, cipher: { encrypt: async (p) => p, decrypt: () => new Promise(() => {}) } });
    expect(await failure(() => hanging.confirmEnrollment('alice', '123456'))).toMatchObject({ code: 'ERR_CIPHER', message: 'cipher.decrypt did not answer within 20 ms' });
  });

  it('a context must be JSON of at most 4096 characters, saying so; options must be an object', async () => {
    const h = harness();
    const exactly = { pad: 'x'.repeat(4096 - '{"pad":""}'.length) };
    expect(JSON.stringify(exactly)).toHaveLength(4096);
    expect(await h.gate.nextStep('alice', { context: exactly })).toMatchObject({ step: 'setup' });
    const over = { pad: `${exactly.pad}x` };
    expect(await failure(() => h.gate.nextStep('alice', { context: over }))).toMatchObject({ code: 'ERR_OPTIONS', message: 'context must be at most 4096 characters as JSON' });
    for (const context of [1n, () => 1, Symbol('s')]) {
      expect(await failure(() => h.gate.nextStep('alice', { context: context as never }))).toMatchObject({ code: 'ERR_OPTIONS', message: 'context must be a JSON value' });
    }
    expect(await failure(() => h.gate.postpone('alice', 'attempt-1' as never))).toMatchObject({ code: 'ERR_OPTIONS', message: 'postpone: options must be an object' });
  });

  it('a clock that is a function with now is refused all the same', async () => {
    const clock = Object.assign(() => 0, { now: () => 0 });
    expect(await failure(() => createGate({ store: createMemoryStore(), issuer: 'X', clock: clock as never }))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'clock.now must be a function',
    });
  });
});

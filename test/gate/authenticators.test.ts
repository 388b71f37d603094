// The gate's second edition, first part (issue 12): several authenticators,
// re-authentication for sensitive actions, the recovery-code lifecycle and
// the status a settings page shows.
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/gate/gate.js';
import { initialRecord, parseGateRecord } from '../../src/gate/record.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { codeOf, enroll, harness } from './harness.js';

type H = ReturnType<typeof harness>;

/** Adds an authenticator to an enrolled user, re-authenticating with `secret`; returns the new secret. */
async function add(h: H, userId: string, secret: string, label?: string): Promise<string> {
  const begun = await h.gate.beginEnrollment(userId, { code: h.code(secret), ...(label === undefined ? {} : { label }) });
  h.advance(30_000);
  const confirmed = await h.gate.confirmEnrollment(userId, h.code(begun.secret));
  expect(confirmed).toEqual({ ok: true, recoveryCodes: [] });
  h.advance(30_000);
  return begun.secret;
}

const wrong = (code: string) => (code === '000000' ? '111111' : '000000');

describe('several authenticators', () => {
  it('a code of any of them logs in, each with its own replay floor; failures count for the user', async () => {
    const h = harness({ policy: { throttle: { lockAfter: 3 } } });
    const { secret: phone } = await enroll(h, 'alice');
    const spare = await add(h, 'alice', phone, 'Spare');
    const phoneCode = h.code(phone);
    const spareCode = h.code(spare);
    expect(await h.gate.verify('alice', phoneCode)).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    // The spare's floor is its own: its code of the same step still works once.
    expect(await h.gate.verify('alice', spareCode)).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(await h.gate.verify('alice', spareCode)).toEqual({ ok: false, reason: 'replayed' });
    expect(await h.gate.verify('alice', phoneCode)).toEqual({ ok: false, reason: 'replayed' });
    expect(await h.gate.verify('alice', wrong(phoneCode))).toMatchObject({ ok: false, reason: 'invalid', retryAt: expect.any(Number) });
    const list = await h.gate.authenticators('alice');
    expect(list.map((a) => [a.label, a.type, a.lastUsedAt])).toEqual([
      ['Authenticator app', 'totp', h.now],
      ['Spare', 'totp', h.now],
    ]);
    expect(JSON.stringify(list)).not.toContain(phone);
    // Re-authentication for the spare, then one login with each.
    const verified = h.events.filter((e) => e.type === 'verified').map((e) => (e as { authenticatorId?: string }).authenticatorId);
    expect(verified).toEqual([list[0]!.id, list[0]!.id, list[1]!.id]);
  });

  it('at most policy.authenticators.max', async () => {
    const h = harness({ policy: { authenticators: { max: 2 } } });
    const { secret } = await enroll(h, 'alice');
    await add(h, 'alice', secret);
    expect(await codeOf(h.gate.beginEnrollment('alice', { code: h.code(secret) }))).toBe('ERR_LIMIT');
  });

  it('a set-up begun below the maximum and confirmed after another was added meanwhile is refused as limit, its secret discarded', async () => {
    const h = harness({ policy: { authenticators: { max: 2 } } });
    const { secret: phone } = await enroll(h, 'alice');
    h.advance(30_000);
    const begun = await h.gate.beginEnrollment('alice', { code: h.code(phone), label: 'Tablet' });
    // Meanwhile another authenticator brings alice to the maximum.
    const spare = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await h.gate.importEnrollment('alice', { secret: spare, add: true, label: 'Spare' });
    h.advance(30_000);
    const code = h.code(begun.secret);
    const failures = (await h.record('alice')).throttle.failures;
    const enrolledEvents = () => h.events.filter((e) => e.type === 'enrolled').length;
    const enrolledBefore = enrolledEvents();
    expect(await h.gate.confirmEnrollment('alice', code)).toEqual({ ok: false, reason: 'limit' });
    expect((await h.gate.authenticators('alice')).map((a) => a.label)).toEqual(['Authenticator app', 'Spare']);
    const record = await h.record('alice');
    expect(record.pending).toBeNull();
    // A right code is not a failure, and nothing was enrolled.
    expect(record.throttle.failures).toBe(failures);
    expect(h.events.at(-1)).toMatchObject({ type: 'enrollment-discarded', reason: 'limit' });
    expect(enrolledEvents()).toBe(enrolledBefore);
    // The discarded secret's code logs in nowhere; a second "Verify and Save" has nothing to confirm.
    expect(await h.gate.verify('alice', code)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await h.gate.confirmEnrollment('alice', code)).toEqual({ ok: false, reason: 'already-enrolled' });
    expect(await h.gate.authenticators('alice')).toHaveLength(2);
  });

  it('an import of a first authenticator ends the set-up begun before it; one imported with add keeps the set-up begun while enrolled', async () => {
    const h = harness({ policy: { authenticators: { max: 3 } } });
    const begun = await h.gate.beginEnrollment('alice');
    await h.gate.importEnrollment('alice', { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
    expect((await h.record('alice')).pending).toBeNull();
    // Its code would otherwise add a second authenticator with no re-authentication.
    expect(await h.gate.confirmEnrollment('alice', h.code(begun.secret))).toEqual({ ok: false, reason: 'already-enrolled' });
    expect(await h.gate.authenticators('alice')).toHaveLength(1);

    const { secret: phone } = await enroll(h, 'bob');
    h.advance(30_000);
    const adding = await h.gate.beginEnrollment('bob', { code: h.code(phone), label: 'Tablet' });
    await h.gate.importEnrollment('bob', { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', add: true, label: 'Spare' });
    expect((await h.record('bob')).pending).not.toBeNull();
    h.advance(30_000);
    expect(await h.gate.confirmEnrollment('bob', h.code(adding.secret))).toEqual({ ok: true, recoveryCodes: [] });
    expect((await h.gate.authenticators('bob')).map((a) => a.label)).toEqual(['Authenticator app', 'Spare', 'Tablet']);
  });

  it('a wrong re-authentication code is counted and refused with ERR_REAUTH_FAILED; none is ERR_REAUTH_REQUIRED', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    expect(await codeOf(h.gate.beginEnrollment('alice'))).toBe('ERR_REAUTH_REQUIRED');
    expect(await codeOf(h.gate.beginEnrollment('alice', { code: wrong(h.code(secret)) }))).toBe('ERR_REAUTH_FAILED');
    expect((await h.record('alice')).throttle.failures).toBe(1);
    expect(h.events.at(-1)).toMatchObject({ type: 'code-refused', during: 're-authentication' });
    // A recovery code re-authenticates too, and is used up.
    const { recoveryCodes } = await enroll(h, 'bob');
    await h.gate.beginEnrollment('bob', { code: recoveryCodes[0]! });
    expect((await h.gate.status('bob')).recoveryCodesLeft).toBe(9);
  });

  it('rename and remove; the last one cannot go where required, and goes with the recovery codes where not', async () => {
    const h = harness({ policy: { required: (userId) => userId !== 'dave' } });
    const { secret } = await enroll(h, 'alice');
    const spare = await add(h, 'alice', secret);
    const [first, second] = await h.gate.authenticators('alice');
    await h.gate.renameAuthenticator('alice', second!.id, 'Tablet');
    expect(await codeOf(h.gate.renameAuthenticator('alice', 'nope', 'X'))).toBe('ERR_NOT_FOUND');
    expect(await codeOf(h.gate.renameAuthenticator('alice', second!.id, '\u0007bell'))).toBe('ERR_OPTIONS');
    expect(await codeOf(h.gate.removeAuthenticator('alice', first!.id))).toBe('ERR_REAUTH_REQUIRED');
    expect(await h.gate.removeAuthenticator('alice', first!.id, { code: wrong(h.code(spare)) })).toEqual({ ok: false, reason: 'invalid' });
    expect(await h.gate.removeAuthenticator('alice', first!.id, { code: h.code(spare) })).toEqual({ ok: true });
    expect((await h.gate.authenticators('alice')).map((a) => a.label)).toEqual(['Tablet']);
    h.advance(30_000);
    // The removed phone no longer logs in; the tablet does.
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: false, reason: 'invalid' });
    expect(await h.gate.verify('alice', h.code(spare))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    h.advance(30_000);
    expect(await codeOf(h.gate.removeAuthenticator('alice', second!.id, { code: h.code(spare) }))).toBe('ERR_REQUIRED');

    const { secret: daves } = await enroll(h, 'dave');
    const [only] = await h.gate.authenticators('dave');
    expect(await h.gate.removeAuthenticator('dave', only!.id, { code: h.code(daves) })).toEqual({ ok: true });
    expect(await h.gate.status('dave')).toMatchObject({ state: 'none', authenticators: [], recoveryCodesLeft: 0, enabled: false });
    expect(await h.gate.nextStep('dave')).toEqual({ step: 'allow' });
  });

  it('an administrator reset clears every authenticator', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    await add(h, 'alice', secret);
    await h.gate.reset('root', 'alice');
    expect(await h.gate.status('alice')).toMatchObject({ state: 'none', authenticators: [], required: true });
    const record = await h.record('alice');
    expect(record.active).toBeNull();
    expect(record.additional).toEqual([]);
  });
});

describe('recovery codes', () => {
  it('regenerate after a fresh code: new ones work, old ones do not; the count and a low warning are reported', async () => {
    const h = harness({ policy: { recovery: { count: 5, warnBelow: 2 } } });
    const { secret, recoveryCodes: old } = await enroll(h, 'alice');
    expect(await codeOf(h.gate.regenerateRecoveryCodes('alice'))).toBe('ERR_REAUTH_REQUIRED');
    const renewed = await h.gate.regenerateRecoveryCodes('alice', { code: h.code(secret) });
    if (!renewed.ok) throw new Error(renewed.reason);
    expect(renewed.recoveryCodes).toHaveLength(5);
    expect(await h.gate.verify('alice', old[0]!)).toEqual({ ok: false, reason: 'invalid' });
    const fresh = renewed.recoveryCodes;
    for (let i = 0; i < 3; i++) expect(await h.gate.verify('alice', fresh[i]!)).toMatchObject({ ok: true, recoveryCodesLeft: 4 - i });
    expect(h.events.filter((e) => e.type === 'recovery-codes-low')).toMatchObject([{ remaining: 2 }]);
    expect(h.events.filter((e) => e.type === 'recovery-codes-regenerated')).toMatchObject([{ count: 5 }]);
    expect((await h.gate.status('alice')).recoveryCodesLeft).toBe(2);
    expect(await codeOf(h.gate.regenerateRecoveryCodes('nobody', { code: '123456' }))).toBe('ERR_NOT_ENROLLED');
  });
});

describe('status', () => {
  it('says what a settings page needs, and reads only', async () => {
    const h = harness({ policy: { required: (userId) => userId !== 'dave' } });
    expect(await h.gate.status('alice')).toEqual({
      state: 'none',
      required: true,
      enabled: true,
      enrolledAt: null,
      authenticators: [],
      recoveryCodesLeft: 0,
      locked: null,
      resetRequest: null,
      postponesLeft: 2,
      trustedDevices: [],
    });
    expect(await h.gate.status('dave')).toMatchObject({ required: false, enabled: false });
    const { secret } = await enroll(h, 'alice');
    await h.gate.verify('alice', wrong(h.code(secret)));
    const { requestId } = await h.gate.requestReset('alice', { to: 'root' });
    const status = await h.gate.status('alice');
    expect(status).toMatchObject({ state: 'enrolled', recoveryCodesLeft: 10, locked: null, resetRequest: { requestId, to: ['root'] }, postponesLeft: 0 });
    expect(status.authenticators).toHaveLength(1);
    expect(status.enrolledAt).toBe(status.authenticators[0]!.createdAt);
  });
});

describe('records of the first edition', () => {
  it('read as one authenticator with the id "primary", and keep working when more are added', async () => {
    const store = createMemoryStore();
    let now = Date.UTC(2026, 0, 1) + 15_000;
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const { totp } = await import('../../src/core/totp.js');
    // A record exactly as the first release wrote it: no ids, no labels, no `additional`.
    const legacy = {
      ...initialRecord(),
      state: 'enrolled',
      active: { secret, wrapped: false, algorithm: 'SHA1', digits: 6, period: 30, enrolledAt: now - 60_000, lastStep: Math.floor(now / 30_000) - 1, drift: 0 },
    };
    await store.compareAndSet('alice', null, legacy as never);
    const gate = createGate({ store, issuer: 'X', clock: { now: () => now } });
    expect(await gate.authenticators('alice')).toEqual([{ id: 'primary', type: 'totp', label: 'Authenticator app', createdAt: now - 60_000, lastUsedAt: null }]);
    expect(await gate.verify('alice', totp(secret, { now }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
    now += 30_000;
    const begun = await gate.beginEnrollment('alice', { code: totp(secret, { now }) });
    now += 30_000;
    await gate.confirmEnrollment('alice', totp(begun.secret, { now }));
    const record = parseGateRecord((await store.get('alice'))!.record);
    expect(record.active?.secret).toBe(secret);
    expect(record.active?.id).toBeUndefined();
    expect(record.additional).toHaveLength(1);
    now += 30_000;
    expect(await gate.removeAuthenticator('alice', 'primary', { code: totp(begun.secret, { now }) })).toEqual({ ok: true });
    expect((await gate.authenticators('alice')).map((a) => a.id)).toEqual([record.additional![0]!.id]);
  });
});

describe('remembered devices', () => {
  const on = { trustedDevices: { enabled: true, ttlMs: 86_400_000, max: 2 } };

  it('a remembered browser skips the code until it expires; only a hash is stored', async () => {
    const h = harness({ policy: on });
    const { secret } = await enroll(h, 'alice');
    const result = await h.gate.verify('alice', h.code(secret), { rememberDevice: { label: 'Firefox' } });
    if (!result.ok || result.deviceToken === undefined) throw new Error('no device token');
    const token = result.deviceToken;
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await h.store.get('alice'))).not.toContain(token);
    expect(await h.gate.nextStep('alice', { deviceToken: token })).toEqual({ step: 'allow', remembered: true });
    expect(await h.gate.nextStep('alice', { deviceToken: 'f'.repeat(64) })).toEqual({ step: 'code' });
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'code' });
    // Another user's token is nothing to alice.
    expect(await h.gate.nextStep('bob', { deviceToken: token })).toMatchObject({ step: 'setup' });
    expect(await h.gate.trustedDevices('alice')).toEqual([{ id: expect.any(String), label: 'Firefox', createdAt: h.now, expiresAt: h.now + 86_400_000 }]);
    h.advance(86_400_000);
    expect(await h.gate.nextStep('alice', { deviceToken: token })).toEqual({ step: 'code' });
    expect(await h.gate.trustedDevices('alice')).toEqual([]);
  });

  it('a lock beats a remembered device; at most max are kept, the oldest forgotten first', async () => {
    const h = harness({ policy: on });
    const { secret } = await enroll(h, 'alice');
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await h.gate.verify('alice', h.code(secret), { rememberDevice: {} });
      tokens.push((result as { deviceToken: string }).deviceToken);
      h.advance(30_000);
    }
    expect(await h.gate.nextStep('alice', { deviceToken: tokens[0]! })).toEqual({ step: 'code' });
    expect(await h.gate.nextStep('alice', { deviceToken: tokens[2]! })).toMatchObject({ remembered: true });
    for (let i = 0; i < 5; i++) await h.gate.verify('alice', wrong(h.code(secret)));
    expect(await h.gate.nextStep('alice', { deviceToken: tokens[2]! })).toMatchObject({ step: 'locked' });
  });

  it('forgetting one or all, a reset, turning 2-step off, removing an authenticator and new recovery codes forget devices', async () => {
    const h = harness({ policy: { ...on, required: false, trustedDevices: { ...on.trustedDevices, max: 10 } } });
    const { secret } = await enroll(h, 'alice');
    const remember = async () => {
      const result = await h.gate.verify('alice', h.code(secret), { rememberDevice: {} });
      h.advance(30_000);
      return (result as { deviceToken: string }).deviceToken;
    };
    const a = await remember();
    const b = await remember();
    const [first] = await h.gate.trustedDevices('alice');
    expect(await h.gate.forgetDevice('alice', first!.id)).toBe(true);
    expect(await h.gate.forgetDevice('alice', first!.id)).toBe(false);
    expect(await h.gate.nextStep('alice', { deviceToken: a })).toEqual({ step: 'code' });
    expect(await h.gate.nextStep('alice', { deviceToken: b })).toMatchObject({ remembered: true });
    expect(await h.gate.forgetAllDevices('alice')).toBe(1);
    expect(await h.gate.nextStep('alice', { deviceToken: b })).toEqual({ step: 'code' });

    for (const action of [
      () => h.gate.regenerateRecoveryCodes('alice', { code: h.code(secret) }),
      () => h.gate.reset('root', 'alice'),
    ]) {
      const token = await remember();
      await action();
      h.advance(30_000);
      expect((await h.gate.status('alice')).trustedDevices).toEqual([]);
      expect((await h.gate.nextStep('alice', { deviceToken: token })).step).not.toBe('allow');
    }
  });

  it('rememberDevice where the policy does not enable it is ERR_OPTIONS', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    expect(await codeOf(h.gate.verify('alice', h.code(secret), { rememberDevice: {} }))).toBe('ERR_OPTIONS');
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
  });
});

describe('importEnrollment', () => {
  it('brings an existing TOTP user in as enrolled: their phone keeps working, the current step is spent', async () => {
    const h = harness();
    const { totp } = await import('../../src/core/totp.js');
    const legacy = 'jbsw y3dp ehpk 3pxp'; // 80 bits, as an old app stored it
    expect(await h.gate.importEnrollment('alice', { secret: legacy, label: 'Phone (imported)' })).toEqual({ authenticatorId: expect.any(String) });
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'code' });
    // The step of the import is the replay floor: a code just used at the old app does not work twice.
    expect(await h.gate.verify('alice', totp('JBSWY3DPEHPK3PXP', { now: new Date(h.now) }))).toEqual({ ok: false, reason: 'replayed' });
    h.advance(30_000);
    expect(await h.gate.verify('alice', totp('JBSWY3DPEHPK3PXP', { now: new Date(h.now) }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
    expect(await h.gate.status('alice')).toMatchObject({ recoveryCodesLeft: 0, authenticators: [{ label: 'Phone (imported)' }] });
    expect(h.events.filter((e) => e.type === 'enrolled')).toMatchObject([{ recoveryCodes: 0 }]);
  });

  it('keeps the code options and the old replay floor, refuses an enrolled user unless add, and bad input', async () => {
    const h = harness();
    const { totp } = await import('../../src/core/totp.js');
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const step = Math.floor(h.now / 60_000);
    await h.gate.importEnrollment('bob', { secret, algorithm: 'SHA256', digits: 8, period: 60, lastStep: step - 1 });
    expect(await h.gate.verify('bob', totp(secret, { algorithm: 'SHA256', digits: 8, period: 60, now: new Date(h.now) }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
    expect(await codeOf(h.gate.importEnrollment('bob', { secret }))).toBe('ERR_STATE');
    await h.gate.importEnrollment('bob', { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', add: true });
    expect(await h.gate.authenticators('bob')).toHaveLength(2);
    for (const bad of [{ secret: 'not base32!' }, { secret: 'AAAAAAAA' }, { secret, digits: 5 }, { secret, period: 0 }, { secret, algorithm: 'MD5' }, { secret, colour: 'red' }]) {
      expect(['ERR_BASE32', 'ERR_OPTIONS']).toContain(await codeOf(h.gate.importEnrollment('carol', bad as never)));
    }
    expect(await h.store.get('carol')).toBeNull();
  });

  it('wraps the imported secret with the cipher', async () => {
    const { createAesGcmCipher } = await import('../../src/gate/aes-gcm.js');
    const h = harness({ cipher: createAesGcmCipher({ key: new Uint8Array(32).fill(7) }) });
    await h.gate.importEnrollment('alice', { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
    const record = await h.record('alice');
    expect(record.active).toMatchObject({ wrapped: true });
    expect(JSON.stringify(record)).not.toContain('JBSWY3DPEHPK3PXP');
  });
});

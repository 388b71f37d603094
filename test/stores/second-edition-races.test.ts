// Races of the gate's second edition (issue 12), between two servers (gates)
// on one store: the memory store, and PostgreSQL where it is configured, so
// the database's compare-and-set decides.
import { afterAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { createAesGcmCipher } from '../../src/gate/aes-gcm.js';
import { createGate, type Gate } from '../../src/gate/gate.js';
import type { Policy } from '../../src/gate/policy.js';
import { parseGateRecord } from '../../src/gate/record.js';
import { rewrapSecrets } from '../../src/gate/rewrap.js';
import type { MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { freshPostgresStore } from './fresh-postgres.js';

const pgUrl = process.env['OTPGATE_PG_URL'];
if (!pgUrl) console.warn('test/stores/second-edition-races.test.ts: PostgreSQL cases SKIPPED, OTPGATE_PG_URL is not set');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => {});
});

const stores: Array<[string, () => Promise<MfaStore>]> = [['memory', async () => createMemoryStore()]];
if (pgUrl) stores.push(['postgres', () => freshPostgresStore(pgUrl, 'races2', cleanups, 8)]);

const T0 = Date.UTC(2032, 0, 1) + 15_000;
const settle = <T>(promises: Array<Promise<T>>) => Promise.allSettled(promises);

describe.each(stores)('%s: two servers at once', (_, open) => {
  const servers = async (policy: Policy = {}, extra: Partial<Parameters<typeof createGate>[0]> = {}) => {
    const store = await open();
    let now = T0;
    const clock = { now: () => now };
    const make = () =>
      createGate({
        store,
        issuer: 'Race',
        clock,
        policy,
        directory: { administratorsOf: async () => [{ id: 'root', name: 'Root' }], isAdministratorOf: async (a, u) => a === 'root' && u !== 'root' },
        ...extra,
      });
    return { store, a: make(), b: make(), advance: (ms: number) => void (now += ms), get now() { return now; } };
  };
  const enrollTwo = async (gate: Gate, userId: string, at: () => number, advance: (ms: number) => void) => {
    const { secret: first } = await gate.beginEnrollment(userId);
    await gate.confirmEnrollment(userId, totp(first, { now: new Date(at()) }));
    advance(30_000);
    const { secret: second } = await gate.beginEnrollment(userId, { code: totp(first, { now: new Date(at()) }) });
    advance(30_000);
    await gate.confirmEnrollment(userId, totp(second, { now: new Date(at()) }));
    advance(30_000);
    return [first, second] as const;
  };

  it('removing the last two authenticators where required leaves one', async () => {
    const s = await servers({ required: true });
    const [first, second] = await enrollTwo(s.a, 'alice', () => s.now, s.advance);
    const [x, y] = await s.a.authenticators('alice');
    const results = await settle([
      s.a.removeAuthenticator('alice', x!.id, { code: totp(second, { now: new Date(s.now) }) }),
      s.b.removeAuthenticator('alice', y!.id, { code: totp(first, { now: new Date(s.now) }) }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.ok)).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as { code: string }).code)).toEqual(['ERR_REQUIRED']);
    expect(await s.a.authenticators('alice')).toHaveLength(1);
  });

  it('a device remembered while an administrator resets is never trusted after the reset', async () => {
    for (let round = 0; round < 10; round++) {
      const s = await servers({ trustedDevices: { enabled: true } });
      const { secret } = await s.a.beginEnrollment('alice');
      await s.a.confirmEnrollment('alice', totp(secret, { now: new Date(s.now) }));
      s.advance(30_000);
      const [verified] = await Promise.allSettled([
        s.a.verify('alice', totp(secret, { now: new Date(s.now) }), { rememberDevice: {} }),
        s.b.reset('root', 'alice'),
      ] as const);
      const token = verified.status === 'fulfilled' && verified.value.ok ? verified.value.deviceToken : undefined;
      expect((await s.a.status('alice')).trustedDevices).toEqual([]);
      if (token !== undefined) expect((await s.b.nextStep('alice', { deviceToken: token })).step).toBe('setup');
    }
  });

  it('two imports of the same user make one enrollment', async () => {
    const s = await servers();
    const results = await settle([
      s.a.importEnrollment('alice', { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }),
      s.b.importEnrollment('alice', { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as { code: string }).code)).toEqual(['ERR_STATE']);
    expect(await s.a.authenticators('alice')).toHaveLength(1);
  });

  it('a rewrap racing a verify loses neither the secret nor the step', async () => {
    const keyA = new Uint8Array(32).fill(5);
    const keyB = new Uint8Array(32).fill(6);
    const s = await servers({}, { cipher: createAesGcmCipher({ keys: { a: keyA }, current: 'a' }) });
    const { secret } = await s.a.beginEnrollment('alice');
    await s.a.confirmEnrollment('alice', totp(secret, { now: new Date(s.now) }));
    const rotated = createAesGcmCipher({ keys: { a: keyA, b: keyB }, current: 'b' });
    const verifier = createGate({ store: s.store, issuer: 'Race', clock: { now: () => s.now }, cipher: rotated });
    for (let round = 0; round < 10; round++) {
      s.advance(30_000);
      const code = totp(secret, { now: new Date(s.now) });
      const [verified] = await Promise.all([verifier.verify('alice', code), rewrapSecrets({ store: s.store, cipher: rotated })]);
      expect(verified).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
      // The step stays spent whichever write came last.
      expect(await verifier.verify('alice', code)).toEqual({ ok: false, reason: 'replayed' });
    }
    const record = parseGateRecord((await s.store.get('alice'))!.record);
    expect(record.active!.secret).toMatch(/^v2\.b\./);
    expect(record.active!.lastStep).toBe(Math.floor(s.now / 30_000));
  });
});

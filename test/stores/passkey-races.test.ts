// Races of passkeys (issue 15) between two servers (gates), each with its own
// connection to one store: memory, SQLite (two connections to one file),
// PostgreSQL and Redis (both client libraries, and a cluster where one is
// configured), the Kysely and Drizzle stores on PostgreSQL, MariaDB and
// SQLite, and the Durable Object store inside workerd (every store call of
// either server its own request to the Worker, so the user's object
// decides). Every answer is verified by the shell before the decision,
// but the challenge, the counter and the failure count change in one
// compare-and-set: two answers to one challenge give one success, on every
// store, and the loser is told `replayed` from the record the winner wrote.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createGate, type Gate } from '../../src/gate/gate.js';
import { parseGateRecord } from '../../src/gate/record.js';
import type { MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { SoftPasskey } from '../gate/soft-passkey.js';
import { startDurableObjects, type DurableObjectsInWorkerd } from './durable-object-remote.js';
import { locationOf } from './sql-clients.js';
import { openAdmin } from './sql-suite.js';
import { openStore, redisClusterUrls, type StoreTarget } from './targets.js';

const pgUrl = process.env['OTPGATE_PG_URL'];
const redisUrl = process.env['OTPGATE_REDIS_URL'];
if (!pgUrl) console.warn('test/stores/passkey-races.test.ts: PostgreSQL SKIPPED, OTPGATE_PG_URL is not set');
if (!redisUrl) console.warn('test/stores/passkey-races.test.ts: Redis SKIPPED, OTPGATE_REDIS_URL is not set');
if (!redisClusterUrls) console.warn('test/stores/passkey-races.test.ts: Redis Cluster SKIPPED, OTPGATE_REDIS_CLUSTER_URLS is not set');

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const dir = mkdtempSync(join(tmpdir(), 'otpgate-passkey-races-'));
const table = `otpgate_passkey_races_${run}`;
const prefix = (flavor: string) => `otpgate-test:passkeys:${run}:${flavor}:`;
const closers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  if (pgUrl) {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS "${table}"`);
    await client.end();
  }
  for (const dialect of ['postgres', 'mysql'] as const) {
    const location = locationOf(dialect, '');
    if (location === undefined) continue;
    const admin = await openAdmin(dialect, location);
    const q = dialect === 'mysql' ? '`' : '"';
    for (const builder of ['kysely', 'drizzle']) await admin.query(`DROP TABLE IF EXISTS ${q}${table}_${builder}${q}`);
    await admin.close();
  }
  if (redisUrl) {
    const admin = new Redis(redisUrl);
    const keys = await admin.keys(`otpgate-test:passkeys:${run}:*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  }
});

/** Two stores on one backend: each server has its own connection, so the backend's compare-and-set decides. */
type Pair = () => Promise<[MfaStore, MfaStore]>;

// The Durable Object store: one workerd for the file, started by the first test that needs it.
let objects: Promise<DurableObjectsInWorkerd> | undefined;
closers.push(async () => (await objects)?.dispose());

async function opened(target: StoreTarget): Promise<MfaStore> {
  const { store, close } = await openStore(target);
  closers.push(close);
  return store;
}

const backends: Array<[string, Pair | undefined]> = [
  [
    'memory',
    async () => {
      const store = createMemoryStore();
      return [store, store];
    },
  ],
  ['sqlite', async () => [await opened({ kind: 'sqlite', file: join(dir, 'races.db'), table }), await opened({ kind: 'sqlite', file: join(dir, 'races.db'), table })]],
  ['postgres', pgUrl ? async () => [await opened({ kind: 'postgres', url: pgUrl, table }), await opened({ kind: 'postgres', url: pgUrl, table })] : undefined],
  // One server batching, the other not: both kinds of statement decide together.
  ['postgres, batch on one side', pgUrl ? async () => [await opened({ kind: 'postgres', url: pgUrl, table, batch: true }), await opened({ kind: 'postgres', url: pgUrl, table })] : undefined],
  ...(['ioredis', 'node-redis'] as const).map((kind): [string, Pair | undefined] => [
    `redis (${kind})`,
    redisUrl ? async () => [await opened({ kind, url: redisUrl, prefix: prefix(kind) }), await opened({ kind, url: redisUrl, prefix: prefix(kind) })] : undefined,
  ]),
  ...(['kysely', 'drizzle'] as const).flatMap((kind) =>
    (['postgres', 'mysql', 'sqlite'] as const).map((dialect): [string, Pair | undefined] => {
      const location = locationOf(dialect, join(dir, `${kind}.db`));
      const target: StoreTarget | undefined = location === undefined ? undefined : { kind, dialect, location, table: `${table}_${kind}` };
      return [`${kind} on ${dialect}`, target === undefined ? undefined : async () => [await opened(target), await opened(target)]];
    }),
  ),
  [
    'durable-object (in workerd)',
    async () => {
      objects ??= startDurableObjects();
      const workerd = await objects;
      return [workerd.store(prefix('do')), workerd.store(prefix('do'))];
    },
  ],
  [
    'redis cluster (ioredis)',
    redisClusterUrls
      ? async () => [
          await opened({ kind: 'ioredis-cluster', urls: redisClusterUrls!, prefix: prefix('cluster') }),
          await opened({ kind: 'ioredis-cluster', urls: redisClusterUrls!, prefix: prefix('cluster') }),
        ]
      : undefined,
  ],
];

const RP = { rpId: 'example.com', origin: 'https://example.com' } as const;
const T0 = Date.UTC(2033, 0, 1);
const ROUNDS = 12;
let serial = 0;

describe.each(backends)('%s: two servers answer one passkey challenge at once', (_, pair) => {
  const servers = async () => {
    const [rawFirst, rawSecond] = await pair!();
    const lost = { count: 0 };
    const counting = (store: MfaStore): MfaStore => ({
      get: (userId) => store.get(userId),
      listOpenResets: () => store.listOpenResets(),
      compareAndSet: async (userId, expected, next) => {
        const written = await store.compareAndSet(userId, expected, next);
        if (!written) lost.count++;
        return written;
      },
    });
    const first = counting(rawFirst);
    const second = counting(rawSecond);
    const clock = { now: () => T0 };
    const make = (store: MfaStore): Gate =>
      createGate({
        store,
        issuer: 'Race',
        clock,
        directory: { administratorsOf: async () => [{ id: 'root', name: 'Root' }], isAdministratorOf: async (a, u) => a === 'root' && u !== 'root' },
      });
    return { a: make(first), b: make(second), store: first, lost };
  };
  const user = (what: string) => `${what}-${run}-${serial++}`;

  async function enrolled(gate: Gate, userId: string): Promise<SoftPasskey> {
    const key = new SoftPasskey();
    const options = await gate.beginPasskeyRegistration(userId, RP);
    const result = await gate.confirmPasskeyRegistration(userId, key.register(options, RP.origin));
    if (!result.ok) throw new Error(`registration refused: ${result.reason}`);
    return key;
  }

  it.skipIf(pair === undefined)('the same assertion sent to both: one success, the other replayed, every round', async () => {
    const s = await servers();
    for (let round = 0; round < ROUNDS; round++) {
      const userId = user('twice');
      const key = await enrolled(s.a, userId);
      const answer = key.login(await s.a.beginPasskeyLogin(userId, RP), RP.origin);
      const results = await Promise.all([s.a.verifyPasskey(userId, answer), s.b.verifyPasskey(userId, answer)]);
      expect(results.filter((r) => r.ok)).toEqual([{ ok: true, method: 'passkey', recoveryCodesLeft: 10 }]);
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'replayed' }]);
      const record = parseGateRecord((await s.store.get(userId))!.record);
      expect(record.passkeys![0]!.counter).toBe(key.counter);
      expect(record.passkeyChallenges!.filter((c) => c.kind === 'login')).toMatchObject([{ used: true }]);
      expect(record.throttle.failures).toBe(1);
    }
    // Both servers read the live challenge before either wrote, in most rounds (a lost
    // compare-and-set each): the refusal came from re-deciding on the winner's record.
    expect(s.lost.count).toBeGreaterThan(0);
  }, 120_000);

  it.skipIf(pair === undefined)('six copies of one assertion across the two: exactly one success, five replays counted', async () => {
    const s = await servers();
    const userId = user('six');
    const key = await enrolled(s.a, userId);
    const answer = key.login(await s.b.beginPasskeyLogin(userId, RP), RP.origin);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? s.a : s.b).verifyPasskey(userId, answer)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replayed')).toHaveLength(5);
    expect(parseGateRecord((await s.store.get(userId))!.record).throttle.failures).toBe(5);
  }, 120_000);

  it.skipIf(pair === undefined)('the same registration sent to both: one passkey, one set of recovery codes', async () => {
    const s = await servers();
    for (let round = 0; round < ROUNDS; round++) {
      const userId = user('register');
      const options = await s.a.beginPasskeyRegistration(userId, RP);
      const answer = new SoftPasskey().register(options, RP.origin);
      const results = await Promise.all([s.a.confirmPasskeyRegistration(userId, answer), s.b.confirmPasskeyRegistration(userId, answer)]);
      const won = results.filter((r) => r.ok);
      expect(won).toHaveLength(1);
      expect(won[0]!.ok && won[0]!.recoveryCodes).toHaveLength(10);
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'already-registered' }]);
      const record = parseGateRecord((await s.store.get(userId))!.record);
      expect(record.passkeys).toHaveLength(1);
      expect(record.recoveryCodes).toHaveLength(10);
    }
  }, 120_000);

  it.skipIf(pair === undefined)('a passkey used as the proof of two actions at once proves only one', async () => {
    const s = await servers();
    const userId = user('proof');
    const key = await enrolled(s.a, userId);
    const proof = key.login(await s.a.beginPasskeyLogin(userId, RP), RP.origin);
    const results = await Promise.allSettled([s.a.regenerateRecoveryCodes(userId, { passkey: proof }), s.b.regenerateRecoveryCodes(userId, { passkey: proof })]);
    const values = results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason));
    expect(values.filter((v) => v.ok)).toHaveLength(1);
    expect(values.filter((v) => v.ok === false)).toEqual([{ ok: false, reason: 'replayed' }]);
  }, 120_000);

  it.skipIf(pair === undefined)('a passkey login racing an administrator reset: never a passkey left after the reset', async () => {
    const s = await servers();
    for (let round = 0; round < ROUNDS; round++) {
      const userId = user('reset');
      const key = await enrolled(s.a, userId);
      const answer = key.login(await s.a.beginPasskeyLogin(userId, RP), RP.origin);
      const [verified, reset] = await Promise.all([s.a.verifyPasskey(userId, answer), s.b.reset('root', userId)]);
      expect(reset).toMatchObject({ ok: true });
      // Whichever went first, the reset's write cleared the passkey and its challenges.
      expect(verified.ok || verified.reason === 'not-enrolled').toBe(true);
      expect(await s.a.authenticators(userId)).toEqual([]);
      expect(await s.b.verifyPasskey(userId, answer)).toEqual({ ok: false, reason: 'not-enrolled' });
    }
  }, 120_000);
});

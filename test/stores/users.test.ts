// The store methods of the gate's second edition (issue 12): listUsers page by
// page and delete, on the memory, SQLite and PostgreSQL stores; and what the
// gate builds on them: deleteUser, and key rotation with rewrapSecrets.
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { createAesGcmCipher } from '../../src/gate/aes-gcm.js';
import { createGate } from '../../src/gate/gate.js';
import { parseGateRecord } from '../../src/gate/record.js';
import { rewrapSecrets } from '../../src/gate/rewrap.js';
import type { MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { freshPostgresStore } from './fresh-postgres.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { createSqliteStore } from '../../src/stores/sqlite.js';
import { openDb } from './sql-clients.js';
import { openAdmin } from './sql-suite.js';
import { openRedisClient } from './targets.js';

const pgUrl = process.env['OTPGATE_PG_URL'];
const redisUrl = process.env['OTPGATE_REDIS_URL'];
if (!pgUrl) console.warn('test/stores/users.test.ts: PostgreSQL cases SKIPPED, OTPGATE_PG_URL is not set');
if (!redisUrl) console.warn('test/stores/users.test.ts: Redis cases SKIPPED, OTPGATE_REDIS_URL is not set');
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => {});
});

let serial = 0;
const stores: Array<[string, () => Promise<MfaStore>]> = [
  ['memory', async () => createMemoryStore()],
  [
    'sqlite',
    async () => {
      const db = new Database(':memory:');
      cleanups.push(async () => void db.close());
      const store = createSqliteStore({ db });
      await store.migrate();
      return store;
    },
  ],
];
if (pgUrl) stores.push(['postgres', () => freshPostgresStore(pgUrl, 'users', cleanups)]);

if (redisUrl) {
  for (const flavor of ['ioredis', 'node-redis'] as const) {
    stores.push([
      flavor,
      async () => {
        const { client, close } = await openRedisClient(flavor, { url: redisUrl });
        const prefix = `otpgate-users:${run}:${serial++}:`;
        const send = (args: string[]) => (flavor === 'ioredis' ? (client as { call(...a: string[]): Promise<unknown> }).call(args[0]!, ...args.slice(1)) : (client as { sendCommand(a: string[]): Promise<unknown> }).sendCommand(args));
        cleanups.push(async () => {
          const keys = (await send(['KEYS', `${prefix}*`])) as string[];
          if (keys.length > 0) await send(['DEL', ...keys]);
          await close();
        });
        return createRedisStore({ client, prefix });
      },
    ]);
  }
}

// The Kysely and Drizzle stores on every database that is configured.
const mysqlUrl = process.env['OTPGATE_MYSQL_URL'];
for (const builder of ['kysely', 'drizzle'] as const) {
  for (const [dialect, location] of [['postgres', pgUrl], ['mysql', mysqlUrl], ['sqlite', ':memory:']] as const) {
    if (location === undefined) continue;
    stores.push([
      `${builder} on ${dialect}`,
      async () => {
        const opened = openDb(builder, dialect, location, { max: 4 });
        const table = `otpgate_users_${run}_${serial++}`;
        cleanups.push(async () => {
          if (dialect !== 'sqlite') {
            const admin = await openAdmin(dialect, location);
            await admin.query(`DROP TABLE IF EXISTS ${dialect === 'mysql' ? `\`${table}\`` : `"${table}"`}`);
            await admin.close();
          }
          await opened.close();
        });
        const store = opened.store(table);
        await store.migrate();
        return store;
      },
    ]);
  }
}

const T0 = Date.UTC(2031, 5, 1) + 15_000;
const keyA = new Uint8Array(32).fill(0xa1);
const keyB = new Uint8Array(32).fill(0xb2);

describe.each(stores)('%s store', (name, open) => {
  it('lists every user once, page by page, and deletes one', async () => {
    const store = await open();
    const ids = Array.from({ length: 23 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
    for (const id of [...ids].reverse()) expect(await store.compareAndSet(id, null, { resetRequest: null })).toBe(true);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await store.listUsers!({ cursor, limit: 5 });
      seen.push(...page.userIds);
      cursor = page.cursor;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(cursor).toBeNull();
    // SQL and memory pages hold exactly `limit`; Redis's SCAN treats it as a hint.
    if (!name.includes('redis')) expect(pages).toBe(5);
    expect([...seen].sort()).toEqual(ids);
    expect(new Set(seen).size).toBe(ids.length);
    expect(await store.delete!('user-07')).toBe(true);
    expect(await store.delete!('user-07')).toBe(false);
    expect(await store.get('user-07')).toBeNull();
    let rest = 0;
    for (let page: string | null = null, first = true; first || page !== null; first = false) {
      const listed = await store.listUsers!({ cursor: page, limit: 1000 });
      rest += listed.userIds.length;
      page = listed.cursor;
    }
    expect(rest).toBe(22);
    await expect(store.listUsers!({ limit: 0 })).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
  });

  it('deleteUser removes everything; a rotated key re-wraps on the next write and by rewrapSecrets, and plain secrets get wrapped', async () => {
    const store = await open();
    let now = T0;
    const clock = { now: () => now };
    // Two users enrolled without a cipher, one under key a.
    const plain = createGate({ store, issuer: 'X', clock });
    const secrets: Record<string, string> = {};
    for (const userId of ['ann', 'ben']) {
      const { secret } = await plain.beginEnrollment(userId);
      await plain.confirmEnrollment(userId, totp(secret, { now: new Date(now) }));
      secrets[userId] = secret;
    }
    const underA = createGate({ store, issuer: 'X', clock, cipher: createAesGcmCipher({ keys: { a: keyA }, current: 'a' }) });
    const { secret: cat } = await underA.beginEnrollment('cat');
    await underA.confirmEnrollment('cat', totp(cat, { now: new Date(now) }));
    secrets['cat'] = cat;
    const stored = async (userId: string) => parseGateRecord((await store.get(userId))!.record).active!;
    expect(await stored('cat')).toMatchObject({ wrapped: true, secret: expect.stringMatching(/^v2\.a\./) });

    // Rotation: b is current, a still decrypts.
    const rotated = createAesGcmCipher({ keys: { a: keyA, b: keyB }, current: 'b' });
    const gate = createGate({ store, issuer: 'X', clock, cipher: rotated });
    now += 30_000;
    expect(await gate.verify('ann', totp(secrets['ann']!, { now: new Date(now) }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(await stored('ann')).toMatchObject({ wrapped: true, secret: expect.stringMatching(/^v2\.b\./) });
    const progress: number[] = [];
    const done = await rewrapSecrets({ store, cipher: rotated, pageSize: 1, onProgress: (p) => progress.push(p.users) });
    expect(done).toEqual({ users: 3, rewrapped: 2, cursor: null });
    // A page after each user (Redis's SCAN may also report empty pages on the way).
    expect(progress.at(-1)).toBe(3);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    if (!name.includes('redis')) expect(progress).toEqual([1, 2, 3]);
    for (const userId of ['ben', 'cat']) expect(await stored(userId)).toMatchObject({ secret: expect.stringMatching(/^v2\.b\./) });
    // Key a can go now: everything decrypts under b alone.
    const onlyB = createGate({ store, issuer: 'X', clock, cipher: createAesGcmCipher({ keys: { b: keyB }, current: 'b' }) });
    now += 30_000;
    for (const userId of ['ann', 'ben', 'cat']) expect(await onlyB.verify(userId, totp(secrets[userId]!, { now: new Date(now) }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(await rewrapSecrets({ store, cipher: rotated })).toMatchObject({ users: 3, rewrapped: 0 });

    expect(await onlyB.deleteUser('ben')).toBe(true);
    expect(await store.get('ben')).toBeNull();
    expect(await onlyB.deleteUser('ben')).toBe(false);
    expect(await onlyB.nextStep('ben')).toMatchObject({ step: 'setup' });
  });
});

describe('without the optional store methods', () => {
  it('deleteUser and rewrapSecrets say what the store lacks', async () => {
    const inner = createMemoryStore();
    const bare: MfaStore = { get: (id) => inner.get(id), compareAndSet: (id, v, r) => inner.compareAndSet(id, v, r), listOpenResets: () => inner.listOpenResets() };
    const gate = createGate({ store: bare, issuer: 'X' });
    await expect(gate.deleteUser('alice')).rejects.toMatchObject({ code: 'ERR_OPTIONS', message: 'deleteUser needs a store with delete()' });
    await expect(rewrapSecrets({ store: bare, cipher: createAesGcmCipher({ key: keyA }) })).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
  });

  it('a v1 secret of the single-key cipher decrypts under the rotating one, and an unknown key id is ERR_CIPHER', async () => {
    const single = createAesGcmCipher({ key: keyA });
    const v1 = await single.encrypt('JBSWY3DPEHPK3PXP', 'alice');
    const rotating = createAesGcmCipher({ keys: { old: keyA, new: keyB }, current: 'new' });
    expect(await rotating.decrypt(v1, 'alice')).toBe('JBSWY3DPEHPK3PXP');
    expect(rotating.needsRewrap!(v1)).toBe(true);
    const v2 = await rotating.encrypt('JBSWY3DPEHPK3PXP', 'alice');
    expect(rotating.needsRewrap!(v2)).toBe(false);
    expect(single.needsRewrap!(v1)).toBe(false);
    await expect(createAesGcmCipher({ keys: { other: keyB }, current: 'other' }).decrypt(v2, 'alice')).rejects.toMatchObject({ code: 'ERR_CIPHER' });
    expect(() => createAesGcmCipher({ keys: { a: keyA }, current: 'b' })).toThrow(/current must be the id of one of keys/);
    expect(() => createAesGcmCipher({ keys: { 'a.b': keyA }, current: 'a.b' })).toThrow(/key id/);
  });
});

// Records written by the first release load unchanged in today's gate, on
// every store (issue 12, "Nothing lost").
// Each case writes the first release's rows raw (its own SQL, Redis
// commands or Durable Object storage, with first-release.ts's records),
// opens today's store on them and runs checkFirstReleaseRecords. Redis
// Cluster's case lives in redis-cluster.test.ts, with every other test of
// the cluster. A store whose server is not configured is skipped, saying so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import type { MfaRecord, MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { createPostgresStore } from '../../src/stores/postgres.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { createSqliteStore } from '../../src/stores/sqlite.js';
import { startDurableObjects, type DurableObjectsInWorkerd } from './durable-object-remote.js';
import { checkFirstReleaseRecords, FIRST_RELEASE_ROWS, firstReleaseDdl, type FirstReleaseStore, type RawRow } from './first-release.js';
import { openDb, type QueryBuilder } from './sql-clients.js';
import { openAdmin } from './sql-suite.js';
import { openRedisClient } from './targets.js';

const pgUrl = process.env['OTPGATE_PG_URL'];
const redisUrl = process.env['OTPGATE_REDIS_URL'];
const mysqlUrl = process.env['OTPGATE_MYSQL_URL'];
const file = 'test/stores/first-release.test.ts';
if (!pgUrl) console.warn(`${file}: PostgreSQL cases SKIPPED, OTPGATE_PG_URL is not set (for example postgres://postgres@127.0.0.1:5432/test)`);
if (!redisUrl) console.warn(`${file}: Redis cases SKIPPED, OTPGATE_REDIS_URL is not set (for example redis://127.0.0.1:6379)`);
if (!mysqlUrl) console.warn(`${file}: MariaDB cases SKIPPED, OTPGATE_MYSQL_URL is not set (for example mysql://root@127.0.0.1:3306/test)`);

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const dir = mkdtempSync(join(tmpdir(), 'otpgate-first-release-'));
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const table = (label: string) => `otpgate_first_${run}_${label}`;
const rowOf = (version: unknown, json: unknown, resetOpen: unknown): RawRow => ({
  version: Number(version),
  json: String(json),
  resetOpen: resetOpen === true || resetOpen === 1 || resetOpen === '1',
});

interface Case {
  readonly name: string;
  /** Why the case cannot run here, or undefined. */
  readonly missing?: string | undefined;
  open(): Promise<FirstReleaseStore>;
}

/** A SQL table of the first release, laid down and read by plain SQL beside the store. */
async function sqlCase(
  dialect: 'sqlite' | 'postgres' | 'mysql',
  location: string,
  label: string,
  storeOn: (table: string) => Promise<MfaStore & { migrate(): Promise<void> }>,
): Promise<FirstReleaseStore> {
  const name = table(label);
  const admin = await openAdmin(dialect, location);
  const quoted = dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
  cleanups.push(async () => {
    if (dialect !== 'sqlite') await admin.query(`DROP TABLE IF EXISTS ${quoted}`);
    await admin.close();
  });
  for (const statement of firstReleaseDdl(dialect, name)) await admin.query(statement);
  // Placeholders: pg numbers them, the others do not.
  const values = dialect === 'postgres' ? '$1, $2, $3::json, $4' : '?, ?, ?, ?';
  for (const row of FIRST_RELEASE_ROWS) {
    const flag = dialect === 'sqlite' ? (row.resetOpen ? 1 : 0) : row.resetOpen;
    await admin.query(`INSERT INTO ${quoted} (user_id, version, record, reset_open) VALUES (${values})`, [row.userId, row.version, row.json, flag]);
  }
  const store = await storeOn(name);
  // As a host upgrading would: migrate() leaves the table and its rows as they are.
  await store.migrate();
  const select =
    dialect === 'postgres'
      ? `SELECT version::text AS version, record::text AS record, reset_open FROM ${quoted} WHERE user_id = $1`
      : `SELECT version, record, reset_open FROM ${quoted} WHERE user_id = ?`;
  return {
    store,
    async raw(userId) {
      const [row] = await admin.query(select, [userId]);
      return row === undefined ? null : rowOf(row['version'], row['record'], row['reset_open']);
    },
  };
}

const cases: Case[] = [
  {
    // Nothing survives a restart here, but a host may carry records over in
    // memory (a test suite, a long-running process): the same records, at
    // the same versions, written through the store (it has no other form).
    name: 'memory',
    async open() {
      const store = createMemoryStore();
      for (const row of FIRST_RELEASE_ROWS) {
        for (let version = 0; version < row.version; version++) {
          if (!(await store.compareAndSet(row.userId, version === 0 ? null : version, JSON.parse(row.json) as MfaRecord))) throw new Error('setup');
        }
      }
      return {
        store,
        async raw(userId) {
          const found = await store.get(userId);
          return found === null ? null : rowOf(found.version, JSON.stringify(found.record), found.record.resetRequest !== null);
        },
      };
    },
  },
  {
    name: 'sqlite (better-sqlite3)',
    open: () =>
      sqlCase('sqlite', join(dir, 'sqlite.db'), 'sqlite', async (name) => {
        const db = new Database(join(dir, 'sqlite.db'), { timeout: 10_000 });
        cleanups.push(async () => void db.close());
        return createSqliteStore({ db, table: name });
      }),
  },
  {
    name: 'postgres (pg)',
    missing: pgUrl ? undefined : 'OTPGATE_PG_URL',
    open: () =>
      sqlCase('postgres', pgUrl!, 'pg', async (name) => {
        const pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
        pool.on('error', () => {});
        cleanups.push(() => pool.end());
        return createPostgresStore({ client: pool, table: name });
      }),
  },
];

for (const builder of ['kysely', 'drizzle'] as const satisfies readonly QueryBuilder[]) {
  for (const [dialect, location, missing] of [
    ['postgres', pgUrl, 'OTPGATE_PG_URL'],
    ['mysql', mysqlUrl, 'OTPGATE_MYSQL_URL'],
    ['sqlite', join(dir, `${builder}.db`), undefined],
  ] as const) {
    cases.push({
      name: `${builder} on ${dialect === 'mysql' ? 'MariaDB' : dialect}`,
      missing: location === undefined ? missing : undefined,
      open: () =>
        sqlCase(dialect, location!, `${builder.slice(0, 2)}_${dialect.slice(0, 2)}`, async (name) => {
          const opened = openDb(builder, dialect, location!, { max: 2 });
          cleanups.push(() => opened.close());
          return opened.store(name);
        }),
    });
  }
}

for (const flavor of ['ioredis', 'node-redis'] as const) {
  cases.push({
    name: `redis (${flavor})`,
    missing: redisUrl ? undefined : 'OTPGATE_REDIS_URL',
    async open() {
      const { client, close } = await openRedisClient(flavor, { url: redisUrl! });
      const send = (args: string[]) =>
        flavor === 'ioredis'
          ? (client as { call(...a: string[]): Promise<unknown> }).call(args[0]!, ...args.slice(1))
          : (client as { sendCommand(a: string[]): Promise<unknown> }).sendCommand(args);
      const prefix = `otpgate-test:first-release:${run}:${flavor}:`;
      cleanups.push(async () => {
        const keys = (await send(['KEYS', `${prefix}*`])) as string[];
        if (keys.length > 0) await send(['DEL', ...keys]);
        await close();
      });
      // The one-server layout of the first release: a hash per user (with
      // the write token of its last script run) and a set of open requests.
      for (const row of FIRST_RELEASE_ROWS) {
        await send(['HSET', `${prefix}user:${row.userId}`, 'version', String(row.version), 'record', row.json, 'token', '0c6f6a52-8d3e-4c59-9a0b-6f1d2e3c4b5a']);
        if (row.resetOpen) await send(['SADD', `${prefix}open-resets`, row.userId]);
      }
      return {
        store: createRedisStore({ client, prefix }),
        async raw(userId) {
          const [version, json] = (await send(['HMGET', `${prefix}user:${userId}`, 'version', 'record'])) as Array<string | null>;
          if (version === null || version === undefined) return null;
          return rowOf(version, json, Number(await send(['SISMEMBER', `${prefix}open-resets`, userId])) === 1);
        },
      };
    },
  });
}

let objects: Promise<DurableObjectsInWorkerd> | undefined;
cases.push({
  name: 'durable-object (in workerd)',
  async open() {
    objects ??= startDurableObjects();
    const workerd = await objects;
    cleanups.push(() => workerd.dispose());
    const prefix = `first-${run}:`;
    // The storage the first release's class wrote: each user's object keeps
    // its record, version and names; the index object an entry per user it
    // was told of.
    for (const row of FIRST_RELEASE_ROWS) {
      const name = `${prefix}user:${row.userId}`;
      await workerd.raw(name, { version: row.version, record: row.json, userId: row.userId, name, index: `${prefix}open-resets` });
      if (row.resetOpen) await workerd.raw(`${prefix}open-resets`, { [`u:${row.userId}`]: { version: row.version, open: true } });
    }
    return {
      store: workerd.store(prefix),
      async raw(userId) {
        const { storage } = await workerd.raw(`${prefix}user:${userId}`);
        if (storage['version'] === undefined) return null;
        const entry = (await workerd.raw(`${prefix}open-resets`)).storage[`u:${userId}`] as { open?: boolean } | undefined;
        return rowOf(storage['version'], storage['record'], entry?.open === true);
      },
    };
  },
});

describe("today's gate on the first release's records", () => {
  for (const entry of cases) {
    it.skipIf(entry.missing !== undefined)(`${entry.name}${entry.missing ? ` (SKIPPED: ${entry.missing} is not set)` : ''}`, async () => {
      await checkFirstReleaseRecords(await entry.open());
    }, 60_000);
  }
});

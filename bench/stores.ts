// Gate `verify` on every store: throughput and p50/p99 latency at 1, 8 and
// 64 concurrent logins, and the compare-and-set conflicts (each one a
// retry of the transition) when the logins are of one user at once.
// The Kysely and Drizzle stores run on PostgreSQL, MariaDB and SQLite, and
// each database also gets its floor: the same logins as single-row
// conditional UPDATEs straight through the driver, at the same concurrency
// (a verify is a read and one such write, so a store cannot beat it);
// "of floor" is a store row's rate as a share of its database's floor.
// Run: npx tsx bench/stores.ts [--only=word,word]   (PostgreSQL, MariaDB,
// Redis and Redis Cluster rows need OTPGATE_PG_URL, OTPGATE_MYSQL_URL,
// OTPGATE_REDIS_URL and OTPGATE_REDIS_CLUSTER_URLS; they are skipped without
// them; --only, or OTPGATE_BENCH_STORES, keeps the rows whose name contains a word)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { createClient, createCluster } from 'redis';
import { totp } from '../src/core/totp.js';
import { createGate, type Gate } from '../src/gate/gate.js';
import type { Policy } from '../src/gate/policy.js';
import type { MfaStore } from '../src/seams/store.js';
import { createMemoryStore } from '../src/stores/memory.js';
import { createPostgresStore } from '../src/stores/postgres.js';
import { createRedisStore } from '../src/stores/redis.js';
import { createSqliteStore } from '../src/stores/sqlite.js';
import { createPool as createMysqlPool } from 'mysql2/promise';
import { openDb } from '../test/stores/sql-clients.js';

const STEP = 30_000;
const T0 = Date.UTC(2030, 0, 1) + 15_000;
const LEVELS = [1, 8, 64];
/** Logins per level in the independent-users run. */
const LOGINS = 1_024;
/** Rounds per level in the one-user run. */
const CONTENDED_ROUNDS = 16;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

interface Counted {
  readonly store: MfaStore;
  conflicts: number;
  writes: number;
}

/** Counts every compare-and-set and every lost one. */
function counted(inner: MfaStore): Counted {
  const counter: Counted = {
    conflicts: 0,
    writes: 0,
    store: {
      get: (userId) => inner.get(userId),
      listOpenResets: () => inner.listOpenResets(),
      async compareAndSet(userId, expected, next) {
        counter.writes++;
        const ok = await inner.compareAndSet(userId, expected, next);
        if (!ok) counter.conflicts++;
        return ok;
      },
    },
  };
  return counter;
}

/** A gate with its own clock, standing for one application server's view of one login. */
function gateWithClock(store: MfaStore, policy?: Policy): { gate: Gate; setNow(now: number): void } {
  let now = T0;
  const gate = createGate({
    store,
    issuer: 'Bench',
    policy,
    clock: { now: () => now },
    directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
    notifier: { notify: async () => {} },
  });
  return { gate, setNow: (value) => (now = value) };
}

async function enroll(store: MfaStore, userId: string, policy?: Policy): Promise<string> {
  const { gate, setNow } = gateWithClock(store, policy);
  setNow(T0);
  const { secret } = await gate.beginEnrollment(userId);
  const confirmed = await gate.confirmEnrollment(userId, totp(secret, { now: T0 }));
  if (!confirmed.ok) throw new Error(`enrollment failed: ${confirmed.reason}`);
  return secret;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** One table row from the latencies of a run that began at `start`. */
function summarize(
  store: string,
  mode: string,
  concurrency: number,
  latencies: number[],
  start: number,
  counter: { readonly conflicts: number; readonly writes: number },
): Row {
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    store,
    mode,
    concurrency,
    opsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    conflicts: counter.conflicts,
    writes: counter.writes,
  };
}

interface Row {
  store: string;
  mode: string;
  concurrency: number;
  opsPerSecond: number;
  p50: number;
  p99: number;
  conflicts: number;
  writes: number;
}

/** `concurrency` users log in side by side, each with a fresh code every time: no contention. */
async function independent(name: string, inner: MfaStore, concurrency: number): Promise<Row> {
  const counter = counted(inner);
  const users = Array.from({ length: concurrency }, (_, i) => `bench-${run}-${name}-c${concurrency}-u${i}`);
  const secrets = await Promise.all(users.map((userId) => enroll(inner, userId)));
  const perUser = Math.max(1, Math.floor(LOGINS / concurrency));
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    users.map(async (userId, i) => {
      const { gate, setNow } = gateWithClock(counter.store);
      for (let login = 1; login <= perUser; login++) {
        const now = T0 + login * STEP;
        setNow(now);
        const code = totp(secrets[i]!, { now });
        const began = performance.now();
        const result = await gate.verify(userId, code);
        latencies.push(performance.now() - began);
        if (!result.ok) throw new Error(`${name}: login ${login} of ${userId} refused: ${result.reason}`);
      }
    }),
  );
  return summarize(name, 'separate users', concurrency, latencies, start, counter);
}

/** `concurrency` verifies of the same valid code on one user at once: one wins, the rest retry and are refused. */
async function contended(name: string, inner: MfaStore, concurrency: number): Promise<Row> {
  // No lock inside a round, so every round ends with one success and the
  // losers counted as replays (failures reset at the next success).
  const policy: Policy = { throttle: { lockAfter: 100 } };
  const counter = counted(inner);
  const userId = `bench-${run}-${name}-hot${concurrency}`;
  const secret = await enroll(inner, userId, policy);
  const servers = Array.from({ length: Math.min(concurrency, 4) }, () => gateWithClock(counter.store, policy));
  const latencies: number[] = [];
  const start = performance.now();
  for (let round = 1; round <= CONTENDED_ROUNDS; round++) {
    const now = T0 + round * STEP;
    for (const server of servers) server.setNow(now);
    const code = totp(secret, { now });
    const results = await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        const began = performance.now();
        const result = await servers[i % servers.length]!.gate.verify(userId, code);
        latencies.push(performance.now() - began);
        return result;
      }),
    );
    const accepted = results.filter((result) => result.ok).length;
    if (accepted !== 1) throw new Error(`${name}: round ${round} accepted ${accepted} verifies`);
  }
  return summarize(name, 'one user', concurrency, latencies, start, counter);
}

interface Backend {
  readonly name: string;
  readonly store: MfaStore;
  close(): Promise<void>;
}

/** One conditional single-row UPDATE on a database, through its driver: resolves with the rows it changed. */
interface Floor {
  readonly name: string;
  /** Creates the floor's rows. */
  setup(users: readonly string[]): Promise<void>;
  update(userId: string, expected: number): Promise<number>;
  close(): Promise<void>;
}

/** `concurrency` users each write their own row `LOGINS / concurrency` times, version after version. */
async function floorIndependent(floor: Floor, concurrency: number): Promise<Row> {
  const users = Array.from({ length: concurrency }, (_, i) => `floor-${run}-c${concurrency}-u${i}`);
  await floor.setup(users);
  const perUser = Math.max(1, Math.floor(LOGINS / concurrency));
  const latencies: number[] = [];
  const counter = { conflicts: 0, writes: 0 };
  const start = performance.now();
  await Promise.all(
    users.map(async (userId) => {
      for (let version = 1; version <= perUser; version++) {
        const began = performance.now();
        counter.writes++;
        if ((await floor.update(userId, version)) !== 1) throw new Error(`${floor.name}: an uncontended update lost`);
        latencies.push(performance.now() - began);
      }
    }),
  );
  return summarize(floor.name, 'separate users', concurrency, latencies, start, counter);
}

/** `concurrency` updates of one row over the same version at once, `CONTENDED_ROUNDS` times: one wins each round. */
async function floorContended(floor: Floor, concurrency: number): Promise<Row> {
  const userId = `floor-${run}-hot${concurrency}`;
  await floor.setup([userId]);
  const latencies: number[] = [];
  const counter = { conflicts: 0, writes: 0 };
  const start = performance.now();
  for (let round = 1; round <= CONTENDED_ROUNDS; round++) {
    const changed = await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const began = performance.now();
        counter.writes++;
        const rows = await floor.update(userId, round);
        latencies.push(performance.now() - began);
        if (rows !== 1) counter.conflicts++;
        return rows;
      }),
    );
    if (changed.filter((rows) => rows === 1).length !== 1) throw new Error(`${floor.name}: round ${round} did not have one winner`);
  }
  return summarize(floor.name, 'one user', concurrency, latencies, start, counter);
}

/** The floors of the databases that are configured. */
async function floors(dir: string): Promise<Floor[]> {
  const list: Floor[] = [];
  const record = JSON.stringify({ resetRequest: null, bench: 'x'.repeat(400) });
  const pgUrl = process.env['OTPGATE_PG_URL'];
  if (pgUrl) {
    const pool = new pg.Pool({ connectionString: pgUrl, max: 16 });
    pool.on('error', () => {});
    const table = `"otpgate_floor_${run}"`;
    await pool.query(`CREATE TABLE ${table} (user_id text PRIMARY KEY, version bigint NOT NULL, record json NOT NULL)`);
    list.push({
      name: 'floor: postgres UPDATE',
      setup: async (users) => void (await pool.query(`INSERT INTO ${table} SELECT unnest($1::text[]), 1, $2::json`, [users, record])),
      update: async (userId, expected) =>
        (await pool.query(`UPDATE ${table} SET record = $3::json, version = version + 1 WHERE user_id = $1 AND version = $2`, [userId, expected, record]))
          .rowCount ?? 0,
      close: async () => {
        await pool.query(`DROP TABLE IF EXISTS ${table}`);
        await pool.end();
      },
    });
  }
  const mysqlUrl = process.env['OTPGATE_MYSQL_URL'];
  if (mysqlUrl) {
    const pool = createMysqlPool({ uri: mysqlUrl, connectionLimit: 16 });
    const table = `\`otpgate_floor_${run}\``;
    await pool.query(`CREATE TABLE ${table} (user_id VARBINARY(1024) PRIMARY KEY, version BIGINT NOT NULL, record LONGTEXT NOT NULL)`);
    list.push({
      name: 'floor: mariadb UPDATE',
      setup: async (users) => void (await pool.query(`INSERT INTO ${table} VALUES ${users.map(() => '(?, 1, ?)').join(', ')}`, users.flatMap((user) => [user, record]))),
      update: async (userId, expected) => {
        const [result] = await pool.query(`UPDATE ${table} SET record = ?, version = version + 1 WHERE user_id = ? AND version = ?`, [record, userId, expected]);
        return (result as { affectedRows: number }).affectedRows;
      },
      close: async () => {
        await pool.query(`DROP TABLE IF EXISTS ${table}`);
        await pool.end();
      },
    });
  }
  const db = new Database(join(dir, 'floor.db'), { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE floor (user_id TEXT PRIMARY KEY, version INTEGER NOT NULL, record TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO floor VALUES (?, 1, ?)');
  const update = db.prepare('UPDATE floor SET record = ?, version = version + 1 WHERE user_id = ? AND version = ?');
  list.push({
    name: 'floor: sqlite UPDATE',
    setup: async (users) => void db.transaction(() => users.forEach((user) => insert.run(user, record)))(),
    update: async (userId, expected) => update.run(record, userId, expected).changes,
    close: async () => void db.close(),
  });
  return list;
}

async function backends(): Promise<Backend[]> {
  const list: Backend[] = [{ name: 'memory', store: createMemoryStore(), close: async () => {} }];

  const dir = mkdtempSync(join(tmpdir(), 'otpgate-bench-'));
  const db = new Database(join(dir, 'bench.db'), { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const sqlite = createSqliteStore({ db });
  await sqlite.migrate();
  list.push({
    name: 'sqlite (file, WAL)',
    store: sqlite,
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });

  const pgUrl = process.env['OTPGATE_PG_URL'];
  if (pgUrl) {
    const pool = new pg.Pool({ connectionString: pgUrl, max: 16 });
    pool.on('error', () => {});
    const table = `otpgate_bench_${run}`;
    const store = createPostgresStore({ client: pool, table });
    await store.migrate();
    list.push({
      name: 'postgres (Pool of 16)',
      store,
      close: async () => {
        await pool.query(`DROP TABLE IF EXISTS "${table}"`);
        await pool.end();
      },
    });
    // The same with the store's `prepared` and `batch` options, each on its own pool and table.
    for (const [label, options] of [
      ['prepared', { prepared: true }],
      ['batch', { batch: true }],
      ['batch, prepared', { batch: true, prepared: true }],
    ] as const) {
      const ownPool = new pg.Pool({ connectionString: pgUrl, max: 16 });
      ownPool.on('error', () => {});
      const ownTable = `otpgate_bench_${run}_${label.replace(/\W+/g, '_')}`;
      const ownStore = createPostgresStore({ client: ownPool, table: ownTable, ...options });
      await ownStore.migrate();
      list.push({
        name: `postgres (16, ${label})`,
        store: ownStore,
        close: async () => {
          await ownPool.query(`DROP TABLE IF EXISTS "${ownTable}"`);
          await ownPool.end();
        },
      });
    }
  } else {
    console.log('postgres: skipped, OTPGATE_PG_URL is not set');
  }

  const redisUrl = process.env['OTPGATE_REDIS_URL'];
  if (redisUrl) {
    const cleanup = async (redis: Redis, prefix: string) => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    };
    const ioredis = new Redis(redisUrl);
    const ioPrefix = `otpgate-bench:${run}:io:`;
    list.push({
      name: 'redis (ioredis)',
      store: createRedisStore({ client: ioredis, prefix: ioPrefix }),
      close: async () => {
        await cleanup(ioredis, ioPrefix);
        ioredis.disconnect();
      },
    });
    const nodeRedis = await createClient({ url: redisUrl }).connect();
    const nodePrefix = `otpgate-bench:${run}:node:`;
    list.push({
      name: 'redis (node-redis)',
      store: createRedisStore({ client: nodeRedis, prefix: nodePrefix }),
      close: async () => {
        const admin = new Redis(redisUrl);
        await cleanup(admin, nodePrefix);
        admin.disconnect();
        nodeRedis.destroy();
      },
    });
  } else {
    console.log('redis: skipped, OTPGATE_REDIS_URL is not set');
  }

  const clusterUrls = process.env['OTPGATE_REDIS_CLUSTER_URLS']?.split(',').filter(Boolean);
  if (clusterUrls && clusterUrls.length > 0) {
    // Keys of a run are spread over every master: each deletes its own.
    const cleanup = async (cluster: Cluster, prefix: string) => {
      for (const node of cluster.nodes('master')) {
        const keys = await node.keys(`${prefix}*`);
        if (keys.length > 0) await node.pipeline(keys.map((key) => ['del', key])).exec();
      }
    };
    const ioCluster = new Cluster(clusterUrls.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) })));
    await new Promise((resolve) => ioCluster.once('ready', resolve));
    const ioPrefix = `otpgate-bench:${run}:io-cluster:`;
    list.push({
      name: 'redis cluster (ioredis)',
      store: createRedisStore({ client: ioCluster, prefix: ioPrefix }),
      close: async () => {
        await cleanup(ioCluster, ioPrefix);
        ioCluster.disconnect();
      },
    });
    const nodeCluster = await createCluster({ rootNodes: clusterUrls.map((url) => ({ url })) }).connect();
    const nodePrefix = `otpgate-bench:${run}:node-cluster:`;
    list.push({
      name: 'redis cluster (node-redis)',
      store: createRedisStore({ client: nodeCluster, prefix: nodePrefix }),
      close: async () => {
        const admin = new Cluster(clusterUrls.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) })));
        await new Promise((resolve) => admin.once('ready', resolve));
        await cleanup(admin, nodePrefix);
        admin.disconnect();
        nodeCluster.destroy();
      },
    });
  } else {
    console.log('redis cluster: skipped, OTPGATE_REDIS_CLUSTER_URLS is not set');
  }
  // The query-builder stores, each on its own pool of 16 (SQLite: its own file).
  const mysqlUrl = process.env['OTPGATE_MYSQL_URL'];
  if (!mysqlUrl) console.log('mariadb: skipped, OTPGATE_MYSQL_URL is not set');
  const builderDir = mkdtempSync(join(tmpdir(), 'otpgate-bench-builders-'));
  for (const builder of ['kysely', 'drizzle'] as const) {
    for (const [dialect, location] of [
      ['postgres', pgUrl],
      ['mysql', mysqlUrl],
      ['sqlite', join(builderDir, `${builder}.db`)],
    ] as const) {
      if (location === undefined) continue;
      const opened = openDb(builder, dialect, location, { max: 16 });
      const table = `otpgate_bench_${run}_${builder}`;
      const store = opened.store(table);
      await store.migrate();
      list.push({
        name: `${builder} (${dialect === 'mysql' ? 'mariadb' : dialect})`,
        store,
        close: async () => {
          await opened.close();
          if (dialect === 'postgres') {
            const client = new pg.Client({ connectionString: location });
            await client.connect();
            await client.query(`DROP TABLE IF EXISTS "${table}"`);
            await client.end();
          } else if (dialect === 'mysql') {
            const pool = createMysqlPool({ uri: location, connectionLimit: 1 });
            await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
            await pool.end();
          } else {
            for (const suffix of ['', '-wal', '-shm']) rmSync(`${location}${suffix}`, { force: true });
          }
        },
      });
    }
  }
  return list;
}

const only = (process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length) ?? process.env['OTPGATE_BENCH_STORES'])
  ?.split(',')
  .filter(Boolean);
const wanted = (name: string) => only === undefined || only.some((word) => name.includes(word));
const rows: Row[] = [];
for (const backend of await backends()) {
  try {
    if (!wanted(backend.name)) continue;
    for (const concurrency of LEVELS) rows.push(await independent(backend.name, backend.store, concurrency));
    for (const concurrency of LEVELS) rows.push(await contended(backend.name, backend.store, concurrency));
  } finally {
    await backend.close();
  }
}
const floorDir = mkdtempSync(join(tmpdir(), 'otpgate-bench-floor-'));
for (const floor of await floors(floorDir)) {
  try {
    if (!wanted(floor.name)) continue;
    for (const concurrency of LEVELS) rows.push(await floorIndependent(floor, concurrency));
    for (const concurrency of LEVELS) rows.push(await floorContended(floor, concurrency));
  } finally {
    await floor.close();
  }
}
rmSync(floorDir, { recursive: true, force: true });

// Each store row against its database's floor at the same level: the share of the bare UPDATEs' rate it reaches.
const floorOf = (row: Row): Row | undefined => {
  const database = ['postgres', 'mariadb', 'sqlite'].find((word) => row.store.includes(word));
  return rows.find(
    (floor) => floor.store === `floor: ${database} UPDATE` && floor.mode === row.mode && floor.concurrency === row.concurrency,
  );
};
const pad = (value: string | number, width: number) => String(value).padStart(width);
console.log(`\ngate.verify per store (Node ${process.version}; ${LOGINS} logins per level, ${CONTENDED_ROUNDS} rounds for one user)`);
console.log('(floor rows: single-row conditional UPDATEs through the driver; "verify/s" is UPDATEs per second)');
console.log(
  `${'store'.padEnd(26)} ${'logins'.padEnd(14)} ${pad('conc.', 5)} ${pad('verify/s', 9)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('CAS', 6)} ${pad('conflicts', 9)} ${pad('of floor', 8)}`,
);
for (const row of rows) {
  const floor = row.store.startsWith('floor:') ? undefined : floorOf(row);
  const share = floor === undefined ? '' : `${Math.round((100 * row.opsPerSecond) / floor.opsPerSecond)}%`;
  console.log(
    `${row.store.padEnd(26)} ${row.mode.padEnd(14)} ${pad(row.concurrency, 5)} ${pad(Math.round(row.opsPerSecond), 9)} ${pad(row.p50.toFixed(2), 8)} ${pad(row.p99.toFixed(2), 8)} ${pad(row.writes, 6)} ${pad(row.conflicts, 9)} ${pad(share, 8)}`,
  );
}

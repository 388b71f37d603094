// How tests and worker processes open a store on a shared backend.
import Database from 'better-sqlite3';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { createClient, createCluster } from 'redis';
import type { MfaStore } from '../../src/seams/store.js';
import { createPostgresStore } from '../../src/stores/postgres.js';
import { createRedisStore, type IoRedisLike, type NodeRedisClusterLike, type NodeRedisLike } from '../../src/stores/redis.js';
import { createSqliteStore } from '../../src/stores/sqlite.js';
import type { SqlDialect } from '../../src/stores/_sql.js';
import { openDb, type QueryBuilder } from './sql-clients.js';

export type StoreTarget =
  | { readonly kind: 'sqlite'; readonly file: string; readonly table: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly table: string; readonly batch?: boolean }
  | { readonly kind: 'ioredis' | 'node-redis'; readonly url: string; readonly prefix: string }
  | {
      readonly kind: QueryBuilder;
      readonly dialect: SqlDialect;
      /** The server's URL, or the SQLite file. */
      readonly location: string;
      readonly table: string;
    }
  | { readonly kind: 'ioredis-cluster' | 'node-redis-cluster'; readonly urls: readonly string[]; readonly prefix: string };

export interface OpenedStore {
  readonly store: MfaStore;
  close(): Promise<void>;
}

export async function openStore(target: StoreTarget): Promise<OpenedStore> {
  switch (target.kind) {
    case 'sqlite': {
      const db = new Database(target.file, { timeout: 10_000 });
      db.pragma('journal_mode = WAL');
      const store = createSqliteStore({ db, table: target.table });
      await store.migrate();
      return { store, close: async () => void db.close() };
    }
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: target.url, max: 4 });
      pool.on('error', () => {});
      const store = createPostgresStore({ client: pool, table: target.table, batch: target.batch ?? false });
      await store.migrate();
      return { store, close: () => pool.end() };
    }
    case 'kysely':
    case 'drizzle': {
      const opened = openDb(target.kind, target.dialect, target.location);
      const store = opened.store(target.table);
      await store.migrate();
      return { store, close: opened.close };
    }
    case 'ioredis':
    case 'node-redis': {
      const { client, close } = await openRedisClient(target.kind, { url: target.url });
      return { store: createRedisStore({ client, prefix: target.prefix }), close };
    }
    case 'ioredis-cluster':
    case 'node-redis-cluster': {
      const { client, close } = await openRedisClusterClient(target.kind === 'ioredis-cluster' ? 'ioredis' : 'node-redis', target.urls);
      return { store: createRedisStore({ client, prefix: target.prefix }), close };
    }
  }
}

/** The cluster's node URLs from OTPGATE_REDIS_CLUSTER_URLS (comma-separated), or `undefined`. */
export const redisClusterUrls: readonly string[] | undefined = process.env['OTPGATE_REDIS_CLUSTER_URLS']
  ?.split(',')
  .map((url) => url.trim())
  .filter(Boolean);

export interface OpenedRedisClusterClient {
  readonly client: IoRedisLike | NodeRedisClusterLike;
  close(): Promise<void>;
}

/**
 * Opens a real cluster client of either library with settings that ride
 * out a failover of a few seconds: redirections are followed and retried,
 * and errors are listened to.
 */
export async function openRedisClusterClient(
  flavor: 'ioredis' | 'node-redis',
  urls: readonly string[],
): Promise<OpenedRedisClusterClient> {
  if (flavor === 'ioredis') {
    const client = new Cluster(
      urls.map((url) => {
        const { hostname, port } = new URL(url);
        return { host: hostname, port: Number(port) };
      }),
      {
        clusterRetryStrategy: (times: number) => Math.min(times * 100, 1_000),
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 200,
        maxRedirections: 64,
        slotsRefreshTimeout: 2_000,
        redisOptions: { maxRetriesPerRequest: 20, connectTimeout: 1_000 },
      },
    );
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('end', () => reject(new Error('ioredis cluster ended before it was ready')));
    });
    return { client, close: async () => void client.disconnect() };
  }
  const client = createCluster({
    rootNodes: urls.map((url) => ({ url })),
    defaults: { socket: { connectTimeout: 1_000, reconnectStrategy: (retries: number) => Math.min(retries * 50, 500) } },
    maxCommandRedirections: 64,
  });
  client.on('error', () => {});
  await client.connect();
  return { client, close: async () => void client.destroy() };
}

export interface RedisClientOptions {
  readonly url: string;
  /** Connection name, for CLIENT KILL. */
  readonly name?: string;
  /** Reject commands while disconnected instead of queueing them. */
  readonly failFast?: boolean;
}

export interface OpenedRedisClient {
  readonly client: IoRedisLike | NodeRedisLike;
  /** Resolves once the client is connected (again). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a real client of either library, quick to reconnect, with errors listened to. */
export async function openRedisClient(
  flavor: 'ioredis' | 'node-redis',
  options: RedisClientOptions,
): Promise<OpenedRedisClient> {
  if (flavor === 'ioredis') {
    const client = new Redis(options.url, {
      ...(options.name === undefined ? {} : { connectionName: options.name }),
      enableOfflineQueue: !options.failFast,
      maxRetriesPerRequest: options.failFast ? 0 : 20,
      retryStrategy: (times: number) => Math.min(times * 20, 200),
    });
    client.on('error', () => {});
    const ready = async () => {
      for (let i = 0; client.status !== 'ready'; i++) {
        if (i > 500) throw new Error('ioredis never became ready');
        await sleep(10);
      }
    };
    await ready();
    return { client, ready, close: async () => void client.disconnect() };
  }
  const client = createClient({
    url: options.url,
    ...(options.name === undefined ? {} : { name: options.name }),
    disableOfflineQueue: options.failFast ?? false,
    socket: { connectTimeout: 1_000, reconnectStrategy: (retries: number) => Math.min(retries * 20, 200) },
  });
  client.on('error', () => {});
  await client.connect();
  const ready = async () => {
    for (let i = 0; !client.isReady; i++) {
      if (i > 500) throw new Error('node-redis never became ready');
      await sleep(10);
    }
  };
  return { client, ready, close: async () => void client.destroy() };
}

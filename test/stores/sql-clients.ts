// Real Kysely and Drizzle databases on PostgreSQL, MariaDB and SQLite, for
// the query-builder stores' tests, race workers and benchmarks.
import Database from 'better-sqlite3';
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, type KyselyPlugin } from 'kysely';
import { createPool as createMysqlPool } from 'mysql2';
import pg from 'pg';
import type { OtpError } from '../../src/errors.js';
import type { MfaStore } from '../../src/seams/store.js';
import type { SqlDialect } from '../../src/stores/_sql.js';
import { createDrizzleStore, type DrizzleDatabase } from '../../src/stores/drizzle.js';
import { createKyselyStore } from '../../src/stores/kysely.js';

export type QueryBuilder = 'kysely' | 'drizzle';

export const pgUrl = process.env['OTPGATE_PG_URL'];
export const mysqlUrl = process.env['OTPGATE_MYSQL_URL'];

/** Where a dialect's server is: a URL, a SQLite file, or undefined when its env var is unset. */
export function locationOf(dialect: SqlDialect, sqliteFile: string): string | undefined {
  return dialect === 'postgres' ? pgUrl : dialect === 'mysql' ? mysqlUrl : sqliteFile;
}

export interface ClientOptions {
  /** Connections in the pool. @default 4 */
  readonly max?: number;
  /** Kysely plugins (to show that the store ignores them). */
  readonly plugins?: KyselyPlugin[];
  /** PostgreSQL application_name, to find the connection in pg_stat_activity. */
  readonly applicationName?: string;
  /** PostgreSQL statement_timeout, or MySQL's innodb_lock_wait_timeout rounded up to seconds. */
  readonly timeoutMs?: number;
  /** Fail fast when the server is unreachable. */
  readonly connectTimeoutMs?: number;
}

export interface OpenedDb {
  /** The Kysely instance or the Drizzle database. */
  readonly db: unknown;
  /** The store on it. */
  store(table: string, onError?: (error: OtpError) => void): MfaStore & { migrate(): Promise<void> };
  close(): Promise<void>;
}

/** A new pool (or SQLite connection) and a Kysely or Drizzle database on it. */
export function openDb(builder: QueryBuilder, dialect: SqlDialect, location: string, options: ClientOptions = {}): OpenedDb {
  const max = options.max ?? 4;
  let db: unknown;
  let close: () => Promise<void>;
  if (dialect === 'postgres') {
    const pool = new pg.Pool({
      connectionString: location,
      max,
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
      ...(options.timeoutMs ? { statement_timeout: options.timeoutMs } : {}),
      ...(options.connectTimeoutMs ? { connectionTimeoutMillis: options.connectTimeoutMs } : {}),
    });
    // An idle client whose connection dies emits 'error' on the pool; a
    // checked-out one (Kysely holds its client while a query runs) emits it
    // on the client itself. A host must listen to both, and so must the tests.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    if (builder === 'kysely') {
      const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }), plugins: options.plugins ?? [] });
      db = kysely;
      close = () => kysely.destroy();
    } else {
      db = drizzlePg(pool);
      close = () => pool.end();
    }
  } else if (dialect === 'mysql') {
    const pool = createMysqlPool({
      uri: location,
      connectionLimit: max,
      ...(options.connectTimeoutMs ? { connectTimeout: options.connectTimeoutMs } : {}),
    });
    pool.on('connection', (connection) => {
      connection.on('error', () => {});
      if (options.timeoutMs) connection.query(`SET SESSION innodb_lock_wait_timeout = ${Math.ceil(options.timeoutMs / 1000)}`);
    });
    if (builder === 'kysely') {
      const kysely = new Kysely<unknown>({ dialect: new MysqlDialect({ pool }), plugins: options.plugins ?? [] });
      db = kysely;
      close = () => kysely.destroy();
    } else {
      db = drizzleMysql(pool.promise());
      close = () => new Promise((resolve) => pool.end(() => resolve()));
    }
  } else {
    const database = new Database(location, { timeout: 10_000 });
    database.pragma('journal_mode = WAL');
    if (builder === 'kysely') {
      const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database }), plugins: options.plugins ?? [] });
      db = kysely;
      close = () => kysely.destroy();
    } else {
      db = drizzleSqlite(database);
      close = async () => void database.close();
    }
  }
  return {
    db,
    store: (table, onError) =>
      builder === 'kysely'
        ? createKyselyStore({ db: db as Kysely<unknown>, table, onError })
        : createDrizzleStore({ db: db as DrizzleDatabase, table, onError }),
    close: () => close(),
  };
}

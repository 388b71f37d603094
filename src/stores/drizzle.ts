/**
 * An {@link MfaStore} on the host's own drizzle-orm database, on PostgreSQL
 * (node-postgres), MySQL or MariaDB (mysql2) and SQLite (better-sqlite3):
 * one table shared by every application server, the compare-and-set one
 * conditional statement run by the database. The table is also exported as
 * a Drizzle schema object per dialect, for the host's own schema, so that
 * drizzle-kit's migrations create it.
 *
 * @example
 * ```ts
 * import { drizzle } from 'drizzle-orm/node-postgres';
 * import pg from 'pg';
 * import { createDrizzleStore } from 'otpgate/stores/drizzle';
 * const store = createDrizzleStore({ db: drizzle(new pg.Pool()) });
 * await store.migrate();
 * ```
 *
 * @module otpgate/stores/drizzle
 */
import { getTableName, is, sql, Table, type SQL } from 'drizzle-orm';
import {
  bigint as mysqlBigint,
  boolean as mysqlBoolean,
  check as mysqlCheck,
  customType as mysqlCustomType,
  datetime as mysqlDatetime,
  index as mysqlIndex,
  MySqlDatabase,
  mysqlTable,
  varbinary as mysqlVarbinary,
} from 'drizzle-orm/mysql-core';
import {
  bigint as pgBigint,
  boolean as pgBoolean,
  check as pgCheck,
  index as pgIndex,
  json as pgJson,
  PgDatabase,
  pgTable,
  PgTransaction,
  text as pgText,
  timestamp as pgTimestamp,
} from 'drizzle-orm/pg-core';
import {
  BaseSQLiteDatabase,
  check as sqliteCheck,
  index as sqliteIndex,
  integer as sqliteInteger,
  sqliteTable,
  text as sqliteText,
} from 'drizzle-orm/sqlite-core';
import { OtpError } from '../errors.js';
import type { MfaRecord, MfaStore } from '../seams/store.js';
import { DEFAULT_TABLE, warn } from './_shared.js';
import {
  createSqlStore,
  ddlOf,
  DIALECTS,
  fragments,
  MYSQL_MAX_USER_ID_BYTES,
  requireClient,
  tableSql,
  type SqlDialect,
  type SqlRunner,
  type Statement,
} from './_sql.js';

const NAME = 'drizzle store';

/**
 * The SQL dialects the Drizzle store speaks. MariaDB is `'mysql'`.
 *
 * @example
 * ```ts
 * import type { DrizzleStoreDialect } from 'otpgate/stores/drizzle';
 * const dialect: DrizzleStoreDialect = 'sqlite';
 * ```
 */
export type DrizzleStoreDialect = 'postgres' | 'mysql' | 'sqlite';

/**
 * A drizzle-orm database on PostgreSQL, MySQL or SQLite, or a transaction
 * of one: what `drizzle(client)` returns.
 *
 * @example
 * ```ts
 * import { drizzle } from 'drizzle-orm/better-sqlite3';
 * import Database from 'better-sqlite3';
 * import type { DrizzleDatabase } from 'otpgate/stores/drizzle';
 * const db: DrizzleDatabase = drizzle(new Database('app.db'));
 * ```
 */
export type DrizzleDatabase =
  | PgDatabase<any, any, any>
  | MySqlDatabase<any, any, any, any>
  | BaseSQLiteDatabase<'sync' | 'async', any, any, any>;

/**
 * Options of {@link createDrizzleStore}.
 *
 * @example
 * ```ts
 * import { drizzle } from 'drizzle-orm/mysql2';
 * import { createPool } from 'mysql2';
 * import { otpgateMysqlTable, type DrizzleStoreOptions } from 'otpgate/stores/drizzle';
 * export const mfa = otpgateMysqlTable('mfa');
 * const options: DrizzleStoreOptions = { db: drizzle(createPool(process.env['DATABASE_URL']!)), table: mfa };
 * ```
 */
export interface DrizzleStoreOptions {
  /**
   * The host's drizzle-orm database (or a transaction): node-postgres,
   * mysql2 or better-sqlite3; other drivers of the same three databases
   * whose raw results have the same shape (`rows`, or an array) work too.
   */
  readonly db: DrizzleDatabase;
  /**
   * The table: its name, 1 to 48 letters, digits or underscores, not
   * starting with a digit (anything else throws `ERR_OPTIONS`), or the table
   * object made by {@link otpgatePgTable}, {@link otpgateMysqlTable} or
   * {@link otpgateSqliteTable}.
   * @default 'otpgate_mfa'
   */
  readonly table?: string | Table | undefined;
  /**
   * Told about a row `listOpenResets` skipped because it cannot be read (the
   * message names the user, never the row), so one corrupted record never
   * hides every other user's reset request.
   * @defaultValue `console.warn` of the message
   */
  readonly onError?: ((error: OtpError) => void) | undefined;
}

/**
 * The Drizzle store: an {@link MfaStore} plus its schema helper.
 *
 * @example
 * ```ts
 * import { drizzle } from 'drizzle-orm/better-sqlite3';
 * import Database from 'better-sqlite3';
 * import { createDrizzleStore, type DrizzleStore } from 'otpgate/stores/drizzle';
 * const store: DrizzleStore = createDrizzleStore({ db: drizzle(new Database(':memory:')) });
 * console.log(store.dialect); // 'sqlite'
 * ```
 */
export interface DrizzleStore extends MfaStore {
  /** The table name this store uses, unquoted. */
  readonly table: string;
  /** The dialect of `db`. */
  readonly dialect: DrizzleStoreDialect;
  /**
   * Creates the table and its index if they do not exist (the statements of
   * {@link schemaSql}; the same table the schema objects describe). Safe at
   * every start-up and from many servers at once: on PostgreSQL it runs as
   * one transaction under the same advisory lock as
   * `otpgate/stores/postgres`. Hosts that run drizzle-kit migrations add the
   * schema object instead and need not call it.
   *
   * @throws {OtpError} ERR_STORE when the database fails
   */
  migrate(): Promise<void>;
}

function checkDialect(dialect: unknown): SqlDialect {
  if (!DIALECTS.includes(dialect as SqlDialect)) {
    throw new OtpError('ERR_OPTIONS', `${NAME}: dialect must be 'postgres', 'mysql' or 'sqlite'`);
  }
  return dialect as SqlDialect;
}

/**
 * The DDL of the store's table in one dialect, as plain SQL: the same as
 * `schemaSql` of `otpgate/stores/kysely`, and the table the schema objects
 * describe. PostgreSQL and SQLite get exactly the tables of
 * `otpgate/stores/postgres` and `otpgate/stores/sqlite`.
 *
 * @param dialect - `'postgres'`, `'mysql'` or `'sqlite'`
 * @param table - the table name (default `'otpgate_mfa'`)
 * @returns the statements, separated by `;` and a newline, each ending in `;`
 * @throws {OtpError} ERR_OPTIONS for an unknown dialect or a table name that is not a plain identifier
 *
 * @example
 * ```ts
 * import { schemaSql } from 'otpgate/stores/drizzle';
 * console.log(schemaSql('postgres')); // CREATE TABLE IF NOT EXISTS "otpgate_mfa" (…
 * ```
 */
export function schemaSql(dialect: DrizzleStoreDialect, table: string = DEFAULT_TABLE): string {
  return `${ddlOf(checkDialect(dialect), table, NAME).join(';\n')};`;
}

function dialectOf(db: unknown): SqlDialect | null {
  if (is(db, PgDatabase)) return 'postgres';
  if (is(db, MySqlDatabase)) return 'mysql';
  if (is(db, BaseSQLiteDatabase)) return 'sqlite';
  return null;
}

/** A statement as a Drizzle `SQL` object, every value bound as a parameter. */
function toSql(statement: Statement): SQL {
  return sql(fragments(statement.text), ...statement.params.map((value) => sql.param(value)));
}

/** The rows of a raw result: node-postgres and PGlite give `{ rows }`, postgres.js an array, mysql2 `[rows, fields]`. */
function rowsOf(result: unknown, dialect: SqlDialect): readonly unknown[] {
  const body = dialect === 'mysql' && Array.isArray(result) ? result[0] : result;
  if (Array.isArray(body)) return body;
  const rows = (body as { rows?: unknown } | null)?.rows;
  if (Array.isArray(rows)) return rows;
  throw new OtpError('ERR_STORE', `${NAME}: the driver returned rows in a shape the store does not know`);
}

/** Affected rows of a MySQL write: mysql2 gives `[ResultSetHeader, fields]`, PlanetScale and TiDB `{ rowsAffected }`. */
function affectedOf(result: unknown): number {
  const header = (Array.isArray(result) ? result[0] : result) as { affectedRows?: unknown; rowsAffected?: unknown } | null;
  const count = header?.affectedRows ?? header?.rowsAffected;
  if (typeof count !== 'number') throw new OtpError('ERR_STORE', `${NAME}: the driver did not report the affected rows`);
  return count;
}

// Drizzle wraps driver errors in a DrizzleQueryError whose message quotes
// the statement's parameters (the record, with its secret): keep only the
// driver's own error.
async function unwrapped<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const wrapper = error as { query?: unknown; params?: unknown; cause?: unknown } | null;
    if (wrapper !== null && typeof wrapper === 'object' && 'query' in wrapper && 'params' in wrapper) {
      throw wrapper.cause ?? new Error('drizzle query failed');
    }
    throw error;
  }
}

function runnerOn(db: DrizzleDatabase, dialect: SqlDialect): SqlRunner {
  const any = db as unknown as {
    execute(query: SQL): Promise<unknown>;
    all(query: SQL): unknown;
    run(query: SQL): unknown;
    transaction<T>(body: (tx: { execute(query: SQL): Promise<unknown> }) => Promise<T>): Promise<T>;
  };
  const raw = (statement: Statement): Promise<unknown> =>
    unwrapped(() => (dialect === 'sqlite' ? any.all(toSql(statement)) : any.execute(toSql(statement))));
  return {
    rows: async (statement) => rowsOf(await raw(statement), dialect),
    affected: async (statement) => affectedOf(await raw(statement)),
    migrate: async (statements) => {
      if (dialect === 'sqlite') {
        for (const statement of statements) await unwrapped(() => any.run(toSql(statement)));
      } else if (dialect === 'postgres' && !is(db, PgTransaction)) {
        // The advisory lock and the DDL share one transaction.
        await unwrapped(() =>
          any.transaction(async (tx) => {
            for (const statement of statements) await tx.execute(toSql(statement));
          }),
        );
      } else {
        for (const statement of statements) await raw(statement);
      }
    },
  };
}

/**
 * Creates an {@link MfaStore} on the host's drizzle-orm database. Does no
 * I/O: call `migrate()` once, or add the schema object of the dialect
 * ({@link otpgatePgTable}, {@link otpgateMysqlTable},
 * {@link otpgateSqliteTable}) to your schema and let drizzle-kit create it,
 * before the first use. The dialect is read from `db` itself (Drizzle's
 * `is()` on its database classes).
 *
 * `compareAndSet` is one statement run by the database: `UPDATE … SET
 * version = version + 1 … WHERE user_id = ? AND version = ?`, or for a new
 * user an `INSERT` that loses on the duplicate key (`ON CONFLICT DO NOTHING`
 * on PostgreSQL and SQLite; on MySQL a plain `INSERT` whose error 1062 means
 * "another writer won"). The row it returns (PostgreSQL, SQLite) or the
 * affected-row count (MySQL) decides the outcome. Any other database error
 * rejects with `OtpError('ERR_STORE')`, its cause the driver's error (not
 * Drizzle's wrapper, whose message quotes the parameters); a missing table
 * says to run `migrate()`.
 *
 * @param options - the database and the table
 * @returns the store
 * @throws {OtpError} ERR_OPTIONS when `db` is not a drizzle-orm database of the three dialects (a URL string, a driver client, a Kysely instance) or `table` is not a plain identifier
 *
 * @example
 * ```ts
 * import { drizzle } from 'drizzle-orm/node-postgres';
 * import pg from 'pg';
 * import { createDrizzleStore, otpgatePgTable } from 'otpgate/stores/drizzle';
 *
 * // In your schema file, so drizzle-kit generates the table:
 * export const otpgateMfa = otpgatePgTable();
 *
 * const db = drizzle(new pg.Pool({ connectionString: process.env['DATABASE_URL'] }));
 * const store = createDrizzleStore({ db, table: otpgateMfa });
 * // createGate({ store, directory, notifier, policy, issuer: 'Example' })
 * ```
 */
export function createDrizzleStore(options: DrizzleStoreOptions): DrizzleStore {
  requireClient(options?.db, (db) => dialectOf(db) !== null, NAME, 'your drizzle-orm database (drizzle(client))');
  const dialect = dialectOf(options.db)!;
  const table = options.table ?? DEFAULT_TABLE;
  const name = typeof table === 'object' && table !== null && is(table, Table) ? getTableName(table) : table;
  return createSqlStore(NAME, tableSql(dialect, name as string, NAME), runnerOn(options.db, dialect), options.onError ?? warn);
}

function tableName(name: unknown): string {
  tableSql('postgres', name as string, NAME); // validates
  return name as string;
}

/**
 * The store's table as a drizzle-orm `pg-core` table, for your schema:
 * drizzle-kit then generates the same table as `migrate()` and
 * `otpgate/stores/postgres` (`user_id` text primary key, `version` bigint,
 * `record` json, `reset_open`, `updated_at`, and the partial index over open
 * reset requests). Read it as you like; write it only through the store.
 *
 * @param name - the table name (default `'otpgate_mfa'`)
 * @returns the table
 * @throws {OtpError} ERR_OPTIONS for a name that is not a plain identifier
 *
 * @example
 * ```ts
 * // schema.ts, listed in drizzle.config.ts
 * import { otpgatePgTable } from 'otpgate/stores/drizzle';
 * export const otpgateMfa = otpgatePgTable();
 * ```
 */
export function otpgatePgTable<TName extends string = 'otpgate_mfa'>(name: TName = DEFAULT_TABLE as TName) {
  return pgTable(
    tableName(name),
    {
      /** `user_id`: the user the record belongs to (primary key). */
      userId: pgText('user_id').primaryKey(),
      /** `version`: 1 with the first write, one more with each write. */
      version: pgBigint('version', { mode: 'number' }).notNull(),
      /** `record`: the record as JSON text. */
      record: pgJson('record').$type<MfaRecord>().notNull(),
      /** `reset_open`: whether the record has an open reset request (indexed). */
      resetOpen: pgBoolean('reset_open').notNull().default(false),
      /** `updated_at`: when the record was last written. */
      updatedAt: pgTimestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    },
    () => [
      pgCheck(`${name}_version_check`, sql`version >= 1`),
      pgIndex(`${name}_reset_open`).on(sql`user_id`).where(sql`reset_open`),
    ],
  );
}

// The record as LONGTEXT in utf8mb4_bin whatever the database's default
// character set (MariaDB's is latin1 unless configured), as migrate() makes it.
const mysqlRecord = mysqlCustomType<{ data: string; driverData: string }>({
  dataType: () => 'longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
});

/**
 * The store's table as a drizzle-orm `mysql-core` table (MySQL and MariaDB),
 * for your schema: drizzle-kit then generates the same table as `migrate()`
 * (`user_id` `VARBINARY(1024)`, `version` `BIGINT`, `record` `LONGTEXT` in
 * `utf8mb4_bin`, `reset_open`, `updated_at`, and an index on
 * `(reset_open, user_id)`). Write it only through the store.
 *
 * @param name - the table name (default `'otpgate_mfa'`)
 * @returns the table
 * @throws {OtpError} ERR_OPTIONS for a name that is not a plain identifier
 *
 * @example
 * ```ts
 * import { otpgateMysqlTable } from 'otpgate/stores/drizzle';
 * export const otpgateMfa = otpgateMysqlTable();
 * ```
 */
export function otpgateMysqlTable<TName extends string = 'otpgate_mfa'>(name: TName = DEFAULT_TABLE as TName) {
  return mysqlTable(
    tableName(name),
    {
      /** `user_id`: the user the record belongs to (primary key). */
      userId: mysqlVarbinary('user_id', { length: MYSQL_MAX_USER_ID_BYTES }).primaryKey(),
      /** `version`: 1 with the first write, one more with each write. */
      version: mysqlBigint('version', { mode: 'number' }).notNull(),
      /** `record`: the record as JSON text. */
      record: mysqlRecord('record').notNull(),
      /** `reset_open`: whether the record has an open reset request (indexed). */
      resetOpen: mysqlBoolean('reset_open').notNull().default(false),
      /** `updated_at`: when the record was last written. */
      updatedAt: mysqlDatetime('updated_at', { mode: 'date', fsp: 3 })
        .notNull()
        .default(sql`CURRENT_TIMESTAMP(3)`),
    },
    (t) => [mysqlCheck(`${name}_version_check`, sql`version >= 1`), mysqlIndex(`${name}_reset_open`).on(t.resetOpen, t.userId)],
  );
}

/**
 * The store's table as a drizzle-orm `sqlite-core` table, for your schema:
 * drizzle-kit then generates the same table as `migrate()` and
 * `otpgate/stores/sqlite` (`user_id` text primary key, `version`, `record`
 * as JSON text, `reset_open` 0 or 1, and the partial index over open reset
 * requests). Write it only through the store.
 *
 * @param name - the table name (default `'otpgate_mfa'`)
 * @returns the table
 * @throws {OtpError} ERR_OPTIONS for a name that is not a plain identifier
 *
 * @example
 * ```ts
 * import { otpgateSqliteTable } from 'otpgate/stores/drizzle';
 * export const otpgateMfa = otpgateSqliteTable();
 * ```
 */
export function otpgateSqliteTable<TName extends string = 'otpgate_mfa'>(name: TName = DEFAULT_TABLE as TName) {
  return sqliteTable(
    tableName(name),
    {
      /** `user_id`: the user the record belongs to (primary key). */
      userId: sqliteText('user_id').primaryKey().notNull(),
      /** `version`: 1 with the first write, one more with each write. */
      version: sqliteInteger('version').notNull(),
      /** `record`: the record as JSON text. */
      record: sqliteText('record').notNull(),
      /** `reset_open`: whether the record has an open reset request (indexed). */
      resetOpen: sqliteInteger('reset_open').notNull().default(0),
    },
    () => [
      sqliteCheck(`${name}_version_check`, sql`version >= 1`),
      sqliteCheck(`${name}_reset_open_check`, sql`reset_open IN (0, 1)`),
      sqliteIndex(`${name}_reset_open`).on(sql`user_id`).where(sql`reset_open = 1`),
    ],
  );
}

/**
 * An {@link MfaStore} on the host's own Kysely instance, for Kysely's
 * PostgreSQL, MySQL (MariaDB) and SQLite dialects: one table shared by every
 * application server, the compare-and-set one conditional statement run by
 * the database.
 *
 * @example
 * ```ts
 * import { Kysely, PostgresDialect } from 'kysely';
 * import pg from 'pg';
 * import { createKyselyStore } from 'otpgate/stores/kysely';
 * const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool() }) });
 * const store = createKyselyStore({ db });
 * await store.migrate();
 * ```
 *
 * @module otpgate/stores/kysely
 */
import { CompiledQuery, type Kysely, type Migration } from 'kysely';
import { OtpError } from '../errors.js';
import type { MfaStore } from '../seams/store.js';
import { DEFAULT_TABLE, warn } from './_shared.js';
import {
  createSqlStore,
  ddlOf,
  DIALECTS,
  numbered,
  requireClient,
  tableSql,
  type SqlDialect,
  type SqlRunner,
  type Statement,
} from './_sql.js';

const NAME = 'kysely store';


/**
 * The SQL dialects the Kysely and Drizzle stores speak. MariaDB is
 * `'mysql'`.
 *
 * @example
 * ```ts
 * import type { OtpgateSqlDialect } from 'otpgate/stores/kysely';
 * const dialect: OtpgateSqlDialect = 'mysql';
 * ```
 */
export type OtpgateSqlDialect = 'postgres' | 'mysql' | 'sqlite';

/**
 * Options of {@link createKyselyStore}.
 *
 * @example
 * ```ts
 * import { Kysely, SqliteDialect } from 'kysely';
 * import Database from 'better-sqlite3';
 * import type { KyselyStoreOptions } from 'otpgate/stores/kysely';
 * const options: KyselyStoreOptions = {
 *   db: new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database('app.db') }) }),
 *   table: 'mfa',
 * };
 * ```
 */
export interface KyselyStoreOptions {
  /**
   * The host's `Kysely` instance (or a `Transaction`), on the PostgreSQL,
   * MySQL or SQLite dialect, or (untested) a third-party dialect that
   * compiles like one of them (Neon, PGlite, PlanetScale, D1, libSQL). Its plugins
   * (`CamelCasePlugin`, `ParseJSONResultsPlugin`, `withSchema`, ...) are not
   * applied to the store's statements: they would rename the columns and
   * parse the record the store reads as text.
   */
  // Any database type: the store runs only its own statements.
  readonly db: Kysely<any>;
  /**
   * The table, found through the connection's `search_path` (PostgreSQL) or
   * database (MySQL): 1 to 48 letters, digits or underscores, not starting
   * with a digit; anything else throws `ERR_OPTIONS`.
   * @default 'otpgate_mfa'
   */
  readonly table?: string | undefined;
  /**
   * The SQL the database speaks. By default the store asks `db` to compile a
   * probe query and reads the dialect from it (`$1` placeholders:
   * PostgreSQL; backquoted names: MySQL; `?` with double-quoted names:
   * SQLite), which needs no I/O and holds for third-party dialects built on
   * Kysely's query compilers. Set it for a dialect that compiles like one
   * database but is another.
   */
  readonly dialect?: OtpgateSqlDialect | undefined;
  /**
   * Told about a row `listOpenResets` skipped because it cannot be read (the
   * message names the user, never the row), so one corrupted record never
   * hides every other user's reset request.
   * @defaultValue `console.warn` of the message
   */
  readonly onError?: ((error: OtpError) => void) | undefined;
}

/**
 * The Kysely store: an {@link MfaStore} plus its schema helper.
 *
 * @example
 * ```ts
 * import { Kysely, PostgresDialect } from 'kysely';
 * import pg from 'pg';
 * import { createKyselyStore, type KyselyStore } from 'otpgate/stores/kysely';
 * const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool() }) });
 * const store: KyselyStore = createKyselyStore({ db });
 * console.log(store.dialect); // 'postgres'
 * ```
 */
export interface KyselyStore extends MfaStore {
  /** The table name this store uses, unquoted. */
  readonly table: string;
  /** The dialect the store speaks, given or detected. */
  readonly dialect: OtpgateSqlDialect;
  /**
   * Creates the table and its index if they do not exist (the statements of
   * {@link schemaSql}). Safe to call at every start-up, also from many
   * servers at once: on PostgreSQL it runs as one transaction under the same
   * advisory lock as `otpgate/stores/postgres`; on MySQL it is one
   * `CREATE TABLE IF NOT EXISTS`.
   *
   * @throws {OtpError} ERR_STORE when the database fails
   */
  migrate(): Promise<void>;
}

/**
 * The DDL of the store's table in one dialect, as plain SQL for a host's own
 * migration tool. PostgreSQL and SQLite get exactly the tables of
 * `otpgate/stores/postgres` and `otpgate/stores/sqlite`, so those stores and
 * this one can share a table. MySQL gets the same columns in MySQL's types:
 * `user_id VARBINARY(1024)` (bytes, so that no collation folds case or
 * ignores trailing spaces), the record as `LONGTEXT` in `utf8mb4_bin` (not
 * `JSON`, which MySQL normalises), and an index on `(reset_open, user_id)`
 * since MySQL has no partial index.
 *
 * @param dialect - `'postgres'`, `'mysql'` or `'sqlite'`
 * @param table - the table name (default `'otpgate_mfa'`)
 * @returns the statements, separated by `;` and a newline, each ending in `;`
 * @throws {OtpError} ERR_OPTIONS for an unknown dialect or a table name that is not a plain identifier
 *
 * @example
 * ```ts
 * import { schemaSql } from 'otpgate/stores/kysely';
 * console.log(schemaSql('mysql')); // CREATE TABLE IF NOT EXISTS `otpgate_mfa` (…
 * ```
 */
export function schemaSql(dialect: OtpgateSqlDialect, table: string = DEFAULT_TABLE): string {
  return `${ddlOf(checkDialect(dialect, NAME), table, NAME).join(';\n')};`;
}

function checkDialect(dialect: unknown, store: string): SqlDialect {
  if (!DIALECTS.includes(dialect as SqlDialect)) {
    throw new OtpError('ERR_OPTIONS', `${store}: dialect must be 'postgres', 'mysql' or 'sqlite'`);
  }
  return dialect as SqlDialect;
}

/** The dialect a Kysely instance speaks, read from the SQL its query compiler writes. */
function detectDialect(db: Kysely<any>): SqlDialect {
  let probe: string;
  try {
    probe = db.selectFrom('otpgate_probe').select('c').where('c', '=', 0).compile().sql;
  } catch (cause) {
    throw new OtpError('ERR_OPTIONS', `${NAME}: could not compile a query with db; pass the dialect option`, { cause });
  }
  if (/\$1\b/.test(probe) && probe.includes('"otpgate_probe"')) return 'postgres';
  if (probe.includes('`otpgate_probe`') && probe.includes('?')) return 'mysql';
  if (probe.includes('"otpgate_probe"') && probe.includes('?')) return 'sqlite';
  throw new OtpError(
    'ERR_OPTIONS',
    `${NAME}: db is on a dialect other than PostgreSQL, MySQL or SQLite (it compiles "${probe}"); ` +
      "those are supported; if yours speaks one of them, pass dialect: 'postgres', 'mysql' or 'sqlite'",
  );
}

function runnerOn(db: Kysely<any>, dialect: SqlDialect): SqlRunner {
  const compiled = (statement: Statement) =>
    CompiledQuery.raw(dialect === 'postgres' ? numbered(statement.text) : statement.text, [...statement.params]);
  const runAll = async (on: Kysely<any>, statements: readonly Statement[]) => {
    for (const statement of statements) await on.executeQuery(compiled(statement));
  };
  return {
    rows: async (statement) => (await db.executeQuery(compiled(statement))).rows,
    affected: async (statement) => Number((await db.executeQuery(compiled(statement))).numAffectedRows ?? 0n),
    migrate: async (statements) => {
      // PostgreSQL's DDL is transactional: the advisory lock and the DDL
      // share one transaction (the host's, when db is a Transaction).
      if (dialect === 'postgres' && !db.isTransaction) await db.transaction().execute((trx) => runAll(trx, statements));
      else await runAll(db, statements);
    },
  };
}

/**
 * Creates an {@link MfaStore} on the host's Kysely instance. Does no I/O:
 * call `migrate()` once, or run {@link otpgateMigration} with Kysely's
 * `Migrator`, or the SQL of {@link schemaSql} in your own migrations, before
 * the first use.
 *
 * `compareAndSet` is one statement run by the database: `UPDATE … SET
 * version = version + 1 … WHERE user_id = ? AND version = ?`, or for a new
 * user an `INSERT` that loses on the duplicate key (`ON CONFLICT DO NOTHING`
 * on PostgreSQL and SQLite; on MySQL a plain `INSERT` whose error 1062 means
 * "another writer won"). The row it returns (PostgreSQL, SQLite) or the
 * affected-row count (MySQL) decides the outcome. Any other database error
 * (a dropped connection, a timeout, a deadlock) rejects with
 * `OtpError('ERR_STORE')`; a missing table says to run `migrate()`.
 *
 * @param options - the Kysely instance, the table name and optionally the dialect
 * @returns the store
 * @throws {OtpError} ERR_OPTIONS when `db` is not a Kysely instance (a URL string, a driver client, a Drizzle database), its dialect is not one of the three, or `table` is not a plain identifier
 *
 * @example
 * ```ts
 * import { Kysely, MysqlDialect } from 'kysely';
 * import { createPool } from 'mysql2';
 * import { createKyselyStore } from 'otpgate/stores/kysely';
 *
 * const db = new Kysely<unknown>({ dialect: new MysqlDialect({ pool: createPool(process.env['DATABASE_URL']!) }) });
 * const store = createKyselyStore({ db });
 * await store.migrate();
 * // createGate({ store, directory, notifier, policy, issuer: 'Example' })
 * ```
 */
export function createKyselyStore(options: KyselyStoreOptions): KyselyStore {
  requireClient(options?.db, isKysely, NAME, 'your Kysely instance (new Kysely({ dialect }))');
  const plain = options.db.withoutPlugins();
  const dialect = options.dialect === undefined ? detectDialect(plain) : checkDialect(options.dialect, NAME);
  const sql = tableSql(dialect, options.table ?? DEFAULT_TABLE, NAME);
  return createSqlStore(NAME, sql, runnerOn(plain, dialect), options.onError ?? warn);
}

function isKysely(db: Record<string, unknown>): boolean {
  return ['executeQuery', 'withoutPlugins', 'selectFrom', 'transaction'].every((method) => typeof db[method] === 'function');
}

/**
 * Options of {@link otpgateMigration}.
 *
 * @example
 * ```ts
 * import type { OtpgateMigrationOptions } from 'otpgate/stores/kysely';
 * const options: OtpgateMigrationOptions = { table: 'mfa' };
 * ```
 */
export interface OtpgateMigrationOptions {
  /** The table. @default 'otpgate_mfa' */
  readonly table?: string | undefined;
  /** The dialect; detected from the `db` the `Migrator` passes, as in {@link createKyselyStore}, when left out. */
  readonly dialect?: OtpgateSqlDialect | undefined;
}

/**
 * The store's table as a Kysely migration, for the host's own `Migrator`:
 * `up` creates the table and its index if missing (the statements of
 * {@link schemaSql}), `down` drops the table with every user's
 * enrollment. Put it in your migration provider under a name that sorts
 * where you want it.
 *
 * @param options - the table name and optionally the dialect
 * @returns a `Migration` with `up` and `down`
 * @throws {OtpError} ERR_OPTIONS for a table name that is not a plain identifier
 *
 * @example
 * ```ts
 * import { Kysely, Migrator, PostgresDialect, type Migration } from 'kysely';
 * import pg from 'pg';
 * import { otpgateMigration } from 'otpgate/stores/kysely';
 *
 * const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool() }) });
 * const migrations: Record<string, Migration> = {
 *   // ...your own migrations
 *   '2026_12_01_otpgate': otpgateMigration(),
 * };
 * const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
 * const { error } = await migrator.migrateToLatest();
 * if (error) throw error;
 * ```
 */
export function otpgateMigration(options: OtpgateMigrationOptions = {}): Migration {
  const table = options.table ?? DEFAULT_TABLE;
  tableSql('postgres', table, NAME); // validates the name now, not at migration time
  if (options.dialect !== undefined) checkDialect(options.dialect, NAME);
  const statementsFor = (db: Kysely<any>) => {
    requireClient(db, isKysely, NAME, 'a Kysely instance');
    const plain = db.withoutPlugins();
    const dialect = options.dialect ?? detectDialect(plain);
    return { plain, dialect, sql: tableSql(dialect, table, NAME) };
  };
  return {
    // The Migrator runs this inside its own transaction and lock where the
    // dialect allows, so no advisory lock here.
    async up(db) {
      const { plain, dialect, sql } = statementsFor(db);
      for (const text of sql.ddl) await plain.executeQuery(CompiledQuery.raw(dialect === 'postgres' ? numbered(text) : text));
    },
    async down(db) {
      const { plain, sql } = statementsFor(db);
      await plain.executeQuery(CompiledQuery.raw(sql.drop));
    },
  };
}

/**
 * An {@link MfaStore} on SQLite through the host's own `better-sqlite3`
 * (version 12) database: the embedded store for single-server hosts and
 * demos. Several processes may share one database file; the conditional
 * `UPDATE` is atomic in SQLite itself.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { createSqliteStore } from 'otpgate/stores/sqlite';
 * const store = createSqliteStore({ db: new Database('app.db') });
 * await store.migrate();
 * ```
 *
 * @module otpgate/stores/sqlite
 */
import type { OtpError } from '../errors.js';
import type { MfaRecord } from '../seams/store.js';
import type { MfaStore, StoredRecord } from '../seams/store.js';
import {
  checkUserId,
  DEFAULT_TABLE,
  guarded,
  isImpossibleVersion,
  parseRecord,
  pageLimit,
  parseVersion,
  readOpenRows,
  requireMethod,
  serialise,
  sqlNames,
  warn,
} from './_shared.js';

const NAME = 'sqlite store';

/**
 * The part of a `better-sqlite3` `Statement` the store uses.
 *
 * @example
 * ```ts
 * import type { SqliteStatementLike } from 'otpgate/stores/sqlite';
 * const changes = (statement: SqliteStatementLike) => statement.run('alice').changes;
 * ```
 */
export interface SqliteStatementLike {
  /** Runs a write; the store reads how many rows it changed. */
  run(...params: unknown[]): {
    /** Rows inserted or updated: 1 when a compare-and-set wrote, 0 when it lost. */
    readonly changes: number;
  };
  /** The first row, or `undefined`. */
  get(...params: unknown[]): unknown;
  /** Every row. */
  all(...params: unknown[]): unknown[];
}

/**
 * The part of a `better-sqlite3` `Database` the store uses; declared here
 * so that the store needs no driver types.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import type { SqliteDatabaseLike } from 'otpgate/stores/sqlite';
 * const db: SqliteDatabaseLike = new Database(':memory:');
 * ```
 */
export interface SqliteDatabaseLike {
  /** Compiles one statement (the store caches its four statements). */
  prepare(sql: string): SqliteStatementLike;
  /** Runs SQL text without parameters (used by `migrate()`). */
  exec(sql: string): unknown;
}

/**
 * Options of {@link createSqliteStore}.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import type { SqliteStoreOptions } from 'otpgate/stores/sqlite';
 * const options: SqliteStoreOptions = { db: new Database('app.db'), table: 'mfa' };
 * ```
 */
export interface SqliteStoreOptions {
  /** The host's open `better-sqlite3` database. */
  readonly db: SqliteDatabaseLike;
  /**
   * The table: 1 to 48 letters, digits or underscores, not starting with a
   * digit; anything else throws `ERR_OPTIONS`.
   * @default 'otpgate_mfa'
   */
  readonly table?: string | undefined;
  /**
   * Told about a row `listOpenResets` skipped because it cannot be read (the
   * message names the user, never the row), so one corrupted record never
   * hides every other user's reset request.
   * @defaultValue `console.warn` of the message
   */
  readonly onError?: ((error: OtpError) => void) | undefined;
}

/**
 * The SQLite store: an {@link MfaStore} plus its schema helper.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { createSqliteStore, type SqliteStore } from 'otpgate/stores/sqlite';
 * const store: SqliteStore = createSqliteStore({ db: new Database(':memory:') });
 * await store.migrate();
 * ```
 */
export interface SqliteStore extends MfaStore {
  /** The table name this store uses, unquoted. */
  readonly table: string;
  /**
   * Creates the table and its index if they do not exist; safe to call at
   * every start-up, from several processes.
   *
   * @throws {OtpError} ERR_STORE when SQLite fails
   */
  migrate(): Promise<void>;
}

/**
 * The DDL of the SQLite store: the table (user id, version, record as JSON
 * text, and a `reset_open` flag) and a partial index over the users whose
 * reset request is open, which serves `listOpenResets()` without a scan.
 * Every statement is `IF NOT EXISTS`.
 *
 * @param table - the table name (default `'otpgate_mfa'`)
 * @returns SQL text for `db.exec()` or for the host's migration tool
 * @throws {OtpError} ERR_OPTIONS for a table name that is not a plain identifier
 *
 * @example
 * ```ts
 * import { schemaSql } from 'otpgate/stores/sqlite';
 * console.log(schemaSql('otpgate_mfa')); // CREATE TABLE IF NOT EXISTS "otpgate_mfa" …
 * ```
 */
export function schemaSql(table: string = DEFAULT_TABLE): string {
  const names = sqlNames(table, NAME);
  return [
    `CREATE TABLE IF NOT EXISTS ${names.table} (`,
    '  user_id TEXT NOT NULL PRIMARY KEY,',
    '  version INTEGER NOT NULL CHECK (version >= 1),',
    '  record TEXT NOT NULL,',
    '  reset_open INTEGER NOT NULL DEFAULT 0 CHECK (reset_open IN (0, 1))',
    ');',
    `CREATE INDEX IF NOT EXISTS ${names.index} ON ${names.table} (user_id) WHERE reset_open = 1;`,
  ].join('\n');
}

/**
 * Creates an {@link MfaStore} on the host's `better-sqlite3` database. Does
 * no I/O: call `migrate()` once (or run {@link schemaSql} in your own
 * migrations) before the first use.
 *
 * `compareAndSet` is a single `UPDATE … WHERE user_id = ? AND version = ?`
 * (or `INSERT … ON CONFLICT DO NOTHING` for a new user) whose change count
 * decides the outcome; SQLite's write lock makes it atomic, also across
 * processes sharing the file (use WAL mode and a busy timeout for that).
 * Any SQLite error, such as `SQLITE_BUSY` after the busy timeout, rejects
 * with `OtpError('ERR_STORE')` and leaves the record at its old version.
 *
 * @param options - the database and the table name
 * @returns the store
 * @throws {OtpError} ERR_OPTIONS when `db` is not a database or `table` is not a plain identifier
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { createGate } from 'otpgate';
 * import { createSqliteStore } from 'otpgate/stores/sqlite';
 *
 * const db = new Database('app.db');
 * db.pragma('journal_mode = WAL');
 * const store = createSqliteStore({ db });
 * await store.migrate();
 * // createGate({ store, directory, notifier, policy, issuer: 'Example' })
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  requireMethod(options?.db, 'prepare', NAME, 'db');
  requireMethod(options.db, 'exec', NAME, 'db');
  const db = options.db;
  const tableName = options.table ?? DEFAULT_TABLE;
  const { table } = sqlNames(tableName, NAME);
  const onError = options.onError ?? warn;

  // Prepared on first use, not here: the table may not exist yet, and the
  // factory does no I/O.
  let statements:
    | {
        get: SqliteStatementLike;
        insert: SqliteStatementLike;
        update: SqliteStatementLike;
        open: SqliteStatementLike;
        remove: SqliteStatementLike;
        users: SqliteStatementLike;
      }
    | undefined;
  const prepared = () =>
    (statements ??= {
      get: db.prepare(`SELECT version, record FROM ${table} WHERE user_id = ?`),
      insert: db.prepare(
        `INSERT INTO ${table} (user_id, version, record, reset_open) VALUES (?, 1, ?, ?) ON CONFLICT (user_id) DO NOTHING`,
      ),
      update: db.prepare(
        `UPDATE ${table} SET record = ?, reset_open = ?, version = version + 1 WHERE user_id = ? AND version = ?`,
      ),
      open: db.prepare(`SELECT user_id, version, record FROM ${table} WHERE reset_open = 1 ORDER BY user_id`),
      remove: db.prepare(`DELETE FROM ${table} WHERE user_id = ?`),
      users: db.prepare(`SELECT user_id FROM ${table} WHERE ? IS NULL OR user_id > ? ORDER BY user_id LIMIT ?`),
    });

  const toStored = (row: { version: unknown; record: unknown }): StoredRecord => ({
    record: parseRecord(row.record, NAME),
    version: parseVersion(row.version, NAME),
  });

  return {
    table: tableName,

    migrate: () => guarded(NAME, 'migrate', () => void db.exec(schemaSql(tableName))),

    get: (userId) =>
      guarded(NAME, 'get', () => {
        checkUserId(userId, NAME);
        const row = prepared().get.get(userId) as { version: unknown; record: unknown } | undefined;
        return row === undefined ? null : toStored(row);
      }),

    compareAndSet: (userId: string, expected: number | null, next: MfaRecord) =>
      guarded(NAME, 'compareAndSet', () => {
        checkUserId(userId, NAME);
        const { json, resetOpen } = serialise(next, NAME);
        if (isImpossibleVersion(expected)) return false;
        const flag = resetOpen ? 1 : 0;
        const result =
          expected === null
            ? prepared().insert.run(userId, json, flag)
            : prepared().update.run(json, flag, userId, expected);
        return result.changes === 1;
      }),

    delete: (userId) =>
      guarded(NAME, 'delete', () => {
        checkUserId(userId, NAME);
        return prepared().remove.run(userId).changes === 1;
      }),

    listUsers: (options) =>
      guarded(NAME, 'listUsers', () => {
        const limit = pageLimit(options?.limit, NAME);
        const after = options?.cursor ?? null;
        const rows = prepared().users.all(after, after, limit + 1) as Array<{ user_id: unknown }>;
        const userIds = rows.slice(0, limit).map((row) => String(row.user_id));
        return { userIds, cursor: rows.length > limit ? userIds.at(-1)! : null };
      }),

    listOpenResets: () =>
      guarded(NAME, 'listOpenResets', () =>
        readOpenRows(
          prepared().open.all() as Array<{ user_id: unknown; version: unknown; record: unknown }>,
          NAME,
          onError,
          (row) => ({ userId: String(row.user_id), ...toStored(row) }),
          (row) => row.user_id,
        ),
      ),
  };
}

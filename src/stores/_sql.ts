// The SQL the query-builder stores (Kysely, Drizzle) run, per dialect. Not
// exported from any entry point. The PostgreSQL and SQLite tables are exactly
// those of otpgate/stores/postgres and otpgate/stores/sqlite, so a host can
// move between those stores and these on the same table; the MySQL table is
// the same layout in MySQL's types.
import { OtpError } from '../errors.js';
import type { ListUsersOptions, MfaRecord, MfaStore, StoredRecord, UserPage } from '../seams/store.js';
import { redactError } from '../internal/redact.js';
import {
  checkUserId,
  guarded,
  isImpossibleVersion,
  pageLimit,
  parseRecord,
  parseVersion,
  pgStorageSql,
  readOpenRows,
  serialise,
  sqlNames,
  type StoreErrorHook,
} from './_shared.js';

/** The SQL dialects the query-builder stores speak. */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

export const DIALECTS: readonly SqlDialect[] = ['postgres', 'mysql', 'sqlite'];

/**
 * One statement with `?` where each parameter goes. No statement contains a
 * literal `?`: identifiers are validated, and every value is a parameter.
 */
export interface Statement {
  readonly text: string;
  readonly params: readonly unknown[];
}

/** The longest user id the MySQL table holds: `user_id` is `VARBINARY(1024)`. */
export const MYSQL_MAX_USER_ID_BYTES = 1024;

/** The statements of one table in one dialect. */
export interface TableSql {
  readonly dialect: SqlDialect;
  readonly table: string;
  /** The DDL, one statement per entry, each `IF NOT EXISTS`. */
  readonly ddl: readonly string[];
  /** Drops the table (and with it its index): the migration's `down`. */
  readonly drop: string;
  /** PostgreSQL only: the transaction-scoped advisory lock `migrate()` takes first (the same key as otpgate/stores/postgres). */
  readonly lock: Statement | null;
  get(userId: string): Statement;
  /** Creates a record at version 1; loses on a duplicate key (PostgreSQL and SQLite: no row returned; MySQL: error 1062). */
  insert(userId: string, json: string, resetOpen: boolean): Statement;
  /** Writes over version `expected`; PostgreSQL and SQLite return the row written, MySQL counts it. */
  update(userId: string, expected: number, json: string, resetOpen: boolean): Statement;
  open(): Statement;
  /** Deletes the record; PostgreSQL and SQLite return the row deleted, MySQL counts it. */
  remove(userId: string): Statement;
  /** One page of user ids in `user_id` order, after `cursor` when given. */
  users(cursor: string | null, limit: number): Statement;
}

function quoted(table: string, dialect: SqlDialect, store: string): { table: string; index: string } {
  sqlNames(table, store); // validates: letters, digits and underscores only
  const q = dialect === 'mysql' ? '`' : '"';
  return { table: `${q}${table}${q}`, index: `${q}${table}_reset_open${q}` };
}

/** The DDL of one dialect, as text a host can paste into its own migrations. */
export function ddlOf(dialect: SqlDialect, table: string, store: string): string[] {
  const names = quoted(table, dialect, store);
  switch (dialect) {
    case 'postgres':
      return [
        [
          `CREATE TABLE IF NOT EXISTS ${names.table} (`,
          '  user_id text PRIMARY KEY,',
          '  version bigint NOT NULL CHECK (version >= 1),',
          '  record json NOT NULL,',
          '  reset_open boolean NOT NULL DEFAULT false,',
          '  updated_at timestamptz NOT NULL DEFAULT now()',
          ')',
        ].join('\n'),
        `CREATE INDEX IF NOT EXISTS ${names.index} ON ${names.table} (user_id) WHERE reset_open`,
        pgStorageSql(names.table),
      ];
    case 'sqlite':
      return [
        [
          `CREATE TABLE IF NOT EXISTS ${names.table} (`,
          '  user_id TEXT NOT NULL PRIMARY KEY,',
          '  version INTEGER NOT NULL CHECK (version >= 1),',
          '  record TEXT NOT NULL,',
          '  reset_open INTEGER NOT NULL DEFAULT 0 CHECK (reset_open IN (0, 1))',
          ')',
        ].join('\n'),
        `CREATE INDEX IF NOT EXISTS ${names.index} ON ${names.table} (user_id) WHERE reset_open = 1`,
      ];
    case 'mysql':
      // user_id is bytes, not text: every text collation of MySQL/MariaDB
      // either folds case or accents, or pads with spaces ('a' = 'a '), and
      // user ids are opaque strings that must stay distinct. MySQL has no
      // partial index; (reset_open, user_id) serves the same lookup. One
      // statement, so concurrent migrations need no lock.
      return [
        [
          `CREATE TABLE IF NOT EXISTS ${names.table} (`,
          `  user_id VARBINARY(${MYSQL_MAX_USER_ID_BYTES}) NOT NULL PRIMARY KEY,`,
          '  version BIGINT NOT NULL CHECK (version >= 1),',
          '  record LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,',
          '  reset_open BOOLEAN NOT NULL DEFAULT FALSE,',
          '  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),',
          `  INDEX ${names.index} (reset_open, user_id)`,
          ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
        ].join('\n'),
      ];
  }
}

/** Every statement of one table in one dialect. */
export function tableSql(dialect: SqlDialect, table: string, store: string): TableSql {
  const { table: t } = quoted(table, dialect, store);
  const ddl = ddlOf(dialect, table, store);
  const drop = `DROP TABLE IF EXISTS ${t}`;
  switch (dialect) {
    case 'postgres':
      return {
        dialect,
        table,
        ddl,
        drop,
        lock: { text: 'SELECT pg_advisory_xact_lock(hashtext(?))', params: [`otpgate:migrate:${table}`] },
        get: (userId) => ({
          text: `SELECT version::text AS version, record::text AS record FROM ${t} WHERE user_id = ?`,
          params: [userId],
        }),
        insert: (userId, json, resetOpen) => ({
          text:
            `INSERT INTO ${t} (user_id, version, record, reset_open) VALUES (?, 1, ?::json, ?) ` +
            'ON CONFLICT (user_id) DO NOTHING RETURNING version::text AS version',
          params: [userId, json, resetOpen],
        }),
        update: (userId, expected, json, resetOpen) => ({
          text:
            `UPDATE ${t} SET record = ?::json, reset_open = ?, version = version + 1, updated_at = now() ` +
            'WHERE user_id = ? AND version = ? RETURNING version::text AS version',
          params: [json, resetOpen, userId, expected],
        }),
        open: () => ({
          text: `SELECT user_id, version::text AS version, record::text AS record FROM ${t} WHERE reset_open ORDER BY user_id`,
          params: [],
        }),
        remove: (userId) => ({ text: `DELETE FROM ${t} WHERE user_id = ? RETURNING user_id`, params: [userId] }),
        users: usersAfter(t, 'user_id', 'user_id'),
      };
    case 'sqlite':
      return {
        dialect,
        table,
        ddl,
        drop,
        lock: null,
        get: (userId) => ({ text: `SELECT version, record FROM ${t} WHERE user_id = ?`, params: [userId] }),
        insert: (userId, json, resetOpen) => ({
          text:
            `INSERT INTO ${t} (user_id, version, record, reset_open) VALUES (?, 1, ?, ?) ` +
            'ON CONFLICT (user_id) DO NOTHING RETURNING version',
          params: [userId, json, resetOpen ? 1 : 0],
        }),
        update: (userId, expected, json, resetOpen) => ({
          text: `UPDATE ${t} SET record = ?, reset_open = ?, version = version + 1 WHERE user_id = ? AND version = ? RETURNING version`,
          params: [json, resetOpen ? 1 : 0, userId, expected],
        }),
        open: () => ({
          text: `SELECT user_id, version, record FROM ${t} WHERE reset_open = 1 ORDER BY user_id`,
          params: [],
        }),
        remove: (userId) => ({ text: `DELETE FROM ${t} WHERE user_id = ? RETURNING user_id`, params: [userId] }),
        users: usersAfter(t, 'user_id', 'user_id'),
      };
    case 'mysql':
      return {
        dialect,
        table,
        ddl,
        drop,
        lock: null,
        get: (userId) => ({
          text: `SELECT CAST(version AS CHAR) AS version, record FROM ${t} WHERE user_id = ?`,
          params: [userId],
        }),
        // Not INSERT IGNORE, which also turns a too-long or otherwise bad
        // value into a warning and a truncated row; not ON DUPLICATE KEY
        // UPDATE, whose no-op update counts 1 affected row when the client
        // sets CLIENT_FOUND_ROWS (mysql2 does), exactly like an insert. A
        // plain INSERT either writes the row or fails with error 1062.
        insert: (userId, json, resetOpen) => ({
          text: `INSERT INTO ${t} (user_id, version, record, reset_open) VALUES (?, 1, ?, ?)`,
          params: [userId, json, resetOpen ? 1 : 0],
        }),
        // Every update changes `version`, so affected rows ("changed") and
        // found rows (CLIENT_FOUND_ROWS) are the same number: 1 or 0.
        update: (userId, expected, json, resetOpen) => ({
          text:
            `UPDATE ${t} SET record = ?, reset_open = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(3) ` +
            'WHERE user_id = ? AND version = ?',
          params: [json, resetOpen ? 1 : 0, userId, expected],
        }),
        open: () => ({
          text:
            `SELECT CONVERT(user_id USING utf8mb4) AS user_id, CAST(version AS CHAR) AS version, record FROM ${t} ` +
            `WHERE reset_open = 1 ORDER BY ${t}.user_id`,
          params: [],
        }),
        remove: (userId) => ({ text: `DELETE FROM ${t} WHERE user_id = ?`, params: [userId] }),
        // Ordered and compared as bytes, like the key itself. ORDER BY names
        // the column with its table: a bare `user_id` would be the converted
        // text of the select list, in a collation's order, and the byte
        // comparison of the cursor would then skip ids past a page's end.
        users: usersAfter(t, 'CONVERT(user_id USING utf8mb4) AS user_id', `${t}.user_id`),
      };
  }
}

/** One page of user ids, those after the cursor (the last id of the page before), in `order`. */
function usersAfter(t: string, selected: string, order: string): TableSql['users'] {
  return (cursor, limit) =>
    cursor === null
      ? { text: `SELECT ${selected} FROM ${t} ORDER BY ${order} LIMIT ?`, params: [limit] }
      : { text: `SELECT ${selected} FROM ${t} WHERE user_id > ? ORDER BY ${order} LIMIT ?`, params: [cursor, limit] };
}

/** `?` placeholders as PostgreSQL's `$1`, `$2`, ... */
export function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** The text between the `?` placeholders, for a tagged-template `sql` function. */
export function fragments(text: string): TemplateStringsArray {
  const parts = text.split('?');
  return Object.assign(parts, { raw: [...parts] }) as unknown as TemplateStringsArray;
}

/** The errors a driver throws, outermost first: query builders wrap the driver's own error in `cause`. */
function* chain(error: unknown): Generator<Record<string, unknown>> {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    yield current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

/** MySQL's duplicate-key error (1062, `ER_DUP_ENTRY`), here always the primary key. */
export function isDuplicateKey(error: unknown): boolean {
  for (const link of chain(error)) if (link['errno'] === 1062 || link['code'] === 'ER_DUP_ENTRY') return true;
  return false;
}

/** A missing table, as PostgreSQL (42P01), MySQL (1146) and SQLite ("no such table") report it. */
export function isMissingTable(error: unknown): boolean {
  for (const link of chain(error)) {
    if (link['code'] === '42P01' || link['errno'] === 1146 || link['code'] === 'ER_NO_SUCH_TABLE') return true;
    if (typeof link['message'] === 'string' && /^no such table: /.test(link['message'])) return true;
  }
  return false;
}

/** The error `migrate()` would have prevented, naming the fix. */
export function missingTableError(store: string, table: string, dialect: SqlDialect, cause: unknown): OtpError {
  return new OtpError(
    'ERR_STORE',
    `${store}: the table "${table}" does not exist in this ${dialect} database; ` +
      'run store.migrate() once at start-up (or add the otpgate table to your migrations, see docs/stores.md)',
    { cause: redactError(cause) },
  );
}

/** The user id MySQL's `VARBINARY(1024)` key can hold: longer ones would be refused or, without strict mode, truncated into another user's id. */
export function checkUserIdLength(userId: string, dialect: SqlDialect, store: string): void {
  if (dialect === 'mysql' && userId.length > MYSQL_MAX_USER_ID_BYTES / 4) {
    if (new TextEncoder().encode(userId).length > MYSQL_MAX_USER_ID_BYTES) {
      throw new OtpError('ERR_OPTIONS', `${store}: on MySQL a user id is at most ${MYSQL_MAX_USER_ID_BYTES} bytes of UTF-8`);
    }
  }
}

/** How a query-builder store runs its statements on the host's client. */
export interface SqlRunner {
  /** Runs a statement and resolves with the rows it returns. */
  rows(statement: Statement): Promise<readonly unknown[]>;
  /** Runs a write and resolves with the rows it affected (used on MySQL, which has no `RETURNING`). */
  affected(statement: Statement): Promise<number>;
  /** Runs the statements in order, in one transaction where the dialect's DDL is transactional (PostgreSQL). */
  migrate(statements: readonly Statement[]): Promise<void>;
}

/** What both query-builder stores add to {@link MfaStore}. */
export interface SqlStoreBase extends MfaStore {
  delete(userId: string): Promise<boolean>;
  listUsers(options?: ListUsersOptions): Promise<UserPage>;
  readonly table: string;
  readonly dialect: SqlDialect;
  migrate(): Promise<void>;
}

/** The store logic shared by the Kysely and Drizzle stores; only `runner` differs. */
export function createSqlStore(store: string, sql: TableSql, runner: SqlRunner, onError: StoreErrorHook): SqlStoreBase {
  const { dialect, table } = sql;
  const run = <T>(operation: string, body: () => Promise<T>): Promise<T> =>
    guarded(store, operation, async () => {
      try {
        return await body();
      } catch (cause) {
        if (!(cause instanceof OtpError) && isMissingTable(cause)) throw missingTableError(store, table, dialect, cause);
        throw cause;
      }
    });

  const toStored = (row: { version?: unknown; record?: unknown }): StoredRecord => ({
    record: parseRecord(row.record, store),
    version: parseVersion(row.version, store),
  });

  return {
    table,
    dialect,

    migrate: () =>
      run('migrate', () =>
        runner.migrate([...(sql.lock ? [sql.lock] : []), ...sql.ddl.map((text) => ({ text, params: [] }))]),
      ),

    get: (userId) =>
      run('get', async () => {
        checkUserId(userId, store);
        checkUserIdLength(userId, dialect, store);
        const [row] = await runner.rows(sql.get(userId));
        return row === undefined ? null : toStored(row as { version?: unknown; record?: unknown });
      }),

    compareAndSet: (userId: string, expected: number | null, next: MfaRecord) =>
      run('compareAndSet', async () => {
        checkUserId(userId, store);
        checkUserIdLength(userId, dialect, store);
        const { json, resetOpen } = serialise(next, store);
        if (isImpossibleVersion(expected)) return false;
        if (dialect !== 'mysql') {
          const statement = expected === null ? sql.insert(userId, json, resetOpen) : sql.update(userId, expected, json, resetOpen);
          return (await runner.rows(statement)).length === 1;
        }
        if (expected !== null) return (await runner.affected(sql.update(userId, expected, json, resetOpen))) === 1;
        try {
          return (await runner.affected(sql.insert(userId, json, resetOpen))) === 1;
        } catch (error) {
          if (isDuplicateKey(error)) return false;
          throw error;
        }
      }),

    delete: (userId) =>
      run('delete', async () => {
        checkUserId(userId, store);
        checkUserIdLength(userId, dialect, store);
        const statement = sql.remove(userId);
        return dialect === 'mysql' ? (await runner.affected(statement)) === 1 : (await runner.rows(statement)).length === 1;
      }),

    listUsers: (options) =>
      run('listUsers', async () => {
        const limit = pageLimit(options?.limit, store);
        const cursor = options?.cursor ?? null;
        if (cursor !== null && typeof cursor !== 'string') throw new OtpError('ERR_OPTIONS', `${store}: cursor must be a string from a previous page`);
        const rows = (await runner.rows(sql.users(cursor, limit + 1))) as Array<{ user_id?: unknown }>;
        const userIds = rows.slice(0, limit).map((row) => String(row.user_id));
        return { userIds, cursor: rows.length > limit ? userIds.at(-1)! : null };
      }),

    listOpenResets: () =>
      run('listOpenResets', async () =>
        readOpenRows(
          (await runner.rows(sql.open())) as Array<{ user_id?: unknown; version?: unknown; record?: unknown }>,
          store,
          onError,
          (row) => ({ userId: String(row.user_id), ...toStored(row) }),
          (row) => row.user_id,
        ),
      ),
  };
}

/**
 * Refuses what is not the client the store wants, naming the fix: a URL
 * string, nothing at all, or another library's client. `looksRight` checks
 * the methods the store calls; `expected` says what to pass instead.
 */
export function requireClient(
  value: unknown,
  looksRight: (value: Record<string, unknown>) => boolean,
  store: string,
  expected: string,
): void {
  const fail = (why: string) => {
    throw new OtpError('ERR_OPTIONS', `${store}: ${why}`);
  };
  if (typeof value === 'string') fail(`db is a string; pass ${expected}, not a connection URL`);
  if (value === undefined || value === null) fail(`db is required: pass ${expected}`);
  if (typeof value !== 'object' && typeof value !== 'function') fail(`db must be ${expected}`);
  const db = value as Record<string, unknown>;
  if (looksRight(db)) return;
  const has = (method: string) => typeof db[method] === 'function';
  let hint = '';
  if (has('withoutPlugins') && has('selectFrom')) hint = '; this is a Kysely instance: use createKyselyStore from otpgate/stores/kysely';
  else if (has('select') && has('insert') && 'dialect' in db) hint = '; this is a Drizzle database: use createDrizzleStore from otpgate/stores/drizzle';
  else if (has('prepare') && has('exec')) hint = '; this looks like a better-sqlite3 Database: wrap it in your query builder, or use otpgate/stores/sqlite';
  else if (has('query') || has('execute') || has('getConnection')) {
    hint = '; this looks like a driver client (pg, mysql2): wrap it in your query builder, or use otpgate/stores/postgres for pg';
  }
  fail(`db must be ${expected}${hint}`);
}

/**
 * An {@link MfaStore} on PostgreSQL through the host's own `pg` `Pool`,
 * `Client` or `PoolClient`: one table shared by every application server.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresStore } from 'otpgate/stores/postgres';
 * const store = createPostgresStore({ client: new pg.Pool() });
 * await store.migrate();
 * ```
 *
 * @module otpgate/stores/postgres
 */
import { OtpError } from '../errors.js';
import type { MfaRecord } from '../seams/store.js';
import type { MfaStore, StoredRecord } from '../seams/store.js';
import { batched } from './_batch.js';
import {
  checkUserId,
  DEFAULT_TABLE,
  guarded,
  isImpossibleVersion,
  parseRecord,
  pageLimit,
  parseVersion,
  pgStorageSql,
  readOpenRows,
  requireMethod,
  serialise,
  sqlNames,
  warn,
} from './_shared.js';

const NAME = 'postgres store';

/** Calls of one kind in one statement at most, with `batch`. */
const BATCH_MAX = 256;

/**
 * What the store needs from a `pg` client: `query(text, values)`, and with
 * the `prepared` option also `query({ name, text, values })`. A `Pool`, a
 * `Client` and a `PoolClient` all fit; so does any object with the same
 * method, without the driver's types.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { PgQueryable } from 'otpgate/stores/postgres';
 * const client: PgQueryable = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgQueryable {
  /** Runs one statement with `$1`-style parameters (or several statements without). */
  query(
    text: string,
    values?: unknown[],
  ): Promise<{
    /** Rows inserted or updated: 1 when a compare-and-set wrote, 0 when it lost. */
    readonly rowCount: number | null;
    /** The rows selected. */
    readonly rows: unknown[];
  }>;
}

/** A client that also takes node-postgres's query config object, as `prepared` needs. */
interface PgConfigQueryable {
  query(config: { name: string; text: string; values: unknown[] }): ReturnType<PgQueryable['query']>;
}

/**
 * Options of {@link createPostgresStore}.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { PostgresStoreOptions } from 'otpgate/stores/postgres';
 * const options: PostgresStoreOptions = { client: new pg.Pool(), table: 'mfa' };
 * ```
 */
export interface PostgresStoreOptions {
  /**
   * The host's `pg` `Pool` (recommended: it replaces broken connections by
   * itself), `Client` or `PoolClient`. Timeouts are the client's: set
   * `query_timeout` or `statement_timeout` on it.
   */
  readonly client: PgQueryable;
  /**
   * The table, found through the connection's `search_path`: 1 to 48
   * letters, digits or underscores, not starting with a digit; anything
   * else throws `ERR_OPTIONS`.
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
  /**
   * Runs the statements of every login (`get` and `compareAndSet`) as named
   * prepared statements (node-postgres `{ name, text, values }`), so
   * PostgreSQL parses and plans each once per connection instead of at
   * every call: about a third less of its CPU per verify. Turn it on when
   * `client` takes a query config object (pg's `Pool`, `Client` and
   * `PoolClient` do) and reaches PostgreSQL directly or through a pooler
   * that keeps prepared statements apart per client (PgBouncer 1.21 and
   * later with `max_prepared_statements` set); PgBouncer in transaction
   * mode without that answers "prepared statement does not exist".
   * @default false
   */
  readonly prepared?: boolean | undefined;
  /**
   * Gathers the `get` calls made in one turn of the event loop into one
   * `SELECT … WHERE user_id = ANY($1)`, and their `compareAndSet` updates
   * into one `UPDATE … FROM unnest(…)`, so that many logins at once cost a
   * few statements and commits instead of two each: with 64 logins at once,
   * several times the rate (README, "Speed"). Each update still succeeds
   * only at the version it expects, row by row, and the rows are locked in
   * one order, so batches from many servers never deadlock. Two updates of
   * one user in the same batch run one after the other. A failure fails
   * every call of its statement with `ERR_STORE`. Needs a client that takes
   * arrays as parameters (pg does); combines with `prepared`.
   * @default false
   */
  readonly batch?: boolean | undefined;
}

/**
 * The PostgreSQL store: an {@link MfaStore} plus its schema helper.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresStore, type PostgresStore } from 'otpgate/stores/postgres';
 * const store: PostgresStore = createPostgresStore({ client: new pg.Pool() });
 * await store.migrate();
 * ```
 */
export interface PostgresStore extends MfaStore {
  /** The table name this store uses, unquoted. */
  readonly table: string;
  /**
   * Creates the table and its index if they do not exist, and sets the
   * table's storage settings where it has none (also on a table of an
   * earlier release; see {@link schemaSql}). Safe to call at every
   * start-up, also from many servers at once: it runs as one transaction
   * under an advisory lock named after the table.
   *
   * @throws {OtpError} ERR_STORE when PostgreSQL fails
   */
  migrate(): Promise<void>;
}

/**
 * The DDL of the PostgreSQL store: the table (user id, version, record as
 * `json`, a `reset_open` flag, `updated_at`) and a partial index over the
 * users whose reset request is open, which serves `listOpenResets()`
 * without a scan, then a `DO` block that sets the table's storage settings
 * (`toast_tuple_target` of one page, `fillfactor` 70) where it has none of
 * its own, so a record stays in its row and an update on its page. Every
 * statement can run again. The record column is `json`, not `jsonb`,
 * because `jsonb` refuses some strings JavaScript can hold (`\u0000`, lone
 * surrogates) and a record must come back equal.
 *
 * @param table - the table name (default `'otpgate_mfa'`)
 * @returns SQL text for `client.query()` or for the host's migration tool
 * @throws {OtpError} ERR_OPTIONS for a table name that is not a plain identifier
 *
 * @example
 * ```ts
 * import { schemaSql } from 'otpgate/stores/postgres';
 * console.log(schemaSql('otpgate_mfa')); // CREATE TABLE IF NOT EXISTS "otpgate_mfa" …
 * ```
 */
export function schemaSql(table: string = DEFAULT_TABLE): string {
  const names = sqlNames(table, NAME);
  return [
    `CREATE TABLE IF NOT EXISTS ${names.table} (`,
    '  user_id text PRIMARY KEY,',
    '  version bigint NOT NULL CHECK (version >= 1),',
    '  record json NOT NULL,',
    '  reset_open boolean NOT NULL DEFAULT false,',
    '  updated_at timestamptz NOT NULL DEFAULT now()',
    ');',
    `CREATE INDEX IF NOT EXISTS ${names.index} ON ${names.table} (user_id) WHERE reset_open;`,
    `${pgStorageSql(names.table)};`,
  ].join('\n');
}

/**
 * Creates an {@link MfaStore} on the host's `pg` client. Does no I/O: call
 * `migrate()` once (or run {@link schemaSql} in your own migrations)
 * before the first use.
 *
 * `compareAndSet` is one statement run by PostgreSQL:
 * `UPDATE … SET record = $3, version = version + 1 WHERE user_id = $1 AND
 * version = $2` (or `INSERT … ON CONFLICT DO NOTHING` for a new user), and
 * its row count decides the outcome. Under `READ COMMITTED` a concurrent
 * writer waits for the row lock and then re-checks the version, so exactly
 * one of any number of racing servers wins. Any driver error (a dropped
 * connection, a timeout, a missing table) rejects with
 * `OtpError('ERR_STORE')`; the record is then at its old version or, if the
 * statement committed before the connection broke, at its new one, never
 * in between. Read it again before deciding.
 *
 * @param options - the client and the table name
 * @returns the store
 * @throws {OtpError} ERR_OPTIONS when `client` has no `query` method or `table` is not a plain identifier
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresStore } from 'otpgate/stores/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, query_timeout: 5_000 });
 * pool.on('error', (error) => console.error('idle pg client failed', error));
 * const store = createPostgresStore({ client: pool });
 * await store.migrate();
 * // createGate({ store, directory, notifier, policy, issuer: 'Example' })
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  requireMethod(options?.client, 'query', NAME, 'client');
  const client = options.client;
  const tableName = options.table ?? DEFAULT_TABLE;
  const { table } = sqlNames(tableName, NAME);
  const onError = options.onError ?? warn;
  const prepared = options.prepared ?? false;
  if (typeof prepared !== 'boolean') throw new OtpError('ERR_OPTIONS', `${NAME}: prepared must be a boolean`);
  const batch = options.batch ?? false;
  if (typeof batch !== 'boolean') throw new OtpError('ERR_OPTIONS', `${NAME}: batch must be a boolean`);

  const sql = {
    get: `SELECT version::text AS version, record::text AS record FROM ${table} WHERE user_id = $1`,
    insert:
      `INSERT INTO ${table} (user_id, version, record, reset_open) VALUES ($1, 1, $2::json, $3) ` +
      'ON CONFLICT (user_id) DO NOTHING',
    update:
      `UPDATE ${table} SET record = $3::json, reset_open = $4, version = version + 1, updated_at = now() ` +
      'WHERE user_id = $1 AND version = $2',
    mget: `SELECT user_id, version::text AS version, record::text AS record FROM ${table} WHERE user_id = ANY($1::text[])`,
    // The CTE locks the rows that still have the version expected, in user
    // id order: two batches sharing users then never wait on each other in
    // a cycle. A row updated meanwhile by another server is re-checked
    // after its lock (READ COMMITTED) and left out, as with a single update.
    mset:
      `WITH v AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::boolean[]) AS v (user_id, version, record, reset_open)), ` +
      `locked AS (SELECT t.user_id FROM ${table} t JOIN v ON t.user_id = v.user_id AND t.version = v.version ORDER BY t.user_id FOR UPDATE OF t) ` +
      `UPDATE ${table} t SET record = v.record::json, reset_open = v.reset_open, version = t.version + 1, updated_at = now() ` +
      'FROM v WHERE t.user_id = v.user_id AND t.version = v.version AND t.user_id IN (SELECT user_id FROM locked) RETURNING t.user_id',
    open:
      `SELECT user_id, version::text AS version, record::text AS record FROM ${table} ` +
      'WHERE reset_open ORDER BY user_id',
    remove: `DELETE FROM ${table} WHERE user_id = $1`,
    users: `SELECT user_id FROM ${table} WHERE $1::text IS NULL OR user_id > $1 ORDER BY user_id LIMIT $2`,
    // One simple-protocol query string runs as one implicit transaction, so
    // the advisory lock holds while the DDL runs and concurrent migrations
    // queue instead of failing on the catalog's unique indexes. The name is
    // validated, so quoting it as a literal is safe.
    migrate: `SELECT pg_advisory_xact_lock(hashtext('otpgate:migrate:${tableName}'));\n${schemaSql(tableName)}`,
  };

  // Statement names are per connection and hold at most 63 bytes: 15 plus
  // a table name of at most 48. The table is in the name, so stores on
  // other tables can share a connection.
  const run = (statement: 'get' | 'insert' | 'update' | 'mget' | 'mset', values: unknown[]) =>
    prepared
      ? (client as unknown as PgConfigQueryable).query({ name: `otpgate_${statement}_${tableName}`, text: sql[statement], values })
      : client.query(sql[statement], values);

  const toStored = (row: { version?: unknown; record?: unknown }): StoredRecord => ({
    record: parseRecord(row.record, NAME),
    version: parseVersion(row.version, NAME),
  });

  type Row = { user_id?: unknown; version?: unknown; record?: unknown };
  interface Update {
    readonly userId: string;
    readonly expected: number;
    readonly json: string;
    readonly resetOpen: boolean;
  }
  const update = async ({ userId, expected, json, resetOpen }: Update): Promise<boolean> =>
    (await run('update', [userId, expected, json, resetOpen])).rowCount === 1;

  const getOne = async (userId: string) => (await run('get', [userId])).rows[0] as Row | undefined;
  // A batch of one takes the single-row statements, which PostgreSQL runs
  // faster: a lone login pays nothing for `batch`. Rows are parsed by each
  // caller (in `get`), so one unreadable record fails its own user's call only.
  const getRow = batch
    ? batched(async (userIds: readonly string[]) => {
        if (userIds.length === 1) return [await getOne(userIds[0]!)];
        const { rows } = await run('mget', [[...new Set(userIds)]]);
        const byId = new Map((rows as Row[]).map((row) => [String(row.user_id), row]));
        return userIds.map((userId) => byId.get(userId));
      }, BATCH_MAX)
    : getOne;

  const updateRow = batch
    ? batched(async (updates: readonly Update[]) => {
        if (updates.length === 1) return [await update(updates[0]!)];
        // One user twice in one UPDATE … FROM would update its row once and
        // report it for both: the second goes alone, after.
        const first = new Map<string, Update>();
        for (const entry of updates) if (!first.has(entry.userId)) first.set(entry.userId, entry);
        const once = [...first.values()];
        const { rows } = await run('mset', [
          once.map((entry) => entry.userId),
          once.map((entry) => entry.expected),
          once.map((entry) => entry.json),
          once.map((entry) => entry.resetOpen),
        ]);
        const won = new Set((rows as Row[]).map((row) => String(row.user_id)));
        const results: boolean[] = [];
        for (const entry of updates) results.push(first.get(entry.userId) === entry ? won.has(entry.userId) : await update(entry));
        return results;
      }, BATCH_MAX)
    : update;

  return {
    table: tableName,

    migrate: () =>
      guarded(NAME, 'migrate', async () => {
        await client.query(sql.migrate);
      }),

    get: (userId) =>
      guarded(NAME, 'get', async () => {
        checkUserId(userId, NAME);
        const row = await getRow(userId);
        return row === undefined ? null : toStored(row);
      }),

    compareAndSet: (userId: string, expected: number | null, next: MfaRecord) =>
      guarded(NAME, 'compareAndSet', async () => {
        checkUserId(userId, NAME);
        const { json, resetOpen } = serialise(next, NAME);
        if (isImpossibleVersion(expected)) return false;
        if (expected === null) return (await run('insert', [userId, json, resetOpen])).rowCount === 1;
        return updateRow({ userId, expected, json, resetOpen });
      }),

    delete: (userId) =>
      guarded(NAME, 'delete', async () => {
        checkUserId(userId, NAME);
        return (await client.query(sql.remove, [userId])).rowCount === 1;
      }),

    listUsers: (options) =>
      guarded(NAME, 'listUsers', async () => {
        const limit = pageLimit(options?.limit, NAME);
        const { rows } = await client.query(sql.users, [options?.cursor ?? null, limit + 1]);
        const userIds = (rows as Array<{ user_id?: unknown }>).slice(0, limit).map((row) => String(row.user_id));
        return { userIds, cursor: rows.length > limit ? userIds.at(-1)! : null };
      }),

    listOpenResets: () =>
      guarded(NAME, 'listOpenResets', async () => {
        const { rows } = await client.query(sql.open);
        return readOpenRows(
          rows as Array<{ user_id?: unknown; version?: unknown; record?: unknown }>,
          NAME,
          onError,
          (row) => ({ userId: String(row.user_id), ...toStored(row) }),
          (row) => row.user_id,
        );
      }),
  };
}

// Helpers shared by the database stores. Not exported from any entry point:
// each store entry bundles its own copy, so keep this stateless.
import { OtpError } from '../errors.js';
import { redactError } from '../internal/redact.js';
import { isWellFormed } from '../internal/text.js';
import type { MfaRecord, UserRecord } from '../seams/store.js';

// Letters, digits and underscores, not starting with a digit, short enough
// for the derived index name to stay within PostgreSQL's 63-byte limit. The
// name is still double-quoted in SQL; the check is what keeps a
// configuration value from ever becoming SQL.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** The default table of the SQL stores. */
export const DEFAULT_TABLE = 'otpgate_mfa';

/** Validates a table name and returns it double-quoted, with its index name. */
export function sqlNames(table: unknown, store: string): { readonly table: string; readonly index: string } {
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new OtpError(
      'ERR_OPTIONS',
      `${store}: table must be 1 to 48 letters, digits or underscores, not starting with a digit`,
    );
  }
  return { table: `"${table}"`, index: `"${table}_reset_open"` };
}

/**
 * The PostgreSQL table's storage settings, as one `DO` block that sets each
 * one only where the table has none (a host's own choice stays), so it
 * also brings a table created by an earlier release up to date. Takes the
 * quoted table name of {@link sqlNames}.
 *
 * - `toast_tuple_target` of one page (8160 bytes on 8 KB pages): a record
 *   with its recovery codes is about 2 KB, just over PostgreSQL's default
 *   threshold, which moved every version of it into the TOAST table: each
 *   write inserted two chunks there and two index entries, each read
 *   fetched them back, and the TOAST table grew with every login until
 *   vacuumed. Records up to a page now stay in the row.
 * - `fillfactor` 70: inserts leave room on each page for the next version
 *   of its rows, so an update stays on the page (HOT) and adds no index
 *   entry; every login rewrites its user's row.
 *
 * Both change only how rows written from now on are laid out: rows already
 * stored, in the TOAST table or not, read as before. `ALTER TABLE … SET`
 * takes a lock that does not wait for reads and writes of rows, and needs
 * no more than the statement before it: `CREATE INDEX IF NOT EXISTS` already
 * takes a stronger lock on the table and must be run by its owner.
 */
export function pgStorageSql(quotedTable: string): string {
  return [
    'DO $otpgate$',
    'DECLARE',
    `  settings text[] := coalesce((SELECT reloptions FROM pg_class WHERE oid = '${quotedTable}'::regclass), '{}');`,
    "  missing text[] := '{}';",
    'BEGIN',
    "  IF NOT EXISTS (SELECT FROM unnest(settings) AS s WHERE s LIKE 'toast_tuple_target=%') THEN",
    "    missing := missing || format('toast_tuple_target = %s', current_setting('block_size')::int - 32);",
    '  END IF;',
    "  IF NOT EXISTS (SELECT FROM unnest(settings) AS s WHERE s LIKE 'fillfactor=%') THEN",
    "    missing := missing || 'fillfactor = 70'::text;",
    '  END IF;',
    '  IF cardinality(missing) > 0 THEN',
    `    EXECUTE format('ALTER TABLE %s SET (%s)', '${quotedTable}', array_to_string(missing, ', '));`,
    '  END IF;',
    'END',
    '$otpgate$',
  ].join('\n');
}

/** A record as the stores write it: JSON text and whether a reset is open. */
export interface SerialisedRecord {
  readonly json: string;
  readonly resetOpen: boolean;
}

export function serialise(record: MfaRecord, store: string): SerialisedRecord {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch (cause) {
    throw new OtpError('ERR_STORE', `${store}: the record is not a JSON value`, { cause });
  }
  if (typeof json !== 'string' || typeof record !== 'object' || record === null) {
    throw new OtpError('ERR_STORE', `${store}: the record is not a JSON object`);
  }
  const request = (record as { resetRequest?: unknown }).resetRequest;
  return { json, resetOpen: request !== null && request !== undefined };
}

export function parseRecord(json: unknown, store: string): MfaRecord {
  if (typeof json !== 'string') throw new OtpError('ERR_STORE', `${store}: a stored record is not text`);
  try {
    return JSON.parse(json) as MfaRecord;
  } catch (cause) {
    throw new OtpError('ERR_STORE', `${store}: a stored record is not valid JSON`, { cause });
  }
}

export function parseVersion(value: unknown, store: string): number {
  // pg returns bigint columns as strings, Redis returns everything as strings.
  const version = typeof value === 'string' ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new OtpError('ERR_STORE', `${store}: a stored version is not a positive integer`);
  }
  return version;
}

/** A version that no stored record can have: the write is refused without a round trip. */
export function isImpossibleVersion(expected: number | null): boolean {
  return expected !== null && !(Number.isSafeInteger(expected) && expected >= 1);
}

/**
 * Runs one backend operation and turns any failure into `ERR_STORE`. The
 * message names the store and the operation only; the cause is a redacted
 * copy of the driver's error (its name, code and message with long tokens
 * removed), never the error itself, which can hold the command's arguments:
 * the record, with the secret and the recovery-code hashes.
 */
export async function guarded<T>(store: string, operation: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    if (cause instanceof OtpError) throw cause;
    throw new OtpError('ERR_STORE', `${store}: ${operation} failed`, { cause: redactError(cause) });
  }
}

/** Refuses a user id the stores cannot keep apart: not a non-empty string, or not well-formed UTF-16. */
export function checkUserId(userId: unknown, store: string): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) throw new OtpError('ERR_OPTIONS', `${store}: userId must be a non-empty string`);
  if (!isWellFormed(userId)) throw new OtpError('ERR_OPTIONS', `${store}: userId must be well-formed Unicode (it has a lone surrogate)`);
}

/** The page size of `listUsers`, checked: 1 to 1000, 100 by default. */
export function pageLimit(limit: unknown, store: string): number {
  if (limit === undefined) return 100;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000) throw new OtpError('ERR_OPTIONS', `${store}: limit must be an integer from 1 to 1000`);
  return limit;
}

/** Where a store reports a row it skipped. */
export type StoreErrorHook = (error: OtpError) => void;

/** The default: one line on the console, naming the store and the user, never the row. */
export const warn: StoreErrorHook = (error) => console.warn(`otpgate: ${error.message}`);

/**
 * Reads the rows of `listOpenResets`: a row that cannot be read is skipped
 * and reported, so one corrupted record never hides every other request.
 */
export function readOpenRows<Row>(
  rows: readonly Row[],
  store: string,
  onError: StoreErrorHook,
  read: (row: Row) => UserRecord,
  userOf: (row: Row) => unknown,
): UserRecord[] {
  const open: UserRecord[] = [];
  for (const row of rows) {
    try {
      open.push(read(row));
    } catch (cause) {
      const user = String(userOf(row)).slice(0, 256);
      const reason = cause instanceof OtpError ? cause.message : 'it cannot be read';
      onError(new OtpError('ERR_STORE', `${store}: listOpenResets skipped the record of user ${JSON.stringify(user)}: ${reason}`));
    }
  }
  return open;
}

export function requireMethod(client: unknown, method: string, store: string, option: string): void {
  if (typeof client !== 'object' && typeof client !== 'function') {
    throw new OtpError('ERR_OPTIONS', `${store}: ${option} is required`);
  }
  if (client === null || typeof (client as Record<string, unknown>)[method] !== 'function') {
    throw new OtpError('ERR_OPTIONS', `${store}: ${option} must have a ${method}() method`);
  }
}

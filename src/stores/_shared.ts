// Helpers shared by the database stores. Not exported from any entry point:
// each store entry bundles its own copy, so keep this stateless.
import { OtpError } from '../errors.js';
import type { MfaRecord } from '../seams/store.js';

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
 * message names the store and the operation only: driver messages can quote
 * values, so they stay in `cause`.
 */
export async function guarded<T>(store: string, operation: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    if (cause instanceof OtpError) throw cause;
    throw new OtpError('ERR_STORE', `${store}: ${operation} failed`, { cause });
  }
}

export function requireMethod(client: unknown, method: string, store: string, option: string): void {
  if (typeof client !== 'object' && typeof client !== 'function') {
    throw new OtpError('ERR_OPTIONS', `${store}: ${option} is required`);
  }
  if (client === null || typeof (client as Record<string, unknown>)[method] !== 'function') {
    throw new OtpError('ERR_OPTIONS', `${store}: ${option} must have a ${method}() method`);
  }
}

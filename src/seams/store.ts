/**
 * A user's record as an {@link MfaStore} sees it: a plain JSON value
 * (objects, arrays, strings, numbers, booleans, `null`) that the store saves
 * and gives back unchanged. The only field a store may look at is
 * `resetRequest`: `null`, or an object while the user has a reset request
 * open (SQL and Redis stores index on it for `listOpenResets`). The gate
 * writes its own schema-versioned record; everything else about it is the gate's
 * business.
 *
 * @example
 * ```ts
 * import type { MfaRecord } from 'otpgate';
 * function hasOpenReset(record: MfaRecord): boolean { return record.resetRequest !== null; }
 * ```
 */
export interface MfaRecord {
  /** An open reset request, or `null`. */
  readonly resetRequest: {
    /** When the request was made (ms since the epoch). */
    readonly requestedAt: number;
  } | null;
  readonly [field: string]: unknown;
}

/**
 * A user's record as stored, with the version that guards its next write.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'otpgate';
 * const found = await createMemoryStore().get('alice'); // { record, version } or null
 * ```
 */
export interface StoredRecord {
  /** The record, as last written. */
  readonly record: MfaRecord;
  /** Starts at 1 with the first write and grows by one with each write. */
  readonly version: number;
}

/**
 * A stored record together with the user it belongs to, as
 * {@link MfaStore.listOpenResets} lists it.
 *
 * @example
 * ```ts
 * import { createMemoryStore, type UserRecord } from 'otpgate';
 * const open: UserRecord[] = await createMemoryStore().listOpenResets();
 * ```
 */
export interface UserRecord extends StoredRecord {
  /** The user the record belongs to. */
  readonly userId: string;
}

/**
 * Where the gate keeps one versioned record per user. This is the seam a
 * host implements (or takes from `otpgate/stores/*`) to put otpgate on its
 * own database.
 *
 * Every method may be called concurrently from any number of processes that
 * share the backend. The gate's guarantees (a code accepted once, postpones
 * counted exactly, a lock that holds everywhere) rest on one property:
 * **`compareAndSet` is atomic**. Under concurrent calls for the same user
 * with the same `expected` version, exactly one resolves `true`; a write is
 * never partial; the check and the write happen in the backend (one
 * conditional statement or script), never as a read followed by a write in
 * JavaScript.
 *
 * Records are plain JSON values; a store may serialise them as it likes but
 * must give back an equal value. Secrets in a record are already wrapped by
 * the gate's `SecretCipher` when one is configured.
 *
 * Backend failures reject with `OtpError('ERR_STORE', …, { cause })`; they
 * are never reported as `false` (that means "another writer won") nor as a
 * silent success.
 *
 * The conformance suite proves these rules on every store shipped with
 * otpgate; `otpgate/testing` runs it on your own (vitest, jest, mocha or
 * `node:test`).
 *
 * @example
 * ```ts
 * import { createGate, createMemoryStore, type MfaStore } from 'otpgate';
 * const store: MfaStore = createMemoryStore();
 * const found = await store.get('alice');
 * ```
 */
export interface MfaStore {
  /**
   * The current record and its version, or `null` when the user has none.
   * "Not found" is `null`, never an error.
   */
  get(userId: string): Promise<StoredRecord | null>;

  /**
   * Writes `next` only if the stored version still equals `expected`
   * (`null`: only if no record exists yet). Resolves `true` when written,
   * the version then being `expected + 1` (or 1 for a new record), and
   * `false` when another writer got there first.
   */
  compareAndSet(userId: string, expected: number | null, next: MfaRecord): Promise<boolean>;

  /**
   * The records that have an open reset request (`record.resetRequest` not
   * `null`), for `gate.pendingResets(adminId)`. SQL stores serve this from an
   * index, not a scan of every user. It is a read across users and is not
   * part of the compare-and-set contract: an entry may be stale by the time
   * an administrator acts on it, which the gate checks.
   */
  listOpenResets(): Promise<Array<UserRecord>>;

  /**
   * Deletes the user's record (`gate.deleteUser`: account deletion, GDPR).
   * Resolves whether there was one. Optional: without it `deleteUser`
   * throws `ERR_OPTIONS`.
   */
  delete?(userId: string): Promise<boolean>;

  /**
   * User ids that have a record, a page at a time (`rewrapSecrets`, reports,
   * maintenance): pass the returned `cursor` back for the next page; `null`
   * means done. The order is the store's own; every user present for the
   * whole walk is listed at least once (Redis's SCAN may list one twice;
   * SQL stores list each once). Optional.
   */
  listUsers?(options?: ListUsersOptions): Promise<UserPage>;
}

/**
 * Options of {@link MfaStore.listUsers}.
 *
 * @example
 * ```ts
 * import type { ListUsersOptions } from 'otpgate';
 * const next: ListUsersOptions = { cursor: 'from the last page', limit: 500 };
 * ```
 */
export interface ListUsersOptions {
  /** From a previous page's `cursor`; absent or `null`: the first page. */
  readonly cursor?: string | null | undefined;
  /** Ids per page, 1 to 1000. @defaultValue `100` */
  readonly limit?: number | undefined;
}

/**
 * One page of {@link MfaStore.listUsers}.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'otpgate';
 * const page = await createMemoryStore().listUsers!({ limit: 10 }); // { userIds: [], cursor: null }
 * ```
 */
export interface UserPage {
  /** User ids on this page. */
  readonly userIds: readonly string[];
  /** The next page's cursor, or `null` after the last page. */
  readonly cursor: string | null;
}

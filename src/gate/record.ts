// PLACEHOLDER owned by the gate work (issue 4): the gate helper replaces this
// with the real record. Stores rely only on: the record is a JSON value, and
// `resetRequest` is `null` or an object when a reset request is open.

/**
 * The state otpgate keeps for one user. A plain JSON value.
 *
 * @example
 * ```ts
 * import type { MfaRecord } from 'otpgate';
 * function hasOpenReset(record: MfaRecord): boolean { return record.resetRequest !== null; }
 * ```
 */
export interface MfaRecord {
  /** An open reset request, or `null`. */
  readonly resetRequest: { readonly requestedAt: number } | null;
  readonly [field: string]: unknown;
}

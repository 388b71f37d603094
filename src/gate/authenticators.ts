// A user's authenticators as one list. The record keeps the first TOTP
// authenticator in `active`, as records of the first edition did, any further
// ones in `additional`, so a record written before several were possible
// reads as a list of one without being rewritten; passkeys come after them,
// in `passkeys`.
import type { ActiveSecret, GateRecord, StoredPasskey } from './record.js';

/** The id of an authenticator enrolled before authenticators had ids. */
export const LEGACY_ID = 'primary';

/** @internal Every TOTP authenticator of the record, in enrollment order. */
export function authenticatorsOf(record: GateRecord): readonly ActiveSecret[] {
  return record.active === null ? [] : [record.active, ...(record.additional ?? [])];
}

/** @internal The record with `list` as its TOTP authenticators. */
export function withAuthenticators(record: GateRecord, list: readonly ActiveSecret[]): GateRecord {
  const [first = null, ...rest] = list;
  const next: GateRecord = { ...record, active: first };
  return rest.length > 0 || record.additional !== undefined ? { ...next, additional: rest } : next;
}

/** @internal The record's passkeys, in registration order. */
export function passkeysOf(record: GateRecord): readonly StoredPasskey[] {
  return record.passkeys ?? [];
}

/** @internal How many authenticators of any type the user has. */
export function authenticatorCount(record: GateRecord): number {
  return authenticatorsOf(record).length + passkeysOf(record).length;
}

/** @internal Whether the user has any authenticator (an app or a passkey): enrolled. */
export function hasAuthenticator(record: GateRecord): boolean {
  return record.active !== null || passkeysOf(record).length > 0;
}

/** @internal An authenticator's id. */
export function idOf(authenticator: ActiveSecret): string {
  return authenticator.id ?? LEGACY_ID;
}

/** @internal An authenticator's label as shown on a settings page. */
export function labelOf(authenticator: ActiveSecret): string {
  return authenticator.label ?? 'Authenticator app';
}

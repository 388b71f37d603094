// A user's authenticators as one list. The record keeps the first in
// `active`, as records of the first edition did, and any further ones in
// `additional`, so a record written before several were possible reads as a
// list of one without being rewritten.
import type { ActiveSecret, GateRecord } from './record.js';

/** The id of an authenticator enrolled before authenticators had ids. */
export const LEGACY_ID = 'primary';

/** @internal Every authenticator of the record, in enrollment order. */
export function authenticatorsOf(record: GateRecord): readonly ActiveSecret[] {
  return record.active === null ? [] : [record.active, ...(record.additional ?? [])];
}

/** @internal The record with `list` as its authenticators. */
export function withAuthenticators(record: GateRecord, list: readonly ActiveSecret[]): GateRecord {
  const [first = null, ...rest] = list;
  const next: GateRecord = { ...record, active: first };
  return rest.length > 0 || record.additional !== undefined ? { ...next, additional: rest } : next;
}

/** @internal An authenticator's id. */
export function idOf(authenticator: ActiveSecret): string {
  return authenticator.id ?? LEGACY_ID;
}

/** @internal An authenticator's label as shown on a settings page. */
export function labelOf(authenticator: ActiveSecret): string {
  return authenticator.label ?? 'Authenticator app';
}

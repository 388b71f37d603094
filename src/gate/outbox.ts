// Bookkeeping of the record's outbox, pure like decide(): events are stored
// with the change they report, claimed by one delivering call (so two servers
// do not both send them), then removed once the notifier took them or
// released for a later retry when it failed.
import type { GateEvent } from './events.js';
import type { GateRecord, OutboxEntry } from './record.js';

/** How long a claim holds before another call may take the event over (a server died mid-delivery). */
export const CLAIM_MS = 60_000;

/**
 * @internal
 * Claims every entry nobody is delivering (never claimed, released after a
 * failure, or claimed by a call whose lease ran out) for `token`.
 */
export function claimOutbox(record: GateRecord, token: string, now: number): { next: GateRecord; claimed: GateEvent[] } {
  const claimed: GateEvent[] = [];
  const outbox = record.outbox.map((entry): OutboxEntry => {
    if (entry.claim !== null && now < entry.claim.until) return entry;
    claimed.push(entry.event);
    return { ...entry, claim: { token, until: now + CLAIM_MS } };
  });
  return claimed.length === 0 ? { next: record, claimed } : { next: { ...record, outbox }, claimed };
}

/**
 * @internal
 * Removes the delivered events and releases the failed ones held by `token`.
 * A delivered `reset-requested` event starts the cool-down of the
 * administrators it named.
 */
export function settleOutbox(
  record: GateRecord,
  token: string,
  delivered: ReadonlySet<string>,
  failed: ReadonlySet<string>,
  now: number,
): GateRecord {
  let changed = false;
  let request = record.resetRequest;
  const outbox: OutboxEntry[] = [];
  for (const entry of record.outbox) {
    const { event } = entry;
    if (delivered.has(event.id)) {
      changed = true;
      if (event.type === 'reset-requested' && request !== null && request.id === event.requestId) {
        const notifiedAt = { ...request.notifiedAt };
        for (const admin of event.to) notifiedAt[admin] = now;
        request = { ...request, notifiedAt, lastNotifiedAt: now };
      }
    } else if (failed.has(event.id) && entry.claim?.token === token) {
      changed = true;
      outbox.push({ ...entry, claim: null, attempts: entry.attempts + 1 });
    } else {
      outbox.push(entry);
    }
  }
  return changed ? { ...record, outbox, resetRequest: request } : record;
}

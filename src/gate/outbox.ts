// Bookkeeping of the record's outbox, pure like decide(): events are stored
// with the change they report, claimed by one delivering call (so two servers
// do not both send them), then removed once the notifier took them, or
// released with a back-off when it failed.
//
// What a delivery learned (delivered, failed, not tried) is not written on
// its own: it is a Settlement, folded into the user's next write, so the
// common path (a verify, a postpone) costs one write. Until then the claim
// keeps every other server off those events.
import type { GateEvent } from './events.js';
import type { GateRecord, OutboxEntry } from './record.js';

/** How long a claim holds before another call may take the event over (a server died mid-delivery). */
export const CLAIM_MS = 60_000;

/** The first retry of a failed event waits this long; each further one twice as long. */
export const RETRY_BASE_MS = 30_000;

/** The longest wait between two tries of the same event. */
export const RETRY_MAX_MS = 3_600_000;

/** Events kept undelivered per user at most; past that the oldest are dropped and counted in one `events-dropped` event. */
export const OUTBOX_LIMIT = 500;

/**
 * @internal
 * What delivering calls learned, not yet written: per event id, the token of
 * the call that held its claim, what happened and when.
 */
export type Settlement = Map<string, { readonly token: string; readonly outcome: 'delivered' | 'failed' | 'untried'; readonly at: number }>;

/** @internal The wait before the next try of an event that failed `attempts` times. */
export function retryDelay(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
}

/** @internal Whether an entry's back-off is over. */
export function isDue(entry: OutboxEntry, now: number): boolean {
  return entry.retryAt === undefined || now >= entry.retryAt;
}

/**
 * @internal
 * Claims, for `token`, every entry nobody is delivering (never claimed,
 * released, or claimed by a call whose lease ran out) that `pick` takes: by
 * default those whose back-off is over.
 */
export function claimOutbox(
  record: GateRecord,
  token: string,
  now: number,
  pick: (entry: OutboxEntry) => boolean = (entry) => isDue(entry, now),
): { next: GateRecord; claimed: GateEvent[] } {
  const claimed: GateEvent[] = [];
  const outbox = record.outbox.map((entry): OutboxEntry => {
    if (entry.claim !== null && now < entry.claim.until) return entry;
    if (!pick(entry)) return entry;
    claimed.push(entry.event);
    return { ...entry, claim: { token, until: now + CLAIM_MS } };
  });
  return claimed.length === 0 ? { next: record, claimed } : { next: { ...record, outbox }, claimed };
}

/**
 * @internal
 * Applies a settlement: removes the delivered events, releases the failed
 * ones (with a back-off that never ends before their claim would have, so a
 * late answer and a retry cannot overlap) and the untried ones, each only
 * while the claim is still the settling call's. A delivered
 * `reset-requested` event starts the cool-down of the administrators it named.
 */
export function settleOutbox(record: GateRecord, settlement: Settlement): GateRecord {
  if (settlement.size === 0) return record;
  let changed = false;
  let request = record.resetRequest;
  let cooldowns = record.cooldowns;
  const outbox: OutboxEntry[] = [];
  for (const entry of record.outbox) {
    const { event, claim } = entry;
    const settled = settlement.get(event.id);
    if (settled?.outcome === 'delivered') {
      changed = true;
      if (event.type === 'reset-requested') {
        cooldowns = stamp(cooldowns ?? {}, event.to, settled.at);
        if (request !== null && request.id === event.requestId) {
          request = { ...request, notifiedAt: stamp(request.notifiedAt, event.to, settled.at), lastNotifiedAt: settled.at };
        }
      }
    } else if (settled !== undefined && claim?.token === settled.token) {
      changed = true;
      if (settled.outcome === 'failed') {
        const attempts = entry.attempts + 1;
        outbox.push({ ...entry, claim: null, attempts, retryAt: Math.max(claim.until, settled.at + retryDelay(attempts)) });
      } else {
        outbox.push({ ...entry, claim: null });
      }
    } else {
      outbox.push(entry);
    }
  }
  if (!changed) return record;
  const next: GateRecord = { ...record, outbox, resetRequest: request };
  return cooldowns === undefined ? next : { ...next, cooldowns };
}

/**
 * Copies `times` with each of `ids` set to `at`. Built with
 * `Object.fromEntries`, which defines own properties: an id such as
 * `__proto__` is a key like any other, never the object's prototype.
 */
export function stamp(times: { readonly [id: string]: number }, ids: readonly string[], at: number): { readonly [id: string]: number } {
  return Object.fromEntries([...Object.entries(times), ...ids.map((id) => [id, at] as const)]);
}

/**
 * @internal
 * Queues new events behind the undelivered ones. Past {@link OUTBOX_LIMIT}
 * the oldest entries are dropped and one `events-dropped` event, kept first,
 * counts them by type (an earlier one's counts included): a notifier down for
 * good cannot grow the record without bound, and the host still learns what
 * was lost. An entry being delivered right then may be dropped too; if that
 * delivery still succeeds, the host hears of the event and of it in the count.
 */
export function enqueue(outbox: readonly OutboxEntry[], events: readonly GateEvent[], summary: () => Omit<GateEvent & { type: 'events-dropped' }, 'dropped' | 'types'>): readonly OutboxEntry[] {
  const all = [...outbox, ...events.map((event): OutboxEntry => ({ event, claim: null, attempts: 0 }))];
  if (all.length <= OUTBOX_LIMIT) return all;
  // One place is kept for the summary.
  const excess = all.length + 1 - OUTBOX_LIMIT;
  const types: { [type: string]: number } = {};
  const add = (type: string, n: number) => {
    types[type] = (Object.hasOwn(types, type) ? types[type]! : 0) + n;
  };
  for (const { event } of all.slice(0, excess)) {
    if (event.type === 'events-dropped') for (const [type, n] of Object.entries(event.types)) add(type, n);
    else add(event.type, 1);
  }
  const count = Object.values(types).reduce((sum, n) => sum + n, 0);
  const event = { ...summary(), dropped: count, types } as GateEvent;
  return [{ event, claim: null, attempts: 0 }, ...all.slice(excess)];
}

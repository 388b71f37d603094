// Written from the mutants that survived `npm run mutation` on
// src/gate/outbox.ts: which entries a delivering call takes and gives back,
// that a call with nothing to do leaves the record as it was (the shell then
// skips the write), and which reset request a delivered notification cools.
import { describe, expect, it } from 'vitest';
import type { GateEvent } from '../../src/gate/events.js';
import { CLAIM_MS, claimOutbox, enqueue, OUTBOX_LIMIT, retryDelay, settleOutbox, type Settlement } from '../../src/gate/outbox.js';
import { initialRecord, type GateRecord, type OutboxEntry, type ResetRequestRecord } from '../../src/gate/record.js';
import { T0 } from './fixtures.js';

function event(id: string, fields: Record<string, unknown> = { type: 'postponed', postponesLeft: 1 }): GateEvent {
  return { id, userId: 'alice', actor: 'alice', at: T0, ...fields } as unknown as GateEvent;
}

function resetEvent(id: string, requestId: string, to: string[]): GateEvent {
  return event(id, { type: 'reset-requested', requestId, to, expiresAt: T0 + 3_600_000 });
}

function entry(ev: GateEvent, claim: OutboxEntry['claim'] = null, attempts = 0): OutboxEntry {
  return { event: ev, claim, attempts };
}

function request(id: string): ResetRequestRecord {
  return { id, to: ['root', 'ops'], requestedAt: T0 - 1000, expiresAt: T0 + 3_600_000, lastNotifiedAt: null, notifiedAt: {} };
}

function record(outbox: OutboxEntry[], resetRequest: ResetRequestRecord | null = null): GateRecord {
  return { ...initialRecord(), state: 'enrolled', outbox, resetRequest };
}

describe('claimOutbox', () => {
  it('with every entry held by a live claim, takes nothing and returns the record unchanged', () => {
    const r = record([entry(event('e1'), { token: 'other', until: T0 + 1 })]);
    const { next, claimed } = claimOutbox(r, 'mine', T0);
    expect(claimed).toEqual([]);
    // The same object: the shell compares by identity to skip a needless compare-and-set.
    expect(next).toBe(r);
  });

  it('takes over an expired claim and a released entry, not a live one', () => {
    const r = record([
      entry(event('e1'), { token: 'other', until: T0 }),
      entry(event('e2'), { token: 'other', until: T0 + 1 }),
      entry(event('e3'), null, 2),
    ]);
    const { next, claimed } = claimOutbox(r, 'mine', T0);
    expect(claimed.map((e) => e.id)).toEqual(['e1', 'e3']);
    expect(next.outbox.map((e) => e.claim)).toEqual([
      { token: 'mine', until: T0 + CLAIM_MS },
      { token: 'other', until: T0 + 1 },
      { token: 'mine', until: T0 + CLAIM_MS },
    ]);
  });

  it('by default leaves an entry whose back-off is not over, and takes it from then on', () => {
    const r = record([{ ...entry(event('e1'), null, 1), retryAt: T0 + 10 }, entry(event('e2'))]);
    expect(claimOutbox(r, 'mine', T0 + 9).claimed.map((e) => e.id)).toEqual(['e2']);
    expect(claimOutbox(r, 'mine', T0 + 10).claimed.map((e) => e.id)).toEqual(['e1', 'e2']);
    // A pick that takes everything (an explicit flush) ignores the back-off, never a live claim.
    const held = record([{ ...entry(event('e1'), null, 1), retryAt: T0 + 10 }, entry(event('e2'), { token: 'other', until: T0 + 1 })]);
    expect(claimOutbox(held, 'mine', T0, () => true).claimed.map((e) => e.id)).toEqual(['e1']);
  });
});

/** A settlement: every id under `token`, with its outcome. */
function settlement(token: string, outcomes: { delivered?: string[]; failed?: string[]; untried?: string[] }, at = T0): Settlement {
  const map: Settlement = new Map();
  for (const outcome of ['delivered', 'failed', 'untried'] as const) for (const id of outcomes[outcome] ?? []) map.set(id, { token, outcome, at });
  return map;
}

describe('settleOutbox', () => {
  it('with nothing delivered or failed, returns the record unchanged', () => {
    const r = record([entry(event('e1'), { token: 'mine', until: T0 + CLAIM_MS })]);
    expect(settleOutbox(r, new Map())).toBe(r);
    // Ids the record does not hold change nothing either.
    expect(settleOutbox(r, settlement('mine', { delivered: ['gone'], failed: ['lost'], untried: ['never'] }, T0))).toBe(r);
  });

  it('removes the delivered, releases the failed and untried it holds, and keeps every other entry as it is', () => {
    const mine = { token: 'mine', until: T0 + CLAIM_MS };
    const theirs = { token: 'other', until: T0 + CLAIM_MS };
    const r = record([
      entry(event('sent'), mine),
      entry(event('failed-mine'), mine, 1),
      entry(event('failed-theirs'), theirs, 4),
      entry(event('failed-unclaimed'), null, 3),
      entry(event('untried-mine'), mine, 2),
      entry(event('untouched'), theirs, 5),
      entry(event('new')),
    ]);
    const next = settleOutbox(r, settlement('mine', { delivered: ['sent'], failed: ['failed-mine', 'failed-theirs', 'failed-unclaimed'], untried: ['untried-mine'] }, T0));
    expect(next.outbox).toEqual([
      // A failure waits out its back-off, never less than its claim: a late answer and a retry do not overlap.
      { ...entry(event('failed-mine'), null, 2), retryAt: T0 + Math.max(CLAIM_MS, retryDelay(2)) },
      // Another call's failure report is not ours to release: it still holds the claim.
      entry(event('failed-theirs'), theirs, 4),
      entry(event('failed-unclaimed'), null, 3),
      // Not tried: released as it was, with no attempt counted and no back-off.
      entry(event('untried-mine'), null, 2),
      entry(event('untouched'), theirs, 5),
      entry(event('new')),
    ]);
  });

  it('the back-off doubles from 30 s with each failure, up to an hour', () => {
    expect([1, 2, 3, 4, 7, 8, 50].map(retryDelay)).toEqual([30_000, 60_000, 120_000, 240_000, 1_920_000, 3_600_000, 3_600_000]);
    const r = record([entry(event('e'), { token: 'mine', until: T0 + 10 }, 3)]);
    expect(settleOutbox(r, settlement('mine', { failed: ['e'] }, T0)).outbox[0]!.retryAt).toBe(T0 + 240_000);
  });

  it('a delivered reset-requested event starts the cool-down of the administrators it named, on the request and the record', () => {
    const r = record([entry(resetEvent('n1', 'req1', ['root']), { token: 'mine', until: T0 + CLAIM_MS })], request('req1'));
    const next = settleOutbox(r, settlement('mine', { delivered: ['n1'] }, T0 + 5));
    expect(next.resetRequest).toEqual({ ...request('req1'), notifiedAt: { root: T0 + 5 }, lastNotifiedAt: T0 + 5 });
    expect(next.cooldowns).toEqual({ root: T0 + 5 });
  });

  it('a delivered notification of an older request cools its administrators on the record only; any other event cools nobody', () => {
    const open = request('req2');
    const r = record(
      [entry(resetEvent('old', 'req1', ['root']), { token: 'mine', until: T0 + CLAIM_MS }), entry(event('other'), { token: 'mine', until: T0 + CLAIM_MS })],
      open,
    );
    const next = settleOutbox(r, settlement('mine', { delivered: ['old', 'other'] }, T0 + 5));
    expect(next.outbox).toEqual([]);
    expect(next.resetRequest).toEqual(open);
    expect(next.cooldowns).toEqual({ root: T0 + 5 });
    const plain = settleOutbox(record([entry(event('other'), { token: 'mine', until: T0 + CLAIM_MS })]), settlement('mine', { delivered: ['other'] }));
    expect(plain.cooldowns).toBeUndefined();
  });

  it('a delivered reset-requested event after the request was closed leaves the outbox and still cools', () => {
    const r = record([entry(resetEvent('n1', 'req1', ['root']), { token: 'mine', until: T0 + CLAIM_MS })], null);
    const next = settleOutbox(r, settlement('mine', { delivered: ['n1'] }, T0 + 5));
    expect(next.outbox).toEqual([]);
    expect(next.resetRequest).toBeNull();
    expect(next.cooldowns).toEqual({ root: T0 + 5 });
  });

  it('an administrator id that is a key of Object.prototype is an own entry, never the prototype', () => {
    const r = record([entry(resetEvent('n1', 'req1', ['__proto__', 'constructor']), { token: 'mine', until: T0 + CLAIM_MS })], request('req1'));
    const next = settleOutbox(r, settlement('mine', { delivered: ['n1'] }, T0 + 5));
    for (const times of [next.cooldowns!, next.resetRequest!.notifiedAt]) {
      expect(Object.getPrototypeOf(times)).toBe(Object.prototype);
      expect(Object.keys(times)).toEqual(['__proto__', 'constructor']);
      expect(JSON.parse(JSON.stringify(times))).toEqual(JSON.parse('{"__proto__": 1767225600005, "constructor": 1767225600005}'.replaceAll('1767225600005', String(T0 + 5))));
    }
  });
});

describe('enqueue', () => {
  const summary = () => ({ id: 'sum', userId: 'alice', actor: 'alice', at: T0, type: 'events-dropped' as const });

  it('keeps every entry up to the limit', () => {
    const outbox = Array.from({ length: OUTBOX_LIMIT - 1 }, (_, i) => entry(event(`e${i}`)));
    const next = enqueue(outbox, [event('new')], summary);
    expect(next).toHaveLength(OUTBOX_LIMIT);
    expect(next.at(-1)!.event.id).toBe('new');
  });

  it('past the limit drops the oldest and counts them by type in one events-dropped event kept first', () => {
    const outbox = Array.from({ length: OUTBOX_LIMIT }, (_, i) => entry(event(`e${i}`, i % 2 === 0 ? { type: 'postponed', postponesLeft: 1 } : { type: 'verified', delta: 0 })));
    const next = enqueue(outbox, [event('new1'), event('new2')], summary);
    expect(next).toHaveLength(OUTBOX_LIMIT);
    expect(next[0]!.event).toMatchObject({ type: 'events-dropped', dropped: 3, types: { postponed: 2, verified: 1 } });
    expect(next[1]!.event.id).toBe('e3');
    expect(next.at(-1)!.event.id).toBe('new2');
    // Dropping more merges into the same summary.
    const again = enqueue(next, [event('new3'), event('new4')], () => ({ ...summary(), id: 'sum2' }));
    expect(again).toHaveLength(OUTBOX_LIMIT);
    expect(again[0]!.event).toMatchObject({ id: 'sum2', type: 'events-dropped', dropped: 5, types: { postponed: 3, verified: 2 } });
    expect(again.filter((e) => e.event.type === 'events-dropped')).toHaveLength(1);
  });
});

// Written from the mutants that survived `npm run mutation` on
// src/gate/outbox.ts: which entries a delivering call takes and gives back,
// that a call with nothing to do leaves the record as it was (the shell then
// skips the write), and which reset request a delivered notification cools.
import { describe, expect, it } from 'vitest';
import type { GateEvent } from '../../src/gate/events.js';
import { CLAIM_MS, claimOutbox, settleOutbox } from '../../src/gate/outbox.js';
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
});

describe('settleOutbox', () => {
  it('with nothing delivered or failed, returns the record unchanged', () => {
    const r = record([entry(event('e1'), { token: 'mine', until: T0 + CLAIM_MS })]);
    expect(settleOutbox(r, 'mine', new Set(), new Set(), T0)).toBe(r);
    // Ids the record does not hold change nothing either.
    expect(settleOutbox(r, 'mine', new Set(['gone']), new Set(['lost']), T0)).toBe(r);
  });

  it('removes the delivered, releases the failed it holds, and keeps every other entry as it is', () => {
    const mine = { token: 'mine', until: T0 + CLAIM_MS };
    const theirs = { token: 'other', until: T0 + CLAIM_MS };
    const r = record([
      entry(event('sent'), mine),
      entry(event('failed-mine'), mine, 1),
      entry(event('failed-theirs'), theirs, 4),
      entry(event('failed-unclaimed'), null, 3),
      entry(event('untouched'), theirs, 5),
      entry(event('new')),
    ]);
    const next = settleOutbox(r, 'mine', new Set(['sent']), new Set(['failed-mine', 'failed-theirs', 'failed-unclaimed']), T0);
    expect(next.outbox).toEqual([
      entry(event('failed-mine'), null, 2),
      // Another call's failure report is not ours to release: it still holds the claim.
      entry(event('failed-theirs'), theirs, 4),
      entry(event('failed-unclaimed'), null, 3),
      entry(event('untouched'), theirs, 5),
      entry(event('new')),
    ]);
  });

  it('a delivered reset-requested event starts the cool-down of the administrators it named', () => {
    const r = record([entry(resetEvent('n1', 'req1', ['root']), { token: 'mine', until: T0 + CLAIM_MS })], request('req1'));
    const next = settleOutbox(r, 'mine', new Set(['n1']), new Set(), T0 + 5);
    expect(next.resetRequest).toEqual({ ...request('req1'), notifiedAt: { root: T0 + 5 }, lastNotifiedAt: T0 + 5 });
  });

  it('a delivered notification of an older request, or any other event, starts no cool-down', () => {
    const open = request('req2');
    const r = record(
      [entry(resetEvent('old', 'req1', ['root']), { token: 'mine', until: T0 + CLAIM_MS }), entry(event('other'), { token: 'mine', until: T0 + CLAIM_MS })],
      open,
    );
    const next = settleOutbox(r, 'mine', new Set(['old', 'other']), new Set(), T0 + 5);
    expect(next.outbox).toEqual([]);
    expect(next.resetRequest).toEqual(open);
  });

  it('a delivered reset-requested event after the request was closed only leaves the outbox', () => {
    const r = record([entry(resetEvent('n1', 'req1', ['root']), { token: 'mine', until: T0 + CLAIM_MS })], null);
    const next = settleOutbox(r, 'mine', new Set(['n1']), new Set(), T0 + 5);
    expect(next.outbox).toEqual([]);
    expect(next.resetRequest).toBeNull();
  });
});

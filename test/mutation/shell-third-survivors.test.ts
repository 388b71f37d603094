// Written from the mutants of src/gate/gate.ts (createGate's checks, the store
// calls, the read-back after a failed write, what deliveries owe and when it
// is paid, the settle write, reset and decline's `notified`) and of
// src/gate/policy.ts (the passkey policy) that the earlier tests left alive.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore, OtpError, resolvePolicy, type MfaStore } from '../../src/index.js';
import { codeAt } from '../gate/fixtures.js';
import { enroll, harness } from '../gate/harness.js';
import { bareGate, enrolledGate, enrolledIn, failure, heldNotifier, policyRefusal, recordOf, sleep, T, wrongAt } from './rig.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

// The real setTimeout, taken before a test stubs the global one.
const realSetTimeout = globalThis.setTimeout;

/** The ids of the events queued in alice's record. */
async function queued(store: MfaStore): Promise<string[]> {
  return (await recordOf(store)).outbox.map((entry) => entry.event.id);
}

describe('the passkey policy', () => {
  it('is an object with two known fields, each named in its refusal', () => {
    expect(policyRefusal({ passkeys: 5 })).toBe('policy.passkeys must be an object');
    expect(policyRefusal({ passkeys: { ttl: 1 } })).toBe('policy.passkeys has no field "ttl"; known: challengeTtlMs, userVerification');
  });

  it.each(['required', 'preferred', 'discouraged'] as const)('takes userVerification %s', (userVerification) => {
    expect(resolvePolicy({ passkeys: { userVerification } }).passkeys).toEqual({ challengeTtlMs: 300_000, userVerification });
  });

  it.each(['bogus', '', 'Required', 1, false])('refuses userVerification %j', (userVerification) => {
    expect(policyRefusal({ passkeys: { userVerification } })).toBe("policy.passkeys.userVerification must be 'required', 'preferred' or 'discouraged'");
  });

  it('takes a challenge life from 10 s to an hour, and names the field past either end', () => {
    expect(resolvePolicy({ passkeys: { challengeTtlMs: 10_000 } }).passkeys.challengeTtlMs).toBe(10_000);
    expect(resolvePolicy({ passkeys: { challengeTtlMs: 3_600_000 } }).passkeys.challengeTtlMs).toBe(3_600_000);
    for (const challengeTtlMs of [9_999, 3_600_001, 20_000.5]) {
      expect(policyRefusal({ passkeys: { challengeTtlMs } })).toBe('policy.passkeys.challengeTtlMs must be an integer from 10000 to 3600000');
    }
  });
});

describe('store errors', () => {
  it('an OtpError of another code from store.get passes through as it is, cause and all', async () => {
    const store = createMemoryStore();
    const thrown = new OtpError('ERR_CONFLICT', 'custom store: busy', { cause: new Error('driver detail') });
    store.get = async () => {
      throw thrown;
    };
    const gate = bareGate(store);
    const error = await failure(() => gate.status('alice'));
    expect(error).toBe(thrown);
  });

  it('a compare-and-set that wrote, then threw an OtpError other than ERR_STORE, fails with it without reading back', async () => {
    const { s, gate } = await enrolledGate();
    const thrown = new OtpError('ERR_CONFLICT', 'custom store: version mismatch');
    s.failNext = { error: thrown, written: true };
    s.counts.get = 0;
    expect(await failure(() => gate.verify('alice', codeAt(T)))).toBe(thrown);
    // Only the load: the read-back is for ERR_STORE, where the write may have happened unseen.
    expect(s.counts.get).toBe(1);
  });

  it('the read-back after a failed write leaves no timer behind', async () => {
    const { s, gate } = await enrolledGate();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    s.failNext = { error: new Error('connection reset'), written: false };
    s.counts.get = 0;
    expect(await failure(() => gate.verify('alice', codeAt(T)))).toMatchObject({ code: 'ERR_STORE', message: 'store.compareAndSet failed' });
    expect(s.counts.get).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('what deliveries owe', () => {
  it('a delivery that finishes while a call that owed nothing is writing is kept, and the call succeeds', async () => {
    const notifier = heldNotifier();
    const { s, gate } = await enrolledGate({ notifier, settleDelayMs: 30_000 });
    const c = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(1));
    s.hold();
    const a = gate.verify('alice', codeAt(T)); // nothing owed yet; its write is held
    await vi.waitFor(() => expect(s.waiting).toBe(1));
    notifier.calls[0]!.resolve(); // c's event delivered while a writes
    await c;
    s.release();
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(2));
    notifier.calls[1]!.resolve();
    expect(await a).toMatchObject({ ok: true });
    // The next write carries both deliveries.
    const d = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(3));
    notifier.calls[2]!.resolve();
    await d;
    expect(await queued(s.inner)).toEqual([notifier.calls[2]!.event.id]);
  });

  it('an outcome replaced by a later delivery of the same event while a write carries the first is kept', async () => {
    const notifier = heldNotifier();
    let now = T;
    const { s, gate } = await enrolledGate({ clock: { now: () => now }, notifier, settleDelayMs: 30_000, onNotifyError: () => {} });
    // d's event X hangs past its claim; c takes X over and sends it again.
    const d = gate.verify('alice', wrongAt(now));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(1));
    const x = notifier.calls[0]!.event.id;
    now += 61_000;
    const c = gate.verify('alice', wrongAt(now));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(2));
    expect(notifier.calls[1]!.event.id).toBe(x);
    notifier.calls[0]!.reject(new Error('smtp down')); // d owes "X failed", under d's claim that is no longer in the record
    await d;
    s.hold();
    const b = gate.verify('alice', codeAt(now)); // carries "X failed" (which changes nothing); its write is held
    await vi.waitFor(() => expect(s.waiting).toBe(1));
    notifier.calls[1]!.resolve(); // c delivered X: "X delivered" replaces "X failed"
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(3));
    notifier.calls[2]!.resolve(); // c's own event
    await c;
    s.release();
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(4));
    notifier.calls[3]!.resolve(); // b's event
    expect(await b).toMatchObject({ ok: true });
    expect(await queued(s.inner)).toContain(x);
    // The next write removes X as delivered, with the others.
    const e = gate.verify('alice', wrongAt(now));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(5));
    notifier.calls[4]!.resolve();
    await e;
    expect(await queued(s.inner)).toEqual([notifier.calls[4]!.event.id]);
  });

  it('a settle write that failed unseen is not taken for the settle write before it', async () => {
    const notifier = heldNotifier();
    const { s, gate } = await enrolledGate({ notifier, settleDelayMs: 0 });
    const first = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(1));
    const second = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(2));
    const y = notifier.calls[1]!.event.id;
    notifier.calls[0]!.resolve();
    await first; // its outcome written on its own, named after its settle
    expect((await recordOf(s.inner)).lastWrite).toMatch(/^[0-9a-f]{16,}\.0$/);
    s.failNext = { error: new Error('connection reset'), written: false };
    notifier.calls[1]!.resolve();
    await second; // its settle write failed and did not happen: still owed
    expect(await queued(s.inner)).toEqual([y]);
    const next = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(3));
    notifier.calls[2]!.resolve();
    await next; // carries the second's outcome; its own is settled before it returns
    expect(await queued(s.inner)).toEqual([]);
  });

  it('the settle timer works where timers are numbers (browsers, Deno, workers)', async () => {
    const timers = new Map<number, ReturnType<typeof setTimeout>>();
    const realClearTimeout = globalThis.clearTimeout;
    let n = 0;
    vi.stubGlobal('setTimeout', (fn: () => void, ms?: number) => {
      const id = ++n;
      timers.set(
        id,
        realSetTimeout(() => {
          timers.delete(id);
          fn();
        }, ms),
      );
      return id;
    });
    vi.stubGlobal('clearTimeout', (id: unknown) => {
      if (typeof id !== 'number') return realClearTimeout(id as ReturnType<typeof setTimeout>);
      realClearTimeout(timers.get(id));
      timers.delete(id);
    });
    const h = harness({ settleDelayMs: 20 });
    expect(await h.gate.postpone('alice')).toEqual({ postponesLeft: 1, repeated: false });
    expect(h.events.map((e) => e.type)).toEqual(['postponed']);
    expect((await h.record('alice')).outbox).toHaveLength(1);
    await sleep(100, realSetTimeout);
    expect((await h.record('alice')).outbox).toEqual([]);
  });
});

describe('reset and decline: notified', () => {
  it('is false when the notifier is paused and the event waits in the outbox', async () => {
    const h = harness({ notifyTimeoutMs: 5, onNotifyError: () => {} });
    const { secret } = await enroll(h, 'alice');
    const notify = h.notifier.notify.bind(h.notifier);
    h.notifier.notify = () => new Promise(() => {}); // hangs: the gate leaves the notifier alone for a second
    await h.gate.verify('alice', h.code(secret) === '000000' ? '111111' : '000000');
    h.notifier.notify = notify;
    h.events.length = 0;
    expect(await h.gate.reset('root', 'alice')).toEqual({ ok: true, notified: false });
    expect(h.events).toEqual([]);
    expect((await h.record('alice')).outbox.map((e) => e.event.type)).toEqual(['code-refused', 'reset-completed']);
  });

  it('is false without a notifier', async () => {
    const store = createMemoryStore();
    await enrolledIn(store);
    const gate = bareGate(store, {
      directory: { administratorsOf: async () => [{ id: 'root', name: 'Root' }], isAdministratorOf: async (admin) => admin === 'root' },
    });
    expect(await gate.reset('root', 'alice')).toEqual({ ok: true, notified: false });
    expect(await gate.status('alice')).toMatchObject({ state: 'none' });
  });
});

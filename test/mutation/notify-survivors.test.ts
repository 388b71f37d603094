// Written from the mutants of src/gate/gate.ts in what the security review
// added to the shell after the first mutation run: the configuration's
// timeouts and hooks, one deadline shared by a call's seam calls, the default
// onError, the pause after a notifier that hangs, and how many events one
// call tries before leaving the backlog for later.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGate, createMemoryStore, type GateConfig, type GateEvent, type MfaStore } from '../../src/index.js';
import { parseGateRecord } from '../../src/gate/record.js';
import { enroll, harness } from '../gate/harness.js';
import { failure, seams, sleep } from './rig.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the configuration the review added', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a timeout of 0', { timeoutMs: 0 }, 'timeoutMs must be an integer from 1 to 60000'],
    ['a timeout of 60 001', { timeoutMs: 60_001 }, 'timeoutMs must be an integer from 1 to 60000'],
    ['a fractional timeout', { timeoutMs: 1.5 }, 'timeoutMs must be an integer from 1 to 60000'],
    ['a timeout as text', { timeoutMs: '100' }, 'timeoutMs must be an integer from 1 to 60000'],
    ['a settle delay of -1', { settleDelayMs: -1 }, 'settleDelayMs must be an integer from 0 to 30000'],
    ['a settle delay of 30 001', { settleDelayMs: 30_001 }, 'settleDelayMs must be an integer from 0 to 30000'],
    ['a fractional settle delay', { settleDelayMs: 0.5 }, 'settleDelayMs must be an integer from 0 to 30000'],
    ['a settle delay as text', { settleDelayMs: '0' }, 'settleDelayMs must be an integer from 0 to 30000'],
    ['an onNotifyError that is not a function', { onNotifyError: 5 }, 'onNotifyError must be a function'],
    ['an onError that is not a function', { onError: 'log' }, 'onError must be a function'],
    ['a clock without now', { clock: {} }, 'clock.now must be a function'],
    ['a clock that is not an object', { clock: 5 }, 'clock.now must be a function'],
    ['an issuer with a colon', { issuer: 'ACME:Co' }, 'issuer must be a non-empty string without ":"'],
    [
      'an unknown field',
      { notifer: {} },
      'config: unknown option "notifer"; known: store, directory, notifier, issuer, policy, cipher, clock, onNotifyError, notifyTimeoutMs, timeoutMs, settleDelayMs, onError',
    ],
  ])('%s', async (_, fields, message) => {
    expect(await failure(() => createGate({ ...seams({ stubs: false }), ...fields } as GateConfig))).toMatchObject({ code: 'ERR_OPTIONS', message });
  });

  it('takes the bounds, and every field it names', () => {
    for (const fields of [{ timeoutMs: 1 }, { timeoutMs: 60_000 }, { settleDelayMs: 0 }, { settleDelayMs: 30_000 }]) {
      expect(() => createGate({ ...seams({ stubs: false }), ...fields })).not.toThrow();
    }
    const all: GateConfig = {
      ...seams(),
      policy: {},
      cipher: { encrypt: async (p) => p, decrypt: async (w) => w },
      clock: { now: () => 0 },
      onNotifyError: () => {},
      notifyTimeoutMs: 10,
      timeoutMs: 10,
      settleDelayMs: 10,
      onError: () => {},
    };
    expect(() => createGate(all)).not.toThrow();
  });
});

describe('one deadline for all the seam calls of a call', () => {
  const slow = <T>(ms: number, value: T) => () => sleep(ms).then(() => value);

  it('a seam that does not answer in time fails the call with its own code, naming it and the timeout', async () => {
    const hang = () => new Promise<never>(() => {});
    const inner = createMemoryStore();
    const hangingGet: MfaStore = { get: hang, compareAndSet: inner.compareAndSet, listOpenResets: inner.listOpenResets };
    expect(await failure(() => createGate({ store: hangingGet, issuer: 'X', timeoutMs: 30 }).nextStep('alice'))).toMatchObject({
      code: 'ERR_STORE',
      message: 'store.get did not answer within 30 ms',
    });
    const encrypting = createGate({ store: inner, issuer: 'X', timeoutMs: 30, cipher: { encrypt: hang, decrypt: hang } });
    expect(await failure(() => encrypting.beginEnrollment('alice'))).toMatchObject({ code: 'ERR_CIPHER', message: 'cipher.encrypt did not answer within 30 ms' });
    const asking = createGate({ store: inner, issuer: 'X', timeoutMs: 30, policy: { required: hang } });
    expect(await failure(() => asking.nextStep('alice'))).toMatchObject({ code: 'ERR_OPTIONS', message: 'policy.required did not answer within 30 ms' });
    const directory = { administratorsOf: hang, isAdministratorOf: hang };
    expect(await failure(() => createGate({ store: inner, issuer: 'X', timeoutMs: 30, directory }).administrators('alice'))).toMatchObject({
      code: 'ERR_DIRECTORY',
      message: 'directory.administratorsOf did not answer within 30 ms',
    });
  });

  it('is shared: a slow read leaves less time for the policy that follows', async () => {
    const inner = createMemoryStore();
    const store: MfaStore = { get: (id) => slow(120, null)().then(() => inner.get(id)), compareAndSet: inner.compareAndSet, listOpenResets: inner.listOpenResets };
    const gate = createGate({ store, issuer: 'X', timeoutMs: 200, policy: { required: slow(120, true) } });
    expect(await failure(() => gate.nextStep('alice'))).toMatchObject({ code: 'ERR_OPTIONS', message: 'policy.required did not answer within 200 ms' });
    // Each alone fits.
    const quick = createGate({ store, issuer: 'X', timeoutMs: 200, policy: { required: true } });
    expect(await quick.nextStep('alice')).toMatchObject({ step: 'setup' });
  });

  it('starts anew with each call', async () => {
    const inner = createMemoryStore();
    const store: MfaStore = { get: (id) => slow(60, null)().then(() => inner.get(id)), compareAndSet: inner.compareAndSet, listOpenResets: inner.listOpenResets };
    const gate = createGate({ store, issuer: 'X', timeoutMs: 100 });
    for (let i = 0; i < 3; i++) expect(await gate.nextStep('alice')).toMatchObject({ step: 'setup' });
  });
});

describe('onError', () => {
  it('by default warns on the console, prefixed, naming the user and never the record', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const long = 'u'.repeat(300);
    const store: MfaStore = {
      ...createMemoryStore(),
      listOpenResets: async () => [{ userId: long, version: 1, record: { resetRequest: { requestedAt: 1 }, secret: 'JBSWY3DPEHPK3PXP' } }],
    };
    const gate = createGate({ store, issuer: 'X', directory: { administratorsOf: async () => [], isAdministratorOf: async () => true } });
    expect(await gate.pendingResets('root')).toEqual([]);
    expect(warn.mock.calls).toEqual([[`otpgate: pendingResets skipped the record of user "${'u'.repeat(256)}": it cannot be read`]]);
  });
});

describe('a notifier that hangs', () => {
  /** A gate on a clock the test moves, whose notifier hangs while `hanging` and counts its calls. */
  function rig(notifyTimeoutMs = 20) {
    let now = Date.UTC(2026, 0, 1);
    const notifier = {
      hanging: true,
      rejecting: false,
      calls: 0,
      async notify(_event: GateEvent) {
        notifier.calls++;
        if (notifier.rejecting) throw new Error('refused');
        if (notifier.hanging) await new Promise(() => {});
      },
    };
    const store = createMemoryStore();
    const gate = createGate({ store, issuer: 'X', clock: { now: () => now }, notifier, notifyTimeoutMs, settleDelayMs: 0, onNotifyError: () => {} });
    let user = 0;
    return {
      gate,
      store,
      notifier,
      advance: (ms: number) => (now += ms),
      /** A change that emits one event, for a new user each time (so no older event is due). */
      change: () => gate.postpone(`u${user++}`),
    };
  }

  it('is left alone for 1 s, then 2, 4 … doubling to at most 60 s, asked again at the very end of each pause', async () => {
    const r = rig();
    await r.change();
    expect(r.notifier.calls).toBe(1);
    // Each call that reaches the notifier hangs again and starts the next pause; measure each to the millisecond.
    const pauses: number[] = [];
    for (let hang = 0; hang < 8; hang++) {
      const calls = r.notifier.calls;
      let waited = 0;
      for (const step of [999, 1, 999, 1, 1999, 1, 3999, 1, 7999, 1, 15_999, 1, 27_999, 1]) {
        r.advance(step);
        waited += step;
        await r.change();
        if (r.notifier.calls > calls) break;
      }
      expect(r.notifier.calls).toBe(calls + 1);
      pauses.push(waited);
    }
    expect(pauses).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('is asked as usual once it answered again, and a notifier that refuses at once is never paused', async () => {
    const r = rig();
    await r.change(); // hangs: paused for 1 s
    r.advance(1000);
    r.notifier.hanging = false;
    await r.change(); // delivered: the pause is forgotten
    r.notifier.hanging = true;
    await r.change(); // hangs again: 1 s, not 2
    r.advance(999);
    const calls = r.notifier.calls;
    await r.change();
    expect(r.notifier.calls).toBe(calls);
    r.advance(1);
    await r.change();
    expect(r.notifier.calls).toBe(calls + 1);

    const refusing = rig();
    refusing.notifier.rejecting = true;
    for (let i = 1; i <= 3; i++) {
      await refusing.change();
      expect(refusing.notifier.calls).toBe(i);
    }
  });
});

describe('one call and a backlog', () => {
  it('tries at most three events that fail; the rest are left untried, with no attempt counted', async () => {
    const h = harness({ onNotifyError: () => {}, policy: { throttle: { lockAfter: 50 } } });
    const { secret } = await enroll(h, 'alice');
    h.notifier.failing = true;
    // Four refused codes: four events, each failed once and backing off.
    for (let i = 0; i < 4; i++) await h.gate.verify('alice', h.code(secret) === '000000' ? '111111' : '000000');
    h.notifier.calls = 0;
    const error = await failure(() => h.gate.flushNotifications('alice'));
    expect(error).toMatchObject({ code: 'ERR_NOTIFY', message: 'the notifier failed on a code-refused event; it stays queued' });
    expect(h.notifier.calls).toBe(3);
    const outbox = (await h.record('alice')).outbox;
    expect(outbox.map((entry) => [entry.attempts, entry.claim])).toEqual([
      [2, null],
      [2, null],
      [2, null],
      [1, null],
    ]);
  });

  it('a notifier that used up the call\'s time is not asked about the rest', async () => {
    const h = harness({ onNotifyError: () => {}, notifyTimeoutMs: 30 });
    h.notifier.failing = true;
    await h.gate.postpone('alice');
    await h.gate.postpone('alice', { attempt: 'second' }).catch(() => {});
    h.notifier.failing = false;
    h.notifier.calls = 0;
    h.notifier.notify = async () => {
      h.notifier.calls++;
      await new Promise(() => {});
    };
    const error = await failure(() => h.gate.flushNotifications('alice'));
    expect(error).toMatchObject({ code: 'ERR_NOTIFY', message: 'the notifier failed on a postponed event; it stays queued' });
    expect(error.cause).toMatchObject({ message: 'no answer within 30 ms' });
    expect(h.notifier.calls).toBe(1);
    const found = await h.store.get('alice');
    expect(parseGateRecord(found!.record).outbox.map((entry) => entry.attempts)).toEqual([2, 1]);
  });
});

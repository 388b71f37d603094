// Written from the mutants of src/gate/gate.ts in how a delivery's outcome
// reaches the record (the review's "one write per change"): what deliveries
// learn is kept in memory until a write carries it, merged when several
// finish before a write, not lost when one finishes while another call is
// writing, and written on its own after settleDelayMs only when no write
// came. Also: no call leaves a timer behind, and what urgency and back-offs
// mean for which queued events a call sends.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { SECRET } from '../gate/fixtures.js';
import { enroll, harness } from '../gate/harness.js';
import { enrolledGate, heldNotifier, recordOf, sleep, T, wrongAt } from './rig.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('what deliveries learn', () => {
  it('two deliveries that finish before any write are both carried by the next one', async () => {
    const notifier = heldNotifier();
    const { s, gate } = await enrolledGate({ notifier, settleDelayMs: 30_000 });
    const first = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(1));
    const second = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(2));
    for (const call of notifier.calls) call.resolve();
    await Promise.all([first, second]);
    // The next change removes both delivered events; only its own is left.
    const third = gate.verify('alice', totp(SECRET, { now: T }));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(3));
    notifier.calls[2]!.resolve();
    expect(await third).toMatchObject({ ok: true });
    expect((await recordOf(s.inner)).outbox.map((entry) => entry.event.type)).toEqual(['verified']);
  });

  it('a delivery that finishes while another call is writing is kept for the write after', async () => {
    const notifier = heldNotifier();
    const { s, gate } = await enrolledGate({ notifier, settleDelayMs: 30_000 });
    const c = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(1));
    const b = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(2));
    notifier.calls[0]!.resolve(); // c's event delivered: owed, not written
    await c;
    s.hold();
    const a = gate.verify('alice', totp(SECRET, { now: T })); // carries c's outcome; its write is held
    await vi.waitFor(() => expect(s.waiting).toBe(1));
    notifier.calls[1]!.resolve(); // b's event delivered while a writes
    await b;
    s.release();
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(3));
    notifier.calls[2]!.resolve();
    expect(await a).toMatchObject({ ok: true });
    // The write after a's carries b's outcome (and a's): neither event is left.
    const d = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(4));
    notifier.calls[3]!.resolve();
    await d;
    expect((await recordOf(s.inner)).outbox.map((entry) => [entry.event.type, entry.event.id.split('.')[0]])).toEqual([
      ['code-refused', notifier.calls[3]!.event.id.split('.')[0]],
    ]);
  });

  it('is written on its own after settleDelayMs, once, unless a write carried it first', async () => {
    const notifier = heldNotifier();
    const { s, gate } = await enrolledGate({ notifier, settleDelayMs: 60 });
    // Two deliveries before any write: one settle, one read and one write.
    const first = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(1));
    const second = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(2));
    for (const call of notifier.calls) call.resolve();
    await Promise.all([first, second]);
    s.counts.get = 0;
    s.counts.cas = 0;
    await sleep(200);
    expect(s.counts).toEqual({ get: 1, cas: 1 });
    expect((await recordOf(s.inner)).outbox).toEqual([]);

    // A delivery whose outcome a flush writes first: the settle timer is cancelled.
    const third = gate.verify('alice', wrongAt(T));
    await vi.waitFor(() => expect(notifier.calls).toHaveLength(3));
    notifier.calls[2]!.resolve();
    await third;
    expect(await gate.flushNotifications('alice')).toEqual({ delivered: 0, remaining: 0 });
    s.counts.get = 0;
    s.counts.cas = 0;
    await sleep(200);
    expect(s.counts).toEqual({ get: 0, cas: 0 });
  });
});

describe('no call leaves a timer behind', () => {
  it('whatever seams it used', async () => {
    vi.useFakeTimers();
    const h = harness({ policy: { trustedDevices: { enabled: true } } });
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['nextStep', () => h.gate.nextStep('bob')],
      ['administrators', () => h.gate.administrators('alice')],
      ['beginEnrollment with the directory\'s label', () => h.gate.beginEnrollment('bob')],
      ['pendingResets', () => h.gate.pendingResets('root')],
      ['reset', () => h.gate.reset('root', 'bob')],
      ['decline', () => h.gate.decline('root', 'bob')],
      ['flushNotifications', () => h.gate.flushNotifications('bob')],
      ['status', () => h.gate.status('bob')],
      ['deleteUser', () => h.gate.deleteUser('bob')],
    ];
    for (const [name, step] of steps) {
      await step();
      expect({ name, timers: vi.getTimerCount() }).toEqual({ name, timers: 0 });
    }
  });
});

describe('which queued events a call sends', () => {
  it('a reset request retries its own notification at once, but not other events backing off', async () => {
    const h = harness({ onNotifyError: () => {} });
    const { secret } = await enroll(h, 'alice');
    h.events.length = 0;
    h.notifier.failing = true;
    await h.gate.verify('alice', h.code(secret) === '000000' ? '111111' : '000000');
    await h.gate.requestReset('alice', { to: 'root' }).catch(() => {});
    expect((await h.record('alice')).outbox.map((e) => [e.event.type, e.attempts])).toEqual([
      ['code-refused', 1],
      ['reset-requested', 1],
    ]);
    h.notifier.failing = false;
    // At once, without waiting out the back-off: only the request's notification goes.
    expect(await h.gate.requestReset('alice', { to: 'root' })).toMatchObject({ to: ['root'] });
    expect(h.events.map((e) => e.type)).toEqual(['reset-requested']);
    expect((await h.record('alice')).outbox.map((e) => e.event.type)).toEqual(['code-refused']);
  });

  it('any other call leaves a failed reset notification to its back-off', async () => {
    const h = harness({ onNotifyError: () => {} });
    const { secret } = await enroll(h, 'alice');
    h.events.length = 0;
    h.notifier.failing = true;
    await h.gate.requestReset('alice', { to: 'root' }).catch(() => {});
    h.notifier.failing = false;
    await h.gate.verify('alice', h.code(secret));
    expect(h.events.map((e) => e.type)).toEqual(['verified']);
    h.advance(60_000);
    await h.gate.verify('alice', h.code(secret));
    expect(h.events.map((e) => e.type)).toEqual(['verified', 'reset-requested', 'verified']);
  });

  it('a reset request asks a paused notifier all the same', async () => {
    const h = harness({ onNotifyError: () => {}, notifyTimeoutMs: 20 });
    const { secret } = await enroll(h, 'alice');
    h.events.length = 0;
    const hang = h.notifier.notify;
    h.notifier.notify = () => new Promise(() => {});
    await h.gate.verify('alice', h.code(secret)); // hangs: the notifier is paused for 1 s
    h.notifier.notify = hang;
    h.notifier.calls = 0;
    await h.gate.postpone('bob'); // paused: not asked
    expect(h.notifier.calls).toBe(0);
    expect(await h.gate.requestReset('alice', { to: 'root' })).toMatchObject({ to: ['root'] });
    expect(h.events.map((e) => e.type)).toEqual(['reset-requested']);
  });

  it('a reset request whose notification was not even tried says so', async () => {
    const h = harness({ onNotifyError: () => {}, policy: { throttle: { lockAfter: 50 } } });
    const { secret } = await enroll(h, 'alice');
    h.events.length = 0;
    h.notifier.failing = true;
    for (let i = 0; i < 3; i++) await h.gate.verify('alice', h.code(secret) === '000000' ? '111111' : '000000');
    h.advance(60_000);
    // Three older events are due and fail first: the request's own is left untried.
    const error = await h.gate.requestReset('alice', { to: 'root' }).then(
      () => null,
      (e: { code: string; message: string }) => e,
    );
    expect(error).toMatchObject({
      code: 'ERR_NOTIFY',
      message: 'the notifier failed lately and was not asked again yet; the request is stored: ask again to resend',
    });
    expect(await h.gate.pendingResets('root')).toHaveLength(1);
  });
});

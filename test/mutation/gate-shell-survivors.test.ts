// Tests written to kill mutants that survived `npm run mutation` on the
// gate's shell (src/gate/gate.ts): the configuration and argument checks with
// their messages, what each seam call costs (reads, writes, decryptions, policy
// calls), the back-off between compare-and-set rounds, the notify timer, and
// which notifier failures each method reports where.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAesGcmCipher, createGate, createMemoryStore, type GateConfig, type GateEvent, type OtpError } from '../../src/index.js';
import { enroll, harness } from '../gate/harness.js';
import { countingCipher, countingStore, failure, seams } from './rig.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('createGate refuses a bad configuration with a message naming the fault', () => {
  it.each<[string, unknown, string]>([
    ['no config', null, 'config must be an object'],
    ['a config that is not an object', 'ACME', 'config must be an object'],
    ['no store', { ...seams(), store: undefined }, 'store is required'],
    ['a store that is null', { ...seams(), store: null }, 'store is required'],
    ['a store without get', { ...seams(), store: { compareAndSet() {}, listOpenResets() {} } }, 'store.get must be a function'],
    ['a directory without isAdministratorOf', { ...seams(), directory: { administratorsOf() {} } }, 'directory.isAdministratorOf must be a function'],
    ['a directory without administratorsOf', { ...seams(), directory: { isAdministratorOf() {} } }, 'directory.administratorsOf must be a function'],
    ['a notifier without notify', { ...seams(), notifier: {} }, 'notifier.notify must be a function'],
    ['a cipher without decrypt', { ...seams(), cipher: { encrypt() {} } }, 'cipher.decrypt must be a function'],
    ['a cipher without encrypt', { ...seams(), cipher: { decrypt() {} } }, 'cipher.encrypt must be a function'],
    ['an issuer that is not a string', { ...seams(), issuer: 42 }, 'issuer must be a non-empty string without ":"'],
    ['a blank issuer', { ...seams(), issuer: '   ' }, 'issuer must be a non-empty string without ":"'],
    ['a notify timeout of 0', { ...seams(), notifyTimeoutMs: 0 }, 'notifyTimeoutMs must be an integer from 1 to 50000'],
    ['a notify timeout of 50 001', { ...seams(), notifyTimeoutMs: 50_001 }, 'notifyTimeoutMs must be an integer from 1 to 50000'],
  ])('%s', async (_, config, message) => {
    expect(await failure(() => createGate(config as GateConfig))).toMatchObject({ code: 'ERR_OPTIONS', message });
  });

  it('accepts the notify timeout bounds, 1 and 50 000 ms', () => {
    expect(() => createGate({ ...seams(), notifyTimeoutMs: 1 })).not.toThrow();
    expect(() => createGate({ ...seams(), notifyTimeoutMs: 50_000 })).not.toThrow();
  });
});

describe('arguments are checked with messages naming the argument', () => {
  it.each<[string, (h: ReturnType<typeof harness>) => Promise<unknown>, string]>([
    ['userId of nextStep', (h) => h.gate.nextStep(''), 'userId must be a string of 1 to 256 characters'],
    ['userId of administrators', (h) => h.gate.administrators(''), 'userId must be a string of 1 to 256 characters'],
    ['userId of beginEnrollment', (h) => h.gate.beginEnrollment(''), 'userId must be a string of 1 to 256 characters'],
    ['userId of flushNotifications', (h) => h.gate.flushNotifications(''), 'userId must be a string of 1 to 256 characters'],
    ['adminId of reset', (h) => h.gate.reset('', 'alice'), 'adminId must be a string of 1 to 256 characters'],
    ['userId of reset', (h) => h.gate.reset('root', ''), 'userId must be a string of 1 to 256 characters'],
    ['requestId of reset', (h) => h.gate.reset('root', 'alice', { requestId: '' }), 'requestId must be a string of 1 to 256 characters'],
    ['requestId of decline', (h) => h.gate.decline('root', 'alice', { requestId: 'r'.repeat(257) }), 'requestId must be a string of 1 to 256 characters'],
    ['adminId of pendingResets', (h) => h.gate.pendingResets(''), 'adminId must be a string of 1 to 256 characters'],
    ['attempt of postpone', (h) => h.gate.postpone('alice', { attempt: '' }), 'attempt must be a string of 1 to 256 characters'],
    ['to of requestReset', (h) => h.gate.requestReset('alice', { to: '' }), 'to must be a string of 1 to 256 characters'],
    ['missing options of requestReset', (h) => h.gate.requestReset('alice', undefined as never), 'to must be a string of 1 to 256 characters'],
    ['a user id of 257 characters', (h) => h.gate.nextStep('u'.repeat(257)), 'userId must be a string of 1 to 256 characters'],
    ['a code of 65 characters', (h) => h.gate.verify('alice', '1'.repeat(65)), 'code must be a string of at most 64 characters'],
  ])('%s', async (_, call, message) => {
    const h = harness();
    expect(await failure(() => call(h))).toMatchObject({ code: 'ERR_OPTIONS', message });
  });

  it('accepts a user id of 256 characters and a code of 64', async () => {
    const h = harness();
    expect(await h.gate.nextStep('u'.repeat(256))).toMatchObject({ step: 'setup' });
    await enroll(h, 'alice');
    expect(await h.gate.verify('alice', '1'.repeat(64))).toMatchObject({ ok: false });
  });
});

describe('the clock', () => {
  it('that throws is ERR_OPTIONS with the cause', async () => {
    const cause = new Error('ntp');
    const gate = createGate({ ...seams(), clock: { now: () => { throw cause; } } });
    expect(await failure(() => gate.nextStep('alice'))).toMatchObject({ code: 'ERR_OPTIONS', message: 'clock.now failed', cause });
  });

  it('at a negative time is refused with its message; at 0 ms it works', async () => {
    const negative = createGate({ ...seams(), clock: { now: () => -1 } });
    expect(await failure(() => negative.nextStep('alice'))).toMatchObject({
      code: 'ERR_OPTIONS',
      message: 'clock.now must return milliseconds since the epoch',
    });
    const epoch = createGate({ ...seams(), clock: { now: () => 0 } });
    expect(await epoch.nextStep('alice')).toMatchObject({ step: 'setup' });
  });
});

describe('the cipher seam', () => {
  it('a wrapped secret with no cipher says so', async () => {
    const inner = createMemoryStore();
    const { cipher } = countingCipher();
    const h = harness({ cipher, store: inner });
    await enroll(h, 'alice');
    const plain = createGate({ ...seams(), store: inner });
    expect(await failure(() => plain.verify('alice', '123456'))).toMatchObject({
      code: 'ERR_CIPHER',
      message: 'the stored secret is encrypted but the gate has no cipher',
    });
  });

  it('a decrypt that throws is ERR_CIPHER with the cause; one that is already an OtpError passes through unchanged', async () => {
    const inner = createMemoryStore();
    const h = harness({ cipher: countingCipher().cipher, store: inner });
    await enroll(h, 'alice');
    const cause = new Error('kms down');
    const throwing = harness({ store: inner, cipher: { encrypt: async (p) => p, decrypt: async () => { throw cause; } } });
    expect(await failure(() => throwing.gate.verify('alice', '123456'))).toMatchObject({
      code: 'ERR_CIPHER',
      message: 'the stored secret could not be decrypted',
      cause,
    });
    const otherKey = harness({ store: inner, cipher: createAesGcmCipher({ key: new Uint8Array(32).fill(8) }) });
    expect(await failure(() => otherKey.gate.verify('alice', '123456'))).toMatchObject({
      code: 'ERR_CIPHER',
      message: "the secret could not be decrypted: wrong key, tampered, or another user's",
    });
  });

  it('a decrypt that answers a non-string says the cipher must return a string', async () => {
    const inner = createMemoryStore();
    await enroll(harness({ cipher: countingCipher().cipher, store: inner }), 'alice');
    const h = harness({ store: inner, cipher: { encrypt: async (p) => p, decrypt: async () => 42 as never } });
    expect(await failure(() => h.gate.verify('alice', '123456'))).toMatchObject({ code: 'ERR_CIPHER', message: 'the cipher must return a string' });
  });

  it('an encrypt that throws or answers a non-string is ERR_CIPHER, and nothing is stored', async () => {
    const cause = new Error('kms down');
    const throwing = harness({ cipher: { encrypt: async () => { throw cause; }, decrypt: async (w) => w } });
    expect(await failure(() => throwing.gate.beginEnrollment('alice'))).toMatchObject({
      code: 'ERR_CIPHER',
      message: 'the secret could not be encrypted',
      cause,
    });
    expect(await throwing.store.get('alice')).toBeNull();
    const nonsense = harness({ cipher: { encrypt: async () => 42 as never, decrypt: async (w) => w } });
    expect(await failure(() => nonsense.gate.beginEnrollment('alice'))).toMatchObject({ code: 'ERR_CIPHER', message: 'the cipher must return a string' });
    expect(await nonsense.store.get('alice')).toBeNull();
  });

  it('a secret is decrypted once per call even when the write is redone, and only by calls that use it', async () => {
    const s = countingStore();
    const c = countingCipher();
    const h = harness({ store: s.store, cipher: c.cipher, policy: { required: () => true } });
    const { secret } = await enroll(h, 'alice');
    c.counts.decrypt = 0;
    c.counts.encrypt = 0;
    s.loseNext(2);
    expect(await h.gate.verify('alice', h.code(secret))).toMatchObject({ ok: true });
    expect(c.counts).toEqual({ encrypt: 0, decrypt: 1 });
    c.counts.decrypt = 0;
    await h.gate.nextStep('alice');
    await h.gate.requestReset('alice', { to: 'root' });
    expect(c.counts).toEqual({ encrypt: 0, decrypt: 0 });
  });

  it('a new secret is drawn and encrypted once per call even when the write is redone', async () => {
    const s = countingStore();
    const c = countingCipher();
    const h = harness({ store: s.store, cipher: c.cipher });
    s.loseNext(3);
    const { secret } = await h.gate.beginEnrollment('alice');
    expect(c.counts.encrypt).toBe(1);
    expect(await c.cipher.decrypt((await h.record('alice')).pending!.secret, 'alice')).toBe(secret);
  });

  it('an expired pending secret is never decrypted, not even at the very millisecond it expires', async () => {
    const c = countingCipher();
    const h = harness({ cipher: c.cipher });
    const { secret, expiresAt } = await h.gate.beginEnrollment('alice');
    h.advance(expiresAt - h.now);
    c.counts.decrypt = 0;
    expect(await h.gate.confirmEnrollment('alice', h.code(secret))).toEqual({ ok: false, reason: 'expired' });
    expect(c.counts.decrypt).toBe(0);
  });
});

describe('the policy seam', () => {
  it('is asked once per call that needs it, however many rounds the write takes, and never by calls that do not', async () => {
    const s = countingStore();
    let asked = 0;
    const h = harness({ store: s.store, policy: { required: () => (asked++, true) } });
    s.loseNext(3);
    await h.gate.postpone('alice');
    expect(asked).toBe(1);
    const { secret } = await enroll(h, 'alice');
    asked = 0;
    await h.gate.verify('alice', h.code(secret));
    h.advance(30_000);
    await h.gate.beginEnrollment('alice', { code: h.code(secret) });
    await h.gate.requestReset('alice', { to: 'root' });
    expect(asked).toBe(0);
  });
});

describe('what each call costs the store', () => {
  it('a call that changes nothing reads once and writes nothing', async () => {
    const s = countingStore();
    const h = harness({ store: s.store });
    await h.gate.postpone('alice');
    s.reset();
    expect(await h.gate.nextStep('alice')).toMatchObject({ step: 'setup' });
    expect(s.counts).toEqual({ get: 1, cas: 0 });
  });

  it('a change reads and writes once, and once more to clear the delivered event', async () => {
    const s = countingStore();
    const h = harness({ store: s.store });
    await h.gate.postpone('alice');
    expect(s.counts).toEqual({ get: 2, cas: 2 });
    expect((await h.record('alice')).outbox).toEqual([]);
  });

  it('flushing with nothing queued reads once and writes nothing', async () => {
    const s = countingStore();
    const h = harness({ store: s.store });
    await h.gate.postpone('alice');
    s.reset();
    expect(await h.gate.flushNotifications('alice')).toEqual({ delivered: 0, remaining: 0 });
    expect(s.counts).toEqual({ get: 1, cas: 0 });
  });

  it('a lost write is redone after a back-off drawn from [0, min(100, 2^round)) ms; 24 lost writes are ERR_CONFLICT', async () => {
    const s = countingStore();
    const h = harness({ store: s.store });
    vi.spyOn(Math, 'random').mockReturnValue(0.75);
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    s.loseNext(Infinity);
    expect(await failure(() => h.gate.postpone('alice'))).toMatchObject({
      code: 'ERR_CONFLICT',
      message: "postpone kept losing the race for this user's record; try again",
    });
    expect(s.counts.cas).toBe(24);
    // The back-offs, besides the call's seam deadline (timeoutMs).
    const waits = timeout.mock.calls.map((call) => call[1]).filter((ms) => ms !== 10_000);
    expect(waits).toEqual(Array.from({ length: 23 }, (_, i) => 0.75 * Math.min(100, 2 ** (i + 1))));
  });

  it('flushNotifications: a lost claim is redone without sending twice; 24 lost claims are ERR_CONFLICT and send nothing', async () => {
    const s = countingStore();
    const h = harness({ store: s.store });
    h.notifier.failing = true;
    await h.gate.postpone('alice');
    h.notifier.failing = false;
    s.reset();
    s.loseNext(1);
    expect(await h.gate.flushNotifications('alice')).toEqual({ delivered: 1, remaining: 0 });
    expect(h.events.map((e) => e.type)).toEqual(['postponed']);
    expect(s.counts.cas).toBe(3); // the lost claim, the claim, the removal

    h.notifier.failing = true;
    await h.gate.postpone('alice');
    h.notifier.failing = false;
    s.reset();
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    s.loseNext(Infinity);
    expect(await failure(() => h.gate.flushNotifications('alice'))).toMatchObject({
      code: 'ERR_CONFLICT',
      message: "flushNotifications kept losing the race for this user's record; try again",
    });
    expect(s.counts.cas).toBe(24);
    expect(timeout.mock.calls.filter((call) => call[1] !== 10_000)).toHaveLength(23);
    expect(h.events.map((e) => e.type)).toEqual(['postponed']);
  });

  it('removing a delivered event is redone on a lost write, with the same back-off, and gives up quietly after 24', async () => {
    const s = countingStore();
    const h = harness({ store: s.store });
    let lostAfterNotify = 0;
    const notify = h.notifier.notify.bind(h.notifier);
    h.notifier.notify = async (event: GateEvent) => {
      await notify(event);
      s.loseNext(lostAfterNotify);
    };
    lostAfterNotify = 2;
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    await h.gate.postpone('alice', { attempt: 'a' });
    expect(s.counts.cas).toBe(1 + 3);
    // Two back-offs of the removal, besides the notify timer (given notifyTimeoutMs).
    expect(timeout.mock.calls.map((call) => call[1]).filter((ms) => ms !== 10_000)).toEqual([1, 2]);
    expect((await h.record('alice')).outbox).toEqual([]);

    lostAfterNotify = Infinity;
    s.reset();
    await h.gate.postpone('alice', { attempt: 'b' });
    expect(s.counts.cas).toBe(1 + 24);
    s.loseNext(0);
    // The delivered event still holds its claim; it is sent again once the claim runs out.
    expect((await h.record('alice')).outbox).toMatchObject([{ event: { type: 'postponed' } }]);
  });
});

describe('an event delivered meanwhile by another server', () => {
  it('is not written again: the first sender finds nothing left to remove', async () => {
    const s = countingStore();
    const h = harness({ store: s.store });
    const notify = h.notifier.notify.bind(h.notifier);
    // An assertion inside notify would be swallowed as a notifier failure: keep the result for later.
    let flushed: unknown = 'not called';
    h.notifier.notify = async (event: GateEvent) => {
      await notify(event);
      if (flushed !== 'not called') return;
      flushed = 'running';
      // This sender stalls past its 60 s claim; another server takes the event over.
      h.advance(61_000);
      flushed = await h.server().flushNotifications('alice');
    };
    await h.gate.postpone('alice');
    expect(flushed).toEqual({ delivered: 1, remaining: 0 });
    expect(h.events.map((e) => e.type)).toEqual(['postponed', 'postponed']);
    // The postpone, the other server's claim and its removal; nothing more.
    expect(s.counts.cas).toBe(3);
  });
});

describe('the notify timer', () => {
  it('is cleared once the notifier answers, so no timer outlives the call', async () => {
    const h = harness();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await h.gate.postpone('alice');
    expect(h.events).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('when it fires, the ERR_NOTIFY says which event stays queued, with the timeout as the cause', async () => {
    const reported: OtpError[] = [];
    const h = harness({ notifyTimeoutMs: 5, onNotifyError: (error) => reported.push(error) });
    h.notifier.notify = () => new Promise(() => {});
    await h.gate.postpone('alice');
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({
      code: 'ERR_NOTIFY',
      message: 'the notifier failed on a postponed event; it stays queued',
      cause: { message: 'no answer within 5 ms' },
    });
  });
});

describe('which notifier failures each method reports where', () => {
  /** A harness whose notifier fails on the events `rig.failing` picks (none at first). */
  function notifierRig() {
    const reported: string[] = [];
    const h = harness({ onNotifyError: (_, event) => reported.push(event.type) });
    const notify = h.notifier.notify.bind(h.notifier);
    const rig = { h, reported, failing: (_: GateEvent): boolean => false };
    h.notifier.notify = async (event: GateEvent) => {
      if (rig.failing(event)) throw new Error('smtp down');
      return notify(event);
    };
    return rig;
  }

  /** Alice enrolled, with a `verified` event that failed and stays queued, failing again from now on. */
  async function withQueuedFailure(alsoFailing: GateEvent['type'] | null) {
    const rig = notifierRig();
    const { secret } = await enroll(rig.h, 'alice');
    rig.failing = (event) => event.type === 'verified' || event.type === alsoFailing;
    await rig.h.gate.verify('alice', rig.h.code(secret));
    expect(rig.reported).toEqual(['verified']);
    rig.reported.length = 0;
    // Past its back-off the failed event is tried again with the next change.
    rig.h.advance(60_000);
    return rig;
  }

  it('reset reports its own failed event as notified: false, and earlier queued ones to onNotifyError', async () => {
    const { h, reported } = await withQueuedFailure('reset-completed');
    expect(await h.gate.reset('root', 'alice')).toEqual({ ok: true, notified: false });
    expect(reported).toEqual(['verified']);
  });

  it('reset says notified: true when its own event went out, whatever happened to older ones', async () => {
    const { h, reported } = await withQueuedFailure(null);
    expect(await h.gate.reset('root', 'alice')).toEqual({ ok: true, notified: true });
    expect(reported).toEqual(['verified']);
  });

  it('requestReset rejects only for its own request; an older event that fails again goes to onNotifyError', async () => {
    const { h, reported } = await withQueuedFailure(null);
    expect(await h.gate.requestReset('alice', { to: 'root' })).toMatchObject({ to: ['root'] });
    expect(reported).toEqual(['verified']);
  });

  it('requestReset reports its own failure by rejecting, not to onNotifyError as well', async () => {
    const rig = notifierRig();
    await enroll(rig.h, 'alice');
    rig.failing = (event) => event.type === 'reset-requested';
    expect(await failure(() => rig.h.gate.requestReset('alice', { to: 'root' }))).toMatchObject({ code: 'ERR_NOTIFY' });
    expect(rig.reported).toEqual([]);
  });

  it("requestReset does not reject for a declined request's event that fails again", async () => {
    const rig = notifierRig();
    const { h } = rig;
    await enroll(h, 'alice');
    rig.failing = (event) => event.type === 'reset-requested';
    expect(await failure(() => h.gate.requestReset('alice', { to: 'root' }))).toMatchObject({ code: 'ERR_NOTIFY' });
    const [open] = await h.gate.pendingResets('root');
    expect(await h.gate.decline('root', 'alice', { requestId: open!.requestId })).toEqual({ ok: true, notified: true });
    h.advance(24 * 3600_000);
    rig.failing = (event) => event.type === 'reset-requested' && event.requestId === open!.requestId;
    rig.reported.length = 0;
    const second = await h.gate.requestReset('alice', { to: 'root' });
    expect(second.requestId).not.toBe(open!.requestId);
    expect(rig.reported).toEqual(['reset-requested']);
  });
});

describe('the directory seam', () => {
  it.each<[string, unknown]>([
    ['an empty id', [{ id: '', name: 'Nobody' }]],
    ['no name', [{ id: 'root' }]],
    ['nothing at all', [undefined]],
  ])('an administrator with %s is ERR_DIRECTORY', async (_, list) => {
    const gate = createGate({ ...seams(), directory: { administratorsOf: async () => list as never, isAdministratorOf: async () => true } });
    expect(await failure(() => gate.administrators('alice'))).toMatchObject({
      code: 'ERR_DIRECTORY',
      message: 'directory.administratorsOf must return an array of { id, name } with string ids',
    });
  });

  it('failures of each directory method name the method', async () => {
    const cause = new Error('ldap down');
    const gate = createGate({
      ...seams(),
      directory: {
        administratorsOf: async () => { throw cause; },
        isAdministratorOf: async () => { throw cause; },
        accountLabel: async () => { throw cause; },
      },
    });
    expect(await failure(() => gate.administrators('alice'))).toMatchObject({ message: 'directory.administratorsOf failed', cause });
    expect(await failure(() => gate.reset('root', 'alice'))).toMatchObject({ message: 'directory.isAdministratorOf failed', cause });
    expect(await failure(() => gate.beginEnrollment('alice'))).toMatchObject({ code: 'ERR_DIRECTORY', message: 'directory.accountLabel failed', cause });
    const labels = createGate({ ...seams(), directory: { ...seams().directory, accountLabel: async () => 7 as never } });
    expect(await failure(() => labels.beginEnrollment('alice'))).toMatchObject({ message: 'directory.accountLabel must return a string' });
  });

  it('an administrator never acts on themselves, even when the directory says they may', async () => {
    const gate = createGate({ ...seams(), directory: { administratorsOf: async () => [], isAdministratorOf: async () => true } });
    expect(await failure(() => gate.reset('root', 'root'))).toMatchObject({
      code: 'ERR_NOT_ADMIN',
      message: 'an administrator cannot act on their own 2-step verification',
    });
    const h = harness();
    expect(await failure(() => h.gate.reset('carol', 'bob'))).toMatchObject({ code: 'ERR_NOT_ADMIN', message: 'this administrator does not administer this user' });
    await enroll(h, 'alice');
    expect(await failure(() => h.gate.requestReset('alice', { to: 'bob' }))).toMatchObject({
      message: 'to must be one of the user\'s administrators or "all"',
    });
  });
});

describe('pendingResets', () => {
  it('skips entries that are not records of another user, and lists the rest oldest first', async () => {
    const h = harness({ admins: { alice: ['root'], bob: ['root'], root: ['root'] } });
    await enroll(h, 'bob');
    await h.gate.requestReset('bob', { to: 'root' });
    h.advance(60_000);
    await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'root' });
    await enroll(h, 'carol'); // a record with no open request
    const real = await h.store.listOpenResets();
    const carol = { userId: 'carol', record: (await h.store.get('carol'))!.record, version: 1 };
    const own = { ...real[0]!, userId: 'root' };
    const listed = [...real].reverse();
    const gate = createGate({
      ...seams(),
      clock: { now: () => h.now },
      store: { ...h.store, listOpenResets: async () => [null, 5, 'x', { userId: 7, record: real[0]!.record }, own, carol, ...listed] as never },
      // A directory that would allow anything: the filtering above is the gate's own.
      directory: { administratorsOf: async () => [], isAdministratorOf: async () => true },
    });
    const pending = await gate.pendingResets('root');
    expect(pending.map((p) => p.userId)).toEqual(['bob', 'alice']);
  });

  it('a directory that fails while listing is ERR_DIRECTORY with the cause', async () => {
    const h = harness();
    await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'root' });
    const cause = new Error('ldap down');
    const gate = createGate({
      ...seams(),
      store: h.store,
      clock: { now: () => h.now },
      directory: { administratorsOf: async () => [], isAdministratorOf: async () => { throw cause; } },
    });
    expect(await failure(() => gate.pendingResets('root'))).toMatchObject({ code: 'ERR_DIRECTORY', message: 'directory.isAdministratorOf failed', cause });
  });

  it('a store whose listOpenResets fails or answers nonsense is ERR_STORE, saying which', async () => {
    const cause = new Error('connection reset');
    const failing = createGate({ ...seams(), store: { ...createMemoryStore(), listOpenResets: async () => { throw cause; } } });
    const error = await failure(() => failing.pendingResets('root'));
    expect(error).toMatchObject({ code: 'ERR_STORE', message: 'store.listOpenResets failed', cause: { message: 'connection reset' } });
    // A redacted copy of the driver's error, never the error itself with whatever it holds.
    expect((error as Error).cause).not.toBe(cause);
    const nonsense = createGate({ ...seams(), store: { ...createMemoryStore(), listOpenResets: async () => ({}) as never } });
    expect(await failure(() => nonsense.pendingResets('root'))).toMatchObject({ code: 'ERR_STORE', message: 'store.listOpenResets must return an array' });
  });
});

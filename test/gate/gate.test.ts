import { describe, expect, it, vi } from 'vitest';
import { isOtpError, type OtpError } from '../../src/errors.js';
import { createAesGcmCipher } from '../../src/gate/aes-gcm.js';
import type { GateEvent } from '../../src/gate/events.js';
import { createGate } from '../../src/gate/gate.js';
import type { MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { codeOf, enroll, harness } from './harness.js';

describe('illegal transitions through the gate', () => {
  it('refuses each with its code', async () => {
    const h = harness({ policy: { required: (userId) => userId !== 'dave' } });
    const { gate } = h;
    await enroll(h, 'alice');
    expect(await codeOf(gate.postpone('alice'))).toBe('ERR_STATE');
    expect(await codeOf(gate.postpone('dave'))).toBe('ERR_POSTPONE_NOT_ALLOWED');
    expect(await gate.confirmEnrollment('bob', '123456')).toEqual({ ok: false, reason: 'no-setup' });
    expect(await gate.confirmEnrollment('alice', '123456')).toEqual({ ok: false, reason: 'already-enrolled' });
    expect(await codeOf(gate.requestReset('bob', { to: 'root' }))).toBe('ERR_NOT_ENROLLED');
    expect(await codeOf(gate.requestReset('alice', { to: 'bob' }))).toBe('ERR_NOT_ADMIN');
    expect(await codeOf(gate.enable('alice'))).toBe('ERR_STATE');
    expect(await codeOf(gate.enable('bob'))).toBe('ERR_STATE'); // required already
    expect(await codeOf(gate.disable('alice'))).toBe('ERR_REQUIRED');
    expect(await codeOf(gate.disable('dave'))).toBe('ERR_NOT_ENROLLED');
    expect(await codeOf(gate.nextStep(''))).toBe('ERR_OPTIONS');
    expect(await codeOf(gate.verify('alice', 123456 as unknown as string))).toBe('ERR_OPTIONS');
    expect(await codeOf(gate.verify('alice', '1'.repeat(65)))).toBe('ERR_OPTIONS');
    expect(await codeOf(gate.postpone('bob', { attempt: '' }))).toBe('ERR_OPTIONS');
    // None of the refusals changed anything or told anyone.
    expect(h.events.map((e) => e.type)).toEqual(['enrollment-started', 'enrolled']);
  });

  it('refuses a bad configuration with ERR_OPTIONS', () => {
    const h = harness();
    const base = { store: h.store, directory: { administratorsOf: async () => [], isAdministratorOf: async () => false }, notifier: { notify: async () => {} } };
    expect(() => createGate({ ...base, issuer: 'A:B' })).toThrowError(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(() => createGate({ ...base, issuer: '' })).toThrowError(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(() => createGate({ ...base, store: {} as MfaStore, issuer: 'ACME' })).toThrowError(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(() => createGate({ ...base, issuer: 'ACME', policy: { maxPostpones: -1 } })).toThrowError(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });
});

describe('reset authorization', () => {
  it('only an administrator of the user, never the user on themselves', async () => {
    // A sloppy directory that calls alice her own administrator still cannot make her one.
    const h = harness({ admins: { alice: ['root', 'alice'], bob: ['carol'] } });
    await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'all' });
    expect(h.events.at(-1)).toMatchObject({ type: 'reset-requested', to: ['root'] });
    expect(await h.gate.administrators('alice')).toEqual([{ id: 'root', name: 'ROOT' }]);
    expect(await codeOf(h.gate.reset('carol', 'alice'))).toBe('ERR_NOT_ADMIN');
    expect(await codeOf(h.gate.decline('carol', 'alice'))).toBe('ERR_NOT_ADMIN');
    expect(await codeOf(h.gate.reset('alice', 'alice'))).toBe('ERR_NOT_ADMIN');
    expect(await codeOf(h.gate.requestReset('alice', { to: 'alice' }))).toBe('ERR_NOT_ADMIN');
    expect(await h.gate.pendingResets('alice')).toEqual([]);
    expect(await h.gate.pendingResets('carol')).toEqual([]);
    expect((await h.record('alice')).state).toBe('enrolled');
    expect(await h.gate.reset('root', 'alice')).toEqual({ ok: true, notified: true });
  });

  it('an administrator may decline; the request closes and the enrollment stays', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'root' });
    expect(await h.gate.decline('root', 'alice')).toEqual({ ok: true, notified: true });
    expect(h.events.at(-1)).toMatchObject({ type: 'reset-declined', actor: 'root', userId: 'alice' });
    expect(await h.gate.pendingResets('root')).toEqual([]);
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
  });

  it('a request expires after 72 hours', async () => {
    const h = harness();
    await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'root' });
    h.advance(72 * 3_600_000 - 1);
    expect(await h.gate.pendingResets('root')).toHaveLength(1);
    h.advance(1);
    expect(await h.gate.pendingResets('root')).toEqual([]);
  });
});

describe('enrollment', () => {
  it('gives the same pending secret back until it expires, then a new one; renew asks for a new one', async () => {
    const h = harness();
    const first = await h.gate.beginEnrollment('alice');
    h.advance(599_000);
    expect(await h.gate.beginEnrollment('alice')).toEqual(first);
    const renewed = await h.gate.beginEnrollment('alice', { renew: true });
    expect(renewed.secret).not.toBe(first.secret);
    h.advance(600_000);
    expect(await h.gate.confirmEnrollment('alice', h.code(renewed.secret))).toEqual({ ok: false, reason: 'expired' });
    const fresh = await h.gate.beginEnrollment('alice');
    expect(fresh.secret).not.toBe(renewed.secret);
    expect((await h.gate.confirmEnrollment('alice', h.code(fresh.secret))).ok).toBe(true);
  });

  it('labels the account from the directory unless told otherwise', async () => {
    const h = harness();
    expect((await h.gate.beginEnrollment('alice')).uri).toContain('ACME%20Co:alice%40acme.example');
    expect((await h.gate.beginEnrollment('bob', { account: 'Bob B' })).uri).toContain('ACME%20Co:Bob%20B');
  });

  it('refuses the enrollment code at the next login', async () => {
    const h = harness();
    const { secret } = await h.gate.beginEnrollment('alice');
    const code = h.code(secret);
    expect((await h.gate.confirmEnrollment('alice', code)).ok).toBe(true);
    h.advance(5_000); // still the same step
    expect(await h.gate.verify('alice', code)).toEqual({ ok: false, reason: 'replayed' });
  });

  it('an enrolled user adds an authenticator only with a fresh code; an abandoned one leaves the first working, a confirmed one works beside it', async () => {
    const h = harness();
    const { secret: old } = await enroll(h, 'alice');
    expect(await codeOf(h.gate.beginEnrollment('alice'))).toBe('ERR_REAUTH_REQUIRED');
    const next = await h.gate.beginEnrollment('alice', { code: h.code(old), label: 'Spare phone' });
    h.advance(30_000);
    expect(await h.gate.verify('alice', h.code(old))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    h.advance(3_600_000); // abandoned: the pending secret expires
    expect(await h.gate.verify('alice', h.code(old))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(await h.gate.confirmEnrollment('alice', h.code(next.secret))).toEqual({ ok: false, reason: 'expired' });
    h.advance(30_000);
    const again = await h.gate.beginEnrollment('alice', { code: h.code(old), label: 'Spare phone' });
    expect(again.secret).not.toBe(next.secret);
    // The recovery codes stay as they are: none come back.
    expect(await h.gate.confirmEnrollment('alice', h.code(again.secret))).toEqual({ ok: true, recoveryCodes: [] });
    expect(h.events.filter((e) => e.type === 'enrolled').at(-1)).toMatchObject({ renewed: true, recoveryCodes: 0 });
    h.advance(30_000);
    expect(await h.gate.verify('alice', h.code(old))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    h.advance(30_000);
    expect(await h.gate.verify('alice', h.code(again.secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect((await h.gate.authenticators('alice')).map((a) => a.label)).toEqual(['Authenticator app', 'Spare phone']);
  });

  it('five wrong confirmations discard the pending secret', async () => {
    const h = harness({ policy: { throttle: { lockAfter: 50 } } });
    const { secret } = await h.gate.beginEnrollment('alice');
    for (let i = 0; i < 5; i++) await h.gate.confirmEnrollment('alice', '000000');
    expect(await h.gate.confirmEnrollment('alice', h.code(secret))).toEqual({ ok: false, reason: 'no-setup' });
    expect(h.events.at(-1)).toMatchObject({ type: 'enrollment-discarded' });
    expect((await h.gate.beginEnrollment('alice')).secret).not.toBe(secret);
  });
});

describe('throttling over time', () => {
  it('locks after five failures, unlocks when the time is up, and locks longer the second time', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    for (let i = 0; i < 4; i++) expect(await h.gate.verify('alice', '000000')).toEqual({ ok: false, reason: 'invalid' });
    const start = h.now;
    expect(await h.gate.verify('alice', '000000')).toEqual({ ok: false, reason: 'invalid', retryAt: start + 30_000 });
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'locked', retryAt: start + 30_000 });
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: false, reason: 'locked', retryAt: start + 30_000 });
    h.advance(30_000);
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'code' });
    for (let i = 0; i < 4; i++) await h.gate.verify('alice', '000000');
    expect(await h.gate.verify('alice', '000000')).toEqual({ ok: false, reason: 'invalid', retryAt: h.now + 60_000 });
    h.advance(60_000);
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    // A success starts over: the next lock is short again.
    for (let i = 0; i < 4; i++) await h.gate.verify('alice', '000000');
    expect(await h.gate.verify('alice', '000000')).toMatchObject({ retryAt: h.now + 30_000 });
    expect(h.events.filter((e) => e.type === 'locked')).toHaveLength(3);
  });

  it('stops at 100 consecutive failures until a recovery code or an administrator lifts it', async () => {
    const h = harness();
    const { secret, recoveryCodes } = await enroll(h, 'alice');
    let failures = 0;
    while (failures < 100) {
      const r = await h.gate.verify('alice', '000000');
      if (!r.ok && r.reason === 'locked') {
        h.advance(r.retryAt! - h.now);
        continue;
      }
      failures++;
    }
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'locked', retryAt: null });
    h.advance(365 * 86_400_000);
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: false, reason: 'locked', retryAt: null });
    expect(h.events.filter((e) => e.type === 'locked').at(-1)).toMatchObject({ until: null, failures: 100 });
    // A recovery code still works, once.
    expect(await h.gate.verify('alice', recoveryCodes[3]!)).toEqual({ ok: true, method: 'recovery', recoveryCodesLeft: 9 });
    expect(h.events.at(-1)).toMatchObject({ type: 'recovery-code-used', remaining: 9 });
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'code' });
    expect(await h.gate.verify('alice', recoveryCodes[3]!)).toEqual({ ok: false, reason: 'invalid' });
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 9 });
  });

  it('wrong enrollment confirmations count towards the lock', async () => {
    const h = harness({ policy: { enrollment: { maxFailures: 10 } } });
    const { secret } = await h.gate.beginEnrollment('alice');
    for (let i = 0; i < 5; i++) await h.gate.confirmEnrollment('alice', '000000');
    expect(await h.gate.confirmEnrollment('alice', h.code(secret))).toMatchObject({ ok: false, reason: 'locked' });
  });
});

describe('notifier failure', () => {
  it('a reset request is stored, reported with ERR_NOTIFY, kept, and sent when asked again', async () => {
    const h = harness();
    await enroll(h, 'alice');
    h.notifier.failing = true;
    const error = await h.gate.requestReset('alice', { to: 'root' }).catch((e: unknown) => e as OtpError);
    expect(isOtpError(error) && error.code).toBe('ERR_NOTIFY');
    expect((error as Error).cause).toMatchObject({ message: 'smtp: connection refused' });
    expect(await h.gate.pendingResets('root')).toHaveLength(1); // stored before notifying
    const stored = await h.record('alice');
    expect(stored.outbox).toMatchObject([{ event: { type: 'reset-requested', to: ['root'] }, claim: null, attempts: 1 }]);
    // Asking again while it still fails: still one queued event, not two.
    expect(await codeOf(h.gate.requestReset('alice', { to: 'root' }))).toBe('ERR_NOTIFY');
    expect((await h.record('alice')).outbox).toHaveLength(1);
    h.notifier.failing = false;
    h.advance(60_000);
    const sent = await h.gate.requestReset('alice', { to: 'root' });
    expect(sent.to).toEqual(['root']);
    expect(h.events.filter((e) => e.type === 'reset-requested')).toHaveLength(1);
    expect((await h.record('alice')).outbox).toEqual([]);
    expect((await h.record('alice')).resetRequest?.notifiedAt).toEqual({ root: h.now });
    expect(await codeOf(h.gate.requestReset('alice', { to: 'root' }))).toBe('ERR_COOLDOWN');
  });

  it('other transitions succeed, tell onNotifyError, and the event goes out with a later change or a flush', async () => {
    const reported: Array<[string, GateEvent]> = [];
    const h = harness({ onNotifyError: (error, event) => reported.push([error.code, event]) });
    h.notifier.failing = true;
    expect(await h.gate.postpone('alice', { attempt: 'a' })).toEqual({ postponesLeft: 1, repeated: false });
    expect(reported).toMatchObject([['ERR_NOTIFY', { type: 'postponed' }]]);
    expect(await codeOf(h.gate.flushNotifications('alice'))).toBe('ERR_NOTIFY');
    h.notifier.failing = false;
    // The failed event waits out its back-off; the next change sends only its own.
    await h.gate.postpone('alice', { attempt: 'b' });
    expect(h.events.map((e) => [e.type, (e as { postponesLeft?: number }).postponesLeft])).toEqual([['postponed', 0]]);
    expect((await h.record('alice')).outbox).toMatchObject([{ event: { type: 'postponed', postponesLeft: 1 }, claim: null, attempts: 2 }]);
    // Once the back-off is over, the next change sends it too.
    h.advance(60_000);
    await h.gate.beginEnrollment('alice');
    expect(h.events.map((e) => [e.type, (e as { postponesLeft?: number }).postponesLeft])).toEqual([
      ['postponed', 0],
      ['postponed', 1],
      ['enrollment-started', undefined],
    ]);
    expect(await h.gate.flushNotifications('alice')).toEqual({ delivered: 0, remaining: 0 });
  });

  it('a notifier that never answers does not hang the caller: the change stands and the event stays queued', async () => {
    const reported: string[] = [];
    const h = harness({ notifyTimeoutMs: 50, onNotifyError: (error) => reported.push(error.code) });
    h.notifier.notify = vi.fn(() => new Promise<void>(() => {}));
    expect(await h.gate.postpone('alice', { attempt: 'a' })).toEqual({ postponesLeft: 1, repeated: false });
    expect(reported).toEqual(['ERR_NOTIFY']);
    expect((await h.record('alice')).outbox).toMatchObject([{ event: { type: 'postponed' }, claim: null, attempts: 1 }]);
    const events: GateEvent[] = [];
    h.notifier.notify = vi.fn(async (event: GateEvent) => void events.push(event));
    expect(await h.gate.flushNotifications('alice')).toEqual({ delivered: 1, remaining: 0 });
    expect(events.map((e) => e.type)).toEqual(['postponed']);
  });

  it('refuses a notify timeout outside 1..50000 ms', () => {
    for (const notifyTimeoutMs of [0, -1, 1.5, 50_001, Number.NaN]) {
      expect(() => harness({ notifyTimeoutMs })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    }
  });

  it('flushNotifications sends what is queued', async () => {
    const h = harness();
    h.notifier.failing = true;
    await h.gate.postpone('alice');
    h.notifier.failing = false;
    expect(await h.gate.flushNotifications('alice')).toEqual({ delivered: 1, remaining: 0 });
    expect(await h.gate.flushNotifications('alice')).toEqual({ delivered: 0, remaining: 0 });
    expect(h.events).toHaveLength(1);
  });

  it('a reset whose notification fails is done, says notified: false, and the user is told on flush', async () => {
    const h = harness();
    await enroll(h, 'alice');
    h.notifier.failing = true;
    expect(await h.gate.reset('root', 'alice')).toEqual({ ok: true, notified: false });
    expect((await h.record('alice')).state).toBe('none');
    h.notifier.failing = false;
    expect(await h.gate.flushNotifications('alice')).toEqual({ delivered: 1, remaining: 0 });
    expect(h.events.at(-1)).toMatchObject({ type: 'reset-completed', actor: 'root' });
  });

  it('a claimed event whose sender died is taken over after the claim runs out', async () => {
    const h = harness();
    let hang: (() => void) | undefined;
    h.notifier.notify = vi.fn(() => new Promise<void>((resolve) => (hang = resolve)));
    const pending = h.gate.postpone('alice');
    await vi.waitFor(() => expect(hang).toBeDefined());
    // Another server flushing now must not send it again...
    const other = createGate({ store: h.store, directory: { administratorsOf: async () => [], isAdministratorOf: async () => false }, notifier: { notify: async () => {} }, issuer: 'ACME', clock: { now: () => h.now } });
    expect(await other.flushNotifications('alice')).toEqual({ delivered: 0, remaining: 1 });
    // ...until the claim runs out (the first server is presumed dead).
    h.advance(60_000);
    expect(await other.flushNotifications('alice')).toEqual({ delivered: 1, remaining: 0 });
    hang!();
    await pending;
  });
});

describe('secrets at rest', () => {
  const cipher = createAesGcmCipher({ key: crypto.getRandomValues(new Uint8Array(32)) });

  it('stores only wrapped secrets and works through the cipher', async () => {
    const h = harness({ cipher });
    const { secret } = await h.gate.beginEnrollment('alice');
    expect(JSON.stringify(await h.record('alice'))).not.toContain(secret);
    expect((await h.record('alice')).pending).toMatchObject({ wrapped: true, secret: expect.stringMatching(/^v1\./) });
    expect((await h.gate.beginEnrollment('alice')).secret).toBe(secret); // unwrapped on reload
    expect((await h.gate.confirmEnrollment('alice', h.code(secret))).ok).toBe(true);
    h.advance(30_000);
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(JSON.stringify(await h.record('alice'))).not.toContain(secret);
  });

  it('a secret copied into another user\'s record does not decrypt', async () => {
    const h = harness({ cipher });
    const { secret } = await enroll(h, 'alice');
    const alice = await h.store.get('alice');
    await h.store.compareAndSet('bob', null, alice!.record);
    expect(await codeOf(h.gate.verify('bob', h.code(secret)))).toBe('ERR_CIPHER');
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
  });

  it('a wrapped secret with no cipher configured is ERR_CIPHER, not a silent failure', async () => {
    const h = harness({ cipher });
    const { secret } = await enroll(h, 'alice');
    const plain = harness({ store: h.store });
    expect(await codeOf(plain.gate.verify('alice', h.code(secret)))).toBe('ERR_CIPHER');
  });
});

describe('the store seam', () => {
  it('a record the gate cannot read is ERR_STORE, and is not overwritten', async () => {
    const store = createMemoryStore();
    await store.compareAndSet('alice', null, { resetRequest: null, schema: 99 });
    const h = harness({ store });
    expect(await codeOf(h.gate.postpone('alice'))).toBe('ERR_STORE');
    expect((await store.get('alice'))?.record).toEqual({ resetRequest: null, schema: 99 });
  });

  it('a failing store is ERR_STORE with the cause', async () => {
    const broken: MfaStore = {
      get: async () => {
        throw new Error('connection reset');
      },
      compareAndSet: async () => false,
      listOpenResets: async () => [],
    };
    const error = await harness({ store: broken }).gate.nextStep('alice').catch((e: unknown) => e as OtpError);
    expect(error).toMatchObject({ code: 'ERR_STORE', cause: { message: 'connection reset' } });
  });

  it('a write that keeps losing the race ends in ERR_CONFLICT, having changed nothing', async () => {
    const inner = createMemoryStore();
    const losing: MfaStore = { ...inner, get: inner.get, listOpenResets: inner.listOpenResets, compareAndSet: async () => false };
    const h = harness({ store: losing });
    expect(await codeOf(h.gate.postpone('alice'))).toBe('ERR_CONFLICT');
    expect(await inner.get('alice')).toBeNull();
    expect(h.events).toEqual([]);
  });
});

describe('policy per user, enable and disable', () => {
  it('asks the policy function per user, and lets a user opt in and out where not required', async () => {
    const required = vi.fn(async (userId: string) => userId.startsWith('corp-'));
    const h = harness({ policy: { required } });
    expect(await h.gate.nextStep('corp-ann')).toEqual({ step: 'setup', required: true, postponesLeft: 2 });
    expect(await h.gate.nextStep('dave')).toEqual({ step: 'allow' });
    expect(required).toHaveBeenCalledWith('dave');
    await h.gate.enable('dave');
    expect(await h.gate.nextStep('dave')).toEqual({ step: 'setup', required: false, postponesLeft: 0 });
    const { secret } = await enroll(h, 'dave');
    expect(await h.gate.nextStep('dave')).toEqual({ step: 'code' });
    expect(await h.gate.verify('dave', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    h.advance(30_000);
    expect(await h.gate.disable('dave', { code: h.code(secret) })).toEqual({ ok: true });
    expect(await h.gate.nextStep('dave')).toEqual({ step: 'allow' });
    expect(await h.gate.verify('dave', h.code(secret))).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(h.events.map((e) => e.type)).toEqual(['enabled', 'enrollment-started', 'enrolled', 'verified', 'verified', 'disabled']);
  });

  it('a user who enrolls where not required, without enable, gets code and may disable', async () => {
    const h = harness({ policy: { required: false } });
    const { secret } = await enroll(h, 'dave');
    expect(await h.gate.nextStep('dave')).toEqual({ step: 'code' });
    expect(await codeOf(h.gate.disable('dave'))).toBe('ERR_REAUTH_REQUIRED');
    expect(await h.gate.disable('dave', { code: '000000' === h.code(secret) ? '111111' : '000000' })).toEqual({ ok: false, reason: 'invalid' });
    expect(await h.gate.nextStep('dave')).toEqual({ step: 'code' });
    expect(await h.gate.disable('dave', { code: h.code(secret) })).toEqual({ ok: true });
    expect(await h.gate.nextStep('dave')).toEqual({ step: 'allow' });
  });

  it('with recovery codes off, confirmation returns none', async () => {
    const h = harness({ policy: { recovery: { count: 0 } } });
    const { secret } = await h.gate.beginEnrollment('alice');
    expect(await h.gate.confirmEnrollment('alice', h.code(secret))).toEqual({ ok: true, recoveryCodes: [] });
  });
});

describe('pendingResets', () => {
  it('skips a record it cannot read instead of failing the whole list', async () => {
    const h = harness();
    await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'root' });
    await h.store.compareAndSet('bob', null, { resetRequest: { requestedAt: 1 }, schema: 99 });
    expect((await h.gate.pendingResets('root')).map((p) => p.userId)).toEqual(['alice']);
  });
});

describe('beginEnrollment with a bad account label', () => {
  it('refuses with ERR_URI before storing anything', async () => {
    const h = harness();
    expect(await codeOf(h.gate.beginEnrollment('alice', { account: 'a:b' }))).toBe('ERR_URI');
    expect(await h.store.get('alice')).toBeNull();
    expect(h.events).toEqual([]);
  });
});

// Findings of a hostile review of the gate against issue 4: each test failed
// before the fix that follows it in the history.
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/gate/gate.js';
import type { MfaStore } from '../../src/seams/store.js';
import { codeOf, enroll, harness } from './harness.js';

describe('a reset request whose notification failed', () => {
  it('still reaches the first administrator when the user then asks another one', async () => {
    const h = harness();
    await enroll(h, 'alice');
    h.notifier.failing = true;
    expect(await codeOf(h.gate.requestReset('alice', { to: 'root' }))).toBe('ERR_NOTIFY');
    h.notifier.failing = false;
    const sent = await h.gate.requestReset('alice', { to: 'carol' });
    expect(sent.to).toEqual(['root', 'carol']);
    await h.gate.flushNotifications('alice');
    const told = h.events.filter((e) => e.type === 'reset-requested').flatMap((e) => (e.type === 'reset-requested' ? e.to : []));
    expect(told.sort()).toEqual(['carol', 'root']);
    expect((await h.record('alice')).resetRequest?.notifiedAt).toEqual({ root: h.now, carol: h.now });
  });
});

describe('a notifier that fails after sending', () => {
  it('gets the same event id again when the user asks again, so it can drop the repeat', async () => {
    const h = harness();
    await enroll(h, 'alice');
    const seen: string[] = [];
    let fail = true;
    h.notifier.notify = async (event) => {
      seen.push(event.id);
      if (fail) throw new Error('timeout after the mail went out');
    };
    expect(await codeOf(h.gate.requestReset('alice', { to: 'root' }))).toBe('ERR_NOTIFY');
    fail = false;
    expect((await h.gate.requestReset('alice', { to: 'root' })).to).toEqual(['root']);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]);
    expect((await h.record('alice')).outbox).toEqual([]);
  });
});

describe('an administrator acting on a request another one handled', () => {
  it('with the request id from pendingResets, a late reset sees it was declined and changes nothing', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'all' });
    const [listed] = await h.gate.pendingResets('carol');
    expect(await h.gate.decline('root', 'alice')).toEqual({ ok: true, notified: true });
    // carol's page still shows the request she loaded before root declined it.
    expect(await h.gate.reset('carol', 'alice', { requestId: listed!.requestId })).toMatchObject({
      ok: false,
      reason: 'already-handled',
      handled: { kind: 'declined', by: 'root' },
    });
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
  });

  it('a late reset does not wipe the enrollment the user made after the first reset', async () => {
    const h = harness();
    await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'all' });
    const [listed] = await h.gate.pendingResets('carol');
    expect(await h.gate.reset('root', 'alice')).toEqual({ ok: true, notified: true });
    const { secret } = await enroll(h, 'alice');
    expect(await h.gate.reset('carol', 'alice', { requestId: listed!.requestId })).toMatchObject({ ok: false, reason: 'already-handled', handled: { kind: 'reset', by: 'root' } });
    expect(await h.gate.decline('carol', 'alice', { requestId: listed!.requestId })).toMatchObject({ ok: false, reason: 'already-handled' });
    expect(await h.gate.verify('alice', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    // Without a request id an administrator may still reset on their own initiative.
    expect(await h.gate.reset('carol', 'alice')).toEqual({ ok: true, notified: true });
  });
});

describe('postpone with a login-attempt id', () => {
  it('does not let an old attempt id stand in for a postpone at a later login', async () => {
    const h = harness();
    await h.gate.postpone('alice', { attempt: 'login-1' });
    await h.gate.postpone('alice', { attempt: 'login-2' });
    // The double click of the last login, a second later: nothing used, no refusal.
    h.advance(1_000);
    expect(await h.gate.postpone('alice', { attempt: 'login-2' })).toEqual({ postponesLeft: 0, repeated: true });
    // A day later the host (or a client echoing a hidden field) sends an old id again.
    h.advance(86_400_000);
    expect(await codeOf(h.gate.postpone('alice', { attempt: 'login-1' }))).toBe('ERR_POSTPONE_LIMIT');
    expect(await codeOf(h.gate.postpone('alice', { attempt: 'login-2' }))).toBe('ERR_POSTPONE_LIMIT');
  });
});

describe('a clock that returns nonsense', () => {
  it('is refused with ERR_OPTIONS instead of reading as "not locked"', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    for (let i = 0; i < 5; i++) await h.gate.verify('alice', '000000');
    expect(await h.gate.nextStep('alice')).toMatchObject({ step: 'locked' });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown as number, -1]) {
      const gate = createGate({ store: h.store, directory: { administratorsOf: async () => [], isAdministratorOf: async () => false }, notifier: { notify: async () => {} }, issuer: 'ACME', clock: { now: () => bad } });
      expect(await codeOf(gate.nextStep('alice'))).toBe('ERR_OPTIONS');
      expect(await codeOf(gate.verify('alice', h.code(secret)))).toBe('ERR_OPTIONS');
    }
  });
});

describe('a corrupted record', () => {
  async function tamper(h: ReturnType<typeof harness>, userId: string, change: (record: Record<string, any>) => void): Promise<void> {
    const found = await h.store.get(userId);
    const record = structuredClone(found!.record) as Record<string, any>;
    change(record);
    expect(await h.store.compareAndSet(userId, found!.version, record as never)).toBe(true);
  }

  it('without its replay floor is refused, not used to accept a code twice', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    const code = h.code(secret);
    expect(await h.gate.verify('alice', code)).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    await tamper(h, 'alice', (r) => delete r.active.lastStep);
    expect(await codeOf(h.gate.verify('alice', code))).toBe('ERR_STORE');
  });

  it('with a malformed throttle is refused, not read as unlocked', async () => {
    const h = harness();
    await enroll(h, 'alice');
    await tamper(h, 'alice', (r) => (r.throttle = { failures: '100' }));
    expect(await codeOf(h.gate.nextStep('alice'))).toBe('ERR_STORE');
    expect(await codeOf(h.gate.verify('alice', '000000'))).toBe('ERR_STORE');
  });

  it.each<[string, (r: Record<string, any>) => void]>([
    ['a secret that is not a string', (r) => (r.active.secret = 42)],
    ['an unknown algorithm', (r) => (r.active.algorithm = 'MD5')],
    ['a drift that is not a number', (r) => (r.active.drift = null)],
    ['postpones without attempts', (r) => (r.postpones = { used: 1 })],
    ['a recovery hash without salt', (r) => (r.recoveryCodes = [{ hash: 'ab' }])],
    ['an outbox entry without an event', (r) => (r.outbox = [{ claim: null, attempts: 0 }])],
    ['a reset request without an expiry', (r) => (r.resetRequest = { id: 'x', to: ['root'], requestedAt: 1, notifiedAt: {}, lastNotifiedAt: null })],
  ])('with %s is ERR_STORE', async (_, change) => {
    const h = harness();
    await enroll(h, 'alice');
    await tamper(h, 'alice', change);
    expect(await codeOf(h.gate.verify('alice', '000000'))).toBe('ERR_STORE');
  });
});

describe('seams that answer nonsense', () => {
  it('a directory listing entries without a string id is ERR_DIRECTORY', async () => {
    for (const list of [[null], [{ name: 'x' }], [{ id: 7, name: 'x' }], 'root']) {
      const h = harness();
      await enroll(h, 'alice');
      const gate = createGate({
        store: h.store,
        directory: { administratorsOf: async () => list as never, isAdministratorOf: async () => true },
        notifier: { notify: async () => {} },
        issuer: 'ACME',
        clock: { now: () => h.now },
      });
      expect(await codeOf(gate.administrators('alice'))).toBe('ERR_DIRECTORY');
      expect(await codeOf(gate.requestReset('alice', { to: 'all' }))).toBe('ERR_DIRECTORY');
    }
  });

  it('a directory that throws is ERR_DIRECTORY with the cause, and nothing is stored or sent', async () => {
    const h = harness();
    await enroll(h, 'alice');
    const before = await h.store.get('alice');
    const down = new Error('ldap down');
    const gate = createGate({
      store: h.store,
      directory: {
        administratorsOf: async () => {
          throw down;
        },
        isAdministratorOf: () => {
          throw down;
        },
      },
      notifier: h.notifier,
      issuer: 'ACME',
      clock: { now: () => h.now },
    });
    const sent = h.events.length;
    for (const call of [gate.requestReset('alice', { to: 'all' }), gate.reset('root', 'alice'), gate.decline('root', 'alice'), gate.administrators('alice')]) {
      await expect(call).rejects.toMatchObject({ code: 'ERR_DIRECTORY', cause: down });
    }
    expect(await h.store.get('alice')).toEqual(before);
    expect(h.events).toHaveLength(sent);
  });

  it('a directory answering "yes" or 1 instead of true makes nobody an administrator', async () => {
    for (const answer of ['true', 1, {}]) {
      const h = harness();
      await enroll(h, 'alice');
      await h.gate.requestReset('alice', { to: 'root' });
      const gate = createGate({
        store: h.store,
        directory: { administratorsOf: async () => [{ id: 'root', name: 'Root' }], isAdministratorOf: async () => answer as never },
        notifier: { notify: async () => {} },
        issuer: 'ACME',
        clock: { now: () => h.now },
      });
      expect(await codeOf(gate.reset('root', 'alice'))).toBe('ERR_NOT_ADMIN');
      expect(await codeOf(gate.decline('root', 'alice'))).toBe('ERR_NOT_ADMIN');
      expect(await gate.pendingResets('root')).toEqual([]);
    }
  });

  it('an account label that is not a string is ERR_DIRECTORY, before anything is stored', async () => {
    const h = harness();
    const gate = createGate({
      store: h.store,
      directory: { administratorsOf: async () => [], isAdministratorOf: async () => false, accountLabel: async () => 42 as never },
      notifier: { notify: async () => {} },
      issuer: 'ACME',
    });
    expect(await codeOf(gate.beginEnrollment('alice'))).toBe('ERR_DIRECTORY');
    expect(await h.store.get('alice')).toBeNull();
  });

  it('a cipher that decrypts to something other than a string is ERR_CIPHER', async () => {
    const cipher = { encrypt: async (plain: string) => `x${plain}`, decrypt: async () => 42 as never };
    const h = harness({ cipher });
    const { secret } = await h.gate.beginEnrollment('alice');
    expect(await codeOf(h.gate.confirmEnrollment('alice', h.code(secret)))).toBe('ERR_CIPHER');
  });

  it('a store whose listOpenResets is not an array is ERR_STORE', async () => {
    const h = harness();
    const store: MfaStore = { get: h.store.get, compareAndSet: h.store.compareAndSet, listOpenResets: async () => ({}) as never };
    const gate = createGate({ store, directory: { administratorsOf: async () => [], isAdministratorOf: async () => true }, notifier: { notify: async () => {} }, issuer: 'ACME' });
    expect(await codeOf(gate.pendingResets('root'))).toBe('ERR_STORE');
  });

  it('a policy.required that throws or resolves to a non-boolean fails closed with ERR_OPTIONS, keeping the cause', async () => {
    const boom = new Error('tenant service down');
    for (const required of [
      async () => {
        throw boom;
      },
      () => {
        throw boom;
      },
      async () => 'yes' as unknown as boolean,
    ]) {
      const h = harness({ policy: { required } });
      const error: unknown = await h.gate.nextStep('alice').then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ERR_OPTIONS' });
      if ((error as Error).message === 'policy.required failed') expect((error as Error).cause).toBe(boom);
      else expect((error as Error).message).toBe('policy.required must return a boolean');
      expect(await codeOf(h.gate.postpone('alice'))).toBe('ERR_OPTIONS');
      expect(await h.store.get('alice')).toBeNull();
    }
  });
});

describe('after the hard stop', () => {
  async function hardStop(h: ReturnType<typeof harness>, userId: string): Promise<void> {
    let failures = 0;
    while (failures < 100) {
      const r = await h.gate.verify(userId, '000000');
      if (!r.ok && r.reason === 'locked') h.advance(r.retryAt! - h.now);
      else failures++;
    }
  }

  it('recovery codes are still checked, but wrong ones lock like codes did: no endless guessing', async () => {
    const h = harness();
    const { recoveryCodes } = await enroll(h, 'alice');
    await hardStop(h, 'alice');
    const wrong = 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA';
    for (let i = 0; i < 5; i++) expect(await h.gate.verify('alice', wrong)).toMatchObject({ ok: false, reason: 'invalid' });
    // The sixth guess, even a right one, is not checked until the longest lock is over.
    expect(await h.gate.verify('alice', recoveryCodes[0]!)).toEqual({ ok: false, reason: 'locked', retryAt: null });
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'locked', retryAt: null });
    h.advance(900_000);
    expect(await h.gate.verify('alice', recoveryCodes[0]!)).toMatchObject({ ok: true, method: 'recovery' });
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'code' });
  });

  it('a user stopped while setting up (no recovery codes) can still ask an administrator', async () => {
    const h = harness({ policy: { enrollment: { maxFailures: 100 } } });
    await h.gate.beginEnrollment('alice');
    let failures = 0;
    while (failures < 100) {
      const r = await h.gate.confirmEnrollment('alice', '000000');
      if (!r.ok && r.reason === 'locked') h.advance(r.retryAt! - h.now);
      else if (!r.ok && r.reason === 'expired') await h.gate.beginEnrollment('alice');
      else failures++;
    }
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'locked', retryAt: null });
    expect((await h.gate.requestReset('alice', { to: 'root' })).to).toEqual(['root']);
    expect(await h.gate.reset('root', 'alice')).toEqual({ ok: true, notified: true });
    expect(await h.gate.nextStep('alice')).toEqual({ step: 'setup', required: true, postponesLeft: 0 });
  });
});

describe('a clock that goes backwards', () => {
  it('accepts no code twice and lifts no lock early', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    const code = h.code(secret);
    expect(await h.gate.verify('alice', code)).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    h.advance(-90_000);
    expect(await h.gate.verify('alice', code)).toMatchObject({ ok: false });
    expect(await h.gate.verify('alice', h.code(secret))).toMatchObject({ ok: false });
    for (let i = 0; i < 3; i++) await h.gate.verify('alice', '000000');
    const locked = await h.gate.nextStep('alice');
    expect(locked).toMatchObject({ step: 'locked' });
    h.advance(-3_600_000);
    expect(await h.gate.nextStep('alice')).toEqual(locked);
    expect(await h.gate.verify('alice', h.code(secret))).toMatchObject({ ok: false, reason: 'locked' });
  });
});

describe('errors', () => {
  /** Every message and string property along the cause chain. */
  function texts(error: unknown, seen = new Set<unknown>()): string {
    if (error === null || error === undefined || seen.has(error)) return '';
    seen.add(error);
    if (typeof error !== 'object') return String(error);
    const e = error as { message?: unknown; stack?: unknown; cause?: unknown };
    return `${String(e.message)} ${String(e.stack)} ${JSON.stringify(error)} ${texts(e.cause, seen)}`;
  }

  it('never carry the secret, the code typed or a recovery code, along the whole cause chain', async () => {
    const { createAesGcmCipher } = await import('../../src/gate/aes-gcm.js');
    const key = new Uint8Array(32).fill(7);
    const h = harness({ cipher: createAesGcmCipher({ key }) });
    const { secret, recoveryCodes } = await enroll(h, 'alice');
    const code = h.code(secret);
    const errors: unknown[] = [];
    const collect = (p: Promise<unknown>) => p.then(() => errors.push(new Error('resolved')), (e: unknown) => errors.push(e));
    // The same store read with the wrong key: every secret fails to decrypt.
    const wrongKey = createGate({
      store: h.store,
      directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
      notifier: { notify: async () => {} },
      issuer: 'ACME',
      clock: { now: () => h.now },
      cipher: createAesGcmCipher({ key: new Uint8Array(32).fill(8) }),
    });
    await collect(wrongKey.verify('alice', code));
    await collect(wrongKey.verify('alice', recoveryCodes[0]!));
    await collect(h.gate.verify('alice', `${code}${'9'.repeat(60)}`));
    await collect(h.gate.beginEnrollment('alice', { account: `${code}:x` }));
    await collect(h.gate.postpone('alice', { attempt: code }));
    expect(errors).toHaveLength(5);
    for (const error of errors) {
      expect((error as { code?: string }).code).toMatch(/^ERR_/);
      const all = texts(error);
      expect(all).not.toContain(secret);
      expect(all).not.toContain(code);
      for (const r of recoveryCodes) expect(all).not.toContain(r);
    }
  });
});

describe('the pending secret', () => {
  it('is never taken from the client, and never handed out again once confirmed', async () => {
    const h = harness();
    const planted = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    expect(await codeOf(h.gate.beginEnrollment('alice', { secret: planted } as never))).toBe('ERR_OPTIONS');
    const begun = await h.gate.beginEnrollment('alice');
    expect(begun.secret).not.toBe(planted);
    expect((await h.gate.confirmEnrollment('alice', h.code(planted))).ok).toBe(false);
    const { secret } = await enroll(h, 'alice');
    expect((await h.gate.beginEnrollment('alice', { code: h.code(secret) })).secret).not.toBe(secret);
  });

  it('of an added authenticator: its confirming code cannot log in afterwards, nor can the re-authentication code', async () => {
    const h = harness();
    const { secret: old } = await enroll(h, 'alice');
    const reauth = h.code(old);
    const next = await h.gate.beginEnrollment('alice', { code: reauth });
    expect(await h.gate.verify('alice', reauth)).toEqual({ ok: false, reason: 'replayed' });
    const code = h.code(next.secret);
    expect((await h.gate.confirmEnrollment('alice', code)).ok).toBe(true);
    expect(await h.gate.verify('alice', code)).toEqual({ ok: false, reason: 'replayed' });
  });
});

describe('a notifier that misbehaves', () => {
  it.each<[string, () => unknown]>([
    [
      'throws synchronously',
      () => {
        throw new Error('sync');
      },
    ],
    ['rejects with a non-Error', () => Promise.reject('nope')],
  ])('that %s loses nothing: the change is stored and the event stays queued', async (_, notify) => {
    const reported: string[] = [];
    const h = harness({ onNotifyError: (error) => reported.push(error.code) });
    h.notifier.notify = notify as never;
    expect(await h.gate.postpone('alice', { attempt: 'a' })).toEqual({ postponesLeft: 1, repeated: false });
    expect(reported).toEqual(['ERR_NOTIFY']);
    expect((await h.record('alice')).outbox).toMatchObject([{ event: { type: 'postponed' }, claim: null, attempts: 1 }]);
  });

  it('that resolves to nonsense counts as delivered', async () => {
    const h = harness();
    h.notifier.notify = (async () => 42) as never;
    await h.gate.postpone('alice');
    expect((await h.record('alice')).outbox).toEqual([]);
  });
});

// The security review's sharp edges in the gate itself (issue 11, items 3 and
// 6 to 12), and the call options every method gained (issue 16): each case
// failed or was missing before.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseUri } from '../../src/enrollment/uri.js';
import type { OtpError } from '../../src/errors.js';
import type { GateEvent } from '../../src/gate/events.js';
import { createGate } from '../../src/gate/gate.js';
import { resolvePolicy } from '../../src/gate/policy.js';
import type { MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { T0 } from './fixtures.js';
import { codeOf, enroll, harness } from './harness.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A memory store that counts reads and writes. */
function counted() {
  const inner = createMemoryStore();
  const counts = { get: 0, cas: 0 };
  const store: MfaStore = {
    get: (userId) => (counts.get++, inner.get(userId)),
    compareAndSet: (userId, expected, next) => (counts.cas++, inner.compareAndSet(userId, expected, next)),
    listOpenResets: () => inner.listOpenResets(),
  };
  return { store, counts };
}

describe('a throwing onNotifyError hook', () => {
  it('never undoes a login: the result stands and the hook failure goes to onError', async () => {
    const errors: OtpError[] = [];
    const h = harness({
      onNotifyError: () => {
        throw new TypeError('the host hook is broken');
      },
    });
    const { secret } = await enroll(h, 'alice');
    h.notifier.failing = true;
    const gate = createGate({
      store: h.store,
      issuer: 'ACME Co',
      clock: { now: () => h.now },
      notifier: h.notifier,
      onNotifyError: () => {
        throw new TypeError('the host hook is broken');
      },
      onError: (error) => errors.push(error),
    });
    expect(await gate.verify('alice', h.code(secret))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(errors).toMatchObject([{ code: 'ERR_OPTIONS', message: 'onNotifyError threw; the gate went on' }]);
  });
});

describe('administrator cool-downs', () => {
  it('an administrator id that is a key of Object.prototype is cooled down like any other', async () => {
    const h = harness({ admins: { alice: ['__proto__', 'constructor'] } });
    await enroll(h, 'alice');
    const told: string[] = [];
    h.notifier.notify = async (event: GateEvent) => {
      if (event.type === 'reset-requested') told.push(...event.to);
    };
    // An hour of asking every minute: a 15-minute cool-down allows four notifications each.
    for (let minute = 0; minute < 60; minute++) {
      await h.gate.requestReset('alice', { to: 'all' }).catch((error: OtpError) => expect(error.code).toBe('ERR_COOLDOWN'));
      h.advance(60_000);
    }
    expect(told.filter((id) => id === '__proto__')).toHaveLength(4);
    expect(told.filter((id) => id === 'constructor')).toHaveLength(4);
  });

  it('a decline does not restart the cool-down: asking again at once notifies nobody', async () => {
    const h = harness();
    await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'root' });
    expect(await h.gate.decline('root', 'alice')).toMatchObject({ ok: true });
    expect(await codeOf(h.gate.requestReset('alice', { to: 'root' }))).toBe('ERR_COOLDOWN');
    // Another administrator is not cooled down by root's notification.
    expect((await h.gate.requestReset('alice', { to: 'carol' })).to).toEqual(['carol']);
    h.advance(15 * 60_000);
    expect((await h.gate.requestReset('alice', { to: 'root' })).to).toEqual(['root']);
    expect(h.events.filter((e) => e.type === 'reset-requested').flatMap((e) => (e.type === 'reset-requested' ? e.to : []))).toEqual(['root', 'carol', 'root']);
  });
});

describe('the policy', () => {
  it('refuses a throttle that would allow unlimited guessing past the hard stop', () => {
    expect(() => resolvePolicy({ throttle: { lockMs: 0, maxLockMs: 0 } })).toThrow(/maxLockMs must be an integer from 1000/);
    expect(() => resolvePolicy({ throttle: { lockMs: 0, maxLockMs: 999 } })).toThrow(/maxLockMs/);
    expect(resolvePolicy({ throttle: { lockMs: 0, maxLockMs: 1000 } }).throttle.maxLockMs).toBe(1000);
  });

  it('refuses a misspelt field instead of keeping the default', () => {
    expect(() => resolvePolicy({ maxPostpone: 5 } as never)).toThrow(/policy has no field "maxPostpone"/);
    expect(() => resolvePolicy({ throttle: { lockAfer: 3 } } as never)).toThrow(/policy.throttle has no field "lockAfer"/);
    expect(() => resolvePolicy({ recovery: [] } as never)).toThrow(/policy.recovery must be an object/);
  });
});

describe('gate arguments', () => {
  it('unknown option names and options of the wrong type are ERR_OPTIONS', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    const cases: Array<Promise<unknown>> = [
      h.gate.verify('alice', h.code(secret), { remember: true } as never),
      h.gate.postpone('bob', { atempt: 'x' } as never),
      h.gate.postpone('bob', 'attempt-1' as never),
      h.gate.beginEnrollment('bob', { renew: 'yes' } as never),
      h.gate.beginEnrollment('bob', { account: 42 } as never),
      h.gate.requestReset('alice', { to: 'root', urgent: true } as never),
      h.gate.reset('root', 'alice', { request: 'x' } as never),
      h.gate.nextStep('alice', { context: { big: 'x'.repeat(5000) } }),
      h.gate.nextStep('alice', { context: { at: 1n } as never }),
      h.gate.verify('alice', 123456 as never),
    ];
    for (const call of cases) expect(await codeOf(call)).toBe('ERR_OPTIONS');
    expect(() => createGate({ store: createMemoryStore(), issuer: 'X', notifer: {} } as never)).toThrow(/unknown option "notifer"/);
  });
});

describe('seams that hang or answer nonsense', () => {
  it('a hanging cipher or directory fails the call with its own code within timeoutMs', async () => {
    const store = createMemoryStore();
    const hang = () => new Promise<never>(() => {});
    const cipherGate = createGate({ store, issuer: 'X', timeoutMs: 50, cipher: { encrypt: hang, decrypt: hang } });
    expect(await codeOf(cipherGate.beginEnrollment('alice'))).toBe('ERR_CIPHER');
    const directoryGate = createGate({ store, issuer: 'X', timeoutMs: 50, directory: { administratorsOf: hang, isAdministratorOf: hang } });
    expect(await codeOf(directoryGate.administrators('alice'))).toBe('ERR_DIRECTORY');
    expect(await codeOf(directoryGate.reset('root', 'alice'))).toBe('ERR_DIRECTORY');
    const storeGate = createGate({ store: { get: hang, compareAndSet: hang, listOpenResets: hang }, issuer: 'X', timeoutMs: 50 });
    expect(await codeOf(storeGate.nextStep('alice'))).toBe('ERR_STORE');
  });

  it('a cipher that returns garbage is ERR_CIPHER, not ERR_BASE32', async () => {
    const h = harness({ cipher: { encrypt: async (plain) => `sealed:${plain}`, decrypt: async () => 'not base32 at all!' } });
    await h.gate.beginEnrollment('alice');
    expect(await codeOf(h.gate.confirmEnrollment('alice', '123456'))).toBe('ERR_CIPHER');
  });

  it('a corrupted recovery salt is ERR_STORE, not a plain Error', async () => {
    const h = harness();
    const { recoveryCodes } = await enroll(h, 'alice');
    const found = await h.store.get('alice');
    const record = found!.record as unknown as { recoveryCodes: Array<{ salt: string; hash: string }> };
    record.recoveryCodes[0]!.salt = 'abc';
    await h.store.compareAndSet('alice', found!.version, found!.record);
    expect(await codeOf(h.gate.verify('alice', recoveryCodes[0]!))).toBe('ERR_STORE');
  });

  it('an administrator object with a throwing getter is ERR_DIRECTORY', async () => {
    const evil = {
      get id(): string {
        throw new Error('getter');
      },
      name: 'Evil',
    };
    const gate = createGate({
      store: createMemoryStore(),
      issuer: 'X',
      directory: { administratorsOf: async () => [evil], isAdministratorOf: async () => true },
    });
    expect(await codeOf(gate.administrators('alice'))).toBe('ERR_DIRECTORY');
  });
});

describe('one write per change', () => {
  it('a verify reads and writes once; the delivered event leaves with the next change, or on its own after settleDelayMs', async () => {
    const { store, counts } = counted();
    const events: GateEvent[] = [];
    let now = T0;
    const gate = createGate({ store, issuer: 'X', clock: { now: () => now }, notifier: { notify: async (event) => void events.push(event) }, settleDelayMs: 200 });
    const { secret } = await gate.beginEnrollment('alice');
    const { totp } = await import('../../src/core/totp.js');
    await gate.confirmEnrollment('alice', totp(secret, { now }));
    for (let login = 0; login < 5; login++) {
      now += 30_000;
      counts.get = 0;
      counts.cas = 0;
      expect(await gate.verify('alice', totp(secret, { now }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
      expect(counts).toEqual({ get: 1, cas: 1 });
    }
    // The last delivered event is still claimed in the record; the settle timer writes it out.
    expect(((await store.get('alice'))!.record['outbox'] as unknown[]).length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(((await store.get('alice'))!.record['outbox'] as unknown[]).length).toBe(0);
    expect(events.filter((event) => event.type === 'verified')).toHaveLength(5);
  });
});

describe('randomness and timers', () => {
  it('draws from the CSPRNG far less than once per call', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    const draws = vi.spyOn(globalThis.crypto, 'getRandomValues');
    for (let i = 0; i < 300; i++) await h.gate.verify('alice', i % 2 === 0 ? h.code(secret) : '000000');
    expect(draws.mock.calls.length).toBeLessThanOrEqual(3);
  });
});

describe('call context', () => {
  it('every event of a call carries its context, a private copy of it', async () => {
    const h = harness();
    const context = { ip: '203.0.113.7', userAgent: 'Firefox', requestId: 'req-1' };
    await h.gate.postpone('alice', { attempt: 'a', context });
    context.ip = 'changed';
    const { secret } = await h.gate.beginEnrollment('alice', { context: { requestId: 'req-2' } });
    await h.gate.confirmEnrollment('alice', h.code(secret), { context: ['req', 3] });
    expect(h.events.map((event) => [event.type, event.context])).toEqual([
      ['postponed', { ip: '203.0.113.7', userAgent: 'Firefox', requestId: 'req-1' }],
      ['enrollment-started', { requestId: 'req-2' }],
      ['enrolled', ['req', 3]],
    ]);
    h.advance(30_000);
    await h.gate.verify('alice', h.code(secret));
    expect(h.events.at(-1)).not.toHaveProperty('context');
  });
});

describe('a gate without directory or notifier', () => {
  it('runs the flow; nobody can be asked for a reset, and no event is kept', async () => {
    const store = createMemoryStore();
    let now = T0;
    const gate = createGate({ store, issuer: 'Solo', clock: { now: () => now } });
    expect(await gate.postpone('alice')).toEqual({ postponesLeft: 1, repeated: false });
    const { secret, uri } = await gate.beginEnrollment('alice');
    expect(parseUri(uri).account).toBe('alice');
    const { totp } = await import('../../src/core/totp.js');
    expect(await gate.confirmEnrollment('alice', totp(secret, { now }))).toMatchObject({ ok: true });
    now += 30_000;
    expect(await gate.verify('alice', totp(secret, { now }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(await gate.administrators('alice')).toEqual([]);
    expect(await codeOf(gate.requestReset('alice', { to: 'all' }))).toBe('ERR_DIRECTORY');
    expect(await gate.pendingResets('root')).toEqual([]);
    expect(await codeOf(gate.reset('root', 'alice'))).toBe('ERR_NOT_ADMIN');
    expect((await store.get('alice'))!.record['outbox']).toEqual([]);
  });
});

describe('QR options through beginEnrollment', () => {
  it('draws the code as asked, and refuses bad options before anything is stored', async () => {
    const h = harness();
    const { qrSvg } = await h.gate.beginEnrollment('alice', { qr: { dark: '#123456' } });
    expect(qrSvg).toContain('#123456');
    expect(await codeOf(h.gate.beginEnrollment('bob', { qr: { quietZone: -3 } }))).toBe('ERR_OPTIONS');
    expect(await h.store.get('bob')).toBeNull();
  });
});

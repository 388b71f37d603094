// The Durable Object store inside workerd (the Workers runtime), through
// Miniflare: the conformance suite drives a test Worker that serves the
// store over fetch (test/stores/durable-object-worker.ts), so every
// compare-and-set runs in a real Durable Object; then the gate on it.
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { createGate } from '../../src/gate/gate.js';
import { OtpError, type OtpErrorCode } from '../../src/errors.js';
import type { MfaRecord, MfaStore, StoredRecord, UserRecord } from '../../src/seams/store.js';
import { createDurableObjectStore, OtpgateDurableObject } from '../../src/stores/durable-object.js';
import { describeStoreContract } from './contract.js';
import { enrollAll, ENROLLED_AT, gateOn, RACE_AT } from './gate-rig.js';
import { bundleWorker, startWorker } from './workerd.js';

let mf: Miniflare;
let code = '';

beforeAll(async () => {
  code = await bundleWorker('test/stores/durable-object-worker.ts');
  mf = await startWorker(code);
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
});

/** An MfaStore in Node whose every call runs the Durable Object store inside workerd. */
function remoteStore(prefix = 'otpgate:', options: Record<string, unknown> = {}): MfaStore {
  async function call<T>(path: string, body: Record<string, unknown>): Promise<T> {
    const response = await mf.dispatchFetch(`http://worker${path}?prefix=${encodeURIComponent(prefix)}`, {
      method: 'POST',
      body: JSON.stringify({ ...body, options }),
    });
    const reply = (await response.json()) as { value?: T; error?: { code?: OtpErrorCode; message: string } };
    if (reply.error) {
      if (reply.error.code) throw new OtpError(reply.error.code, reply.error.message);
      throw new Error(reply.error.message);
    }
    return reply.value as T;
  }
  return {
    get: (userId) => call<StoredRecord | null>('/get', { userId }),
    compareAndSet: (userId, expected, next) => call<boolean>('/compare-and-set', { userId, expected, next }),
    listOpenResets: () => call<UserRecord[]>('/list-open-resets', {}),
  };
}

describe('durable-object store in workerd (Miniflare)', () => {
  describeStoreContract('durable-object (in workerd)', () => remoteStore());

  it('bundles for the browser platform: no node: import anywhere in the store', () => {
    expect(code).toContain('OtpgateDurableObject');
    expect(code).not.toMatch(/from\s*["']node:/);
  });

  it('each user is one object and the index lists open requests; prefixes keep stores apart', async () => {
    const a = remoteStore('tenant-a:');
    const b = remoteStore('tenant-b:');
    const open: MfaRecord = { resetRequest: { requestedAt: 1 } };
    expect(await a.compareAndSet('alice', null, open)).toBe(true);
    expect(await b.compareAndSet('alice', null, { resetRequest: null, other: true })).toBe(true);
    expect(await a.get('alice')).toEqual({ record: open, version: 1 });
    expect(await b.get('alice')).toEqual({ record: { resetRequest: null, other: true }, version: 1 });
    expect(await a.listOpenResets()).toEqual([{ userId: 'alice', record: open, version: 1 }]);
    expect(await b.listOpenResets()).toEqual([]);
    // Closing and re-opening in a burst: the index follows the last version,
    // whatever order its messages arrive in.
    for (let version = 1; version <= 10; version++) {
      const next = { resetRequest: version % 2 === 0 ? { requestedAt: version } : null };
      expect(await a.compareAndSet('alice', version, next)).toBe(true);
    }
    expect(await a.listOpenResets()).toEqual([{ userId: 'alice', record: { resetRequest: { requestedAt: 10 } }, version: 11 }]);
    expect(await a.compareAndSet('alice', 11, { resetRequest: null })).toBe(true);
    expect(await a.listOpenResets()).toEqual([]);
  });

  it('refuses bad options and ill-formed user ids with ERR_OPTIONS, naming the fix', async () => {
    const namespace = { idFromName: () => ({}), get: () => ({ fetch: async () => new Response('{}') }) };
    expect(() => createDurableObjectStore({ namespace: 'OTPGATE' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringContaining('not its name') }),
    );
    for (const bad of [undefined, null, {}, { idFromName: () => 1 }]) {
      expect(() => createDurableObjectStore({ namespace: bad as never })).toThrow(
        expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringContaining('OtpgateDurableObject') }),
      );
    }
    expect(() => createDurableObjectStore(undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    for (const prefix of ['with space', 'br{ace}', 'x'.repeat(101)]) {
      expect(() => createDurableObjectStore({ namespace, prefix })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    }
    expect(createDurableObjectStore({ namespace }).prefix).toBe('otpgate:');
    await expect(remoteStore().get('lone \ud800 surrogate')).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
    await expect(remoteStore().compareAndSet('lone \udc00', null, { resetRequest: null })).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
  });

  it('a namespace bound to another class, or an object that fails, answers ERR_STORE', async () => {
    const notJson = { idFromName: () => ({}), get: () => ({ fetch: async () => new Response('Not Found', { status: 404 }) }) };
    const store = createDurableObjectStore({ namespace: notJson });
    for (const call of [store.get('alice'), store.compareAndSet('alice', null, { resetRequest: null }), store.listOpenResets()]) {
      await expect(call).rejects.toMatchObject({ code: 'ERR_STORE', message: expect.stringContaining('OtpgateDurableObject') });
    }
    const failing = { idFromName: () => ({}), get: () => ({ fetch: async () => Response.json({ error: 'compare-and-set failed in the object (Error)' }, { status: 500 }) }) };
    await expect(createDurableObjectStore({ namespace: failing }).compareAndSet('alice', null, { resetRequest: null })).rejects.toMatchObject({
      code: 'ERR_STORE',
      message: expect.stringContaining('compare-and-set failed in the object'),
    });
    const unreachable = { idFromName: () => ({}), get: () => ({ fetch: async () => Promise.reject(new TypeError('Network connection lost.')) }) };
    await expect(createDurableObjectStore({ namespace: unreachable }).get('alice')).rejects.toMatchObject({ code: 'ERR_STORE' });
    // The object itself refuses a malformed request without writing anything.
    const raw = await mf.dispatchFetch('http://worker/raw?path=/compare-and-set', {
      method: 'POST',
      body: JSON.stringify({ userId: 'otpgate:user:mallory', next: { userId: 'mallory', expected: null, json: 42 } }),
    });
    expect(raw.status).toBe(500);
    expect(await remoteStore().get('mallory')).toBeNull();
  });

  it('the object tells the index through its own namespace, found among the bindings whatever its name', async () => {
    // Unit-level: the class run outside workerd on a fake state and env.
    const storage = new Map<string, unknown>();
    const state = {
      id: { equals: (other: unknown) => other === 'id:otpgate:user:zoe' },
      storage: {
        get: async (keys: string[]) => new Map(keys.filter((key) => storage.has(key)).map((key) => [key, storage.get(key)])),
        put: async (entries: Record<string, unknown>) => void Object.entries(entries).forEach(([key, value]) => storage.set(key, value)),
        list: async () => new Map(),
        setAlarm: async () => void storage.set('alarm', true),
      },
    };
    const told: unknown[] = [];
    const own = {
      idFromName: (name: string) => `id:${name}`,
      get: () => ({ fetch: async (_url: string, init?: RequestInit) => (told.push(JSON.parse(String(init?.body))), Response.json({ value: true })) }),
    };
    const other = { idFromName: (name: string) => `other:${name}`, get: () => ({ fetch: async () => Response.json({ value: false }) }) };
    const object = new OtpgateDurableObject(state, { A_KV: {}, SOMETHING: other, MY_OBJECTS: own, TEXT: 'x' });
    const send = (path: string, body: unknown) =>
      object.fetch(new Request(`https://otpgate.invalid${path}`, { method: 'POST', body: JSON.stringify(body) }));
    const cas = { userId: 'zoe', name: 'otpgate:user:zoe', index: 'otpgate:open-resets', expected: null, json: '{"resetRequest":{"requestedAt":1}}', open: true };
    expect(JSON.parse(await (await send('/compare-and-set', cas)).text())).toEqual({ value: true });
    expect(told).toEqual([{ userId: 'zoe', version: 1, open: true }]);
    // An index that cannot be reached leaves the write made and an alarm set.
    const lost = new OtpgateDurableObject(state, { MY_OBJECTS: { ...own, get: () => ({ fetch: async () => Promise.reject(new Error('gone')) }) } });
    const again = await lost.fetch(new Request('https://otpgate.invalid/compare-and-set', { method: 'POST', body: JSON.stringify({ ...cas, expected: 1 }) }));
    expect(JSON.parse(await again.text())).toEqual({ value: true });
    expect(storage.get('version')).toBe(2);
    expect(storage.get('alarm')).toBe(true);
    // The alarm tells the index the current state.
    await object.alarm();
    expect(told.at(-1)).toEqual({ userId: 'zoe', version: 2, open: true });
  });

  it('the gate on it: 20 concurrent verifies of one code accept exactly one, 10 postpones grant exactly two', async () => {
    const store = remoteStore('gate:');
    const [secret] = await enrollAll(store, ['alice']);
    const gates = Array.from({ length: 4 }, () => gateOn(store, RACE_AT));
    const code = totp(secret!, { now: RACE_AT });
    const verifies = await Promise.all(Array.from({ length: 20 }, (_, i) => gates[i % 4]!.verify('alice', code)));
    expect(verifies.filter((result) => result.ok)).toHaveLength(1);
    const postpones = await Promise.all(
      Array.from({ length: 10 }, (_, i) => gates[i % 4]!.postpone('bob', { attempt: `a${i}` }).then(() => 'granted', (error: OtpError) => error.code)),
    );
    expect(postpones.filter((result) => result === 'granted')).toHaveLength(2);
    expect(postpones.filter((result) => result === 'ERR_POSTPONE_LIMIT')).toHaveLength(8);
    // Reset request, listed for the administrator, then the reset.
    const gate = createGate({
      store,
      issuer: 'Race Co',
      clock: { now: () => ENROLLED_AT + 120_000 },
      directory: { administratorsOf: async () => [{ id: 'root', name: 'Root' }], isAdministratorOf: async (a) => a === 'root' },
      notifier: { notify: async () => {} },
    });
    await gate.requestReset('alice', { to: 'root' });
    expect((await gate.pendingResets('root')).map((entry) => entry.userId)).toEqual(['alice']);
    expect(await gate.reset('root', 'alice')).toMatchObject({ ok: true });
    expect(await gate.pendingResets('root')).toEqual([]);
    expect(await gate.nextStep('alice')).toMatchObject({ step: 'setup' });
  }, 60_000);
});

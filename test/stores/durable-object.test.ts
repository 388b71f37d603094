// The Durable Object store inside workerd (the Workers runtime), through
// Miniflare: the conformance suite drives a test Worker that serves the
// store over fetch (test/stores/durable-object-worker.ts), so every
// compare-and-set runs in a real Durable Object; then the gate on it.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { createGate } from '../../src/gate/gate.js';
import type { OtpError } from '../../src/errors.js';
import type { MfaRecord } from '../../src/seams/store.js';
import { createDurableObjectStore, OtpgateDurableObject } from '../../src/stores/durable-object.js';
import { describeStoreContract } from './contract.js';
import { startDurableObjects, type DurableObjectsInWorkerd } from './durable-object-remote.js';
import { enrollAll, ENROLLED_AT, gateOn, RACE_AT } from './gate-rig.js';

let objects: DurableObjectsInWorkerd;
let code = '';

beforeAll(async () => {
  objects = await startDurableObjects();
  code = objects.code;
}, 120_000);

afterAll(async () => {
  await objects?.dispose();
});

/** An MfaStore in Node whose every call runs the Durable Object store inside workerd. */
const remoteStore = (prefix = 'otpgate:', options: Record<string, unknown> = {}) => objects.store(prefix, options);

/** A DurableObjectState in memory, for the class run outside workerd. */
function fakeState(id: string) {
  const storage = new Map<string, unknown>();
  let alarm: number | null = null;
  return {
    storage,
    alarm: () => alarm,
    state: {
      id: { equals: (other: unknown) => other === id },
      storage: {
        get: async (keys: string[]) => new Map(keys.filter((key) => storage.has(key)).map((key) => [key, structuredClone(storage.get(key))])),
        put: async (entries: Record<string, unknown>) => void Object.entries(entries).forEach(([key, value]) => storage.set(key, structuredClone(value))),
        delete: async (keys: string[]) => keys.filter((key) => storage.delete(key)).length,
        list: async ({ prefix, startAfter, limit }: { prefix: string; startAfter?: string; limit?: number }) =>
          new Map(
            [...storage]
              .filter(([key]) => key.startsWith(prefix) && (startAfter === undefined || key > startAfter))
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .slice(0, limit),
          ),
        getAlarm: async () => alarm,
        setAlarm: async (at: number) => void (alarm = at),
      },
    },
  };
}

/** Sends one request to an object run outside workerd and reads its `{ value }`. */
async function ask(object: OtpgateDurableObject, path: string, body: unknown): Promise<unknown> {
  const response = await object.fetch(new Request(`https://otpgate.invalid${path}`, { method: 'POST', body: JSON.stringify(body) }));
  return (JSON.parse(await response.text()) as { value?: unknown }).value;
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
    for (const call of [store.get('alice'), store.compareAndSet('alice', null, { resetRequest: null }), store.listOpenResets(), store.delete!('alice'), store.listUsers!()]) {
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
    const raw = await objects.mf.dispatchFetch('http://worker/raw?path=/compare-and-set', {
      method: 'POST',
      body: JSON.stringify({ userId: 'otpgate:user:mallory', next: { userId: 'mallory', expected: null, json: 42 } }),
    });
    expect(raw.status).toBe(500);
    expect(await remoteStore().get('mallory')).toBeNull();
  });

  it('the object tells the indexes through its own namespace, found among the bindings whatever its name', async () => {
    // Unit-level: the class run outside workerd on a fake state and env.
    const { storage, state, alarm } = fakeState('id:otpgate:user:zoe');
    const told: Array<Record<string, unknown>> = [];
    const own = {
      idFromName: (name: string) => `id:${name}`,
      get: (id: string) => ({
        fetch: async (_url: string, init?: RequestInit) => (told.push({ to: id, ...JSON.parse(String(init?.body)) }), Response.json({ value: true })),
      }),
    };
    const other = { idFromName: (name: string) => `other:${name}`, get: () => ({ fetch: async () => Response.json({ value: false }) }) };
    const object = new OtpgateDurableObject(state, { A_KV: {}, SOMETHING: other, MY_OBJECTS: own, TEXT: 'x' });
    const names = { userId: 'zoe', name: 'otpgate:user:zoe', index: 'otpgate:open-resets', users: 'otpgate:users' };
    const cas = { ...names, expected: null, json: '{"resetRequest":{"requestedAt":1}}', open: true };
    expect(await ask(object, '/compare-and-set', cas)).toBe(true);
    expect(told).toEqual([
      { to: 'id:otpgate:open-resets', userId: 'zoe', generation: 1, version: 1, open: true, deleted: false },
      { to: 'id:otpgate:users', userId: 'zoe', generation: 1, version: 1, open: false, deleted: false },
    ]);
    expect(storage.get('listed')).toBe(1);
    // A later write that leaves the request open tells the index only; the directory knows the user.
    expect(await ask(object, '/compare-and-set', { ...cas, expected: 1 })).toBe(true);
    expect(told.slice(2)).toEqual([{ to: 'id:otpgate:open-resets', userId: 'zoe', generation: 1, version: 2, open: true, deleted: false }]);
    // Indexes that cannot be reached leave the write made and an alarm set.
    const lost = new OtpgateDurableObject(state, { MY_OBJECTS: { ...own, get: () => ({ fetch: async () => Promise.reject(new Error('gone')) }) } });
    expect(await ask(lost, '/compare-and-set', { ...cas, expected: 2, json: '{"resetRequest":null}', open: false })).toBe(true);
    expect(storage.get('version')).toBe(3);
    expect(storage.get('indexPending')).toBe(true);
    expect(alarm()).not.toBeNull();
    // The alarm tells the index the current state (closed), once.
    told.length = 0;
    await object.alarm();
    expect(told).toEqual([{ to: 'id:otpgate:open-resets', userId: 'zoe', generation: 1, version: 3, open: false, deleted: false }]);
    expect(storage.has('indexPending')).toBe(false);
    await object.alarm();
    expect(told).toHaveLength(1);

    // A deletion the indexes cannot hear of: the record is gone at once, the names wait for the alarm.
    expect(await ask(lost, '/delete', names)).toBe(true);
    expect(await ask(object, '/get', names)).toBeNull();
    expect(storage.get('userId')).toBe('zoe');
    told.length = 0;
    await object.alarm();
    const gone = { userId: 'zoe', generation: 1, version: 0, open: false, deleted: true };
    expect(told).toEqual([
      { to: 'id:otpgate:open-resets', ...gone },
      { to: 'id:otpgate:users', ...gone },
    ]);
    // Only the generation is left: no user id, no record.
    expect(Object.fromEntries(storage)).toEqual({ generation: 1 });
    expect(await ask(object, '/delete', names)).toBe(false);
    // Created again: the next generation, told to both.
    told.length = 0;
    expect(await ask(object, '/compare-and-set', cas)).toBe(true);
    expect(told.map((message) => [message['to'], message['generation']])).toEqual([
      ['id:otpgate:open-resets', 2],
      ['id:otpgate:users', 2],
    ]);
    // A directory message that fails is retried by the alarm.
    const noUsers = new OtpgateDurableObject(state, {
      MY_OBJECTS: { ...own, get: (id: string) => (id === 'id:otpgate:users' ? { fetch: async () => Promise.reject(new Error('gone')) } : own.get(id)) },
    });
    expect(await ask(noUsers, '/delete', names)).toBe(true);
    expect(await ask(noUsers, '/compare-and-set', { ...cas, json: '{"resetRequest":null}', open: false })).toBe(true);
    expect(storage.get('generation')).toBe(3);
    expect(storage.has('listed')).toBe(false);
    told.length = 0;
    await object.alarm();
    expect(told).toEqual([{ to: 'id:otpgate:users', userId: 'zoe', generation: 3, version: 1, open: false, deleted: false }]);
    expect(storage.get('listed')).toBe(3);
  });

  it('an index forgets a deletion after ten minutes, in one alarm for all that are due', async () => {
    vi.useFakeTimers({ now: Date.UTC(2031, 0, 1), toFake: ['Date'] });
    try {
      const { storage, state, alarm } = fakeState('id:otpgate:users');
      const index = new OtpgateDurableObject(state, {});
      const message = (userId: string, deleted: boolean) => ({ userId, generation: 1, version: 1, open: false, deleted });
      for (const userId of ['a', 'b']) expect(await ask(index, '/index/sync', message(userId, false))).toBe(true);
      expect(await ask(index, '/index/sync', message('a', true))).toBe(true);
      const first = alarm();
      expect(first).toBe(Date.now() + 600_000);
      vi.setSystemTime(Date.now() + 300_000);
      expect(await ask(index, '/index/sync', message('b', true))).toBe(true);
      expect(alarm()).toBe(first);
      expect([...storage.keys()].sort()).toEqual(['t:a', 't:b']);
      vi.setSystemTime(first!);
      await index.alarm();
      expect([...storage.keys()]).toEqual(['t:b']);
      expect(alarm()).toBe(first! + 300_000);
      vi.setSystemTime(first! + 300_000);
      await index.alarm();
      expect(storage.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('index messages arriving out of order: the latest generation and version win, and a deleted record stays deleted', async () => {
    const name = 'order:users';
    const sync = async (message: Record<string, unknown>) => {
      const response = await objects.mf.dispatchFetch('http://worker/raw?path=/index/sync', { method: 'POST', body: JSON.stringify({ userId: name, next: message }) });
      return ((await response.json()) as { value: unknown }).value;
    };
    const entries = async () => (await objects.raw(name)).storage;
    const at = (generation: number, version: number, deleted = false) => ({ userId: 'ann', generation, version, open: false, deleted });
    expect(await sync(at(1, 1))).toBe(true);
    expect(await sync(at(1, 1))).toBe(false);
    expect(await sync(at(1, 1, true))).toBe(true);
    expect(await entries()).toEqual({ 't:ann': { generation: 1, at: expect.any(Number) } });
    // Late news of the deleted record, whatever its version, changes nothing.
    expect(await sync(at(1, 9))).toBe(false);
    expect(await sync(at(0, 3))).toBe(false);
    expect(await sync(at(2, 1))).toBe(true);
    expect(await entries()).toEqual({ 'u:ann': { generation: 2, version: 1, open: false } });
    expect(await sync(at(1, 9, true))).toBe(false);
    expect(await sync(at(2, 4))).toBe(true);
    expect(await sync(at(2, 3))).toBe(false);
    expect(await entries()).toEqual({ 'u:ann': { generation: 2, version: 4, open: false } });
    // An entry of an earlier release has no generation: it counts as 0.
    await objects.raw(name, { 'u:old': { version: 5, open: true } });
    expect(await sync({ userId: 'old', version: 4, open: false })).toBe(false);
    expect(await sync({ ...at(0, 6), userId: 'old' })).toBe(true);
    expect(await sync({ ...at(0, 0, true), userId: 'old' })).toBe(true);
    expect(Object.keys(await entries()).sort()).toEqual(['t:old', 'u:ann']);
  });

  it('delete removes the record, its open reset request and its directory entry; the object keeps no user id', async () => {
    const store = remoteStore('del:');
    const open: MfaRecord = { resetRequest: { requestedAt: 1 } };
    expect(await store.listUsers()).toEqual({ userIds: [], cursor: null });
    expect(await store.compareAndSet('alice', null, open)).toBe(true);
    expect(await store.compareAndSet('bob', null, { resetRequest: null })).toBe(true);
    expect(await store.listUsers()).toEqual({ userIds: ['alice', 'bob'], cursor: null });
    expect(await store.delete('alice')).toBe(true);
    expect(await store.delete('alice')).toBe(false);
    expect(await store.delete('nobody')).toBe(false);
    expect(await store.get('alice')).toBeNull();
    expect(await store.listOpenResets()).toEqual([]);
    expect(await store.listUsers()).toEqual({ userIds: ['bob'], cursor: null });
    const index = await objects.raw('del:open-resets');
    expect(index.storage).toEqual({ 't:alice': { generation: 1, at: expect.any(Number) } });
    expect(index.alarm).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect(Object.keys((await objects.raw('del:users')).storage).sort()).toEqual(['t:alice', 'u:bob']);
    expect((await objects.raw('del:user:alice')).storage).toEqual({ generation: 1 });
    // Created again: listed and indexed again, at version 1.
    expect(await store.compareAndSet('alice', null, open)).toBe(true);
    expect(await store.get('alice')).toEqual({ record: open, version: 1 });
    expect(await store.listUsers()).toEqual({ userIds: ['alice', 'bob'], cursor: null });
    expect(await store.listOpenResets()).toEqual([{ userId: 'alice', record: open, version: 1 }]);
    expect((await objects.raw('del:open-resets')).storage).toEqual({ 'u:alice': { generation: 2, version: 1, open: true } });
    // A deletion racing writes of the same user: afterwards the user is gone everywhere or present everywhere.
    const racing = await Promise.all([
      store.compareAndSet('alice', 1, { resetRequest: null }),
      store.delete('alice'),
      store.compareAndSet('alice', null, open),
    ]);
    expect(racing[1]).toBe(true);
    const present = (await store.get('alice')) !== null;
    expect((await store.listUsers()).userIds.includes('alice')).toBe(present);
  });

  it('listUsers pages in a stable order with a cursor; users added behind the cursor wait for the next walk', async () => {
    const store = remoteStore('pages:');
    const ids = ['b', 'a', 'ü', 'a:b', 'Z', 'a b', '👍', 'c'];
    for (const id of ids) expect(await store.compareAndSet(id, null, { resetRequest: null })).toBe(true);
    const walk = async (limit: number) => {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listUsers({ cursor, limit });
        pages.push([...page.userIds]);
        cursor = page.cursor;
      } while (cursor !== null && pages.length < 50);
      return pages;
    };
    const all = (await walk(1000)).flat();
    expect([...all].sort()).toEqual([...ids].sort());
    expect(await walk(3)).toEqual([all.slice(0, 3), all.slice(3, 6), all.slice(6)]);
    // An exact multiple of the limit ends without an empty page.
    expect(await walk(4)).toEqual([all.slice(0, 4), all.slice(4)]);
    const first = await store.listUsers({ limit: 2 });
    expect(first).toEqual({ userIds: all.slice(0, 2), cursor: all[1] });
    expect(await store.compareAndSet('0-first', null, { resetRequest: null })).toBe(true);
    expect(await store.delete(all[2]!)).toBe(true);
    expect((await store.listUsers({ cursor: first.cursor, limit: 1000 })).userIds).toEqual(all.slice(3));
    for (const bad of [{ limit: 0 }, { limit: 1001 }, { limit: 2.5 }, { cursor: 42 }, { cursor: '' }]) {
      await expect(store.listUsers(bad as never)).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
    }
    await expect(store.delete('lone \ud800')).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
  });

  it('a record written before the directory existed is listed after its next read, and deletes like any other', async () => {
    const store = remoteStore('legacy:');
    const record = { resetRequest: { requestedAt: 7 }, n: 'old' };
    // The storage of a user's object and of the index as the first release wrote them.
    await objects.raw('legacy:user:old', { version: 3, record: JSON.stringify(record), userId: 'old', name: 'legacy:user:old', index: 'legacy:open-resets' });
    await objects.raw('legacy:open-resets', { 'u:old': { version: 3, open: true } });
    expect(await store.listUsers()).toEqual({ userIds: [], cursor: null });
    expect(await store.listOpenResets()).toEqual([{ userId: 'old', record, version: 3 }]);
    expect(await store.get('old')).toEqual({ record, version: 3 });
    await vi.waitFor(async () => expect((await store.listUsers()).userIds).toEqual(['old']), { timeout: 10_000, interval: 100 });
    expect((await objects.raw('legacy:user:old')).storage).toMatchObject({ version: 3, listed: 0, users: 'legacy:users' });
    expect(await store.compareAndSet('old', 3, { resetRequest: null })).toBe(true);
    expect(await store.listOpenResets()).toEqual([]);
    expect(await store.delete('old')).toBe(true);
    expect(await store.listUsers()).toEqual({ userIds: [], cursor: null });
    expect(Object.keys((await objects.raw('legacy:open-resets')).storage)).toEqual(['t:old']);
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

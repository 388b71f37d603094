// The MfaStore conformance suite: every store shipped with otpgate runs it,
// and a host can run it on its own store. It checks the contract written in
// src/seams/store.ts, above all that compareAndSet is atomic under bursts.
import { describe, expect, it } from 'vitest';
import type { MfaRecord } from '../../src/seams/store.js';
import type { MfaStore } from '../../src/seams/store.js';

/** Tuning for slow backends; the defaults are what every shipped store passes. */
export interface StoreContractOptions {
  /** Concurrent compare-and-set calls racing for one version. @default 50 */
  readonly burst?: number;
  /** Concurrent read-then-retry increment loops on one counter. @default 20 */
  readonly incrementers?: number;
  /** Users written in the "many users" test. @default 200 */
  readonly users?: number;
}

/**
 * Registers the conformance tests for one store. `makeStore` is called at the
 * start of each test; it may return the same store every time, since each
 * test writes only user ids unique to it.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => MfaStore | Promise<MfaStore>,
  options: StoreContractOptions = {},
): void {
  const burst = options.burst ?? 50;
  const incrementers = options.incrementers ?? 20;
  const users = options.users ?? 200;
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let serial = 0;
  // Unique per test and per run, so stores shared between tests, runs and
  // engineers never see each other's users.
  const newUser = (label: string): string => `contract-${run}-${++serial}-${label}`;

  const record = (fields: Record<string, unknown> = {}): MfaRecord => ({ resetRequest: null, ...fields });

  describe(`MfaStore contract: ${name}`, () => {
    it('get returns null for a user that has no record', async () => {
      const store = await makeStore();
      expect(await store.get(newUser('unknown'))).toBeNull();
    });

    it('compareAndSet with null creates the record once, at version 1', async () => {
      const store = await makeStore();
      const user = newUser('create');
      expect(await store.compareAndSet(user, null, record({ n: 1 }))).toBe(true);
      expect(await store.compareAndSet(user, null, record({ n: 2 }))).toBe(false);
      expect(await store.get(user)).toEqual({ record: record({ n: 1 }), version: 1 });
    });

    it('compareAndSet with a version refuses a user that has no record and creates nothing', async () => {
      const store = await makeStore();
      const user = newUser('absent');
      expect(await store.compareAndSet(user, 1, record())).toBe(false);
      expect(await store.compareAndSet(user, 0, record())).toBe(false);
      expect(await store.get(user)).toBeNull();
    });

    it('each successful write increments the version by one', async () => {
      const store = await makeStore();
      const user = newUser('versions');
      expect(await store.compareAndSet(user, null, record({ n: 0 }))).toBe(true);
      for (let version = 1; version <= 5; version++) {
        expect(await store.compareAndSet(user, version, record({ n: version }))).toBe(true);
        expect(await store.get(user)).toEqual({ record: record({ n: version }), version: version + 1 });
      }
    });

    it('a stale or future version is refused and leaves the record as it was', async () => {
      const store = await makeStore();
      const user = newUser('stale');
      await store.compareAndSet(user, null, record({ n: 'first' }));
      await store.compareAndSet(user, 1, record({ n: 'second' }));
      expect(await store.compareAndSet(user, 1, record({ n: 'stale' }))).toBe(false);
      expect(await store.compareAndSet(user, 3, record({ n: 'future' }))).toBe(false);
      expect(await store.compareAndSet(user, null, record({ n: 'recreate' }))).toBe(false);
      expect(await store.get(user)).toEqual({ record: record({ n: 'second' }), version: 2 });
    });

    it('records round-trip equal: unicode, nested arrays and objects, numbers, booleans, null', async () => {
      const store = await makeStore();
      const user = newUser('roundtrip');
      const value = record({
        text: 'Grüße, 你好, مرحبا, ñ, e\u0301, 👩‍👩‍👧, 𝄞',
        awkward: 'quote " backslash \\ newline \n tab \t nul \u0000 lone \ud800 end',
        sqlish: "'; DROP TABLE users; --",
        nested: [[1, [2, [3, []]]], { a: [{ b: null }] }, []],
        numbers: [0, -1, 1.5, 2 ** 53 - 1, -(2 ** 53 - 1), 1e-7, 1.7976931348623157e308],
        flags: [true, false, null],
        empty: {},
        steps: { lastStep: 58_000_000, failures: 0 },
      });
      expect(await store.compareAndSet(user, null, value)).toBe(true);
      expect((await store.get(user))?.record).toEqual(value);
      const updated = record({ ...value, text: '∀x∈ℝ', nested: [] });
      expect(await store.compareAndSet(user, 1, updated)).toBe(true);
      expect((await store.get(user))?.record).toEqual(updated);
    });

    it('user ids are opaque strings: unicode, quotes, separators and long ids stay distinct', async () => {
      const store = await makeStore();
      const base = newUser('ids');
      const ids = [
        `${base}-ü 你好 👍`,
        `${base}-'quoted"`,
        `${base}:colon:separated`,
        `${base}:colon`,
        `${base}*?[glob]`,
        `${base}-${'x'.repeat(300)}`,
      ];
      for (const [index, id] of ids.entries()) {
        expect(await store.compareAndSet(id, null, record({ index }))).toBe(true);
      }
      for (const [index, id] of ids.entries()) {
        expect(await store.get(id)).toEqual({ record: record({ index }), version: 1 });
      }
    });

    it('callers cannot change stored state by mutating objects they passed in or got back', async () => {
      const store = await makeStore();
      const user = newUser('copies');
      const written = { resetRequest: null, list: [1, 2], inner: { x: 1 } };
      await store.compareAndSet(user, null, written);
      written.list.push(3);
      written.inner.x = 2;
      const read = await store.get(user);
      expect(read?.record).toEqual({ resetRequest: null, list: [1, 2], inner: { x: 1 } });
      (read?.record as unknown as { list: number[] }).list.push(99);
      expect((await store.get(user))?.record).toEqual({ resetRequest: null, list: [1, 2], inner: { x: 1 } });
    });

    it('listOpenResets returns exactly the users with an open reset request and follows updates', async () => {
      const store = await makeStore();
      const mine = (list: Awaited<ReturnType<MfaStore['listOpenResets']>>, prefix: string) =>
        list.filter((entry) => entry.userId.startsWith(prefix)).sort((a, b) => (a.userId < b.userId ? -1 : 1));
      const prefix = newUser('resets');
      const open = (at: number) => record({ resetRequest: { requestedAt: at, to: 'all' } });
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((suffix) => `${prefix}-${suffix}`) as [string, string, string, string];

      await store.compareAndSet(a, null, open(1));
      await store.compareAndSet(b, null, record());
      await store.compareAndSet(c, null, open(3));
      expect(mine(await store.listOpenResets(), prefix)).toEqual([
        { userId: a, record: open(1), version: 1 },
        { userId: c, record: open(3), version: 1 },
      ]);

      await store.compareAndSet(a, 1, record()); // closed
      await store.compareAndSet(b, 1, open(2)); // opened
      await store.compareAndSet(c, 1, open(4)); // still open, updated
      await store.compareAndSet(d, null, record());
      expect(mine(await store.listOpenResets(), prefix)).toEqual([
        { userId: b, record: open(2), version: 2 },
        { userId: c, record: open(4), version: 2 },
      ]);

      // A refused write changes nothing in the index either.
      expect(await store.compareAndSet(d, 7, open(9))).toBe(false);
      expect(await store.compareAndSet(b, 1, record())).toBe(false);
      expect(mine(await store.listOpenResets(), prefix).map((entry) => entry.userId)).toEqual([b, c]);
    });

    it(`a burst of ${burst} compareAndSet calls with the same version: exactly one wins`, async () => {
      const store = await makeStore();
      const user = newUser('burst');
      await store.compareAndSet(user, null, record({ winner: -1 }));
      const results = await Promise.all(
        Array.from({ length: burst }, (_, index) => store.compareAndSet(user, 1, record({ winner: index }))),
      );
      const winners = results.flatMap((ok, index) => (ok ? [index] : []));
      expect(winners).toHaveLength(1);
      expect(await store.get(user)).toEqual({ record: record({ winner: winners[0] }), version: 2 });
    });

    it(`a burst of ${burst} creations of one new user: exactly one wins`, async () => {
      const store = await makeStore();
      const user = newUser('burst-create');
      const results = await Promise.all(
        Array.from({ length: burst }, (_, index) => store.compareAndSet(user, null, record({ winner: index }))),
      );
      const winners = results.flatMap((ok, index) => (ok ? [index] : []));
      expect(winners).toHaveLength(1);
      expect(await store.get(user)).toEqual({ record: record({ winner: winners[0] }), version: 1 });
    });

    it(`${incrementers} concurrent read-then-retry increments on one counter end exact`, async () => {
      const store = await makeStore();
      const user = newUser('counter');
      await store.compareAndSet(user, null, record({ counter: 0 }));
      const conflicts = await Promise.all(
        Array.from({ length: incrementers }, () => incrementCounter(store, user)),
      );
      expect(await store.get(user)).toEqual({
        record: record({ counter: incrementers }),
        version: incrementers + 1,
      });
      // With this many racers somebody must have lost at least once, or the
      // test did not race at all.
      if (incrementers > 1) expect(conflicts.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
    });

    it(`works with many users (${users} written concurrently)`, async () => {
      const store = await makeStore();
      const prefix = newUser('many');
      const ids = Array.from({ length: users }, (_, index) => `${prefix}-${index}`);
      const created = await Promise.all(ids.map((id, index) => store.compareAndSet(id, null, record({ index }))));
      expect(created.every(Boolean)).toBe(true);
      const updated = await Promise.all(ids.map((id, index) => store.compareAndSet(id, 1, record({ index, again: true }))));
      expect(updated.every(Boolean)).toBe(true);
      const read = await Promise.all(ids.map((id) => store.get(id)));
      read.forEach((found, index) => expect(found).toEqual({ record: record({ index, again: true }), version: 2 }));
    });
  });
}

/**
 * Adds one to `record.counter` the way the gate changes a record: read,
 * compute, compare-and-set, and on a conflict read again. Resolves with the
 * number of conflicts it met.
 */
export async function incrementCounter(store: MfaStore, userId: string, maxTries = 10_000): Promise<number> {
  for (let conflicts = 0; conflicts < maxTries; conflicts++) {
    const current = await store.get(userId);
    if (current === null) throw new Error(`no record for ${userId}`);
    const counter = (current.record as { counter?: number }).counter ?? 0;
    if (await store.compareAndSet(userId, current.version, { ...current.record, counter: counter + 1 })) return conflicts;
  }
  throw new Error(`increment of ${userId} kept conflicting`);
}

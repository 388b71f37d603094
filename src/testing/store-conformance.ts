// The MfaStore conformance suite: every store shipped with otpgate runs it,
// and a host runs it on its own store. It checks the contract written on
// MfaStore, above all that compareAndSet is atomic under bursts. It uses no
// test framework of its own (the checks throw plain Errors) and nothing
// outside the package's public types, so it runs under vitest, jest, mocha,
// Node's built-in test runner or a plain script, in any runtime (Node, Deno,
// Bun, browsers, workers: test/testing/portable.test.ts runs it in workerd).
import type { MfaRecord, MfaStore, UserRecord } from '../index.js';

/**
 * What {@link storeConformance} and {@link storeConformanceChecks} run the
 * suite on, and how hard.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'otpgate';
 * import type { StoreConformanceOptions } from 'otpgate/testing';
 * const options: StoreConformanceOptions = { name: 'memory', create: () => createMemoryStore(), burst: 20 };
 * ```
 */
export interface StoreConformanceOptions {
  /** Names the suite in the test report. */
  readonly name: string;
  /**
   * Gives the store for one check; called at the start of every check. It
   * may return the same store every time: each check writes only user ids
   * unique to it and to this run (they start with `contract-`).
   */
  readonly create: () => MfaStore | Promise<MfaStore>;
  /** Runs once after the last check, for example to close a connection. */
  readonly cleanup?: (() => void | Promise<void>) | undefined;
  /** Concurrent compare-and-set calls racing for one version. @default 50 */
  readonly burst?: number | undefined;
  /** Concurrent read-then-retry increment loops on one counter. @default 20 */
  readonly incrementers?: number | undefined;
  /** Users written concurrently in the "many users" check. @default 200 */
  readonly users?: number | undefined;
}

/**
 * One named check of the suite: `run()` resolves when the store passes it
 * and rejects with an `Error` that says what differed when it does not.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'otpgate';
 * import { storeConformanceChecks, type StoreCheck } from 'otpgate/testing';
 * const checks: StoreCheck[] = storeConformanceChecks({ name: 'memory', create: () => createMemoryStore() });
 * for (const check of checks) await check.run();
 * ```
 */
export interface StoreCheck {
  /** What the check proves, as a test title. */
  readonly name: string;
  /** Runs the check on a store from `create()`. */
  run(): Promise<void>;
}

/**
 * The `describe` and `it` of a test framework, which
 * {@link storeConformance} registers the checks with. vitest, jest, mocha
 * and Node's built-in test runner all fit; mocha and Node's runner name
 * the hook `after`, so pass it as `afterAll: after` (docs/stores.md shows
 * a whole file for Node's runner).
 *
 * @example
 * ```ts
 * import { after, describe, it } from 'mocha';
 * import type { TestFramework } from 'otpgate/testing';
 * const framework: TestFramework = { describe, it, afterAll: after };
 * ```
 */
export interface TestFramework {
  /** Groups tests: `describe(name, body)`. */
  describe(name: string, body: () => void): unknown;
  /** Registers one test: `it(name, fn)`; `fn` returns a promise. */
  it(name: string, fn: () => Promise<void>): unknown;
  /** Registers a hook run after the group's tests (vitest's `afterAll`, mocha's and Node's runner's `after`); needed only with `cleanup`. */
  afterAll?: ((fn: () => Promise<void>) => unknown) | undefined;
}

class ConformanceError extends Error {
  override readonly name = 'StoreConformanceError';
}

const show = (value: unknown): string => {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

/** Deep equality of JSON values: what a store must give back. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, index) => sameJson(item, other[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && sameJson(left[key], right[key]))
  );
}

function expectSame(actual: unknown, expected: unknown, what: string): void {
  if (!sameJson(actual, expected)) throw new ConformanceError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function expectTrue(condition: boolean, what: string): void {
  if (!condition) throw new ConformanceError(what);
}

/**
 * Adds one to `record.counter` the way the gate changes a record: read,
 * compute, compare-and-set, and on a conflict read again. Resolves with the
 * number of conflicts it met; rejects when the user has no record or the
 * conflicts never end.
 *
 * @param store - the store
 * @param userId - a user whose record exists
 * @param maxTries - conflicts allowed before giving up
 * @returns the number of conflicts met
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'otpgate';
 * import { incrementCounter } from 'otpgate/testing';
 * const store = createMemoryStore();
 * await store.compareAndSet('alice', null, { resetRequest: null, counter: 0 });
 * await Promise.all([incrementCounter(store, 'alice'), incrementCounter(store, 'alice')]);
 * ```
 */
export async function incrementCounter(store: MfaStore, userId: string, maxTries = 10_000): Promise<number> {
  for (let conflicts = 0; conflicts < maxTries; conflicts++) {
    const current = await store.get(userId);
    if (current === null) throw new ConformanceError(`no record for ${userId}`);
    const counter = (current.record as { counter?: number }).counter ?? 0;
    if (await store.compareAndSet(userId, current.version, { ...current.record, counter: counter + 1 })) return conflicts;
  }
  throw new ConformanceError(`increment of ${userId} kept conflicting`);
}

/**
 * The conformance suite as a list of named checks, for any test framework
 * or none: run each `check.run()` as one test. {@link storeConformance}
 * registers them with `describe`/`it` for you.
 *
 * The checks: `get` of an unknown user is `null`; `compareAndSet` creates
 * once at version 1, refuses absent, stale and future versions, and counts
 * versions up by one; awkward JSON values and user ids round-trip equal;
 * callers cannot change stored state through objects they passed or got;
 * `listOpenResets` follows opened, closed and refused writes; a burst of
 * concurrent compare-and-sets on one version (and of creations of one user)
 * has exactly one winner; concurrent read-retry incrementers end exact; many
 * users written at once all land. Where the store offers the optional
 * methods: `delete` removes a record with its open reset and the user can be
 * created again, and racing writes cannot bring it back; `listUsers` pages
 * through every user, awkward ids verbatim, until its cursor is `null`. A
 * store without them passes those checks, as the gate works without them.
 *
 * @param options - the store factory, a name and the burst sizes
 * @returns the checks, in order
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'otpgate';
 * import { storeConformanceChecks } from 'otpgate/testing';
 *
 * for (const check of storeConformanceChecks({ name: 'memory', create: () => createMemoryStore() })) {
 *   await check.run(); // throws on the first failure
 * }
 * ```
 */
export function storeConformanceChecks(options: StoreConformanceOptions): StoreCheck[] {
  const { create } = options;
  const burst = options.burst ?? 50;
  const incrementers = options.incrementers ?? 20;
  const users = options.users ?? 200;
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let serial = 0;
  // Unique per check and per run, so stores shared between checks, runs and
  // engineers never see each other's users.
  const newUser = (label: string): string => `contract-${run}-${++serial}-${label}`;
  const record = (fields: Record<string, unknown> = {}): MfaRecord => ({ resetRequest: null, ...fields });

  const checks: StoreCheck[] = [];
  const check = (name: string, body: (store: MfaStore) => Promise<void>) =>
    checks.push({ name, run: async () => body(await create()) });

  check('get returns null for a user that has no record', async (store) => {
    expectSame(await store.get(newUser('unknown')), null, 'get of an unknown user');
  });

  check('compareAndSet with null creates the record once, at version 1', async (store) => {
    const user = newUser('create');
    expectSame(await store.compareAndSet(user, null, record({ n: 1 })), true, 'the first creation');
    expectSame(await store.compareAndSet(user, null, record({ n: 2 })), false, 'a second creation');
    expectSame(await store.get(user), { record: record({ n: 1 }), version: 1 }, 'the record after creation');
  });

  check('compareAndSet with a version refuses a user that has no record and creates nothing', async (store) => {
    const user = newUser('absent');
    expectSame(await store.compareAndSet(user, 1, record()), false, 'compareAndSet(version 1) on no record');
    expectSame(await store.compareAndSet(user, 0, record()), false, 'compareAndSet(version 0) on no record');
    expectSame(await store.get(user), null, 'get after refused writes');
  });

  check('each successful write increments the version by one', async (store) => {
    const user = newUser('versions');
    expectSame(await store.compareAndSet(user, null, record({ n: 0 })), true, 'the creation');
    for (let version = 1; version <= 5; version++) {
      expectSame(await store.compareAndSet(user, version, record({ n: version })), true, `the write over version ${version}`);
      expectSame(await store.get(user), { record: record({ n: version }), version: version + 1 }, `the record after write ${version}`);
    }
  });

  check('a stale or future version is refused and leaves the record as it was', async (store) => {
    const user = newUser('stale');
    await store.compareAndSet(user, null, record({ n: 'first' }));
    await store.compareAndSet(user, 1, record({ n: 'second' }));
    expectSame(await store.compareAndSet(user, 1, record({ n: 'stale' })), false, 'a stale version');
    expectSame(await store.compareAndSet(user, 3, record({ n: 'future' })), false, 'a future version');
    expectSame(await store.compareAndSet(user, null, record({ n: 'recreate' })), false, 'null over an existing record');
    expectSame(await store.get(user), { record: record({ n: 'second' }), version: 2 }, 'the record after refused writes');
  });

  check('records round-trip equal: unicode, nested arrays and objects, numbers, booleans, null', async (store) => {
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
    expectSame(await store.compareAndSet(user, null, value), true, 'the creation');
    expectSame((await store.get(user))?.record, value, 'the record read back');
    const updated = record({ ...value, text: '∀x∈ℝ', nested: [] });
    expectSame(await store.compareAndSet(user, 1, updated), true, 'the update');
    expectSame((await store.get(user))?.record, updated, 'the updated record read back');
  });

  check('user ids are opaque strings: unicode, quotes, separators and long ids stay distinct', async (store) => {
    const base = newUser('ids');
    const ids = [
      `${base}-ü 你好 👍`,
      `${base}-'quoted"`,
      `${base}:colon:separated`,
      `${base}:colon`,
      `${base}*?[glob]`,
      `${base}{braces}`,
      `${base}-${'x'.repeat(300)}`,
    ];
    for (const [index, id] of ids.entries()) {
      expectSame(await store.compareAndSet(id, null, record({ index })), true, `the creation of id ${index}`);
    }
    for (const [index, id] of ids.entries()) {
      expectSame(await store.get(id), { record: record({ index }), version: 1 }, `the record of id ${index}`);
    }
  });

  check('callers cannot change stored state by mutating objects they passed in or got back', async (store) => {
    const user = newUser('copies');
    const written = { resetRequest: null, list: [1, 2], inner: { x: 1 } };
    await store.compareAndSet(user, null, written);
    written.list.push(3);
    written.inner.x = 2;
    const read = await store.get(user);
    expectSame(read?.record, { resetRequest: null, list: [1, 2], inner: { x: 1 } }, 'the record after mutating what was written');
    (read?.record as unknown as { list: number[] } | undefined)?.list.push(99);
    expectSame((await store.get(user))?.record, { resetRequest: null, list: [1, 2], inner: { x: 1 } }, 'the record after mutating what was read');
  });

  check('listOpenResets returns exactly the users with an open reset request and follows updates', async (store) => {
    const prefix = newUser('resets');
    const mine = (list: UserRecord[]) =>
      list.filter((entry) => entry.userId.startsWith(prefix)).sort((a, b) => (a.userId < b.userId ? -1 : 1));
    const open = (at: number) => record({ resetRequest: { requestedAt: at, to: 'all' } });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((suffix) => `${prefix}-${suffix}`) as [string, string, string, string];

    await store.compareAndSet(a, null, open(1));
    await store.compareAndSet(b, null, record());
    await store.compareAndSet(c, null, open(3));
    expectSame(
      mine(await store.listOpenResets()),
      [
        { userId: a, record: open(1), version: 1 },
        { userId: c, record: open(3), version: 1 },
      ],
      'the open requests',
    );

    await store.compareAndSet(a, 1, record()); // closed
    await store.compareAndSet(b, 1, open(2)); // opened
    await store.compareAndSet(c, 1, open(4)); // still open, updated
    await store.compareAndSet(d, null, record());
    expectSame(
      mine(await store.listOpenResets()),
      [
        { userId: b, record: open(2), version: 2 },
        { userId: c, record: open(4), version: 2 },
      ],
      'the open requests after updates',
    );

    // A refused write changes nothing in the index either.
    expectSame(await store.compareAndSet(d, 7, open(9)), false, 'a refused opening');
    expectSame(await store.compareAndSet(b, 1, record()), false, 'a refused closing');
    expectSame(mine(await store.listOpenResets()).map((entry) => entry.userId), [b, c], 'the open requests after refused writes');
  });

  check(`a burst of ${burst} compareAndSet calls with the same version: exactly one wins`, async (store) => {
    const user = newUser('burst');
    await store.compareAndSet(user, null, record({ winner: -1 }));
    const results = await Promise.all(
      Array.from({ length: burst }, (_, index) => store.compareAndSet(user, 1, record({ winner: index }))),
    );
    const winners = results.flatMap((ok, index) => (ok ? [index] : []));
    expectSame(winners.length, 1, `winners of ${burst} racing writes`);
    expectSame(await store.get(user), { record: record({ winner: winners[0] }), version: 2 }, 'the record after the burst');
  });

  check(`a burst of ${burst} creations of one new user: exactly one wins`, async (store) => {
    const user = newUser('burst-create');
    const results = await Promise.all(
      Array.from({ length: burst }, (_, index) => store.compareAndSet(user, null, record({ winner: index }))),
    );
    const winners = results.flatMap((ok, index) => (ok ? [index] : []));
    expectSame(winners.length, 1, `winners of ${burst} racing creations`);
    expectSame(await store.get(user), { record: record({ winner: winners[0] }), version: 1 }, 'the record after the burst');
  });

  check(`${incrementers} concurrent read-then-retry increments on one counter end exact`, async (store) => {
    const user = newUser('counter');
    await store.compareAndSet(user, null, record({ counter: 0 }));
    const conflicts = await Promise.all(Array.from({ length: incrementers }, () => incrementCounter(store, user)));
    expectSame(
      await store.get(user),
      { record: record({ counter: incrementers }), version: incrementers + 1 },
      'the counter after the increments',
    );
    // With this many racers somebody must have lost at least once, or the
    // check did not race at all.
    if (incrementers > 1) expectTrue(conflicts.reduce((sum, n) => sum + n, 0) > 0, 'no incrementer ever met a conflict: the calls did not race');
  });

  check(`works with many users (${users} written concurrently)`, async (store) => {
    const prefix = newUser('many');
    const ids = Array.from({ length: users }, (_, index) => `${prefix}-${index}`);
    const created = await Promise.all(ids.map((id, index) => store.compareAndSet(id, null, record({ index }))));
    expectTrue(created.every(Boolean), 'a creation of a new user was refused');
    const updated = await Promise.all(ids.map((id, index) => store.compareAndSet(id, 1, record({ index, again: true }))));
    expectTrue(updated.every(Boolean), 'an update of a user nobody else writes was refused');
    const read = await Promise.all(ids.map((id) => store.get(id)));
    read.forEach((found, index) => expectSame(found, { record: record({ index, again: true }), version: 2 }, `user ${index}`));
  });

  // The optional methods (`delete`, `listUsers`): a store without one passes
  // its checks, as the gate works without it; a store with one must keep
  // its promises, indexes included.
  const offered = (store: MfaStore, method: 'delete' | 'listUsers'): boolean => {
    const value: unknown = store[method];
    if (value === undefined) return false;
    expectTrue(typeof value === 'function', `${method} is there but is not a function`);
    return true;
  };

  /** Every id `listUsers` gives, walking from the first page until the cursor is null. */
  const listAll = async (store: MfaStore, limit: number): Promise<{ ids: Set<string>; pages: number }> => {
    const ids = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: unknown = await store.listUsers!({ cursor, limit });
      const { userIds, cursor: next } = (page ?? {}) as { userIds?: unknown; cursor?: unknown };
      expectTrue(Array.isArray(userIds) && userIds.every((id) => typeof id === 'string'), `listUsers page ${pages + 1}: userIds is not an array of strings: ${show(page)}`);
      expectTrue(next === null || typeof next === 'string', `listUsers page ${pages + 1}: cursor is neither a string nor null: ${show(next)}`);
      for (const id of userIds as string[]) ids.add(id);
      cursor = next as string | null;
      expectTrue(++pages <= 1_000_000, 'listUsers never answered cursor null');
    } while (cursor !== null);
    return { ids, pages };
  };

  check('delete, where the store offers it, removes the record and its open reset, answers whether there was one, and the user starts again at version 1', async (store) => {
    if (!offered(store, 'delete')) return;
    const prefix = newUser('delete');
    const [gone, kept, never] = ['gone', 'kept', 'never'].map((suffix) => `${prefix}-${suffix}`) as [string, string, string];
    const open = record({ resetRequest: { requestedAt: 1 } });
    await store.compareAndSet(gone, null, record({ n: 1 }));
    await store.compareAndSet(gone, 1, open);
    await store.compareAndSet(kept, null, open);
    expectSame(await store.delete!(gone), true, 'delete of a user with a record');
    expectSame(await store.get(gone), null, 'get after delete');
    expectSame(await store.delete!(gone), false, 'a second delete of the same user');
    expectSame(await store.delete!(never), false, 'delete of a user that never had a record');
    expectSame(await store.get(kept), { record: open, version: 1 }, 'another user after the delete');
    const listed = (await store.listOpenResets()).map((entry) => entry.userId).filter((id) => id.startsWith(prefix));
    expectSame(listed, [kept], 'the open requests after deleting a user who had one');
    // The old versions mean nothing now: no write may bring the record back but a creation.
    expectSame(await store.compareAndSet(gone, 2, record({ n: 'resurrected' })), false, 'compareAndSet(version 2) after delete');
    expectSame(await store.get(gone), null, 'get after a refused write over a deleted record');
    expectSame(await store.compareAndSet(gone, null, record({ n: 'again' })), true, 'a creation after delete');
    expectSame(await store.get(gone), { record: record({ n: 'again' }), version: 1 }, 'the record created again');
  });

  check(`delete, where the store offers it, racing ${burst} writes to the same user: the user is gone and listed nowhere`, async (store) => {
    if (!offered(store, 'delete')) return;
    const user = newUser('delete-race');
    await store.compareAndSet(user, null, record({ resetRequest: { requestedAt: 1 } }));
    // The writes keep a reset open: a delete that lost track of one would leave it in an index.
    const [deleted, ...written] = await Promise.all([
      store.delete!(user),
      ...Array.from({ length: burst }, (_, index) => store.compareAndSet(user, 1, record({ resetRequest: { requestedAt: 2 + index } }))),
    ]);
    expectSame(deleted, true, 'the racing delete of a user who had a record');
    expectTrue(written.filter(Boolean).length <= 1, `${written.filter(Boolean).length} of ${burst} racing writes over version 1 won`);
    expectSame(await store.get(user), null, 'get after the race');
    expectTrue(!(await store.listOpenResets()).some((entry) => entry.userId === user), 'listOpenResets still lists the deleted user');
    if (offered(store, 'listUsers')) expectTrue(!(await listAll(store, 1000)).ids.has(user), 'listUsers still lists the deleted user');
  });

  check('listUsers, where the store offers it, pages through every user, awkward ids verbatim, until the cursor is null', async (store) => {
    if (!offered(store, 'listUsers')) return;
    const base = newUser('list');
    const ids = [
      ...Array.from({ length: 12 }, (_, index) => `${base}-${index}`),
      `${base}-ü 你好 👍`,
      `${base}:colon:separated`,
      `${base}*?[glob]{braces}`,
      `${base}-'quoted"`,
      `${base}-${'x'.repeat(300)}`,
    ];
    for (const id of ids) expectSame(await store.compareAndSet(id, null, record()), true, `the creation of ${show(id)}`);
    const refused = `${base}-refused`;
    expectSame(await store.compareAndSet(refused, 1, record()), false, 'compareAndSet(version 1) on no record');
    // Small pages, so that even a store holding only these users needs several.
    const small = await listAll(store, 5);
    for (const id of ids) expectTrue(small.ids.has(id), `listUsers (5 a page) never listed ${show(id)}`);
    expectTrue(!small.ids.has(refused), 'listUsers listed a user whose only write was refused');
    const large = await listAll(store, 1000);
    for (const id of ids) expectTrue(large.ids.has(id), `listUsers (1000 a page) never listed ${show(id)}`);
  });

  return checks;
}

/**
 * Registers the conformance suite with a test framework: one `describe`
 * named `MfaStore contract: <name>` holding one `it` per check. Pass the
 * framework's own functions, so otpgate depends on none.
 *
 * @param options - the store factory, a name and the burst sizes
 * @param framework - `describe`, `it` and, when `cleanup` is set, `afterAll`
 *
 * @example
 * ```ts
 * // my-store.test.ts, under vitest (jest and mocha look the same)
 * import { afterAll, describe, it } from 'vitest';
 * import { storeConformance } from 'otpgate/testing';
 * import { createMemoryStore } from 'otpgate';
 *
 * storeConformance({ name: 'my store', create: () => createMemoryStore() }, { describe, it, afterAll });
 * ```
 *
 * @example
 * ```ts
 * // my-store.test.mjs, under mocha (Node's built-in runner takes the same three functions)
 * import { after, describe, it } from 'mocha';
 * import { storeConformance } from 'otpgate/testing';
 * import { createMemoryStore } from 'otpgate';
 *
 * storeConformance({ name: 'my store', create: () => createMemoryStore() }, { describe, it, afterAll: after });
 * ```
 */
export function storeConformance(options: StoreConformanceOptions, framework: TestFramework): void {
  const checks = storeConformanceChecks(options);
  framework.describe(`MfaStore contract: ${options.name}`, () => {
    if (options.cleanup) {
      if (!framework.afterAll) throw new TypeError('storeConformance: cleanup needs the framework\'s afterAll (mocha and Node\'s test runner call it after)');
      const cleanup = options.cleanup;
      framework.afterAll(async () => cleanup());
    }
    for (const check of checks) framework.it(check.name, () => check.run());
  });
}

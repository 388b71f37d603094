// otpgate/testing: the conformance suite hosts run on their own stores. It
// must pass a correct store, catch broken ones, and work outside vitest.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMapStore } from '../../examples/custom-store.js';
import { createMemoryStore, type MfaStore, type StoredRecord } from '../../src/index.js';
import { incrementCounter, storeConformance, storeConformanceChecks, type StoreCheck } from '../../src/testing/index.js';

const small = { burst: 20, incrementers: 8, users: 30 };

async function failures(checks: StoreCheck[]): Promise<Record<string, string>> {
  const failed: Record<string, string> = {};
  for (const check of checks) {
    await check.run().catch((error: unknown) => (failed[check.name] = (error as Error).message));
  }
  return failed;
}

describe('otpgate/testing', () => {
  it('lists its checks by name and a correct store passes all of them', async () => {
    const checks = storeConformanceChecks({ name: 'memory', create: () => createMemoryStore(), ...small });
    expect(checks.map((check) => check.name)).toEqual([
      'get returns null for a user that has no record',
      'compareAndSet with null creates the record once, at version 1',
      'compareAndSet with a version refuses a user that has no record and creates nothing',
      'each successful write increments the version by one',
      'a stale or future version is refused and leaves the record as it was',
      'records round-trip equal: unicode, nested arrays and objects, numbers, booleans, null',
      'user ids are opaque strings: unicode, quotes, separators and long ids stay distinct',
      'callers cannot change stored state by mutating objects they passed in or got back',
      'listOpenResets returns exactly the users with an open reset request and follows updates',
      'a burst of 20 compareAndSet calls with the same version: exactly one wins',
      'a burst of 20 creations of one new user: exactly one wins',
      '8 concurrent read-then-retry increments on one counter end exact',
      'works with many users (30 written concurrently)',
      'delete, where the store offers it, removes the record and its open reset, answers whether there was one, and the user starts again at version 1',
      'delete, where the store offers it, racing 20 writes to the same user: the user is gone and listed nowhere',
      'listUsers, where the store offers it, pages through every user, awkward ids verbatim, until the cursor is null',
    ]);
    expect(await failures(checks)).toEqual({});
  });

  it('catches a compareAndSet that reads and then writes in JavaScript', async () => {
    const inner = createMapStore();
    const racy: MfaStore = {
      get: (userId) => inner.get(userId),
      listOpenResets: () => inner.listOpenResets(),
      async compareAndSet(userId, expected, next) {
        const current = await inner.get(userId);
        await new Promise((resolve) => setTimeout(resolve, 1));
        if ((current?.version ?? null) !== expected) return false;
        await inner.compareAndSet(userId, current?.version ?? null, next);
        return true;
      },
    };
    const failed = await failures(storeConformanceChecks({ name: 'racy', create: () => racy, ...small }));
    expect(failed['a burst of 20 compareAndSet calls with the same version: exactly one wins']).toMatch(/^winners of 20 racing writes: expected 1, got (?:[2-9]|1\d|20)$/);
    expect(failed['a burst of 20 creations of one new user: exactly one wins']).toMatch(/racing creations: expected 1/);
  });

  it('catches a store that hands out its own objects, lists every user, or loses versions', async () => {
    const rows = new Map<string, StoredRecord>();
    const sharing: MfaStore = {
      get: async (userId) => rows.get(userId) ?? null,
      async compareAndSet(userId, expected, next) {
        const current = rows.get(userId);
        if ((current?.version ?? null) !== expected) return false;
        rows.set(userId, { record: next, version: (current?.version ?? 0) + 1 });
        return true;
      },
      // Every user, open request or not; and the version always 1.
      listOpenResets: async () => [...rows].map(([userId, stored]) => ({ userId, record: stored.record, version: 1 })),
    };
    const failed = await failures(storeConformanceChecks({ name: 'sharing', create: () => sharing, ...small }));
    expect(Object.keys(failed).sort()).toEqual([
      'callers cannot change stored state by mutating objects they passed in or got back',
      'listOpenResets returns exactly the users with an open reset request and follows updates',
    ]);
    expect(failed['callers cannot change stored state by mutating objects they passed in or got back']).toContain(
      'the record after mutating what was written: expected {"resetRequest":null,"list":[1,2],"inner":{"x":1}}, got',
    );
  });

  it('catches a delete that leaves an open reset in the index, and a listUsers that stops after its first page', async () => {
    const inner = createMemoryStore();
    // An index of open resets kept beside the records, as SQL and Redis stores keep one.
    const open = new Set<string>();
    const leaky: MfaStore = {
      get: (userId) => inner.get(userId),
      async compareAndSet(userId, expected, next) {
        const written = await inner.compareAndSet(userId, expected, next);
        if (written && next.resetRequest !== null) open.add(userId);
        if (written && next.resetRequest === null) open.delete(userId);
        return written;
      },
      async listOpenResets() {
        const listed = await Promise.all([...open].map(async (userId) => ({ userId, found: await inner.get(userId) })));
        return listed.map(({ userId, found }) => ({ userId, record: found?.record ?? { resetRequest: { requestedAt: 0 } }, version: found?.version ?? 0 }));
      },
      delete: (userId) => inner.delete!(userId), // forgets the index
      listUsers: async (options) => ({ ...(await inner.listUsers!(options)), cursor: null }),
    };
    const failed = await failures(storeConformanceChecks({ name: 'leaky', create: () => leaky, ...small }));
    expect(failed).toEqual({
      'delete, where the store offers it, removes the record and its open reset, answers whether there was one, and the user starts again at version 1':
        expect.stringMatching(/^the open requests after deleting a user who had one: expected \["contract-[^"]+-kept"\], got \[/),
      'delete, where the store offers it, racing 20 writes to the same user: the user is gone and listed nowhere': 'listOpenResets still lists the deleted user',
      'listUsers, where the store offers it, pages through every user, awkward ids verbatim, until the cursor is null': expect.stringMatching(/^listUsers \(5 a page\) never listed "contract-/),
    });
    const odd = { ...leaky, delete: 'yes', listUsers: undefined } as unknown as MfaStore;
    const oddFailures = await failures(storeConformanceChecks({ name: 'odd', create: () => odd, ...small }));
    expect(Object.values(oddFailures)).toEqual(['delete is there but is not a function', 'delete is there but is not a function']);
  });

  it('registers one describe with one it per check, and cleanup after them', async () => {
    const registered: string[] = [];
    const tests: Array<() => Promise<void>> = [];
    let after: (() => Promise<void>) | undefined;
    let cleaned = 0;
    storeConformance(
      { name: 'memory', create: () => createMemoryStore(), cleanup: () => void cleaned++, ...small },
      {
        describe: (name, body) => {
          registered.push(`describe ${name}`);
          body();
        },
        it: (name, fn) => {
          registered.push(name);
          tests.push(fn);
        },
        afterAll: (fn) => void (after = fn),
      },
    );
    expect(registered[0]).toBe('describe MfaStore contract: memory');
    expect(registered).toHaveLength(17);
    for (const test of tests) await test();
    await after?.();
    expect(cleaned).toBe(1);
    expect(() =>
      storeConformance({ name: 'x', create: () => createMemoryStore(), cleanup: () => {} }, { describe: (_, body) => body(), it: () => {} }),
    ).toThrow(/cleanup needs the framework's afterAll/);
  });

  it('incrementCounter retries on conflicts and refuses a missing record', async () => {
    const store = createMemoryStore();
    await store.compareAndSet('alice', null, { resetRequest: null, counter: 0 });
    const conflicts = await Promise.all(Array.from({ length: 5 }, () => incrementCounter(store, 'alice')));
    expect(await store.get('alice')).toEqual({ record: { resetRequest: null, counter: 5 }, version: 6 });
    expect(conflicts.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
    await expect(incrementCounter(store, 'nobody')).rejects.toThrow('no record for nobody');
  });

  describe('under node:test', () => {
    const fixture = fileURLToPath(new URL('./fixtures/node-test-store.ts', import.meta.url));
    const runNodeTest = (store: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter', 'tap', fixture], {
        encoding: 'utf8',
        env: { ...process.env, FIXTURE_STORE: store },
        timeout: 120_000,
      });

    it('a host\'s store passes the suite run by node --test', () => {
      const result = runNodeTest('map');
      expect(result.stdout).toContain('MfaStore contract: node:test map store');
      expect(result.stdout).toMatch(/^# pass 16$/m);
      expect(result.stdout).toMatch(/^# fail 0$/m);
      expect(result.stdout).not.toContain('cleanup was not called');
      expect(result.status).toBe(0);
    }, 120_000);

    it('a racy store fails it there, naming the burst checks', () => {
      const result = runNodeTest('racy');
      expect(result.status).not.toBe(0);
      expect(result.stdout).toMatch(/^\s*not ok \d+ - a burst of 50 compareAndSet calls with the same version: exactly one wins$/m);
      expect(result.stdout).toMatch(/^# fail [1-9]\d*$/m);
    }, 120_000);
  });
});

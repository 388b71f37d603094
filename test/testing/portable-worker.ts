// A Worker that runs otpgate/testing's whole suite inside workerd, with no
// Node compatibility flag: on the memory store, and on a store whose
// compareAndSet reads, waits and then writes (which the suite must catch).
// test/testing/portable.test.ts bundles it for the browser platform, so a
// `node:` import anywhere on its path fails the bundle, and workerd has no
// Buffer or process to fall back on.
import { createMemoryStore, type MfaStore } from '../../src/index.js';
import { storeConformanceChecks } from '../../src/testing/index.js';

function racy(): MfaStore {
  const inner = createMemoryStore();
  return {
    get: (userId) => inner.get(userId),
    listOpenResets: () => inner.listOpenResets(),
    async compareAndSet(userId, expected, next) {
      const current = await inner.get(userId);
      await new Promise((resolve) => setTimeout(resolve, 1));
      if ((current?.version ?? null) !== expected) return false;
      // The inner write is not checked: a loser of the race still answers true.
      await inner.compareAndSet(userId, current?.version ?? null, next);
      return true;
    },
  };
}

/** The suite's sizes, shared with the test that compares the check names. */
export const SIZES = { burst: 20, incrementers: 8, users: 30 } as const;

export default {
  async fetch(request: Request): Promise<Response> {
    const store = new URL(request.url).pathname === '/racy' ? racy() : createMemoryStore();
    const checks = storeConformanceChecks({ name: 'workerd', create: () => store, ...SIZES });
    const results: Array<{ name: string; error: string | null }> = [];
    for (const check of checks) {
      try {
        await check.run();
        results.push({ name: check.name, error: null });
      } catch (error) {
        results.push({ name: check.name, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
    }
    return Response.json(results);
  },
};

// otpgate/testing is runtime-agnostic: a host with a store for Workers, Deno
// or Bun runs the suite where its store runs. Proved in workerd (through
// Miniflare), whose only globals are the web platform's.
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/index.js';
import { storeConformanceChecks } from '../../src/testing/index.js';
import { bundleWorker } from '../stores/workerd.js';
import { SIZES } from './portable-worker.js';

let mf: Miniflare;

beforeAll(async () => {
  mf = new Miniflare({ modules: true, script: await bundleWorker('test/testing/portable-worker.ts'), compatibilityDate: '2025-01-01' });
  await mf.ready;
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
});

async function runIn(path: string): Promise<Array<{ name: string; error: string | null }>> {
  const response = await mf.dispatchFetch(`http://worker${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Array<{ name: string; error: string | null }>;
}

describe('otpgate/testing in workerd', () => {
  it('runs every check there, and the memory store passes them all', async () => {
    const results = await runIn('/memory');
    const names = storeConformanceChecks({ name: 'node', create: () => createMemoryStore(), ...SIZES }).map((check) => check.name);
    expect(results.map((result) => result.name)).toEqual(names);
    expect(results.filter((result) => result.error !== null)).toEqual([]);
  });

  it('catches a racy compareAndSet there too', async () => {
    const failed = Object.fromEntries((await runIn('/racy')).filter((result) => result.error !== null).map((result) => [result.name, result.error]));
    expect(failed['a burst of 20 compareAndSet calls with the same version: exactly one wins']).toMatch(/^StoreConformanceError: winners of 20 racing writes: expected 1, got (?:[2-9]|1\d|20)$/);
    expect(failed['a burst of 20 creations of one new user: exactly one wins']).toMatch(/racing creations: expected 1/);
  });
});

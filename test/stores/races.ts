// Races between separate Node processes sharing one store backend.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openStore, type StoreTarget } from './targets.js';
import type { WorkerReport, WorkerTask } from './race-worker.js';

const worker = fileURLToPath(new URL('./race-worker.ts', import.meta.url));

/** Runs one worker process per task and resolves with their reports. */
export function runWorkers(tasks: readonly WorkerTask[]): Promise<WorkerReport[]> {
  return Promise.all(
    tasks.map(
      (task) =>
        new Promise<WorkerReport>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', worker, JSON.stringify(task)], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
          child.on('error', reject);
          child.on('exit', (code) => {
            if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as WorkerReport);
            else reject(new Error(`race worker exited with ${code}: ${err.slice(0, 2_000)}`));
          });
        }),
    ),
  );
}

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * Registers the cross-process race tests for a backend: `processes` Node
 * processes race on one user. `target()` is read when the tests run.
 */
export function itRacesAcrossProcesses(target: () => StoreTarget, processes = 3): void {
  it(`${processes} processes, 20 rounds of compareAndSet on one version: exactly one wins per round`, async () => {
    const rounds = 20;
    const userId = `race-${run}-rounds`;
    const { store, close } = await openStore(target());
    try {
      expect(await store.compareAndSet(userId, null, { resetRequest: null, round: 0 })).toBe(true);
      // Start late enough for every process to boot (tsx compiles on start).
      const startAt = Date.now() + 2_500;
      const reports = await runWorkers(
        Array.from({ length: processes }, () => ({
          target: target(), userId, mode: 'rounds' as const, rounds, parallel: 10, startAt, slotMs: 60,
        })),
      );
      for (let round = 0; round < rounds; round++) {
        expect(reports.reduce((sum, report) => sum + (report.wins?.[round] ?? 0), 0), `round ${round + 1}`).toBe(1);
      }
      expect((await store.get(userId))?.version).toBe(rounds + 1);
      // Several processes must have won rounds, or they did not really race.
      expect(reports.filter((report) => report.wins?.some((wins) => wins > 0)).length).toBeGreaterThan(1);
    } finally {
      await close();
    }
  }, 60_000);

  it(`${processes} processes incrementing one counter by compare-and-set retries end exact`, async () => {
    const userId = `race-${run}-counter`;
    const parallel = 4;
    const increments = 10;
    const { store, close } = await openStore(target());
    try {
      expect(await store.compareAndSet(userId, null, { resetRequest: null, counter: 0 })).toBe(true);
      const startAt = Date.now() + 2_500;
      const reports = await runWorkers(
        Array.from({ length: processes }, () => ({
          target: target(), userId, mode: 'increment' as const, parallel, increments, startAt,
        })),
      );
      const total = processes * parallel * increments;
      expect(await store.get(userId)).toEqual({ record: { resetRequest: null, counter: total }, version: total + 1 });
      expect(reports.reduce((sum, report) => sum + (report.conflicts ?? 0), 0)).toBeGreaterThan(0);
    } finally {
      await close();
    }
  }, 60_000);
}

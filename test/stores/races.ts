// Races between separate Node processes sharing one store backend.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openStore, type StoreTarget } from './targets.js';
import type { WorkerReport, WorkerTask } from './race-worker.js';

const worker = fileURLToPath(new URL('./race-worker.ts', import.meta.url));

/** Runs one worker process per task and resolves with their reports. */
export async function runWorkers(tasks: readonly WorkerTask[]): Promise<WorkerReport[]> {
  const children = tasks.map((task) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, JSON.stringify(task)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('ready\n')) markReady();
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const report = new Promise<WorkerReport>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as WorkerReport);
        else reject(new Error(`race worker exited with ${code}: ${err.slice(0, 2_000)}`));
      });
    });
    return { child, ready, report };
  });
  // A worker that dies before it is ready fails the race instead of hanging it.
  await Promise.race([
    Promise.all(children.map((entry) => entry.ready)),
    Promise.all(children.map((entry) => entry.report)),
  ]);
  const startAt = Date.now() + 300;
  for (const { child } of children) child.stdin.end(`${startAt}\n`);
  return Promise.all(children.map((entry) => entry.report));
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
      const reports = await runWorkers(
        Array.from({ length: processes }, () => ({
          target: target(), userId, mode: 'rounds' as const, rounds, parallel: 20, slotMs: 40,
        })),
      );
      for (let round = 0; round < rounds; round++) {
        expect(reports.reduce((sum, report) => sum + (report.wins?.[round] ?? 0), 0), `round ${round + 1}`).toBe(1);
      }
      expect((await store.get(userId))?.version).toBe(rounds + 1);
      // Bursts of two processes must have overlapped in time, or they did not
      // really race (the counter test below is the stronger proof).
      let overlapping = 0;
      for (let round = 0; round < rounds; round++) {
        const spans = reports.map((report) => report.spans![round]!);
        const overlaps = spans.some(([start, end], i) =>
          spans.some(([otherStart, otherEnd], j) => i !== j && start <= otherEnd && otherStart <= end),
        );
        if (overlaps) overlapping++;
      }
      expect(overlapping, 'rounds in which two processes were firing at once').toBeGreaterThan(0);
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
      const reports = await runWorkers(
        Array.from({ length: processes }, () => ({
          target: target(), userId, mode: 'increment' as const, parallel, increments,
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

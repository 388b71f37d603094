// Shared by gate-races.test.ts and gate-races-redis.test.ts: the gate's
// guarantees on a store, with application servers in separate processes
// (and separate connections) sharing one database: for 20 rounds, 300
// concurrent verifies of one valid code accept exactly one, and 30
// concurrent postpones with two allowed grant exactly two.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { enrollAll, RACE_AT, type RoundPlan, type Tally } from './gate-rig.js';
import type { GateWorkerTask } from './gate-worker.js';
import { openStore, type StoreTarget } from './targets.js';

export const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export const ROUNDS = 20;
export const VERIFIES = 300;
export const POSTPONES = 30;
export const PROCESSES = 2;
export const SERVERS_PER_PROCESS = 2;

export function plansFor(users: readonly string[], secrets: readonly string[], label: string): RoundPlan[] {
  return users.map((verifyUser, round) => ({
    verifyUser,
    code: totp(secrets[round]!, { now: RACE_AT }),
    postponeUser: `postpone-${run}-${label}-${round}`,
  }));
}

function add(into: Tally, from: Tally): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
}

export function expectRound(round: number, verify: Tally, postpone: Tally): void {
  const label = `round ${round + 1}: verify ${JSON.stringify(verify)}, postpone ${JSON.stringify(postpone)}`;
  expect(verify['ok'], label).toBe(1);
  // Every other verify is refused as a replay or because the failures locked the user.
  expect((verify['replayed'] ?? 0) + (verify['locked'] ?? 0), label).toBe(VERIFIES - 1);
  expect(postpone, label).toEqual({ granted: 2, ERR_POSTPONE_LIMIT: POSTPONES - 2 });
}

/** A gate worker process (gate-worker.ts) and the lines it prints, one at a time. */
export interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  nextLine(): Promise<string>;
}

export function startWorker(task: GateWorkerTask): Worker {
  const script = fileURLToPath(new URL('./gate-worker.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(task)]);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  const waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(line);
    else lines.push(line);
  });
  child.on('exit', (code) => {
    if (code !== 0) for (const waiter of waiting.splice(0)) waiter.reject(new Error(`gate worker exited with ${code}: ${stderr.slice(0, 2_000)}`));
  });
  return {
    child,
    nextLine: () =>
      lines.length > 0
        ? Promise.resolve(lines.shift()!)
        : new Promise((resolve, reject) => {
            if (child.exitCode !== null) reject(new Error(`gate worker exited with ${child.exitCode}: ${stderr.slice(0, 2_000)}`));
            else waiting.push({ resolve, reject });
          }),
  };
}

export async function raceAcrossProcesses(target: StoreTarget, label: string): Promise<void> {
  const { store, close } = await openStore(target);
  const users = Array.from({ length: ROUNDS }, (_, round) => `verify-${run}-${label}-${round}`);
  const plans = plansFor(users, await enrollAll(store, users), label);
  const workers = Array.from({ length: PROCESSES }, (_, index) =>
    startWorker({
      target,
      servers: SERVERS_PER_PROCESS,
      plans,
      verifies: VERIFIES / PROCESSES,
      postpones: POSTPONES / PROCESSES,
      name: `p${index}`,
    }),
  );
  try {
    for (const worker of workers) expect(await worker.nextLine()).toBe('ready');
    for (let round = 0; round < ROUNDS; round++) {
      const startAt = Date.now() + 20;
      for (const worker of workers) worker.child.stdin.write(`${startAt}\n`);
      const verify: Tally = {};
      const postpone: Tally = {};
      for (const worker of workers) {
        const report = JSON.parse(await worker.nextLine()) as { round: number; verify: Tally; postpone: Tally };
        expect(report.round).toBe(round);
        add(verify, report.verify);
        add(postpone, report.postpone);
      }
      expectRound(round, verify, postpone);
    }
  } finally {
    for (const worker of workers) worker.child.stdin.end();
    await Promise.all(workers.map((worker) => new Promise((resolve) => (worker.child.exitCode !== null ? resolve(null) : worker.child.on('exit', resolve)))));
    await close();
  }
}


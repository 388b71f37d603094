// A separate Node process running gates on a shared store, for
// gate-races.test.ts. Protocol: prints "ready"; then for each line on stdin
// (a start time in epoch ms) fires one round and prints its tallies as JSON.
import { createInterface } from 'node:readline';
import { fireRound, gateOn, RACE_AT, type RoundPlan } from './gate-rig.js';
import { openStore, type StoreTarget } from './targets.js';

export interface GateWorkerTask {
  readonly target: StoreTarget;
  /** Application servers in this process, each with its own connection. */
  readonly servers: number;
  readonly plans: readonly RoundPlan[];
  readonly verifies: number;
  readonly postpones: number;
  readonly name: string;
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '') as GateWorkerTask;
  const opened = await Promise.all(Array.from({ length: task.servers }, () => openStore(task.target)));
  const gates = opened.map(({ store }) => gateOn(store, RACE_AT));
  try {
    process.stdout.write('ready\n');
    let round = 0;
    for await (const line of createInterface({ input: process.stdin })) {
      const startAt = Number(line);
      while (Date.now() < startAt) {
        // spin: timers are too coarse to start processes together
      }
      const plan = task.plans[round]!;
      const tallies = await fireRound(gates, plan, task.verifies, task.postpones, `${task.name}-r${round}`);
      process.stdout.write(`${JSON.stringify({ round, ...tallies })}\n`);
      if (++round === task.plans.length) break;
    }
  } finally {
    await Promise.all(opened.map(({ close }) => close()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

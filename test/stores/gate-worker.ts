// A separate Node process running gates on a shared store, for the gate-level
// race tests. It prints "ready", then answers each line on stdin with one
// line of JSON. Two modes:
// - rounds (gate-races*.test.ts): a line is a start time in epoch ms; the
//   worker fires that round's verifies and postpones and prints their tallies;
// - commands (the second edition's races): a line is {"startAt", "commands"};
//   the worker fires the commands at once, command i on server i (mod the
//   servers), and prints each one's outcome and the compare-and-sets lost.
import { createInterface } from 'node:readline';
import { fireRound, gateOn, RACE_AT, racingServer, type CommandOutcome, type GateCommand, type RoundPlan } from './gate-rig.js';
import { openStore, type StoreTarget } from './targets.js';

export interface RoundsTask {
  readonly mode?: 'rounds';
  readonly target: StoreTarget;
  /** Application servers in this process, each with its own connection. */
  readonly servers: number;
  readonly plans: readonly RoundPlan[];
  readonly verifies: number;
  readonly postpones: number;
  readonly name: string;
}

export interface CommandsTask {
  readonly mode: 'commands';
  readonly target: StoreTarget;
  /** Application servers in this process, each with its own connection. */
  readonly servers: number;
  /** The servers' clock, fixed (epoch ms). */
  readonly now: number;
}

export type GateWorkerTask = RoundsTask | CommandsTask;

/** One line to a worker in commands mode. */
export interface CommandsLine {
  readonly startAt: number;
  readonly commands: readonly GateCommand[];
}

/** A worker's answer to a {@link CommandsLine}. */
export interface CommandsReport {
  readonly outcomes: CommandOutcome[];
  /** Compare-and-sets its servers lost during these commands. */
  readonly lost: number;
}

function spinUntil(startAt: number): void {
  while (Date.now() < startAt) {
    // spin: timers are too coarse to start processes together
  }
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '') as GateWorkerTask;
  const opened = await Promise.all(Array.from({ length: task.servers }, () => openStore(task.target)));
  try {
    // The parent writes only after "ready", and each interface is made right
    // before it is read, so no line is emitted with nobody listening.
    const lines = () => createInterface({ input: process.stdin });
    if (task.mode === 'commands') {
      const servers = opened.map(({ store }) => racingServer(store, task.now));
      const lost = () => servers.reduce((sum, server) => sum + server.lost(), 0);
      process.stdout.write('ready\n');
      for await (const line of lines()) {
        if (line.trim() === '') continue;
        const { startAt, commands } = JSON.parse(line) as CommandsLine;
        const before = lost();
        spinUntil(startAt);
        const outcomes = await Promise.all(commands.map((command, i) => servers[i % servers.length]!.run(command)));
        const report: CommandsReport = { outcomes, lost: lost() - before };
        process.stdout.write(`${JSON.stringify(report)}\n`);
      }
      return;
    }
    const gates = opened.map(({ store }) => gateOn(store, RACE_AT));
    process.stdout.write('ready\n');
    let round = 0;
    for await (const line of lines()) {
      spinUntil(Number(line));
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

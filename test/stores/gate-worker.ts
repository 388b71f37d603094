// A separate Node process running gates on a shared store, for the gate-level
// race tests. It prints "ready", then answers each line on stdin with one
// line of JSON. Two modes:
// - rounds (gate-races*.test.ts): a line is a start time in epoch ms; the
//   worker fires that round's verifies and postpones and prints their tallies;
// - commands (the second edition's races): a line {"open": target} opens a
//   store target (one connection, one server) and is answered {"opened":
//   true}; a line {"startAt", "target", "commands"} fires the commands at
//   once on that target's server and prints each one's outcome and the
//   compare-and-sets lost. One process serves every target of a test file.
import { createInterface } from 'node:readline';
import { fireRound, gateOn, RACE_AT, racingServer, type CommandOutcome, type GateCommand, type RacingServer, type RoundPlan } from './gate-rig.js';
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
  /** The servers' clock, fixed (epoch ms). */
  readonly now: number;
}

export type GateWorkerTask = RoundsTask | CommandsTask;

/** One line to a worker in commands mode. */
export type CommandsLine =
  | { readonly open: StoreTarget }
  | { readonly startAt: number; readonly target: StoreTarget; readonly commands: readonly GateCommand[] };

/** A worker's answer to a {@link CommandsLine}. */
export interface CommandsReport {
  readonly outcomes: CommandOutcome[];
  /** Compare-and-sets its server lost during these commands. */
  readonly lost: number;
}

function spinUntil(startAt: number): void {
  while (Date.now() < startAt) {
    // spin: timers are too coarse to start processes together
  }
}

async function serveCommands(task: CommandsTask): Promise<void> {
  const servers = new Map<string, RacingServer>();
  const closers: Array<() => Promise<void>> = [];
  try {
    process.stdout.write('ready\n');
    for await (const text of createInterface({ input: process.stdin })) {
      if (text.trim() === '') continue;
      const line = JSON.parse(text) as CommandsLine;
      if ('open' in line) {
        const key = JSON.stringify(line.open);
        if (!servers.has(key)) {
          const { store, close } = await openStore(line.open);
          closers.push(close);
          servers.set(key, racingServer(store, task.now));
        }
        process.stdout.write(`${JSON.stringify({ opened: true })}\n`);
        continue;
      }
      const server = servers.get(JSON.stringify(line.target));
      if (server === undefined) throw new Error('commands for a target that was not opened');
      const before = server.lost();
      spinUntil(line.startAt);
      const outcomes = await Promise.all(line.commands.map((command) => server.run(command)));
      const report: CommandsReport = { outcomes, lost: server.lost() - before };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
  } finally {
    await Promise.all(closers.map((close) => close()));
  }
}

async function serveRounds(task: RoundsTask): Promise<void> {
  const opened = await Promise.all(Array.from({ length: task.servers }, () => openStore(task.target)));
  const gates = opened.map(({ store }) => gateOn(store, RACE_AT));
  try {
    process.stdout.write('ready\n');
    let round = 0;
    for await (const line of createInterface({ input: process.stdin })) {
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

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '') as GateWorkerTask;
  await (task.mode === 'commands' ? serveCommands(task) : serveRounds(task));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

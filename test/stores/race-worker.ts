// A separate Node process that races other processes on one user of a shared
// store. Run by test/stores/races.ts as
//   node --import tsx test/stores/race-worker.ts '<json WorkerTask>'
// and prints one JSON line with what it observed.
import { incrementCounter } from './contract.js';
import { openStore, type StoreTarget } from './targets.js';

export interface WorkerTask {
  readonly target: StoreTarget;
  readonly userId: string;
  /** 'rounds': in each round fire `parallel` CAS calls for the same version; 'increment': counter loops. */
  readonly mode: 'rounds' | 'increment';
  readonly rounds?: number;
  readonly parallel: number;
  /** Increments per loop in 'increment' mode. */
  readonly increments?: number;
  /** Rounds are `slotMs` apart from the start time the parent sends on stdin. */
  readonly slotMs?: number;
}

export interface WorkerReport {
  readonly pid: number;
  /** 'rounds': wins per round. */
  readonly wins?: number[];
  /** 'rounds': when this process's burst started and ended, per round (epoch ms). */
  readonly spans?: Array<[number, number]>;
  /** 'increment': conflicts met. */
  readonly conflicts?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '') as WorkerTask;
  const { store, close } = await openStore(task.target);
  // Barrier: tell the parent this process is up, and wait for the common
  // start time (booting tsx takes seconds on a busy machine).
  process.stdout.write('ready\n');
  const startAt = await new Promise<number>((resolve) => {
    let input = '';
    process.stdin.on('data', (chunk: Buffer) => {
      input += chunk.toString();
      if (input.includes('\n')) resolve(Number(input.trim()));
    });
  });
  process.stdin.destroy();
  try {
    let report: WorkerReport;
    if (task.mode === 'rounds') {
      const wins: number[] = [];
      const spans: Array<[number, number]> = [];
      for (let round = 1; round <= (task.rounds ?? 1); round++) {
        const fireAt = startAt + round * (task.slotMs ?? 100);
        // Timers are coarse; spin the last milliseconds so all processes fire together.
        await sleep(Math.max(0, fireAt - Date.now() - 5));
        while (Date.now() < fireAt) {
          // spin
        }
        // Round r writes over version r; a process that is early waits for the
        // previous round's winner so that every round is a real race.
        for (let polls = 0; ((await store.get(task.userId))?.version ?? 0) < round; polls++) {
          if (polls > 2_000) throw new Error(`round ${round} never started`);
          await sleep(2);
        }
        const started = Date.now();
        const results = await Promise.all(
          Array.from({ length: task.parallel }, (_, index) =>
            store.compareAndSet(task.userId, round, { resetRequest: null, round, winner: `${process.pid}:${index}` }),
          ),
        );
        spans.push([started, Date.now()]);
        wins.push(results.filter(Boolean).length);
      }
      report = { pid: process.pid, wins, spans };
    } else {
      await sleep(Math.max(0, startAt - Date.now()));
      const loops = Array.from({ length: task.parallel }, async () => {
        let conflicts = 0;
        for (let i = 0; i < (task.increments ?? 1); i++) conflicts += await incrementCounter(store, task.userId);
        return conflicts;
      });
      report = { pid: process.pid, conflicts: (await Promise.all(loops)).reduce((a, b) => a + b, 0) };
    }
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

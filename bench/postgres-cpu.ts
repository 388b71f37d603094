// Where a verify's time goes on PostgreSQL: CPU per verify of this Node
// process and of the PostgreSQL backends serving it, for 64 users logging
// in side by side, in three set-ups run in turn on one server:
//   first-release table   the table as the first release created it (no storage settings)
//   default               the table as migrate() makes it now
//   prepared              the same, with the store's `prepared` option
// and the database's floor (bare conditional UPDATEs through the same pool),
// and the gate alone on the memory store (no I/O) for its own share.
// CPU time is steadier than throughput on a machine shared with other work;
// on a CPU-bound machine the rate follows the two added together.
// PostgreSQL's side is read from /proc/<pid>/stat of the pool's backends
// (found by application_name), so it needs the server on this machine;
// without that the column says "n/a".
// Run: OTPGATE_PG_URL=postgres://... npx tsx bench/postgres-cpu.ts [rounds]
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { totp } from '../src/core/totp.js';
import { createGate, type Gate } from '../src/gate/gate.js';
import type { MfaStore } from '../src/seams/store.js';
import { createMemoryStore } from '../src/stores/memory.js';
import { createPostgresStore } from '../src/stores/postgres.js';

const url = process.env['OTPGATE_PG_URL'];
if (!url) {
  console.log('bench/postgres-cpu.ts: OTPGATE_PG_URL is not set');
  process.exit(0);
}
const STEP = 30_000;
const T0 = Date.UTC(2030, 0, 1) + 15_000;
const USERS = 64;
const LOGINS = 1_024;
const ROUNDS = Number(process.argv[2] ?? 3);
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const applicationName = `otpgate_bench_cpu_${run}`;
const pool = new pg.Pool({ connectionString: url, max: 16, application_name: applicationName });
pool.on('error', () => {});

/** CPU microseconds the pool's backends have used so far, or NaN when their /proc entries cannot be read. */
async function backendCpu(): Promise<number> {
  const { rows } = await pool.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
  let ticks = 0;
  for (const { pid } of rows as Array<{ pid: number }>) {
    try {
      // Fields after the command name: state is the 1st, utime the 12th, stime the 13th (clock ticks of 10 ms).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return NaN;
    }
  }
  return ticks * 10_000;
}

interface Sample {
  rate: number;
  p99: number;
  nodeUs: number;
  pgUs: number;
}

/** Runs `step` for every user in turn, `LOGINS / USERS` times each, all users at once. */
async function measure(
  onPostgres: boolean,
  users: readonly string[],
  step: (user: number, login: number) => Promise<void>,
): Promise<Sample> {
  const perUser = LOGINS / users.length;
  const latencies: number[] = [];
  // Warm the backends' CPU reading (a connection opened during the run would be missed).
  await Promise.all(Array.from({ length: 16 }, () => pool.query('SELECT 1')));
  const pg0 = await backendCpu();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    users.map(async (_, user) => {
      for (let login = 1; login <= perUser; login++) {
        const began = performance.now();
        await step(user, login);
        latencies.push(performance.now() - began);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pgUs = onPostgres ? (await backendCpu()) - pg0 : NaN;
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / seconds,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
    nodeUs: (cpu.user + cpu.system) / latencies.length,
    pgUs: pgUs / latencies.length,
  };
}

function gateAt(store: MfaStore): { gate: Gate; at(now: number): Gate } {
  let now = T0;
  const gate = createGate({
    store,
    issuer: 'Bench',
    clock: { now: () => now },
    directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
    notifier: { notify: async () => {} },
  });
  return { gate, at: (value) => ((now = value), gate) };
}

const SETUPS = ['first-release table', 'default', 'prepared'] as const;
type Setup = (typeof SETUPS)[number] | 'floor' | 'memory store';
const stores = new Map<Setup, MfaStore>([['memory store', createMemoryStore()]]);
const tables: string[] = [];
for (const setup of SETUPS) {
  const table = `otpgate_bench_cpu_${run}_${tables.length}`;
  tables.push(table);
  const store = createPostgresStore({ client: pool, table, prepared: setup === 'prepared' });
  await store.migrate();
  if (setup === 'first-release table') await pool.query(`ALTER TABLE "${table}" RESET (fillfactor, toast_tuple_target)`);
  stores.set(setup, store);
}
const floorTable = `"otpgate_bench_cpu_${run}_floor"`;
await pool.query(`CREATE TABLE ${floorTable} (user_id text PRIMARY KEY, version bigint NOT NULL, record json NOT NULL)`);
const floorRecord = JSON.stringify({ resetRequest: null, bench: 'x'.repeat(400) });

async function once(setup: Setup, round: number): Promise<Sample> {
  const users = Array.from({ length: USERS }, (_, i) => `r${round}-u${i}`);
  if (setup === 'floor') {
    await pool.query(`INSERT INTO ${floorTable} SELECT unnest($1::text[]), 1, $2::json`, [users, floorRecord]);
    return measure(true, users, async (user, login) => {
      const { rowCount } = await pool.query(
        `UPDATE ${floorTable} SET record = $3::json, version = version + 1 WHERE user_id = $1 AND version = $2`,
        [users[user], login, floorRecord],
      );
      if (rowCount !== 1) throw new Error('the floor lost an uncontended update');
    });
  }
  const store = stores.get(setup)!;
  const onPostgres = setup !== 'memory store';
  const secrets = await Promise.all(
    users.map(async (userId) => {
      const { gate } = gateAt(store);
      const { secret } = await gate.beginEnrollment(userId);
      if (!(await gate.confirmEnrollment(userId, totp(secret, { now: T0 }))).ok) throw new Error('enrollment failed');
      return secret;
    }),
  );
  const gates = users.map(() => gateAt(store));
  return measure(onPostgres, users, async (user, login) => {
    const now = T0 + login * STEP;
    const result = await gates[user]!.at(now).verify(users[user]!, totp(secrets[user]!, { now }));
    if (!result.ok) throw new Error(`verify refused: ${result.reason}`);
  });
}

const samples = new Map<Setup, Sample[]>();
try {
  // A first round warms the JIT and the connections; it is not counted.
  for (let round = 0; round <= ROUNDS; round++) {
    for (const setup of [...SETUPS, 'floor', 'memory store'] as const) {
      const sample = await once(setup, round);
      if (round > 0) samples.set(setup, [...(samples.get(setup) ?? []), sample]);
    }
  }
} finally {
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool.query(`DROP TABLE IF EXISTS ${floorTable}`);
  await pool.end();
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const pad = (value: string | number, width: number) => String(value).padStart(width);
const floorRates = samples.get('floor')!.map((sample) => sample.rate);
console.log(`\ngate.verify, ${USERS} users at once on a Pool of 16 (Node ${process.version}; medians of ${ROUNDS} rounds)`);
console.log(`${'set-up'.padEnd(20)} ${pad('verify/s', 9)} ${pad('p99 ms', 8)} ${pad('of floor', 8)} ${pad('Node µs', 8)} ${pad('PG µs', 8)} ${pad('sum µs', 8)}`);
for (const setup of [...SETUPS, 'floor', 'memory store'] as const) {
  const list = samples.get(setup)!;
  // The share of the floor is taken per round (the floor ran right after), then the median.
  const share = setup === 'floor' || setup === 'memory store' ? '' : `${Math.round(100 * median(list.map((sample, i) => sample.rate / floorRates[i]!)))}%`;
  const nodeUs = median(list.map((sample) => sample.nodeUs));
  const pgUs = median(list.map((sample) => sample.pgUs));
  const none = setup === 'memory store' ? '-' : 'n/a'; // no database, or its CPU could not be read
  console.log(
    `${(setup === 'floor' ? 'floor: bare UPDATE' : setup).padEnd(20)} ${pad(Math.round(median(list.map((s) => s.rate))), 9)} ${pad(median(list.map((s) => s.p99)).toFixed(1), 8)} ${pad(share, 8)} ${pad(Math.round(nodeUs), 8)} ${pad(Number.isNaN(pgUs) ? none : Math.round(pgUs), 8)} ${pad(Number.isNaN(pgUs) ? none : Math.round(nodeUs + pgUs), 8)}`,
  );
}

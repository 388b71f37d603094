// Gate-level races on the memory, SQLite and PostgreSQL stores (Redis:
// gate-races-redis.test.ts; Kysely and Drizzle: gate-races-sql.test.ts): the
// first edition's (gate-race-harness.ts) and the second edition's
// (second-edition-race-harness.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { createMemoryStore } from '../../src/stores/memory.js';
import {
  expectRound, plansFor, POSTPONES, PROCESSES, raceAcrossProcesses, ROUNDS, run, SERVERS_PER_PROCESS, VERIFIES,
} from './gate-race-harness.js';
import { enrollAll, fireRound, gateOn, RACE_AT } from './gate-rig.js';
import { describeSecondEditionRaces, inProcessPair, processSetup, workerPair } from './second-edition-race-harness.js';

const pgUrl = process.env['OTPGATE_PG_URL'];
if (!pgUrl) console.warn('test/stores/gate-races.test.ts: postgres SKIPPED, OTPGATE_PG_URL is not set');

const dir = mkdtempSync(join(tmpdir(), 'otpgate-gate-races-'));
const table = `otpgate_t_${run}_gate`;
const workers = workerPair();

afterAll(async () => {
  await workers.close();
  rmSync(dir, { recursive: true, force: true });
  if (pgUrl) {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS "${table}"`);
    await client.end();
  }
});

describe(`gate races: ${ROUNDS} rounds of ${VERIFIES} verifies of one code and ${POSTPONES} postpones with two allowed`, () => {
  it('memory store, four gates in one process', async () => {
    const store = createMemoryStore();
    const users = Array.from({ length: ROUNDS }, (_, round) => `verify-${round}`);
    const plans = plansFor(users, await enrollAll(store, users), 'memory');
    const gates = Array.from({ length: 4 }, () => gateOn(store, RACE_AT));
    for (const [round, plan] of plans.entries()) {
      const { verify, postpone } = await fireRound(gates, plan, VERIFIES, POSTPONES, `r${round}`);
      expectRound(round, verify, postpone);
    }
  });

  it(`sqlite, ${PROCESSES} processes × ${SERVERS_PER_PROCESS} connections on one WAL file`, async () => {
    await raceAcrossProcesses({ kind: 'sqlite', file: join(dir, 'gate.db'), table: 'gate' }, 'sqlite');
  }, 120_000);

  it.skipIf(!pgUrl)(`postgres, ${PROCESSES} processes × ${SERVERS_PER_PROCESS} pools`, async () => {
    await raceAcrossProcesses({ kind: 'postgres', url: pgUrl!, table }, 'postgres');
  }, 120_000);

  it.skipIf(!pgUrl)(`postgres with batch: true, ${PROCESSES} processes × ${SERVERS_PER_PROCESS} pools`, async () => {
    await raceAcrossProcesses({ kind: 'postgres', url: pgUrl!, table, batch: true }, 'postgres-batch');
  }, 120_000);
});

describeSecondEditionRaces('memory store, two gates in one process', async () => {
  const store = createMemoryStore();
  return { store, pair: inProcessPair(store), close: async () => {} };
});

describeSecondEditionRaces(`sqlite, ${PROCESSES} processes on one WAL file`, () =>
  processSetup(workers, { kind: 'sqlite', file: join(dir, 'gate.db'), table: 'gate' }),
);

if (pgUrl) describeSecondEditionRaces(`postgres, ${PROCESSES} processes`, () => processSetup(workers, { kind: 'postgres', url: pgUrl, table }));
if (pgUrl) {
  describeSecondEditionRaces(`postgres with batch: true, ${PROCESSES} processes`, () =>
    processSetup(workers, { kind: 'postgres', url: pgUrl, table, batch: true }),
  );
}

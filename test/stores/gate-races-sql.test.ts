// Gate-level races on the Kysely and Drizzle stores, on PostgreSQL, MariaDB
// and SQLite. See gate-race-harness.ts (first edition) and
// second-edition-race-harness.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { POSTPONES, PROCESSES, raceAcrossProcesses, ROUNDS, run, SERVERS_PER_PROCESS, VERIFIES } from './gate-race-harness.js';
import { locationOf } from './sql-clients.js';
import { openAdmin, warnIfSkipped } from './sql-suite.js';
import { describeSecondEditionRaces, processSetup, workerPair } from './second-edition-race-harness.js';

warnIfSkipped('test/stores/gate-races-sql.test.ts');

const dir = mkdtempSync(join(tmpdir(), 'otpgate-gate-races-sql-'));
const tableOf = (builder: string) => `otpgate_t_${run}_gate_${builder}`;
const workers = workerPair();

afterAll(async () => {
  await workers.close();
  rmSync(dir, { recursive: true, force: true });
  for (const dialect of ['postgres', 'mysql'] as const) {
    const location = locationOf(dialect, '');
    if (location === undefined) continue;
    const admin = await openAdmin(dialect, location);
    const q = dialect === 'mysql' ? '`' : '"';
    for (const builder of ['kysely', 'drizzle']) await admin.query(`DROP TABLE IF EXISTS ${q}${tableOf(builder)}${q}`);
    await admin.close();
  }
});

describe(`gate races on the query-builder stores: ${ROUNDS} rounds of ${VERIFIES} verifies of one code and ${POSTPONES} postpones with two allowed`, () => {
  for (const builder of ['kysely', 'drizzle'] as const) {
    for (const dialect of ['postgres', 'mysql', 'sqlite'] as const) {
      const location = locationOf(dialect, join(dir, `${builder}.db`));
      it.skipIf(location === undefined)(`${builder} on ${dialect}, ${PROCESSES} processes × ${SERVERS_PER_PROCESS} pools`, async () => {
        await raceAcrossProcesses({ kind: builder, dialect, location: location!, table: tableOf(builder) }, `${builder}-${dialect}`);
      }, 180_000);
    }
  }
});

for (const builder of ['kysely', 'drizzle'] as const) {
  for (const dialect of ['postgres', 'mysql', 'sqlite'] as const) {
    const location = locationOf(dialect, join(dir, `${builder}.db`));
    if (location === undefined) continue;
    describeSecondEditionRaces(
      `${builder} on ${dialect}, ${PROCESSES} processes`,
      () => processSetup(workers, { kind: builder, dialect, location, table: tableOf(builder) }),
      { rounds: 20 },
    );
  }
}

// A PostgreSQL store on a table of its own, migrated, dropped with its pool
// by `cleanup`: for test files that open one per test.
import pg from 'pg';
import { createPostgresStore, type PostgresStore } from '../../src/stores/postgres.js';

let serial = 0;

export async function freshPostgresStore(url: string, label: string, cleanups: Array<() => Promise<void>>, max = 4): Promise<PostgresStore> {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {});
  const table = `otpgate_${label}_${Date.now().toString(36)}_${serial++}`;
  cleanups.push(async () => {
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  });
  const store = createPostgresStore({ client: pool, table });
  await store.migrate();
  return store;
}

// The PostgreSQL store's `batch` option on a real server: calls made together
// become one statement each way, every compare-and-set still decides row by
// row, and batches of many servers never deadlock. The store contract and the
// cross-process races run on it in postgres.test.ts and gate-races.test.ts.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { isOtpError } from '../../src/errors.js';
import type { MfaRecord } from '../../src/seams/store.js';
import { createPostgresStore, type PgQueryable, type PostgresStore } from '../../src/stores/postgres.js';
import { enrollAll, ENROLLED_AT, gateOn } from './gate-rig.js';

const url = process.env['OTPGATE_PG_URL'];
if (!url) console.warn('test/stores/postgres-batch.test.ts: SKIPPED, OTPGATE_PG_URL is not set');

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const tables: string[] = [];
const pools: pg.Pool[] = [];

/** A pool that counts the statements sent through it, by their first words. */
function countingPool(max = 8): { client: PgQueryable; statements: string[] } {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {});
  pools.push(pool);
  const statements: string[] = [];
  return {
    statements,
    client: {
      query: (text: string, values?: unknown[]) => {
        statements.push(text.split(' ').slice(0, 2).join(' '));
        return pool.query(text, values);
      },
    },
  };
}

async function freshStore(label: string, options: { batch?: boolean; prepared?: boolean; max?: number } = {}) {
  const table = `otpgate_t_${run}_${label}`;
  tables.push(table);
  const { client, statements } = countingPool(options.max);
  const store = createPostgresStore({ client, table, batch: options.batch ?? true });
  await store.migrate();
  statements.length = 0;
  return { store, statements, table, client };
}

const users = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
const recordOf = (n: number): MfaRecord => ({ resetRequest: null, n });

async function seed(store: PostgresStore, ids: readonly string[]): Promise<void> {
  for (const id of ids) expect(await store.compareAndSet(id, null, recordOf(0))).toBe(true);
}

describe('postgres store batch option', () => {
  it('is a boolean: anything else is ERR_OPTIONS, with no I/O', () => {
    const client: PgQueryable = { query: async () => expect.unreachable('no I/O in the factory') };
    // As for `prepared`, null counts as not given.
    for (const value of ['yes', 1, {}]) {
      expect(() => createPostgresStore({ client, batch: value as never })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS', message: 'postgres store: batch must be a boolean' }));
    }
    expect(createPostgresStore({ client, batch: true }).table).toBe('otpgate_mfa');
  });
});

describe.skipIf(!url)('postgres store with batch: true', () => {
  afterAll(async () => {
    for (const table of tables) {
      await pools[0]?.query(`DROP TABLE IF EXISTS "${table}"`);
      await pools[0]?.query(`DROP FUNCTION IF EXISTS "${table}_slow"()`);
    }
    await Promise.all(pools.map((pool) => pool.end()));
  });

  it('64 gets and 64 updates made together are one SELECT and one UPDATE, each answer its own user', async () => {
    const { store, statements } = await freshStore('one');
    const ids = users(64);
    await seed(store, ids);
    statements.length = 0;
    const found = await Promise.all([...ids.map((id) => store.get(id)), store.get('nobody')]);
    expect(statements).toEqual(['SELECT user_id,']);
    expect(found.at(-1)).toBeNull();
    for (const [i, id] of ids.entries()) expect(found[i], id).toEqual({ record: recordOf(0), version: 1 });

    statements.length = 0;
    // Half at the version they hold, half at a stale one.
    const written = await Promise.all(ids.map((id, i) => store.compareAndSet(id, i % 2 === 0 ? 1 : 7, recordOf(i))));
    expect(statements).toEqual(['WITH v']);
    expect(written).toEqual(ids.map((_, i) => i % 2 === 0));
    for (const [i, id] of ids.entries()) {
      expect(await store.get(id), id).toEqual(i % 2 === 0 ? { record: recordOf(i), version: 2 } : { record: recordOf(0), version: 1 });
    }
  });

  it('a lone call takes the single-row statements', async () => {
    const { store, statements } = await freshStore('lone');
    await seed(store, ['alice']);
    statements.length = 0;
    expect(await store.get('alice')).toEqual({ record: recordOf(0), version: 1 });
    expect(await store.compareAndSet('alice', 1, recordOf(1))).toBe(true);
    expect(await store.compareAndSet('alice', 1, recordOf(2))).toBe(false);
    expect(statements.map((text) => text.split(' ')[0])).toEqual(['SELECT', 'UPDATE', 'UPDATE']);
    expect(statements[0]).toBe('SELECT version::text');
  });

  it('more than 256 calls at once go in statements of 256', async () => {
    const { store, statements } = await freshStore('many');
    const ids = users(300);
    await seed(store, ids);
    statements.length = 0;
    const found = await Promise.all(ids.map((id) => store.get(id)));
    expect(found.every((entry) => entry?.version === 1)).toBe(true);
    expect(statements).toEqual(['SELECT user_id,', 'SELECT user_id,']);
  });

  it('one user twice in one batch: at the same version exactly one wins; the second at the next version wins after the first', async () => {
    const { store, statements } = await freshStore('twice');
    await seed(store, ['alice', 'bob']);
    statements.length = 0;
    const [a, b, c] = await Promise.all([
      store.compareAndSet('alice', 1, recordOf(1)),
      store.compareAndSet('alice', 1, recordOf(2)),
      store.compareAndSet('bob', 1, recordOf(3)),
    ]);
    expect([a, b, c]).toEqual([true, false, true]);
    // The repeat ran alone, after the batch, as a single-row UPDATE.
    expect(statements).toHaveLength(2);
    expect(statements[0]).toBe('WITH v');
    expect(statements[1]).toMatch(/^UPDATE "/);
    expect(await store.get('alice')).toEqual({ record: recordOf(1), version: 2 });

    const [d, e] = await Promise.all([store.compareAndSet('alice', 2, recordOf(4)), store.compareAndSet('alice', 3, recordOf(5))]);
    expect([d, e]).toEqual([true, true]);
    expect(await store.get('alice')).toEqual({ record: recordOf(5), version: 4 });
  });

  it('two servers batching over the same users in opposite orders: no deadlock, exactly one winner per user and round', async () => {
    const { store: first, table, client } = await freshStore('cross', { max: 4 });
    const second = createPostgresStore({ client: countingPool(4).client, table, batch: true });
    const ids = users(40);
    await seed(first, ids);
    // On a table this large PostgreSQL updates the rows in the order the batch
    // lists them (an index scan per row), as on a real user table; on a tiny
    // one it would scan the table in one order for both servers.
    await client.query(`INSERT INTO "${table}" (user_id, version, record) SELECT 'filler-' || g, 1, '{}' FROM generate_series(1, 50000) g`);
    await client.query(`ANALYZE "${table}"`);
    // Each row's update takes a millisecond, so the two servers' statements overlap.
    await client.query(`CREATE FUNCTION "${table}_slow"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN NEW; END $$`);
    await client.query(`CREATE TRIGGER slow BEFORE UPDATE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "${table}_slow"()`);
    for (let round = 1; round <= 8; round++) {
      const forward = ids.map((id) => first.compareAndSet(id, round, recordOf(round * 10 + 1)));
      const backward = [...ids].reverse().map((id) => second.compareAndSet(id, round, recordOf(round * 10 + 2)));
      const [one, two] = await Promise.all([Promise.all(forward), Promise.all(backward)]);
      two.reverse();
      for (const [i, id] of ids.entries()) {
        expect(Number(one[i]) + Number(two[i]), `${id} in round ${round}`).toBe(1);
        const { version, record } = (await first.get(id))!;
        expect(version).toBe(round + 1);
        expect(record).toEqual(recordOf(round * 10 + (one[i] ? 1 : 2)));
      }
    }
  }, 60_000);

  it('an unreadable row fails only its own user\'s get; a failed statement fails each call with its own ERR_STORE', async () => {
    const { store, table, client } = await freshStore('bad');
    await seed(store, ['good', 'bad']);
    // A version past 2^53 cannot be read exactly: the store refuses the row.
    await client.query(`UPDATE "${table}" SET version = 9007199254740993 WHERE user_id = 'bad'`);
    const [good, bad] = await Promise.all([store.get('good').then((v) => v, (e) => e), store.get('bad').then((v) => v, (e) => e)]);
    expect(good).toEqual({ record: recordOf(0), version: 1 });
    expect(isOtpError(bad) && bad.code).toBe('ERR_STORE');

    await client.query(`DROP TABLE "${table}"`);
    const failures = await Promise.all([store.get('good'), store.compareAndSet('good', 1, recordOf(1)), store.compareAndSet('bad', 1, recordOf(1))].map((call) => call.then(() => null, (e: unknown) => e)));
    for (const failure of failures) expect(isOtpError(failure) && failure.code).toBe('ERR_STORE');
    expect(new Set(failures).size).toBe(3);
  });

  it('the gate: 64 users logging in at once are answered ok, with a couple of statements instead of 128', async () => {
    const { store, statements } = await freshStore('gate');
    const ids = users(64, 'login');
    const secrets = await enrollAll(store, ids);
    const later = ENROLLED_AT + 60_000;
    const gate = gateOn(store, later);
    statements.length = 0;
    const results = await Promise.all(ids.map((id, i) => gate.verify(id, totp(secrets[i]!, { now: later }))));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(statements.length).toBeLessThanOrEqual(4);
    const again = await Promise.all(ids.map((id, i) => gate.verify(id, totp(secrets[i]!, { now: later }))));
    expect(again.every((result) => !result.ok && result.reason === 'replayed')).toBe(true);
  });
});

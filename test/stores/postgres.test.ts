import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import { createPostgresStore, schemaSql, type PgQueryable, type PostgresStore } from '../../src/stores/postgres.js';
import { describeStoreContract } from './contract.js';
import { itRacesAcrossProcesses } from './races.js';
import { totp } from '../../src/core/totp.js';
import { enrollAll, ENROLLED_AT, gateOn } from './gate-rig.js';
import { proxyFor } from './tcp-proxy.js';

const url = process.env['OTPGATE_PG_URL'];
if (!url) {
  console.warn(
    'test/stores/postgres.test.ts: SKIPPED, OTPGATE_PG_URL is not set (for example postgres://postgres@127.0.0.1:5432/test)',
  );
}

// Every table of this run has its own name: other engineers run these tests
// on the same server at the same time.
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const tableOf = (label: string) => `otpgate_t_${run}_${label}`;
const tables = new Set<string>();
const pools: pg.Pool[] = [];

function newPool(config: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 8, ...config });
  // An idle client whose backend is killed emits 'error' on the pool; a host
  // must listen for it, and so must the tests.
  pool.on('error', () => {});
  pools.push(pool);
  return pool;
}

function storeOn(client: PgQueryable, label: string): PostgresStore {
  tables.add(tableOf(label));
  return createPostgresStore({ client, table: tableOf(label) });
}

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe.skipIf(!url)('postgres store', () => {
  let admin: pg.Client;
  const crossClient: PostgresStore[] = [];
  let pooled: PostgresStore;
  let prepared: PostgresStore;
  let batchedStore: PostgresStore;
  let batchedPrepared: PostgresStore;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    pooled = storeOn(newPool(), 'main');
    await pooled.migrate();
    for (let i = 0; i < 3; i++) crossClient.push(storeOn(newPool({ max: 4 }), 'main'));
    prepared = createPostgresStore({ client: newPool({ max: 4 }), table: tableOf('main'), prepared: true });
    batchedStore = createPostgresStore({ client: newPool({ max: 4 }), table: tableOf('main'), batch: true });
    batchedPrepared = createPostgresStore({ client: newPool({ max: 4 }), table: tableOf('main'), batch: true, prepared: true });
  });

  afterAll(async () => {
    for (const table of tables) await admin?.query(`DROP TABLE IF EXISTS "${table}"`);
    await admin?.end();
    await Promise.all(pools.map((pool) => pool.end()));
  });

  describeStoreContract('postgres (Pool)', () => pooled);
  let turn = 0;
  // Each call goes to another pool: versions written through one client are
  // checked through the others.
  describeStoreContract('postgres (three Pools, alternating)', () => crossClient[turn++ % 3]!);

  describeStoreContract('postgres (Pool, prepared statements)', () => prepared);

  describeStoreContract('postgres (Pool, batch)', () => batchedStore);
  describeStoreContract('postgres (Pool, batch and prepared statements)', () => batchedPrepared);

  it('prepared: each statement of a login is prepared once per connection, named after its table; a table dropped and created again is planned again', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const [first, second] = ['prep_a', 'prep_b'].map((label) => {
        tables.add(tableOf(label));
        return createPostgresStore({ client, table: tableOf(label), prepared: true });
      });
      for (const store of [first!, second!]) {
        await store.migrate();
        expect(await store.compareAndSet('alice', null, { resetRequest: null, n: 1 })).toBe(true);
        for (let n = 1; n <= 3; n++) {
          const found = await store.get('alice');
          expect(found).toEqual({ record: { resetRequest: null, n }, version: n });
          expect(await store.compareAndSet('alice', n, { resetRequest: null, n: n + 1 })).toBe(true);
          expect(await store.compareAndSet('alice', n, { resetRequest: null, n: 0 })).toBe(false);
        }
      }
      const { rows } = await client.query('SELECT name FROM pg_prepared_statements');
      expect(rows.map((row: { name: string }) => row.name).sort()).toEqual(
        ['prep_a', 'prep_b'].flatMap((label) => ['get', 'insert', 'update'].map((statement) => `otpgate_${statement}_${tableOf(label)}`)).sort(),
      );
      expect(Math.max(...rows.map((row: { name: string }) => row.name.length))).toBeLessThanOrEqual(63);

      await client.query(`DROP TABLE "${tableOf('prep_a')}"`);
      await first!.migrate();
      expect(await first!.get('alice')).toBeNull();
      expect(await first!.compareAndSet('alice', null, { resetRequest: { requestedAt: 1 } })).toBe(true);
      expect(await first!.get('alice')).toEqual({ record: { resetRequest: { requestedAt: 1 } }, version: 1 });
      expect((await first!.listOpenResets()).map((entry) => entry.userId)).toEqual(['alice']);
    } finally {
      await client.end();
    }
  });

  it('prepared is off by default: a client that takes only (text, values) gets only strings', async () => {
    const calls: unknown[][] = [];
    const client: PgQueryable = {
      query: async (...args: unknown[]) => (calls.push(args), { rowCount: 1, rows: [{ version: '1', record: '{"resetRequest":null}' }] }),
    };
    const store = createPostgresStore({ client });
    expect(await store.get('alice')).toEqual({ record: { resetRequest: null }, version: 1 });
    expect(await store.compareAndSet('alice', 1, { resetRequest: null })).toBe(true);
    expect(calls.map((args) => typeof args[0])).toEqual(['string', 'string']);
    for (const value of ['yes', 1, {}]) {
      expect(() => createPostgresStore({ client, prepared: value as never })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    }
  });

  it('accepts a Pool, a Client and a PoolClient by their shape alone', () => {
    const clients: PgQueryable[] = [new pg.Pool(), new pg.Client(), {} as pg.PoolClient];
    expect(clients).toHaveLength(3);
  });

  it("works on a single Client and on a PoolClient inside the host's own transaction", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const onClient = storeOn(client, 'main');
      const user = `client-${run}`;
      expect(await onClient.compareAndSet(user, null, { resetRequest: null, n: 1 })).toBe(true);
      expect(await onClient.compareAndSet(user, 1, { resetRequest: null, n: 2 })).toBe(true);
      expect(await pooled.get(user)).toEqual({ record: { resetRequest: null, n: 2 }, version: 2 });
    } finally {
      await client.end();
    }

    const pool = newPool({ max: 1 });
    const poolClient = await pool.connect();
    try {
      const inTransaction = storeOn(poolClient, 'main');
      const user = `pool-client-${run}`;
      await poolClient.query('BEGIN');
      expect(await inTransaction.compareAndSet(user, null, { resetRequest: null })).toBe(true);
      await poolClient.query('ROLLBACK');
      expect(await pooled.get(user)).toBeNull();
    } finally {
      poolClient.release();
    }
  });

  it('validates options and does no I/O in the factory', () => {
    const queries: string[] = [];
    createPostgresStore({ client: { query: async (text) => (queries.push(text), { rowCount: 0, rows: [] }) } });
    expect(queries).toEqual([]);
    for (const table of ['', '9t', 'a b', 'x"; DROP TABLE t; --', 'public.t', 'é', 'a'.repeat(49)]) {
      expect(() => createPostgresStore({ client: admin, table })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    }
    expect(() => createPostgresStore({ client: {} as PgQueryable })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(schemaSql()).toContain('CREATE TABLE IF NOT EXISTS "otpgate_mfa"');
  });

  it('migrate is idempotent and safe when many servers run it at once', async () => {
    const stores = Array.from({ length: 6 }, () => storeOn(newPool({ max: 2 }), 'migrate'));
    await Promise.all(stores.map((store) => store.migrate()));
    await stores[0]!.compareAndSet('alice', null, { resetRequest: null });
    await Promise.all(stores.map((store) => store.migrate()));
    expect((await stores[5]!.get('alice'))?.version).toBe(1);
    const { rows } = await admin.query('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname', [
      tableOf('migrate'),
    ]);
    expect(rows.map((row: { indexname: string }) => row.indexname)).toEqual([
      `${tableOf('migrate')}_pkey`,
      `${tableOf('migrate')}_reset_open`,
    ]);
  });

  /** The table's storage settings, as `name=value` strings. */
  async function settingsOf(label: string): Promise<string[]> {
    const { rows } = await admin.query('SELECT reloptions FROM pg_class WHERE oid = $1::regclass', [`"${tableOf(label)}"`]);
    return ((rows[0] as { reloptions: string[] | null }).reloptions ?? []).slice().sort();
  }

  /** Live rows in the table's TOAST table: the chunks of records stored out of line. */
  async function toastChunks(label: string): Promise<number> {
    const { rows } = await admin.query('SELECT reltoastrelid::regclass::text AS toast FROM pg_class WHERE oid = $1::regclass', [
      `"${tableOf(label)}"`,
    ]);
    const { rows: counted } = await admin.query(`SELECT count(*)::int AS n FROM ${(rows[0] as { toast: string }).toast}`);
    return (counted[0] as { n: number }).n;
  }

  // A record of about the size the gate writes (recovery codes, an event in
  // the outbox): just over PostgreSQL's 2 KB TOAST threshold.
  // Hex from a fixed generator: as incompressible as the real salts and hashes.
  const hex = (seed: number, length: number) => {
    let x = seed >>> 0;
    let out = '';
    while (out.length < length) {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
      out += x.toString(16).padStart(8, '0');
    }
    return out.slice(0, length);
  };
  const sized = (n: number) => ({
    resetRequest: null,
    n,
    recoveryCodes: Array.from({ length: 16 }, (_, i) => ({ salt: hex(n * 100 + i, 32), hash: hex(n * 100 + i + 50, 64) })),
    outbox: [{ event: { type: 'verified', id: hex(n, 36), userId: 'alice', at: 1_893_456_075_000 } }],
  });

  it('migrate brings a table of the first release up to date: its records stay readable, new versions stay in the row', async () => {
    // The first release's DDL, as hosts ran it: no storage settings.
    const table = `"${tableOf('first')}"`;
    tables.add(tableOf('first'));
    await admin.query(
      `CREATE TABLE ${table} (user_id text PRIMARY KEY, version bigint NOT NULL CHECK (version >= 1), record json NOT NULL, ` +
        'reset_open boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now()); ' +
        `CREATE INDEX "${tableOf('first')}_reset_open" ON ${table} (user_id) WHERE reset_open`,
    );
    const store = createPostgresStore({ client: admin, table: tableOf('first') });
    expect(JSON.stringify(sized(1)).length).toBeGreaterThan(2_000);
    for (const user of ['alice', 'bob']) expect(await store.compareAndSet(user, null, sized(1))).toBe(true);
    expect(await settingsOf('first')).toEqual([]);
    expect(await toastChunks('first')).toBe(4); // each record out of line, in two chunks

    await store.migrate();
    expect(await settingsOf('first')).toEqual(['fillfactor=70', 'toast_tuple_target=8160']);
    expect(await store.get('alice')).toEqual({ record: sized(1), version: 1 });
    expect(await store.compareAndSet('alice', 1, sized(2))).toBe(true);
    expect(await store.compareAndSet('carol', null, sized(1))).toBe(true);
    // Only bob's record, not written since, is still out of line.
    expect(await toastChunks('first')).toBe(2);
    expect(await store.get('bob')).toEqual({ record: sized(1), version: 1 });
    expect(await store.get('alice')).toEqual({ record: sized(2), version: 2 });
    expect(await store.get('carol')).toEqual({ record: sized(1), version: 1 });
    await store.migrate();
    expect(await settingsOf('first')).toEqual(['fillfactor=70', 'toast_tuple_target=8160']);
  });

  it("migrate keeps the host's own storage settings and adds only the missing one", async () => {
    const store = storeOn(admin, 'tuned');
    await store.migrate();
    expect(await toastChunks('tuned')).toBe(0);
    expect(await store.compareAndSet('alice', null, sized(1))).toBe(true);
    expect(await toastChunks('tuned')).toBe(0);
    await admin.query(`ALTER TABLE "${tableOf('tuned')}" SET (fillfactor = 90) , RESET (toast_tuple_target)`);
    await store.migrate();
    expect(await settingsOf('tuned')).toEqual(['fillfactor=90', 'toast_tuple_target=8160']);
  });

  it('listOpenResets is served by the partial index, not a scan of every user', async () => {
    const store = storeOn(admin, 'index');
    await store.migrate();
    const table = `"${tableOf('index')}"`;
    await admin.query(
      `INSERT INTO ${table} (user_id, version, record, reset_open)
       SELECT 'u' || n, 1, '{"resetRequest":null}', n % 1000 = 0 FROM generate_series(1, 20000) AS n`,
    );
    await admin.query(`ANALYZE ${table}`);
    const { rows } = await admin.query(
      `EXPLAIN SELECT user_id, version::text AS version, record::text AS record FROM ${table} WHERE reset_open ORDER BY user_id`,
    );
    const plan = rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
    expect(plan).toContain(`${tableOf('index')}_reset_open`);
    expect(plan).not.toMatch(/Seq Scan/);
    expect(await store.listOpenResets()).toHaveLength(20);
  });

  it('reports a missing table as ERR_STORE with the driver error as cause, never as false', async () => {
    const store = createPostgresStore({ client: admin, table: tableOf('never_created') });
    const calls = [() => store.get('alice'), () => store.compareAndSet('alice', null, { resetRequest: null }), () => store.listOpenResets()];
    for (const call of calls) {
      const error = await rejection(call());
      expect(isOtpError(error) && error.code).toBe('ERR_STORE');
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });

  async function waitForLockWait(applicationName: string): Promise<number> {
    for (let i = 0; i < 500; i++) {
      const { rows } = await admin.query(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        [applicationName],
      );
      if (rows[0]) return (rows[0] as { pid: number }).pid;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the write never blocked on the row lock');
  }

  async function waitUntilIdle(applicationName: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const { rows } = await admin.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'",
        [applicationName],
      );
      if (rows.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the orphaned write never finished');
  }

  it('a connection killed in the middle of a write: ERR_STORE, the record at its old version, and the pool recovers', async () => {
    const name = `otpgate-kill-${run}`;
    const store = storeOn(newPool({ application_name: name, max: 2 }), 'kill');
    await store.migrate();
    await store.compareAndSet('alice', null, { resetRequest: null, n: 1 });

    // Hold the row lock so the store's UPDATE is in flight when its backend dies.
    await admin.query('BEGIN');
    await admin.query(`SELECT 1 FROM "${tableOf('kill')}" WHERE user_id = 'alice' FOR UPDATE`);
    const write = rejection(store.compareAndSet('alice', 1, { resetRequest: null, n: 2 }));
    const pid = await waitForLockWait(name);
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const error = await write;
    await admin.query('ROLLBACK');

    expect(error).toMatchObject({ code: 'ERR_STORE', name: 'OtpError' });
    expect(await store.get('alice')).toEqual({ record: { resetRequest: null, n: 1 }, version: 1 });
    expect(await store.compareAndSet('alice', 1, { resetRequest: null, n: 2 })).toBe(true);
    expect(await store.get('alice')).toEqual({ record: { resetRequest: null, n: 2 }, version: 2 });
  });

  it('the server made unreachable mid-write: ERR_STORE, the record whole at its old or new version, then recovery', async () => {
    const { proxy, url: proxied } = await proxyFor(url!, 5432);
    try {
      const name = `otpgate-cut-${run}`;
      const store = storeOn(
        newPool({ connectionString: proxied, application_name: name, max: 2, connectionTimeoutMillis: 2_000 }),
        'cut',
      );
      await store.migrate();
      const before = { resetRequest: null, n: 1, text: 'ünïcode'.repeat(100) };
      const after = { resetRequest: { requestedAt: 1 }, n: 2, text: 'ñew'.repeat(100) };
      await store.compareAndSet('alice', null, before);

      await admin.query('BEGIN');
      await admin.query(`SELECT 1 FROM "${tableOf('cut')}" WHERE user_id = 'alice' FOR UPDATE`);
      const write = rejection(store.compareAndSet('alice', 1, after));
      await waitForLockWait(name);
      proxy.cut();
      const error = await write;
      expect(error).toMatchObject({ code: 'ERR_STORE' });
      // While the server is unreachable every call fails loudly.
      for (const call of [store.get('alice'), store.compareAndSet('alice', 1, after), store.listOpenResets()]) {
        expect(await rejection(call)).toMatchObject({ code: 'ERR_STORE' });
      }
      await admin.query('ROLLBACK');
      await waitUntilIdle(name);

      // The cut UPDATE may still commit on the server once the lock frees:
      // old or new, but whole.
      const seen = await createPostgresStore({ client: admin, table: tableOf('cut') }).get('alice');
      expect([
        { record: before, version: 1 },
        { record: after, version: 2 },
      ]).toContainEqual(seen);

      proxy.restore();
      const again = await store.get('alice');
      expect(again).toEqual(seen);
      expect(await store.compareAndSet('alice', again!.version, { ...after, n: 3 })).toBe(true);
      expect((await store.listOpenResets()).map((entry) => entry.userId)).toEqual(['alice']);
    } finally {
      await proxy.close();
    }
  });

  it('a statement timeout in the middle of a write: ERR_STORE and the record at its old version', async () => {
    const store = storeOn(newPool({ statement_timeout: 200, max: 1 }), 'timeout');
    await store.migrate();
    await store.compareAndSet('alice', null, { resetRequest: null, n: 1 });
    await admin.query('BEGIN');
    await admin.query(`SELECT 1 FROM "${tableOf('timeout')}" WHERE user_id = 'alice' FOR UPDATE`);
    const error = await rejection(store.compareAndSet('alice', 1, { resetRequest: null, n: 2 }));
    await admin.query('ROLLBACK');
    expect(error).toMatchObject({ code: 'ERR_STORE' });
    expect(((error as Error).cause as { code?: string }).code).toBe('57014'); // query_canceled
    expect(await store.get('alice')).toEqual({ record: { resetRequest: null, n: 1 }, version: 1 });
    expect(await store.compareAndSet('alice', 1, { resetRequest: null, n: 2 })).toBe(true);
  });

  it('the gate on an unreachable server reports ERR_STORE, loses nothing, and works once it is back', async () => {
    const { proxy, url: proxied } = await proxyFor(url!, 5432);
    try {
      const store = storeOn(newPool({ connectionString: proxied, max: 2, connectionTimeoutMillis: 2_000 }), 'gate_cut');
      await store.migrate();
      const [secret] = await enrollAll(store, ['alice']);
      const before = await store.get('alice');
      const later = ENROLLED_AT + 60_000;
      const gate = gateOn(store, later);

      proxy.cut();
      expect(await rejection(gate.verify('alice', totp(secret!, { now: later })))).toMatchObject({ code: 'ERR_STORE' });
      expect(await rejection(gate.nextStep('alice'))).toMatchObject({ code: 'ERR_STORE' });
      proxy.restore();

      expect(await store.get('alice')).toEqual(before);
      expect(await gate.verify('alice', totp(secret!, { now: later }))).toMatchObject({ ok: true });
      expect(await gate.verify('alice', totp(secret!, { now: later }))).toMatchObject({ ok: false, reason: 'replayed' });
    } finally {
      await proxy.close();
    }
  });

  describe('across processes', () => {
    itRacesAcrossProcesses(() => {
      tables.add(tableOf('procs'));
      return { kind: 'postgres', url: url!, table: tableOf('procs') };
    }, 3);
  });

  describe('across processes, with batch', () => {
    itRacesAcrossProcesses(() => {
      tables.add(tableOf('procs_b'));
      return { kind: 'postgres', url: url!, table: tableOf('procs_b'), batch: true };
    }, 3);
  });
});

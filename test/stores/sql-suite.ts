// The query-builder stores' tests, run once per builder by kysely.test.ts and
// drizzle.test.ts, on PostgreSQL, MariaDB and SQLite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { isOtpError, type OtpError } from '../../src/errors.js';
import type { MfaRecord, MfaStore } from '../../src/seams/store.js';
import { ddlOf, type SqlDialect } from '../../src/stores/_sql.js';
import { createPostgresStore, schemaSql as postgresSchema } from '../../src/stores/postgres.js';
import { createSqliteStore, schemaSql as sqliteSchema } from '../../src/stores/sqlite.js';
import { describeStoreContract } from './contract.js';
import { enrollAll, ENROLLED_AT, gateOn } from './gate-rig.js';
import { itRacesAcrossProcesses } from './races.js';
import { locationOf, mysqlUrl, openDb, pgUrl, type OpenedDb, type QueryBuilder } from './sql-clients.js';
import { proxyFor } from './tcp-proxy.js';

export function warnIfSkipped(file: string): void {
  if (!pgUrl) console.warn(`${file}: postgres SKIPPED, OTPGATE_PG_URL is not set (for example postgres://postgres@127.0.0.1:5432/test)`);
  if (!mysqlUrl) console.warn(`${file}: mysql SKIPPED, OTPGATE_MYSQL_URL is not set (for example mysql://root@127.0.0.1:3306/test)`);
}

export const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A plain connection for setting up, inspecting and cleaning up, beside the store. */
export interface Admin {
  query(text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** Opens a transaction on its own connection that holds the row lock of `userId` until `release()`. */
  holdRowLock(table: string, userId: string): Promise<{ release(): Promise<void> }>;
  /** Resolves once a statement is waiting for a row lock on `table`. */
  waitForLockWait(table: string): Promise<void>;
  close(): Promise<void>;
}

export async function openAdmin(dialect: SqlDialect, location: string): Promise<Admin> {
  const poll = async (check: () => Promise<boolean>, debug?: () => Promise<unknown>) => {
    for (let i = 0; i < 1500; i++) {
      if (await check()) return;
      await sleep(10);
    }
    throw new Error(`the write never blocked on the row lock${debug ? `: ${JSON.stringify(await debug())}` : ''}`);
  };
  if (dialect === 'postgres') {
    const connect = async () => {
      const client = new pg.Client({ connectionString: location });
      await client.connect();
      return client;
    };
    const client = await connect();
    const query = async (text: string, params: unknown[] = []) => (await client.query(text, params)).rows;
    return {
      query,
      async holdRowLock(table, userId) {
        const holder = await connect();
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM "${table}" WHERE user_id = $1 FOR UPDATE`, [userId]);
        return { release: async () => (await holder.query('ROLLBACK'), await holder.end()) };
      },
      waitForLockWait: (table) =>
        poll(async () =>
          (await query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1", [`%"${table}"%`]))
            .length > 0,
        ),
      close: () => client.end(),
    };
  }
  if (dialect === 'mysql') {
    const connection = await createConnection({ uri: location });
    const query = async (text: string, params: unknown[] = []) =>
      (await connection.query(text, params))[0] as Array<Record<string, unknown>>;
    return {
      query,
      async holdRowLock(table, userId) {
        const holder = await createConnection({ uri: location });
        await holder.query('START TRANSACTION');
        await holder.query(`SELECT 1 FROM \`${table}\` WHERE user_id = ? FOR UPDATE`, [userId]);
        return { release: async () => (await holder.query('ROLLBACK'), await holder.end()) };
      },
      // A statement waiting for a row lock shows as 'Updating' in the process
      // list; INNODB_TRX does not always list it as LOCK WAIT on MariaDB.
      waitForLockWait: (table) =>
        poll(
          async () =>
            (await query("SELECT 1 FROM information_schema.PROCESSLIST WHERE STATE = 'Updating' AND INFO LIKE ?", [`UPDATE \`${table}\`%`]))
              .length > 0,
          () => query("SELECT STATE, LEFT(INFO, 80) AS q FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep'"),
        ),
      close: () => connection.end(),
    };
  }
  const db = new Database(location, { timeout: 10_000 });
  return {
    query: async (text, params = []) => {
      const statement = db.prepare(text);
      if (statement.reader) return statement.all(...params) as Array<Record<string, unknown>>;
      statement.run(...params);
      return [];
    },
    holdRowLock: () => Promise.reject(new Error('SQLite locks the file, not a row')),
    waitForLockWait: () => Promise.reject(new Error('SQLite locks the file, not a row')),
    close: async () => void db.close(),
  };
}

const quote = (dialect: SqlDialect, table: string) => (dialect === 'mysql' ? `\`${table}\`` : `"${table}"`);

export function describeQueryBuilderStore(builder: QueryBuilder): void {
  const dir = mkdtempSync(join(tmpdir(), `otpgate-${builder}-`));
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates exactly the tables of otpgate/stores/postgres and otpgate/stores/sqlite', () => {
    expect(`${ddlOf('postgres', 'otpgate_mfa', 't').join(';\n')};`).toBe(postgresSchema());
    expect(`${ddlOf('sqlite', 'mfa_2', 't').join(';\n')};`).toBe(sqliteSchema('mfa_2'));
  });

  for (const dialect of ['postgres', 'mysql', 'sqlite'] as const) {
    const location = locationOf(dialect, join(dir, `${dialect}.db`));
    describe.skipIf(location === undefined)(`${builder} store on ${dialect}`, () => {
      const url = location!;
      const tableOf = (label: string) => `otpgate_t_${run}_${builder.slice(0, 2)}_${label}`;
      const tables = new Set<string>();
      const dbs: OpenedDb[] = [];
      const open = (options?: Parameters<typeof openDb>[3], at = url) => {
        const opened = openDb(builder, dialect, at, options);
        dbs.push(opened);
        return opened;
      };
      const storeOn = (opened: OpenedDb, label: string) => {
        tables.add(tableOf(label));
        return opened.store(tableOf(label));
      };
      let admin: Admin;
      let main: MfaStore & { migrate(): Promise<void> };
      const cross: MfaStore[] = [];

      beforeAll(async () => {
        admin = await openAdmin(dialect, url);
        main = storeOn(open({ max: 8 }), 'main');
        await main.migrate();
        for (let i = 0; i < 3; i++) cross.push(storeOn(open(), 'main'));
      });

      afterAll(async () => {
        for (const table of tables) await admin?.query(`DROP TABLE IF EXISTS ${quote(dialect, table)}`);
        await admin?.close();
        await Promise.all(dbs.map((db) => db.close()));
      });

      describeStoreContract(`${builder} on ${dialect}`, () => main);
      let turn = 0;
      // Each call goes to another pool (another SQLite connection): versions
      // written through one are checked through the others.
      describeStoreContract(`${builder} on ${dialect}, three pools alternating`, () => cross[turn++ % 3]!);

      it('reports its dialect and table', () => {
        expect(main).toMatchObject({ dialect, table: tableOf('main') });
      });

      it('migrate is idempotent and safe when many servers run it at once', async () => {
        const stores = Array.from({ length: 6 }, () => storeOn(open({ max: 2 }), 'migrate'));
        await Promise.all(stores.map((store) => store.migrate()));
        expect(await stores[0]!.compareAndSet('alice', null, { resetRequest: null })).toBe(true);
        await Promise.all(stores.map((store) => store.migrate()));
        expect((await stores[5]!.get('alice'))?.version).toBe(1);
      });

      it('a missing table: one ERR_STORE that says to run migrate(), with the driver error as cause', async () => {
        const store = open().store(tableOf('never_created'));
        const calls = [() => store.get('alice'), () => store.compareAndSet('alice', null, { resetRequest: null }), () => store.compareAndSet('alice', 3, { resetRequest: null }), () => store.listOpenResets()];
        for (const call of calls) {
          const error = await rejection(call());
          expect(isOtpError(error) && error.code).toBe('ERR_STORE');
          expect((error as Error).message).toContain(`"${tableOf('never_created')}" does not exist`);
          expect((error as Error).message).toContain('run store.migrate()');
          expect((error as Error).cause).toBeInstanceOf(Error);
          // The driver's own error, not a query builder's wrapper quoting the parameters.
          expect(String((error as Error).cause)).not.toContain('alice');
        }
      });

      it('a record that is not JSON is refused with ERR_STORE and writes nothing', async () => {
        const user = `bigint-${run}`;
        const error = await rejection(main.compareAndSet(user, null, { resetRequest: null, n: 1n } as MfaRecord));
        expect(error).toMatchObject({ code: 'ERR_STORE' });
        expect(await main.get(user)).toBeNull();
      });

      it('refuses user ids that are not well-formed UTF-16 with ERR_OPTIONS, as the other stores do', async () => {
        for (const id of ['alice\uD800', '\uDC00bob', '']) {
          expect(await rejection(main.get(id))).toMatchObject({ code: 'ERR_OPTIONS' });
          expect(await rejection(main.compareAndSet(id, null, { resetRequest: null }))).toMatchObject({ code: 'ERR_OPTIONS' });
        }
      });

      it('a failing write whose error quotes the row: ERR_STORE holding no secret, code or hash', async () => {
        const table = tableOf('refuse');
        const store = storeOn(open(), 'refuse');
        await store.migrate();
        const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
        const hash = 'ab'.repeat(32);
        const record = { resetRequest: null, secret, recovery: [{ hash }] };
        await store.compareAndSet('alice', null, record);
        if (dialect === 'postgres') {
          await admin.query(
            `CREATE FUNCTION "${table}_refuse"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
              `RAISE EXCEPTION 'refused row %', NEW.record USING DETAIL = NEW.record::text, HINT = NEW.user_id; END $$`,
          );
          await admin.query(`CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "${table}_refuse"()`);
        } else if (dialect === 'mysql') {
          for (const op of ['INSERT', 'UPDATE']) {
            await admin.query(
              `CREATE TRIGGER \`${table}_${op}\` BEFORE ${op} ON \`${table}\` FOR EACH ROW ` +
                "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused row'",
            );
          }
        } else {
          for (const op of ['INSERT', 'UPDATE']) {
            await admin.query(`CREATE TRIGGER "${table}_${op}" BEFORE ${op} ON "${table}" BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END`);
          }
        }
        const errors = [
          await rejection(store.compareAndSet('alice', 1, { ...record, n: 2 })),
          await rejection(store.compareAndSet('bob', null, record)),
        ];
        for (const error of errors) {
          expect(isOtpError(error) && error.code).toBe('ERR_STORE');
          const text = allStrings(error).join('\n');
          expect(text).not.toContain(secret);
          expect(text).not.toContain(hash);
        }
        if (dialect === 'postgres') await admin.query(`DROP FUNCTION IF EXISTS "${table}_refuse"() CASCADE`);
      });

      if (dialect !== 'postgres') {
        // PostgreSQL's json column refuses such text itself.
        it('a stored record that is not JSON reads as ERR_STORE', async () => {
          const user = `broken-${run}`;
          await admin.query(
            `INSERT INTO ${quote(dialect, tableOf('main'))} (user_id, version, record, reset_open) VALUES (?, 1, ?, 0)`,
            [user, '{"resetRequest":'],
          );
          expect(await rejection(main.get(user))).toMatchObject({ code: 'ERR_STORE' });
        });

        it('one unreadable row with an open request hides no other request and is reported by onError', async () => {
          const reported: OtpError[] = [];
          const store = storeOn(open(), 'unreadable');
          const reporting = open().store(tableOf('unreadable'), (error) => reported.push(error));
          await store.migrate();
          for (const user of ['alice', 'bob', 'carol']) await store.compareAndSet(user, null, { resetRequest: { requestedAt: 1 } });
          await admin.query(`UPDATE ${quote(dialect, tableOf('unreadable'))} SET record = '{not json' WHERE user_id = ?`, ['bob']);
          expect((await reporting.listOpenResets()).map((entry) => entry.userId)).toEqual(['alice', 'carol']);
          expect(reported).toHaveLength(1);
          expect(reported[0]).toMatchObject({ code: 'ERR_STORE', message: expect.stringContaining('"bob"') });
          expect(reported[0]!.message).not.toContain('{not json');
        });
      }

      if (dialect !== 'sqlite') {
        it('a server that goes away mid-burst: ERR_STORE, at most one winner, the record whole, then recovery', async () => {
          const { proxy, url: proxied } = await proxyFor(url, dialect === 'postgres' ? 5432 : 3306);
          try {
            const store = storeOn(open({ max: 8, connectTimeoutMs: 5_000 }, proxied), 'cut');
            await store.migrate();
            // Every connection of the pool open before the burst: on a busy
            // machine, connecting is what would otherwise take the time.
            await Promise.all(Array.from({ length: 16 }, () => store.get('warm-up')));
            const user = `cut-${run}`;
            const before = { resetRequest: null, n: 0, text: 'ünïcode'.repeat(100) };
            expect(await store.compareAndSet(user, null, before)).toBe(true);
            const values = Array.from({ length: 40 }, (_, n) => ({ resetRequest: { requestedAt: n }, n: n + 1, text: 'ñew'.repeat(100) }));

            // Half the burst waits behind a row lock when the server goes away.
            const lock = await admin.holdRowLock(tableOf('cut'), user);
            const burst = values.map((value) => rejection(store.compareAndSet(user, 1, value).then((ok) => ({ ok }))));
            const settledEarly = Promise.all(burst).then((outcomes) => {
              throw new Error(`the burst settled before the cut: ${JSON.stringify(outcomes.map((o) => (isOtpError(o) ? String(o.cause) : o)).slice(0, 5))}`);
            });
            await Promise.race([admin.waitForLockWait(tableOf('cut')), settledEarly]);
            settledEarly.catch(() => {});
            proxy.cut();
            const outcomes = await Promise.all(burst);
            for (const outcome of outcomes) {
              if (isOtpError(outcome)) expect(outcome.code).toBe('ERR_STORE');
              else expect(outcome).toBeUndefined(); // settled with a value, not an error
            }
            const failures = outcomes.filter(isOtpError);
            expect(failures.length).toBeGreaterThan(0);
            for (const call of [store.get(user), store.compareAndSet(user, 1, before), store.listOpenResets()]) {
              expect(await rejection(call)).toMatchObject({ code: 'ERR_STORE' });
            }
            await lock.release();

            // The cut writes may still commit on the server once the lock is
            // gone: at most one of them, and whole.
            const direct = storeOn(open(), 'cut');
            let seen = await direct.get(user);
            for (let i = 0; i < 50 && seen?.version === 1; i++) {
              await sleep(20);
              seen = await direct.get(user);
            }
            expect([1, 2]).toContain(seen?.version);
            expect([before, ...values]).toContainEqual(seen?.record);

            proxy.restore();
            const again = await store.get(user);
            expect(again).toEqual(seen);
            expect(await store.compareAndSet(user, again!.version, { ...before, n: 99 })).toBe(true);
            expect(await store.get(user)).toEqual({ record: { ...before, n: 99 }, version: again!.version + 1 });
          } finally {
            await proxy.close();
          }
        }, 30_000);

        it('the gate on an unreachable server reports ERR_STORE, loses nothing, and works once it is back', async () => {
          const { proxy, url: proxied } = await proxyFor(url, dialect === 'postgres' ? 5432 : 3306);
          try {
            const store = storeOn(open({ max: 2, connectTimeoutMs: 2_000 }, proxied), 'gate_cut');
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
        }, 30_000);
      }

      if (dialect === 'mysql') {
        it('keeps user ids distinct byte for byte: case, accents and trailing spaces', async () => {
          const ids = ['Alice', 'alice', 'alice ', 'alicé', 'alice\u00a0', 'ALİCE'].map((id) => `${run}-${id}`);
          for (const [n, id] of ids.entries()) expect(await main.compareAndSet(id, null, { resetRequest: null, n })).toBe(true);
          for (const [n, id] of ids.entries()) expect(await main.get(id)).toEqual({ record: { resetRequest: null, n }, version: 1 });
        });

        it('takes user ids up to 1024 bytes and refuses longer ones with ERR_OPTIONS, never truncating', async () => {
          const longest = `${run}-`.padEnd(1024, 'é').slice(0, 1024 - 512); // 'é' is two bytes
          const id = longest + 'x'.repeat(1024 - new TextEncoder().encode(longest).length);
          expect(new TextEncoder().encode(id).length).toBe(1024);
          expect(await main.compareAndSet(id, null, { resetRequest: null })).toBe(true);
          expect((await main.get(id))?.version).toBe(1);
          for (const call of [main.get(`${id}y`), main.compareAndSet(`${id}y`, null, { resetRequest: null })]) {
            expect(await rejection(call)).toMatchObject({ code: 'ERR_OPTIONS', message: expect.stringContaining('1024 bytes') });
          }
          expect(await main.get(id.slice(0, -1))).toBeNull();
        });

        it('listUsers pages in byte order, so an id whose collated order differs from its bytes is never skipped', async () => {
          // In a text collation 'ü' sorts with 'u', before 'x'; as bytes (0xC3) it comes after.
          const store = storeOn(open(), 'byte_order');
          await store.migrate();
          const ids = ['b-ü', 'b-x', 'a-Z', 'a-a'];
          for (const id of ids) expect(await store.compareAndSet(id, null, { resetRequest: null })).toBe(true);
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const page: { userIds: readonly string[]; cursor: string | null } = await store.listUsers!({ cursor, limit: 1 });
            seen.push(...page.userIds);
            cursor = page.cursor;
          } while (cursor !== null && seen.length < 10);
          expect(seen).toEqual(['a-Z', 'a-a', 'b-x', 'b-ü']);
        });

        it('serves listOpenResets from the (reset_open, user_id) index', async () => {
          const rows = await admin.query(
            `EXPLAIN SELECT CONVERT(user_id USING utf8mb4) AS user_id, CAST(version AS CHAR) AS version, record FROM \`${tableOf('main')}\` WHERE reset_open = 1 ORDER BY \`${tableOf('main')}\`.user_id`,
          );
          expect(rows.map((row) => row['key'])).toEqual([`${tableOf('main')}_reset_open`]);
        });

      }

      if (dialect !== 'sqlite') {
        it('a write blocked past the statement or lock-wait timeout: ERR_STORE and the record at its old version', async () => {
          const store = storeOn(open({ max: 1, timeoutMs: 300 }), 'timeout');
          await store.migrate();
          await store.compareAndSet('alice', null, { resetRequest: null, n: 1 });
          const lock = await admin.holdRowLock(tableOf('timeout'), 'alice');
          let error: unknown;
          try {
            error = await rejection(store.compareAndSet('alice', 1, { resetRequest: null, n: 2 }));
          } finally {
            await lock.release();
          }
          expect(error).toMatchObject({ code: 'ERR_STORE', name: 'OtpError' });
          // query_canceled (statement_timeout); MySQL's 1205, lock wait timeout exceeded.
          const cause = (error as Error).cause as { code?: unknown };
          expect(cause.code).toBe(dialect === 'postgres' ? '57014' : 'ER_LOCK_WAIT_TIMEOUT');
          expect(await store.get('alice')).toEqual({ record: { resetRequest: null, n: 1 }, version: 1 });
          expect(await store.compareAndSet('alice', 1, { resetRequest: null, n: 2 })).toBe(true);
        });
      }

      describe('across processes', () => {
        itRacesAcrossProcesses(() => {
          tables.add(tableOf('procs'));
          return { kind: builder, dialect, location: url, table: tableOf('procs') };
        }, 3);
      });
    });
  }

  describe(`${builder} store and the existing stores share one table`, () => {
    it.skipIf(!pgUrl)('createPostgresStore and this store on PostgreSQL: written by one, read and compare-and-set by the other', async () => {
      const table = `otpgate_t_${run}_${builder.slice(0, 2)}_shared`;
      const pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
      const opened = openDb(builder, 'postgres', pgUrl!);
      try {
        const old = createPostgresStore({ client: pool, table });
        await old.migrate();
        await expectSharedTable(old, opened.store(table));
        // And the other way round: a table made by this store's migrate().
        const table2 = `${table}2`;
        const fresh = opened.store(table2);
        await fresh.migrate();
        await expectSharedTable(fresh, createPostgresStore({ client: pool, table: table2 }));
        await pool.query(`DROP TABLE IF EXISTS "${table}"; DROP TABLE IF EXISTS "${table2}"`);
      } finally {
        await pool.end();
        await opened.close();
      }
    });

    it('createSqliteStore and this store on SQLite: written by one, read and compare-and-set by the other', async () => {
      const file = join(dir, 'shared.db');
      const db = new Database(file);
      const opened = openDb(builder, 'sqlite', file);
      try {
        const old = createSqliteStore({ db, table: 'shared' });
        await old.migrate();
        await expectSharedTable(old, opened.store('shared'));
        const fresh = opened.store('shared2');
        await fresh.migrate();
        await expectSharedTable(fresh, createSqliteStore({ db, table: 'shared2' }));
      } finally {
        db.close();
        await opened.close();
      }
    });

    it.skipIf(!mysqlUrl)('Kysely and Drizzle on one MariaDB table: written by one, read and compare-and-set by the other', async () => {
      const table = `otpgate_t_${run}_${builder.slice(0, 2)}_shared`;
      const mine = openDb(builder, 'mysql', mysqlUrl!);
      const other = openDb(builder === 'kysely' ? 'drizzle' : 'kysely', 'mysql', mysqlUrl!);
      const admin = await openAdmin('mysql', mysqlUrl!);
      try {
        const store = mine.store(table);
        await store.migrate();
        await expectSharedTable(store, other.store(table));
      } finally {
        await admin.query(`DROP TABLE IF EXISTS \`${table}\``);
        await admin.close();
        await mine.close();
        await other.close();
      }
    });
  });
}

/** Every string reachable from `value`: messages, stacks, causes, own properties, nested. */
function allStrings(value: unknown, seen = new Set<unknown>(), out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return out;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === 'string') out.push(key);
    allStrings((value as Record<PropertyKey, unknown>)[key], seen, out);
  }
  for (const key of ['message', 'stack', 'cause', 'name', 'code']) allStrings((value as Record<string, unknown>)[key], seen, out);
  return out;
}

/** Records written through `writer` read, update and list the same through `reader`, and back. */
async function expectSharedTable(writer: MfaStore, reader: MfaStore): Promise<void> {
  const record = { resetRequest: null, text: 'Grüße 👩‍👩‍👧 \u0000 \ud800', n: [1, 2.5, { x: null }] };
  const open = { resetRequest: { requestedAt: 7 }, text: 'open' };
  expect(await writer.compareAndSet('alice', null, record)).toBe(true);
  expect(await reader.get('alice')).toEqual({ record, version: 1 });
  expect(await reader.compareAndSet('alice', null, record)).toBe(false);
  expect(await reader.compareAndSet('alice', 1, open)).toBe(true);
  expect(await writer.compareAndSet('alice', 1, record)).toBe(false);
  expect(await writer.get('alice')).toEqual({ record: open, version: 2 });
  expect(await writer.listOpenResets()).toEqual([{ userId: 'alice', record: open, version: 2 }]);
  expect(await reader.listOpenResets()).toEqual([{ userId: 'alice', record: open, version: 2 }]);
  expect(await writer.compareAndSet('alice', 2, record)).toBe(true);
  expect(await reader.listOpenResets()).toEqual([]);
  expect(await reader.get('alice')).toEqual({ record, version: 3 });
}

import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import {
  CamelCasePlugin,
  DummyDriver,
  Kysely,
  MssqlAdapter,
  MssqlIntrospector,
  MssqlQueryCompiler,
  Migrator,
  ParseJSONResultsPlugin,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteDialect,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Dialect,
} from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createKyselyStore, otpgateMigration, schemaSql, type KyselyStoreOptions } from '../../src/stores/kysely.js';
import { locationOf, openDb } from './sql-clients.js';
import { describeQueryBuilderStore, openAdmin, rejection, warnIfSkipped } from './sql-suite.js';

warnIfSkipped('test/stores/kysely.test.ts');
describeQueryBuilderStore('kysely');

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A Kysely that compiles like one database and never connects. */
function offline(compiler: 'postgres' | 'mssql' | 'sqlite'): Kysely<unknown> {
  const dialect: Dialect = {
    createAdapter: () =>
      compiler === 'postgres' ? new PostgresAdapter() : compiler === 'mssql' ? new MssqlAdapter() : new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) =>
      compiler === 'postgres' ? new PostgresIntrospector(db) : compiler === 'mssql' ? new MssqlIntrospector(db) : new SqliteIntrospector(db),
    createQueryCompiler: () =>
      compiler === 'postgres' ? new PostgresQueryCompiler() : compiler === 'mssql' ? new MssqlQueryCompiler() : new SqliteQueryCompiler(),
  };
  return new Kysely<unknown>({ dialect });
}

describe('createKyselyStore: options', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => Promise.all(opened.map((db) => db.close())));

  it('reads the dialect from the SQL the instance compiles, without I/O', () => {
    const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    const fromPool = openDb('kysely', 'postgres', 'postgres://nobody@127.0.0.1:1/none');
    opened.push(fromPool, { close: () => pool.end() });
    expect(createKyselyStore({ db: fromPool.db as Kysely<unknown> }).dialect).toBe('postgres');
    const mysql = openDb('kysely', 'mysql', 'mysql://nobody@127.0.0.1:1/none');
    opened.push(mysql);
    expect(createKyselyStore({ db: mysql.db as Kysely<unknown> }).dialect).toBe('mysql');
    expect(createKyselyStore({ db: new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) }) }).dialect).toBe(
      'sqlite',
    );
    expect(createKyselyStore({ db: offline('postgres') })).toMatchObject({ dialect: 'postgres', table: 'otpgate_mfa' });
  });

  it('refuses a dialect it does not speak, and takes an explicit one', () => {
    expect(() => createKyselyStore({ db: offline('mssql') })).toThrow(
      expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringContaining("pass dialect: 'postgres', 'mysql' or 'sqlite'") }),
    );
    expect(createKyselyStore({ db: offline('sqlite'), dialect: 'postgres' }).dialect).toBe('postgres');
    expect(() => createKyselyStore({ db: offline('sqlite'), dialect: 'oracle' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_OPTIONS' }),
    );
  });

  it('a URL, a driver client, a Drizzle database or nothing where the Kysely instance belongs: ERR_OPTIONS naming the fix', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['postgres://user@host/db', /db is a string; pass your Kysely instance \(new Kysely\(\{ dialect \}\)\), not a connection URL/],
      [undefined, /db is required: pass your Kysely instance/],
      [42, /db must be your Kysely instance/],
      [new pg.Pool(), /driver client .*use otpgate\/stores\/postgres/],
      [new Database(':memory:'), /better-sqlite3 Database/],
      [drizzle(new Database(':memory:')), /Drizzle database: use createDrizzleStore from otpgate\/stores\/drizzle/],
    ];
    for (const [db, message] of cases) {
      expect(() => createKyselyStore({ db } as KyselyStoreOptions)).toThrow(
        expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringMatching(message) }),
      );
    }
    expect(() => createKyselyStore(undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });

  it('refuses table names that are not plain identifiers', () => {
    for (const table of ['', '9t', 'a b', 'x"; DROP TABLE t; --', 'a`b', 'public.t', 'é', 'a'.repeat(49)]) {
      expect(() => createKyselyStore({ db: offline('postgres'), table })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
      expect(() => otpgateMigration({ table })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
      expect(() => schemaSql('mysql', table)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    }
  });

  it('schemaSql gives the plain SQL of each dialect', () => {
    expect(schemaSql('postgres')).toMatch(/^CREATE TABLE IF NOT EXISTS "otpgate_mfa" \([\s\S]*record json NOT NULL[\s\S]*WHERE reset_open;\nDO \$otpgate\$[\s\S]*fillfactor = 70[\s\S]*\$otpgate\$;$/);
    expect(schemaSql('mysql', 'mfa')).toMatch(/^CREATE TABLE IF NOT EXISTS `mfa` \([\s\S]*user_id VARBINARY\(1024\)[\s\S]*INDEX `mfa_reset_open` \(reset_open, user_id\)/);
    expect(schemaSql('sqlite')).toContain('WHERE reset_open = 1;');
    expect(() => schemaSql('mssql' as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });

  it("ignores the instance's plugins, which would rename its columns and parse its record", async () => {
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new Database(':memory:') }),
      plugins: [new CamelCasePlugin(), new ParseJSONResultsPlugin()],
    });
    const store = createKyselyStore({ db, table: 'with_plugins' });
    await store.migrate();
    const open = { resetRequest: { requestedAt: 1 }, some_field: '{"looks":"like json"}' };
    expect(await store.compareAndSet('alice', null, open)).toBe(true);
    expect(await store.get('alice')).toEqual({ record: open, version: 1 });
    expect(await store.listOpenResets()).toEqual([{ userId: 'alice', record: open, version: 1 }]);
    await db.destroy();
  });
});

describe('otpgateMigration with Kysely’s Migrator', () => {
  for (const dialect of ['postgres', 'mysql', 'sqlite'] as const) {
    const location = locationOf(dialect, ':memory:');
    it.skipIf(location === undefined)(`${dialect}: up creates the table the store uses, down drops it`, async () => {
      const table = `otpgate_t_${run}_migrator`;
      const opened = openDb('kysely', dialect, location!, { max: 2 });
      const db = opened.db as Kysely<unknown>;
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => ({ '2026_12_01_otpgate': otpgateMigration({ table }) }) },
        migrationTableName: `kysely_migration_${run}`,
        migrationLockTableName: `kysely_migration_lock_${run}`,
      });
      try {
        const up = await migrator.migrateToLatest();
        expect(up.error).toBeUndefined();
        expect(up.results).toEqual([{ migrationName: '2026_12_01_otpgate', direction: 'Up', status: 'Success' }]);
        const store = createKyselyStore({ db, table });
        expect(await store.compareAndSet('alice', null, { resetRequest: null })).toBe(true);
        await store.migrate(); // a no-op on the migrated table
        expect((await store.get('alice'))?.version).toBe(1);

        const down = await migrator.migrateDown();
        expect(down.error).toBeUndefined();
        expect(await rejection(store.get('alice'))).toMatchObject({ code: 'ERR_STORE', message: expect.stringContaining('run store.migrate()') });
      } finally {
        if (dialect !== 'sqlite') {
          const admin = await openAdmin(dialect, location!);
          const q = dialect === 'mysql' ? '`' : '"';
          for (const name of [table, `kysely_migration_${run}`, `kysely_migration_lock_${run}`]) {
            await admin.query(`DROP TABLE IF EXISTS ${q}${name}${q}`);
          }
          await admin.close();
        }
        await opened.close();
      }
    });
  }
});

describe('inside the host’s own Kysely transaction', () => {
  for (const dialect of ['postgres', 'mysql', 'sqlite'] as const) {
    const location = locationOf(dialect, ':memory:');
    it.skipIf(location === undefined)(`${dialect}: a write rolled back with the transaction is gone`, async () => {
      const table = `otpgate_t_${run}_trx`;
      const opened = openDb('kysely', dialect, location!, { max: 2 });
      const db = opened.db as Kysely<unknown>;
      try {
        const store = createKyselyStore({ db, table });
        await store.migrate();
        const rollback = new Error('roll back');
        await expect(
          db.transaction().execute(async (trx) => {
            const inside = createKyselyStore({ db: trx, table });
            expect(await inside.compareAndSet('alice', null, { resetRequest: null })).toBe(true);
            expect((await inside.get('alice'))?.version).toBe(1);
            throw rollback;
          }),
        ).rejects.toBe(rollback);
        expect(await store.get('alice')).toBeNull();
        await db.transaction().execute(async (trx) => {
          await createKyselyStore({ db: trx, table }).compareAndSet('alice', null, { resetRequest: null, n: 1 });
        });
        expect(await store.get('alice')).toEqual({ record: { resetRequest: null, n: 1 }, version: 1 });
      } finally {
        if (dialect !== 'sqlite') {
          const admin = await openAdmin(dialect, location!);
          await admin.query(`DROP TABLE IF EXISTS ${dialect === 'mysql' ? `\`${table}\`` : `"${table}"`}`);
          await admin.close();
        }
        await opened.close();
      }
    });
  }
});


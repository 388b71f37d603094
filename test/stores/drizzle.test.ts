import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { getTableConfig as getPgTableConfig } from 'drizzle-orm/pg-core';
import { Kysely, SqliteDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createDrizzleStore,
  otpgateMysqlTable,
  otpgatePgTable,
  otpgateSqliteTable,
  schemaSql,
  type DrizzleStoreOptions,
} from '../../src/stores/drizzle.js';
import { locationOf, openDb, type OpenedDb } from './sql-clients.js';
import { describeQueryBuilderStore, openAdmin, warnIfSkipped } from './sql-suite.js';

warnIfSkipped('test/stores/drizzle.test.ts');
describeQueryBuilderStore('drizzle');

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe('createDrizzleStore: options', () => {
  it('reads the dialect from the database, and takes a table by name or as the schema object', () => {
    const db = drizzle(new Database(':memory:'));
    expect(createDrizzleStore({ db })).toMatchObject({ dialect: 'sqlite', table: 'otpgate_mfa' });
    expect(createDrizzleStore({ db, table: 'mfa' }).table).toBe('mfa');
    expect(createDrizzleStore({ db, table: otpgateSqliteTable('mfa_2') }).table).toBe('mfa_2');
    const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    const fromPg = openDb('drizzle', 'postgres', 'postgres://nobody@127.0.0.1:1/none');
    expect(createDrizzleStore({ db: fromPg.db as DrizzleStoreOptions['db'] }).dialect).toBe('postgres');
    const fromMysql = openDb('drizzle', 'mysql', 'mysql://nobody@127.0.0.1:1/none');
    expect(createDrizzleStore({ db: fromMysql.db as DrizzleStoreOptions['db'] }).dialect).toBe('mysql');
    return Promise.all([pool.end(), fromPg.close(), fromMysql.close()]);
  });

  it('a URL, a driver client, a Kysely instance or nothing where the Drizzle database belongs: ERR_OPTIONS naming the fix', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['mysql://user@host/db', /db is a string; pass your drizzle-orm database \(drizzle\(client\)\), not a connection URL/],
      [undefined, /db is required: pass your drizzle-orm database/],
      [new pg.Pool(), /driver client/],
      [new Database(':memory:'), /better-sqlite3 Database/],
      [new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) }), /Kysely instance: use createKyselyStore from otpgate\/stores\/kysely/],
      [{ select: () => {}, insert: () => {}, dialect: {} }, /Drizzle database/],
    ];
    for (const [db, message] of cases) {
      expect(() => createDrizzleStore({ db } as DrizzleStoreOptions)).toThrow(
        expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringMatching(message) }),
      );
    }
    expect(() => createDrizzleStore(undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });

  it('refuses table names that are not plain identifiers, in the store and in the schema objects', () => {
    const db = drizzle(new Database(':memory:'));
    for (const table of ['', '9t', 'a b', 'x"; DROP TABLE t; --', 'a`b', 'public.t', 'é', 'a'.repeat(49)]) {
      expect(() => createDrizzleStore({ db, table })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
      for (const make of [otpgatePgTable, otpgateMysqlTable, otpgateSqliteTable]) {
        expect(() => make(table)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
      }
    }
    expect(() => schemaSql('oracle' as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });

  it('the PostgreSQL schema object has the columns, check and partial index of the store’s table', () => {
    const config = getPgTableConfig(otpgatePgTable('mfa'));
    expect(config.name).toBe('mfa');
    expect(config.columns.map((column) => [column.name, column.getSQLType(), column.notNull, column.primary])).toEqual([
      ['user_id', 'text', true, true],
      ['version', 'bigint', true, false],
      ['record', 'json', true, false],
      ['reset_open', 'boolean', true, false],
      ['updated_at', 'timestamp with time zone', true, false],
    ]);
    expect(config.indexes.map((index) => index.config.name)).toEqual(['mfa_reset_open']);
    expect(config.checks.map((check) => check.name)).toEqual(['mfa_version_check']);
  });
});

// drizzle-kit's own generator turns the schema objects into the SQL a host's
// migration would run; that table must be one the store works on, and one
// that migrate() leaves alone.
describe('drizzle-kit migrations of the exported schema objects', () => {
  for (const dialect of ['postgres', 'mysql', 'sqlite'] as const) {
    const location = locationOf(dialect, ':memory:');
    it.skipIf(location === undefined)(`${dialect}: the generated table works with the store`, async () => {
      const api = await import('drizzle-kit/api');
      const table = `otpgate_t_${run}_kit`;
      let statements: string[];
      if (dialect === 'postgres') {
        const schema = { mfa: otpgatePgTable(table) };
        statements = await api.generateMigration(await api.generateDrizzleJson({}), await api.generateDrizzleJson(schema));
      } else if (dialect === 'mysql') {
        const schema = { mfa: otpgateMysqlTable(table) };
        statements = await api.generateMySQLMigration(await api.generateMySQLDrizzleJson({}), await api.generateMySQLDrizzleJson(schema));
      } else {
        const schema = { mfa: otpgateSqliteTable(table) };
        statements = await api.generateSQLiteMigration(await api.generateSQLiteDrizzleJson({}), await api.generateSQLiteDrizzleJson(schema));
      }
      expect(statements.join('\n')).toContain(table);
      const opened: OpenedDb = openDb('drizzle', dialect, location!, { max: 2 });
      const admin = dialect === 'sqlite' ? null : await openAdmin(dialect, location!);
      try {
        const raw = opened.db as { run?: (query: unknown) => unknown };
        for (const statement of statements) {
          if (admin) await admin.query(statement);
          else {
            const { sql } = await import('drizzle-orm');
            raw.run!(sql.raw(statement));
          }
        }
        const store = opened.store(table);
        await store.migrate(); // leaves the generated table alone (on PostgreSQL it adds the storage settings)
        const open = { resetRequest: { requestedAt: 1 }, text: 'Grüße 👍' };
        expect(await store.compareAndSet('alice', null, { resetRequest: null })).toBe(true);
        expect(await store.compareAndSet('alice', 1, open)).toBe(true);
        expect(await store.compareAndSet('alice', 1, open)).toBe(false);
        expect(await store.get('alice')).toEqual({ record: open, version: 2 });
        expect(await store.listOpenResets()).toEqual([{ userId: 'alice', record: open, version: 2 }]);
      } finally {
        if (admin) {
          await admin.query(`DROP TABLE IF EXISTS ${dialect === 'mysql' ? `\`${table}\`` : `"${table}"`}`);
          await admin.close();
        }
        await opened.close();
      }
    }, 30_000);
  }
});

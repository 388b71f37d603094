import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import type { MfaRecord } from '../../src/seams/store.js';
import { createSqliteStore, schemaSql, type SqliteDatabaseLike } from '../../src/stores/sqlite.js';
import { describeStoreContract } from './contract.js';
import { itRacesAcrossProcesses } from './races.js';

const dir = mkdtempSync(join(tmpdir(), 'otpgate-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const memoryDb = new Database(':memory:');
const memoryStore = createSqliteStore({ db: memoryDb });
await memoryStore.migrate();
describeStoreContract('sqlite (:memory:)', () => memoryStore);

// Two connections to one WAL file, used alternately: what one writes, the
// other must see, and its version checks must hold.
const file = join(dir, 'shared.db');
const connections = [new Database(file, { timeout: 5_000 }), new Database(file, { timeout: 5_000 })];
connections[0]!.pragma('journal_mode = WAL');
const fileStores = connections.map((db) => createSqliteStore({ db, table: 'mfa_shared' }));
await fileStores[0]!.migrate();
await fileStores[1]!.migrate();
let turn = 0;
describeStoreContract('sqlite (one file, two connections)', () => fileStores[turn++ % 2]!);

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('createSqliteStore', () => {
  it('validates options and does no I/O in the factory', () => {
    const calls: string[] = [];
    const spy: SqliteDatabaseLike = {
      prepare: (sql) => (calls.push(sql), memoryDb.prepare(sql)),
      exec: (sql) => calls.push(sql),
    };
    createSqliteStore({ db: spy, table: 'anything_1' });
    expect(calls).toEqual([]);
    for (const table of ['', '1abc', 'a-b', 'x"; DROP TABLE t; --', 'a.b', 'a'.repeat(49), ' t']) {
      expect(() => createSqliteStore({ db: memoryDb, table })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    }
    expect(() => createSqliteStore({ db: {} as SqliteDatabaseLike })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(() => createSqliteStore(undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });

  it('schemaSql creates the table and a partial index; migrate is idempotent', async () => {
    const db = new Database(':memory:');
    expect(schemaSql()).toContain('CREATE TABLE IF NOT EXISTS "otpgate_mfa"');
    const store = createSqliteStore({ db, table: 'idem' });
    await store.migrate();
    await store.compareAndSet('alice', null, { resetRequest: null });
    await store.migrate();
    expect((await store.get('alice'))?.version).toBe(1);
    const objects = db.prepare("SELECT type, name FROM sqlite_master WHERE tbl_name = 'idem' ORDER BY type, name").all();
    expect(objects).toEqual([
      { type: 'index', name: 'idem_reset_open' },
      { type: 'index', name: 'sqlite_autoindex_idem_1' },
      { type: 'table', name: 'idem' },
    ]);
    db.close();
  });

  it('listOpenResets is served by the partial index, not a table scan', () => {
    const plan = memoryDb
      .prepare('EXPLAIN QUERY PLAN SELECT user_id, version, record FROM "otpgate_mfa" WHERE reset_open = 1 ORDER BY user_id')
      .all() as Array<{ detail: string }>;
    expect(plan.map((row) => row.detail).join('\n')).toMatch(/USING (COVERING )?INDEX otpgate_mfa_reset_open/);
  });

  it('reports a missing table, a closed database and a corrupted row as ERR_STORE', async () => {
    const db = new Database(':memory:');
    const store = createSqliteStore({ db, table: 'not_migrated' });
    const missing = await rejection(store.get('alice'));
    expect(isOtpError(missing) && missing.code).toBe('ERR_STORE');
    expect((missing as Error).cause).toBeInstanceOf(Error);

    await store.migrate();
    db.prepare('INSERT INTO not_migrated (user_id, version, record) VALUES (?, 1, ?)').run('broken', '{"resetRequest":');
    expect(await rejection(store.get('broken'))).toMatchObject({ code: 'ERR_STORE' });

    await expect(store.compareAndSet('bob', null, { resetRequest: null, n: 1n } as MfaRecord)).rejects.toMatchObject({ code: 'ERR_STORE' });
    expect(await store.get('bob')).toBeNull();

    db.close();
    for (const call of [store.get('alice'), store.compareAndSet('alice', null, { resetRequest: null }), store.listOpenResets()]) {
      expect(await rejection(call)).toMatchObject({ code: 'ERR_STORE', name: 'OtpError' });
    }
  });

  it('a write blocked by another connection fails with ERR_STORE, leaving the record as it was; later it works', async () => {
    const path = join(dir, 'busy.db');
    const holder = new Database(path);
    holder.pragma('journal_mode = WAL');
    const waiter = new Database(path, { timeout: 50 });
    const store = createSqliteStore({ db: waiter, table: 'busy' });
    await store.migrate();
    await store.compareAndSet('alice', null, { resetRequest: null, n: 1 });

    holder.prepare('BEGIN IMMEDIATE').run();
    const error = await rejection(store.compareAndSet('alice', 1, { resetRequest: null, n: 2 }));
    expect(error).toMatchObject({ code: 'ERR_STORE' });
    expect(String((error as Error).message)).not.toContain('alice');
    expect(((error as Error).cause as { code?: string }).code).toBe('SQLITE_BUSY');
    holder.prepare('ROLLBACK').run();

    expect(await store.get('alice')).toEqual({ record: { resetRequest: null, n: 1 }, version: 1 });
    expect(await store.compareAndSet('alice', 1, { resetRequest: null, n: 2 })).toBe(true);
    holder.close();
    waiter.close();
  });

  describe('across processes (one WAL file)', () => {
    itRacesAcrossProcesses(() => ({ kind: 'sqlite', file: join(dir, 'races.db'), table: 'races' }), 3);
  });
});

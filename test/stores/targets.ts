// How tests and worker processes open a store on a shared backend.
import Database from 'better-sqlite3';
import pg from 'pg';
import type { MfaStore } from '../../src/seams/store.js';
import { createPostgresStore } from '../../src/stores/postgres.js';
import { createSqliteStore } from '../../src/stores/sqlite.js';

export type StoreTarget =
  | { readonly kind: 'sqlite'; readonly file: string; readonly table: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly table: string };

export interface OpenedStore {
  readonly store: MfaStore;
  close(): Promise<void>;
}

export async function openStore(target: StoreTarget): Promise<OpenedStore> {
  switch (target.kind) {
    case 'sqlite': {
      const db = new Database(target.file, { timeout: 10_000 });
      db.pragma('journal_mode = WAL');
      const store = createSqliteStore({ db, table: target.table });
      await store.migrate();
      return { store, close: async () => void db.close() };
    }
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: target.url, max: 4 });
      pool.on('error', () => {});
      const store = createPostgresStore({ client: pool, table: target.table });
      await store.migrate();
      return { store, close: () => pool.end() };
    }
  }
}

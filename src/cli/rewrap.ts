// `otpgate rewrap`: key rotation from the command line, for the stores that
// sit on a database the CLI can reach (SQLite file, PostgreSQL, Redis).
// Drivers are the host's optional peers, loaded only here, only when asked.
import { OtpError } from '../errors.js';
import { createAesGcmCipher } from '../gate/aes-gcm.js';
import { rewrapSecrets, type RewrapProgress } from '../gate/rewrap.js';
import type { MfaStore } from '../seams/store.js';

/** A store on `target`, and how to close it. */
export interface OpenedStore {
  readonly store: MfaStore;
  close(): Promise<void>;
}

/**
 * Opens the store named by a URL: `sqlite:PATH`, `postgres://…`,
 * `redis://…`. The table or key prefix can be given; the rest are the
 * stores' defaults.
 */
export async function openStoreAt(target: string, where: { readonly table?: string | undefined; readonly prefix?: string | undefined }): Promise<OpenedStore> {
  if (target.startsWith('sqlite:')) {
    const { default: Database } = await import('better-sqlite3');
    const { createSqliteStore } = await import('../stores/sqlite.js');
    const db = new Database(target.slice('sqlite:'.length), { fileMustExist: true, timeout: 10_000 });
    return { store: createSqliteStore({ db, table: where.table }), close: async () => void db.close() };
  }
  if (target.startsWith('postgres://') || target.startsWith('postgresql://')) {
    const { default: pg } = await import('pg');
    const { createPostgresStore } = await import('../stores/postgres.js');
    const pool = new pg.Pool({ connectionString: target, max: 2 });
    pool.on('error', () => {});
    return { store: createPostgresStore({ client: pool, table: where.table }), close: () => pool.end() };
  }
  if (target.startsWith('redis://') || target.startsWith('rediss://')) {
    const { Redis } = await import('ioredis');
    const { createRedisStore } = await import('../stores/redis.js');
    const client = new Redis(target, { maxRetriesPerRequest: 2, lazyConnect: false });
    client.on('error', () => {});
    return { store: createRedisStore({ client, prefix: where.prefix }), close: async () => void client.disconnect() };
  }
  throw new OtpError('ERR_USAGE', 'STORE must be sqlite:PATH, postgres://… or redis://…');
}

/**
 * Parses the keys of a rotating cipher from text such as
 * `2025:BASE64URL,2026:BASE64URL` (32 bytes each).
 */
export function parseKeys(text: string): Record<string, Uint8Array> {
  const keys: Record<string, Uint8Array> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = part.indexOf(':');
    if (at < 1) throw new OtpError('ERR_USAGE', 'each key must be ID:BASE64URL');
    const bytes = Uint8Array.from(atob(part.slice(at + 1).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    keys[part.slice(0, at)] = bytes;
  }
  return keys;
}

/** Runs the rotation and reports each page through `progress`. */
export async function rewrapStore(
  opened: OpenedStore,
  keys: Record<string, Uint8Array>,
  current: string,
  progress: (p: RewrapProgress) => void,
  cursor: string | null,
): Promise<RewrapProgress> {
  try {
    return await rewrapSecrets({ store: opened.store, cipher: createAesGcmCipher({ keys, current }), onProgress: progress, cursor });
  } finally {
    await opened.close();
  }
}

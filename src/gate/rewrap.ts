// Key rotation: every secret of a record wrapped under the cipher's current
// key. The gate does it on each user's next write; rewrapSecrets walks every
// user now, by compare-and-set, safe while servers serve.
import { OtpError } from '../errors.js';
import type { SecretCipher } from '../seams/cipher.js';
import type { MfaStore } from '../seams/store.js';
import { authenticatorsOf, withAuthenticators } from './authenticators.js';
import { parseGateRecord, type GateRecord, type StoredSecret } from './record.js';

/** @internal How to read and write one secret; the gate's shell puts its deadlines and key cache behind these. */
export interface SecretIo {
  /** The plain base32 secret of a stored one. */
  plain(stored: StoredSecret): Promise<string>;
  /** `plain` wrapped under the current key. */
  wrap(plain: string): Promise<string>;
}

/** @internal Whether a stored secret is not wrapped under the cipher's current key. */
export function isStale(cipher: SecretCipher, stored: StoredSecret): boolean {
  return !stored.wrapped || cipher.needsRewrap?.(stored.secret) === true;
}

/** @internal The record with every stale secret wrapped again; the same object when none is. */
export async function upgradeSecrets(record: GateRecord, cipher: SecretCipher, io: SecretIo): Promise<GateRecord> {
  const list = authenticatorsOf(record);
  const stale = (stored: StoredSecret) => isStale(cipher, stored);
  if (!list.some(stale) && !(record.pending !== null && stale(record.pending))) return record;
  const rewrap = async <S extends StoredSecret>(stored: S): Promise<S> =>
    stale(stored) ? { ...stored, secret: await io.wrap(await io.plain(stored)), wrapped: true } : stored;
  const upgraded = withAuthenticators(record, await Promise.all(list.map(rewrap)));
  return record.pending === null ? upgraded : { ...upgraded, pending: await rewrap(record.pending) };
}

/**
 * Options of {@link rewrapSecrets}.
 *
 * @example
 * ```ts
 * import type { RewrapOptions } from 'otpgate';
 * declare const options: RewrapOptions;
 * const resume: RewrapOptions = { ...options, cursor: 'from the last onProgress' };
 * ```
 */
export interface RewrapOptions {
  /** The store to walk: it must offer `listUsers`. */
  readonly store: MfaStore;
  /** The cipher whose current key every secret should be wrapped under. */
  readonly cipher: SecretCipher;
  /** Called after each page, with a cursor to resume from. @defaultValue none */
  readonly onProgress?: ((progress: RewrapProgress) => void) | undefined;
  /** Resume after a page an earlier run reported. @defaultValue from the start */
  readonly cursor?: string | null | undefined;
  /** Users per page. @defaultValue `100` */
  readonly pageSize?: number | undefined;
}

/**
 * How far {@link rewrapSecrets} has come.
 *
 * @example
 * ```ts
 * import type { RewrapProgress } from 'otpgate';
 * const line = (p: RewrapProgress) => `${p.users} users, ${p.rewrapped} re-wrapped`;
 * ```
 */
export interface RewrapProgress {
  /** Users looked at so far. */
  readonly users: number;
  /** Records written with re-wrapped secrets so far. */
  readonly rewrapped: number;
  /** Pass it as `cursor` to resume after this page; `null` when done. */
  readonly cursor: string | null;
}

const MAX_ATTEMPTS = 24;

/**
 * Wraps every user's secrets under the cipher's current key now (after a key
 * rotation, or after a cipher was first set up), instead of on each user's
 * next write. Each record is one compare-and-set, redone on a conflict, so it
 * is safe to run while servers serve; it can be stopped and resumed from the
 * last `cursor`.
 *
 * @returns the totals, with `cursor: null`
 * @throws {@link OtpError} `ERR_OPTIONS` when the store has no `listUsers`; `ERR_CIPHER` / `ERR_STORE` from the seams
 *
 * @example
 * ```ts
 * import { createAesGcmCipher, createMemoryStore, rewrapSecrets } from 'otpgate';
 * const cipher = createAesGcmCipher({ keys: { old: new Uint8Array(32).fill(1), new: new Uint8Array(32).fill(2) }, current: 'new' });
 * const done = await rewrapSecrets({ store: createMemoryStore(), cipher, onProgress: (p) => console.log(p.users) });
 * ```
 */
export async function rewrapSecrets(options: RewrapOptions): Promise<RewrapProgress> {
  const { store, cipher } = options ?? ({} as RewrapOptions);
  if (typeof store?.listUsers !== 'function') throw new OtpError('ERR_OPTIONS', 'rewrapSecrets: the store must offer listUsers');
  if (typeof cipher?.encrypt !== 'function' || typeof cipher.decrypt !== 'function') throw new OtpError('ERR_OPTIONS', 'rewrapSecrets: cipher is required');
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new OtpError('ERR_OPTIONS', 'rewrapSecrets: pageSize must be an integer from 1 to 1000');
  let cursor = options.cursor ?? null;
  let users = 0;
  let rewrapped = 0;
  do {
    const page = await store.listUsers({ cursor, limit: pageSize });
    for (const userId of page.userIds) {
      users++;
      if (await rewrapOne(store, cipher, userId)) rewrapped++;
    }
    cursor = page.cursor;
    options.onProgress?.({ users, rewrapped, cursor });
  } while (cursor !== null);
  return { users, rewrapped, cursor: null };
}

async function rewrapOne(store: MfaStore, cipher: SecretCipher, userId: string): Promise<boolean> {
  const io: SecretIo = {
    plain: (stored) => (stored.wrapped ? cipher.decrypt(stored.secret, userId) : Promise.resolve(stored.secret)),
    wrap: (plain) => cipher.encrypt(plain, userId),
  };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = await store.get(userId);
    if (found === null) return false;
    const record = parseGateRecord(found.record);
    const next = await upgradeSecrets(record, cipher, io);
    if (next === record) return false;
    if (await store.compareAndSet(userId, found.version, next)) return true;
  }
  throw new OtpError('ERR_CONFLICT', 'rewrapSecrets kept losing the race for a user\'s record; run it again');
}

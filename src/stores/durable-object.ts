/**
 * An {@link MfaStore} on Cloudflare Durable Objects, for Workers: one object
 * per user holds that user's record, and its compare-and-set runs inside the
 * object, which handles one event at a time. The Worker exports
 * {@link OtpgateDurableObject} and binds a Durable Object namespace to it;
 * {@link createDurableObjectStore} is the store on that binding.
 *
 * @example
 * ```ts
 * // worker.ts; wrangler.toml binds OTPGATE to the class:
 * //   [[durable_objects.bindings]]  name = "OTPGATE"  class_name = "OtpgateDurableObject"
 * //   [[migrations]]  tag = "v1"  new_sqlite_classes = ["OtpgateDurableObject"]
 * import { createDurableObjectStore, OtpgateDurableObject } from 'otpgate/stores/durable-object';
 * export { OtpgateDurableObject };
 * export default {
 *   async fetch(request: Request, env: { OTPGATE: DurableObjectNamespace }) {
 *     const store = createDurableObjectStore({ namespace: env.OTPGATE });
 *     return Response.json(await store.get('alice'));
 *   },
 * };
 * ```
 *
 * @module otpgate/stores/durable-object
 */
// Runs in workerd: web APIs only, no `node:` imports (tsconfig.core.json
// type-checks this file without Node's types).
import { OtpError } from '../errors.js';
import { redactError } from '../internal/redact.js';
import type { MfaRecord, MfaStore, StoredRecord, UserPage, UserRecord } from '../seams/store.js';
import {
  checkUserId,
  guarded,
  isImpossibleVersion,
  pageLimit,
  parseRecord,
  parseVersion,
  readOpenRows,
  serialise,
  warn,
  type StoreErrorHook,
} from './_shared.js';

const NAME = 'durable-object store';
// The objects are only ever reached through a stub; the host part is never resolved.
const ORIGIN = 'https://otpgate.invalid';

/**
 * What the store reads of a reply from an object (a `Response` has it all).
 *
 * @example
 * ```ts
 * import type { DurableObjectResponseLike } from 'otpgate/stores/durable-object';
 * const reply: DurableObjectResponseLike = new Response('{"value":null}');
 * ```
 */
export interface DurableObjectResponseLike {
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  /** The HTTP status. */
  readonly status: number;
  /** The body as text. */
  text(): Promise<string>;
}

/**
 * What {@link OtpgateDurableObject} reads of a request (a `Request` has it all).
 *
 * @example
 * ```ts
 * import type { DurableObjectRequestLike } from 'otpgate/stores/durable-object';
 * const request: DurableObjectRequestLike = new Request('https://otpgate.invalid/get', { method: 'POST', body: '{}' });
 * ```
 */
export interface DurableObjectRequestLike {
  /** The URL; its path names the operation. */
  readonly url: string;
  /** The body, parsed as JSON. */
  json(): Promise<unknown>;
}

/**
 * The part of a Durable Object stub the store uses: `fetch`.
 *
 * @example
 * ```ts
 * import type { DurableObjectStubLike } from 'otpgate/stores/durable-object';
 * declare const env: { OTPGATE: { get(id: unknown): DurableObjectStubLike } };
 * ```
 */
export interface DurableObjectStubLike {
  /** Sends a request to the object. */
  fetch(
    input: string,
    init: { readonly method: string; readonly headers: Record<string, string>; readonly body: string },
  ): Promise<DurableObjectResponseLike>;
}

/**
 * The part of a `DurableObjectNamespace` binding the store uses.
 *
 * @example
 * ```ts
 * import type { DurableObjectNamespaceLike } from 'otpgate/stores/durable-object';
 * declare const env: { OTPGATE: DurableObjectNamespaceLike };
 * const stub = env.OTPGATE.get(env.OTPGATE.idFromName('otpgate:user:alice'));
 * ```
 */
export interface DurableObjectNamespaceLike {
  /** The id of the object with this name (the same name gives the same object, everywhere). */
  idFromName(name: string): unknown;
  /** A stub for the object with this id. */
  get(id: never): DurableObjectStubLike;
}

/**
 * Options of {@link createDurableObjectStore}.
 *
 * @example
 * ```ts
 * import type { DurableObjectStoreOptions } from 'otpgate/stores/durable-object';
 * declare const env: { OTPGATE: DurableObjectStoreOptions['namespace'] };
 * const options: DurableObjectStoreOptions = { namespace: env.OTPGATE, prefix: 'tenant-1:' };
 * ```
 */
export interface DurableObjectStoreOptions {
  /** The namespace bound to {@link OtpgateDurableObject} (for example `env.OTPGATE`). */
  readonly namespace: DurableObjectNamespaceLike;
  /**
   * Prepended to every object name, so several stores can share one
   * namespace: at most 100 letters, digits or `_ - . :`.
   * @default 'otpgate:'
   */
  readonly prefix?: string | undefined;
  /**
   * Told about a user `listOpenResets` skipped because that user's object
   * could not be read (the message names the user, never the record), so
   * one failing object never hides every other user's reset request.
   * @defaultValue `console.warn` of the message
   */
  readonly onError?: ((error: OtpError) => void) | undefined;
}

/**
 * The Durable Object store: an {@link MfaStore} plus what it was configured with.
 *
 * @example
 * ```ts
 * import { createDurableObjectStore, type DurableObjectStore } from 'otpgate/stores/durable-object';
 * declare const env: { OTPGATE: Parameters<typeof createDurableObjectStore>[0]['namespace'] };
 * const store: DurableObjectStore = createDurableObjectStore({ namespace: env.OTPGATE });
 * ```
 */
export interface DurableObjectStore extends MfaStore {
  /** The object name prefix. */
  readonly prefix: string;
  /**
   * Nothing to create: an object's storage exists once it is written (the
   * class itself is declared in wrangler's `migrations`). Present so that
   * every store starts the same way; resolves at once, without I/O.
   */
  migrate(): Promise<void>;
}

const PREFIX = /^[A-Za-z0-9_.:-]{0,100}$/;

function isOpen(stored: StoredRecord | null): boolean {
  const request = (stored?.record as { resetRequest?: unknown } | undefined)?.resetRequest;
  return stored !== null && request !== null && request !== undefined;
}

/** What the objects answer: `{ value }`, or a status of 500 with `{ error }` naming the step. */
async function call(stub: DurableObjectStubLike, path: string, body: unknown): Promise<unknown> {
  const response = await stub.fetch(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let reply: { value?: unknown; error?: unknown };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch (cause) {
    throw new OtpError('ERR_STORE', `${NAME}: the object answered ${path} with status ${response.status} and no JSON (is the namespace bound to OtpgateDurableObject?)`, { cause: redactError(cause) });
  }
  if (!response.ok || reply === null || typeof reply !== 'object' || !('value' in reply)) {
    throw new OtpError('ERR_STORE', `${NAME}: the object failed ${path}: ${String(reply?.error ?? response.status)}`);
  }
  return reply.value;
}

/**
 * Creates an {@link MfaStore} on a Durable Object namespace bound to
 * {@link OtpgateDurableObject}. Does no I/O.
 *
 * Each user is one object, named `<prefix>user:<userId>` (`idFromName`),
 * that holds the record and its version; `compareAndSet` is one request to
 * it, and the object compares and writes with no other event in between.
 * Users never contend with each other, and each one's object lives near
 * where it is used. One more object, `<prefix>open-resets`, indexes the
 * users with an open reset request: the user's object tells it of every
 * opening and closing, tagged with the record's version so that messages
 * arriving out of order cannot undo a later one, and retries from an alarm
 * when the index could not be reached. `listOpenResets()` reads the index,
 * then each listed user's object, and keeps those whose request is still
 * open. Reset requests are rare, so one index object is not a bottleneck.
 *
 * A third object, `<prefix>users`, is the directory `listUsers` pages
 * through: a user's object tells it when the user's record is created and
 * when it is deleted (not on other writes), in the same way. A record
 * written before the directory existed is added to it by an alarm after the
 * record's next read or write. `delete` removes the record and then the
 * user's entries in both indexes; the user's object keeps only a counter of
 * the records it has held, so that messages about a deleted record can never
 * remove or revive a newer one.
 *
 * Errors (an unreachable object, an exceeded limit, a namespace bound to
 * another class) reject with `OtpError('ERR_STORE')`.
 *
 * @param options - the namespace and an optional object name prefix
 * @returns the store
 * @throws {OtpError} ERR_OPTIONS when the namespace is missing or the prefix has other characters
 *
 * @example
 * ```ts
 * import { createGate } from 'otpgate';
 * import { createDurableObjectStore, OtpgateDurableObject } from 'otpgate/stores/durable-object';
 * export { OtpgateDurableObject };
 * export default {
 *   async fetch(request: Request, env: { OTPGATE: DurableObjectNamespace }) {
 *     const store = createDurableObjectStore({ namespace: env.OTPGATE });
 *     const gate = createGate({ store, issuer: 'Example', directory, notifier }); // directory, notifier: yours
 *     return Response.json(await gate.nextStep('alice'));
 *   },
 * };
 * ```
 */
export function createDurableObjectStore(options: DurableObjectStoreOptions): DurableObjectStore {
  const namespace = options?.namespace as Partial<DurableObjectNamespaceLike> | undefined;
  if (typeof namespace === 'string') {
    throw new OtpError('ERR_OPTIONS', `${NAME}: namespace must be the Durable Object binding (env.OTPGATE), not its name`);
  }
  if (namespace === null || typeof namespace !== 'object' || typeof namespace.idFromName !== 'function' || typeof namespace.get !== 'function') {
    throw new OtpError('ERR_OPTIONS', `${NAME}: namespace is required: the Durable Object namespace binding bound to OtpgateDurableObject`);
  }
  const prefix = options.prefix ?? 'otpgate:';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new OtpError('ERR_OPTIONS', `${NAME}: prefix must be at most 100 letters, digits or _ - . :`);
  }
  const onError: StoreErrorHook = options.onError ?? warn;
  const ns = namespace as DurableObjectNamespaceLike;
  const stubOf = (name: string) => ns.get(ns.idFromName(name) as never);
  const userName = (userId: string) => `${prefix}user:${userId}`;
  const indexName = `${prefix}open-resets`;
  const usersName = `${prefix}users`;

  async function read(userId: string): Promise<StoredRecord | null> {
    const value = (await call(stubOf(userName(userId)), '/get', { userId, users: usersName })) as { json?: unknown; version?: unknown } | null;
    if (value === null) return null;
    return { record: parseRecord(value.json, NAME), version: parseVersion(value.version, NAME) };
  }

  return {
    prefix,

    migrate: async () => {},

    get: (userId) =>
      guarded(NAME, 'get', () => {
        // A lone surrogate would reach idFromName as U+FFFD: two such ids would share an object.
        checkUserId(userId, NAME);
        return read(userId);
      }),

    compareAndSet: (userId: string, expected: number | null, next: MfaRecord) =>
      guarded(NAME, 'compareAndSet', async () => {
        checkUserId(userId, NAME);
        const { json, resetOpen } = serialise(next, NAME);
        if (isImpossibleVersion(expected)) return false;
        const name = userName(userId);
        const reply = await call(stubOf(name), '/compare-and-set', {
          userId,
          name,
          expected,
          json,
          open: resetOpen,
          index: indexName,
          users: usersName,
        });
        if (typeof reply !== 'boolean') throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to compareAndSet`);
        return reply;
      }),

    delete: (userId: string) =>
      guarded(NAME, 'delete', async () => {
        checkUserId(userId, NAME);
        const name = userName(userId);
        const reply = await call(stubOf(name), '/delete', { userId, name, index: indexName, users: usersName });
        if (typeof reply !== 'boolean') throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to delete`);
        return reply;
      }),

    listUsers: (options) =>
      guarded(NAME, 'listUsers', async (): Promise<UserPage> => {
        const limit = pageLimit(options?.limit, NAME);
        const after = options?.cursor ?? null;
        if (after !== null && (typeof after !== 'string' || after.length === 0)) {
          throw new OtpError('ERR_OPTIONS', `${NAME}: cursor must be the cursor of a previous page, or null`);
        }
        // One more than asked: whether it comes tells if there is a next page.
        const ids = await call(stubOf(usersName), '/index/page', { after, limit: limit + 1 });
        if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
          throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to the user list`);
        }
        const userIds = (ids as string[]).slice(0, limit);
        return { userIds, cursor: ids.length > limit ? userIds.at(-1)! : null };
      }),

    listOpenResets: () =>
      guarded(NAME, 'listOpenResets', async () => {
        const ids = await call(stubOf(indexName), '/index/list', {});
        if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
          throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to the index list`);
        }
        const sorted = [...(ids as string[])].sort();
        const rows = await Promise.all(
          sorted.map(async (userId) => {
            try {
              return { userId, stored: await read(userId) };
            } catch (error) {
              return { userId, error };
            }
          }),
        );
        // The index may name a user whose request just closed: each user's
        // own object has the last word. One object that cannot be read is
        // skipped and reported, not a failure of the whole list.
        const live = rows.filter((row) => !('stored' in row) || isOpen(row.stored));
        return readOpenRows(live, NAME, onError, (row): UserRecord => {
          if (!('stored' in row)) throw row.error;
          return { userId: row.userId, ...row.stored! };
        }, (row) => row.userId);
      }),
  };
}

/** The part of `DurableObjectState` the class uses. */
interface StateLike {
  readonly id: { equals(other: unknown): boolean };
  readonly storage: {
    get(keys: string[]): Promise<Map<string, unknown>>;
    put(entries: Record<string, unknown>): Promise<void>;
    delete(keys: string[]): Promise<unknown>;
    list(options: { prefix: string; startAfter?: string; limit?: number }): Promise<Map<string, unknown>>;
    getAlarm(): Promise<number | null>;
    setAlarm(at: number): Promise<void>;
  };
}

/**
 * An entry of an index object: the last state it heard of for a user.
 * `generation` counts the records the user's object has held (absent in
 * entries written before records could be deleted: 0).
 */
interface IndexEntry {
  readonly version: number;
  readonly open: boolean;
  readonly generation?: number;
}

/** What an index object keeps of a deleted record for a while: its generation, and when it was deleted. */
interface Tombstone {
  readonly generation: number;
  readonly at: number;
}

/** What a user's object tells an index object. */
interface IndexUpdate {
  readonly userId: string;
  readonly generation: number;
  readonly version: number;
  readonly open: boolean;
  /** The record of this generation is gone: the entry goes too. */
  readonly deleted: boolean;
}

/**
 * How long an index object remembers a deletion: long enough for any
 * message about the deleted record still on its way to arrive and be
 * ignored. The user id goes with it.
 */
const TOMBSTONE_MS = 10 * 60_000;
/** Storage takes at most 128 keys per call. */
const KEYS_PER_CALL = 128;
const USER_KEYS = ['version', 'record', 'userId', 'name', 'index', 'users', 'generation', 'listed', 'indexPending'];

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The generation of a user's object: absent in objects written before records could be deleted. */
const generationOf = (stored: Map<string, unknown>): number => {
  const generation = stored.get('generation');
  return typeof generation === 'number' ? generation : 0;
};

const isOpenJson = (text: unknown): boolean => {
  const request = (JSON.parse(String(text)) as { resetRequest?: unknown }).resetRequest;
  return request !== null && request !== undefined;
};

/** Whether `update` is newer than what the index has: a later generation, or in the same one a deletion or a later version. */
function isLater(update: IndexUpdate, entry: IndexEntry): boolean {
  const generation = entry.generation ?? 0;
  if (update.generation !== generation) return update.generation > generation;
  return update.deleted || update.version > entry.version;
}

/**
 * The Durable Object class behind {@link createDurableObjectStore}. Export
 * it from the Worker's main module and bind a namespace to it; the store
 * does the rest. Each instance is one user's record, the index of open
 * reset requests or the directory of users, by the requests it gets.
 *
 * A user's object keeps `version`, `record` (JSON text) and its own name in
 * its transactional storage. Its compare-and-set reads and writes that
 * storage with no other I/O in between, so the object's input gate holds
 * every other request back until the write is made: the check and the write
 * are one step. The reply waits for the write to be durable (the output
 * gate). It then tells the index object of an opened or closed reset
 * request, and the directory of a record created; should that fail, an alarm
 * retries until it succeeds. A deletion is told to both the same way.
 *
 * @example
 * ```ts
 * // The Worker's main module:
 * export { OtpgateDurableObject } from 'otpgate/stores/durable-object';
 * ```
 */
export class OtpgateDurableObject {
  readonly #state: StateLike;
  readonly #env: Record<string, unknown>;

  /**
   * Called by the Workers runtime.
   * @param state - the object's `DurableObjectState`
   * @param env - the Worker's bindings; the object finds its own namespace among them to reach the indexes
   */
  constructor(state: unknown, env: unknown) {
    this.#state = state as StateLike;
    this.#env = (env ?? {}) as Record<string, unknown>;
  }

  /**
   * Answers the store's requests. Any failure answers 500 with the step
   * that failed; the store turns it into `ERR_STORE`.
   * @param request - a request from {@link createDurableObjectStore}
   * @returns the reply, `{ value }` as JSON
   */
  async fetch(request: DurableObjectRequestLike): Promise<DurableObjectResponseLike> {
    const path = new URL(request.url).pathname;
    let body: Record<string, unknown>;
    try {
      body = (await request.json()) as Record<string, unknown>;
    } catch {
      return json({ error: 'the request is not JSON' }, 400);
    }
    try {
      switch (path) {
        case '/get':
          return json({ value: await this.#get(body) });
        case '/compare-and-set':
          return json({ value: await this.#compareAndSet(body) });
        case '/delete':
          return json({ value: await this.#delete(body) });
        case '/index/sync':
          return json({ value: await this.#indexSync(body) });
        case '/index/list':
          return json({ value: await this.#indexList() });
        case '/index/page':
          return json({ value: await this.#indexPage(body) });
        default:
          return json({ error: `no such operation ${path}` }, 404);
      }
    } catch (error) {
      // The name of the step only: the message of a storage error could quote a record.
      return json({ error: `${path.slice(1)} failed in the object${error instanceof Error ? ` (${error.name})` : ''}` }, 500);
    }
  }

  /**
   * In a user's object: tells the indexes what a write or a deletion could
   * not, or adds a record written before the directory existed to it. In an
   * index: forgets deletions old enough. Called by the Workers runtime; a
   * failure throws, and the runtime retries the alarm.
   */
  async alarm(): Promise<void> {
    const stored = await this.#state.storage.get(USER_KEYS);
    const [userId, name, index, users] = ['userId', 'name', 'index', 'users'].map((key) => stored.get(key));
    if (typeof userId !== 'string' || typeof name !== 'string' || typeof index !== 'string') return this.#sweep();
    const generation = generationOf(stored);
    const version = stored.get('version');
    if (typeof version !== 'number') {
      // A deletion that not every index has heard of yet.
      const gone: IndexUpdate = { userId, generation, version: 0, open: false, deleted: true };
      await this.#tell(name, index, gone);
      if (typeof users === 'string') await this.#tell(name, users, gone);
      return this.#forgetOwner();
    }
    const open = isOpenJson(stored.get('record'));
    // The index hears of closed requests only when it missed one: it never
    // needs an entry for a user who had no request open.
    if (open || stored.get('indexPending') === true) {
      await this.#tell(name, index, { userId, generation, version, open, deleted: false });
      await this.#state.storage.delete(['indexPending']);
    }
    if (typeof users === 'string' && stored.get('listed') !== generation) {
      await this.#tell(name, users, { userId, generation, version, open: false, deleted: false });
      await this.#state.storage.put({ listed: generation });
    }
  }

  async #get(body: Record<string, unknown>): Promise<{ json: unknown; version: unknown } | null> {
    const stored = await this.#state.storage.get(['version', 'record', 'userId', 'generation', 'listed']);
    if (!stored.has('version')) return null;
    this.#checkOwner(stored.get('userId'), body['userId']);
    const users = body['users'];
    if (typeof users === 'string' && stored.get('listed') !== generationOf(stored)) {
      // A record the directory has not confirmed (written before there was
      // one, or its message failed): the alarm adds it, off this read's path.
      await this.#state.storage.put({ users });
      await this.#state.storage.setAlarm(Date.now());
    }
    return { json: stored.get('record'), version: stored.get('version') };
  }

  async #compareAndSet(body: Record<string, unknown>): Promise<boolean> {
    const { userId, name, expected, json: next, open, index, users } = body;
    if (typeof userId !== 'string' || typeof name !== 'string' || typeof next !== 'string' || typeof open !== 'boolean' || typeof index !== 'string') {
      throw new TypeError('malformed compare-and-set');
    }
    if (users !== undefined && typeof users !== 'string') throw new TypeError('malformed compare-and-set');
    // From here to the put: storage calls only. The input gate keeps every
    // other request to this object out until the put is made.
    const stored = await this.#state.storage.get(['version', 'record', 'userId', 'generation', 'listed']);
    const current = stored.get('version');
    if (current !== undefined) this.#checkOwner(stored.get('userId'), userId);
    if (expected === null ? current !== undefined : current !== expected) return false;
    const wasOpen = current !== undefined && isOpenJson(stored.get('record'));
    const version = typeof current === 'number' ? current + 1 : 1;
    // A new record after a deletion is a new generation, which no message about the deleted one can touch.
    const generation = current === undefined ? generationOf(stored) + 1 : generationOf(stored);
    await this.#state.storage.put({ version, record: next, userId, name, index, generation, ...(users === undefined ? {} : { users }) });
    // The record is written; an index that cannot be told hears of it from the alarm.
    let missed = false;
    if (open || wasOpen) {
      try {
        await this.#tell(name, index, { userId, generation, version, open, deleted: false });
      } catch {
        missed = true;
        await this.#state.storage.put({ indexPending: true });
      }
    }
    if (users !== undefined && stored.get('listed') !== generation) {
      try {
        await this.#tell(name, users, { userId, generation, version, open: false, deleted: false });
        await this.#state.storage.put({ listed: generation });
      } catch {
        missed = true;
      }
    }
    if (missed) await this.#state.storage.setAlarm(Date.now() + 1_000);
    return true;
  }

  async #delete(body: Record<string, unknown>): Promise<boolean> {
    const { userId, name, index, users } = body;
    if (typeof userId !== 'string' || typeof name !== 'string' || typeof index !== 'string' || (users !== undefined && typeof users !== 'string')) {
      throw new TypeError('malformed delete');
    }
    const stored = await this.#state.storage.get(['version', 'userId', 'generation']);
    if (!stored.has('version')) return false;
    this.#checkOwner(stored.get('userId'), userId);
    const generation = generationOf(stored);
    // Storage calls only, so no request gets in between: the record is gone
    // at once. The names stay until both indexes have heard of it.
    await this.#state.storage.delete(['version', 'record', 'listed', 'indexPending']);
    await this.#state.storage.put({ userId, name, index, ...(users === undefined ? {} : { users }) });
    const gone: IndexUpdate = { userId, generation, version: 0, open: false, deleted: true };
    try {
      await this.#tell(name, index, gone);
      if (users !== undefined) await this.#tell(name, users, gone);
    } catch {
      await this.#state.storage.setAlarm(Date.now() + 1_000);
      return true;
    }
    await this.#forgetOwner();
    return true;
  }

  /** After a deletion both indexes heard of: the object keeps its generation only, no user id. */
  async #forgetOwner(): Promise<void> {
    // A record created meanwhile (the tells let requests in) keeps its names.
    const stored = await this.#state.storage.get(['version']);
    if (!stored.has('version')) await this.#state.storage.delete(['userId', 'name', 'index', 'users']);
  }

  #checkOwner(owner: unknown, userId: unknown): void {
    // Names are hashed into ids; a different user here would mean a collision.
    if (owner !== userId) throw new Error('the object belongs to another user');
  }

  async #tell(name: string, target: string, update: IndexUpdate): Promise<void> {
    const namespace = this.#ownNamespace(name);
    await call(namespace.get(namespace.idFromName(target) as never), '/index/sync', update);
  }

  #namespace: DurableObjectNamespaceLike | undefined;

  /**
   * The binding of this object's own namespace: the one in which this
   * object's name gives this object's id. No configuration, whatever the
   * binding is called.
   */
  #ownNamespace(name: string): DurableObjectNamespaceLike {
    if (this.#namespace) return this.#namespace;
    for (const value of Object.values(this.#env)) {
      const candidate = value as Partial<DurableObjectNamespaceLike> | null;
      if (candidate === null || typeof candidate !== 'object' || typeof candidate.idFromName !== 'function' || typeof candidate.get !== 'function') continue;
      try {
        if (this.#state.id.equals(candidate.idFromName(name))) return (this.#namespace = candidate as DurableObjectNamespaceLike);
      } catch {
        // Not a Durable Object namespace after all.
      }
    }
    throw new Error('the object cannot find its own namespace among the bindings');
  }

  async #indexSync(body: Record<string, unknown>): Promise<boolean> {
    const { userId, version, open } = body;
    const generation = body['generation'] ?? 0;
    const deleted = body['deleted'] ?? false;
    if (typeof userId !== 'string' || typeof version !== 'number' || typeof open !== 'boolean' || typeof generation !== 'number' || typeof deleted !== 'boolean') {
      throw new TypeError('malformed index sync');
    }
    const update: IndexUpdate = { userId, generation, version, open, deleted };
    const entryKey = `u:${userId}`;
    const tombKey = `t:${userId}`;
    const stored = await this.#state.storage.get([entryKey, tombKey]);
    const entry = stored.get(entryKey) as IndexEntry | undefined;
    const tomb = stored.get(tombKey) as Tombstone | undefined;
    // Only something later counts: a message that arrives late changes
    // nothing, and nothing about a deleted record can revive its entry.
    if (tomb !== undefined && tomb.generation >= generation) return false;
    if (entry !== undefined && !isLater(update, entry)) return false;
    if (deleted) {
      await this.#state.storage.delete([entryKey]);
      await this.#state.storage.put({ [tombKey]: { generation, at: Date.now() } satisfies Tombstone });
      if ((await this.#state.storage.getAlarm()) === null) await this.#state.storage.setAlarm(Date.now() + TOMBSTONE_MS);
      return true;
    }
    if (tomb !== undefined) await this.#state.storage.delete([tombKey]);
    await this.#state.storage.put({ [entryKey]: { version, open, generation } satisfies IndexEntry });
    return true;
  }

  async #indexList(): Promise<string[]> {
    const entries = await this.#state.storage.list({ prefix: 'u:' });
    return [...entries].flatMap(([key, entry]) => ((entry as IndexEntry).open ? [key.slice(2)] : []));
  }

  /** A page of the directory: every user with a record, in the storage's key order, after `after`. */
  async #indexPage(body: Record<string, unknown>): Promise<string[]> {
    const { after, limit } = body;
    if ((after !== null && typeof after !== 'string') || typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
      throw new TypeError('malformed page request');
    }
    const entries = await this.#state.storage.list({ prefix: 'u:', limit, ...(after === null ? {} : { startAfter: `u:${after}` }) });
    return [...entries.keys()].map((key) => key.slice(2));
  }

  /** Forgets deletions older than {@link TOMBSTONE_MS}, and comes back for the rest. */
  async #sweep(): Promise<void> {
    const tombs = await this.#state.storage.list({ prefix: 't:' });
    const now = Date.now();
    const expired: string[] = [];
    let next = Infinity;
    for (const [key, tomb] of tombs) {
      const due = (tomb as Tombstone).at + TOMBSTONE_MS;
      if (due <= now) expired.push(key);
      else next = Math.min(next, due);
    }
    for (let i = 0; i < expired.length; i += KEYS_PER_CALL) await this.#state.storage.delete(expired.slice(i, i + KEYS_PER_CALL));
    if (next !== Infinity) await this.#state.storage.setAlarm(next);
  }
}

/**
 * An {@link MfaStore} on Redis through the host's own client: `ioredis`
 * (version 5 or later) or `redis` (node-redis, version 4 or later).
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { createRedisStore } from 'otpgate/stores/redis';
 * const store = createRedisStore({ client: new Redis(process.env.REDIS_URL!) });
 * ```
 *
 * @module otpgate/stores/redis
 */
import { createHash, randomUUID } from 'node:crypto';
import { OtpError } from '../errors.js';
import type { MfaRecord } from '../seams/store.js';
import type { MfaStore, StoredRecord } from '../seams/store.js';
import { checkUserId, guarded, isImpossibleVersion, parseRecord, parseVersion, readOpenRows, serialise, warn } from './_shared.js';

const NAME = 'redis store';

/**
 * The part of an `ioredis` client the store uses: `call(command, ...args)`,
 * documented in ioredis for sending any command.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import type { IoRedisLike } from 'otpgate/stores/redis';
 * const client: IoRedisLike = new Redis();
 * ```
 */
export interface IoRedisLike {
  /** Sends one command, for example `call('HMGET', key, 'version', 'record')`. */
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
}

/**
 * The part of a node-redis (`redis` 4 or later) client the store uses:
 * `sendCommand(args)`, documented in node-redis for sending any command.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import type { NodeRedisLike } from 'otpgate/stores/redis';
 * const client: NodeRedisLike = await createClient().connect();
 * ```
 */
export interface NodeRedisLike {
  /** Sends one command, for example `sendCommand(['HMGET', key, 'version', 'record'])`. */
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * Options of {@link createRedisStore}.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import type { RedisStoreOptions } from 'otpgate/stores/redis';
 * const options: RedisStoreOptions = { client: new Redis(), prefix: 'myapp:mfa:' };
 * ```
 */
export interface RedisStoreOptions {
  /**
   * The host's connected client: an `ioredis` `Redis` or a node-redis
   * client (not a cluster client). Timeouts, reconnection and the offline
   * queue are the client's settings.
   */
  readonly client: IoRedisLike | NodeRedisLike;
  /**
   * Prepended to every key: 0 to 100 letters, digits or `_ - . : { }`.
   * @default 'otpgate:'
   */
  readonly prefix?: string | undefined;
  /**
   * Which client API to use. By default the store looks at the client's
   * methods: `call` means ioredis, otherwise `sendCommand` means
   * node-redis. Set it when a wrapper object has both or neither shape.
   * @default detected
   */
  readonly flavor?: 'ioredis' | 'node-redis' | undefined;
  /**
   * Told about a row `listOpenResets` skipped because it cannot be read (the
   * message names the user, never the row), so one corrupted record never
   * hides every other user's reset request.
   * @defaultValue `console.warn` of the message
   */
  readonly onError?: ((error: OtpError) => void) | undefined;
}

/**
 * The Redis store: an {@link MfaStore} plus what it was configured with.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { createRedisStore, type RedisStore } from 'otpgate/stores/redis';
 * const store: RedisStore = createRedisStore({ client: new Redis() });
 * console.log(store.flavor); // 'ioredis'
 * ```
 */
export interface RedisStore extends MfaStore {
  /** The key prefix. */
  readonly prefix: string;
  /** The client API in use. */
  readonly flavor: 'ioredis' | 'node-redis';
  /**
   * Nothing to create in Redis; present so that every store starts the
   * same way. Resolves at once, without I/O.
   */
  migrate(): Promise<void>;
}

const PREFIX = /^[A-Za-z0-9_.:{}-]{0,100}$/;

// KEYS[1] user hash, KEYS[2] set of users with an open reset.
// ARGV[1] expected version ('' for a new user), ARGV[2] record JSON,
// ARGV[3] '1' when a reset is open, ARGV[4] user id, ARGV[5] write token.
// Redis runs a script atomically. The set is written before the hash so that
// an error (a key of the wrong type) stops the script before anything of the
// user's record changes. The token makes a resent script (ioredis resends
// commands after a reconnect) report the write it already made as a success
// instead of a lost race.
const CAS_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '' then
  if current then
    if current == '1' and redis.call('HGET', KEYS[1], 'token') == ARGV[5] then return 1 end
    return 0
  end
elseif current ~= ARGV[1] then
  if current and tonumber(current) == tonumber(ARGV[1]) + 1 and redis.call('HGET', KEYS[1], 'token') == ARGV[5] then return 1 end
  return 0
end
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[2], ARGV[4])
else
  redis.call('SREM', KEYS[2], ARGV[4])
end
local version = 1
if current then version = tonumber(current) + 1 end
redis.call('HSET', KEYS[1], 'version', string.format('%d', version), 'record', ARGV[2], 'token', ARGV[5])
return 1
`;
const CAS_SHA = createHash('sha1').update(CAS_SCRIPT).digest('hex');

/**
 * Creates an {@link MfaStore} on the host's Redis client. Does no I/O.
 *
 * Each user is a hash at `<prefix>user:<userId>` (`version`, `record`),
 * and `<prefix>open-resets` is the set of users with an open reset request,
 * which serves `listOpenResets()` without scanning keys. `compareAndSet` is
 * one Lua script (sent with `EVALSHA`, falling back to `EVAL`) that compares
 * the version, writes the record and updates the set together; Redis runs
 * it atomically. Any client or server error, including a dropped connection,
 * rejects with `OtpError('ERR_STORE')`; the record is then at its old
 * version or, if the script ran before the reply was lost, at its new one.
 *
 * With Redis Cluster, put a hash tag in the prefix (`'{otpgate}:'`) so the
 * keys a script touches share a slot; cluster client objects themselves are
 * not supported.
 *
 * @param options - the client, the key prefix and optionally the client API
 * @returns the store
 * @throws {OtpError} ERR_OPTIONS when the client has neither shape or the prefix has other characters
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { createRedisStore } from 'otpgate/stores/redis';
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * client.on('error', (error) => console.error('redis', error));
 * const store = createRedisStore({ client, prefix: 'myapp:otpgate:' });
 * // createGate({ store, directory, notifier, policy, issuer: 'Example' })
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const client = options?.client as Partial<IoRedisLike & NodeRedisLike> | undefined;
  if (client === null || (typeof client !== 'object' && typeof client !== 'function')) {
    throw new OtpError('ERR_OPTIONS', `${NAME}: client is required`);
  }
  const flavor = options.flavor ?? (typeof client.call === 'function' ? 'ioredis' : 'node-redis');
  if (flavor !== 'ioredis' && flavor !== 'node-redis') {
    throw new OtpError('ERR_OPTIONS', `${NAME}: flavor must be 'ioredis' or 'node-redis'`);
  }
  const method = flavor === 'ioredis' ? 'call' : 'sendCommand';
  if (typeof client[method] !== 'function') {
    throw new OtpError(
      'ERR_OPTIONS',
      `${NAME}: client must be an ioredis client (with call()) or a node-redis client (with sendCommand())`,
    );
  }
  const prefix = options.prefix ?? 'otpgate:';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new OtpError('ERR_OPTIONS', `${NAME}: prefix must be at most 100 letters, digits or _ - . : { }`);
  }

  const send: (args: string[]) => Promise<unknown> =
    flavor === 'ioredis'
      ? (args) => (client as IoRedisLike).call(args[0]!, ...args.slice(1))
      : (args) => (client as NodeRedisLike).sendCommand(args);

  const onError = options.onError ?? warn;
  const userKey = (userId: string) => `${prefix}user:${userId}`;
  const openKey = `${prefix}open-resets`;

  async function compareAndSetScript(keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await send(['EVALSHA', CAS_SHA, ...tail]);
    } catch (error) {
      // The server forgot the script (restart, SCRIPT FLUSH) or never saw it.
      if (!String((error as { message?: unknown })?.message).startsWith('NOSCRIPT')) throw error;
      return send(['EVAL', CAS_SCRIPT, ...tail]);
    }
  }

  async function read(userId: string): Promise<StoredRecord | null> {
    const reply = await send(['HMGET', userKey(userId), 'version', 'record']);
    if (!Array.isArray(reply) || reply.length !== 2) {
      throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to HMGET`);
    }
    const [version, record] = reply as [unknown, unknown];
    if (version === null && record === null) return null;
    return { record: parseRecord(record, NAME), version: parseVersion(version, NAME) };
  }

  return {
    prefix,
    flavor,

    migrate: async () => {},

    get: (userId) =>
      guarded(NAME, 'get', () => {
        checkUserId(userId, NAME);
        return read(userId);
      }),

    compareAndSet: (userId: string, expected: number | null, next: MfaRecord) =>
      guarded(NAME, 'compareAndSet', async () => {
        checkUserId(userId, NAME);
        const { json, resetOpen } = serialise(next, NAME);
        if (isImpossibleVersion(expected)) return false;
        const reply = await compareAndSetScript(
          [userKey(userId), openKey],
          [expected === null ? '' : String(expected), json, resetOpen ? '1' : '0', userId, randomUUID()],
        );
        if (reply !== 1 && reply !== 0) throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to the script`);
        return reply === 1;
      }),

    listOpenResets: () =>
      guarded(NAME, 'listOpenResets', async () => {
        const members = await send(['SMEMBERS', openKey]);
        if (!Array.isArray(members)) throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to SMEMBERS`);
        const ids = (members as unknown[]).map(String).sort();
        const rows = await Promise.all(
          ids.map(async (userId) => {
            try {
              return { userId, stored: await read(userId) };
            } catch (error) {
              return { userId, error };
            }
          }),
        );
        // A request closed between the two reads is left out: the list is a
        // snapshot per user, not across users (see MfaStore.listOpenResets).
        // One unreadable hash is skipped and reported, not a failure of the whole list.
        const live = rows.filter((row) => row.stored === undefined || isOpen(row.stored));
        return readOpenRows(live, NAME, onError, (row) => {
          if (row.stored === undefined) throw row.error;
          return { userId: row.userId, ...row.stored! };
        }, (row) => row.userId);
      }),
  };
}

function isOpen(stored: StoredRecord | null): boolean {
  const request = (stored?.record as { resetRequest?: unknown } | undefined)?.resetRequest;
  return request !== null && request !== undefined;
}

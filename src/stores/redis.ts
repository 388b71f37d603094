/**
 * An {@link MfaStore} on Redis through the host's own client: `ioredis`
 * (version 5 or later) or `redis` (node-redis, version 4 or later), on one
 * Redis server or on Redis Cluster (an ioredis `Cluster` or a node-redis
 * `createCluster()` client).
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
import type { ListUsersOptions, MfaStore, StoredRecord } from '../seams/store.js';
import { checkUserId, guarded, isImpossibleVersion, pageLimit, parseRecord, parseVersion, readOpenRows, serialise, warn } from './_shared.js';

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
 * The part of a node-redis cluster client (`createCluster()` from `redis` 4
 * or later) the store uses: `sendCommand(firstKey, isReadonly, args)`, which
 * routes a command to the master of `firstKey`'s slot, and `nodeClient`,
 * by which the store recognises a cluster client.
 *
 * @example
 * ```ts
 * import { createCluster } from 'redis';
 * import type { NodeRedisClusterLike } from 'otpgate/stores/redis';
 * const cluster: NodeRedisClusterLike = await createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] }).connect();
 * ```
 */
export interface NodeRedisClusterLike {
  /** Sends one command to the node that serves `firstKey`. */
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  /** Present on every node-redis cluster client; the store does not call it. */
  nodeClient(node: never): unknown;
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
   * The host's connected client: an `ioredis` `Redis` or `Cluster`, or a
   * node-redis client from `createClient()` or `createCluster()`. Timeouts,
   * reconnection, redirections and the offline queue are the client's
   * settings.
   */
  readonly client: IoRedisLike | NodeRedisLike | NodeRedisClusterLike;
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
   * Whether the client is a Redis Cluster client. By default the store
   * looks at the client: ioredis marks a `Cluster` with `isCluster`, and a
   * node-redis cluster has `nodeClient()`. On a cluster every key carries a
   * hash tag (see {@link createRedisStore}); the layout differs from the
   * one-server layout, so keep this the same for the life of the data. Set
   * it to `true` for a proxy that speaks to a cluster through a one-server
   * client; `false` with a cluster client works only when the prefix holds a
   * hash tag (`'{otpgate}:'`), which puts every key in one slot.
   * @default detected
   */
  readonly cluster?: boolean | undefined;
  /**
   * Cluster only: how many slot groups the users are spread over. A user's
   * keys and the open-reset index of the user's group share one hash slot,
   * so `compareAndSet` is one script on one node; `listOpenResets` reads one
   * index per group. More groups spread the users over more slots (and
   * masters) and make `listOpenResets` send more commands. A user's group
   * follows from this number: never change it once records exist.
   * @default 16
   */
  readonly slotGroups?: number | undefined;
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
  /** Whether the store uses the Redis Cluster key layout. */
  readonly cluster: boolean;
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

/** KEYS[1] the user's hash, KEYS[2] its open-resets set; ARGV[1] the user id. 1 when there was a record. */
const DELETE_SCRIPT = `
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return existed
`;

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
 * On Redis Cluster (a cluster client, or `cluster: true`) the keys carry
 * a hash tag naming one of `slotGroups` groups, chosen by a hash of the user
 * id: `<prefix>{g<n>}:user:<userId>` and `<prefix>{g<n>}:open-resets`. The
 * script then touches one slot, and `listOpenResets()` reads the
 * `slotGroups` indexes, wherever in the cluster they live. A store on one
 * server keeps the layout above, which earlier releases wrote.
 *
 * @param options - the client, the key prefix and optionally the client API
 * @returns the store
 * @throws {OtpError} ERR_OPTIONS when the client has neither shape, the prefix has other characters or `slotGroups` is not 1 to 1024
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
  if (typeof client === 'string') {
    throw new OtpError(
      'ERR_OPTIONS',
      `${NAME}: client must be a connected client object (new Redis(url), createClient({ url }), a Cluster or createCluster()), not a URL`,
    );
  }
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
  // A node-redis cluster client takes the routing key as its own argument.
  const nodeRedisCluster = flavor === 'node-redis' && typeof (client as { nodeClient?: unknown }).nodeClient === 'function';
  const cluster =
    options.cluster ?? (nodeRedisCluster || (flavor === 'ioredis' && (client as { isCluster?: unknown }).isCluster === true));
  if (typeof cluster !== 'boolean') throw new OtpError('ERR_OPTIONS', `${NAME}: cluster must be true or false`);
  const slotGroups = options.slotGroups ?? 16;
  if (!Number.isSafeInteger(slotGroups) || slotGroups < 1 || slotGroups > 1024) {
    throw new OtpError('ERR_OPTIONS', `${NAME}: slotGroups must be an integer from 1 to 1024`);
  }

  // `key` is the command's first key: a node-redis cluster routes by it
  // (ioredis finds the keys of a command itself). Reads too go to the
  // master (isReadonly false): a replica may not have the last write yet.
  const send: (args: string[], key: string) => Promise<unknown> =
    flavor === 'ioredis'
      ? (args) => (client as IoRedisLike).call(args[0]!, ...args.slice(1))
      : nodeRedisCluster
        ? (args, key) => (client as unknown as NodeRedisClusterLike).sendCommand(key, false, args)
        : (args) => (client as NodeRedisLike).sendCommand(args);

  const onError = options.onError ?? warn;
  // One server: the layout every release so far has written. Cluster: a hash
  // tag per group, so that a user's hash and that group's index share a slot.
  const groupOf = (userId: string) =>
    createHash('sha1').update(userId).digest().readUInt32BE(0) % slotGroups;
  const userKey = cluster
    ? (userId: string) => `${prefix}{g${groupOf(userId)}}:user:${userId}`
    : (userId: string) => `${prefix}user:${userId}`;
  const openKeyOf = cluster
    ? (userId: string) => `${prefix}{g${groupOf(userId)}}:open-resets`
    : () => `${prefix}open-resets`;
  const openKeys = cluster
    ? Array.from({ length: slotGroups }, (_, group) => `${prefix}{g${group}}:open-resets`)
    : [`${prefix}open-resets`];

  async function compareAndSetScript(keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await send(['EVALSHA', CAS_SHA, ...tail], keys[0]!);
    } catch (error) {
      // The server forgot the script (restart, SCRIPT FLUSH, a replica just
      // promoted) or never saw it.
      if (!String((error as { message?: unknown })?.message).startsWith('NOSCRIPT')) throw error;
      return send(['EVAL', CAS_SCRIPT, ...tail], keys[0]!);
    }
  }

  /**
   * A SCAN per node, in a stable order: the server itself, or each master of
   * the cluster sorted by address (a failover in the middle of a walk can
   * repeat or skip users: run it again).
   */
  async function scanNodes(): Promise<Array<(args: string[]) => Promise<unknown>>> {
    if (!cluster) return [(args) => send(args, args[3]!)];
    if (flavor === 'ioredis') {
      type Node = { options?: { host?: string; port?: number }; call(command: string, ...args: string[]): Promise<unknown> };
      const nodes = (client as unknown as { nodes?: (role: string) => Node[] }).nodes?.('master') ?? [];
      const address = (node: Node) => `${node.options?.host}:${node.options?.port}`;
      return [...nodes].sort((a, b) => address(a).localeCompare(address(b))).map((node) => (args) => node.call(args[0]!, ...args.slice(1)));
    }
    type Master = { address?: string };
    const nodeRedis = client as unknown as { masters?: Master[]; nodeClient(node: Master): Promise<{ sendCommand(args: string[]): Promise<unknown> }> };
    const masters = [...(nodeRedis.masters ?? [])].sort((a, b) => String(a.address).localeCompare(String(b.address)));
    return masters.map((master) => async (args) => (await nodeRedis.nodeClient(master)).sendCommand(args));
  }

  async function read(userId: string): Promise<StoredRecord | null> {
    const key = userKey(userId);
    const reply = await send(['HMGET', key, 'version', 'record'], key);
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
    cluster,

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
          [userKey(userId), openKeyOf(userId)],
          [expected === null ? '' : String(expected), json, resetOpen ? '1' : '0', userId, randomUUID()],
        );
        if (reply !== 1 && reply !== 0) throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to the script`);
        return reply === 1;
      }),

    // The hash and its open-resets entry, in one script on the user's slot.
    delete: (userId) =>
      guarded(NAME, 'delete', async () => {
        checkUserId(userId, NAME);
        const keys = [userKey(userId), openKeyOf(userId)];
        const reply = await send(['EVAL', DELETE_SCRIPT, '2', ...keys, userId], keys[0]!);
        return reply === 1;
      }),

    // SCAN walks one node: the server, or each master of a cluster in turn;
    // the cursor names the node and its SCAN cursor.
    listUsers: (options?: ListUsersOptions) =>
      guarded(NAME, 'listUsers', async () => {
        const limit = pageLimit(options?.limit, NAME);
        const match = /^(\d+):(\d+)$/.exec(options?.cursor ?? '0:0');
        if (match === null) throw new OtpError('ERR_OPTIONS', `${NAME}: cursor must come from listUsers`);
        const nodes = await scanNodes();
        const index = Number(match[1]);
        if (index >= nodes.length) return { userIds: [], cursor: null };
        const escaped = prefix.replace(/[*?[\]\\]/g, '\\$&');
        const pattern = cluster ? `${escaped}{g*}:user:*` : `${escaped}user:*`;
        const reply = await nodes[index]!(['SCAN', match[2]!, 'MATCH', pattern, 'COUNT', String(limit)]);
        if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to SCAN`);
        const next = String(reply[0]);
        const userIds = (reply[1] as unknown[]).map((key) => String(key).slice(prefix.length).replace(/^(?:\{g\d+\}:)?user:/, ''));
        const cursor = next !== '0' ? `${index}:${next}` : index + 1 < nodes.length ? `${index + 1}:0` : null;
        return { userIds, cursor };
      }),

    listOpenResets: () =>
      guarded(NAME, 'listOpenResets', async () => {
        const sets = await Promise.all(openKeys.map((key) => send(['SMEMBERS', key], key)));
        if (!sets.every(Array.isArray)) throw new OtpError('ERR_STORE', `${NAME}: unexpected reply to SMEMBERS`);
        const ids = (sets as unknown[][]).flat().map(String).sort();
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

// The Redis store's tests, run once per client library by
// redis-ioredis.test.ts and redis-node.test.ts.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MfaStore } from '../../src/seams/store.js';
import { createRedisStore, type IoRedisLike, type NodeRedisLike, type RedisStore } from '../../src/stores/redis.js';
import { describeStoreContract, incrementCounter } from './contract.js';
import { itRacesAcrossProcesses } from './races.js';
import { openRedisClient, type OpenedRedisClient } from './targets.js';
import { totp } from '../../src/core/totp.js';
import { enrollAll, ENROLLED_AT, gateOn } from './gate-rig.js';
import { proxyFor } from './tcp-proxy.js';

type Flavor = 'ioredis' | 'node-redis';

export const redisUrl = process.env['OTPGATE_REDIS_URL'];

export function warnIfSkipped(file: string): void {
  if (!redisUrl) {
    console.warn(`${file}: SKIPPED, OTPGATE_REDIS_URL is not set (for example redis://127.0.0.1:6379)`);
  }
}

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wraps a client in an object of the same shape that logs every command and
 * may rewrite its reply, to watch what the store sends.
 */
function spy(
  flavor: Flavor,
  client: IoRedisLike | NodeRedisLike,
  log: string[][],
  around: (args: string[], send: () => Promise<unknown>) => Promise<unknown> = (_, send) => send(),
): IoRedisLike | NodeRedisLike {
  if (flavor === 'ioredis') {
    return {
      call: (command: string, ...rest: Array<string | number>) => {
        const args = [command, ...rest.map(String)];
        log.push(args);
        return around(args, () => (client as IoRedisLike).call(command, ...rest));
      },
    };
  }
  return {
    sendCommand: (args: string[]) => {
      log.push(args);
      return around(args, () => (client as NodeRedisLike).sendCommand(args));
    },
  };
}

export function describeRedisStore(flavor: Flavor): void {
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  // Every key of this run sits under its own prefix: the server is shared.
  const base = `otpgate-test:${flavor}:${run}:`;
  const url = redisUrl!;
  const opened: OpenedRedisClient[] = [];
  let admin: Redis;
  let clients: Array<IoRedisLike | NodeRedisLike>;
  let stores: RedisStore[];

  async function open(options: { name?: string; failFast?: boolean; url?: string } = {}): Promise<OpenedRedisClient> {
    const client = await openRedisClient(flavor, { url, ...options });
    opened.push(client);
    return client;
  }

  describe.skipIf(!redisUrl)(`redis store (${flavor})`, () => {
    beforeAll(async () => {
      admin = new Redis(url);
      admin.on('error', () => {});
      clients = [(await open()).client, (await open()).client];
      stores = clients.map((client) => createRedisStore({ client, prefix: `${base}main:` }));
    });

    afterAll(async () => {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await Promise.all(opened.map((client) => client.close()));
      admin.disconnect();
    });

    describeStoreContract(`redis (${flavor})`, () => stores[0]!);
    let turn = 0;
    describeStoreContract(`redis (${flavor}, two connections alternating)`, () => stores[turn++ % 2]!);
    if (flavor === 'node-redis') {
      // Both libraries write the same keys the same way: a host may switch.
      const mixed: MfaStore[] = [];
      beforeAll(async () => {
        mixed.push(createRedisStore({ client: clients[0]!, prefix: `${base}mixed:` }));
        const other = await openRedisClient('ioredis', { url });
        opened.push(other);
        mixed.push(createRedisStore({ client: other.client, prefix: `${base}mixed:` }));
      });
      let mixedTurn = 0;
      describeStoreContract('redis (node-redis and ioredis alternating)', () => mixed[mixedTurn++ % 2]!);
    }

    it('detects the client library by its methods, and an explicit flavor wins', () => {
      expect(stores[0]!.flavor).toBe(flavor);
      const log: string[][] = [];
      expect(createRedisStore({ client: spy(flavor, clients[0]!, log) }).flavor).toBe(flavor);
      const both = { call: async () => 0, sendCommand: async () => 0 };
      expect(createRedisStore({ client: both }).flavor).toBe('ioredis');
      expect(createRedisStore({ client: both, flavor: 'node-redis' }).flavor).toBe('node-redis');
      expect(() => createRedisStore({ client: {} as NodeRedisLike })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
      expect(() => createRedisStore({ client: { sendCommand: async () => 0 }, flavor: 'ioredis' })).toThrow(
        expect.objectContaining({ code: 'ERR_OPTIONS' }),
      );
      expect(() => createRedisStore({ client: both, flavor: 'jedis' as never })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
      expect(() => createRedisStore(undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
      expect(() => createRedisStore({ client: url as never })).toThrow(
        expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringContaining('not a URL') }),
      );
      for (const prefix of ['with space', 'star*', 'q?', 'new\nline', 'x'.repeat(101)]) {
        expect(() => createRedisStore({ client: clients[0]!, prefix })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
      }
      expect(createRedisStore({ client: clients[0]! }).prefix).toBe('otpgate:');
    });

    it('does no I/O in the factory or in migrate', async () => {
      const log: string[][] = [];
      const store = createRedisStore({ client: spy(flavor, clients[0]!, log), prefix: `${base}noio:` });
      await store.migrate();
      expect(log).toEqual([]);
    });

    it('keeps the open-reset index as a set and reads it without scanning keys', async () => {
      const log: string[][] = [];
      const prefix = `${base}index:`;
      const store = createRedisStore({ client: spy(flavor, clients[0]!, log), prefix });
      for (let i = 0; i < 30; i++) {
        await store.compareAndSet(`u${i}`, null, { resetRequest: i % 10 === 0 ? { requestedAt: i } : null });
      }
      await store.compareAndSet('u10', 1, { resetRequest: null });
      expect((await admin.smembers(`${prefix}open-resets`)).sort()).toEqual(['u0', 'u20']);
      log.length = 0;
      expect((await store.listOpenResets()).map((entry) => entry.userId)).toEqual(['u0', 'u20']);
      expect(log.map((args) => args[0])).toEqual(['SMEMBERS', 'HMGET', 'HMGET']);
    });

    it('reads and updates records written by earlier releases: the one-server key layout is unchanged', async () => {
      // A fixture of the keys the store wrote before it knew Redis Cluster.
      const prefix = `${base}legacy:`;
      const old = { resetRequest: { requestedAt: 5 }, schema: 1, n: 'old' };
      await admin.hset(`${prefix}user:alice`, 'version', '3', 'record', JSON.stringify(old), 'token', 'an-old-token');
      await admin.hset(`${prefix}user:bob`, 'version', '1', 'record', JSON.stringify({ resetRequest: null }), 'token', 't');
      await admin.sadd(`${prefix}open-resets`, 'alice');
      const store = createRedisStore({ client: clients[0]!, prefix });
      expect(store.cluster).toBe(false);
      expect(await store.get('alice')).toEqual({ record: old, version: 3 });
      expect(await store.listOpenResets()).toEqual([{ userId: 'alice', record: old, version: 3 }]);
      expect(await store.compareAndSet('alice', 3, { resetRequest: null, n: 'new' })).toBe(true);
      expect(await store.compareAndSet('bob', 1, { resetRequest: { requestedAt: 6 } })).toBe(true);
      expect(await admin.hget(`${prefix}user:alice`, 'version')).toBe('4');
      expect(await admin.smembers(`${prefix}open-resets`)).toEqual(['bob']);
      expect((await admin.keys(`${prefix}*`)).sort()).toEqual([`${prefix}open-resets`, `${prefix}user:alice`, `${prefix}user:bob`]);
    });

    it('loads its script with EVAL when the server answers NOSCRIPT', async () => {
      const log: string[][] = [];
      let refused = 0;
      const client = spy(flavor, clients[0]!, log, async (args, send) => {
        if (args[0] === 'EVALSHA' && refused++ === 0) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        return send();
      });
      const store = createRedisStore({ client, prefix: `${base}noscript:` });
      expect(await store.compareAndSet('alice', null, { resetRequest: null })).toBe(true);
      expect(log.map((args) => args[0])).toEqual(['EVALSHA', 'EVAL']);
      expect(await store.compareAndSet('alice', 1, { resetRequest: null, n: 2 })).toBe(true);
      expect(await store.get('alice')).toEqual({ record: { resetRequest: null, n: 2 }, version: 2 });
    });

    it('a script resent after a lost reply reports its own write as a success, and writes once', async () => {
      // ioredis resends unanswered commands after reconnecting; without the
      // write token the second run would look like a lost race.
      const client = spy(flavor, clients[0]!, [], async (args, send) => {
        if (args[0] === 'EVALSHA' || args[0] === 'EVAL') await send();
        return send();
      });
      const store = createRedisStore({ client, prefix: `${base}resend:` });
      expect(await store.compareAndSet('alice', null, { resetRequest: null, n: 1 })).toBe(true);
      expect(await store.compareAndSet('alice', 1, { resetRequest: null, n: 2 })).toBe(true);
      expect(await store.get('alice')).toEqual({ record: { resetRequest: null, n: 2 }, version: 2 });
      expect(await store.compareAndSet('alice', 1, { resetRequest: null, n: 3 })).toBe(false);
    });

    it('a key of the wrong type fails with ERR_STORE and changes nothing', async () => {
      const prefix = `${base}wrongtype:`;
      const store = createRedisStore({ client: clients[0]!, prefix });
      await admin.set(`${prefix}user:alice`, 'not a hash');
      for (const call of [store.get('alice'), store.compareAndSet('alice', 1, { resetRequest: { requestedAt: 1 } })]) {
        const error = await rejection(call);
        expect(error).toMatchObject({ code: 'ERR_STORE', name: 'OtpError' });
        expect((error as Error).cause).toBeInstanceOf(Error);
      }
      expect(await admin.smembers(`${prefix}open-resets`)).toEqual([]);

      const broken = `${base}wrongset:`;
      await admin.set(`${broken}open-resets`, 'not a set');
      const other = createRedisStore({ client: clients[0]!, prefix: broken });
      expect(await rejection(other.compareAndSet('bob', null, { resetRequest: null }))).toMatchObject({ code: 'ERR_STORE' });
      expect(await admin.exists(`${broken}user:bob`)).toBe(0);
    });

    it('connections killed again and again during a burst: errors are ERR_STORE, no write is half-made, and it recovers', async () => {
      const name = `otpgate-kill-${flavor}-${run}`;
      const victim = await open({ name });
      const store = createRedisStore({ client: victim.client, prefix: `${base}kill:` });
      await store.compareAndSet('counter', null, { resetRequest: null, counter: 0 });
      let stop = false;
      const killer = (async () => {
        let kills = 0;
        while (!stop) {
          await sleep(15);
          // Only this test's own connection, found by its name: the server is shared.
          const list = String(await admin.call('CLIENT', 'LIST'));
          for (const line of list.split('\n').filter((entry) => entry.includes(`name=${name}`))) {
            const id = /id=(\d+)/.exec(line)?.[1];
            if (id) kills += Number(await admin.call('CLIENT', 'KILL', 'ID', id));
          }
        }
        return kills;
      })();
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const results: unknown[] = [];
          for (let i = 0; i < 5; i++) results.push(await incrementCounter(store, 'counter').then(() => 'ok', (error: unknown) => error));
          return results;
        }),
      ).finally(() => (stop = true));
      const kills = await killer;
      const flat = outcomes.flat();
      const failures = flat.filter((outcome) => outcome !== 'ok');
      for (const failure of failures) expect(failure).toMatchObject({ code: 'ERR_STORE', name: 'OtpError' });

      await victim.ready();
      const final = await store.get('counter');
      // Whole writes only: every write bumped the counter and the version together.
      expect(final!.version).toBe((final!.record["counter"] as number) + 1);
      expect((final!.record["counter"] as number)).toBeGreaterThanOrEqual(flat.length - failures.length);
      expect(kills).toBeGreaterThan(0);
      expect(await store.compareAndSet('counter', final!.version, { resetRequest: null, counter: -1 })).toBe(true);
    });

    it('the server made unreachable: ERR_STORE while cut, the record whole, and it works once back', async () => {
      const { proxy, url: proxied } = await proxyFor(url, 6379);
      try {
        const cutClient = await open({ url: proxied, failFast: true });
        const store = createRedisStore({ client: cutClient.client, prefix: `${base}cut:` });
        const before = { resetRequest: null, n: 1 };
        const after = { resetRequest: { requestedAt: 2 }, n: 2 };
        await store.compareAndSet('alice', null, before);

        const burst = Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.compareAndSet(`bob${i}`, null, after).then(() => 'ok', (error: unknown) => error),
          ),
        );
        proxy.cut();
        for (const outcome of await burst) if (outcome !== 'ok') expect(outcome).toMatchObject({ code: 'ERR_STORE' });
        for (const call of [store.get('alice'), store.compareAndSet('alice', 1, after), store.listOpenResets()]) {
          expect(await rejection(call)).toMatchObject({ code: 'ERR_STORE' });
        }
        const direct = createRedisStore({ client: admin, prefix: `${base}cut:` });
        expect(await direct.get('alice')).toEqual({ record: before, version: 1 });

        proxy.restore();
        await cutClient.ready();
        expect(await store.get('alice')).toEqual({ record: before, version: 1 });
        expect(await store.compareAndSet('alice', 1, after)).toBe(true);
        expect(await direct.get('alice')).toEqual({ record: after, version: 2 });
        // The burst's writes each landed whole or not at all.
        for (let i = 0; i < 50; i++) {
          const found = await direct.get(`bob${i}`);
          if (found !== null) expect(found).toEqual({ record: after, version: 1 });
        }
      } finally {
        await proxy.close();
      }
    });

    it('the gate on an unreachable server reports ERR_STORE, loses nothing, and works once it is back', async () => {
      const { proxy, url: proxied } = await proxyFor(url, 6379);
      try {
        const cutClient = await open({ url: proxied, failFast: true });
        const store = createRedisStore({ client: cutClient.client, prefix: `${base}gatecut:` });
        const [secret] = await enrollAll(store, ['alice']);
        const before = await store.get('alice');
        const later = ENROLLED_AT + 60_000;
        const gate = gateOn(store, later);

        proxy.cut();
        expect(await rejection(gate.verify('alice', totp(secret!, { now: later })))).toMatchObject({ code: 'ERR_STORE' });
        expect(await rejection(gate.nextStep('alice'))).toMatchObject({ code: 'ERR_STORE' });
        proxy.restore();
        await cutClient.ready();

        expect(await store.get('alice')).toEqual(before);
        expect(await gate.verify('alice', totp(secret!, { now: later }))).toMatchObject({ ok: true });
        expect(await gate.verify('alice', totp(secret!, { now: later }))).toMatchObject({ ok: false, reason: 'replayed' });
      } finally {
        await proxy.close();
      }
    });

    describe('across processes', () => {
      itRacesAcrossProcesses(() => ({ kind: flavor, url, prefix: `${base}procs:` }), 3);
    });
  });
}

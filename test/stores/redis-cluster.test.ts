// The Redis store on Redis Cluster (three masters, three replicas, started
// by .ci/run), with both client libraries: the conformance suite, the key
// layout, the first release's keys, the cross-process races, the gate's
// races (both editions), and a master killed in the middle of a burst. Every test of the cluster lives in this one file:
// the failover test takes a master away, which no other file may see.
import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { createGate, type Gate } from '../../src/gate/gate.js';
import { createRedisStore, type RedisStore } from '../../src/stores/redis.js';
import { describeStoreContract } from './contract.js';
import { raceAcrossProcesses } from './gate-race-harness.js';
import { checkFirstReleaseRecords, FIRST_RELEASE_ROWS } from './first-release.js';
import { enrollAll, RACE_AT } from './gate-rig.js';
import { itRacesAcrossProcesses } from './races.js';
import { describeSecondEditionRaces, processSetup, workerPair } from './second-edition-race-harness.js';
import { clusterNodes, healthy, killNode, masterOfSlot, onNode, restoreMaster, waitFor, type KilledNode } from './redis-cluster-admin.js';
import { openRedisClusterClient, redisClusterUrls, type OpenedRedisClusterClient } from './targets.js';

const urls = redisClusterUrls;
if (!urls) {
  console.warn(
    'test/stores/redis-cluster.test.ts: SKIPPED, OTPGATE_REDIS_CLUSTER_URLS is not set ' +
      '(for example redis://127.0.0.1:7000,redis://127.0.0.1:7001,...; .ci/run starts such a cluster)',
  );
}
const ports = (urls ?? []).map((url) => Number(new URL(url).port));
const flavors = ['ioredis', 'node-redis'] as const;
type Flavor = (typeof flavors)[number];

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const base = `otpgate-test:cluster:${run}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The store's slot group of a user (the layout the docs describe), for the default 16 groups. */
const groupOf = (userId: string, groups = 16) => createHash('sha1').update(userId).digest().readUInt32BE(0) % groups;

describe.skipIf(!urls)('redis store on Redis Cluster', () => {
  const opened: OpenedRedisClusterClient[] = [];
  const stores = {} as Record<Flavor, RedisStore>;
  let admin: Cluster;
  let masters: number[];

  async function open(flavor: Flavor): Promise<OpenedRedisClusterClient> {
    const client = await openRedisClusterClient(flavor, urls!);
    opened.push(client);
    return client;
  }

  beforeAll(async () => {
    masters = (await clusterNodes(ports[0]!)).filter((node) => node.master && node.slots.length > 0).map((node) => node.port);
    if (!(await healthy(ports, masters))) throw new Error('the test cluster is not healthy at the start');
    admin = (await openRedisClusterClient('ioredis', urls!)).client as Cluster;
    for (const flavor of flavors) stores[flavor] = createRedisStore({ client: (await open(flavor)).client, prefix: `${base}main:` });
  });

  afterAll(async () => {
    // Each master deletes its own share of this run's keys, one key per
    // command (a multi-key DEL must stay within one slot).
    for (const node of admin?.nodes('master') ?? []) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000);
        if (keys.length > 0) await node.pipeline(keys.map((key) => ['del', key])).exec();
        cursor = next;
      } while (cursor !== '0');
    }
    await Promise.all(opened.map((client) => client.close()));
    admin?.disconnect();
  });

  for (const flavor of flavors) describeStoreContract(`redis cluster (${flavor})`, () => stores[flavor]);
  let turn = 0;
  describeStoreContract('redis cluster (ioredis and node-redis alternating)', () => stores[flavors[turn++ % 2]!]);

  it('recognises both cluster clients; an explicit cluster option and slotGroups are checked', () => {
    for (const [index, flavor] of flavors.entries()) {
      expect(stores[flavor]).toMatchObject({ flavor, cluster: true });
      expect(createRedisStore({ client: opened[index]!.client, cluster: false }).cluster).toBe(false);
    }
    const client = opened[0]!.client;
    for (const slotGroups of [0, 1025, 1.5, Number.NaN, '16' as never]) {
      expect(() => createRedisStore({ client, slotGroups })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    }
    expect(() => createRedisStore({ client, cluster: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    // A URL where the client belongs names the fix.
    expect(() => createRedisStore({ client: urls![0] as never })).toThrow(
      expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringContaining('createCluster()), not a URL') }),
    );
  });

  it('keeps a user\'s hash and its group\'s index in one slot, and lists open resets from indexes on every master', async () => {
    const prefix = `${base}layout:`;
    const store = createRedisStore({ client: opened[1]!.client, prefix });
    const ids = Array.from({ length: 64 }, (_, index) => `user-${index}`);
    for (const [index, id] of ids.entries()) {
      expect(await store.compareAndSet(id, null, { resetRequest: index % 4 === 0 ? { requestedAt: index } : null })).toBe(true);
    }
    for (const id of ids) {
      const userKey = `${prefix}{g${groupOf(id)}}:user:${id}`;
      const indexKey = `${prefix}{g${groupOf(id)}}:open-resets`;
      expect(await admin.hget(userKey, 'version')).toBe('1');
      expect(await admin.cluster('KEYSLOT', userKey)).toBe(await admin.cluster('KEYSLOT', indexKey));
    }
    const open = ids.filter((_, index) => index % 4 === 0).sort();
    for (const id of open) expect(await admin.sismember(`${prefix}{g${groupOf(id)}}:open-resets`, id)).toBe(1);
    // The group indexes are spread over the masters, so the list below had
    // to read from more than one node.
    const owners = new Set<number>();
    for (let group = 0; group < 16; group++) {
      owners.add((await masterOfSlot(ports, Number(await admin.cluster('KEYSLOT', `{g${group}}`)))).port);
    }
    expect(owners.size).toBeGreaterThan(1);
    expect((await store.listOpenResets()).map((entry) => entry.userId)).toEqual(open);
    // Another client library reads the same layout.
    const other = createRedisStore({ client: opened[0]!.client, prefix });
    expect((await other.listOpenResets()).map((entry) => entry.userId)).toEqual(open);
    expect(await other.get('user-3')).toEqual({ record: { resetRequest: null }, version: 1 });
  });

  for (const flavor of flavors) {
    it(`${flavor}: today's gate on the first release's keys (first-release.ts): they load, work, and upgrade in place`, async () => {
      // The cluster layout as its first release wrote it: each user's hash
      // and its group's open-reset set, both under the group's hash tag.
      const prefix = `${base}first-release-${flavor}:`;
      const userKey = (userId: string) => `${prefix}{g${groupOf(userId)}}:user:${userId}`;
      const indexKey = (userId: string) => `${prefix}{g${groupOf(userId)}}:open-resets`;
      for (const row of FIRST_RELEASE_ROWS) {
        await admin.hset(userKey(row.userId), 'version', String(row.version), 'record', row.json, 'token', '0c6f6a52-8d3e-4c59-9a0b-6f1d2e3c4b5a');
        if (row.resetOpen) await admin.sadd(indexKey(row.userId), row.userId);
      }
      await checkFirstReleaseRecords({
        store: createRedisStore({ client: (await open(flavor)).client, prefix }),
        async raw(userId) {
          const [version, json] = await admin.hmget(userKey(userId), 'version', 'record');
          if (version === null || version === undefined) return null;
          return { version: Number(version), json: String(json), resetOpen: (await admin.sismember(indexKey(userId), userId)) === 1 };
        },
      });
    });
  }

  for (const flavor of flavors) {
    it(`${flavor}: listUsers walks every master once, page by page, and delete removes a user`, async () => {
      const store = createRedisStore({ client: (await open(flavor)).client, prefix: `${base}users-${flavor}:` });
      const ids = Array.from({ length: 40 }, (_, i) => `member-${i}`);
      for (const id of ids) expect(await store.compareAndSet(id, null, { resetRequest: null })).toBe(true);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await store.listUsers!({ cursor, limit: 200 });
        seen.push(...page.userIds);
        cursor = page.cursor;
        pages++;
      } while (cursor !== null && pages < 5000);
      expect(cursor).toBeNull();
      expect([...new Set(seen)].sort()).toEqual([...ids].sort());
      expect(await store.delete!('member-3')).toBe(true);
      expect(await store.delete!('member-3')).toBe(false);
      expect(await store.get('member-3')).toBeNull();
      await expect(store.listUsers!({ cursor: 'nonsense' })).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
    });
  }

  it('slotGroups changes the layout: one group puts every key in one slot', async () => {
    const prefix = `${base}onegroup:`;
    const store = createRedisStore({ client: opened[0]!.client, prefix, slotGroups: 1 });
    await store.compareAndSet('a', null, { resetRequest: { requestedAt: 1 } });
    await store.compareAndSet('b', null, { resetRequest: null });
    expect(await admin.exists(`${prefix}{g0}:user:a`, `${prefix}{g0}:user:b`)).toBe(2);
    expect(await admin.smembers(`${prefix}{g0}:open-resets`)).toEqual(['a']);
    expect((await store.listOpenResets()).map((entry) => entry.userId)).toEqual(['a']);
  });

  for (const flavor of flavors) {
    describe(`across processes (${flavor})`, () => {
      itRacesAcrossProcesses(() => ({ kind: `${flavor}-cluster`, urls: urls!, prefix: `${base}procs-${flavor}:` }), 3);
    });
    it(`gate races on the cluster (${flavor}): 20 rounds of 300 verifies and 30 postpones`, async () => {
      await raceAcrossProcesses({ kind: `${flavor}-cluster`, urls: urls!, prefix: `${base}gate-${flavor}:` }, `cluster-${flavor}`);
    }, 180_000);
  }

  // The second edition's races, both clients served by one pair of worker
  // processes, stopped before the failover below.
  describe('the second edition', () => {
    const workers = workerPair();
    afterAll(() => workers.close());
    for (const flavor of flavors) {
      describeSecondEditionRaces(
        `${flavor} cluster client, 2 processes`,
        () => processSetup(workers, { kind: `${flavor}-cluster`, urls: urls!, prefix: `${base}e2-${flavor}:` }),
        { rounds: 20 },
      );
    }
  });

  // Last: a master goes away. The cluster is put back before the next test.
  for (const flavor of flavors) {
    it(`${flavor}: a master killed in the middle of a burst: no double accept, no lost failure, the requests still listed`, async () => {
      const prefix = `${base}failover-${flavor}:`;
      const { client } = await open(flavor);
      const store = createRedisStore({ client, prefix });
      const victim = await masterOfSlot(ports, Number(await admin.cluster('KEYSLOT', `{g${groupOf(`${flavor}-seed`)}}`)));
      // Users whose keys live on the victim: all of this test's traffic goes to the master that dies.
      const onVictim: string[] = [];
      for (let i = 0; onVictim.length < 24; i++) {
        const id = `${flavor}-u${i}`;
        const slot = Number(await admin.cluster('KEYSLOT', `{g${groupOf(id)}}`));
        if (victim.slots.some(([a, b]) => slot >= a && slot <= b)) onVictim.push(id);
      }
      const verifiers = onVictim.slice(0, 8);
      const failers = onVictim.slice(8, 16);
      const requesters = onVictim.slice(16, 24);
      const secrets = await enrollAll(store, onVictim);
      const gate: Gate = createGate({
        store,
        issuer: 'Failover Co',
        // Every wrong code is counted and none locks, so that the count can be checked.
        policy: { required: true, throttle: { lockAfter: 100, hardStopAfter: 100 } },
        clock: { now: () => RACE_AT },
        directory: {
          administratorsOf: async () => [{ id: 'root', name: 'Root' }],
          isAdministratorOf: async (adminId) => adminId === 'root',
        },
        notifier: { notify: async () => {} },
      });
      const codeOf = (id: string) => totp(secrets[onVictim.indexOf(id)]!, { now: RACE_AT });
      const wrongCodeOf = (id: string) => {
        const secret = secrets[onVictim.indexOf(id)]!;
        const valid = new Set([-30_000, 0, 30_000].map((offset) => totp(secret, { now: RACE_AT + offset })));
        for (let n = 0; ; n++) {
          const code = String(n).padStart(6, '0');
          if (!valid.has(code)) return code;
        }
      };
      const errors: unknown[] = [];
      const codeOfError = (error: unknown) => (errors.push(error), 'error');

      // Half the requests are made, and acknowledged, before the crash.
      for (const id of requesters.slice(0, 4)) await gate.requestReset(id, { to: 'all' });

      let stop = false;
      let promoted = false;
      let answeredAfterPromotion = 0;
      const verifyTallies = verifiers.map(() => ({ ok: 0, error: 0, other: 0 }));
      const failTallies = failers.map(() => ({ invalid: 0, error: 0 }));
      const bursts = [
        ...verifiers.map(async (id, index) => {
          const tally = verifyTallies[index]!;
          while (!stop) {
            const results = await Promise.all(
              Array.from({ length: 10 }, () => gate.verify(id, codeOf(id)).then((r) => (r.ok ? 'ok' : r.reason), codeOfError)),
            );
            if (promoted) answeredAfterPromotion += results.length;
            for (const result of results) {
              if (result === 'ok') tally.ok++;
              else if (result === 'error') tally.error++;
              else tally.other++;
            }
            await sleep(50);
          }
        }),
        ...failers.map(async (id, index) => {
          const tally = failTallies[index]!;
          // One at a time, so that each answer is one counted failure.
          while (!stop && tally.invalid + tally.error < 90) {
            const result = await gate.verify(id, wrongCodeOf(id)).then((r) => (r.ok ? 'ok' : r.reason), codeOfError);
            if (result === 'invalid') tally.invalid++;
            else if (result === 'error') tally.error++;
            else throw new Error(`a wrong code was answered ${result}`);
            await sleep(40);
          }
        }),
        // The other half ask during the failover, until one call succeeds.
        ...requesters.slice(4).map(async (id, index) => {
          await sleep(100 + index * 300);
          for (;;) {
            const done = await gate.requestReset(id, { to: 'all' }).then(() => true, (error: unknown) => (errors.push(error), false));
            if (done) return;
            await sleep(100);
          }
        }),
      ];

      let killed: KilledNode | undefined;
      try {
        await sleep(400);
        killed = await killNode(victim.port);
        const replica = (await clusterNodes(masters.find((port) => port !== victim.port)!)).find((node) => node.masterId === victim.id);
        expect(replica, 'the victim has a replica').toBeDefined();
        await waitFor('the replica to take over', async () => {
          const nodes = await clusterNodes(replica!.port);
          return nodes.some((node) => node.port === replica!.port && node.master && node.slots.length > 0) && (await onNode(replica!.port, 'CLUSTER', 'INFO') as string).includes('cluster_state:ok');
        }, 30_000);
        promoted = true;
        await sleep(1_500); // traffic on the promoted replica
        stop = true;
        await Promise.all(bursts);

        for (const error of errors) expect(error).toMatchObject({ name: 'OtpError', code: 'ERR_STORE' });
        // No double accept: one code, at most one acceptance, before or after the failover.
        for (const [index, id] of verifiers.entries()) {
          const tally = verifyTallies[index]!;
          const final = await gate.verify(id, codeOf(id));
          const accepted = tally.ok + (final.ok ? 1 : 0);
          expect(accepted, `${id}: ${JSON.stringify(tally)}, then ${JSON.stringify(final)}`).toBeLessThanOrEqual(1);
          // Zero only when an answer was lost with the master (the code was consumed, or the user locked by replays).
          if (accepted === 0) expect(tally.error, id).toBeGreaterThan(0);
          expect(tally.ok + tally.other + tally.error, `${id} kept trying`).toBeGreaterThan(10);
        }
        // No lost failure: every wrong code answered "invalid" is in the count (an
        // attempt that failed with ERR_STORE may or may not have been counted).
        for (const [index, id] of failers.entries()) {
          const tally = failTallies[index]!;
          const failures = ((await store.get(id))!.record as unknown as { throttle: { failures: number } }).throttle.failures;
          expect(failures, `${id}: ${JSON.stringify(tally)}`).toBeGreaterThanOrEqual(tally.invalid);
          expect(failures, `${id}: ${JSON.stringify(tally)}`).toBeLessThanOrEqual(tally.invalid + tally.error);
          expect(tally.invalid).toBeGreaterThan(0);
        }
        // The requests made before and during the failover are all still listed.
        const pending = (await gate.pendingResets('root')).map((entry) => entry.userId).sort();
        expect(pending).toEqual([...requesters].sort());
        const listed = (await store.listOpenResets()).map((entry) => entry.userId).sort();
        expect(listed).toEqual([...requesters].sort());
        // The bursts ran on across the failover, on the promoted replica.
        expect(answeredAfterPromotion).toBeGreaterThan(0);
      } finally {
        stop = true;
        await Promise.allSettled(bursts);
        if (killed) await restoreMaster(killed, ports, masters);
      }
      expect(await healthy(ports, masters)).toBe(true);
      // And the store still works on the restored cluster.
      expect(await store.compareAndSet(`${flavor}-after`, null, { resetRequest: null })).toBe(true);
    }, 180_000);
  }
});

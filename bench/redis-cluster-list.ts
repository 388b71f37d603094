// How `listOpenResets()` scales on Redis Cluster: the store's design (one
// open-reset index per slot group, read with one SMEMBERS per group) against
// the alternative it rejected (a SCAN of every master for the users' hashes,
// then the records), with U users of whom 1 % have a request open.
// Run: OTPGATE_REDIS_CLUSTER_URLS=redis://127.0.0.1:7000,... npx tsx bench/redis-cluster-list.ts
import { Cluster } from 'ioredis';
import { createRedisStore } from '../src/stores/redis.js';

const urls = process.env['OTPGATE_REDIS_CLUSTER_URLS']?.split(',').filter(Boolean);
if (!urls) {
  console.log('skipped: OTPGATE_REDIS_CLUSTER_URLS is not set');
  process.exit(0);
}
const cluster = new Cluster(urls.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) })));
await new Promise((resolve) => cluster.once('ready', resolve));
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const RUNS = 15;

async function median(task: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const began = performance.now();
    await task();
    times.push(performance.now() - began);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

/** The rejected design: every master scans for the users' hashes and reads each record's reset request. */
async function scanEveryMaster(prefix: string): Promise<string[]> {
  const open: string[] = [];
  await Promise.all(
    cluster.nodes('master').map(async (node) => {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}{g*}:user:*`, 'COUNT', 1000);
        const records = await Promise.all(keys.map((key) => node.hget(key, 'record')));
        records.forEach((json, index) => {
          if (json && (JSON.parse(json) as { resetRequest: unknown }).resetRequest !== null) open.push(keys[index]!);
        });
        cursor = next;
      } while (cursor !== '0');
    }),
  );
  return open;
}

console.log(`listOpenResets on Redis Cluster (${cluster.nodes('master').length} masters), median of ${RUNS} runs, ms`);
console.log(`${'users'.padStart(7)} ${'open'.padStart(5)} ${'groups'.padStart(6)} ${'indexes'.padStart(9)} ${'scan'.padStart(9)}`);
for (const users of [1_000, 10_000, 50_000]) {
  for (const slotGroups of [16, 64]) {
    const prefix = `otpgate-bench:${run}:list${users}-${slotGroups}:`;
    const store = createRedisStore({ client: cluster, prefix, slotGroups });
    for (let start = 0; start < users; start += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, users - start) }, (_, i) =>
          store.compareAndSet(`u${start + i}`, null, { resetRequest: (start + i) % 100 === 0 ? { requestedAt: 1 } : null }),
        ),
      );
    }
    const listed = (await store.listOpenResets()).length;
    const scanned = (await scanEveryMaster(prefix)).length;
    if (listed !== users / 100 || scanned !== listed) throw new Error(`listed ${listed}, scanned ${scanned}`);
    const indexes = await median(() => store.listOpenResets());
    const scan = await median(() => scanEveryMaster(prefix));
    console.log(`${String(users).padStart(7)} ${String(listed).padStart(5)} ${String(slotGroups).padStart(6)} ${indexes.toFixed(1).padStart(9)} ${scan.toFixed(1).padStart(9)}`);
    for (const node of cluster.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await node.pipeline(keys.map((key) => ['del', key])).exec();
        cursor = next;
      } while (cursor !== '0');
    }
  }
}
cluster.disconnect();

// Gate-level races on the Redis store with both client libraries. See
// gate-race-harness.ts (first edition) and second-edition-race-harness.ts.
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';
import { POSTPONES, PROCESSES, raceAcrossProcesses, ROUNDS, run, SERVERS_PER_PROCESS, VERIFIES } from './gate-race-harness.js';
import { describeSecondEditionRaces, processSetup, workerPair } from './second-edition-race-harness.js';

const redisUrl = process.env['OTPGATE_REDIS_URL'];
if (!redisUrl) console.warn('test/stores/gate-races-redis.test.ts: SKIPPED, OTPGATE_REDIS_URL is not set');

const prefix = (flavor: string) => `otpgate-test:${flavor}:${run}:gate:`;
const workers = workerPair();

afterAll(async () => {
  await workers.close();
  if (!redisUrl) return;
  const admin = new Redis(redisUrl);
  for (const flavor of ['ioredis', 'node-redis']) {
    const keys = await admin.keys(`${prefix(flavor)}*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  admin.disconnect();
});

describe(`gate races on redis: ${ROUNDS} rounds of ${VERIFIES} verifies of one code and ${POSTPONES} postpones with two allowed`, () => {
  for (const flavor of ['ioredis', 'node-redis'] as const) {
    it.skipIf(!redisUrl)(`${flavor}, ${PROCESSES} processes × ${SERVERS_PER_PROCESS} connections`, async () => {
      await raceAcrossProcesses({ kind: flavor, url: redisUrl!, prefix: prefix(flavor) }, flavor);
    }, 120_000);
  }
});

if (redisUrl) {
  for (const flavor of ['ioredis', 'node-redis'] as const) {
    describeSecondEditionRaces(`redis with ${flavor}, ${PROCESSES} processes`, () => processSetup(workers, { kind: flavor, url: redisUrl, prefix: prefix(flavor) }));
  }
}

// SLOW (a few minutes: npm installs, and better-sqlite3 compiles from source where no prebuilt
// binary can be downloaded), so it runs only when OTPGATE_CONSUMER_TESTS=1, which .ci/run sets.
//
// Issue 16 item 1: the peer ranges in package.json must accept every major version of each
// driver the stores work with. For each range, this installs the packed tarball with plain
// `npm install` (no --force, no --legacy-peer-deps: an ERESOLVE fails the test) into two
// consumer projects, one pinned to the OLDEST and one to the NEWEST published version of
// every driver the range accepts, and runs a whole gate flow on each store with that driver:
// migrate, enroll, confirm, verify, a replay refused.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const enabled = process.env['OTPGATE_CONSUMER_TESTS'] === '1';
if (!enabled) {
  console.warn('test/package/consumers.test.ts: SKIPPED, OTPGATE_CONSUMER_TESTS is not 1 (.ci/run sets it; it takes a few minutes)');
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
const drivers = ['better-sqlite3', 'pg', 'ioredis', 'redis'] as const;
type Driver = (typeof drivers)[number];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: 'pipe', timeout: 600_000, env: { ...process.env, ...env } });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`.slice(-4000), { cause: error });
  }
}

function runAsync(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd, timeout: 900_000 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${stdout}\n${stderr}`.slice(-4000), { cause: error })) : done(),
    );
  });
}

/** Compares release versions (x.y.z) numerically; pre-releases are not in a plain range anyway. */
function byVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/** The oldest and the newest published version that the peer range accepts (npm's own matching). */
function bounds(name: Driver): { oldest: string; newest: string } {
  const range = manifest.peerDependencies[name]!;
  const answer = JSON.parse(run('npm', ['view', `${name}@${range}`, 'version', '--json'], root)) as string | string[];
  const versions = (Array.isArray(answer) ? answer : [answer]).filter((v) => /^\d+\.\d+\.\d+$/.test(v)).sort(byVersion);
  return { oldest: versions[0]!, newest: versions.at(-1)! };
}

// One flow for every store: a fresh user enrolls, confirms, logs in once; the same code is
// then refused as a replay. The store module and the driver come from the consumer's own
// node_modules, as in an application.
const FLOW = `
import { createGate, totp } from 'otpgate';
const driver = process.argv[2];
const tag = 'consumer_' + process.pid + '_' + Date.now();
let store;
let close = async () => {};
if (driver === 'better-sqlite3') {
  const { default: Database } = await import('better-sqlite3');
  const { createSqliteStore } = await import('otpgate/stores/sqlite');
  const db = new Database(':memory:');
  store = createSqliteStore({ db });
  close = async () => db.close();
} else if (driver === 'pg') {
  const { default: pg } = await import('pg');
  const { createPostgresStore } = await import('otpgate/stores/postgres');
  const pool = new pg.Pool({ connectionString: process.env.OTPGATE_PG_URL });
  store = createPostgresStore({ client: pool, table: tag });
  close = async () => { await pool.query('DROP TABLE IF EXISTS ' + tag); await pool.end(); };
} else if (driver === 'ioredis') {
  const { default: Redis } = await import('ioredis');
  const { createRedisStore } = await import('otpgate/stores/redis');
  const client = new Redis(process.env.OTPGATE_REDIS_URL);
  store = createRedisStore({ client, prefix: tag + ':' });
  close = async () => { const keys = await client.keys(tag + ':*'); if (keys.length) await client.del(...keys); client.disconnect(); };
} else if (driver === 'redis') {
  const { createClient } = await import('redis');
  const { createRedisStore } = await import('otpgate/stores/redis');
  const client = createClient({ url: process.env.OTPGATE_REDIS_URL });
  await client.connect();
  store = createRedisStore({ client, prefix: tag + ':' });
  close = async () => { const keys = await client.keys(tag + ':*'); if (keys.length) await client.del(keys); await client.quit(); };
}
let now = Date.UTC(2030, 0, 1);
try {
  await store.migrate?.();
  const gate = createGate({
    store,
    issuer: 'ACME',
    clock: { now: () => now },
    directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
    notifier: { notify: async () => {} },
  });
  const { secret } = await gate.beginEnrollment('alice', { account: 'alice@example.com' });
  const confirmed = await gate.confirmEnrollment('alice', totp(secret, { now }));
  now += 30_000;
  const code = totp(secret, { now });
  const first = await gate.verify('alice', code);
  const again = await gate.verify('alice', code);
  const version = JSON.parse((await import('node:fs')).readFileSync(new URL(import.meta.resolve(driver + '/package.json')), 'utf8')).version;
  console.log(JSON.stringify({ version, confirmed: confirmed.ok, first, again: again.ok ? 'accepted' : again.reason }));
} finally {
  await close();
}
`;

const services: Record<Driver, string | undefined> = {
  'better-sqlite3': undefined,
  pg: process.env['OTPGATE_PG_URL'] ? undefined : 'OTPGATE_PG_URL is not set',
  ioredis: process.env['OTPGATE_REDIS_URL'] ? undefined : 'OTPGATE_REDIS_URL is not set',
  redis: process.env['OTPGATE_REDIS_URL'] ? undefined : 'OTPGATE_REDIS_URL is not set',
};

const work = enabled ? mkdtempSync(join(tmpdir(), 'otpgate-consumers-')) : '';
const pins: Record<'oldest' | 'newest', Partial<Record<Driver, string>>> = { oldest: {}, newest: {} };

beforeAll(async () => {
  if (!enabled) return;
  const stage = join(work, 'stage');
  mkdirSync(stage, { recursive: true });
  for (const file of ['package.json', 'README.md', 'LICENSE']) writeFileSync(join(stage, file), readFileSync(join(root, file)));
  run(join(root, 'node_modules', '.bin', 'tsup'), ['--silent', '--out-dir', join(stage, 'dist')], root);
  run('npm', ['pack', '--silent', '--pack-destination', work], stage);
  const tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz'))!);
  for (const name of drivers) {
    const { oldest, newest } = bounds(name);
    pins.oldest[name] = oldest;
    pins.newest[name] = newest;
  }
  // Both at once. Most of the time goes into better-sqlite3's native module: where no
  // prebuilt binary can be downloaded (here only the npm registry is reachable) it compiles
  // from source, a minute or more per version. So the install runs without scripts, and the
  // module is then either copied from this repository's own node_modules, when that is the
  // very version pinned (built by `npm ci` from the same registry tarball), or built in the
  // consumer with `npm rebuild`. No other dependency of these projects has install scripts.
  const ours = (JSON.parse(readFileSync(join(root, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string }).version;
  const binary = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  await Promise.all(
    (['oldest', 'newest'] as const).map(async (which) => {
      const dir = join(work, which);
      mkdirSync(dir);
      const dependencies = { otpgate: `file:${tarball}`, ...pins[which] };
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${which}`, private: true, type: 'module', dependencies }));
      writeFileSync(join(dir, 'flow.mjs'), FLOW);
      // Plain install: a peer range that refuses the pinned driver fails here with ERESOLVE.
      await runAsync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], dir);
      if (pins[which]['better-sqlite3'] === ours) {
        mkdirSync(dirname(join(dir, binary)), { recursive: true });
        copyFileSync(join(root, binary), join(dir, binary));
      } else {
        await runAsync('npm', ['rebuild', 'better-sqlite3'], dir);
      }
    }),
  );
}, 1_200_000);

afterAll(() => {
  if (enabled) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!enabled)('consumer projects on the oldest and newest driver versions the peer ranges accept', () => {
  for (const which of ['oldest', 'newest'] as const) {
    for (const name of drivers) {
      const missing = services[name];
      it.skipIf(missing !== undefined)(`${which} ${name}${missing ? ` (skipped: ${missing})` : ''}: a whole gate flow`, () => {
        const env = { OTPGATE_PG_URL: process.env['OTPGATE_PG_URL'], OTPGATE_REDIS_URL: process.env['OTPGATE_REDIS_URL'] };
        const output = run('node', ['flow.mjs', name], join(work, which), env);
        const result = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
        expect(result).toEqual({
          version: pins[which][name],
          confirmed: true,
          first: { ok: true, method: 'totp', recoveryCodesLeft: 10 },
          again: 'replayed',
        });
      }, 120_000);
    }
  }
});

// SLOW (a few minutes: npm installs, and better-sqlite3 compiles from source where no prebuilt
// binary can be downloaded), so it runs only when OTPGATE_CONSUMER_TESTS=1, which .ci/run sets.
//
// Issue 16 item 1: the peer ranges in package.json must accept every version of each peer the
// package works with. For each range, this installs the packed tarball with plain
// `npm install` (no --force, no --legacy-peer-deps: an ERESOLVE fails the test) into two
// consumer projects, one pinned to the OLDEST and one to the NEWEST published version of
// every peer the range accepts, and runs in each what the peer is there for:
// - a whole gate flow on each store with each driver and query builder (migrate, enroll,
//   confirm, verify, a replay refused): the SQLite, PostgreSQL and Redis stores, Kysely and
//   Drizzle on better-sqlite3, pg and (where OTPGATE_MYSQL_URL is set) mysql2 on MariaDB;
// - @simplewebauthn/server: the gate's passkey registration options;
// - express and fastify: the otpgate/web adapter on a real server on a loopback port, its
//   first page and one form posted back through it.
// - next: npm's resolution beside otpgate, and a route file type-checked against next's types
//   (no Next.js server: see `nextOnly` below).
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const enabled = process.env['OTPGATE_CONSUMER_TESTS'] === '1';
if (!enabled) {
  console.warn('test/package/consumers.test.ts: SKIPPED, OTPGATE_CONSUMER_TESTS is not 1 (.ci/run sets it; it takes a few minutes)');
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };

/** The peers installed into the consumer projects (all of them into each: one install per bound). */
const peers = ['better-sqlite3', 'pg', 'ioredis', 'redis', 'kysely', 'drizzle-orm', 'mysql2', '@simplewebauthn/server', 'express', 'fastify'] as const;
type Peer = (typeof peers)[number];

// Next.js gets projects of its own and no server. A Next.js server needs `next build` first
// (minutes per version, with the SWC compiler binary for the platform, and the app's React), and
// the adapter imports nothing from `next`: Next.js hands route handlers Web Requests, and the
// handlers themselves run in test/web/adapters.test.ts and test/examples (examples/next/serve.ts).
// What can break for a consumer is the install, npm's peer resolution, which
// `npm install --package-lock-only` decides in full without downloading a package, and the
// types where a route file meets next's own: so the projects install next from that lockfile
// without its optional packages (no SWC binary, no sharp; seconds) and type-check a route file.
const nextOnly = ['next'] as const;

type Service = 'OTPGATE_PG_URL' | 'OTPGATE_REDIS_URL' | 'OTPGATE_MYSQL_URL';

/** A check run in each consumer project: `node consumer.mjs <name>`, on the peers it `uses`. */
interface Check {
  readonly name: string;
  readonly uses: readonly Peer[];
  readonly needs?: Service;
  readonly expected: unknown;
}

const GATE_FLOW = {
  confirmed: true,
  first: { ok: true, method: 'totp', recoveryCodesLeft: 10 },
  again: 'replayed',
  found: [true, false],
  wins: 1,
  nobody: false,
};
const store = (name: string, uses: readonly Peer[], needs?: Service): Check => ({ name, uses, expected: GATE_FLOW, ...(needs ? { needs } : {}) });
const WEB_FLOW = {
  login: { status: 303, location: '/2fa' },
  page: { status: 200, html: true, form: true, csrf: true },
  postponed: { status: 303, location: '/home' },
};

const checks: readonly Check[] = [
  store('better-sqlite3', ['better-sqlite3']),
  store('pg', ['pg'], 'OTPGATE_PG_URL'),
  store('pg (batch, prepared)', ['pg'], 'OTPGATE_PG_URL'),
  store('ioredis', ['ioredis'], 'OTPGATE_REDIS_URL'),
  store('redis', ['redis'], 'OTPGATE_REDIS_URL'),
  store('kysely on better-sqlite3', ['kysely', 'better-sqlite3']),
  store('kysely on pg', ['kysely', 'pg'], 'OTPGATE_PG_URL'),
  store('kysely on mysql2', ['kysely', 'mysql2'], 'OTPGATE_MYSQL_URL'),
  store('drizzle-orm on better-sqlite3', ['drizzle-orm', 'better-sqlite3']),
  store('drizzle-orm on pg', ['drizzle-orm', 'pg'], 'OTPGATE_PG_URL'),
  store('drizzle-orm on mysql2', ['drizzle-orm', 'mysql2'], 'OTPGATE_MYSQL_URL'),
  {
    name: '@simplewebauthn/server',
    uses: ['@simplewebauthn/server'],
    expected: { rp: { id: 'example.com', name: 'ACME' }, user: 'alice@example.com', challenge: true, algorithms: true, attestation: 'none' },
  },
  { name: 'express', uses: ['express'], expected: WEB_FLOW },
  { name: 'fastify', uses: ['fastify'], expected: WEB_FLOW },
];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: 'pipe', timeout: 600_000, env: { ...process.env, ...env } });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`.slice(-4000), { cause: error });
  }
}

function runAsync(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd, timeout: 900_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${stdout}\n${stderr}`.slice(-4000), { cause: error })) : done(stdout),
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

/** The published release versions of `name` in `range` (npm's own matching), oldest first. */
async function versionsIn(name: string, range: string): Promise<string[]> {
  const answer = JSON.parse(await runAsync('npm', ['view', `${name}@${range}`, 'version', '--json'], root)) as string | string[];
  return (Array.isArray(answer) ? answer : [answer]).filter((v) => /^\d+\.\d+\.\d+$/.test(v)).sort(byVersion);
}

/** The oldest and the newest published version that the peer range accepts. */
async function bounds(name: string): Promise<{ oldest: string; newest: string }> {
  const versions = await versionsIn(name, manifest.peerDependencies[name]!);
  return { oldest: versions[0]!, newest: versions.at(-1)! };
}

// What each check runs, from the consumer's own node_modules, as in an application: argv[2] is
// the check's name. Prints one JSON line: the version of every package it uses (read from the
// package.json next to the module that `import` resolved) and what it saw.
const CONSUMER = `
import { readFileSync } from 'node:fs';
import { createGate, createMemoryStore, totp } from 'otpgate';
const check = process.argv[2];
const uses = process.argv.slice(3);
const tag = 'consumer_' + process.pid + '_' + Date.now();
const directory = { administratorsOf: async () => [], isAdministratorOf: async () => false };
const notifier = { notify: async () => {} };

function versionOf(name) {
  for (let dir = new URL('.', import.meta.resolve(name)); ; dir = new URL('..', dir)) {
    try {
      const json = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
      if (json.name === name) return json.version;
    } catch {}
    if (dir.pathname === '/') throw new Error('no package.json of ' + name + ' above its module');
  }
}

async function pgPool() {
  const { default: pg } = await import('pg');
  return new pg.Pool({ connectionString: process.env.OTPGATE_PG_URL });
}
async function mysqlPool() {
  const { createPool } = await import('mysql2');
  return createPool({ uri: process.env.OTPGATE_MYSQL_URL });
}
const dropMysql = (pool) => new Promise((done, fail) => pool.query('DROP TABLE IF EXISTS ' + tag, (error) => (error ? fail(error) : done())));

// Each returns the store and how to clean up after it.
const stores = {
  async 'better-sqlite3'() {
    const { default: Database } = await import('better-sqlite3');
    const { createSqliteStore } = await import('otpgate/stores/sqlite');
    const db = new Database(':memory:');
    return { store: createSqliteStore({ db }), close: async () => db.close() };
  },
  async pg() {
    const { createPostgresStore } = await import('otpgate/stores/postgres');
    const pool = await pgPool();
    return { store: createPostgresStore({ client: pool, table: tag }), close: async () => { await pool.query('DROP TABLE IF EXISTS ' + tag); await pool.end(); } };
  },
  async 'pg (batch, prepared)'() {
    const { createPostgresStore } = await import('otpgate/stores/postgres');
    const pool = await pgPool();
    return {
      store: createPostgresStore({ client: pool, table: tag, batch: true, prepared: true }),
      close: async () => { await pool.query('DROP TABLE IF EXISTS ' + tag); await pool.end(); },
    };
  },
  async ioredis() {
    const { default: Redis } = await import('ioredis');
    const { createRedisStore } = await import('otpgate/stores/redis');
    const client = new Redis(process.env.OTPGATE_REDIS_URL);
    return {
      store: createRedisStore({ client, prefix: tag + ':' }),
      close: async () => { const keys = await client.keys(tag + ':*'); if (keys.length) await client.del(...keys); client.disconnect(); },
    };
  },
  async redis() {
    const { createClient } = await import('redis');
    const { createRedisStore } = await import('otpgate/stores/redis');
    const client = createClient({ url: process.env.OTPGATE_REDIS_URL });
    await client.connect();
    return {
      store: createRedisStore({ client, prefix: tag + ':' }),
      close: async () => { const keys = await client.keys(tag + ':*'); if (keys.length) await client.del(keys); await client.quit(); },
    };
  },
  async 'kysely on better-sqlite3'() {
    const { Kysely, SqliteDialect } = await import('kysely');
    const { default: Database } = await import('better-sqlite3');
    const { createKyselyStore } = await import('otpgate/stores/kysely');
    const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    return { store: createKyselyStore({ db }), close: () => db.destroy() };
  },
  async 'kysely on pg'() {
    const { Kysely, PostgresDialect } = await import('kysely');
    const { createKyselyStore } = await import('otpgate/stores/kysely');
    const pool = await pgPool();
    const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    return { store: createKyselyStore({ db, table: tag }), close: async () => { await pool.query('DROP TABLE IF EXISTS ' + tag); await db.destroy(); } };
  },
  async 'kysely on mysql2'() {
    const { Kysely, MysqlDialect } = await import('kysely');
    const { createKyselyStore } = await import('otpgate/stores/kysely');
    const pool = await mysqlPool();
    const db = new Kysely({ dialect: new MysqlDialect({ pool }) });
    return { store: createKyselyStore({ db, table: tag }), close: async () => { await dropMysql(pool); await db.destroy(); } };
  },
  async 'drizzle-orm on better-sqlite3'() {
    const { drizzle } = await import('drizzle-orm/better-sqlite3');
    const { default: Database } = await import('better-sqlite3');
    const { createDrizzleStore } = await import('otpgate/stores/drizzle');
    const database = new Database(':memory:');
    return { store: createDrizzleStore({ db: drizzle(database) }), close: async () => database.close() };
  },
  async 'drizzle-orm on pg'() {
    const { drizzle } = await import('drizzle-orm/node-postgres');
    const { createDrizzleStore } = await import('otpgate/stores/drizzle');
    const pool = await pgPool();
    return { store: createDrizzleStore({ db: drizzle(pool), table: tag }), close: async () => { await pool.query('DROP TABLE IF EXISTS ' + tag); await pool.end(); } };
  },
  async 'drizzle-orm on mysql2'() {
    const { drizzle } = await import('drizzle-orm/mysql2');
    const { createDrizzleStore } = await import('otpgate/stores/drizzle');
    const pool = await mysqlPool();
    return {
      store: createDrizzleStore({ db: drizzle(pool.promise()), table: tag }),
      close: async () => { await dropMysql(pool); await new Promise((done) => pool.end(() => done())); },
    };
  },
};

// One flow for every store: a fresh user enrolls, confirms, logs in once; the same code is
// then refused as a replay.
async function gateFlow() {
  const { store, close } = await stores[check]();
  let now = Date.UTC(2030, 0, 1);
  try {
    await store.migrate?.();
    const gate = createGate({ store, issuer: 'ACME', clock: { now: () => now }, directory, notifier });
    const { secret } = await gate.beginEnrollment('alice', { account: 'alice@example.com' });
    const confirmed = await gate.confirmEnrollment('alice', totp(secret, { now }));
    now += 30_000;
    const code = totp(secret, { now });
    const first = await gate.verify('alice', code);
    const again = await gate.verify('alice', code);
    // Calls at once, as a busy server makes them (with batch: true, one statement each way).
    const found = await Promise.all([store.get('alice'), store.get('nobody')]);
    const [held] = found;
    const writes = await Promise.all([
      store.compareAndSet('alice', held.version, held.record),
      store.compareAndSet('alice', held.version, held.record),
      store.compareAndSet('nobody', 1, held.record),
    ]);
    // Either of the two writes of alice may win on a pool; exactly one must.
    const wins = writes.slice(0, 2).filter(Boolean).length;
    return { confirmed: confirmed.ok, first, again: again.ok ? 'accepted' : again.reason, found: found.map((entry) => entry !== null), wins, nobody: writes[2] };
  } finally {
    await close();
  }
}

// The gate loads @simplewebauthn/server on the first passkey call and builds the browser's options with it.
async function passkey() {
  const gate = createGate({ store: createMemoryStore(), issuer: 'ACME', directory, notifier });
  const options = await gate.beginPasskeyRegistration('alice', { rpId: 'example.com', rpName: 'ACME', origin: 'https://example.com', userName: 'alice@example.com' });
  return {
    rp: options.rp,
    user: options.user.name,
    challenge: typeof options.challenge === 'string' && options.challenge.length >= 16,
    algorithms: options.pubKeyCredParams.some((p) => p.alg === -7) && options.pubKeyCredParams.some((p) => p.alg === -257),
    attestation: options.attestation,
  };
}

// The framework on a loopback port with the adapter mounted and a login route calling start();
// then what a browser does: log in, get the first page, post its form back.
async function web() {
  const gate = createGate({ store: createMemoryStore(), issuer: 'ACME', directory, notifier });
  const key = new Uint8Array(32).fill(7);
  let base;
  let close;
  if (check === 'express') {
    const { default: express } = await import('express');
    const { createExpressFlow } = await import('otpgate/web/express');
    const twofa = createExpressFlow({ gate, key, onComplete: () => '/home' });
    const app = express();
    app.use(twofa.router);
    app.post('/login', (req, res, next) => void twofa.start(req, res, 'alice').catch(next));
    const server = await new Promise((done) => { const s = app.listen(0, '127.0.0.1', () => done(s)); });
    base = 'http://127.0.0.1:' + server.address().port;
    close = () => new Promise((done) => server.close(done));
  } else {
    const { default: Fastify } = await import('fastify');
    const { createFastifyFlow } = await import('otpgate/web/fastify');
    const twofa = createFastifyFlow({ gate, key, onComplete: () => '/home' });
    const app = Fastify();
    await app.register(twofa.plugin);
    app.post('/login', async (request, reply) => twofa.start(request, reply, 'alice'));
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = 'http://127.0.0.1:' + app.server.address().port;
    close = () => app.close();
  }
  try {
    const login = await fetch(base + '/login', { method: 'POST', redirect: 'manual' });
    const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const page = await fetch(base + login.headers.get('location'), { headers: { cookie, accept: 'text/html' } });
    const text = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(text)?.[1];
    const postponed = await fetch(base + '/2fa/postpone', {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrf ?? '' }).toString(),
    });
    return {
      login: { status: login.status, location: login.headers.get('location') },
      page: {
        status: page.status,
        html: (page.headers.get('content-type') ?? '').startsWith('text/html'),
        form: text.includes('<form method="post" action="/2fa/postpone"'),
        csrf: csrf !== undefined,
      },
      postponed: { status: postponed.status, location: postponed.headers.get('location') },
    };
  } finally {
    await close();
  }
}

const result = check in stores ? await gateFlow() : check === '@simplewebauthn/server' ? await passkey() : await web();
console.log(JSON.stringify({ versions: Object.fromEntries(uses.map((name) => [name, versionOf(name)])), result }));
`;

const work = enabled ? mkdtempSync(join(tmpdir(), 'otpgate-consumers-')) : '';
type Bound = 'oldest' | 'newest';
const pins: Record<Bound, Record<string, string>> = { oldest: {}, newest: {} };
/** The newest next below the range: npm must refuse it, which shows that the resolution check can fail. */
let belowRange = '';
/** How each Next.js project's resolution (and for the bounds, install) failed, if it did. */
const nextFailures: Record<Bound | 'below', Error | null> = { oldest: null, newest: null, below: null };

// app/2fa/[[...path]]/route.ts of a Next.js app, as examples/next has it.
const ROUTE = `
import type { NextRequest } from 'next/server';
import { createGate, createMemoryStore } from 'otpgate';
import { createNextFlow } from 'otpgate/web/next';

const gate = createGate({
  store: createMemoryStore(),
  issuer: 'ACME',
  directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
  notifier: { notify: async () => {} },
});
const twofa = createNextFlow({ gate, key: new Uint8Array(32), onComplete: async () => Response.redirect('https://example.com/home', 303) });
export const { GET, POST } = twofa;

// What Next.js checks of a route module when it builds: a handler takes the NextRequest first
// (then the route's context) and returns a Response or a promise of one.
type RouteHandler = (request: NextRequest, context: { params: Promise<{ path?: string[] }> }) => Response | Promise<Response>;
export const handlers: RouteHandler[] = [GET, POST];
`;
const ROUTE_TSCONFIG = {
  compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, target: 'es2022', lib: ['es2022', 'dom'], module: 'esnext', moduleResolution: 'bundler', types: [] },
  files: ['route.ts'],
};

beforeAll(async () => {
  if (!enabled) return;
  const stage = join(work, 'stage');
  mkdirSync(stage, { recursive: true });
  for (const file of ['package.json', 'README.md', 'LICENSE']) writeFileSync(join(stage, file), readFileSync(join(root, file)));
  // The registry's answers (a second or two each, all at once) come in while tsup builds.
  const names = [...peers, ...nextOnly];
  const found = Promise.all(names.map(bounds));
  const below = found.then(async (all) => (await versionsIn('next', `<${all[names.indexOf('next')]!.oldest}`)).at(-1)!);
  await runAsync(join(root, 'node_modules', '.bin', 'tsup'), ['--silent', '--out-dir', join(stage, 'dist')], root);
  await runAsync('npm', ['pack', '--silent', '--pack-destination', work], stage);
  const tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz'))!);
  for (const [i, { oldest, newest }] of (await found).entries()) {
    pins.oldest[names[i]!] = oldest;
    pins.newest[names[i]!] = newest;
  }
  belowRange = await below;
  const project = (dir: string, dependencies: Record<string, string>) => {
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${basename(dir)}`, private: true, type: 'module', dependencies: { otpgate: `file:${tarball}`, ...dependencies } }));
  };
  // Next.js: npm resolves the whole tree and writes the lockfile, downloading nothing; an
  // ERESOLVE fails it as it would fail `npm install` in a Next.js project. The bounds then
  // install that tree without optional packages, for the route file's types.
  const resolveNext = async (which: Bound | 'below', version: string) => {
    const dir = join(work, `next-${which}`);
    project(dir, { next: version });
    try {
      await runAsync('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], dir);
      if (which === 'below') return;
      await runAsync('npm', ['ci', '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], dir);
      writeFileSync(join(dir, 'route.ts'), ROUTE);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(ROUTE_TSCONFIG));
    } catch (error) {
      nextFailures[which] = error as Error;
    }
  };
  // Most of the time goes into better-sqlite3's native module: where no prebuilt binary can be
  // downloaded (here only the npm registry is reachable) it compiles from source, a minute or
  // more per version. So the install runs without scripts, and the module is then either
  // copied from this repository's own node_modules, when that is the very version pinned
  // (built by `npm ci` from the same registry tarball), or built in the consumer with
  // `npm rebuild`. No other package in these projects has install scripts (checked below).
  const ours = (JSON.parse(readFileSync(join(root, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string }).version;
  const binary = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  const install = async (which: Bound) => {
    const dir = join(work, which);
    project(dir, Object.fromEntries(Object.entries(pins[which]).filter(([name]) => !(nextOnly as readonly string[]).includes(name))));
    writeFileSync(join(dir, 'consumer.mjs'), CONSUMER);
    // Plain install: a peer range that refuses a pinned peer fails here with ERESOLVE.
    await runAsync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], dir);
    if (pins[which]['better-sqlite3'] === ours) {
      mkdirSync(dirname(join(dir, binary)), { recursive: true });
      copyFileSync(join(root, binary), join(dir, binary));
    } else {
      await runAsync('npm', ['rebuild', 'better-sqlite3'], dir);
    }
  };
  await Promise.all([
    install('oldest'),
    install('newest'),
    resolveNext('oldest', pins.oldest['next']!),
    resolveNext('newest', pins.newest['next']!),
    resolveNext('below', belowRange),
  ]);
}, 1_200_000);

afterAll(() => {
  if (enabled && !process.env['KEEPTMP']) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!enabled)('consumer projects on the oldest and newest peer versions the ranges accept', () => {
  it('covers every peer dependency in package.json', () => {
    expect([...peers, ...nextOnly].sort()).toEqual(Object.keys(manifest.peerDependencies).sort());
    expect(new Set(checks.flatMap((check) => check.uses))).toEqual(new Set(peers));
  });

  it('installs no package with install scripts but better-sqlite3 (the reason --ignore-scripts is safe)', () => {
    for (const which of ['oldest', 'newest'] as const) {
      const lock = JSON.parse(readFileSync(join(work, which, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
      const scripted = Object.entries(lock.packages).filter(([, entry]) => entry.hasInstallScript === true).map(([path]) => path);
      expect(scripted).toEqual(['node_modules/better-sqlite3']);
    }
  });

  for (const which of ['oldest', 'newest'] as const) {
    for (const check of checks) {
      const missing = check.needs !== undefined && !process.env[check.needs] ? `${check.needs} is not set` : undefined;
      it.skipIf(missing !== undefined)(`${which} ${check.name}${missing ? ` (skipped: ${missing})` : ''}`, () => {
        const env = { OTPGATE_PG_URL: process.env['OTPGATE_PG_URL'], OTPGATE_REDIS_URL: process.env['OTPGATE_REDIS_URL'], OTPGATE_MYSQL_URL: process.env['OTPGATE_MYSQL_URL'] };
        const output = run('node', ['consumer.mjs', check.name, ...check.uses], join(work, which), env);
        const seen = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
        expect(seen).toEqual({ versions: Object.fromEntries(check.uses.map((name) => [name, pins[which][name]])), result: check.expected });
      }, 120_000);
    }

    it(`${which} next: npm accepts it beside otpgate, and a route file type-checks against its types`, () => {
      if (nextFailures[which] !== null) throw nextFailures[which];
      const dir = join(work, `next-${which}`);
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
      expect(lock.packages['node_modules/next']?.version).toBe(pins[which]['next']);
      expect(lock.packages['node_modules/otpgate']).toBeDefined();
      // Both module resolutions Next.js writes into an app's tsconfig.json: "node" (13.4 does;
      // otpgate's typesVersions serve it) and "bundler" (newer ones). tsc is this repository's.
      for (const resolution of ['bundler', 'node10']) {
        run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json', '--moduleResolution', resolution], dir);
      }
    }, 120_000);
  }

  it('npm refuses the newest next below the range (ERESOLVE: the resolution checks can fail)', () => {
    expect(belowRange).not.toBe('');
    expect(nextFailures.below?.message).toMatch(/ERESOLVE/);
    expect(nextFailures.below?.message).toMatch(/peerOptional next@"[^"]*" from otpgate/);
  });
});

// SLOW (about 30-60 s): builds the package into a private folder, packs it with
// `npm pack`, lints the tarball with publint and @arethetypeswrong/cli, installs it
// into a throw-away project and uses it there the way a consumer would: ESM import,
// CommonJS require, both entries, and a type-check under node16 and bundler.
//
// It builds into its own folder rather than using dist/, so a concurrent
// `npm run build` (whose tsup config cleans dist/) cannot pull files from under it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const work = mkdtempSync(join(tmpdir(), 'otpgate-package-'));
const stage = join(work, 'stage');
const consumer = join(work, 'consumer');
let tarball = '';

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 180_000,
      env: { ...process.env, ...env },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`.slice(-4000), {
      cause: error,
    });
  }
}

beforeAll(() => {
  mkdirSync(stage, { recursive: true });
  mkdirSync(consumer, { recursive: true });
  for (const file of ['package.json', 'README.md', 'LICENSE']) copyFileSync(join(root, file), join(stage, file));
  run(bin('tsup'), ['--silent', '--out-dir', join(stage, 'dist')], root);
  run('npm', ['pack', '--silent', '--pack-destination', work], stage);
  tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz')) ?? 'missing.tgz');

  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // --prefer-offline: the two dependencies come from the npm cache when they are there.
  run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'], consumer);
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships dist, README and LICENSE but no sources or tests', () => {
    const files = run('tar', ['tzf', tarball], work).split('\n').filter(Boolean);
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.cjs');
    expect(files).toContain('package/dist/stores/sqlite.cjs');
    for (const store of ['kysely', 'drizzle']) {
      for (const suffix of ['.js', '.cjs', '.d.ts', '.d.cts']) expect(files).toContain(`package/dist/stores/${store}${suffix}`);
    }
    expect(files).toContain('package/dist/cli.js');
    expect(files).toContain('package/dist/web/index.cjs');
    expect(files).toContain('package/dist/web/express.js');
    expect(files).toContain('package/LICENSE');
    expect(files.filter((file) => /^package\/(src|test|examples|docs)\//.test(file))).toEqual([]);
  });

  it('passes publint --strict', () => {
    const output = run(bin('publint'), ['run', tarball, '--strict'], work);
    expect(output).toContain('All good!');
  });

  it('passes @arethetypeswrong/cli for every entry under every resolution: node10, node16 (CJS and ESM), bundler', () => {
    // node10 is TypeScript's `moduleResolution: "node"`, which ignores `exports`: the
    // subpaths reach it through `typesVersions` (issue 16 item 2). attw exits non-zero on
    // any problem; the JSON is checked as well, so a failure names the problem.
    const output = run(bin('attw'), [tarball, '--format', 'json'], work);
    const report = JSON.parse(output) as {
      analysis: {
        problems: Array<{ kind: string; resolutionKind?: string }>;
        entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName?: string } }> }>;
      };
    };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual([
      '.',
      './package.json',
      './stores/drizzle',
      './stores/durable-object',
      './stores/kysely',
      './stores/postgres',
      './stores/redis',
      './stores/sqlite',
      './testing',
      './web',
      './web/express',
      './web/fastify',
      './web/next',
    ]);
    expect(report.analysis.entrypoints['./stores/sqlite']!.resolutions['node10']!.resolution?.fileName).toMatch(/dist\/stores\/sqlite\.d\.cts$/);
  });

  it('has a README whose links work outside the repository (issue 16 item 4)', () => {
    const readme = run('tar', ['xzf', tarball, '-O', 'package/README.md'], work);
    const manifest = JSON.parse(run('tar', ['xzf', tarball, '-O', 'package/package.json'], work)) as Record<string, unknown>;
    expect(manifest['repository']).toEqual({ type: 'git', url: 'git+https://github.com/otpgate/otpgate.git' });
    expect(manifest['homepage']).toBe('https://github.com/otpgate/otpgate#readme');
    expect(manifest['bugs']).toEqual({ url: 'https://github.com/otpgate/otpgate/issues' });
    // Markdown links and images: every target is absolute or an anchor in the README itself.
    const targets = [...readme.matchAll(/\]\(([^)\s]+)[^)]*\)/g)].map((m) => m[1]!);
    expect(targets.length).toBeGreaterThan(5);
    expect(targets.filter((target) => !/^(https:\/\/|#)/.test(target))).toEqual([]);
    for (const image of targets.filter((t) => t.startsWith('https://raw.githubusercontent.com/'))) {
      const path = image.replace('https://raw.githubusercontent.com/otpgate/otpgate/main/', '');
      expect(statSync(join(root, path), { throwIfNoEntry: false })?.isFile(), image).toBe(true);
    }
    expect(targets.filter((target) => target.includes('/docs/') || target.includes('/examples/')).length).toBeGreaterThan(3);
    for (const target of targets.filter((t) => t.startsWith('https://github.com/otpgate/otpgate/'))) {
      expect(target).toMatch(/^https:\/\/github\.com\/otpgate\/otpgate\/(blob|tree)\/main\//);
      // The file (blob) or folder (tree) linked exists in this repository.
      const [, kind, path] = /^https:\/\/github\.com\/otpgate\/otpgate\/(blob|tree)\/main\/([^#]*)/.exec(target)!;
      expect([target, statSync(join(root, path!), { throwIfNoEntry: false })?.isDirectory()]).toEqual([target, kind === 'tree']);
    }
  });

  it('works as ESM and as CommonJS, and isOtpError holds across the two copies', () => {
    writeFileSync(
      join(consumer, 'use.mjs'),
      `
import { createRequire } from 'node:module';
import * as esm from 'otpgate';
import { createSqliteStore } from 'otpgate/stores/sqlite';
const require = createRequire(import.meta.url);
const cjs = require('otpgate');
const cjsSqlite = require('otpgate/stores/sqlite');
const Database = require(process.env.BETTER_SQLITE3);

const out = {};
out.esmCode = esm.hotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 0);
out.cjsCode = cjs.hotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 0);
out.sameClass = esm.OtpError === cjs.OtpError;
const caught = (fn) => { try { fn(); } catch (error) { return error; } };
const esmError = caught(() => esm.base32Decode('not base32!'));
const cjsError = caught(() => cjs.base32Decode('not base32!'));
out.codes = [esmError.code, cjsError.code];
out.esmInstanceofCjs = esmError instanceof cjs.OtpError;
out.isOtpError = [esm.isOtpError(cjsError), cjs.isOtpError(esmError), esm.isOtpError(new Error('x'))];

for (const [name, create] of [['esm', createSqliteStore], ['cjs', cjsSqlite.createSqliteStore]]) {
  const store = create({ db: new Database(':memory:') });
  await store.migrate();
  const gate = esm.createGate({
    store,
    issuer: 'ACME',
    directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
    notifier: { notify: async () => {} },
  });
  out[name + 'Sqlite'] = await gate.nextStep('alice');
}
console.log(JSON.stringify(out));
`,
    );
    const result = JSON.parse(
      run('node', ['use.mjs'], consumer, { BETTER_SQLITE3: join(root, 'node_modules', 'better-sqlite3') }),
    ) as Record<string, unknown>;
    expect(result.esmCode).toBe('755224'); // RFC 4226 appendix D, counter 0
    expect(result.cjsCode).toBe('755224');
    // Two builds, two classes: instanceof fails across them, which is why isOtpError exists.
    expect(result.sameClass).toBe(false);
    expect(result.esmInstanceofCjs).toBe(false);
    expect(result.codes).toEqual(['ERR_BASE32', 'ERR_BASE32']);
    expect(result.isOtpError).toEqual([true, true, false]);
    expect(result.esmSqlite).toMatchObject({ step: expect.any(String) });
    expect(result.cjsSqlite).toEqual(result.esmSqlite);
  });

  it('otpgate/testing runs the conformance suite under node --test, from ESM and CommonJS', () => {
    writeFileSync(
      join(consumer, 'conformance.test.mjs'),
      `
import { createRequire } from 'node:module';
import { after, describe, it } from 'node:test';
import { createMemoryStore } from 'otpgate';
import { storeConformance } from 'otpgate/testing';
const cjs = createRequire(import.meta.url)('otpgate/testing');
storeConformance({ name: 'esm', create: () => createMemoryStore(), burst: 10, users: 20 }, { describe, it, afterAll: after });
cjs.storeConformance({ name: 'cjs', create: () => createMemoryStore(), burst: 10, users: 20 }, { describe, it });
`,
    );
    const output = run('node', ['--test', '--test-reporter', 'tap', 'conformance.test.mjs'], consumer);
    expect(output).toContain('MfaStore contract: esm');
    expect(output).toContain('MfaStore contract: cjs');
    expect(output).toMatch(/^# pass 32$/m);
    expect(output).toMatch(/^# fail 0$/m);
  });

  it('otpgate/web and its adapters load as ESM and as CommonJS and serve a page', () => {
    writeFileSync(
      join(consumer, 'web.mjs'),
      `
import { createRequire } from 'node:module';
import { createGate, createMemoryStore } from 'otpgate';
import { createFlow } from 'otpgate/web';
import { createExpressFlow } from 'otpgate/web/express';
import { createFastifyFlow } from 'otpgate/web/fastify';
import { createNextFlow } from 'otpgate/web/next';
const require = createRequire(import.meta.url);
const cjs = [require('otpgate/web'), require('otpgate/web/express'), require('otpgate/web/fastify'), require('otpgate/web/next')];
const gate = createGate({
  store: createMemoryStore(),
  issuer: 'ACME',
  directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
  notifier: { notify: async () => {} },
});
const key = new Uint8Array(32).fill(1);
const onComplete = () => new Response(null, { status: 303, headers: { Location: '/' } });
const out = {};
for (const [name, make] of [['esm', createFlow], ['cjs', cjs[0].createFlow]]) {
  const flow = make({ gate, key, onComplete });
  const started = await flow.start('alice', new Request('http://localhost/login', { method: 'POST' }));
  const cookie = started.headers.getSetCookie()[0].split(';')[0];
  const page = await flow.handle(new Request('http://localhost/2fa', { headers: { cookie } }));
  out[name] = [started.status, page.status, (await page.text()).includes('Postpone setup')];
}
out.adapters = [createExpressFlow, createFastifyFlow, createNextFlow, cjs[1].createExpressFlow, cjs[2].createFastifyFlow, cjs[3].createNextFlow].map((f) => typeof f);
console.log(JSON.stringify(out));
`,
    );
    const result = JSON.parse(run('node', ['web.mjs'], consumer)) as Record<string, unknown>;
    expect(result.esm).toEqual([303, 200, true]);
    expect(result.cjs).toEqual([303, 200, true]);
    expect(result.adapters).toEqual(Array(6).fill('function'));
  });

  it('runs examples/core.ts against the installed package', () => {
    const text = readFileSync(join(root, 'examples', 'core.ts'), 'utf8').replaceAll("'../src/index.js'", "'otpgate'");
    writeFileSync(join(consumer, 'core-run.ts'), text);
    const output = run(bin('tsx'), ['core-run.ts'], consumer);
    expect(output).toMatch(/^\d{6} \{ delta: 0, step: \d+ \}\n$/);
  });

  it('type-checks a consumer, and the examples, under moduleResolution node10, node16 (ESM and CJS) and bundler', () => {
    const source = (from: string) => `
import { createGate, createMemoryStore, isOtpError, verifyTotp, type Gate, type VerifyResult } from 'otpgate';
import { createSqliteStore, type SqliteDatabaseLike } from 'otpgate/stores/sqlite';
import { createPostgresStore } from 'otpgate/stores/postgres';
import { createRedisStore } from 'otpgate/stores/redis';
import { storeConformanceChecks, type StoreCheck } from 'otpgate/testing';
import { createDurableObjectStore, OtpgateDurableObject } from 'otpgate/stores/durable-object';
export const edge = [createDurableObjectStore, OtpgateDurableObject];
export const checks: StoreCheck[] = storeConformanceChecks({ name: 'memory', create: () => createMemoryStore() });
export const match: { delta: number; step: number } | null = verifyTotp('GEZDGNBVGY3TQOJQ', '123456');
export const gate: Gate = createGate({
  store: createMemoryStore(),
  issuer: 'ACME',
  directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
  notifier: { notify: async () => {} },
});
export const result: Promise<VerifyResult> = gate.verify('alice', '123456');
export const check = (error: unknown): boolean => isOtpError(error) && error.code === 'ERR_BASE32';
export const stores = (db: SqliteDatabaseLike) => [createSqliteStore, createPostgresStore, createRedisStore, db];
// @ts-expect-error a misspelt export must not type-check (${from})
export { verifyTotpp } from 'otpgate';
`;
    writeFileSync(join(consumer, 'esm.ts'), source('node16 esm'));
    writeFileSync(join(consumer, 'cjs.cts'), source('node16 cjs'));
    writeFileSync(join(consumer, 'bundler.ts'), source('bundler'));
    writeFileSync(join(consumer, 'node10.ts'), source('node10'));
    // No @types/node in the consumer (types: []): the declarations must not need Node's types.
    const tsconfig = (resolution: string, module: string, files: string[]) =>
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
          lib: ['es2022'],
          target: 'es2022',
          module,
          moduleResolution: resolution,
        },
        files,
      });
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    writeFileSync(join(consumer, 'tsconfig.node16.json'), tsconfig('node16', 'node16', ['esm.ts', 'cjs.cts']));
    writeFileSync(join(consumer, 'tsconfig.bundler.json'), tsconfig('bundler', 'esnext', ['bundler.ts']));
    run('node', [tsc, '-p', 'tsconfig.node16.json'], consumer);
    run('node', [tsc, '-p', 'tsconfig.bundler.json'], consumer);
    // TypeScript's `moduleResolution: "node"` (node10), deprecated but still common: the
    // subpaths come from typesVersions. TypeScript 5.x warns about it, hence ignoreDeprecations.
    const node10 = JSON.parse(tsconfig('node10', 'commonjs', ['node10.ts'])) as { compilerOptions: Record<string, unknown> };
    node10.compilerOptions['ignoreDeprecations'] = '5.0';
    writeFileSync(join(consumer, 'tsconfig.node10.json'), JSON.stringify(node10));
    run('node', [tsc, '-p', 'tsconfig.node10.json'], consumer);
    // The examples that need nothing but otpgate, importing the package instead of the sources.
    const examples = ['core.ts', 'custom-store.ts', 'edge-handler.ts'];
    for (const name of examples) {
      const text = readFileSync(join(root, 'examples', name), 'utf8').replaceAll("'../src/index.js'", "'otpgate'");
      expect(text).toContain("from 'otpgate'");
      writeFileSync(join(consumer, name), text);
    }
    const examplesConfig = JSON.parse(tsconfig('node16', 'node16', examples)) as { compilerOptions: Record<string, unknown> };
    examplesConfig.compilerOptions['lib'] = ['es2022', 'dom']; // Request, Response, console
    writeFileSync(join(consumer, 'tsconfig.examples.json'), JSON.stringify(examplesConfig));
    run('node', [tsc, '-p', 'tsconfig.examples.json'], consumer);
    // otpgate/web's declarations use the Fetch API types (lib dom, or Node's globals).
    const web = `
import { createFlow, type Flow, type ViewOf } from 'otpgate/web';
import { createExpressFlow } from 'otpgate/web/express';
import { createFastifyFlow } from 'otpgate/web/fastify';
import { createNextFlow } from 'otpgate/web/next';
import { createGate, createMemoryStore } from 'otpgate';
const gate = createGate({ store: createMemoryStore(), issuer: 'ACME', directory: { administratorsOf: async () => [], isAdministratorOf: async () => false }, notifier: { notify: async () => {} } });
export const flow: Flow = createFlow({ gate, key: 'a'.repeat(43), onComplete: () => new Response(null, { status: 303 }) });
export const view = (v: ViewOf<'choice'>): number | undefined => v.postponesLeft;
export const adapters = [createExpressFlow, createFastifyFlow, createNextFlow];
`;
    writeFileSync(join(consumer, 'web-esm.ts'), web);
    writeFileSync(join(consumer, 'web-cjs.cts'), web);
    const webConfig = JSON.parse(tsconfig('node16', 'node16', ['web-esm.ts', 'web-cjs.cts'])) as { compilerOptions: Record<string, unknown> };
    webConfig.compilerOptions['lib'] = ['es2022', 'dom', 'dom.iterable'];
    writeFileSync(join(consumer, 'tsconfig.web.json'), JSON.stringify(webConfig));
    run('node', [tsc, '-p', 'tsconfig.web.json'], consumer);
    // And the checker really looks: a wrong type on a result is an error.
    writeFileSync(join(consumer, 'wrong.ts'), `import { verifyTotp } from 'otpgate';\nexport const n: number = verifyTotp('A', '1');\n`);
    writeFileSync(join(consumer, 'tsconfig.wrong.json'), tsconfig('node16', 'node16', ['wrong.ts']));
    expect(() => run('node', [tsc, '-p', 'tsconfig.wrong.json'], consumer)).toThrow(/TS2322/);
  });
});

// Calls examples/edge-handler.ts with `new Request(...)`, as an edge runtime
// would, and type-checks it without Node's types.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import worker, { createHandler } from '../../examples/edge-handler.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const post = (path: string, user: string | null, body: unknown) =>
  new Request(`https://auth.example${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { 'x-authenticated-user': user } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (path: string, user: string) =>
  new Request(`https://auth.example${path}`, { headers: { 'x-authenticated-user': user } });

describe('examples/edge-handler.ts', () => {
  it('enrolls, verifies, refuses a replay, and locks with Retry-After', async () => {
    const handle = worker.fetch;
    expect(await (await handle(get('/2fa/next', 'dana'))).json()).toEqual({ step: 'setup', required: true, postponesLeft: 2 });

    const setup = (await (await handle(post('/2fa/setup', 'dana', {}))).json()) as { uri: string; qrSvg: string };
    expect(setup.qrSvg).toMatch(/^<svg/);
    const app = OTPAuth.URI.parse(setup.uri) as OTPAuth.TOTP;
    const confirmed = await handle(post('/2fa/confirm', 'dana', { code: app.generate() }));
    expect(confirmed.status).toBe(200);
    expect(((await confirmed.json()) as { recoveryCodes: string[] }).recoveryCodes).toHaveLength(10);

    // The confirming code consumed its step: the same code cannot log in.
    const replay = await handle(post('/2fa/verify', 'dana', { code: app.generate() }));
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ ok: false, reason: 'replayed' });
    expect(await (await handle(get('/2fa/next', 'dana'))).json()).toEqual({ step: 'code' });
    // With only a password, an enrolled user's authenticator cannot be replaced.
    expect((await handle(post('/2fa/setup', 'dana', {}))).status).toBe(409);
    expect((await handle(post('/2fa/confirm', 'dana', { code: app.generate() }))).status).toBe(409);

    // Five failures in a row lock (the default policy): the replay was the first,
    // so the fourth wrong code locks, and its answer says until when.
    const wrong = String((Number(app.generate()) + 500_000) % 1_000_000).padStart(6, '0');
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await handle(post('/2fa/verify', 'dana', { code: wrong }));
      expect(last.headers.has('retry-after')).toBe(i === 3);
    }
    expect(last?.status).toBe(401);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
    const locked = await handle(post('/2fa/verify', 'dana', { code: app.generate() }));
    expect(locked.status).toBe(429);
    expect(await locked.json()).toMatchObject({ ok: false, reason: 'locked', retryAt: expect.any(Number) });
  });

  it('answers 401 without a user, 404 off its routes, 400 for a body that is not JSON, 409 for a gate refusal', async () => {
    const handle = createHandler({ authenticate: async (request) => request.headers.get('x-authenticated-user') });
    expect((await handle(post('/2fa/verify', null, { code: '123456' }))).status).toBe(401);
    expect((await handle(get('/elsewhere', 'erin'))).status).toBe(404);
    expect((await handle(post('/2fa/verify', 'erin', '{not json'))).status).toBe(400);
    const unstarted = await handle(post('/2fa/confirm', 'erin', { code: '123456' }));
    expect(unstarted.status).toBe(400);
    expect(await unstarted.json()).toEqual({ ok: false, reason: 'no-setup' });
    const refused = await handle(post('/2fa/confirm', 'erin', { code: '1'.repeat(65) }));
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: 'ERR_OPTIONS' });
    expect((await (await handle(post('/2fa/verify', 'erin', { code: '123456' }))).json())).toEqual({
      ok: false,
      reason: 'not-enrolled',
    });
  });

  it('mounts in Hono as it is: app.all(path, (c) => handle(c.req.raw))', async () => {
    const handle = createHandler({ authenticate: async (request) => request.headers.get('x-authenticated-user') });
    const app = new Hono();
    app.all('/2fa/*', (c) => handle(c.req.raw));
    const response = await app.request('/2fa/next', { headers: { 'x-authenticated-user': 'finn' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ step: 'setup', required: true, postponesLeft: 2 });
  });

  it('type-checks without Node types (only what edge runtimes have)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otpgate-edge-'));
    try {
      // One compiler run over the example and a control file that uses Buffer:
      // only the control file may fail, which shows the check is real.
      writeFileSync(join(dir, 'control.ts'), 'export const b = Buffer.from("x");\n');
      const config = join(dir, 'tsconfig.json');
      writeFileSync(
        config,
        JSON.stringify({
          extends: join(root, 'tsconfig.json'),
          compilerOptions: { types: [], lib: ['ES2022', 'DOM'], noEmit: true },
          files: [join(root, 'examples', 'edge-handler.ts'), join(dir, 'control.ts')],
          include: [],
        }),
      );
      let output = '';
      try {
        execFileSync('node', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config, '--pretty', 'false'], {
          cwd: root,
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } catch (error) {
        output = String((error as { stdout?: unknown }).stdout);
      }
      const errors = output.split('\n').filter((line) => line.includes('error TS'));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.filter((line) => !line.includes('control.ts'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

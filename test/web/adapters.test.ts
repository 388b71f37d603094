// The framework adapters on real servers: Express and Fastify listening on a
// port, driven with fetch; the Next.js handlers called as Next.js calls them.
import express from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createExpressFlow } from '../../src/web/express.js';
import { createFastifyFlow } from '../../src/web/fastify.js';
import { createNextFlow } from '../../src/web/next.js';
import { KEY, setup } from './helpers.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A cookie-keeping fetch against `base`. */
function browser(base: string) {
  const jar = new Map<string, string>();
  let csrf = '';
  return {
    jar,
    async go(path: string, form?: Record<string, string>) {
      const body = form === undefined ? undefined : new URLSearchParams({ csrf, ...form }).toString();
      const response = await fetch(base + path, {
        method: form === undefined ? 'GET' : 'POST',
        redirect: 'manual',
        headers: {
          cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        body: body ?? null,
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
        if (value === '' || /Max-Age=0/.test(line)) jar.delete(name);
        else jar.set(name, value);
      }
      const text = await response.text();
      csrf = /name="csrf" value="([^"]*)"/.exec(text)?.[1] ?? csrf;
      return { response, text };
    },
  };
}

/** The walk every adapter must serve: start, the choice page, postpone, logged in by the host. */
async function walk(base: string, loginPath: string) {
  const b = browser(base);
  const login = await b.go(loginPath, { username: 'alice' });
  expect(login.response.status).toBe(303);
  expect(login.response.headers.get('location')).toBe('/2fa');
  const choice = await b.go('/2fa');
  expect(choice.response.status).toBe(200);
  expect(choice.text).toContain('Postpone setup');
  expect(choice.response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  const done = await b.go('/2fa/postpone', {});
  expect(done.response.status).toBe(303);
  expect(done.response.headers.get('location')).toBe('/home');
  expect(b.jar.get('session')).toBe('alice');
  expect(b.jar.has('otpgate_flow')).toBe(false);
  // The host's own pages still answer, and the settings page sees the host's session.
  expect((await b.go('/home')).text).toBe('home of alice');
  expect((await b.go('/2fa/settings')).text).toContain('requires 2-Step Verification');
  // A forged form is still refused behind the adapter.
  expect((await b.go('/2fa/settings/disable', { csrf: 'x' })).response.status).toBe(403);
}

const sessionOf = (cookie: string | undefined) => /(?:^|;\s*)session=([^;]+)/.exec(cookie ?? '')?.[1] ?? null;

describe('otpgate/web/express', () => {
  it('serves the flow as middleware, with start(req, res, userId) in the login route', async () => {
    const { gate } = setup();
    const twofa = createExpressFlow({
      gate,
      key: KEY,
      // Annotated with Express's own types, the callbacks get them: res.cookie and req.get type-check, no cast.
      onComplete: (userId, _req: express.Request, res: express.Response) => {
        res.cookie('session', userId, { httpOnly: true });
        return '/home';
      },
      currentUser: (req) => sessionOf(req.get('cookie')),
    });
    const app = express();
    app.use(twofa.router);
    app.post('/login', express.urlencoded({ extended: false }), async (req, res) => {
      await twofa.start(req, res, String(req.body.username));
    });
    app.get('/home', (req, res) => void res.send(`home of ${sessionOf(req.headers.cookie)}`));
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    await walk(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, '/login');
  });
});

describe('otpgate/web/express behind body parsers', () => {
  it('reads forms and JSON that express.urlencoded() and express.json() parsed already', async () => {
    const { gate } = setup();
    const twofa = createExpressFlow({ gate, key: KEY, onComplete: () => '/home' });
    const app = express();
    app.use(express.urlencoded({ extended: false }), express.json());
    app.use(twofa.router);
    app.post('/login', async (req, res) => twofa.start(req, res, String(req.body.username)));
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const login = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"username":"alice"}' });
    expect(await login.json()).toEqual({ redirect: '/2fa' });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const choice = await (await fetch(`${base}/2fa`, { headers: { cookie, accept: 'application/json' } })).json();
    expect(choice).toMatchObject({ page: 'choice', postponesLeft: 2 });
    const wrong = await fetch(`${base}/2fa/postpone`, { method: 'POST', redirect: 'manual', headers: { cookie, accept: 'application/json', 'content-type': 'application/json' }, body: '{"csrf":"nope"}' });
    expect(wrong.status).toBe(403);
    const done = await fetch(`${base}/2fa/postpone`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(choice.csrf)}`,
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/home');
    expect(await gate.nextStep('alice')).toMatchObject({ postponesLeft: 1 });
  });
});

describe('otpgate/web/fastify', () => {
  it('serves the flow as a plugin, with start(request, reply, userId) in the login route', async () => {
    const { gate } = setup();
    const twofa = createFastifyFlow({
      gate,
      key: KEY,
      // Annotated with Fastify's own types, the callbacks get them: reply.type and request.headers type-check, no cast.
      onComplete: (userId, _request: FastifyRequest, reply: FastifyReply) => {
        reply.type('text/plain').header('set-cookie', `session=${userId}; Path=/; HttpOnly`);
        return '/home';
      },
      currentUser: (request) => sessionOf(request.headers.cookie),
    });
    const app = Fastify();
    await app.register(twofa.plugin);
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    app.post('/login', async (request, reply) => twofa.start(request, reply, (request.body as { username: string }).username));
    app.get('/home', async (request) => `home of ${sessionOf(request.headers.cookie)}`);
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    await walk(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, '/login');
  });
});

describe('otpgate/web/next', () => {
  it('GET and POST handle the catch-all route; other paths are 404', async () => {
    const { gate } = setup();
    const twofa = createNextFlow({
      gate,
      key: KEY,
      onComplete: (userId) => new Response(null, { status: 303, headers: { Location: '/home', 'Set-Cookie': `session=${userId}; Path=/` } }),
    });
    const started = await twofa.start('alice', new Request('http://localhost/login', { method: 'POST' }));
    const cookie = started.headers.getSetCookie()[0]!.split(';')[0]!;
    const page = await twofa.GET(new Request('http://localhost/2fa', { headers: { cookie } }));
    const html = await page.text();
    expect(html).toContain('Postpone setup');
    const csrf = /name="csrf" value="([^"]*)"/.exec(html)![1]!;
    const done = await twofa.POST(
      new Request('http://localhost/2fa/postpone', { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${csrf}` }),
    );
    expect(done.status).toBe(303);
    expect(done.headers.getSetCookie()).toContain('session=alice; Path=/');
    expect((await twofa.GET(new Request('http://localhost/elsewhere'))).status).toBe(404);
  });
});

// Hono host with otpgate/web: its own login and home page (../web-host.ts)
// plus the 2-step pages. The same `flow.handle(request)` serves Deno, Bun and
// Cloudflare Workers (`export default { fetch }`). Run: npx tsx examples/hono/app.ts
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Clock } from 'otpgate';
import { createFlow } from 'otpgate/web';
import { checkPassword, createToyGate, endSession, homePage, loginPage, newSession, sessionUser } from '../web-host.js';

export function createApp(options: { clock?: Clock } = {}) {
  const app = new Hono();
  // ---- otpgate wiring (the 20 lines) ----
  const flow = createFlow({
    gate: createToyGate(options.clock),
    key: process.env.OTPGATE_KEY ?? crypto.getRandomValues(new Uint8Array(32)),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    loginUrl: '/login',
    onComplete: (userId) => new Response(null, { status: 303, headers: { Location: '/', 'Set-Cookie': newSession(userId) } }),
    currentUser: (request) => sessionUser(request.headers.get('cookie')),
  });
  app.all('/2fa/*', async (c) => (await flow.handle(c.req.raw)) ?? c.notFound());
  app.all('/2fa', async (c) => (await flow.handle(c.req.raw)) ?? c.notFound());
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const userId = checkPassword(form['username'], form['password']);
    if (userId === null) return c.html(loginPage('The user name or the password is not right.'), 401);
    return flow.start(userId, c.req.raw);
  });
  // ---- end of otpgate wiring ----
  app.get('/login', (c) => c.html(loginPage()));
  app.get('/', (c) => {
    const userId = sessionUser(c.req.header('cookie'));
    return userId === null ? c.redirect('/login', 303) : c.html(homePage(userId));
  });
  app.post('/logout', (c) => {
    c.header('Set-Cookie', endSession(c.req.header('cookie')));
    return c.redirect('/login', 303);
  });
  return app;
}

if (process.argv[1]?.endsWith('app.ts')) {
  const port = Number(process.env.PORT ?? 3000);
  serve({ fetch: createApp().fetch, port }, () => console.log(`listening on http://localhost:${port}`));
}

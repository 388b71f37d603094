// Fastify host with otpgate/web: its own login and home page (../web-host.ts)
// plus the 2-step pages. Run: npx tsx examples/fastify/app.ts
import Fastify from 'fastify';
import type { Clock } from 'otpgate';
import { createFastifyFlow } from 'otpgate/web/fastify';
import { checkPassword, createToyGate, endSession, homePage, loginPage, newSession, sessionUser } from '../web-host.js';

export async function createApp(options: { clock?: Clock } = {}) {
  const app = Fastify();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  // ---- otpgate wiring (the 20 lines) ----
  const twofa = createFastifyFlow({
    gate: createToyGate(options.clock),
    key: process.env.OTPGATE_KEY ?? crypto.getRandomValues(new Uint8Array(32)),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    loginUrl: '/login',
    onComplete: (userId, _request, reply) => {
      reply.header('set-cookie', newSession(userId));
      return '/';
    },
    currentUser: (request) => sessionUser(request.raw.headers['cookie'] as string | undefined),
  });
  await app.register(twofa.plugin);
  app.post('/login', async (request, reply) => {
    const { username, password } = request.body as Record<string, string>;
    const userId = checkPassword(username, password);
    if (userId === null) return reply.code(401).type('text/html').send(loginPage('The user name or the password is not right.'));
    return twofa.start(request, reply, userId);
  });
  // ---- end of otpgate wiring ----
  app.get('/login', async (_request, reply) => reply.type('text/html').send(loginPage()));
  app.get('/', async (request, reply) => {
    const userId = sessionUser(request.headers.cookie);
    return userId === null ? reply.redirect('/login', 303) : reply.type('text/html').send(homePage(userId));
  });
  app.post('/logout', async (request, reply) => reply.header('set-cookie', endSession(request.headers.cookie)).redirect('/login', 303));
  return app;
}

if (process.argv[1]?.endsWith('app.ts')) {
  const port = Number(process.env.PORT ?? 3000);
  const app = await createApp();
  await app.listen({ port });
  console.log(`listening on http://localhost:${port}`);
}

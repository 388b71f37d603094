// Express host with otpgate/web: its own login and home page (../web-host.ts)
// plus the 2-step pages. Run: npx tsx examples/express/app.ts
import express from 'express';
import type { Clock } from 'otpgate';
import { createExpressFlow } from 'otpgate/web/express';
import { checkPassword, createToyGate, endSession, homePage, loginPage, newSession, sessionUser } from '../web-host.js';

export function createApp(options: { clock?: Clock } = {}) {
  const app = express();
  // ---- otpgate wiring (the 20 lines) ----
  const twofa = createExpressFlow({
    gate: createToyGate(options.clock),
    key: process.env.OTPGATE_KEY ?? crypto.getRandomValues(new Uint8Array(32)),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    loginUrl: '/login',
    onComplete: (userId, _req, res) => {
      res.setHeader('set-cookie', newSession(userId));
      return '/';
    },
    currentUser: (req) => sessionUser(req.headers.cookie as string | undefined),
  });
  app.use(twofa.router);
  app.post('/login', express.urlencoded({ extended: false }), async (req, res) => {
    const userId = checkPassword(req.body.username, req.body.password);
    if (userId === null) return void res.status(401).send(loginPage('The user name or the password is not right.'));
    await twofa.start(req, res, userId);
  });
  // ---- end of otpgate wiring ----
  app.get('/login', (_req, res) => void res.send(loginPage()));
  app.get('/', (req, res) => {
    const userId = sessionUser(req.headers.cookie);
    return userId === null ? res.redirect(303, '/login') : void res.send(homePage(userId));
  });
  app.post('/logout', (req, res) => res.setHeader('set-cookie', endSession(req.headers.cookie)).redirect(303, '/login'));
  return app;
}

if (process.argv[1]?.endsWith('app.ts')) {
  const port = Number(process.env.PORT ?? 3000);
  createApp().listen(port, () => console.log(`listening on http://localhost:${port}`));
}

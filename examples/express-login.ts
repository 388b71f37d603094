// An Express login with 2-step verification by the gate: password first, then
// whatever `gate.nextStep` asks for (set-up or postpone, a code, or wait), plus
// "Lost 2-Step Verification code?" and the administrator's reset. JSON in and
// out, an in-memory store and sessions: swap in your own database, session
// middleware and mailer. Run it: npx tsx examples/express-login.ts
// (in your application, import from 'otpgate' instead of '../src/index.js').
import express, { type NextFunction, type Request, type Response } from 'express';
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createGate, createMemoryStore, isOtpError, type Clock, type GateEvent } from '../src/index.js';

interface User {
  readonly id: string;
  readonly salt: Buffer;
  readonly hash: Buffer;
  readonly admins: readonly string[];
}

/** `second-factor`: the password was right and the gate has asked for `next`; `in`: fully logged in. */
interface Session {
  readonly userId: string;
  stage: 'second-factor' | 'in';
  next: 'setup' | 'code' | 'locked' | 'allow';
  /** One id per login attempt: a double-clicked "Postpone setup" uses one postpone. */
  readonly attempt: string;
}

const hashPassword = (password: string, salt: Buffer): Buffer => scryptSync(password, salt, 32);

function makeUser(id: string, password: string, admins: readonly string[]): User {
  const salt = randomBytes(16);
  return { id, salt, hash: hashPassword(password, salt), admins };
}

export interface ExampleOptions {
  /** For tests: the gate's clock. */
  readonly clock?: Clock;
  /** Where notifications go (mail, chat); by default the console. */
  readonly notify?: (event: GateEvent) => void;
}

export function createApp(options: ExampleOptions = {}): express.Express {
  const users = new Map<string, User>([
    ['alice', makeUser('alice', 'correct horse battery staple', ['root'])],
    ['root', makeUser('root', 'root password', [])],
  ]);
  const sessions = new Map<string, Session>();

  const gate = createGate({
    store: createMemoryStore(),
    issuer: 'ACME Co',
    // Everyone but the administrator must set up 2-step verification.
    policy: { required: (userId) => userId !== 'root' },
    directory: {
      async administratorsOf(userId) {
        return (users.get(userId)?.admins ?? []).map((id) => ({ id, name: id }));
      },
      async isAdministratorOf(adminId, userId) {
        return adminId !== userId && (users.get(userId)?.admins ?? []).includes(adminId);
      },
    },
    notifier: {
      async notify(event) {
        (options.notify ?? ((e) => console.log('notify', e.type, e.userId)))(event);
      },
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });

  const app = express();
  app.use(express.json());

  const sessionOf = (req: Request): Session | undefined => {
    const sid = /(?:^|;\s*)sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    return sid === undefined ? undefined : sessions.get(sid);
  };
  // Routes of the second step need a session whose password was checked.
  const secondFactor = (req: Request, res: Response): Session | undefined => {
    const session = sessionOf(req);
    if (session?.stage === 'second-factor') return session;
    res.status(401).json({ error: 'log in with your password first' });
    return undefined;
  };
  const loggedIn = (req: Request, res: Response): Session | undefined => {
    const session = sessionOf(req);
    if (session?.stage === 'in') return session;
    res.status(401).json({ error: 'not logged in' });
    return undefined;
  };

  app.post('/login', async (req, res) => {
    const { username, password } = req.body as { username?: string; password?: string };
    const user = users.get(String(username));
    const hash = hashPassword(String(password), user?.salt ?? randomBytes(16));
    if (user === undefined || !timingSafeEqual(hash, user.hash)) {
      res.status(401).json({ error: 'wrong user name or password' });
      return;
    }
    const next = await gate.nextStep(user.id);
    const sid = randomBytes(18).toString('base64url');
    const stage = next.step === 'allow' ? 'in' : 'second-factor';
    sessions.set(sid, { userId: user.id, stage, next: next.step, attempt: randomBytes(9).toString('base64url') });
    res.cookie('sid', sid, { httpOnly: true, sameSite: 'lax' });
    res.status(next.step === 'locked' ? 423 : 200).json(next);
  });

  // "Postpone setup": allowed while the gate offers it; it then lets the user in.
  app.post('/login/postpone', async (req, res) => {
    const session = secondFactor(req, res);
    if (!session) return;
    if (session.next !== 'setup') {
      res.status(409).json({ error: 'nothing to postpone' });
      return;
    }
    const result = await gate.postpone(session.userId, { attempt: session.attempt });
    session.stage = 'in';
    res.json(result);
  });

  // Set-up: the QR code, the URI and the key for "Unable to scan?". Only when the
  // gate asked for set-up: re-enrolling an enrolled user needs a full login.
  app.post('/login/setup', async (req, res) => {
    const session = secondFactor(req, res);
    if (!session) return;
    if (session.next !== 'setup') {
      res.status(409).json({ error: 'set-up is not what this login needs' });
      return;
    }
    const { manualKey, uri, qrSvg, expiresAt } = await gate.beginEnrollment(session.userId);
    res.json({ manualKey, uri, qrSvg, expiresAt });
  });

  // "Verify and Save".
  app.post('/login/setup/verify', async (req, res) => {
    const session = secondFactor(req, res);
    if (!session) return;
    if (session.next !== 'setup') {
      res.status(409).json({ error: 'set-up is not what this login needs' });
      return;
    }
    const result = await gate.confirmEnrollment(session.userId, String((req.body as { code?: unknown }).code));
    if (result.ok) session.stage = 'in';
    res.status(result.ok ? 200 : result.reason === 'locked' ? 423 : 400).json(result);
  });

  // A one-time code or a recovery code.
  app.post('/login/code', async (req, res) => {
    const session = secondFactor(req, res);
    if (!session) return;
    const result = await gate.verify(session.userId, String((req.body as { code?: unknown }).code));
    if (result.ok) session.stage = 'in';
    res.status(result.ok ? 200 : result.reason === 'locked' ? 423 : 401).json(result);
  });

  // "Lost 2-Step Verification code?": the list, then the request to one or 'all'.
  app.get('/login/lost-code', async (req, res) => {
    const session = secondFactor(req, res);
    if (!session) return;
    res.json(await gate.administrators(session.userId));
  });
  app.post('/login/lost-code', async (req, res) => {
    const session = secondFactor(req, res);
    if (!session) return;
    const result = await gate.requestReset(session.userId, { to: String((req.body as { to?: unknown }).to) });
    res.status(202).json({ to: result.to, expiresAt: result.expiresAt });
  });

  app.get('/me', (req, res) => {
    const session = loggedIn(req, res);
    if (session) res.json({ userId: session.userId });
  });

  // The administrator's side: open requests, and the reset itself.
  app.get('/admin/resets', async (req, res) => {
    const session = loggedIn(req, res);
    if (session) res.json(await gate.pendingResets(session.userId));
  });
  app.post('/admin/resets/:userId', async (req, res) => {
    const session = loggedIn(req, res);
    if (session) res.json(await gate.reset(session.userId, String(req.params['userId'])));
  });

  // Refusals the gate throws (ERR_POSTPONE_LIMIT, ERR_NOT_ADMIN, ERR_COOLDOWN, ...)
  // carry a stable code and a message safe to show.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!isOtpError(error)) {
      next(error);
      return;
    }
    const status = error.code === 'ERR_NOT_ADMIN' ? 403 : error.code === 'ERR_STORE' ? 503 : 409;
    res.status(status).json({ error: error.code, message: error.message });
  });

  return app;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env['PORT'] ?? 3000);
  createApp().listen(port, () => console.log(`POST http://localhost:${port}/login {"username":"alice","password":"correct horse battery staple"}`));
}

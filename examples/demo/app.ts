// The demo login app: a host with its own users, companies, password login
// (rate limited), session cookie and home page, on otpgate's gate and its
// SQLite store. Everything 2-step (set-up, code, lost phone, the
// administrators' inbox, the settings) is otpgate/web's flow, mounted under
// /2fa: the host calls flow.start() after the password check, and the flow
// calls onComplete() once the second step is done.
import type Database from 'better-sqlite3';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createAesGcmCipher, createGate, isOtpError, systemClock, type Clock, type Directory, type Gate, type GateEvent, type Notifier } from 'otpgate';
import { createSqliteStore } from 'otpgate/stores/sqlite';
import { createFlow, type Flow } from 'otpgate/web';
import { checkPassword, COMPANIES, DUMMY_HASH, openDemoDb, SEED_USERS, type DemoDb, type User } from './db.js';
import { createRateLimiter } from './rate-limit.js';
import { anonymous, COOKIE, createSessionCodec, FULL_TTL_MS, randomToken, sameToken, type Session } from './session.js';
import { STYLE } from './static.js';
import * as views from './views.js';

export interface DemoOptions {
  /** The open better-sqlite3 database: the gate's table and the demo's live in it. */
  readonly db: Database.Database;
  /** Where the time comes from (the tests move it). @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
  /** Where notifications and events are logged. @defaultValue `console.log` */
  readonly log?: ((line: string) => void) | undefined;
  /** Set the cookies' `Secure` flag (behind HTTPS). @defaultValue `false` */
  readonly secureCookies?: boolean | undefined;
}

export interface Demo {
  readonly app: Hono<Env>;
  readonly gate: Gate;
  readonly flow: Flow;
  readonly data: DemoDb;
}

type Env = { Variables: { session: Session; form: Record<string, string> } };

/** Longest value accepted in any field; longer ones get a message, not a hash computation. */
const MAX_FIELD = 256;
/** The whole request body; a bigger one is refused before it is parsed. */
const MAX_BODY = 64 * 1024;
const ISSUER = 'otpgate demo';

export async function createDemo(options: DemoOptions): Promise<Demo> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((line: string) => console.log(line));
  const data = openDemoDb(options.db);

  const store = createSqliteStore({ db: options.db });
  await store.migrate();
  // Who administers whom: the administrators of the user's own company.
  const directory: Directory = {
    async administratorsOf(userId) {
      const user = data.user(userId);
      if (user === undefined) return [];
      return data
        .adminsOf(user.companyId)
        .filter((admin) => admin.id !== userId)
        .map((admin) => ({ id: admin.id, name: admin.name }));
    },
    async isAdministratorOf(adminId, userId) {
      const admin = data.user(adminId);
      const user = data.user(userId);
      return admin !== undefined && user !== undefined && admin.isAdmin && admin.companyId === user.companyId && adminId !== userId;
    },
    async accountLabel(userId) {
      return data.user(userId)?.email ?? userId;
    },
  };

  // The demo's "mail": one line on the console and one row per recipient in
  // demo_outbox, which the inbox page reads. Events carry no secret or code.
  const notifier: Notifier = {
    async notify(event) {
      for (const { recipient, text } of describe(event, data)) {
        data.addMessage(`${event.id}:${recipient}`, { at: event.at, recipient, type: event.type, userId: event.userId, text });
        log(`[notify] ${event.type} to ${recipient}: ${text}`);
      }
    },
  };

  const gate = createGate({
    store,
    directory,
    notifier,
    issuer: ISSUER,
    clock,
    policy: {
      required: (userId) => data.company(data.user(userId)?.companyId ?? '')?.requires2fa ?? true,
      maxPostpones: 2,
    },
    // Secrets are encrypted at rest. A real host keeps this key outside the
    // database (a secret manager, an environment variable); the demo keeps
    // it in the file so that it needs no set-up.
    cipher: createAesGcmCipher({ key: new Uint8Array(data.key('secret-key')) }),
    onNotifyError: (error, event) => log(`[notify] failed on ${event.type} for ${event.userId}: ${error.message} (queued)`),
  });

  const codec = createSessionCodec(data.key('cookie-key'));
  const loginByName = createRateLimiter({ limit: 5, windowMs: 15 * 60_000 });
  const loginByAddress = createRateLimiter({ limit: 20, windowMs: 15 * 60_000 });

  /** The host's own session cookie, as a Set-Cookie header value. */
  function sessionCookie(session: Session): string {
    const maxAge = Math.max(1, Math.floor((session.exp - clock.now()) / 1000));
    return `${COOKIE}=${codec.encode(session)}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${options.secureCookies === true ? '; Secure' : ''}`;
  }

  /** The logged-in user of a request's session cookie, or null. */
  function sessionUser(cookieHeader: string | null | undefined): string | null {
    const raw = /(?:^|;\s*)otpgate_demo=([^;]+)/.exec(cookieHeader ?? '')?.[1];
    const session = codec.decode(raw, clock.now());
    return session?.stage === 'full' && session.user !== undefined && data.user(session.user) !== undefined ? session.user : null;
  }

  // ---- otpgate/web: every 2-step page under /2fa ------------------------------
  const flow = createFlow({
    gate,
    // Signs the flow's own cookie; kept in the database like the session key.
    key: new Uint8Array(data.key('flow-key')),
    clock,
    loginUrl: '/login',
    homeUrl: '/home',
    cookie: { secure: options.secureCookies === true },
    // The label in the authenticator app and in the administrators' inbox.
    account: (userId) => data.user(userId)?.name ?? userId,
    // The second step is done: the host logs the user in with its own session.
    onComplete: (userId) => {
      log(`[login] ${userId} logged in`);
      const session: Session = { csrf: randomToken(), exp: clock.now() + FULL_TTL_MS, user: userId, stage: 'full' };
      return new Response(null, { status: 303, headers: { Location: '/home', 'Set-Cookie': sessionCookie(session) } });
    },
    currentUser: (request) => sessionUser(request.headers.get('cookie')),
    // Store or cipher trouble, or a bug: the code and message only (they never hold a secret).
    onError: (error, request) => log(`[error] ${request.method} ${new URL(request.url).pathname}: ${isOtpError(error) ? error.code : 'error'}: ${error instanceof Error ? error.message : String(error)}`),
  });

  const app = new Hono<Env>();

  // The flow first: its pages set their own headers, cookie and CSRF token.
  app.all('/2fa', async (c) => (await flow.handle(c.req.raw)) ?? c.notFound());
  app.all('/2fa/*', async (c) => (await flow.handle(c.req.raw)) ?? c.notFound());

  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    if (!c.req.path.startsWith('/static/')) c.header('Cache-Control', 'no-store');
  });

  app.get('/static/style.css', (c) => c.body(STYLE, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'max-age=300' }));

  // Every visitor has a session (anonymous until logged in), so every form
  // of the host, the login form too, carries a CSRF token.
  app.use('*', async (c, next) => {
    let session = codec.decode(getCookie(c, COOKIE), clock.now());
    if (session === null) {
      session = anonymous(clock.now());
      save(c, session);
    }
    c.set('session', session);
    await next();
  });

  // Every POST: a bounded body, form-encoded, with the session's CSRF token.
  app.post(
    '*',
    bodyLimit({
      maxSize: MAX_BODY,
      onError: (c) => c.html(views.messagePage(chrome(c), { title: 'Too much data', message: 'The form sent more data than any field allows. Go back and try again.' }), 413),
    }),
    async (c, next) => {
      let form: Record<string, string> = {};
      try {
        const body = await c.req.parseBody();
        for (const [name, value] of Object.entries(body)) if (typeof value === 'string') form[name] = value;
      } catch {
        form = {};
      }
      if (!sameToken(form['csrf'] ?? '', c.get('session').csrf)) {
        return c.html(
          views.messagePage(chrome(c), {
            title: 'Form expired',
            message: 'This form was not accepted: it has expired or did not come from this site. Go back, reload the page and try again.',
          }),
          403,
        );
      }
      c.set('form', form);
      return next();
    },
  );

  function save(c: Context<Env>, session: Session): void {
    c.set('session', session);
    setCookie(c, COOKIE, codec.encode(session), {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      secure: options.secureCookies === true,
      maxAge: Math.max(1, Math.floor((session.exp - clock.now()) / 1000)),
    });
  }

  /** Reads and clears the one-off message shown on the next page. */
  function takeFlash(c: Context<Env>): string | undefined {
    const session = c.get('session');
    if (session.flash === undefined) return undefined;
    const { flash, ...rest } = session;
    save(c, rest);
    return flash;
  }

  function chrome(c: Context<Env>, flash?: string): views.Chrome {
    const session = c.get('session');
    const user = session.user === undefined || session.stage !== 'full' ? undefined : data.user(session.user);
    return { csrf: session.csrf, user, full: user !== undefined, flash: flash ?? takeFlash(c) };
  }

  function field(c: Context<Env>, name: string): string {
    return c.get('form')[name] ?? '';
  }

  function withFlash(c: Context<Env>, flash: string, to: string): Response {
    save(c, { ...c.get('session'), flash });
    return c.redirect(to, 303);
  }

  const accounts = SEED_USERS.map((seed) => ({
    user: data.user(seed.id) ?? seed,
    company: COMPANIES.find((company) => company.id === seed.companyId)!,
    password: seed.password,
  }));

  // ---- login -------------------------------------------------------------

  app.get('/', (c) => c.redirect(c.get('session').stage === 'full' ? '/home' : '/login', 303));

  app.get('/login', (c) => c.html(views.loginPage(chrome(c), { accounts })));

  app.post('/login', async (c) => {
    const username = field(c, 'username').trim();
    const password = field(c, 'password');
    const fail = (error: string, status: 400 | 401 | 429 = 400) =>
      c.html(views.loginPage(chrome(c), { accounts, error, username: username.length <= 64 ? username : '' }), status);
    if (username === '' || password === '') return fail('Type your user name and your password.');
    if (username.length > 64 || password.length > MAX_FIELD) return fail('The user name or the password is too long.');

    const now = clock.now();
    const address = clientAddress(c);
    const nameKey = username.toLowerCase();
    const blocked = Math.max(loginByName.blockedUntil(nameKey, now) ?? 0, loginByAddress.blockedUntil(address, now) ?? 0);
    if (blocked > 0) {
      const minutes = Math.ceil((blocked - now) / 60_000);
      return fail(`Too many failed logins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, 429);
    }

    const user = data.user(nameKey);
    // An unknown name costs as much as a wrong password, so timing does not tell them apart.
    const ok = await checkPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (user === undefined || !ok) {
      loginByName.fail(nameKey, now);
      loginByAddress.fail(address, now);
      log(`[login] failed login for a ${user === undefined ? 'unknown' : 'known'} user name`);
      return fail('The user name or the password is not right.', 401);
    }
    loginByName.clear(nameKey);
    // The password was right: the flow asks for what the gate wants next
    // (or calls onComplete at once).
    const answer = await flow.start(user.id, c.req.raw);
    // Whoever was logged in on this browser before is not any more (unless onComplete just logged this user in).
    if (!answer.headers.getSetCookie().some((line) => line.startsWith(`${COOKIE}=`))) answer.headers.append('Set-Cookie', sessionCookie(anonymous(now)));
    return answer;
  });

  app.post('/logout', (c) => {
    save(c, { ...anonymous(clock.now()), flash: 'You are logged out.' });
    return c.redirect('/login', 303);
  });

  // ---- logged in ------------------------------------------------------------

  function member(c: Context<Env>): User | Response {
    const session = c.get('session');
    const user = session.stage === 'full' && session.user !== undefined ? data.user(session.user) : undefined;
    return user ?? withFlash(c, 'Log in first.', '/login');
  }

  app.get('/home', async (c) => {
    const user = member(c);
    if (user instanceof Response) return user;
    const company = data.company(user.companyId)!;
    const status = await gate.status(user.id);
    const text =
      status.state === 'enrolled'
        ? 'on'
        : status.enabled
          ? status.required
            ? `required, not set up yet${status.postponesLeft > 0 ? ` (${status.postponesLeft === 1 ? 'one postpone' : `${status.postponesLeft} postpones`} left)` : ''}`
            : 'turned on, set-up not finished'
          : 'off';
    return c.html(
      views.homePage({ ...chrome(c), user }, { company, status: text, canSetUp: status.state !== 'enrolled' && status.enabled, messages: data.messagesFor(user.id) }),
    );
  });

  // The 2-step pages moved under /2fa.
  app.get('/settings', (c) => c.redirect('/2fa/settings', 301));
  app.get('/inbox', (c) => c.redirect('/2fa/inbox', 301));

  // ---- everything else ------------------------------------------------------

  app.notFound((c) => c.html(views.messagePage(chrome(c), { title: 'Not found', message: 'There is no such page.' }), 404));

  app.onError((error, c) => {
    // Store or cipher trouble, or a bug: a plain page, and a log line with
    // the error's code and message only (they never hold a secret).
    const code = isOtpError(error) ? error.code : error.name;
    log(`[error] ${c.req.method} ${c.req.path}: ${code}: ${error.message}`);
    const session = (c.get('session') as Session | undefined) ?? anonymous(clock.now());
    return c.html(
      views.messagePage({ csrf: session.csrf }, { title: 'Something went wrong', message: 'The request could not be completed. Please try again in a moment.' }),
      isOtpError(error) && (error.code === 'ERR_STORE' || error.code === 'ERR_CONFLICT') ? 503 : 500,
    );
  });

  return { app, gate, flow, data };
}

function clientAddress(c: Context<Env>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Who hears of an event, and in what words (never a secret or a code: events hold none). */
function describe(event: GateEvent, data: DemoDb): Array<{ recipient: string; text: string }> {
  const name = data.user(event.userId)?.name ?? event.userId;
  const actor = data.user(event.actor)?.name ?? event.actor;
  switch (event.type) {
    case 'reset-requested':
      return event.to.map((admin) => ({
        recipient: admin,
        text: `${name} (${event.userId}) lost their 2-Step Verification code and asks you to verify and reset it.`,
      }));
    case 'reset-completed':
      return [{ recipient: event.userId, text: `${actor} reset your 2-Step Verification: set it up again at your next login.` }];
    case 'reset-declined':
      return [{ recipient: event.userId, text: `${actor} declined your request to reset 2-Step Verification.` }];
    case 'locked':
      return [{ recipient: event.userId, text: `Too many wrong codes: your 2-Step Verification is locked${event.until === null ? '' : ` until ${new Date(event.until).toISOString()}`}.` }];
    case 'enrolled':
      return [{ recipient: event.userId, text: `2-Step Verification was set up for your account (${event.recoveryCodes} recovery codes issued).` }];
    case 'recovery-code-used':
      return [{ recipient: event.userId, text: `A recovery code was used to log in; ${event.remaining} left.` }];
    case 'postponed':
      return [{ recipient: event.userId, text: `2-Step Verification set-up postponed; ${event.postponesLeft === 0 ? 'no postpone' : event.postponesLeft === 1 ? 'one postpone' : `${event.postponesLeft} postpones`} left.` }];
    case 'enabled':
      return [{ recipient: event.userId, text: 'You turned on 2-Step Verification.' }];
    case 'disabled':
      return [{ recipient: event.userId, text: 'You turned off 2-Step Verification.' }];
    case 'recovery-codes-low':
      return [{ recipient: event.userId, text: `Only ${event.remaining} recovery codes left: make new ones in the settings.` }];
    case 'recovery-codes-regenerated':
      return [{ recipient: event.userId, text: 'You made new recovery codes; the old ones no longer work.' }];
    case 'authenticator-removed':
    case 'authenticator-renamed':
    case 'device-remembered':
    case 'devices-forgotten':
      return [];
    case 'passkey-cloned':
      return [{ recipient: event.userId, text: 'One of your passkeys answered like a copy of itself and was refused: if you did not copy it, remove it in the settings.' }];
    case 'events-dropped':
      return [{ recipient: 'ops', text: `${event.dropped} undelivered 2-Step Verification events of ${event.userId} were dropped.` }];
    case 'enrollment-started':
    case 'enrollment-discarded':
    case 'verified':
    case 'code-refused':
      // Audit only: nobody is mailed about them.
      return [];
  }
}

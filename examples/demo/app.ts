// The demo login app: the support article's flow on otpgate's gate and its
// SQLite store. This is the file a host copies from: the login handler
// checks the password, then asks the gate what comes next.
import type Database from 'better-sqlite3';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import {
  createAesGcmCipher,
  createGate,
  isOtpError,
  systemClock,
  type Clock,
  type Directory,
  type Gate,
  type GateEvent,
  type Notifier,
  OtpError,
} from 'otpgate';
import { createSqliteStore } from 'otpgate/stores/sqlite';
import { checkPassword, COMPANIES, DUMMY_HASH, openDemoDb, SEED_USERS, type DemoDb, type User } from './db.js';
import { createRateLimiter } from './rate-limit.js';
import { anonymous, COOKIE, createSessionCodec, FULL_TTL_MS, LOGIN_TTL_MS, randomToken, sameToken, type Session } from './session.js';
import { COPY_SCRIPT, STYLE } from './static.js';
import * as views from './views.js';

export interface DemoOptions {
  /** The open better-sqlite3 database: the gate's table and the demo's live in it. */
  readonly db: Database.Database;
  /** Where the time comes from (the tests move it). @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
  /** Where notifications and events are logged. @defaultValue `console.log` */
  readonly log?: ((line: string) => void) | undefined;
  /** Set the cookie's `Secure` flag (behind HTTPS). @defaultValue `false` */
  readonly secureCookies?: boolean | undefined;
}

export interface Demo {
  readonly app: Hono<Env>;
  readonly gate: Gate;
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

  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    if (!c.req.path.startsWith('/static/')) c.header('Cache-Control', 'no-store');
  });

  app.get('/static/style.css', (c) => c.body(STYLE, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'max-age=300' }));
  app.get('/static/copy.js', (c) => c.body(COPY_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=300' }));

  // Every visitor has a session (anonymous until the password is right), so
  // every form, the login form too, carries a CSRF token.
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
    const user = session.user === undefined ? undefined : data.user(session.user);
    return { csrf: session.csrf, user, full: session.stage === 'full', flash: flash ?? takeFlash(c) };
  }

  function field(c: Context<Env>, name: string): string {
    return c.get('form')[name] ?? '';
  }

  /** The user of a session at `stage`, or null. */
  function userAt(c: Context<Env>, stage: 'password' | 'full'): User | null {
    const session = c.get('session');
    if (session.user === undefined || session.stage !== stage) return null;
    return data.user(session.user) ?? null;
  }

  function logIn(c: Context<Env>, user: User, flash?: string): Response {
    // A new CSRF token at every change of privilege.
    save(c, { csrf: randomToken(), exp: clock.now() + FULL_TTL_MS, user: user.id, stage: 'full', ...(flash === undefined ? {} : { flash }) });
    log(`[login] ${user.id} logged in`);
    return c.redirect('/home', 303);
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

  app.get('/', (c) => {
    const session = c.get('session');
    if (session.stage === 'full') return c.redirect('/home', 303);
    if (session.stage === 'password') return c.redirect('/2fa', 303);
    return c.redirect('/login', 303);
  });

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
    save(c, { csrf: randomToken(), exp: now + LOGIN_TTL_MS, user: user.id, stage: 'password', attempt: randomToken() });
    return c.redirect('/2fa', 303);
  });

  app.post('/logout', (c) => {
    save(c, { ...anonymous(clock.now()), flash: 'You are logged out.' });
    return c.redirect('/login', 303);
  });

  // ---- 2-step verification after the password ----------------------------

  /** The 2-step pages need a password-checked login; anyone else goes to where they belong. */
  function pending(c: Context<Env>): User | Response {
    const user = userAt(c, 'password');
    if (user !== null) return user;
    if (c.get('session').stage === 'full') return c.redirect('/home', 303);
    return withFlash(c, 'Log in first.', '/login');
  }

  app.get('/2fa', async (c) => {
    const user = pending(c);
    if (user instanceof Response) return user;
    const next = await gate.nextStep(user.id);
    switch (next.step) {
      case 'allow':
        return logIn(c, user);
      case 'setup':
        return c.html(views.setupChoicePage(chrome(c), { required: next.required, postponesLeft: next.postponesLeft }));
      case 'code':
        return c.html(views.codePage(chrome(c), {}));
      case 'locked':
        return c.html(views.lockedPage(chrome(c), { retryAt: next.retryAt, now: clock.now() }));
    }
  });

  app.post('/2fa/postpone', async (c) => {
    const user = pending(c);
    if (user instanceof Response) return user;
    try {
      const { postponesLeft } = await gate.postpone(user.id, { attempt: c.get('session').attempt });
      const left = postponesLeft === 0 ? 'Next time set-up is mandatory.' : `You can postpone ${postponesLeft} more time${postponesLeft === 1 ? '' : 's'}.`;
      return logIn(c, user, `2-Step Verification set-up postponed. ${left}`);
    } catch (error) {
      const next = await gate.nextStep(user.id);
      const postponesLeft = next.step === 'setup' ? next.postponesLeft : 0;
      return c.html(views.setupChoicePage(chrome(c), { required: true, postponesLeft, error: gateMessage(error) }), 400);
    }
  });

  app.post('/2fa/skip', async (c) => {
    const user = pending(c);
    if (user instanceof Response) return user;
    const next = await gate.nextStep(user.id);
    if (next.step === 'setup' && !next.required) return logIn(c, user);
    return c.redirect('/2fa', 303);
  });

  /**
   * The set-up page serves both a login (password checked, the gate said
   * `setup`) and a logged-in user who turned 2-step on in the settings.
   */
  async function setupUser(c: Context<Env>): Promise<User | Response> {
    const user = userAt(c, 'password') ?? userAt(c, 'full');
    if (user === null) return withFlash(c, 'Log in first.', '/login');
    const next = await gate.nextStep(user.id);
    if (next.step === 'setup') return user;
    return c.get('session').stage === 'full' ? c.redirect('/settings', 303) : c.redirect('/2fa', 303);
  }

  app.get('/2fa/setup', async (c) => {
    const user = await setupUser(c);
    if (user instanceof Response) return user;
    const enrollment = await gate.beginEnrollment(user.id);
    return c.html(views.setupPage(chrome(c), { enrollment }));
  });

  app.post('/2fa/setup', async (c) => {
    const user = await setupUser(c);
    if (user instanceof Response) return user;
    const again = async (error: string, renew = false) =>
      c.html(views.setupPage(chrome(c), { enrollment: await gate.beginEnrollment(user.id, { renew }), error }), 400);
    const code = checkCode(field(c, 'code'), false);
    if (typeof code !== 'string') return again(code.error);
    const result = await gate.confirmEnrollment(user.id, code);
    if (result.ok) {
      if (c.get('session').stage === 'password') {
        save(c, { csrf: randomToken(), exp: clock.now() + FULL_TTL_MS, user: user.id, stage: 'full' });
        log(`[login] ${user.id} logged in after setting up 2-step verification`);
      }
      return c.html(views.recoveryCodesPage(chrome(c), result.recoveryCodes));
    }
    switch (result.reason) {
      case 'invalid':
        if (result.retryAt !== undefined) return c.html(views.lockedPage(chrome(c), { retryAt: result.retryAt, now: clock.now(), error: 'That code is not right.' }), 429);
        if (result.attemptsLeft === 0) return again('That code is not right, and that was the last try for this key: scan this new QR code.', true);
        return again(
          `That code is not right. Check that the app shows the "${ISSUER}" account you just added and type its current code (${result.attemptsLeft} ${result.attemptsLeft === 1 ? 'try' : 'tries'} left for this key).`,
        );
      case 'expired':
        return again('This set-up took too long and its key expired: scan this new QR code.', true);
      case 'no-setup':
        return again('That set-up had ended. Scan this QR code and type the code again.');
      case 'already-enrolled':
        return c.redirect('/settings', 303);
      case 'locked':
        return c.html(views.lockedPage(chrome(c), { retryAt: result.retryAt, now: clock.now() }), 429);
    }
  });

  app.post('/2fa/verify', async (c) => {
    const user = pending(c);
    if (user instanceof Response) return user;
    const code = checkCode(field(c, 'code'), true);
    if (typeof code !== 'string') return c.html(views.codePage(chrome(c), { error: code.error }), 400);
    const result = await gate.verify(user.id, code);
    if (result.ok) {
      const flash =
        result.method === 'recovery'
          ? `You used a recovery code; ${result.recoveryCodesLeft} left. Set up your authenticator app again if your phone is lost.`
          : undefined;
      return logIn(c, user, flash);
    }
    if (result.reason === 'not-enrolled') return c.redirect('/2fa', 303);
    if (result.reason === 'locked' || result.retryAt !== undefined) {
      const error = result.reason === 'locked' ? undefined : 'That code is not right.';
      return c.html(views.lockedPage(chrome(c), { retryAt: result.retryAt ?? null, now: clock.now(), error }), 429);
    }
    const error =
      result.reason === 'replayed'
        ? 'That code was already used. Wait for the app to show the next code (it changes every 30 seconds) and type that one.'
        : 'That code is not right or has expired. Type the code the app shows now.';
    return c.html(views.codePage(chrome(c), { error }), 401);
  });

  // ---- lost phone ---------------------------------------------------------

  app.get('/2fa/lost', async (c) => {
    const user = pending(c);
    if (user instanceof Response) return user;
    return c.html(views.lostPage(chrome(c), { admins: await gate.administrators(user.id) }));
  });

  app.post('/2fa/lost', async (c) => {
    const user = pending(c);
    if (user instanceof Response) return user;
    const admins = await gate.administrators(user.id);
    // "Send to all" is a second submit button of the same form.
    const to = field(c, 'all') === '' ? field(c, 'to') : 'all';
    const fail = (error: string) => c.html(views.lostPage(chrome(c), { admins, error }), 400);
    if (to === '') return fail('Choose an administrator, or "Send to all".');
    if (to.length > MAX_FIELD) return fail('Choose one of the administrators listed.');
    try {
      const sent = await gate.requestReset(user.id, { to });
      const names = sent.to.map((id) => admins.find((admin) => admin.id === id)?.name ?? id);
      return c.html(views.lostSentPage(chrome(c), names));
    } catch (error) {
      if (isOtpError(error) && error.code === 'ERR_NOT_ENROLLED') {
        return fail('Your 2-Step Verification is not set up, so there is nothing to reset: log in again to set it up.');
      }
      return fail(gateMessage(error));
    }
  });

  // ---- logged in ------------------------------------------------------------

  function member(c: Context<Env>): User | Response {
    return userAt(c, 'full') ?? (c.get('session').stage === 'password' ? c.redirect('/2fa', 303) : withFlash(c, 'Log in first.', '/login'));
  }

  async function status(user: User) {
    const next = await gate.nextStep(user.id);
    const enrolled = next.step === 'code' || next.step === 'locked';
    const enabled = next.step === 'setup' && !next.required;
    const text = enrolled ? 'on' : next.step === 'setup' ? (next.required ? 'required, not set up yet' : 'turned on, set-up not finished') : 'off';
    return { enrolled, enabled, text, canSetUp: next.step === 'setup' };
  }

  app.get('/home', async (c) => {
    const user = member(c);
    if (user instanceof Response) return user;
    const company = data.company(user.companyId)!;
    const { text, canSetUp } = await status(user);
    return c.html(views.homePage({ ...chrome(c), user }, { company, status: text, canSetUp }));
  });

  app.get('/settings', async (c) => {
    const user = member(c);
    if (user instanceof Response) return user;
    const { enrolled, enabled } = await status(user);
    return c.html(views.settingsPage({ ...chrome(c), user }, { company: data.company(user.companyId)!, enrolled, enabled }));
  });

  async function settingsAction(c: Context<Env>, action: (user: User) => Promise<string>): Promise<Response> {
    const user = member(c);
    if (user instanceof Response) return user;
    try {
      const to = await action(user);
      return to.startsWith('/') ? c.redirect(to, 303) : withFlash(c, to, '/settings');
    } catch (error) {
      const { enrolled, enabled } = await status(user);
      return c.html(
        views.settingsPage({ ...chrome(c), user }, { company: data.company(user.companyId)!, enrolled, enabled, error: gateMessage(error) }),
        400,
      );
    }
  }

  app.post('/settings/enable', (c) =>
    settingsAction(c, async (user) => {
      await gate.enable(user.id);
      return '/2fa/setup';
    }),
  );

  app.post('/settings/disable', (c) =>
    settingsAction(c, async (user) => {
      // Turning it off asks for a current code (or a recovery code) once set up.
      const code = field(c, 'code').trim();
      const result = await gate.disable(user.id, code === '' ? {} : { code });
      if (!result.ok) throw new OtpError('ERR_REAUTH_FAILED', result.reason);
      return '2-Step Verification is off for your account.';
    }),
  );

  // ---- administrators -----------------------------------------------------

  function administrator(c: Context<Env>): User | Response {
    const user = member(c);
    if (user instanceof Response || user.isAdmin) return user;
    return c.html(views.messagePage(chrome(c), { title: 'Inbox', message: 'Only administrators have an inbox.', back: '/home' }), 403);
  }

  async function inbox(c: Context<Env>, admin: User, error?: string, status: 200 | 400 = 200): Promise<Response> {
    const pendingResets = await gate.pendingResets(admin.id);
    const listed = pendingResets.map((p) => ({ ...p, name: data.user(p.userId)?.name ?? p.userId }));
    return c.html(
      views.inboxPage({ ...chrome(c), user: admin }, { pending: listed, messages: data.messagesFor(admin.id), now: clock.now(), error }),
      status,
    );
  }

  app.get('/inbox', async (c) => {
    const admin = administrator(c);
    if (admin instanceof Response) return admin;
    return inbox(c, admin);
  });

  for (const action of ['reset', 'decline'] as const) {
    app.post(`/inbox/${action}`, async (c) => {
      const admin = administrator(c);
      if (admin instanceof Response) return admin;
      const userId = field(c, 'user');
      const requestId = field(c, 'request');
      if (userId === '' || userId.length > MAX_FIELD || requestId.length > MAX_FIELD) return inbox(c, admin, 'Choose a request from the list.', 400);
      try {
        // The request the administrator saw: if another administrator handled
        // it meanwhile (after "Send to all"), nothing changes and we say who did.
        const result = await gate[action](admin.id, userId, requestId === '' ? {} : { requestId });
        const name = data.user(userId)?.name ?? userId;
        if (result.ok) {
          return withFlash(
            c,
            action === 'reset' ? `${name}'s 2-Step Verification was reset: they set it up again at their next login.` : `${name}'s request was declined.`,
            '/inbox',
          );
        }
        const by = result.handled === null ? undefined : (data.user(result.handled.by)?.name ?? result.handled.by);
        return inbox(c, admin, by === undefined ? 'There was nothing to do for that request.' : `${by} handled that request already.`, 400);
      } catch (error) {
        const text = isOtpError(error) && error.code === 'ERR_NOT_ADMIN' ? 'You do not administer that user.' : gateMessage(error);
        return inbox(c, admin, text, 400);
      }
    });
  }

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

  return { app, gate, data };
}

/**
 * A one-time code (6 digits; spaces are ignored) or, at login, a recovery
 * code (24 letters and digits in groups of four). Anything else gets a
 * message before it reaches the gate.
 */
function checkCode(input: string, recoveryAllowed: boolean): string | { error: string } {
  const text = input.replace(/\s+/g, '');
  if (text === '') return { error: 'Type the 6-digit code from your authenticator app.' };
  if (/^\d+$/.test(text)) return text.length === 6 ? text : { error: 'The code has 6 digits: type the code your app shows now.' };
  if (recoveryAllowed && text.length <= 40 && /^[A-Za-z2-7]{24}$/.test(text.replace(/-/g, ''))) return text;
  return {
    error: recoveryAllowed
      ? 'That is not a code: type the 6 digits your app shows, or a recovery code like ABCD-EFGH-IJKL-MNOP-QRST-UVWX.'
      : 'The code is 6 digits, without letters: type the code your app shows now.',
  };
}

/** A refusal from the gate, in words for the page. */
function gateMessage(error: unknown): string {
  if (!isOtpError(error)) throw error;
  const messages: Partial<Record<OtpError['code'], string>> = {
    ERR_POSTPONE_LIMIT: 'No postpone is left: 2-Step Verification must be set up now.',
    ERR_POSTPONE_NOT_ALLOWED: '2-Step Verification set-up cannot be postponed any more: set it up now.',
    ERR_NOT_ADMIN: 'Choose one of the administrators listed.',
    ERR_COOLDOWN: 'Those administrators were notified a few minutes ago; they will get back to you. You can ask again later.',
    ERR_NOTIFY: 'Your request was saved, but the notification could not be sent. Try again in a moment.',
    ERR_REQUIRED: 'Your company requires 2-Step Verification: it cannot be turned off.',
    ERR_STATE: 'That is not possible right now: reload the page and try again.',
    ERR_NOT_ENROLLED: '2-Step Verification is not set up for this account.',
    ERR_REAUTH_REQUIRED: 'Type a current code from your authenticator app to turn 2-Step Verification off.',
    ERR_REAUTH_FAILED: 'That code is not right (or was used already): type the current one.',
  };
  const message = messages[error.code];
  if (message === undefined) throw error;
  return message;
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

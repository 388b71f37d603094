// createFlow: the runtime-agnostic shell around the route table. It reads
// the request (path, method, body, cookie, CSRF token, language), runs the
// route's handler, and turns its outcome into a Response: an HTML page or,
// when asked with `Accept: application/json`, the same view model as JSON.
import { isOtpError } from '../errors.js';
import { OtpError } from '../errors.js';
import { constantTimeEqual } from '../internal/bytes.js';
import type { Gate, JsonValue } from '../gate/index.js';
import { createCookieCodec, keyBytes, MAX_COOKIE_MS, randomToken, readCookie, serializeCookie, type FlowCookie } from './cookie.js';
import { CATALOGUES, negotiateLocale, type Locale } from './locale.js';
import type { MessageKey, Messages } from './messages/en.js';
import type { FlowError, FlowErrorCode, ViewModel } from './model.js';
import { MAX_FIELD, ROUTES, type Exchange, type Outcome, type Route, type RouteDeps } from './routes.js';
import { PASSKEY_SCRIPT } from './passkey-script.js';
import { MAX_PASSKEY_FIELD, resolvePasskeys, type FlowPasskeyOptions } from './passkeys.js';
import { FLOW_CSS, FLOW_SCRIPT } from './style.js';
import { DEFAULT_RENDERERS, fill, type RenderContext, type Renderers } from './views.js';

/**
 * The options of {@link createFlow}.
 *
 * @example
 * ```ts
 * import type { FlowOptions } from 'otpgate/web';
 * declare const options: FlowOptions;
 * console.log(options.basePath ?? '/2fa');
 * ```
 */
export interface FlowOptions {
  /** The policy engine (`createGate(...)`). The flow only calls its public methods. */
  readonly gate: Gate;
  /** At least 32 random bytes (a `Uint8Array` or base64url text) that sign the flow cookie. Keep it secret; rotate it to end every half-finished login. */
  readonly key: Uint8Array | string;
  /** Where the pages live: a path without a trailing slash. @defaultValue `'/2fa'` */
  readonly basePath?: string | undefined;
  /**
   * Logs the user in (the host's own session cookie) and answers, usually
   * with a redirect. Called once per login: when the second step is done,
   * or when the gate says `allow`. `returnTo` is the same-origin path given
   * to `start`, or `null`.
   */
  readonly onComplete: (userId: string, request: Request, info: CompleteInfo) => Response | Promise<Response>;
  /** Who is fully logged in, for the settings and the inbox. @defaultValue nobody: those pages answer 401 */
  readonly currentUser?: ((request: Request) => string | null | undefined | Promise<string | null | undefined>) | undefined;
  /** The label shown in the authenticator app and in the inbox. @defaultValue the user id */
  readonly account?: ((userId: string) => string | Promise<string>) | undefined;
  /** A fixed language; without it each request's `Accept-Language` chooses. */
  readonly locale?: Locale | undefined;
  /** Texts that replace the shipped ones, per language (any key of {@link Messages}). */
  readonly messages?: MessageOverrides | undefined;
  /** The flow cookie. */
  readonly cookie?: CookieOptions | undefined;
  /** Page renderers that replace the default ones: view model in, HTML document out. */
  readonly render?: Partial<Renderers> | undefined;
  /** The host's login page, where a refused cookie sends the user back. @defaultValue `'/'` */
  readonly loginUrl?: string | undefined;
  /** The host's page that "Back" on the settings and the inbox leads to. @defaultValue `'/'` */
  readonly homeUrl?: string | undefined;
  /** Same-origin stylesheets linked after the flow's own (set the `--otpgate-…` custom properties there). @defaultValue none */
  readonly stylesheets?: readonly string[] | undefined;
  /** The time zone of times shown on the pages (an IANA name). @defaultValue `'UTC'` */
  readonly timeZone?: string | undefined;
  /** Where the time comes from (tests pass the gate's clock). @defaultValue `Date.now` */
  readonly clock?:
    | {
        /** Milliseconds since the epoch. */
        now(): number;
      }
    | undefined;
  /**
   * What every gate call of a request carries as `{ context }`, so each
   * event of the call says who asked and from where (any JSON value, at
   * most 4 KiB as JSON). Add the client's IP here when the host knows it
   * (behind a proxy only the host can tell which header to trust).
   * @defaultValue `{ userAgent }`: the `User-Agent` header cut to 256 characters (`null` without one), plus `requestId` from an `X-Request-Id` header when there is one
   */
  readonly context?: ((request: Request) => JsonValue | undefined) | undefined;
  /**
   * Turns on passkeys (WebAuthn, through the gate's `beginPasskeyRegistration`
   * and `verifyPasskey`, which need the optional peer `@simplewebauthn/server`):
   * the set-up page offers "Use a passkey instead", the code page "Use your
   * passkey", the settings list passkeys and offer "Add a passkey". The pages
   * then load `${basePath}/passkey.js`; without JavaScript its buttons stay
   * hidden and the codes work as before.
   * @defaultValue off
   */
  readonly passkeys?: FlowPasskeyOptions | undefined;
  /**
   * Hears of unexpected errors (a failed store, a bug, an error thrown by
   * your own `onComplete` or `currentUser`); the user gets a plain 500 or
   * 503 page either way. Errors otpgate makes never hold a secret or a code;
   * those of your callbacks are yours. Pass `() => {}` to log nothing.
   * @defaultValue `console.error` of the method, the path (no query) and the error
   */
  readonly onError?: ((error: unknown, request: Request) => void) | undefined;
}

/**
 * Texts that replace the shipped ones, per language: any keys of {@link Messages}.
 *
 * @example
 * ```ts
 * import type { MessageOverrides } from 'otpgate/web';
 * const messages: MessageOverrides = { en: { setUpNow: 'Protect my account' }, de: { setUpNow: 'Konto schützen' } };
 * ```
 */
export interface MessageOverrides {
  /** English. */
  readonly en?: Partial<Messages> | undefined;
  /** German. */
  readonly de?: Partial<Messages> | undefined;
  /** French. */
  readonly fr?: Partial<Messages> | undefined;
  /** Spanish. */
  readonly es?: Partial<Messages> | undefined;
}

/**
 * The flow cookie's options.
 *
 * @example
 * ```ts
 * import type { CookieOptions } from 'otpgate/web';
 * const cookie: CookieOptions = { name: '__Host-2fa', secure: true };
 * ```
 */
export interface CookieOptions {
  /** @defaultValue `'otpgate_flow'` */
  readonly name?: string | undefined;
  /** The `Secure` attribute. @defaultValue on, except for `http://localhost` (and 127.0.0.1, [::1]) */
  readonly secure?: boolean | undefined;
}

/**
 * What `onComplete` learns besides the user.
 *
 * @example
 * ```ts
 * import type { CompleteInfo } from 'otpgate/web';
 * const to = (info: CompleteInfo) => info.returnTo ?? '/';
 * ```
 */
export interface CompleteInfo {
  /** The same-origin path passed to `start`, or `null`. */
  readonly returnTo: string | null;
}

/**
 * Options of {@link Flow.start}.
 *
 * @example
 * ```ts
 * import type { StartOptions } from 'otpgate/web';
 * const options: StartOptions = { returnTo: '/account' };
 * ```
 */
export interface StartOptions {
  /** Where the host wants the user after the login: only a same-origin path is kept (see {@link safeReturnPath}). */
  readonly returnTo?: string | null | undefined;
}

/**
 * The flow: `start` after the password, `handle` for every request under
 * `basePath`.
 *
 * @example
 * ```ts
 * import type { Flow } from 'otpgate/web';
 * async function fetchHandler(flow: Flow, request: Request): Promise<Response> {
 *   return (await flow.handle(request)) ?? new Response('not found', { status: 404 });
 * }
 * ```
 */
export interface Flow {
  /** Where the pages live. */
  readonly basePath: string;
  /**
   * Call right after the password check: answers with a redirect to the
   * page the gate asks for and sets the flow cookie (signed, HttpOnly,
   * SameSite=Lax, at most 15 minutes, bound to the user). When the gate
   * says `allow`, it calls `onComplete` and answers with its response.
   */
  start(userId: string, request: Request, options?: StartOptions): Promise<Response>;
  /** Serves every page under `basePath`; `null` for any other path. Never throws. */
  handle(request: Request): Promise<Response | null>;
}

/** The request body read at most; a form of the flow is a few hundred bytes. */
const MAX_BODY = 16 * 1024;

const STATUS: Readonly<Record<FlowErrorCode, number>> = {
  'bad-request': 400,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  csrf: 403,
  session: 403,
  unauthorized: 401,
  'not-found': 404,
  'method-not-allowed': 405,
  'invalid-code': 401,
  'replayed-code': 401,
  'invalid-passkey': 401,
  locked: 429,
  'setup-expired': 400,
  'postpone-refused': 400,
  cooldown: 429,
  'not-admin': 403,
  required: 400,
  'not-enrolled': 400,
  state: 409,
  limit: 409,
  'already-handled': 409,
  'nothing-to-do': 409,
  'notify-failed': 502,
  unavailable: 503,
  'server-error': 500,
};

const ERROR_TEXT: Readonly<Partial<Record<FlowErrorCode, MessageKey>>> = {
  'bad-request': 'errBadRequest',
  'payload-too-large': 'errPayloadTooLarge',
  'unsupported-media-type': 'errUnsupportedMediaType',
  csrf: 'errCsrf',
  session: 'errSession',
  unauthorized: 'errUnauthorized',
  'not-found': 'errNotFound',
  'method-not-allowed': 'errMethodNotAllowed',
  unavailable: 'errUnavailable',
  'server-error': 'errServerError',
};

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** With passkeys, the pages' script fetches its options from the flow: same origin only. */
const CSP_PASSKEYS = `${CSP}; connect-src 'self'`;

/** Headers of every page and JSON answer of the flow. */
function securityHeaders(headers: Headers, csp: string): void {
  headers.set('Cache-Control', 'no-store');
  headers.set('Content-Security-Policy', csp);
  headers.set('X-Content-Type-Options', 'nosniff');
  headers.set('X-Frame-Options', 'DENY');
  headers.set('Referrer-Policy', 'no-referrer');
}

/**
 * `value` when it is a same-origin path (`/account?tab=1`), else `null`:
 * no scheme, no `//host`, no backslash, no control character. Used for
 * every return path, so the flow never redirects off-site.
 *
 * @example
 * ```ts
 * import { safeReturnPath } from 'otpgate/web';
 * safeReturnPath('/home'); // '/home'
 * safeReturnPath('//evil.example/'); // null
 * safeReturnPath('https://evil.example/'); // null
 * ```
 */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return null;
  try {
    const url = new URL(value, 'http://same.invalid');
    return url.origin === 'http://same.invalid' ? value : null;
  } catch {
    return null;
  }
}

/** The default `onError`: the query stays out of the log, since a host may carry a token there. */
function logError(error: unknown, request: Request): void {
  console.error(`otpgate/web: ${request.method} ${new URL(request.url).pathname} failed:`, error);
}

function isLocalhost(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]');
}

/**
 * The default context of gate calls: the `User-Agent` (at most 256
 * characters) and, when the request has one, its `X-Request-Id`.
 */
function defaultContext(request: Request): JsonValue {
  const userAgent = request.headers.get('user-agent');
  const requestId = request.headers.get('x-request-id');
  return {
    userAgent: userAgent === null ? null : userAgent.slice(0, 256),
    ...(requestId !== null && /^[\x21-\x7e]{1,128}$/.test(requestId) ? { requestId } : {}),
  };
}

function wantsJson(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}

/**
 * Makes the flow: every page of 2-step verification after the host's
 * password check, on Web `Request`/`Response` (Node 20+, Deno, Bun,
 * workers), with the framework adapters `otpgate/web/express`,
 * `otpgate/web/fastify` and `otpgate/web/next` on top.
 *
 * @throws `OtpError` `ERR_OPTIONS` for a missing gate or onComplete, a short key, or a bad basePath
 * @example
 * ```ts
 * import { createGate, createMemoryStore } from 'otpgate';
 * import { createFlow } from 'otpgate/web';
 *
 * const gate = createGate({ store: createMemoryStore(), issuer: 'Example', directory, notifier });
 * const flow = createFlow({
 *   gate,
 *   key: process.env.OTPGATE_KEY!, // 32+ random bytes, base64url
 *   onComplete: (userId) => logInAndRedirect(userId),
 *   currentUser: (request) => sessionUser(request),
 * });
 * // after the password check: return flow.start(user.id, request);
 * // for every request:         return (await flow.handle(request)) ?? hostRouter(request);
 * ```
 */
export function createFlow(options: FlowOptions): Flow {
  if (typeof options !== 'object' || options === null) throw new OtpError('ERR_OPTIONS', 'options must be an object');
  const { gate } = options;
  if (typeof gate !== 'object' || gate === null || typeof gate.nextStep !== 'function') throw new OtpError('ERR_OPTIONS', 'gate must be a Gate (createGate)');
  if (typeof options.onComplete !== 'function') throw new OtpError('ERR_OPTIONS', 'onComplete must be a function');
  const codec = createCookieCodec(keyBytes(options.key));
  const basePath = options.basePath ?? '/2fa';
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) throw new OtpError('ERR_OPTIONS', "basePath must be a path like '/2fa', without a trailing slash");
  const cookieName = options.cookie?.name ?? 'otpgate_flow';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cookieName) && !/^__Host-[A-Za-z0-9_-]{1,56}$/.test(cookieName)) throw new OtpError('ERR_OPTIONS', 'cookie.name must be letters, digits, _ and -');
  const loginUrl = options.loginUrl ?? '/';
  if (safeReturnPath(loginUrl) === null && !/^https:\/\//.test(loginUrl)) throw new OtpError('ERR_OPTIONS', 'loginUrl must be a same-origin path or an https URL');
  const homeUrl = options.homeUrl ?? '/';
  if (safeReturnPath(homeUrl) === null && !/^https:\/\//.test(homeUrl)) throw new OtpError('ERR_OPTIONS', 'homeUrl must be a same-origin path or an https URL');
  const stylesheets = options.stylesheets ?? [];
  for (const href of stylesheets) if (safeReturnPath(href) === null) throw new OtpError('ERR_OPTIONS', 'stylesheets must be same-origin paths (the CSP allows only those)');
  const timeZone = options.timeZone ?? 'UTC';
  const formats = new Map<Locale, Intl.DateTimeFormat>();
  const formatFor = (locale: Locale): Intl.DateTimeFormat => {
    let format = formats.get(locale);
    if (format === undefined) {
      format = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: 'short' });
      formats.set(locale, format);
    }
    return format;
  };
  try {
    formatFor('en');
  } catch (cause) {
    throw new OtpError('ERR_OPTIONS', 'timeZone must be an IANA time zone name', { cause });
  }
  const now = () => options.clock?.now() ?? Date.now();
  if (options.context !== undefined && typeof options.context !== 'function') throw new OtpError('ERR_OPTIONS', 'context must be a function of the request');
  const contextOf = options.context ?? defaultContext;
  const renderers: Renderers = { ...DEFAULT_RENDERERS, ...(options.render ?? {}) };
  const catalogues = Object.fromEntries(
    Object.entries(CATALOGUES).map(([locale, messages]) => [locale, { ...messages, ...(options.messages?.[locale as Locale] ?? {}) }]),
  ) as Record<Locale, Messages>;

  async function account(userId: string): Promise<string> {
    if (options.account === undefined) return userId;
    return String(await options.account(userId));
  }
  const passkeys = resolvePasskeys(options.passkeys);
  const csp = passkeys === null ? CSP : CSP_PASSKEYS;
  const deps: RouteDeps = { gate, basePath, loginUrl, account, passkeys };

  function contextFor(request: Request): RenderContext {
    const locale = options.locale ?? negotiateLocale(request.headers.get('accept-language'));
    const t = catalogues[locale];
    const format = formatFor(locale);
    return {
      t,
      locale,
      basePath,
      stylesheets,
      homeUrl,
      passkeys: passkeys !== null,
      formatTime: (ms) => format.format(new Date(ms)),
      text: (key, values) => fill(t[key], values),
    };
  }

  function secure(url: URL): boolean {
    return options.cookie?.secure ?? !isLocalhost(url);
  }

  async function setFlowCookie(headers: Headers, url: URL, cookie: FlowCookie): Promise<void> {
    headers.append(
      'Set-Cookie',
      serializeCookie(cookieName, await codec.encode(cookie), { path: basePath, secure: secure(url), maxAgeSeconds: (cookie.expiresAt - now()) / 1000 }),
    );
  }

  function clearFlowCookie(headers: Headers, url: URL): void {
    headers.append('Set-Cookie', serializeCookie(cookieName, '', { path: basePath, secure: secure(url), maxAgeSeconds: 0 }));
  }

  function respond(view: ViewModel, status: number, context: RenderContext, json: boolean, head = false): Response {
    const headers = new Headers();
    securityHeaders(headers, csp);
    let body: string;
    if (json) {
      headers.set('Content-Type', 'application/json; charset=utf-8');
      body = JSON.stringify(view);
    } else {
      headers.set('Content-Type', 'text/html; charset=utf-8');
      headers.set('Content-Language', context.locale);
      const render = renderers[view.page] as (view: ViewModel, context: RenderContext) => string;
      body = render(view, context);
    }
    return new Response(head ? null : body, { status, headers });
  }

  function errorView(code: FlowErrorCode, context: RenderContext, csrf?: string): ViewModel {
    const error: FlowError = { code, message: context.t[ERROR_TEXT[code] ?? 'errServerError'] };
    const backUrl = code === 'session' || code === 'unauthorized' ? loginUrl : basePath;
    return { page: 'error', status: STATUS[code], error, backUrl, ...(csrf === undefined ? {} : { csrf }) };
  }

  function fail(code: FlowErrorCode, context: RenderContext, json: boolean, extra?: (headers: Headers) => void): Response {
    const response = respond(errorView(code, context), STATUS[code], context, json);
    extra?.(response.headers);
    return response;
  }

  function redirect(to: string, json: boolean): Response {
    const headers = new Headers();
    securityHeaders(headers, csp);
    if (json) {
      headers.set('Content-Type', 'application/json; charset=utf-8');
      return new Response(JSON.stringify({ redirect: to }), { status: 200, headers });
    }
    headers.set('Location', to);
    return new Response(null, { status: 303, headers });
  }

  /** The host's response, with the flow cookie cleared (the flow is over). */
  async function complete(userId: string, request: Request, url: URL, returnTo: string | null): Promise<Response> {
    const answer = await options.onComplete(userId, request, { returnTo });
    // A copy, since Response.redirect() has immutable headers.
    const response = new Response(answer.body, answer);
    clearFlowCookie(response.headers, url);
    return response;
  }

  /** The form fields of a POST, or the error to answer. */
  async function readForm(request: Request): Promise<Record<string, string> | FlowErrorCode> {
    const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > MAX_BODY) return 'payload-too-large';
    let text = '';
    if (request.body !== null) {
      const reader = request.body.getReader();
      const decoder = new TextDecoder();
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > MAX_BODY) {
          await reader.cancel().catch(() => undefined);
          return 'payload-too-large';
        }
        text += decoder.decode(value, { stream: true });
      }
      text += decoder.decode();
    }
    const form: Record<string, string> = {};
    if (type === 'application/x-www-form-urlencoded' || (type === '' && text === '')) {
      new URLSearchParams(text).forEach((value, name) => {
        if (!(name in form)) form[name] = value;
      });
    } else if (type === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return 'bad-request';
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'bad-request';
      for (const [name, value] of Object.entries(parsed)) {
        if (typeof value === 'string') form[name] = value;
        else if (typeof value === 'boolean' && value) form[name] = '1';
        else return 'bad-request';
      }
    } else {
      return 'unsupported-media-type';
    }
    // The browser's WebAuthn answer is the one long field.
    for (const [name, value] of Object.entries(form)) if (value.length > (name === 'passkey' ? MAX_PASSKEY_FIELD : MAX_FIELD)) return 'bad-request';
    return form;
  }

  async function currentUser(request: Request): Promise<string | null> {
    if (options.currentUser === undefined) return null;
    const user = await options.currentUser(request);
    return typeof user === 'string' && user !== '' ? user : null;
  }

  async function handle(request: Request): Promise<Response | null> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return null;
    }
    const path = url.pathname;
    if (path !== basePath && !path.startsWith(`${basePath}/`)) return null;
    const context = contextFor(request);
    const json = wantsJson(request);
    const method = request.method.toUpperCase();
    const head = method === 'HEAD';
    const asGet = head ? 'GET' : method;
    const rest = path.slice(basePath.length).replace(/\/$/, '');

    try {
      const file = rest === '/flow.css' ? FLOW_CSS : rest === '/flow.js' ? FLOW_SCRIPT : rest === '/passkey.js' && passkeys !== null ? PASSKEY_SCRIPT : null;
      if (file !== null) {
        if (asGet !== 'GET') return fail('method-not-allowed', context, json, (h) => h.set('Allow', 'GET, HEAD'));
        const headers = new Headers({ 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' });
        headers.set('Content-Type', rest === '/flow.css' ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
        return new Response(head ? null : file, { status: 200, headers });
      }

      const candidates = ROUTES.filter((route) => route.path === rest && (route.passkeys !== true || passkeys !== null));
      if (candidates.length === 0) return fail('not-found', context, json);
      const route: Route | undefined = candidates.find((r) => r.method === asGet);
      if (route === undefined) {
        const allow = [...new Set(candidates.flatMap((r) => (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method])))].join(', ');
        return fail('method-not-allowed', context, json, (h) => h.set('Allow', allow));
      }

      let form: Record<string, string> = {};
      if (route.method === 'POST') {
        const read = await readForm(request);
        if (typeof read === 'string') return fail(read, context, json);
        form = read;
      }

      // Who the page is for.
      const raw = readCookie(request.headers.get('cookie'), cookieName);
      const cookie = await codec.decode(raw, now());
      const member = route.audience === 'login' ? null : await currentUser(request);
      let stage: 'login' | 'member';
      if (cookie?.stage === 'login' && route.audience !== 'member') stage = 'login';
      else if (member !== null) stage = 'member';
      else if (route.audience === 'member') return fail('unauthorized', context, json);
      else stage = 'login';

      let flowCookie: FlowCookie;
      let issue = false;
      if (stage === 'login') {
        if (cookie === null || cookie.stage !== 'login') {
          // No flow at all on a page: back to the host's login; a refused cookie or form: 403.
          if (raw === undefined && route.method === 'GET' && !json) return redirect(loginUrl, false);
          // A logged-in user's own cookie on a login page: nothing to log in, their settings instead.
          if (cookie?.stage === 'member' && route.method === 'GET') return redirect(`${basePath}/settings`, json);
          return fail(raw === undefined ? (route.method === 'POST' ? 'csrf' : 'session') : 'session', context, json, (h) => clearFlowCookie(h, url));
        }
        flowCookie = cookie;
      } else {
        const user = member!;
        if (cookie !== null && cookie.stage === 'member' && cookie.user === user) {
          flowCookie = cookie;
        } else if (route.method === 'POST') {
          // A form needs the cookie its page set: missing, or made for another user, or tampered.
          return fail(cookie === null && raw === undefined ? 'csrf' : 'session', context, json, (h) => clearFlowCookie(h, url));
        } else {
          flowCookie = { user, stage: 'member', csrf: randomToken(), attempt: randomToken(), expiresAt: 0, returnTo: null };
        }
        // Pages of a logged-in user renew their cookie (same token) for another 15 minutes.
        if (route.method === 'GET') {
          flowCookie = { ...flowCookie, expiresAt: now() + MAX_COOKIE_MS };
          issue = true;
        }
      }

      if (route.method === 'POST') {
        const token = form['csrf'] ?? request.headers.get('x-csrf-token') ?? '';
        if (!constantTimeEqual(token, flowCookie.csrf)) return fail('csrf', context, json);
      }

      const exchange: Exchange = {
        request,
        form,
        user: flowCookie.user,
        stage,
        attempt: flowCookie.attempt,
        context: contextOf(request),
        text: context.text,
        formatTime: context.formatTime,
      };
      const outcome: Outcome = await route.handle(exchange, deps);

      if ('complete' in outcome) {
        if (stage !== 'login') return redirect(`${basePath}/settings`, json);
        const done = await complete(flowCookie.user, request, url, flowCookie.returnTo);
        if (outcome.recoveryCodes === undefined) return done;
        return recoveryPage(done, outcome.recoveryCodes, context, json, head);
      }
      if ('redirect' in outcome) return redirect(outcome.redirect, json);
      if ('json' in outcome) {
        // The passkey options: always JSON (only the page's script asks for them).
        const headers = new Headers({ 'Content-Type': 'application/json; charset=utf-8' });
        securityHeaders(headers, csp);
        return new Response(head ? null : JSON.stringify(outcome.json), { status: outcome.status ?? 200, headers });
      }
      const response = respond({ ...outcome.view, csrf: flowCookie.csrf }, outcome.status ?? 200, context, json, head);
      if (issue) await setFlowCookie(response.headers, url, flowCookie);
      return response;
    } catch (error) {
      try {
        (options.onError ?? logError)(error, request);
      } catch {
        // A failing logger must not turn a 500 page into a crash.
      }
      const code: FlowErrorCode = isOtpError(error) && (error.code === 'ERR_STORE' || error.code === 'ERR_CONFLICT') ? 'unavailable' : 'server-error';
      return fail(code, context, json);
    }
  }

  /**
   * After "Verify and Save" at login: the host has logged the user in
   * (`done`); the recovery codes page carries its cookies, and "Continue"
   * goes where the host's answer pointed.
   */
  function recoveryPage(done: Response, codes: readonly string[], context: RenderContext, json: boolean, head: boolean): Response {
    const location = done.status >= 300 && done.status < 400 ? done.headers.get('location') : null;
    const page = respond({ page: 'recovery-codes', codes, continueUrl: location ?? '/' }, 200, context, json, head);
    for (const cookie of done.headers.getSetCookie()) page.headers.append('Set-Cookie', cookie);
    return page;
  }

  async function start(userId: string, request: Request, startOptions: StartOptions = {}): Promise<Response> {
    if (typeof userId !== 'string' || userId === '' || userId.length > MAX_FIELD) throw new OtpError('ERR_OPTIONS', 'userId must be a non-empty string of at most 256 characters');
    const url = new URL(request.url);
    const returnTo = safeReturnPath(startOptions.returnTo);
    const json = wantsJson(request);
    const next = await gate.nextStep(userId, { context: contextOf(request) });
    if (next.step === 'allow') return complete(userId, request, url, returnTo);
    const response = redirect(basePath, json);
    await setFlowCookie(response.headers, url, {
      user: userId,
      stage: 'login',
      csrf: randomToken(),
      attempt: randomToken(),
      expiresAt: now() + MAX_COOKIE_MS,
      returnTo,
    });
    return response;
  }

  return { basePath, start, handle };
}

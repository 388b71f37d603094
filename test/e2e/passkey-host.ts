// A host for the passkey tests in Chromium: the toy host's users, login and home
// page (examples/web-host.ts) on a real gate, with otpgate/web and passkeys on,
// served on http://localhost:PORT (WebAuthn needs a secure context, and plain
// HTTP is one only on localhost; an IP address cannot be an RP id).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { createGate, createMemoryStore, type Gate, type GateEvent } from '../../src/index.js';
import { createFlow, type Flow } from '../../src/web/index.js';
import { checkPassword, endSession, homePage, loginPage, newSession, sessionUser, USERS } from '../../examples/web-host.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface PasskeyHost {
  readonly base: string;
  readonly gate: Gate;
  readonly flow: Flow;
  readonly events: GateEvent[];
  readonly clock: { offset: number; now(): number };
  close(): Promise<void>;
}

/** The toy host with passkeys on; `port` 0 picks a free one. */
export async function startHost(port = 0): Promise<PasskeyHost> {
  const clock = { offset: 0, now() { return Date.now() + this.offset; } };
  const events: GateEvent[] = [];
  const gate = createGate({
    store: createMemoryStore(),
    issuer: 'Toy Host',
    clock,
    policy: { required: (userId) => userId === 'alice', maxPostpones: 2 },
    directory: {
      administratorsOf: async (userId) => (USERS[userId]?.admins ?? []).map((id) => ({ id, name: USERS[id]!.name })),
      isAdministratorOf: async (adminId, userId) => USERS[userId]?.admins.includes(adminId) ?? false,
    },
    notifier: { notify: async (event) => void events.push(event) },
  });
  let flow: Flow | undefined;
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const handled = await flow!.handle(request);
    if (handled !== null) return handled;
    const html = (body: string, status = 200) => new Response(body, { status, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
    if (url.pathname === '/login' && request.method === 'GET') return html(loginPage());
    if (url.pathname === '/login' && request.method === 'POST') {
      const form = new URLSearchParams(await request.text());
      const userId = checkPassword(form.get('username'), form.get('password'));
      return userId === null ? html(loginPage('The user name or the password is not right.'), 401) : flow!.start(userId, request);
    }
    if (url.pathname === '/logout' && request.method === 'POST') {
      return new Response(null, { status: 303, headers: { Location: '/login', 'Set-Cookie': endSession(request.headers.get('cookie')) } });
    }
    if (url.pathname === '/') {
      const userId = sessionUser(request.headers.get('cookie'));
      return userId === null ? new Response(null, { status: 303, headers: { Location: '/login' } }) : html(homePage(userId));
    }
    return new Response('not found', { status: 404 });
  };
  const server = serve({ fetch, port, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((done) => (server.listening ? done() : server.once('listening', () => done())));
  const base = `http://localhost:${(server.address() as AddressInfo).port}`;
  flow = createFlow({
    gate,
    key: crypto.getRandomValues(new Uint8Array(32)),
    clock,
    loginUrl: '/login',
    onComplete: (userId) => new Response(null, { status: 303, headers: { Location: '/', 'Set-Cookie': newSession(userId) } }),
    currentUser: (request) => sessionUser(request.headers.get('cookie')),
    passkeys: { rpId: 'localhost', rpName: 'Toy Host', origin: base },
  });
  return { base, gate, flow, events, clock, close: () => new Promise<void>((done) => server.close(() => done())) };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface Tab {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors, page errors, failed subresources and CSP reports: must stay empty. */
  readonly problems: string[];
  /** Every console message of the page, whatever its level: searched for secrets and codes. */
  readonly logged: string[];
  /** The page's DevTools session, with the WebAuthn domain enabled. */
  readonly cdp: CDPSession;
}

/** A browser context and page that record every problem, with the WebAuthn domain of DevTools enabled. */
export async function open(browser: Browser, options: { language?: string; javaScript?: boolean } = {}): Promise<Tab> {
  const language = options.language ?? 'en-US';
  const context = await browser.newContext({
    locale: language,
    extraHTTPHeaders: { 'Accept-Language': language },
    viewport: { width: 900, height: 900 },
    javaScriptEnabled: options.javaScript ?? true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const logged: string[] = [];
  // A refused code or passkey answers its page with 401, which Chromium logs as a failed load;
  // only the page's own resources must not fail, and nothing may break the CSP.
  page.on('console', (message) => {
    logged.push(message.text());
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('response', (response) => {
    const type = response.request().resourceType();
    if (type !== 'document' && type !== 'fetch' && response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  page.on('pageerror', (error) => problems.push(error.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  return { context, page, problems, logged, cdp };
}

/** A platform authenticator with user verification, answering at once (no dialogue to click). */
export async function addAuthenticator(cdp: CDPSession): Promise<string> {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}

/** Clicks what navigates, and waits for the next page. */
export async function go(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

export async function login(page: Page, base: string, user: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('#username', user);
  await page.fill('#password', `${user}-password`);
  await go(page, 'button[type=submit]');
}

export async function logout(page: Page): Promise<void> {
  await go(page, 'button:has-text("Log out")');
}

export const heading = (page: Page): Promise<string> => page.locator('h1').innerText();

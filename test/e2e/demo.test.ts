// The demo login app end to end: the real server (examples/demo/server.ts
// under tsx, a temporary SQLite file: the host's login, session and home page,
// with otpgate/web's flow mounted under /2fa for everything 2-step) driven by
// headless Chromium the way a new user clicks through it, with a screenshot of
// each page for the docs. The server's clock is moved through DEMO_CLOCK_OFFSET_FILE so a
// fresh code needs no 30-second wait; codes are computed from the key read
// off the page with otpgate's own totp().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totp } from '../../src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
// Generous: the whole suite shares two cores; a step here takes a fraction of a second alone.
const TIMEOUT = 120_000;
const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`;
// The screenshots of the docs are refreshed on request only, so that a test
// run does not rewrite committed images (every run draws a new QR code).
const SHOTS = process.env['UPDATE_SCREENSHOTS'] ? join(root, 'docs', 'screenshots') : join(root, 'test-results', 'demo-screenshots');
// Optional: where zbar-tools is installed, the painted QR code is also decoded.
const hasZbar = spawnSync('sh', ['-c', 'command -v zbarimg']).status === 0;

interface Server {
  url: string;
  readonly process: ChildProcess;
  output: string;
}

let dir: string;
let offsetFile: string;
let dbFile: string;
let offset = 0;

/** Moves the demo server's clock (and the codes the test computes) forward. */
function advance(ms: number): void {
  offset += ms;
  writeFileSync(offsetFile, String(offset));
}

/** The code an authenticator app shows now, by the server's clock. */
function codeFor(key: string, shiftMs = 0): string {
  return totp(key.replace(/\s+/g, ''), { now: Date.now() + offset + shiftMs });
}

async function startServer(args: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo/server.ts', ...args], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO_DB: dbFile, DEMO_CLOCK_OFFSET_FILE: offsetFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server: Server = { url: '', process: child, output: '' };
  child.stdout.on('data', (chunk: Buffer) => (server.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (server.output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const match = /listening on http:\/\/localhost:(\d+)/.exec(server.output);
    if (match !== null) {
      server.url = `http://127.0.0.1:${match[1]}`;
      return server;
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the demo did not start:\n${server.output}`);
}

async function stopServer(server: Server): Promise<number | null> {
  if (server.process.exitCode !== null) return server.process.exitCode;
  const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
  server.process.kill('SIGTERM');
  return exited;
}

describe.skipIf(missing)(`demo login app in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: Browser;
  let server: Server;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'otpgate-demo-'));
    offsetFile = join(dir, 'clock-offset');
    dbFile = join(dir, 'demo.sqlite');
    advance(0);
    mkdirSync(SHOTS, { recursive: true });
    [server, browser] = await Promise.all([
      startServer(),
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) await stopServer(server);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function newSession(): Promise<void> {
    await context?.close();
    context = await browser.newContext({ viewport: { width: 900, height: 760 }, baseURL: server.url });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
  }

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** Clicks something that loads a new page (a link or a submit button) and waits for it. */
  async function go(selector: string): Promise<void> {
    await Promise.all([page.waitForEvent('load'), page.click(selector)]);
  }

  async function logIn(username: string, password = `${username}-demo`): Promise<void> {
    await page.goto('/login');
    await page.fill('#username', username);
    await page.fill('#password', password);
    await go('button:has-text("Log in")');
  }

  /** Logs out from the host's header (the flow's pages have none: back to the home page first). */
  async function logOut(): Promise<void> {
    if ((await page.locator('header button:has-text("Log out")').count()) === 0) await page.goto('/home');
    await go('header button:has-text("Log out")');
    expect(await heading()).toBe('Log in');
  }

  const heading = () => page.locator('main h1').innerText();
  const mainText = () => page.locator('main').innerText();
  const errorText = () => page.locator('.error').innerText();
  const noticeText = () => page.locator('.notice').innerText();
  const wrongCode = (key: string) => (codeFor(key) === '000000' ? '111111' : '000000');

  /** On the set-up page: opens "Unable to scan?", reads the key, types the current code. */
  async function setUp(screenshots: boolean): Promise<{ key: string; recoveryCodes: string[] }> {
    expect(await heading()).toBe('Set up 2-Step Verification');
    expect(await page.locator('.qr svg').isVisible()).toBe(true);
    expect(await page.locator('#manual-key').isVisible()).toBe(false);
    if (screenshots) await shot('setup-qr');
    await page.click('summary:has-text("Unable to scan?")');
    const key = (await page.locator('#manual-key').innerText()).trim();
    expect(key).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{4})+$/);
    expect(base32Decode(key).length).toBe(20);
    const href = (await page.locator('a[href^="otpauth:"]').getAttribute('href'))!;
    const uri = new URL(href);
    expect(uri.protocol + uri.host).toBe('otpauth:totp');
    expect(uri.searchParams.get('secret')).toBe(key.replace(/ /g, ''));
    expect(uri.searchParams.get('issuer')).toBe('otpgate demo');
    // The QR code Chromium paints holds that same URI, read back by an outside decoder.
    if (hasZbar) {
      const png = join(dir, 'qr.png');
      await page.locator('.qr').screenshot({ path: png });
      const scan = spawnSync('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', png], { encoding: 'utf8' });
      expect(scan.stdout.trim()).toBe(href);
    }
    // The copy button is the one piece of JavaScript: it copies the key without spaces.
    await page.click('button:has-text("Copy key")');
    await page.locator('button[data-copy]:has-text("Copied")').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key.replace(/ /g, ''));
    if (screenshots) await shot('setup-manual-key');

    if (screenshots) {
      // Letters cannot even be sent (the field's pattern); too few digits get a message.
      await page.fill('#code', '12 34');
      await go('button:has-text("Verify and Save")');
      expect(await errorText()).toContain('A code has only digits');
      await page.click('summary:has-text("Unable to scan?")');
      // The same pending key comes back after a refused code.
      expect((await page.locator('#manual-key').innerText()).trim()).toBe(key);
      await shot('setup-bad-code');
      await page.fill('#code', wrongCode(key));
      await go('button:has-text("Verify and Save")');
      expect(await errorText()).toMatch(/not right.*4 tries left/);
    }
    await page.fill('#code', codeFor(key));
    await go('button:has-text("Verify and Save")');
    expect(await heading()).toBe('2-Step Verification is on');
    const recoveryCodes = await page.locator('ol.codes li').allInnerTexts();
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    return { key, recoveryCodes };
  }

  /** The flow's CSRF token for a logged-in user, as a single-page app reads it (the JSON of the settings). */
  const flowToken = async (): Promise<string> => {
    const answer = await context.request.get('/2fa/settings', { headers: { accept: 'application/json' } });
    expect(answer.status()).toBe(200);
    return ((await answer.json()) as { csrf: string }).csrf;
  };

  it('takes a new user from postponing to set-up, codes, a lost phone and an administrator reset', async () => {
    await newSession();
    await page.goto('/');
    expect(page.url()).toBe(`${server.url}/login`);
    expect(await page.locator('table').innerText()).toContain('alice-demo');
    await shot('login');

    // First login: required by Acme, two postpones left.
    await logIn('alice');
    expect(page.url()).toBe(`${server.url}/2fa`);
    expect(await heading()).toBe('Set up 2-Step Verification');
    expect(await mainText()).toContain('2 more times');
    await shot('setup-choice');
    await go('button:has-text("Postpone setup")');
    expect(await heading()).toBe('Welcome, Alice Adams');
    expect(await mainText()).toContain('required, not set up yet (one postpone left)');
    expect(await page.locator('main a:has-text("Set up now")').count()).toBe(1);
    await shot('home-postponed');
    await logOut();

    // Second login: the last postpone.
    await logIn('alice');
    expect(await mainText()).toContain('one more time');
    await go('button:has-text("Postpone setup")');
    expect(await mainText()).toContain('required, not set up yet');
    await logOut();

    // Third login: no postpone button any more.
    await logIn('alice');
    expect(await mainText()).toContain('must be set up now');
    expect(await page.locator('button:has-text("Postpone setup")').count()).toBe(0);
    await shot('setup-required');
    await go('a:has-text("Set up now")');
    const { key, recoveryCodes } = await setUp(true);
    await shot('recovery-codes');
    await go('a:has-text("Continue")');
    expect(await heading()).toBe('Welcome, Alice Adams');
    expect(await mainText()).toContain('2-Step Verification: on');
    await logOut();

    // A later login asks for the code; the next step's code is accepted once.
    advance(30_000);
    await logIn('alice');
    expect(await heading()).toBe('2-Step Verification');
    await shot('code');
    const fresh = codeFor(key);
    await page.fill('#code', fresh);
    await go('main > form button:has-text("Verify")');
    expect(await heading()).toBe('Welcome, Alice Adams');
    await logOut();

    await logIn('alice');
    await page.fill('#code', fresh);
    await go('main > form button:has-text("Verify")');
    expect(await errorText()).toContain('already used');
    await shot('code-reused');
    await page.fill('#code', codeFor(key, -120_000));
    await go('main > form button:has-text("Verify")');
    expect(await errorText()).toContain('not right or has expired');

    // Lost phone: ask one administrator.
    await go('a:has-text("Lost 2-Step Verification code?")');
    expect(await heading()).toBe('Lost 2-Step Verification code?');
    expect((await page.locator('fieldset label').allInnerTexts()).map((s) => s.trim())).toEqual(['Ruth Root', 'Sam Stone']);
    await shot('lost');
    await page.check('input[value="sam"]');
    await go('button:has-text("Send request")');
    expect(await heading()).toBe('Request sent');
    expect(await noticeText()).toContain('We asked Sam Stone');
    await shot('lost-sent');

    // ... and, after the cool-down, all of them.
    advance(16 * 60_000);
    await logIn('alice');
    await go('a:has-text("Lost 2-Step Verification code?")');
    await go('button:has-text("Send to all")');
    expect(await noticeText()).toContain('We asked Ruth Root and Sam Stone');

    // Ruth (an administrator, who postpones her own set-up) sees the request and resets it.
    await newSession();
    await logIn('ruth');
    await go('button:has-text("Postpone setup")');
    expect(await mainText()).toContain('Alice Adams (alice) lost their 2-Step Verification code');
    await go('header a:has-text("Inbox")');
    expect(await heading()).toBe('Reset requests');
    expect(await page.locator('main table').innerText()).toContain('Alice Adams');
    await shot('inbox');
    await go('tbody button:has-text("Reset")');
    expect(await heading()).toBe('Reset the 2-Step Verification of Alice Adams?');
    await go('button:has-text("Yes, reset")');
    expect(await noticeText()).toContain('The 2-Step Verification of Alice Adams was reset.');
    expect(await mainText()).toContain('No open requests.');
    await logOut();

    // Alice must set up again: a new key, no postpone, the old recovery codes gone.
    await newSession();
    await logIn('alice');
    expect(await mainText()).toContain('must be set up now');
    expect(await page.locator('button:has-text("Postpone setup")').count()).toBe(0);
    await go('a:has-text("Set up now")');
    const second = await setUp(false);
    expect(second.key).not.toBe(key);
    expect(second.recoveryCodes).not.toEqual(recoveryCodes);
    await go('a:has-text("Continue")');
    await logOut();

    // A recovery code logs in once.
    await logIn('alice');
    await page.click('summary:has-text("Use a recovery code")');
    await page.fill('#recovery-code', second.recoveryCodes[0]!.toLowerCase());
    await go('details button:has-text("Verify")');
    expect(await heading()).toBe('Welcome, Alice Adams');
    expect(await mainText()).toContain('A recovery code was used to log in; 9 left.');
    await logOut();

    // The notifier wrote each notification to the outbox table and the console.
    const db = new Database(dbFile, { readonly: true });
    const rows = db.prepare("SELECT recipient FROM demo_outbox WHERE type = 'reset-requested' ORDER BY at, recipient").all();
    db.close();
    expect(rows).toEqual([{ recipient: 'sam' }, { recipient: 'ruth' }, { recipient: 'sam' }]);
    expect(server.output).toContain('[notify] reset-requested to ruth: Alice Adams (alice) lost their 2-Step Verification code');
    expect(server.output).toContain('[notify] reset-completed to alice');
    // Nothing secret in the log after the start banner (which lists the demo
    // passwords on purpose): no key, no code, no recovery code, no password.
    const log = server.output.slice(server.output.indexOf('Press Ctrl-C'));
    expect(log).toContain('[login] alice logged in');
    for (const secret of [key, second.key, fresh, ...recoveryCodes, ...second.recoveryCodes, 'alice-demo', 'ruth-demo']) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(secret.replace(/[ -]/g, ''));
    }
  }, TIMEOUT);

  it('lets an administrator decline a request; acting late on it says who handled it', async () => {
    await newSession();
    advance(30_000);
    await logIn('alice');
    await go('a:has-text("Lost 2-Step Verification code?")');
    await page.check('input[value="ruth"]');
    await go('button:has-text("Send request")');
    expect(await noticeText()).toContain('We asked Ruth Root');

    await newSession();
    await logIn('ruth');
    await go('button:has-text("Postpone setup")');
    await page.goto('/2fa/inbox');
    const requestId = await page.locator('form[action="/2fa/inbox/reset"] input[name=request]').inputValue();
    expect(requestId.length).toBeGreaterThan(0);
    const csrf = await flowToken();
    await go('tbody button:has-text("Decline")');
    await go('button:has-text("Yes, decline")');
    expect(await noticeText()).toContain('The request of Alice Adams was declined.');
    expect(await mainText()).toContain('No open requests.');
    // A second tab with the old list: declining or resetting that request says
    // who handled it, and the reset does not happen.
    for (const action of ['decline', 'reset']) {
      const late = await context.request.post(`/2fa/inbox/${action}`, { form: { csrf, user: 'alice', request: requestId, confirm: '1' } });
      expect(late.status()).toBe(409);
      expect(await late.text()).toContain('Ruth Root already declined it');
    }
    await newSession();
    advance(30_000);
    await logIn('alice');
    expect(await heading()).toBe('2-Step Verification');
    expect(server.output).toContain('[notify] reset-declined to alice');
  }, TIMEOUT);

  it('lets a user of a company without the requirement turn 2-step on and off with a code, and locks after wrong codes', async () => {
    await newSession();
    await logIn('carol');
    expect(await heading()).toBe('Welcome, Carol Clark');
    await go('header a:has-text("Settings")');
    expect(await mainText()).toContain('2-Step Verification is off for your account.');
    await shot('settings-off');
    await go('button:has-text("Turn on 2-Step Verification")');
    const { key } = await setUp(false);
    await go('a:has-text("Continue")');
    expect(await mainText()).toContain('2-Step Verification is on for your account.');
    expect(await page.locator('li.authenticator h3').allInnerTexts()).toEqual(['Authenticator app']);
    expect(await mainText()).toContain('You have 10 recovery codes left.');
    await shot('settings-on');
    await logOut();

    // Five wrong codes lock the account; the page says until when.
    await logIn('carol');
    for (let i = 0; i < 5; i++) {
      await page.fill('#code', wrongCode(key));
      await go('main > form button:has-text("Verify")');
    }
    expect(await heading()).toBe('Too many wrong codes');
    expect(await mainText()).toContain('You can try again at');
    await shot('locked');
    await page.goto('/2fa');
    expect(await heading()).toBe('Too many wrong codes');

    advance(31_000);
    await go('a:has-text("Try again")');
    await page.fill('#code', codeFor(key));
    await go('main > form button:has-text("Verify")');
    expect(await heading()).toBe('Welcome, Carol Clark');
    await page.goto('/2fa/settings');
    // Turning it off asks for a fresh code: a wrong one is refused.
    advance(30_000);
    await page.fill('#disable-code', wrongCode(key));
    await go('form[action$="/disable"] button');
    expect(await errorText()).toContain('That code is not right');
    await page.fill('#disable-code', codeFor(key));
    await go('form[action$="/disable"] button');
    expect(await noticeText()).toContain('2-Step Verification is now off for your account.');
    await logOut();
    await logIn('carol');
    expect(await heading()).toBe('Welcome, Carol Clark');

    // Where it is required it cannot be turned off.
    await newSession();
    await logIn('bob');
    await go('button:has-text("Postpone setup")');
    await page.goto('/2fa/settings');
    expect(await mainText()).toContain('requires 2-Step Verification, and it is not set up yet');
    expect(await page.locator('button:has-text("Turn off")').count()).toBe(0);
    const forced = await context.request.post('/2fa/settings/disable', { form: { csrf: await flowToken() } });
    expect(forced.status()).toBe(400);
    expect(await forced.text()).toContain('requires 2-Step Verification: it cannot be turned off');
  }, TIMEOUT);

  it('answers bad input on every form with a message on the page, never a stack trace or a 500', async () => {
    await newSession();
    const long = 'x'.repeat(10_000);
    const csrf = async () => {
      const value = await page.locator('input[name=csrf]').first().inputValue();
      expect(value.length).toBeGreaterThan(10);
      return value;
    };
    const post = async (path: string, form: Record<string, string>) => {
      const response = await context.request.post(path, { form, maxRedirects: 0 });
      const text = await response.text();
      expect(response.status()).toBeLessThan(500);
      expect(text).not.toMatch(/\n\s+at |Error:|ERR_[A-Z_]+/);
      return { status: response.status(), text };
    };
    const message = (text: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(text)?.[1];

    await page.goto('/login');
    let token = await csrf();
    expect(message((await post('/login', { csrf: token, username: '', password: '' })).text)).toBe('Type your user name and your password.');
    expect(message((await post('/login', { csrf: token, username: 'alice', password: '' })).text)).toBe('Type your user name and your password.');
    expect(message((await post('/login', { csrf: token, username: long, password: 'x' })).text)).toBe('The user name or the password is too long.');
    expect(message((await post('/login', { csrf: token, username: 'alice', password: long })).text)).toBe('The user name or the password is too long.');
    const unknown = await post('/login', { csrf: token, username: 'mallory', password: 'mallory-demo' });
    expect([unknown.status, message(unknown.text)]).toEqual([401, 'The user name or the password is not right.']);

    // A forged or missing CSRF token: refused with a message.
    for (const form of [{ csrf: 'forged', username: 'alice', password: 'alice-demo' }, { username: 'alice', password: 'alice-demo' }]) {
      const refused = await post('/login', form);
      expect(refused.status).toBe(403);
      expect(message(refused.text)).toContain('This form was not accepted');
    }
    // The same in the browser: a form whose token was tampered with.
    await page.goto('/login');
    await page.locator('input[name=csrf]').evaluate((input: HTMLInputElement) => (input.value = 'tampered'));
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-demo');
    await go('button:has-text("Log in")');
    expect(await heading()).toBe('Form expired');
    await shot('form-expired');

    // A body far past any field is refused before parsing.
    const huge = await post('/login', { csrf: token, username: 'y'.repeat(100_000), password: 'x' });
    expect(huge.status).toBe(413);

    // Rate limiting: five wrong passwords for a name, then a wait, even with the right one.
    for (let i = 0; i < 5; i++) await post('/login', { csrf: token, username: 'dave', password: `wrong-${i}` });
    const limited = await post('/login', { csrf: token, username: 'dave', password: 'dave-demo' });
    expect(limited.status).toBe(429);
    expect(message(limited.text)).toMatch(/^Too many failed logins\. Try again in 1[45] minutes\.$/);
    await logIn('dave');
    expect(await errorText()).toContain('Too many failed logins');
    await shot('login-rate-limited');

    // The 2-step forms (the flow's), for alice (enrolled) in the middle of a login.
    await logIn('alice');
    expect(await heading()).toBe('2-Step Verification');
    token = await csrf();
    for (const [code, text] of [
      ['', 'Type the code from your authenticator app'],
      ['12 34', 'That is not a code'],
      ['abcdef', 'That is not a code'],
      [long, 'The form was not filled in as expected'],
    ] as const) {
      expect(message((await post('/2fa/verify', { csrf: token, code })).text)).toContain(text);
    }
    for (const [to, text] of [
      ['', 'Choose an administrator'],
      ['mallory', 'Choose one of the administrators listed'],
      ['dave', 'Choose one of the administrators listed'],
      [long, 'The form was not filled in as expected'],
    ] as const) {
      expect(message((await post('/2fa/lost', { csrf: token, to })).text)).toContain(text);
    }
    expect((await post('/2fa/lost', { csrf: 'forged', to: 'all' })).status).toBe(403);
    // Set-up is not open to an enrolled user in the middle of a login.
    expect((await post('/2fa/setup', { csrf: token, code: '123456' })).status).toBe(409);
    // The flow's cookie never logs anyone in: the host's pages still say "log in first".
    await page.goto('/home');
    expect(page.url()).toBe(`${server.url}/login`);

    // "Verify and Save", for bob in the middle of a login that sets up 2-step.
    await newSession();
    await logIn('bob');
    expect(await heading()).toBe('Set up 2-Step Verification');
    token = await csrf();
    for (const [code, text] of [
      ['', 'Type the code from your authenticator app'],
      ['12 34', 'A code has only digits'],
      ['12ab56', 'A code has only digits'],
    ] as const) {
      const result = await post('/2fa/setup', { csrf: token, code });
      expect(result.status).toBe(400);
      expect(message(result.text)).toContain(text);
      expect(result.text).toContain('<svg');
    }
    expect(message((await post('/2fa/setup', { csrf: token, code: long })).text)).toContain('The form was not filled in as expected');
    // A set-up left open past its ten minutes says so and shows a new key.
    await page.goto('/2fa/setup');
    await page.click('summary:has-text("Unable to scan?")');
    const stale = (await page.locator('#manual-key').innerText()).trim();
    advance(11 * 60_000);
    await page.fill('#code', codeFor(stale));
    await go('button:has-text("Verify and Save")');
    expect(await errorText()).toContain('took too long');
    await page.click('summary:has-text("Unable to scan?")');
    expect((await page.locator('#manual-key').innerText()).trim()).not.toBe(stale);
    // Every other form refuses a forged token too.
    for (const path of ['/2fa/postpone', '/2fa/skip', '/2fa/setup', '/2fa/verify', '/2fa/lost', '/logout']) {
      expect((await post(path, { csrf: 'forged' })).status).toBe(403);
    }

    // The administrator forms, for ruth, who must now set up her own 2-step first.
    await newSession();
    await logIn('ruth');
    expect(await page.locator('button:has-text("Postpone setup")').count()).toBe(0);
    await go('a:has-text("Set up now")');
    await setUp(false);
    token = await flowToken();
    for (const path of ['/2fa/settings/enable', '/2fa/settings/disable', '/2fa/settings/recovery-codes', '/2fa/settings/authenticators/add', '/2fa/inbox/reset', '/2fa/inbox/decline']) {
      expect((await post(path, { csrf: 'forged', user: 'alice', request: 'x', confirm: '1' })).status).toBe(403);
    }
    expect(message((await post('/2fa/inbox/reset', { csrf: token, user: '', request: 'x' })).text)).toBe('The form was not filled in as expected. Go back and try again.');
    expect(message((await post('/2fa/inbox/reset', { csrf: token, user: long, request: 'x' })).text)).toBe('The form was not filled in as expected. Go back and try again.');
    for (const user of ['carol', 'ruth', 'nobody']) {
      for (const action of ['reset', 'decline']) {
        const refused = await post(`/2fa/inbox/${action}`, { csrf: token, user, request: 'x', confirm: '1' });
        expect([refused.status, message(refused.text)]).toEqual([403, 'You do not administer that user.']);
      }
    }
    // A user who is not an administrator has nothing in the inbox.
    await newSession();
    await logIn('carol');
    await page.goto('/2fa/inbox');
    expect(await mainText()).toContain('No open requests.');

    // Pages a visitor may not see: the host's send them to the login page, the flow's answer 401; unknown pages say so.
    await newSession();
    await page.goto('/home');
    expect(page.url()).toBe(`${server.url}/login`);
    expect(await noticeText()).toBe('Log in first.');
    const inbox = await page.goto('/2fa/inbox');
    expect(inbox!.status()).toBe(401);
    expect(await page.locator('main a').innerText()).toBe('Log in again');
    const notFound = await page.goto('/nope');
    expect(notFound!.status()).toBe(404);
    expect(await heading()).toBe('Not found');
  }, TIMEOUT);

  it('works without JavaScript in the browser, the copy button aside', async () => {
    await context?.close();
    context = await browser.newContext({ javaScriptEnabled: false, baseURL: server.url });
    page = await context.newPage();
    await logIn('sam');
    await go('a:has-text("Set up now")');
    await page.click('summary:has-text("Unable to scan?")');
    const key = (await page.locator('#manual-key').innerText()).trim();
    expect(await page.locator('button[data-copy]').isVisible()).toBe(false);
    await page.fill('#code', codeFor(key));
    await go('button:has-text("Verify and Save")');
    expect(await page.locator('ol.codes li').count()).toBe(10);
    await go('a:has-text("Continue")');
    expect(await heading()).toBe('Welcome, Sam Stone');
    await logOut();
  }, TIMEOUT);

  it('keeps its data across a restart and starts afresh with --fresh', async () => {
    const first = server;
    expect(await stopServer(first)).toBe(0);
    expect(first.output).toContain('SIGTERM: stopping the demo');

    server = await startServer();
    await newSession();
    advance(30_000);
    await logIn('alice');
    expect(await heading()).toBe('2-Step Verification');
    expect(await stopServer(server)).toBe(0);

    server = await startServer(['--fresh']);
    expect(server.output).toContain('(fresh)');
    await newSession();
    await logIn('alice');
    expect(await mainText()).toContain('2 more times');
  }, TIMEOUT);
});

// otpgate/web in headless Chromium, through the four example hosts
// (examples/express, fastify, hono, next): each walked end to end as the
// issue asks, every page of the flow checked by axe-core (WCAG 2.1 A and AA)
// in every language, and the flow walked with the keyboard alone. The hosts
// run in this process on a clock the test moves, so a fresh code needs no
// 30-second wait; codes come from the key read off the page, with totp().
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp as createExpressApp } from '../../examples/express/app.js';
import { createApp as createFastifyApp } from '../../examples/fastify/app.js';
import { createApp as createHonoApp } from '../../examples/hono/app.js';
import { useClock } from '../../examples/next/lib/twofa.js';
import { start as startNext } from '../../examples/next/serve.js';
import { serve } from '@hono/node-server';
import { totp } from '../../src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
const TIMEOUT = 180_000;
const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`;
const SHOTS = process.env['UPDATE_SCREENSHOTS'] ? join(root, 'docs', 'screenshots') : join(root, 'test-results', 'web-screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Host {
  readonly base: string;
  readonly clock: { offset: number; now(): number };
  close(): Promise<void>;
}

function testClock() {
  return { offset: 0, now() { return Date.now() + this.offset; } };
}

const listen = (server: Server): Promise<string> =>
  new Promise((done) => {
    if (server.listening) done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    else server.once('listening', () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
const closing = (server: Server) => () => new Promise<void>((done) => server.close(() => done()));

const HOSTS: Record<string, () => Promise<Host>> = {
  async express() {
    const clock = testClock();
    const server = createExpressApp({ clock }).listen(0, '127.0.0.1');
    return { base: await listen(server), clock, close: closing(server) };
  },
  async fastify() {
    const clock = testClock();
    const app = await createFastifyApp({ clock });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, clock, close: () => app.close() };
  },
  async hono() {
    const clock = testClock();
    const server = serve({ fetch: createHonoApp({ clock }).fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    return { base: await listen(server), clock, close: closing(server) };
  },
  async next() {
    const clock = testClock();
    useClock(clock);
    const server = startNext(0) as Server;
    return { base: await listen(server), clock, close: closing(server) };
  },
};

let browser: Browser;

beforeAll(async () => {
  if (missing) return;
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
});

/** A browser context that fails the test on any Content-Security-Policy violation or page error. */
async function open(language = 'en-US'): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ locale: language, extraHTTPHeaders: { 'Accept-Language': language }, viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  // A refused code answers its page with 401, which Chromium logs as a failed load: only the
  // page's own resources (stylesheet, script) must not fail, and nothing may break the CSP.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'document' && response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { context, page, problems };
}

async function login(page: Page, base: string, user: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('#username', user);
  await page.fill('#password', `${user}-password`);
  await go(page, 'button[type=submit]');
}

const heading = (page: Page) => page.locator('h1').innerText();

/** Clicks what navigates, and waits for the next page. */
async function go(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

async function logout(page: Page): Promise<void> {
  await go(page, 'text="Log out"');
  expect(page.url()).toMatch(/\/login$/);
}

/** The walk of the issue: postpone twice, set up with the manual key, a fresh code, the same code refused, lost, reset, set up again. */
async function walk(host: Host, shots?: string): Promise<void> {
  const { page, context, problems } = await open();
  const shot = async (name: string) => {
    if (shots !== undefined) await page.screenshot({ path: join(SHOTS, `web-${name}.png`), fullPage: true });
  };
  for (const left of ['2 more times', 'one more time']) {
    await login(page, host.base, 'alice');
    expect(await heading(page)).toBe('Set up 2-Step Verification');
    await expect.poll(() => page.locator('main').innerText()).toContain(left);
    if (left.startsWith('2')) await shot('choice');
    await go(page, 'button:has-text("Postpone setup")');
    expect(await heading(page)).toBe('Hello, Alice Example');
    await logout(page);
  }

  await login(page, host.base, 'alice');
  expect(await page.locator('button:has-text("Postpone setup")').count()).toBe(0);
  await go(page, 'text="Set up now"');
  expect(await page.locator('.qr svg').count()).toBe(1);
  await shot('setup');
  await page.click('summary:has-text("Unable to scan?")');
  const key = ((await page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, '');
  expect(key).toMatch(/^[A-Z2-7]{16,}$/);
  await shot('setup-manual-key');
  await page.fill('#code', totp(key, { now: host.clock.now() }));
  await go(page, 'button:has-text("Verify and Save")');
  expect(await heading(page)).toBe('2-Step Verification is on');
  expect(await page.locator('ol.codes li').count()).toBe(10);
  await shot('recovery-codes');
  await go(page, 'text="Continue"');
  expect(await heading(page)).toBe('Hello, Alice Example');
  await logout(page);

  host.clock.offset += 30_000;
  const fresh = totp(key, { now: host.clock.now() });
  await login(page, host.base, 'alice');
  expect(await heading(page)).toBe('2-Step Verification');
  await shot('code');
  await page.fill('#code', fresh);
  await go(page, 'button:has-text("Verify")');
  expect(await heading(page)).toBe('Hello, Alice Example');
  await logout(page);

  await login(page, host.base, 'alice');
  await page.fill('#code', fresh);
  await go(page, 'button:has-text("Verify")');
  await expect.poll(() => page.locator('[role=alert]').innerText()).toContain('already used');
  await shot('code-reused');

  await go(page, 'text="Lost 2-Step Verification code?"');
  expect((await page.locator('fieldset label').allInnerTexts()).map((t) => t.trim())).toEqual(['Root Admin', 'Carol Admin']);
  await shot('lost');
  await go(page, 'button:has-text("Send to all")');
  expect(await heading(page)).toBe('Request sent');
  expect(await page.locator('main').innerText()).toContain('Root Admin and Carol Admin');
  await shot('lost-sent');

  const admin = await open();
  await login(admin.page, host.base, 'root');
  expect(await heading(admin.page)).toBe('Hello, Root Admin');
  await go(admin.page, 'text="Reset requests"');
  expect(await admin.page.locator('tbody tr').count()).toBe(1);
  if (shots !== undefined) await admin.page.screenshot({ path: join(SHOTS, 'web-inbox.png'), fullPage: true });
  await go(admin.page, 'tbody button:has-text("Reset")');
  expect(await heading(admin.page)).toContain('Reset the 2-Step Verification of alice');
  if (shots !== undefined) await admin.page.screenshot({ path: join(SHOTS, 'web-confirm.png'), fullPage: true });
  await go(admin.page, 'button:has-text("Yes, reset")');
  await expect.poll(() => admin.page.locator('[role=status]').innerText()).toContain('was reset');
  expect(admin.problems).toEqual([]);
  await admin.context.close();

  await login(page, host.base, 'alice');
  expect(await heading(page)).toBe('Set up 2-Step Verification');
  await go(page, 'text="Set up now"');
  await page.click('summary:has-text("Unable to scan?")');
  const second = (await page.locator('#manual-key').innerText()).replace(/\s+/g, '');
  expect(second).not.toBe(key);
  await page.fill('#code', totp(second, { now: host.clock.now() }));
  await go(page, 'button:has-text("Verify and Save")');
  expect(await heading(page)).toBe('2-Step Verification is on');
  await go(page, 'text="Continue"');
  await go(page, 'text="2-Step Verification settings"');
  expect(await page.locator('main').innerText()).toContain('2-Step Verification is on for your account.');
  await shot('settings');

  // A second authenticator: a current code and a name, then the new app's set-up.
  host.clock.offset += 30_000;
  await go(page, 'text="Add an authenticator"');
  await page.fill('#label', 'Spare phone');
  await page.fill('#add-code', totp(second, { now: host.clock.now() }));
  await go(page, 'form[action$="/add"] button');
  expect(await page.locator('.qr svg').count()).toBe(1);
  await shot('add-authenticator');
  await page.click('summary:has-text("Unable to scan?")');
  const spare = (await page.locator('#manual-key').innerText()).replace(/\s+/g, '');
  expect(spare).not.toBe(second);
  await page.fill('#code', totp(spare, { now: host.clock.now() }));
  await go(page, 'button:has-text("Verify and Save")');
  await expect.poll(() => page.locator('[role=status]').innerText()).toContain('Spare phone was added.');
  expect(await page.locator('li.authenticator h3').allInnerTexts()).toEqual(['Authenticator app', 'Spare phone']);

  expect(problems).toEqual([]);
  await context.close();
}

describe.skipIf(missing)(`otpgate/web examples in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  for (const name of Object.keys(HOSTS)) {
    it(
      `examples/${name}: postpone twice, set up with the manual key, fresh code, same code refused, lost, reset, set up again`,
      async () => {
        const host = await HOSTS[name]!();
        try {
          await walk(host, name === 'hono' ? name : undefined);
        } finally {
          await host.close();
        }
      },
      TIMEOUT,
    );
  }
});

interface AxeResult {
  violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }>;
}

/** axe-core's WCAG 2.0/2.1 A and AA rules on the current page: the violations, one line each. */
async function axe(page: Page, label: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run(options: unknown): Promise<unknown> } }).axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  )) as AxeResult;
  return result.violations.map((v) => `${label}: ${v.id} (${v.impact}) ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}

describe.skipIf(missing)(`otpgate/web accessibility in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('the axe harness finds violations where there are some', async () => {
    const { page, context } = await open();
    await page.setContent('<html><body><img src="data:,"><input type="text"><p style="color:#eee">faint</p></body></html>');
    const found = await axe(page, 'bad page');
    await context.close();
    expect(found.map((line) => line.split(' ')[2]).sort()).toEqual(expect.arrayContaining(['color-contrast', 'html-has-lang', 'image-alt', 'label']));
  });

  for (const language of ['en', 'de', 'fr', 'es']) {
    it(
      `every page in ${language} has no WCAG 2.1 A/AA violation (axe-core)`,
      async () => {
        const host = await HOSTS['hono']!();
        const { page, context } = await open(language);
        const violations: string[] = [];
        const check = async (label: string) => violations.push(...(await axe(page, `${language} ${label}`)));
        const lang = async () => expect(await page.locator('html').getAttribute('lang')).toBe(language);
        try {
          await login(page, host.base, 'alice');
          await lang();
          await check('choice');
          await go(page, '.actions a.button');
          await check('setup');
          await page.click('summary');
          await check('setup, key shown');
          await page.fill('#code', '000000');
          await go(page, 'form button[type=submit]');
          await check('setup, wrong code');
          const key = ((await page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, '');
          await page.fill('#code', totp(key, { now: host.clock.now() }));
          await go(page, 'form button[type=submit]');
          await check('recovery codes');
          await page.goto(`${host.base}/2fa/settings`);
          await check('settings');
          for (const summary of await page.locator('li.authenticator summary').all()) await summary.click();
          await check('settings, rename and remove open');
          await page.fill('#renew-code', totp(key, { now: host.clock.now() - 3_600_000 }));
          await go(page, 'form[action$="/recovery-codes"] button');
          await check('settings, wrong code');
          await page.goto(`${host.base}/2fa/settings/authenticators/add`);
          await check('add authenticator');
          host.clock.offset += 30_000;
          await page.fill('#label', 'Spare');
          await page.fill('#add-code', totp(key, { now: host.clock.now() }));
          await go(page, 'form[action$="/add"] button');
          await check('add authenticator, set-up');
          await page.click('summary');
          const spare = ((await page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, '');
          await page.fill('#code', totp(spare, { now: host.clock.now() }));
          await go(page, 'form[action$="/confirm"] button');
          expect(await page.locator('li.authenticator').count()).toBe(2);
          await check('settings, added');
          await page.goto(`${host.base}/2fa/nothing`);
          await check('not found');

          await login(page, host.base, 'alice');
          await lang();
          await check('code');
          await page.click('summary');
          await check('code, recovery open');
          for (let i = 0; i < 5; i++) {
            await page.fill('#code', totp(key, { now: host.clock.now() - 3_600_000 }));
            await go(page, 'main > form button[type=submit]');
            if (i === 0) await check('code, wrong');
          }
          await check('locked');
          await go(page, 'main > p a[href$="/lost"]');
          await check('lost');
          await go(page, 'button[name=all]');
          await check('lost, sent');

          const admin = await open(language);
          await login(admin.page, host.base, 'root');
          await admin.page.goto(`${host.base}/2fa/inbox`);
          violations.push(...(await axe(admin.page, `${language} inbox`)));
          await go(admin.page, 'tbody form:first-of-type button');
          violations.push(...(await axe(admin.page, `${language} confirm`)));
          await go(admin.page, '.actions form button');
          violations.push(...(await axe(admin.page, `${language} inbox, done`)));
          // root's company leaves it optional: off, then on with "Turn off" and its code field.
          await admin.page.goto(`${host.base}/2fa/settings`);
          violations.push(...(await axe(admin.page, `${language} settings, off`)));
          await go(admin.page, 'form[action$="/enable"] button');
          await admin.page.click('summary');
          const rootKey = ((await admin.page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, '');
          await admin.page.fill('#code', totp(rootKey, { now: host.clock.now() }));
          await go(admin.page, 'form button[type=submit]');
          await admin.page.goto(`${host.base}/2fa/settings`);
          await admin.page.fill('#disable-code', totp(rootKey, { now: host.clock.now() - 3_600_000 }));
          await go(admin.page, 'form[action$="/disable"] button');
          expect(await admin.page.locator('[role=alert]').count()).toBe(1);
          violations.push(...(await axe(admin.page, `${language} settings, on, optional, wrong code`)));
          await admin.context.close();

          expect(violations).toEqual([]);
        } finally {
          await context.close();
          await host.close();
        }
      },
      TIMEOUT,
    );
  }

  it(
    'the flow can be walked with the keyboard alone',
    async () => {
      const host = await HOSTS['hono']!();
      const { page, context } = await open();
      /** Presses Tab until the focused element's text or label is `name`, then returns; fails after 40 presses. */
      const tabTo = async (name: string) => {
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press('Tab');
          const focused = await page.evaluate(() => {
            const el = document.activeElement as HTMLElement | null;
            if (el === null) return '';
            const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
            return (label ?? el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
          });
          if (focused === name) return;
        }
        throw new Error(`"${name}" cannot be reached with Tab`);
      };
      const press = async (key: string) => Promise.all([page.waitForNavigation(), page.keyboard.press(key)]);
      try {
        await login(page, host.base, 'alice');
        await tabTo('Postpone setup');
        await press('Enter');
        expect(await heading(page)).toBe('Hello, Alice Example');
        await tabTo('Log out');
        await press('Enter');

        await login(page, host.base, 'alice');
        await tabTo('Set up now');
        await press('Enter');
        expect(await heading(page)).toBe('Set up 2-Step Verification');
        await tabTo('Unable to scan?');
        await page.keyboard.press('Enter');
        const key = ((await page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, '');
        await tabTo('Type the 6-digit code the app shows');
        await page.keyboard.type(totp(key, { now: host.clock.now() }));
        await press('Enter');
        expect(await heading(page)).toBe('2-Step Verification is on');
        await tabTo('Continue');
        await press('Enter');
        await tabTo('Log out');
        await press('Enter');

        host.clock.offset += 30_000;
        await login(page, host.base, 'alice');
        // The code field has the focus when the page opens.
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('code');
        await page.keyboard.type(totp(key, { now: host.clock.now() }));
        await press('Enter');
        expect(await heading(page)).toBe('Hello, Alice Example');
        await tabTo('2-Step Verification settings');
        await press('Enter');
        expect(await page.locator('main').innerText()).toContain('2-Step Verification is on for your account.');

        // Settings: rename, then add an authenticator, with the keyboard alone.
        await tabTo('Rename Authenticator app');
        await page.keyboard.press('Enter');
        await tabTo('New name for Authenticator app');
        await page.keyboard.press('ControlOrMeta+A');
        await page.keyboard.type('Work phone');
        await press('Enter');
        await expect.poll(() => page.locator('[role=status]').innerText()).toContain('Work phone');
        await tabTo('Add an authenticator');
        await press('Enter');
        await tabTo('Name of the new authenticator, for example Work phone');
        await page.keyboard.type('Spare');
        await tabTo('Current code from any of your authenticator apps, or a recovery code');
        host.clock.offset += 30_000;
        await page.keyboard.type(totp(key, { now: host.clock.now() }));
        await press('Enter');
        await tabTo('Unable to scan?');
        await page.keyboard.press('Enter');
        const spare = ((await page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, '');
        await tabTo('Type the 6-digit code the new app shows');
        await page.keyboard.type(totp(spare, { now: host.clock.now() }));
        await press('Enter');
        await expect.poll(() => page.locator('[role=status]').innerText()).toContain('Spare was added.');
      } finally {
        await context.close();
        await host.close();
      }
    },
    TIMEOUT,
  );
});

// Passkeys end to end in headless Chromium (issue 15), with a virtual
// authenticator from the DevTools protocol's WebAuthn domain: register a passkey
// on the set-up page, log in with it, the same assertion sent again is refused,
// a cloned authenticator (its counter set back) is refused, and an
// administrator's reset clears it. Then the settings: add a passkey, confirm a
// removal with it; the pages without JavaScript; and axe-core on every passkey
// page in every language.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/index.js';
import { addAuthenticator, CHROMIUM, go, heading, launch, login, logout, open, startHost } from './passkey-host.js';

const TIMEOUT = 180_000;
const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser: Browser;

beforeAll(async () => {
  if (!missing) browser = await launch();
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
});

/** The `passkey` field of the next form POST to `path`, as the page's script filled it in. */
function capture(page: Page, path: string): () => string {
  let sent = '';
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === path) {
      sent = new URLSearchParams(request.postData() ?? '').get('passkey') ?? sent;
    }
  });
  return () => sent;
}

/** Submits the page's passkey form with `passkey` as the browser's answer: what a replaying attacker would send. */
async function submitPasskey(page: Page, action: string, passkey: string): Promise<void> {
  await Promise.all([
    page.waitForNavigation(),
    page.evaluate(
      ({ action, passkey }) => {
        const form = document.querySelector<HTMLFormElement>(`form[action$="${action}"]`)!;
        (form.elements.namedItem('passkey') as HTMLInputElement).value = passkey;
        form.submit();
      },
      { action, passkey },
    ),
  ]);
}

describe.skipIf(missing)(`passkeys in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it(
    'set up with a passkey, log in with it, a replayed assertion and a cloned authenticator refused, a reset clears it',
    async () => {
      const host = await startHost();
      const tab = await open(browser);
      const { page, cdp } = tab;
      try {
        const authenticator = await addAuthenticator(cdp);

        // Set-up: "Use a passkey instead", then the recovery codes and the host's page.
        await login(page, host.base, 'alice');
        await go(page, 'text="Set up now"');
        expect(await heading(page)).toBe('Set up 2-Step Verification');
        const instead = page.locator('button:has-text("Use a passkey instead")');
        expect(await instead.isVisible()).toBe(true);
        await Promise.all([page.waitForURL((url) => url.pathname === '/2fa/passkey/register'), instead.click()]);
        expect(await heading(page)).toBe('2-Step Verification is on');
        const recoveryCodes = await page.locator('ol.codes li').allInnerTexts();
        expect(recoveryCodes).toHaveLength(10);
        await go(page, 'text="Continue"');
        expect(await heading(page)).toBe('Hello, Alice Example');
        const listed = await host.gate.authenticators('alice');
        expect(listed.map((a) => a.type)).toEqual(['passkey']);
        const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator });
        expect(credentials.map((c) => c.rpId)).toEqual(['localhost']);
        expect(credentials[0]!.signCount).toBeGreaterThan(0);
        await logout(page);

        // Log in with it: no code typed.
        await login(page, host.base, 'alice');
        expect(await heading(page)).toBe('2-Step Verification');
        const sent = capture(page, '/2fa/passkey/login');
        await go(page, 'button:has-text("Use your passkey")');
        expect(await heading(page)).toBe('Hello, Alice Example');
        const assertion = sent();
        // DevTools names the credential in base64, WebAuthn's JSON in base64url.
        expect(JSON.parse(assertion)).toMatchObject({ type: 'public-key', id: Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url') });
        await logout(page);

        // The same assertion again, in a new login: refused, nobody logged in.
        await login(page, host.base, 'alice');
        await submitPasskey(page, '/passkey/login', assertion);
        expect(await heading(page)).toBe('2-Step Verification');
        expect(await page.locator('[role=alert]').first().innerText()).toContain('The passkey was not accepted.');
        expect(await page.context().cookies()).not.toContainEqual(expect.objectContaining({ name: 'sid' }));

        // A clone: the same key on another authenticator whose counter starts again from 0.
        const [stolen] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator })).credentials;
        await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator });
        const clone = await addAuthenticator(cdp);
        await cdp.send('WebAuthn.addCredential', { authenticatorId: clone, credential: { ...stolen!, signCount: 0 } });
        await go(page, 'button:has-text("Use your passkey")');
        expect(await heading(page)).toBe('2-Step Verification');
        expect(await page.locator('[role=alert]').first().innerText()).toContain('The passkey was not accepted.');
        expect(host.events.filter((e) => e.type === 'passkey-cloned').map((e) => e.userId)).toEqual(['alice']);
        expect(await page.context().cookies()).not.toContainEqual(expect.objectContaining({ name: 'sid' }));

        // Lost: an administrator resets, and the passkey is gone with the rest.
        await go(page, 'text="Lost 2-Step Verification code?"');
        await go(page, 'button:has-text("Send to all")');
        const admin = await open(browser);
        await login(admin.page, host.base, 'root');
        await admin.page.goto(`${host.base}/2fa/inbox`);
        await go(admin.page, 'tbody button:has-text("Reset")');
        await go(admin.page, 'button:has-text("Yes, reset")');
        expect(admin.problems).toEqual([]);
        await admin.context.close();
        expect(await host.gate.authenticators('alice')).toEqual([]);
        await login(page, host.base, 'alice');
        expect(await heading(page)).toBe('Set up 2-Step Verification');
        expect(await host.gate.nextStep('alice')).toMatchObject({ step: 'setup', required: true });

        expect(tab.problems).toEqual([]);
        // The page script logs no recovery code, whatever the browser printed.
        for (const code of recoveryCodes) expect(tab.logged.join('\n')).not.toContain(code.trim());
      } finally {
        await tab.context.close();
        await host.close();
      }
    },
    TIMEOUT,
  );

  it(
    'the settings: "Add a passkey" after a current code, then it confirms removing the app instead of a code',
    async () => {
      const host = await startHost();
      const tab = await open(browser);
      const { page, cdp } = tab;
      try {
        await addAuthenticator(cdp);
        await login(page, host.base, 'alice');
        await go(page, 'text="Set up now"');
        await page.click('summary:has-text("Unable to scan?")');
        const key = ((await page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, '');
        const typed = [totp(key, { now: host.clock.now() })];
        await page.fill('#code', typed[0]!);
        await go(page, 'button:has-text("Verify and Save")');
        await go(page, 'text="Continue"');
        await page.goto(`${host.base}/2fa/settings`);
        // No passkey yet: the section offers one.
        expect(await page.locator('h2:has-text("Passkeys")').isVisible()).toBe(true);
        expect(await page.locator('button:has-text("Use your passkey")').count()).toBe(0);
        await go(page, 'text="Add a passkey"');
        expect(await heading(page)).toBe('Add a passkey');
        host.clock.offset += 30_000;
        await page.fill('#label', 'Work laptop');
        typed.push(totp(key, { now: host.clock.now() }));
        await page.fill('#add-code', typed[1]!);
        await go(page, 'button:has-text("Add a passkey")');
        await expect.poll(() => page.locator('[role=status]').innerText()).toContain('Work laptop was added.');
        expect((await host.gate.authenticators('alice')).map((a) => [a.type, a.label])).toEqual([
          ['totp', 'Authenticator app'],
          ['passkey', 'Work laptop'],
        ]);

        // Remove the app, confirmed with the passkey instead of a code.
        const app = page.locator('li.authenticator').filter({ has: page.locator('h3', { hasText: /^Authenticator app$/ }) });
        await app.locator('summary:has-text("Remove")').click();
        await Promise.all([page.waitForNavigation(), app.locator('button:has-text("Use your passkey")').click()]);
        await expect.poll(() => page.locator('[role=status]').innerText()).toContain('Authenticator app was removed.');
        expect((await host.gate.authenticators('alice')).map((a) => a.type)).toEqual(['passkey']);
        expect(tab.problems).toEqual([]);
        // The page script, which posts the code for the passkey's options, logs neither it nor the key.
        for (const secret of [key, ...typed]) expect(tab.logged.join('\n')).not.toContain(secret);
      } finally {
        await tab.context.close();
        await host.close();
      }
    },
    TIMEOUT,
  );

  it(
    'without JavaScript no passkey button shows, and the code path works',
    async () => {
      const host = await startHost();
      const tab = await open(browser, { javaScript: false });
      const { page } = tab;
      try {
        await login(page, host.base, 'alice');
        await go(page, 'text="Set up now"');
        expect(await page.locator('button:has-text("Use a passkey instead")').count()).toBe(1);
        expect(await page.locator('button:has-text("Use a passkey instead")').isVisible()).toBe(false);
        await page.click('summary:has-text("Unable to scan?")');
        const key = ((await page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, '');
        await page.fill('#code', totp(key, { now: host.clock.now() }));
        await go(page, 'button:has-text("Verify and Save")');
        expect(await heading(page)).toBe('2-Step Verification is on');
        await go(page, 'text="Continue"');
        await page.goto(`${host.base}/2fa/settings`);
        expect(await page.locator('text="Add a passkey"').isVisible()).toBe(false);
        expect(tab.problems).toEqual([]);
      } finally {
        await tab.context.close();
        await host.close();
      }
    },
    TIMEOUT,
  );
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

describe.skipIf(missing)(`passkey pages' accessibility in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  for (const language of ['en', 'de', 'fr', 'es']) {
    it(
      `every passkey page in ${language} has no WCAG 2.1 A/AA violation (axe-core)`,
      async () => {
        const host = await startHost();
        const tab = await open(browser, { language });
        const { page, cdp } = tab;
        const violations: string[] = [];
        const check = async (label: string) => violations.push(...(await axe(page, `${language} ${label}`)));
        try {
          await addAuthenticator(cdp);
          await login(page, host.base, 'alice');
          await go(page, '.actions a.button');
          await check('setup with a passkey offered');
          await go(page, 'button[data-passkey=register]');
          await go(page, '.actions a.button:not(.secondary)');
          await page.goto(`${host.base}/2fa/settings`);
          await check('settings with a passkey');
          for (const summary of await page.locator('li.authenticator summary').all()) await summary.click();
          await check('settings, rename and remove open');
          await page.goto(`${host.base}/2fa/settings/passkeys/add`);
          await check('add a passkey');
          // A wrong code is the flow's refusal, shown in the form's alert by the script.
          await page.fill('#label', 'Spare');
          await page.fill('#add-code', '000000');
          await page.click('button[data-passkey=register]');
          await expect.poll(() => page.locator('[data-passkey-error]').innerText()).not.toBe('');
          await check('add a passkey, wrong code');

          await page.goto(`${host.base}/`);
          await logout(page);
          await login(page, host.base, 'alice');
          await check('code with a passkey offered');
          await page.evaluate(() => {
            const form = document.querySelector<HTMLFormElement>('form[action$="/passkey/login"]')!;
            (form.elements.namedItem('passkey') as HTMLInputElement).value = '{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{}}';
            form.submit();
          });
          await page.waitForLoadState();
          expect(await page.locator('[role=alert]').first().innerText()).not.toBe('');
          await check('code, passkey refused');
          expect(violations).toEqual([]);
          expect(tab.problems).toEqual([]);
        } finally {
          await tab.context.close();
          await host.close();
        }
      },
      TIMEOUT,
    );
  }
});

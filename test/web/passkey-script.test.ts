// The served passkey script: the committed src/web/passkey-script.ts is what
// scripts/passkey-script.mjs builds from client/passkey.ts today (so a change to
// either, or an update of @simplewebauthn/browser, cannot ship a stale script),
// and the flow serves it only where passkeys are on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without declarations
import { buildPasskeyScript, GENERATED, passkeyModule } from '../../scripts/passkey-script.mjs';
import { PASSKEY_SCRIPT } from '../../src/web/index.js';
import { Client, ORIGIN, setup } from './helpers.js';

const root = join(import.meta.dirname, '../..');
const passkeys = { rpId: 'localhost', origin: ORIGIN };

describe('the passkey script', () => {
  it('is the fresh build of client/passkey.ts with @simplewebauthn/browser', async () => {
    const fresh = passkeyModule(await buildPasskeyScript()) as string;
    expect(readFileSync(GENERATED as string, 'utf8')).toBe(fresh);
    expect(fresh).toContain(JSON.stringify(PASSKEY_SCRIPT));
    const { version } = JSON.parse(readFileSync(join(root, 'node_modules/@simplewebauthn/browser/package.json'), 'utf8')) as { version: string };
    expect(fresh).toContain(`@simplewebauthn/browser ${version}`);
  });

  it('is one self-contained classic script: no import, no eval, no inline handler to allow', () => {
    expect(PASSKEY_SCRIPT).not.toMatch(/^\s*import\b|\bimport\(|\beval\(|new Function\(/m);
    // The WebAuthn calls of @simplewebauthn/browser, and the page glue's markers.
    expect(PASSKEY_SCRIPT).toContain('navigator.credentials.create');
    expect(PASSKEY_SCRIPT).toContain('navigator.credentials.get');
    for (const marker of ['data-passkey-offer', 'button[data-passkey]', '[data-passkey-error]']) expect(PASSKEY_SCRIPT).toContain(marker);
  });
});

describe('serving it', () => {
  it('is served as /passkey.js (cached, nosniff, JavaScript) with passkeys on, and the pages load it', async () => {
    const s = setup({ passkeys });
    const browser = new Client(s.flow);
    const script = await browser.get('/2fa/passkey.js');
    expect(script.response.status).toBe(200);
    expect(script.response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(script.body).toBe(PASSKEY_SCRIPT);
    await browser.start('alice');
    const choice = await browser.get('/2fa');
    expect(choice.body).toContain('<script src="/2fa/passkey.js" defer></script>');
    // The CSP allows same-origin scripts only: the file, never inline code.
    expect(choice.response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(choice.body).not.toMatch(/<script>|<script [^>]*>[^<]/);
  });

  it('without passkeys: no /passkey.js, no passkey routes, no script tag', async () => {
    const s = setup();
    const browser = new Client(s.flow);
    expect((await browser.get('/2fa/passkey.js')).response.status).toBe(404);
    await browser.start('alice');
    const choice = await browser.get('/2fa');
    expect(choice.body).not.toContain('passkey');
    for (const path of ['/2fa/passkey/register/options', '/2fa/passkey/register', '/2fa/passkey/login/options', '/2fa/passkey/login']) {
      expect((await browser.post(path)).response.status, path).toBe(404);
    }
  });
});

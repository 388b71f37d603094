// The enrollment functions in a real browser: bundled by esbuild for the browser from the
// package entry (qrcode-svg's lazy require('fs') must not break the build), then run in
// headless Chromium on a page with no network, and the QR code it draws read back by zbarimg.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/index.js';
import { decodeImages, hasTool, withTempDir } from './tools.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM) ? `${CHROMIUM} is not installed` : false;
const root = join(import.meta.dirname, '../..');

async function bundle(): Promise<{ code: string; warnings: string[] }> {
  const result = await esbuild.build({
    stdin: {
      contents: `export { buildUri, parseUri, qrSvg, qrDataUrl, qrTerminal, formatManualKey, parseManualKey,
        parseMigrationUri, buildMigrationUri, checkCompatibility, totp, isOtpError } from './src/index.ts';`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]!.text, warnings: result.warnings.map((w) => w.text) };
}

describe('browser bundle', () => {
  it('builds for platform browser from src/index.ts without errors, node: imports or Buffer', async () => {
    const { code, warnings } = await bundle();
    expect(warnings).toEqual([]);
    expect(code).not.toMatch(/from ["']node:|require\(["']node:/);
    expect(code).not.toMatch(/\bBuffer\.(from|alloc)/);
  });
});

describe.skipIf(missing)(`in headless Chromium ${missing ? `(skipped: ${missing})` : ''}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('buildUri, parseUri, qrSvg, qrDataUrl, migration and totp work there, and the drawn code scans', async () => {
    const { code } = await bundle();
    const page = await browser.newPage();
    // No network: every request the page would make fails the test.
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.abort();
    });
    await page.setContent('<!doctype html><html><body style="margin:0;background:#fff"><div id="qr"></div><img id="img"></body></html>');
    // Load the ESM bundle as a module script (no dynamic import(): vitest would rewrite it
    // inside the evaluated function) and hand its exports to the page.
    const dataUrl = `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`;
    await page.addScriptTag({ type: 'module', content: `import * as m from '${dataUrl}'; window.otpgate = m;` });
    await page.waitForFunction(() => 'otpgate' in window);
    const result = await page.evaluate(async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const m = (window as any).otpgate;
      const uri = m.buildUri({ type: 'totp', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', issuer: 'ACME Co', account: 'alice@example.com' });
      const svg = m.qrSvg(uri, { size: 392 });
      document.getElementById('qr')!.innerHTML = svg;
      const img = document.getElementById('img') as HTMLImageElement;
      img.src = m.qrDataUrl(uri, { size: 100 });
      await img.decode();
      let error = '';
      try {
        m.parseUri('otpauth://totp/x?secret=');
      } catch (e) {
        error = m.isOtpError(e) ? (e as { code: string }).code : 'not an OtpError';
      }
      const migration = m.parseMigrationUri(m.buildMigrationUri([{ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', account: 'bob' }], { batchId: 7 }));
      const title = document.querySelector('#qr svg title')?.textContent;
      return {
        uri,
        parsed: m.parseUri(uri),
        svgBytes: svg.length,
        title,
        role: document.querySelector('#qr svg')?.getAttribute('role'),
        imgWidth: img.naturalWidth,
        error,
        manualKey: m.formatManualKey('jbswy3dpehpk3pxp'),
        migrationSecret: migration.accounts[0].secret,
        code: m.totp('JBSWY3DPEHPK3PXP', { now: 1_700_000_000_000 }),
        terminalLines: m.qrTerminal('x').split('\n').length,
      };
    });
    expect(result.uri).toBe('otpauth://totp/ACME%20Co:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=ACME%20Co');
    expect(result.parsed).toMatchObject({ issuer: 'ACME Co', account: 'alice@example.com', warnings: [] });
    expect(result.svgBytes).toBeLessThanOrEqual(3500);
    expect(result.title).toBe('QR code');
    expect(result.role).toBe('img');
    expect(result.imgWidth).toBe(100);
    expect(result.error).toBe('ERR_URI');
    expect(result.manualKey).toBe('JBSW Y3DP EHPK 3PXP');
    expect(result.migrationSecret).toBe('JBSWY3DPEHPK3PXP');
    expect(result.code).toBe(totp('JBSWY3DPEHPK3PXP', { now: 1_700_000_000_000 }));
    expect(result.terminalLines).toBeGreaterThan(10);
    expect(requests).toEqual([]);

    if (hasTool('zbarimg')) {
      // What Chromium painted, read by an outside QR reader.
      const png = await page.locator('#qr svg').screenshot();
      const decoded = withTempDir((dir) => {
        const path = join(dir, 'chromium.png');
        writeFileSync(path, png);
        return decodeImages([path]);
      });
      expect(decoded).toEqual([[result.uri]]);
    }
    await page.close();
  });

  // Issue 16 item 3: without width and height an inline SVG took the whole width of the page
  // (1,280 px in a 1,280 px viewport).
  it('lays out qrSvg at 256 by 256 CSS pixels by default in a wide page, and at size where given', async () => {
    const { code } = await bundle();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.route('**/*', (route) => route.abort());
    await page.setContent('<!doctype html><html><body><div id="default"></div><div id="sized"></div></body></html>');
    const dataUrl = `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`;
    await page.addScriptTag({ type: 'module', content: `import * as m from '${dataUrl}'; window.otpgate = m;` });
    await page.waitForFunction(() => 'otpgate' in window);
    await page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const m = (window as any).otpgate;
      const uri = m.buildUri({ type: 'totp', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', issuer: 'ACME Co', account: 'alice@example.com' });
      document.getElementById('default')!.innerHTML = m.qrSvg(uri);
      document.getElementById('sized')!.innerHTML = m.qrSvg(uri, { size: '10rem' });
    });
    const box = async (id: string) => {
      const b = await page.locator(`#${id} svg`).boundingBox();
      return [Math.round(b!.width), Math.round(b!.height)];
    };
    expect(await box('default')).toEqual([256, 256]);
    expect(await box('sized')).toEqual([160, 160]);
    if (hasTool('zbarimg')) {
      const png = await page.locator('#default svg').screenshot();
      const decoded = withTempDir((dir) => {
        const path = join(dir, 'default.png');
        writeFileSync(path, png);
        return decodeImages([path]);
      });
      expect(decoded[0]).toHaveLength(1);
    }
    await page.close();
  });
});

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildUri, generateSecret, isOtpError, qrDataUrl, qrModules, qrSvg, type QrLevel } from '../../src/index.js';
import { decodeImages, missingQrTools, renderSvgs, withTempDir } from './tools.js';

const TYPICAL = buildUri({ type: 'totp', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', issuer: 'ACME Co', account: 'alice@example.com' });

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isOtpError(error) ? error.code : `not an OtpError: ${String(error)}`;
  }
  return undefined;
};

describe('qrSvg', () => {
  it('draws the typical URI in at most 3.5 KB: one path, a module viewBox, quiet zone 4', () => {
    const svg = qrSvg(TYPICAL);
    expect(new TextEncoder().encode(svg).length).toBeLessThanOrEqual(3500);
    expect(svg.match(/<path/g)).toHaveLength(1);
    expect(svg).not.toContain('<rect width="1"');
    const side = qrModules(TYPICAL).length;
    expect(svg).toContain(`viewBox="-4 -4 ${side + 8} ${side + 8}"`);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  });

  it('has a rendered size of 256 pixels by default, so a page does not stretch it to the viewport (issue 16)', () => {
    expect(qrSvg(TYPICAL)).toMatch(/^<svg [^>]*viewBox="[^"]+" width="256" height="256" /);
    expect(qrSvg(TYPICAL, { size: '100%' })).toContain(' width="100%" height="100%" ');
    expect(decodeURIComponent(qrDataUrl(TYPICAL))).toContain(' width="256" height="256" ');
    expect(code(() => qrSvg(TYPICAL, { size: 0 }))).toBe('ERR_OPTIONS');
  });

  it('is accessible: role, aria-label and title, escaped', () => {
    const svg = qrSvg(TYPICAL, { title: 'Scan <this> & "that"' });
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-label="Scan &#60;this&#62; &#38; &#34;that&#34;"');
    expect(svg).toContain('<title>Scan &#60;this&#62; &#38; &#34;that&#34;</title>');
    expect(qrSvg('x')).toContain('<title>QR code</title>');
  });

  it('takes colours, size, quiet zone and level', () => {
    const svg = qrSvg(TYPICAL, { dark: '#123456', light: 'transparent', size: 240, quietZone: 2, level: 'H' });
    expect(svg).toContain('stroke="#123456"');
    expect(svg).not.toContain('<rect');
    expect(svg).toContain('width="240" height="240"');
    const side = qrModules(TYPICAL, { level: 'H' }).length;
    expect(side).toBeGreaterThan(qrModules(TYPICAL).length);
    expect(svg).toContain(`viewBox="-2 -2 ${side + 4} ${side + 4}"`);
    expect(qrSvg('x', { light: '#eee', size: '12rem' })).toMatch(/width="12rem".*fill="#eee"/);
  });

  it('refuses bad options and text with OtpError', () => {
    expect(code(() => qrSvg(''))).toBe('ERR_QR');
    expect(code(() => qrSvg('x'.repeat(3000)))).toBe('ERR_QR');
    expect(code(() => qrSvg('x'.repeat(2400), { level: 'H' }))).toBe('ERR_QR');
    expect(code(() => qrSvg('x', { level: 'X' as QrLevel }))).toBe('ERR_OPTIONS');
    expect(code(() => qrSvg('x', { quietZone: -1 }))).toBe('ERR_OPTIONS');
    expect(code(() => qrSvg('x', { size: '10px;onload=alert(1)' }))).toBe('ERR_OPTIONS');
    expect(qrSvg('x', { dark: '"/><script>' })).not.toContain('<script>');
  });

  it('qrDataUrl makes percent- and base64-encoded data URLs of the same SVG', () => {
    const svg = qrSvg(TYPICAL);
    const percent = qrDataUrl(TYPICAL);
    expect(percent.startsWith('data:image/svg+xml,')).toBe(true);
    expect(percent).not.toMatch(/[<>"'#\s()]/);
    const titled = qrDataUrl('x', { title: "Scan (it's yours)", dark: 'rgb(0, 0, 0)' });
    expect(titled).not.toMatch(/[<>"'#\s()]/);
    expect(decodeURIComponent(titled.slice(19))).toBe(qrSvg('x', { title: "Scan (it's yours)", dark: 'rgb(0, 0, 0)' }));
    expect(decodeURIComponent(percent.slice('data:image/svg+xml,'.length))).toBe(svg);
    const b64 = qrDataUrl(TYPICAL, { encoding: 'base64', title: 'Código QR' });
    expect(b64.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(Buffer.from(b64.slice(26), 'base64').toString('utf8')).toBe(qrSvg(TYPICAL, { title: 'Código QR' }));
    expect(decodeURIComponent(qrDataUrl('x', { title: 'Código QR 😀' }).slice(19))).toBe(qrSvg('x', { title: 'Código QR 😀' }));
  });
});

describe.skipIf(missingQrTools)(`qrSvg read back by zbarimg ${missingQrTools ? `(skipped: ${missingQrTools})` : ''}`, () => {
  it('decodes URIs of many lengths at every level, and non-ASCII text', () => {
    const texts: string[] = [TYPICAL];
    const levels: QrLevel[] = ['M'];
    const all: QrLevel[] = ['L', 'M', 'Q', 'H'];
    for (let i = 0; i < 24; i++) {
      const issuer = `Issuer ${'x'.repeat(i * 7)}`;
      const uri = buildUri({
        type: i % 3 === 0 ? 'hotp' : 'totp',
        secret: generateSecret({ bytes: 16 + i * 4 }),
        issuer,
        account: `user${i}@example.com`,
        ...(i % 3 === 0 ? { counter: i * 1000 } : { digits: 6 + (i % 5), algorithm: i % 2 ? 'SHA256' : 'SHA1' }),
      });
      texts.push(uri);
      levels.push(all[i % 4]!);
    }
    texts.push('héllo wörld 😀 日本 ünïcödé', 'x', '\u0080\u0800\uffff');
    levels.push('M', 'L', 'Q');
    const svgs = texts.map((t, i) => qrSvg(t, { level: levels[i]! }));
    const decoded = withTempDir((dir) => decodeImages(renderSvgs(dir, svgs)));
    expect(decoded).toEqual(texts.map((t) => [t]));
  });

  it('decodes the longest text of every QR version (1 to 40) at level M, where capacity tables go wrong', () => {
    // ISO/IEC 18004 Table 7: byte-mode capacity at level M, versions 1 to 40.
    const capacity = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
      711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331];
    const textOf = (n: number): string => Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join('');
    // qrcode-svg always reserves 3 bytes (for a byte-order mark it adds to non-ASCII text only),
    // so the longest text it puts in version v is 3 bytes short of the standard's capacity.
    const longest = capacity.map((bytes) => textOf(bytes - 3));
    longest.forEach((text, i) => expect([i + 1, qrModules(text).length]).toEqual([i + 1, 21 + 4 * i]));
    expect(() => qrModules(textOf(2331 - 2))).toThrow(/too long/);
    const decoded = withTempDir((dir) => decodeImages(renderSvgs(dir, longest.map((t) => qrSvg(t)), 3)));
    expect(decoded).toEqual(longest.map((t) => [t]));
  });

  it('decodes at its default size: rendered by its own width and height, 256 pixels on a side', () => {
    const png = withTempDir((dir) => {
      const svgPath = join(dir, 'default.svg');
      const pngPath = join(dir, 'default.png');
      writeFileSync(svgPath, qrSvg(TYPICAL));
      // No -w: rsvg-convert takes the size from the SVG's width and height attributes.
      execFileSync('rsvg-convert', ['-b', 'white', '-o', pngPath, svgPath]);
      const bytes = readFileSync(pngPath);
      return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), decoded: decodeImages([pngPath]) };
    });
    expect([png.width, png.height]).toEqual([256, 256]);
    expect(png.decoded).toEqual([[TYPICAL]]);
  });

  it('decodes with custom colours, a transparent background and a quiet zone of 2', () => {
    const svgs = [qrSvg(TYPICAL, { dark: '#1a237e', light: '#fffde7' }), qrSvg(TYPICAL, { light: 'transparent', quietZone: 2 })];
    const decoded = withTempDir((dir) => decodeImages(renderSvgs(dir, svgs)));
    expect(decoded).toEqual([[TYPICAL], [TYPICAL]]);
  });
});

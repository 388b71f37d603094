import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildUri, generateSecret, isOtpError, qrModules, qrTerminal } from '../../src/index.js';
import { decodeImages, hasTool, withTempDir } from './tools.js';

const TYPICAL = buildUri({ type: 'totp', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', issuer: 'ACME Co', account: 'alice@example.com' });

/**
 * What a phone camera sees of the text on a terminal: each character cell is
 * one pixel wide and two tall (upper and lower half), drawn in the text colour
 * where the half has ink, in the background colour elsewhere. Written as a
 * plain PBM (P1, 1 = black), scaled up so the reader has pixels to work with.
 */
function terminalToPbm(text: string, terminal: 'dark' | 'light', scale = 6): string {
  const upper: Record<string, boolean> = { '█': true, '▀': true, '▄': false, ' ': false };
  const lower: Record<string, boolean> = { '█': true, '▀': false, '▄': true, ' ': false };
  const rows: boolean[][] = [];
  for (const line of text.split('\n').filter((l) => l.length > 0)) {
    const chars = [...line];
    rows.push(chars.map((c) => upper[c]!), chars.map((c) => lower[c]!));
  }
  // Ink is the text colour: light on a dark terminal, dark on a light one.
  const black = (ink: boolean): boolean => (terminal === 'dark' ? !ink : ink);
  const width = rows[0]!.length * scale;
  const lines: string[] = [];
  for (const row of rows) {
    const line = row.flatMap((ink) => Array<string>(scale).fill(black(ink) ? '1' : '0')).join(' ');
    for (let i = 0; i < scale; i++) lines.push(line);
  }
  return `P1\n${width} ${lines.length}\n${lines.join('\n')}\n`;
}

describe('qrTerminal', () => {
  it('draws two modules per cell with half blocks, quiet zone included', () => {
    const text = qrTerminal(TYPICAL);
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    const side = qrModules(TYPICAL).length + 8;
    expect(lines).toHaveLength(Math.ceil(side / 2));
    for (const line of lines) {
      expect([...line]).toHaveLength(side);
      expect(line).toMatch(/^[ ▀▄█]+$/);
    }
    // Dark terminal: the quiet zone (4 modules = 2 full lines on top) is solid light ink.
    expect(lines[0]).toBe('█'.repeat(side));
    expect(lines[1]).toBe('█'.repeat(side));
    // The top-left finder's dark border row starts right after 4 blocks of quiet zone.
    expect(lines[2]!.slice(0, 5)).toBe('████ ');
  });

  it('light terminals get the inverse drawing', () => {
    const dark = qrTerminal(TYPICAL);
    const light = qrTerminal(TYPICAL, { background: 'light' });
    const swap: Record<string, string> = { '█': ' ', ' ': '█', '▀': '▄', '▄': '▀' };
    const lastLine = (t: string): string => t.split('\n').at(-2)!;
    // Every cell but those of the odd last line (its lower half lies outside the code) is inverted.
    expect(light.split('\n').slice(0, -2).join('\n')).toBe([...dark.split('\n').slice(0, -2).join('\n')].map((c) => swap[c] ?? c).join(''));
    expect(lastLine(light)).toBe(' '.repeat(lastLine(light).length));
    expect(lastLine(dark)).toBe('▀'.repeat(lastLine(dark).length));
  });

  it('refuses bad options', () => {
    for (const options of [{ background: 'blue' as 'dark' }, { quietZone: 1.5 }, { level: 'Z' as 'L' }]) {
      try {
        qrTerminal('x', options);
        expect.unreachable();
      } catch (error) {
        expect(isOtpError(error) && error.code).toBe('ERR_OPTIONS');
      }
    }
  });

  const missing = !hasTool('zbarimg') ? 'zbarimg (zbar-tools) is not installed' : false;
  it.skipIf(missing)(`a QR reader decodes the terminal drawing, on dark and light terminals ${missing ? `(skipped: ${missing})` : ''}`, () => {
    const texts = [TYPICAL, buildUri({ type: 'hotp', secret: generateSecret({ bytes: 64 }), issuer: 'Long Issuer Name GmbH', account: 'someone.with.a.long.name@example.org', counter: 12345 }), 'short', 'héllo 😀'];
    const cases = texts.flatMap((t) => [
      { text: t, terminal: 'dark' as const, drawing: qrTerminal(t) },
      { text: t, terminal: 'light' as const, drawing: qrTerminal(t, { background: 'light' }) },
    ]);
    cases.push({ text: TYPICAL, terminal: 'dark', drawing: qrTerminal(TYPICAL, { quietZone: 2, level: 'L' }) });
    const decoded = withTempDir((dir) =>
      decodeImages(cases.map((c, i) => {
        const path = join(dir, `${i}.pbm`);
        writeFileSync(path, terminalToPbm(c.drawing, c.terminal));
        return path;
      })),
    );
    expect(decoded).toEqual(cases.map((c) => [c.text]));
  });

  it.skipIf(missing)('the reader does NOT decode the dark-terminal drawing shown on a light terminal (the inversion matters)', () => {
    const decoded = withTempDir((dir) => {
      const path = join(dir, 'wrong.pbm');
      writeFileSync(path, terminalToPbm(qrTerminal(TYPICAL), 'light'));
      return decodeImages([path]);
    });
    expect(decoded).toEqual([[]]);
  });
});

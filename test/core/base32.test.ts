// base32 (RFC 4648 §6): vectors, round trips against a bit-string reference, the leniency
// list of the contract, and the refusal of everything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode } from '../../src/core/index.js';
import { isOtpError, OtpError } from '../../src/errors.js';
import rfc4648 from '../vectors/rfc4648-base32.json';
import { refBase32Decode, refBase32Encode } from './reference.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The error base32Decode throws for `text`, checked to be an ERR_BASE32 OtpError. */
function decodeError(text: string): OtpError {
  try {
    base32Decode(text);
  } catch (error) {
    expect(error).toBeInstanceOf(OtpError);
    expect(isOtpError(error)).toBe(true);
    expect((error as OtpError).code).toBe('ERR_BASE32');
    return error as OtpError;
  }
  return expect.fail(`base32Decode accepted ${JSON.stringify(text)}`);
}

describe('RFC 4648 §10 vectors', () => {
  for (const { ascii: plain, base32 } of rfc4648.vectors) {
    it(`${JSON.stringify(plain)} ⇄ ${base32}`, () => {
      expect(base32Encode(ascii(plain))).toBe(base32.replace(/=/g, ''));
      expect(base32Decode(base32)).toEqual(ascii(plain));
      expect(base32Decode(base32.replace(/=/g, ''))).toEqual(ascii(plain));
    });
  }
});

describe('round trips', () => {
  it('every 1- and 2-byte input survives encode → decode (exhaustive)', () => {
    const wrong: string[] = [];
    const inputs = [...Array.from({ length: 256 }, (_, a) => [a]), ...Array.from({ length: 65536 }, (_, n) => [n >> 8, n & 255])];
    for (const input of inputs) {
      const bytes = Uint8Array.from(input);
      const text = base32Encode(bytes);
      const back = base32Decode(text);
      if (text !== refBase32Encode(bytes) || back.length !== bytes.length || back.some((b, i) => b !== bytes[i])) {
        wrong.push(`${input.join(',')} → ${text}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('encode is the canonical form (upper case, no padding) and matches the reference', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = base32Encode(bytes);
        expect(text).toBe(refBase32Encode(bytes));
        expect(text).toMatch(/^[A-Z2-7]*$/);
        expect(text).toHaveLength(Math.ceil((bytes.length * 8) / 5));
        expect(base32Decode(text)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('decode undoes the reference encoder in any tolerated spelling', () => {
    const spellings = fc.constantFrom('padded', 'lower', 'spaced', 'hyphens', 'tabs-and-newlines', 'mixed-case');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), spellings, (bytes, spelling) => {
        let text = refBase32Encode(bytes, spelling === 'padded');
        if (spelling === 'lower') text = text.toLowerCase();
        if (spelling === 'spaced') text = ` ${text.replace(/(.{4})/g, '$1 ')} `;
        if (spelling === 'hyphens') text = text.replace(/(.{4})(?=.)/g, '$1-');
        if (spelling === 'tabs-and-newlines') text = text.replace(/(.{8})/g, '$1\n\t').concat('\r\n');
        if (spelling === 'mixed-case') text = Array.from(text, (c, i) => (i % 2 ? c.toLowerCase() : c)).join('');
        expect(base32Decode(text)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes any string of the alphabet like the reference, dropping leftover bits', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 120 }), (text) => {
        const bytes = base32Decode(text);
        expect(bytes).toEqual(refBase32Decode(text));
        expect(bytes).toHaveLength(Math.floor((text.length * 5) / 8));
      }),
      { numRuns: 500 },
    );
  });
});

describe('leniency', () => {
  const foobar = ascii('foobar');

  it('lower case, spaces, tabs, line breaks and hyphens', () => {
    expect(base32Decode('mzxw6ytboi')).toEqual(foobar);
    expect(base32Decode('MZXW 6YTB OI')).toEqual(foobar);
    expect(base32Decode('mzxw\t6ytb\toi')).toEqual(foobar);
    expect(base32Decode('MZXW-6YTB-OI')).toEqual(foobar);
    expect(base32Decode('MZXW6YTB\r\nOI======\n')).toEqual(foobar);
    expect(base32Decode('  mZxW-6yTb oI  ')).toEqual(foobar);
  });

  it('padding present or missing', () => {
    expect(base32Decode('MZXW6YTBOI======')).toEqual(foobar);
    expect(base32Decode('MZXW6YTBOI')).toEqual(foobar);
    expect(base32Decode('MZXW6YTBOI====== ')).toEqual(foobar);
  });

  it('ignores the leftover bits after the last whole byte, as authenticator apps do', () => {
    // 10 characters hold 50 bits, 48 of them bytes: the last 2 bits of 'I' (01000) are leftover,
    // so 'J' (01001), 'K' (01010) and 'L' (01011) spell the same bytes, 'M' (01100) does not.
    expect(base32Decode('MZXW6YTBOJ')).toEqual(foobar);
    expect(base32Decode('MZXW6YTBOL')).toEqual(foobar);
    expect(base32Decode('MZXW6YTBOM')).not.toEqual(foobar);
    expect(base32Decode('MZ')).toEqual(ascii('f')); // 'MY' is canonical
    // A lone character holds no whole byte.
    expect(base32Decode('M')).toEqual(new Uint8Array(0));
    expect(base32Decode('')).toEqual(new Uint8Array(0));
    expect(base32Decode(' - ')).toEqual(new Uint8Array(0));
  });

  it('returns a Uint8Array that owns exactly its bytes', () => {
    const bytes = base32Decode('MZXW 6YTB OI');
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.byteLength).toBe(6);
    expect(bytes.buffer.byteLength).toBe(6);
  });
});

describe('refusals', () => {
  const SECRETISH = 'JBSWY3DPEHPK3PXP';

  for (const [name, text] of [
    ['digit 1', `${SECRETISH}1`],
    ['digit 0', `0${SECRETISH}`],
    ['digit 8', `${SECRETISH.slice(0, 8)}8${SECRETISH.slice(8)}`],
    ['digit 9', `${SECRETISH}9`],
    ['!', `${SECRETISH}!`],
    ['underscore', `${SECRETISH}_`],
    ['dot', `${SECRETISH}.`],
    ['NUL', `${SECRETISH}\u0000`],
    ['vertical tab', `${SECRETISH}\u000b`],
    ['é (Latin-1)', `${SECRETISH}é`],
    ['Cyrillic А (looks like A)', `${SECRETISH}\u0410`],
    ['full-width Ａ', `${SECRETISH}\uff21`],
    ['non-breaking space', `${SECRETISH.slice(0, 4)}\u00a0${SECRETISH.slice(4)}`],
    ['emoji', `${SECRETISH}😀`],
    ['data after padding', `MY======${SECRETISH}`],
    ['data after a single =', `M=Y`],
    ['padding in the middle', `MZXW====6YTBOI`],
  ] as const) {
    it(`${name} throws ERR_BASE32 without echoing the text`, () => {
      const error = decodeError(text);
      expect(error.message).not.toContain(SECRETISH);
      expect(error.message).not.toContain(SECRETISH.slice(0, 6));
      expect(error.message).toMatch(/^base32: /);
    });
  }

  // The wrong type is the caller's mistake, not bad base32: ERR_OPTIONS, as everywhere (issue 11).
  it('a non-string throws ERR_OPTIONS', () => {
    for (const value of [undefined, null, 42, new Uint8Array(4), {}, new String('MZXW6YTBOI')]) {
      expect(() => base32Decode(value as unknown as string)).toThrow(
        expect.objectContaining({ code: 'ERR_OPTIONS', message: 'base32Decode: expected a string' }),
      );
    }
  });

  it('any string with a character outside the tolerated set throws, and the message never holds the text', () => {
    const tolerated = new Set(`${ALPHABET}${ALPHABET.toLowerCase()} \t\r\n-=`);
    const invalid = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !tolerated.has(c));
    const body = fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 8, maxLength: 40 });
    fc.assert(
      fc.property(body, invalid, body, (before, bad, after) => {
        const text = before + bad + after;
        const error = decodeError(text);
        for (let i = 0; i + 6 <= text.length; i++) expect(error.message).not.toContain(text.slice(i, i + 6));
      }),
      { numRuns: 500 },
    );
  });

  it('any string of tolerated characters without data after padding decodes', () => {
    const unit = fc.constantFrom(...`${ALPHABET}${ALPHABET.toLowerCase()} \t\r\n-`);
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 80 }), fc.string({ unit: fc.constantFrom('=', ' ', '-'), maxLength: 8 }), (text, tail) => {
        const canonical = text.replace(/[\s-]/g, '').toUpperCase();
        expect(base32Decode(text + tail)).toEqual(refBase32Decode(canonical));
      }),
      { numRuns: 500 },
    );
  });
});

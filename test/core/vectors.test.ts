// The published test vectors, through every public entry point that should reproduce them.
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, prepareKey, totp, verifyHotp, verifyTotp, type Algorithm } from '../../src/core/index.js';
import rfc4226 from '../vectors/rfc4226-hotp.json';
import rfc4648 from '../vectors/rfc4648-base32.json';
import rfc6238 from '../vectors/rfc6238-totp.json';
import { at } from './reference.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('RFC 4226 Appendix D (HOTP)', () => {
  const key = ascii(rfc4226.secretAscii);

  it('the vector file is self-consistent (hex and base32 of the secret, truncation)', () => {
    expect(Buffer.from(key).toString('hex')).toBe(rfc4226.secretHex);
    expect(base32Encode(key)).toBe(rfc4226.secretBase32);
    for (const v of rfc4226.vectors) {
      expect(parseInt(v.truncatedHex, 16)).toBe(v.truncatedDecimal);
      expect(String(v.truncatedDecimal % 1e6).padStart(6, '0')).toBe(v.hotp);
    }
  });

  for (const v of rfc4226.vectors) {
    it(`counter ${v.counter} → ${v.hotp}`, () => {
      expect(hotp(key, v.counter)).toBe(v.hotp);
      expect(hotp(rfc4226.secretBase32, v.counter)).toBe(v.hotp);
      expect(hotp(rfc4226.secretBase32.toLowerCase(), v.counter, { algorithm: 'SHA1', digits: 6 })).toBe(v.hotp);
      expect(hotp(prepareKey(key), v.counter)).toBe(v.hotp);
      // 9 and 10 digits expose more of the truncated value: its last 9, or all of it (< 2^31 < 10^10).
      expect(hotp(key, v.counter, { digits: 9 })).toBe(String(v.truncatedDecimal % 1e9).padStart(9, '0'));
      expect(hotp(key, v.counter, { digits: 10 })).toBe(String(v.truncatedDecimal).padStart(10, '0'));

      expect(verifyHotp(key, v.hotp, v.counter)).toEqual({ delta: 0, step: v.counter });
      expect(verifyHotp(rfc4226.secretBase32, v.hotp, 0, { window: 9 })).toEqual({ delta: v.counter, step: v.counter });
      // The default HOTP window is 0: the next counter's code does not match.
      expect(verifyHotp(key, v.hotp, v.counter + 1)).toBeNull();
    });
  }
});

describe('RFC 6238 Appendix B (TOTP)', () => {
  const seeds = rfc6238.seeds as Record<Algorithm, { ascii: string; hex: string }>;

  it('each algorithm has its own seed length (20, 32, 64 bytes)', () => {
    expect(ascii(seeds.SHA1.ascii)).toHaveLength(20);
    expect(ascii(seeds.SHA256.ascii)).toHaveLength(32);
    expect(ascii(seeds.SHA512.ascii)).toHaveLength(64);
    for (const seed of Object.values(seeds)) expect(Buffer.from(ascii(seed.ascii)).toString('hex')).toBe(seed.hex);
    expect(rfc6238.vectors).toHaveLength(18);
  });

  for (const v of rfc6238.vectors) {
    const algorithm = v.algorithm as Algorithm;
    it(`${algorithm} at T = ${v.time} s (${v.utc}) → ${v.totp}`, () => {
      const key = ascii(seeds[algorithm].ascii);
      const base = { algorithm, digits: rfc6238.digits, period: rfc6238.period, epoch: rfc6238.epoch } as const;
      const ms = v.time * 1000;
      const step = Number.parseInt(v.stepHex, 16);
      expect(Math.floor(v.time / 30)).toBe(step);
      expect(new Date(ms).toISOString().replace('T', ' ').slice(0, 19)).toBe(v.utc);

      expect(totp(key, { ...base, now: at(ms) })).toBe(v.totp);
      expect(totp(key, { ...base, now: new Date(ms) })).toBe(v.totp);
      // T = 59 s as a number of ms is below 10^11: refused as seconds, so the vector takes a Date.
      if (ms < 1e11) expect(() => totp(key, { ...base, now: ms })).toThrow(/seconds/);
      expect(totp(base32Encode(key), { ...base, now: at(ms) })).toBe(v.totp);
      expect(totp(prepareKey(key, { algorithm }), { ...base, now: at(ms) })).toBe(v.totp);
      // Anywhere inside the same 30 s step gives the same code.
      expect(totp(key, { ...base, now: at(step * 30_000) })).toBe(v.totp);
      expect(totp(key, { ...base, now: at(step * 30_000 + 29_999) })).toBe(v.totp);
      // TOTP is HOTP of the step (RFC 6238 §4.2).
      expect(hotp(key, step, { algorithm, digits: 8 })).toBe(v.totp);

      expect(verifyTotp(key, v.totp, { ...base, now: at(ms) })).toEqual({ delta: 0, step });
      expect(verifyTotp(key, v.totp, { ...base, now: new Date(ms) })).toEqual({ delta: 0, step });
      // Seen from one step later and one step earlier, within the default ±1 window.
      expect(verifyTotp(key, v.totp, { ...base, now: at(ms + 30_000) })).toEqual({ delta: -1, step });
      expect(verifyTotp(key, v.totp, { ...base, now: at(ms - 30_000) })).toEqual({ delta: 1, step });
      expect(verifyTotp(key, v.totp, { ...base, now: at(ms + 30_000), window: 0 })).toBeNull();
      expect(verifyTotp(key, v.totp, { ...base, now: at(ms), afterStep: step })).toBeNull();
      expect(verifyTotp(key, v.totp, { ...base, now: at(ms), afterStep: step - 1 })).toEqual({ delta: 0, step });
      expect(verifyHotp(key, v.totp, step, { algorithm, digits: 8 })).toEqual({ delta: 0, step });
    });
  }

  it('the 20-byte seed does not reproduce the SHA256 and SHA512 rows (the seed length matters)', () => {
    const short = ascii(seeds.SHA1.ascii);
    for (const v of rfc6238.vectors.filter((row) => row.algorithm !== 'SHA1')) {
      expect(totp(short, { algorithm: v.algorithm as Algorithm, digits: 8, now: at(v.time * 1000) })).not.toBe(v.totp);
    }
  });
});

describe('RFC 4648 §10 (base32)', () => {
  for (const v of rfc4648.vectors) {
    it(`BASE32(${JSON.stringify(v.ascii)}) = ${JSON.stringify(v.base32)}`, () => {
      // The canonical encoding drops the padding.
      expect(base32Encode(ascii(v.ascii))).toBe(v.base32.replace(/=+$/, ''));
      expect(base32Decode(v.base32)).toEqual(ascii(v.ascii));
      expect(base32Decode(v.base32.replace(/=+$/, ''))).toEqual(ascii(v.ascii));
      expect(base32Decode(v.base32.toLowerCase())).toEqual(ascii(v.ascii));
    });
  }
});

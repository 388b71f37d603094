// generateSecret draws from globalThis.crypto; prepareKey is a faster spelling of the same key.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { base32Decode, generateSecret, hotp, prepareKey, totp, verifyHotp, verifyTotp, type Algorithm } from '../../src/core/index.js';
import { OtpError } from '../../src/errors.js';
import { refBase32Decode, refHotp, refStep } from './reference.js';

const ALGORITHMS: readonly Algorithm[] = ['SHA1', 'SHA256', 'SHA512'];

afterEach(() => {
  vi.restoreAllMocks();
});

describe('generateSecret', () => {
  it('defaults to 20 bytes: 32 canonical base32 characters', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(refBase32Decode(secret)).toEqual(base32Decode(secret));
  });

  it('takes a length in bytes from 16 to 1024', () => {
    expect(generateSecret({ bytes: 32 })).toMatch(/^[A-Z2-7]{52}$/);
    expect(base32Decode(generateSecret({ bytes: 32 }))).toHaveLength(32);
    expect(base32Decode(generateSecret({ bytes: 16 }))).toHaveLength(16);
    expect(base32Decode(generateSecret({ bytes: 1024 }))).toHaveLength(1024);
    expect(generateSecret({ bytes: undefined })).toHaveLength(32);
  });

  for (const bytes of [15, 10, 0, -20, 1025, 65536, 16.5, 20.000001, NaN, Infinity, '20', null]) {
    it(`refuses bytes ${JSON.stringify(bytes) ?? String(bytes)} with ERR_OPTIONS naming bytes`, () => {
      expect(() => generateSecret({ bytes: bytes as number })).toThrow(OtpError);
      expect(() => generateSecret({ bytes: bytes as number })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringMatching(/\bbytes\b/) }));
    });
  }

  it('two secrets differ, and 200 secrets spread over the whole alphabet', () => {
    const secrets = Array.from({ length: 200 }, () => generateSecret());
    expect(new Set(secrets).size).toBe(200);
    const counts = new Map<string, number>();
    for (const c of secrets.join('')) counts.set(c, (counts.get(c) ?? 0) + 1);
    // 6400 characters, 200 expected per letter, standard deviation ~14: far from any fluke.
    expect(counts.size).toBe(32);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(120);
      expect(count).toBeLessThan(290);
    }
  });

  it('draws its bytes from globalThis.crypto.getRandomValues', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      if (array instanceof Uint8Array) array.fill(0xff);
      return array;
    });
    expect(generateSecret()).toBe('7'.repeat(32));
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    expect(generateSecret()).not.toBe('7'.repeat(32));
  });
});

describe('existing short secrets still work', () => {
  // 'JBSWY3DPEHPK3PXP' is 10 bytes ("Hello!\xde\xad\xbe\xef"), a classic of tutorials and old enrollments.
  const SHORT = 'JBSWY3DPEHPK3PXP';
  const key = base32Decode(SHORT);

  it('verifies TOTP and HOTP codes of a 10-byte key', () => {
    expect(key).toHaveLength(10);
    const now = 1_700_000_000_000;
    const step = refStep(now, 30, 0);
    expect(totp(SHORT, { now })).toBe(refHotp(key, step, 'SHA1', 6));
    expect(verifyTotp(SHORT, refHotp(key, step - 1n, 'SHA1', 6), { now })).toEqual({ delta: -1, step: Number(step) - 1 });
    expect(verifyHotp(SHORT, refHotp(key, 3n, 'SHA1', 6), 0, { window: 5 })).toEqual({ delta: 3, step: 3 });
  });

  it('even a 1-byte key is a key (only generation enforces the minimum)', () => {
    expect(hotp(Uint8Array.of(1), 0)).toBe(refHotp(Uint8Array.of(1), 0n, 'SHA1', 6));
    expect(hotp('AE', 0)).toBe(refHotp(Uint8Array.of(1), 0n, 'SHA1', 6));
  });
});

describe('prepareKey', () => {
  const raw = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255);

  for (const algorithm of ALGORITHMS) {
    it(`gives the codes of the raw secret (${algorithm})`, () => {
      for (const length of [1, 10, 20, 32, 63, 64, 65, 128, 129]) {
        const bytes = Uint8Array.from({ length }, (_, i) => raw[i % raw.length]! ^ length);
        const prepared = prepareKey(bytes, { algorithm });
        expect(prepared.algorithm).toBe(algorithm);
        for (const counter of [0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
          const want = refHotp(bytes, BigInt(counter), algorithm, 8);
          expect(hotp(prepared, counter, { digits: 8 })).toBe(want);
          expect(hotp(bytes, counter, { digits: 8, algorithm })).toBe(want);
        }
        const now = 2_000_000_000_000;
        expect(totp(prepared, { now })).toBe(totp(bytes, { now, algorithm }));
        expect(verifyTotp(prepared, totp(bytes, { now: now - 30_000, algorithm }), { now })).toEqual(
          verifyTotp(bytes, totp(bytes, { now: now - 30_000, algorithm }), { now, algorithm }),
        );
        expect(verifyHotp(prepared, hotp(bytes, 9, { algorithm }), 7, { window: 3, algorithm })).toEqual({ delta: 2, step: 9 });
      }
    });
  }

  it('takes base32 text like the other entry points, defaulting to SHA1', () => {
    const prepared = prepareKey('gezd gnbv gy3t qojq gezd gnbv gy3t qojq');
    expect(prepared.algorithm).toBe('SHA1');
    expect(hotp(prepared, 0)).toBe('755224'); // RFC 4226 Appendix D
  });

  it('refuses an algorithm in options that differs from the prepared one', () => {
    const prepared = prepareKey(raw, { algorithm: 'SHA256' });
    for (const call of [
      () => hotp(prepared, 0, { algorithm: 'SHA1' }),
      () => totp(prepared, { algorithm: 'SHA512', now: 1e12 }),
      () => verifyHotp(prepared, '123456', 0, { algorithm: 'SHA1' }),
      () => verifyTotp(prepared, '123456', { algorithm: 'SHA1' }),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringMatching(/\balgorithm\b/) }));
    }
    expect(hotp(prepared, 0, { algorithm: 'SHA256' })).toBe(refHotp(raw, 0n, 'SHA256', 6));
    expect(hotp(prepareKey(raw), 0, { algorithm: 'SHA1' })).toBe(refHotp(raw, 0n, 'SHA1', 6));
  });

  it('refuses bad secrets and algorithms like the other entry points', () => {
    expect(() => prepareKey('not base32!')).toThrow(expect.objectContaining({ code: 'ERR_BASE32' }));
    expect(() => prepareKey('')).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(() => prepareKey(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(() => prepareKey(raw, { algorithm: 'MD5' as Algorithm })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(() => prepareKey(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });

  it('is frozen, shows no key material, and does not follow later changes of the bytes', () => {
    const bytes = raw.slice(0, 20);
    const prepared = prepareKey(bytes);
    const before = hotp(prepared, 0);
    bytes.fill(0);
    expect(hotp(prepared, 0)).toBe(before);
    expect(Object.isFrozen(prepared)).toBe(true);
    expect(Object.keys(prepared)).toEqual(['algorithm']);
    expect(JSON.stringify(prepared)).toBe('{"algorithm":"SHA1"}');
  });
});

describe('key bytes are read, never written', () => {
  it('hotp, totp and verify leave the caller key untouched, and accept views into larger buffers', () => {
    const backing = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    const view = backing.subarray(7, 27);
    const copy = view.slice();
    const want = refHotp(copy, 5n, 'SHA1', 6);
    expect(hotp(view, 5)).toBe(want);
    expect(verifyHotp(view, want, 5)).toEqual({ delta: 0, step: 5 });
    totp(view, { now: 1e12, algorithm: 'SHA512' });
    prepareKey(view, { algorithm: 'SHA256' });
    expect(backing).toEqual(Uint8Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

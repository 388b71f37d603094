// Tests written to kill mutants that survived `npm run mutation` on src/core:
// each states a property of the core that the other tests did not pin down.
// The fixtures (a counter whose code is 000000, one whose code is 000001, and a
// key whose code at counter 0 comes back at counter 681) were found by a search
// with node:crypto, and each test first checks its fixture with node:crypto.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32Decode, hotp, totp, verifyHotp, verifyTotp } from '../../src/index.js';

const RFC_KEY = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // '12345678901234567890', RFC 4226 appendix D
const ZERO_AT = 349_495; // hotp(RFC_KEY, 349495) === '000000'
const ONE_AT = 855_553; // hotp(RFC_KEY, 855553) === '000001'
const COLLIDING_KEY = new TextEncoder().encode('otpgate-collision-257');
const COLLISION = 681; // hotp(COLLIDING_KEY, 681) === hotp(COLLIDING_KEY, 0)

/** RFC 4226 §5.3 with node:crypto, independent of otpgate. */
function reference(key: Uint8Array, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[19]! & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

describe('core properties pinned by mutation testing', () => {
  it('the fixtures are what they claim (node:crypto)', () => {
    const key = base32Decode(RFC_KEY);
    expect(reference(key, ZERO_AT)).toBe('000000');
    expect(reference(key, ONE_AT)).toBe('000001');
    expect(reference(COLLIDING_KEY, COLLISION)).toBe(reference(COLLIDING_KEY, 0));
  });

  it('the code 000000 is a code like any other', () => {
    expect(hotp(RFC_KEY, ZERO_AT)).toBe('000000');
    expect(verifyHotp(RFC_KEY, '000000', ZERO_AT)).toEqual({ delta: 0, step: ZERO_AT });
    expect(verifyHotp(RFC_KEY, '000 000', ZERO_AT)).toEqual({ delta: 0, step: ZERO_AT });
  });

  it('input that is not exactly the digits never matches, even where the code is 000001', () => {
    expect(verifyHotp(RFC_KEY, '000001', ONE_AT)).toEqual({ delta: 0, step: ONE_AT });
    // Each of these reads as the number 1 somewhere (Number('1e0000') === 1, Number('0x0001') === 1).
    for (const typed of ['1', '01', '00001', '0000001', '1e0000', '0x0001', '+00001', '00000a', 'abcdef']) {
      expect(verifyHotp(RFC_KEY, typed, ONE_AT)).toBeNull();
    }
    // A number is the wrong type (issue 11): refused, not read as digits.
    expect(() => verifyHotp(RFC_KEY, 1 as unknown as string, ONE_AT)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });

  it('when two counters in the window share a code, the nearest wins, also when it is counter 0', () => {
    const code = hotp(COLLIDING_KEY, 0);
    expect(hotp(COLLIDING_KEY, COLLISION)).toBe(code);
    expect(verifyHotp(COLLIDING_KEY, code, 0, { window: 1000 })).toEqual({ delta: 0, step: 0 });
    expect(verifyHotp(COLLIDING_KEY, code, 1, { window: 1000 })).toEqual({ delta: COLLISION - 1, step: COLLISION });
  });

  it('totp works without options (all defaults)', () => {
    const code = totp(RFC_KEY);
    expect(code).toMatch(/^\d{6}$/);
    expect(verifyTotp(RFC_KEY, code)).toMatchObject({ delta: expect.any(Number) });
  });

  it('accepts a time exactly 2^53 - 1 ms from the epoch, the largest distance allowed', () => {
    // floor(now) - epoch * 1000 === Number.MAX_SAFE_INTEGER exactly.
    const now = 8_639_999_254_740_991;
    const epoch = -367_200_000_000;
    expect(now - epoch * 1000).toBe(Number.MAX_SAFE_INTEGER);
    expect(totp(RFC_KEY, { now, epoch })).toMatch(/^\d{6}$/);
    expect(() => totp(RFC_KEY, { now: now + 1, epoch })).toThrow(/too far/);
  });

  it('base32Decode says what it expected when given no string', () => {
    expect(() => base32Decode(1 as unknown as string)).toThrow(/expected a string/);
  });
});

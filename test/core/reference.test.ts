// Property tests: otpgate against the node:crypto + BigInt reference in ./reference.ts,
// over random keys, algorithms, digits, periods, epochs, times, counters, windows and replay floors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32Encode, hotp, prepareKey, totp, verifyHotp, verifyTotp, type Algorithm, type Secret, type Window } from '../../src/core/index.js';
import { isOtpError } from '../../src/errors.js';
import { at, refBase32Encode, refHotp, refStep, refVerify } from './reference.js';

const MAX = Number.MAX_SAFE_INTEGER;
const TWO_32 = 2 ** 32;
const MAX_DATE_MS = 8.64e15;

const algorithms = fc.constantFrom<Algorithm>('SHA1', 'SHA256', 'SHA512');
const digits = fc.integer({ min: 6, max: 10 });
// Mostly 1..100 bytes; sometimes around the hash block sizes (64, 128), where HMAC hashes a long key first.
const keys = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 100 }) },
  { weight: 1, arbitrary: fc.constantFrom(63, 64, 65, 127, 128, 129, 200).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })) },
);

/** How the key is handed over: raw bytes, base32 as stored, base32 as typed by a person, or prepared. */
const secretForms = fc.constantFrom('bytes', 'base32', 'typed', 'prepared');
function asSecret(key: Uint8Array, form: string, algorithm: Algorithm): Secret {
  switch (form) {
    case 'bytes':
      return key;
    case 'base32':
      return refBase32Encode(key, key.length % 2 === 0);
    case 'typed':
      return refBase32Encode(key).toLowerCase().replace(/(.{4})/g, '$1 ').trim();
    default:
      return prepareKey(key, { algorithm });
  }
}

/** Counters biased to the places where 32-bit and 53-bit arithmetic break. */
const counters = fc.oneof(
  fc.integer({ min: 0, max: 1000 }),
  fc.integer({ min: 0, max: MAX }),
  fc.integer({ min: -1000, max: 1000 }).map((d) => TWO_32 + d),
  fc.integer({ min: -1000, max: 1000 }).map((d) => 2 ** 31 + d),
  fc.integer({ min: 0, max: 1000 }).map((d) => MAX - d),
  fc.integer({ min: 1, max: 2 ** 21 - 1 }).map((hi) => hi * TWO_32 + 0xffffffff),
);

/** Unix times in ms up to the last Date (year 275760), with extra weight after 2038 and on step edges. */
const times = fc.oneof(
  fc.integer({ min: 0, max: 4_102_444_800_000 }), // 1970 .. 2100
  fc.integer({ min: 2_147_483_648_000, max: 2_147_483_648_000 + 10 ** 9 }), // just after 2^31 s (2038)
  fc.integer({ min: 4_294_967_296_000 - 10 ** 6, max: 4_294_967_296_000 + 10 ** 6 }), // 2^32 s (2106)
  fc.integer({ min: 0, max: MAX_DATE_MS }),
);
const periods = fc.oneof(fc.constantFrom(30, 60, 1), fc.integer({ min: 1, max: 300 }));
const epochs = fc.oneof(fc.constant(0), fc.integer({ min: -(10 ** 9), max: 10 ** 10 }));

const windows: fc.Arbitrary<Window | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 0, max: 12 }),
  fc.record({ past: fc.integer({ min: 0, max: 12 }), future: fc.integer({ min: 0, max: 12 }) }, { requiredKeys: [] }),
);

function span(window: Window | undefined, fallback: number, lookAheadOnly: boolean): { past: number; future: number } {
  if (window === undefined) return { past: lookAheadOnly ? 0 : fallback, future: fallback };
  if (typeof window === 'number') return { past: lookAheadOnly ? 0 : window, future: window };
  return { past: window.past ?? 0, future: window.future ?? 0 };
}

/** What is typed: the code of a step near the expected one (maybe spaced), or anything at all. */
const typedCodes = fc.record({
  offset: fc.integer({ min: -15, max: 15 }),
  spacing: fc.constantFrom('none', 'grouped', 'surrounded'),
  random: fc.option(fc.stringMatching(/^[0-9]{6,10}$/), { freq: 4 }),
});
function typeCode(code: string, spacing: string): string {
  if (spacing === 'grouped') return code.replace(/(\d{3})(?=\d)/g, '$1 ');
  if (spacing === 'surrounded') return `  ${code} `;
  return code;
}

const afterSteps = fc.option(fc.integer({ min: -16, max: 16 }), { freq: 2 });

const RUNS = { numRuns: 400 } as const;

describe('hotp against node:crypto', () => {
  it('matches the reference for any key, counter, algorithm and digits', () => {
    fc.assert(
      fc.property(keys, secretForms, counters, algorithms, digits, (key, form, counter, algorithm, n) => {
        const expected = refHotp(key, BigInt(counter), algorithm, n);
        expect(hotp(asSecret(key, form, algorithm), counter, { algorithm, digits: n })).toBe(expected);
      }),
      { numRuns: 2500 },
    );
  });

  it('is exact at the 32-bit and 53-bit boundaries', () => {
    const key = new Uint8Array(20).fill(0xa5);
    for (const counter of [0, 2 ** 31 - 1, 2 ** 31, TWO_32 - 1, TWO_32, TWO_32 + 1, 2 ** 52, MAX - 1, MAX]) {
      for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
        expect(hotp(key, counter, { algorithm, digits: 10 })).toBe(refHotp(key, BigInt(counter), algorithm, 10));
      }
    }
    // A counter only differing in its upper 32 bits must give another code.
    expect(hotp(key, TWO_32 + 5)).not.toBe(hotp(key, 5));
  });
});

describe('totp against node:crypto', () => {
  it('matches the reference for any key, time, period, epoch, algorithm and digits', () => {
    fc.assert(
      fc.property(
        keys, secretForms, algorithms, digits, periods, epochs, times, fc.boolean(),
        (key, form, algorithm, n, period, epoch, nowMs, asDate) => {
          const step = refStep(nowMs, period, epoch);
          const options = { algorithm, digits: n, period, epoch, now: asDate ? new Date(nowMs) : at(nowMs) };
          const secret = asSecret(key, form, algorithm);
          if (step < 0n) {
            expect(() => totp(secret, options)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
          } else {
            expect(totp(secret, options)).toBe(refHotp(key, step, algorithm, n));
          }
        },
      ),
      { numRuns: 2500 },
    );
  });

  it('switches code exactly at each step boundary, also at far times and odd periods', () => {
    fc.assert(
      fc.property(keys, periods, epochs, fc.integer({ min: 1, max: 2 * 10 ** 10 }), (key, period, epoch, step) => {
        const start = epoch * 1000 + step * period * 1000;
        fc.pre(start <= MAX_DATE_MS);
        const options = { period, epoch, digits: 8 } as const;
        expect(totp(key, { ...options, now: at(start - 1) })).toBe(refHotp(key, BigInt(step - 1), 'SHA1', 8));
        expect(totp(key, { ...options, now: at(start) })).toBe(refHotp(key, BigInt(step), 'SHA1', 8));
        expect(totp(key, { ...options, now: at(start + period * 1000 - 1) })).toBe(refHotp(key, BigInt(step), 'SHA1', 8));
      }),
      RUNS,
    );
  });

  it('reaches time steps beyond 2^32 (period 1 s after the year 2106)', () => {
    const key = new Uint8Array(20).fill(7);
    for (const ms of [TWO_32 * 1000, TWO_32 * 1000 + 999, (TWO_32 + 1) * 1000, MAX_DATE_MS]) {
      const step = refStep(ms, 1, 0);
      expect(step >= BigInt(TWO_32)).toBe(true);
      expect(totp(key, { period: 1, now: ms })).toBe(refHotp(key, step, 'SHA1', 6));
      expect(totp(key, { period: 1, now: new Date(ms) })).toBe(refHotp(key, step, 'SHA1', 6));
    }
  });

  it('treats fractional milliseconds as the millisecond they fall in', () => {
    const key = new Uint8Array(20).fill(9);
    // 1.2e12 ms is the start of step 40,000,000.
    expect(totp(key, { now: 1.2e12 - 0.1 })).toBe(refHotp(key, 39_999_999n, 'SHA1', 6));
    expect(totp(key, { now: 1.2e12 + 0.9 })).toBe(refHotp(key, 40_000_000n, 'SHA1', 6));
  });
});

describe('verifyTotp against the reference contract', () => {
  it('finds exactly the step the reference finds (window, afterStep, nearest wins)', () => {
    fc.assert(
      fc.property(
        keys, secretForms, algorithms, digits, periods, epochs, times, windows, afterSteps, typedCodes, fc.boolean(),
        (key, form, algorithm, n, period, epoch, nowMs, window, afterOffset, typed, asDate) => {
          const expected = refStep(nowMs, period, epoch);
          const { past, future } = span(window, 1, false);
          // Before T0 verify throws nothing: steps below 0 simply do not exist.
          fc.pre(expected + BigInt(typed.offset) >= 0n || typed.random !== null);
          const code = typeCode(typed.random ?? refHotp(key, expected + BigInt(typed.offset), algorithm, n), typed.spacing);
          const afterStep = afterOffset === null ? undefined : Math.max(-1, Number(expected) + afterOffset);
          const want = refVerify({
            key, code, expected, past, future, algorithm, digits: n, afterStep: BigInt(afterStep ?? -1),
          });
          const got = verifyTotp(asSecret(key, form, algorithm), code, {
            algorithm, digits: n, period, epoch, now: asDate ? new Date(nowMs) : at(nowMs), window, afterStep,
          });
          expect(got).toEqual(want);
          if (got !== null) {
            expect(got.delta).toBe(got.step - Number(expected));
            expect(got.step).toBeGreaterThan(afterStep ?? -1);
          }
        },
      ),
      { numRuns: 2500 },
    );
  });

  it('accepts the code of every step inside the window and none outside (no collisions at 10 digits)', () => {
    fc.assert(
      fc.property(keys, windows, fc.integer({ min: 0, max: 10 ** 12 }), (key, window, nowMs) => {
        const expected = refStep(nowMs, 30, 0);
        const { past, future } = span(window, 1, false);
        for (let offset = -past - 2; offset <= future + 2; offset++) {
          const step = expected + BigInt(offset);
          if (step < 0n) continue;
          const got = verifyTotp(key, refHotp(key, step, 'SHA1', 10), { digits: 10, now: at(nowMs), window });
          const inside = offset >= -past && offset <= future;
          // A 10-digit code is the whole 31-bit truncation: a false match is ~2^-31 per step.
          expect(got).toEqual(inside ? { delta: offset, step: Number(step) } : null);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('excludes every step at or below afterStep', () => {
    fc.assert(
      fc.property(keys, fc.integer({ min: -3, max: 3 }), fc.integer({ min: -4, max: 4 }), (key, offset, floorOffset) => {
        const nowMs = 1_700_000_000_000;
        const expected = Math.floor(nowMs / 30_000);
        const step = expected + offset;
        const afterStep = expected + floorOffset;
        const got = verifyTotp(key, refHotp(key, BigInt(step), 'SHA1', 10), { digits: 10, now: nowMs, window: 3, afterStep });
        expect(got).toEqual(step > afterStep ? { delta: offset, step } : null);
      }),
      RUNS,
    );
  });
});

describe('verifyHotp against the reference contract', () => {
  it('finds exactly the counter the reference finds (look-ahead for a number, both sides for an object)', () => {
    fc.assert(
      fc.property(
        keys, secretForms, algorithms, digits, counters, windows, afterSteps, typedCodes,
        (key, form, algorithm, n, counter, window, afterOffset, typed) => {
          const expected = BigInt(counter);
          const { past, future } = span(window, 0, true);
          const target = expected + BigInt(typed.offset);
          fc.pre(typed.random !== null || (target >= 0n && target <= BigInt(MAX)));
          const code = typeCode(typed.random ?? refHotp(key, target, algorithm, n), typed.spacing);
          const afterStep = afterOffset === null ? undefined : Math.min(MAX, Math.max(-1, counter + afterOffset));
          const want = refVerify({
            key, code, expected, past, future, algorithm, digits: n, afterStep: BigInt(afterStep ?? -1),
          });
          const got = verifyHotp(asSecret(key, form, algorithm), code, counter, { algorithm, digits: n, window, afterStep });
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 2500 },
    );
  });

  it('a number window only looks ahead (RFC 4226 §7.4)', () => {
    const key = new Uint8Array(20).fill(3);
    const code = (c: number): string => refHotp(key, BigInt(c), 'SHA1', 10);
    expect(verifyHotp(key, code(105), 100, { digits: 10, window: 5 })).toEqual({ delta: 5, step: 105 });
    expect(verifyHotp(key, code(106), 100, { digits: 10, window: 5 })).toBeNull();
    expect(verifyHotp(key, code(99), 100, { digits: 10, window: 5 })).toBeNull();
    expect(verifyHotp(key, code(99), 100, { digits: 10, window: { past: 1 } })).toEqual({ delta: -1, step: 99 });
    expect(verifyHotp(key, code(101), 100, { digits: 10, window: { past: 1 } })).toBeNull();
    expect(verifyHotp(key, code(100), 100, { digits: 10 })).toEqual({ delta: 0, step: 100 });
    expect(verifyHotp(key, code(101), 100, { digits: 10 })).toBeNull();
  });

  it('never looks past 2^53 - 1 and never below 0', () => {
    const key = new Uint8Array(20).fill(4);
    const code = refHotp(key, BigInt(MAX), 'SHA1', 10);
    expect(verifyHotp(key, code, MAX - 2, { digits: 10, window: 10 })).toEqual({ delta: 2, step: MAX });
    expect(verifyHotp(key, refHotp(key, 0n, 'SHA1', 10), 2, { digits: 10, window: { past: 10 } })).toEqual({ delta: -2, step: 0 });
  });
});

describe('nearest match wins', () => {
  // Two counters with the same 6-digit code: find them by brute force with the reference.
  const key = Uint8Array.from({ length: 20 }, (_, i) => i * 13 + 1);
  const seen = new Map<string, number>();
  let pair: [number, number] | undefined;
  for (let c = 0; pair === undefined; c++) {
    const code = refHotp(key, BigInt(c), 'SHA1', 6);
    const first = seen.get(code);
    // An even distance leaves a middle counter equally far from both.
    if (first !== undefined && c - first >= 4 && c - first <= 500 && (c - first) % 2 === 0) pair = [first, c];
    else seen.set(code, c);
  }
  const [a, b] = pair!;
  const code = refHotp(key, BigInt(a), 'SHA1', 6);
  const w = b - a;

  it(`prefers the step nearer to the expected one (colliding counters ${a} and ${b})`, () => {
    expect(refHotp(key, BigInt(b), 'SHA1', 6)).toBe(code);
    // Expected just after a: a is nearer.
    expect(verifyHotp(key, code, a + 1, { window: { past: w, future: w } })).toEqual({ delta: -1, step: a });
    // Expected just before b: b is nearer.
    expect(verifyHotp(key, code, b - 1, { window: { past: w, future: w } })).toEqual({ delta: 1, step: b });
    // The same through TOTP with period 1 s and the steps as seconds.
    expect(verifyTotp(key, code, { period: 1, now: at((a + 1) * 1000), window: w })).toEqual({ delta: -1, step: a });
    expect(verifyTotp(key, code, { period: 1, now: at((b - 1) * 1000), window: w })).toEqual({ delta: 1, step: b });
  });

  it('on a tie, the older step wins; afterStep can rule it out', () => {
    const middle = a + w / 2;
    expect(verifyHotp(key, code, middle, { window: { past: w, future: w } })).toEqual({ delta: -w / 2, step: a });
    expect(verifyTotp(key, code, { period: 1, now: at(middle * 1000), window: w })).toEqual({ delta: -w / 2, step: a });
    expect(verifyHotp(key, code, middle, { window: { past: w, future: w }, afterStep: a })).toEqual({ delta: w / 2, step: b });
  });
});

describe('secret forms agree', () => {
  it('bytes, base32 (with or without padding, any case, spaced) and prepared keys give the same codes', () => {
    fc.assert(
      fc.property(keys, algorithms, counters, (key, algorithm, counter) => {
        const want = refHotp(key, BigInt(counter), algorithm, 6);
        expect(base32Encode(key)).toBe(refBase32Encode(key));
        for (const form of ['bytes', 'base32', 'typed', 'prepared']) {
          expect(hotp(asSecret(key, form, algorithm), counter, { algorithm })).toBe(want);
        }
        expect(hotp(refBase32Encode(key, true), counter, { algorithm })).toBe(want);
      }),
      RUNS,
    );
  });

  it('errors thrown on the way are OtpErrors', () => {
    expect(() => hotp('not base32!', 0)).toThrow(expect.objectContaining({ code: 'ERR_BASE32' }));
    try {
      hotp('not base32!', 0);
    } catch (error) {
      expect(isOtpError(error)).toBe(true);
    }
  });
});

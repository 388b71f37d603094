// Issue 11, item 8: every public function of the core refuses input of the
// wrong type with ERR_OPTIONS and a message that says what was expected,
// refuses option names it does not read, and refuses `now` in seconds. Each
// case here failed on the code before: a TypeError, a wrong answer, an
// option silently ignored, or the process running out of memory.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  generateSecret,
  hotp,
  prepareKey,
  totp,
  verifyHotp,
  verifyTotp,
} from '../../src/core/index.js';
import { OtpError } from '../../src/errors.js';
import { refHotp } from './reference.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const KEY = new TextEncoder().encode('12345678901234567890');
/** RFC 4226 Appendix D: counter 1 of KEY. */
const CODE = '287082';
const NOW = 1.7e12;

/** Runs `call` and returns its OtpError, failing on anything else (a TypeError, a result, no throw). */
function optionsError(call: () => unknown): OtpError {
  let caught: unknown = 'no throw';
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(OtpError);
  expect((caught as OtpError).code).toBe('ERR_OPTIONS');
  return caught as OtpError;
}

describe('base32Encode takes a Uint8Array and nothing else', () => {
  const proxy = new Proxy(new Uint8Array(4), {});
  const shadowed = Object.defineProperty(new Uint8Array(4), 'length', { value: 1e9 });
  const reparented = Object.setPrototypeOf(new Uint8Array(4), { length: 1e9 }) as Uint8Array;
  const lookAlike = { [Symbol.toStringTag]: 'Uint8Array', length: 4, 0: 1, 1: 2, 2: 3, 3: 4 };
  const wrong: ReadonlyArray<readonly [string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ["'abc' (was \"AAAAA\")", 'abc'],
    ['a number', 42],
    ['{ length: 1e9 } (ran out of memory)', { length: 1e9 }],
    ['an array of numbers', [1, 2, 3]],
    ['an ArrayBuffer', new ArrayBuffer(4)],
    ['a DataView', new DataView(new ArrayBuffer(4))],
    ['an Int8Array', new Int8Array(4)],
    ['a Uint8ClampedArray', new Uint8ClampedArray(4)],
    ['a Uint16Array', new Uint16Array(4)],
    ['a Proxy of a Uint8Array', proxy],
    ['a Uint8Array with an own length', shadowed],
    ['a Uint8Array with another prototype', reparented],
    ['an object tagged Uint8Array', lookAlike],
  ];
  for (const [label, value] of wrong) {
    it(`refuses ${label}`, () => {
      const error = optionsError(() => base32Encode(value as Uint8Array));
      expect(error.message).toBe('base32Encode: expected a Uint8Array');
    });
  }

  it('takes a Uint8Array of another realm (an iframe, a vm context), a subarray and a Node Buffer', () => {
    const foreign = runInNewContext('new Uint8Array([102, 111, 111, 98, 97, 114])') as Uint8Array;
    expect(foreign instanceof Uint8Array).toBe(false);
    expect(base32Encode(foreign)).toBe('MZXW6YTBOI');
    expect(base32Encode(new TextEncoder().encode('xfoobarx').subarray(1, 7))).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
  });
});

describe('base32Decode takes a string', () => {
  it('refuses anything else with ERR_OPTIONS (was ERR_BASE32, as if the text were bad)', () => {
    for (const value of [null, 42, new Uint8Array(4), ['MZXW6YTBOI']]) {
      expect(optionsError(() => base32Decode(value as unknown as string)).message).toBe('base32Decode: expected a string');
    }
  });
});

describe('secrets are a base32 string, a real Uint8Array or a prepared key', () => {
  it('a key from another realm is a key (instanceof said it was not)', () => {
    const foreign = runInNewContext(`new Uint8Array([${KEY.join(',')}])`) as Uint8Array;
    expect(hotp(foreign, 1)).toBe(CODE);
    expect(verifyHotp(foreign, CODE, 0, { window: 1 })).toEqual({ delta: 1, step: 1 });
    expect(prepareKey(foreign).algorithm).toBe('SHA1');
  });

  it('a Proxy of a key, a key with a lying length and a look-alike are refused', () => {
    const lying = Object.defineProperty(KEY.slice(), 'length', { value: 1e9 });
    for (const secret of [new Proxy(KEY, {}), lying, { length: 20 }]) {
      expect(optionsError(() => hotp(secret as Uint8Array, 0)).message).toMatch(/secret must be/);
      expect(optionsError(() => prepareKey(secret as Uint8Array)).message).toMatch(/secret must be/);
    }
  });

  it('the prepared-key symbol copied onto another value is not a key (was a TypeError)', () => {
    const prepared = prepareKey(SECRET);
    const [symbol] = Object.getOwnPropertySymbols(prepared);
    const forged = { algorithm: 'SHA1', [symbol!]: 42 };
    expect(optionsError(() => hotp(forged as never, 0)).message).toMatch(/secret must be/);
    // A copy that keeps the function is the same key.
    expect(hotp({ ...prepared }, 1)).toBe(CODE);
  });
});

describe('a code is a string', () => {
  it('verifyTotp(secret, 287082) is ERR_OPTIONS, not a silent null', () => {
    const error = optionsError(() => verifyTotp(SECRET, 287082 as unknown as string, { now: new Date(59_000) }));
    expect(error.message).toMatch(/^code must be a string/);
    expect(error.message).not.toContain(CODE);
    expect(optionsError(() => verifyHotp(SECRET, 287082 as unknown as string, 1)).message).toMatch(/^code must be a string/);
    // The same code as a string matches, so it is the type that is refused.
    expect(verifyTotp(SECRET, '94287082', { now: new Date(59_000), digits: 8 })).toEqual({ delta: 0, step: 1 });
  });
});

describe('options: an object, with names the function reads', () => {
  const cases: ReadonlyArray<readonly [string, () => unknown, RegExp]> = [
    ['verifyTotp, a misspelt window', () => verifyTotp(SECRET, CODE, { now: NOW, widnow: 5 } as never), /^verifyTotp: unknown option 'widnow' \(it takes algorithm, digits, period, epoch, now, window, afterStep\)$/],
    ["verifyTotp, otplib's epochTolerance", () => verifyTotp(SECRET, CODE, { epochTolerance: 30 } as never), /unknown option 'epochTolerance'/],
    ['verifyTotp, speakeasy-style time', () => verifyTotp(SECRET, CODE, { time: 59 } as never), /unknown option 'time'/],
    ['verifyTotp, a window side misspelt', () => verifyTotp(SECRET, CODE, { now: NOW, window: { past: 1, futur: 1 } } as never), /^window: unknown option 'futur' \(it takes past, future\)$/],
    ['totp, a window it does not use', () => totp(SECRET, { now: NOW, window: 1 } as never), /^totp: unknown option 'window'/],
    ['hotp, a period it does not use', () => hotp(SECRET, 0, { period: 30 } as never), /^hotp: unknown option 'period' \(it takes algorithm, digits\)$/],
    ['verifyHotp, a now it does not use', () => verifyHotp(SECRET, CODE, 0, { now: NOW } as never), /^verifyHotp: unknown option 'now'/],
    ['generateSecret, an encoding', () => generateSecret({ bytes: 20, encoding: 'hex' } as never), /^generateSecret: unknown option 'encoding' \(it takes bytes\)$/],
    ['prepareKey, digits', () => prepareKey(SECRET, { algorithm: 'SHA1', digits: 8 } as never), /^prepareKey: unknown option 'digits' \(it takes algorithm\)$/],
    ['an inherited enumerable name', () => totp(SECRET, Object.create({ windowSize: 2 }, { now: { value: NOW, enumerable: true } }) as never), /unknown option 'windowSize'/],
    ['a long name, shortened', () => totp(SECRET, { ['x'.repeat(100)]: 1 } as never), /unknown option 'x{32}…'/],
    ['totp, options a string', () => totp(SECRET, 'SHA1' as never), /^totp: options must be an object$/],
    ['verifyTotp, options a number', () => verifyTotp(SECRET, CODE, 1 as never), /^verifyTotp: options must be an object$/],
    ['hotp, options null', () => hotp(SECRET, 0, null as never), /^hotp: options must be an object$/],
    ['totp, a Date for options (meant as now; was the code of the current time)', () => totp(SECRET, new Date(59_000) as never), /^totp: options must be an object$/],
    ['generateSecret, options a string', () => generateSecret('abc' as never), /^generateSecret: options must be an object$/],
    ['prepareKey, options a string', () => prepareKey(SECRET, 'SHA256' as never), /^prepareKey: options must be an object$/],
  ];
  for (const [label, call, message] of cases) {
    it(label, () => {
      expect(optionsError(call).message).toMatch(message);
    });
  }

  it('known names with undefined values, and symbol keys, are fine', () => {
    const tag = Symbol('caller data');
    expect(hotp(KEY, 1, { algorithm: undefined, digits: undefined, [tag]: true } as never)).toBe(CODE);
    expect(generateSecret({ bytes: undefined })).toMatch(/^[A-Z2-7]{32}$/);
    expect(verifyTotp(SECRET, '94287082', { digits: 8, now: new Date(59_000), window: { past: 0, future: undefined } })).toEqual({ delta: 0, step: 1 });
  });
});

describe('now is milliseconds', () => {
  it('now: 59 (seconds, as otplib and speakeasy take it) is refused with a message that says so', () => {
    for (const call of [() => totp(SECRET, { now: 59 }), () => verifyTotp(SECRET, CODE, { now: 59 })]) {
      const error = optionsError(call);
      expect(error.message).toBe('now looks like seconds: it must be milliseconds since 1970 (10^11 or more) or a Date');
    }
  });

  it('the line is 10^11: every number below is refused, 10^11 itself is taken', () => {
    for (const now of [0, 1, 59_000, 1_700_000_000, 1e11 - 1, 1e11 - 0.5, -1, -8.64e15]) {
      expect(optionsError(() => totp(KEY, { now })).message).toMatch(/seconds/);
    }
    expect(totp(KEY, { now: 1e11 })).toBe(refHotp(KEY, BigInt(Math.floor(1e11 / 30_000)), 'SHA1', 6));
  });

  it('a Date is taken at any time, 1970 included', () => {
    expect(totp(SECRET, { now: new Date(59_000), digits: 8 })).toBe('94287082');
    expect(verifyTotp(SECRET, '94287082', { now: new Date(59_000), digits: 8 })).toEqual({ delta: 0, step: 1 });
  });
});

// Every misuse of an option throws OtpError ERR_OPTIONS naming the option and never the secret;
// every odd way of typing a code is input: it matches or it does not, it never throws.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS, hotp, MAX_WINDOW, totp, verifyHotp, verifyTotp } from '../../src/core/index.js';
import { isOtpError, OtpError } from '../../src/errors.js';
import { refHotp } from './reference.js';

const SECRET = 'JBSWY3DPEHPK3PXP';
const KEY = new Uint8Array([0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef]);
const CODE = '123456';
/** A time the core takes as a number of milliseconds (2001-09-09). */
const NOW = 1e12;

/** Runs `call`, expects ERR_OPTIONS naming `option`, and checks the message leaks nothing. */
function expectOptionsError(call: () => unknown, option: string | RegExp): OtpError {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(OtpError);
  const error = caught as OtpError;
  expect(isOtpError(error)).toBe(true);
  expect(error.code).toBe('ERR_OPTIONS');
  expect(error.name).toBe('OtpError');
  expect(error.message).toMatch(typeof option === 'string' ? new RegExp(`\\b${option}\\b`) : option);
  for (const leak of [SECRET, SECRET.toLowerCase(), SECRET.slice(0, 8), CODE, 'SHH-SECRET']) {
    expect(error.message).not.toContain(leak);
  }
  return error;
}

type Case = readonly [label: string, call: () => unknown, option: string | RegExp];

/** The four entry points with one bad option each (for options they all share). */
function everywhere(label: string, option: string, bad: Record<string, unknown>): Case[] {
  return [
    [`hotp ${label}`, () => hotp(SECRET, 0, bad as never), option],
    [`verifyHotp ${label}`, () => verifyHotp(SECRET, CODE, 0, bad as never), option],
    [`totp ${label}`, () => totp(SECRET, { now: NOW, ...bad } as never), option],
    [`verifyTotp ${label}`, () => verifyTotp(SECRET, CODE, { now: NOW, ...bad } as never), option],
  ];
}

function totps(label: string, option: string | RegExp, bad: Record<string, unknown>): Case[] {
  return [
    [`totp ${label}`, () => totp(SECRET, bad as never), option],
    [`verifyTotp ${label}`, () => verifyTotp(SECRET, CODE, bad as never), option],
  ];
}

function verifies(label: string, option: string, bad: Record<string, unknown>): Case[] {
  return [
    [`verifyHotp ${label}`, () => verifyHotp(SECRET, CODE, 10, bad as never), option],
    [`verifyTotp ${label}`, () => verifyTotp(SECRET, CODE, { now: 1e12, ...bad } as never), option],
  ];
}

const CASES: Case[] = [
  ...[5, 11, 6.5, 0, -6, NaN, Infinity, '6', null].flatMap((digits) => everywhere(`digits ${String(digits)}`, 'digits', { digits })),
  ...['MD5', 'sha1', 'SHA-1', 'SHA384', '', 1, null].flatMap((algorithm) =>
    everywhere(`algorithm ${JSON.stringify(algorithm)}`, 'algorithm', { algorithm }),
  ),
  ...[0, -1, 1.5, NaN, Infinity, -Infinity, '30', null].flatMap((period) => totps(`period ${String(period)}`, 'period', { now: NOW, period })),
  ...[1.5, NaN, Infinity, '0', 8.64e12 + 1, null].flatMap((epoch) => totps(`epoch ${String(epoch)}`, 'epoch', { now: NOW, epoch })),
  ...[NaN, Infinity, -Infinity, '2020-01-01', new Date('not a date'), 8.64e15 + 1, 1e20, 1e300, -8.64e15 - 1, null, {}].flatMap(
    (now) => totps(`now ${String(now)}`, 'now', { now }),
  ),
  ...totps('now too far from a negative epoch', /now.*epoch/, { now: 8.64e15, epoch: -8.64e12 }),
  ['totp now before epoch', () => totp(SECRET, { now: new Date(999), epoch: 1 }), /now.*epoch/],
  ['totp now before 1970', () => totp(SECRET, { now: new Date(-1) }), /now.*epoch/],
  ...[-1, 1.5, 2 ** 53, NaN, Infinity, '1', null, undefined].flatMap((counter): Case[] => [
    [`hotp counter ${String(counter)}`, () => hotp(SECRET, counter as never), 'counter'],
    [`verifyHotp counter ${String(counter)}`, () => verifyHotp(SECRET, CODE, counter as never), 'counter'],
  ]),
  ...[MAX_WINDOW + 1, -1, 1.5, NaN, '1', null].flatMap((window) => verifies(`window ${String(window)}`, 'window', { window })),
  ...verifies('window.past too wide', 'window.past', { window: { past: MAX_WINDOW + 1 } }),
  ...verifies('window.future negative', 'window.future', { window: { future: -1 } }),
  ...verifies('window.past fractional', 'window.past', { window: { past: 0.5, future: 1 } }),
  ...[-2, 1.5, NaN, 2 ** 53, '3', null].flatMap((afterStep) => verifies(`afterStep ${String(afterStep)}`, 'afterStep', { afterStep })),
  ...(['', '   ', '-', '====', 'M'] as const).flatMap((secret): Case[] => [
    [`hotp secret ${JSON.stringify(secret)} (decodes to no byte)`, () => hotp(secret, 0), 'secret'],
    [`verifyTotp secret ${JSON.stringify(secret)} (decodes to no byte)`, () => verifyTotp(secret, CODE), 'secret'],
  ]),
  ['hotp empty key bytes', () => hotp(new Uint8Array(0), 0), 'secret'],
  ['totp empty key bytes', () => totp(new Uint8Array(0), { now: NOW }), 'secret'],
  ...[42, null, undefined, {}, [1, 2, 3], new ArrayBuffer(4)].flatMap((secret): Case[] => [
    [`hotp secret of type ${Object.prototype.toString.call(secret)}`, () => hotp(secret as never, 0), 'secret'],
    [`verifyHotp secret of type ${Object.prototype.toString.call(secret)}`, () => verifyHotp(secret as never, CODE, 0), 'secret'],
  ]),
];

describe('bad options throw ERR_OPTIONS naming the option', () => {
  for (const [label, call, option] of CASES) {
    it(label, () => {
      expectOptionsError(call, option);
    });
  }

  it('a bad option is refused even when the code would be a non-match anyway', () => {
    expectOptionsError(() => verifyHotp(SECRET, 'not a code', 0, { digits: 5 }), 'digits');
    expectOptionsError(() => verifyTotp(SECRET, '', { window: -1 }), 'window');
  });

  it('messages never contain the secret, even as key bytes spelled out', () => {
    const error = expectOptionsError(() => hotp(KEY, -1), 'counter');
    expect(error.message).not.toMatch(/72|0x48|Hello/);
  });

  // A code is user input, but its type is the caller's: a number from a parsed
  // form body has lost its leading zeros, so it is refused like any other
  // argument of the wrong type (issue 11), never quietly left unmatched.
  it('a code that is not a string throws ERR_OPTIONS naming the code', () => {
    const code = hotp(KEY, 0);
    for (const typed of [Number(code), null, undefined, [code], { code }]) {
      expectOptionsError(() => verifyHotp(KEY, typed as unknown as string, 0), 'code');
      expectOptionsError(() => verifyTotp(KEY, typed as unknown as string, { period: 1, now: new Date(500), window: 0 }), 'code');
    }
  });
});

describe('limits that are accepted', () => {
  it('digits 6 and 10, periods 1 and large, counter 2^53 - 1, window MAX_WINDOW, afterStep -1', () => {
    expect(hotp(KEY, 0, { digits: 6 })).toMatch(/^\d{6}$/);
    expect(hotp(KEY, 0, { digits: 10 })).toMatch(/^\d{10}$/);
    expect(totp(KEY, { period: 1, now: new Date(0) })).toBe(refHotp(KEY, 0n, 'SHA1', 6));
    expect(totp(KEY, { period: 10 ** 9, now: 1.7e12 })).toBe(refHotp(KEY, 1n, 'SHA1', 6));
    expect(hotp(KEY, Number.MAX_SAFE_INTEGER)).toBe(refHotp(KEY, BigInt(Number.MAX_SAFE_INTEGER), 'SHA1', 6));
    expect(verifyHotp(KEY, hotp(KEY, 7), 0, { window: MAX_WINDOW })).toEqual({ delta: 7, step: 7 });
    expect(verifyTotp(KEY, totp(KEY, { now: 1e12 }), { now: 1e12, window: { past: MAX_WINDOW, future: MAX_WINDOW } })).toEqual({
      delta: 0,
      step: Math.floor(1e12 / 30_000),
    });
    expect(verifyHotp(KEY, hotp(KEY, 0), 0, { afterStep: -1 })).toEqual({ delta: 0, step: 0 });
  });

  it('the farthest Date, and epochs before 1970', () => {
    expect(totp(KEY, { now: new Date(8.64e15) })).toBe(refHotp(KEY, BigInt(8.64e15 / 30_000), 'SHA1', 6));
    expect(totp(KEY, { now: new Date(0), epoch: -60 })).toBe(refHotp(KEY, 2n, 'SHA1', 6));
    expect(totp(KEY, { now: new Date(-8.64e15), epoch: -8.64e12 })).toBe(refHotp(KEY, 0n, 'SHA1', 6));
  });

  it('verifyTotp before epoch does not throw: steps below 0 just do not exist', () => {
    expect(verifyTotp(KEY, hotp(KEY, 0), { now: new Date(0), epoch: 20 })).toEqual({ delta: 1, step: 0 });
    expect(verifyTotp(KEY, hotp(KEY, 0), { now: new Date(0), epoch: 60 })).toBeNull();
  });

  it('undefined options take the defaults', () => {
    expect(DEFAULTS).toEqual({ algorithm: 'SHA1', digits: 6, period: 30, epoch: 0, totpWindow: 1, hotpWindow: 0 });
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    const code = { algorithm: undefined, digits: undefined };
    const time = { ...code, period: undefined, epoch: undefined };
    const verify = { window: undefined, afterStep: undefined };
    expect(totp(KEY, { ...time, now: new Date(90_000) })).toBe(refHotp(KEY, 3n, 'SHA1', 6));
    expect(verifyTotp(KEY, refHotp(KEY, 2n, 'SHA1', 6), { ...time, ...verify, now: new Date(90_000) })).toEqual({ delta: -1, step: 2 });
    expect(verifyHotp(KEY, refHotp(KEY, 1n, 'SHA1', 6), 0, { ...code, ...verify })).toBeNull();
    expect(hotp(KEY, 1, code)).toBe(refHotp(KEY, 1n, 'SHA1', 6));
  });
});

describe('now defaults to Date.now()', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('totp and verifyTotp read the clock when now is left out', () => {
    vi.useFakeTimers({ now: 59_000 });
    // RFC 6238 Appendix B, SHA1 at T = 59 s.
    expect(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', { digits: 8 })).toBe('94287082');
    expect(verifyTotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '94287082', { digits: 8 })).toEqual({ delta: 0, step: 1 });
    vi.setSystemTime(60_000);
    expect(verifyTotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '94287082', { digits: 8 })).toEqual({ delta: -1, step: 1 });
  });
});

describe('a typed code is input, not an exception', () => {
  const code = hotp(KEY, 5);
  const spaced = `${code.slice(0, 3)} ${code.slice(3)}`;

  for (const typed of [code, ` ${code}`, `${code}  `, spaced, `  ${spaced} `, code.split('').join(' '), `\t${code}\n`, `${code.slice(0, 3)}\t${code.slice(3)}`, `${code.slice(0, 3)}  ${code.slice(3)}`]) {
    it(`${JSON.stringify(typed)} matches`, () => {
      expect(verifyHotp(KEY, typed, 5)).toEqual({ delta: 0, step: 5 });
      expect(verifyTotp(KEY, typed, { period: 1, now: new Date(5_500), window: 0 })).toEqual({ delta: 0, step: 5 });
    });
  }

  const wrong = [
    '',
    ' ',
    code.slice(0, 5),
    `${code}0`,
    `${code.slice(0, 5)}a`,
    'abcdef',
    `+${code.slice(1)}`,
    `-${code.slice(1)}`,
    `${code.slice(0, 5)}.`,
    '1e+005',
    '0x1234',
    `${code}\u0000`,
    // Full-width and Arabic-Indic digits look like digits but are other characters.
    Array.from(code, (d) => String.fromCharCode(0xff10 + Number(d))).join(''),
    Array.from(code, (d) => String.fromCharCode(0x0660 + Number(d))).join(''),
    `${code.slice(0, 3)}-${code.slice(3)}`,
  ];
  for (const typed of wrong) {
    it(`${JSON.stringify(typed)} does not match and does not throw`, () => {
      expect(verifyHotp(KEY, typed, 5)).toBeNull();
      expect(verifyTotp(KEY, typed, { period: 1, now: new Date(5_500), window: 0 })).toBeNull();
    });
  }

  it('a 6-digit code never matches when 8 digits are expected, nor the reverse', () => {
    expect(verifyHotp(KEY, hotp(KEY, 5), 5, { digits: 8 })).toBeNull();
    expect(verifyHotp(KEY, hotp(KEY, 5, { digits: 8 }), 5)).toBeNull();
    expect(verifyHotp(KEY, hotp(KEY, 5, { digits: 8 }), 5, { digits: 8 })).toEqual({ delta: 0, step: 5 });
  });

  it('leading zeros are significant', () => {
    // Find a counter whose 6-digit code starts with 0, then drop or add zeros.
    let counter = 0;
    while (!hotp(KEY, counter).startsWith('0')) counter++;
    const zeroCode = hotp(KEY, counter);
    expect(verifyHotp(KEY, zeroCode, counter)).toEqual({ delta: 0, step: counter });
    expect(verifyHotp(KEY, zeroCode.slice(1), counter)).toBeNull();
    expect(verifyHotp(KEY, String(Number(zeroCode)), counter)).toBeNull();
    // Same length, same numeric value, not digits: a parser that reads numbers would accept these.
    const rest = zeroCode.slice(1);
    for (const typed of [`+${rest}`, `${rest}.`, `.${rest}`, `${rest}\u0000`, `${rest}e`]) {
      expect(verifyHotp(KEY, typed, counter), JSON.stringify(typed)).toBeNull();
    }
  });
});

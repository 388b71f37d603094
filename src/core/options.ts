import { OtpError } from '../errors.js';

/**
 * The HMAC hash of a one-time code (RFC 6238 §1.2). Authenticator apps
 * generally support only `'SHA1'`; see `checkCompatibility`.
 *
 * @example
 * ```ts
 * import { totp, type Algorithm } from 'otpgate';
 * const algorithm: Algorithm = 'SHA256';
 * totp('JBSWY3DPEHPK3PXP', { algorithm });
 * ```
 */
export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';

/**
 * How many steps around the expected one a code may come from: a number
 * `n` means `n` steps back and `n` ahead for TOTP, and `n` ahead only for
 * HOTP (RFC 4226 §7.4 look-ahead); `{ past, future }` sets each side.
 *
 * @example
 * ```ts
 * import { verifyTotp, type Window } from 'otpgate';
 * const window: Window = { past: 2, future: 0 }; // tolerate a phone running a minute late
 * verifyTotp('JBSWY3DPEHPK3PXP', '123456', { window });
 * ```
 */
export type Window =
  | number
  | {
      /** Steps before the expected one (older codes). @defaultValue `0` */
      readonly past?: number | undefined;
      /** Steps after the expected one (newer codes). @defaultValue `0` */
      readonly future?: number | undefined;
    };

/**
 * Options shared by HOTP and TOTP.
 *
 * @example
 * ```ts
 * import { hotp, type CodeOptions } from 'otpgate';
 * const options: CodeOptions = { algorithm: 'SHA256', digits: 8 };
 * hotp('JBSWY3DPEHPK3PXP', 0, options);
 * ```
 */
export interface CodeOptions {
  /** The HMAC hash. @defaultValue `'SHA1'` */
  readonly algorithm?: Algorithm | undefined;
  /** The code length, 6 to 10. @defaultValue `6` */
  readonly digits?: number | undefined;
}

/**
 * Options of {@link totp}: the time step is `floor((now / 1000 - epoch) / period)` (RFC 6238 §4.2).
 *
 * @example
 * ```ts
 * import { totp, type TotpOptions } from 'otpgate';
 * const options: TotpOptions = { period: 60, now: new Date('2038-01-19T03:14:08Z') };
 * totp('JBSWY3DPEHPK3PXP', options);
 * ```
 */
export interface TotpOptions extends CodeOptions {
  /** The step length in seconds, a positive integer. @defaultValue `30` */
  readonly period?: number | undefined;
  /** T0, the Unix time in seconds at which step 0 begins (an integer within the range of `Date`). @defaultValue `0` */
  readonly epoch?: number | undefined;
  /**
   * The time, in milliseconds since the Unix epoch (from 10^11, March 1973: a smaller number is
   * refused as seconds, up to 8.64e15, the end of the range of `Date`), or as a `Date` (any time
   * `Date` holds). @defaultValue `Date.now()`
   */
  readonly now?: number | Date | undefined;
}

/**
 * Options that only verification takes.
 *
 * @example
 * ```ts
 * import { verifyTotp, type VerifyOptions } from 'otpgate';
 * const options: VerifyOptions = { window: 1, afterStep: 59_000_000 };
 * verifyTotp('JBSWY3DPEHPK3PXP', '123456', options);
 * ```
 */
export interface VerifyOptions {
  /** Steps accepted around the expected one; at most 1000 each side. @defaultValue `1` for TOTP, `0` for HOTP */
  readonly window?: Window | undefined;
  /**
   * The replay floor: only steps greater than this one match. Pass the
   * `step` of the last accepted code so it, and every older code, is refused.
   */
  readonly afterStep?: number | undefined;
}

/**
 * Options of {@link verifyTotp}.
 *
 * @example
 * ```ts
 * import { verifyTotp, type VerifyTotpOptions } from 'otpgate';
 * const options: VerifyTotpOptions = { digits: 8, window: { past: 1, future: 0 } };
 * verifyTotp('JBSWY3DPEHPK3PXP', '12345678', options);
 * ```
 */
export interface VerifyTotpOptions extends TotpOptions, VerifyOptions {}

/**
 * Options of {@link verifyHotp}.
 *
 * @example
 * ```ts
 * import { verifyHotp, type VerifyHotpOptions } from 'otpgate';
 * const options: VerifyHotpOptions = { window: 10 }; // look ten counters ahead
 * verifyHotp('JBSWY3DPEHPK3PXP', '123456', 5, options);
 * ```
 */
export interface VerifyHotpOptions extends CodeOptions, VerifyOptions {}

/**
 * The defaults of every code option, in one place.
 *
 * @example
 * ```ts
 * import { DEFAULTS } from 'otpgate';
 * console.log(DEFAULTS.period); // 30
 * ```
 */
export const DEFAULTS: {
  /** The HMAC hash every authenticator app supports. */
  readonly algorithm: 'SHA1';
  /** The code length. */
  readonly digits: 6;
  /** The TOTP step in seconds. */
  readonly period: 30;
  /** T0 of TOTP, in Unix seconds. */
  readonly epoch: 0;
  /** Steps each side a TOTP may come from (RFC 6238 §5.2: one step of network delay). */
  readonly totpWindow: 1;
  /** Counters a HOTP may be ahead by. */
  readonly hotpWindow: 0;
} = Object.freeze({ algorithm: 'SHA1', digits: 6, period: 30, epoch: 0, totpWindow: 1, hotpWindow: 0 } as const);

/**
 * The widest window accepted on each side: it bounds the HMACs one
 * verification may cost (a wider window throws `ERR_OPTIONS`).
 *
 * @example
 * ```ts
 * import { MAX_WINDOW, verifyHotp } from 'otpgate';
 * verifyHotp('JBSWY3DPEHPK3PXP', '123456', 0, { window: MAX_WINDOW });
 * ```
 */
export const MAX_WINDOW = 1000;

/** Largest counter that is exact in a JS number (2^53 - 1). */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

/** The farthest time a `Date` can hold, in ms either side of 1970 (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

/** The smallest `now` taken as a number: 10^11 ms is 1973-03-03, 10^11 s the year 5138. */
const MIN_NOW_MS = 1e11;

function fail(message: string): never {
  throw new OtpError('ERR_OPTIONS', message);
}

/** Every option name of the core; an option's bit is `1 << its index`. */
const NAMES = ['algorithm', 'digits', 'period', 'epoch', 'now', 'window', 'afterStep', 'bytes'];

/**
 * The fields of a parsed `otpauth://` URI besides the code options: tolerated
 * (and not read), so `totp(parsed.secret, parsed)` works.
 */
const URI_FIELDS = ['type', 'secret', 'issuer', 'account', 'counter', 'image', 'warnings'];

/** @internal The options of each public function, as sums of the bits of their names. */
export const OPTIONS = {
  prepareKey: 1,
  hotp: 1 | 2,
  totp: 1 | 2 | 4 | 8 | 16,
  verifyHotp: 1 | 2 | 32 | 64,
  verifyTotp: 1 | 2 | 4 | 8 | 16 | 32 | 64,
  generateSecret: 128,
} as const;

/**
 * @internal
 * Refuses an options argument that is not an object, and any option name
 * the function does not read: a misspelt `widnow` or an otplib-style
 * `epochTolerance` would otherwise be ignored and the default used. Property
 * names are interned strings, so looking one up among eight costs a few
 * nanoseconds.
 */
export function checkOptions(options: unknown, allowed: number, fn: string): void {
  if (options === undefined) return;
  // A Date here was meant as `now`, and has no option names to refuse.
  if (typeof options !== 'object' || options === null || options instanceof Date) fail(`${fn}: options must be an object`);
  // `for…in` sees what `options.name` reads: own and inherited enumerable names.
  for (const name in options) {
    const i = NAMES.indexOf(name);
    if (i < 0 ? !URI_FIELDS.includes(name) : ((allowed >> i) & 1) === 0) {
      // The name is the caller's text: a short prefix, never a whole value pasted as a key.
      const known = NAMES.filter((_, j) => (allowed >> j) & 1).join(', ');
      fail(`${fn}: unknown option '${name.length > 32 ? `${name.slice(0, 32)}…` : name}' (it takes ${known})`);
    }
  }
}

/** @internal */
export function resolveAlgorithm(value: unknown): Algorithm {
  if (value === undefined) return DEFAULTS.algorithm;
  if (value === 'SHA1' || value === 'SHA256' || value === 'SHA512') return value;
  return fail("algorithm must be 'SHA1', 'SHA256' or 'SHA512'");
}

/** @internal */
export function resolveDigits(value: unknown): number {
  if (value === undefined) return DEFAULTS.digits;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 6 && value <= 10) return value;
  return fail('digits must be an integer from 6 to 10');
}

/** @internal */
export function resolveCounter(value: unknown, name = 'counter'): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_COUNTER) return value;
  return fail(`${name} must be an integer from 0 to 2^53 - 1`);
}

/** @internal The resolved time parameters of a TOTP. */
export interface TimeParams {
  readonly period: number;
  readonly epoch: number;
  readonly nowMs: number;
}

/** @internal */
export function resolveTime(options: TotpOptions | undefined): TimeParams {
  // `=== undefined`, not `??`: a null is a mistake to report, as it is for digits.
  const period = options?.period === undefined ? DEFAULTS.period : options.period;
  if (typeof period !== 'number' || !Number.isSafeInteger(period) || period < 1) {
    fail('period must be a positive integer number of seconds');
  }
  const epoch = options?.epoch === undefined ? DEFAULTS.epoch : options.epoch;
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || Math.abs(epoch) > MAX_DATE_MS / 1000) {
    fail('epoch must be an integer number of seconds within the range of Date');
  }
  const now = options?.now;
  const nowMs = now === undefined ? Date.now() : now instanceof Date ? now.getTime() : now;
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs) || Math.abs(nowMs) > MAX_DATE_MS) {
    fail('now must be a number of milliseconds or a valid Date, within the range of Date');
  }
  // otplib and speakeasy take seconds: `now: 59` would silently be 1970's first
  // minute. No clock reads before March 1973, so a smaller number is refused;
  // a Date states its unit and may hold any time.
  if (typeof now === 'number' && now < MIN_NOW_MS) {
    fail('now looks like seconds: it must be milliseconds since 1970 (10^11 or more) or a Date');
  }
  // stepAt divides exactly only below 2^53; beyond that a far `now` wrapped to step 0's code.
  if (Math.abs(Math.floor(nowMs) - epoch * 1000) > MAX_COUNTER) fail('now is too far from epoch');
  return { period, epoch, nowMs };
}

/**
 * The time step at `nowMs` (RFC 6238 §4.2), or a negative number before T0.
 * @internal
 */
export function stepAt({ period, epoch, nowMs }: TimeParams): number {
  // Work in whole milliseconds so periods that do not divide 1000 stay exact.
  return Math.floor((Math.floor(nowMs) - epoch * 1000) / (period * 1000));
}

/** @internal The resolved window: how many steps back and ahead. */
export interface WindowSpan {
  readonly past: number;
  readonly future: number;
}

function side(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_WINDOW) return value;
  return fail(`${name} must be an integer from 0 to ${MAX_WINDOW}`);
}

/** @internal */
export function resolveWindow(value: Window | undefined, fallback: number, lookAheadOnly: boolean): WindowSpan {
  if (value === undefined || typeof value === 'number') {
    const n = side(value, 'window', fallback);
    return { past: lookAheadOnly ? 0 : n, future: n };
  }
  if (typeof value !== 'object' || value === null) return fail('window must be a number or { past, future }');
  for (const name in value) {
    if (name !== 'past' && name !== 'future') fail(`window: unknown option '${name.slice(0, 32)}' (it takes past, future)`);
  }
  return { past: side(value.past, 'window.past', 0), future: side(value.future, 'window.future', 0) };
}

/** @internal */
export function resolveAfterStep(value: unknown): number {
  if (value === undefined) return -1;
  if (typeof value === 'number' && Number.isInteger(value) && value >= -1 && value <= MAX_COUNTER) return value;
  return fail('afterStep must be an integer from -1 to 2^53 - 1');
}

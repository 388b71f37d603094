import { OtpError } from '../errors.js';
import type { CounterMac } from '../internal/mac.js';
import { checkOptions, DEFAULTS, OPTIONS, resolveAfterStep, resolveCounter, resolveDigits, resolveWindow, type CodeOptions, type VerifyHotpOptions } from './options.js';
import { macFor, type Secret } from './secret.js';

/**
 * What a successful verification tells: the step (HOTP: the counter) the
 * code belongs to, and how far it is from the expected one. Store `step` as
 * the replay floor (`afterStep`) for the next verification.
 *
 * @example
 * ```ts
 * import { verifyHotp, type Match } from 'otpgate';
 * const match: Match | null = verifyHotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '338314', 0, { window: 5 });
 * // { delta: 4, step: 4 }: the next expected counter is match.step + 1
 * ```
 */
export interface Match {
  /** `step` minus the expected step: negative for an older code, positive for a newer one. */
  readonly delta: number;
  /** The time step (TOTP) or counter (HOTP) of the code. */
  readonly step: number;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];
const TWO_32 = 2 ** 32;

/** RFC 4226 §5.3 dynamic truncation of an HMAC digest to a 31-bit number. */
function truncate(digest: Uint8Array): number {
  const offset = digest[digest.length - 1]! & 0x0f;
  return (
    ((digest[offset]! & 0x7f) << 24) |
    (digest[offset + 1]! << 16) |
    (digest[offset + 2]! << 8) |
    digest[offset + 3]!
  );
}

/** @internal The code of one step as a number below 10^digits. */
export function codeAt(mac: CounterMac, step: number, digits: number): number {
  return truncate(mac(Math.floor(step / TWO_32), step >>> 0)) % POW10[digits]!;
}

/** @internal Left-pads a code number to `digits` characters. */
export function formatCode(value: number, digits: number): string {
  return value.toString().padStart(digits, '0');
}

/**
 * A code typed by a person: spaces anywhere are ignored; anything else that
 * is not exactly `digits` decimal digits can never match (-1).
 */
function parseCode(code: unknown, digits: number): number {
  // A number has lost its leading zeros (and 012345 is an octal literal):
  // refused, as every other argument of the wrong type is.
  if (typeof code !== 'string') throw new OtpError('ERR_OPTIONS', 'code must be a string');
  // The common case, exactly the digits, needs no search for spaces.
  const text = code.length === digits || !/\s/.test(code) ? code : code.replace(/\s+/g, '');
  if (text.length !== digits) return -1;
  let value = 0;
  for (let i = 0; i < digits; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

/**
 * @internal
 * Checks `code` against every step from `expected - past` to
 * `expected + future` that is above `afterStep`. Every candidate is computed
 * and compared; there is no early exit, so the time taken does not depend
 * on where (or whether) the code matched. Candidates are compared as
 * fixed-width numbers. Among several matches the one nearest to `expected`
 * wins, the older on a tie.
 */
export function findStep(
  mac: CounterMac,
  code: unknown,
  digits: number,
  expected: number,
  past: number,
  future: number,
  afterStep: number,
): Match | null {
  const given = parseCode(code, digits);
  if (given < 0) return null;
  const first = Math.max(expected - past, afterStep + 1, 0);
  const last = Math.min(expected + future, Number.MAX_SAFE_INTEGER);
  let best = -1;
  for (let step = first; step <= last; step++) {
    const hit = codeAt(mac, step, digits) === given;
    if (hit && (best < 0 || Math.abs(step - expected) < Math.abs(best - expected))) best = step;
  }
  return best < 0 ? null : { delta: best - expected, step: best };
}

/**
 * Computes the HOTP code of one counter value (RFC 4226).
 *
 * @param secret - base32 text, key bytes, or a {@link prepareKey | prepared key}
 * @param counter - an integer from 0 to 2^53 - 1
 * @param options - `algorithm` (default `'SHA1'`), `digits` (default 6)
 * @returns the code, left-padded with zeros to `digits`
 * @throws {@link OtpError} `ERR_OPTIONS` for a bad counter, a bad or unknown option or a secret of the wrong type, `ERR_BASE32` for a bad secret
 *
 * @example
 * ```ts
 * import { hotp } from 'otpgate';
 * // RFC 4226 Appendix D, counter 0
 * hotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 0); // '755224'
 * ```
 */
export function hotp(secret: Secret, counter: number, options?: CodeOptions): string {
  checkOptions(options, OPTIONS.hotp, 'hotp');
  const digits = resolveDigits(options?.digits);
  const step = resolveCounter(counter);
  return formatCode(codeAt(macFor(secret, options?.algorithm), step, digits), digits);
}

/**
 * Verifies an HOTP code (RFC 4226). The window looks ahead only (§7.4
 * resynchronisation): with `window: 10`, counters `counter` to
 * `counter + 10` are tried. Spaces in the code are ignored; a code of the
 * wrong length or with other characters does not match.
 *
 * @param secret - base32 text, key bytes, or a {@link prepareKey | prepared key}
 * @param code - the code as typed, a string
 * @param counter - the next expected counter
 * @param options - `algorithm`, `digits`, `window` (default 0), `afterStep`
 * @returns `{ delta, step }` where `step` is the matching counter (store `step + 1`
 *   as the next expected counter), or `null`
 * @throws {@link OtpError} `ERR_OPTIONS` for a bad counter, a bad or unknown option, a code that is not a string or a
 *   secret of the wrong type, `ERR_BASE32` for a bad secret
 *
 * @example
 * ```ts
 * import { verifyHotp } from 'otpgate';
 * verifyHotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '287082', 0, { window: 2 }); // { delta: 1, step: 1 }
 * ```
 */
export function verifyHotp(secret: Secret, code: string, counter: number, options?: VerifyHotpOptions): Match | null {
  checkOptions(options, OPTIONS.verifyHotp, 'verifyHotp');
  const digits = resolveDigits(options?.digits);
  const expected = resolveCounter(counter);
  const { past, future } = resolveWindow(options?.window, DEFAULTS.hotpWindow, true);
  const afterStep = resolveAfterStep(options?.afterStep);
  return findStep(macFor(secret, options?.algorithm), code, digits, expected, past, future, afterStep);
}

import { OtpError } from '../errors.js';
import { codeAt, findStep, formatCode, type Match } from './hotp.js';
import { checkOptions, DEFAULTS, OPTIONS, resolveAfterStep, resolveDigits, resolveTime, resolveWindow, stepAt, type TotpOptions, type VerifyTotpOptions } from './options.js';
import { macFor, type Secret } from './secret.js';

/**
 * Computes the TOTP code at a time (RFC 6238): the HOTP code of the time
 * step `floor((now / 1000 - epoch) / period)`. Steps beyond 2^32 (the year
 * 2106 at 30 s, far sooner with short periods) are exact.
 *
 * @param secret - base32 text, key bytes, or a {@link prepareKey | prepared key}
 * @param options - `algorithm` (default `'SHA1'`), `digits` (6), `period` (30 s), `epoch` (0), `now` (`Date.now()`)
 * @returns the code, left-padded with zeros to `digits`
 * @throws {@link OtpError} `ERR_OPTIONS` for a bad or unknown option, `now` in seconds (a number below 10^11), a time before `epoch`
 *   or a secret of the wrong type, `ERR_BASE32` for a bad secret
 *
 * @example
 * ```ts
 * import { totp } from 'otpgate';
 * // RFC 6238 Appendix B, T = 59 s, 8 digits
 * totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', { now: new Date(59_000), digits: 8 }); // '94287082'
 * ```
 */
export function totp(secret: Secret, options?: TotpOptions): string {
  checkOptions(options, OPTIONS.totp, 'totp');
  const digits = resolveDigits(options?.digits);
  const step = stepAt(resolveTime(options));
  if (step < 0) throw new OtpError('ERR_OPTIONS', 'now must not be before epoch');
  return formatCode(codeAt(macFor(secret, options?.algorithm), step, digits), digits);
}

/**
 * Verifies a TOTP code (RFC 6238) within a window of steps around `now`
 * (default ±1, the one step of network delay RFC 6238 §5.2 recommends).
 * Pass the `step` of the last accepted code as `afterStep` so that code,
 * and every older one, is refused: a code is then accepted at most once.
 * Spaces in the code are ignored; a code of the wrong length or with other
 * characters does not match.
 *
 * @param secret - base32 text, key bytes, or a {@link prepareKey | prepared key}
 * @param code - the code as typed, a string
 * @param options - the {@link totp} options, plus `window` and `afterStep`
 * @returns `{ delta, step }` of the matching step, or `null`
 * @throws {@link OtpError} `ERR_OPTIONS` for a bad or unknown option, `now` in seconds (a number below 10^11), a code that
 *   is not a string or a secret of the wrong type, `ERR_BASE32` for a bad secret
 *
 * @example
 * ```ts
 * import { totp, verifyTotp } from 'otpgate';
 * const secret = 'JBSWY3DPEHPK3PXP';
 * const match = verifyTotp(secret, totp(secret)); // { delta: 0, step: 59_000_000 } or so
 * verifyTotp(secret, totp(secret), { afterStep: match!.step }); // null: already used
 * ```
 */
export function verifyTotp(secret: Secret, code: string, options?: VerifyTotpOptions): Match | null {
  checkOptions(options, OPTIONS.verifyTotp, 'verifyTotp');
  const digits = resolveDigits(options?.digits);
  const expected = stepAt(resolveTime(options));
  const { past, future } = resolveWindow(options?.window, DEFAULTS.totpWindow, false);
  const afterStep = resolveAfterStep(options?.afterStep);
  return findStep(macFor(secret, options?.algorithm), code, digits, expected, past, future, afterStep);
}

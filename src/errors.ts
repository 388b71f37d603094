/**
 * The stable error codes of otpgate. The union is closed: a `switch` over
 * `error.code` can be exhaustive, and a code is never renamed once published.
 *
 * @example
 * ```ts
 * import { base32Decode, isOtpError } from 'otpgate';
 * try {
 *   base32Decode('not base32!');
 * } catch (error) {
 *   if (isOtpError(error) && error.code === 'ERR_BASE32') console.log('bad key');
 * }
 * ```
 */
export type OtpErrorCode =
  /** Text that is not base32 (RFC 4648 §6) where a base32 key was expected. */
  | 'ERR_BASE32'
  /** An option out of range or of the wrong type. */
  | 'ERR_OPTIONS'
  /** An `otpauth://` URI that cannot be built or parsed. */
  | 'ERR_URI'
  /** An `otpauth-migration://` URI that cannot be built or parsed. */
  | 'ERR_MIGRATION'
  /** A QR code that cannot be drawn (for example: the text is too long). */
  | 'ERR_QR'
  /** `postpone` when no postpone is left. */
  | 'ERR_POSTPONE_LIMIT'
  /** `postpone` where postponing is not allowed (2-step not required, or after a reset). */
  | 'ERR_POSTPONE_NOT_ALLOWED'
  /** An administrator action by someone who does not administer that user. */
  | 'ERR_NOT_ADMIN'
  /** A transition that is not legal from the user's current state. */
  | 'ERR_STATE'
  /** `disable` where 2-step verification is required. */
  | 'ERR_REQUIRED'
  /** An action that needs an enrollment the user does not have. */
  | 'ERR_NOT_ENROLLED'
  /** A reset request sent again within its cool-down. */
  | 'ERR_COOLDOWN'
  /** A state change that kept losing the compare-and-set race. */
  | 'ERR_CONFLICT'
  /** The store (database) failed. */
  | 'ERR_STORE'
  /** The notifier failed; the state change it reports was stored. */
  | 'ERR_NOTIFY'
  /** The directory (who administers whom) failed or answered nonsense. */
  | 'ERR_DIRECTORY'
  /** A secret could not be encrypted or decrypted (wrong key, tampering). */
  | 'ERR_CIPHER'
  /** A command line that cannot be understood. */
  | 'ERR_USAGE'
  /** A sensitive action (turning 2-step off, adding or removing an authenticator, new recovery codes) called without a fresh code. */
  | 'ERR_REAUTH_REQUIRED'
  /** The code given to re-authenticate was wrong, used already, or the user is locked (the failure was counted). */
  | 'ERR_REAUTH_FAILED'
  /** No authenticator (or other item) with that id. */
  | 'ERR_NOT_FOUND'
  /** The user has as many authenticators as the policy allows. */
  | 'ERR_LIMIT';

/**
 * The one error class of otpgate. Every failure caused by input, options,
 * state or a backend is an `OtpError` with a stable {@link OtpErrorCode}.
 * Messages name the field and the rule broken, never the value of a secret,
 * a one-time code or a recovery code.
 *
 * Prefer {@link isOtpError} to `instanceof`: the ESM and CommonJS builds each
 * hold their own copy of this class.
 *
 * @example
 * ```ts
 * import { OtpError } from 'otpgate';
 * const error = new OtpError('ERR_OPTIONS', 'digits must be an integer from 6 to 10');
 * console.log(error.code); // 'ERR_OPTIONS'
 * ```
 */
export class OtpError extends Error {
  /** The stable code; match on this, not on the message. */
  readonly code: OtpErrorCode;

  /**
   * @param code - the stable error code
   * @param message - a human-readable description that contains no secret
   * @param options - `cause`: the underlying error, if any
   */
  constructor(code: OtpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  /** Always `'OtpError'`, also after minification: {@link isOtpError} checks it. */
  override get name(): 'OtpError' {
    return 'OtpError';
  }
}

const CODES: ReadonlySet<string> = new Set<OtpErrorCode>([
  'ERR_BASE32', 'ERR_OPTIONS', 'ERR_URI', 'ERR_MIGRATION', 'ERR_QR', 'ERR_POSTPONE_LIMIT',
  'ERR_POSTPONE_NOT_ALLOWED', 'ERR_NOT_ADMIN', 'ERR_STATE', 'ERR_REQUIRED', 'ERR_NOT_ENROLLED',
  'ERR_COOLDOWN', 'ERR_CONFLICT', 'ERR_STORE', 'ERR_NOTIFY', 'ERR_DIRECTORY', 'ERR_CIPHER', 'ERR_USAGE',
  'ERR_REAUTH_REQUIRED', 'ERR_REAUTH_FAILED', 'ERR_NOT_FOUND', 'ERR_LIMIT',
]);

/**
 * Tells whether `value` is an {@link OtpError}, also when it was thrown by
 * another copy of otpgate (the CommonJS build, a second bundle), where
 * `instanceof` answers `false`.
 *
 * @param value - anything caught
 * @returns `true` for an `Error` named `OtpError` with a known code
 *
 * @example
 * ```ts
 * import { isOtpError, verifyTotp } from 'otpgate';
 * try {
 *   verifyTotp('JBSWY3DPEHPK3PXP', '123456', { digits: 5 });
 * } catch (error) {
 *   if (isOtpError(error)) console.log(error.code); // 'ERR_OPTIONS'
 * }
 * ```
 */
export function isOtpError(value: unknown): value is OtpError {
  if (value instanceof OtpError) return true;
  // Structural, like ky's guard: another realm's Error fails `instanceof Error` too.
  if (typeof value !== 'object' || value === null) return false;
  const { name, code, message } = value as { name?: unknown; code?: unknown; message?: unknown };
  return name === 'OtpError' && typeof message === 'string' && typeof code === 'string' && CODES.has(code);
}

/**
 * Optional encryption of TOTP secrets at rest. The gate wraps a secret before
 * it reaches the store and unwraps it only to verify a code. `context` is the
 * user id: bind it as associated data so a secret copied into another user's
 * record does not decrypt.
 *
 * @example
 * ```ts
 * import type { SecretCipher } from 'otpgate';
 * const identity: SecretCipher = {
 *   async encrypt(plain) { return plain; }, // never do this in production
 *   async decrypt(wrapped) { return wrapped; },
 * };
 * ```
 */
export interface SecretCipher {
  /** Wraps `plain` (a base32 secret) for storage; the result is a string. */
  encrypt(plain: string, context: string): Promise<string>;
  /** Unwraps what `encrypt` produced for the same `context`; rejects with `ERR_CIPHER` on tampering. */
  decrypt(wrapped: string, context: string): Promise<string>;
  /**
   * Whether a wrapped secret should be wrapped again (it was wrapped under a
   * key that is no longer the current one): the gate then re-wraps it on the
   * user's next write, and `rewrapSecrets` does it for every user.
   * @defaultValue absent: never
   */
  needsRewrap?(wrapped: string): boolean;
}

import { OtpError } from '../errors.js';
import { isBytes, randomBytes } from '../internal/bytes.js';
import { createCounterMac, useKeyOnce, type CounterMac } from '../internal/mac.js';
import { base32Decode, base32Encode } from './base32.js';
import { checkOptions, OPTIONS, resolveAlgorithm, type Algorithm } from './options.js';

/**
 * Options of {@link generateSecret}.
 *
 * @example
 * ```ts
 * import { generateSecret, type SecretOptions } from 'otpgate';
 * const options: SecretOptions = { bytes: 32 };
 * generateSecret(options);
 * ```
 */
export interface SecretOptions {
  /** The key length in bytes, 16 to 1024 (RFC 4226 §4 asks for at least 128 bits). @defaultValue `20` (160 bits) */
  readonly bytes?: number | undefined;
}

/**
 * Draws a new secret from the platform CSPRNG (`globalThis.crypto`).
 *
 * @param options - `bytes`: the key length
 * @returns the secret as canonical base32 (upper case, no padding): 32 characters by default
 * @throws {@link OtpError} `ERR_OPTIONS` when `bytes` is not an integer from 16 to 1024, or for an unknown option
 *
 * @example
 * ```ts
 * import { generateSecret } from 'otpgate';
 * const secret = generateSecret(); // e.g. 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
 * ```
 */
export function generateSecret(options?: SecretOptions): string {
  checkOptions(options, OPTIONS.generateSecret, 'generateSecret');
  const bytes = options?.bytes === undefined ? 20 : options.bytes;
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 16 || bytes > 1024) {
    throw new OtpError('ERR_OPTIONS', 'bytes must be an integer from 16 to 1024 (at least 128 bits)');
  }
  return base32Encode(randomBytes(bytes));
}

const PREPARED: unique symbol = Symbol('otpgate.prepared');

/**
 * A secret whose HMAC key state was computed once by {@link prepareKey}.
 * Pass it wherever a secret is taken to verify many codes for one key at
 * the cost of the codes alone.
 *
 * @example
 * ```ts
 * import { prepareKey, type PreparedKey } from 'otpgate';
 * const key: PreparedKey = prepareKey('JBSWY3DPEHPK3PXP');
 * console.log(key.algorithm); // 'SHA1'
 * ```
 */
export interface PreparedKey {
  /** The hash the key was prepared for. */
  readonly algorithm: Algorithm;
  /** @internal */
  readonly [PREPARED]: CounterMac;
}

/**
 * A secret: base32 text (as in an `otpauth://` URI), the raw key bytes, or a
 * {@link PreparedKey}.
 *
 * @example
 * ```ts
 * import { totp, type Secret } from 'otpgate';
 * const secret: Secret = new Uint8Array(20).fill(0x31);
 * totp(secret);
 * ```
 */
export type Secret = string | Uint8Array | PreparedKey;

/**
 * Decodes a secret and computes its HMAC key state once. Verifying with the
 * result skips both steps on every call: the fast path for a server that
 * checks many codes against one key, or a benchmark.
 *
 * @param secret - base32 text or key bytes
 * @param options - `algorithm`: the HMAC hash (default `'SHA1'`)
 * @returns a key to pass as the secret of {@link hotp}, {@link totp}, {@link verifyHotp} and {@link verifyTotp}
 * @throws {@link OtpError} `ERR_BASE32` for text that is not base32, `ERR_OPTIONS` for an empty key, a secret of the wrong
 *   type, an unknown algorithm or an unknown option
 *
 * @example
 * ```ts
 * import { prepareKey, verifyTotp } from 'otpgate';
 * const key = prepareKey('JBSWY3DPEHPK3PXP', { algorithm: 'SHA1' });
 * verifyTotp(key, '123456'); // { delta, step } or null
 * ```
 */
export function prepareKey(secret: string | Uint8Array, options?: { readonly algorithm?: Algorithm | undefined }): PreparedKey {
  checkOptions(options, OPTIONS.prepareKey, 'prepareKey');
  const algorithm = resolveAlgorithm(options?.algorithm);
  return Object.freeze({ algorithm, [PREPARED]: createCounterMac(algorithm, toKeyBytes(secret)) });
}

function toKeyBytes(secret: unknown): Uint8Array {
  // base32Decode returns a Uint8Array of its own: only other secrets need the check.
  if (typeof secret !== 'string' && !isBytes(secret)) throw new OtpError('ERR_OPTIONS', 'secret must be a base32 string, a Uint8Array or a prepared key');
  const key = typeof secret === 'string' ? base32Decode(secret) : secret;
  if (key.length === 0) throw new OtpError('ERR_OPTIONS', 'secret must not be empty');
  return key;
}

/**
 * @internal The counter MAC for a secret and the algorithm asked for. For a
 * secret that is not a prepared key it holds until the next call for the
 * same algorithm (see useKeyOnce).
 */
export function macFor(secret: Secret, algorithm: unknown): CounterMac {
  if (typeof secret === 'object' && secret !== null && PREPARED in secret) {
    if (algorithm !== undefined && resolveAlgorithm(algorithm) !== secret.algorithm) {
      throw new OtpError('ERR_OPTIONS', 'algorithm differs from the one the key was prepared for');
    }
    const mac = secret[PREPARED];
    // Only prepareKey makes one; a copy of the symbol onto something else is not a key.
    if (typeof mac !== 'function') throw new OtpError('ERR_OPTIONS', 'secret must be a base32 string, a Uint8Array or a prepared key');
    return mac;
  }
  // Used for this call only (hotp, totp and the verifiers compute their codes
  // right away): the key states go into shared buffers, nothing is allocated.
  return useKeyOnce(resolveAlgorithm(algorithm), toKeyBytes(secret));
}

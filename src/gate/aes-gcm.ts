import { OtpError } from '../errors.js';
import { randomBytes } from '../internal/bytes.js';
import type { SecretCipher } from '../seams/cipher.js';

/**
 * Options of {@link createAesGcmCipher}.
 *
 * @example
 * ```ts
 * import type { AesGcmCipherOptions } from 'otpgate';
 * const options: AesGcmCipherOptions = { key: crypto.getRandomValues(new Uint8Array(32)) };
 * ```
 */
export interface AesGcmCipherOptions {
  /** The 256-bit key: 32 bytes from a CSPRNG, kept outside the database (a secret manager, an environment variable). */
  readonly key: Uint8Array;
}

const PREFIX = 'v1.';
const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A {@link SecretCipher} that encrypts secrets at rest with AES-256-GCM on
 * WebCrypto (`crypto.subtle`, in Node 20+, browsers, Deno, Bun and workers).
 * Each secret gets a random 96-bit IV; the user id is bound as additional
 * authenticated data, so a secret copied into another user's record does not
 * decrypt. The output is `v1.<iv>.<ciphertext+tag>` in base64url: the
 * version prefix leaves room for key rotation later.
 *
 * @param options - `key`: 32 bytes
 * @returns the cipher; the key is imported on first use (non-extractable)
 * @throws {@link OtpError} `ERR_OPTIONS` unless `key` is 32 bytes; the cipher's
 *   methods reject with `ERR_CIPHER` on a wrong key, tampering or another user's secret
 *
 * @example
 * ```ts
 * import { createAesGcmCipher } from 'otpgate';
 * const cipher = createAesGcmCipher({ key: crypto.getRandomValues(new Uint8Array(32)) });
 * const wrapped = await cipher.encrypt('JBSWY3DPEHPK3PXP', 'alice'); // 'v1.…'
 * await cipher.decrypt(wrapped, 'alice'); // 'JBSWY3DPEHPK3PXP'
 * await cipher.decrypt(wrapped, 'mallory'); // rejects: ERR_CIPHER
 * ```
 */
export function createAesGcmCipher(options: AesGcmCipherOptions): SecretCipher {
  const raw = options?.key;
  if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new OtpError('ERR_OPTIONS', 'key must be a Uint8Array of 32 bytes (AES-256)');
  const keyBytes = raw.slice();
  let imported: Promise<CryptoKey> | undefined;
  const key = (): Promise<CryptoKey> => {
    imported ??= globalThis.crypto.subtle.importKey('raw', keyBytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return imported;
  };

  return {
    async encrypt(plain, context) {
      try {
        const iv = randomBytes(IV_BYTES);
        const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context), tagLength: 128 };
        const sealed = new Uint8Array(await globalThis.crypto.subtle.encrypt(params, await key(), encoder.encode(plain)));
        return `${PREFIX}${toBase64Url(iv)}.${toBase64Url(sealed)}`;
      } catch (cause) {
        throw new OtpError('ERR_CIPHER', 'the secret could not be encrypted', { cause });
      }
    },

    async decrypt(wrapped, context) {
      const parts = typeof wrapped === 'string' && wrapped.startsWith(PREFIX) ? wrapped.slice(PREFIX.length).split('.') : [];
      const [iv, sealed] = parts.length === 2 ? parts.map(fromBase64Url) : [];
      if (!iv || !sealed || iv.length !== IV_BYTES || sealed.length < 16) {
        throw new OtpError('ERR_CIPHER', 'the encrypted secret is not in the v1 AES-GCM format');
      }
      try {
        const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context), tagLength: 128 };
        return decoder.decode(await globalThis.crypto.subtle.decrypt(params, await key(), sealed));
      } catch (cause) {
        throw new OtpError('ERR_CIPHER', 'the secret could not be decrypted: wrong key, tampered, or another user\'s', { cause });
      }
    },
  };
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

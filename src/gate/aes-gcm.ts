import { OtpError } from '../errors.js';
import { randomBytes } from '../internal/bytes.js';
import type { SecretCipher } from '../seams/cipher.js';

/**
 * Options of {@link createAesGcmCipher}: one key, or several with the one new
 * secrets are wrapped under (key rotation).
 *
 * @example
 * ```ts
 * import type { AesGcmCipherOptions } from 'otpgate';
 * const one: AesGcmCipherOptions = { key: crypto.getRandomValues(new Uint8Array(32)) };
 * const rotating: AesGcmCipherOptions = {
 *   keys: { '2025': crypto.getRandomValues(new Uint8Array(32)), '2026': crypto.getRandomValues(new Uint8Array(32)) },
 *   current: '2026',
 * };
 * ```
 */
export type AesGcmCipherOptions =
  | {
      /** The 256-bit key: 32 bytes from a CSPRNG, kept outside the database (a secret manager, an environment variable). */
      readonly key: Uint8Array;
    }
  | {
      /** Every key that may have wrapped a stored secret, by id (1 to 32 letters, digits, `_` or `-`): 32 bytes each. */
      readonly keys: { readonly [id: string]: Uint8Array };
      /** The id of the key new secrets are wrapped under; the others only decrypt. */
      readonly current: string;
    };

const PREFIX = 'v1.';
const PREFIX_V2 = 'v2.';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A {@link SecretCipher} that encrypts secrets at rest with AES-256-GCM on
 * WebCrypto (`crypto.subtle`, in Node 20+, browsers, Deno, Bun and workers).
 * Each secret gets a random 96-bit IV; the user id is bound as additional
 * authenticated data, so a secret copied into another user's record does not
 * decrypt. With one `key` the output is `v1.<iv>.<ciphertext+tag>` in
 * base64url.
 *
 * **Rotation.** With `keys` and `current` the output is
 * `v2.<key id>.<iv>.<ciphertext+tag>`: any listed key decrypts what it
 * wrapped (a `v1` secret is tried against each), and the gate re-wraps every
 * secret under the current key on the user's next write (`needsRewrap`), or
 * all at once with `rewrapSecrets`. Drop an old key only once nothing is
 * wrapped under it any more.
 *
 * @param options - `key`: 32 bytes; or `keys` by id and the `current` id
 * @returns the cipher; keys are imported on first use (non-extractable)
 * @throws {@link OtpError} `ERR_OPTIONS` for a key that is not 32 bytes, a bad key id or a `current` not among `keys`;
 *   the cipher's methods reject with `ERR_CIPHER` on a wrong key, tampering or another user's secret
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
  const multi = typeof options === 'object' && options !== null && 'keys' in options;
  const ids: string[] = [];
  const keyBytes = new Map<string, Uint8Array>();
  if (multi) {
    const { keys, current } = options;
    if (typeof keys !== 'object' || keys === null) throw new OtpError('ERR_OPTIONS', 'keys must be an object of 32-byte keys by id');
    for (const [id, raw] of Object.entries(keys)) {
      if (!KEY_ID.test(id)) throw new OtpError('ERR_OPTIONS', 'a key id must be 1 to 32 letters, digits, _ or -');
      if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new OtpError('ERR_OPTIONS', 'key must be a Uint8Array of 32 bytes (AES-256)');
      ids.push(id);
      keyBytes.set(id, raw.slice());
    }
    if (typeof current !== 'string' || !keyBytes.has(current)) throw new OtpError('ERR_OPTIONS', 'current must be the id of one of keys');
  } else {
    const raw = (options as { key?: unknown } | undefined)?.key;
    if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new OtpError('ERR_OPTIONS', 'key must be a Uint8Array of 32 bytes (AES-256)');
    ids.push('');
    keyBytes.set('', raw.slice());
  }
  const current = multi ? (options as { current: string }).current : '';
  const imported = new Map<string, Promise<CryptoKey>>();
  const key = (id: string): Promise<CryptoKey> => {
    let found = imported.get(id);
    if (found === undefined) {
      found = globalThis.crypto.subtle.importKey('raw', keyBytes.get(id)! as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
      imported.set(id, found);
    }
    return found;
  };
  const open = async (id: string, iv: Uint8Array<ArrayBuffer>, sealed: Uint8Array<ArrayBuffer>, context: string): Promise<string> => {
    const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context), tagLength: 128 };
    return decoder.decode(await globalThis.crypto.subtle.decrypt(params, await key(id), sealed));
  };

  return {
    async encrypt(plain, context) {
      try {
        const iv = randomBytes(IV_BYTES);
        const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context), tagLength: 128 };
        const sealed = new Uint8Array(await globalThis.crypto.subtle.encrypt(params, await key(current), encoder.encode(plain)));
        return `${multi ? `${PREFIX_V2}${current}.` : PREFIX}${toBase64Url(iv)}.${toBase64Url(sealed)}`;
      } catch (cause) {
        throw new OtpError('ERR_CIPHER', 'the secret could not be encrypted', { cause });
      }
    },

    async decrypt(wrapped, context) {
      const v2 = multi && typeof wrapped === 'string' && wrapped.startsWith(PREFIX_V2) ? wrapped.slice(PREFIX_V2.length).split('.') : null;
      if (v2 !== null) {
        const [id, ...rest] = v2;
        const [iv, sealed] = rest.length === 2 ? rest.map(fromBase64Url) : [];
        if (id === undefined || !iv || !sealed || iv.length !== IV_BYTES || sealed.length < 16) {
          throw new OtpError('ERR_CIPHER', 'the encrypted secret is not in the v2 AES-GCM format');
        }
        if (!keyBytes.has(id)) throw new OtpError('ERR_CIPHER', `the secret was wrapped under key ${JSON.stringify(id)}, which is not among keys`);
        try {
          return await open(id, iv, sealed, context);
        } catch (cause) {
          throw new OtpError('ERR_CIPHER', 'the secret could not be decrypted: wrong key, tampered, or another user\'s', { cause });
        }
      }
      const parts = typeof wrapped === 'string' && wrapped.startsWith(PREFIX) ? wrapped.slice(PREFIX.length).split('.') : [];
      const [iv, sealed] = parts.length === 2 ? parts.map(fromBase64Url) : [];
      if (!iv || !sealed || iv.length !== IV_BYTES || sealed.length < 16) {
        throw new OtpError('ERR_CIPHER', 'the encrypted secret is not in the v1 AES-GCM format');
      }
      // A v1 secret names no key: with several, the tag tells which one wrapped it.
      let cause: unknown;
      for (const id of ids) {
        try {
          return await open(id, iv, sealed, context);
        } catch (error) {
          cause = error;
        }
      }
      throw new OtpError('ERR_CIPHER', 'the secret could not be decrypted: wrong key, tampered, or another user\'s', { cause });
    },

    needsRewrap(wrapped) {
      return multi && !(typeof wrapped === 'string' && wrapped.startsWith(`${PREFIX_V2}${current}.`));
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

// Tests written to kill mutants that survived `npm run mutation` on
// src/gate/aes-gcm.ts and src/internal/bytes.ts: the exact v1 format that
// decrypt accepts (and the message for everything else), the key handling,
// and the CSPRNG's 64 KiB chunks.
import { createCipheriv } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAesGcmCipher, isOtpError, type OtpError } from '../../src/index.js';
import { randomBytes } from '../../src/internal/bytes.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const KEY = new Uint8Array(32).fill(9);
const SECRET = 'JBSWY3DPEHPK3PXP';
const FORMAT = 'the encrypted secret is not in the v1 AES-GCM format';
const UNDECRYPTABLE = "the secret could not be decrypted: wrong key, tampered, or another user's";

async function failure(promise: Promise<unknown>): Promise<OtpError> {
  try {
    await promise;
  } catch (error) {
    if (isOtpError(error)) return error;
    throw new Error(`expected an OtpError, got ${String(error)}`);
  }
  throw new Error('expected a failure, got none');
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** A v1 token sealed by node:crypto with the same key, iv and additional data. */
function sealWithNode(plain: Uint8Array, context: string, iv = new Uint8Array(12).fill(1)): string {
  const cipher = createCipheriv('aes-256-gcm', KEY, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return `v1.${b64url(iv)}.${b64url(body)}`;
}

describe('createAesGcmCipher', () => {
  it('without options or key is ERR_OPTIONS saying what key it needs', () => {
    for (const options of [undefined, {}]) {
      expect(() => createAesGcmCipher(options as never)).toThrowError(
        expect.objectContaining({ code: 'ERR_OPTIONS', message: 'key must be a Uint8Array of 32 bytes (AES-256)' }),
      );
    }
  });

  it('copies the key: zeroing the caller\'s array afterwards changes nothing', async () => {
    const key = KEY.slice();
    const cipher = createAesGcmCipher({ key });
    key.fill(0);
    const wrapped = await cipher.encrypt(SECRET, 'alice');
    expect(await createAesGcmCipher({ key: KEY }).decrypt(wrapped, 'alice')).toBe(SECRET);
  });

  it('imports the key non-extractable, for encryption and decryption only', async () => {
    const importKey = vi.spyOn(globalThis.crypto.subtle, 'importKey');
    await createAesGcmCipher({ key: KEY }).encrypt(SECRET, 'alice');
    expect(importKey).toHaveBeenCalledTimes(1);
    expect(importKey.mock.calls[0]!.slice(2)).toEqual([{ name: 'AES-GCM' }, false, ['encrypt', 'decrypt']]);
  });

  it('an encryption that fails is ERR_CIPHER with the cause', async () => {
    const cause = new Error('no subtle crypto');
    vi.spyOn(globalThis.crypto.subtle, 'encrypt').mockRejectedValue(cause);
    expect(await failure(createAesGcmCipher({ key: KEY }).encrypt(SECRET, 'alice'))).toMatchObject({
      code: 'ERR_CIPHER',
      message: 'the secret could not be encrypted',
      cause,
    });
  });

  it('writes v1.<iv>.<sealed> in unpadded base64url, for every length of padding, and reads it back', async () => {
    const cipher = createAesGcmCipher({ key: KEY });
    for (const plain of ['', 'A', 'AB', 'ABC', 'ABCD', 'ABCDE']) {
      const wrapped = await cipher.encrypt(plain, 'alice');
      expect(wrapped).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      expect(await cipher.decrypt(wrapped, 'alice')).toBe(plain);
    }
  });

  it('reads what node:crypto seals in the same format', async () => {
    const wrapped = sealWithNode(new TextEncoder().encode(SECRET), 'alice');
    expect(await createAesGcmCipher({ key: KEY }).decrypt(wrapped, 'alice')).toBe(SECRET);
  });

  it('refuses an authentic plaintext that is not UTF-8 instead of returning replacement characters', async () => {
    const wrapped = sealWithNode(new Uint8Array([0xff, 0xfe, 0x41]), 'alice');
    expect(await failure(createAesGcmCipher({ key: KEY }).decrypt(wrapped, 'alice'))).toMatchObject({ code: 'ERR_CIPHER', message: UNDECRYPTABLE });
  });

  it('a wrong key is ERR_CIPHER with its message and the cause', async () => {
    const wrapped = await createAesGcmCipher({ key: KEY }).encrypt(SECRET, 'alice');
    const error = await failure(createAesGcmCipher({ key: new Uint8Array(32) }).decrypt(wrapped, 'alice'));
    expect(error).toMatchObject({ code: 'ERR_CIPHER', message: UNDECRYPTABLE });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses anything but exactly v1.<12-byte iv>.<at least a tag> as a format error, before trying to decrypt', async () => {
    const cipher = createAesGcmCipher({ key: KEY });
    const wrapped = sealWithNode(new TextEncoder().encode(SECRET), 'alice');
    const [, iv, sealed] = wrapped.split('.') as [string, string, string];
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    const malformed: Array<[string, unknown]> = [
      ['not a string', 42],
      ['another version', `v2.${iv}.${sealed}`],
      ['no prefix', `${iv}.${sealed}`],
      ['a third part', `${wrapped}.AAAA`],
      ['one part', `v1.${iv}`],
      ['an 8-byte iv', `v1.${b64url(new Uint8Array(8))}.${sealed}`],
      ['a standard-base64 character in the iv', `v1.${'+'}${iv.slice(1)}.${sealed}`],
      ['a space in the sealed part', `v1.${iv}.${sealed.slice(0, 4)} ${sealed.slice(5)}`],
      ['an iv of impossible length', `v1.AAAAA.${sealed}`],
      ['a sealed part shorter than the tag', `v1.${iv}.${b64url(new Uint8Array(15))}`],
    ];
    for (const [what, token] of malformed) {
      const error = await failure(cipher.decrypt(token as string, 'alice'));
      expect({ what, code: error.code, message: error.message }).toEqual({ what, code: 'ERR_CIPHER', message: FORMAT });
    }
    expect(decrypt).not.toHaveBeenCalled();
  });
});

describe('randomBytes', () => {
  it('fills past 64 KiB in chunks getRandomValues accepts, with no empty call at a chunk boundary', () => {
    const fill = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const bytes = randomBytes(2 * 65536);
    expect(fill.mock.calls.map(([array]) => (array as Uint8Array).length)).toEqual([65536, 65536]);
    fill.mockClear();
    const odd = randomBytes(65536 + 5);
    expect(fill.mock.calls.map(([array]) => (array as Uint8Array).length)).toEqual([65536, 5]);
    // Both chunks were written (all-zero 64 KiB from a CSPRNG has probability 2^-524288).
    expect(bytes.subarray(65536).some((b) => b !== 0)).toBe(true);
    expect(odd.subarray(65536).some((b) => b !== 0)).toBe(true);
  });
});

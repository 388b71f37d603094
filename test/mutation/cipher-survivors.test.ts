// Tests written to kill mutants that survived `npm run mutation` on
// src/gate/aes-gcm.ts and src/internal/bytes.ts: the exact v1 format that
// decrypt accepts (and the message for everything else), the key handling,
// and the CSPRNG's 64 KiB chunks.
import { createCipheriv } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAesGcmCipher } from '../../src/index.js';
import { randomBytes } from '../../src/internal/bytes.js';
import { b64url, CIPHER_KEY as KEY, failure, OTHER_CIPHER_KEY as OTHER, PLAIN_SECRET as SECRET, sealV1 } from './rig.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const FORMAT = 'the encrypted secret is not in the v1 AES-GCM format';
const UNDECRYPTABLE = "the secret could not be decrypted: wrong key, tampered, or another user's";

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
    const wrapped = sealV1(new TextEncoder().encode(SECRET), 'alice');
    expect(await createAesGcmCipher({ key: KEY }).decrypt(wrapped, 'alice')).toBe(SECRET);
  });

  it('refuses an authentic plaintext that is not UTF-8 instead of returning replacement characters', async () => {
    const wrapped = sealV1(new Uint8Array([0xff, 0xfe, 0x41]), 'alice');
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
    const wrapped = sealV1(new TextEncoder().encode(SECRET), 'alice');
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

const V2_FORMAT = 'the encrypted secret is not in the v2 AES-GCM format';

/** A v2 token sealed by node:crypto under `key`, named `id`. */
function sealV2(id: string, key: Uint8Array, plain: string, context: string, iv = new Uint8Array(12).fill(2)): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(Buffer.from(plain)), cipher.final(), cipher.getAuthTag()]);
  return `v2.${id}.${b64url(iv)}.${b64url(body)}`;
}

describe('createAesGcmCipher with several keys (rotation)', () => {
  const rotating = () => createAesGcmCipher({ keys: { old: KEY, new: OTHER }, current: 'new' });

  it.each<[string, unknown, string]>([
    ['keys that are not an object', { keys: 'k', current: 'a' }, 'keys must be an object of 32-byte keys by id'],
    ['keys that are null', { keys: null, current: 'a' }, 'keys must be an object of 32-byte keys by id'],
    ['an empty key id', { keys: { '': KEY }, current: '' }, 'a key id must be 1 to 32 letters, digits, _ or -'],
    ['a key id with a dot', { keys: { 'a.b': KEY }, current: 'a.b' }, 'a key id must be 1 to 32 letters, digits, _ or -'],
    ['a key id of 33 characters', { keys: { ['k'.repeat(33)]: KEY }, current: 'k'.repeat(33) }, 'a key id must be 1 to 32 letters, digits, _ or -'],
    ['a key id with a space before it', { keys: { ' k': KEY }, current: ' k' }, 'a key id must be 1 to 32 letters, digits, _ or -'],
    ['a key id with a letter outside ASCII', { keys: { 'clé': KEY }, current: 'clé' }, 'a key id must be 1 to 32 letters, digits, _ or -'],
    ['a key of 31 bytes', { keys: { a: new Uint8Array(31) }, current: 'a' }, 'key must be a Uint8Array of 32 bytes (AES-256)'],
    ['a key that is a plain array', { keys: { a: Array.from(KEY) }, current: 'a' }, 'key must be a Uint8Array of 32 bytes (AES-256)'],
    ['no current', { keys: { a: KEY } }, 'current must be the id of one of keys'],
    ['a current that is not a string', { keys: { a: KEY }, current: 1 }, 'current must be the id of one of keys'],
    ['a current not among keys', { keys: { a: KEY }, current: 'b' }, 'current must be the id of one of keys'],
    ['a current that only an object has', { keys: { a: KEY }, current: 'toString' }, 'current must be the id of one of keys'],
  ])('refuses %s', (_, options, message) => {
    expect(() => createAesGcmCipher(options as never)).toThrowError(expect.objectContaining({ code: 'ERR_OPTIONS', message }));
  });

  it('takes ids of 32 letters, digits, _ and -', async () => {
    const id = 'Az09_-'.padEnd(32, 'x');
    const cipher = createAesGcmCipher({ keys: { [id]: KEY }, current: id });
    const wrapped = await cipher.encrypt(SECRET, 'alice');
    expect(wrapped.startsWith(`v2.${id}.`)).toBe(true);
    expect(await cipher.decrypt(wrapped, 'alice')).toBe(SECRET);
  });

  it('writes v2.<current id>.<iv>.<sealed>, which node:crypto opens with that key', async () => {
    const wrapped = await rotating().encrypt(SECRET, 'alice');
    expect(wrapped).toMatch(/^v2\.new\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    const [, , iv, sealed] = wrapped.split('.') as [string, string, string, string];
    expect(sealV2('new', OTHER, SECRET, 'alice', new Uint8Array(Buffer.from(iv, 'base64url')))).toBe(wrapped);
    expect(sealed).toHaveLength(43);
  });

  it('opens a v2 secret under any listed key, and copies every key at creation', async () => {
    const old = KEY.slice();
    const cipher = createAesGcmCipher({ keys: { old, new: OTHER }, current: 'new' });
    old.fill(0);
    expect(await cipher.decrypt(sealV2('old', KEY, SECRET, 'alice'), 'alice')).toBe(SECRET);
    expect(await cipher.decrypt(sealV2('new', OTHER, SECRET, 'alice'), 'alice')).toBe(SECRET);
  });

  it('a v2 secret under a key not listed, under the wrong key, or of another user is ERR_CIPHER saying which', async () => {
    const cipher = rotating();
    expect(await failure(cipher.decrypt(sealV2('gone', KEY, SECRET, 'alice'), 'alice'))).toMatchObject({
      code: 'ERR_CIPHER',
      message: 'the secret was wrapped under key "gone", which is not among keys',
    });
    const wrongKey = await failure(cipher.decrypt(sealV2('old', OTHER, SECRET, 'alice'), 'alice'));
    expect(wrongKey).toMatchObject({ code: 'ERR_CIPHER', message: UNDECRYPTABLE });
    expect(wrongKey.cause).toBeInstanceOf(Error);
    expect(await failure(cipher.decrypt(sealV2('old', KEY, SECRET, 'alice'), 'bob'))).toMatchObject({ code: 'ERR_CIPHER', message: UNDECRYPTABLE });
  });

  it('refuses a v2 secret of the wrong shape as a format error, before trying to decrypt', async () => {
    const cipher = rotating();
    const wrapped = sealV2('old', KEY, SECRET, 'alice');
    const [, id, iv, sealed] = wrapped.split('.') as [string, string, string, string];
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    for (const token of [
      `v2.${id}.${iv}`,
      `v2.${id}.${iv}.${sealed}.AAAA`,
      `v2.${id}.${b64url(new Uint8Array(8))}.${sealed}`,
      `v2.${id}.${iv}.${b64url(new Uint8Array(15))}`,
      `v2.${id}.+${iv.slice(1)}.${sealed}`,
      'v2.',
    ]) {
      expect(await failure(cipher.decrypt(token, 'alice'))).toMatchObject({ code: 'ERR_CIPHER', message: V2_FORMAT });
    }
    expect(decrypt).not.toHaveBeenCalled();
    // A single-key cipher does not read v2 at all.
    expect(await failure(createAesGcmCipher({ key: KEY }).decrypt(wrapped, 'alice'))).toMatchObject({ code: 'ERR_CIPHER', message: FORMAT });
  });

  it('opens a v1 secret with whichever listed key wrapped it; with none, ERR_CIPHER with the last failure as the cause', async () => {
    const v1 = await createAesGcmCipher({ key: KEY }).encrypt(SECRET, 'alice');
    expect(await rotating().decrypt(v1, 'alice')).toBe(SECRET);
    expect(await createAesGcmCipher({ keys: { new: OTHER, old: KEY }, current: 'new' }).decrypt(v1, 'alice')).toBe(SECRET);
    const error = await failure(createAesGcmCipher({ keys: { x: OTHER, y: new Uint8Array(32) }, current: 'x' }).decrypt(v1, 'alice'));
    expect(error).toMatchObject({ code: 'ERR_CIPHER', message: UNDECRYPTABLE });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('says which secrets need re-wrapping: all but v2 under the current key', async () => {
    const cipher = rotating();
    const single = createAesGcmCipher({ key: KEY });
    const v1 = await single.encrypt(SECRET, 'alice');
    expect(cipher.needsRewrap!(v1)).toBe(true);
    expect(cipher.needsRewrap!(sealV2('old', KEY, SECRET, 'alice'))).toBe(true);
    expect(cipher.needsRewrap!(await cipher.encrypt(SECRET, 'alice'))).toBe(false);
    // The id must match whole.
    expect(cipher.needsRewrap!(sealV2('newer', KEY, SECRET, 'alice'))).toBe(true);
    expect(cipher.needsRewrap!(42 as never)).toBe(true);
    expect(single.needsRewrap!(v1)).toBe(false);
    expect(single.needsRewrap!(sealV2('old', KEY, SECRET, 'alice'))).toBe(false);
  });

  it('imports each key once, when first used, non-extractable', async () => {
    const importKey = vi.spyOn(globalThis.crypto.subtle, 'importKey');
    const cipher = rotating();
    expect(importKey).not.toHaveBeenCalled();
    await cipher.encrypt(SECRET, 'alice');
    await cipher.encrypt(SECRET, 'bob');
    expect(importKey).toHaveBeenCalledTimes(1);
    await cipher.decrypt(sealV2('old', KEY, SECRET, 'alice'), 'alice');
    await cipher.decrypt(sealV2('old', KEY, SECRET, 'bob'), 'bob');
    expect(importKey).toHaveBeenCalledTimes(2);
    expect(importKey.mock.calls.map((call) => call.slice(2))).toEqual([
      [{ name: 'AES-GCM' }, false, ['encrypt', 'decrypt']],
      [{ name: 'AES-GCM' }, false, ['encrypt', 'decrypt']],
    ]);
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

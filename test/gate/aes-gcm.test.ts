import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAesGcmCipher } from '../../src/gate/aes-gcm.js';
import { SECRET } from './fixtures.js';

const key = new Uint8Array(randomBytes(32));

function fromB64url(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

describe('createAesGcmCipher', () => {
  it('round-trips a secret for the same user, with a fresh IV each time', async () => {
    const cipher = createAesGcmCipher({ key });
    const a = await cipher.encrypt(SECRET, 'alice');
    const b = await cipher.encrypt(SECRET, 'alice');
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(SECRET);
    expect(await cipher.decrypt(a, 'alice')).toBe(SECRET);
    expect(await cipher.decrypt(b, 'alice')).toBe(SECRET);
  });

  it('writes standard AES-256-GCM that node:crypto decrypts, with the user id as additional data', async () => {
    const wrapped = await createAesGcmCipher({ key }).encrypt(SECRET, 'alice');
    const [, iv, sealed] = wrapped.split('.');
    const bytes = fromB64url(sealed!);
    const decipher = createDecipheriv('aes-256-gcm', key, fromB64url(iv!));
    decipher.setAAD(Buffer.from('alice'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString();
    expect(plain).toBe(SECRET);
  });

  it('refuses a secret moved to another user, a tampered one, and a wrong key with ERR_CIPHER', async () => {
    const cipher = createAesGcmCipher({ key });
    const wrapped = await cipher.encrypt(SECRET, 'alice');
    await expect(cipher.decrypt(wrapped, 'mallory')).rejects.toMatchObject({ code: 'ERR_CIPHER' });
    const [prefix, iv, sealed] = wrapped.split('.');
    const flipped = fromB64url(sealed!);
    flipped[3]! ^= 1;
    await expect(cipher.decrypt(`${prefix}.${iv}.${flipped.toString('base64url')}`, 'alice')).rejects.toMatchObject({ code: 'ERR_CIPHER' });
    const ivFlipped = fromB64url(iv!);
    ivFlipped[0]! ^= 0x80;
    await expect(cipher.decrypt(`${prefix}.${ivFlipped.toString('base64url')}.${sealed}`, 'alice')).rejects.toMatchObject({ code: 'ERR_CIPHER' });
    const other = createAesGcmCipher({ key: new Uint8Array(randomBytes(32)) });
    await expect(other.decrypt(wrapped, 'alice')).rejects.toMatchObject({ code: 'ERR_CIPHER' });
    for (const junk of ['', SECRET, 'v2.AAAA.BBBB', 'v1.!!!.???', `v1.${iv}`, `v1.${iv}.AAAA`]) {
      await expect(cipher.decrypt(junk, 'alice')).rejects.toMatchObject({ code: 'ERR_CIPHER' });
    }
  });

  it('never puts the secret in an error message', async () => {
    const cipher = createAesGcmCipher({ key });
    const error = (await cipher.decrypt(await cipher.encrypt(SECRET, 'alice'), 'bob').catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain(SECRET);
  });

  it('takes only a 32-byte key', () => {
    expect(() => createAesGcmCipher({ key: new Uint8Array(16) })).toThrowError(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(() => createAesGcmCipher({ key: 'k'.repeat(32) as unknown as Uint8Array })).toThrowError(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });
});

// The SHA-256 and SHA-512 compressions on their own, pinned to node:crypto's
// hashes of random messages: the padding (FIPS 180-4 §5.1) is written here,
// apart from src/internal/mac.ts, so only the compressions are shared. The
// HMAC built on them is test/core/mac.test.ts's. SHA-512's adds carry from
// 32-bit halves and its rotations are built from 32-bit rotations: messages
// of all ones and all zeros (the most and fewest carries) and every length
// around the padding boundaries are checked as well as random ones.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BlockHash } from '../../src/internal/mac.js';
import { SHA256 } from '../../src/internal/sha2.js';
import { SHA512 } from '../../src/internal/sha512.js';

const HASHES = [
  ['sha256', SHA256],
  ['sha512', SHA512],
] as const;

/** The hash of `message` through `hash.compress`, padded here (FIPS 180-4 §5.1.1, §5.1.2). */
function digest(hash: BlockHash, message: Uint8Array): string {
  const blockBytes = hash.blockWords * 4;
  const lengthBytes = blockBytes / 8; // 8 bytes of bit length for SHA-256, 16 for SHA-512
  const padded = new Uint8Array(Math.ceil((message.length + 1 + lengthBytes) / blockBytes) * blockBytes);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setBigUint64(padded.length - 8, BigInt(message.length) * 8n);
  const state = hash.iv.slice();
  const block = new Int32Array(hash.blockWords);
  for (let offset = 0; offset < padded.length; offset += blockBytes) {
    for (let i = 0; i < hash.blockWords; i++) block[i] = view.getInt32(offset + i * 4);
    hash.compress(state, block);
  }
  const out = new DataView(new ArrayBuffer(state.length * 4));
  state.forEach((word, i) => out.setInt32(i * 4, word));
  return Buffer.from(out.buffer).toString('hex');
}

const nodeDigest = (name: string, message: Uint8Array): string => createHash(name).update(message).digest('hex');

describe('SHA-2 compressions', () => {
  for (const [name, hash] of HASHES) {
    it(`${name}: equals node:crypto for random messages of 0 to 400 bytes`, () => {
      const message = fc.integer({ min: 0, max: 400 }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
      fc.assert(
        fc.property(message, (m) => {
          expect(digest(hash, m)).toBe(nodeDigest(name, m));
        }),
        { numRuns: 2000 },
      );
    });

    it(`${name}: equals node:crypto for every length up to three blocks, all zeros, all ones and alternating bits`, () => {
      for (const fill of [0x00, 0xff, 0x55, 0x80, 0x7f]) {
        for (let length = 0; length <= hash.blockWords * 12; length++) {
          const m = new Uint8Array(length).fill(fill);
          expect(digest(hash, m), `${length} bytes of ${fill}`).toBe(nodeDigest(name, m));
        }
      }
    });
  }

  it('sha512: the FIPS 180-4 example "abc" (the state words of the known digest)', () => {
    expect(digest(SHA512, new TextEncoder().encode('abc'))).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
  });
});

// The fast HMAC of a counter (own SHA-1/SHA-256/SHA-512 compressions, key
// states computed once, buffers reused) pinned to two independent HMACs:
// @noble/hashes and node:crypto, over random keys of every length around the
// block sizes (longer keys are hashed first, RFC 2104 §2), random counters up
// to 2^53 - 1, and all three algorithms.
import { hmac } from '@noble/hashes/hmac';
import { sha1 } from '@noble/hashes/legacy';
import { sha256, sha512 } from '@noble/hashes/sha2';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCounterMac, useKeyOnce } from '../../src/internal/mac.js';

const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
type Algorithm = (typeof ALGORITHMS)[number];
const NOBLE = { SHA1: sha1, SHA256: sha256, SHA512: sha512 } as const;
const NODE = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' } as const;
const TWO_32 = 2 ** 32;

/** The 8-byte big-endian counter, built with BigInt so it shares no code with the hi/lo split. */
function counterBytes(counter: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(counter));
  return bytes;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nodeHmac = (algorithm: Algorithm, key: Uint8Array, counter: number): string =>
  createHmac(NODE[algorithm], key).update(counterBytes(counter)).digest('hex');
const nobleHmac = (algorithm: Algorithm, key: Uint8Array, counter: number): string =>
  hex(hmac(NOBLE[algorithm], key, counterBytes(counter)));
/** The fast path, copied out of its reused buffer. */
const fastHmac = (mac: ReturnType<typeof createCounterMac>, counter: number): string =>
  hex(mac(Math.floor(counter / TWO_32), counter >>> 0));

const algorithm = fc.constantFrom(...ALGORITHMS);
// 0..200 bytes, lengths drawn uniformly (fast-check favours short arrays otherwise):
// empty keys, both block sizes (64, 128) and keys longer than either.
const key = fc.integer({ min: 0, max: 200 }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
const counter = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  fc.integer({ min: 2 ** 32 - 2, max: 2 ** 32 + 2 }),
  fc.maxSafeInteger().map(Math.abs),
);

describe('createCounterMac', () => {
  it('equals @noble/hashes and node:crypto HMAC for random keys, counters and algorithms', () => {
    fc.assert(
      fc.property(algorithm, key, fc.array(counter, { minLength: 1, maxLength: 4 }), (alg, k, counters) => {
        const mac = createCounterMac(alg, k);
        for (const c of counters) {
          const got = fastHmac(mac, c);
          expect(got).toBe(nodeHmac(alg, k, c));
          expect(got).toBe(nobleHmac(alg, k, c));
        }
      }),
      { numRuns: 600 },
    );
  });

  // SHA-512's compression adds 64-bit words as 32-bit halves with carries
  // taken from unnormalised sums: a carry dropped or doubled shows only for
  // some bit patterns, so many random keys and counters, long keys hashed
  // first (several blocks), and the patterns that carry the most.
  it('SHA-512 equals node:crypto for many random keys and counters', () => {
    const longKey = fc.integer({ min: 0, max: 400 }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
    fc.assert(
      fc.property(longKey, fc.array(counter, { minLength: 1, maxLength: 8 }), (k, counters) => {
        const mac = createCounterMac('SHA512', k);
        for (const c of counters) expect(fastHmac(mac, c)).toBe(nodeHmac('SHA512', k, c));
      }),
      { numRuns: 2000 },
    );
  });

  it('SHA-512 is right for keys and counters of all ones and all zeros (the most and fewest carries)', () => {
    for (const fill of [0x00, 0xff, 0x80, 0x7f]) {
      for (const length of [1, 64, 127, 128, 129, 256]) {
        const k = new Uint8Array(length).fill(fill);
        const mac = createCounterMac('SHA512', k);
        for (const c of [0, 2 ** 32 - 1, 2 ** 53 - 1, 0x7fffffff, 2 ** 52 + 2 ** 31]) {
          expect(fastHmac(mac, c), `fill ${fill}, ${length} bytes, counter ${c}`).toBe(nodeHmac('SHA512', k, c));
        }
      }
    }
  });

  it('is right for every key length at and around the block sizes', () => {
    for (const alg of ALGORITHMS) {
      for (let length = 0; length <= 200; length++) {
        const k = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
        const c = 2 ** 53 - 1 - length;
        expect(fastHmac(createCounterMac(alg, k), c), `${alg}, ${length}-byte key`).toBe(nodeHmac(alg, k, c));
      }
    }
  });

  it('is right at the counter edges: 0, 2^32 - 1, 2^32, 2^53 - 1', () => {
    const k = new TextEncoder().encode('12345678901234567890');
    for (const alg of ALGORITHMS) {
      const mac = createCounterMac(alg, k);
      for (const c of [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52, 2 ** 53 - 1]) {
        expect(fastHmac(mac, c), `${alg} at ${c}`).toBe(nodeHmac(alg, k, c));
      }
    }
  });

  it('never returns stale data when called again, for one key or several', () => {
    // The digest buffer and the message blocks are reused between calls and
    // shared by every key of a hash: interleave keys, algorithms and counters
    // and check each result against a fresh HMAC, read right away.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(algorithm, key), { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), counter), { minLength: 2, maxLength: 20 }),
        (keys, calls) => {
          const macs = keys.map(([alg, k]) => ({ alg, k, mac: createCounterMac(alg, k) }));
          for (const [pick, c] of calls) {
            const { alg, k, mac } = macs[pick % macs.length]!;
            expect(fastHmac(mac, c)).toBe(nodeHmac(alg, k, c));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('preparing another key between two calls does not change the first key', () => {
    const k1 = new Uint8Array(20).fill(1);
    const k2 = new Uint8Array(300).fill(2); // long: hashed first, through the shared buffers
    for (const alg of ALGORITHMS) {
      const mac1 = createCounterMac(alg, k1);
      const before = fastHmac(mac1, 7);
      createCounterMac(alg, k2);
      expect(fastHmac(mac1, 7)).toBe(before);
      expect(before).toBe(nodeHmac(alg, k1, 7));
    }
  });

  it('does not keep a reference to the key bytes', () => {
    const k = new Uint8Array(20).fill(0x31);
    const mac = createCounterMac('SHA1', k);
    const want = nodeHmac('SHA1', k.slice(), 1);
    k.fill(0);
    expect(fastHmac(mac, 1)).toBe(want);
  });

  it('useKeyOnce equals node:crypto, and neither it nor a prepared key disturbs the other', () => {
    // useKeyOnce puts its key states in buffers shared by every call of a
    // hash: its MAC holds until the next useKeyOnce, and prepared keys keep
    // their own states whatever happens in between.
    fc.assert(
      fc.property(algorithm, key, key, fc.array(counter, { minLength: 1, maxLength: 4 }), (alg, k1, k2, counters) => {
        const prepared = createCounterMac(alg, k1);
        const once = useKeyOnce(alg, k2);
        for (const c of counters) expect(fastHmac(once, c)).toBe(nodeHmac(alg, k2, c));
        createCounterMac(alg, k2);
        for (const c of counters) {
          expect(fastHmac(once, c)).toBe(nodeHmac(alg, k2, c));
          expect(fastHmac(prepared, c)).toBe(nodeHmac(alg, k1, c));
        }
        const again = useKeyOnce(alg, k1);
        for (const c of counters) {
          expect(fastHmac(again, c)).toBe(nodeHmac(alg, k1, c));
          expect(fastHmac(prepared, c)).toBe(nodeHmac(alg, k1, c));
        }
      }),
      { numRuns: 300 },
    );
  });
});

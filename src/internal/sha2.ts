import type { BlockHash } from './mac.js';
import { K256 } from './sha512.js';

// Read through a module-local constant: V8 reads an imported binding through
// a cell, slower in the round loop.
const K = K256;

// Message schedule, shared: compress runs to completion before anyone else can call it.
const W256 = /* @__PURE__ */ new Int32Array(64);

/**
 * SHA-256 compression (FIPS 180-4 §6.2.2) on 32-bit integers, with no
 * allocation. Its constants are the high halves of SHA-512's.
 */
function compress256(state: Int32Array, block: Int32Array): void {
  const w = W256;
  for (let i = 0; i < 16; i++) w[i] = block[i]!;
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!, y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = s1 + w[i - 7]! + s0 + w[i - 16]!;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  state[0] = state[0]! + a;
  state[1] = state[1]! + b;
  state[2] = state[2]! + c;
  state[3] = state[3]! + d;
  state[4] = state[4]! + e;
  state[5] = state[5]! + f;
  state[6] = state[6]! + g;
  state[7] = state[7]! + h;
}

/** @internal SHA-256 (FIPS 180-4). */
export const SHA256: BlockHash = {
  blockWords: 16,
  // §5.3.3: the high words of SHA-512's initial value
  iv: /* @__PURE__ */ Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19),
  compress: compress256,
};

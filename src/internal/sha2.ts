import type { BlockHash } from './mac.js';

/**
 * SHA-512's round constants (FIPS 180-4 §4.2.3) as high, low 32-bit word
 * pairs. SHA-256's constants (§4.2.2) are the first 64 high words, so one
 * table serves both.
 */
const K = /* @__PURE__ */ Int32Array.of(
  0x428a2f98, 0xd728ae22, 0x71374491, 0x23ef65cd, 0xb5c0fbcf, 0xec4d3b2f, 0xe9b5dba5, 0x8189dbbc,
  0x3956c25b, 0xf348b538, 0x59f111f1, 0xb605d019, 0x923f82a4, 0xaf194f9b, 0xab1c5ed5, 0xda6d8118,
  0xd807aa98, 0xa3030242, 0x12835b01, 0x45706fbe, 0x243185be, 0x4ee4b28c, 0x550c7dc3, 0xd5ffb4e2,
  0x72be5d74, 0xf27b896f, 0x80deb1fe, 0x3b1696b1, 0x9bdc06a7, 0x25c71235, 0xc19bf174, 0xcf692694,
  0xe49b69c1, 0x9ef14ad2, 0xefbe4786, 0x384f25e3, 0x0fc19dc6, 0x8b8cd5b5, 0x240ca1cc, 0x77ac9c65,
  0x2de92c6f, 0x592b0275, 0x4a7484aa, 0x6ea6e483, 0x5cb0a9dc, 0xbd41fbd4, 0x76f988da, 0x831153b5,
  0x983e5152, 0xee66dfab, 0xa831c66d, 0x2db43210, 0xb00327c8, 0x98fb213f, 0xbf597fc7, 0xbeef0ee4,
  0xc6e00bf3, 0x3da88fc2, 0xd5a79147, 0x930aa725, 0x06ca6351, 0xe003826f, 0x14292967, 0x0a0e6e70,
  0x27b70a85, 0x46d22ffc, 0x2e1b2138, 0x5c26c926, 0x4d2c6dfc, 0x5ac42aed, 0x53380d13, 0x9d95b3df,
  0x650a7354, 0x8baf63de, 0x766a0abb, 0x3c77b2a8, 0x81c2c92e, 0x47edaee6, 0x92722c85, 0x1482353b,
  0xa2bfe8a1, 0x4cf10364, 0xa81a664b, 0xbc423001, 0xc24b8b70, 0xd0f89791, 0xc76c51a3, 0x0654be30,
  0xd192e819, 0xd6ef5218, 0xd6990624, 0x5565a910, 0xf40e3585, 0x5771202a, 0x106aa070, 0x32bbd1b8,
  0x19a4c116, 0xb8d2d0c8, 0x1e376c08, 0x5141ab53, 0x2748774c, 0xdf8eeb99, 0x34b0bcb5, 0xe19b48a8,
  0x391c0cb3, 0xc5c95a63, 0x4ed8aa4a, 0xe3418acb, 0x5b9cca4f, 0x7763e373, 0x682e6ff3, 0xd6b2b8a3,
  0x748f82ee, 0x5defb2fc, 0x78a5636f, 0x43172f60, 0x84c87814, 0xa1f0ab72, 0x8cc70208, 0x1a6439ec,
  0x90befffa, 0x23631e28, 0xa4506ceb, 0xde82bde9, 0xbef9a3f7, 0xb2c67915, 0xc67178f2, 0xe372532b,
  0xca273ece, 0xea26619c, 0xd186b8c7, 0x21c0c207, 0xeada7dd6, 0xcde0eb1e, 0xf57d4f7f, 0xee6ed178,
  0x06f067aa, 0x72176fba, 0x0a637dc5, 0xa2c898a6, 0x113f9804, 0xbef90dae, 0x1b710b35, 0x131c471b,
  0x28db77f5, 0x23047d84, 0x32caab7b, 0x40c72493, 0x3c9ebe0a, 0x15c9bebc, 0x431d67c4, 0x9c100d4c,
  0x4cc5d4be, 0xcb3e42b6, 0x597f299c, 0xfc657e2a, 0x5fcb6fab, 0x3ad6faec, 0x6c44198c, 0x4a475817
);

// Message schedules, shared: compress runs to completion before anyone else can call it.
const W256 = /* @__PURE__ */ new Int32Array(64);
// SHA-512's schedule and constants as separate high and low halves, so a
// round reads each by its own index; the low constants as unsigned doubles,
// ready for the sums below.
const WH = /* @__PURE__ */ new Int32Array(80);
const WL = /* @__PURE__ */ new Int32Array(80);
const KH = /* @__PURE__ */ K.filter((_, i) => (i & 1) === 0);
const KL = /* @__PURE__ */ Float64Array.from(K.filter((_, i) => (i & 1) === 1), (k) => k >>> 0);

/** SHA-256 compression (FIPS 180-4 §6.2.2) on 32-bit integers, with no allocation. */
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
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i * 2]! + w[i]!) | 0;
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

// Multiplying by 2^-32 is exact and cheaper than dividing by 2^32.
const INV_2_32 = 2 ** -32;

/**
 * SHA-512 compression (FIPS 180-4 §6.4.2). Each 64-bit word is a pair of
 * 32-bit integers, high and low. A sum adds the low halves as unsigned
 * numbers in a double (exact: at most seven terms of 2^32) and carries
 * `floor(low / 2^32)` into the high half, which wraps with `| 0`.
 *
 * T1 is never normalised on its own: its unwrapped low sum goes straight
 * into e = d + T1 and a = T1 + T2, so each round carries twice, not four
 * times. (Measured on Node 20: this, and the halves in separate arrays, are
 * what is faster than the textbook rounds; unrolling, a ring buffer in place
 * of the sixteen variables and carries computed with bit operations were
 * not.)
 */
function compress512(state: Int32Array, block: Int32Array): void {
  const wh = WH, wl = WL, kh = KH, kl = KL;
  for (let i = 0; i < 16; i++) {
    wh[i] = block[i * 2]!;
    wl[i] = block[i * 2 + 1]!;
  }
  for (let i = 16; i < 80; i++) {
    // σ1(W[t-2]) = ROTR19 ^ ROTR61 ^ SHR6
    let h = wh[i - 2]!, l = wl[i - 2]!;
    const s1h = ((h >>> 19) | (l << 13)) ^ ((l >>> 29) | (h << 3)) ^ (h >>> 6);
    const s1l = ((l >>> 19) | (h << 13)) ^ ((h >>> 29) | (l << 3)) ^ ((l >>> 6) | (h << 26));
    // σ0(W[t-15]) = ROTR1 ^ ROTR8 ^ SHR7
    h = wh[i - 15]!;
    l = wl[i - 15]!;
    const s0h = ((h >>> 1) | (l << 31)) ^ ((h >>> 8) | (l << 24)) ^ (h >>> 7);
    const s0l = ((l >>> 1) | (h << 31)) ^ ((l >>> 8) | (h << 24)) ^ ((l >>> 7) | (h << 25));
    // W[t] = σ1 + W[t-7] + σ0 + W[t-16]
    const lo = (s1l >>> 0) + (wl[i - 7]! >>> 0) + (s0l >>> 0) + (wl[i - 16]! >>> 0);
    wh[i] = s1h + wh[i - 7]! + s0h + wh[i - 16]! + ((lo * INV_2_32) | 0);
    wl[i] = lo;
  }
  let ah = state[0]!, al = state[1]!, bh = state[2]!, bl = state[3]!;
  let ch = state[4]!, cl = state[5]!, dh = state[6]!, dl = state[7]!;
  let eh = state[8]!, el = state[9]!, fh = state[10]!, fl = state[11]!;
  let gh = state[12]!, gl = state[13]!, hh = state[14]!, hl = state[15]!;
  for (let i = 0; i < 80; i++) {
    // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t], with Σ1 = ROTR14 ^ ROTR18 ^ ROTR41
    // and Ch = g ^ (e & (f ^ g)); high half without its carry yet.
    const S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
    const S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
    const t1l = (hl >>> 0) + (S1l >>> 0) + ((gl ^ (el & (fl ^ gl))) >>> 0) + kl[i]! + (wl[i]! >>> 0);
    const t1h = hh + S1h + (gh ^ (eh & (fh ^ gh))) + kh[i]! + wh[i]!;
    // T2 = Σ0(a) + Maj(a, b, c), with Σ0 = ROTR28 ^ ROTR34 ^ ROTR39 and Maj = (a & b) | (c & (a | b))
    const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
    const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
    hh = gh; hl = gl; gh = fh; gl = fl; fh = eh; fl = el;
    // e = d + T1
    let lo = t1l + (dl >>> 0);
    eh = (t1h + dh + ((lo * INV_2_32) | 0)) | 0;
    el = lo | 0;
    dh = ch; dl = cl;
    // a = T1 + T2
    lo = t1l + (S0l >>> 0) + (((al & bl) | (cl & (al | bl))) >>> 0);
    const a = (t1h + S0h + ((ah & bh) | (ch & (ah | bh))) + ((lo * INV_2_32) | 0)) | 0;
    ch = bh; cl = bl; bh = ah; bl = al;
    ah = a;
    al = lo | 0;
  }
  add64(state, 0, ah, al);
  add64(state, 2, bh, bl);
  add64(state, 4, ch, cl);
  add64(state, 6, dh, dl);
  add64(state, 8, eh, el);
  add64(state, 10, fh, fl);
  add64(state, 12, gh, gl);
  add64(state, 14, hh, hl);
}

function add64(state: Int32Array, i: number, h: number, l: number): void {
  const lo = (state[i + 1]! >>> 0) + (l >>> 0);
  state[i] = state[i]! + h + ((lo * INV_2_32) | 0);
  state[i + 1] = lo;
}

/** @internal SHA-256 (FIPS 180-4). */
export const SHA256: BlockHash = {
  blockWords: 16,
  // §5.3.3: the high words of SHA-512's initial value
  iv: /* @__PURE__ */ Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19),
  compress: compress256,
};

/** @internal SHA-512 (FIPS 180-4), 64-bit words as high, low pairs. */
export const SHA512: BlockHash = {
  blockWords: 32,
  iv: /* @__PURE__ */ Int32Array.of(
    0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b, 0x3c6ef372, 0xfe94f82b, 0xa54ff53a, 0x5f1d36f1,
    0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f, 0x1f83d9ab, 0xfb41bd6b, 0x5be0cd19, 0x137e2179,
  ),
  compress: compress512,
};

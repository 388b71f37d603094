#!/usr/bin/env node
// Writes src/internal/sha512.ts, the SHA-512 compression, from the templates
// below: `node scripts/gen-sha512.mjs` (`--check` exits 1 when the file is
// not what this script makes; test/core/sha512-generated.test.ts does the same).
//
// Why generated: four rounds are written out in the loop body, each with the
// state's eight words under the names the round gives them (a..h rotate by
// one a round), so no round moves the state along; after the four, a..d and
// e..h trade places. Writing those rounds by hand invites the typo no test
// pins down at once: a wrong name in round 3 still yields some digest.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'internal', 'sha512.ts');

/** FIPS 180-4 §4.2.3: the 80 constants, high and low halves. */
const K = [
  [0x428a2f98, 0xd728ae22], [0x71374491, 0x23ef65cd], [0xb5c0fbcf, 0xec4d3b2f], [0xe9b5dba5, 0x8189dbbc],
  [0x3956c25b, 0xf348b538], [0x59f111f1, 0xb605d019], [0x923f82a4, 0xaf194f9b], [0xab1c5ed5, 0xda6d8118],
  [0xd807aa98, 0xa3030242], [0x12835b01, 0x45706fbe], [0x243185be, 0x4ee4b28c], [0x550c7dc3, 0xd5ffb4e2],
  [0x72be5d74, 0xf27b896f], [0x80deb1fe, 0x3b1696b1], [0x9bdc06a7, 0x25c71235], [0xc19bf174, 0xcf692694],
  [0xe49b69c1, 0x9ef14ad2], [0xefbe4786, 0x384f25e3], [0x0fc19dc6, 0x8b8cd5b5], [0x240ca1cc, 0x77ac9c65],
  [0x2de92c6f, 0x592b0275], [0x4a7484aa, 0x6ea6e483], [0x5cb0a9dc, 0xbd41fbd4], [0x76f988da, 0x831153b5],
  [0x983e5152, 0xee66dfab], [0xa831c66d, 0x2db43210], [0xb00327c8, 0x98fb213f], [0xbf597fc7, 0xbeef0ee4],
  [0xc6e00bf3, 0x3da88fc2], [0xd5a79147, 0x930aa725], [0x06ca6351, 0xe003826f], [0x14292967, 0x0a0e6e70],
  [0x27b70a85, 0x46d22ffc], [0x2e1b2138, 0x5c26c926], [0x4d2c6dfc, 0x5ac42aed], [0x53380d13, 0x9d95b3df],
  [0x650a7354, 0x8baf63de], [0x766a0abb, 0x3c77b2a8], [0x81c2c92e, 0x47edaee6], [0x92722c85, 0x1482353b],
  [0xa2bfe8a1, 0x4cf10364], [0xa81a664b, 0xbc423001], [0xc24b8b70, 0xd0f89791], [0xc76c51a3, 0x0654be30],
  [0xd192e819, 0xd6ef5218], [0xd6990624, 0x5565a910], [0xf40e3585, 0x5771202a], [0x106aa070, 0x32bbd1b8],
  [0x19a4c116, 0xb8d2d0c8], [0x1e376c08, 0x5141ab53], [0x2748774c, 0xdf8eeb99], [0x34b0bcb5, 0xe19b48a8],
  [0x391c0cb3, 0xc5c95a63], [0x4ed8aa4a, 0xe3418acb], [0x5b9cca4f, 0x7763e373], [0x682e6ff3, 0xd6b2b8a3],
  [0x748f82ee, 0x5defb2fc], [0x78a5636f, 0x43172f60], [0x84c87814, 0xa1f0ab72], [0x8cc70208, 0x1a6439ec],
  [0x90befffa, 0x23631e28], [0xa4506ceb, 0xde82bde9], [0xbef9a3f7, 0xb2c67915], [0xc67178f2, 0xe372532b],
  [0xca273ece, 0xea26619c], [0xd186b8c7, 0x21c0c207], [0xeada7dd6, 0xcde0eb1e], [0xf57d4f7f, 0xee6ed178],
  [0x06f067aa, 0x72176fba], [0x0a637dc5, 0xa2c898a6], [0x113f9804, 0xbef90dae], [0x1b710b35, 0x131c471b],
  [0x28db77f5, 0x23047d84], [0x32caab7b, 0x40c72493], [0x3c9ebe0a, 0x15c9bebc], [0x431d67c4, 0x9c100d4c],
  [0x4cc5d4be, 0xcb3e42b6], [0x597f299c, 0xfc657e2a], [0x5fcb6fab, 0x3ad6faec], [0x6c44198c, 0x4a475817],
];

const hex = (x) => `0x${x.toString(16).padStart(8, '0')}`;
/** Eight constants a line, each as it is in FIPS 180-4. */
const table = (words) =>
  Array.from({ length: words.length / 8 }, (_, i) => `  ${words.slice(i * 8, i * 8 + 8).map(hex).join(', ')},`).join('\n');

/** A 32-bit rotation right, which V8 compiles to one instruction. */
const ror = (x, n) => `((${x} >>> ${n}) | (${x} << ${32 - n}))`;

/**
 * Σ over the word named \`x\` (FIPS 180-4 §4.1.3): the XOR of three 64-bit
 * rotations, as the declarations of its high and low halves \`${name}h\`
 * and \`${name}l\`. A 64-bit rotation by n < 32 moves the low 32 - n bits of
 * each half down and the other n bits into the other half; with R a 32-bit
 * rotation by n and M = 2^(32-n) - 1, the bits that stay:
 *
 *   high = R(l) ^ (R(h ^ l) & M),   low = high ^ R(h ^ l)
 *
 * (by n ≥ 32: rotate by n - 32 with h and l swapped; h ^ l stays). So a Σ is
 * six 32-bit rotations, three masks and XORs: fewer operations than the
 * twelve shifts and six ORs of shifting each half, and each rotation is one
 * instruction.
 */
function sigma(name, x, ns) {
  const u = `${x}h ^ ${x}l`;
  const terms = ns.map((n) => {
    const r = n % 32;
    return { stay: ror(n < 32 ? `${x}l` : `${x}h`, r), moved: ror(`${name}u`, r), mask: hex(0xffffffff >>> r) };
  });
  return [
    `const ${name}u = ${u};`,
    `const ${name}h = ${terms.map((t) => `${t.stay} ^ (${t.moved} & ${t.mask})`).join(' ^ ')};`,
    `const ${name}l = ${name}h ^ ${terms.map((t) => t.moved).join(' ^ ')};`,
  ];
}

/** σ (FIPS 180-4 §4.1.3): two rotations as in {@link sigma}, XORed with a shift right by `shift` < 32. */
function smallSigma(name, x, ns, shift) {
  const terms = ns.map((n) => {
    const r = n % 32;
    return { stay: ror(n < 32 ? `${x}l` : `${x}h`, r), moved: ror(`${name}u`, r), mask: hex(0xffffffff >>> r) };
  });
  return [
    `const ${name}u = ${x}h ^ ${x}l;`,
    `const ${name}r = ${terms.map((t) => `${t.stay} ^ (${t.moved} & ${t.mask})`).join(' ^ ')};`,
    `const ${name}h = ${name}r ^ (${x}h >>> ${shift});`,
    `const ${name}l = ${name}r ^ ${terms.map((t) => t.moved).join(' ^ ')} ^ ((${x}l >>> ${shift}) | (${x}h << ${32 - shift}));`,
  ];
}

/** The carry out of the low-half sum `sum = (x + y) | 0`, given `sum` and one addend. */
const carry = (sum, addend) => `+((${sum} >>> 0) < (${addend} >>> 0))`;

/**
 * Round `t` of the four in the loop body (FIPS 180-4 §6.4.2 step 3). With
 * the names the round gives the words, only d (e = d + T1) and h (a = T1 +
 * T2) are written. Every 64-bit sum adds two low halves as 32-bit integers
 * and carries when the sum wrapped below an addend: integer work only, which
 * V8 compiles to plain adds, compares and set-on-carry.
 */
function round(t) {
  const [a, b, c, d, e, f, g, h] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => 'abcdefgh'[(i - t + 8) % 8]);
  const j = t === 0 ? 'i' : `i + ${t}`;
  const lines = [
    `// round i + ${t}: a..h are ${a}, ${b}, ${c}, ${d}, ${e}, ${f}, ${g}, ${h}`,
    `const kl = kl_[${j}]!, wl = wl_[${j}]!, kwl = (kl + wl) | 0;`,
    `const kwh = kh_[${j}]! + wh_[${j}]! + ${carry('kwl', 'wl')};`,
    `// x = h + K + W, z = Σ1(e) + Ch(e, f, g), T1 = x + z`,
    `const xl = (${h}l + kwl) | 0, xh = ${h}h + kwh + ${carry('xl', 'kwl')};`,
    ...sigma('s1', e, [14, 18, 41]),
    `const chl = ${g}l ^ (${e}l & (${f}l ^ ${g}l));`,
    `const zl = (s1l + chl) | 0;`,
    `const zh = s1h + (${g}h ^ (${e}h & (${f}h ^ ${g}h))) + ${carry('zl', 'chl')};`,
    `const t1l = (xl + zl) | 0, t1h = xh + zh + ${carry('t1l', 'zl')};`,
    `// T2 = Σ0(a) + Maj(a, b, c)`,
    ...sigma('s0', a, [28, 34, 39]),
    `const mjl = (${a}l & ${b}l) | (${c}l & (${a}l | ${b}l));`,
    `const t2l = (s0l + mjl) | 0;`,
    `const t2h = s0h + ((${a}h & ${b}h) | (${c}h & (${a}h | ${b}h))) + ${carry('t2l', 'mjl')};`,
    `// e = d + T1, a = T1 + T2`,
    `${d}l = (${d}l + t1l) | 0;`,
    `${d}h = (${d}h + t1h + ${carry(`${d}l`, 't1l')}) | 0;`,
    `${h}l = (t1l + t2l) | 0;`,
    `${h}h = (t1h + t2h + ${carry(`${h}l`, 't2l')}) | 0;`,
  ];
  return `    {\n${lines.map((line) => `      ${line}`).join('\n')}\n    }`;
}

export function generate() {
  const rounds = Array.from({ length: 4 }, (_, t) => round(t)).join('\n');
  const names = [...'abcdefgh'];
  const load = names.map((n, i) => `${n}h = state[${i * 2}]! | 0, ${n}l = state[${i * 2 + 1}]! | 0`);
  const store = names
    .map((n, i) => `  l = (state[${i * 2 + 1}]! + ${n}l) | 0;\n  state[${i * 2}] = state[${i * 2}]! + ${n}h + ${carry('l', `${n}l`)};\n  state[${i * 2 + 1}] = l;`)
    .join('\n');
  return `// Generated by scripts/gen-sha512.mjs: edit the generator and run it, not this file.
import type { BlockHash } from './mac.js';

/**
 * SHA-512's round constants (FIPS 180-4 §4.2.3), high halves. Not exported
 * itself: V8 reads an exported binding through a cell, and a module-local
 * constant as the array it is, which the round loop reads faster.
 */
const KH = /* @__PURE__ */ Int32Array.of(
${table(K.map((k) => k[0]))}
);

/**
 * @internal SHA-256's round constants (§4.2.2): the first 64 high halves of
 * SHA-512's.
 */
export const K256 = /* @__PURE__ */ KH.subarray(0, 64);

/** The low halves of SHA-512's round constants. */
const KL = /* @__PURE__ */ Int32Array.of(
${table(K.map((k) => k[1]))}
);

// The message schedule, shared: a compression runs to completion before
// another can start.
const WH = /* @__PURE__ */ new Int32Array(80);
const WL = /* @__PURE__ */ new Int32Array(80);

// Multiplying by 2^-32 is exact and cheaper than dividing by 2^32.
const INV_2_32 = 2 ** -32;

/**
 * SHA-512 compression (FIPS 180-4 §6.4.2). Each 64-bit word is a pair of
 * 32-bit integers, high (…h) and low (…l).
 *
 * The schedule sums its four low halves as unsigned numbers in a double
 * (exact, below 2^34) and carries \`floor(low / 2^32)\`: V8 adds them as
 * 64-bit integers. The rounds carry with integer compares instead (see
 * \`round\` in the generator), and run four to a loop iteration, each with
 * the names its place gives the words, so that no round moves the state
 * along. Measured on Node 20: integer carries in the schedule, one or two
 * rounds an iteration, and a fully unrolled compression (too large for V8 to
 * optimise well) were slower; eight rounds an iteration were as fast as four
 * and a third larger.
 */
function compress512(state: Int32Array, block: Int32Array): void {
  // Module constants read once: V8 loads each module binding with a check,
  // and the round loop would repeat it.
  const kh_ = KH, kl_ = KL, wh_ = WH, wl_ = WL;
  for (let i = 0; i < 16; i++) {
    wh_[i] = block[i * 2]!;
    wl_[i] = block[i * 2 + 1]!;
  }
  for (let i = 16; i < 80; i++) {
    // σ1(W[t-2]) = ROTR19 ^ ROTR61 ^ SHR6, σ0(W[t-15]) = ROTR1 ^ ROTR8 ^ SHR7:
    // the rotations as in Σ, then the shift.
    const xh = wh_[i - 2]!, xl = wl_[i - 2]!;
    ${smallSigma('s1', 'x', [19, 61], 6).join('\n    ')}
    const yh = wh_[i - 15]!, yl = wl_[i - 15]!;
    ${smallSigma('s0', 'y', [1, 8], 7).join('\n    ')}
    // W[t] = σ1 + W[t-7] + σ0 + W[t-16]
    const lo = (s1l >>> 0) + (wl_[i - 7]! >>> 0) + (s0l >>> 0) + (wl_[i - 16]! >>> 0);
    wh_[i] = s1h + wh_[i - 7]! + s0h + wh_[i - 16]! + ((lo * INV_2_32) | 0);
    wl_[i] = lo;
  }
  let ${load.join(',\n    ')};
  for (let i = 0; i < 80; i += 4) {
${rounds}
    // Four rounds on, a..d hold what e..h name and the other way round.
    let t = ah; ah = eh; eh = t; t = al; al = el; el = t;
    t = bh; bh = fh; fh = t; t = bl; bl = fl; fl = t;
    t = ch; ch = gh; gh = t; t = cl; cl = gl; gl = t;
    t = dh; dh = hh; hh = t; t = dl; dl = hl; hl = t;
  }
  let l: number;
${store}
}

/** @internal SHA-512 (FIPS 180-4), 64-bit words as high, low pairs. */
export const SHA512: BlockHash = {
  blockWords: 32,
  iv: /* @__PURE__ */ Int32Array.of(
    0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b, 0x3c6ef372, 0xfe94f82b, 0xa54ff53a, 0x5f1d36f1,
    0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f, 0x1f83d9ab, 0xfb41bd6b, 0x5be0cd19, 0x137e2179,
  ),
  compress: compress512,
};
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = generate();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUT, 'utf8') !== text) {
      console.error('src/internal/sha512.ts is not what scripts/gen-sha512.mjs makes: run it.');
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, text);
  }
}

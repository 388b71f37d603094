import type { Algorithm } from '../core/options.js';
import { SHA1 } from './sha1.js';
import { SHA256 } from './sha2.js';
import { SHA512 } from './sha512.js';

/**
 * A Merkle–Damgård hash reduced to what HMAC needs: its block length, its
 * initial state and its compression function, all on big-endian 32-bit
 * words (SHA-512's 64-bit words as high, low pairs). The state is as long
 * as the digest for the three hashes used here.
 * @internal
 */
export interface BlockHash {
  /** The block length in 32-bit words: 16 (SHA-1, SHA-256) or 32 (SHA-512). */
  readonly blockWords: number;
  /** The initial hash value; also gives the state and digest length. */
  readonly iv: Int32Array;
  /** Mixes one block into `state`, in place. */
  readonly compress: (state: Int32Array, block: Int32Array) => void;
}

/**
 * HMAC of one 8-byte big-endian counter (RFC 4226 §5.2), keyed once.
 * `hi` and `lo` are the counter's upper and lower 32 bits, so counters up to
 * 2^53 - 1 need no BigInt. The returned digest is a buffer reused by the
 * next call of any counter MAC of the same hash: read it before calling again.
 */
export type CounterMac = (hi: number, lo: number) => Uint8Array;

const HASHES: Readonly<Record<Algorithm, BlockHash>> = { SHA1, SHA256, SHA512 };

/**
 * Big-endian bytes, at most `words.length * 4`, to 32-bit words XORed with
 * `pad` (an HMAC key block: RFC 2104's ipad, or 0 for a plain block);
 * missing bytes count as zero. Whole words are read four bytes at a time.
 */
function keyWords(bytes: Uint8Array, words: Int32Array, pad: number): void {
  const whole = bytes.length >> 2;
  let i = 0;
  for (; i < whole; i++) {
    const j = i * 4;
    words[i] = ((bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!) ^ pad;
  }
  if (i < words.length) {
    // The last, partial word (or a whole word of padding).
    let w = 0;
    for (let j = i * 4; j < bytes.length; j++) w |= bytes[j]! << (24 - (j & 3) * 8);
    words[i++] = w ^ pad;
  }
  for (; i < words.length; i++) words[i] = pad;
}

function toBytes(words: Int32Array, bytes: Uint8Array): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    bytes[i * 4] = w >>> 24;
    bytes[i * 4 + 1] = w >>> 16;
    bytes[i * 4 + 2] = w >>> 8;
    bytes[i * 4 + 3] = w;
  }
}

/**
 * The whole hash of a message (FIPS 180-4 §5.1 padding), needed only for
 * an HMAC key longer than a block (RFC 2104 §2), so plain rather than fast.
 */
function digest(hash: BlockHash, message: Uint8Array): Uint8Array {
  const blockBytes = hash.blockWords * 4;
  // 0x80, then the bit length in the last 8 (SHA-512: 16) bytes of a block.
  const padded = new Uint8Array(Math.ceil((message.length + 1 + blockBytes / 8) / blockBytes) * blockBytes);
  padded.set(message);
  padded[message.length] = 0x80;
  const bits = message.length * 8;
  const end = padded.length;
  for (let i = 1, rest = bits; i <= 7; i++, rest = Math.floor(rest / 256)) padded[end - i] = rest;
  const state = hash.iv.slice();
  const block = new Int32Array(hash.blockWords);
  for (let offset = 0; offset < end; offset += blockBytes) {
    keyWords(padded.subarray(offset, offset + blockBytes), block, 0);
    hash.compress(state, block);
  }
  const out = new Uint8Array(state.length * 4);
  toBytes(state, out);
  return out;
}

/**
 * The buffers of one hash, shared by all its keys: a MAC runs to completion
 * before any other can start, so only the two key states are per key.
 */
interface Scratch {
  readonly hash: BlockHash;
  /** The key block, while a key is prepared. */
  readonly keyBlock: Int32Array;
  /** The inner message: counter, 0x80, zeros, bit length. */
  readonly block: Int32Array;
  /** The outer message: inner digest, 0x80, zeros, bit length. */
  readonly digestBlock: Int32Array;
  readonly state: Int32Array;
  readonly out: Uint8Array;
  /** The inner and outer key states of the key of {@link useKeyOnce}, and its MAC. */
  readonly onceInner: Int32Array;
  readonly onceOuter: Int32Array;
  readonly onceMac: CounterMac;
}

const SCRATCH: Partial<Record<Algorithm, Scratch>> = {};

function scratchFor(algorithm: Algorithm): Scratch {
  const hash = HASHES[algorithm];
  const blockWords = hash.blockWords;
  const stateWords = hash.iv.length;
  // Both messages follow one key block: their bit lengths count it.
  const block = new Int32Array(blockWords);
  block[2] = 0x80000000;
  block[blockWords - 1] = (blockWords + 2) * 32;
  const digestBlock = new Int32Array(blockWords);
  digestBlock[stateWords] = 0x80000000;
  digestBlock[blockWords - 1] = (blockWords + stateWords) * 32;
  const buffers = {
    hash,
    keyBlock: new Int32Array(blockWords),
    block,
    digestBlock,
    state: new Int32Array(stateWords),
    out: new Uint8Array(stateWords * 4),
    // Two arrays rather than one of both: V8 keeps a typed array of up to 64
    // bytes inside its object and allocates a longer one's buffer apart, ten
    // times slower, and SHA-512's two states are 128 bytes.
    onceInner: new Int32Array(stateWords),
    onceOuter: new Int32Array(stateWords),
  };
  return (SCRATCH[algorithm] = { ...buffers, onceMac: counterMac(buffers, buffers.onceInner, buffers.onceOuter) });
}

/**
 * The HMAC key states (RFC 2104) into `inner` and `outer`: the hash states
 * after the key block XOR ipad, and after the key block XOR opad. The key
 * block is zeroed again before returning, so no copy of the key stays.
 */
function keyStates(scratch: Omit<Scratch, 'onceMac'>, key: Uint8Array, inner: Int32Array, outer: Int32Array): void {
  const { hash, keyBlock } = scratch;
  const { blockWords, compress, iv } = hash;
  keyWords(key.length > blockWords * 4 ? digest(hash, key) : key, keyBlock, 0x36363636);
  inner.set(iv);
  compress(inner, keyBlock);
  for (let i = 0; i < blockWords; i++) keyBlock[i] ^= 0x36363636 ^ 0x5c5c5c5c;
  outer.set(iv);
  compress(outer, keyBlock);
  keyBlock.fill(0);
}

/**
 * The MAC of a counter from two key states: the inner and outer hashes
 * start from them, so a counter costs exactly two compressions, as the
 * counter and its padding fit in one block, and so does the inner digest
 * and its padding.
 */
function counterMac(scratch: Omit<Scratch, 'onceMac'>, inner: Int32Array, outer: Int32Array): CounterMac {
  const { hash, block, digestBlock, state, out } = scratch;
  const { compress } = hash;
  const n = state.length;
  return (hi, lo) => {
    // The padding of `block` stays; only the counter words change.
    block[0] = hi;
    block[1] = lo;
    for (let i = 0; i < n; i++) state[i] = inner[i]!;
    compress(state, block);
    for (let i = 0; i < n; i++) {
      digestBlock[i] = state[i]!;
      state[i] = outer[i]!;
    }
    compress(state, digestBlock);
    toBytes(state, out);
    return out;
  };
}

/**
 * Prepares an HMAC key once: its two key states are computed here and kept
 * by the returned MAC, and nothing is allocated per counter. The returned
 * digest is one buffer shared by all keys of a hash.
 * @internal
 */
export function createCounterMac(algorithm: Algorithm, key: Uint8Array): CounterMac {
  const scratch = SCRATCH[algorithm] ?? scratchFor(algorithm);
  const inner = new Int32Array(scratch.state.length);
  const outer = new Int32Array(scratch.state.length);
  keyStates(scratch, key, inner, outer);
  return counterMac(scratch, inner, outer);
}

/**
 * The MAC of a key used for one call (a secret given as text or bytes): as
 * {@link createCounterMac}, but the key states go into buffers of the hash
 * and the MAC is made once, so nothing is allocated. It holds until the next
 * call of this function for the same hash: use it, then let it go.
 * @internal
 */
export function useKeyOnce(algorithm: Algorithm, key: Uint8Array): CounterMac {
  const scratch = SCRATCH[algorithm] ?? scratchFor(algorithm);
  keyStates(scratch, key, scratch.onceInner, scratch.onceOuter);
  return scratch.onceMac;
}

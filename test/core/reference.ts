// An independent HOTP/TOTP written from RFC 4226 and RFC 6238 with node:crypto and BigInt,
// sharing no code with src/: the property tests and the oathtool cross-check compare against it.
import { createHmac } from 'node:crypto';

export type RefAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

const NODE_NAME: Record<RefAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/** RFC 4226 §5.3: HMAC of the 8-byte big-endian counter, dynamic truncation, modulo 10^digits. */
export function refHotp(key: Uint8Array, counter: bigint, algorithm: RefAlgorithm, digits: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const digest = createHmac(NODE_NAME[algorithm], key).update(message).digest();
  const offset = digest[digest.length - 1]! & 0x0f;
  const binary = BigInt(digest.readUInt32BE(offset) & 0x7fffffff);
  return (binary % 10n ** BigInt(digits)).toString().padStart(digits, '0');
}

/** RFC 6238 §4.2: T = floor((unix time - T0) / X), in exact integer milliseconds. */
export function refStep(nowMs: number, period: number, epoch: number): bigint {
  const elapsed = BigInt(Math.floor(nowMs)) - BigInt(epoch) * 1000n;
  const size = BigInt(period) * 1000n;
  const q = elapsed / size; // BigInt division truncates toward zero
  return elapsed < 0n && q * size !== elapsed ? q - 1n : q;
}

export interface RefVerify {
  key: Uint8Array;
  code: string;
  expected: bigint;
  past: number;
  future: number;
  /** Only steps strictly above it match; -1 for none. */
  afterStep: bigint;
  algorithm: RefAlgorithm;
  digits: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The contract of verify*: among steps expected - past .. expected + future that are
 * >= 0, <= 2^53 - 1 and > afterStep, the one whose code equals the typed one (spaces
 * removed); the nearest to expected wins, the older one on a tie.
 */
export function refVerify(v: RefVerify): { delta: number; step: number } | null {
  const typed = v.code.replace(/ /g, '');
  let best: bigint | null = null;
  for (let step = v.expected - BigInt(v.past); step <= v.expected + BigInt(v.future); step++) {
    if (step < 0n || step > MAX_SAFE || step <= v.afterStep) continue;
    if (refHotp(v.key, step, v.algorithm, v.digits) !== typed) continue;
    const distance = (s: bigint): bigint => (s > v.expected ? s - v.expected : v.expected - s);
    if (best === null || distance(step) < distance(best)) best = step;
  }
  return best === null ? null : { delta: Number(best - v.expected), step: Number(best) };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32 through a bit string: slow and obviously right. */
export function refBase32Encode(bytes: Uint8Array, padding = false): string {
  const bits = Array.from(bytes, (b) => b.toString(2).padStart(8, '0')).join('');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += ALPHABET[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return padding ? out.padEnd(Math.ceil(out.length / 8) * 8, '=') : out;
}

/** Decodes canonical base32 (no separators), dropping leftover bits. */
export function refBase32Decode(text: string): Uint8Array {
  const bits = Array.from(text.replace(/=+$/, '').toUpperCase(), (c) => {
    const value = ALPHABET.indexOf(c);
    if (value < 0) throw new Error('not base32');
    return value.toString(2).padStart(5, '0');
  }).join('');
  const out = new Uint8Array(Math.floor(bits.length / 8));
  for (let i = 0; i < out.length; i++) out[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return out;
}

/**
 * `now` as the core takes a time in ms: a number from 10^11 (March 1973) on,
 * and a Date before, since a smaller number is refused as seconds.
 */
export function at(ms: number): number | Date {
  return ms < 1e11 ? new Date(ms) : ms;
}

import { OtpError } from '../errors.js';
import { isBytes } from '../internal/bytes.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// Character code → 5-bit value; -1 invalid, -2 skipped (space, hyphen), -3 padding.
const LOOKUP = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 32; i++) {
    table[ALPHABET.charCodeAt(i)] = i;
    table[ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  for (const c of ' \t\r\n-') table[c.charCodeAt(0)] = -2;
  table[61] = -3; // '='
  return table;
})();

/**
 * Encodes bytes as RFC 4648 §6 base32 in the canonical form authenticator
 * apps expect: upper case, no padding.
 *
 * @param bytes - the bytes to encode
 * @returns the base32 text
 * @throws {@link OtpError} `ERR_OPTIONS` when `bytes` is not a Uint8Array
 *
 * @example
 * ```ts
 * import { base32Encode } from 'otpgate';
 * base32Encode(new TextEncoder().encode('foobar')); // 'MZXW6YTBOI'
 * ```
 */
export function base32Encode(bytes: Uint8Array): string {
  if (!isBytes(bytes)) throw new OtpError('ERR_OPTIONS', 'base32Encode: expected a Uint8Array');
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    buffer = ((buffer << 8) | bytes[i]!) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes RFC 4648 §6 base32 as people and apps actually write it: lower
 * case, spaces, tabs, line breaks and hyphens are accepted, and padding may
 * be there or not. Bits left over after the last whole byte are ignored, as
 * authenticator apps do. Any other character throws: it is never mapped to
 * some value.
 *
 * @param text - the base32 text
 * @returns the decoded bytes
 * @throws {@link OtpError} `ERR_BASE32` for an invalid character or misplaced padding;
 *   the message gives the position, never the text. `ERR_OPTIONS` when `text` is not a string
 *
 * @example
 * ```ts
 * import { base32Decode } from 'otpgate';
 * base32Decode('mzxw 6ytb oi======'); // the bytes of 'foobar'
 * ```
 */
export function base32Decode(text: string): Uint8Array {
  if (typeof text !== 'string') throw new OtpError('ERR_OPTIONS', 'base32Decode: expected a string');
  // Not `>>> 3`: five times a long string's length can pass 2^32.
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let length = 0;
  let i = 0;
  // Eight characters of the alphabet are five whole bytes: decoded without a
  // branch per character. The first group that holds anything else (a
  // space, padding, a bad character) and the tail go through the loop below.
  const lookup = LOOKUP;
  for (const groups = text.length - 7; i < groups; i += 8) {
    const c0 = text.charCodeAt(i), c1 = text.charCodeAt(i + 1), c2 = text.charCodeAt(i + 2), c3 = text.charCodeAt(i + 3);
    const c4 = text.charCodeAt(i + 4), c5 = text.charCodeAt(i + 5), c6 = text.charCodeAt(i + 6), c7 = text.charCodeAt(i + 7);
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) > 127) break;
    const v0 = lookup[c0]!, v1 = lookup[c1]!, v2 = lookup[c2]!, v3 = lookup[c3]!;
    const v4 = lookup[c4]!, v5 = lookup[c5]!, v6 = lookup[c6]!, v7 = lookup[c7]!;
    if ((v0 | v1 | v2 | v3 | v4 | v5 | v6 | v7) < 0) break;
    const hi = (v0 << 15) | (v1 << 10) | (v2 << 5) | v3;
    const lo = (v4 << 15) | (v5 << 10) | (v6 << 5) | v7;
    out[length] = hi >>> 12;
    out[length + 1] = hi >>> 4;
    out[length + 2] = (hi << 4) | (lo >>> 16);
    out[length + 3] = lo >>> 8;
    out[length + 4] = lo;
    length += 5;
  }
  let buffer = 0;
  let bits = 0;
  let padding = false;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? LOOKUP[code]! : -1;
    if (value >= 0) {
      if (padding) throw new OtpError('ERR_BASE32', `base32: data after padding at position ${i}`);
      // Up to 7 bits wait from the previous character: keep 7 + 5 = 12.
      buffer = ((buffer << 5) | value) & 0xfff;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out[length++] = buffer >>> bits;
      }
    } else if (value === -3) {
      padding = true;
    } else if (value === -1) {
      throw new OtpError('ERR_BASE32', `base32: invalid character at position ${i}`);
    }
  }
  return length === out.length ? out : out.slice(0, length);
}

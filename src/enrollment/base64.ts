// RFC 4648 §4 and §5 base64, small and runtime-agnostic (no Node buffers, no atob,
// which throws DOMException rather than OtpError). Internal to enrollment.

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// Both alphabets decode: '+' and '-' are 62, '/' and '_' are 63.
const LOOKUP = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) table[STANDARD.charCodeAt(i)] = i;
  table[45] = 62; // '-'
  table[95] = 63; // '_'
  return table;
})();

/** Standard base64 with padding. */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += STANDARD[n >>> 18]! + STANDARD[(n >>> 12) & 63]! + STANDARD[(n >>> 6) & 63]! + STANDARD[n & 63]!;
  }
  const left = bytes.length - i;
  if (left === 1) {
    const n = bytes[i]! << 16;
    out += `${STANDARD[n >>> 18]!}${STANDARD[(n >>> 12) & 63]!}==`;
  } else if (left === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${STANDARD[n >>> 18]!}${STANDARD[(n >>> 12) & 63]!}${STANDARD[(n >>> 6) & 63]!}=`;
  }
  return out;
}

/**
 * Decodes standard or URL-safe base64, padded or not. Returns `null` for
 * anything else (a bad character, data after padding, a length no encoder
 * produces), so each caller throws its own error code.
 */
export function base64Decode(text: string): Uint8Array | null {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--; // trailing '='
  if (text.length - end > 2 || end % 4 === 1) return null;
  if (text.length !== end && text.length % 4 !== 0) return null;
  const out = new Uint8Array((end * 3) >>> 2);
  let buffer = 0;
  let bits = 0;
  let length = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? LOOKUP[code]! : -1;
    if (value < 0) return null;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (buffer >>> bits) & 0xff;
    }
  }
  return out;
}

// Unique ids for calls, events and requests. Drawing 16 bytes from the
// CSPRNG for each id put two getRandomValues calls on every verify (37 % of
// its time on the memory store); one draw of a pool serves 256 ids.
import { randomBytes } from '../internal/bytes.js';

const POOL_BYTES = 4096;
const ID_BYTES = 16;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

let pool: Uint8Array = new Uint8Array(0);
let offset = 0;

/**
 * @internal
 * A fresh 128-bit random id in hex. Each pool byte is used once, so ids are
 * as unpredictable as separate draws.
 */
export function randomId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  let hex = '';
  for (let i = offset; i < offset + ID_BYTES; i++) hex += HEX[pool[i]!];
  pool.fill(0, offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return hex;
}

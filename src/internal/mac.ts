import { hmac } from '@noble/hashes/hmac';
import { sha1 } from '@noble/hashes/legacy';
import { sha256, sha512 } from '@noble/hashes/sha2';
import type { Algorithm } from '../core/options.js';

/**
 * HMAC of one 8-byte big-endian counter (RFC 4226 §5.2), keyed once.
 * `hi` and `lo` are the counter's upper and lower 32 bits, so counters up to
 * 2^53 - 1 need no BigInt. The returned digest may be a buffer reused by the
 * next call: read it before calling again.
 */
export type CounterMac = (hi: number, lo: number) => Uint8Array;

const HASHES = { SHA1: sha1, SHA256: sha256, SHA512: sha512 } as const;

/** Prepares the HMAC key state once, so each counter costs only the message's compressions. */
export function createCounterMac(algorithm: Algorithm, key: Uint8Array): CounterMac {
  const keyed = hmac.create(HASHES[algorithm], key);
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  return (hi, lo) => {
    view.setUint32(0, hi);
    view.setUint32(4, lo);
    return keyed.clone().update(message).digest();
  };
}

// Recovery codes are NIST SP 800-63B look-up secrets (§5.1.2). Each carries
// 120 bits from the CSPRNG, which is at least the 112 bits for which §5.1.2.2
// allows an approved one-way function instead of a slow KDF: each is stored
// as HMAC-SHA-256 under its own random 128-bit salt, never in the clear.
import { hmac } from '@noble/hashes/hmac';
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import { base32Encode } from '../core/base32.js';
import { constantTimeEqual, randomBytes } from '../internal/bytes.js';
import type { RecoveryHash } from './record.js';

/** Characters of a recovery code without separators: 24 base32 characters, 120 bits. */
const LENGTH = 24;
const BYTES = 15;
const BASE32 = /^[A-Z2-7]+$/;
const encoder = new TextEncoder();

/** @internal Fresh recovery codes, as shown once to the user, and the hashes to store. */
export interface IssuedRecoveryCodes {
  readonly codes: readonly string[];
  readonly hashes: readonly RecoveryHash[];
}

/** @internal Draws `count` codes from the CSPRNG and hashes each under its own salt. */
export function issueRecoveryCodes(count: number): IssuedRecoveryCodes {
  const codes: string[] = [];
  const hashes: RecoveryHash[] = [];
  for (let i = 0; i < count; i++) {
    const raw = base32Encode(randomBytes(BYTES));
    const salt = randomBytes(16);
    codes.push(raw.match(/.{4}/g)!.join('-'));
    hashes.push({ salt: bytesToHex(salt), hash: hashWith(salt, raw) });
  }
  return { codes, hashes };
}

/**
 * @internal
 * The canonical form of a typed recovery code (upper case, no spaces or
 * hyphens), or `null` when it cannot be one, so a one-time code is never
 * mistaken for it.
 */
export function normalizeRecoveryCode(input: string): string | null {
  const text = input.replace(/[\s-]+/g, '').toUpperCase();
  return text.length === LENGTH && BASE32.test(text) ? text : null;
}

/**
 * @internal
 * The index of the stored hash that `code` (normalized) matches, or -1. Every
 * hash is computed and compared, without an early exit.
 */
export function findRecoveryCode(hashes: readonly RecoveryHash[], code: string): number {
  let found = -1;
  for (let i = 0; i < hashes.length; i++) {
    const { salt, hash } = hashes[i]!;
    if (constantTimeEqual(hashWith(hexToBytes(salt), code), hash) && found < 0) found = i;
  }
  return found;
}

function hashWith(salt: Uint8Array, code: string): string {
  return bytesToHex(hmac(sha256, salt, encoder.encode(code)));
}

// "Remember this device": a random token handed to the browser once, of
// which the record keeps only a SHA-256 hash, an expiry and a label. The
// token is 256 bits, so a fast hash is enough (no salt or KDF: it is not a
// password a person chose), and comparing hashes in constant time keeps the
// lookup from leaking how much of a guess matched.
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { constantTimeEqual } from '../internal/bytes.js';
import type { GateRecord, TrustedDevice } from './record.js';

const encoder = new TextEncoder();
const TOKEN = /^[0-9a-f]{64}$/;

/** @internal The hash stored for a device token (hex of its SHA-256). */
export function hashDeviceToken(token: string): string {
  return bytesToHex(sha256(encoder.encode(token)));
}

/** @internal The record's devices that have not expired. */
export function liveDevices(record: GateRecord, now: number): readonly TrustedDevice[] {
  return (record.devices ?? []).filter((device) => now < device.expiresAt);
}

/** @internal The live device `token` belongs to, or `undefined`. Every stored hash is compared, without an early exit. */
export function findDevice(record: GateRecord, token: string, now: number): TrustedDevice | undefined {
  if (!TOKEN.test(token)) return undefined;
  const hash = hashDeviceToken(token);
  let found: TrustedDevice | undefined;
  for (const device of liveDevices(record, now)) if (constantTimeEqual(device.hash, hash) && found === undefined) found = device;
  return found;
}

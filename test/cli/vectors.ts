// RFC 4226 Appendix D and RFC 6238 Appendix B, copied from the RFCs, plus a
// reference HOTP on node:crypto so the CLI is checked against the world, not itself.
import { createHmac } from 'node:crypto';

const ascii = (text: string): string => Buffer.from(text, 'ascii').toString('hex');

/** RFC 6238 Appendix B: each algorithm has its own seed length. */
export const totpSeeds = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
} as const;

/** [Unix seconds, SHA1, SHA256, SHA512] from RFC 6238 Appendix B (8 digits, 30 s). */
export const totpVectors: ReadonlyArray<readonly [number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

/** RFC 4226 Appendix D: the secret "12345678901234567890", counters 0 to 9. */
export const hotpSecretBase32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
export const hotpVectors: readonly string[] = [
  '755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489',
];

/** HOTP (RFC 4226 §5.3) on node:crypto, written from the RFC. */
export function referenceHotp(keyHex: string, counter: bigint, digits: number, algorithm: string): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const digest = createHmac(algorithm.replace('SHA', 'sha'), Buffer.from(keyHex, 'hex')).update(message).digest();
  const offset = digest[digest.length - 1]! & 0x0f;
  const value = digest.readUInt32BE(offset) & 0x7fffffff;
  return (value % 10 ** digits).toString().padStart(digits, '0');
}

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findRecoveryCode, issueRecoveryCodes, normalizeRecoveryCode } from '../../src/gate/recovery.js';

describe('recovery codes', () => {
  it('issues distinct codes of 24 base32 characters (120 bits) in groups of four', () => {
    const { codes, hashes } = issueRecoveryCodes(10);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    expect(new Set(hashes.map((h) => h.salt)).size).toBe(10);
  });

  it('stores HMAC-SHA-256 under a per-code salt, as node:crypto computes it, never the code', () => {
    const { codes, hashes } = issueRecoveryCodes(2);
    const raw = codes[0]!.replaceAll('-', '');
    const expected = createHmac('sha256', Buffer.from(hashes[0]!.salt, 'hex')).update(raw).digest('hex');
    expect(hashes[0]!.hash).toBe(expected);
    expect(hashes[0]!.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(hashes)).not.toContain(raw);
  });

  it('finds a code typed in lower case, with spaces or without hyphens', () => {
    const { codes, hashes } = issueRecoveryCodes(3);
    const typed = codes[2]!.toLowerCase().replaceAll('-', ' ');
    expect(findRecoveryCode(hashes, normalizeRecoveryCode(typed)!)).toBe(2);
    expect(findRecoveryCode(hashes, normalizeRecoveryCode(codes[0]!.replaceAll('-', ''))!)).toBe(0);
    expect(findRecoveryCode(hashes, 'A'.repeat(24))).toBe(-1);
  });

  it('never mistakes a one-time code for a recovery code', () => {
    expect(normalizeRecoveryCode('123456')).toBeNull();
    expect(normalizeRecoveryCode('12345678')).toBeNull();
    expect(normalizeRecoveryCode('ABCD-EFGH')).toBeNull();
    expect(normalizeRecoveryCode('ABCD-EFGH-IJKL-MNOP-QRST-UVW1')).toBeNull(); // 1 is not base32
  });
});

import { describe, expect, it } from 'vitest';
import { checkCompatibility, generateSecret, parseUri } from '../../src/index.js';

const params = (warnings: ReturnType<typeof checkCompatibility>): string[] => warnings.map((w) => w.parameter);

describe('checkCompatibility', () => {
  it('has nothing to say about the settings every app handles', () => {
    expect(checkCompatibility({ type: 'totp', secret: generateSecret(), issuer: 'ACME Co', account: 'alice@example.com' })).toEqual([]);
    expect(checkCompatibility({ type: 'totp', issuer: 'ACME', account: 'a', algorithm: 'SHA1', digits: 6, period: 30 })).toEqual([]);
  });

  it('flags each parameter Microsoft Authenticator and Authy ignore', () => {
    const warnings = checkCompatibility({ type: 'totp', issuer: 'ACME', account: 'a', algorithm: 'SHA512', digits: 8, period: 60 });
    expect(params(warnings)).toEqual(['algorithm', 'digits', 'period']);
    for (const w of warnings) {
      expect(w.apps).toContain('Microsoft Authenticator');
      expect(w.apps).toContain('Authy');
      expect(w.message.length).toBeGreaterThan(20);
    }
    expect(warnings[0]!.apps).toContain('Google Authenticator (older versions)');
    expect(warnings[0]!.message).toContain('SHA512');
    expect(warnings[2]!.message).toContain('60-second');
  });

  it('knows Google Authenticator shows 6 or 8 digits only', () => {
    expect(checkCompatibility({ issuer: 'A', digits: 7 })[0]!.apps).toContain('Google Authenticator');
    expect(checkCompatibility({ issuer: 'A', digits: 8 })[0]!.apps).not.toContain('Google Authenticator');
  });

  it('flags HOTP, short keys, a missing issuer and long labels', () => {
    expect(params(checkCompatibility({ type: 'hotp', issuer: 'A', period: 60 }))).toEqual(['type']);
    expect(params(checkCompatibility({ issuer: 'A', secret: 'JBSWY3DPEHPK3PXP' }))).toEqual(['secret']); // 80 bits
    expect(checkCompatibility({ issuer: 'A', secret: new Uint8Array(10) })[0]!.message).toContain('80 bits');
    expect(params(checkCompatibility({ issuer: 'A', secret: new Uint8Array(16) }))).toEqual([]);
    expect(params(checkCompatibility({ account: 'alice' }))).toEqual(['issuer']);
    expect(params(checkCompatibility({ issuer: 'ACME', account: 'x'.repeat(70) }))).toEqual(['label']);
    // An unreadable key is not this function's to refuse.
    expect(params(checkCompatibility({ issuer: 'A', secret: 'not base32!' }))).toEqual([]);
  });

  it('takes a parseUri result directly', () => {
    const parsed = parseUri('otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA256&digits=8&period=60');
    expect(params(checkCompatibility(parsed))).toEqual(['algorithm', 'digits', 'period', 'secret']);
  });
});

describe('warnings are safe to log', () => {
  it('no warning message of checkCompatibility or parseUri holds the secret, whichever warnings fire', () => {
    const short = 'JBSWY3DPEHPK3PXP'; // 80 bits: short-secret fires
    const long = generateSecret();
    for (const secret of [short, long]) {
      const warnings = checkCompatibility({ type: 'hotp', secret, algorithm: 'SHA512', digits: 8, period: 60, account: 'a'.repeat(80) });
      expect(warnings.length).toBeGreaterThan(3);
      for (const w of warnings) expect(JSON.stringify(w)).not.toContain(secret);
    }
    expect(checkCompatibility({ secret: short }).map((w) => w.code)).toContain('short-secret');
    const parsed = parseUri(`otpauth://totp/Microsoft:alice?secret=${long}&issuer=Contoso`);
    expect(parsed.warnings.map((w) => w.code)).toEqual(['issuer-mismatch']);
    for (const w of parsed.warnings) expect(JSON.stringify(w)).not.toContain(long);
  });
});

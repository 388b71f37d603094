import { describe, expect, it } from 'vitest';
import { buildUri, isOtpError, type KeyUriParams } from '../../src/index.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isOtpError(error) ? error.code : `not an OtpError: ${String(error)}`;
  }
  return undefined;
};

describe('buildUri', () => {
  it('writes the typical URI: encoded label, issuer parameter, defaults left out', () => {
    expect(buildUri({ type: 'totp', secret: SECRET, issuer: 'ACME Co', account: 'alice@example.com' })).toBe(
      `otpauth://totp/ACME%20Co:alice%40example.com?secret=${SECRET}&issuer=ACME%20Co`,
    );
  });

  it('never writes + for a space, and encodes a literal + in an address', () => {
    const uri = buildUri({ type: 'totp', secret: SECRET, issuer: 'A B', account: 'a+tag b@x.io' });
    expect(uri).toBe(`otpauth://totp/A%20B:a%2Btag%20b%40x.io?secret=${SECRET}&issuer=A%20B`);
    expect(uri.split('?')[0]).not.toContain('+');
  });

  it('writes the secret upper case, unpadded, from text in any accepted form or from bytes', () => {
    const bytes = new TextEncoder().encode('12345678901234567890');
    const expected = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    for (const secret of [bytes, expected.toLowerCase(), 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq', 'MZXW6YTBOI======']) {
      const uri = buildUri({ type: 'totp', secret, account: 'a' });
      const written = /secret=([^&]*)/.exec(uri)![1]!;
      expect(written).toMatch(/^[A-Z2-7]+$/);
      if (secret !== 'MZXW6YTBOI======') expect(written).toBe(expected);
      else expect(written).toBe('MZXW6YTBOI');
    }
  });

  it('leaves defaults out unless includeDefaults, and writes what differs', () => {
    const p: KeyUriParams = { type: 'totp', secret: SECRET, account: 'a', algorithm: 'SHA1', digits: 6, period: 30 };
    expect(buildUri(p)).toBe(`otpauth://totp/a?secret=${SECRET}`);
    expect(buildUri({ type: 'totp', secret: SECRET, account: 'a' }, { includeDefaults: true })).toBe(
      `otpauth://totp/a?secret=${SECRET}&algorithm=SHA1&digits=6&period=30`,
    );
    expect(buildUri({ ...p, algorithm: 'SHA512', digits: 8, period: 60 })).toBe(
      `otpauth://totp/a?secret=${SECRET}&algorithm=SHA512&digits=8&period=60`,
    );
  });

  it('hotp requires counter and writes it, even 0', () => {
    expect(buildUri({ type: 'hotp', secret: SECRET, account: 'a', counter: 0 })).toBe(`otpauth://hotp/a?secret=${SECRET}&counter=0`);
    expect(code(() => buildUri({ type: 'hotp', secret: SECRET, account: 'a' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ type: 'hotp', secret: SECRET, account: 'a', counter: -1 }))).toBe('ERR_URI');
    expect(code(() => buildUri({ type: 'hotp', secret: SECRET, account: 'a', counter: 1.5 }))).toBe('ERR_URI');
    expect(code(() => buildUri({ type: 'hotp', secret: SECRET, account: 'a', counter: 1, period: 30 }))).toBe('ERR_URI');
    expect(code(() => buildUri({ type: 'totp', secret: SECRET, account: 'a', counter: 1 }))).toBe('ERR_URI');
  });

  it('passes image through, encoded', () => {
    expect(buildUri({ type: 'totp', secret: SECRET, account: 'a', image: 'https://x.io/logo.png?s=1&t=2' })).toBe(
      `otpauth://totp/a?secret=${SECRET}&image=https%3A%2F%2Fx.io%2Flogo.png%3Fs%3D1%26t%3D2`,
    );
  });

  it('refuses ambiguous or invalid parameters with ERR_URI, a bad secret with ERR_BASE32', () => {
    const base = { type: 'totp', secret: SECRET, account: 'alice' } as const;
    expect(code(() => buildUri({ ...base, issuer: 'AC:ME' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, account: 'al:ice' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, account: '' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, account: ' alice' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, issuer: '' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, digits: 5 }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, digits: 11 }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, period: 0 }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, period: 2.5 }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, algorithm: 'MD5' as 'SHA1' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, type: 'motp' as 'totp' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, account: '\ud800' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, account: 'x'.repeat(600) }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, secret: '' }))).toBe('ERR_URI');
    expect(code(() => buildUri({ ...base, secret: 'NOT BASE32!' }))).toBe('ERR_BASE32');
    // A wrong JavaScript type is the caller's mistake (issue 11 item 8): see types.test.ts.
    expect(code(() => buildUri(null as unknown as KeyUriParams))).toBe('ERR_OPTIONS');
  });
});

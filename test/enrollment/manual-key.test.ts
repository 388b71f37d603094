import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, formatManualKey, isOtpError, parseManualKey } from '../../src/index.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isOtpError(error) ? error.code : `not an OtpError: ${String(error)}`;
  }
  return undefined;
};

describe('formatManualKey', () => {
  it('groups canonical base32 by four, from any accepted form of the key', () => {
    expect(formatManualKey('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(formatManualKey('jbswy3dpehpk3pxp')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(formatManualKey('mzxw6ytboi======')).toBe('MZXW 6YTB OI');
    expect(formatManualKey(new TextEncoder().encode('12345678901234567890'))).toBe('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ');
  });

  it('takes a group size and separator', () => {
    expect(formatManualKey('JBSWY3DPEHPK3PXP', { groupSize: 8, separator: '-' })).toBe('JBSWY3DP-EHPK3PXP');
    expect(formatManualKey('JBSWY3DPEHPK3PXP', { groupSize: 3 })).toBe('JBS WY3 DPE HPK 3PX P');
  });

  it('refuses bad keys and options with OtpError codes, never echoing the key', () => {
    expect(code(() => formatManualKey('JBSW!Y3DP'))).toBe('ERR_BASE32');
    expect(code(() => formatManualKey(''))).toBe('ERR_OPTIONS');
    expect(code(() => formatManualKey(new Uint8Array()))).toBe('ERR_OPTIONS');
    expect(code(() => formatManualKey('JBSWY3DP', { groupSize: 0 }))).toBe('ERR_OPTIONS');
    expect(code(() => formatManualKey(42 as unknown as string))).toBe('ERR_OPTIONS');
    try {
      formatManualKey('SECRETKEY1');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('SECRETKEY');
    }
  });

  it('what a user pastes back of a formatted key decodes to the same bytes (fast-check)', () => {
    const noise = fc.constantFrom(' ', '  ', '\u00a0', '\u2009', '\u200b', '-', '\u2013', '\t', '\n', '');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean(), fc.array(noise, { minLength: 1, maxLength: 4 }), (bytes, lower, seps) => {
        const shown = formatManualKey(bytes);
        let pasted = shown.split(' ').map((g, i) => g + seps[i % seps.length]).join('');
        if (lower) pasted = pasted.toLowerCase();
        pasted = `${seps[0]}${pasted}\n`;
        expect(parseManualKey(pasted)).toBe(base32Encode(bytes));
        // The core decoder takes the ASCII forms too (spaces, lower case), as the design promises.
        expect(base32Decode(shown.toLowerCase())).toEqual(bytes);
      }),
    );
  });

  it('parseManualKey refuses look-alike digits rather than guessing', () => {
    expect(parseManualKey(' jbsw y3dp\u00a0ehpk-3pxp\n')).toBe('JBSWY3DPEHPK3PXP');
    expect(code(() => parseManualKey('JBSW Y3DP EHPK 3PX0'))).toBe('ERR_BASE32');
    expect(code(() => parseManualKey('JBSW Y3DP EHPK 3PX1'))).toBe('ERR_BASE32');
    expect(code(() => parseManualKey('   '))).toBe('ERR_OPTIONS');
    try {
      parseManualKey('MYSECRET0');
    } catch (error) {
      expect((error as Error).message).not.toMatch(/MYSECRET/i);
    }
  });
});

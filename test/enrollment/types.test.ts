// Issue 11 item 8, the enrollment layer: every public function refuses an argument of the
// wrong JavaScript type with ERR_OPTIONS (never a TypeError from deep inside, never another
// code), and an unknown option name is an error rather than silently ignored.
import { describe, expect, it } from 'vitest';
import {
  buildMigrationUri,
  buildUri,
  checkCompatibility,
  formatManualKey,
  isOtpError,
  parseManualKey,
  parseMigrationUri,
  parseUri,
  qrDataUrl,
  qrModules,
  qrSvg,
  qrTerminal,
} from '../../src/index.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const URI = `otpauth://totp/ACME:alice?secret=${SECRET}&issuer=ACME`;
const EXPORT = 'otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEgACgB';
const PARAMS = { type: 'totp', secret: SECRET, issuer: 'ACME', account: 'alice' } as const;

/** The code thrown, or what was thrown instead of an OtpError. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return isOtpError(error) ? error.code : `not an OtpError: ${String(error)}`;
  }
  return 'nothing thrown';
}

// Loosely typed on purpose: these calls are what a JavaScript caller, or a caller with `any`, can make.
type Loose = (...args: unknown[]) => unknown;
const fn = (f: unknown): Loose => f as Loose;

/** Values of every JavaScript type but those given. */
function valuesExcept(...allowed: string[]): unknown[] {
  const all: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['number', 42],
    ['nan', Number.NaN],
    ['bigint', 42n],
    ['boolean', true],
    ['string', 'text'],
    ['symbol', Symbol('x')],
    ['function', () => 1],
    ['array', ['a']],
    ['bytes', new Uint8Array([1, 2, 3])],
    ['object', { unrelated: 1 }],
  ];
  return all.filter(([kind]) => !allowed.includes(kind)).map(([, value]) => value);
}

describe('every public enrollment function refuses arguments of the wrong type with ERR_OPTIONS', () => {
  // [name, call with the argument under test in place, the kinds that argument may be]
  const positions: Array<[string, (value: unknown) => unknown, string[]]> = [
    ['buildUri params', (v) => fn(buildUri)(v), []],
    ['buildUri options', (v) => fn(buildUri)(PARAMS, v), ['undefined']],
    ['parseUri uri', (v) => fn(parseUri)(v), ['string']],
    ['qrModules text', (v) => fn(qrModules)(v), ['string']],
    ['qrModules options', (v) => fn(qrModules)(URI, v), ['undefined']],
    ['qrSvg text', (v) => fn(qrSvg)(v), ['string']],
    ['qrSvg options', (v) => fn(qrSvg)(URI, v), ['undefined']],
    ['qrDataUrl text', (v) => fn(qrDataUrl)(v), ['string']],
    ['qrDataUrl options', (v) => fn(qrDataUrl)(URI, v), ['undefined']],
    ['qrTerminal text', (v) => fn(qrTerminal)(v), ['string']],
    ['qrTerminal options', (v) => fn(qrTerminal)(URI, v), ['undefined']],
    ['formatManualKey secret', (v) => fn(formatManualKey)(v), ['string', 'bytes']],
    ['formatManualKey options', (v) => fn(formatManualKey)(SECRET, v), ['undefined']],
    ['parseManualKey text', (v) => fn(parseManualKey)(v), ['string']],
    ['parseMigrationUri uri', (v) => fn(parseMigrationUri)(v), ['string']],
    ['buildMigrationUri accounts', (v) => fn(buildMigrationUri)(v), []],
    ['buildMigrationUri an account', (v) => fn(buildMigrationUri)([v]), []],
    ['buildMigrationUri options', (v) => fn(buildMigrationUri)([PARAMS], v), ['undefined']],
    ['checkCompatibility params', (v) => fn(checkCompatibility)(v), []],
  ];
  for (const [name, call, allowed] of positions) {
    it(name, () => {
      // The value that is neither allowed nor the right type: 'object' is right for the
      // options objects, but { unrelated: 1 } has an unknown name, so it is refused too.
      const right = name.endsWith('options') || name.endsWith('params') || name.endsWith('an account') ? ['object'] : [];
      for (const value of valuesExcept(...allowed, ...right)) expect([name, String(value), thrown(() => call(value))]).toEqual([name, String(value), 'ERR_OPTIONS']);
    });
  }

  // [name, call with a field of the wrong type]
  const fields: Array<[string, () => unknown]> = [
    ['buildUri type', () => fn(buildUri)({ ...PARAMS, type: 1 })],
    ['buildUri secret', () => fn(buildUri)({ ...PARAMS, secret: 123 })],
    ['buildUri secret as an array', () => fn(buildUri)({ ...PARAMS, secret: [1, 2, 3] })],
    ['buildUri account', () => fn(buildUri)({ ...PARAMS, account: null })],
    ['buildUri issuer', () => fn(buildUri)({ ...PARAMS, issuer: { name: 'ACME' } })],
    ['buildUri algorithm', () => fn(buildUri)({ ...PARAMS, algorithm: 1 })],
    ['buildUri digits', () => fn(buildUri)({ ...PARAMS, digits: '8' })],
    ['buildUri period', () => fn(buildUri)({ ...PARAMS, period: '60' })],
    ['buildUri counter', () => fn(buildUri)({ ...PARAMS, type: 'hotp', counter: '1' })],
    ['buildUri image', () => fn(buildUri)({ ...PARAMS, image: new URL('https://example.com/logo.png') })],
    ['buildUri includeDefaults', () => fn(buildUri)(PARAMS, { includeDefaults: 'yes' })],
    ['qrSvg level', () => fn(qrSvg)(URI, { level: 1 })],
    ['qrSvg quietZone', () => fn(qrSvg)(URI, { quietZone: '4' })],
    ['qrSvg dark', () => fn(qrSvg)(URI, { dark: 0 })],
    ['qrSvg size', () => fn(qrSvg)(URI, { size: true })],
    ['qrSvg title', () => fn(qrSvg)(URI, { title: 1 })],
    ['qrDataUrl encoding', () => fn(qrDataUrl)(URI, { encoding: 64 })],
    ['qrTerminal background', () => fn(qrTerminal)(URI, { background: false })],
    ['formatManualKey groupSize', () => fn(formatManualKey)(SECRET, { groupSize: '4' })],
    ['formatManualKey separator', () => fn(formatManualKey)(SECRET, { separator: 0 })],
    ['buildMigrationUri account', () => fn(buildMigrationUri)([{ ...PARAMS, account: 7 }])],
    ['buildMigrationUri secret', () => fn(buildMigrationUri)([{ ...PARAMS, secret: 7 }])],
    ['buildMigrationUri digits', () => fn(buildMigrationUri)([{ ...PARAMS, digits: '6' }])],
    ['buildMigrationUri issuer', () => fn(buildMigrationUri)([{ ...PARAMS, issuer: 7 }])],
    ['buildMigrationUri algorithm', () => fn(buildMigrationUri)([{ ...PARAMS, algorithm: 1 }])],
    ['buildMigrationUri batchId', () => fn(buildMigrationUri)([PARAMS], { batchId: '1' })],
    ['checkCompatibility digits', () => fn(checkCompatibility)({ digits: '8' })],
    ['checkCompatibility algorithm', () => fn(checkCompatibility)({ algorithm: 256 })],
    ['checkCompatibility secret', () => fn(checkCompatibility)({ secret: 42 })],
  ];
  for (const [name, call] of fields) {
    it(`a field of the wrong type: ${name}`, () => {
      expect(thrown(call)).toBe('ERR_OPTIONS');
    });
  }
});

describe('unknown option names are an error', () => {
  const calls: Array<[string, () => unknown]> = [
    ['buildUri params', () => fn(buildUri)({ ...PARAMS, digit: 8 })],
    ['buildUri options', () => fn(buildUri)(PARAMS, { includeDefault: true })],
    ['qrModules', () => fn(qrModules)(URI, { levle: 'L' })],
    ['qrSvg', () => fn(qrSvg)(URI, { width: 200 })],
    ['qrSvg: encoding belongs to qrDataUrl', () => fn(qrSvg)(URI, { encoding: 'base64' })],
    ['qrDataUrl', () => fn(qrDataUrl)(URI, { sizes: 200 })],
    ['qrTerminal: size belongs to the SVG', () => fn(qrTerminal)(URI, { size: 200 })],
    ['formatManualKey', () => fn(formatManualKey)(SECRET, { group: 4 })],
    ['buildMigrationUri account', () => fn(buildMigrationUri)([{ ...PARAMS, image: 'https://example.com/a.png' }])],
    ['buildMigrationUri options', () => fn(buildMigrationUri)([PARAMS], { batch: 1 })],
    ['checkCompatibility', () => fn(checkCompatibility)({ digts: 8 })],
  ];
  for (const [name, call] of calls) {
    it(name, () => {
      expect(thrown(call)).toBe('ERR_OPTIONS');
    });
  }

  it('names the unknown option when it is an identifier, and never echoes other text', () => {
    expect(() => fn(qrSvg)(URI, { width: 200 })).toThrow("options has an unknown option 'width'");
    let message = '';
    try {
      fn(qrSvg)(URI, { [SECRET.toLowerCase() + ' !']: 1 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/unknown option/);
    expect(message.toLowerCase()).not.toContain(SECRET.toLowerCase());
  });

  it('still takes back what the library itself returns', () => {
    // parseUri's result (with warnings) into buildUri and checkCompatibility; a migration
    // account (with name) into buildUri and buildMigrationUri.
    const parsed = parseUri(URI);
    expect(buildUri(parsed)).toBe(URI);
    expect(checkCompatibility(parsed)).toEqual([]);
    const [account] = parseMigrationUri(EXPORT).accounts;
    expect(buildUri(account!)).toMatch(/^otpauth:\/\/totp\/Example:alice%40google\.com\?/);
    expect(parseMigrationUri(buildMigrationUri([account!])).accounts).toEqual([account]);
    expect(buildMigrationUri([parsed])).toMatch(/^otpauth-migration:/);
  });
});

describe('warning codes', () => {
  it('parseUri warnings are { code, message } objects', () => {
    const { warnings } = parseUri(`otpauth://totp/Microsoft:alice@contoso.com?secret=${SECRET}&issuer=Contoso`);
    expect(warnings).toEqual([
      { code: 'issuer-mismatch', message: 'the issuer in the label ("Microsoft") differs from the issuer parameter ("Contoso"); using the parameter' },
    ]);
  });

  it('every checkCompatibility warning has its stable code', () => {
    const codes = (params: Parameters<typeof checkCompatibility>[0]): string[] => checkCompatibility(params).map((w) => w.code);
    expect(codes({ type: 'hotp', issuer: 'A' })).toEqual(['hotp-unsupported']);
    expect(codes({ algorithm: 'SHA256', issuer: 'A' })).toEqual(['algorithm-ignored']);
    expect(codes({ digits: 8, issuer: 'A' })).toEqual(['digits-unsupported']);
    expect(codes({ digits: 7, issuer: 'A' })).toEqual(['digits-unsupported']);
    expect(codes({ period: 60, issuer: 'A' })).toEqual(['period-ignored']);
    expect(codes({ secret: 'JBSWY3DP', issuer: 'A' })).toEqual(['short-secret']);
    expect(codes({})).toEqual(['missing-issuer']);
    expect(codes({ issuer: 'A'.repeat(40), account: 'b'.repeat(40) })).toEqual(['long-label']);
    for (const warning of checkCompatibility({ type: 'hotp', algorithm: 'SHA512', digits: 8, secret: 'AAAA' })) {
      expect(Object.keys(warning)).toEqual(['code', 'parameter', 'apps', 'message']);
      expect(warning.message.length).toBeGreaterThan(20);
    }
  });
});

// OtpError and isOtpError, including errors from another realm, where instanceof fails.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { base32Decode } from '../../src/core/index.js';
import { isOtpError, OtpError, type OtpErrorCode } from '../../src/errors.js';

// A Record over the union: tsc fails here when a code is added or removed without this list.
const ALL: Record<OtpErrorCode, true> = {
  ERR_BASE32: true, ERR_OPTIONS: true, ERR_URI: true, ERR_MIGRATION: true, ERR_QR: true, ERR_POSTPONE_LIMIT: true,
  ERR_POSTPONE_NOT_ALLOWED: true, ERR_NOT_ADMIN: true, ERR_STATE: true, ERR_REQUIRED: true, ERR_NOT_ENROLLED: true,
  ERR_COOLDOWN: true, ERR_CONFLICT: true, ERR_STORE: true, ERR_NOTIFY: true, ERR_DIRECTORY: true, ERR_CIPHER: true, ERR_USAGE: true,
  ERR_REAUTH_REQUIRED: true, ERR_REAUTH_FAILED: true, ERR_NOT_FOUND: true, ERR_LIMIT: true,
};
const CODES = Object.keys(ALL) as OtpErrorCode[];

/** An error built by the same class source in a fresh V8 context: another Error, another prototype chain. */
function foreignOtpError(code: string, name = 'OtpError'): unknown {
  return runInNewContext(`
    class OtpError extends Error {
      constructor(code, message) { super(message); this.code = code; }
      get name() { return ${JSON.stringify(name)}; }
    }
    new OtpError(${JSON.stringify(code)}, 'from another realm');
  `);
}

describe('OtpError', () => {
  it('is an Error with a name, a stable code, a message and a stack', () => {
    const error = new OtpError('ERR_OPTIONS', 'digits must be an integer from 6 to 10');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(OtpError);
    expect(error.name).toBe('OtpError');
    expect(error.code).toBe('ERR_OPTIONS');
    expect(error.message).toBe('digits must be an integer from 6 to 10');
    expect(String(error)).toBe('OtpError: digits must be an integer from 6 to 10');
    expect(error.stack).toContain('OtpError');
    expect('cause' in error).toBe(false);
  });

  it('keeps a cause when given one', () => {
    const cause = new Error('connection reset');
    const error = new OtpError('ERR_STORE', 'the store failed', { cause });
    expect(error.cause).toBe(cause);
    expect(new OtpError('ERR_STORE', 'x', {}).cause).toBeUndefined();
  });

  it('is what the core throws', () => {
    let caught: unknown;
    try {
      base32Decode('1');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OtpError);
    expect((caught as OtpError).code).toBe('ERR_BASE32');
  });
});

describe('isOtpError', () => {
  it('is true for an OtpError of every code', () => {
    expect(CODES).toHaveLength(22);
    for (const code of CODES) expect(isOtpError(new OtpError(code, 'message'))).toBe(true);
  });

  it('is true for a structurally identical error from another realm, where instanceof fails', () => {
    const foreign = foreignOtpError('ERR_BASE32');
    expect(foreign instanceof Error).toBe(false);
    expect(foreign instanceof OtpError).toBe(false);
    expect(isOtpError(foreign)).toBe(true);
    for (const code of CODES) expect(isOtpError(foreignOtpError(code))).toBe(true);
  });

  it('is false for another realm\'s error with an unknown code or another name', () => {
    expect(isOtpError(foreignOtpError('ERR_NOPE'))).toBe(false);
    expect(isOtpError(foreignOtpError('err_base32'))).toBe(false);
    expect(isOtpError(foreignOtpError('ERR_BASE32', 'Error'))).toBe(false);
  });

  it('is false for plain errors, look-alikes and non-errors', () => {
    const plain = new Error('ERR_BASE32');
    const coded = Object.assign(new Error('x'), { code: 'ERR_BASE32' });
    const renamed = Object.assign(new Error('x'), { name: 'OtpError' });
    const unknownCode = Object.assign(new Error('x'), { name: 'OtpError', code: 'ERR_UNKNOWN' });
    const numericCode = Object.assign(new Error('x'), { name: 'OtpError', code: 1 });
    for (const [index, value] of [
      plain, coded, renamed, unknownCode, numericCode, new TypeError('x'),
      'OtpError', 'ERR_BASE32', null, undefined, 0, true, Symbol('OtpError'),
      {}, { name: 'OtpError' }, { name: 'OtpError', code: 'ERR_WHATEVER', message: 'x' },
      { name: 'OtpError', code: 'ERR_BASE32', message: 42 }, { code: 'ERR_BASE32', message: 'x' },
      Object.create(null) as object, () => undefined,
    ].entries()) {
      expect(isOtpError(value), `value #${index}`).toBe(false);
    }
  });

  it('narrows the type so the code can be switched on', () => {
    const value: unknown = new OtpError('ERR_URI', 'bad uri');
    if (!isOtpError(value)) return expect.fail('not narrowed');
    const code: OtpErrorCode = value.code;
    expect(code).toBe('ERR_URI');
  });
});

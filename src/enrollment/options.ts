import { OtpError } from '../errors.js';

// Shared argument checks of the enrollment layer: a wrong JavaScript type or
// an unknown option name is the caller's mistake (ERR_OPTIONS), never a
// TypeError from deep inside and never an option silently ignored.

/** @internal */
export function optionsError(message: string): never {
  throw new OtpError('ERR_OPTIONS', message);
}

/** A key safe to name in a message: an identifier, never arbitrary text (it could be a key). */
function describeKey(key: string): string {
  return /^[A-Za-z_$][\w$]{0,39}$/.test(key) ? `'${key}'` : 'with a name that is not an identifier';
}

/**
 * Checks an options-like argument: `undefined` (when `optional`) or a plain
 * object whose own keys are all in `known`. Returns the object, or an empty
 * one for `undefined`.
 * @internal
 */
export function checkObject<T extends object>(
  value: T | undefined,
  name: string,
  known: ReadonlySet<string>,
  optional: boolean,
): Partial<T> {
  if (value === undefined && optional) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return optionsError(`${name} must be an object${optional ? ' or undefined' : ''}`);
  }
  for (const key of Object.keys(value)) {
    if (!known.has(key)) optionsError(`${name} has an unknown option ${describeKey(key)}`);
  }
  return value;
}

/** Refuses a value that is neither `undefined` nor of the JavaScript type named. @internal */
export function checkType(value: unknown, type: 'string' | 'number' | 'boolean', name: string): void {
  if (value !== undefined && typeof value !== type) optionsError(`${name} must be a ${type}`);
}

/** Refuses a value that is not a string. @internal */
export function checkString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') optionsError(`${name} must be a string`);
}

/** Refuses a key that is neither base32 text nor bytes. @internal */
export function checkSecret(value: unknown, name: string): asserts value is string | Uint8Array {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) optionsError(`${name} must be a base32 string or a Uint8Array`);
}

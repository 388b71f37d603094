import { base32Decode, base32Encode } from '../core/base32.js';
import { OtpError } from '../errors.js';
import { checkObject, checkSecret, checkString } from './options.js';

const OPTION_NAMES: ReadonlySet<string> = new Set(['groupSize', 'separator']);

/**
 * Options of {@link formatManualKey}.
 *
 * @example
 * ```ts
 * import { formatManualKey, type ManualKeyOptions } from 'otpgate';
 * const options: ManualKeyOptions = { groupSize: 8, separator: '-' };
 * formatManualKey('JBSWY3DPEHPK3PXP', options); // 'JBSWY3DP-EHPK3PXP'
 * ```
 */
export interface ManualKeyOptions {
  /** Characters per group, 1 to 64. @defaultValue `4` */
  readonly groupSize?: number | undefined;
  /** Text between groups. @defaultValue `' '` (one space) */
  readonly separator?: string | undefined;
}

function toBytes(secret: unknown): Uint8Array {
  checkSecret(secret, 'secret');
  return typeof secret === 'string' ? base32Decode(secret) : secret;
}

/**
 * Formats a key for "Unable to scan?": canonical base32 (upper case, no
 * padding) in groups of four, which people read and type far more reliably
 * than 32 characters in a row. Authenticator apps and {@link parseManualKey}
 * accept it back with or without the spaces, in any case.
 *
 * @param secret - base32 text (any form `base32Decode` accepts) or the key bytes
 * @param options - `groupSize` (default 4) and `separator` (default `' '`)
 * @returns the formatted key
 * @throws {@link OtpError} `ERR_BASE32` for text that is not base32, `ERR_OPTIONS`
 *   for a secret of the wrong type, an empty key, a bad option or an unknown option name
 *
 * @example
 * ```ts
 * import { formatManualKey } from 'otpgate';
 * formatManualKey('jbswy3dpehpk3pxp'); // 'JBSW Y3DP EHPK 3PXP'
 * ```
 */
export function formatManualKey(secret: string | Uint8Array, options?: ManualKeyOptions): string {
  const checked = checkObject(options, 'options', OPTION_NAMES, true);
  const groupSize = checked.groupSize ?? 4;
  const separator = checked.separator ?? ' ';
  if (typeof groupSize !== 'number' || !Number.isInteger(groupSize) || groupSize < 1 || groupSize > 64) {
    throw new OtpError('ERR_OPTIONS', 'groupSize must be an integer from 1 to 64');
  }
  if (typeof separator !== 'string') throw new OtpError('ERR_OPTIONS', 'separator must be a string');
  const bytes = toBytes(secret);
  if (bytes.length === 0) throw new OtpError('ERR_OPTIONS', 'secret must not be empty');
  const text = base32Encode(bytes);
  const groups: string[] = [];
  for (let i = 0; i < text.length; i += groupSize) groups.push(text.slice(i, i + groupSize));
  return groups.join(separator);
}

// Characters that copying from web pages, PDFs and chat apps slips into a key:
// every Unicode space (NBSP, thin space, ...), zero-width characters, the BOM,
// and dashes of every width.
const PASTE_NOISE = /[\s\u200b-\u200d\u2060\ufeff\u2010-\u2015\u2212_-]/gu;

/**
 * Reads a key as a user types or pastes it back: lower case, spaces of any
 * kind (including the non-breaking and zero-width ones copying from a web
 * page adds), hyphens, dashes, underscores and padding are all accepted. It
 * does not guess at look-alikes (`0` for `O`, `1` for `I`): those are refused,
 * so a typo fails loudly instead of enrolling a wrong key.
 *
 * @param text - the key as typed or pasted
 * @returns the key as canonical base32 (upper case, no padding)
 * @throws {@link OtpError} `ERR_BASE32` for any other character (the message never
 *   repeats the text), `ERR_OPTIONS` for text that is not a string or when no key is left
 *
 * @example
 * ```ts
 * import { parseManualKey } from 'otpgate';
 * parseManualKey(' jbsw y3dp\u00a0ehpk-3pxp\n'); // 'JBSWY3DPEHPK3PXP'
 * ```
 */
export function parseManualKey(text: string): string {
  checkString(text, 'key');
  let bytes: Uint8Array;
  try {
    bytes = base32Decode(text.replace(PASTE_NOISE, ''));
  } catch (error) {
    // Positions after stripping would point at the wrong character of what the user sees.
    throw new OtpError('ERR_BASE32', 'the key may only hold the letters A to Z and the digits 2 to 7', { cause: error });
  }
  if (bytes.length === 0) throw new OtpError('ERR_OPTIONS', 'the key is empty');
  return base32Encode(bytes);
}

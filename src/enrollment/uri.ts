import { base32Decode, base32Encode } from '../core/base32.js';
import type { Algorithm } from '../core/options.js';
import { OtpError } from '../errors.js';
import { checkObject, checkSecret, checkString, checkType, optionsError } from './options.js';

/**
 * What an `otpauth://` URI describes (Google's Key URI Format): the input of
 * {@link buildUri}.
 *
 * @example
 * ```ts
 * import { buildUri, type KeyUriParams } from 'otpgate';
 * const params: KeyUriParams = { type: 'totp', secret: 'JBSWY3DPEHPK3PXP', issuer: 'ACME Co', account: 'alice@example.com' };
 * buildUri(params);
 * ```
 */
export interface KeyUriParams {
  /** `'totp'` (time-based, RFC 6238) or `'hotp'` (counter-based, RFC 4226). */
  readonly type: 'totp' | 'hotp';
  /** The key: base32 text (any case, spaces and padding allowed) or the key bytes. */
  readonly secret: string | Uint8Array;
  /** The service or company the account belongs to; it may not contain `:`. */
  readonly issuer?: string | undefined;
  /** The user's account name, for example an e-mail address; non-empty, without `:`. */
  readonly account: string;
  /** The HMAC hash. @defaultValue `'SHA1'` */
  readonly algorithm?: Algorithm | undefined;
  /** The code length, 6 to 10. @defaultValue `6` */
  readonly digits?: number | undefined;
  /** TOTP only: the step length in seconds, a positive integer. @defaultValue `30` */
  readonly period?: number | undefined;
  /** HOTP only, and required there: the next counter value, an integer from 0 to 2^53 - 1. */
  readonly counter?: number | undefined;
  /** An image URL some apps show next to the account; passed through unchanged. */
  readonly image?: string | undefined;
}

/**
 * Options of {@link buildUri}.
 *
 * @example
 * ```ts
 * import { buildUri, type BuildUriOptions } from 'otpgate';
 * const options: BuildUriOptions = { includeDefaults: true };
 * buildUri({ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', account: 'alice' }, options);
 * // 'otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30'
 * ```
 */
export interface BuildUriOptions {
  /**
   * Write `algorithm`, `digits` and `period` even at their defaults (SHA1, 6,
   * 30), for readers that do not assume them.
   * @defaultValue `false`: defaults are left out, which keeps the QR code small
   */
  readonly includeDefaults?: boolean | undefined;
}

/**
 * The stable code of a {@link UriWarning}; match on it, not on the message,
 * to translate or filter warnings. The union only grows.
 *
 * - `'issuer-mismatch'`: the label's `Issuer:` prefix differs from the
 *   `issuer` parameter; the parameter was used.
 *
 * @example
 * ```ts
 * import { parseUri, type UriWarningCode } from 'otpgate';
 * const code: UriWarningCode = 'issuer-mismatch';
 * parseUri('otpauth://totp/A:alice?secret=JBSWY3DPEHPK3PXP&issuer=B').warnings.some((w) => w.code === code); // true
 * ```
 */
export type UriWarningCode = 'issuer-mismatch';

/**
 * Something a person should know about a URI that {@link parseUri} read
 * anyway.
 *
 * @example
 * ```ts
 * import { parseUri, type UriWarning } from 'otpgate';
 * const [warning]: readonly UriWarning[] = parseUri('otpauth://totp/A:alice?secret=JBSWY3DPEHPK3PXP&issuer=B').warnings;
 * console.log(warning?.code); // 'issuer-mismatch'
 * ```
 */
export interface UriWarning {
  /** The stable code, for translating or filtering. */
  readonly code: UriWarningCode;
  /** The warning in an English sentence, for a log or an administrator. */
  readonly message: string;
}

/**
 * Fields shared by both kinds of {@link ParsedUri}.
 *
 * @example
 * ```ts
 * import { parseUri, type ParsedUriBase } from 'otpgate';
 * const base: ParsedUriBase = parseUri('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP');
 * console.log(base.digits); // 6
 * ```
 */
export interface ParsedUriBase {
  /** The key as canonical base32: upper case, no padding. */
  readonly secret: string;
  /** The issuer (the `issuer` parameter wins over the label prefix), when there is one. */
  readonly issuer?: string;
  /** The account name, without the issuer prefix. */
  readonly account: string;
  /** The HMAC hash, `'SHA1'` when the URI does not say. */
  readonly algorithm: Algorithm;
  /** The code length, `6` when the URI does not say. */
  readonly digits: number;
  /** The `image` parameter, when there is one. */
  readonly image?: string;
  /** Things a person should know about this URI, for example an issuer that differs between label and parameter (code `'issuer-mismatch'`). Empty when all is well. */
  readonly warnings: readonly UriWarning[];
}

/**
 * A parsed `otpauth://totp/...` URI.
 *
 * @example
 * ```ts
 * import { parseUri, type ParsedTotpUri } from 'otpgate';
 * const parsed = parseUri('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=60');
 * if (parsed.type === 'totp') { const totpUri: ParsedTotpUri = parsed; console.log(totpUri.period); } // 60
 * ```
 */
export interface ParsedTotpUri extends ParsedUriBase {
  /** Time-based (RFC 6238). */
  readonly type: 'totp';
  /** The step length in seconds, `30` when the URI does not say. */
  readonly period: number;
}

/**
 * A parsed `otpauth://hotp/...` URI.
 *
 * @example
 * ```ts
 * import { parseUri, type ParsedHotpUri } from 'otpgate';
 * const parsed = parseUri('otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=7');
 * if (parsed.type === 'hotp') { const hotpUri: ParsedHotpUri = parsed; console.log(hotpUri.counter); } // 7
 * ```
 */
export interface ParsedHotpUri extends ParsedUriBase {
  /** Counter-based (RFC 4226). */
  readonly type: 'hotp';
  /** The next counter value. */
  readonly counter: number;
}

/**
 * The result of {@link parseUri}: every parameter resolved (defaults filled
 * in), ready for `totp`/`hotp` and for {@link buildUri}.
 *
 * @example
 * ```ts
 * import { parseUri, totp, type ParsedUri } from 'otpgate';
 * const parsed: ParsedUri = parseUri('otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME');
 * if (parsed.type === 'totp') totp(parsed.secret, parsed);
 * ```
 */
export type ParsedUri = ParsedTotpUri | ParsedHotpUri;

/**
 * Longest URI {@link parseUri} reads and {@link buildUri} writes, in
 * characters: far above any real one, low enough to bound the work.
 *
 * @example
 * ```ts
 * import { MAX_URI_LENGTH, parseUri } from 'otpgate';
 * const text = 'otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP';
 * if (text.length <= MAX_URI_LENGTH) parseUri(text);
 * ```
 */
export const MAX_URI_LENGTH = 2048;

const ALGORITHMS: readonly Algorithm[] = ['SHA1', 'SHA256', 'SHA512'];

function fail(message: string, cause?: unknown): never {
  throw new OtpError('ERR_URI', message, cause === undefined ? undefined : { cause });
}

function encode(value: string, name: string): string {
  try {
    return encodeURIComponent(value);
  } catch (error) {
    // encodeURIComponent throws URIError on a lone surrogate.
    return fail(`${name} is not well-formed Unicode`, error);
  }
}

function canonicalSecret(secret: unknown): string {
  checkSecret(secret, 'secret');
  const bytes = typeof secret === 'string' ? base32Decode(secret) : secret;
  if (bytes.length === 0) fail('secret must not be empty');
  return base32Encode(bytes);
}

function checkLabelPart(value: unknown, name: string): string {
  checkString(value, name);
  if (value.length === 0) fail(`${name} must not be empty`);
  // Google's format: "Neither issuer nor account name may themselves contain a colon."
  if (value.includes(':')) fail(`${name} must not contain ':' (it separates issuer and account in the label)`);
  if (value.length > 512) fail(`${name} must be at most 512 characters`);
  return value;
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Writes an `otpauth://` URI in Google's Key URI Format, the text of the QR
 * code an authenticator app scans. The label is `Issuer:Account`,
 * percent-encoded (a space is `%20`, never `+`); the issuer is repeated as a
 * parameter; the secret is upper-case base32 without padding. Parameters at
 * their defaults (SHA1, 6 digits, 30 s) are left out unless
 * `includeDefaults` is set: shorter URIs make smaller QR codes, and every app
 * assumes these defaults.
 *
 * @param params - what the URI describes
 * @param options - `includeDefaults` (default `false`)
 * @returns the URI
 * @throws {@link OtpError} `ERR_OPTIONS` for an argument of the wrong type or an unknown
 *   option or parameter name; `ERR_URI` for an empty account, a `:` in the issuer or
 *   account, a missing hotp `counter`, a `period` on hotp or `counter` on totp, or
 *   an out-of-range value; `ERR_BASE32` for a secret that is not base32
 *
 * @example
 * ```ts
 * import { buildUri, generateSecret } from 'otpgate';
 * buildUri({ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', issuer: 'ACME Co', account: 'alice@example.com' });
 * // 'otpauth://totp/ACME%20Co:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co'
 * buildUri({ type: 'hotp', secret: generateSecret(), account: 'bob', counter: 0, digits: 8 });
 * ```
 */
export function buildUri(params: KeyUriParams, options?: BuildUriOptions): string {
  checkObject(params, 'params', PARAM_NAMES, false);
  const { includeDefaults } = checkObject(options, 'options', OPTION_NAMES, true);
  checkType(includeDefaults, 'boolean', 'includeDefaults');
  const { type, issuer, algorithm, digits, period, counter, image } = params;
  checkString(type, 'type');
  checkType(algorithm, 'string', 'algorithm');
  for (const [value, name] of [[digits, 'digits'], [period, 'period'], [counter, 'counter']] as const) checkType(value, 'number', name);
  checkType(image, 'string', 'image');
  if (type !== 'totp' && type !== 'hotp') fail("type must be 'totp' or 'hotp'");
  const account = checkLabelPart(params.account, 'account');
  // Readers drop spaces before the account name (Google's format allows them after the colon).
  if (account.startsWith(' ')) fail('account must not begin with a space');
  if (issuer !== undefined) checkLabelPart(issuer, 'issuer');
  const secret = canonicalSecret(params.secret);
  const all = includeDefaults === true;

  let query = `secret=${secret}`;
  if (issuer !== undefined) query += `&issuer=${encode(issuer, 'issuer')}`;
  if (algorithm !== undefined && !ALGORITHMS.includes(algorithm)) fail("algorithm must be 'SHA1', 'SHA256' or 'SHA512'");
  if (all || (algorithm !== undefined && algorithm !== 'SHA1')) query += `&algorithm=${algorithm ?? 'SHA1'}`;
  if (digits !== undefined && !isInteger(digits, 6, 10)) fail('digits must be an integer from 6 to 10');
  if (all || (digits !== undefined && digits !== 6)) query += `&digits=${digits ?? 6}`;
  if (type === 'totp') {
    if (counter !== undefined) fail('counter is for hotp only');
    if (period !== undefined && !isInteger(period, 1, Number.MAX_SAFE_INTEGER)) fail('period must be a positive integer number of seconds');
    if (all || (period !== undefined && period !== 30)) query += `&period=${period ?? 30}`;
  } else {
    if (period !== undefined) fail('period is for totp only');
    if (counter === undefined) fail('counter is required for hotp');
    if (!isInteger(counter, 0, Number.MAX_SAFE_INTEGER)) fail('counter must be an integer from 0 to 2^53 - 1');
    query += `&counter=${counter}`;
  }
  if (image !== undefined) {
    query += `&image=${encode(image, 'image')}`;
  }
  const label = issuer === undefined ? encode(account, 'account') : `${encode(issuer, 'issuer')}:${encode(account, 'account')}`;
  const uri = `otpauth://${type}/${label}?${query}`;
  // Refuse what parseUri (and most apps) would refuse to read back.
  if (uri.length > MAX_URI_LENGTH) fail(`the URI would be longer than ${MAX_URI_LENGTH} characters`);
  return uri;
}

function decode(text: string, plusIsSpace: boolean, name: string): string {
  const spaced = plusIsSpace ? text.replaceAll('+', ' ') : text;
  try {
    return decodeURIComponent(spaced);
  } catch (error) {
    return fail(`${name} has malformed percent-encoding`, error);
  }
}

function parseInteger(text: string, name: string, min: number, rule: string): number {
  // Digits only: no sign, no fraction, no exponent, no hex, no blanks.
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) fail(`${name} must be ${rule}`);
  return value;
}

/**
 * Reads an `otpauth://totp/...` or `otpauth://hotp/...` URI as apps,
 * services and other libraries write it: the issuer only in the label, only
 * as a parameter, or both (when they differ the parameter wins and
 * `warnings` says so); lower-case or padded secrets; `+` or `%20` for a space
 * in parameters (a `+` in the label stays a `+`, as in `alice+tag@example.com`);
 * parameters in any order; unknown parameters ignored; the algorithm in any
 * case. Defaults are filled in.
 *
 * @param uri - the URI, at most {@link MAX_URI_LENGTH} characters
 * @returns the resolved parameters and any warnings, each a {@link UriWarning} with a stable `code`
 * @throws {@link OtpError} `ERR_OPTIONS` for a `uri` that is not a string; `ERR_URI` for another scheme or type, a missing or empty
 *   secret, digits outside 6..10, a period that is not a positive integer, a hotp
 *   counter that is missing or not a non-negative integer, malformed
 *   percent-encoding, a repeated parameter or an over-long input; `ERR_BASE32` for
 *   a secret that is not base32. Messages never contain the secret. Nothing else
 *   is ever thrown.
 *
 * @example
 * ```ts
 * import { parseUri } from 'otpgate';
 * const parsed = parseUri('otpauth://totp/Microsoft:alice@contoso.com?secret=jbswy3dpehpk3pxp&issuer=Contoso');
 * parsed.issuer;   // 'Contoso' (the parameter wins)
 * parsed.warnings; // [{ code: 'issuer-mismatch', message: 'the issuer in the label ("Microsoft") differs from the issuer parameter ("Contoso"); using the parameter' }]
 * ```
 */
export function parseUri(uri: string): ParsedUri {
  if (typeof uri !== 'string') return optionsError('uri must be a string');
  if (uri.length > MAX_URI_LENGTH) fail(`uri must be at most ${MAX_URI_LENGTH} characters`);
  if (LONE_SURROGATE.test(uri)) fail('uri is not well-formed Unicode');
  const head = /^otpauth:\/\/([a-z]+)\//i.exec(uri);
  if (head === null) fail("uri must start with 'otpauth://totp/' or 'otpauth://hotp/'");
  const type = head[1]!.toLowerCase();
  if (type !== 'totp' && type !== 'hotp') fail("uri type must be 'totp' or 'hotp'");

  const hash = uri.indexOf('#');
  const rest = uri.slice(head[0].length, hash === -1 ? undefined : hash);
  const mark = rest.indexOf('?');
  const rawLabel = mark === -1 ? rest : rest.slice(0, mark);
  const rawQuery = mark === -1 ? '' : rest.slice(mark + 1);

  const params = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq === -1 ? pair : pair.slice(0, eq), true, 'a parameter name').toLowerCase();
    // Decode every value, known or not, so malformed percent-encoding anywhere is refused.
    // Name only known parameters in messages: an unknown name could be anything, even a key.
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1), true, KNOWN.has(key) ? `parameter '${key}'` : 'a parameter');
    if (KNOWN.has(key) && params.has(key)) fail(`parameter '${key}' appears more than once`);
    if (!params.has(key)) params.set(key, value);
  }

  const warnings: UriWarning[] = [];
  const label = decode(rawLabel, false, 'label');
  const colon = label.indexOf(':');
  let labelIssuer: string | undefined;
  let account = label;
  if (colon !== -1) {
    labelIssuer = label.slice(0, colon);
    account = label.slice(colon + 1);
    if (account.includes(':')) fail("label must contain at most one ':' (between issuer and account)");
    if (labelIssuer === '') labelIssuer = undefined;
  }
  // Google's format allows spaces before the account name: "Example: alice@google.com".
  account = account.replace(/^ +/, '');
  if (account === '') fail('label must name the account');
  if (account.length > 512) fail('account must be at most 512 characters');

  const issuerParam = params.get('issuer');
  let issuer = issuerParam === '' ? undefined : issuerParam;
  if (issuer !== undefined && issuer.includes(':')) fail("issuer must not contain ':'");
  if (issuer !== undefined && labelIssuer !== undefined && issuer !== labelIssuer && issuer !== labelIssuer.replaceAll('+', ' ')) {
    warnings.push({
      code: 'issuer-mismatch',
      message: `the issuer in the label (${JSON.stringify(labelIssuer)}) differs from the issuer parameter (${JSON.stringify(issuer)}); using the parameter`,
    });
  }
  issuer ??= labelIssuer;
  if (issuer !== undefined && issuer.length > 512) fail('issuer must be at most 512 characters');

  const rawSecret = params.get('secret');
  if (rawSecret === undefined) fail("parameter 'secret' is missing");
  if (rawSecret.trim() === '') fail("parameter 'secret' is empty");
  const bytes = base32Decode(rawSecret);
  if (bytes.length === 0) fail("parameter 'secret' holds no key bytes");
  const secret = base32Encode(bytes);

  const rawAlgorithm = params.get('algorithm');
  const algorithm = rawAlgorithm === undefined ? 'SHA1' : ALGORITHMS.find((a) => a === rawAlgorithm.toUpperCase());
  if (algorithm === undefined) fail("parameter 'algorithm' must be SHA1, SHA256 or SHA512");
  const rawDigits = params.get('digits');
  const digits = rawDigits === undefined ? 6 : parseInteger(rawDigits, "parameter 'digits'", 0, 'an integer from 6 to 10');
  if (digits < 6 || digits > 10) fail("parameter 'digits' must be an integer from 6 to 10");

  const base = { secret, account, algorithm, digits };
  const extra: { issuer?: string; image?: string } = {};
  if (issuer !== undefined) extra.issuer = issuer;
  const image = params.get('image');
  if (image !== undefined) extra.image = image;

  let parsed: ParsedUri;
  if (type === 'totp') {
    const rawPeriod = params.get('period');
    const period = rawPeriod === undefined ? 30 : parseInteger(rawPeriod, "parameter 'period'", 1, 'a positive integer number of seconds');
    parsed = { type, ...base, period, ...extra, warnings };
  } else {
    const rawCounter = params.get('counter');
    if (rawCounter === undefined) fail("parameter 'counter' is required for hotp");
    const counter = parseInteger(rawCounter, "parameter 'counter'", 0, 'an integer from 0 to 2^53 - 1');
    parsed = { type, ...base, counter, ...extra, warnings };
  }
  // Whatever is accepted can be written back: refuse here what buildUri would refuse
  // (for example a label whose percent-encoded form would pass the length limit).
  buildUri(parsed);
  return parsed;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// The fields of KeyUriParams, and those a ParsedUri (warnings) or a MigrationAccount (name)
// adds, so the output of parseUri and parseMigrationUri can be passed back in.
const PARAM_NAMES: ReadonlySet<string> = new Set(['type', 'secret', 'issuer', 'account', 'algorithm', 'digits', 'period', 'counter', 'image', 'warnings', 'name']);
const OPTION_NAMES: ReadonlySet<string> = new Set(['includeDefaults']);

const KNOWN: ReadonlySet<string> = new Set(['secret', 'issuer', 'algorithm', 'digits', 'period', 'counter', 'image']);

import { base32Decode, base32Encode } from '../core/base32.js';
import type { Algorithm } from '../core/options.js';
import { OtpError } from '../errors.js';
import { randomBytes } from '../internal/bytes.js';
import { base64Decode, base64Encode } from './base64.js';
import { checkObject, checkSecret, checkString, checkType, optionsError } from './options.js';

// MigrationInput's fields, and `name` (a MigrationAccount's) and `warnings` (a ParsedUri's)
// so the output of parseMigrationUri and parseUri can be passed back in.
const ACCOUNT_NAMES: ReadonlySet<string> = new Set(['type', 'secret', 'issuer', 'account', 'algorithm', 'digits', 'period', 'counter', 'name', 'warnings']);
const OPTION_NAMES: ReadonlySet<string> = new Set(['batchIndex', 'batchSize', 'batchId']);

/**
 * One account of a Google Authenticator export. Its fields fit
 * {@link buildUri}: `buildUri(account)` writes the account's `otpauth://` URI.
 *
 * @example
 * ```ts
 * import { buildUri, parseMigrationUri, type MigrationAccount } from 'otpgate';
 * const [account]: MigrationAccount[] = parseMigrationUri(
 *   'otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEgACgB',
 * ).accounts;
 * buildUri(account!); // 'otpauth://totp/Example:alice%40google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example'
 * ```
 */
export interface MigrationAccount {
  /** `'totp'` or `'hotp'` (an unspecified type reads as `'totp'`). */
  readonly type: 'totp' | 'hotp';
  /** The key as canonical base32. */
  readonly secret: string;
  /** The issuer, when the export names one. */
  readonly issuer?: string;
  /** The account name without the `Issuer:` prefix the export usually puts in `name`. */
  readonly account: string;
  /** The name exactly as stored in the export (often `Issuer:account`). */
  readonly name: string;
  /** The HMAC hash (unspecified reads as `'SHA1'`). */
  readonly algorithm: Algorithm;
  /** 6 or 8 (unspecified reads as 6). */
  readonly digits: number;
  /** HOTP only: the next counter value. */
  readonly counter?: number;
}

/**
 * The content of an `otpauth-migration://` URI: its accounts and which part
 * of a multi-QR export it is.
 *
 * @example
 * ```ts
 * import { parseMigrationUri, type MigrationPayload } from 'otpgate';
 * const payload: MigrationPayload = parseMigrationUri(
 *   'otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEgACgB',
 * );
 * console.log(`QR ${payload.batchIndex + 1} of ${payload.batchSize}`); // 'QR 1 of 1'
 * ```
 */
export interface MigrationPayload {
  /** Every account in this URI, in order. */
  readonly accounts: readonly MigrationAccount[];
  /** The format version (1 in current exports). */
  readonly version: number;
  /** How many QR codes the export was split into. */
  readonly batchSize: number;
  /** Which of them this is, from 0. */
  readonly batchIndex: number;
  /** An id shared by all QR codes of one export. */
  readonly batchId: number;
}

/**
 * An account to write with {@link buildMigrationUri}: the parameters of
 * {@link buildUri} (the export has no period, so only 30 s is accepted, and
 * digits must be 6 or 8).
 *
 * @example
 * ```ts
 * import { buildMigrationUri, type MigrationInput } from 'otpgate';
 * const accounts: MigrationInput[] = [{ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', issuer: 'Example', account: 'alice@google.com' }];
 * buildMigrationUri(accounts);
 * ```
 */
export interface MigrationInput {
  /** `'totp'` or `'hotp'`. */
  readonly type: 'totp' | 'hotp';
  /** Base32 text or the key bytes. */
  readonly secret: string | Uint8Array;
  /** The issuer, without `:`; written both as the issuer field and as the name's prefix. */
  readonly issuer?: string | undefined;
  /** The account name, non-empty. */
  readonly account: string;
  /** @defaultValue `'SHA1'` */
  readonly algorithm?: Algorithm | undefined;
  /** 6 or 8. @defaultValue `6` */
  readonly digits?: number | undefined;
  /** Must be 30 (or left out): the export cannot carry another period. */
  readonly period?: number | undefined;
  /** HOTP only, required there. */
  readonly counter?: number | undefined;
}

/**
 * Options of {@link buildMigrationUri}.
 *
 * @example
 * ```ts
 * import { buildMigrationUri, type MigrationOptions } from 'otpgate';
 * const options: MigrationOptions = { batchId: 42 };
 * buildMigrationUri([{ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', account: 'alice' }], options);
 * ```
 */
export interface MigrationOptions {
  /** Which QR code of a multi-part export this is, from 0. @defaultValue `0` */
  readonly batchIndex?: number | undefined;
  /** How many QR codes the export has. @defaultValue `1` */
  readonly batchSize?: number | undefined;
  /** The id shared by the parts of one export, a 32-bit signed integer. @defaultValue a random one */
  readonly batchId?: number | undefined;
}

/** Longest `otpauth-migration://` URI read: a version-40 QR code holds under 3 KB. */
const MAX_MIGRATION_URI_LENGTH = 16_384;

// The enum values of Google Authenticator's MigrationPayload protobuf.
const ALGORITHM_BY_CODE: readonly (Algorithm | undefined)[] = ['SHA1', 'SHA1', 'SHA256', 'SHA512'];
const CODE_BY_ALGORITHM: Readonly<Record<Algorithm, number>> = { SHA1: 1, SHA256: 2, SHA512: 3 };
const MD5 = 4;

function fail(message: string, cause?: unknown): never {
  throw new OtpError('ERR_MIGRATION', message, cause === undefined ? undefined : { cause });
}

/** A protobuf wire-format reader over one message (https://protobuf.dev/programming-guides/encoding/). */
class Reader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  private byte(): number {
    if (this.offset >= this.bytes.length) fail('data ends in the middle of a field');
    return this.bytes[this.offset++]!;
  }

  /** A varint as its low and high 32-bit halves (unsigned), up to 10 bytes. */
  varint(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if ((b & 0x80) === 0) return { lo: lo >>> 0, hi: hi >>> 0 };
    }
    return fail('a varint is longer than 10 bytes');
  }

  /** A varint read as a protobuf int32 (negative values arrive sign-extended to 64 bits). */
  int32(): number {
    return this.varint().lo | 0;
  }

  /** A varint read as a non-negative integer no larger than 2^53 - 1. */
  uint53(name: string): number {
    const { lo, hi } = this.varint();
    if (hi >= 0x200000) fail(`${name} is negative or larger than 2^53 - 1`);
    return hi * 0x1_0000_0000 + lo;
  }

  lengthDelimited(): Uint8Array {
    const length = this.uint53('a field length');
    if (length > this.bytes.length - this.offset) fail('a field is longer than the data');
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** Skips a field of a type this reader does not use (wire types 0, 1, 2, 5). */
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.fixed(8);
    else if (wireType === 2) this.lengthDelimited();
    else if (wireType === 5) this.fixed(4);
    else fail(`unsupported protobuf wire type ${wireType}`);
  }

  private fixed(n: number): void {
    if (n > this.bytes.length - this.offset) fail('data ends in the middle of a field');
    this.offset += n;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wireType: number } {
    const { lo, hi } = this.varint();
    if (hi !== 0 || lo >>> 3 === 0) fail('a field number is out of range');
    return { field: lo >>> 3, wireType: lo & 7 };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array, name: string): string {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    return fail(`${name} is not valid UTF-8`, error);
  }
}

function expectWireType(actual: number, expected: number, name: string): void {
  if (actual !== expected) fail(`${name} has the wrong protobuf wire type`);
}

function readAccount(bytes: Uint8Array, index: number): MigrationAccount {
  const r = new Reader(bytes);
  let secret: Uint8Array | undefined;
  let name = '';
  let issuer = '';
  let algorithm = 0;
  let digits = 0;
  let type = 0;
  let counter = 0;
  const where = `account ${index + 1}`;
  while (!r.done) {
    const { field, wireType } = r.tag();
    switch (field) {
      case 1:
        expectWireType(wireType, 2, `${where} secret`);
        secret = r.lengthDelimited();
        break;
      case 2:
        expectWireType(wireType, 2, `${where} name`);
        name = text(r.lengthDelimited(), `${where} name`);
        break;
      case 3:
        expectWireType(wireType, 2, `${where} issuer`);
        issuer = text(r.lengthDelimited(), `${where} issuer`);
        break;
      case 4:
        expectWireType(wireType, 0, `${where} algorithm`);
        algorithm = r.int32();
        break;
      case 5:
        expectWireType(wireType, 0, `${where} digits`);
        digits = r.int32();
        break;
      case 6:
        expectWireType(wireType, 0, `${where} type`);
        type = r.int32();
        break;
      case 7:
        expectWireType(wireType, 0, `${where} counter`);
        counter = r.uint53(`${where} counter`);
        break;
      default:
        r.skip(wireType);
    }
  }
  if (secret === undefined || secret.length === 0) fail(`${where} has no secret`);
  if (algorithm === MD5) fail(`${where} uses MD5, which otpgate does not support`);
  const resolvedAlgorithm = ALGORITHM_BY_CODE[algorithm];
  if (resolvedAlgorithm === undefined) fail(`${where} has an unknown algorithm (${algorithm})`);
  if (digits < 0 || digits > 2) fail(`${where} has an unknown digit count (${digits})`);
  if (type < 0 || type > 2) fail(`${where} has an unknown type (${type})`);

  // Exports store the label ("Issuer:account") as the name. As in parseUri, the
  // issuer field wins over a differing prefix, so `account` fits buildUri.
  let account = name;
  const colon = name.indexOf(':');
  if (colon !== -1) {
    if (issuer === '') issuer = name.slice(0, colon);
    account = name.slice(colon + 1).replace(/^ +/, '');
  }
  const result = {
    type: type === 1 ? ('hotp' as const) : ('totp' as const),
    secret: base32Encode(secret),
    account,
    name,
    algorithm: resolvedAlgorithm,
    digits: digits === 2 ? 8 : 6,
    ...(issuer === '' ? {} : { issuer }),
  };
  return type === 1 ? { ...result, counter } : result;
}

/**
 * Reads a Google Authenticator export, `otpauth-migration://offline?data=…`:
 * the base64 (standard or URL-safe, percent-encoded or not) of its
 * `MigrationPayload` protobuf. Returns every account with its secret, name,
 * issuer, algorithm, digits, type and counter (the format has no period: it
 * is always 30 s), plus which part of a multi-QR export this is.
 *
 * @param uri - the text of one export QR code
 * @returns the accounts and batch information
 * @throws {@link OtpError} `ERR_OPTIONS` for a `uri` that is not a string; `ERR_MIGRATION` for another scheme, bad base64, malformed
 *   protobuf, an MD5 account, or unknown enum values; messages never contain key material
 *
 * @example
 * ```ts
 * import { parseMigrationUri } from 'otpgate';
 * const { accounts } = parseMigrationUri(
 *   'otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEgACgB',
 * );
 * // [{ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', issuer: 'Example', account: 'alice@google.com',
 * //    name: 'Example:alice@google.com', algorithm: 'SHA1', digits: 6 }]
 * ```
 */
export function parseMigrationUri(uri: string): MigrationPayload {
  checkString(uri, 'uri');
  if (uri.length > MAX_MIGRATION_URI_LENGTH) fail(`uri must be at most ${MAX_MIGRATION_URI_LENGTH} characters`);
  const match = /^otpauth-migration:\/\/offline\/?\?(.*)$/is.exec(uri);
  if (match === null) fail("uri must start with 'otpauth-migration://offline?'");
  let data: string | undefined;
  for (const pair of match[1]!.split('#')[0]!.split('&')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).toLowerCase() === 'data') {
      if (data !== undefined) fail("parameter 'data' appears more than once");
      data = pair.slice(eq + 1);
    }
  }
  if (data === undefined || data === '') fail("parameter 'data' is missing");
  let decoded: string;
  try {
    decoded = decodeURIComponent(data);
  } catch (error) {
    return fail("parameter 'data' has malformed percent-encoding", error);
  }
  // A '+' that went through form decoding arrives as a space.
  const bytes = base64Decode(decoded.replace(/ /g, '+').replace(/[\r\n]/g, ''));
  if (bytes === null) fail("parameter 'data' is not base64");

  const r = new Reader(bytes);
  const accounts: MigrationAccount[] = [];
  let version = 0;
  let batchSize = 0;
  let batchIndex = 0;
  let batchId = 0;
  while (!r.done) {
    const { field, wireType } = r.tag();
    switch (field) {
      case 1:
        expectWireType(wireType, 2, 'an account');
        accounts.push(readAccount(r.lengthDelimited(), accounts.length));
        break;
      case 2:
        expectWireType(wireType, 0, 'version');
        version = r.int32();
        break;
      case 3:
        expectWireType(wireType, 0, 'batch_size');
        batchSize = r.int32();
        break;
      case 4:
        expectWireType(wireType, 0, 'batch_index');
        batchIndex = r.int32();
        break;
      case 5:
        expectWireType(wireType, 0, 'batch_id');
        batchId = r.int32();
        break;
      default:
        r.skip(wireType);
    }
  }
  return { accounts, version, batchSize, batchIndex, batchId };
}

class Writer {
  private readonly parts: number[] = [];

  varint(value: number): this {
    // Negative int32 values are written sign-extended to 10 bytes, as protobuf does.
    let lo = value >>> 0;
    let hi = value < 0 ? 0xffffffff : Math.floor(value / 0x1_0000_0000) >>> 0;
    while (hi !== 0 || lo > 0x7f) {
      this.parts.push((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.parts.push(lo);
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2).varint(value.length);
    for (const b of value) this.parts.push(b);
    return this;
  }

  int(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function randomInt32(): number {
  const b = randomBytes(4);
  return (b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!;
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function encodeAccount(input: MigrationInput, index: number): Uint8Array {
  const where = `account ${index + 1}`;
  checkObject(input, where, ACCOUNT_NAMES, false);
  const { type, issuer, account, algorithm = 'SHA1', digits = 6, period, counter } = input;
  checkString(type, `${where}: type`);
  checkSecret(input.secret, `${where}: secret`);
  checkString(account, `${where}: account`);
  for (const [value, name] of [[issuer, 'issuer'], [algorithm, 'algorithm']] as const) checkType(value, 'string', `${where}: ${name}`);
  for (const [value, name] of [[digits, 'digits'], [period, 'period'], [counter, 'counter']] as const) checkType(value, 'number', `${where}: ${name}`);
  if (type !== 'totp' && type !== 'hotp') fail(`${where}: type must be 'totp' or 'hotp'`);
  const secret = typeof input.secret === 'string' ? base32Decode(input.secret) : input.secret;
  if (secret.length === 0) fail(`${where}: secret must not be empty`);
  if (account === '') fail(`${where}: account must not be empty`);
  if (issuer !== undefined && issuer.includes(':')) fail(`${where}: issuer must not contain ':'`);
  const algorithmCode = Object.hasOwn(CODE_BY_ALGORITHM, algorithm) ? CODE_BY_ALGORITHM[algorithm] : undefined;
  if (algorithmCode === undefined) fail(`${where}: algorithm must be 'SHA1', 'SHA256' or 'SHA512'`);
  if (digits !== 6 && digits !== 8) fail(`${where}: the export format holds 6 or 8 digits only`);
  if (type === 'totp' && period !== undefined && period !== 30) fail(`${where}: the export format holds a 30-second period only`);
  if (type === 'totp' && counter !== undefined) fail(`${where}: counter is for hotp only`);
  if (type === 'hotp' && !isInteger(counter, 0, Number.MAX_SAFE_INTEGER)) fail(`${where}: hotp needs a counter from 0 to 2^53 - 1`);

  const w = new Writer()
    .bytes(1, secret)
    .bytes(2, new TextEncoder().encode(issuer === undefined || issuer === '' ? account : `${issuer}:${account}`))
    .bytes(3, new TextEncoder().encode(issuer ?? ''))
    .int(4, algorithmCode)
    .int(5, digits === 8 ? 2 : 1)
    .int(6, type === 'hotp' ? 1 : 2);
  if (type === 'hotp') w.int(7, counter!);
  return w.finish();
}

/**
 * Writes a Google Authenticator export, `otpauth-migration://offline?data=…`,
 * so accounts can be moved into Google Authenticator (scan it with "Import
 * accounts") or any app that reads the format. Names are written
 * `Issuer:account`, as Google Authenticator does. Keep a batch to about ten
 * accounts so the QR code stays scannable; split larger sets with
 * `batchIndex`/`batchSize` and one `batchId`.
 *
 * @param accounts - the accounts, as for {@link buildUri}; only 6 or 8 digits and a 30 s period fit the format
 * @param options - `batchIndex` (0), `batchSize` (1), `batchId` (random)
 * @returns the URI; the base64 is standard and percent-encoded
 * @throws {@link OtpError} `ERR_MIGRATION` for an account the format cannot hold; `ERR_BASE32` for a
 *   secret that is not base32; `ERR_OPTIONS` for an argument or field of the wrong type, or an
 *   unknown option or field name
 *
 * @example
 * ```ts
 * import { buildMigrationUri, qrSvg } from 'otpgate';
 * const uri = buildMigrationUri([
 *   { type: 'totp', secret: 'JBSWY3DPEHPK3PXP', issuer: 'Example', account: 'alice@google.com' },
 *   { type: 'hotp', secret: 'GEZDGNBVGY3TQOJQ', account: 'bob', counter: 7, digits: 8 },
 * ]);
 * const svg = qrSvg(uri, { level: 'L' });
 * ```
 */
export function buildMigrationUri(accounts: readonly MigrationInput[], options?: MigrationOptions): string {
  if (!Array.isArray(accounts)) optionsError('accounts must be an array');
  const checked = checkObject(options, 'options', OPTION_NAMES, true);
  for (const name of OPTION_NAMES) checkType(checked[name as keyof MigrationOptions], 'number', name);
  const batchIndex = checked.batchIndex ?? 0;
  const batchSize = checked.batchSize ?? 1;
  const batchId = checked.batchId ?? randomInt32();
  if (!isInteger(batchSize, 1, 0x7fffffff)) fail('batchSize must be a positive 32-bit integer');
  if (!isInteger(batchIndex, 0, batchSize - 1)) fail('batchIndex must be an integer from 0 to batchSize - 1');
  if (!isInteger(batchId, -0x80000000, 0x7fffffff)) fail('batchId must be a 32-bit signed integer');
  const w = new Writer();
  accounts.forEach((account, i) => w.bytes(1, encodeAccount(account, i)));
  w.int(2, 1).int(3, batchSize).int(4, batchIndex).int(5, batchId);
  return `otpauth-migration://offline?data=${encodeURIComponent(base64Encode(w.finish()))}`;
}

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32Encode, buildMigrationUri, buildUri, isOtpError, parseMigrationUri, parseUri, type MigrationInput } from '../../src/index.js';

const errorCode = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isOtpError(error) ? error.code : `not an OtpError: ${String(error)}`;
  }
  return undefined;
};

const uriOf = (bytes: number[] | Uint8Array, alphabet: 'base64' | 'base64url' = 'base64'): string =>
  `otpauth-migration://offline?data=${encodeURIComponent(Buffer.from(bytes).toString(alphabet))}`;

const utf8 = (text: string): number[] => [...Buffer.from(text, 'utf8')];
const field = (tag: number, payload: number[]): number[] => [tag, payload.length, ...payload];

// Written byte by byte from the MigrationPayload schema, independently of the writer under test.
const secretA = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10];
const secretB = Array.from({ length: 20 }, (_, i) => 0xff - i);
const accountA = [
  ...field(0x0a, secretA), //               1: secret (bytes)
  ...field(0x12, utf8('Société:jürgen')), // 2: name
  ...field(0x1a, utf8('Société')), //        3: issuer
  0x20, 0x02, //                             4: algorithm SHA256
  0x28, 0x02, //                             5: digits EIGHT
  0x30, 0x02, //                             6: type TOTP
];
const accountB = [
  ...field(0x0a, secretB),
  ...field(0x12, utf8('bob')),
  0x20, 0x03, //                             SHA512
  0x28, 0x01, //                             SIX
  0x30, 0x01, //                             HOTP
  0x38, 0xac, 0x02, //                       7: counter 300 (varint 0xac 0x02)
  0x4d, 0xde, 0xad, 0xbe, 0xef, //           9 (unknown, fixed32): skipped
];
const hand = [
  ...field(0x0a, accountA),
  ...field(0x0a, accountB),
  0x10, 0x01, //                             2: version 1
  0x18, 0x02, //                             3: batch_size 2
  0x20, 0x01, //                             4: batch_index 1
  0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // 5: batch_id -1 (int32, sign-extended)
  ...field(0x52, utf8('future')), //         10 (unknown, bytes): skipped
];
const expectedHand = {
  accounts: [
    { type: 'totp', secret: base32Encode(Uint8Array.from(secretA)), name: 'Société:jürgen', issuer: 'Société', account: 'jürgen', algorithm: 'SHA256', digits: 8 },
    { type: 'hotp', secret: base32Encode(Uint8Array.from(secretB)), name: 'bob', account: 'bob', algorithm: 'SHA512', digits: 6, counter: 300 },
  ],
  version: 1,
  batchSize: 2,
  batchIndex: 1,
  batchId: -1,
};

describe('parseMigrationUri', () => {
  it('reads the widely copied sample (Example:alice@google.com, key "Hello!\\xde\\xad\\xbe\\xef")', () => {
    // This sample's account length byte says 49 while the account holds 53 bytes, so a strict
    // protobuf reader finds `digits` and `type` outside the account, as top-level fields 5
    // (batch_id, overwritten later) and 6 (unknown, skipped); they then take their defaults,
    // which happen to be the intended SIX and TOTP.
    const payload = parseMigrationUri('otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEgACgB');
    expect(payload).toEqual({
      accounts: [{
        type: 'totp',
        secret: base32Encode(new Uint8Array([...utf8('Hello!'), 0xde, 0xad, 0xbe, 0xef])),
        name: 'Example:alice@google.com',
        issuer: 'Example',
        account: 'alice@google.com',
        algorithm: 'SHA1',
        digits: 6,
      }],
      version: 1,
      batchSize: 1,
      batchIndex: 0,
      batchId: 1,
    });
    expect(payload.accounts[0]!.secret).toBe('JBSWY3DPEHPK3PXP');
    expect(buildUri(payload.accounts[0]!)).toBe('otpauth://totp/Example:alice%40google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example');
  });

  it('reads a payload built by hand byte by byte: every field, skipping unknown ones', () => {
    expect(parseMigrationUri(uriOf(hand))).toEqual(expectedHand);
  });

  it('reads URL-safe base64, unpadded base64, unencoded and space-for-plus forms alike', () => {
    const standard = Buffer.from(hand).toString('base64');
    expect(standard).toMatch(/[+/=]/); // the variants below are only meaningful when these appear
    const forms = [
      uriOf(hand, 'base64url'),
      `otpauth-migration://offline?data=${standard}`,
      `otpauth-migration://offline?data=${standard.replace(/=+$/, '')}`,
      `otpauth-migration://offline?data=${standard.replaceAll('+', ' ')}`,
      `OTPAUTH-MIGRATION://offline?foo=bar&DATA=${encodeURIComponent(standard)}`,
    ];
    for (const uri of forms) expect(parseMigrationUri(uri)).toEqual(expectedHand);
  });

  it('refuses MD5 and malformed data with ERR_MIGRATION', () => {
    const withAlgorithm = (code: number): number[] => field(0x0a, [...field(0x0a, secretA), 0x20, code]);
    expect(errorCode(() => parseMigrationUri(uriOf(withAlgorithm(4))))).toBe('ERR_MIGRATION'); // MD5
    expect(errorCode(() => parseMigrationUri(uriOf(withAlgorithm(9))))).toBe('ERR_MIGRATION');
    const cases: [string, string][] = [
      ['another scheme', 'otpauth://offline?data=CgA='],
      ['no data', 'otpauth-migration://offline?foo=1'],
      ['empty data', 'otpauth-migration://offline?data='],
      ['two data parameters', `${uriOf(hand)}&data=CgA=`],
      ['not base64', 'otpauth-migration://offline?data=C*A'],
      ['base64 of impossible length', 'otpauth-migration://offline?data=CgAAA'],
      ['malformed percent-encoding', 'otpauth-migration://offline?data=Cg%ZZ'],
      ['truncated payload', uriOf(hand.slice(0, 30))],
      ['length beyond the data', uriOf([0x0a, 0x7f, 0x0a])],
      ['varint over 10 bytes', uriOf([0x10, ...Array(10).fill(0xff), 0x01])],
      ['wrong wire type for an account', uriOf([0x08, 0x01])],
      ['wrong wire type for the secret', uriOf(field(0x0a, [0x08, 0x01]))],
      ['group wire type', uriOf([0x0b])],
      ['field number 0', uriOf([0x02, 0x00])],
      ['account without secret', uriOf(field(0x0a, field(0x12, utf8('bob'))))],
      ['name that is not UTF-8', uriOf(field(0x0a, [...field(0x0a, secretA), ...field(0x12, [0xc3, 0x28])]))],
      ['unknown digit count', uriOf(field(0x0a, [...field(0x0a, secretA), 0x28, 0x05]))],
      ['unknown type', uriOf(field(0x0a, [...field(0x0a, secretA), 0x30, 0x07]))],
      ['negative counter', uriOf(field(0x0a, [...field(0x0a, secretA), 0x30, 0x01, 0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))],
      ['over-long input', `otpauth-migration://offline?data=${'A'.repeat(20_000)}`],
    ];
    for (const [name, uri] of cases) expect([name, errorCode(() => parseMigrationUri(uri))]).toEqual([name, 'ERR_MIGRATION']);
    expect(errorCode(() => parseMigrationUri(undefined as unknown as string))).toBe('ERR_OPTIONS');
  });

  it('never echoes key material in messages', () => {
    const md5 = field(0x0a, [...field(0x0a, utf8('TOPSECRETKEYBYTES')), ...field(0x12, utf8('alice')), 0x20, 0x04]);
    try {
      parseMigrationUri(uriOf(md5));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toMatch(/TOPSECRET|KRHVAU2FINJEKVCL/);
    }
  });

  it('arbitrary data never throws anything but OtpError (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const code = errorCode(() => parseMigrationUri(uriOf(bytes)));
        expect(code === undefined || code === 'ERR_MIGRATION').toBe(true);
      }),
      { numRuns: 3000 },
    );
    // Mutations of a valid payload reach deeper into the reader.
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const bytes = [...hand];
        bytes[at % bytes.length] = value;
        const code = errorCode(() => parseMigrationUri(uriOf(bytes)));
        expect(code === undefined || code === 'ERR_MIGRATION').toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('buildMigrationUri', () => {
  it('writes exactly the bytes of the hand-built payload (less its unknown fields)', () => {
    const inputs: MigrationInput[] = [
      { type: 'totp', secret: Uint8Array.from(secretA), issuer: 'Société', account: 'jürgen', algorithm: 'SHA256', digits: 8 },
      { type: 'hotp', secret: base32Encode(Uint8Array.from(secretB)), account: 'bob', algorithm: 'SHA512', counter: 300 },
    ];
    const uri = buildMigrationUri(inputs, { batchSize: 2, batchIndex: 1, batchId: -1 });
    // Our writer also writes an empty issuer field (3) for bob, as Google Authenticator does.
    const accountBWritten = [...field(0x0a, secretB), ...field(0x12, utf8('bob')), 0x1a, 0x00, 0x20, 0x03, 0x28, 0x01, 0x30, 0x01, 0x38, 0xac, 0x02];
    const expected = [...field(0x0a, accountA), ...field(0x0a, accountBWritten), ...hand.slice(2 + accountA.length + 2 + accountB.length, -8)];
    expect(uri).toBe(uriOf(expected));
  });

  it('round-trips any accounts the format can hold (fast-check)', () => {
    const label = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => !s.includes(':') && s.trimStart() === s);
    const account = fc.record({
      type: fc.constantFrom('totp' as const, 'hotp' as const),
      secret: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      issuer: fc.option(label, { nil: undefined }),
      account: label,
      algorithm: fc.constantFrom('SHA1' as const, 'SHA256' as const, 'SHA512' as const),
      digits: fc.constantFrom(6, 8),
      counter: fc.maxSafeNat(),
    });
    fc.assert(
      fc.property(fc.array(account, { maxLength: 8 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (accounts, batchId) => {
        const inputs: MigrationInput[] = accounts.map(({ counter, issuer, ...a }) => ({ ...a, ...(a.type === 'hotp' ? { counter } : {}), ...(issuer === undefined ? {} : { issuer }) }));
        const payload = parseMigrationUri(buildMigrationUri(inputs, { batchId }));
        expect(payload.batchId).toBe(batchId);
        expect(payload.accounts).toHaveLength(inputs.length);
        payload.accounts.forEach((parsed, i) => {
          const { secret, ...rest } = inputs[i]!;
          const { name, secret: parsedSecret, ...parsedRest } = parsed;
          expect(parsedSecret).toBe(base32Encode(secret as Uint8Array));
          expect(parsedRest).toEqual(rest);
          expect(name).toBe(rest.issuer === undefined ? rest.account : `${rest.issuer}:${rest.account}`);
          // Each account moves on into an otpauth:// URI unchanged.
          expect(parseUri(buildUri(parsed))).toMatchObject(parsedRest);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses what the format cannot hold', () => {
    const base = { type: 'totp', secret: 'JBSWY3DPEHPK3PXP', account: 'alice' } as const;
    expect(errorCode(() => buildMigrationUri([{ ...base, digits: 7 }]))).toBe('ERR_MIGRATION');
    expect(errorCode(() => buildMigrationUri([{ ...base, period: 60 }]))).toBe('ERR_MIGRATION');
    expect(errorCode(() => buildMigrationUri([{ ...base, type: 'hotp' }]))).toBe('ERR_MIGRATION');
    expect(errorCode(() => buildMigrationUri([{ ...base, account: '' }]))).toBe('ERR_MIGRATION');
    expect(errorCode(() => buildMigrationUri([{ ...base, algorithm: 'MD5' as 'SHA1' }]))).toBe('ERR_MIGRATION');
    expect(errorCode(() => buildMigrationUri([{ ...base, secret: 'not base32!' }]))).toBe('ERR_BASE32');
    expect(errorCode(() => buildMigrationUri([base], { batchIndex: 1 }))).toBe('ERR_MIGRATION');
    expect(errorCode(() => buildMigrationUri([base], { batchId: 2 ** 31 }))).toBe('ERR_MIGRATION');
    // A wrong JavaScript type is the caller's mistake (issue 11 item 8), not what the format cannot hold.
    expect(errorCode(() => buildMigrationUri('x' as unknown as MigrationInput[]))).toBe('ERR_OPTIONS');
    expect(buildMigrationUri([{ ...base, period: 30 }])).toMatch(/^otpauth-migration:\/\/offline\?data=[A-Za-z0-9%]+$/);
  });
});

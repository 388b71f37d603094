import * as fc from 'fast-check';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { base32Encode, buildUri, isOtpError, parseUri, type Algorithm, type KeyUriParams } from '../../src/index.js';
import corpus from './uri-corpus.json';

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('parseUri on the corpus of real-world URIs', () => {
  for (const entry of corpus.valid) {
    it(entry.name, () => {
      const { warnings: expectedWarnings, ...expected } = entry.expect;
      const { warnings, ...parsed } = parseUri(entry.uri);
      expect(parsed).toEqual(expected);
      expect(warnings).toHaveLength(expectedWarnings.length === 0 ? 0 : 1);
      // The corpus's only warning is the issuer mismatch: a stable code and a message naming both.
      if (expectedWarnings.length > 0) expect(warnings[0]!.code).toBe('issuer-mismatch');
      for (const part of expectedWarnings) expect(warnings[0]!.message).toContain(part);
      // What we parse, we can write again, and read back the same.
      const rebuilt = buildUri(parseUri(entry.uri));
      const { warnings: again, ...reparsed } = parseUri(rebuilt);
      expect(reparsed).toEqual(expected);
      expect(again).toEqual([]);
    });
  }
});

describe('parseUri refuses malformed URIs with a stable code and without echoing the secret', () => {
  for (const entry of corpus.malformed) {
    it(`${entry.name} → ${entry.error}`, () => {
      const error = thrown(() => parseUri(entry.uri));
      expect(isOtpError(error)).toBe(true);
      expect((error as { code: string }).code).toBe(entry.error);
      const secret = /secret=([^&]+)/i.exec(entry.uri)?.[1];
      if (secret !== undefined && secret.length >= 8) {
        expect((error as Error).message).not.toContain(secret);
        expect((error as Error).message.toUpperCase()).not.toContain(secret.slice(0, 8).toUpperCase());
      }
    });
  }

  it('refuses text that is not well-formed Unicode, and labels whose encoded form would be too long', () => {
    const codeOf = (u: string): unknown => (thrown(() => parseUri(u)) as { code?: string } | undefined)?.code;
    expect(codeOf('otpauth://totp/ACME:\ud800lice?secret=JBSWY3DPEHPK3PXP')).toBe('ERR_URI');
    expect(codeOf('otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&image=\udc00')).toBe('ERR_URI');
    // 400 characters here, but 2,400 once percent-encoded as buildUri writes them.
    expect(codeOf(`otpauth://totp/ACME:${'é'.repeat(400)}?secret=JBSWY3DPEHPK3PXP`)).toBe('ERR_URI');
    expect(parseUri(`otpauth://totp/ACME:${'é'.repeat(200)}?secret=JBSWY3DPEHPK3PXP`).account).toBe('é'.repeat(200));
  });

  it('drops spaces before the account name with or without an issuer prefix', () => {
    expect(parseUri('otpauth://totp/ACME:%20 alice?secret=JBSWY3DPEHPK3PXP').account).toBe('alice');
    expect(parseUri('otpauth://totp/%20alice?secret=JBSWY3DPEHPK3PXP').account).toBe('alice');
    expect((thrown(() => parseUri('otpauth://totp/ACME:%20?secret=JBSWY3DPEHPK3PXP')) as { code?: string }).code).toBe('ERR_URI');
  });

  it('refuses input over 2,048 characters (ERR_URI), and non-strings (ERR_OPTIONS)', () => {
    const long = `otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&image=${'x'.repeat(2048)}`;
    expect((thrown(() => parseUri(long)) as { code?: string }).code).toBe('ERR_URI');
    // A wrong type is the caller's mistake, not a bad URI (issue 11 item 8).
    expect((thrown(() => parseUri(42 as unknown as string)) as { code?: string }).code).toBe('ERR_OPTIONS');
    expect((thrown(() => parseUri(null as unknown as string)) as { code?: string }).code).toBe('ERR_OPTIONS');
  });
});

// Unicode text without ':' and not empty, short enough that the URI stays under 2,048 characters.
const labelPart = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }).filter((s) => !s.includes(':'));
const algorithm = fc.constantFrom<Algorithm>('SHA1', 'SHA256', 'SHA512');
const params: fc.Arbitrary<KeyUriParams & { readonly secret: string }> = fc
  .record({
    type: fc.constantFrom('totp' as const, 'hotp' as const),
    secret: fc.uint8Array({ minLength: 1, maxLength: 64 }).map(base32Encode),
    issuer: fc.option(labelPart, { nil: undefined }),
    // buildUri refuses a leading space in the account: readers strip it.
    account: labelPart.filter((s) => !s.startsWith(' ')),
    algorithm,
    digits: fc.integer({ min: 6, max: 10 }),
    period: fc.integer({ min: 1, max: 1_000_000 }),
    counter: fc.maxSafeNat(),
    image: fc.option(fc.webUrl(), { nil: undefined }),
  })
  .map(({ type, issuer, image, period, counter, ...rest }) => ({
    type,
    ...rest,
    ...(type === 'totp' ? { period } : { counter }),
    ...(issuer === undefined ? {} : { issuer }),
    ...(image === undefined ? {} : { image }),
  }));

describe('round trips (fast-check)', () => {
  it('parseUri(buildUri(p)) returns p for any unicode issuer and account and every parameter', () => {
    fc.assert(
      fc.property(params, fc.boolean(), (p, includeDefaults) => {
        const { warnings, ...parsed } = parseUri(buildUri(p, { includeDefaults }));
        expect(parsed).toEqual(p);
        expect(warnings).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('buildUri(parseUri(u)) is stable, whatever form u takes', () => {
    // Rewrite a URI the ways other producers do: + for spaces in the query, reordered
    // parameters, lower-case or padded secrets, an unknown parameter, a %3A separator.
    const variant = fc.record({ plus: fc.boolean(), reverse: fc.boolean(), lower: fc.boolean(), pad: fc.boolean(), extra: fc.boolean(), colon: fc.boolean() });
    fc.assert(
      fc.property(params, variant, (p, v) => {
        const original = buildUri(p);
        const [head, query] = original.split('?') as [string, string];
        let pairs = query.split('&').map((pair) => {
          let [k, val] = pair.split('=') as [string, string];
          if (k === 'secret' && v.lower) val = val.toLowerCase();
          if (k === 'secret' && v.pad) val += '='.repeat((8 - (val.length % 8)) % 8);
          if (v.plus) val = val.replaceAll('%20', '+');
          return `${k}=${val}`;
        });
        if (v.reverse) pairs = pairs.reverse();
        if (v.extra) pairs.push('color=00ff00');
        const label = v.colon ? head.replace(/^(otpauth:\/\/[a-z]+\/[^:]*):/, '$1%3A') : head;
        const u = `${label}?${pairs.join('&')}`;
        const once = buildUri(parseUri(u));
        expect(once).toBe(original);
        expect(buildUri(parseUri(once))).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});

describe('no input makes parseUri throw anything but OtpError (fast-check)', () => {
  const onlyOtpErrors = (input: string): void => {
    try {
      const parsed = parseUri(input);
      // Whatever it accepts, it can write back.
      expect(() => buildUri(parsed)).not.toThrow();
    } catch (error) {
      if (!isOtpError(error)) throw error;
      expect(['ERR_URI', 'ERR_BASE32']).toContain(error.code);
    }
  };

  it('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), onlyOtpErrors), { numRuns: 2000 });
  });

  it('strings that start like an otpauth URI, built from URI-ish pieces', () => {
    const piece = fc.constantFrom('otpauth://', 'totp/', 'hotp/', ':', '?', '&', '=', '%', '%2', '%3A', '%C3%A9', '%FF', '+', ' ', '#',
      'secret', 'issuer', 'digits', 'period', 'counter', 'algorithm', 'image', 'JBSWY3DPEHPK3PXP', 'sha256', '6', '-1', '0', '1e3', '\ud800', '😀', 'é');
    const text = fc.tuple(fc.constantFrom('otpauth://totp/', 'otpauth://hotp/', 'OTPAUTH://TOTP/'), fc.array(fc.oneof(piece, fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 40 }))
      .map(([head, parts]) => head + parts.join(''));
    fc.assert(fc.property(text, onlyOtpErrors), { numRuns: 3000 });
  });

  it('valid URIs with one character changed, dropped or inserted', () => {
    const mutated = fc.tuple(params, fc.nat(), fc.string({ unit: 'binary', maxLength: 2 }), fc.constantFrom('replace', 'drop', 'insert'))
      .map(([p, at, text, how]) => {
        const u = buildUri(p);
        const i = at % u.length;
        return how === 'replace' ? u.slice(0, i) + text + u.slice(i + 1) : how === 'drop' ? u.slice(0, i) + u.slice(i + 1) : u.slice(0, i) + text + u.slice(i);
      });
    fc.assert(fc.property(mutated, onlyOtpErrors), { numRuns: 2000 });
  });
});

describe('cross-check with the otpauth package (hectorm/otpauth)', () => {
  // otpauth limits: its labels are free text, but its parser splits at the first ':' only.
  it('otpauth reads what buildUri writes', () => {
    fc.assert(
      fc.property(params, (p) => {
        const otp = OTPAuth.URI.parse(buildUri(p));
        expect(otp.secret.base32).toBe(p.secret);
        expect(otp.label).toBe(p.account);
        expect(otp.issuer).toBe(p.issuer ?? '');
        expect(otp.algorithm).toBe(p.algorithm);
        expect(otp.digits).toBe(p.digits);
        if (p.type === 'totp') expect((otp as OTPAuth.TOTP).period).toBe(p.period);
        else expect((otp as OTPAuth.HOTP).counter).toBe(p.counter);
      }),
      { numRuns: 300 },
    );
  });

  it('parseUri reads what otpauth writes, and both compute the same codes', async () => {
    const { totp, hotp } = await import('../../src/index.js');
    fc.assert(
      fc.property(params, fc.integer({ min: 0, max: 2 ** 40 }), (p, nowSeconds) => {
        const config = {
          issuer: p.issuer ?? '',
          label: p.account,
          secret: OTPAuth.Secret.fromBase32(p.secret),
          algorithm: p.algorithm ?? 'SHA1',
          digits: p.digits ?? 6,
        };
        const otp = p.type === 'totp' ? new OTPAuth.TOTP({ ...config, period: p.period ?? 30 }) : new OTPAuth.HOTP({ ...config, counter: p.counter ?? 0 });
        const parsed = parseUri(otp.toString());
        const { warnings, ...rest } = parsed;
        const { image: _image, ...withoutImage } = p;
        expect(rest).toEqual(withoutImage);
        expect(warnings).toEqual([]);
        if (parsed.type === 'totp') {
          expect(totp(parsed.secret, { ...parsed, now: new Date(nowSeconds * 1000) })).toBe((otp as OTPAuth.TOTP).generate({ timestamp: nowSeconds * 1000 }));
        } else {
          expect(hotp(parsed.secret, parsed.counter, parsed)).toBe((otp as OTPAuth.HOTP).generate());
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('cross-check with otplib 13', () => {
  // otplib shows 6 to 8 digits only.
  const otplibParams = params.filter((p) => (p.digits ?? 6) <= 8 && p.image === undefined);

  it('parseUri reads what otplib generateURI writes', async () => {
    const { generateURI } = await import('otplib');
    fc.assert(
      fc.property(otplibParams, (p) => {
        const uri = generateURI({
          strategy: p.type,
          issuer: p.issuer ?? '',
          label: p.account,
          secret: p.secret,
          algorithm: (p.algorithm ?? 'SHA1').toLowerCase() as 'sha1',
          digits: p.digits ?? 6,
          ...(p.type === 'totp' ? { period: p.period ?? 30 } : { counter: p.counter ?? 0 }),
        });
        const { warnings, ...parsed } = parseUri(uri);
        expect(parsed).toEqual(p);
        expect(warnings).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("otplib's parseURI reads what buildUri writes", async () => {
    // @otplib/uri is otplib's own URI module (a dependency of otplib).
    const { parseURI } = await import('@otplib/uri');
    fc.assert(
      fc.property(otplibParams, (p) => {
        const read = parseURI(buildUri(p));
        expect(read.type).toBe(p.type);
        expect(read.label).toBe(p.issuer === undefined ? p.account : `${p.issuer}:${p.account}`);
        expect(read.params.secret).toBe(p.secret);
        expect(read.params.issuer).toBe(p.issuer);
        expect(read.params.algorithm ?? 'sha1').toBe((p.algorithm ?? 'SHA1').toLowerCase());
        expect(read.params.digits ?? 6).toBe(p.digits ?? 6);
        if (p.type === 'totp') expect(read.params.period ?? 30).toBe(p.period);
        else expect(read.params.counter).toBe(p.counter);
      }),
      { numRuns: 200 },
    );
  });
});

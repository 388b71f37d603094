import { randomBytes, randomInt } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { commandNames, runCli } from '../../src/cli/commands.js';
import { buildMigrationUri } from '../../src/index.js';
import { hotpSecretBase32, hotpVectors, referenceHotp, totpSeeds, totpVectors } from './vectors.js';

const base32 = (hex: string): string => {
  // RFC 4648 base32 written here, independent of the library's encoder.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of Buffer.from(hex, 'hex')) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[Number.parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
};

async function expectUsageError(argv: string[], ...forbidden: string[]): Promise<string> {
  const result = await runCli(argv);
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^otpgate: [^\n]+\n$/);
  for (const text of forbidden) expect(result.stderr).not.toContain(text);
  return result.stderr;
}

describe('totp', () => {
  for (const [time, ...codes] of totpVectors) {
    (['SHA1', 'SHA256', 'SHA512'] as const).forEach((algorithm, i) => {
      it(`RFC 6238 Appendix B, ${algorithm} at T=${time}, hex and base32 keys`, async () => {
        const options = ['--time', String(time), '--digits', '8', '--algorithm', algorithm];
        expect(await runCli(['totp', totpSeeds[algorithm], '--hex', ...options])).toEqual({ exitCode: 0, stdout: `${codes[i]}\n`, stderr: '' });
        expect((await runCli(['totp', base32(totpSeeds[algorithm]), ...options])).stdout).toBe(`${codes[i]}\n`);
      });
    });
  }

  it('matches a node:crypto reference for random keys, algorithms, digits, periods and epochs', async () => {
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(randomInt(10, 65)).toString('hex');
      const algorithm = (['SHA1', 'SHA256', 'SHA512'] as const)[randomInt(3)]!;
      const digits = randomInt(6, 11);
      const period = randomInt(1, 120);
      const epoch = randomInt(0, 1_000_000);
      const time = epoch + randomInt(0, 2 ** 40);
      const step = BigInt(Math.floor((time - epoch) / period));
      const argv = ['totp', key, '--hex', '--algorithm', algorithm.toLowerCase(), '--digits', String(digits),
        '--period', String(period), '--epoch', String(epoch), '--time', String(time)];
      expect((await runCli(argv)).stdout).toBe(`${referenceHotp(key, step, digits, algorithm)}\n`);
    }
  });

  it('uses the injected clock when no --time is given', async () => {
    const result = await runCli(['totp', hotpSecretBase32], { nowMs: () => 59_999 });
    expect(result.stdout).toBe(`${hotpVectors[1]}\n`);
  });

  it('reads the secret from standard input when it is -', async () => {
    const result = await runCli(['totp', '-', '--time', '59', '--digits', '8'], { readStdin: () => ` ${hotpSecretBase32.toLowerCase()}\n` });
    expect(result.stdout).toBe('94287082\n');
  });
});

describe('hotp', () => {
  hotpVectors.forEach((code, counter) => {
    it(`RFC 4226 Appendix D, counter ${counter}`, async () => {
      expect((await runCli(['hotp', hotpSecretBase32, '--counter', String(counter)])).stdout).toBe(`${code}\n`);
      expect((await runCli(['hotp', totpSeeds.SHA1, '--hex', '--counter', String(counter)])).stdout).toBe(`${code}\n`);
    });
  });

  it('is exact for counters beyond 2^32', async () => {
    const counter = 2n ** 53n - 1n;
    const expected = referenceHotp(totpSeeds.SHA1, counter, 6, 'SHA1');
    expect((await runCli(['hotp', hotpSecretBase32, '--counter', counter.toString()])).stdout).toBe(`${expected}\n`);
  });

  it('requires --counter', async () => {
    expect(await expectUsageError(['hotp', hotpSecretBase32], hotpSecretBase32)).toContain('--counter');
  });
});

describe('verify', () => {
  it('exits 0 and prints the delta and step of a matching TOTP code', async () => {
    expect(await runCli(['verify', hotpSecretBase32, '94287082', '--digits', '8', '--time', '59'])).toEqual({
      exitCode: 0,
      stdout: 'delta=0 step=1\n',
      stderr: '',
    });
    // The code of step 1 is one step old at T=60 (step 2), inside the default ±1 window.
    expect((await runCli(['verify', hotpSecretBase32, '287082', '--time', '60'])).stdout).toBe('delta=-1 step=1\n');
  });

  it('exits 1 outside the window and for a wrong code', async () => {
    for (const code of ['287082', '000000', '287 083']) {
      expect(await runCli(['verify', hotpSecretBase32, code, '--time', '120', '--window', '0'])).toEqual({
        exitCode: 1,
        stdout: 'no match\n',
        stderr: '',
      });
    }
  });

  it('widens the TOTP window with --window', async () => {
    expect((await runCli(['verify', hotpSecretBase32, '287082', '--time', '120', '--window', '3'])).stdout).toBe('delta=-3 step=1\n');
  });

  it('ignores spaces inside the code', async () => {
    expect((await runCli(['verify', hotpSecretBase32, '287 082', '--time', '59'])).exitCode).toBe(0);
  });

  it('checks HOTP with --counter, looking ahead only', async () => {
    expect((await runCli(['verify', hotpSecretBase32, hotpVectors[7]!, '--counter', '5', '--window', '2'])).stdout).toBe('delta=2 step=7\n');
    expect((await runCli(['verify', hotpSecretBase32, hotpVectors[4]!, '--counter', '5', '--window', '2'])).exitCode).toBe(1);
    await expectUsageError(['verify', hotpSecretBase32, hotpVectors[4]!, '--counter', '5', '--time', '59'], hotpSecretBase32, hotpVectors[4]!);
  });
});

describe('secret', () => {
  it('prints 160 bits of base32 by default, different every time', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { exitCode, stdout } = await runCli(['secret']);
      expect(exitCode).toBe(0);
      expect(stdout).toMatch(/^[A-Z2-7]{32}\n$/);
      seen.add(stdout);
    }
    expect(seen.size).toBe(20);
  });

  it('honours --bytes and --hex', async () => {
    expect((await runCli(['secret', '--bytes', '32'])).stdout).toMatch(/^[A-Z2-7]{52}\n$/);
    expect((await runCli(['secret', '--hex'])).stdout).toMatch(/^[0-9a-f]{40}\n$/);
    expect((await runCli(['secret', '--hex', '--bytes', '16'])).stdout).toMatch(/^[0-9a-f]{32}\n$/);
  });

  it('refuses fewer than 16 bytes', async () => {
    expect(await expectUsageError(['secret', '--bytes', '15'])).toContain('bytes');
  });
});

describe('help and version', () => {
  it('lists every command', async () => {
    const { exitCode, stdout } = await runCli(['--help']);
    expect(exitCode).toBe(0);
    for (const name of commandNames) expect(stdout).toContain(`  ${name} `);
    expect((await runCli(['-h'])).stdout).toBe(stdout);
  });

  for (const name of ['totp', 'hotp', 'verify', 'secret']) {
    it(`has help for ${name}`, async () => {
      const help = await runCli([name, '--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: otpgate ${name} `));
      expect((await runCli([name, '-h'])).stdout).toBe(help.stdout);
      expect((await runCli(['help', name])).stdout).toBe(help.stdout);
    });
  }

  it('prints the version it is given', async () => {
    expect(await runCli(['--version'], { version: '1.2.3' })).toEqual({ exitCode: 0, stdout: '1.2.3\n', stderr: '' });
  });
});

describe('bad input: exit 2, one line on stderr, never the secret or the code', () => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const cases: Array<[string, string[], RegExp]> = [
    ['no command', [], /missing COMMAND/],
    ['an unknown command (maybe a secret typed in the wrong place)', [secret], /unknown command/],
    ['an unknown option', ['totp', secret, '--colour'], /unknown option --colour/],
    ['an option without its value', ['totp', secret, '--time'], /--time needs a value/],
    ['a value given to a flag', ['totp', secret, '--hex=yes'], /--hex takes no value/],
    ['a missing SECRET', ['totp'], /missing SECRET/],
    ['a missing CODE', ['verify', secret], /missing CODE/],
    ['too many arguments', ['totp', secret, 'extra'], /too many arguments/],
    ['invalid base32', ['totp', `${secret}!`], /base32/],
    ['invalid hex', ['totp', 'abcdefgz', '--hex'], /hex/],
    ['odd-length hex', ['totp', 'abcdef0', '--hex'], /hex/],
    ['an empty secret', ['totp', ''], /empty/],
    ['5 digits', ['totp', secret, '--digits', '5'], /digits/],
    ['11 digits', ['totp', secret, '--digits', '11'], /digits/],
    ['a non-numeric digits', ['totp', secret, '--digits', 'six'], /--digits/],
    ['an unknown algorithm', ['totp', secret, '--algorithm', 'MD5'], /--algorithm/],
    ['period 0', ['totp', secret, '--period', '0'], /period/],
    ['a fractional time', ['totp', secret, '--time', '1.5'], /--time/],
    ['a time before the epoch', ['totp', secret, '--time', '10', '--epoch', '100'], /epoch/],
    ['a negative counter', ['hotp', secret, '--counter=-1'], /--counter/],
    ['a window too wide', ['verify', secret, '123456', '--window', '100000'], /window/],
    ['an unknown command for help', ['help', 'nope'], /unknown command/],
  ];
  for (const [what, argv, message] of cases) {
    it(`rejects ${what}`, async () => {
      expect(await expectUsageError(argv, secret, '123456')).toMatch(message);
    });
  }

  it('does not repeat the code on a bad secret', async () => {
    await expectUsageError(['verify', 'not-base32!', '987654'], 'not-base32', '987654');
  });
});

describe('uri, parse, qr', () => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

  it('writes a URI that another library (otpauth) reads back', async () => {
    const result = await runCli(['uri', '--issuer', 'ACME Co', '--account', 'alice@example.com', '--secret', secret.toLowerCase(),
      '--algorithm', 'SHA256', '--digits', '8', '--period', '60']);
    expect(result.exitCode).toBe(0);
    const parsed = OTPAuth.URI.parse(result.stdout.trim());
    expect(parsed).toBeInstanceOf(OTPAuth.TOTP);
    expect(parsed.issuer).toBe('ACME Co');
    expect(parsed.label).toBe('alice@example.com');
    expect(parsed.secret.base32).toBe(secret);
    expect(parsed.algorithm).toBe('SHA256');
    expect(parsed.digits).toBe(8);
    expect((parsed as OTPAuth.TOTP).period).toBe(60);
  });

  it('draws a new secret when none is given', async () => {
    const uris = await Promise.all([0, 1].map(async () => (await runCli(['uri', '--issuer', 'ACME', '--account', 'bob'])).stdout));
    const secrets = uris.map((uri) => OTPAuth.URI.parse(uri.trim()).secret.base32);
    for (const s of secrets) expect(s).toMatch(/^[A-Z2-7]{32}$/);
    expect(secrets[0]).not.toBe(secrets[1]);
  });

  it('takes a hex secret and writes HOTP URIs with their counter', async () => {
    const uri = (await runCli(['uri', '--issuer', 'ACME', '--account', 'bob', '--secret', totpSeeds.SHA1, '--hex', '--type', 'hotp', '--counter', '7'])).stdout.trim();
    const parsed = OTPAuth.URI.parse(uri) as OTPAuth.HOTP;
    expect(parsed).toBeInstanceOf(OTPAuth.HOTP);
    expect(parsed.counter).toBe(7);
    expect(parsed.secret.base32).toBe(base32(totpSeeds.SHA1));
    expect(parsed.generate({ counter: 1 })).toBe(hotpVectors[1]);
  });

  for (const [what, argv, message] of [
    ['a missing --issuer', ['uri', '--account', 'bob', '--secret', secret], /--issuer/],
    ['a missing --account', ['uri', '--issuer', 'ACME', '--secret', secret], /--account/],
    ['a colon in the account', ['uri', '--issuer', 'ACME', '--account', 'a:b', '--secret', secret], /:/],
    ['hotp without --counter', ['uri', '--issuer', 'ACME', '--account', 'bob', '--secret', secret, '--type', 'hotp'], /--counter/],
    ['an unknown --type', ['uri', '--issuer', 'ACME', '--account', 'bob', '--type', 'motp'], /--type/],
    ['a bad secret', ['uri', '--issuer', 'ACME', '--account', 'bob', '--secret', `${secret}1`], /base32/],
    ['a URI of another scheme', ['parse', `https://example.com/?secret=${secret}`], /otpauth/],
    ['a URI without a secret', ['parse', 'otpauth://totp/ACME:bob?issuer=ACME'], /secret/],
    ['a URI with 12 digits', ['parse', `otpauth://totp/ACME:bob?secret=${secret}&digits=12`], /digits/],
    ['a malformed URI for qr', ['qr', `otpauth://totp/bob?secret=${secret}&period=0`], /period/],
    ['a missing URI', ['qr'], /missing URI/],
  ] as Array<[string, string[], RegExp]>) {
    it(`rejects ${what}`, async () => {
      expect(await expectUsageError(argv, secret)).toMatch(message);
    });
  }

  it('parses a URI into JSON with defaults and warnings', async () => {
    const result = await runCli(['parse', `otpauth://totp/Microsoft:alice@contoso.com?secret=${secret.toLowerCase()}&issuer=Contoso`]);
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ type: 'totp', secret, issuer: 'Contoso', account: 'alice@contoso.com', algorithm: 'SHA1', digits: 6, period: 30 });
    expect(json['warnings']).toHaveLength(1);
  });

  it('parses what uri wrote, and reads the URI from standard input with -', async () => {
    const uri = (await runCli(['uri', '--issuer', 'Ünïcode Bank', '--account', 'zoë@example.com', '--secret', secret])).stdout;
    const json = JSON.parse((await runCli(['parse', '-'], { readStdin: () => uri })).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ issuer: 'Ünïcode Bank', account: 'zoë@example.com', secret });
  });

  it('draws a terminal QR code: square, half blocks, quiet zone', async () => {
    const { exitCode, stdout } = await runCli(['qr', `otpauth://totp/ACME:bob?secret=${secret}&issuer=ACME`]);
    expect(exitCode).toBe(0);
    const lines = stdout.replace(/\n$/, '').split('\n');
    const width = [...lines[0]!].length;
    for (const line of lines) expect([...line]).toHaveLength(width);
    expect(stdout).toMatch(/^[█▀▄ \n]+$/);
    // Rows of two modules each: the height in modules equals the width (a QR code is square).
    expect(Math.abs(lines.length * 2 - width)).toBeLessThanOrEqual(1);
    expect(lines[0]).toBe('█'.repeat(width));
    const light = (await runCli(['qr', `otpauth://totp/ACME:bob?secret=${secret}&issuer=ACME`, '--light'])).stdout;
    expect(light).not.toBe(stdout);
  });

  it('writes SVG to a file or to standard output', async () => {
    const uri = `otpauth://totp/ACME:bob?secret=${secret}&issuer=ACME`;
    const files = new Map<string, string>();
    const result = await runCli(['qr', uri, '--svg', 'out.svg'], { writeFile: (path, text) => files.set(path, text) });
    expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(files.get('out.svg')).toMatch(/^<svg[^>]*viewBox/);
    expect((await runCli(['qr', uri, '--svg', '-'])).stdout).toBe(`${files.get('out.svg')}\n`);
    const failing = await runCli(['qr', uri, '--svg', '/nope/out.svg'], {
      writeFile: () => {
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '/nope/out.svg'`), { code: 'ENOENT' });
      },
    });
    expect(failing).toEqual({ exitCode: 2, stdout: '', stderr: 'otpgate: cannot write the --svg file (ENOENT)\n' });
  });

  // The sample of a Google Authenticator export used across the enrollment docs: the key is
  // the bytes "Hello!\xde\xad\xbe\xef", JBSWY3DPEHPK3PXP in base32.
  const exportUri = 'otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEgACgB';

  it('lists the accounts of a Google Authenticator export, each with its own URI', async () => {
    const result = await runCli(['parse', exportUri]);
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout) as { accounts: Array<Record<string, unknown>>; batchSize: number };
    expect(json.batchSize).toBe(1);
    expect(json.accounts).toHaveLength(1);
    expect(json.accounts[0]).toMatchObject({ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', issuer: 'Example', account: 'alice@google.com' });
    const own = OTPAuth.URI.parse(json.accounts[0]!['uri'] as string);
    expect(own.secret.base32).toBe('JBSWY3DPEHPK3PXP');
    expect(own.issuer).toBe('Example');
  });

  it('lists every account of a multi-account export', async () => {
    const accounts = [
      { type: 'totp' as const, secret, issuer: 'ACME', account: 'alice' },
      { type: 'hotp' as const, secret: base32(totpSeeds.SHA1), account: 'bob', counter: 3, digits: 8 },
      { type: 'totp' as const, secret: base32(totpSeeds.SHA256), issuer: 'Bank', account: 'carol', algorithm: 'SHA256' as const },
    ];
    const json = JSON.parse((await runCli(['parse', buildMigrationUri(accounts)])).stdout) as { accounts: Array<Record<string, unknown>> };
    expect(json.accounts.map((a) => [a['account'], a['secret'], a['type']])).toEqual(accounts.map((a) => [a.account, a.secret, a.type]));
    expect(json.accounts[1]).toMatchObject({ counter: 3, digits: 8 });
    expect((OTPAuth.URI.parse(json.accounts[1]!['uri'] as string) as OTPAuth.HOTP).generate({ counter: 1 })).toBe(
      referenceHotp(totpSeeds.SHA1, 1n, 8, 'SHA1'),
    );
  });

  it('refuses a broken export without showing its data, and draws a good one', async () => {
    expect(await expectUsageError(['parse', 'otpauth-migration://offline?data=CjEKC!!'], 'CjEKC')).toMatch(/data/);
    expect(await expectUsageError(['qr', 'otpauth-migration://offline?data=CjEKC!!'], 'CjEKC')).toMatch(/data/);
    expect((await runCli(['qr', exportUri])).exitCode).toBe(0);
  });

  for (const name of ['uri', 'parse', 'qr', 'demo']) {
    it(`has help for ${name}`, async () => {
      expect((await runCli([name, '--help'])).stdout).toMatch(new RegExp(`^Usage: otpgate ${name}`));
    });
  }
});

describe('demo', () => {
  it('runs secret, uri, qr, totp and verify on one fresh secret', async () => {
    const { exitCode, stdout } = await runCli(['demo'], { nowMs: () => 1_111_111_111_000 });
    expect(exitCode).toBe(0);
    const secret = /\$ otpgate secret\n([A-Z2-7]{32})\n/.exec(stdout)?.[1];
    expect(secret).toBeDefined();
    const code = new OTPAuth.TOTP({ secret: secret! }).generate({ timestamp: 1_111_111_111_000 });
    expect(stdout).toContain(`$ otpgate totp ${secret}\n${code}\n(exit 0)`);
    expect(stdout).toContain(`$ otpgate verify ${secret} ${code}\ndelta=0 step=37037037\n(exit 0)`);
    expect(stdout).toMatch(/no match\n\(exit 1\)/);
    expect(stdout).toContain('█');
  });
});

// The cases of issue 16 ("what a new user tripped on"), item 5.
describe('what a new user tripped on', () => {
  const secret = hotpSecretBase32;

  it('reads a negative --time or --epoch as a number, not as a missing value', async () => {
    // Before 1970 with T0 at 0 is before the epoch: the library's rule, in the flags' names.
    expect(await runCli(['totp', secret, '--time', '-5'])).toEqual({ exitCode: 2, stdout: '', stderr: 'otpgate: --time must not be before --epoch\n' });
    // 5 s after T0 = -10 is step 0, as 5 s after T0 = 0 is.
    const expected = (await runCli(['totp', secret, '--time', '5'])).stdout;
    expect(expected).toBe(`${hotpVectors[0]}\n`);
    expect((await runCli(['totp', secret, '--time', '-5', '--epoch', '-10'])).stdout).toBe(expected);
    expect((await runCli(['totp', secret, '--time=-5', '--epoch=-10'])).stdout).toBe(expected);
    expect((await runCli(['verify', secret, hotpVectors[0]!, '--time', '-5', '--epoch', '-10'])).stdout).toBe('delta=0 step=0\n');
    // A value that is not a number still counts as a missing value, and a bad number is named.
    expect(await expectUsageError(['totp', secret, '--time', '--hex'])).toMatch(/--time needs a value/);
    expect(await expectUsageError(['totp', secret, '--time', '-5x'])).toMatch(/--time must be a whole number/);
  });

  it('answers a CODE that cannot match as bad input (2), not as no match (1)', async () => {
    expect(await expectUsageError(['verify', secret, 'abcdef', '--time', '59'], secret, 'abcdef')).toMatch(/CODE must be digits/);
    expect(await expectUsageError(['verify', secret, '12345', '--time', '59'], secret, '12345')).toMatch(/CODE must have 6 digits/);
    expect(await expectUsageError(['verify', secret, '287082', '--digits', '8', '--time', '59'], secret, '287082')).toMatch(/CODE must have 8 digits/);
    // The right length, the wrong code: a plain no match.
    expect((await runCli(['verify', secret, '287083', '--time', '59'])).exitCode).toBe(1);
  });

  it('refuses verify - - without reading standard input', async () => {
    let reads = 0;
    const result = await runCli(['verify', '-', '-'], { readStdin: () => (reads++, secret) });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^otpgate: only SECRET can be read from standard input/);
    expect(reads).toBe(0);
  });

  it('asks for a SECRET or URI read from standard input with a prompt naming it', async () => {
    const prompts: string[] = [];
    const readStdin = (prompt: string): Promise<string> => (prompts.push(prompt), Promise.resolve(`${secret}\n`));
    expect((await runCli(['totp', '-', '--time', '59'], { readStdin })).stdout).toBe('287082\n');
    const uri = `otpauth://totp/ACME:bob?secret=${secret}&issuer=ACME`;
    expect((await runCli(['parse', '-'], { readStdin: (prompt) => (prompts.push(prompt), uri) })).exitCode).toBe(0);
    expect(prompts).toEqual(['SECRET (input hidden): ', 'URI (input hidden): ']);
  });

  it('words a bad base32 key the same way in totp, parse and qr', async () => {
    const detail = (stderr: string): string => /is not base32 \(([^)]*)\)/.exec(stderr)?.[1] ?? 'none';
    const totpError = await expectUsageError(['totp', 'ABC1']);
    const qrError = await expectUsageError(['qr', 'otpauth://totp/ACME:bob?secret=ABC1&issuer=ACME'], 'ABC1');
    const parseError = await expectUsageError(['parse', 'otpauth://totp/ACME:bob?secret=ABC1&issuer=ACME'], 'ABC1');
    expect(totpError).toMatch(/^otpgate: SECRET is not base32 \(/);
    expect(qrError).toMatch(/^otpgate: the URI's secret is not base32 \(/);
    expect(parseError).toBe(qrError);
    expect(detail(qrError)).toBe(detail(totpError));
    expect(detail(totpError)).toBe('invalid character at position 3');
  });

  it('adds the compatibility warnings to parse, each with a stable code', async () => {
    const uri = `otpauth://totp/ACME:bob?secret=${secret}&issuer=ACME&digits=8`;
    const json = JSON.parse((await runCli(['parse', uri])).stdout) as { warnings: Array<{ code: string; message: string }> };
    expect(json.warnings.map((warning) => warning.code)).toEqual(['digits-unsupported']);
    expect(json.warnings[0]!.message).toMatch(/8 digits/);
    const plain = JSON.parse((await runCli(['parse', `otpauth://totp/ACME:bob?secret=${secret}&issuer=ACME`])).stdout) as { warnings: unknown[] };
    expect(plain.warnings).toEqual([]);
    const mismatch = `otpauth://totp/Other:bob?secret=${secret}&issuer=ACME&algorithm=SHA256`;
    const both = JSON.parse((await runCli(['parse', mismatch])).stdout) as { warnings: Array<{ code: string }> };
    expect(both.warnings.map((warning) => warning.code)).toEqual(['issuer-mismatch', 'algorithm-ignored']);
  });

  it('keeps every line of every help text within 80 columns', async () => {
    const texts = [(await runCli(['--help'])).stdout];
    for (const name of commandNames) texts.push((await runCli([name, '--help'])).stdout);
    expect(texts).toHaveLength(commandNames.length + 1);
    for (const text of texts) {
      for (const line of text.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    }
  });
});

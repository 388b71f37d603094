// Runs the built binary as a user would: `node dist/cli.js …`, checking exit codes and streams.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliPath, ensureBuilt, root } from './build.js';
import { hotpSecretBase32, hotpVectors, referenceHotp, totpSeeds, totpVectors } from './vectors.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input?: string): Run {
  const result = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', input, timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
}

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe('otpgate binary', () => {
  it('starts with a shebang and is executable, as npm links it', () => {
    expect(readFileSync(cliPath, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const direct = spawnSync(cliPath, ['--version'], { encoding: 'utf8' });
    expect(direct.status).toBe(0);
  });

  it('prints the version of package.json', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(cli(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('computes the RFC 6238 Appendix B codes via --time, with hex keys', () => {
    for (const [time, sha1, sha256, sha512] of totpVectors) {
      const base = ['--hex', '--time', String(time), '--digits', '8'];
      expect(cli(['totp', totpSeeds.SHA1, ...base]).stdout).toBe(`${sha1}\n`);
      expect(cli(['totp', totpSeeds.SHA256, ...base, '--algorithm', 'SHA256']).stdout).toBe(`${sha256}\n`);
      expect(cli(['totp', totpSeeds.SHA512, ...base, '--algorithm', 'SHA512']).stdout).toBe(`${sha512}\n`);
    }
  });

  it('computes the RFC 4226 Appendix D codes', () => {
    expect(cli(['hotp', hotpSecretBase32, '--counter', '9'])).toEqual({ status: 0, stdout: `${hotpVectors[9]}\n`, stderr: '' });
  });

  it('agrees with the current time: a fresh code verifies', () => {
    const secret = cli(['secret']).stdout.trim();
    const code = cli(['totp', secret]).stdout.trim();
    const result = cli(['verify', secret, code]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^delta=(0|-1) step=\d+\n$/);
  });

  it('exits 0 on a match, 1 on no match, 2 on bad input', () => {
    expect(cli(['verify', hotpSecretBase32, '287082', '--time', '59'])).toEqual({ status: 0, stdout: 'delta=0 step=1\n', stderr: '' });
    expect(cli(['verify', hotpSecretBase32, '287083', '--time', '59'])).toEqual({ status: 1, stdout: 'no match\n', stderr: '' });
    expect(cli(['verify', hotpSecretBase32, '287082', '--time', '59', '--digits', '5']).status).toBe(2);
  });

  it('reads the secret from standard input with -', () => {
    expect(cli(['totp', '-', '--hex', '--time', '59', '--digits', '8'], `${totpSeeds.SHA1}\n`).stdout).toBe('94287082\n');
  });

  const secret = 'KRUGS4ZANFZSAYJAONSWG4TFOQQGWZLZ';
  for (const argv of [
    ['frobnicate'],
    [secret],
    ['totp', `${secret}!!`],
    ['totp', secret, '--digits', '42'],
    ['verify', `${secret}0`, '123456'],
    ['hotp', secret, '--counter', 'x'],
    ['totp', secret, '--bogus'],
    ['secret', '--bytes', '8'],
  ]) {
    it(`bad input ${JSON.stringify(argv.map((a) => a.replace(secret, 'SECRET')))}: exit 2, one line, no stack, no secret`, () => {
      const result = cli(argv);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^otpgate: [^\n]+\n$/);
      expect(result.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
      expect(result.stderr).not.toContain(secret.slice(0, 8));
      expect(result.stderr).not.toContain('123456');
    });
  }

  for (const name of ['totp', 'hotp', 'verify', 'secret', 'uri', 'parse', 'qr', 'demo']) {
    it(`prints help for ${name}`, () => {
      const result = cli([name, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: otpgate ${name}`));
      expect(result.stdout).toContain('--help');
      expect(result.stderr).toBe('');
    });
  }

  it('prints the tool help', () => {
    const result = cli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: otpgate COMMAND/);
  });

  it('generates secrets of the right length and alphabet', () => {
    expect(cli(['secret']).stdout).toMatch(/^[A-Z2-7]{32}\n$/);
    expect(cli(['secret', '--bytes', '64']).stdout).toMatch(/^[A-Z2-7]{103}\n$/);
    expect(cli(['secret', '--hex', '--bytes', '20']).stdout).toMatch(/^[0-9a-f]{40}\n$/);
  });

  const oathtool = has('oathtool');
  it.skipIf(!oathtool)(`agrees with oathtool on random keys and times${oathtool ? '' : ' (skipped: oathtool is not installed)'}`, () => {
    for (let i = 0; i < 9; i++) {
      const key = randomBytes(20 + i).toString('hex');
      const time = Math.floor(Math.random() * 4_000_000_000);
      const algorithm = (['SHA1', 'SHA256', 'SHA512'] as const)[i % 3]!;
      const digits = 6 + (i % 3);
      const oath = spawnSync('oathtool', [`--totp=${algorithm.toLowerCase()}`, `--digits=${digits}`,
        `--now=@${time}`, key], { encoding: 'utf8' });
      expect(oath.status).toBe(0);
      const ours = cli(['totp', key, '--hex', '--algorithm', algorithm, '--digits', String(digits), '--time', String(time)]);
      expect(ours.stdout).toBe(oath.stdout);
      expect(ours.stdout).toBe(`${referenceHotp(key, BigInt(Math.floor(time / 30)), digits, algorithm)}\n`);
    }
  });

  it('pipes uri into parse through standard input', () => {
    const uri = cli(['uri', '--issuer', 'ACME Co', '--account', 'alice@example.com', '--secret', hotpSecretBase32]);
    expect(uri.status).toBe(0);
    const parsed = cli(['parse', '-'], uri.stdout);
    expect(parsed.status).toBe(0);
    expect(JSON.parse(parsed.stdout)).toMatchObject({ type: 'totp', issuer: 'ACME Co', account: 'alice@example.com', secret: hotpSecretBase32 });
  });

  it('runs the demo that npm run try shows', () => {
    const result = cli(['demo']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/delta=0 step=\d+\n\(exit 0\)/);
  });

  const reader = has('zbarimg') && has('rsvg-convert');
  it.skipIf(!reader)(`writes an SVG that zbarimg reads back${reader ? '' : ' (skipped: zbar-tools or librsvg2-bin is not installed)'}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'otpgate-cli-'));
    try {
      const uri = cli(['uri', '--issuer', 'ACME', '--account', 'alice@example.com', '--digits', '8']).stdout.trim();
      const svg = join(dir, 'code.svg');
      expect(cli(['qr', uri, '--svg', svg])).toEqual({ status: 0, stdout: '', stderr: '' });
      const png = join(dir, 'code.png');
      expect(spawnSync('rsvg-convert', ['--width', '400', '--output', png, svg]).status).toBe(0);
      const decoded = spawnSync('zbarimg', ['--quiet', '--raw', png], { encoding: 'utf8' });
      expect(decoded.stdout.trim()).toBe(uri);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

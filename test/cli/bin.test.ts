// Runs the built binary as a user would: `node dist/cli.js …`, checking exit codes and streams.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// Asynchronous, so the concurrent tests below overlap their process start-ups.
function cli(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { timeout: 20_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
}

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe.concurrent('otpgate binary', () => {
  it('starts with a shebang and is executable, as npm links it', async () => {
    expect(readFileSync(cliPath, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const direct = spawnSync(cliPath, ['--version'], { encoding: 'utf8' });
    expect(direct.status).toBe(0);
  });

  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  // Every vector runs in-process in commands.test.ts; here the first and the last (beyond 2^32 steps).
  for (const [time, ...codes] of [totpVectors[0]!, totpVectors.at(-1)!]) {
    it(`computes the RFC 6238 Appendix B codes at T=${time} via --time, with hex keys`, async () => {
      const base = ['--hex', '--time', String(time), '--digits', '8'];
      const runs = await Promise.all(
        (['SHA1', 'SHA256', 'SHA512'] as const).map((algorithm) => cli(['totp', totpSeeds[algorithm], ...base, '--algorithm', algorithm])),
      );
      expect(runs.map((run) => run.stdout)).toEqual(codes.map((code) => `${code}\n`));
    });
  }

  it('computes the RFC 4226 Appendix D codes', async () => {
    expect(await cli(['hotp', hotpSecretBase32, '--counter', '9'])).toEqual({ status: 0, stdout: `${hotpVectors[9]}\n`, stderr: '' });
  });

  it('agrees with the current time: a fresh code verifies', async () => {
    const secret = (await cli(['secret'])).stdout.trim();
    const code = (await cli(['totp', secret])).stdout.trim();
    const result = await cli(['verify', secret, code]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^delta=(0|-1) step=\d+\n$/);
  });

  it('exits 0 on a match, 1 on no match, 2 on bad input', async () => {
    expect(await cli(['verify', hotpSecretBase32, '287082', '--time', '59'])).toEqual({ status: 0, stdout: 'delta=0 step=1\n', stderr: '' });
    expect(await cli(['verify', hotpSecretBase32, '287083', '--time', '59'])).toEqual({ status: 1, stdout: 'no match\n', stderr: '' });
    expect((await cli(['verify', hotpSecretBase32, '287082', '--time', '59', '--digits', '5'])).status).toBe(2);
  });

  it('reads the secret from standard input with -', async () => {
    expect((await cli(['totp', '-', '--hex', '--time', '59', '--digits', '8'], `${totpSeeds.SHA1}\n`)).stdout).toBe('94287082\n');
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
    it(`bad input ${JSON.stringify(argv.map((a) => a.replace(secret, 'SECRET')))}: exit 2, one line, no stack, no secret`, async () => {
      const result = await cli(argv);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^otpgate: [^\n]+\n$/);
      expect(result.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
      expect(result.stderr).not.toContain(secret.slice(0, 8));
      expect(result.stderr).not.toContain('123456');
    });
  }

  for (const name of ['totp', 'hotp', 'verify', 'secret', 'uri', 'parse', 'qr', 'demo']) {
    it(`prints help for ${name}`, async () => {
      const result = await cli([name, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: otpgate ${name}`));
      expect(result.stdout).toContain('--help');
      expect(result.stderr).toBe('');
    });
  }

  it('prints the tool help', async () => {
    const result = await cli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: otpgate COMMAND/);
  });

  it('generates secrets of the right length and alphabet', async () => {
    const [plain, long, hex] = await Promise.all([cli(['secret']), cli(['secret', '--bytes', '64']), cli(['secret', '--hex', '--bytes', '20'])]);
    expect(plain.stdout).toMatch(/^[A-Z2-7]{32}\n$/);
    expect(long.stdout).toMatch(/^[A-Z2-7]{103}\n$/);
    expect(hex.stdout).toMatch(/^[0-9a-f]{40}\n$/);
  });

  const oathtool = has('oathtool');
  it.skipIf(!oathtool)(`agrees with oathtool on random keys and times${oathtool ? '' : ' (skipped: oathtool is not installed)'}`, async () => {
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (i) => {
        const key = randomBytes(20 + i).toString('hex');
        const time = Math.floor(Math.random() * 4_000_000_000);
        const algorithm = (['SHA1', 'SHA256', 'SHA512'] as const)[i % 3]!;
        const digits = 6 + (i % 3);
        const oath = spawnSync('oathtool', [`--totp=${algorithm.toLowerCase()}`, `--digits=${digits}`, `--now=@${time}`, key], {
          encoding: 'utf8',
        });
        expect(oath.status).toBe(0);
        const ours = await cli(['totp', key, '--hex', '--algorithm', algorithm, '--digits', String(digits), '--time', String(time)]);
        expect(ours.stdout).toBe(oath.stdout);
        expect(ours.stdout).toBe(`${referenceHotp(key, BigInt(Math.floor(time / 30)), digits, algorithm)}\n`);
      }),
    );
  });

  it('pipes uri into parse through standard input', async () => {
    const uri = await cli(['uri', '--issuer', 'ACME Co', '--account', 'alice@example.com', '--secret', hotpSecretBase32]);
    expect(uri.status).toBe(0);
    const parsed = await cli(['parse', '-'], uri.stdout);
    expect(parsed.status).toBe(0);
    expect(JSON.parse(parsed.stdout)).toMatchObject({ type: 'totp', issuer: 'ACME Co', account: 'alice@example.com', secret: hotpSecretBase32 });
  });

  it('runs the demo that npm run try shows', async () => {
    const result = await cli(['demo']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/delta=0 step=\d+\n\(exit 0\)/);
  });

  // Issue 11 item 12: the QR encoder costs start-up time, so only qr and demo load it.
  it('loads qrcode-svg only for the commands that draw a QR code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otpgate-cli-load-'));
    try {
      // A module hook records every module Node loads; it runs in its own thread, so to a file.
      writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(process.env.LOADED_LOG, url + '\\n'); return next(url, context); }`);
      writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module'; register('./hooks.mjs', import.meta.url);`);
      const loaded = (name: string, argv: string[]): string => {
        const log = join(dir, `${name}.log`);
        const run = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), cliPath, ...argv], {
          encoding: 'utf8',
          env: { ...process.env, LOADED_LOG: log },
        });
        expect(run.status, run.stderr).toBe(0);
        return readFileSync(log, 'utf8');
      };
      const uri = `otpauth://totp/ACME:bob?secret=${hotpSecretBase32}&issuer=ACME`;
      for (const argv of [['totp', hotpSecretBase32], ['secret'], ['parse', uri], ['qr', '--help'], ['--version']]) {
        const log = loaded(argv[0]!.replace(/\W/g, ''), argv);
        expect(log).toContain('/dist/cli.js');
        expect(log, argv.join(' ')).not.toContain('qrcode-svg');
      }
      expect(loaded('qr', ['qr', uri])).toContain('/qrcode-svg/');
      expect(loaded('qrsvg', ['qr', uri, '--svg', '-'])).toContain('/qrcode-svg/');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Issue 16 item 5: `totp -` on a terminal used to wait without a word and echo the key.
  const pty = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!pty)(`asks for a SECRET on a terminal without echoing it${pty ? '' : ' (skipped: script from util-linux is not installed)'}`, async () => {
    // script(1) runs the command on a pseudo-terminal; what we write to its standard input is typed there.
    const command = [process.execPath, cliPath, 'totp', '-', '--time', '59', '--digits', '8'].map((arg) => `'${arg}'`).join(' ');
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], { timeout: 20_000 });
    let screen = '';
    const prompted = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        screen += chunk;
        if (screen.includes('(input hidden): ')) resolve();
      });
    });
    const status = new Promise<number | null>((resolve) => child.on('close', resolve));
    await prompted;
    // Typed only once the prompt shows, so echo is already off.
    child.stdin.write(`${hotpSecretBase32}\r`);
    expect(await status).toBe(0);
    expect(screen).toContain('SECRET (input hidden): ');
    expect(screen).toContain('94287082');
    expect(screen).not.toContain(hotpSecretBase32.slice(0, 8));
  });

  const reader = has('zbarimg') && has('rsvg-convert');
  it.skipIf(!reader)(`writes an SVG that zbarimg reads back${reader ? '' : ' (skipped: zbar-tools or librsvg2-bin is not installed)'}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otpgate-cli-'));
    try {
      const uri = (await cli(['uri', '--issuer', 'ACME', '--account', 'alice@example.com', '--digits', '8'])).stdout.trim();
      const svg = join(dir, 'code.svg');
      expect(await cli(['qr', uri, '--svg', svg])).toEqual({ status: 0, stdout: '', stderr: '' });
      const png = join(dir, 'code.png');
      expect(spawnSync('rsvg-convert', ['--width', '400', '--output', png, svg]).status).toBe(0);
      const decoded = spawnSync('zbarimg', ['--quiet', '--raw', png], { encoding: 'utf8' });
      expect(decoded.stdout.trim()).toBe(uri);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

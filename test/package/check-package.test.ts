// SLOW (about 30 s): `npm run check:package` (scripts/check-package.mjs) checks a packed copy
// and leaves alone a tarball the user packed in the repository (issue 16 item 7; it ran
// `attw --pack .`, which overwrote and then deleted ./otpgate-0.0.0.tgz). It runs here on a
// copy of the project, so the real repository's files are never at stake.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const project = mkdtempSync(join(tmpdir(), 'otpgate-check-copy-'));
const userTarball = join(project, 'otpgate-0.0.0.tgz');
const userBytes = 'not really a tarball: the bytes a user packed and wants to keep\n';

function check(): { status: number | null; output: string } {
  const run = spawnSync('node', ['scripts/check-package.mjs'], { cwd: project, encoding: 'utf8', timeout: 240_000 });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

beforeAll(() => {
  for (const file of ['package.json', 'README.md', 'LICENSE']) copyFileSync(join(root, file), join(project, file));
  mkdirSync(join(project, 'scripts'));
  copyFileSync(join(root, 'scripts', 'check-package.mjs'), join(project, 'scripts', 'check-package.mjs'));
  symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'), 'dir');
  execFileSync(join(root, 'node_modules', '.bin', 'tsup'), ['--silent', '--out-dir', join(project, 'dist')], { cwd: root, stdio: 'pipe' });
  writeFileSync(userTarball, userBytes);
}, 180_000);

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

describe('npm run check:package', () => {
  it('passes publint and attw on a packed copy, and keeps the tarball the user packed', () => {
    const { status, output } = check();
    expect(status, output).toBe(0);
    expect(output).toContain('packed a copy: otpgate-0.0.0.tgz');
    expect(output).toContain('All good!'); // publint
    expect(output).toContain('No problems found'); // attw
    expect(readFileSync(userTarball, 'utf8')).toBe(userBytes);
    expect(readdirSync(project).filter((name) => name.endsWith('.tgz'))).toEqual(['otpgate-0.0.0.tgz']);
  });

  it('fails on a broken package, still without touching the user tarball', () => {
    // The CommonJS types of the main entry gone: attw must object.
    rmSync(join(project, 'dist', 'index.d.cts'));
    const { status, output } = check();
    expect(status, output).toBe(1);
    expect(output).toContain('attw found problems');
    expect(readFileSync(userTarball, 'utf8')).toBe(userBytes);
  });

  it('says to build first when dist/ is missing', () => {
    rmSync(join(project, 'dist'), { recursive: true, force: true });
    const { status, output } = check();
    expect(status).toBe(2);
    expect(output).toContain('run npm run build first');
    expect(readFileSync(userTarball, 'utf8')).toBe(userBytes);
  });
});

// Releases are cut with `changeset version`: prove, on a scratch copy of the
// package, that the pending changesets turn into CHANGELOG.md and a bump.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'otpgate-changesets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const pending = readdirSync(join(root, '.changeset')).filter((name) => name.endsWith('.md') && name !== 'README.md');

function summary(file: string): string {
  // The first line of the text after the front matter.
  const text = readFileSync(join(root, '.changeset', file), 'utf8').split('---')[2] ?? '';
  return text.trim().split('\n')[0]!.slice(0, 60);
}

describe('changesets', () => {
  it('has changesets waiting for the next release', () => {
    expect(pending.length).toBeGreaterThan(0);
  });

  it('`changeset version` writes every pending summary into CHANGELOG.md and bumps the version', () => {
    cpSync(join(root, 'package.json'), join(scratch, 'package.json'));
    cpSync(join(root, '.changeset'), join(scratch, '.changeset'), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=ci@otpgate.invalid', '-c', 'user.name=ci', ...args], { cwd: scratch, stdio: 'pipe' });
    git('init', '-q');
    git('add', 'package.json', '.changeset');
    git('commit', '-qm', 'scratch');
    const before = JSON.parse(readFileSync(join(scratch, 'package.json'), 'utf8')).version as string;
    execFileSync(process.execPath, [join(root, 'node_modules/@changesets/cli/bin.js'), 'version'], { cwd: scratch, stdio: 'pipe' });
    const after = JSON.parse(readFileSync(join(scratch, 'package.json'), 'utf8')).version as string;
    expect(after).not.toBe(before);
    const changelog = readFileSync(join(scratch, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(new RegExp(`^# otpgate\\n\\n## ${after.replaceAll('.', '\\.')}\\n`));
    for (const file of pending) expect(changelog).toContain(summary(file));
    // The changesets are consumed by the release.
    expect(readdirSync(join(scratch, '.changeset')).filter((name) => name.endsWith('.md') && name !== 'README.md')).toEqual([]);
  });
});

// Makes sure dist/cli.js is built from the current sources, so `npm test` works on a
// fresh clone without a manual `npm run build`. Several test files (and several
// vitest workers) may call this at once: a lock directory lets only one run tsup.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const cliPath: string = join(root, 'dist', 'cli.js');
const lock = join(root, 'node_modules', '.cache', 'otpgate-build.lock');

function newestSource(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const path of ['src', 'package.json', 'tsup.config.ts']) visit(join(root, path));
  return newest;
}

function isFresh(): boolean {
  try {
    return statSync(cliPath).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds the package with tsup when dist/cli.js is missing or older than a source file. */
export function ensureBuilt(): void {
  if (isFresh()) return;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else is building; a lock older than two minutes was left by a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // The lock vanished between the two calls: just try again.
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another build of dist/');
      sleep(200);
    }
  }
  try {
    if (!isFresh()) execFileSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'pipe', timeout: 120_000 });
  } catch (error) {
    const output = String((error as { stderr?: unknown }).stderr ?? '').slice(-2000);
    throw new Error(`npx tsup failed:\n${output}`, { cause: error });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  // Not isFresh(): in a shared work tree a source may change during the build.
  statSync(cliPath);
}

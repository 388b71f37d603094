// npm run check:package: lints the package as npm would publish it, with publint --strict
// and @arethetypeswrong/cli (every entry, every TypeScript resolution: node10, node16 CJS
// and ESM, bundler). It packs into a temporary folder and checks that copy, so a tarball
// you packed yourself in the repository is never overwritten or deleted (`attw --pack .`
// did both).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('check:package: dist/ is missing; run npm run build first');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'otpgate-check-package-'));
let failed = false;
try {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const tarball = join(work, packed.filename);
  console.log(`packed a copy: ${packed.filename}, ${packed.entryCount} files, ${packed.size} bytes`);
  for (const [name, args] of [
    ['publint', ['run', tarball, '--strict']],
    ['attw', [tarball]],
  ]) {
    console.log(`\n$ ${name} ${args.join(' ').replace(work, '<tmp>')}`);
    try {
      execFileSync(bin(name), args, { cwd: work, stdio: 'inherit' });
    } catch {
      failed = true;
      console.error(`check:package: ${name} found problems`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

#!/usr/bin/env node
// Size budget of what an application pays for otpgate in a browser bundle:
// `npm run size:check` (after `npm run build`; without dist/ it measures src/).
// Each entry imports a few names, esbuild bundles them minified and tree-shaken
// for the browser, and node:zlib gzips the result (level 9). Exits 1 when an
// entry is over its budget. `npm run size` compares verifyTotp with the peers.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildPasskeyScript } from './passkey-script.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The budgets, in gzipped bytes. Each sits a little above today's figure so
 * that a real regression (a dependency pulled in, a layer no longer
 * tree-shaken) fails, and an ordinary fix does not.
 */
export const BUDGETS = [
  // 6.5 KiB since the SHA-512 compression runs four rounds to a loop iteration, each written out under its own
  // names (about 1 KiB; one round a pass with the state moved along was 10 % slower, eight a pass no faster).
  { name: 'core: verifyTotp', names: ['verifyTotp'], budget: 6.5 * 1024 },
  { name: 'core: totp + verifyTotp + generateSecret', names: ['totp', 'verifyTotp', 'generateSecret'], budget: 6.75 * 1024 },
  { name: 'enrollment: buildUri + parseUri + qrSvg', names: ['buildUri', 'parseUri', 'qrSvg'], budget: 11 * 1024 },
  // 37.5 KiB with passkeys (issue 15, about 4.2 KiB: four methods, the passkey record and its parser, the challenge and counter
  // rules; 35.3 KiB measured on the branch, 36.9 KiB with main's unrolled SHA-512 merged in); @simplewebauthn/server is not in
  // it (see `external` below).
  { name: 'gate: createGate + createMemoryStore', names: ['createGate', 'createMemoryStore'], budget: 37.5 * 1024 },
  // otpgate/web: every page, the four message catalogues, CSS and script; no framework, no gate (the host passes one in).
  // 26 KiB since the settings of the gate's second edition (authenticators, add, remove, rename: about 4 KiB, most of it texts in four languages).
  // 32 KiB with passkeys (issue 15, about 5.7 KiB): the served passkey script below is a string inside createFlow (3.3 KiB),
  // plus its four routes, the views and the texts in four languages.
  { name: 'web: createFlow', subpath: 'web', names: ['createFlow'], budget: 32 * 1024 },
  // What a browser downloads for passkeys: ${basePath}/passkey.js, @simplewebauthn/browser and the page glue (client/passkey.ts).
  { name: 'web: passkey.js (served to browsers)', script: 'passkey', budget: 3.75 * 1024 },
];

/** The entry file of a budget: the main one, or the subpath's index beside it (src/web/index.ts, dist/web/index.js). */
export function entryOf(entry, subpath) {
  return subpath === undefined ? entry : entry.replace(/index\.(ts|js)$/, `${subpath}/index.$1`);
}

/** Bundles `export { names } from entry` and returns its minified and gzipped sizes in bytes, and the bytes each input file adds. */
export async function measure(entry, names) {
  const result = await build({
    stdin: { contents: `export { ${names.join(', ')} } from '${entry}';`, resolveDir: root, loader: 'js', sourcefile: 'entry.js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // The gate's passkey methods import this optional peer lazily: an application without passkeys
    // never loads it, and one with them pays for it in a chunk of its own, not in these figures.
    external: ['@simplewebauthn/server'],
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.values(result.metafile.outputs)[0].inputs;
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs };
}

/** The served passkey script, built as `npm run build` builds it: its minified and gzipped sizes in bytes. */
export async function measureScript() {
  const code = new TextEncoder().encode(await buildPasskeyScript());
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs: {} };
}

/** Measures every budget entry from `entry` (dist/index.js or src/index.ts). */
export async function checkBudgets(entry) {
  const rows = [];
  for (const { name, subpath, names, script, budget } of BUDGETS) {
    rows.push({ name, budget, ...(script === undefined ? await measure(entryOf(entry, subpath), names) : await measureScript()) });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const entry = existsSync(join(root, 'dist', 'index.js')) ? './dist/index.js' : './src/index.ts';
  const rows = await checkBudgets(entry);
  const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
  console.log(`browser bundle from ${entry} (esbuild, minified; gzip -9)\n`);
  for (const row of rows) {
    const verdict = row.gzip <= row.budget ? 'ok' : 'OVER';
    console.log(`${row.name.padEnd(44)} ${kb(row.min).padStart(9)} min ${kb(row.gzip).padStart(9)} gzip  budget ${kb(row.budget).padStart(8)}  ${verdict}`);
  }
  const over = rows.filter((row) => row.gzip > row.budget);
  if (over.length > 0) {
    console.error(`\nover budget: ${over.map((row) => row.name).join('; ')}`);
    process.exitCode = 1;
  }
}

#!/usr/bin/env node
// Browser bundle size of `verifyTotp` alone, against the same import from
// each peer: `npm run size` (add `--why` for what costs the bytes).
//
// Each entry imports one function and re-exports it; esbuild bundles it for
// the browser, minified and tree-shaken, and node:zlib gzips it (level 9).
// The script fails when otpgate's bundle exceeds its budget.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUDGETS, measure } from './size-budget.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The same budget `npm run size:check` enforces for verifyTotp alone.
const BUDGET = BUDGETS.find((entry) => entry.names.join() === 'verifyTotp').budget;
const why = process.argv.includes('--why');

const ENTRIES = [
  { name: 'otpgate (src)', from: './src/index.ts', symbol: 'verifyTotp', algorithms: 'SHA1 SHA256 SHA512', budget: true },
  { name: 'otpgate (dist)', from: './dist/index.js', symbol: 'verifyTotp', algorithms: 'SHA1 SHA256 SHA512', budget: true },
  { name: 'otplib 13', from: 'otplib', symbol: 'verifySync', algorithms: 'SHA1 SHA256 SHA512' },
  { name: 'otpauth 9', from: 'otpauth', symbol: 'TOTP', algorithms: 'SHA1 SHA224 SHA256 SHA384 SHA512 SHA3-*' },
  { name: '@oslojs/otp', from: '@oslojs/otp', symbol: 'verifyTOTPWithGracePeriod', algorithms: 'SHA1' },
];

const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
const rows = [];
let over = false;
for (const entry of ENTRIES) {
  if (entry.from.startsWith('./dist/') && !existsSync(join(root, entry.from))) {
    rows.push([entry.name, 'not built: run npm run build first', '', entry.algorithms]);
    continue;
  }
  const { min, gzip, inputs } = await measure(entry.from, [entry.symbol]);
  const budget = entry.budget ? (gzip <= BUDGET ? ' ok' : ' OVER') : '';
  if (entry.budget && gzip > BUDGET) over = true;
  rows.push([`${entry.name}: ${entry.symbol}`, kb(min), kb(gzip) + budget, entry.algorithms]);
  if (why && entry.budget) {
    console.log(`\n${entry.name}: minified bytes by input`);
    for (const [file, { bytesInOutput }] of Object.entries(inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)) {
      if (bytesInOutput > 0) console.log(`  ${String(bytesInOutput).padStart(6)}  ${file}`);
    }
  }
}

const header = ['browser bundle of one import', 'min', `min+gzip (budget ${kb(BUDGET)})`, 'algorithms'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const line = (cells) => cells.map((cell, i) => (i === 0 || i === 3 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}`);
for (const row of rows) console.log(line(row));
console.log('\nnotp is left out: it needs Node (require("crypto"), Buffer).');
if (over) {
  console.error(`\notpgate's verifyTotp bundle is over its ${kb(BUDGET)} budget (see npm run size -- --why)`);
  process.exitCode = 1;
}

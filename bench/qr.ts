// QR generation time and SVG size: otpgate's qrSvg against qrcode, uqr and qrcode-svg's own
// SVG, for the typical enrollment URI. Standalone: `npx tsx bench/qr.ts`.
//
// Before timing, every library's SVG is rendered with rsvg-convert and read back with
// zbarimg (when both are installed), so no library is timed drawing something unreadable.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { do_not_optimize, measure } from 'mitata';
import QRCodeSvg from 'qrcode-svg';
import { renderSVG } from 'uqr';
import { buildUri, qrSvg } from '../src/index.js';

interface QrcodeLib {
  create(text: string, options: { errorCorrectionLevel: string }): unknown;
  toString(text: string, options: Record<string, unknown>): Promise<string>;
}
const require = createRequire(import.meta.url);
const qrcode = require('qrcode') as QrcodeLib;
// qrcode's toString is callback/promise based; its SVG renderer itself is synchronous, so
// time that (toString is create + render) and check below that both give the same SVG.
const qrcodeSvgTag = require('qrcode/lib/renderer/svg-tag.js') as { render(data: unknown, options: Record<string, unknown>): string };

const URI = buildUri({ type: 'totp', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', issuer: 'ACME Co', account: 'alice@example.com' });
const QRCODE_OPTIONS = { type: 'svg', errorCorrectionLevel: 'M', margin: 4 };

const LIBRARIES: ReadonlyArray<readonly [string, () => string]> = [
  ['otpgate qrSvg', () => qrSvg(URI)],
  ['qrcode 1.5 (toString svg)', () => qrcodeSvgTag.render(qrcode.create(URI, QRCODE_OPTIONS), QRCODE_OPTIONS)],
  ['uqr 0.1 (renderSVG)', () => renderSVG(URI, { ecc: 'M', border: 4 })],
  ['qrcode-svg 1.1 (own svg, join)', () => new QRCodeSvg({ content: URI, ecl: 'M', join: true, container: 'svg-viewbox', xmlDeclaration: false }).svg()],
];

const async = await qrcode.toString(URI, QRCODE_OPTIONS);
if (async !== LIBRARIES[1]![1]()) throw new Error('qrcode: the timed renderer differs from toString');

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
if (has('rsvg-convert') && has('zbarimg')) {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-bench-'));
  try {
    for (const [name, draw] of LIBRARIES) {
      writeFileSync(join(dir, 'qr.svg'), draw());
      execFileSync('rsvg-convert', ['-w', '400', '-h', '400', '-b', 'white', '-o', join(dir, 'qr.png'), join(dir, 'qr.svg')]);
      const read = spawnSync('zbarimg', ['--raw', '-q', join(dir, 'qr.png')], { encoding: 'utf8' }).stdout.trim();
      if (read !== URI) throw new Error(`${name}: zbarimg read ${JSON.stringify(read)}`);
    }
    console.log('every SVG was read back by zbarimg.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  console.log('rsvg-convert or zbarimg missing: SVGs not read back.');
}

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, draw] of LIBRARIES) {
    const stats = await measure(() => do_not_optimize(draw()), { min_cpu_time: 300e6 });
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, stats.p50));
  }
}

console.log(`\nURI (${URI.length} chars): ${URI}\n`);
const width = Math.max(...LIBRARIES.map(([name]) => name.length));
console.log(`${'library'.padEnd(width)}  ${'µs/QR (p50)'.padStart(12)}  ${'SVG bytes'.padStart(10)}  ${'gzipped'.padStart(8)}`);
for (const [name, draw] of LIBRARIES) {
  const svg = draw();
  const bytes = Buffer.byteLength(svg);
  const gz = gzipSync(svg).length;
  console.log(`${name.padEnd(width)}  ${(best.get(name)! / 1000).toFixed(1).padStart(12)}  ${String(bytes).padStart(10)}  ${String(gz).padStart(8)}`);
}

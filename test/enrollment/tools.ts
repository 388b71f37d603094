// Outside QR readers and renderers for the enrollment tests: rsvg-convert (librsvg2-bin)
// renders SVG to PNG, zbarimg (zbar-tools) decodes. Tests skip with a reason where absent.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `npm run test:quick` sets it: the cross-checks that start outside programs are skipped. */
const quick = process.env['OTPGATE_QUICK'] === '1';

export function hasTool(name: string): boolean {
  return !quick && spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export const missingQrTools: string | false =
  quick ? 'npm run test:quick leaves out the outside tools'
  : !hasTool('zbarimg') ? 'zbarimg (zbar-tools) is not installed'
  : !hasTool('rsvg-convert') ? 'rsvg-convert (librsvg2-bin) is not installed'
  : false;

export function withTempDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-qr-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Renders each SVG to a PNG at `pixelsPerUnit` pixels per viewBox unit; returns the PNG paths. */
export function renderSvgs(dir: string, svgs: readonly string[], pixelsPerUnit = 4): string[] {
  return svgs.map((svg, i) => {
    const side = Number(/viewBox="[-\d.]+ [-\d.]+ ([\d.]+)/.exec(svg)![1]);
    const svgPath = join(dir, `${i}.svg`);
    const pngPath = join(dir, `${i}.png`);
    writeFileSync(svgPath, svg);
    execFileSync('rsvg-convert', ['-w', String(Math.round(side * pixelsPerUnit)), '-b', 'white', '-o', pngPath, svgPath]);
    return pngPath;
  });
}

/**
 * Decodes every image with ONE zbarimg run; returns, per image in order, the
 * texts of the QR codes found (an empty list when none was read).
 */
export function decodeImages(paths: readonly string[]): string[][] {
  const run = spawnSync('zbarimg', ['--xml', '-q', '-Sdisable', '-Sqrcode.enable', ...paths], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const results = new Map<string, string[]>();
  for (const source of run.stdout.split('<source href=').slice(1)) {
    const href = /^'([^']*)'/.exec(source)![1]!;
    const data = [...source.matchAll(/<data( format='base64')?[^>]*><!\[CDATA\[([\s\S]*?)\]\]><\/data>/g)];
    // zbar's XML garbles non-ASCII text it re-encodes as base64; --raw prints the bytes right.
    const texts = data.some((m) => m[1] !== undefined)
      ? [spawnSync('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', href], { encoding: 'utf8' }).stdout.replace(/\n$/, '')]
      : data.map((m) => m[2]!);
    results.set(href, texts);
  }
  return paths.map((p) => results.get(p) ?? []);
}

import QRCode from 'qrcode-svg';
import { OtpError } from '../errors.js';
import { base64Encode } from './base64.js';
import { checkObject, checkString, optionsError } from './options.js';

/**
 * QR error correction level: the share of the code that may be damaged or
 * hidden and still read back — L 7 %, M 15 %, Q 25 %, H 30 %. Higher levels
 * make denser codes.
 *
 * @example
 * ```ts
 * import { qrSvg, type QrLevel } from 'otpgate';
 * const level: QrLevel = 'Q';
 * qrSvg('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP', { level });
 * ```
 */
export type QrLevel = 'L' | 'M' | 'Q' | 'H';

/**
 * Options of {@link qrModules}, and the base of the other QR options.
 *
 * @example
 * ```ts
 * import { qrModules, type QrOptions } from 'otpgate';
 * const options: QrOptions = { level: 'L' };
 * qrModules('hello', options).length; // 21
 * ```
 */
export interface QrOptions {
  /** The error correction level. @defaultValue `'M'` */
  readonly level?: QrLevel | undefined;
}

/**
 * Options of {@link qrSvg} and {@link qrDataUrl}.
 *
 * @example
 * ```ts
 * import { qrSvg, type QrSvgOptions } from 'otpgate';
 * const options: QrSvgOptions = { size: 240, dark: '#1a1a2e', light: 'transparent', title: 'Scan with your authenticator app' };
 * qrSvg('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP', options);
 * ```
 */
export interface QrSvgOptions extends QrOptions {
  /** The blank margin around the code, in modules; readers want 4. @defaultValue `4` */
  readonly quietZone?: number | undefined;
  /** The colour of dark modules, any SVG colour. @defaultValue `'#000'` */
  readonly dark?: string | undefined;
  /** The background colour, or `'transparent'` for none. @defaultValue `'#fff'` */
  readonly light?: string | undefined;
  /**
   * The `width` and `height` attributes: a number of pixels or a CSS length
   * such as `'12rem'`, or `'100%'` to fill the container. The image stays
   * crisp at any size since its `viewBox` counts modules, and a stylesheet's
   * `width`/`height` still override the attributes.
   * @defaultValue `256` (pixels): without a size an inline SVG fills the
   * whole width of its container, in a page often the whole viewport
   */
  readonly size?: number | string | undefined;
  /** The accessible name (`<title>` and `aria-label`). @defaultValue `'QR code'` */
  readonly title?: string | undefined;
}

/**
 * Options of {@link qrDataUrl}.
 *
 * @example
 * ```ts
 * import { qrDataUrl, type QrDataUrlOptions } from 'otpgate';
 * const options: QrDataUrlOptions = { encoding: 'base64', size: 200 };
 * qrDataUrl('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP', options);
 * ```
 */
export interface QrDataUrlOptions extends QrSvgOptions {
  /** `'percent'` (shorter) or `'base64'`. @defaultValue `'percent'` */
  readonly encoding?: 'percent' | 'base64' | undefined;
}

/**
 * Options of {@link qrTerminal}.
 *
 * @example
 * ```ts
 * import { qrTerminal, type QrTerminalOptions } from 'otpgate';
 * const options: QrTerminalOptions = { background: 'light', quietZone: 2 };
 * qrTerminal('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP', options);
 * ```
 */
export interface QrTerminalOptions extends QrOptions {
  /** The blank margin around the code, in modules. @defaultValue `4` */
  readonly quietZone?: number | undefined;
  /**
   * The terminal's background colour. On a dark terminal (`'dark'`) the
   * light modules and the quiet zone are drawn as blocks in the text colour
   * and the dark modules are left blank, so a phone sees dark on light; on a
   * light terminal it is the other way round. @defaultValue `'dark'`
   */
  readonly background?: 'dark' | 'light' | undefined;
}

const LEVELS: readonly string[] = ['L', 'M', 'Q', 'H'];

/** The rendered side of an SVG QR code, in pixels: comfortable to scan from a screen. */
const DEFAULT_QR_SIZE = 256;

const MODULE_OPTIONS: ReadonlySet<string> = new Set(['level']);
const SVG_OPTIONS: ReadonlySet<string> = new Set([...MODULE_OPTIONS, 'quietZone', 'dark', 'light', 'size', 'title']);
const DATA_URL_OPTIONS: ReadonlySet<string> = new Set([...SVG_OPTIONS, 'encoding']);
const TERMINAL_OPTIONS: ReadonlySet<string> = new Set([...MODULE_OPTIONS, 'quietZone', 'background']);

function resolveLevel(level: unknown): QrLevel {
  if (level === undefined) return 'M';
  if (typeof level === 'string' && LEVELS.includes(level)) return level as QrLevel;
  return optionsError("level must be 'L', 'M', 'Q' or 'H'");
}

function resolveQuietZone(value: unknown): number {
  if (value === undefined) return 4;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 64) return value;
  return optionsError('quietZone must be an integer from 0 to 64');
}

/**
 * The module matrix of a QR code: `matrix[row][column]` is `true` for a
 * dark module. No quiet zone is included. Use it to draw the code yourself
 * (canvas, PDF, a custom renderer).
 *
 * @param text - the text to encode (UTF-8, byte mode)
 * @param options - `level` (default `'M'`)
 * @returns a square matrix, 21 to 177 modules on a side
 * @throws {@link OtpError} `ERR_QR` for empty text or text too long for a QR code
 *   at this level; `ERR_OPTIONS` for text that is not a string, a bad level or an unknown option
 *
 * @example
 * ```ts
 * import { qrModules } from 'otpgate';
 * const matrix = qrModules('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP');
 * matrix[0]![0]; // true: the top-left finder pattern
 * ```
 */
export function qrModules(text: string, options?: QrOptions): boolean[][] {
  return matrixOf(text, checkObject(options, 'options', MODULE_OPTIONS, true).level);
}

function matrixOf(text: unknown, levelOption: unknown): boolean[][] {
  checkString(text, 'text');
  const level = resolveLevel(levelOption);
  const bytes = new TextEncoder().encode(text);
  const ascii = bytes.length === text.length;
  let model: QRCode.Model;
  try {
    // qrcode-svg computes the matrix in its constructor; its SVG output is not used.
    // For non-ASCII text it would prepend a byte-order mark and encode characters
    // outside the BMP as CESU-8, so the constructor gets an ASCII stand-in of the
    // same byte length (to choose the version) and the model is remade below with
    // the real UTF-8 bytes.
    model = new QRCode({
      content: ascii ? text : 'a'.repeat(bytes.length),
      ecl: level,
      padding: 0,
      join: true,
      container: 'svg-viewbox',
      xmlDeclaration: false,
    }).qrcode;
    if (!ascii) {
      model.dataList = [byteSegment(bytes)];
      model.dataCache = null;
      model.make();
    }
  } catch (error) {
    if (text.length === 0) throw new OtpError('ERR_QR', 'text must not be empty', { cause: error });
    throw new OtpError('ERR_QR', `text of ${bytes.length} bytes is too long for a QR code at level ${level}`, { cause: error });
  }
  return model.modules;
}

/** A byte-mode data segment in the shape qrcode-svg's model reads (mode 4 = 8-bit byte). */
function byteSegment(bytes: Uint8Array): QRCode.Model['dataList'][number] {
  const segment = {
    mode: 4,
    data: '',
    parsedData: Array.from(bytes),
    getLength: () => bytes.length,
    write: (buffer: { put(value: number, bits: number): void }) => {
      for (const byte of bytes) buffer.put(byte, 8);
    },
  };
  return segment;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cssLength(size: number | string): string {
  if (typeof size === 'number' && Number.isFinite(size) && size > 0) return String(size);
  if (typeof size === 'string' && /^[0-9]*\.?[0-9]+(px|em|rem|%|vw|vh|vmin|vmax|cm|mm|in|pt|pc|ex|ch)?$/.test(size)) return size;
  return optionsError('size must be a positive number or a CSS length');
}

/**
 * The path data of the dark modules as horizontal strokes of width 1, one
 * per run of dark modules, in relative commands: `M0 .5h7m2 0h1…m-40 1h7…`.
 * Strokes (as the `qrcode` package draws them) cost half of what outlined
 * rectangles do.
 */
function pathData(matrix: readonly (readonly boolean[])[]): string {
  let d = '';
  // The pen, in modules; rows are stroked through their middle (y + .5).
  let penX = 0;
  let penY = 0;
  let started = false;
  for (let y = 0; y < matrix.length; y++) {
    const row = matrix[y]!;
    for (let x = 0; x < row.length; ) {
      if (!row[x]) {
        x++;
        continue;
      }
      let end = x + 1;
      while (end < row.length && row[end]) end++;
      if (!started) {
        d += `M${x} ${y}.5`;
        started = true;
      } else {
        const dx = x - penX;
        const dy = y - penY;
        d += `m${dx}${dy < 0 ? '' : ' '}${dy}`;
      }
      d += `h${end - x}`;
      penX = end;
      penY = y;
      x = end;
    }
  }
  return d;
}

/**
 * Draws a QR code as a compact, accessible SVG: one `<path>` of horizontal
 * strokes in a `viewBox` counted in modules (crisp at any size, no
 * per-module `<rect>`s), 256 by 256 pixels unless `size` says otherwise, a
 * quiet zone of 4 modules, error correction M, and a `<title>` with `role="img"` and `aria-label` so screen readers announce
 * it. A typical `otpauth://` URI makes about 3 KB.
 *
 * @param text - the text to encode, usually from {@link buildUri}
 * @param options - `level` (M), `quietZone` (4), `dark` (`'#000'`), `light`
 *   (`'#fff'`, or `'transparent'`), `size` (`256` pixels; any CSS length, `'100%'` to fill the
 *   container), `title` (`'QR code'`)
 * @returns the SVG document as a string, without an XML declaration, ready to inline in HTML
 * @throws {@link OtpError} `ERR_QR` for empty or over-long text; `ERR_OPTIONS` for text that is
 *   not a string, a bad option or an unknown option name
 *
 * @example
 * ```ts
 * import { buildUri, qrSvg } from 'otpgate';
 * const uri = buildUri({ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', issuer: 'ACME Co', account: 'alice@example.com' });
 * const svg = qrSvg(uri, { size: 240, title: 'Scan this code with your authenticator app' });
 * ```
 */
export function qrSvg(text: string, options?: QrSvgOptions): string {
  return svgOf(text, checkObject(options, 'options', SVG_OPTIONS, true));
}

function svgOf(text: unknown, options: QrSvgOptions): string {
  const matrix = matrixOf(text, options.level);
  const quiet = resolveQuietZone(options.quietZone);
  const dark = options.dark ?? '#000';
  const light = options.light ?? '#fff';
  const title = options.title ?? 'QR code';
  if (typeof dark !== 'string' || typeof light !== 'string' || dark === '' || light === '') optionsError('dark and light must be colour strings');
  if (typeof title !== 'string') optionsError('title must be a string');
  const size = cssLength(options.size ?? DEFAULT_QR_SIZE);

  const side = matrix.length + 2 * quiet;
  const name = escapeXml(title);
  // The viewBox starts at -quiet so module coordinates need no offset.
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${-quiet} ${-quiet} ${side} ${side}"`;
  svg += ` width="${size}" height="${size}" role="img" aria-label="${name}" shape-rendering="crispEdges"><title>${name}</title>`;
  if (light !== 'transparent' && light !== 'none') {
    svg += `<rect x="${-quiet}" y="${-quiet}" width="${side}" height="${side}" fill="${escapeXml(light)}"/>`;
  }
  svg += `<path stroke="${escapeXml(dark)}" d="${pathData(matrix)}"/></svg>`;
  return svg;
}

/**
 * Draws a QR code as a `data:image/svg+xml` URL for an `<img src>` or a CSS
 * `background-image`, where inline SVG is not wanted.
 *
 * @param text - the text to encode
 * @param options - those of {@link qrSvg}, plus `encoding`: `'percent'` (default, shorter) or `'base64'`
 * @returns the data URL
 * @throws {@link OtpError} `ERR_QR` for empty or over-long text; `ERR_OPTIONS` for text that is
 *   not a string, a bad option or an unknown option name
 *
 * @example
 * ```ts
 * import { qrDataUrl } from 'otpgate';
 * const src = qrDataUrl('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP', { size: 200 });
 * // '<img alt="QR code" src="' + src + '">'
 * ```
 */
export function qrDataUrl(text: string, options?: QrDataUrlOptions): string {
  const checked = checkObject(options, 'options', DATA_URL_OPTIONS, true);
  const encoding = checked.encoding ?? 'percent';
  if (encoding !== 'percent' && encoding !== 'base64') optionsError("encoding must be 'percent' or 'base64'");
  const svg = svgOf(text, checked);
  if (encoding === 'base64') return `data:image/svg+xml;base64,${base64Encode(new TextEncoder().encode(svg))}`;
  // Escape only what breaks a URL, an HTML attribute or an unquoted CSS url(); the rest
  // of the SVG stays readable and short.
  const escaped = svg.replace(/[^!-~]|[%#<>"'&()\\{}|^`]/gu, (c) => {
    // encodeURIComponent leaves ' ( ) alone.
    if (c.charCodeAt(0) < 0x80) return `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
    try {
      return encodeURIComponent(c);
    } catch (error) {
      throw new OtpError('ERR_OPTIONS', 'title is not well-formed Unicode', { cause: error });
    }
  });
  return `data:image/svg+xml,${escaped}`;
}

const HALF_BLOCKS = [' ', '▄', '▀', '█'];

/**
 * Draws a QR code as text for a terminal, two modules per character cell
 * with the Unicode half blocks `▀ ▄ █`, quiet zone included. By default it
 * is made for a dark terminal: light modules are drawn in the text colour
 * and dark modules are left blank, so a phone sees dark modules on a light
 * ground, as readers expect. Pass `background: 'light'` for a light
 * terminal. No colour escape codes are used, so the text also survives
 * logs and copy-paste.
 *
 * @param text - the text to encode
 * @param options - `level` (M), `quietZone` (4), `background` (`'dark'`)
 * @returns the lines of the code, each ending with `'\n'`
 * @throws {@link OtpError} `ERR_QR` for empty or over-long text; `ERR_OPTIONS` for text that is
 *   not a string, a bad option or an unknown option name
 *
 * @example
 * ```ts
 * import { qrTerminal } from 'otpgate';
 * process.stdout.write(qrTerminal('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP'));
 * ```
 */
export function qrTerminal(text: string, options?: QrTerminalOptions): string {
  const checked = checkObject(options, 'options', TERMINAL_OPTIONS, true);
  const matrix = matrixOf(text, checked.level);
  const quiet = resolveQuietZone(checked.quietZone);
  const background = checked.background ?? 'dark';
  if (background !== 'dark' && background !== 'light') optionsError("background must be 'dark' or 'light'");
  // A block is drawn where the module should look light on a dark terminal, dark on a light one.
  const inked = background === 'dark' ? false : true;
  const n = matrix.length;
  const side = n + 2 * quiet;
  const ink = (y: number, x: number): boolean => {
    const my = y - quiet;
    const mx = x - quiet;
    const isDark = my >= 0 && my < n && mx >= 0 && mx < n && matrix[my]![mx] === true;
    return isDark === inked;
  };
  let out = '';
  for (let y = 0; y < side; y += 2) {
    for (let x = 0; x < side; x++) {
      // The last line of an odd-sided code has no lower half: blank on a light terminal,
      // which is also what a dark terminal shows below the text.
      const lower = y + 1 < side ? ink(y + 1, x) : false;
      out += HALF_BLOCKS[(ink(y, x) ? 2 : 0) | (lower ? 1 : 0)];
    }
    out += '\n';
  }
  return out;
}

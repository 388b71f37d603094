import { parseArgs } from 'node:util';
// Each module by its own path, never the package barrel: the QR encoder (qrcode-svg) is
// loaded by the two commands that draw a code, so every other command starts faster.
import { base32Decode } from '../core/base32.js';
import { hotp, verifyHotp } from '../core/hotp.js';
import type { Algorithm } from '../core/options.js';
import { generateSecret } from '../core/secret.js';
import { totp, verifyTotp } from '../core/totp.js';
import { checkCompatibility } from '../enrollment/compat.js';
import { parseMigrationUri } from '../enrollment/migration.js';
import { buildUri, parseUri } from '../enrollment/uri.js';
import { isOtpError, OtpError } from '../errors.js';

/**
 * What a command needs from the outside world. `main.ts` passes the real
 * process; tests pass fakes, so every command is a pure string function.
 */
export interface CliContext {
  /** The package version printed by `--version`. */
  readonly version?: string | undefined;
  /** The current time in milliseconds. @defaultValue `Date.now()` */
  readonly nowMs?: (() => number) | undefined;
  /**
   * Reads all of standard input, for a SECRET or URI given as `-`. On a
   * terminal it shows `prompt` and reads one line without echoing it.
   */
  readonly readStdin?: ((prompt: string) => string | Promise<string>) | undefined;
  /** Writes a file, for `qr --svg FILE`. */
  readonly writeFile?: ((path: string, text: string) => void) | undefined;
}

/** The outcome of one command line: exit 0 (done, or a match), 1 (no match), 2 (bad input). */
export interface CliResult {
  readonly exitCode: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

type OptionSpec = { readonly type: 'string' | 'boolean'; readonly short?: string };
type Options = Record<string, OptionSpec>;
type Values = Record<string, string | boolean | undefined>;

interface Command {
  readonly summary: string;
  readonly help: string;
  readonly options: Options;
  run(values: Values, positionals: string[], context: CliContext): CliResult | Promise<CliResult>;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h' };
const CODE_OPTIONS: Options = {
  algorithm: { type: 'string' },
  digits: { type: 'string' },
  hex: { type: 'boolean' },
  help: HELP,
};
const TIME_OPTIONS: Options = {
  time: { type: 'string' },
  period: { type: 'string' },
  epoch: { type: 'string' },
};

const SECRET_HELP = `SECRET is the key in base32 (spaces, hyphens, lower case and padding are fine),
or in hex with --hex. Give - to read it from standard input, which keeps it out
of your shell history and the process list; on a terminal it is asked for, and
not shown as you type.`;

const CODE_OPTIONS_HELP = `  --algorithm NAME  SHA1, SHA256 or SHA512 (default SHA1)
  --digits N        code length, 6 to 10 (default 6)
  --hex             SECRET is hex, not base32`;

const TIME_OPTIONS_HELP = `  --time SECONDS    Unix time to use instead of now
  --period SECONDS  time step length (default 30)
  --epoch SECONDS   T0, the Unix time at which step 0 begins (default 0)`;

function usage(message: string): never {
  throw new OtpError('ERR_USAGE', message);
}

function ok(stdout: string): CliResult {
  return { exitCode: 0, stdout, stderr: '' };
}

/** A whole number given on the command line; the library checks its range. */
function integer(values: Values, name: string, allowNegative = false): number | undefined {
  const text = values[name];
  if (text === undefined || typeof text === 'boolean') return undefined;
  const value = Number(text);
  if (!(allowNegative ? /^-?\d+$/ : /^\d+$/).test(text) || !Number.isSafeInteger(value)) {
    usage(`--${name} must be a whole number${allowNegative ? '' : ' (0 or more)'}`);
  }
  return value;
}

function algorithm(values: Values): Algorithm | undefined {
  const text = values['algorithm'];
  if (typeof text !== 'string') return undefined;
  const name = text.toUpperCase().replace('-', '');
  if (name === 'SHA1' || name === 'SHA256' || name === 'SHA512') return name;
  return usage('--algorithm must be SHA1, SHA256 or SHA512');
}

function hexDecode(text: string): Uint8Array {
  const hex = text.replace(/\s+/g, '').replace(/^0x/i, '');
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(hex)) {
    usage('SECRET is not hex (expected an even number of the digits 0-9 and a-f)');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function hexEncode(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** One argument given as `-`: standard input, or a prompt that does not echo on a terminal. */
async function fromStdin(name: string, context: CliContext): Promise<string> {
  if (!context.readStdin) usage(`reading ${name} from standard input is not available here`);
  return (await context.readStdin(`${name} (input hidden): `)).trim();
}

/** The one wording of a bad base32 key, whichever command found it. */
function notBase32(what: string, error: OtpError, hint = ''): never {
  return usage(`${what} is not base32 (${error.message.replace(/^base32: /, '')})${hint}`);
}

/** The key bytes of the SECRET argument; errors name the rule, never the text. */
async function secretKey(text: string, values: Values, context: CliContext): Promise<Uint8Array> {
  const source = text === '-' ? await fromStdin('SECRET', context) : text;
  let key: Uint8Array;
  try {
    key = values['hex'] === true ? hexDecode(source) : base32Decode(source);
  } catch (error) {
    if (isOtpError(error) && error.code === 'ERR_BASE32') notBase32('SECRET', error, '; use --hex for a hex key');
    throw error;
  }
  if (key.length === 0) usage('SECRET is empty or shorter than one byte');
  return key;
}

/** Runs a URI parser, naming a bad key the way SECRET's is named. */
function readUri<T>(parse: (uri: string) => T, uri: string): T {
  try {
    return parse(uri);
  } catch (error) {
    if (isOtpError(error) && error.code === 'ERR_BASE32') notBase32("the URI's secret", error);
    throw error;
  }
}

function positionals(given: string[], names: readonly string[]): string[] {
  if (given.length < names.length) usage(`missing ${names[given.length]} (see --help)`);
  if (given.length > names.length) usage(`too many arguments (expected ${names.join(' ') || 'none'}; see --help)`);
  return given;
}

function nowMs(values: Values, context: CliContext): number {
  // Negative: before 1970, meaningful with a negative --epoch; the library checks the order.
  const time = integer(values, 'time', true);
  return time === undefined ? (context.nowMs ?? Date.now)() : time * 1000;
}

function timeOptions(values: Values, context: CliContext) {
  return {
    algorithm: algorithm(values),
    digits: integer(values, 'digits'),
    period: integer(values, 'period'),
    epoch: integer(values, 'epoch', true),
    now: new Date(nowMs(values, context)),
  };
}

const totpCommand: Command = {
  summary: 'print the TOTP code of a secret (RFC 6238)',
  options: { ...CODE_OPTIONS, ...TIME_OPTIONS },
  help: `Usage: otpgate totp SECRET [options]

Prints the time-based code (RFC 6238) an authenticator app shows now, or at
--time.

${SECRET_HELP}

Options:
${CODE_OPTIONS_HELP}
${TIME_OPTIONS_HELP}
  -h, --help        show this help

Example:
  otpgate totp GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --time 59 --digits 8  # 94287082
`,
  async run(values, args, context) {
    const [secret] = positionals(args, ['SECRET']);
    const options = timeOptions(values, context);
    return ok(`${totp(await secretKey(secret!, values, context), options)}\n`);
  },
};

const hotpCommand: Command = {
  summary: 'print the HOTP code of a secret at a counter (RFC 4226)',
  options: { ...CODE_OPTIONS, counter: { type: 'string' } },
  help: `Usage: otpgate hotp SECRET --counter N [options]

Prints the counter-based code (RFC 4226) for counter N.

${SECRET_HELP}

Options:
  --counter N       the counter, 0 to 2^53 - 1 (required)
${CODE_OPTIONS_HELP}
  -h, --help        show this help

Example:
  otpgate hotp GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --counter 0   # 755224
`,
  async run(values, args, context) {
    const [secret] = positionals(args, ['SECRET']);
    const counter = integer(values, 'counter');
    if (counter === undefined) usage('missing --counter (see --help)');
    const options = { algorithm: algorithm(values), digits: integer(values, 'digits') };
    return ok(`${hotp(await secretKey(secret!, values, context), counter, options)}\n`);
  },
};

const verifyCommand: Command = {
  summary: 'check a code; exit 0 and print the delta on a match, 1 otherwise',
  options: { ...CODE_OPTIONS, ...TIME_OPTIONS, window: { type: 'string' }, counter: { type: 'string' } },
  help: `Usage: otpgate verify SECRET CODE [options]

Checks CODE against SECRET. On a match prints "delta=D step=S" and exits 0:
D is how many steps the code is from the expected one (-1: one step old) and
S the time step (or counter) it belongs to. Otherwise prints "no match" and
exits 1. Spaces inside CODE are ignored; a CODE that is not --digits digits
is bad input (exit 2).

TOTP by default; with --counter the code is checked as HOTP, looking ahead
--window counters from N (RFC 4226 §7.4).

${SECRET_HELP}

Options:
  --window N        steps accepted on each side of now (TOTP, default 1),
                    or ahead of the counter (HOTP, default 0)
  --counter N       verify an HOTP code, expecting counter N
${CODE_OPTIONS_HELP}
${TIME_OPTIONS_HELP}
  -h, --help        show this help

Example:
  otpgate verify GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 287082 --time 59
  # delta=0 step=1
`,
  async run(values, args, context) {
    const [secret, code] = positionals(args, ['SECRET', 'CODE']);
    if (secret === '-' && code === '-') usage('only SECRET can be read from standard input; give CODE on the command line');
    const counter = integer(values, 'counter');
    const window = integer(values, 'window');
    // A code that cannot match is a mistake to report (exit 2), not a wrong code (exit 1).
    const digits = integer(values, 'digits') ?? 6;
    const typed = code!.replace(/\s+/g, '');
    if (!/^[0-9]+$/.test(typed)) usage('CODE must be digits (spaces are ignored)');
    // Out of range, --digits is the library's to refuse, with its own message.
    if (digits >= 6 && digits <= 10 && typed.length !== digits) usage(`CODE must have ${digits} digits${values['digits'] === undefined ? ' (see --digits)' : ''}`);
    const key = await secretKey(secret!, values, context);
    let match;
    if (counter === undefined) {
      match = verifyTotp(key, code!, { ...timeOptions(values, context), window });
    } else {
      for (const name of ['time', 'period', 'epoch']) {
        if (values[name] !== undefined) usage(`--${name} does not apply to an HOTP code (--counter)`);
      }
      match = verifyHotp(key, code!, counter, { algorithm: algorithm(values), digits: integer(values, 'digits'), window });
    }
    if (match === null) return { exitCode: 1, stdout: 'no match\n', stderr: '' };
    return ok(`delta=${match.delta} step=${match.step}\n`);
  },
};

const secretCommand: Command = {
  summary: 'generate a new random secret (160 bits by default)',
  options: { bytes: { type: 'string' }, hex: { type: 'boolean' }, help: HELP },
  help: `Usage: otpgate secret [--bytes N] [--hex]

Prints a new secret drawn from the system's cryptographic random generator,
in base32 as authenticator apps expect it (32 characters for 20 bytes).

Options:
  --bytes N         key length in bytes, 16 to 1024 (default 20, 160 bits)
  --hex             print the key in hex instead of base32
  -h, --help        show this help
`,
  run(values, args) {
    positionals(args, []);
    const bytes = integer(values, 'bytes');
    const secret = generateSecret({ bytes });
    return ok(`${values['hex'] === true ? hexEncode(base32Decode(secret)) : secret}\n`);
  },
};

const uriCommand: Command = {
  summary: 'write the otpauth:// URI an authenticator app scans',
  options: {
    issuer: { type: 'string' },
    account: { type: 'string' },
    secret: { type: 'string' },
    type: { type: 'string' },
    counter: { type: 'string' },
    period: { type: 'string' },
    image: { type: 'string' },
    algorithm: { type: 'string' },
    digits: { type: 'string' },
    hex: { type: 'boolean' },
    help: HELP,
  },
  help: `Usage: otpgate uri --issuer NAME --account NAME [options]

Prints an otpauth:// URI in Google's Key URI Format: the text of the QR code
an authenticator app scans. Without --secret a new 160-bit secret is drawn;
it is the "secret" parameter of the URI. Parameters at their defaults (SHA1,
6 digits, 30 s) are left out, as every app assumes them.

Options:
  --issuer NAME     the service, shown by the app (required; no ':')
  --account NAME    the user, for example an e-mail address (required; no ':')
  --secret SECRET   an existing key in base32 (or hex with --hex; - reads it
                    from standard input); default: a new random secret
  --type TYPE       totp (default) or hotp
  --counter N       the initial counter (required with --type hotp)
  --period SECONDS  the TOTP step length (default 30)
  --image URL       a logo for the apps that show one
${CODE_OPTIONS_HELP}
  -h, --help        show this help

Example:
  otpgate uri --issuer "ACME Co" --account alice@example.com
  otpgate qr "$(otpgate uri --issuer ACME --account alice@example.com)"
`,
  async run(values, args, context) {
    positionals(args, []);
    const issuer = values['issuer'];
    const account = values['account'];
    if (typeof issuer !== 'string') usage('missing --issuer (see --help)');
    if (typeof account !== 'string') usage('missing --account (see --help)');
    const type = values['type'] ?? 'totp';
    if (type !== 'totp' && type !== 'hotp') usage('--type must be totp or hotp');
    const counter = integer(values, 'counter');
    if (type === 'hotp' && counter === undefined) usage('missing --counter, required with --type hotp');
    if (type === 'totp' && counter !== undefined) usage('--counter needs --type hotp');
    if (type === 'hotp' && values['period'] !== undefined) usage('--period does not apply to --type hotp');
    const given = values['secret'];
    const secret = typeof given === 'string' ? await secretKey(given, values, context) : generateSecret();
    const image = values['image'];
    const uri = buildUri({
      type,
      secret,
      issuer,
      account,
      algorithm: algorithm(values),
      digits: integer(values, 'digits'),
      period: integer(values, 'period'),
      counter,
      image: typeof image === 'string' ? image : undefined,
    });
    return ok(`${uri}\n`);
  },
};

function isMigrationUri(uri: string): boolean {
  return /^otpauth-migration:/i.test(uri);
}

/** The URI argument: `-` reads it from standard input, since it holds a secret. */
async function uriArgument(text: string, context: CliContext): Promise<string> {
  return text === '-' ? fromStdin('URI', context) : text;
}

const parseCommand: Command = {
  summary: 'print what an otpauth:// or otpauth-migration:// URI holds, as JSON',
  options: { help: HELP },
  help: `Usage: otpgate parse URI

Prints the parameters of an otpauth:// URI as JSON, defaults filled in, with
"warnings" for anything an app might read differently: an issuer in the label
that differs from the issuer parameter, and settings popular authenticator
apps ignore (8 digits, SHA256, a 60-second period...). Each warning has a
stable "code" and a "message".

A Google Authenticator export (otpauth-migration://offline?data=...) lists
every account it holds, each with its own otpauth:// URI, and which QR code of
a multi-part export it is. Give - to read the URI from standard input.

Options:
  -h, --help        show this help

Example:
  otpgate parse 'otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME'
  otpgate parse - < export.txt
`,
  async run(_values, args, context) {
    const [text] = positionals(args, ['URI']);
    const uri = await uriArgument(text!, context);
    if (!isMigrationUri(uri)) {
      const parsed = readUri(parseUri, uri);
      const warnings = [...parsed.warnings, ...checkCompatibility(parsed)];
      return ok(`${JSON.stringify({ ...parsed, warnings }, null, 2)}\n`);
    }
    const payload = readUri(parseMigrationUri, uri);
    // Each account's own otpauth:// URI, so it can be moved to another app (otpgate qr).
    const accounts = payload.accounts.map((account) => {
      try {
        return { ...account, uri: buildUri(account) };
      } catch {
        return account;
      }
    });
    return ok(`${JSON.stringify({ ...payload, accounts }, null, 2)}\n`);
  },
};

const qrCommand: Command = {
  summary: 'draw a URI as a QR code in the terminal, or as SVG',
  options: { svg: { type: 'string' }, light: { type: 'boolean' }, help: HELP },
  help: `Usage: otpgate qr URI [--svg FILE] [--light]

Draws URI as a QR code with Unicode half blocks, ready to scan from the
terminal with a phone; with --svg writes an SVG image to FILE instead (- for
standard output). An otpauth:// or otpauth-migration:// URI is checked
first. Give - as URI to read it from standard input.

Options:
  --svg FILE        write SVG to FILE (- for standard output)
  --light           the terminal has a light background (default: dark)
  -h, --help        show this help

Example:
  otpgate qr "$(otpgate uri --issuer ACME --account alice@example.com)"
`,
  async run(values, args, context) {
    const [text] = positionals(args, ['URI']);
    const uri = await uriArgument(text!, context);
    // Catch a mangled URI before it becomes a QR code that an app refuses.
    if (isMigrationUri(uri)) readUri(parseMigrationUri, uri);
    else if (/^otpauth:/i.test(uri)) readUri(parseUri, uri);
    const file = values['svg'];
    if (typeof file === 'string' && values['light'] === true) usage('--light applies to the terminal drawing, not to --svg');
    const { qrSvg, qrTerminal } = await import('../enrollment/qr.js');
    if (typeof file === 'string') {
      const svg = qrSvg(uri);
      if (file === '-') return ok(`${svg}\n`);
      if (!context.writeFile) usage('writing files is not available here');
      try {
        context.writeFile(file, svg);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        usage(`cannot write the --svg file${typeof code === 'string' ? ` (${code})` : ''}`);
      }
      return ok('');
    }
    return ok(qrTerminal(uri, { background: values['light'] === true ? 'light' : 'dark' }));
  },
};

/** Quotes an argument for the transcript the way a POSIX shell would need it. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

const demoCommand: Command = {
  summary: 'a short tour: a new secret, its URI and QR code, a code, a verify',
  options: { help: HELP },
  help: `Usage: otpgate demo

Runs the other commands on a fresh secret and shows each command line with
its output: secret, uri, qr, totp and verify (a right and a wrong code).
Scan the QR code with an authenticator app to compare its code with ours.

Options:
  -h, --help        show this help
`,
  async run(_values, args, context) {
    positionals(args, []);
    const transcript: string[] = [];
    const step = async (note: string, argv: string[]): Promise<string> => {
      const result = await runCli(argv, context);
      transcript.push(`# ${note}`, `$ otpgate ${argv.map(shellQuote).join(' ')}`);
      transcript.push(`${result.stdout}${result.stderr}`.replace(/\n$/, ''), `(exit ${result.exitCode})`, '');
      return result.stdout.trim();
    };
    const secret = await step('a new 160-bit secret, for one user', ['secret']);
    const uri = await step('what the QR code holds', ['uri', '--issuer', 'otpgate demo', '--account', 'alice@example.com', '--secret', secret]);
    await step('scan it with an authenticator app', ['qr', uri]);
    const code = await step('the code the app shows now', ['totp', secret]);
    await step('the server checks a typed code: it matches', ['verify', secret, code]);
    const wrong = ((Number(code) + 500_000) % 1_000_000).toString().padStart(6, '0');
    await step('a wrong code does not', ['verify', secret, wrong]);
    return ok(`${transcript.join('\n')}`);
  },
};

const COMMANDS: Readonly<Record<string, Command>> = {
  totp: totpCommand,
  hotp: hotpCommand,
  verify: verifyCommand,
  secret: secretCommand,
  uri: uriCommand,
  parse: parseCommand,
  qr: qrCommand,
  demo: demoCommand,
};

function toolHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: otpgate COMMAND [options]

One-time codes (RFC 4226 HOTP, RFC 6238 TOTP) and authenticator enrollment
(otpauth:// URIs, QR codes) from the command line.

Commands:
${lines.join('\n')}

Run "otpgate COMMAND --help" for the options of a command.
Exit status: 0 done (or the code matched), 1 the code did not match, 2 bad
input.

Options:
  -h, --help        show this help
  --version         print the version
`;
}

/** Turns `node:util` parseArgs errors into one line that never repeats a value given. */
function parseError(error: unknown): never {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : '';
  const option = /'(--?[A-Za-z][A-Za-z-]*)/.exec(message)?.[1];
  const named = option ? ` ${option}` : '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') usage(`unknown option${named} (see --help)`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    usage(message.includes('does not take') ? `option${named} takes no value` : `option${named} needs a value`);
  }
  return usage('cannot parse the command line (see --help)');
}

/**
 * `--time -5` as `--time=-5`: parseArgs reads a value that starts with `-` as
 * an option, so a negative number after an option that takes a value would be
 * "missing its value".
 */
function joinNegativeValues(args: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = /^--([a-z]+)$/.exec(arg)?.[1];
    const next = args[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
    if (arg === '--') {
      out.push(...args.slice(i + 1));
      break;
    }
  }
  return out;
}

async function runCommand(command: Command, args: string[], context: CliContext): Promise<CliResult> {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(args, command.options), options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    parseError(error);
  }
  const values = parsed.values as Values;
  if (values['help'] === true) return ok(command.help);
  return command.run(values, parsed.positionals, context);
}

/**
 * Runs one `otpgate` command line (without `node` and the script path) and
 * resolves to what to print and the exit code. Never rejects: bad input becomes
 * exit 2 and one line on stderr that names the rule broken, never a secret
 * or a code.
 *
 * @example
 * ```ts
 * await runCli(['totp', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '--time', '59']);
 * // { exitCode: 0, stdout: '287082\n', stderr: '' }
 * ```
 */
export async function runCli(argv: readonly string[], context: CliContext = {}): Promise<CliResult> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined) usage('missing COMMAND (see otpgate --help)');
    if (name === '--help' || name === '-h' || name === 'help') {
      if (rest.length === 0) return ok(toolHelp());
      const command = Object.hasOwn(COMMANDS, rest[0]!) ? COMMANDS[rest[0]!] : undefined;
      if (command === undefined || rest.length > 1) usage('unknown command (see otpgate --help)');
      return ok(command.help);
    }
    if (name === '--version' || name === '-v') return ok(`${context.version ?? 'unknown'}\n`);
    // Never repeat an unknown command: it may be a secret typed in the wrong place.
    if (name.startsWith('-')) usage('unknown option (see otpgate --help)');
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) usage(`unknown command (expected one of ${Object.keys(COMMANDS).join(', ')})`);
    return await runCommand(command, rest, context);
  } catch (error) {
    return { exitCode: 2, stdout: '', stderr: `otpgate: ${describe(error)}\n` };
  }
}

function describe(error: unknown): string {
  // otpgate's messages name the rule and never the secret or code (errors.ts contract).
  if (isOtpError(error)) {
    const message = error.message.replace(/\s+/g, ' ');
    // The library names its options; on the command line they are flags.
    if (error.code !== 'ERR_OPTIONS') return message;
    return message
      .replace(/^now must not be before epoch/, '--time must not be before --epoch')
      .replace(/^(algorithm|digits|period|epoch|window|counter|bytes)\b/, '--$1');
  }
  const name = error instanceof Error ? error.name : typeof error;
  return `unexpected error (${name}); please report it`;
}

/** The names of the subcommands, in help order. */
export const commandNames: readonly string[] = Object.keys(COMMANDS);

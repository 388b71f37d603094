import { parseArgs } from 'node:util';
import {
  base32Decode,
  generateSecret,
  hotp,
  isOtpError,
  OtpError,
  totp,
  verifyHotp,
  verifyTotp,
  type Algorithm,
} from '../index.js';

/**
 * What a command needs from the outside world. `main.ts` passes the real
 * process; tests pass fakes, so every command is a pure string function.
 */
export interface CliContext {
  /** The package version printed by `--version`. */
  readonly version?: string | undefined;
  /** The current time in milliseconds. @defaultValue `Date.now()` */
  readonly nowMs?: (() => number) | undefined;
  /** Reads all of standard input, for a SECRET given as `-`. */
  readonly readStdin?: (() => string) | undefined;
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
  run(values: Values, positionals: string[], context: CliContext): CliResult;
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
of your shell history and the process list.`;

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

/** The key bytes of the SECRET argument; errors name the rule, never the text. */
function secretKey(text: string, values: Values, context: CliContext): Uint8Array {
  let source = text;
  if (text === '-') {
    if (!context.readStdin) usage('reading SECRET from standard input is not available here');
    source = context.readStdin().trim();
  }
  let key: Uint8Array;
  try {
    key = values['hex'] === true ? hexDecode(source) : base32Decode(source);
  } catch (error) {
    if (isOtpError(error) && error.code === 'ERR_BASE32') {
      usage(`SECRET is not base32 (${error.message.replace(/^base32: /, '')}); use --hex for a hex key`);
    }
    throw error;
  }
  if (key.length === 0) usage('SECRET is empty or shorter than one byte');
  return key;
}

function positionals(given: string[], names: readonly string[]): string[] {
  if (given.length < names.length) usage(`missing ${names[given.length]} (see --help)`);
  if (given.length > names.length) usage(`too many arguments (expected ${names.join(' ') || 'none'}; see --help)`);
  return given;
}

function nowMs(values: Values, context: CliContext): number {
  const time = integer(values, 'time');
  return time === undefined ? (context.nowMs ?? Date.now)() : time * 1000;
}

function timeOptions(values: Values, context: CliContext) {
  return {
    algorithm: algorithm(values),
    digits: integer(values, 'digits'),
    period: integer(values, 'period'),
    epoch: integer(values, 'epoch', true),
    now: nowMs(values, context),
  };
}

const totpCommand: Command = {
  summary: 'print the TOTP code of a secret (RFC 6238)',
  options: { ...CODE_OPTIONS, ...TIME_OPTIONS },
  help: `Usage: otpgate totp SECRET [options]

Prints the time-based code (RFC 6238) an authenticator app shows now, or at --time.

${SECRET_HELP}

Options:
${CODE_OPTIONS_HELP}
${TIME_OPTIONS_HELP}
  -h, --help        show this help

Example:
  otpgate totp GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --time 59 --digits 8   # 94287082
`,
  run(values, args, context) {
    const [secret] = positionals(args, ['SECRET']);
    const options = timeOptions(values, context);
    return ok(`${totp(secretKey(secret!, values, context), options)}\n`);
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
  run(values, args, context) {
    const [secret] = positionals(args, ['SECRET']);
    const counter = integer(values, 'counter');
    if (counter === undefined) usage('missing --counter (see --help)');
    const options = { algorithm: algorithm(values), digits: integer(values, 'digits') };
    return ok(`${hotp(secretKey(secret!, values, context), counter, options)}\n`);
  },
};

const verifyCommand: Command = {
  summary: 'check a code; exit 0 and print the delta on a match, 1 otherwise',
  options: { ...CODE_OPTIONS, ...TIME_OPTIONS, window: { type: 'string' }, counter: { type: 'string' } },
  help: `Usage: otpgate verify SECRET CODE [options]

Checks CODE against SECRET. On a match prints "delta=D step=S" and exits 0:
D is how many steps the code is from the expected one (-1: one step old) and
S the time step (or counter) it belongs to. Otherwise prints "no match" and
exits 1. Spaces inside CODE are ignored.

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
  otpgate verify GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 287082 --time 59   # delta=0 step=1
`,
  run(values, args, context) {
    const [secret, code] = positionals(args, ['SECRET', 'CODE']);
    const counter = integer(values, 'counter');
    const window = integer(values, 'window');
    const key = secretKey(secret!, values, context);
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

const COMMANDS: Readonly<Record<string, Command>> = {
  totp: totpCommand,
  hotp: hotpCommand,
  verify: verifyCommand,
  secret: secretCommand,
};

function toolHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: otpgate COMMAND [options]

One-time codes (RFC 4226 HOTP, RFC 6238 TOTP) from the command line.

Commands:
${lines.join('\n')}

Run "otpgate COMMAND --help" for the options of a command.
Exit status: 0 done (or the code matched), 1 the code did not match, 2 bad input.

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

function runCommand(command: Command, args: string[], context: CliContext): CliResult {
  let parsed;
  try {
    parsed = parseArgs({ args, options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    parseError(error);
  }
  const values = parsed.values as Values;
  if (values['help'] === true) return ok(command.help);
  return command.run(values, parsed.positionals, context);
}

/**
 * Runs one `otpgate` command line (without `node` and the script path) and
 * returns what to print and the exit code. Never throws: bad input becomes
 * exit 2 and one line on stderr that names the rule broken, never a secret
 * or a code.
 *
 * @example
 * ```ts
 * runCli(['totp', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '--time', '59']);
 * // { exitCode: 0, stdout: '287082\n', stderr: '' }
 * ```
 */
export function runCli(argv: readonly string[], context: CliContext = {}): CliResult {
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
    return runCommand(command, rest, context);
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

// Driver errors can carry what they were asked to write: ioredis keeps a
// failed command's arguments on the error, a PostgreSQL trigger can quote the
// row in its message. A record holds the TOTP secret (in base32 when no
// cipher is set) and recovery-code hashes, so what otpgate passes on as an
// error's `cause` is a copy with only the driver's name, code and message,
// and every long token in that message (base32, hex, base64: what secrets,
// hashes and wrapped secrets look like) replaced.

const TOKEN = /[A-Za-z0-9+/=_-]{16,}/g;
const MAX_MESSAGE = 500;
const MAX_DEPTH = 4;

/**
 * @internal
 * A plain `Error` standing for `error`: its name, its `code` when that is a
 * short string or a number, its message with long tokens replaced by
 * `[redacted]`, and its own cause treated alike. Nothing else of the
 * original (no arguments, no command, no row) survives.
 */
export function redactError(error: unknown, depth = 0): Error {
  const source = typeof error === 'object' && error !== null ? (error as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown }) : {};
  const raw = typeof source.message === 'string' ? source.message : typeof error === 'string' ? error : '';
  const message = redactText(raw);
  const copy = new Error(message, source.cause !== undefined && depth < MAX_DEPTH ? { cause: redactError(source.cause, depth + 1) } : undefined);
  const name = typeof source.name === 'string' ? redactText(source.name).slice(0, 60) : 'Error';
  Object.defineProperty(copy, 'name', { value: name, enumerable: false, configurable: true, writable: true });
  const code = source.code;
  if ((typeof code === 'string' && code.length <= 40 && redactText(code) === code) || typeof code === 'number') {
    (copy as { code?: unknown }).code = code;
  }
  // The stack is built from the message above, not the original's, so it repeats nothing that was removed.
  return copy;
}

function redactText(text: string): string {
  const cut = text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
  // A token is replaced when it holds a digit, could be base32 or hex, or is
  // 24 characters or longer: table and constraint names
  // ("otpgate_mfa_reset_open") stay readable.
  return cut.replace(TOKEN, (token) => (/[0-9]/.test(token) || /^[A-Z2-7=]+$/.test(token) || /^[0-9a-f]+$/.test(token) || token.length >= 24 ? '[redacted]' : token));
}

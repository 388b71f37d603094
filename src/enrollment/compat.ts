import { base32Decode } from '../core/base32.js';
import type { Algorithm } from '../core/options.js';
import { checkObject, checkType, optionsError } from './options.js';

/**
 * The parameters {@link checkCompatibility} looks at: those of
 * {@link buildUri}, all optional.
 *
 * @example
 * ```ts
 * import { checkCompatibility, type CompatibilityInput } from 'otpgate';
 * const input: CompatibilityInput = { algorithm: 'SHA256', digits: 8 };
 * checkCompatibility(input).length; // 2 or more
 * ```
 */
export interface CompatibilityInput {
  /** `'totp'` or `'hotp'`. @defaultValue `'totp'` */
  readonly type?: 'totp' | 'hotp' | undefined;
  /** The key, base32 or bytes: checked for its length only. */
  readonly secret?: string | Uint8Array | undefined;
  /** The issuer; a missing one is flagged. */
  readonly issuer?: string | undefined;
  /** The account name; with the issuer, checked for length. */
  readonly account?: string | undefined;
  /** The HMAC hash. @defaultValue `'SHA1'` */
  readonly algorithm?: Algorithm | undefined;
  /** The code length. @defaultValue `6` */
  readonly digits?: number | undefined;
  /** The TOTP step in seconds. @defaultValue `30` */
  readonly period?: number | undefined;
}

/**
 * The stable code of a {@link CompatibilityWarning}; match on it, not on the
 * message, to translate or filter warnings. The union only grows.
 *
 * | code | parameter | what |
 * |---|---|---|
 * | `'hotp-unsupported'` | `type` | HOTP accounts cannot be added to some apps |
 * | `'algorithm-ignored'` | `algorithm` | some apps compute SHA1 codes whatever the URI says |
 * | `'digits-unsupported'` | `digits` | some apps show 6 digits only (Google Authenticator 6 or 8) |
 * | `'period-ignored'` | `period` | some apps change codes every 30 seconds whatever the URI says |
 * | `'short-secret'` | `secret` | a key under 128 bits |
 * | `'missing-issuer'` | `issuer` | no issuer: users cannot tell which service a code is for |
 * | `'long-label'` | `label` | issuer and account over 64 characters together |
 *
 * @example
 * ```ts
 * import { checkCompatibility, type CompatibilityWarningCode } from 'otpgate';
 * const ignored: CompatibilityWarningCode[] = ['missing-issuer'];
 * checkCompatibility({ digits: 8 }).filter((w) => !ignored.includes(w.code)); // the 'digits-unsupported' warning
 * ```
 */
export type CompatibilityWarningCode =
  | 'hotp-unsupported'
  | 'algorithm-ignored'
  | 'digits-unsupported'
  | 'period-ignored'
  | 'short-secret'
  | 'missing-issuer'
  | 'long-label';

/**
 * One thing popular authenticator apps would get wrong with these parameters.
 *
 * @example
 * ```ts
 * import { checkCompatibility, type CompatibilityWarning } from 'otpgate';
 * const [warning]: CompatibilityWarning[] = checkCompatibility({ period: 60 });
 * console.log(warning?.parameter, warning?.apps); // 'period' [ 'Microsoft Authenticator', 'Authy', ... ]
 * ```
 */
export interface CompatibilityWarning {
  /** The stable code, for translating or filtering. */
  readonly code: CompatibilityWarningCode;
  /** The parameter concerned. */
  readonly parameter: 'type' | 'algorithm' | 'digits' | 'period' | 'secret' | 'issuer' | 'label';
  /** The apps known to mishandle it; empty for a general interoperability concern. */
  readonly apps: readonly string[];
  /** What goes wrong, in a sentence for a log or an administrator. */
  readonly message: string;
}

const MICROSOFT = 'Microsoft Authenticator';
const AUTHY = 'Authy';
const OLD_GOOGLE = 'Google Authenticator (older versions)';
const GOOGLE = 'Google Authenticator';

/** Labels longer than this get cut off in app lists and make the QR code denser. */
const LONG_LABEL = 64;

/**
 * Lists what popular authenticator apps are known to get wrong with these
 * parameters, so a host can refuse them, or warn, before a user enrolls with
 * settings their app would silently ignore — the user would then see codes
 * that never match. An empty list means the parameters are the ones every
 * app handles: TOTP, SHA1, 6 digits, 30 seconds, a key of at least 128 bits,
 * an issuer and a short label.
 *
 * What is known (from the apps' documentation and long-standing reports):
 * Microsoft Authenticator and Authy use SHA1, 6 digits and 30 s whatever
 * the URI says, and do not offer HOTP for other accounts; older Google
 * Authenticator versions ignore `algorithm` (SHA1 only) and, per Google's
 * Key URI Format page, `period` and (on Android) `digits`; Google
 * Authenticator shows 6 or 8 digits only.
 *
 * @param params - the parameters, as for {@link buildUri}; anything left out counts as its default
 * @returns the warnings, each with a stable {@link CompatibilityWarningCode}, empty when every app
 *   would agree; an unreadable secret is skipped, not refused
 * @throws {@link OtpError} `ERR_OPTIONS` for `params` that is not an object, a field of the wrong
 *   type or an unknown field name
 *
 * @example
 * ```ts
 * import { checkCompatibility } from 'otpgate';
 * for (const warning of checkCompatibility({ type: 'totp', algorithm: 'SHA256', issuer: 'ACME', account: 'alice' })) {
 *   console.warn(`${warning.code}: ${warning.message}`);
 * }
 * // algorithm-ignored: SHA256 is ignored by Microsoft Authenticator, Authy and Google Authenticator (older versions), which compute SHA1 codes that will not match
 * ```
 */
export function checkCompatibility(params: CompatibilityInput): CompatibilityWarning[] {
  const warnings: CompatibilityWarning[] = [];
  const add = (code: CompatibilityWarningCode, parameter: CompatibilityWarning['parameter'], apps: readonly string[], message: string): void => {
    warnings.push({ code, parameter, apps, message });
  };
  const list = (apps: readonly string[]): string => (apps.length < 3 ? apps.join(' and ') : `${apps.slice(0, -1).join(', ')} and ${apps.at(-1)!}`);
  const p = checkObject(params, 'params', PARAM_NAMES, false);
  for (const name of ['type', 'issuer', 'account', 'algorithm'] as const) checkType(p[name], 'string', name);
  for (const name of ['digits', 'period'] as const) checkType(p[name], 'number', name);
  if (p.secret !== undefined && typeof p.secret !== 'string' && !(p.secret instanceof Uint8Array)) {
    optionsError('secret must be a base32 string or a Uint8Array');
  }

  if (p.type === 'hotp') {
    const apps = [MICROSOFT, AUTHY];
    add('hotp-unsupported', 'type', apps, `HOTP (counter-based) accounts cannot be added to ${list(apps)}; only TOTP works everywhere`);
  }
  if (p.algorithm !== undefined && p.algorithm !== 'SHA1') {
    const apps = [MICROSOFT, AUTHY, OLD_GOOGLE];
    add('algorithm-ignored', 'algorithm', apps, `${p.algorithm} is ignored by ${list(apps)}, which compute SHA1 codes that will not match`);
  }
  if (p.digits !== undefined && p.digits !== 6) {
    const apps = p.digits === 8 ? [MICROSOFT, AUTHY, OLD_GOOGLE] : [MICROSOFT, AUTHY, GOOGLE];
    add('digits-unsupported', 'digits', apps, `${p.digits} digits are not shown by ${list(apps)}, which show 6-digit codes${p.digits === 8 ? '' : ` (Google Authenticator shows 6 or 8)`}`);
  }
  if (p.type !== 'hotp' && p.period !== undefined && p.period !== 30) {
    const apps = [MICROSOFT, AUTHY, OLD_GOOGLE];
    add('period-ignored', 'period', apps, `a ${p.period}-second period is ignored by ${list(apps)}, which change codes every 30 seconds`);
  }
  if (p.secret !== undefined) {
    let bytes: number | undefined;
    try {
      bytes = typeof p.secret === 'string' ? base32Decode(p.secret).length : p.secret.length;
    } catch {
      bytes = undefined; // unreadable keys are buildUri's to refuse; this only advises
    }
    if (bytes !== undefined && bytes < 16) {
      add('short-secret', 'secret', [], `the key has ${bytes * 8} bits; RFC 4226 requires at least 128 (160 recommended), and some apps refuse short keys`);
    }
  }
  if (p.issuer === undefined || p.issuer === '') {
    add('missing-issuer', 'issuer', [], 'without an issuer, apps list the account under its name alone, and users cannot tell which service a code is for');
  }
  const labelLength = (p.issuer?.length ?? 0) + (p.account?.length ?? 0);
  if (labelLength > LONG_LABEL) {
    add('long-label', 'label', [], `issuer and account together have ${labelLength} characters; apps cut long labels off, and the QR code grows denser`);
  }
  return warnings;
}

// The fields of CompatibilityInput, and those of KeyUriParams and ParsedUri it does not
// look at, so the input or output of buildUri and parseUri can be passed in as it is.
const PARAM_NAMES: ReadonlySet<string> = new Set(['type', 'secret', 'issuer', 'account', 'algorithm', 'digits', 'period', 'counter', 'image', 'warnings', 'name']);

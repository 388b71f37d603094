import type { Algorithm } from '../core/options.js';
import { OtpError } from '../errors.js';

/**
 * The company's 2-step verification rules, as given to `createGate`. Every
 * field is optional; what is left out takes its value from
 * {@link DEFAULT_POLICY}. Durations are milliseconds.
 *
 * @example
 * ```ts
 * import { createGate, type Policy } from 'otpgate';
 * const policy: Policy = {
 *   required: (userId) => userId.endsWith('@corp.example'), // per group or tenant
 *   maxPostpones: 2,
 *   postponeDeadline: Date.UTC(2026, 11, 31),
 *   throttle: { lockAfter: 5, hardStopAfter: 100 },
 * };
 * ```
 */
export interface Policy {
  /**
   * Whether a user must set up 2-step verification: one rule for everyone,
   * or a function of the user (company-wide, per group, per tenant).
   * @defaultValue `true`
   */
  readonly required?: boolean | ((userId: string) => boolean | Promise<boolean>) | undefined;
  /** How many logins a user may postpone set-up where it is required. @defaultValue `2` */
  readonly maxPostpones?: number | undefined;
  /** When postponing ends for everyone, whatever is left (ms since the epoch or a `Date`). @defaultValue `null` (never) */
  readonly postponeDeadline?: number | Date | null | undefined;
  /** The one-time codes of new enrollments. */
  readonly code?: CodePolicy | undefined;
  /** Locks after consecutive failures (NIST SP 800-63B §5.2.2). */
  readonly throttle?: ThrottlePolicy | undefined;
  /** The pending secret of an enrollment. */
  readonly enrollment?: EnrollmentPolicy | undefined;
  /** Recovery codes (NIST SP 800-63B look-up secrets). */
  readonly recovery?: RecoveryPolicy | undefined;
  /** Requests to administrators after a lost phone. */
  readonly reset?: ResetPolicy | undefined;
  /** How many authenticators one user may have. */
  readonly authenticators?: AuthenticatorPolicy | undefined;
  /** "Remember this device": logins from a remembered browser skip the code for a while. */
  readonly trustedDevices?: TrustedDevicePolicy | undefined;
  /** Passkeys (WebAuthn) as authenticators beside the app's codes. */
  readonly passkeys?: PasskeyPolicy | undefined;
}

/**
 * Passkeys (WebAuthn) as authenticators: how long a challenge handed out by
 * `beginPasskeyRegistration` or `beginPasskeyLogin` stays good, and whether
 * the authenticator must verify the user (PIN, fingerprint) besides their
 * presence. As a second factor after the password, presence is enough: the
 * passkey is something the user has, the password something they know.
 *
 * @example
 * ```ts
 * import type { PasskeyPolicy } from 'otpgate';
 * const passkeys: PasskeyPolicy = { challengeTtlMs: 2 * 60_000, userVerification: 'required' };
 * ```
 */
export interface PasskeyPolicy {
  /** How long a challenge may be answered, 10 seconds to 1 hour. @defaultValue `300_000` (5 minutes) */
  readonly challengeTtlMs?: number | undefined;
  /**
   * What the browser asks of the authenticator: `'required'` refuses an
   * answer without user verification; `'preferred'` and `'discouraged'`
   * accept one with user presence alone.
   * @defaultValue `'preferred'`
   */
  readonly userVerification?: 'required' | 'preferred' | 'discouraged' | undefined;
}

/**
 * "Remember this device" (better-auth `trustDevice`, ASP.NET `rememberClient`).
 * Off unless enabled: a remembered browser logs in with the password alone
 * until the device expires or is forgotten, so a stolen session store or
 * laptop is worth more. Resets, turning 2-step off, removing an
 * authenticator and new recovery codes forget every device.
 *
 * @example
 * ```ts
 * import type { TrustedDevicePolicy } from 'otpgate';
 * const trustedDevices: TrustedDevicePolicy = { enabled: true, ttlMs: 14 * 86_400_000, max: 5 };
 * ```
 */
export interface TrustedDevicePolicy {
  /** @defaultValue `false` */
  readonly enabled?: boolean | undefined;
  /** How long a device stays remembered, 1 minute to 400 days. @defaultValue `2_592_000_000` (30 days) */
  readonly ttlMs?: number | undefined;
  /** Devices per user; past it the oldest is forgotten. 1 to 100. @defaultValue `10` */
  readonly max?: number | undefined;
}

/**
 * How many authenticators (phones, spare devices) one user may enroll.
 *
 * @example
 * ```ts
 * import type { AuthenticatorPolicy } from 'otpgate';
 * const authenticators: AuthenticatorPolicy = { max: 2 }; // a phone and a spare
 * ```
 */
export interface AuthenticatorPolicy {
  /** 1 to 20. @defaultValue `5` */
  readonly max?: number | undefined;
}

/**
 * The code options of new enrollments and the verification window.
 * An enrolled user keeps the algorithm, digits and period they enrolled
 * with when the policy changes later.
 *
 * @example
 * ```ts
 * import type { CodePolicy } from 'otpgate';
 * const code: CodePolicy = { digits: 6, window: { past: 1, future: 0 }, maxDrift: 2 };
 * ```
 */
export interface CodePolicy {
  /** @defaultValue `'SHA1'` (the one every authenticator app supports) */
  readonly algorithm?: Algorithm | undefined;
  /** @defaultValue `6` */
  readonly digits?: number | undefined;
  /** Seconds per code. @defaultValue `30` */
  readonly period?: number | undefined;
  /** Steps accepted either side of the current one, 0 to 10 each (RFC 6238 §5.2). @defaultValue `1` */
  readonly window?:
    | number
    | {
        /** Steps back. @defaultValue `0` */
        readonly past?: number | undefined;
        /** Steps ahead. @defaultValue `0` */
        readonly future?: number | undefined;
      }
    | undefined;
  /**
   * The largest clock drift, in steps, remembered for a user (RFC 6238 §6):
   * the window also reaches towards the drift seen on the last accepted code,
   * so a phone whose clock runs a minute late keeps working. `0` turns drift
   * tracking off.
   * @defaultValue `4` (two minutes at 30 s)
   */
  readonly maxDrift?: number | undefined;
}

/**
 * Throttling of wrong codes. Every `lockAfter` consecutive failures lock the
 * user for a while, each lock longer than the one before; `hardStopAfter`
 * consecutive failures lock until a recovery code or an administrator's
 * reset. Past that stop only recovery codes are checked, and every
 * `lockAfter` wrong ones lock them out too for `maxLockMs`. Wrong codes,
 * wrong recovery codes and wrong enrollment confirmations all count; any
 * success starts the count again.
 *
 * @example
 * ```ts
 * import type { ThrottlePolicy } from 'otpgate';
 * const throttle: ThrottlePolicy = { lockAfter: 5, lockMs: 60_000, lockGrowth: 2, maxLockMs: 3_600_000 };
 * ```
 */
export interface ThrottlePolicy {
  /** Consecutive failures that start a lock. @defaultValue `5` */
  readonly lockAfter?: number | undefined;
  /** The first lock's length. @defaultValue `30_000` */
  readonly lockMs?: number | undefined;
  /** Each further lock lasts this many times the one before. @defaultValue `2` */
  readonly lockGrowth?: number | undefined;
  /** The longest lock. @defaultValue `900_000` (15 minutes) */
  readonly maxLockMs?: number | undefined;
  /** Consecutive failures that stop all code checks, at most 100 (NIST SP 800-63B). @defaultValue `100` */
  readonly hardStopAfter?: number | undefined;
}

/**
 * How long a pending secret waits for its first code, and how many wrong
 * codes it survives.
 *
 * @example
 * ```ts
 * import type { EnrollmentPolicy } from 'otpgate';
 * const enrollment: EnrollmentPolicy = { ttlMs: 10 * 60_000, maxFailures: 5 };
 * ```
 */
export interface EnrollmentPolicy {
  /** @defaultValue `600_000` (10 minutes) */
  readonly ttlMs?: number | undefined;
  /** Wrong confirmations after which the pending secret is discarded. @defaultValue `5` */
  readonly maxFailures?: number | undefined;
}

/**
 * Recovery codes handed out when an enrollment is confirmed.
 *
 * @example
 * ```ts
 * import type { RecoveryPolicy } from 'otpgate';
 * const recovery: RecoveryPolicy = { count: 0 }; // no recovery codes: only an administrator can help
 * ```
 */
export interface RecoveryPolicy {
  /** How many, 0 to 100; `0` turns them off. @defaultValue `10` */
  readonly count?: number | undefined;
  /** A `recovery-codes-low` event goes out when a used code leaves this many or fewer (NIST SP 800-63B rev 4). @defaultValue `3` */
  readonly warnBelow?: number | undefined;
}

/**
 * Requests to administrators ("Lost 2-Step Verification code?").
 *
 * @example
 * ```ts
 * import type { ResetPolicy } from 'otpgate';
 * const reset: ResetPolicy = { ttlMs: 24 * 3_600_000, cooldownMs: 30 * 60_000 };
 * ```
 */
export interface ResetPolicy {
  /** How long a request stays open. @defaultValue `259_200_000` (72 hours) */
  readonly ttlMs?: number | undefined;
  /** How long after notifying an administrator the same request may not notify them again. @defaultValue `900_000` (15 minutes) */
  readonly cooldownMs?: number | undefined;
}

/**
 * A policy with every default filled in and every value checked.
 *
 * @example
 * ```ts
 * import { DEFAULT_POLICY, type ResolvedPolicy } from 'otpgate';
 * const policy: ResolvedPolicy = DEFAULT_POLICY;
 * console.log(policy.throttle.hardStopAfter); // 100
 * ```
 */
export interface ResolvedPolicy {
  /** See {@link Policy.required}. */
  readonly required: boolean | ((userId: string) => boolean | Promise<boolean>);
  /** See {@link Policy.maxPostpones}. */
  readonly maxPostpones: number;
  /** See {@link Policy.postponeDeadline}; milliseconds or `null`. */
  readonly postponeDeadline: number | null;
  /** See {@link CodePolicy}. */
  readonly code: {
    /** The HMAC hash of new enrollments. */
    readonly algorithm: Algorithm;
    /** Code length of new enrollments. */
    readonly digits: number;
    /** Seconds per code of new enrollments. */
    readonly period: number;
    /** Steps accepted either side. */
    readonly window: {
      /** Steps back. */
      readonly past: number;
      /** Steps ahead. */
      readonly future: number;
    };
    /** The largest drift remembered, in steps. */
    readonly maxDrift: number;
  };
  /** See {@link ThrottlePolicy}. */
  readonly throttle: {
    /** Consecutive failures that start a lock. */
    readonly lockAfter: number;
    /** The first lock's length in ms. */
    readonly lockMs: number;
    /** Growth factor of each further lock. */
    readonly lockGrowth: number;
    /** The longest lock in ms. */
    readonly maxLockMs: number;
    /** Consecutive failures that stop all code checks. */
    readonly hardStopAfter: number;
  };
  /** See {@link EnrollmentPolicy}. */
  readonly enrollment: {
    /** Life of a pending secret in ms. */
    readonly ttlMs: number;
    /** Wrong confirmations that discard it. */
    readonly maxFailures: number;
  };
  /** See {@link RecoveryPolicy}. */
  readonly recovery: {
    /** Codes issued per enrollment; 0: none. */
    readonly count: number;
    /** Codes left at which `recovery-codes-low` goes out. */
    readonly warnBelow: number;
  };
  /** See {@link AuthenticatorPolicy}. */
  readonly authenticators: {
    /** Authenticators per user at most. */
    readonly max: number;
  };
  /** See {@link TrustedDevicePolicy}. */
  readonly trustedDevices: {
    /** Whether devices may be remembered. */
    readonly enabled: boolean;
    /** Life of a remembered device in ms. */
    readonly ttlMs: number;
    /** Devices per user at most. */
    readonly max: number;
  };
  /** See {@link PasskeyPolicy}. */
  readonly passkeys: {
    /** Life of a passkey challenge in ms. */
    readonly challengeTtlMs: number;
    /** Whether the authenticator must verify the user. */
    readonly userVerification: 'required' | 'preferred' | 'discouraged';
  };
  /** See {@link ResetPolicy}. */
  readonly reset: {
    /** Life of a request in ms. */
    readonly ttlMs: number;
    /** Per-administrator cool-down in ms. */
    readonly cooldownMs: number;
  };
}

/**
 * The defaults of every policy field, in one place.
 *
 * @example
 * ```ts
 * import { DEFAULT_POLICY } from 'otpgate';
 * console.log(DEFAULT_POLICY.maxPostpones); // 2
 * ```
 */
export const DEFAULT_POLICY: ResolvedPolicy = deepFreeze({
  required: true,
  maxPostpones: 2,
  postponeDeadline: null,
  code: { algorithm: 'SHA1', digits: 6, period: 30, window: { past: 1, future: 1 }, maxDrift: 4 },
  throttle: { lockAfter: 5, lockMs: 30_000, lockGrowth: 2, maxLockMs: 900_000, hardStopAfter: 100 },
  enrollment: { ttlMs: 600_000, maxFailures: 5 },
  recovery: { count: 10, warnBelow: 3 },
  reset: { ttlMs: 72 * 3_600_000, cooldownMs: 900_000 },
  authenticators: { max: 5 },
  trustedDevices: { enabled: false, ttlMs: 30 * 86_400_000, max: 10 },
  passkeys: { challengeTtlMs: 300_000, userVerification: 'preferred' },
});

/**
 * Fills in the defaults of a policy and checks every value.
 *
 * @param policy - the host's policy; missing fields take {@link DEFAULT_POLICY}'s
 * @returns the resolved, frozen policy
 * @throws {@link OtpError} `ERR_OPTIONS` naming the first field out of range
 *
 * @example
 * ```ts
 * import { resolvePolicy } from 'otpgate';
 * resolvePolicy({ maxPostpones: 3 }).maxPostpones; // 3
 * resolvePolicy({ throttle: { hardStopAfter: 500 } }); // throws ERR_OPTIONS: NIST allows at most 100
 * ```
 */
export function resolvePolicy(policy?: Policy): ResolvedPolicy {
  if (policy === undefined) return DEFAULT_POLICY;
  if (typeof policy !== 'object' || policy === null) fail('policy must be an object');
  known(policy, 'policy', ['required', 'maxPostpones', 'postponeDeadline', 'code', 'throttle', 'enrollment', 'recovery', 'reset', 'authenticators', 'trustedDevices', 'passkeys']);
  const d = DEFAULT_POLICY;
  const required = policy.required ?? d.required;
  if (typeof required !== 'boolean' && typeof required !== 'function') fail('policy.required must be a boolean or a function');

  const code = section(policy.code, 'policy.code', ['algorithm', 'digits', 'period', 'window', 'maxDrift']);
  const algorithm = code.algorithm ?? d.code.algorithm;
  if (algorithm !== 'SHA1' && algorithm !== 'SHA256' && algorithm !== 'SHA512') fail("policy.code.algorithm must be 'SHA1', 'SHA256' or 'SHA512'");
  const window = resolveWindow(code.window);

  const throttle = section(policy.throttle, 'policy.throttle', ['lockAfter', 'lockMs', 'lockGrowth', 'maxLockMs', 'hardStopAfter']);
  const lockAfter = int(throttle.lockAfter, d.throttle.lockAfter, 'policy.throttle.lockAfter', 1, 100);
  const hardStopAfter = int(throttle.hardStopAfter, d.throttle.hardStopAfter, 'policy.throttle.hardStopAfter', 1, 100);
  const lockMs = int(throttle.lockMs, d.throttle.lockMs, 'policy.throttle.lockMs', 0, DAY * 365);
  // At least a second: past the hard stop only these locks slow down recovery-code guessing, and 0 would not.
  const maxLockMs = int(throttle.maxLockMs, Math.max(lockMs, d.throttle.maxLockMs), 'policy.throttle.maxLockMs', Math.max(lockMs, 1000), DAY * 365);
  const lockGrowth = throttle.lockGrowth ?? d.throttle.lockGrowth;
  if (typeof lockGrowth !== 'number' || !Number.isFinite(lockGrowth) || lockGrowth < 1 || lockGrowth > 100) {
    fail('policy.throttle.lockGrowth must be a number from 1 to 100');
  }

  const enrollment = section(policy.enrollment, 'policy.enrollment', ['ttlMs', 'maxFailures']);
  const recovery = section(policy.recovery, 'policy.recovery', ['count', 'warnBelow']);
  const authenticators = section(policy.authenticators, 'policy.authenticators', ['max']);
  const trustedDevices = section(policy.trustedDevices, 'policy.trustedDevices', ['enabled', 'ttlMs', 'max']);
  const devicesEnabled = trustedDevices.enabled ?? d.trustedDevices.enabled;
  if (typeof devicesEnabled !== 'boolean') fail('policy.trustedDevices.enabled must be a boolean');
  const passkeys = section(policy.passkeys, 'policy.passkeys', ['challengeTtlMs', 'userVerification']);
  const userVerification = passkeys.userVerification ?? d.passkeys.userVerification;
  if (userVerification !== 'required' && userVerification !== 'preferred' && userVerification !== 'discouraged') {
    fail("policy.passkeys.userVerification must be 'required', 'preferred' or 'discouraged'");
  }
  const reset = section(policy.reset, 'policy.reset', ['ttlMs', 'cooldownMs']);
  return deepFreeze({
    required,
    maxPostpones: int(policy.maxPostpones, d.maxPostpones, 'policy.maxPostpones', 0, 1000),
    postponeDeadline: resolveDeadline(policy.postponeDeadline),
    code: {
      algorithm,
      digits: int(code.digits, d.code.digits, 'policy.code.digits', 6, 10),
      period: int(code.period, d.code.period, 'policy.code.period', 1, 3600),
      window,
      maxDrift: int(code.maxDrift, d.code.maxDrift, 'policy.code.maxDrift', 0, 20),
    },
    throttle: { lockAfter, lockMs, lockGrowth, maxLockMs, hardStopAfter },
    enrollment: {
      ttlMs: int(enrollment.ttlMs, d.enrollment.ttlMs, 'policy.enrollment.ttlMs', 1000, DAY),
      maxFailures: int(enrollment.maxFailures, d.enrollment.maxFailures, 'policy.enrollment.maxFailures', 1, 100),
    },
    recovery: {
      count: int(recovery.count, d.recovery.count, 'policy.recovery.count', 0, 100),
      warnBelow: int(recovery.warnBelow, d.recovery.warnBelow, 'policy.recovery.warnBelow', 0, 100),
    },
    authenticators: { max: int(authenticators.max, d.authenticators.max, 'policy.authenticators.max', 1, 20) },
    trustedDevices: {
      enabled: devicesEnabled,
      ttlMs: int(trustedDevices.ttlMs, d.trustedDevices.ttlMs, 'policy.trustedDevices.ttlMs', 60_000, DAY * 400),
      max: int(trustedDevices.max, d.trustedDevices.max, 'policy.trustedDevices.max', 1, 100),
    },
    passkeys: {
      challengeTtlMs: int(passkeys.challengeTtlMs, d.passkeys.challengeTtlMs, 'policy.passkeys.challengeTtlMs', 10_000, 3_600_000),
      userVerification,
    },
    reset: {
      ttlMs: int(reset.ttlMs, d.reset.ttlMs, 'policy.reset.ttlMs', 60_000, DAY * 365),
      cooldownMs: int(reset.cooldownMs, d.reset.cooldownMs, 'policy.reset.cooldownMs', 0, DAY * 365),
    },
  });
}

const DAY = 86_400_000;

function fail(message: string): never {
  throw new OtpError('ERR_OPTIONS', message);
}

/** A nested part of the policy: absent, or an object with only the fields it knows. */
function section<T extends object>(value: T | undefined, name: string, fields: readonly string[]): T | Record<string, never> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${name} must be an object`);
  known(value, name, fields);
  return value;
}

/** A misspelt field (`lockAfer`) would silently keep the default: it is refused instead. */
function known(value: object, name: string, fields: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) fail(`${name} has no field ${JSON.stringify(key.slice(0, 40))}; known: ${fields.join(', ')}`);
  }
}

function int(value: unknown, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  return fail(`${name} must be an integer from ${min} to ${max}`);
}

function resolveWindow(value: CodePolicy['window']): { past: number; future: number } {
  if (value === undefined) return DEFAULT_POLICY.code.window;
  if (typeof value === 'number') {
    const n = int(value, 1, 'policy.code.window', 0, 10);
    return { past: n, future: n };
  }
  if (typeof value !== 'object' || value === null) fail('policy.code.window must be a number or { past, future }');
  return {
    past: int(value.past, 0, 'policy.code.window.past', 0, 10),
    future: int(value.future, 0, 'policy.code.window.future', 0, 10),
  };
}

function resolveDeadline(value: Policy['postponeDeadline']): number | null {
  if (value === undefined || value === null) return null;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) fail('policy.postponeDeadline must be a time in milliseconds, a Date or null');
  return ms;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

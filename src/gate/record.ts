import type { Algorithm } from '../core/options.js';
import { OtpError } from '../errors.js';
import type { GateEvent } from './events.js';

/**
 * Where a user stands with 2-step verification:
 * `none` (not enrolled, maybe postponing), `enrolling` (set-up was begun: a
 * pending secret waits for its first code, or has expired waiting) or
 * `enrolled` (an active secret; a pending one may wait beside it while the
 * user re-enrolls). An open reset request, a
 * lock and a mandatory re-enrollment are orthogonal fields of the record.
 *
 * @internal
 */
export type MfaState = 'none' | 'enrolling' | 'enrolled';

/**
 * A TOTP secret as stored, with the code options it was enrolled with so a
 * later policy change never breaks an authenticator already set up.
 *
 * @internal
 */
export type StoredSecret = {
  /** Base32, or the `SecretCipher`'s output when `wrapped`. */
  readonly secret: string;
  /** Whether `secret` was encrypted by the gate's cipher. */
  readonly wrapped: boolean;
  readonly algorithm: Algorithm;
  readonly digits: number;
  readonly period: number;
};

/**
 * A secret handed out by `beginEnrollment` and not confirmed yet.
 *
 * @internal
 */
export type PendingSecret = StoredSecret & {
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Wrong confirmations so far. */
  readonly failures: number;
  /** The label the new authenticator will get. */
  readonly label?: string | undefined;
};

/**
 * The secret codes are checked against.
 *
 * @internal
 */
export type ActiveSecret = StoredSecret & {
  readonly enrolledAt: number;
  /** The step of the last accepted code: only later steps are accepted (the replay floor). */
  readonly lastStep: number;
  /** Steps between the server's clock and the phone's on the last accepted code (RFC 6238 §6). */
  readonly drift: number;
  /** Absent on authenticators enrolled before they had ids: `'primary'`. */
  readonly id?: string | undefined;
  /** The name the user gave it ("Work phone"); absent: "Authenticator app". */
  readonly label?: string | undefined;
  /** When it last produced an accepted code. */
  readonly lastUsedAt?: number | null | undefined;
};

/**
 * A passkey (WebAuthn credential) as stored: nothing in it is secret (the
 * private key never leaves the authenticator), so it is kept as it is,
 * without the cipher.
 *
 * @internal
 */
export type StoredPasskey = {
  /** The authenticator's id, as `authenticators` lists it. */
  readonly id: string;
  /** The credential id the browser names it by (base64url). */
  readonly credentialId: string;
  /** The COSE public key (base64url) its signatures are checked with. */
  readonly publicKey: string;
  /** The signature counter of the last accepted answer (0: the authenticator keeps none). */
  readonly counter: number;
  /** How the browser can reach it (`internal`, `usb`, `hybrid`, ...), as it reported at registration. */
  readonly transports: readonly string[];
  /** The relying party it was registered for: it answers only there. */
  readonly rpId: string;
  /** The name the user gave it ("Laptop"). */
  readonly label: string;
  readonly createdAt: number;
  /** When it last answered a login or a re-authentication. */
  readonly lastUsedAt: number | null;
};

/**
 * A challenge handed out by `beginPasskeyRegistration` or
 * `beginPasskeyLogin`. Single use: the first answer marks it `used` (so a
 * second answer is told `replayed`), and it is dropped once expired.
 *
 * @internal
 */
export type PasskeyChallenge = {
  /** 32 random bytes, base64url: what the authenticator signs. */
  readonly challenge: string;
  readonly kind: 'registration' | 'login';
  /** The relying party and the origins an answer must come from. */
  readonly rpId: string;
  readonly origins: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Answered already (successfully or not). */
  readonly used: boolean;
  /** Registration: the name the new passkey will get. */
  readonly label?: string | undefined;
};

/**
 * Consecutive failures and the lock they caused.
 *
 * @internal
 */
export type Throttle = {
  /** Consecutive failed attempts since the last success. */
  readonly failures: number;
  /** Locks since the last success: each one lasts longer. */
  readonly locks: number;
  /** End of the current timed lock, or `null`. */
  readonly lockedUntil: number | null;
  /** Locked until a recovery code or an administrator's reset. */
  readonly hardStop: boolean;
};

/**
 * One unused recovery code: a random salt and the HMAC-SHA-256 of the code
 * under it, both hex. The code itself is never stored.
 *
 * @internal
 */
export type RecoveryHash = { readonly salt: string; readonly hash: string };

/**
 * A device the user chose to remember at a login: only the hash of its
 * token is stored.
 *
 * @internal
 */
export type TrustedDevice = {
  readonly id: string;
  /** Hex SHA-256 of the token the browser holds. */
  readonly hash: string;
  readonly label: string;
  readonly createdAt: number;
  readonly expiresAt: number;
};

/**
 * An open "Lost 2-Step Verification code?" request.
 *
 * @internal
 */
export type ResetRequestRecord = {
  readonly id: string;
  /** Every administrator the user asked, in the order asked. */
  readonly to: readonly string[];
  readonly requestedAt: number;
  readonly expiresAt: number;
  /** When an administrator was last notified, or `null` while none was. */
  readonly lastNotifiedAt: number | null;
  /** When each administrator was last notified: the cool-down is per administrator. */
  readonly notifiedAt: { readonly [adminId: string]: number };
};

/**
 * How the last reset request or reset ended, so administrators who act late
 * see who handled it.
 *
 * @example
 * ```ts
 * import type { Resolution } from 'otpgate';
 * const describe = (r: Resolution) => `${r.kind} by ${r.by}`;
 * ```
 */
export type Resolution = {
  /** Reset, or declined. */
  readonly kind: 'reset' | 'declined';
  /** The administrator who acted. */
  readonly by: string;
  /** When (ms since the epoch). */
  readonly at: number;
  /** The request it answered, or `null` for a reset without one. */
  readonly requestId: string | null;
};

/**
 * An event waiting in the record's outbox: stored with the change it reports,
 * removed once the notifier took it. `claim` marks a delivery in progress so
 * two servers do not send it both; a claim that outlives `until` (the server
 * died) is taken over.
 *
 * @internal
 */
export type OutboxEntry = {
  readonly event: GateEvent;
  readonly claim: { readonly token: string; readonly until: number } | null;
  /** Failed deliveries so far. */
  readonly attempts: number;
  /** After a failure, no call tries the event again before this time (absent: at once). */
  readonly retryAt?: number | undefined;
};

/**
 * The record the gate keeps for one user (schema 1). A plain JSON value, so
 * any store can keep it; stores rely only on `resetRequest`.
 *
 * Invariants, checked by {@link parseGateRecord} and kept by every
 * transition: `state` is `enrolled` exactly when `active` is set or a
 * passkey is stored, and `enrolling` exactly when only `pending` is.
 *
 * @internal
 */
export type GateRecord = {
  readonly schema: 1;
  readonly state: MfaState;
  /**
   * Postpones used, the login attempts that used them recently (one login
   * postpones once), and when the last one did (absent in records written
   * before it was kept: no attempt counts as recent then).
   */
  readonly postpones: { readonly used: number; readonly attempts: readonly string[]; readonly lastAt?: number | null };
  /** The user opted in where 2-step is not required. */
  readonly voluntary: boolean;
  /** An administrator reset the user: set-up is mandatory, with no postpones. */
  readonly mustEnroll: boolean;
  readonly pending: PendingSecret | null;
  /** The first authenticator (see authenticators.ts). */
  readonly active: ActiveSecret | null;
  /** Authenticators after the first; absent in records written before there could be several. */
  readonly additional?: readonly ActiveSecret[] | undefined;
  readonly throttle: Throttle;
  readonly recoveryCodes: readonly RecoveryHash[];
  readonly resetRequest: ResetRequestRecord | null;
  readonly lastResolution: Resolution | null;
  readonly outbox: readonly OutboxEntry[];
  /**
   * When each administrator was last notified of a reset request of this
   * user, kept past the request so that declining it and asking again does
   * not notify them sooner than the cool-down allows. Entries older than the
   * cool-down are dropped. Absent in records written before it was kept.
   */
  readonly cooldowns?: { readonly [adminId: string]: number } | undefined;
  /** The id of the write that stored this version: after a store error the gate reads it back to learn whether its write happened. */
  readonly lastWrite?: string | undefined;
  /** Remembered devices; absent in records written before they existed. */
  readonly devices?: readonly TrustedDevice[] | undefined;
  /** Passkeys, after the TOTP authenticators in the list; absent in records written before there were any. */
  readonly passkeys?: readonly StoredPasskey[] | undefined;
  /** Passkey challenges handed out and not expired; absent before the first. */
  readonly passkeyChallenges?: readonly PasskeyChallenge[] | undefined;
  /** The WebAuthn user handle (32 random bytes, base64url), drawn at the first passkey registration and kept. */
  readonly passkeyUser?: string | undefined;
};

/**
 * The record of a user the store knows nothing about.
 *
 * @returns a fresh record in state `none`
 *
 * @internal
 */
export function initialRecord(): GateRecord {
  return {
    schema: 1,
    state: 'none',
    postpones: { used: 0, attempts: [], lastAt: null },
    voluntary: false,
    mustEnroll: false,
    pending: null,
    active: null,
    throttle: { failures: 0, locks: 0, lockedUntil: null, hardStop: false },
    recoveryCodes: [],
    resetRequest: null,
    lastResolution: null,
    outbox: [],
  };
}

/**
 * Checks that a value read from a store is a gate record this version
 * understands, so a foreign or corrupted row fails loudly instead of being
 * overwritten.
 *
 * @param value - the `record` a store returned
 * @returns the same value, typed
 * @throws {@link OtpError} `ERR_STORE` when it is not a schema-1 gate record
 *
 * @internal
 */
export function parseGateRecord(value: unknown): GateRecord {
  if (typeof value !== 'object' || value === null) return corrupt('it is not an object');
  const r = value as Partial<GateRecord>;
  if (r.schema !== 1) return corrupt('its schema is not 1');
  if (r.state !== 'none' && r.state !== 'enrolling' && r.state !== 'enrolled') return corrupt('its state is unknown');
  if (!isObject(r.postpones) || !isObject(r.throttle) || !Array.isArray(r.recoveryCodes) || !Array.isArray(r.outbox)) {
    return corrupt('a field is missing');
  }
  if (typeof r.voluntary !== 'boolean' || typeof r.mustEnroll !== 'boolean') return corrupt('a flag is missing');
  const hasActive = isObject(r.active);
  const hasPending = isObject(r.pending);
  if (!hasActive && r.active !== null) return corrupt('active is malformed');
  if (!hasPending && r.pending !== null) return corrupt('pending is malformed');
  if (r.resetRequest !== null && !isObject(r.resetRequest)) return corrupt('resetRequest is malformed');
  if (r.lastResolution !== null && !isObject(r.lastResolution)) return corrupt('lastResolution is malformed');
  if (r.passkeys !== undefined && !(Array.isArray(r.passkeys) && r.passkeys.every(isPasskey))) return corrupt('passkeys is malformed');
  const hasPasskeys = r.passkeys !== undefined && r.passkeys.length > 0;
  const expected: MfaState = hasActive || hasPasskeys ? 'enrolled' : hasPending ? 'enrolling' : 'none';
  if (r.state !== expected) return corrupt('its state disagrees with its secrets');
  // Every field a decision reads is checked too: a missing lastStep would
  // drop the replay floor, a missing hardStop would read as unlocked.
  const p = r.postpones as Loose;
  if (!count(p.used) || !isStrings(p.attempts) || !(p.lastAt === undefined || isTimeOrNull(p.lastAt))) return corrupt('postpones is malformed');
  const t = r.throttle as Loose;
  if (!count(t.failures) || !count(t.locks) || !isTimeOrNull(t.lockedUntil) || typeof t.hardStop !== 'boolean') return corrupt('throttle is malformed');
  if (hasPending && !isPending(r.pending)) return corrupt('pending is malformed');
  if (hasActive && !isActive(r.active)) return corrupt('active is malformed');
  if (r.additional !== undefined && !(Array.isArray(r.additional) && r.additional.every((a) => isObject(a) && isActive(a)) && (hasActive || r.additional.length === 0))) {
    return corrupt('additional is malformed');
  }
  if (!r.recoveryCodes.every(isRecoveryHash)) return corrupt('recoveryCodes is malformed');
  if (r.resetRequest !== null && !isRequest(r.resetRequest)) return corrupt('resetRequest is malformed');
  if (r.lastResolution !== null && !isResolution(r.lastResolution)) return corrupt('lastResolution is malformed');
  if (!r.outbox.every(isOutboxEntry)) return corrupt('outbox is malformed');
  if (r.cooldowns !== undefined && !isTimes(r.cooldowns)) return corrupt('cooldowns is malformed');
  if (r.lastWrite !== undefined && typeof r.lastWrite !== 'string') return corrupt('lastWrite is malformed');
  if (r.devices !== undefined && !(Array.isArray(r.devices) && r.devices.every(isDevice))) return corrupt('devices is malformed');
  if (r.passkeyChallenges !== undefined && !(Array.isArray(r.passkeyChallenges) && r.passkeyChallenges.every(isChallenge))) {
    return corrupt('passkeyChallenges is malformed');
  }
  if (r.passkeyUser !== undefined && !isBase64url(r.passkeyUser)) return corrupt('passkeyUser is malformed');
  return value as GateRecord;
}

type Loose = { readonly [key: string]: unknown };

function count(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function isTime(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

function isTimeOrNull(v: unknown): boolean {
  return v === null || isTime(v);
}

function isStrings(v: unknown): boolean {
  return Array.isArray(v) && v.every((item) => typeof item === 'string');
}

function isStoredSecret(v: Loose): boolean {
  return (
    typeof v.secret === 'string' &&
    typeof v.wrapped === 'boolean' &&
    (v.algorithm === 'SHA1' || v.algorithm === 'SHA256' || v.algorithm === 'SHA512') &&
    isInt(v.digits) &&
    isInt(v.period) &&
    (v.period as number) > 0
  );
}

function isPending(v: unknown): boolean {
  const p = v as Loose;
  return isStoredSecret(p) && isTime(p.createdAt) && isTime(p.expiresAt) && count(p.failures);
}

function isActive(v: unknown): boolean {
  const a = v as Loose;
  return (
    isStoredSecret(a) &&
    isTime(a.enrolledAt) &&
    isInt(a.lastStep) &&
    isInt(a.drift) &&
    (a.id === undefined || typeof a.id === 'string') &&
    (a.label === undefined || typeof a.label === 'string') &&
    (a.lastUsedAt === undefined || isTimeOrNull(a.lastUsedAt))
  );
}

function isRecoveryHash(v: unknown): boolean {
  const h = v as Loose;
  return isObject(h) && typeof h.salt === 'string' && typeof h.hash === 'string' && /^(?:[0-9a-f]{2})+$/.test(h.salt) && /^[0-9a-f]{64}$/.test(h.hash);
}

function isRequest(v: unknown): boolean {
  const q = v as Loose;
  return (
    typeof q.id === 'string' &&
    isStrings(q.to) &&
    isTime(q.requestedAt) &&
    isTime(q.expiresAt) &&
    isTimeOrNull(q.lastNotifiedAt) &&
    isTimes(q.notifiedAt)
  );
}

function isDevice(v: unknown): boolean {
  const d = v as Loose;
  return isObject(d) && typeof d.id === 'string' && typeof d.hash === 'string' && /^[0-9a-f]{64}$/.test(d.hash) && typeof d.label === 'string' && isTime(d.createdAt) && isTime(d.expiresAt);
}

function isBase64url(v: unknown): boolean {
  return typeof v === 'string' && /^[A-Za-z0-9_-]+$/.test(v);
}

function isPasskey(v: unknown): boolean {
  const k = v as Loose;
  return (
    isObject(k) &&
    typeof k.id === 'string' &&
    isBase64url(k.credentialId) &&
    isBase64url(k.publicKey) &&
    count(k.counter) &&
    isStrings(k.transports) &&
    typeof k.rpId === 'string' &&
    typeof k.label === 'string' &&
    isTime(k.createdAt) &&
    isTimeOrNull(k.lastUsedAt)
  );
}

function isChallenge(v: unknown): boolean {
  const c = v as Loose;
  return (
    isObject(c) &&
    isBase64url(c.challenge) &&
    (c.kind === 'registration' || c.kind === 'login') &&
    typeof c.rpId === 'string' &&
    isStrings(c.origins) &&
    (c.origins as unknown[]).length > 0 &&
    isTime(c.createdAt) &&
    isTime(c.expiresAt) &&
    typeof c.used === 'boolean' &&
    (c.label === undefined || typeof c.label === 'string')
  );
}

function isTimes(v: unknown): boolean {
  return isObject(v) && Object.values(v).every(isTime);
}

function isResolution(v: unknown): boolean {
  const z = v as Loose;
  return (z.kind === 'reset' || z.kind === 'declined') && typeof z.by === 'string' && isTime(z.at) && (z.requestId === null || typeof z.requestId === 'string');
}

function isOutboxEntry(v: unknown): boolean {
  if (!isObject(v)) return false;
  const { event, claim, attempts, retryAt } = v as Loose;
  if (!isObject(event) || !count(attempts) || !(retryAt === undefined || isTime(retryAt))) return false;
  const e = event as Loose;
  if (typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.userId !== 'string') return false;
  if (claim === null) return true;
  return isObject(claim) && typeof (claim as Loose).token === 'string' && isTime((claim as Loose).until);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function corrupt(why: string): never {
  throw new OtpError('ERR_STORE', `the stored 2-step verification record cannot be read: ${why}`);
}

import type { Resolution } from './record.js';

/**
 * What the login page shows after the password was accepted
 * (`gate.nextStep(userId)`):
 * `allow` (log in), `setup` (2-step set-up: mandatory when `required`, with
 * `postponesLeft` "Postpone setup" clicks; optional for a user who opted in),
 * `code` (ask for a one-time or recovery code) or `locked` (too many wrong
 * codes; `retryAt` is when to try again, `null` until a recovery code or an
 * administrator's reset: then `verify` still checks recovery codes, and
 * nothing else; every `lockAfter` wrong recovery codes shut those out too,
 * for `maxLockMs`).
 *
 * @example
 * ```ts
 * import type { NextStep } from 'otpgate';
 * function page(next: NextStep): string {
 *   switch (next.step) {
 *     case 'allow': return 'home';
 *     case 'setup': return next.postponesLeft > 0 ? 'setup-or-postpone' : 'setup';
 *     case 'code': return 'code';
 *     case 'locked': return 'locked';
 *   }
 * }
 * ```
 */
export type NextStep =
  | {
      /** Log the user in: 2-step verification does not apply, or this device is remembered. */
      readonly step: 'allow';
      /** Present when a remembered device's token let the user through (`nextStep(userId, { deviceToken })`). */
      readonly remembered?: true;
    }
  | {
      /** Show 2-step set-up. */
      readonly step: 'setup';
      /** Set-up is mandatory (offer "Postpone setup" while `postponesLeft` > 0); `false` for a user who opted in. */
      readonly required: boolean;
      /** "Postpone setup" clicks left. */
      readonly postponesLeft: number;
    }
  | {
      /** Ask for a one-time code (or a recovery code). */
      readonly step: 'code';
    }
  | {
      /** Too many wrong codes. */
      readonly step: 'locked';
      /** When to try again (ms since the epoch); `null` until a recovery code or an administrator's reset. */
      readonly retryAt: number | null;
    };

/**
 * The result of `gate.postpone`.
 *
 * @example
 * ```ts
 * import type { PostponeResult } from 'otpgate';
 * const message = (r: PostponeResult) => `You can postpone ${r.postponesLeft} more time(s).`;
 * ```
 */
export interface PostponeResult {
  /** Postpones left after this one. */
  readonly postponesLeft: number;
  /** `true` when this login attempt had postponed already and nothing was used. */
  readonly repeated: boolean;
}

/**
 * The result of `gate.confirmEnrollment` ("Verify and Save"). On success the
 * recovery codes are returned this once, in the clear: show them and forget
 * them. `attemptsLeft` counts the wrong codes the pending secret survives
 * (at 0 it was discarded: start again); `expired` means the pending secret
 * is older than the policy allows (start again); `limit` means the user has
 * as many authenticators as `policy.authenticators.max` allows, one having
 * been added since the set-up began (the pending secret was discarded);
 * `locked` means throttled.
 *
 * @example
 * ```ts
 * import type { ConfirmResult } from 'otpgate';
 * const show = (r: ConfirmResult) => (r.ok ? r.recoveryCodes.join('\n') : r.reason);
 * ```
 */
export type ConfirmResult =
  | {
      /** Enrolled. */
      readonly ok: true;
      /** The recovery codes, shown this once (empty when the policy turns them off). */
      readonly recoveryCodes: readonly string[];
    }
  | {
      /** Not enrolled. */
      readonly ok: false;
      /** The code was wrong. */
      readonly reason: 'invalid';
      /** Wrong codes the pending secret survives; at 0 it was discarded. */
      readonly attemptsLeft: number;
      /** Present when this failure locked the user: until when (`null`: hard stop). */
      readonly retryAt?: number | null;
    }
  | {
      /** Not enrolled. */
      readonly ok: false;
      /** The pending secret expired: begin again. */
      readonly reason: 'expired';
    }
  | {
      /** Nothing was confirmed now. */
      readonly ok: false;
      /** No set-up is pending and the user is enrolled: a second "Verify and Save" after a success (the first one showed the recovery codes). */
      readonly reason: 'already-enrolled';
    }
  | {
      /** Not enrolled. */
      readonly ok: false;
      /** No set-up is pending (never begun, or discarded after too many wrong codes): begin again. */
      readonly reason: 'no-setup';
    }
  | {
      /** Nothing was added. */
      readonly ok: false;
      /**
       * The code was right, but the user has as many authenticators as
       * `policy.authenticators.max` allows: one (a passkey, an import) was
       * added after this set-up began. The pending secret was discarded;
       * remove an authenticator, then begin again.
       */
      readonly reason: 'limit';
    }
  | {
      /** Not enrolled. */
      readonly ok: false;
      /** Throttled; the code was not checked. */
      readonly reason: 'locked';
      /** When to try again; `null` until a recovery code or an administrator's reset. */
      readonly retryAt: number | null;
    };

/**
 * Why a sensitive action's fresh code was refused (the failure was counted
 * like a wrong login code); also the refusals of {@link VerifyResult}.
 *
 * @example
 * ```ts
 * import type { ReauthRefusal } from 'otpgate';
 * const say = (r: ReauthRefusal) => (r.reason === 'locked' ? 'Too many wrong codes' : 'That code is not right');
 * ```
 */
export type ReauthRefusal =
  | {
      /** Refused. */
      readonly ok: false;
      /** Wrong, or already used (this step or a later one was accepted). */
      readonly reason: 'invalid' | 'replayed';
      /** Present when this failure locked the user: until when (`null`: hard stop). */
      readonly retryAt?: number | null;
    }
  | {
      /** Refused. */
      readonly ok: false;
      /** Throttled; the code was not checked. */
      readonly reason: 'locked';
      /** When to try again; `null` until a recovery code or an administrator's reset. */
      readonly retryAt: number | null;
    }
  | {
      /** Refused. */
      readonly ok: false;
      /** Nothing is enrolled to check the code against. */
      readonly reason: 'not-enrolled';
    };

/**
 * The result of `gate.verify` and `gate.verifyPasskey`. A refused code says
 * why: `invalid` (wrong), `replayed` (right, but that step or a later one was
 * accepted already; for a passkey: its challenge was answered already),
 * `locked` (not checked at all; `retryAt` as in {@link NextStep}) or
 * `not-enrolled`. `retryAt` on `invalid` or `replayed` means this failure
 * started a lock.
 *
 * @example
 * ```ts
 * import type { VerifyResult } from 'otpgate';
 * const loggedIn = (r: VerifyResult) => r.ok;
 * ```
 */
export type VerifyResult =
  | {
      /** Accepted. */
      readonly ok: true;
      /** A one-time code. */
      readonly method: 'totp';
      /** Unused recovery codes left: suggest new ones when few are. */
      readonly recoveryCodesLeft: number;
      /** With `rememberDevice`: the token to keep in the browser (a long-lived, HttpOnly cookie) and pass to `nextStep`. Shown once. */
      readonly deviceToken?: string;
    }
  | {
      /** Accepted. */
      readonly ok: true;
      /** A recovery code, now used up. */
      readonly method: 'recovery';
      /** Unused recovery codes left: suggest new ones when few are. */
      readonly recoveryCodesLeft: number;
      /** With `rememberDevice`: the token to keep in the browser. */
      readonly deviceToken?: string;
    }
  | {
      /** Accepted. */
      readonly ok: true;
      /** A passkey's answer (`verifyPasskey`); its challenge is now used up. */
      readonly method: 'passkey';
      /** Unused recovery codes left: suggest new ones when few are. */
      readonly recoveryCodesLeft: number;
      /** With `rememberDevice`: the token to keep in the browser. */
      readonly deviceToken?: string;
    }
  | ReauthRefusal;

/**
 * The result of `gate.disable` and `gate.removeAuthenticator`: done, or the
 * fresh code was refused.
 *
 * @example
 * ```ts
 * import type { RemoveResult } from 'otpgate';
 * const done = (r: RemoveResult) => r.ok;
 * ```
 */
export type RemoveResult =
  | {
      /** Done. */
      readonly ok: true;
    }
  | ReauthRefusal;

/**
 * The result of `gate.regenerateRecoveryCodes`: the new codes, shown this
 * once (the old ones no longer work), or the fresh code was refused.
 *
 * @example
 * ```ts
 * import type { RecoveryCodesResult } from 'otpgate';
 * const show = (r: RecoveryCodesResult) => (r.ok ? r.recoveryCodes.join('\n') : r.reason);
 * ```
 */
export type RecoveryCodesResult =
  | {
      /** Done: the old codes no longer work. */
      readonly ok: true;
      /** The new codes, shown this once. */
      readonly recoveryCodes: readonly string[];
    }
  | ReauthRefusal;

/**
 * One authenticator as a settings page lists it (never its secret).
 *
 * @example
 * ```ts
 * import type { AuthenticatorInfo } from 'otpgate';
 * const line = (a: AuthenticatorInfo) => `${a.label}, last used ${a.lastUsedAt === null ? 'never' : new Date(a.lastUsedAt).toISOString()}`;
 * ```
 */
export interface AuthenticatorInfo {
  /** Pass it to `removeAuthenticator` and `renameAuthenticator`. */
  readonly id: string;
  /** An authenticator app (TOTP), or a passkey (WebAuthn). */
  readonly type: 'totp' | 'passkey';
  /** The name the user gave it. */
  readonly label: string;
  /** When it was enrolled (ms since the epoch). */
  readonly createdAt: number;
  /** When it last produced an accepted code (or passkey answer), or `null`. */
  readonly lastUsedAt: number | null;
}

/**
 * The result of `gate.confirmPasskeyRegistration`. On success the passkey is
 * stored, and when it is the user's first authenticator (set-up by passkey)
 * the recovery codes come with it, this once, as from `confirmEnrollment`.
 * Refusals: `no-challenge` (none was handed out, it was used by an answer
 * that failed, or an administrator's reset cleared it: begin again),
 * `expired` (begin again), `invalid` (the answer does not verify: another
 * challenge, origin or relying party, a bad signature, or no user
 * verification where the policy requires it; the challenge is used up),
 * `already-registered` (this passkey is the user's already: a second submit
 * after a success), `limit` (as many authenticators as
 * `policy.authenticators.max` allows) and `locked` (throttled by wrong codes;
 * nothing was checked).
 *
 * @example
 * ```ts
 * import type { PasskeyRegistrationResult } from 'otpgate';
 * const say = (r: PasskeyRegistrationResult) => (r.ok ? `added ${r.authenticatorId}` : r.reason);
 * ```
 */
export type PasskeyRegistrationResult =
  | {
      /** Stored. */
      readonly ok: true;
      /** The new authenticator, as `authenticators` lists it. */
      readonly authenticatorId: string;
      /** Present when this passkey made the user enrolled: the recovery codes, shown this once (empty when the policy turns them off). */
      readonly recoveryCodes?: readonly string[];
    }
  | {
      /** Nothing was stored. */
      readonly ok: false;
      /** Why. */
      readonly reason: 'no-challenge' | 'expired' | 'invalid' | 'already-registered' | 'limit';
    }
  | {
      /** Nothing was stored or checked. */
      readonly ok: false;
      /** Throttled by wrong codes. */
      readonly reason: 'locked';
      /** When to try again; `null` until a recovery code or an administrator's reset. */
      readonly retryAt: number | null;
    };

/**
 * Where a user stands, for a settings page (`gate.status(userId)`).
 *
 * @example
 * ```ts
 * import type { Status } from 'otpgate';
 * const offerTurnOff = (s: Status) => s.state === 'enrolled' && !s.required;
 * ```
 */
export interface Status {
  /** `none`, `enrolling` (a set-up is pending) or `enrolled`. */
  readonly state: 'none' | 'enrolling' | 'enrolled';
  /** The company requires 2-step verification for this user (or an administrator's reset does): it cannot be turned off. */
  readonly required: boolean;
  /** 2-step verification applies at login: enrolled, required or opted in. */
  readonly enabled: boolean;
  /** When the first authenticator still enrolled was set up, or `null`. */
  readonly enrolledAt: number | null;
  /** The user's authenticators. */
  readonly authenticators: readonly AuthenticatorInfo[];
  /** Unused recovery codes. */
  readonly recoveryCodesLeft: number;
  /** The lock in force, or `null` when not locked. */
  readonly locked: {
    /** When it ends; `null` for a hard stop (until a recovery code or an administrator's reset). */
    readonly retryAt: number | null;
  } | null;
  /** The open "Lost 2-Step Verification code?" request, or `null`. */
  readonly resetRequest: {
    /** As `pendingResets` lists it. */
    readonly requestId: string;
    /** The administrators asked. */
    readonly to: readonly string[];
    /** When it was made. */
    readonly requestedAt: number;
    /** When it expires. */
    readonly expiresAt: number;
  } | null;
  /** "Postpone setup" clicks left (0 once enrolled). */
  readonly postponesLeft: number;
  /** Remembered devices that have not expired. */
  readonly trustedDevices: readonly TrustedDeviceInfo[];
}

/**
 * A remembered device as a settings page lists it (never its token).
 *
 * @example
 * ```ts
 * import type { TrustedDeviceInfo } from 'otpgate';
 * const line = (d: TrustedDeviceInfo) => `${d.label} until ${new Date(d.expiresAt).toDateString()}`;
 * ```
 */
export interface TrustedDeviceInfo {
  /** Pass it to `forgetDevice`. */
  readonly id: string;
  /** The name given when it was remembered ("Firefox on Linux"). */
  readonly label: string;
  /** When it was remembered. */
  readonly createdAt: number;
  /** When it stops being remembered. */
  readonly expiresAt: number;
}

/**
 * The result of `gate.requestReset`: the request and exactly the
 * administrators notified this time.
 *
 * @example
 * ```ts
 * import type { ResetRequestResult } from 'otpgate';
 * const message = (r: ResetRequestResult) => `Sent to ${r.to.length} administrator(s).`;
 * ```
 */
export interface ResetRequestResult {
  /** The user's open request (the same one when asked again). */
  readonly requestId: string;
  /** The administrators notified by this call: those asked now, and any an earlier call of this request failed to reach. */
  readonly to: readonly string[];
  /** When the request expires. */
  readonly expiresAt: number;
}

/**
 * The result of `gate.reset` and `gate.decline`. `ok: false` is what the
 * administrators who acted second see: another administrator handled it
 * (`handled` says who, how and when), or there was nothing to do.
 * `notified: false` means the change was stored but the notifier failed:
 * the event stays queued and `gate.flushNotifications(userId)` sends it.
 *
 * @example
 * ```ts
 * import type { AdminActionResult } from 'otpgate';
 * const message = (r: AdminActionResult) => (r.ok ? 'done' : r.handled ? `already ${r.handled.kind} by ${r.handled.by}` : 'nothing to do');
 * ```
 */
export type AdminActionResult =
  | {
      /** Done. */
      readonly ok: true;
      /** Whether the notifier took the event telling the user. */
      readonly notified: boolean;
    }
  | {
      /** Nothing changed. */
      readonly ok: false;
      /** Another administrator handled it, or there was nothing to reset or decline. */
      readonly reason: 'already-handled' | 'nothing-to-do';
      /** How the last request or reset ended, or `null`. */
      readonly handled: Resolution | null;
    };

/**
 * One open request in an administrator's list (`gate.pendingResets`).
 *
 * @example
 * ```ts
 * import type { PendingReset } from 'otpgate';
 * const line = (p: PendingReset) => `${p.userId} asked on ${new Date(p.requestedAt).toISOString()}`;
 * ```
 */
export interface PendingReset {
  /** Who asked. */
  readonly userId: string;
  /** The request's id. */
  readonly requestId: string;
  /** The administrators the user asked. */
  readonly to: readonly string[];
  /** When it was first asked (ms since the epoch). */
  readonly requestedAt: number;
  /** When it expires. */
  readonly expiresAt: number;
}

/**
 * The result of `gate.flushNotifications`.
 *
 * @example
 * ```ts
 * import type { FlushResult } from 'otpgate';
 * const done = (r: FlushResult) => r.remaining === 0;
 * ```
 */
export interface FlushResult {
  /** Events the notifier took in this call. */
  readonly delivered: number;
  /** Events still queued (failed now, left for a later call when the notify budget ran out, or being sent by another call). */
  readonly remaining: number;
}

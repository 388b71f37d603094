import type { Resolution } from './record.js';

/**
 * What the login page shows after the password was accepted
 * (`gate.nextStep(userId)`):
 * `allow` (log in), `setup` (2-step set-up: mandatory when `required`, with
 * `postponesLeft` "Postpone setup" clicks; optional for a user who opted in),
 * `code` (ask for a one-time or recovery code) or `locked` (too many wrong
 * codes; `retryAt` is when to try again, `null` until a recovery code or an
 * administrator's reset).
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
  | { readonly step: 'allow' }
  | { readonly step: 'setup'; readonly required: boolean; readonly postponesLeft: number }
  | { readonly step: 'code' }
  | { readonly step: 'locked'; readonly retryAt: number | null };

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
 * is older than the policy allows (start again); `locked` means throttled.
 *
 * @example
 * ```ts
 * import type { ConfirmResult } from 'otpgate';
 * const show = (r: ConfirmResult) => (r.ok ? r.recoveryCodes.join('\n') : r.reason);
 * ```
 */
export type ConfirmResult =
  | { readonly ok: true; readonly recoveryCodes: readonly string[] }
  | { readonly ok: false; readonly reason: 'invalid'; readonly attemptsLeft: number; readonly retryAt?: number | null }
  | { readonly ok: false; readonly reason: 'expired' }
  | { readonly ok: false; readonly reason: 'locked'; readonly retryAt: number | null };

/**
 * The result of `gate.verify`. A refused code says why: `invalid` (wrong),
 * `replayed` (right, but that step or a later one was accepted already),
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
  | { readonly ok: true; readonly method: 'totp' }
  | { readonly ok: true; readonly method: 'recovery'; readonly recoveryCodesLeft: number }
  | { readonly ok: false; readonly reason: 'invalid' | 'replayed'; readonly retryAt?: number | null }
  | { readonly ok: false; readonly reason: 'locked'; readonly retryAt: number | null }
  | { readonly ok: false; readonly reason: 'not-enrolled' };

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
  readonly requestId: string;
  readonly to: readonly string[];
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
  | { readonly ok: true; readonly notified: boolean }
  | { readonly ok: false; readonly reason: 'already-handled' | 'nothing-to-do'; readonly handled: Resolution | null };

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
  readonly userId: string;
  readonly requestId: string;
  /** The administrators the user asked. */
  readonly to: readonly string[];
  readonly requestedAt: number;
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
  /** Events still queued (failed now, or being sent by another call). */
  readonly remaining: number;
}

/**
 * What every {@link GateEvent} carries: who it is about, who acted, when,
 * and an id the notifier can use to drop a duplicate delivery. Events never
 * carry a secret, a one-time code or a recovery code.
 *
 * @example
 * ```ts
 * import type { GateEventBase } from 'otpgate';
 * const audit = (event: GateEventBase) => `${new Date(event.at).toISOString()} ${event.actor} on ${event.userId}`;
 * ```
 */
export interface GateEventBase {
  /** Random and unique; the same event delivered twice has the same id. */
  readonly id: string;
  /** The user whose 2-step verification the event is about. */
  readonly userId: string;
  /** Who caused it: the user's own id, or the administrator's id for `reset-completed` and `reset-declined`. */
  readonly actor: string;
  /** When the change was made, in milliseconds since the Unix epoch. */
  readonly at: number;
  /**
   * The `context` the call that caused the event was given (for example
   * `{ ip, userAgent, requestId }`), absent when it was given none.
   */
  readonly context?: JsonValue | undefined;
}

/**
 * A JSON value: what a call's `context` may hold and what every event
 * carries of it.
 *
 * @example
 * ```ts
 * import type { JsonValue } from 'otpgate';
 * const context: JsonValue = { ip: '203.0.113.7', userAgent: 'Firefox', requestId: 'req-42' };
 * ```
 */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * An event the gate emits after the state change it reports was stored,
 * discriminated on `type`:
 *
 * | type | when | extra fields |
 * |---|---|---|
 * | `postponed` | a login postponed set-up | `postponesLeft` |
 * | `enrollment-started` | a new pending secret was drawn | `renew` (the user was already enrolled), `expiresAt` |
 * | `enrollment-discarded` | too many wrong confirmations threw the pending secret away, or a right one came past `policy.authenticators.max` | `reason` (`'failures'` or `'limit'`) |
 * | `enrolled` | "Verify and Save" succeeded, or a passkey was registered | `renewed`, `recoveryCodes` (how many were issued), `authenticatorId`, `method` (`'passkey'` for a passkey) |
 * | `locked` | consecutive failures locked the user | `until` (`null`: until a recovery code or an administrator's reset), `failures` |
 * | `reset-requested` | the user asked administrators for a reset | `requestId`, `to` (exactly the administrators to notify), `expiresAt` |
 * | `reset-completed` | an administrator reset the user's 2-step verification | `requestId` (`null` without a request) |
 * | `reset-declined` | an administrator closed the request without resetting | `requestId` |
 * | `verified` | a login code or passkey (or a fresh one for a sensitive action) was accepted (its step or challenge is now used) | `delta` (steps between the phone's clock and the server's; 0 for a passkey), `authenticatorId`, `method` (`'passkey'` for a passkey) |
 * | `code-refused` | a login, set-up or re-authentication code or passkey answer was wrong or replayed, and counted as a failure | `during` (`'login'`, `'set-up'` or `'re-authentication'`), `reason`, `failures`, `method` (`'passkey'` for a passkey) |
 * | `passkey-cloned` | a passkey answered with a signature counter that did not go up: two authenticators share its key (WebAuthn §6.1.1); refused | `authenticatorId` |
 * | `recovery-code-used` | a recovery code was consumed (the login succeeded) | `remaining` |
 * | `recovery-codes-low` | a used recovery code left `policy.recovery.warnBelow` or fewer | `remaining` |
 * | `recovery-codes-regenerated` | new recovery codes replaced the old ones | `count` |
 * | `device-remembered` | a login asked to remember its device | `deviceId`, `expiresAt` |
 * | `devices-forgotten` | the user forgot remembered devices | `deviceIds` |
 * | `authenticator-removed` / `authenticator-renamed` | the user removed or renamed an authenticator | `authenticatorId` (and `remaining` for a removal) |
 * | `enabled` / `disabled` | the user opted in or out where 2-step is not required | — |
 * | `events-dropped` | more than 500 events waited for a notifier that kept failing; the oldest were dropped | `dropped` (how many), `types` (how many of each type) |
 *
 * Every event also carries the `context` its call was given, if any.
 *
 * @example
 * ```ts
 * import type { GateEvent, Notifier } from 'otpgate';
 * const notifier: Notifier = {
 *   async notify(event: GateEvent) {
 *     switch (event.type) {
 *       case 'reset-requested': console.log('mail', event.to.join(', '), 'about', event.userId); break;
 *       case 'reset-completed': console.log('mail', event.userId, 'to set up 2-step again'); break;
 *       default: console.log('audit', event.type, event.userId);
 *     }
 *   },
 * };
 * ```
 */
export type GateEvent =
  | (GateEventBase & {
      /** A login postponed set-up. */
      readonly type: 'postponed';
      /** Postpones left after this one. */
      readonly postponesLeft: number;
    })
  | (GateEventBase & {
      /** A new pending secret was drawn. */
      readonly type: 'enrollment-started';
      /** The user was enrolled already and is re-enrolling. */
      readonly renew: boolean;
      /** When the pending secret expires unless confirmed. */
      readonly expiresAt: number;
    })
  | (GateEventBase & {
      /** The pending secret was thrown away. */
      readonly type: 'enrollment-discarded';
      /**
       * Why: too many wrong confirmations (`failures`), or a right one that
       * came when the user had as many authenticators as
       * `policy.authenticators.max` allows, one having been added since the
       * set-up began (`limit`).
       */
      readonly reason: 'failures' | 'limit';
    })
  | (GateEventBase & {
      /** "Verify and Save" succeeded. */
      readonly type: 'enrolled';
      /** A new secret replaced an active one. */
      readonly renewed: boolean;
      /** How many recovery codes were issued (never the codes); 0 when an authenticator was added and the codes stayed. */
      readonly recoveryCodes: number;
      /** The new authenticator. */
      readonly authenticatorId?: string | undefined;
      /** `'passkey'` when a passkey was registered; absent for an authenticator app. */
      readonly method?: 'totp' | 'passkey' | undefined;
    })
  | (GateEventBase & {
      /** Consecutive failures locked the user. */
      readonly type: 'locked';
      /** The end of the lock; `null` until a recovery code or an administrator's reset. */
      readonly until: number | null;
      /** Consecutive failures so far. */
      readonly failures: number;
    })
  | (GateEventBase & {
      /** The user asked administrators for a reset. */
      readonly type: 'reset-requested';
      /** The request, as listed by `pendingResets`. */
      readonly requestId: string;
      /** Exactly the administrators to notify now. */
      readonly to: readonly string[];
      /** When the request expires. */
      readonly expiresAt: number;
    })
  | (GateEventBase & {
      /** An administrator reset the user's 2-step verification: tell the user to set it up again. */
      readonly type: 'reset-completed';
      /** The request it answered, or `null` for a reset without one. */
      readonly requestId: string | null;
    })
  | (GateEventBase & {
      /** An administrator closed the request without resetting. */
      readonly type: 'reset-declined';
      /** The request closed. */
      readonly requestId: string;
    })
  | (GateEventBase & {
      /** A login code was accepted; its step can never be used again. */
      readonly type: 'verified';
      /** The matched step minus the server's step: the phone's clock drift, in steps. */
      readonly delta: number;
      /** The authenticator whose code it was. */
      readonly authenticatorId?: string | undefined;
      /** `'passkey'` when a passkey answered; absent for a code. */
      readonly method?: 'totp' | 'passkey' | undefined;
    })
  | (GateEventBase & {
      /** A code or a passkey's answer was refused and counted as a failed attempt (a refusal while locked is not counted and emits nothing). */
      readonly type: 'code-refused';
      /** At a login (`verify`), at "Verify and Save" (`confirmEnrollment`), or as the fresh code of a sensitive action. */
      readonly during: 'login' | 'set-up' | 're-authentication';
      /** `'replayed'`: a code that was right once and is used up; `'invalid'`: anything else. */
      readonly reason: 'invalid' | 'replayed';
      /** Consecutive failures, this one included. */
      readonly failures: number;
      /** `'passkey'` when a passkey's answer was refused; absent for a code. */
      readonly method?: 'totp' | 'passkey' | undefined;
    })
  | (GateEventBase & {
      /**
       * A passkey answered with a signature counter that did not go up since
       * its last answer: its private key is in two authenticators (a clone),
       * as the WebAuthn specification warns. The answer was refused; the
       * passkey stays until the user or an administrator removes it.
       */
      readonly type: 'passkey-cloned';
      /** The passkey. */
      readonly authenticatorId: string;
    })
  | (GateEventBase & {
      /** A recovery code was consumed. */
      readonly type: 'recovery-code-used';
      /** Unused recovery codes left. */
      readonly remaining: number;
    })
  | (GateEventBase & {
      /** A used recovery code left few: suggest new ones. */
      readonly type: 'recovery-codes-low';
      /** Unused recovery codes left. */
      readonly remaining: number;
    })
  | (GateEventBase & {
      /** New recovery codes replaced the old ones. */
      readonly type: 'recovery-codes-regenerated';
      /** How many were issued (never the codes). */
      readonly count: number;
    })
  | (GateEventBase & {
      /** The user removed an authenticator. */
      readonly type: 'authenticator-removed';
      /** The one removed. */
      readonly authenticatorId: string;
      /** Authenticators left. */
      readonly remaining: number;
    })
  | (GateEventBase & {
      /** A login asked to remember its device: later logins from it skip the code until it expires. */
      readonly type: 'device-remembered';
      /** The device, as `trustedDevices` lists it. */
      readonly deviceId: string;
      /** When it stops being remembered. */
      readonly expiresAt: number;
    })
  | (GateEventBase & {
      /** The user forgot remembered devices. */
      readonly type: 'devices-forgotten';
      /** Which. */
      readonly deviceIds: readonly string[];
    })
  | (GateEventBase & {
      /** The user renamed an authenticator. */
      readonly type: 'authenticator-renamed';
      /** The one renamed. */
      readonly authenticatorId: string;
    })
  | (GateEventBase & {
      /** The user opted in where 2-step verification is not required. */
      readonly type: 'enabled';
    })
  | (GateEventBase & {
      /** The user opted out; their enrollment was deleted. */
      readonly type: 'disabled';
    })
  | (GateEventBase & {
      /** Undelivered events were dropped: the notifier kept failing and the user's queue was full. */
      readonly type: 'events-dropped';
      /** How many events were dropped. */
      readonly dropped: number;
      /** How many of each type were dropped. */
      readonly types: { readonly [type: string]: number };
    });

/**
 * The `type` of a {@link GateEvent}.
 *
 * @example
 * ```ts
 * import type { GateEventType } from 'otpgate';
 * const mailed: GateEventType[] = ['reset-requested', 'reset-completed'];
 * ```
 */
export type GateEventType = GateEvent['type'];

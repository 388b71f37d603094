// The gate's policy as one pure function (STYLE.md rule 6): decide(record,
// command, ctx) -> { next, events, result }. No clock, no I/O, no randomness:
// the shell (gate.ts) passes the time, the decrypted keys and any fresh secret,
// ids or recovery codes in `ctx`, then stores `next` by compare-and-set and
// delivers the events from the record's outbox.
import { prepareKey } from '../core/secret.js';
import { verifyTotp } from '../core/totp.js';
import { OtpError, type OtpErrorCode } from '../errors.js';
import type { GateEvent, JsonValue } from './events.js';
import { enqueue } from './outbox.js';
import type { ResolvedPolicy } from './policy.js';
import { authenticatorCount, authenticatorsOf, hasAuthenticator, idOf, labelOf, passkeysOf, withAuthenticators } from './authenticators.js';
import { findDevice, hashDeviceToken, liveDevices } from './devices.js';
import {
  addChallenge,
  answerable,
  consumeChallenge,
  findChallenge,
  findPasskey,
  isCloned,
  type AssertionCheck,
  type PasskeyClaim,
  type RegistrationCheck,
} from './passkeys.js';
import type { ActiveSecret, GateRecord, MfaState, PasskeyChallenge, PendingSecret, ResetRequestRecord, StoredPasskey, Throttle, TrustedDevice } from './record.js';
import { findRecoveryCode, normalizeRecoveryCode, type IssuedRecoveryCodes } from './recovery.js';
import type {
  AdminActionResult,
  ConfirmResult,
  NextStep,
  PasskeyRegistrationResult,
  PostponeResult,
  ReauthRefusal,
  RecoveryCodesResult,
  RemoveResult,
  ResetRequestResult,
  Status,
  VerifyResult,
} from './results.js';

/**
 * @internal
 * The fresh proof a sensitive action carries: a code (one-time or recovery),
 * or a passkey's answer to a login challenge (verified by the shell into
 * `ctx.assertion`). At most one of the two.
 */
export interface Proof {
  readonly code?: string | undefined;
  readonly passkey?: PasskeyClaim | undefined;
}

/** @internal Everything a user or an administrator can ask of the gate. */
export type Command =
  | { readonly type: 'inspect'; readonly deviceToken?: string | undefined }
  | { readonly type: 'postpone'; readonly attempt?: string | undefined }
  | ({ readonly type: 'begin-enrollment'; readonly renew: boolean; readonly label?: string | undefined } & Proof)
  | { readonly type: 'confirm-enrollment'; readonly code: string }
  | { readonly type: 'verify'; readonly code: string; readonly rememberDevice?: { readonly label: string } | undefined }
  | { readonly type: 'request-reset'; readonly to: readonly string[] }
  | { readonly type: 'reset'; readonly adminId: string; readonly requestId?: string | undefined }
  | { readonly type: 'decline'; readonly adminId: string; readonly requestId?: string | undefined }
  | { readonly type: 'enable' }
  | ({ readonly type: 'disable' } & Proof)
  | ({ readonly type: 'remove-authenticator'; readonly id: string } & Proof)
  | { readonly type: 'rename-authenticator'; readonly id: string; readonly label: string }
  | ({ readonly type: 'regenerate-recovery-codes' } & Proof)
  | ({
      readonly type: 'begin-passkey';
      readonly kind: PasskeyChallenge['kind'];
      readonly rpId: string;
      readonly origins: readonly string[];
      /** Registration: the new passkey's name. */
      readonly label?: string | undefined;
    } & Proof)
  | ({ readonly type: 'confirm-passkey' } & PasskeyClaim)
  | ({ readonly type: 'verify-passkey'; readonly rememberDevice?: { readonly label: string } | undefined } & PasskeyClaim)
  | { readonly type: 'status' }
  | { readonly type: 'forget-device'; readonly id: string }
  | { readonly type: 'forget-all-devices' }
  | {
      readonly type: 'import';
      readonly algorithm: ActiveSecret['algorithm'];
      readonly digits: number;
      readonly period: number;
      readonly lastStep: number;
      readonly label: string | undefined;
      readonly add: boolean;
    };

/** @internal What `begin-enrollment` decided: the secret to show, new or the pending one again, or why the re-authentication failed. */
export type BeginResult =
  | {
      readonly secret: string;
      readonly algorithm: PendingSecret['algorithm'];
      readonly digits: number;
      readonly period: number;
      readonly expiresAt: number;
      /** `true` when the pending secret came back unchanged (a page reload). */
      readonly reused: boolean;
    }
  | { readonly refused: ReauthRefusal };

/**
 * @internal
 * What `begin-passkey` decided: the challenge stored, with what the shell
 * needs to build the browser's options, or why the re-authentication failed.
 */
export type BeginPasskeyResult =
  | {
      readonly challenge: string;
      readonly expiresAt: number;
      /** The WebAuthn user handle (registration). */
      readonly userHandle: string;
      /** Login: the passkeys that may answer; registration: those already registered (not to register again). */
      readonly credentials: ReadonlyArray<{ readonly credentialId: string; readonly transports: readonly string[] }>;
    }
  | { readonly refused: ReauthRefusal };

/** @internal The result type of each command. */
export interface Results {
  readonly inspect: NextStep;
  readonly postpone: PostponeResult;
  readonly 'begin-enrollment': BeginResult;
  readonly 'confirm-enrollment': ConfirmResult;
  readonly verify: VerifyResult;
  readonly 'request-reset': ResetRequestResult;
  readonly reset: AdminActionResult;
  readonly decline: AdminActionResult;
  readonly enable: { readonly enabled: true };
  readonly disable: RemoveResult;
  readonly 'remove-authenticator': RemoveResult;
  readonly 'rename-authenticator': { readonly renamed: true };
  readonly 'regenerate-recovery-codes': RecoveryCodesResult;
  readonly status: Status;
  readonly 'forget-device': { readonly forgotten: boolean };
  readonly 'forget-all-devices': { readonly forgotten: number };
  readonly import: { readonly authenticatorId: string };
  readonly 'begin-passkey': BeginPasskeyResult;
  readonly 'confirm-passkey': PasskeyRegistrationResult;
  readonly 'verify-passkey': VerifyResult;
}

/** @internal What the shell must put in `ctx` for a command (see {@link TRANSITIONS}). */
export type Need = 'required' | 'pendingKey' | 'activeKey' | 'freshSecret' | 'recoveryCodes' | 'deviceToken' | 'freshChallenge' | 'assertion' | 'registration';

/** @internal The inputs of one decision, gathered by the shell. */
export interface DecideContext {
  readonly userId: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly policy: ResolvedPolicy;
  /** A fresh unique id: events are numbered under it, and a new reset request takes it. */
  readonly id: string;
  /** The caller's `context`, carried by every event of this decision. */
  readonly context?: JsonValue | undefined;
  /** Whether 2-step verification is required for this user (need `required`). */
  readonly required?: boolean | undefined;
  /** The pending secret in base32, decrypted (need `pendingKey`, when there is one). */
  readonly pendingKey?: string | undefined;
  /** The first authenticator's secret in base32, decrypted (need `activeKey`, when there is one). */
  readonly activeKey?: string | undefined;
  /** Every authenticator's secret in base32, decrypted, in the record's order (need `activeKey`); `[activeKey]` when absent. */
  readonly activeKeys?: readonly string[] | undefined;
  /** A secret drawn for a new enrollment: base32, and as it is to be stored (need `freshSecret`). */
  readonly freshSecret?: { readonly plain: string; readonly stored: string; readonly wrapped: boolean } | undefined;
  /** Recovery codes drawn for a confirmation (need `recoveryCodes`). */
  readonly recoveryCodes?: IssuedRecoveryCodes | undefined;
  /** A fresh device token (256 random bits, hex), drawn when a verify asks to remember the device. */
  readonly deviceToken?: string | undefined;
  /** A challenge and a WebAuthn user handle drawn for `begin-passkey` (32 random bytes each, base64url; need `freshChallenge`). */
  readonly freshChallenge?: { readonly challenge: string; readonly userHandle: string } | undefined;
  /** The shell's verdict on the command's passkey answer, against this record (need `assertion`, when the command carries one). */
  readonly assertion?: AssertionCheck | undefined;
  /** The shell's verdict on a passkey registration, against this record (need `registration`). */
  readonly registration?: RegistrationCheck | undefined;
}

/** @internal A decision: the record to store (the same object when nothing changes), its events, the caller's result. */
export interface Decision<R> {
  readonly next: GateRecord;
  readonly events: readonly GateEvent[];
  readonly result: R;
}

type Handler<C extends Command> = (record: GateRecord, command: C, ctx: DecideContext, emit: Emit) => Outcome<Results[C['type']]>;
type Outcome<R> = { readonly next: GateRecord; readonly result: R };
type Emit = (event: EventFields) => void;
type EventFields = GateEvent extends infer E ? (E extends GateEvent ? Omit<E, 'id' | 'userId' | 'at' | 'actor'> & { actor?: string } : never) : never;

interface Rule<C extends Command> {
  /** The states the command is legal from. */
  readonly from: readonly MfaState[];
  /** The error for any other state. */
  readonly otherwise: OtpErrorCode;
  /** What the shell must put in the context. */
  readonly needs: readonly Need[];
  readonly apply: Handler<C>;
}

const ANY: readonly MfaState[] = ['none', 'enrolling', 'enrolled'];
const NOT_ENROLLED: readonly MfaState[] = ['none', 'enrolling'];

/**
 * @internal
 * The legal moves, in one place. A command from a state not in `from` is
 * refused with `otherwise`; the guards inside each handler, refusing with
 * their own codes, are:
 *
 * | command | guards (refusal) |
 * |---|---|
 * | inspect | — (locked, enrolled, must enroll, required, opted in, allow: in that order) |
 * | postpone | after a reset or where not required (`ERR_POSTPONE_NOT_ALLOWED`); none left or past the deadline (`ERR_POSTPONE_LIMIT`); a login attempt that postponed in the last {@link POSTPONE_REPEAT_MS} uses nothing |
 * | begin-enrollment | — (the live pending secret comes back unless `renew`) |
 * | confirm-enrollment | no pending secret, expired or locked: a refusal value, the code unchecked |
 * | verify | not enrolled, locked: a refusal value, the code unchecked (a hard stop still checks recovery codes, rate-limited) |
 * | request-reset | not enrolled and not hard-stopped (`ERR_NOT_ENROLLED`); every chosen administrator notified within the cool-down (`ERR_COOLDOWN`) |
 * | reset | nothing to reset: a refusal value naming who handled it |
 * | decline | no open request: a refusal value naming who handled it |
 * | enable | required, or after a reset, or opted in already (`ERR_STATE`) |
 * | disable | required, or after a reset (`ERR_REQUIRED`); locked (`ERR_STATE`); nothing to disable (`ERR_NOT_ENROLLED`) |
 * | begin-passkey | login: no passkey for the RP id (`ERR_NOT_ENROLLED`); registration: as many authenticators as allowed (`ERR_LIMIT`); enrolled without a proof (`ERR_REAUTH_REQUIRED`) |
 * | confirm-passkey | no live challenge, or locked: a refusal value, the answer unused |
 * | verify-passkey | as verify: not enrolled, locked: a refusal value; a used challenge is `replayed` |
 */
export const TRANSITIONS: { readonly [T in Command['type']]: Rule<Extract<Command, { type: T }>> } = {
  inspect: { from: ANY, otherwise: 'ERR_STATE', needs: ['required'], apply: inspect },
  postpone: { from: NOT_ENROLLED, otherwise: 'ERR_STATE', needs: ['required'], apply: postpone },
  'begin-enrollment': { from: ANY, otherwise: 'ERR_STATE', needs: ['pendingKey', 'freshSecret', 'activeKey', 'assertion'], apply: beginEnrollment },
  'confirm-enrollment': {
    from: ANY,
    otherwise: 'ERR_STATE',
    needs: ['pendingKey', 'required', 'recoveryCodes'],
    apply: confirmEnrollment,
  },
  verify: { from: ANY, otherwise: 'ERR_STATE', needs: ['activeKey'], apply: verify },
  'request-reset': { from: ANY, otherwise: 'ERR_NOT_ENROLLED', needs: [], apply: requestReset },
  reset: { from: ANY, otherwise: 'ERR_STATE', needs: [], apply: reset },
  decline: { from: ANY, otherwise: 'ERR_STATE', needs: [], apply: decline },
  enable: { from: NOT_ENROLLED, otherwise: 'ERR_STATE', needs: ['required'], apply: enable },
  disable: { from: ANY, otherwise: 'ERR_STATE', needs: ['required', 'activeKey', 'assertion'], apply: disable },
  'remove-authenticator': { from: ['enrolled'], otherwise: 'ERR_NOT_ENROLLED', needs: ['required', 'activeKey', 'assertion'], apply: removeAuthenticator },
  'rename-authenticator': { from: ['enrolled'], otherwise: 'ERR_NOT_ENROLLED', needs: [], apply: renameAuthenticator },
  'regenerate-recovery-codes': { from: ['enrolled'], otherwise: 'ERR_NOT_ENROLLED', needs: ['activeKey', 'recoveryCodes', 'assertion'], apply: regenerateRecoveryCodes },
  status: { from: ANY, otherwise: 'ERR_STATE', needs: ['required'], apply: status },
  'forget-device': { from: ANY, otherwise: 'ERR_STATE', needs: [], apply: forgetDevice },
  'forget-all-devices': { from: ANY, otherwise: 'ERR_STATE', needs: [], apply: forgetAllDevices },
  import: { from: ANY, otherwise: 'ERR_STATE', needs: ['freshSecret'], apply: importEnrollment },
  'begin-passkey': { from: ANY, otherwise: 'ERR_STATE', needs: ['activeKey', 'freshChallenge', 'assertion'], apply: beginPasskey },
  'confirm-passkey': { from: ANY, otherwise: 'ERR_STATE', needs: ['required', 'recoveryCodes', 'registration'], apply: confirmPasskey },
  'verify-passkey': { from: ANY, otherwise: 'ERR_STATE', needs: ['assertion'], apply: verifyPasskey },
};

/** How long after a postpone the same login-attempt id counts as that postpone again (a double click, a second tab). */
export const POSTPONE_REPEAT_MS = 600_000;

/**
 * @internal
 * Decides one command on one record. Pure: the same inputs give the same
 * output, and `record` is never mutated. When nothing changes, `next` is
 * `record` itself, so the shell knows not to write.
 *
 * @throws {@link OtpError} for an illegal transition (the code of its rule or guard)
 */
export function decide<C extends Command>(record: GateRecord, command: C, ctx: DecideContext): Decision<Results[C['type']]> {
  const rule = TRANSITIONS[command.type] as unknown as Rule<C>;
  if (!rule.from.includes(record.state)) {
    refuse(rule.otherwise, `${command.type} is not allowed while 2-step verification is ${STATE_WORDS[record.state]}`);
  }
  const events: GateEvent[] = [];
  let serial = 0;
  const emit: Emit = (fields) => {
    const { actor, ...rest } = fields as EventFields & { actor?: string };
    const event = { ...rest, id: `${ctx.id}.${serial++}`, userId: ctx.userId, actor: actor ?? ctx.userId, at: ctx.now };
    events.push((ctx.context === undefined ? event : { ...event, context: ctx.context }) as GateEvent);
  };
  const { next, result } = rule.apply(record, command, ctx, emit);
  if (next === record && events.length === 0) return { next: record, events, result };
  const summary = () => ({ id: `${ctx.id}.${serial++}`, userId: ctx.userId, actor: ctx.userId, at: ctx.now, type: 'events-dropped' as const });
  return { next: tidy(next, events, ctx, summary), events, result };
}

const STATE_WORDS: { readonly [S in MfaState]: string } = {
  none: 'not set up',
  enrolling: 'being set up',
  enrolled: 'set up',
};

function refuse(code: OtpErrorCode, message: string): never {
  throw new OtpError(code, message);
}

function need<T>(value: T | undefined, name: Need): T {
  if (value === undefined) throw new OtpError('ERR_OPTIONS', `internal: the decision context lacks ${name}`);
  return value;
}

/**
 * Drops an expired request and lock end, keeps `state` in step with the
 * secrets, and queues the events. An expired pending secret stays until it is
 * replaced, so a late "Verify and Save" is told `expired`, whatever happened
 * in between.
 */
function tidy(record: GateRecord, events: readonly GateEvent[], ctx: DecideContext, summary: Parameters<typeof enqueue>[2]): GateRecord {
  const { now } = ctx;
  const pending = record.pending;
  const resetRequest = record.resetRequest !== null && now < record.resetRequest.expiresAt ? record.resetRequest : null;
  const t = record.throttle;
  const throttle = t.lockedUntil !== null && t.lockedUntil <= now ? { ...t, lockedUntil: null } : t;
  const state: MfaState = hasAuthenticator(record) ? 'enrolled' : pending !== null ? 'enrolling' : 'none';
  const next: GateRecord = { ...record, state, pending, resetRequest, throttle, outbox: enqueue(record.outbox, events, summary) };
  if (record.cooldowns === undefined) return next;
  // A cool-down over is forgotten, so the map holds only the administrators told recently.
  const cooldownMs = ctx.policy.reset.cooldownMs;
  return { ...next, cooldowns: Object.fromEntries(Object.entries(record.cooldowns).filter(([, at]) => now < at + cooldownMs)) };
}

const CLEAR: Throttle = { failures: 0, locks: 0, lockedUntil: null, hardStop: false };

/** The lock in force: `retryAt` null for a hard stop. */
function lockOf(t: Throttle, now: number): { retryAt: number | null } | null {
  if (t.hardStop) return { retryAt: null };
  if (t.lockedUntil !== null && now < t.lockedUntil) return { retryAt: t.lockedUntil };
  return null;
}

/**
 * One more consecutive failure (NIST SP 800-63B §5.2.2): every `lockAfter`
 * failures lock for `lockMs * lockGrowth^locks` (capped), and `hardStopAfter`
 * failures stop everything but recovery codes and an administrator's reset.
 */
function failOnce(t: Throttle, now: number, policy: ResolvedPolicy, emit: Emit): { throttle: Throttle; retryAt?: number | null } {
  const p = policy.throttle;
  const failures = t.failures + 1;
  if (failures >= p.hardStopAfter) {
    if (!t.hardStop) emit({ type: 'locked', until: null, failures });
    // Past the stop only recovery codes are checked; every `lockAfter` wrong
    // ones shut even those out for the longest lock, so the stop does not
    // turn into endless guessing at full speed.
    const beyond = failures - p.hardStopAfter;
    const lockedUntil = t.hardStop && beyond > 0 && beyond % p.lockAfter === 0 && p.maxLockMs > 0 ? now + p.maxLockMs : null;
    return { throttle: { ...t, failures, lockedUntil, hardStop: true }, retryAt: null };
  }
  if (failures % p.lockAfter === 0) {
    const ms = Math.min(p.maxLockMs, Math.round(p.lockMs * p.lockGrowth ** t.locks));
    if (ms > 0) {
      const until = now + ms;
      emit({ type: 'locked', until, failures });
      return { throttle: { ...t, failures, locks: t.locks + 1, lockedUntil: until }, retryAt: until };
    }
  }
  return { throttle: { ...t, failures } };
}

function livePending(record: GateRecord, now: number): PendingSecret | null {
  return record.pending !== null && now < record.pending.expiresAt ? record.pending : null;
}

function openRequest(record: GateRecord, now: number): ResetRequestRecord | null {
  return record.resetRequest !== null && now < record.resetRequest.expiresAt ? record.resetRequest : null;
}

function postponesLeft(record: GateRecord, ctx: DecideContext): number {
  const { maxPostpones, postponeDeadline } = ctx.policy;
  if (record.mustEnroll || (postponeDeadline !== null && ctx.now >= postponeDeadline)) return 0;
  return Math.max(0, maxPostpones - record.postpones.used);
}

function clampDrift(delta: number, policy: ResolvedPolicy): number {
  const bound = policy.code.maxDrift;
  return Math.max(-bound, Math.min(bound, delta));
}

function inspect(record: GateRecord, command: { readonly deviceToken?: string | undefined }, ctx: DecideContext): Outcome<NextStep> {
  const lock = lockOf(record.throttle, ctx.now);
  if (lock !== null) return { next: record, result: { step: 'locked', retryAt: lock.retryAt } };
  if (record.state === 'enrolled') {
    const remembered = ctx.policy.trustedDevices.enabled && command.deviceToken !== undefined && findDevice(record, command.deviceToken, ctx.now) !== undefined;
    return { next: record, result: remembered ? { step: 'allow', remembered: true } : { step: 'code' } };
  }
  if (record.mustEnroll) return { next: record, result: { step: 'setup', required: true, postponesLeft: 0 } };
  if (need(ctx.required, 'required')) {
    return { next: record, result: { step: 'setup', required: true, postponesLeft: postponesLeft(record, ctx) } };
  }
  if (record.voluntary) return { next: record, result: { step: 'setup', required: false, postponesLeft: 0 } };
  return { next: record, result: { step: 'allow' } };
}

function postpone(record: GateRecord, command: { readonly attempt?: string | undefined }, ctx: DecideContext, emit: Emit): Outcome<PostponeResult> {
  if (record.mustEnroll) refuse('ERR_POSTPONE_NOT_ALLOWED', 'set-up cannot be postponed after an administrator reset it');
  if (!need(ctx.required, 'required')) refuse('ERR_POSTPONE_NOT_ALLOWED', 'set-up cannot be postponed where 2-step verification is not required');
  const left = postponesLeft(record, ctx);
  const { attempt } = command;
  // A double click or a second tab of the same login must not use two; but
  // only while that login is recent, or an old attempt id sent again at a
  // later login would stand in for a postpone forever.
  const lastAt = record.postpones.lastAt ?? null;
  const recent = lastAt !== null && ctx.now >= lastAt && ctx.now - lastAt < POSTPONE_REPEAT_MS ? record.postpones.attempts : [];
  if (attempt !== undefined && recent.includes(attempt)) {
    return { next: record, result: { postponesLeft: left, repeated: true } };
  }
  if (left === 0) refuse('ERR_POSTPONE_LIMIT', 'no postpone is left: set-up is mandatory now');
  const attempts = attempt === undefined ? recent : [...recent, attempt].slice(-32);
  emit({ type: 'postponed', postponesLeft: left - 1 });
  return {
    next: { ...record, postpones: { used: record.postpones.used + 1, attempts, lastAt: ctx.now } },
    result: { postponesLeft: left - 1, repeated: false },
  };
}

function beginEnrollment(
  record: GateRecord,
  command: { readonly renew: boolean; readonly label?: string | undefined } & Proof,
  ctx: DecideContext,
  emit: Emit,
): Outcome<BeginResult> {
  // While enrolled this adds an authenticator: only after a fresh code, or a
  // password alone would let anyone add their own phone.
  const enrolled = hasAuthenticator(record);
  if (enrolled) {
    if (authenticatorCount(record) >= ctx.policy.authenticators.max) {
      refuse('ERR_LIMIT', `at most ${ctx.policy.authenticators.max} authenticators per user`);
    }
    const check = reauthenticate(record, command, ctx, emit, 'adding an authenticator');
    if (!check.ok) return { next: check.outcome.next, result: { refused: check.outcome.result } };
    record = check.record;
  }
  const live = livePending(record, ctx.now);
  // A page reload must not break the QR code being scanned.
  if (live !== null && !command.renew) {
    const { algorithm, digits, period, expiresAt } = live;
    const relabelled = command.label === undefined || command.label === live.label ? record : { ...record, pending: { ...live, label: command.label } };
    return { next: relabelled, result: { secret: need(ctx.pendingKey, 'pendingKey'), algorithm, digits, period, expiresAt, reused: true } };
  }
  const fresh = need(ctx.freshSecret, 'freshSecret');
  const { algorithm, digits, period } = ctx.policy.code;
  const expiresAt = ctx.now + ctx.policy.enrollment.ttlMs;
  const pending: PendingSecret = {
    secret: fresh.stored,
    wrapped: fresh.wrapped,
    algorithm,
    digits,
    period,
    createdAt: ctx.now,
    expiresAt,
    failures: 0,
    ...(command.label === undefined ? {} : { label: command.label }),
  };
  emit({ type: 'enrollment-started', renew: enrolled, expiresAt });
  return { next: { ...record, pending }, result: { secret: fresh.plain, algorithm, digits, period, expiresAt, reused: false } };
}

function confirmEnrollment(record: GateRecord, command: { readonly code: string }, ctx: DecideContext, emit: Emit): Outcome<ConfirmResult> {
  const pending = record.pending;
  // A double-clicked "Verify and Save", or one more after the pending secret was discarded: an answer, not an error.
  if (pending === null) return { next: record, result: { ok: false, reason: hasAuthenticator(record) ? 'already-enrolled' : 'no-setup' } };
  if (ctx.now >= pending.expiresAt) return { next: record, result: { ok: false, reason: 'expired' } };
  const lock = lockOf(record.throttle, ctx.now);
  if (lock !== null) return { next: record, result: { ok: false, reason: 'locked', retryAt: lock.retryAt } };

  const match = verifyTotp(need(ctx.pendingKey, 'pendingKey'), command.code, {
    now: new Date(ctx.now),
    algorithm: pending.algorithm,
    digits: pending.digits,
    period: pending.period,
    window: ctx.policy.code.window,
  });
  if (match !== null) {
    // The limit was checked when the set-up began; another authenticator
    // (a passkey, an import) may have been added since. The pending secret
    // can never be added now, so it goes: its code then confirms nothing and,
    // the secret never having been an authenticator, logs nobody in (no
    // replay floor to keep). A right code is not counted as a failure.
    if (authenticatorCount(record) >= ctx.policy.authenticators.max) {
      emit({ type: 'enrollment-discarded', reason: 'limit' });
      return { next: { ...record, pending: null }, result: { ok: false, reason: 'limit' } };
    }
    const { secret, wrapped, algorithm, digits, period } = pending;
    const existing = authenticatorsOf(record);
    // The confirming step is consumed: the same code cannot log in afterwards.
    const added: ActiveSecret = {
      secret,
      wrapped,
      algorithm,
      digits,
      period,
      enrolledAt: ctx.now,
      lastStep: match.step,
      drift: clampDrift(match.delta, ctx.policy),
      id: `a${ctx.id}`,
      label: pending.label ?? (existing.length === 0 ? 'Authenticator app' : `Authenticator app ${existing.length + 1}`),
      lastUsedAt: null,
    };
    if (hasAuthenticator(record)) {
      // One more authenticator: the recovery codes stay as they are.
      emit({ type: 'enrolled', renewed: true, recoveryCodes: 0, authenticatorId: added.id! });
      return {
        next: { ...withAuthenticators(record, [...existing, added]), pending: null, throttle: CLEAR },
        result: { ok: true, recoveryCodes: [] },
      };
    }
    const issued = need(ctx.recoveryCodes, 'recoveryCodes');
    emit({ type: 'enrolled', renewed: false, recoveryCodes: issued.hashes.length, authenticatorId: added.id! });
    return {
      next: {
        ...withoutSetUps(withAuthenticators(record, [added])),
        pending: null,
        throttle: CLEAR,
        recoveryCodes: issued.hashes,
        mustEnroll: false,
        voluntary: record.voluntary || !need(ctx.required, 'required'),
      },
      result: { ok: true, recoveryCodes: issued.codes },
    };
  }

  emit({ type: 'code-refused', during: 'set-up', reason: 'invalid', failures: record.throttle.failures + 1 });
  const failed = failOnce(record.throttle, ctx.now, ctx.policy, emit);
  const failures = pending.failures + 1;
  const attemptsLeft = Math.max(0, ctx.policy.enrollment.maxFailures - failures);
  if (attemptsLeft === 0) emit({ type: 'enrollment-discarded', reason: 'failures' });
  const lockInfo = failed.retryAt === undefined ? {} : { retryAt: failed.retryAt };
  return {
    next: { ...record, throttle: failed.throttle, pending: attemptsLeft === 0 ? null : { ...pending, failures } },
    result: { ok: false, reason: 'invalid', attemptsLeft, ...lockInfo },
  };
}

function verify(
  record: GateRecord,
  command: { readonly code: string; readonly rememberDevice?: { readonly label: string } | undefined },
  ctx: DecideContext,
  emit: Emit,
): Outcome<VerifyResult> {
  return remember(checkCode(record, command.code, ctx, emit, 'login'), command.rememberDevice, ctx, emit);
}

/** An accepted login that asked to remember its device: the device is stored and its token returned, once. */
function remember(checked: Outcome<VerifyResult>, rememberDevice: { readonly label: string } | undefined, ctx: DecideContext, emit: Emit): Outcome<VerifyResult> {
  if (!checked.result.ok || rememberDevice === undefined || !ctx.policy.trustedDevices.enabled) return checked;
  const token = need(ctx.deviceToken, 'deviceToken');
  const { ttlMs, max } = ctx.policy.trustedDevices;
  const device: TrustedDevice = { id: `d${ctx.id}`, hash: hashDeviceToken(token), label: rememberDevice.label, createdAt: ctx.now, expiresAt: ctx.now + ttlMs };
  // Past the maximum the oldest is forgotten; expired ones go first.
  const devices = [...liveDevices(checked.next, ctx.now), device].slice(-max);
  emit({ type: 'device-remembered', deviceId: device.id, expiresAt: device.expiresAt });
  return { next: { ...checked.next, devices }, result: { ...checked.result, deviceToken: token } };
}

/** The decrypted keys of every authenticator, in the record's order. */
function keysOf(ctx: DecideContext, count: number): readonly string[] {
  const keys = ctx.activeKeys ?? (ctx.activeKey === undefined ? [] : [ctx.activeKey]);
  if (keys.length < count) throw new OtpError('ERR_OPTIONS', 'internal: the decision context lacks activeKey');
  return keys;
}

/**
 * Checks a one-time code against every authenticator (each with its own
 * replay floor and drift) or a recovery code, and counts a failure for the
 * user as a whole: a login, or the fresh code a sensitive action asks for.
 */
function checkCode(record: GateRecord, typed: string, ctx: DecideContext, emit: Emit, during: 'login' | 're-authentication'): Outcome<VerifyResult> {
  const authenticators = authenticatorsOf(record);
  // A user with passkeys only still has recovery codes to type.
  if (!hasAuthenticator(record)) return { next: record, result: { ok: false, reason: 'not-enrolled' } };
  const recoveryCode = normalizeRecoveryCode(typed);
  const lock = lockOf(record.throttle, ctx.now);
  // A lock refuses without checking the code; only a recovery code lifts a
  // hard stop, unless wrong ones locked it out for a while too.
  const t = record.throttle;
  const recoveryOpen = lock !== null && lock.retryAt === null && recoveryCode !== null && !(t.lockedUntil !== null && ctx.now < t.lockedUntil);
  if (lock !== null && !recoveryOpen) {
    return { next: record, result: { ok: false, reason: 'locked', retryAt: lock.retryAt } };
  }

  let reason: 'invalid' | 'replayed' = 'invalid';
  if (recoveryCode !== null) {
    const index = findRecoveryCode(record.recoveryCodes, recoveryCode);
    if (index >= 0) {
      const recoveryCodes = record.recoveryCodes.filter((_, i) => i !== index);
      emit({ type: 'recovery-code-used', remaining: recoveryCodes.length });
      const warnBelow = ctx.policy.recovery.warnBelow;
      if (recoveryCodes.length <= warnBelow && record.recoveryCodes.length > warnBelow) emit({ type: 'recovery-codes-low', remaining: recoveryCodes.length });
      return {
        next: { ...record, recoveryCodes, throttle: CLEAR },
        result: { ok: true, method: 'recovery', recoveryCodesLeft: recoveryCodes.length },
      };
    }
  } else {
    // One HMAC key state per authenticator per call, shared by the check and the replay pass.
    const given = keysOf(ctx, authenticators.length);
    const keys = authenticators.map((active, i) => prepareKey(given[i]!, { algorithm: active.algorithm }));
    const now = new Date(ctx.now);
    const windows = authenticators.map((active) => {
      const { past, future } = ctx.policy.code.window;
      // RFC 6238 §6: reach towards the drift seen last time, without giving up
      // the normal window, so only users whose phones drift get a wider one.
      const window = { past: Math.max(past, past - active.drift), future: Math.max(future, future + active.drift) };
      return { now, algorithm: active.algorithm, digits: active.digits, period: active.period, window };
    });
    for (const [i, active] of authenticators.entries()) {
      const match = verifyTotp(keys[i]!, typed, { ...windows[i]!, afterStep: active.lastStep });
      if (match === null) continue;
      emit({ type: 'verified', delta: match.delta, authenticatorId: idOf(active) });
      const used: ActiveSecret = { ...active, lastStep: match.step, drift: clampDrift(match.delta, ctx.policy), lastUsedAt: ctx.now };
      const list = authenticators.map((a, j) => (j === i ? used : a));
      return { next: { ...withAuthenticators(record, list), throttle: CLEAR }, result: { ok: true, method: 'totp', recoveryCodesLeft: record.recoveryCodes.length } };
    }
    // Only a failure pays for the second pass that tells a replay from a typo.
    if (authenticators.some((_, i) => verifyTotp(keys[i]!, typed, windows[i]!) !== null)) reason = 'replayed';
  }
  emit({ type: 'code-refused', during, reason, failures: record.throttle.failures + 1 });
  const failed = failOnce(record.throttle, ctx.now, ctx.policy, emit);
  return {
    next: { ...record, throttle: failed.throttle },
    result: failed.retryAt === undefined ? { ok: false, reason } : { ok: false, reason, retryAt: failed.retryAt },
  };
}

/**
 * The fresh code a sensitive action asks for (OWASP: "require MFA again"):
 * checked and consumed like a login. Without one the action is refused
 * before anything changes; a wrong one is counted and answered.
 */
function reauthenticate(
  record: GateRecord,
  proof: Proof,
  ctx: DecideContext,
  emit: Emit,
  action: string,
): { readonly ok: true; readonly record: GateRecord } | { readonly ok: false; readonly outcome: Outcome<ReauthRefusal> } {
  const { code, passkey } = proof;
  if (code === undefined && passkey === undefined) {
    refuse('ERR_REAUTH_REQUIRED', `${action} needs a fresh code from an authenticator, a recovery code or a passkey`);
  }
  const checked = passkey !== undefined ? checkPasskey(record, passkey, ctx, emit, 're-authentication') : checkCode(record, code!, ctx, emit, 're-authentication');
  if (checked.result.ok) return { ok: true, record: checked.next };
  return { ok: false, outcome: { next: checked.next, result: checked.result } };
}

/**
 * Checks a passkey's answer like a code: the challenge it answers must be a
 * live login challenge of this record (then it is used up, whatever the
 * verdict), the passkey one of the user's, the shell's verdict good, and the
 * signature counter must have gone up. A refusal counts as a failure in the
 * same throttle as codes; a lock refuses without looking.
 */
function checkPasskey(record: GateRecord, claim: PasskeyClaim, ctx: DecideContext, emit: Emit, during: 'login' | 're-authentication'): Outcome<VerifyResult> {
  if (!hasAuthenticator(record)) return { next: record, result: { ok: false, reason: 'not-enrolled' } };
  const lock = lockOf(record.throttle, ctx.now);
  // Past a hard stop only recovery codes are checked, never a passkey.
  if (lock !== null) return { next: record, result: { ok: false, reason: 'locked', retryAt: lock.retryAt } };

  const challenge = findChallenge(record, claim.challenge, 'login');
  const passkey = findPasskey(record, claim.credentialId);
  let next = record;
  let reason: 'invalid' | 'replayed' = 'invalid';
  if (challenge !== undefined && challenge.used) {
    // Two answers to one challenge (a replay, or two servers racing): the second is refused on the record the first wrote.
    reason = 'replayed';
  } else if (challenge !== undefined && answerable(challenge, ctx.now)) {
    next = consumeChallenge(record, challenge);
    const verdict = passkey === undefined ? undefined : need(ctx.assertion, 'assertion');
    if (passkey !== undefined && verdict !== undefined && verdict.verified) {
      if (!isCloned(passkey.counter, verdict.newCounter)) {
        emit({ type: 'verified', delta: 0, authenticatorId: passkey.id, method: 'passkey' });
        // A counter that fell to 0 keeps the stored one: a later clone still shows.
        const used: StoredPasskey = { ...passkey, counter: Math.max(passkey.counter, verdict.newCounter), lastUsedAt: ctx.now };
        return {
          next: { ...next, passkeys: passkeysOf(next).map((p) => (p === passkey ? used : p)), throttle: CLEAR },
          result: { ok: true, method: 'passkey', recoveryCodesLeft: record.recoveryCodes.length },
        };
      }
      emit({ type: 'passkey-cloned', authenticatorId: passkey.id });
    }
  }
  emit({ type: 'code-refused', during, reason, failures: record.throttle.failures + 1, method: 'passkey' });
  const failed = failOnce(record.throttle, ctx.now, ctx.policy, emit);
  return {
    next: { ...next, throttle: failed.throttle },
    result: failed.retryAt === undefined ? { ok: false, reason } : { ok: false, reason, retryAt: failed.retryAt },
  };
}

function verifyPasskey(
  record: GateRecord,
  command: PasskeyClaim & { readonly rememberDevice?: { readonly label: string } | undefined },
  ctx: DecideContext,
  emit: Emit,
): Outcome<VerifyResult> {
  return remember(checkPasskey(record, command, ctx, emit, 'login'), command.rememberDevice, ctx, emit);
}

/**
 * A challenge for the browser: to register a passkey (after a proof, for a
 * user who is enrolled already, as for adding an app) or to answer with one.
 */
function beginPasskey(
  record: GateRecord,
  command: Extract<Command, { readonly type: 'begin-passkey' }>,
  ctx: DecideContext,
  emit: Emit,
): Outcome<BeginPasskeyResult> {
  const fresh = need(ctx.freshChallenge, 'freshChallenge');
  const expiresAt = ctx.now + ctx.policy.passkeys.challengeTtlMs;
  const challenge: PasskeyChallenge = {
    challenge: fresh.challenge,
    kind: command.kind,
    rpId: command.rpId,
    origins: command.origins,
    createdAt: ctx.now,
    expiresAt,
    used: false,
    ...(command.label === undefined ? {} : { label: command.label }),
  };
  const describe = (list: readonly StoredPasskey[]) => list.map((p) => ({ credentialId: p.credentialId, transports: p.transports }));
  if (command.kind === 'login') {
    const usable = passkeysOf(record).filter((p) => p.rpId === command.rpId);
    if (usable.length === 0) refuse('ERR_NOT_ENROLLED', 'this user has no passkey for this rpId');
    return { next: addChallenge(record, challenge, ctx.now), result: { challenge: fresh.challenge, expiresAt, userHandle: record.passkeyUser ?? fresh.userHandle, credentials: describe(usable) } };
  }
  if (hasAuthenticator(record)) {
    if (authenticatorCount(record) >= ctx.policy.authenticators.max) refuse('ERR_LIMIT', `at most ${ctx.policy.authenticators.max} authenticators per user`);
    const check = reauthenticate(record, command, ctx, emit, 'adding a passkey');
    if (!check.ok) return { next: check.outcome.next, result: { refused: check.outcome.result } };
    record = check.record;
  }
  // One user handle for all of the user's passkeys, so an authenticator does not keep two for one account.
  const userHandle = record.passkeyUser ?? fresh.userHandle;
  return {
    next: { ...addChallenge(record, challenge, ctx.now), passkeyUser: userHandle },
    result: { challenge: fresh.challenge, expiresAt, userHandle, credentials: describe(passkeysOf(record)) },
  };
}

/**
 * Stores the passkey the browser made for a registration challenge of this
 * record. The first authenticator of a user enrolls them, with recovery
 * codes, as "Verify and Save" does; a failed registration is not counted as
 * a failure (nothing is guessed), but uses its challenge up.
 */
function confirmPasskey(record: GateRecord, command: PasskeyClaim, ctx: DecideContext, emit: Emit): Outcome<PasskeyRegistrationResult> {
  const challenge = findChallenge(record, command.challenge, 'registration');
  if (challenge === undefined) return { next: record, result: { ok: false, reason: 'no-challenge' } };
  if (challenge.used) {
    // A second submit after a success, or an answer after a failed one.
    return { next: record, result: { ok: false, reason: findPasskey(record, command.credentialId) !== undefined ? 'already-registered' : 'no-challenge' } };
  }
  if (ctx.now >= challenge.expiresAt) return { next: record, result: { ok: false, reason: 'expired' } };
  const lock = lockOf(record.throttle, ctx.now);
  if (lock !== null) return { next: record, result: { ok: false, reason: 'locked', retryAt: lock.retryAt } };

  const consumed = consumeChallenge(record, challenge);
  const verdict = need(ctx.registration, 'registration');
  if (!verdict.verified) return { next: consumed, result: { ok: false, reason: 'invalid' } };
  if (findPasskey(record, verdict.credentialId) !== undefined) return { next: consumed, result: { ok: false, reason: 'already-registered' } };
  if (authenticatorCount(record) >= ctx.policy.authenticators.max) return { next: consumed, result: { ok: false, reason: 'limit' } };
  const existing = passkeysOf(record);
  const added: StoredPasskey = {
    id: `k${ctx.id}`,
    credentialId: verdict.credentialId,
    publicKey: verdict.publicKey,
    counter: verdict.counter,
    transports: verdict.transports,
    rpId: challenge.rpId,
    label: challenge.label ?? (existing.length === 0 ? 'Passkey' : `Passkey ${existing.length + 1}`),
    createdAt: ctx.now,
    lastUsedAt: null,
  };
  const withPasskey: GateRecord = { ...consumed, passkeys: [...existing, added] };
  if (hasAuthenticator(record)) {
    // One more authenticator: the recovery codes stay as they are.
    emit({ type: 'enrolled', renewed: true, recoveryCodes: 0, authenticatorId: added.id, method: 'passkey' });
    return { next: withPasskey, result: { ok: true, authenticatorId: added.id } };
  }
  const issued = need(ctx.recoveryCodes, 'recoveryCodes');
  emit({ type: 'enrolled', renewed: false, recoveryCodes: issued.hashes.length, authenticatorId: added.id, method: 'passkey' });
  return {
    next: {
      ...withoutSetUps(withPasskey),
      throttle: CLEAR,
      recoveryCodes: issued.hashes,
      mustEnroll: false,
      voluntary: record.voluntary || !need(ctx.required, 'required'),
    },
    result: { ok: true, authenticatorId: added.id, recoveryCodes: issued.codes },
  };
}

function requestReset(record: GateRecord, command: { readonly to: readonly string[] }, ctx: DecideContext, emit: Emit): Outcome<ResetRequestResult> {
  // A user stopped by wrong confirmations has nothing enrolled, and no
  // recovery code: an administrator is their only way out.
  if (record.state !== 'enrolled' && !record.throttle.hardStop) {
    refuse('ERR_NOT_ENROLLED', `request-reset is not allowed while 2-step verification is ${STATE_WORDS[record.state]}`);
  }
  if (command.to.length === 0) refuse('ERR_DIRECTORY', 'there is no administrator to ask');
  const open = openRequest(record, ctx.now);
  const cooldownMs = ctx.policy.reset.cooldownMs;
  // Administrators told recently, or being told right now by another call, are not told again.
  const busy = new Set<string>();
  // Kept past the request: declining it and asking again does not restart the cool-down.
  for (const [admin, at] of Object.entries(record.cooldowns ?? {})) if (ctx.now < at + cooldownMs) busy.add(admin);
  if (open !== null) {
    for (const [admin, at] of Object.entries(open.notifiedAt)) if (ctx.now < at + cooldownMs) busy.add(admin);
    for (const entry of record.outbox) {
      const { event, claim } = entry;
      if (event.type === 'reset-requested' && event.requestId === open.id && claim !== null && ctx.now < claim.until) {
        for (const admin of event.to) busy.add(admin);
      }
    }
  }
  const asked = command.to.filter((admin) => !busy.has(admin));
  if (asked.length === 0) refuse('ERR_COOLDOWN', 'these administrators were notified of this request recently');

  const request: ResetRequestRecord =
    open === null
      ? { id: ctx.id, to: asked, requestedAt: ctx.now, expiresAt: ctx.now + ctx.policy.reset.ttlMs, lastNotifiedAt: null, notifiedAt: {} }
      : { ...open, to: [...open.to, ...asked.filter((admin) => !open.to.includes(admin))] };
  // An earlier notification of this request that has not gone out yet is
  // kept, under its own id, and goes out again with this write: a notifier
  // that failed after all sending must be able to drop the repeat by id, and
  // asking someone else meanwhile must not lose it. Only administrators it
  // does not name get a new event.
  const queued: string[] = [];
  for (const { event, claim } of record.outbox) {
    if (event.type !== 'reset-requested' || event.requestId !== request.id || (claim !== null && ctx.now < claim.until)) continue;
    for (const admin of event.to) if (!busy.has(admin) && !queued.includes(admin)) queued.push(admin);
  }
  const fresh = asked.filter((admin) => !queued.includes(admin));
  if (fresh.length > 0) emit({ type: 'reset-requested', requestId: request.id, to: fresh, expiresAt: request.expiresAt });
  const to = [...queued, ...fresh];
  return {
    // Always a new object, so the shell writes it and sends what is queued.
    next: { ...record, resetRequest: request },
    result: { requestId: request.id, to, expiresAt: request.expiresAt },
  };
}

/**
 * The record without any set-up still open: once a first authenticator
 * enrolls the user, an app set-up or passkey registration begun beside it
 * would add a second one without the fresh proof adding one asks for.
 */
function withoutSetUps(record: GateRecord): GateRecord {
  const next = { ...record, pending: null };
  // A used one stays: a second submit of the registration that enrolled is told `already-registered`.
  return record.passkeyChallenges === undefined ? next : { ...next, passkeyChallenges: record.passkeyChallenges.filter((c) => c.kind !== 'registration' || c.used) };
}

/** The record without passkeys or their challenges (reset, turning off): only fields it has are touched, so older records keep their shape. */
function withoutPasskeys(record: GateRecord): GateRecord {
  let next = record;
  if (record.passkeys !== undefined) next = { ...next, passkeys: [] };
  if (record.passkeyChallenges !== undefined) next = { ...next, passkeyChallenges: [] };
  return next;
}

function reset(record: GateRecord, command: { readonly adminId: string; readonly requestId?: string | undefined }, ctx: DecideContext, emit: Emit): Outcome<AdminActionResult> {
  const open = openRequest(record, ctx.now);
  // Acting on a listed request that is no longer open: someone else handled it.
  if (command.requestId !== undefined && open?.id !== command.requestId) return { next: record, result: handledElsewhere(record, 'nothing-to-do') };
  const t = record.throttle;
  const something = record.state !== 'none' || open !== null || t.failures > 0 || t.hardStop;
  // Ten administrators acting on "Send to all": the first wins, the others learn who did.
  if (!something) return { next: record, result: handledElsewhere(record, 'nothing-to-do') };
  emit({ type: 'reset-completed', requestId: open?.id ?? null, actor: command.adminId });
  return {
    next: {
      ...withoutPasskeys(withAuthenticators(record, [])),
      devices: [],
      pending: null,
      recoveryCodes: [],
      throttle: CLEAR,
      resetRequest: null,
      // The administrators did their part: a phone lost again later is a new case, not spam.
      cooldowns: {},
      mustEnroll: true,
      lastResolution: { kind: 'reset', by: command.adminId, at: ctx.now, requestId: open?.id ?? null },
    },
    result: { ok: true, notified: false },
  };
}

function decline(record: GateRecord, command: { readonly adminId: string; readonly requestId?: string | undefined }, ctx: DecideContext, emit: Emit): Outcome<AdminActionResult> {
  const open = openRequest(record, ctx.now);
  if (open === null || (command.requestId !== undefined && open.id !== command.requestId)) return { next: record, result: handledElsewhere(record, 'nothing-to-do') };
  emit({ type: 'reset-declined', requestId: open.id, actor: command.adminId });
  return {
    next: { ...record, resetRequest: null, lastResolution: { kind: 'declined', by: command.adminId, at: ctx.now, requestId: open.id } },
    result: { ok: true, notified: false },
  };
}

function handledElsewhere(record: GateRecord, otherwise: 'nothing-to-do'): AdminActionResult {
  const handled = record.lastResolution;
  return { ok: false, reason: handled === null ? otherwise : 'already-handled', handled };
}

function enable(record: GateRecord, _: unknown, ctx: DecideContext, emit: Emit): Outcome<{ readonly enabled: true }> {
  if (need(ctx.required, 'required') || record.mustEnroll) refuse('ERR_STATE', '2-step verification is required for this user already');
  if (record.voluntary) refuse('ERR_STATE', '2-step verification is enabled already');
  emit({ type: 'enabled' });
  return { next: { ...record, voluntary: true }, result: { enabled: true } };
}

function disable(record: GateRecord, command: Proof, ctx: DecideContext, emit: Emit): Outcome<RemoveResult> {
  if (need(ctx.required, 'required') || record.mustEnroll) refuse('ERR_REQUIRED', '2-step verification is required for this user');
  if (lockOf(record.throttle, ctx.now) !== null) refuse('ERR_STATE', '2-step verification cannot be disabled while locked');
  if (record.state === 'none' && !record.voluntary) refuse('ERR_NOT_ENROLLED', '2-step verification is not enabled');
  // Turning off what protects the account asks for what it protects with.
  if (hasAuthenticator(record)) {
    const check = reauthenticate(record, command, ctx, emit, 'turning 2-step verification off');
    if (!check.ok) return check.outcome;
    record = check.record;
  }
  emit({ type: 'disabled' });
  return {
    next: { ...withoutPasskeys(withAuthenticators(record, [])), voluntary: false, pending: null, recoveryCodes: [], throttle: CLEAR, devices: [] },
    result: { ok: true },
  };
}

function removeAuthenticator(record: GateRecord, command: { readonly id: string } & Proof, ctx: DecideContext, emit: Emit): Outcome<RemoveResult> {
  const known = authenticatorsOf(record).some((a) => idOf(a) === command.id) || passkeysOf(record).some((p) => p.id === command.id);
  if (!known) refuse('ERR_NOT_FOUND', 'this user has no authenticator with that id');
  const last = authenticatorCount(record) === 1;
  if (last && (need(ctx.required, 'required') || record.mustEnroll)) {
    refuse('ERR_REQUIRED', 'the last authenticator cannot be removed where 2-step verification is required: add another one first');
  }
  const check = reauthenticate(record, command, ctx, emit, 'removing an authenticator');
  if (!check.ok) return check.outcome;
  // Read again: the check moved the replay floor (or the counter) of the authenticator that answered.
  const kept = authenticatorsOf(check.record).filter((a) => idOf(a) !== command.id);
  let next: GateRecord = { ...withAuthenticators(check.record, kept), devices: [] };
  if (check.record.passkeys !== undefined) next = { ...next, passkeys: check.record.passkeys.filter((p) => p.id !== command.id) };
  emit({ type: 'authenticator-removed', authenticatorId: command.id, remaining: authenticatorCount(next) });
  // Without any authenticator nothing is enrolled: the recovery codes go too, as when turning off.
  return { next: last ? { ...withoutPasskeys(next), recoveryCodes: [], voluntary: false } : next, result: { ok: true } };
}

function renameAuthenticator(record: GateRecord, command: { readonly id: string; readonly label: string }, _ctx: DecideContext, emit: Emit): Outcome<{ readonly renamed: true }> {
  const list = authenticatorsOf(record);
  const passkeys = passkeysOf(record);
  if (!list.some((a) => idOf(a) === command.id) && !passkeys.some((p) => p.id === command.id)) refuse('ERR_NOT_FOUND', 'this user has no authenticator with that id');
  emit({ type: 'authenticator-renamed', authenticatorId: command.id });
  if (passkeys.some((p) => p.id === command.id)) {
    return { next: { ...record, passkeys: passkeys.map((p) => (p.id === command.id ? { ...p, label: command.label } : p)) }, result: { renamed: true } };
  }
  return { next: withAuthenticators(record, list.map((a) => (idOf(a) === command.id ? { ...a, label: command.label } : a))), result: { renamed: true } };
}

function regenerateRecoveryCodes(record: GateRecord, command: Proof, ctx: DecideContext, emit: Emit): Outcome<RecoveryCodesResult> {
  const check = reauthenticate(record, command, ctx, emit, 'new recovery codes');
  if (!check.ok) return check.outcome;
  const issued = need(ctx.recoveryCodes, 'recoveryCodes');
  emit({ type: 'recovery-codes-regenerated', count: issued.hashes.length });
  return { next: { ...check.record, recoveryCodes: issued.hashes, devices: [] }, result: { ok: true, recoveryCodes: issued.codes } };
}

function status(record: GateRecord, _: unknown, ctx: DecideContext): Outcome<Status> {
  const authenticators = [
    ...authenticatorsOf(record).map((a) => ({ id: idOf(a), type: 'totp' as const, label: labelOf(a), createdAt: a.enrolledAt, lastUsedAt: a.lastUsedAt ?? null })),
    ...passkeysOf(record).map((p) => ({ id: p.id, type: 'passkey' as const, label: p.label, createdAt: p.createdAt, lastUsedAt: p.lastUsedAt })),
  ];
  const lock = lockOf(record.throttle, ctx.now);
  const request = openRequest(record, ctx.now);
  return {
    next: record,
    result: {
      state: record.state,
      required: need(ctx.required, 'required') || record.mustEnroll,
      enabled: record.state === 'enrolled' || record.voluntary || record.mustEnroll || need(ctx.required, 'required'),
      enrolledAt: authenticators.length === 0 ? null : Math.min(...authenticators.map((a) => a.createdAt)),
      authenticators,
      recoveryCodesLeft: record.recoveryCodes.length,
      locked: lock,
      resetRequest: request === null ? null : { requestId: request.id, to: request.to, requestedAt: request.requestedAt, expiresAt: request.expiresAt },
      postponesLeft: record.state === 'enrolled' ? 0 : postponesLeft(record, ctx),
      trustedDevices: liveDevices(record, ctx.now).map(({ id, label, createdAt, expiresAt }) => ({ id, label, createdAt, expiresAt })),
    },
  };
}

function forgetDevice(record: GateRecord, command: { readonly id: string }, ctx: DecideContext, emit: Emit): Outcome<{ readonly forgotten: boolean }> {
  const devices = record.devices ?? [];
  if (!devices.some((device) => device.id === command.id)) return { next: record, result: { forgotten: false } };
  emit({ type: 'devices-forgotten', deviceIds: [command.id] });
  return { next: { ...record, devices: liveDevices(record, ctx.now).filter((device) => device.id !== command.id) }, result: { forgotten: true } };
}

function forgetAllDevices(record: GateRecord, _: unknown, ctx: DecideContext, emit: Emit): Outcome<{ readonly forgotten: number }> {
  const live = liveDevices(record, ctx.now);
  if ((record.devices ?? []).length === 0) return { next: record, result: { forgotten: 0 } };
  if (live.length > 0) emit({ type: 'devices-forgotten', deviceIds: live.map((device) => device.id) });
  return { next: { ...record, devices: [] }, result: { forgotten: live.length } };
}

/**
 * An existing TOTP user brought in as enrolled, keeping their phone: the
 * secret comes from the host's old table (in `freshSecret`, wrapped by the
 * shell like a drawn one), not from a QR code.
 */
function importEnrollment(
  record: GateRecord,
  command: Extract<Command, { readonly type: 'import' }>,
  ctx: DecideContext,
  emit: Emit,
): Outcome<{ readonly authenticatorId: string }> {
  const existing = authenticatorsOf(record);
  const enrolled = hasAuthenticator(record);
  if (enrolled && !command.add) refuse('ERR_STATE', 'the user is enrolled already: pass add: true to import one more authenticator');
  if (authenticatorCount(record) >= ctx.policy.authenticators.max) refuse('ERR_LIMIT', `at most ${ctx.policy.authenticators.max} authenticators per user`);
  const fresh = need(ctx.freshSecret, 'freshSecret');
  const imported: ActiveSecret = {
    secret: fresh.stored,
    wrapped: fresh.wrapped,
    algorithm: command.algorithm,
    digits: command.digits,
    period: command.period,
    enrolledAt: ctx.now,
    lastStep: command.lastStep,
    drift: 0,
    id: `a${ctx.id}`,
    label: command.label ?? (existing.length === 0 ? 'Authenticator app' : `Authenticator app ${existing.length + 1}`),
    lastUsedAt: null,
  };
  emit({ type: 'enrolled', renewed: enrolled, recoveryCodes: 0, authenticatorId: imported.id! });
  const withImported: GateRecord = { ...withAuthenticators(record, [...existing, imported]), mustEnroll: false };
  return {
    // A first authenticator ends the set-ups begun before it, as a confirmed
    // one does: one confirmed later would add an authenticator without the
    // fresh code adding one asks for.
    next: enrolled ? withImported : withoutSetUps(withImported),
    result: { authenticatorId: imported.id! },
  };
}

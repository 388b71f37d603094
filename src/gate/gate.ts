// The shell around decide(): load, decide, compare-and-set (again on a
// conflict), then deliver the outbox. The only async orchestration of the
// gate and its only contact with the seams.
import { generateSecret } from '../core/secret.js';
import { formatManualKey } from '../enrollment/manual-key.js';
import { qrSvg } from '../enrollment/qr.js';
import { buildUri } from '../enrollment/uri.js';
import { isOtpError, OtpError, type OtpErrorCode } from '../errors.js';
import { randomBytes } from '../internal/bytes.js';
import type { SecretCipher } from '../seams/cipher.js';
import { systemClock, type Clock } from '../seams/clock.js';
import type { Administrator, Directory } from '../seams/directory.js';
import type { Notifier } from '../seams/notifier.js';
import type { MfaStore, StoredRecord } from '../seams/store.js';
import { decide, TRANSITIONS, type Command, type DecideContext, type Results } from './decide.js';
import type { GateEvent } from './events.js';
import { claimOutbox, settleOutbox } from './outbox.js';
import { resolvePolicy, type Policy, type ResolvedPolicy } from './policy.js';
import { initialRecord, parseGateRecord, type GateRecord, type StoredSecret } from './record.js';
import { issueRecoveryCodes } from './recovery.js';
import type {
  AdminActionResult,
  ConfirmResult,
  FlushResult,
  NextStep,
  PendingReset,
  PostponeResult,
  ResetRequestResult,
  VerifyResult,
} from './results.js';

/**
 * The configuration of {@link createGate}.
 *
 * @example
 * ```ts
 * import { createGate, createMemoryStore, type GateConfig } from 'otpgate';
 * const config: GateConfig = {
 *   store: createMemoryStore(),
 *   issuer: 'ACME Co',
 *   policy: { required: true, maxPostpones: 2 },
 *   directory: {
 *     async administratorsOf() { return [{ id: 'root', name: 'Ruth Root' }]; },
 *     async isAdministratorOf(adminId, userId) { return adminId === 'root' && userId !== 'root'; },
 *   },
 *   notifier: { async notify(event) { console.log(event.type, event.userId); } },
 * };
 * const gate = createGate(config);
 * ```
 */
export interface GateConfig {
  /** Where each user's record lives (`createMemoryStore()`, or a database store). */
  readonly store: MfaStore;
  /** Who administers whom, and account labels. */
  readonly directory: Directory;
  /** Receives every event after its change was stored. */
  readonly notifier: Notifier;
  /** The service name shown in authenticator apps (no `:`). */
  readonly issuer: string;
  /** The rules; see {@link Policy} for the defaults. */
  readonly policy?: Policy | undefined;
  /** Encrypts secrets before they reach the store (for example `createAesGcmCipher`). @defaultValue none: secrets are stored in base32 */
  readonly cipher?: SecretCipher | undefined;
  /** Where the time comes from; anything but finite, non-negative milliseconds is `ERR_OPTIONS`. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
  /**
   * Told about every event the notifier failed to take, for methods that do
   * not report it themselves (see {@link Gate}). The event stays queued.
   * @defaultValue none
   */
  readonly onNotifyError?: ((error: OtpError, event: GateEvent) => void) | undefined;
  /**
   * How long one `notifier.notify` call may take before the gate stops
   * waiting, counts it as failed (`ERR_NOTIFY`, the event stays queued) and
   * answers its caller: a mail server that hangs must not hang logins. At
   * most 50 000, below the 60 s claim on an event being sent, so a late
   * answer and a retry do not overlap.
   * @defaultValue `10_000`
   */
  readonly notifyTimeoutMs?: number | undefined;
}

/**
 * What `beginEnrollment` returns: everything the set-up page shows.
 *
 * @example
 * ```ts
 * import type { Enrollment } from 'otpgate';
 * const page = (e: Enrollment) => `${e.qrSvg}<p>Unable to scan? Type ${e.manualKey}</p>`;
 * ```
 */
export interface Enrollment {
  /** The new secret in base32: show it only to the user setting up, never store it yourself. */
  readonly secret: string;
  /** The secret in groups of four, for "Unable to scan?". */
  readonly manualKey: string;
  /** The `otpauth://totp/...` URI the QR code holds. */
  readonly uri: string;
  /** The QR code of `uri`, as an SVG document. */
  readonly qrSvg: string;
  /** When the pending secret expires unless confirmed (ms since the epoch). */
  readonly expiresAt: number;
}

/**
 * The 2-step verification gate a login handler calls after the password
 * was checked. Every method is one state transition of the user's record,
 * stored with one compare-and-set and redone on a conflict, so any number
 * of servers may share a store: a code is accepted once, a postpone is
 * counted once, failures are all counted.
 *
 * **Notifications.** Events are stored with the change they report, then
 * handed to the `Notifier`. A notifier that rejects loses nothing: the event
 * stays queued and is sent again by the next change of that user or by
 * {@link Gate.flushNotifications}; its id lets the notifier drop a
 * duplicate. The caller learns of the failure this way: `requestReset` and
 * `flushNotifications` reject with `ERR_NOTIFY` (after the change was
 * stored); `reset` and `decline` resolve with `notified: false`; every other
 * method resolves normally and reports to `config.onNotifyError`. A user's
 * record keeps at most 500 undelivered events; past that, the oldest are
 * dropped, so a notifier that is down for good cannot grow records forever.
 *
 * **Trust.** `beginEnrollment` (for an enrolled user), `confirmEnrollment`
 * of a re-enrollment, `enable` and `disable` change how the account is
 * protected: call them only for a user who has fully logged in, including
 * the code.
 *
 * @example
 * ```ts
 * import { createGate, createMemoryStore, type Gate } from 'otpgate';
 * const gate: Gate = createGate({
 *   store: createMemoryStore(),
 *   issuer: 'ACME Co',
 *   directory: {
 *     async administratorsOf() { return [{ id: 'root', name: 'Ruth Root' }]; },
 *     async isAdministratorOf(adminId, userId) { return adminId === 'root' && userId !== 'root'; },
 *   },
 *   notifier: { async notify(event) { console.log(event.type, event.userId); } },
 * });
 * // In the login handler, after the password was accepted:
 * async function afterPassword(userId: string, code?: string): Promise<string> {
 *   const next = await gate.nextStep(userId);
 *   if (next.step === 'allow') return 'logged in';
 *   if (next.step === 'setup') return next.postponesLeft > 0 ? 'offer set-up or postpone' : 'set-up required';
 *   if (next.step === 'locked') return 'locked';
 *   const result = await gate.verify(userId, code ?? '');
 *   return result.ok ? 'logged in' : `refused: ${result.reason}`;
 * }
 * ```
 */
export interface Gate {
  /** What to ask of the user after the password: see {@link NextStep}. */
  nextStep(userId: string): Promise<NextStep>;
  /**
   * "Postpone setup": uses one postpone. Pass the login attempt's id so a
   * double click or a second tab of the same login uses only one: for ten
   * minutes after it postponed, the same id resolves `repeated: true`;
   * after that it is a new postpone, so an old id sent again at a later
   * login cannot skip set-up. Draw the id on the server, per login.
   * @throws {@link OtpError} `ERR_POSTPONE_LIMIT` when none is left; `ERR_POSTPONE_NOT_ALLOWED` where 2-step is not required or after an administrator's reset; `ERR_STATE` once enrolled
   */
  postpone(userId: string, options?: { readonly attempt?: string | undefined }): Promise<PostponeResult>;
  /**
   * Starts set-up (or re-enrollment): a new secret, pending until confirmed.
   * While it is unexpired the same secret comes back, so a page reload does
   * not break the QR code being scanned, unless `renew` asks for a new one.
   * `account` is the label in the app: by default the directory's
   * `accountLabel`, else the user id.
   * @throws {@link OtpError} `ERR_URI` for an account label an `otpauth://` URI cannot carry (empty, or with `:`), before anything is stored
   */
  beginEnrollment(userId: string, options?: { readonly account?: string | undefined; readonly renew?: boolean | undefined }): Promise<Enrollment>;
  /**
   * "Verify and Save": activates the pending secret when `code` is right and
   * returns the recovery codes, once. The code's step is consumed.
   * @throws {@link OtpError} `ERR_STATE` when no set-up is in progress
   */
  confirmEnrollment(userId: string, code: string): Promise<ConfirmResult>;
  /** Checks a one-time code or a recovery code at login: see {@link VerifyResult}. */
  verify(userId: string, code: string): Promise<VerifyResult>;
  /** The administrators the user may ask for a reset ("Lost 2-Step Verification code?"), never the user. */
  administrators(userId: string): Promise<readonly Administrator[]>;
  /**
   * Asks one administrator (an id from {@link Gate.administrators}) or `'all'`
   * to reset the user's 2-step verification. The request is stored first,
   * then the notifier gets a `reset-requested` event naming exactly the
   * administrators to tell. Works while locked, and for a user stopped by
   * wrong set-up codes, who has nothing enrolled yet.
   * @throws {@link OtpError} `ERR_NOT_ADMIN` for an id not in the list; `ERR_NOT_ENROLLED` when not enrolled (and not stopped); `ERR_COOLDOWN` when these administrators were told recently; `ERR_NOTIFY` when the notifier failed (the request is stored; ask again to resend)
   */
  requestReset(userId: string, options: { readonly to: string }): Promise<ResetRequestResult>;
  /** The open requests of users this administrator administers. */
  pendingResets(adminId: string): Promise<readonly PendingReset[]>;
  /**
   * Resets the user's 2-step verification (enrollment, recovery codes, lock,
   * request); set-up is then mandatory at the next login, without postpones.
   * Pass the `requestId` the administrator saw in {@link Gate.pendingResets}
   * so that acting late on a request another administrator handled (or on a
   * stale list) changes nothing and says who handled it; without it, the
   * reset happens whether or not the user asked.
   * @throws {@link OtpError} `ERR_NOT_ADMIN` unless `adminId` administers `userId` (never oneself)
   */
  reset(adminId: string, userId: string, options?: AdminActionOptions): Promise<AdminActionResult>;
  /**
   * Closes the user's open request without resetting (only that request when `requestId` is given).
   * @throws {@link OtpError} `ERR_NOT_ADMIN` unless `adminId` administers `userId` (never oneself)
   */
  decline(adminId: string, userId: string, options?: AdminActionOptions): Promise<AdminActionResult>;
  /**
   * Opts in where 2-step verification is not required.
   * @throws {@link OtpError} `ERR_STATE` where required, enrolled or enabled already
   */
  enable(userId: string): Promise<void>;
  /**
   * Opts out where 2-step verification is not required: the enrollment and recovery codes are deleted.
   * @throws {@link OtpError} `ERR_REQUIRED` where required; `ERR_STATE` while locked; `ERR_NOT_ENROLLED` with nothing to disable
   */
  disable(userId: string): Promise<void>;
  /**
   * Sends the user's queued events again (after a notifier failure).
   * @throws {@link OtpError} `ERR_NOTIFY` when the notifier failed again (the events stay queued)
   */
  flushNotifications(userId: string): Promise<FlushResult>;
}

/**
 * Options of `gate.reset` and `gate.decline`.
 *
 * @example
 * ```ts
 * import type { AdminActionOptions, Gate } from 'otpgate';
 * async function resetListed(gate: Gate, adminId: string): Promise<void> {
 *   for (const request of await gate.pendingResets(adminId)) {
 *     const options: AdminActionOptions = { requestId: request.requestId };
 *     const result = await gate.reset(adminId, request.userId, options);
 *     if (!result.ok) console.log(request.userId, result.reason); // handled by someone else meanwhile
 *   }
 * }
 * ```
 */
export interface AdminActionOptions {
  /** The request acted on, from {@link Gate.pendingResets}: if it is no longer open, nothing changes. @defaultValue none: act whether or not a request is open */
  readonly requestId?: string | undefined;
}

/** A placeholder key for checking an account label before a secret is drawn. */
const PROBE_SECRET = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Compare-and-set rounds before giving up with ERR_CONFLICT. */
const MAX_ATTEMPTS = 24;
const MAX_BACKOFF_MS = 100;

/** Settles like `call()`, or rejects after `ms`; the timer never outlives the call. */
async function withTimeout(call: () => Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.resolve().then(call), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Creates the gate: the policy engine a host calls from its login handlers.
 * Does no I/O until a method is called.
 *
 * @param config - store, directory, notifier, issuer, and optionally policy, cipher and clock
 * @returns the {@link Gate}
 * @throws {@link OtpError} `ERR_OPTIONS` for a missing seam, an empty issuer or a bad policy
 *
 * @example
 * ```ts
 * import { createAesGcmCipher, createGate, createMemoryStore } from 'otpgate';
 * const gate = createGate({
 *   store: createMemoryStore(),
 *   directory: {
 *     async administratorsOf() { return [{ id: 'root', name: 'Ruth Root' }]; },
 *     async isAdministratorOf(adminId, userId) { return adminId === 'root' && userId !== 'root'; },
 *   },
 *   notifier: { async notify(event) { console.log(event.type, event.userId); } },
 *   issuer: 'ACME Co',
 *   policy: { required: (userId) => userId.endsWith('@acme.example') },
 *   cipher: createAesGcmCipher({ key: crypto.getRandomValues(new Uint8Array(32)) }),
 * });
 * await gate.nextStep('alice@acme.example'); // { step: 'setup', required: true, postponesLeft: 2 }
 * ```
 */
export function createGate(config: GateConfig): Gate {
  if (typeof config !== 'object' || config === null) throw new OtpError('ERR_OPTIONS', 'config must be an object');
  const { store, directory, notifier, cipher, onNotifyError } = config;
  checkSeam(store, 'store', ['get', 'compareAndSet', 'listOpenResets']);
  checkSeam(directory, 'directory', ['administratorsOf', 'isAdministratorOf']);
  checkSeam(notifier, 'notifier', ['notify']);
  if (cipher !== undefined) checkSeam(cipher, 'cipher', ['encrypt', 'decrypt']);
  if (typeof config.issuer !== 'string' || config.issuer.trim() === '' || config.issuer.includes(':')) {
    throw new OtpError('ERR_OPTIONS', 'issuer must be a non-empty string without ":"');
  }
  const issuer = config.issuer;
  const clock = config.clock ?? systemClock;
  const policy: ResolvedPolicy = resolvePolicy(config.policy);
  const notifyTimeoutMs = config.notifyTimeoutMs ?? 10_000;
  if (typeof notifyTimeoutMs !== 'number' || !Number.isInteger(notifyTimeoutMs) || notifyTimeoutMs < 1 || notifyTimeoutMs > 50_000) {
    throw new OtpError('ERR_OPTIONS', 'notifyTimeoutMs must be an integer from 1 to 50000');
  }

  /**
   * The time, checked: NaN compares false with everything, so a clock that
   * returned it would read every lock as over and every pending secret as live.
   */
  function now(): number {
    let t: unknown;
    try {
      t = clock.now();
    } catch (cause) {
      throw new OtpError('ERR_OPTIONS', 'clock.now failed', { cause });
    }
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new OtpError('ERR_OPTIONS', 'clock.now must return milliseconds since the epoch');
    return t;
  }

  async function load(userId: string): Promise<{ found: StoredRecord | null; record: GateRecord }> {
    const found = await storeCall(() => store.get(userId));
    return { found, record: found === null ? initialRecord() : parseGateRecord(found.record) };
  }

  async function isRequired(userId: string): Promise<boolean> {
    const rule = policy.required;
    if (typeof rule === 'boolean') return rule;
    const answer = await guard('ERR_OPTIONS', 'policy.required failed', () => rule(userId));
    if (typeof answer !== 'boolean') throw new OtpError('ERR_OPTIONS', 'policy.required must return a boolean');
    return answer;
  }

  async function unwrap(stored: StoredSecret, userId: string): Promise<string> {
    if (!stored.wrapped) return stored.secret;
    if (cipher === undefined) throw new OtpError('ERR_CIPHER', 'the stored secret is encrypted but the gate has no cipher');
    const plain = await guard('ERR_CIPHER', 'the stored secret could not be decrypted', () => cipher.decrypt(stored.secret, userId));
    if (typeof plain !== 'string') throw new OtpError('ERR_CIPHER', 'the cipher must return a string');
    return plain;
  }

  async function wrap(plain: string, userId: string): Promise<{ plain: string; stored: string; wrapped: boolean }> {
    if (cipher === undefined) return { plain, stored: plain, wrapped: false };
    const stored = await guard('ERR_CIPHER', 'the secret could not be encrypted', () => cipher.encrypt(plain, userId));
    if (typeof stored !== 'string') throw new OtpError('ERR_CIPHER', 'the cipher must return a string');
    return { plain, stored, wrapped: true };
  }

  /**
   * One transition: load, decide, compare-and-set; on a lost race reload and
   * decide again. What the decision needs from outside (the policy's answer,
   * decrypted keys, a fresh secret, recovery codes) is gathered per the
   * transition table and reused across rounds.
   */
  async function transact<C extends Command>(
    userId: string,
    command: C,
  ): Promise<{ result: Results[C['type']]; events: readonly GateEvent[]; claimed: readonly GateEvent[]; token: string }> {
    const needs = new Set(TRANSITIONS[command.type].needs);
    const token = randomId();
    let required: boolean | undefined;
    let freshSecret: DecideContext['freshSecret'];
    let recoveryCodes: DecideContext['recoveryCodes'];
    const keys = new Map<string, string>();
    const key = async (stored: StoredSecret | null): Promise<string | undefined> => {
      if (stored === null) return undefined;
      const cached = keys.get(stored.secret);
      if (cached !== undefined) return cached;
      const plain = await unwrap(stored, userId);
      keys.set(stored.secret, plain);
      return plain;
    };

    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const { found, record } = await load(userId);
      if (needs.has('required') && required === undefined) required = await isRequired(userId);
      if (needs.has('freshSecret') && freshSecret === undefined) freshSecret = await wrap(generateSecret(), userId);
      if (needs.has('recoveryCodes') && recoveryCodes === undefined) recoveryCodes = issueRecoveryCodes(policy.recovery.count);
      const at = now();
      // An expired pending secret is never used, so it is never decrypted either.
      const livePending = record.pending !== null && at < record.pending.expiresAt ? record.pending : null;
      const ctx: DecideContext = {
        userId,
        now: at,
        policy,
        id: randomId(),
        required,
        freshSecret,
        recoveryCodes,
        activeKey: needs.has('activeKey') ? await key(record.active) : undefined,
        pendingKey: needs.has('pendingKey') ? await key(livePending) : undefined,
      };
      const decision = decide(record, command, ctx);
      if (decision.next === record) return { result: decision.result, events: [], claimed: [], token };
      // New events, and any an earlier call failed to send, are claimed in the same write.
      const { next, claimed } = claimOutbox(decision.next, token, ctx.now);
      if (await storeCall(() => store.compareAndSet(userId, found?.version ?? null, next))) {
        return { result: decision.result, events: decision.events, claimed, token };
      }
    }
    throw new OtpError('ERR_CONFLICT', `${command.type} kept losing the race for this user's record; try again`);
  }

  /** Hands the claimed events to the notifier, then removes the delivered ones and releases the rest. */
  async function deliver(userId: string, token: string, claimed: readonly GateEvent[]): Promise<Map<string, OtpError>> {
    const failures = new Map<string, OtpError>();
    if (claimed.length === 0) return failures;
    const delivered = new Set<string>();
    for (const event of claimed) {
      try {
        await withTimeout(() => notifier.notify(event), notifyTimeoutMs);
        delivered.add(event.id);
      } catch (cause) {
        failures.set(event.id, new OtpError('ERR_NOTIFY', `the notifier failed on a ${event.type} event; it stays queued`, { cause }));
      }
    }
    const failed = new Set(failures.keys());
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const { found, record } = await load(userId);
        const next = settleOutbox(record, token, delivered, failed, now());
        if (next === record || found === null) break;
        if (await store.compareAndSet(userId, found.version, next)) break;
      }
    } catch {
      // The change itself is stored; an event whose removal failed is sent
      // again after its claim runs out, and its id lets the notifier drop it.
    }
    return failures;
  }

  function report(failures: Map<string, OtpError>, events: readonly GateEvent[]): void {
    if (onNotifyError === undefined) return;
    for (const event of events) {
      const error = failures.get(event.id);
      if (error !== undefined) onNotifyError(error, event);
    }
  }

  async function run<C extends Command>(
    userId: string,
    command: C,
  ): Promise<{ result: Results[C['type']]; events: readonly GateEvent[]; claimed: readonly GateEvent[]; failures: Map<string, OtpError> }> {
    checkId(userId, 'userId');
    const { result, events, claimed, token } = await transact(userId, command);
    const failures = await deliver(userId, token, claimed);
    return { result, events, claimed, failures };
  }

  /** Methods whose caller does not learn of a notifier failure report it to onNotifyError. */
  async function quietly<C extends Command>(userId: string, command: C): Promise<Results[C['type']]> {
    const { result, claimed, failures } = await run(userId, command);
    report(failures, claimed);
    return result;
  }

  async function administrators(userId: string): Promise<readonly Administrator[]> {
    checkId(userId, 'userId');
    const list = await guard('ERR_DIRECTORY', 'directory.administratorsOf failed', () => directory.administratorsOf(userId));
    const valid = (admin: unknown): admin is Administrator =>
      typeof admin === 'object' && admin !== null && typeof (admin as Administrator).id === 'string' && (admin as Administrator).id !== '' && typeof (admin as Administrator).name === 'string';
    if (!Array.isArray(list) || !list.every(valid)) {
      throw new OtpError('ERR_DIRECTORY', 'directory.administratorsOf must return an array of { id, name } with string ids');
    }
    return list.filter((admin) => admin.id !== userId);
  }

  async function authorize(adminId: string, userId: string): Promise<void> {
    checkId(adminId, 'adminId');
    checkId(userId, 'userId');
    if (adminId === userId) throw new OtpError('ERR_NOT_ADMIN', 'an administrator cannot act on their own 2-step verification');
    const allowed = await guard('ERR_DIRECTORY', 'directory.isAdministratorOf failed', () => directory.isAdministratorOf(adminId, userId));
    if (allowed !== true) throw new OtpError('ERR_NOT_ADMIN', 'this administrator does not administer this user');
  }

  async function adminAction(adminId: string, userId: string, type: 'reset' | 'decline', options: AdminActionOptions | undefined): Promise<AdminActionResult> {
    const requestId = options?.requestId;
    if (requestId !== undefined) checkId(requestId, 'requestId');
    await authorize(adminId, userId);
    const { result, events, claimed, failures } = await run(userId, { type, adminId, requestId });
    report(failures, claimed.filter((event) => !events.some((own) => own.id === event.id)));
    if (!result.ok) return result;
    return { ok: true, notified: events.every((event) => !failures.has(event.id)) };
  }

  return {
    async nextStep(userId) {
      return (await run(userId, { type: 'inspect' })).result;
    },

    async postpone(userId, options) {
      const attempt = options?.attempt;
      if (attempt !== undefined) checkId(attempt, 'attempt');
      return quietly(userId, { type: 'postpone', attempt });
    },

    async beginEnrollment(userId, options) {
      checkId(userId, 'userId');
      let account = options?.account;
      if (account === undefined && directory.accountLabel !== undefined) {
        const label = directory.accountLabel.bind(directory);
        account = await guard('ERR_DIRECTORY', 'directory.accountLabel failed', () => label(userId));
        if (typeof account !== 'string') throw new OtpError('ERR_DIRECTORY', 'directory.accountLabel must return a string');
      }
      account ??= userId;
      // Refuse a label the URI cannot carry before anything is stored.
      buildUri({ type: 'totp', secret: PROBE_SECRET, issuer, account });
      const begun = await quietly(userId, { type: 'begin-enrollment', renew: options?.renew === true });
      const { secret, algorithm, digits, period, expiresAt } = begun;
      const uri = buildUri({ type: 'totp', secret, issuer, account, algorithm, digits, period });
      return { secret, manualKey: formatManualKey(secret), uri, qrSvg: qrSvg(uri), expiresAt };
    },

    async confirmEnrollment(userId, code) {
      checkCode(code);
      return quietly(userId, { type: 'confirm-enrollment', code });
    },

    async verify(userId, code) {
      checkCode(code);
      return quietly(userId, { type: 'verify', code });
    },

    administrators,

    async requestReset(userId, options) {
      const to = options?.to;
      checkId(to, 'to');
      const admins = await administrators(userId);
      let ids: string[];
      if (to === 'all') {
        ids = [...new Set(admins.map((admin) => admin.id))];
      } else {
        if (!admins.some((admin) => admin.id === to)) throw new OtpError('ERR_NOT_ADMIN', 'to must be one of the user\'s administrators or "all"');
        ids = [to];
      }
      const { result, claimed, failures } = await run(userId, { type: 'request-reset', to: ids });
      // This call's notifications: its new event, and the request's earlier ones it sent again.
      const ours = (event: GateEvent) => event.type === 'reset-requested' && event.requestId === result.requestId;
      const own = claimed.find((event) => ours(event) && failures.has(event.id));
      report(failures, claimed.filter((event) => !ours(event)));
      if (own !== undefined) throw failures.get(own.id)!;
      return result;
    },

    async pendingResets(adminId) {
      checkId(adminId, 'adminId');
      const open: unknown = await storeCall(() => store.listOpenResets());
      if (!Array.isArray(open)) throw new OtpError('ERR_STORE', 'store.listOpenResets must return an array');
      const at = now();
      const candidates = (open as unknown[]).flatMap((entry): PendingReset[] => {
        if (typeof entry !== 'object' || entry === null) return [];
        const { userId, record } = entry as { userId?: unknown; record?: unknown };
        if (typeof userId !== 'string' || userId === adminId) return [];
        // One unreadable record must not hide every other user's request.
        const request = readable(record)?.resetRequest ?? null;
        if (request === null || at >= request.expiresAt) return [];
        return [{ userId, requestId: request.id, to: request.to, requestedAt: request.requestedAt, expiresAt: request.expiresAt }];
      });
      const allowed = await Promise.all(
        candidates.map((c) =>
          guard('ERR_DIRECTORY', 'directory.isAdministratorOf failed', () => directory.isAdministratorOf(adminId, c.userId)),
        ),
      );
      return candidates.filter((_, i) => allowed[i] === true).sort((a, b) => a.requestedAt - b.requestedAt);
    },

    reset: (adminId, userId, options) => adminAction(adminId, userId, 'reset', options),
    decline: (adminId, userId, options) => adminAction(adminId, userId, 'decline', options),

    async enable(userId) {
      await quietly(userId, { type: 'enable' });
    },

    async disable(userId) {
      await quietly(userId, { type: 'disable' });
    },

    async flushNotifications(userId) {
      checkId(userId, 'userId');
      const token = randomId();
      let claimed: GateEvent[] = [];
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const { found, record } = await load(userId);
        const claim = claimOutbox(record, token, now());
        claimed = claim.claimed;
        if (found === null || claimed.length === 0) return { delivered: 0, remaining: record.outbox.length };
        if (await storeCall(() => store.compareAndSet(userId, found.version, claim.next))) break;
        claimed = [];
        if (attempt === MAX_ATTEMPTS - 1) throw new OtpError('ERR_CONFLICT', 'flushNotifications kept losing the race for this user\'s record; try again');
      }
      const failures = await deliver(userId, token, claimed);
      if (failures.size > 0) throw failures.values().next().value!;
      const { record } = await load(userId);
      return { delivered: claimed.length, remaining: record.outbox.length };
    },
  };
}

function readable(record: unknown): GateRecord | null {
  try {
    return parseGateRecord(record);
  } catch {
    return null;
  }
}

function randomId(): string {
  let hex = '';
  for (const byte of randomBytes(16)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

// Full jitter (random in [0, cap)) spreads racing writers apart instead of
// having them collide again in lockstep.
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function checkSeam(value: unknown, name: string, methods: readonly string[]): void {
  if (typeof value !== 'object' || value === null) throw new OtpError('ERR_OPTIONS', `${name} is required`);
  for (const method of methods) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') throw new OtpError('ERR_OPTIONS', `${name}.${method} must be a function`);
  }
}

function checkId(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new OtpError('ERR_OPTIONS', `${name} must be a string of 1 to 256 characters`);
  }
}

function checkCode(code: unknown): asserts code is string {
  // Longer than any code or recovery code: refused before it reaches a hash.
  if (typeof code !== 'string' || code.length > 64) throw new OtpError('ERR_OPTIONS', 'code must be a string of at most 64 characters');
}

async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  return guard('ERR_STORE', 'the store failed', fn);
}

/** Runs a seam call; a failure that is not already an OtpError becomes one with `code`, keeping the cause. */
async function guard<T>(code: OtpErrorCode, message: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (isOtpError(cause)) throw cause;
    throw new OtpError(code, message, { cause });
  }
}

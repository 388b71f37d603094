// The shell around decide(): load, decide, compare-and-set (again on a
// conflict), then deliver the outbox. The only async orchestration of the
// gate and its only contact with the seams.
import { base32Decode, base32Encode } from '../core/base32.js';
import { generateSecret } from '../core/secret.js';
import { formatManualKey } from '../enrollment/manual-key.js';
import { qrSvg, type QrSvgOptions } from '../enrollment/qr.js';
import { buildUri } from '../enrollment/uri.js';
import { isOtpError, OtpError, type OtpErrorCode } from '../errors.js';
import { redactError } from '../internal/redact.js';
import { isWellFormed } from '../internal/text.js';
import type { SecretCipher } from '../seams/cipher.js';
import { systemClock, type Clock } from '../seams/clock.js';
import type { Administrator, Directory } from '../seams/directory.js';
import type { Notifier } from '../seams/notifier.js';
import type { MfaStore, StoredRecord } from '../seams/store.js';
import { decide, TRANSITIONS, type Command, type DecideContext, type Proof, type Results } from './decide.js';
import { deadline, type Deadline } from './deadline.js';
import type { GateEvent, JsonValue } from './events.js';
import { randomId } from './ids.js';
import { claimOutbox, isDue, settleOutbox, type Settlement } from './outbox.js';
import { createKeyedQueue } from './queue.js';
import { resolvePolicy, type Policy, type ResolvedPolicy } from './policy.js';
import { initialRecord, parseGateRecord, type GateRecord, type StoredSecret } from './record.js';
import { issueRecoveryCodes } from './recovery.js';
import { upgradeSecrets } from './rewrap.js';
import { authenticatorsOf } from './authenticators.js';
import { randomBytes } from '../internal/bytes.js';
import { base64url, readAssertion, readRegistration, readRelyingParty, type PasskeyClaim } from './passkeys.js';
import { checkAssertion, checkRegistration, loadWebAuthn, loginOptions, registrationOptions, type WebAuthnServer } from './webauthn.js';
import type {
  AuthenticationResponseJSON,
  PasskeyDescriptorJSON,
  PasskeyRelyingParty,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from './webauthn-json.js';
import type {
  AdminActionResult,
  AuthenticatorInfo,
  ConfirmResult,
  FlushResult,
  NextStep,
  PasskeyRegistrationResult,
  PendingReset,
  PostponeResult,
  RecoveryCodesResult,
  RemoveResult,
  ResetRequestResult,
  Status,
  TrustedDeviceInfo,
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
  /**
   * Who administers whom, and account labels.
   * @defaultValue none: nobody administers anybody, so "Lost 2-Step Verification code?" has no one to ask
   * (`requestReset` refuses with `ERR_DIRECTORY`) and only recovery codes help a user who lost the phone
   */
  readonly directory?: Directory | undefined;
  /**
   * Receives every event after its change was stored.
   * @defaultValue none: events are not kept, so nobody is mailed about reset requests and resets,
   * and there is no audit trail (administrators still see requests in `pendingResets`)
   */
  readonly notifier?: Notifier | undefined;
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
   * How long one gate call may wait for notifications in all, whatever the
   * backlog: past it the notifier call in progress counts as failed
   * (`ERR_NOTIFY`, the event stays queued) and the rest wait for a later
   * call, so a mail server that hangs must not hang logins. After a hang
   * the gate leaves the notifier alone for a while (1 s, doubling to 60 s);
   * each failed event waits before its next try (30 s, doubling to an
   * hour), and a call gives up on the backlog after three failures. At most 50 000, below the 60 s claim on an event being sent, so a
   * late answer and a retry do not overlap.
   * @defaultValue `10_000`
   */
  readonly notifyTimeoutMs?: number | undefined;
  /**
   * How long the store, directory, cipher and `policy.required` calls of one
   * gate call may take together before the call fails with that seam's code
   * (`ERR_STORE`, `ERR_DIRECTORY`, `ERR_CIPHER`, `ERR_OPTIONS`). Between 1 and 60 000.
   * @defaultValue `10_000`
   */
  readonly timeoutMs?: number | undefined;
  /**
   * What a delivery learned (sent, failed) is written with the user's next
   * change, so a verify or a postpone costs one write; when no change comes
   * within this many milliseconds it is written on its own. `0` writes it
   * before the call returns (two writes per change), for runtimes that stop
   * timers once the response is sent (serverless functions, workers).
   * Until it is written, the events stay claimed, so no other server sends
   * them; if it is never written (the process died), they go out again
   * after their 60 s claim, with the same ids. Between 0 and 30 000.
   * @defaultValue `1_000`
   */
  readonly settleDelayMs?: number | undefined;
  /**
   * Told about what the gate worked around instead of failing: a record
   * `pendingResets` skipped because it cannot be read, an `onNotifyError`
   * hook that threw. Messages name the user, never a secret or a code.
   * @defaultValue `console.warn` of the message
   */
  readonly onError?: ((error: OtpError) => void) | undefined;
}

/**
 * What every gate method accepts in its options.
 *
 * @example
 * ```ts
 * import type { CallOptions, Gate } from 'otpgate';
 * async function login(gate: Gate, userId: string, code: string, ip: string) {
 *   const options: CallOptions = { context: { ip, requestId: crypto.randomUUID() } };
 *   return gate.verify(userId, code, options); // every event of this call carries the context
 * }
 * ```
 */
export interface CallOptions {
  /**
   * Any JSON value (at most 4 KiB as JSON), carried by every event this call
   * causes, for audit trails: who asked, from where.
   * @defaultValue none
   */
  readonly context?: JsonValue | undefined;
}

/**
 * Options of `gate.beginEnrollment`.
 *
 * @example
 * ```ts
 * import type { BeginEnrollmentOptions } from 'otpgate';
 * const options: BeginEnrollmentOptions = { account: 'alice@example.com', qr: { size: 240 } };
 * ```
 */
export interface BeginEnrollmentOptions extends CallOptions {
  /** The label in the authenticator app. @defaultValue the directory's `accountLabel`, else the user id */
  readonly account?: string | undefined;
  /** Draw a new secret even while the pending one is unexpired. @defaultValue `false` */
  readonly renew?: boolean | undefined;
  /** The name of the new authenticator on the settings page ("Work phone"), 1 to 64 characters. @defaultValue "Authenticator app" (with a number after the first) */
  readonly label?: string | undefined;
  /**
   * For a user who is enrolled already (adding one more authenticator): a
   * fresh code from one of theirs, or a recovery code. Without it (or
   * `passkey`): `ERR_REAUTH_REQUIRED`; a wrong one is counted and
   * `ERR_REAUTH_FAILED`.
   */
  readonly code?: string | undefined;
  /** Instead of `code`: a passkey's answer to a {@link Gate.beginPasskeyLogin} challenge. */
  readonly passkey?: AuthenticationResponseJSON | undefined;
  /** How `qrSvg` draws the code (size, colours, level). @defaultValue `qrSvg`'s defaults */
  readonly qr?: QrSvgOptions | undefined;
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
 * The fresh proof a sensitive action asks for (turning 2-step off, removing
 * an authenticator, new recovery codes): a code from one of the user's
 * authenticator apps, a recovery code, or a passkey's answer to a
 * {@link Gate.beginPasskeyLogin} challenge. It is checked and counted like a
 * login.
 *
 * @example
 * ```ts
 * import type { Gate, ReauthOptions } from 'otpgate';
 * async function turnOff(gate: Gate, userId: string, proof: ReauthOptions) {
 *   return gate.disable(userId, proof); // { code: '287082' } or { passkey: answerFromTheBrowser }
 * }
 * ```
 */
export interface ReauthOptions extends CallOptions {
  /** A fresh code from one of the user's authenticator apps, or a recovery code. */
  readonly code?: string | undefined;
  /** Instead of `code`: the browser's answer to a `beginPasskeyLogin` challenge. */
  readonly passkey?: AuthenticationResponseJSON | undefined;
}

/**
 * Options of `gate.beginPasskeyRegistration`: the relying party, and for a
 * user who is enrolled already the fresh proof adding an authenticator asks
 * for.
 *
 * @example
 * ```ts
 * import type { BeginPasskeyRegistrationOptions } from 'otpgate';
 * const options: BeginPasskeyRegistrationOptions = {
 *   rpId: 'example.com',
 *   rpName: 'Example Co',
 *   origin: 'https://example.com',
 *   label: 'Laptop',
 *   userName: 'alice@example.com',
 * };
 * ```
 */
export interface BeginPasskeyRegistrationOptions extends PasskeyRelyingParty, ReauthOptions {
  /** The new passkey's name on the settings page, 1 to 64 characters. @defaultValue "Passkey" (with a number after the first) */
  readonly label?: string | undefined;
  /** The account name the browser shows and keeps with the passkey, 1 to 256 characters. @defaultValue the directory's `accountLabel`, else the user id */
  readonly userName?: string | undefined;
}

/**
 * Options of `gate.verifyPasskey`.
 *
 * @example
 * ```ts
 * import type { VerifyPasskeyOptions } from 'otpgate';
 * const options: VerifyPasskeyOptions = { rememberDevice: { label: 'Firefox on Linux' }, context: { ip: '203.0.113.7' } };
 * ```
 */
export interface VerifyPasskeyOptions extends CallOptions {
  /** Remember this browser, as `verify`'s option does (where `policy.trustedDevices` is enabled). */
  readonly rememberDevice?: {
    /** The device's name on the settings page. @defaultValue "This device" */
    readonly label?: string | undefined;
  } | undefined;
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
 * method resolves normally and reports to `config.onNotifyError`. A call
 * waits at most `notifyTimeoutMs` for notifications, and failed events wait
 * out a back-off before their next try. A user's record keeps at most 500
 * undelivered events; past that, the oldest are dropped and counted in one
 * `events-dropped` event, so a notifier that is down for good cannot grow
 * records forever.
 *
 * **Trust.** `beginEnrollment` and `beginPasskeyRegistration` (for an
 * enrolled user), the confirmations that follow them, `enable` and
 * `disable` change how the account is protected: call them only for a user
 * who has fully logged in, including the code or passkey.
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
  /**
   * What to ask of the user after the password: see {@link NextStep}. With
   * the `deviceToken` of a remembered device (and `policy.trustedDevices`
   * enabled) an enrolled user who is not locked is let through:
   * `{ step: 'allow', remembered: true }`.
   */
  nextStep(userId: string, options?: CallOptions & { readonly deviceToken?: string | undefined }): Promise<NextStep>;
  /**
   * "Postpone setup": uses one postpone. Pass the login attempt's id so a
   * double click or a second tab of the same login uses only one: for ten
   * minutes after it postponed, the same id resolves `repeated: true`;
   * after that it is a new postpone, so an old id sent again at a later
   * login cannot skip set-up. Draw the id on the server, per login.
   * @throws {@link OtpError} `ERR_POSTPONE_LIMIT` when none is left; `ERR_POSTPONE_NOT_ALLOWED` where 2-step is not required or after an administrator's reset; `ERR_STATE` once enrolled
   */
  postpone(userId: string, options?: CallOptions & { readonly attempt?: string | undefined }): Promise<PostponeResult>;
  /**
   * Starts set-up: a new secret, pending until confirmed. While it is
   * unexpired the same secret comes back, so a page reload does not break
   * the QR code being scanned, unless `renew` asks for a new one. `account`
   * is the label in the app: by default the directory's `accountLabel`, else
   * the user id. For a user who is enrolled already this adds one more
   * authenticator (up to `policy.authenticators.max`), and asks for a fresh
   * `code` first.
   * @throws {@link OtpError} `ERR_URI` for an account label an `otpauth://` URI cannot carry (empty, or with `:`), before anything is stored; `ERR_REAUTH_REQUIRED` / `ERR_REAUTH_FAILED` while enrolled without a right `code`; `ERR_LIMIT` with as many authenticators as allowed
   */
  beginEnrollment(userId: string, options?: BeginEnrollmentOptions): Promise<Enrollment>;
  /**
   * Starts a passkey registration ("Use a passkey instead" at set-up, "Add a
   * passkey" in the settings): a single-use challenge is kept in the user's
   * record for `policy.passkeys.challengeTtlMs`, and the options for the
   * browser's `navigator.credentials.create()` come back (pass them to
   * `@simplewebauthn/browser`'s `startRegistration({ optionsJSON })`). For a
   * user who is enrolled already this adds an authenticator: a fresh `code`
   * or `passkey` is asked for first, as by `beginEnrollment`.
   * Needs the optional peer dependency `@simplewebauthn/server` (v13).
   * @throws {@link OtpError} `ERR_OPTIONS` for a bad relying party, label or user name, or without `@simplewebauthn/server`; `ERR_REAUTH_REQUIRED` / `ERR_REAUTH_FAILED` while enrolled without a right proof; `ERR_LIMIT` with as many authenticators as allowed
   */
  beginPasskeyRegistration(userId: string, options: BeginPasskeyRegistrationOptions): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /**
   * Stores the passkey the browser made for a `beginPasskeyRegistration`
   * challenge, once verified (challenge, origin, relying party, user
   * verification as the policy asks). The challenge is used up. A first
   * authenticator enrolls the user and returns the recovery codes, as
   * `confirmEnrollment` does. See {@link PasskeyRegistrationResult}.
   * @throws {@link OtpError} `ERR_OPTIONS` for something that is not a browser's registration answer, or without `@simplewebauthn/server`
   */
  confirmPasskeyRegistration(userId: string, response: RegistrationResponseJSON, options?: CallOptions): Promise<PasskeyRegistrationResult>;
  /**
   * Starts a passkey login ("Use your passkey") or a passkey
   * re-authentication: a single-use challenge is kept in the user's record,
   * and the options for `navigator.credentials.get()` come back, naming the
   * user's passkeys for this `rpId` (pass them to `@simplewebauthn/browser`'s
   * `startAuthentication({ optionsJSON })`).
   * @throws {@link OtpError} `ERR_NOT_ENROLLED` when the user has no passkey for this `rpId`; `ERR_OPTIONS` for a bad relying party, or without `@simplewebauthn/server`
   */
  beginPasskeyLogin(userId: string, options: PasskeyRelyingParty & CallOptions): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /**
   * Checks a passkey's answer at login, like `verify` checks a code:
   * `{ ok: true, method: 'passkey' }`, or a refusal (see {@link VerifyResult}).
   * The challenge is used up by the first answer (a second is `replayed`);
   * a refusal counts in the same throttle as wrong codes, and a lock refuses
   * without checking. A signature counter that did not go up is refused as
   * `invalid`, with a `passkey-cloned` event.
   * @throws {@link OtpError} `ERR_OPTIONS` for something that is not a browser's answer, for `rememberDevice` where the policy does not enable remembered devices, or without `@simplewebauthn/server`
   */
  verifyPasskey(userId: string, response: AuthenticationResponseJSON, options?: VerifyPasskeyOptions): Promise<VerifyResult>;
  /**
   * "Verify and Save": activates the pending secret when `code` is right and
   * returns the recovery codes, once. The code's step is consumed. With no
   * set-up pending it answers `already-enrolled` (a double click after a
   * success) or `no-setup` (begin again), never an error. A right code that
   * comes when another authenticator (a passkey, an import) brought the user
   * to `policy.authenticators.max` after the set-up began answers `limit`:
   * nothing is added and the pending secret is discarded.
   */
  confirmEnrollment(userId: string, code: string, options?: CallOptions): Promise<ConfirmResult>;
  /**
   * Checks a one-time code or a recovery code at login: see {@link VerifyResult}.
   * With `rememberDevice` (where `policy.trustedDevices` is enabled) an
   * accepted code also returns a `deviceToken` for this browser; only its
   * hash is stored.
   * @throws {@link OtpError} `ERR_OPTIONS` for `rememberDevice` where the policy does not enable remembered devices
   */
  verify(userId: string, code: string, options?: CallOptions & { readonly rememberDevice?: { readonly label?: string | undefined } | undefined }): Promise<VerifyResult>;
  /** The user's remembered devices that have not expired (never their tokens). */
  trustedDevices(userId: string): Promise<readonly TrustedDeviceInfo[]>;
  /** Forgets one remembered device; resolves whether there was one with that id. */
  forgetDevice(userId: string, id: string, options?: CallOptions): Promise<boolean>;
  /** Forgets every remembered device of the user ("log out everywhere"); resolves how many were live. */
  forgetAllDevices(userId: string, options?: CallOptions): Promise<number>;
  /**
   * Brings a user of an existing TOTP setup in as enrolled, with no QR code:
   * their phone keeps working. For bulk imports from another application's
   * table (see docs/migrating.md); no recovery codes are issued (the user
   * makes them in the settings). Refused where the user is enrolled already,
   * unless `add` asks to import one more authenticator. A user's first
   * authenticator ends the set-ups they had begun (a pending app secret,
   * passkey registrations), as a confirmed one does.
   * @throws {@link OtpError} `ERR_BASE32` / `ERR_OPTIONS` for a bad secret or options; `ERR_STATE` where enrolled without `add`; `ERR_LIMIT` past `policy.authenticators.max`
   */
  importEnrollment(userId: string, options: ImportOptions): Promise<ImportResult>;
  /**
   * Deletes everything otpgate keeps about the user (account deletion,
   * GDPR): authenticators, recovery codes, devices, requests and events not
   * delivered yet. Resolves whether there was a record.
   * @throws {@link OtpError} `ERR_OPTIONS` when the store has no `delete`
   */
  deleteUser(userId: string): Promise<boolean>;
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
  requestReset(userId: string, options: CallOptions & { readonly to: string }): Promise<ResetRequestResult>;
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
  enable(userId: string, options?: CallOptions): Promise<void>;
  /**
   * Opts out where 2-step verification is not required: every authenticator
   * and the recovery codes are deleted. An enrolled user confirms with a
   * fresh `code` (or a recovery code, or a `passkey` answer), checked and counted like a login.
   * @throws {@link OtpError} `ERR_REQUIRED` where required; `ERR_STATE` while locked; `ERR_NOT_ENROLLED` with nothing to disable; `ERR_REAUTH_REQUIRED` without a code while enrolled
   */
  disable(userId: string, options?: ReauthOptions): Promise<RemoveResult>;
  /**
   * Where the user stands, for a settings page: state, whether 2-step is
   * required, authenticators, recovery codes left, lock, open reset request.
   * Reads only.
   */
  status(userId: string, options?: CallOptions): Promise<Status>;
  /** The user's authenticators (never their secrets), as in {@link Gate.status}. */
  authenticators(userId: string): Promise<readonly AuthenticatorInfo[]>;
  /**
   * Removes one authenticator (an app or a passkey), after a fresh `code`
   * (from any of the user's authenticators, or a recovery code) or `passkey`
   * answer. Removing the last one where 2-step
   * is not required turns it off, recovery codes included.
   * @throws {@link OtpError} `ERR_NOT_FOUND` for an unknown id; `ERR_REQUIRED` for the last one where required; `ERR_REAUTH_REQUIRED` without a code
   */
  removeAuthenticator(userId: string, id: string, options?: ReauthOptions): Promise<RemoveResult>;
  /**
   * Renames one authenticator (1 to 64 characters).
   * @throws {@link OtpError} `ERR_NOT_FOUND` for an unknown id; `ERR_OPTIONS` for a bad label
   */
  renameAuthenticator(userId: string, id: string, label: string, options?: CallOptions): Promise<void>;
  /**
   * "New recovery codes": after a fresh `code` (or a recovery code, or a `passkey` answer), a new
   * set replaces the old one and is returned this once.
   * @throws {@link OtpError} `ERR_NOT_ENROLLED` when not enrolled; `ERR_REAUTH_REQUIRED` without a code
   */
  regenerateRecoveryCodes(userId: string, options?: ReauthOptions): Promise<RecoveryCodesResult>;
  /**
   * Sends the user's queued events again (after a notifier failure).
   * @throws {@link OtpError} `ERR_NOTIFY` when the notifier failed again (the events stay queued)
   */
  flushNotifications(userId: string): Promise<FlushResult>;
}

/**
 * What `gate.importEnrollment` brings in.
 *
 * @example
 * ```ts
 * import type { ImportOptions } from 'otpgate';
 * const row = { totp_secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', last_counter: 59_000_000 };
 * const options: ImportOptions = { secret: row.totp_secret, lastStep: row.last_counter, label: 'Phone (imported)' };
 * ```
 */
export interface ImportOptions extends CallOptions {
  /** The user's existing TOTP secret: base32 (any case, spaces, padding) of at least 80 bits. */
  readonly secret: string;
  /** @defaultValue `'SHA1'` */
  readonly algorithm?: 'SHA1' | 'SHA256' | 'SHA512' | undefined;
  /** 6 to 10. @defaultValue `6` */
  readonly digits?: number | undefined;
  /** Seconds per code, 1 to 3600. @defaultValue `30` */
  readonly period?: number | undefined;
  /**
   * The last time step the old application accepted (its replay floor):
   * only later steps log in.
   * @defaultValue the current step, so a code used at the old application a moment ago cannot be used again here
   */
  readonly lastStep?: number | undefined;
  /** The authenticator's name on the settings page. @defaultValue "Authenticator app" */
  readonly label?: string | undefined;
  /** Import one more authenticator for a user who is enrolled already. @defaultValue `false` */
  readonly add?: boolean | undefined;
}

/**
 * What `gate.importEnrollment` answers.
 *
 * @example
 * ```ts
 * import type { ImportResult } from 'otpgate';
 * const log = (r: ImportResult) => console.log('imported as', r.authenticatorId);
 * ```
 */
export interface ImportResult {
  /** The imported authenticator, as `authenticators` lists it. */
  readonly authenticatorId: string;
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
export interface AdminActionOptions extends CallOptions {
  /** The request acted on, from {@link Gate.pendingResets}: if it is no longer open, nothing changes. @defaultValue none: act whether or not a request is open */
  readonly requestId?: string | undefined;
}

/** A placeholder key for checking an account label before a secret is drawn. */
const PROBE_SECRET = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Compare-and-set rounds before giving up with ERR_CONFLICT. */
const MAX_ATTEMPTS = 24;
const MAX_BACKOFF_MS = 100;

/** After the notifier hung, the gate leaves it alone this long, doubling with each hang in a row. */
const NOTIFIER_PAUSE_MS = 1_000;
const NOTIFIER_PAUSE_MAX_MS = 60_000;

/** Notifier failures one call tolerates before it leaves the rest of the backlog for later. */
const MAX_NOTIFY_FAILURES = 3;

/** The largest `context` a call may carry, as JSON. */
const MAX_CONTEXT_CHARS = 4096;

const CONFIG_KEYS = ['store', 'directory', 'notifier', 'issuer', 'policy', 'cipher', 'clock', 'onNotifyError', 'notifyTimeoutMs', 'timeoutMs', 'settleDelayMs', 'onError'];

/** One gate call: its id, its context and its seam deadline. */
interface Call {
  readonly token: string;
  readonly context: JsonValue | undefined;
  readonly deadline: Deadline;
}

/** The WebAuthn verdicts of one round, taken against the record that round decides on. */
type Prepare = (record: GateRecord, now: number) => Promise<Pick<DecideContext, 'assertion' | 'registration'>>;

/** What a transition stored and which events its call is to deliver. */
interface Transacted<R> {
  readonly result: R;
  readonly events: readonly GateEvent[];
  readonly claimed: readonly GateEvent[];
}

/** What a delivery did: the notifier's failures by event id, and the events it did not try. */
interface Delivery {
  readonly failures: Map<string, OtpError>;
  readonly untried: ReadonlySet<string>;
}

/**
 * Creates the gate: the policy engine a host calls from its login handlers.
 * Does no I/O until a method is called.
 *
 * @param config - store and issuer, and optionally directory, notifier, policy, cipher, clock and hooks
 * @returns the {@link Gate}
 * @throws {@link OtpError} `ERR_OPTIONS` for a missing store, an empty issuer, a bad policy or an unknown option
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
  checkKeys(config, CONFIG_KEYS, 'config');
  const { store, directory, notifier, cipher, onNotifyError } = config;
  checkSeam(store, 'store', ['get', 'compareAndSet', 'listOpenResets']);
  if (directory !== undefined) checkSeam(directory, 'directory', ['administratorsOf', 'isAdministratorOf']);
  if (notifier !== undefined) checkSeam(notifier, 'notifier', ['notify']);
  if (cipher !== undefined) checkSeam(cipher, 'cipher', ['encrypt', 'decrypt']);
  if (typeof config.issuer !== 'string' || config.issuer.trim() === '' || config.issuer.includes(':')) {
    throw new OtpError('ERR_OPTIONS', 'issuer must be a non-empty string without ":"');
  }
  for (const hook of ['onNotifyError', 'onError'] as const) {
    if (config[hook] !== undefined && typeof config[hook] !== 'function') throw new OtpError('ERR_OPTIONS', `${hook} must be a function`);
  }
  const issuer = config.issuer;
  const clock = config.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') throw new OtpError('ERR_OPTIONS', 'clock.now must be a function');
  const policy: ResolvedPolicy = resolvePolicy(config.policy);
  const notifyTimeoutMs = config.notifyTimeoutMs ?? 10_000;
  if (typeof notifyTimeoutMs !== 'number' || !Number.isInteger(notifyTimeoutMs) || notifyTimeoutMs < 1 || notifyTimeoutMs > 50_000) {
    throw new OtpError('ERR_OPTIONS', 'notifyTimeoutMs must be an integer from 1 to 50000');
  }
  const timeoutMs = config.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new OtpError('ERR_OPTIONS', 'timeoutMs must be an integer from 1 to 60000');
  }
  const settleDelayMs = config.settleDelayMs ?? 1_000;
  if (typeof settleDelayMs !== 'number' || !Number.isInteger(settleDelayMs) || settleDelayMs < 0 || settleDelayMs > 30_000) {
    throw new OtpError('ERR_OPTIONS', 'settleDelayMs must be an integer from 0 to 30000');
  }
  const onError = config.onError ?? ((error: OtpError) => console.warn(`otpgate: ${error.message}`));

  const exclusive = createKeyedQueue();
  /** Per user, what deliveries learned that no write has stored yet. */
  const owed = new Map<string, Settlement>();
  const settleTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** The notifier failed lately: until when it is left alone, and how many failures in a row. */
  let notifierPause = { until: 0, failures: 0 };

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

  function begin(options: CallOptions | undefined): Call {
    return { token: randomId(), context: checkContext(options?.context), deadline: deadline(timeoutMs) };
  }

  /** Runs a seam call under the call's deadline; a failure that is not already an OtpError becomes one with `code`. */
  function seam<T>(call: Call, code: OtpErrorCode, what: string, fn: () => T | Promise<T>, failed = `${what} failed`): Promise<T> {
    return guard(code, failed, () => call.deadline.race(fn, () => new OtpError(code, `${what} did not answer within ${timeoutMs} ms`)));
  }

  /** A store call: its failures pass on a redacted copy of the driver's error, never the record it was writing. */
  async function storeCall<T>(call: Call, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await seam(call, 'ERR_STORE', what, fn);
    } catch (error) {
      if (isOtpError(error) && error.code === 'ERR_STORE' && error.cause !== undefined) {
        throw new OtpError('ERR_STORE', error.message, { cause: redactError(error.cause) });
      }
      throw error;
    }
  }

  async function load(call: Call, userId: string): Promise<{ found: StoredRecord | null; record: GateRecord }> {
    const found = await storeCall(call, 'store.get', () => store.get(userId));
    return { found, record: found === null ? initialRecord() : parseGateRecord(found.record) };
  }

  /**
   * Compare-and-set. When the store fails, the write may still have happened
   * (the connection died after the statement): the record is read back, and
   * if it holds this write, the write stands and the caller gets its answer
   * instead of an error followed by `replayed` on its retry.
   */
  async function write(call: Call, userId: string, expected: number | null, next: GateRecord): Promise<boolean> {
    try {
      return await storeCall(call, 'store.compareAndSet', () => store.compareAndSet(userId, expected, next));
    } catch (error) {
      if (!isOtpError(error) || error.code !== 'ERR_STORE') throw error;
      const check: Call = { ...call, deadline: deadline(timeoutMs) };
      try {
        const found = await storeCall(check, 'store.get', () => store.get(userId));
        const stored = found === null ? null : readable(found.record);
        if (stored !== null && holdsWrite(stored, next.lastWrite!)) return true;
      } catch {
        // Still failing: the first error says it best.
      } finally {
        check.deadline.clear();
      }
      throw error;
    }
  }

  async function isRequired(call: Call, userId: string): Promise<boolean> {
    const rule = policy.required;
    if (typeof rule === 'boolean') return rule;
    const answer = await seam(call, 'ERR_OPTIONS', 'policy.required', () => rule(userId));
    if (typeof answer !== 'boolean') throw new OtpError('ERR_OPTIONS', 'policy.required must return a boolean');
    return answer;
  }

  async function unwrap(call: Call, stored: StoredSecret, userId: string): Promise<string> {
    if (!stored.wrapped) return stored.secret;
    if (cipher === undefined) throw new OtpError('ERR_CIPHER', 'the stored secret is encrypted but the gate has no cipher');
    const plain = await seam(call, 'ERR_CIPHER', 'cipher.decrypt', () => cipher.decrypt(stored.secret, userId), 'the stored secret could not be decrypted');
    if (typeof plain !== 'string') throw new OtpError('ERR_CIPHER', 'the cipher must return a string');
    if (!BASE32_SECRET.test(plain)) throw new OtpError('ERR_CIPHER', 'the cipher returned something that is not a base32 secret');
    return plain;
  }

  async function wrap(call: Call, plain: string, userId: string): Promise<{ plain: string; stored: string; wrapped: boolean }> {
    if (cipher === undefined) return { plain, stored: plain, wrapped: false };
    const stored = await seam(call, 'ERR_CIPHER', 'cipher.encrypt', () => cipher.encrypt(plain, userId), 'the secret could not be encrypted');
    if (typeof stored !== 'string') throw new OtpError('ERR_CIPHER', 'the cipher must return a string');
    return { plain, stored, wrapped: true };
  }

  /** Writes the deliveries' results into `record`, and tells which ones it used. */
  function fold(userId: string, record: GateRecord): { record: GateRecord; used: Settlement | null } {
    const settlement = owed.get(userId);
    if (settlement === undefined || settlement.size === 0) return { record, used: null };
    const used: Settlement = new Map(settlement);
    return { record: settleOutbox(record, used), used };
  }

  /** Forgets what a successful write stored (deliveries may have added more meanwhile). */
  function paid(userId: string, used: Settlement | null): void {
    if (used === null) return;
    const settlement = owed.get(userId);
    if (settlement === undefined) return;
    for (const [id, entry] of used) if (settlement.get(id) === entry) settlement.delete(id);
    if (settlement.size === 0) {
      owed.delete(userId);
      clearTimeout(settleTimers.get(userId));
      settleTimers.delete(userId);
    }
  }

  /**
   * One transition: load, decide, compare-and-set; on a lost race reload and
   * decide again. What the decision needs from outside (the policy's answer,
   * decrypted keys, a fresh secret, recovery codes) is gathered per the
   * transition table and reused across rounds. The write also carries what
   * earlier deliveries learned and claims the events this call will send.
   */
  async function transact<C extends Command>(call: Call, userId: string, command: C, provided?: string, prepare?: Prepare): Promise<Transacted<Results[C['type']]>> {
    const needs = new Set(TRANSITIONS[command.type].needs);
    let required: boolean | undefined;
    let freshSecret: DecideContext['freshSecret'];
    let freshChallenge: DecideContext['freshChallenge'];
    let recoveryCodes: DecideContext['recoveryCodes'];
    let deviceToken: string | undefined;
    const keys = new Map<string, string>();
    const key = async (stored: StoredSecret | null): Promise<string | undefined> => {
      if (stored === null) return undefined;
      const cached = keys.get(stored.secret);
      if (cached !== undefined) return cached;
      const plain = await unwrap(call, stored, userId);
      keys.set(stored.secret, plain);
      return plain;
    };

    // Every write stores each secret wrapped under the cipher's current key:
    // a plain one once a cipher is set, one under a rotated-out key again.
    const upgrade = async (record: GateRecord): Promise<GateRecord> => {
      if (cipher === undefined) return record;
      return upgradeSecrets(record, cipher, {
        plain: async (stored) => (await key(stored))!,
        wrap: async (plain) => (await wrap(call, plain, userId)).stored,
      });
    };

    const keysFor = async (record: GateRecord): Promise<{ activeKey?: string; activeKeys: string[] }> => {
      const activeKeys: string[] = [];
      for (const authenticator of authenticatorsOf(record)) activeKeys.push((await key(authenticator))!);
      return activeKeys.length === 0 ? { activeKeys } : { activeKey: activeKeys[0]!, activeKeys };
    };

    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const { found, record: loaded } = await load(call, userId);
      if (needs.has('required') && required === undefined) required = await isRequired(call, userId);
      if (needs.has('freshSecret') && freshSecret === undefined) freshSecret = await wrap(call, provided ?? generateSecret(), userId);
      if (needs.has('recoveryCodes') && recoveryCodes === undefined) recoveryCodes = issueRecoveryCodes(policy.recovery.count);
      if (needs.has('freshChallenge')) freshChallenge ??= { challenge: base64url(randomBytes(32)), userHandle: base64url(randomBytes(32)) };
      if ((command.type === 'verify' || command.type === 'verify-passkey') && command.rememberDevice !== undefined) deviceToken ??= randomId() + randomId();
      const at = now();
      const { record, used } = fold(userId, loaded);
      // An expired pending secret is never used, so it is never decrypted either.
      const livePending = record.pending !== null && at < record.pending.expiresAt ? record.pending : null;
      const id = `${call.token}.${attempt}`;
      const ctx: DecideContext = {
        userId,
        now: at,
        policy,
        id,
        context: call.context,
        required,
        freshSecret,
        recoveryCodes,
        deviceToken,
        freshChallenge,
        ...(needs.has('activeKey') ? await keysFor(record) : {}),
        pendingKey: needs.has('pendingKey') ? await key(livePending) : undefined,
        // A passkey's answer is verified against this round's record: its challenge and passkey.
        ...(prepare === undefined ? {} : await prepare(record, at)),
      };
      const decision = decide(record, command, ctx);
      // Nothing changed but what deliveries learned: that waits for a later write.
      if (decision.next === record) return { result: decision.result, events: [], claimed: [] };
      let next: GateRecord = await upgrade({ ...decision.next, lastWrite: id });
      let claimed: GateEvent[] = [];
      if (notifier === undefined) {
        next = { ...next, outbox: [] };
      } else {
        // Asking for a reset again is an explicit retry of its notifications;
        // everything else waits out the back-offs and the notifier's pause.
        const paused = at < notifierPause.until;
        const urgent = command.type === 'request-reset';
        ({ next, claimed } = claimOutbox(next, call.token, at, (entry) => (urgent && entry.event.type === 'reset-requested') || (!paused && isDue(entry, at))));
      }
      if (await write(call, userId, found?.version ?? null, next)) {
        paid(userId, used);
        return { result: decision.result, events: notifier === undefined ? [] : decision.events, claimed };
      }
    }
    throw new OtpError('ERR_CONFLICT', `${command.type} kept losing the race for this user's record; try again`);
  }

  /**
   * Hands the claimed events to the notifier in order, within one
   * `notifyTimeoutMs` for them all; after a hang, or a few failures, the rest
   * wait for a later call. What happened is owed to the record and written
   * with the user's next write.
   */
  async function deliver(userId: string, token: string, claimed: readonly GateEvent[]): Promise<Delivery> {
    const failures = new Map<string, OtpError>();
    const untried = new Set<string>();
    if (claimed.length === 0 || notifier === undefined) return { failures, untried };
    const settlement: Settlement = new Map();
    const budget = deadline(notifyTimeoutMs);
    try {
      for (const event of claimed) {
        if (failures.size >= MAX_NOTIFY_FAILURES || budget.left() === 0) {
          untried.add(event.id);
          settlement.set(event.id, { token, outcome: 'untried', at: now() });
          continue;
        }
        try {
          await budget.race(
            () => notifier.notify(event),
            () => new NotifyTimeout(`no answer within ${notifyTimeoutMs} ms`),
          );
          settlement.set(event.id, { token, outcome: 'delivered', at: now() });
          notifierPause = { until: 0, failures: 0 };
        } catch (cause) {
          failures.set(event.id, new OtpError('ERR_NOTIFY', `the notifier failed on a ${event.type} event; it stays queued`, { cause }));
          settlement.set(event.id, { token, outcome: 'failed', at: now() });
          if (cause instanceof NotifyTimeout) {
            // A notifier that hangs costs every login the whole budget: leave it alone for a while.
            const hangs = notifierPause.failures + 1;
            notifierPause = { until: now() + Math.min(NOTIFIER_PAUSE_MAX_MS, NOTIFIER_PAUSE_MS * 2 ** Math.min(hangs - 1, 16)), failures: hangs };
          }
        }
      }
    } finally {
      budget.clear();
    }
    await owe(userId, settlement);
    return { failures, untried };
  }

  async function owe(userId: string, settlement: Settlement): Promise<void> {
    const existing = owed.get(userId);
    if (existing === undefined) owed.set(userId, settlement);
    else for (const [id, entry] of settlement) existing.set(id, entry);
    if (settleDelayMs === 0) {
      // Written before the call returns: a second write, for runtimes that stop timers once the response is sent.
      await settle(userId).catch(() => {
        // The store is down: the claims run out and the events go out again, by id.
      });
      return;
    }
    if (settleTimers.has(userId)) return;
    const timer = setTimeout(() => {
      settleTimers.delete(userId);
      void settle(userId).catch(() => {
        // The store is down: the claims run out and the events go out again, by id.
      });
    }, settleDelayMs);
    // A pending write must not keep a process alive that has nothing else to do.
    (timer as { unref?: () => void }).unref?.();
    settleTimers.set(userId, timer);
  }

  /** Writes what deliveries learned when no transition of the user came to carry it. */
  async function settle(userId: string): Promise<void> {
    const call = begin(undefined);
    try {
      await exclusive(userId, async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          if (attempt > 0) await backoff(attempt);
          const { found, record: loaded } = await load(call, userId);
          const { record, used } = fold(userId, loaded);
          if (found === null || record === loaded) return paid(userId, used);
          if (await write(call, userId, found.version, { ...record, lastWrite: `${call.token}.${attempt}` })) return paid(userId, used);
        }
      });
    } finally {
      call.deadline.clear();
    }
  }

  function report(failures: Map<string, OtpError>, events: readonly GateEvent[]): void {
    if (onNotifyError === undefined) return;
    for (const event of events) {
      const error = failures.get(event.id);
      if (error === undefined) continue;
      try {
        onNotifyError(error, event);
      } catch (cause) {
        // A hook that throws must not turn a stored success into an error.
        onError(new OtpError('ERR_OPTIONS', 'onNotifyError threw; the gate went on', { cause }));
      }
    }
  }

  async function run<C extends Command>(
    userId: string,
    command: C,
    options: CallOptions | undefined,
    provided?: string,
    prepare?: Prepare,
  ): Promise<Transacted<Results[C['type']]> & Delivery> {
    checkId(userId, 'userId');
    const call = begin(options);
    try {
      const done = await exclusive(userId, () => transact(call, userId, command, provided, prepare));
      return { ...done, ...(await deliver(userId, call.token, done.claimed)) };
    } finally {
      call.deadline.clear();
    }
  }

  /** Methods whose caller does not learn of a notifier failure report it to onNotifyError. */
  async function quietly<C extends Command>(userId: string, command: C, options: CallOptions | undefined, provided?: string, prepare?: Prepare): Promise<Results[C['type']]> {
    const { result, claimed, failures } = await run(userId, command, options, provided, prepare);
    report(failures, claimed);
    return result;
  }

  async function administrators(userId: string, call?: Call): Promise<readonly Administrator[]> {
    checkId(userId, 'userId');
    if (directory === undefined) return [];
    const own = call ?? begin(undefined);
    try {
      const list = await seam(own, 'ERR_DIRECTORY', 'directory.administratorsOf', () => directory.administratorsOf(userId));
      const copy = guardSync('ERR_DIRECTORY', 'directory.administratorsOf returned an unreadable list', () => readAdministrators(list));
      if (copy === null) throw new OtpError('ERR_DIRECTORY', 'directory.administratorsOf must return an array of { id, name } with string ids');
      return copy.filter((admin) => admin.id !== userId);
    } finally {
      if (call === undefined) own.deadline.clear();
    }
  }

  async function isAdministrator(call: Call, adminId: string, userId: string): Promise<boolean> {
    if (directory === undefined) return false;
    return (await seam(call, 'ERR_DIRECTORY', 'directory.isAdministratorOf', () => directory.isAdministratorOf(adminId, userId))) === true;
  }

  async function authorize(call: Call, adminId: string, userId: string): Promise<void> {
    checkId(adminId, 'adminId');
    checkId(userId, 'userId');
    if (adminId === userId) throw new OtpError('ERR_NOT_ADMIN', 'an administrator cannot act on their own 2-step verification');
    if (!(await isAdministrator(call, adminId, userId))) throw new OtpError('ERR_NOT_ADMIN', 'this administrator does not administer this user');
  }

  async function adminAction(adminId: string, userId: string, type: 'reset' | 'decline', options: AdminActionOptions | undefined): Promise<AdminActionResult> {
    checkKeys(options, ['requestId', 'context'], type);
    const requestId = options?.requestId;
    if (requestId !== undefined) checkId(requestId, 'requestId');
    const check = begin(undefined);
    try {
      await authorize(check, adminId, userId);
    } finally {
      check.deadline.clear();
    }
    const { result, events, claimed, failures, untried } = await run(userId, { type, adminId, requestId }, options);
    report(failures, claimed.filter((event) => !events.some((own) => own.id === event.id)));
    if (!result.ok) return result;
    const sent = (event: GateEvent) => claimed.some((c) => c.id === event.id) && !failures.has(event.id) && !untried.has(event.id);
    return { ok: true, notified: events.length > 0 && events.every(sent) };
  }

  /** The account label for an authenticator app or a passkey: given, else the directory's, else the user id. */
  async function accountOf(userId: string, given: string | undefined): Promise<string> {
    if (given !== undefined) return given;
    if (directory?.accountLabel === undefined) return userId;
    const label = directory.accountLabel.bind(directory);
    const call = begin(undefined);
    let account: unknown;
    try {
      account = await seam(call, 'ERR_DIRECTORY', 'directory.accountLabel', () => label(userId));
    } finally {
      call.deadline.clear();
    }
    if (typeof account !== 'string') throw new OtpError('ERR_DIRECTORY', 'directory.accountLabel must return a string');
    return account;
  }

  /** A passkey answer's verdict, taken against each round's record; a locked user's is not worth the signature check (the decision refuses it unread). */
  function assertionOf(server: WebAuthnServer, response: AuthenticationResponseJSON, claim: PasskeyClaim): Prepare {
    return async (record, at) => {
      const t = record.throttle;
      if (t.hardStop || (t.lockedUntil !== null && at < t.lockedUntil)) return { assertion: { verified: false, newCounter: 0 } };
      return { assertion: await checkAssertion(server, record, response, claim, at, policy.passkeys.userVerification) };
    };
  }

  /** A sensitive action's proof: the code as given, or a passkey's answer, read now and verified in each round. */
  async function proofOf(options: ReauthOptions | undefined, where: string): Promise<{ proof: Proof; prepare?: Prepare }> {
    const code = options?.code;
    if (code !== undefined) checkCode(code);
    if (options?.passkey === undefined) return { proof: { code } };
    if (code !== undefined) throw new OtpError('ERR_OPTIONS', `${where}: pass a code or a passkey, not both`);
    const { response, claim } = readAssertion(options.passkey, `${where}: passkey`);
    const server = await loadWebAuthn();
    return { proof: { passkey: claim }, prepare: assertionOf(server, response, claim) };
  }

  const descriptors = (list: ReadonlyArray<{ readonly credentialId: string; readonly transports: readonly string[] }>): PasskeyDescriptorJSON[] =>
    list.map((p) => ({ id: p.credentialId, type: 'public-key', transports: p.transports as NonNullable<PasskeyDescriptorJSON['transports']> }));

  return {
    async nextStep(userId, options) {
      checkKeys(options, ['deviceToken', 'context'], 'nextStep');
      const deviceToken = options?.deviceToken;
      if (deviceToken !== undefined && (typeof deviceToken !== 'string' || deviceToken.length > 256)) throw new OtpError('ERR_OPTIONS', 'deviceToken must be a string');
      return (await run(userId, { type: 'inspect', deviceToken }, options)).result;
    },

    async postpone(userId, options) {
      checkKeys(options, ['attempt', 'context'], 'postpone');
      const attempt = options?.attempt;
      if (attempt !== undefined) checkId(attempt, 'attempt');
      return quietly(userId, { type: 'postpone', attempt }, options);
    },

    async beginEnrollment(userId, options) {
      checkKeys(options, ['account', 'renew', 'qr', 'label', 'code', 'passkey', 'context'], 'beginEnrollment');
      checkId(userId, 'userId');
      if (options?.renew !== undefined && typeof options.renew !== 'boolean') throw new OtpError('ERR_OPTIONS', 'renew must be a boolean');
      if (options?.label !== undefined) checkLabel(options.label);
      if (options?.account !== undefined && typeof options.account !== 'string') throw new OtpError('ERR_OPTIONS', 'account must be a string');
      const { proof, prepare } = await proofOf(options, 'beginEnrollment');
      const account = await accountOf(userId, options?.account);
      // Refuse a label the URI cannot carry, and QR options qrSvg refuses, before anything is stored.
      const probe = buildUri({ type: 'totp', secret: PROBE_SECRET, issuer, account });
      if (options?.qr !== undefined) qrSvg(probe, options.qr);
      const begun = await quietly(userId, { type: 'begin-enrollment', renew: options?.renew === true, label: options?.label, ...proof }, options, undefined, prepare);
      if ('refused' in begun) throw reauthFailed(begun.refused, proof);
      const { secret, algorithm, digits, period, expiresAt } = begun;
      const uri = buildUri({ type: 'totp', secret, issuer, account, algorithm, digits, period });
      return { secret, manualKey: formatManualKey(secret), uri, qrSvg: qrSvg(uri, options?.qr), expiresAt };
    },

    async beginPasskeyRegistration(userId, options) {
      const where = 'beginPasskeyRegistration';
      checkKeys(options, ['rpId', 'rpName', 'origin', 'label', 'userName', 'code', 'passkey', 'context'], where);
      checkId(userId, 'userId');
      if (typeof options !== 'object' || options === null) throw new OtpError('ERR_OPTIONS', `${where}: options with rpId and origin are required`);
      const { rpId, rpName, origins } = readRelyingParty(options, where);
      if (options.label !== undefined) checkLabel(options.label);
      if (options.userName !== undefined && typeof options.userName !== 'string') throw new OtpError('ERR_OPTIONS', `${where}: userName must be a string`);
      // Loaded before anything is stored: without the library no challenge is handed out.
      const server = await loadWebAuthn();
      const { proof, prepare } = await proofOf(options, where);
      const userName = await accountOf(userId, options.userName);
      // The browser shows it and the authenticator keeps it: never empty, never huge, whether given or the directory's.
      if (userName.trim() === '' || userName.length > 256 || !isWellFormed(userName)) {
        throw new OtpError(options.userName === undefined ? 'ERR_DIRECTORY' : 'ERR_OPTIONS', `${where}: the user name must be 1 to 256 characters`);
      }
      const begun = await quietly(userId, { type: 'begin-passkey', kind: 'registration', rpId, origins, label: options.label, ...proof }, options, undefined, prepare);
      if ('refused' in begun) throw reauthFailed(begun.refused, proof);
      return registrationOptions(server, {
        rpId,
        rpName,
        userName,
        userHandle: begun.userHandle,
        challenge: begun.challenge,
        timeout: policy.passkeys.challengeTtlMs,
        exclude: descriptors(begun.credentials),
        userVerification: policy.passkeys.userVerification,
      });
    },

    async confirmPasskeyRegistration(userId, response, options) {
      const where = 'confirmPasskeyRegistration';
      checkKeys(options, ['context'], where);
      const read = readRegistration(response, where);
      const server = await loadWebAuthn();
      const prepare: Prepare = async (record, at) => ({
        registration: await checkRegistration(server, record, read.response, read.claim, at, policy.passkeys.userVerification),
      });
      return quietly(userId, { type: 'confirm-passkey', ...read.claim }, options, undefined, prepare);
    },

    async beginPasskeyLogin(userId, options) {
      const where = 'beginPasskeyLogin';
      checkKeys(options, ['rpId', 'rpName', 'origin', 'context'], where);
      const { rpId, origins } = readRelyingParty(options, where);
      const server = await loadWebAuthn();
      const begun = await quietly(userId, { type: 'begin-passkey', kind: 'login', rpId, origins }, options);
      // A login challenge asks for no proof, so it is never refused one.
      if ('refused' in begun) throw reauthFailed(begun.refused, {});
      return loginOptions(server, {
        rpId,
        challenge: begun.challenge,
        timeout: policy.passkeys.challengeTtlMs,
        allow: descriptors(begun.credentials),
        userVerification: policy.passkeys.userVerification,
      });
    },

    async verifyPasskey(userId, response, options) {
      const where = 'verifyPasskey';
      checkKeys(options, ['rememberDevice', 'context'], where);
      const remember = options?.rememberDevice;
      if (remember !== undefined) {
        if (!policy.trustedDevices.enabled) throw new OtpError('ERR_OPTIONS', 'rememberDevice needs policy.trustedDevices.enabled');
        checkKeys(remember, ['label'], 'rememberDevice');
        if (remember.label !== undefined) checkLabel(remember.label);
      }
      const { response: answer, claim } = readAssertion(response, where);
      const server = await loadWebAuthn();
      const rememberDevice = remember === undefined ? undefined : { label: remember.label ?? 'This device' };
      return quietly(userId, { type: 'verify-passkey', ...claim, rememberDevice }, options, undefined, assertionOf(server, answer, claim));
    },

    async confirmEnrollment(userId, code, options) {
      checkKeys(options, ['context'], 'confirmEnrollment');
      checkCode(code);
      return quietly(userId, { type: 'confirm-enrollment', code }, options);
    },

    async verify(userId, code, options) {
      checkKeys(options, ['rememberDevice', 'context'], 'verify');
      checkCode(code);
      const remember = options?.rememberDevice;
      if (remember === undefined) return quietly(userId, { type: 'verify', code }, options);
      if (!policy.trustedDevices.enabled) throw new OtpError('ERR_OPTIONS', 'rememberDevice needs policy.trustedDevices.enabled');
      checkKeys(remember, ['label'], 'rememberDevice');
      if (remember.label !== undefined) checkLabel(remember.label);
      return quietly(userId, { type: 'verify', code, rememberDevice: { label: remember.label ?? 'This device' } }, options);
    },

    async trustedDevices(userId) {
      return (await run(userId, { type: 'status' }, undefined)).result.trustedDevices;
    },

    async forgetDevice(userId, id, options) {
      checkKeys(options, ['context'], 'forgetDevice');
      checkId(id, 'id');
      return (await quietly(userId, { type: 'forget-device', id }, options)).forgotten;
    },

    async importEnrollment(userId, options) {
      checkKeys(options, ['secret', 'algorithm', 'digits', 'period', 'lastStep', 'label', 'add', 'context'], 'importEnrollment');
      if (typeof options !== 'object' || options === null) throw new OtpError('ERR_OPTIONS', 'importEnrollment: options with a secret are required');
      if (typeof options.secret !== 'string') throw new OtpError('ERR_OPTIONS', 'importEnrollment: secret must be a base32 string');
      const bytes = base32Decode(options.secret);
      if (bytes.length < 10) throw new OtpError('ERR_OPTIONS', 'importEnrollment: the secret must have at least 80 bits');
      const algorithm = options.algorithm ?? 'SHA1';
      if (algorithm !== 'SHA1' && algorithm !== 'SHA256' && algorithm !== 'SHA512') throw new OtpError('ERR_OPTIONS', "importEnrollment: algorithm must be 'SHA1', 'SHA256' or 'SHA512'");
      const digits = checkInt(options.digits, 6, 6, 10, 'digits');
      const period = checkInt(options.period, 30, 1, 3600, 'period');
      const lastStep = checkInt(options.lastStep, Math.floor(now() / 1000 / period), 0, Number.MAX_SAFE_INTEGER, 'lastStep');
      if (options.label !== undefined) checkLabel(options.label);
      if (options.add !== undefined && typeof options.add !== 'boolean') throw new OtpError('ERR_OPTIONS', 'importEnrollment: add must be a boolean');
      const command = { type: 'import', algorithm, digits, period, lastStep, label: options.label, add: options.add === true } as const;
      return quietly(userId, command, options, base32Encode(bytes));
    },

    async deleteUser(userId) {
      checkId(userId, 'userId');
      if (typeof store.delete !== 'function') throw new OtpError('ERR_OPTIONS', 'deleteUser needs a store with delete()');
      const remove = store.delete.bind(store);
      const call = begin(undefined);
      try {
        return await exclusive(userId, async () => {
          owed.delete(userId);
          return (await storeCall(call, 'store.delete', () => remove(userId))) === true;
        });
      } finally {
        call.deadline.clear();
      }
    },

    async forgetAllDevices(userId, options) {
      checkKeys(options, ['context'], 'forgetAllDevices');
      return (await quietly(userId, { type: 'forget-all-devices' }, options)).forgotten;
    },

    administrators: (userId) => administrators(userId),

    async requestReset(userId, options) {
      checkKeys(options, ['to', 'context'], 'requestReset');
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
      const { result, claimed, failures, untried } = await run(userId, { type: 'request-reset', to: ids }, options);
      // This call's notifications: its new event, and the request's earlier ones it sent again.
      const ours = (event: GateEvent) => event.type === 'reset-requested' && event.requestId === result.requestId;
      report(failures, claimed.filter((event) => !ours(event)));
      const own = claimed.find((event) => ours(event) && failures.has(event.id));
      if (own !== undefined) throw failures.get(own.id)!;
      if (notifier !== undefined && !claimed.some((event) => ours(event) && !untried.has(event.id))) {
        throw new OtpError('ERR_NOTIFY', 'the notifier failed lately and was not asked again yet; the request is stored: ask again to resend');
      }
      return result;
    },

    async pendingResets(adminId) {
      checkId(adminId, 'adminId');
      if (directory === undefined) return [];
      const call = begin(undefined);
      try {
        const open: unknown = await storeCall(call, 'store.listOpenResets', () => store.listOpenResets());
        if (!Array.isArray(open)) throw new OtpError('ERR_STORE', 'store.listOpenResets must return an array');
        const at = now();
        const candidates = (open as unknown[]).flatMap((entry): PendingReset[] => {
          if (typeof entry !== 'object' || entry === null) return [];
          const { userId, record } = entry as { userId?: unknown; record?: unknown };
          if (typeof userId !== 'string' || userId === adminId) return [];
          // One unreadable record must not hide every other user's request.
          const parsed = readable(record);
          if (parsed === null) {
            onError(new OtpError('ERR_STORE', `pendingResets skipped the record of user ${JSON.stringify(userId.slice(0, 256))}: it cannot be read`));
            return [];
          }
          const request = parsed.resetRequest;
          if (request === null || at >= request.expiresAt) return [];
          return [{ userId, requestId: request.id, to: request.to, requestedAt: request.requestedAt, expiresAt: request.expiresAt }];
        });
        const allowed = await Promise.all(candidates.map((c) => isAdministrator(call, adminId, c.userId)));
        return candidates.filter((_, i) => allowed[i]).sort((a, b) => a.requestedAt - b.requestedAt);
      } finally {
        call.deadline.clear();
      }
    },

    reset: (adminId, userId, options) => adminAction(adminId, userId, 'reset', options),
    decline: (adminId, userId, options) => adminAction(adminId, userId, 'decline', options),

    async enable(userId, options) {
      checkKeys(options, ['context'], 'enable');
      await quietly(userId, { type: 'enable' }, options);
    },

    async disable(userId, options) {
      checkKeys(options, ['code', 'passkey', 'context'], 'disable');
      const { proof, prepare } = await proofOf(options, 'disable');
      return quietly(userId, { type: 'disable', ...proof }, options, undefined, prepare);
    },

    async status(userId, options) {
      checkKeys(options, ['context'], 'status');
      return (await run(userId, { type: 'status' }, options)).result;
    },

    async authenticators(userId) {
      return (await run(userId, { type: 'status' }, undefined)).result.authenticators;
    },

    async removeAuthenticator(userId, id, options) {
      checkKeys(options, ['code', 'passkey', 'context'], 'removeAuthenticator');
      checkId(id, 'id');
      const { proof, prepare } = await proofOf(options, 'removeAuthenticator');
      return quietly(userId, { type: 'remove-authenticator', id, ...proof }, options, undefined, prepare);
    },

    async renameAuthenticator(userId, id, label, options) {
      checkKeys(options, ['context'], 'renameAuthenticator');
      checkId(id, 'id');
      checkLabel(label);
      await quietly(userId, { type: 'rename-authenticator', id, label }, options);
    },

    async regenerateRecoveryCodes(userId, options) {
      checkKeys(options, ['code', 'passkey', 'context'], 'regenerateRecoveryCodes');
      const { proof, prepare } = await proofOf(options, 'regenerateRecoveryCodes');
      return quietly(userId, { type: 'regenerate-recovery-codes', ...proof }, options, undefined, prepare);
    },

    async flushNotifications(userId) {
      checkId(userId, 'userId');
      const call = begin(undefined);
      try {
        let queued = 0;
        const claimed = await exclusive(userId, async () => {
          for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            if (attempt > 0) await backoff(attempt);
            const { found, record: loaded } = await load(call, userId);
            const at = now();
            const { record, used } = fold(userId, loaded);
            queued = record.outbox.length;
            // An explicit flush does not wait for back-offs.
            const claim = notifier === undefined ? { next: record, claimed: [] } : claimOutbox(record, call.token, at, () => true);
            if (found === null || claim.next === loaded) return [];
            if (await write(call, userId, found.version, { ...claim.next, lastWrite: `${call.token}.${attempt}` })) {
              paid(userId, used);
              return claim.claimed;
            }
          }
          throw new OtpError('ERR_CONFLICT', 'flushNotifications kept losing the race for this user\'s record; try again');
        });
        if (claimed.length === 0) return { delivered: 0, remaining: queued };
        const { failures, untried } = await deliver(userId, call.token, claimed);
        await settle(userId);
        if (failures.size > 0) throw failures.values().next().value!;
        const { record } = await load(call, userId);
        return { delivered: claimed.length - untried.size, remaining: record.outbox.length };
      } finally {
        call.deadline.clear();
      }
    },
  };
}

/** A notifier that did not answer within the budget. */
class NotifyTimeout extends Error {}

/** What a gate writes as base32: the upper-case alphabet, no padding. */
const BASE32_SECRET = /^[A-Z2-7]+$/;

function readable(record: unknown): GateRecord | null {
  try {
    return parseGateRecord(record);
  } catch {
    return null;
  }
}

/** Whether `record` is, or came after, the write `id`: it names it, or still queues one of its events. */
function holdsWrite(record: GateRecord, id: string): boolean {
  return record.lastWrite === id || record.outbox.some((entry) => entry.event.id.startsWith(`${id}.`));
}

/** A copy of the directory's list, or `null` when it is not an array of `{ id, name }` (a getter that throws is the caller's to catch). */
function readAdministrators(list: unknown): Administrator[] | null {
  if (!Array.isArray(list)) return null;
  const copy: Administrator[] = [];
  for (const admin of list as unknown[]) {
    if (typeof admin !== 'object' || admin === null) return null;
    const { id, name } = admin as { id?: unknown; name?: unknown };
    if (typeof id !== 'string' || id === '' || typeof name !== 'string') return null;
    copy.push({ id, name });
  }
  return copy;
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

/** Refuses anything but an object (or `undefined`) and option names the method does not know. */
function checkKeys(options: unknown, known: readonly string[], where: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new OtpError('ERR_OPTIONS', `${where}: options must be an object`);
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new OtpError('ERR_OPTIONS', `${where}: unknown option ${JSON.stringify(name.slice(0, 40))}; known: ${known.join(', ')}`);
  }
}

function checkId(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new OtpError('ERR_OPTIONS', `${name} must be a string of 1 to 256 characters`);
  }
  if (!isWellFormed(value)) throw new OtpError('ERR_OPTIONS', `${name} must be well-formed Unicode (it has a lone surrogate)`);
}

function checkCode(code: unknown): asserts code is string {
  // Longer than any code or recovery code: refused before it reaches a hash.
  if (typeof code !== 'string' || code.length > 64) throw new OtpError('ERR_OPTIONS', 'code must be a string of at most 64 characters');
}

function checkInt(value: unknown, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new OtpError('ERR_OPTIONS', `importEnrollment: ${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** An authenticator's name: shown on pages, so short and without control characters. */
function checkLabel(label: unknown): asserts label is string {
  // eslint-disable-next-line no-control-regex
  if (typeof label !== 'string' || label.trim() === '' || label.length > 64 || /[\u0000-\u001f\u007f]/.test(label)) {
    throw new OtpError('ERR_OPTIONS', 'label must be 1 to 64 characters, not only spaces, without control characters');
  }
}

/** The error of a sensitive action whose fresh code was refused (the failure is stored by then). */
function reauthFailed(refusal: { readonly reason: string; readonly retryAt?: number | null | undefined }, proof: Proof): OtpError {
  const what = proof.passkey === undefined ? 'the code' : "the passkey's answer";
  const why = refusal.reason === 'locked' ? 'the user is locked' : refusal.reason === 'replayed' ? `${what} was used already` : `${what} is not right`;
  return new OtpError('ERR_REAUTH_FAILED', `re-authentication failed: ${why}`);
}

/** A private copy of the caller's context, checked to be JSON and small. */
function checkContext(context: unknown): JsonValue | undefined {
  if (context === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(context);
  } catch {
    json = undefined;
  }
  if (json === undefined) throw new OtpError('ERR_OPTIONS', 'context must be a JSON value');
  if (json.length > MAX_CONTEXT_CHARS) throw new OtpError('ERR_OPTIONS', `context must be at most ${MAX_CONTEXT_CHARS} characters as JSON`);
  return JSON.parse(json) as JsonValue;
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

function guardSync<T>(code: OtpErrorCode, message: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (isOtpError(cause)) throw cause;
    throw new OtpError(code, message, { cause });
  }
}

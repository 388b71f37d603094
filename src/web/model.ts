// The view models: what each page shows, as plain data. The HTML views and
// the JSON answers are both made from these, so a single-page app sees
// exactly what the server-rendered page shows.

/**
 * A refusal, as the JSON answer's `error` and the page's alert: `code` is
 * stable (see {@link FlowErrorCode}), `message` is in the page's language.
 *
 * @example
 * ```ts
 * import type { FlowError } from 'otpgate/web';
 * const show = (e: FlowError) => `${e.code}: ${e.message}`;
 * ```
 */
export interface FlowError {
  /** What went wrong, for programs. */
  readonly code: FlowErrorCode;
  /** What went wrong, for people, in the page's language. Never holds a code, a key or a secret. */
  readonly message: string;
}

/**
 * The closed list of error codes of `otpgate/web`, with their HTTP status:
 * `bad-request` (400, a malformed form), `payload-too-large` (413),
 * `unsupported-media-type` (415), `csrf` (403, the form's token is missing or
 * wrong), `session` (403, no valid flow cookie, or one made for someone
 * else: log in again), `unauthorized` (401, the page needs a logged-in user),
 * `not-found` (404), `method-not-allowed` (405), `invalid-code` (401),
 * `replayed-code` (401), `invalid-passkey` (401, a passkey answer refused), `locked` (429), `setup-expired` (400), `postpone-refused`
 * (400), `cooldown` (429), `not-admin` (403), `required` (400), `not-enrolled`
 * (400), `state` (409, not possible in the user's current state), `limit`
 * (409, as many authenticators as the policy allows),
 * `already-handled` (409), `nothing-to-do` (409), `notify-failed` (502),
 * `unavailable` (503, the store failed) and `server-error` (500).
 *
 * @example
 * ```ts
 * import type { FlowErrorCode } from 'otpgate/web';
 * const retry = (code: FlowErrorCode) => code === 'locked' || code === 'cooldown';
 * ```
 */
export type FlowErrorCode =
  | 'bad-request'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'csrf'
  | 'session'
  | 'unauthorized'
  | 'not-found'
  | 'method-not-allowed'
  | 'invalid-code'
  | 'replayed-code'
  | 'invalid-passkey'
  | 'locked'
  | 'setup-expired'
  | 'postpone-refused'
  | 'cooldown'
  | 'not-admin'
  | 'required'
  | 'not-enrolled'
  | 'state'
  | 'limit'
  | 'already-handled'
  | 'nothing-to-do'
  | 'notify-failed'
  | 'unavailable'
  | 'server-error';

/**
 * What every page has: its name, the CSRF token its forms send back (absent
 * on pages without a form), and an error or a notice to show.
 *
 * @example
 * ```ts
 * import type { PageBase } from 'otpgate/web';
 * const hasForm = (p: PageBase) => p.csrf !== undefined;
 * ```
 */
export interface PageBase {
  /** Which page. */
  readonly page: PageName;
  /** The token to send back as the form field `csrf` or the header `X-CSRF-Token`. */
  readonly csrf?: string | undefined;
  /** What went wrong with the last request. */
  readonly error?: FlowError | undefined;
  /** A confirmation of what the last request did, in the page's language. */
  readonly notice?: string | undefined;
}

/**
 * "Set up now" or "Postpone setup" (`postponesLeft` is absent where
 * postponing is not offered), or "Not now" for a user who opted in.
 *
 * @example
 * ```ts
 * import type { ChoiceView } from 'otpgate/web';
 * const canPostpone = (v: ChoiceView) => v.postponesLeft !== undefined;
 * ```
 */
export interface ChoiceView extends PageBase {
  /** The page. */
  readonly page: 'choice';
  /** Whether the organisation requires 2-step verification of this user. */
  readonly required: boolean;
  /** "Postpone setup" clicks left; absent when none is left or it does not apply. */
  readonly postponesLeft?: number | undefined;
  /** Whether "Not now" is offered (a user who opted in and has not finished set-up). */
  readonly canSkip: boolean;
}

/**
 * The set-up page: the QR code, "Unable to scan?" with the key in groups of
 * four and the `otpauth://` link, and the code field ("Verify and Save").
 *
 * @example
 * ```ts
 * import type { SetupView } from 'otpgate/web';
 * const key = (v: SetupView) => v.manualKey;
 * ```
 */
export interface SetupView extends PageBase {
  /** The page. */
  readonly page: 'setup';
  /** The secret in groups of four, for typing into the app. */
  readonly manualKey: string;
  /** The `otpauth://totp/...` link the QR code holds. */
  readonly uri: string;
  /** The QR code as an SVG document. */
  readonly qrSvg: string;
  /** When this key expires unless confirmed (ms since the epoch). */
  readonly expiresAt: number;
  /** "Use a passkey instead" is offered (`createFlow({ passkeys })`; the page's script shows it where the browser has WebAuthn). */
  readonly passkey?: boolean | undefined;
}

/**
 * The recovery codes, shown once after "Verify and Save", with a download
 * and a print-friendly layout; `continueUrl` is where "Continue" goes.
 *
 * @example
 * ```ts
 * import type { RecoveryCodesView } from 'otpgate/web';
 * const text = (v: RecoveryCodesView) => v.codes.join('\n');
 * ```
 */
export interface RecoveryCodesView extends PageBase {
  /** The page. */
  readonly page: 'recovery-codes';
  /** The codes, each usable once. */
  readonly codes: readonly string[];
  /** Where "Continue" leads: the host's answer from `onComplete`, or the settings page. */
  readonly continueUrl: string;
}

/**
 * The code page: a one-time code, or a recovery code.
 *
 * @example
 * ```ts
 * import type { CodeView } from 'otpgate/web';
 * const failed = (v: CodeView) => v.error !== undefined;
 * ```
 */
export interface CodeView extends PageBase {
  /** The page. */
  readonly page: 'code';
  /** "Use your passkey" is offered: passkeys are on and the user has one. */
  readonly passkey?: boolean | undefined;
  /**
   * `false` for a user with passkeys only: there is no app whose code to
   * type, so the page offers the passkey and a recovery code. Absent (passkeys
   * off) or `true`: the code field is shown.
   */
  readonly app?: boolean | undefined;
}

/**
 * Too many wrong codes: when to try again (`retryAt`), or `null` when only a
 * recovery code or an administrator's reset helps.
 *
 * @example
 * ```ts
 * import type { LockedView } from 'otpgate/web';
 * const wait = (v: LockedView, now: number) => (v.retryAt === null ? Infinity : v.retryAt - now);
 * ```
 */
export interface LockedView extends PageBase {
  /** The page. */
  readonly page: 'locked';
  /** When to try again (ms since the epoch), or `null`. */
  readonly retryAt: number | null;
}

/**
 * One administrator to pick on the "Lost 2-Step Verification code?" page.
 *
 * @example
 * ```ts
 * import type { AdministratorView } from 'otpgate/web';
 * const label = (a: AdministratorView) => a.name;
 * ```
 */
export interface AdministratorView {
  /** The id sent back as the form field `to`. */
  readonly id: string;
  /** The name shown. */
  readonly name: string;
}

/**
 * "Lost 2-Step Verification code?": the user's administrators, and "Send to all".
 *
 * @example
 * ```ts
 * import type { LostView } from 'otpgate/web';
 * const names = (v: LostView) => v.administrators.map((a) => a.name);
 * ```
 */
export interface LostView extends PageBase {
  /** The page. */
  readonly page: 'lost';
  /** Whom the user may ask (empty: nobody). */
  readonly administrators: readonly AdministratorView[];
}

/**
 * After "Send request" or "Send to all": who was notified.
 *
 * @example
 * ```ts
 * import type { LostSentView } from 'otpgate/web';
 * const count = (v: LostSentView) => v.notified.length;
 * ```
 */
export interface LostSentView extends PageBase {
  /** The page. */
  readonly page: 'lost-sent';
  /** The names of the administrators notified. */
  readonly notified: readonly string[];
  /** The host's login page. */
  readonly loginUrl: string;
}

/**
 * One open request in the administrator's inbox.
 *
 * @example
 * ```ts
 * import type { InboxRequest } from 'otpgate/web';
 * const line = (r: InboxRequest) => `${r.name} asked ${r.askedNames.join(', ')}`;
 * ```
 */
export interface InboxRequest {
  /** Who asked. */
  readonly userId: string;
  /** Their name (`account(userId)`). */
  readonly name: string;
  /** The request's id, sent back as the form field `request`. */
  readonly requestId: string;
  /** When they asked (ms since the epoch). */
  readonly requestedAt: number;
  /** When the request expires. */
  readonly expiresAt: number;
  /** The names of the administrators they asked. */
  readonly askedNames: readonly string[];
}

/**
 * The administrator's inbox: open requests with "Reset" and "Decline".
 *
 * @example
 * ```ts
 * import type { InboxView } from 'otpgate/web';
 * const open = (v: InboxView) => v.requests.length;
 * ```
 */
export interface InboxView extends PageBase {
  /** The page. */
  readonly page: 'inbox';
  /** The open requests this administrator may act on. */
  readonly requests: readonly InboxRequest[];
}

/**
 * "Reset" or "Decline" asks once more before it acts.
 *
 * @example
 * ```ts
 * import type { ConfirmView } from 'otpgate/web';
 * const isReset = (v: ConfirmView) => v.action === 'reset';
 * ```
 */
export interface ConfirmView extends PageBase {
  /** The page. */
  readonly page: 'confirm';
  /** What the administrator is about to do. */
  readonly action: 'reset' | 'decline';
  /** To whom. */
  readonly userId: string;
  /** Their name. */
  readonly name: string;
  /** The request acted on. */
  readonly requestId: string;
}

/**
 * One authenticator on the settings page (never its secret).
 *
 * @example
 * ```ts
 * import type { AuthenticatorView } from 'otpgate/web';
 * const used = (a: AuthenticatorView) => a.lastUsedAt !== null;
 * ```
 */
export interface AuthenticatorView {
  /** Sent back as the form field `id` of "Rename" and "Remove". */
  readonly id: string;
  /** An authenticator app (`totp`) or a passkey. */
  readonly type: 'totp' | 'passkey';
  /** The name the user gave it. */
  readonly label: string;
  /** When it was added (ms since the epoch). */
  readonly createdAt: number;
  /** When it was last used to log in or confirm (ms since the epoch), or `null`. */
  readonly lastUsedAt: number | null;
}

/**
 * The open "Lost 2-Step Verification code?" request, as the settings page shows it.
 *
 * @example
 * ```ts
 * import type { ResetRequestView } from 'otpgate/web';
 * const line = (r: ResetRequestView) => r.askedNames.join(', ');
 * ```
 */
export interface ResetRequestView {
  /** When it was asked (ms since the epoch). */
  readonly requestedAt: number;
  /** When it expires unless an administrator acts. */
  readonly expiresAt: number;
  /** The names of the administrators asked. */
  readonly askedNames: readonly string[];
}

/**
 * The settings of a logged-in user, read from `gate.status`. `status` is
 * `on` (enrolled), `off`, `pending` (turned on, set-up not finished) or
 * `required` (required, not set up yet); the `can…` flags say which
 * buttons the page offers.
 *
 * @example
 * ```ts
 * import type { SettingsView } from 'otpgate/web';
 * const isOn = (v: SettingsView) => v.status === 'on';
 * ```
 */
export interface SettingsView extends PageBase {
  /** The page. */
  readonly page: 'settings';
  /** See above. */
  readonly status: 'on' | 'off' | 'pending' | 'required';
  /** Whether the organisation requires 2-step verification of this user: then it cannot be turned off. */
  readonly required: boolean;
  /** When the first authenticator still in use was set up, or `null`. */
  readonly enrolledAt: number | null;
  /** "Turn on 2-Step Verification". */
  readonly canEnable: boolean;
  /** "Turn off 2-Step Verification": only where not required; with a code field while `status` is `on`. */
  readonly canDisable: boolean;
  /** "Set up now" / "Finish set-up". */
  readonly canSetUp: boolean;
  /** "New recovery codes" (with a current code). */
  readonly canRenewRecoveryCodes: boolean;
  /** "Add an authenticator" (with a current code). */
  readonly canAddAuthenticator: boolean;
  /** "Add a passkey" (with a current code): passkeys are on (`createFlow({ passkeys })`) and 2-step is set up. */
  readonly canAddPasskey: boolean;
  /** The fresh-code fields also offer "Use your passkey": passkeys are on and the user has one. */
  readonly canUsePasskey: boolean;
  /** The authenticators (apps and passkeys), each with "Rename" and "Remove" (with a current code). */
  readonly authenticators: readonly AuthenticatorView[];
  /** Unused recovery codes, or `null` while 2-step is not set up. */
  readonly recoveryCodesLeft: number | null;
  /** Fewer than 3 recovery codes are left: the page suggests new ones. */
  readonly fewRecoveryCodes: boolean;
  /** The lock in force (`retryAt` `null`: until a recovery code or a reset), or `null`. */
  readonly locked: {
    /** When codes are accepted again (ms since the epoch), or `null`. */
    readonly retryAt: number | null;
  } | null;
  /** The open reset request, or `null`. */
  readonly resetRequest: ResetRequestView | null;
}

/**
 * "Add an authenticator", from the settings: first a current code (from an
 * authenticator the user has, or a recovery code) and a name (`setup` is
 * `null`); then the new one's QR code, "Unable to scan?" key and "Verify
 * and Save" (`setup` present). The key is never kept in a cookie: a reload
 * asks a current code again, and the gate shows the same key while it is
 * unexpired, so an app that scanned it keeps working.
 *
 * @example
 * ```ts
 * import type { AddAuthenticatorView } from 'otpgate/web';
 * const scanning = (v: AddAuthenticatorView) => v.setup !== null;
 * ```
 */
export interface AddAuthenticatorView extends PageBase {
  /** The page. */
  readonly page: 'add-authenticator';
  /** The name of the new authenticator (what the user typed, or empty). */
  readonly label: string;
  /** The set-up of the new authenticator, or `null` before the current code. */
  readonly setup: {
    /** The secret in groups of four. */
    readonly manualKey: string;
    /** The `otpauth://totp/...` link the QR code holds. */
    readonly uri: string;
    /** The QR code as an SVG document. */
    readonly qrSvg: string;
    /** When the key expires unless confirmed (ms since the epoch). */
    readonly expiresAt: number;
  } | null;
}

/**
 * "Add a passkey", from the settings: a current code (from an authenticator
 * the user has, or a recovery code) and a name; then the page's script asks
 * the browser for the passkey and sends it. Without WebAuthn the button stays
 * hidden.
 * @example
 * ```ts
 * import type { AddPasskeyView } from 'otpgate/web';
 * const named = (v: AddPasskeyView) => v.label !== '';
 * ```
 */
export interface AddPasskeyView extends PageBase {
  /** The page. */
  readonly page: 'add-passkey';
  /** The name of the new passkey (what the user typed, or empty). */
  readonly label: string;
  /** The user has a passkey already: it may confirm instead of a code (the field may stay empty). */
  readonly canUsePasskey: boolean;
}

/**
 * A page that only says what went wrong (400, 403, 404, 405, 500 …), with a
 * way back: `loginUrl` when the flow cookie was refused.
 *
 * @example
 * ```ts
 * import type { ErrorView } from 'otpgate/web';
 * const status = (v: ErrorView) => v.status;
 * ```
 */
export interface ErrorView extends PageBase {
  /** The page. */
  readonly page: 'error';
  /** The HTTP status. */
  readonly status: number;
  /** The error. */
  readonly error: FlowError;
  /** Where "Back" leads. */
  readonly backUrl: string;
}

/**
 * Every page of the flow, by name.
 *
 * @example
 * ```ts
 * import type { ViewModel } from 'otpgate/web';
 * const title = (v: ViewModel) => v.page;
 * ```
 */
export type ViewModel =
  | ChoiceView
  | SetupView
  | RecoveryCodesView
  | CodeView
  | LockedView
  | LostView
  | LostSentView
  | InboxView
  | ConfirmView
  | SettingsView
  | AddAuthenticatorView
  | AddPasskeyView
  | ErrorView;

/**
 * The names of the pages.
 *
 * @example
 * ```ts
 * import type { PageName } from 'otpgate/web';
 * const page: PageName = 'settings';
 * ```
 */
export type PageName =
  | 'choice'
  | 'setup'
  | 'recovery-codes'
  | 'code'
  | 'locked'
  | 'lost'
  | 'lost-sent'
  | 'inbox'
  | 'confirm'
  | 'settings'
  | 'add-authenticator'
  | 'add-passkey'
  | 'error';

/**
 * The view model of page `P`.
 *
 * @example
 * ```ts
 * import type { ViewOf } from 'otpgate/web';
 * type Setup = ViewOf<'setup'>;
 * ```
 */
export type ViewOf<P extends PageName> = Extract<
  ViewModel,
  {
    /** The page. */
    readonly page: P;
  }
>;

// Every page of the flow in one table: path, method, who may use it, and the
// handler. Handlers do three things: read the request, call the gate, pick a
// view (or a redirect, or "done": the flow then calls the host's onComplete).
// What a user may do is always the gate's answer, never decided here.
import { isOtpError } from '../errors.js';
import type { AuthenticationResponseJSON, Gate, JsonValue, RegistrationResponseJSON } from '../gate/index.js';
import type { ReauthRefusal } from '../gate/results.js';
import type { MessageKey } from './messages/en.js';
import type { FlowErrorCode, InboxRequest, ResetRequestView, SettingsView, ViewModel, ViewOf } from './model.js';
import { readPasskeyField, type FlowPasskeyOptions, type Reauth } from './passkeys.js';

/** What a handler gets: the request already read and checked. */
export interface Exchange {
  /** The request. */
  readonly request: Request;
  /** The form (or JSON) fields of a POST; empty for a GET. */
  readonly form: Readonly<Record<string, string>>;
  /** The user this page is for: the flow cookie's (stage `login`) or `currentUser`'s (stage `member`). */
  readonly user: string;
  /** See `FlowCookie.stage`. */
  readonly stage: 'login' | 'member';
  /** The login attempt of the flow cookie. */
  readonly attempt: string;
  /** What every gate call of this request carries as `{ context }` (see `FlowOptions.context`). */
  readonly context: JsonValue | undefined;
  /** A text in the page's language. */
  text(key: MessageKey, values?: Readonly<Record<string, string | number>>): string;
  /** A time as the pages show it. */
  formatTime(ms: number): string;
}

/** What a handler decides. */
export type Outcome =
  | { readonly view: ViewModel; readonly status?: number | undefined }
  | { readonly redirect: string }
  /** An answer for the page's script only (the passkey options), always JSON. */
  | { readonly json: unknown; readonly status?: number | undefined }
  /** The second step is done: the flow calls onComplete (and shows the recovery codes, if any, with its cookies). */
  | { readonly complete: true; readonly recoveryCodes?: readonly string[] | undefined };

/** What the handlers need from the flow. */
export interface RouteDeps {
  readonly gate: Gate;
  readonly basePath: string;
  readonly loginUrl: string;
  /** The relying party of `createFlow({ passkeys })`, or `null`: passkeys off, their routes answer 404. */
  readonly passkeys: FlowPasskeyOptions | null;
  account(userId: string): Promise<string>;
}

/** Who may use a route: the user between password and second step, a logged-in user, or either (set-up). */
export type Audience = 'login' | 'member' | 'either';

/** One row of the table. */
export interface Route {
  readonly path: string;
  readonly method: 'GET' | 'POST';
  readonly audience: Audience;
  /** A passkey route: it exists only with `createFlow({ passkeys })`. */
  readonly passkeys?: true;
  handle(x: Exchange, deps: RouteDeps): Promise<Outcome>;
}

/** The longest field value read; anything longer is a malformed form. */
export const MAX_FIELD = 256;

/** The table. Paths are relative to basePath. */
export const ROUTES: readonly Route[] = [
  { path: '', method: 'GET', audience: 'login', handle: stepPage },
  { path: '/postpone', method: 'POST', audience: 'login', handle: postpone },
  { path: '/skip', method: 'POST', audience: 'login', handle: skip },
  { path: '/setup', method: 'GET', audience: 'either', handle: setupPage },
  { path: '/setup', method: 'POST', audience: 'either', handle: confirmSetup },
  { path: '/verify', method: 'POST', audience: 'login', handle: verify },
  { path: '/lost', method: 'GET', audience: 'login', handle: lostPage },
  { path: '/lost', method: 'POST', audience: 'login', handle: requestReset },
  { path: '/settings', method: 'GET', audience: 'member', handle: settingsPage },
  { path: '/settings/enable', method: 'POST', audience: 'member', handle: enable },
  { path: '/settings/disable', method: 'POST', audience: 'member', handle: disable },
  { path: '/settings/recovery-codes', method: 'POST', audience: 'member', handle: renewRecoveryCodes },
  { path: '/settings/authenticators/rename', method: 'POST', audience: 'member', handle: renameAuthenticator },
  { path: '/settings/authenticators/remove', method: 'POST', audience: 'member', handle: removeAuthenticator },
  { path: '/settings/authenticators/add', method: 'GET', audience: 'member', handle: addPage },
  { path: '/settings/authenticators/add', method: 'POST', audience: 'member', handle: beginAdd },
  { path: '/settings/authenticators/confirm', method: 'POST', audience: 'member', handle: confirmAdd },
  { path: '/settings/passkeys/add', method: 'GET', audience: 'member', passkeys: true, handle: addPasskeyPage },
  { path: '/passkey/register/options', method: 'POST', audience: 'either', passkeys: true, handle: passkeyRegistrationOptions },
  { path: '/passkey/register', method: 'POST', audience: 'either', passkeys: true, handle: confirmPasskey },
  { path: '/passkey/login/options', method: 'POST', audience: 'either', passkeys: true, handle: passkeyLoginOptions },
  { path: '/passkey/login', method: 'POST', audience: 'login', passkeys: true, handle: passkeyLogin },
  { path: '/inbox', method: 'GET', audience: 'member', handle: inboxPage },
  { path: '/inbox/reset', method: 'POST', audience: 'member', handle: (x, deps) => adminAction('reset', x, deps) },
  { path: '/inbox/decline', method: 'POST', audience: 'member', handle: (x, deps) => adminAction('decline', x, deps) },
];

/** An error as a view of `page`, or as the error page. */
function failure(x: Exchange, code: FlowErrorCode, key: MessageKey, values?: Readonly<Record<string, string | number>>) {
  return { code, message: x.text(key, values) };
}

function errorPage(x: Exchange, deps: RouteDeps, status: number, code: FlowErrorCode, key: MessageKey): Outcome {
  const backUrl = code === 'session' || code === 'unauthorized' ? deps.loginUrl : deps.basePath;
  return { view: { page: 'error', status, error: failure(x, code, key), backUrl }, status };
}

/** The page the gate asks for after the password. */
async function stepPage(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const next = await deps.gate.nextStep(x.user, { context: x.context });
  switch (next.step) {
    case 'allow':
      return { complete: true };
    case 'setup':
      return {
        view: {
          page: 'choice',
          required: next.required,
          postponesLeft: next.required && next.postponesLeft > 0 ? next.postponesLeft : undefined,
          canSkip: !next.required,
        },
      };
    case 'code':
      return { view: await codeView(x, deps) };
    case 'locked':
      return { view: { page: 'locked', retryAt: next.retryAt } };
  }
}

async function postpone(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  try {
    const result = await deps.gate.postpone(x.user, { attempt: x.attempt, context: x.context });
    // The same login attempt postponed already: a replayed or double-sent form logs nobody in twice.
    if (result.repeated) return errorPage(x, deps, 409, 'state', 'errDone');
    return { complete: true };
  } catch (error) {
    if (isOtpError(error) && (error.code === 'ERR_POSTPONE_LIMIT' || error.code === 'ERR_POSTPONE_NOT_ALLOWED' || error.code === 'ERR_STATE')) {
      const page = await stepPage(x, deps);
      if ('view' in page && page.view.page === 'choice') return { view: { ...page.view, error: failure(x, 'postpone-refused', 'errPostponeRefused') }, status: 400 };
      return errorPage(x, deps, 409, 'state', 'errDone');
    }
    throw error;
  }
}

/** "Not now": only for a user who opted in and has not finished set-up (the gate's `required: false`). */
async function skip(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const next = await deps.gate.nextStep(x.user, { context: x.context });
  if (next.step === 'setup' && !next.required) return { complete: true };
  if (next.step === 'allow') return { complete: true };
  return { redirect: deps.basePath };
}

/** Where set-up does not apply (any more): back to the page that does. */
function notSettingUp(x: Exchange, deps: RouteDeps): Outcome {
  return { redirect: x.stage === 'member' ? `${deps.basePath}/settings` : deps.basePath };
}

async function setupView(x: Exchange, deps: RouteDeps, renew: boolean): Promise<ViewOf<'setup'>> {
  const enrollment = await deps.gate.beginEnrollment(x.user, { account: await deps.account(x.user), renew, context: x.context });
  const { manualKey, uri, qrSvg, expiresAt } = enrollment;
  return { page: 'setup', manualKey, uri, qrSvg, expiresAt, ...(deps.passkeys === null ? {} : { passkey: true }) };
}

/** Whether an authenticator is a passkey (the gate lists apps as `totp`). */
function isPasskey(authenticator: { readonly type: string }): boolean {
  return authenticator.type === 'passkey';
}

/** The code page; with passkeys on, "Use your passkey" where the user has one, and no code field where that is all they have. */
async function codeView(x: Exchange, deps: RouteDeps, error?: ViewModel['error']): Promise<ViewOf<'code'>> {
  const authenticators = deps.passkeys === null ? null : await deps.gate.authenticators(x.user);
  const kinds = authenticators === null ? {} : { passkey: authenticators.some(isPasskey), app: !authenticators.every(isPasskey) };
  return { page: 'code', ...kinds, ...(error === undefined ? {} : { error }) };
}

async function setupPage(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const next = await deps.gate.nextStep(x.user, { context: x.context });
  if (next.step !== 'setup') return notSettingUp(x, deps);
  return { view: await setupView(x, deps, false) };
}

/** A one-time code: digits, spaces ignored. */
function readCode(x: Exchange, recoveryAllowed: boolean): string | { code: FlowErrorCode; key: MessageKey } {
  const text = (x.form['code'] ?? '').replace(/\s+/g, '');
  if (text === '') return { code: 'bad-request', key: 'errCodeEmpty' };
  if (/^\d{6,10}$/.test(text)) return text;
  // A recovery code: letters and digits, in groups with hyphens; the gate decides whether it is one.
  if (recoveryAllowed && /^[A-Za-z0-9-]{8,64}$/.test(text) && /[A-Za-z]/.test(text)) return text;
  return { code: 'bad-request', key: recoveryAllowed ? 'errCodeOrRecovery' : 'errCodeFormat' };
}

async function confirmSetup(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const next = await deps.gate.nextStep(x.user, { context: x.context });
  // Enrolled already (a replayed "Verify and Save"): nothing changes.
  if (next.step !== 'setup') return x.stage === 'member' ? notSettingUp(x, deps) : errorPage(x, deps, 409, 'state', 'errDone');
  const again = async (status: number, code: FlowErrorCode, key: MessageKey, values?: Readonly<Record<string, number>>, renew = false): Promise<Outcome> => ({
    view: { ...(await setupView(x, deps, renew)), error: failure(x, code, key, values) },
    status,
  });
  const code = readCode(x, false);
  if (typeof code !== 'string') return again(400, code.code, code.key);
  const result = await deps.gate.confirmEnrollment(x.user, code, { context: x.context });
  if (result.ok) {
    if (x.stage === 'login') return { complete: true, recoveryCodes: result.recoveryCodes };
    return { view: { page: 'recovery-codes', codes: result.recoveryCodes, continueUrl: `${deps.basePath}/settings` } };
  }
  switch (result.reason) {
    case 'invalid':
      if (result.retryAt !== undefined) return { view: { page: 'locked', retryAt: result.retryAt, error: failure(x, 'locked', 'errLocked') }, status: 429 };
      if (result.attemptsLeft === 0) return again(401, 'invalid-code', 'errSetupDiscarded', undefined, true);
      return result.attemptsLeft === 1
        ? again(401, 'invalid-code', 'errSetupInvalidOne')
        : again(401, 'invalid-code', 'errSetupInvalidOther', { count: result.attemptsLeft });
    case 'expired':
    case 'no-setup':
      return again(400, 'setup-expired', 'errSetupExpired', undefined, true);
    case 'already-enrolled':
      // A double-clicked "Verify and Save": the first one showed the recovery codes.
      return x.stage === 'member' ? notSettingUp(x, deps) : errorPage(x, deps, 409, 'state', 'errDone');
    case 'limit':
      // Enrolled meanwhile, and up to the limit (a passkey in another tab): nothing was added.
      return x.stage === 'member' ? refuse(x, deps, 409, 'limit', 'errLimit') : errorPage(x, deps, 409, 'limit', 'errLimit');
    case 'locked':
      return { view: { page: 'locked', retryAt: result.retryAt, error: failure(x, 'locked', 'errLocked') }, status: 429 };
  }
}

async function verify(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const code = readCode(x, true);
  if (typeof code !== 'string') return { view: await codeView(x, deps, failure(x, code.code, code.key)), status: 400 };
  const result = await deps.gate.verify(x.user, code, { context: x.context });
  if (result.ok) return { complete: true };
  if (result.reason === 'not-enrolled') return { redirect: deps.basePath };
  if (result.reason === 'locked' || result.retryAt !== undefined) {
    return { view: { page: 'locked', retryAt: result.retryAt ?? null, error: failure(x, 'locked', 'errLocked') }, status: 429 };
  }
  const error = result.reason === 'replayed' ? failure(x, 'replayed-code', 'errReplayedCode') : failure(x, 'invalid-code', 'errInvalidCode');
  return { view: await codeView(x, deps, error), status: 401 };
}

async function lostPage(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const administrators = await deps.gate.administrators(x.user);
  return { view: { page: 'lost', administrators: administrators.map(({ id, name }) => ({ id, name })) } };
}

const RESET_ERRORS: Readonly<Record<string, readonly [number, FlowErrorCode, MessageKey]>> = {
  ERR_NOT_ADMIN: [400, 'not-admin', 'errNotAdmin'],
  ERR_COOLDOWN: [429, 'cooldown', 'errCooldown'],
  ERR_NOT_ENROLLED: [400, 'not-enrolled', 'errNotEnrolled'],
  ERR_NOTIFY: [502, 'notify-failed', 'errNotifyFailed'],
};

async function requestReset(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const administrators = await deps.gate.administrators(x.user);
  const list = administrators.map(({ id, name }) => ({ id, name }));
  // "Send to all" is a second submit button of the same form.
  const to = (x.form['all'] ?? '') !== '' ? 'all' : (x.form['to'] ?? '');
  if (to === '') return { view: { page: 'lost', administrators: list, error: failure(x, 'bad-request', 'errChooseAdmin') }, status: 400 };
  try {
    const sent = await deps.gate.requestReset(x.user, { to, context: x.context });
    const notified = sent.to.map((id) => administrators.find((admin) => admin.id === id)?.name ?? id);
    return { view: { page: 'lost-sent', notified, loginUrl: deps.loginUrl } };
  } catch (error) {
    const known = isOtpError(error) ? RESET_ERRORS[error.code] : undefined;
    if (known === undefined) throw error;
    const [status, code, key] = known;
    return { view: { page: 'lost', administrators: list, error: failure(x, code, key) }, status };
  }
}

/** Fewer unused recovery codes than this and the settings suggest new ones (the gate's default `policy.recovery.warnBelow`). */
const FEW_RECOVERY_CODES = 3;

async function settingsView(x: Exchange, deps: RouteDeps): Promise<SettingsView> {
  const s = await deps.gate.status(x.user, { context: x.context });
  const enrolled = s.state === 'enrolled';
  const status: SettingsView['status'] = enrolled ? 'on' : s.enabled ? (s.required ? 'required' : 'pending') : 'off';
  let resetRequest: ResetRequestView | null = null;
  if (s.resetRequest !== null) {
    const names = await adminNames(deps, x.user);
    resetRequest = { requestedAt: s.resetRequest.requestedAt, expiresAt: s.resetRequest.expiresAt, askedNames: s.resetRequest.to.map((id) => names.get(id) ?? id) };
  }
  return {
    page: 'settings',
    status,
    required: s.required,
    enrolledAt: s.enrolledAt,
    canEnable: status === 'off',
    canDisable: !s.required && (enrolled || s.enabled),
    canSetUp: !enrolled && s.enabled,
    canRenewRecoveryCodes: enrolled,
    canAddAuthenticator: enrolled,
    canAddPasskey: enrolled && deps.passkeys !== null,
    canUsePasskey: enrolled && deps.passkeys !== null && s.authenticators.some(isPasskey),
    authenticators: s.authenticators.map(({ id, type, label, createdAt, lastUsedAt }) => ({ id, type, label, createdAt, lastUsedAt })),
    recoveryCodesLeft: enrolled ? s.recoveryCodesLeft : null,
    fewRecoveryCodes: enrolled && s.recoveryCodesLeft < FEW_RECOVERY_CODES,
    locked: s.locked,
    resetRequest,
  };
}

async function settingsPage(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return { view: await settingsView(x, deps) };
}

const SETTINGS_ERRORS: Readonly<Record<string, readonly [number, FlowErrorCode, MessageKey]>> = {
  ERR_REQUIRED: [400, 'required', 'errRequired'],
  ERR_REAUTH_REQUIRED: [400, 'bad-request', 'errCodeEmpty'],
  ERR_STATE: [409, 'state', 'errState'],
  ERR_NOT_ENROLLED: [400, 'not-enrolled', 'errNotEnrolled'],
  ERR_NOT_FOUND: [404, 'not-found', 'errAuthenticatorNotFound'],
  ERR_LIMIT: [409, 'limit', 'errLimit'],
  // A malformed passkey answer as the proof (the gate checks its every field).
  ERR_OPTIONS: [400, 'bad-request', 'errBadRequest'],
};

/** The settings page again, with what went wrong. */
async function refuse(x: Exchange, deps: RouteDeps, status: number, code: FlowErrorCode, key: MessageKey, values?: Readonly<Record<string, string | number>>): Promise<Outcome> {
  return { view: { ...(await settingsView(x, deps)), error: failure(x, code, key, values) }, status };
}

async function settingsAction(x: Exchange, deps: RouteDeps, action: () => Promise<Outcome>, overrides: Readonly<Record<string, MessageKey>> = {}): Promise<Outcome> {
  try {
    return await action();
  } catch (error) {
    const known = isOtpError(error) ? SETTINGS_ERRORS[error.code] : undefined;
    if (known === undefined) throw error;
    const [status, code, key] = known;
    return refuse(x, deps, status, code, overrides[(error as { code: string }).code] ?? key);
  }
}

/**
 * The fresh code of a sensitive action (turn off, remove, new recovery codes,
 * add): a one-time code or a recovery code. An empty field is `undefined`,
 * and the gate answers `ERR_REAUTH_REQUIRED` where one is needed.
 */
function reauthCode(x: Exchange): string | undefined | { code: FlowErrorCode; key: MessageKey } {
  if ((x.form['code'] ?? '').trim() === '') return undefined;
  return readCode(x, true);
}

/**
 * The fresh proof of turn off, remove and new recovery codes: the passkey
 * the page's script put in the form (answering a `beginPasskeyLogin`
 * challenge), else the typed code. `undefined` when there is neither.
 */
function reauth(x: Exchange): Reauth | undefined | { code: FlowErrorCode; key: MessageKey } {
  if ((x.form['passkey'] ?? '') !== '') {
    const passkey = readPasskeyField<AuthenticationResponseJSON>(x.form['passkey']);
    return passkey === null ? { code: 'bad-request', key: 'errBadRequest' } : { passkey };
  }
  const typed = reauthCode(x);
  return typeof typed === 'string' ? { code: typed } : typed;
}

/** A malformed field: the reauth helpers' refusal. */
function isFieldError(value: object): value is { code: FlowErrorCode; key: MessageKey } {
  return 'key' in value;
}

/** A refused fresh code: counted by the gate like a wrong login code. */
async function reauthRefused(x: Exchange, deps: RouteDeps, result: ReauthRefusal): Promise<Outcome> {
  if (result.reason === 'not-enrolled') return refuse(x, deps, 400, 'not-enrolled', 'errNotEnrolled');
  if (result.reason === 'locked' || result.retryAt !== undefined) {
    return { view: { page: 'locked', retryAt: result.retryAt ?? null, error: failure(x, 'locked', 'errLocked') }, status: 429 };
  }
  return result.reason === 'replayed' ? refuse(x, deps, 401, 'replayed-code', 'errReplayedCode') : refuse(x, deps, 401, 'invalid-code', 'errInvalidCode');
}

async function enable(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return settingsAction(x, deps, async () => {
    await deps.gate.enable(x.user, { context: x.context });
    return { redirect: `${deps.basePath}/setup` };
  });
}

async function disable(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return settingsAction(x, deps, async () => {
    // An enrolled user confirms with a current code; one who only opted in needs none (the gate says which).
    const typed = reauth(x);
    if (typed !== undefined && isFieldError(typed)) return refuse(x, deps, 400, typed.code, typed.key);
    const result = await deps.gate.disable(x.user, { context: x.context, ...typed });
    if (!result.ok) return reauthRefused(x, deps, result);
    return { view: { ...(await settingsView(x, deps)), notice: x.text('turnedOff') } };
  });
}

async function renewRecoveryCodes(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return settingsAction(x, deps, async () => {
    const typed = reauth(x);
    if (typed === undefined) return refuse(x, deps, 400, 'bad-request', 'errCodeEmpty');
    if (isFieldError(typed)) return refuse(x, deps, 400, typed.code, typed.key);
    const result = await deps.gate.regenerateRecoveryCodes(x.user, { ...typed, context: x.context });
    if (!result.ok) return reauthRefused(x, deps, result);
    return { view: { page: 'recovery-codes', codes: result.recoveryCodes, continueUrl: `${deps.basePath}/settings` } };
  });
}

/** An authenticator's name: 1 to 64 characters, no control characters (the gate's rule, checked first for a friendly answer). */
function readLabel(x: Exchange): string | null {
  const label = (x.form['label'] ?? '').trim();
  // eslint-disable-next-line no-control-regex
  return label === '' || label.length > 64 || /[\u0000-\u001f\u007f]/.test(label) ? null : label;
}

/** The label of authenticator `id`, for the notices ("Work phone was removed."). */
async function labelOf(x: Exchange, deps: RouteDeps, id: string): Promise<string | null> {
  return (await deps.gate.authenticators(x.user)).find((a) => a.id === id)?.label ?? null;
}

async function renameAuthenticator(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return settingsAction(x, deps, async () => {
    const id = x.form['id'] ?? '';
    if (id === '') return refuse(x, deps, 400, 'bad-request', 'errBadRequest');
    const label = readLabel(x);
    if (label === null) return refuse(x, deps, 400, 'bad-request', 'errLabel');
    await deps.gate.renameAuthenticator(x.user, id, label, { context: x.context });
    return { view: { ...(await settingsView(x, deps)), notice: x.text('authenticatorRenamed', { label }) } };
  });
}

async function removeAuthenticator(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return settingsAction(
    x,
    deps,
    async () => {
      const id = x.form['id'] ?? '';
      if (id === '') return refuse(x, deps, 400, 'bad-request', 'errBadRequest');
      const typed = reauth(x);
      if (typed === undefined) return refuse(x, deps, 400, 'bad-request', 'errCodeEmpty');
      if (isFieldError(typed)) return refuse(x, deps, 400, typed.code, typed.key);
      const label = await labelOf(x, deps, id);
      if (label === null) return refuse(x, deps, 404, 'not-found', 'errAuthenticatorNotFound');
      const result = await deps.gate.removeAuthenticator(x.user, id, { ...typed, context: x.context });
      if (!result.ok) return reauthRefused(x, deps, result);
      return { view: { ...(await settingsView(x, deps)), notice: x.text('authenticatorRemoved', { label }) } };
    },
    { ERR_REQUIRED: 'errLastRequired' },
  );
}

/** "Add an authenticator" before the current code (also where a reload of the set-up lands). */
async function addPage(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const s = await deps.gate.status(x.user, { context: x.context });
  if (s.state !== 'enrolled') return { redirect: `${deps.basePath}/settings` };
  return { view: { page: 'add-authenticator', label: '', setup: null } };
}

/**
 * The current code and the name, then the new authenticator's set-up. The
 * key is shown in this answer only: it is never put in a cookie, so a reload
 * asks a current code again (and the gate shows the same key while unexpired).
 */
async function beginAdd(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const label = (x.form['label'] ?? '').trim();
  const ask = (status: number, code: FlowErrorCode, key: MessageKey): Outcome => ({
    view: { page: 'add-authenticator', label: label.slice(0, 64), setup: null, error: failure(x, code, key) },
    status,
  });
  // Adding is for a user who is set up; the first set-up is /setup (it shows the recovery codes).
  if ((await deps.gate.status(x.user, { context: x.context })).state !== 'enrolled') return { redirect: `${deps.basePath}/settings` };
  const typed = reauthCode(x);
  if (typed === undefined) return ask(400, 'bad-request', 'errCodeEmpty');
  if (typeof typed === 'object') return ask(400, typed.code, typed.key);
  if (readLabel(x) === null) return ask(400, 'bad-request', 'errLabel');
  try {
    const enrollment = await deps.gate.beginEnrollment(x.user, { code: typed, label, account: await deps.account(x.user), context: x.context });
    const { manualKey, uri, qrSvg, expiresAt } = enrollment;
    return { view: { page: 'add-authenticator', label, setup: { manualKey, uri, qrSvg, expiresAt } } };
  } catch (error) {
    if (!isOtpError(error)) throw error;
    if (error.code === 'ERR_REAUTH_FAILED') {
      // Counted like a wrong login code; the gate's status says whether that locked the user.
      const locked = (await deps.gate.status(x.user, { context: x.context })).locked;
      if (locked !== null) return { view: { page: 'locked', retryAt: locked.retryAt, error: failure(x, 'locked', 'errLocked') }, status: 429 };
      return ask(401, 'invalid-code', 'errInvalidCode');
    }
    if (error.code === 'ERR_LIMIT') return refuse(x, deps, 409, 'limit', 'errLimit');
    if (error.code === 'ERR_REAUTH_REQUIRED') return ask(400, 'bad-request', 'errCodeEmpty');
    if (error.code === 'ERR_STATE' || error.code === 'ERR_NOT_ENROLLED') return refuse(x, deps, 409, 'state', 'errState');
    throw error;
  }
}

/** "Verify and Save" of the new authenticator. */
async function confirmAdd(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const ask = (status: number, code: FlowErrorCode, key: MessageKey, values?: Readonly<Record<string, number>>): Outcome => ({
    view: { page: 'add-authenticator', label: '', setup: null, error: failure(x, code, key, values) },
    status,
  });
  // A first set-up is confirmed on /setup, which shows its recovery codes: never here, where they would be lost.
  if ((await deps.gate.status(x.user, { context: x.context })).state !== 'enrolled') return { redirect: `${deps.basePath}/setup` };
  const code = readCode(x, false);
  if (typeof code !== 'string') return ask(400, code.code, code.key);
  const before = new Set((await deps.gate.authenticators(x.user)).map((a) => a.id));
  const result = await deps.gate.confirmEnrollment(x.user, code, { context: x.context });
  if (result.ok && result.recoveryCodes.length > 0) {
    // Enrolled anew meanwhile (a reset in another tab): the codes are shown, once.
    return { view: { page: 'recovery-codes', codes: result.recoveryCodes, continueUrl: `${deps.basePath}/settings` } };
  }
  if (result.ok) {
    const added = (await deps.gate.authenticators(x.user)).find((a) => !before.has(a.id));
    return { view: { ...(await settingsView(x, deps)), notice: x.text('authenticatorAddedNotice', { label: added?.label ?? '' }) } };
  }
  switch (result.reason) {
    case 'invalid':
      if (result.retryAt !== undefined) return { view: { page: 'locked', retryAt: result.retryAt, error: failure(x, 'locked', 'errLocked') }, status: 429 };
      if (result.attemptsLeft === 0) return ask(401, 'invalid-code', 'errAddExpired');
      return result.attemptsLeft === 1 ? ask(401, 'invalid-code', 'errSetupInvalidOne') : ask(401, 'invalid-code', 'errSetupInvalidOther', { count: result.attemptsLeft });
    case 'expired':
    case 'no-setup':
      return ask(400, 'setup-expired', 'errAddExpired');
    case 'already-enrolled':
      // A double-clicked "Verify and Save": the first one added it.
      return { redirect: `${deps.basePath}/settings` };
    case 'limit':
      // Another authenticator (a passkey in another tab) was added since this one was begun.
      return refuse(x, deps, 409, 'limit', 'errLimit');
    case 'locked':
      return { view: { page: 'locked', retryAt: result.retryAt, error: failure(x, 'locked', 'errLocked') }, status: 429 };
  }
}

/** The relying party of every passkey call (the routes exist only where it is set). */
function relyingParty(deps: RouteDeps): FlowPasskeyOptions {
  return deps.passkeys!;
}

/** A refusal for the page's script: it shows `error.message` beside the passkey button. */
function scriptError(x: Exchange, status: number, code: FlowErrorCode, key: MessageKey): Outcome {
  return { json: { error: failure(x, code, key) }, status };
}

/** "Add a passkey" (settings): a name and a current code, then the page's script. */
async function addPasskeyPage(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const s = await deps.gate.status(x.user, { context: x.context });
  if (s.state !== 'enrolled') return { redirect: `${deps.basePath}/settings` };
  return { view: { page: 'add-passkey', label: '', canUsePasskey: s.authenticators.some(isPasskey) } };
}

/**
 * The creation options for the page's script. A first set-up (login or
 * settings) needs nothing more; adding to an enrolled user needs a name and
 * a current code, or a passkey's answer the script asked for first, checked
 * and counted by the gate like `beginEnrollment`'s code.
 */
async function passkeyRegistrationOptions(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const enrolled = x.stage === 'member' && (await deps.gate.status(x.user, { context: x.context })).state === 'enrolled';
  let label = x.text('passkey');
  let proof: Reauth | undefined;
  if (enrolled) {
    const named = readLabel(x);
    if (named === null) return scriptError(x, 400, 'bad-request', 'errLabel');
    label = named;
    const typed = reauth(x);
    if (typed === undefined) return scriptError(x, 400, 'bad-request', 'errCodeEmpty');
    if (isFieldError(typed)) return scriptError(x, 400, typed.code, typed.key);
    proof = typed;
  } else if ((await deps.gate.nextStep(x.user, { context: x.context })).step !== 'setup') {
    // Set up already (a second tab, a replayed request): at login that is the code page's business.
    return scriptError(x, 409, 'state', x.stage === 'login' ? 'errDone' : 'errState');
  }
  try {
    const options = await deps.gate.beginPasskeyRegistration(x.user, {
      ...relyingParty(deps),
      label,
      userName: await deps.account(x.user),
      ...proof,
      context: x.context,
    });
    return { json: { options } };
  } catch (error) {
    if (!isOtpError(error)) throw error;
    if (error.code === 'ERR_REAUTH_FAILED') {
      // Counted like a wrong login code; the gate's status says whether that locked the user.
      const locked = (await deps.gate.status(x.user, { context: x.context })).locked;
      return locked !== null ? scriptError(x, 429, 'locked', 'errLocked') : scriptError(x, 401, 'invalid-code', 'errInvalidCode');
    }
    if (error.code === 'ERR_REAUTH_REQUIRED') return scriptError(x, 400, 'bad-request', 'errCodeEmpty');
    if (error.code === 'ERR_OPTIONS' && proof !== undefined && 'passkey' in proof) return scriptError(x, 400, 'bad-request', 'errBadRequest');
    if (error.code === 'ERR_LIMIT') return scriptError(x, 409, 'limit', 'errLimit');
    if (error.code === 'ERR_STATE' || error.code === 'ERR_NOT_ENROLLED') return scriptError(x, 409, 'state', 'errState');
    throw error;
  }
}

/**
 * The browser's new passkey, sent by the page's script in the form field
 * `passkey`: at login it finishes set-up like "Verify and Save" (the
 * recovery codes, then the host's page); from the settings it is one more
 * authenticator.
 */
async function confirmPasskey(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const adding = x.stage === 'member' && (await deps.gate.status(x.user, { context: x.context })).state === 'enrolled';
  const again = async (status: number, code: FlowErrorCode, key: MessageKey): Promise<Outcome> => {
    if (adding) {
      const canUsePasskey = (await deps.gate.authenticators(x.user)).some(isPasskey);
      return { view: { page: 'add-passkey', label: readLabel(x) ?? '', canUsePasskey, error: failure(x, code, key) }, status };
    }
    // Set up meanwhile (a double-sent form): nothing to show again.
    if ((await deps.gate.nextStep(x.user, { context: x.context })).step !== 'setup') {
      return x.stage === 'member' ? notSettingUp(x, deps) : errorPage(x, deps, 409, 'state', 'errDone');
    }
    return { view: { ...(await setupView(x, deps, false)), error: failure(x, code, key) }, status };
  };
  const response = readPasskeyField<RegistrationResponseJSON>(x.form['passkey']);
  if (response === null) return again(400, 'bad-request', 'errBadRequest');
  const result = await withAnswer(() => deps.gate.confirmPasskeyRegistration(x.user, response, { context: x.context }));
  if (result === null) return again(400, 'bad-request', 'errBadRequest');
  if (result.ok) {
    const codes = result.recoveryCodes ?? [];
    if (x.stage === 'login') return { complete: true, recoveryCodes: codes };
    if (codes.length > 0) return { view: { page: 'recovery-codes', codes, continueUrl: `${deps.basePath}/settings` } };
    const label = (await labelOf(x, deps, result.authenticatorId)) ?? '';
    return { view: { ...(await settingsView(x, deps)), notice: x.text('authenticatorAddedNotice', { label }) } };
  }
  switch (result.reason) {
    case 'no-challenge':
    case 'expired':
      return again(400, 'setup-expired', 'errPasskeyExpired');
    case 'invalid':
      return again(401, 'invalid-passkey', 'errPasskeyInvalid');
    case 'already-registered':
      return again(409, 'state', 'errPasskeyRegistered');
    case 'limit':
      return adding ? refuse(x, deps, 409, 'limit', 'errLimit') : again(409, 'limit', 'errLimit');
    case 'locked':
      return { view: { page: 'locked', retryAt: result.retryAt, error: failure(x, 'locked', 'errLocked') }, status: 429 };
  }
}

/**
 * A gate call on the browser's answer. The gate checks every field of it
 * first and answers `ERR_OPTIONS` for one no browser would send: a
 * malformed form, `null` here. (Its other `ERR_OPTIONS`, a missing
 * `@simplewebauthn/server` or a bad relying party, show already when the
 * options are asked for.)
 */
async function withAnswer<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    if (isOtpError(error) && error.code === 'ERR_OPTIONS') return null;
    throw error;
  }
}

/** The request options for the page's script: at login, or to confirm a sensitive action in the settings. */
async function passkeyLoginOptions(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  try {
    const options = await deps.gate.beginPasskeyLogin(x.user, { ...relyingParty(deps), context: x.context });
    return { json: { options } };
  } catch (error) {
    if (isOtpError(error) && (error.code === 'ERR_NOT_ENROLLED' || error.code === 'ERR_STATE')) return scriptError(x, 409, 'not-enrolled', 'errNotEnrolled');
    throw error;
  }
}

/** "Use your passkey" at login: the browser's answer, checked by the gate like a code. */
async function passkeyLogin(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const response = readPasskeyField<AuthenticationResponseJSON>(x.form['passkey']);
  if (response === null) return { view: await codeView(x, deps, failure(x, 'bad-request', 'errBadRequest')), status: 400 };
  const result = await withAnswer(() => deps.gate.verifyPasskey(x.user, response, { context: x.context }));
  if (result === null) return { view: await codeView(x, deps, failure(x, 'bad-request', 'errBadRequest')), status: 400 };
  if (result.ok) return { complete: true };
  if (result.reason === 'not-enrolled') return { redirect: deps.basePath };
  if (result.reason === 'locked' || result.retryAt !== undefined) {
    return { view: { page: 'locked', retryAt: result.retryAt ?? null, error: failure(x, 'locked', 'errLocked') }, status: 429 };
  }
  // Refused (a wrong or replayed answer, a cloned authenticator): the same words, the code path stays open.
  return { view: await codeView(x, deps, failure(x, 'invalid-passkey', 'errPasskeyInvalid')), status: 401 };
}

/** The administrators' names a user may ask, by id (for "who was asked" and "who handled it"). */
async function adminNames(deps: RouteDeps, userId: string): Promise<Map<string, string>> {
  return new Map((await deps.gate.administrators(userId)).map((admin) => [admin.id, admin.name]));
}

async function inboxView(x: Exchange, deps: RouteDeps): Promise<ViewModel & { page: 'inbox' }> {
  const pending = await deps.gate.pendingResets(x.user);
  const requests: InboxRequest[] = [];
  for (const p of pending) {
    const names = await adminNames(deps, p.userId);
    requests.push({
      userId: p.userId,
      name: await deps.account(p.userId),
      requestId: p.requestId,
      requestedAt: p.requestedAt,
      expiresAt: p.expiresAt,
      askedNames: p.to.map((id) => names.get(id) ?? id),
    });
  }
  return { page: 'inbox', requests };
}

async function inboxPage(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return { view: await inboxView(x, deps) };
}

async function adminAction(action: 'reset' | 'decline', x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const userId = x.form['user'] ?? '';
  const requestId = x.form['request'] ?? '';
  if (userId === '' || requestId === '') return { view: { ...(await inboxView(x, deps)), error: failure(x, 'bad-request', 'errBadRequest') }, status: 400 };
  const name = await deps.account(userId);
  // Without the confirmation field, ask first: a page that works without JavaScript.
  if (x.form['confirm'] !== '1') return { view: { page: 'confirm', action, userId, name, requestId } };
  let result;
  try {
    result = await deps.gate[action](x.user, userId, { requestId, context: x.context });
  } catch (error) {
    if (isOtpError(error) && error.code === 'ERR_NOT_ADMIN') {
      return { view: { ...(await inboxView(x, deps)), error: failure(x, 'not-admin', 'errNotYourUser') }, status: 403 };
    }
    throw error;
  }
  if (result.ok) return { view: { ...(await inboxView(x, deps)), notice: x.text(action === 'reset' ? 'resetDone' : 'declineDone', { name }) } };
  const handled = result.handled;
  if (result.reason === 'nothing-to-do' || handled === null) {
    return { view: { ...(await inboxView(x, deps)), error: failure(x, result.reason, result.reason === 'nothing-to-do' ? 'errNothingToDo' : 'errAlreadyHandled') }, status: 409 };
  }
  const by = (await adminNames(deps, userId)).get(handled.by) ?? (await deps.account(handled.by));
  const error = failure(x, 'already-handled', handled.kind === 'reset' ? 'handledReset' : 'handledDeclined', { by, time: x.formatTime(handled.at) });
  return { view: { ...(await inboxView(x, deps)), error }, status: 409 };
}

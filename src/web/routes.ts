// Every page of the flow in one table: path, method, who may use it, and the
// handler. Handlers do three things: read the request, call the gate, pick a
// view (or a redirect, or "done": the flow then calls the host's onComplete).
// What a user may do is always the gate's answer, never decided here.
import { isOtpError } from '../errors.js';
import type { Gate } from '../gate/index.js';
import type { MessageKey } from './messages/en.js';
import type { FlowErrorCode, InboxRequest, SettingsView, ViewModel } from './model.js';

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
  /** A text in the page's language. */
  text(key: MessageKey, values?: Readonly<Record<string, string | number>>): string;
  /** A time as the pages show it. */
  formatTime(ms: number): string;
}

/** What a handler decides. */
export type Outcome =
  | { readonly view: ViewModel; readonly status?: number | undefined }
  | { readonly redirect: string }
  /** The second step is done: the flow calls onComplete (and shows the recovery codes, if any, with its cookies). */
  | { readonly complete: true; readonly recoveryCodes?: readonly string[] | undefined };

/** What the handlers need from the flow. */
export interface RouteDeps {
  readonly gate: Gate;
  readonly basePath: string;
  readonly loginUrl: string;
  account(userId: string): Promise<string>;
}

/** Who may use a route: the user between password and second step, a logged-in user, or either (set-up). */
export type Audience = 'login' | 'member' | 'either';

/** One row of the table. */
export interface Route {
  readonly path: string;
  readonly method: 'GET' | 'POST';
  readonly audience: Audience;
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
  const next = await deps.gate.nextStep(x.user);
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
      return { view: { page: 'code' } };
    case 'locked':
      return { view: { page: 'locked', retryAt: next.retryAt } };
  }
}

async function postpone(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  try {
    const result = await deps.gate.postpone(x.user, { attempt: x.attempt });
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
  const next = await deps.gate.nextStep(x.user);
  if (next.step === 'setup' && !next.required) return { complete: true };
  if (next.step === 'allow') return { complete: true };
  return { redirect: deps.basePath };
}

/** Where set-up does not apply (any more): back to the page that does. */
function notSettingUp(x: Exchange, deps: RouteDeps): Outcome {
  return { redirect: x.stage === 'member' ? `${deps.basePath}/settings` : deps.basePath };
}

async function setupView(x: Exchange, deps: RouteDeps, renew: boolean): Promise<ViewModel> {
  const enrollment = await deps.gate.beginEnrollment(x.user, { account: await deps.account(x.user), renew });
  return { page: 'setup', manualKey: enrollment.manualKey, uri: enrollment.uri, qrSvg: enrollment.qrSvg, expiresAt: enrollment.expiresAt };
}

async function setupPage(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const next = await deps.gate.nextStep(x.user);
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
  const next = await deps.gate.nextStep(x.user);
  // Enrolled already (a replayed "Verify and Save"): nothing changes.
  if (next.step !== 'setup') return x.stage === 'member' ? notSettingUp(x, deps) : errorPage(x, deps, 409, 'state', 'errDone');
  const again = async (status: number, code: FlowErrorCode, key: MessageKey, values?: Readonly<Record<string, number>>, renew = false): Promise<Outcome> => ({
    view: { ...(await setupView(x, deps, renew)), error: failure(x, code, key, values) },
    status,
  });
  const code = readCode(x, false);
  if (typeof code !== 'string') return again(400, code.code, code.key);
  const result = await deps.gate.confirmEnrollment(x.user, code);
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
    case 'locked':
      return { view: { page: 'locked', retryAt: result.retryAt, error: failure(x, 'locked', 'errLocked') }, status: 429 };
  }
}

async function verify(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const code = readCode(x, true);
  if (typeof code !== 'string') return { view: { page: 'code', error: failure(x, code.code, code.key) }, status: 400 };
  const result = await deps.gate.verify(x.user, code);
  if (result.ok) return { complete: true };
  if (result.reason === 'not-enrolled') return { redirect: deps.basePath };
  if (result.reason === 'locked' || result.retryAt !== undefined) {
    return { view: { page: 'locked', retryAt: result.retryAt ?? null, error: failure(x, 'locked', 'errLocked') }, status: 429 };
  }
  const error = result.reason === 'replayed' ? failure(x, 'replayed-code', 'errReplayedCode') : failure(x, 'invalid-code', 'errInvalidCode');
  return { view: { page: 'code', error }, status: 401 };
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
    const sent = await deps.gate.requestReset(x.user, { to });
    const notified = sent.to.map((id) => administrators.find((admin) => admin.id === id)?.name ?? id);
    return { view: { page: 'lost-sent', notified, loginUrl: deps.loginUrl } };
  } catch (error) {
    const known = isOtpError(error) ? RESET_ERRORS[error.code] : undefined;
    if (known === undefined) throw error;
    const [status, code, key] = known;
    return { view: { page: 'lost', administrators: list, error: failure(x, code, key) }, status };
  }
}

/**
 * `regenerateRecoveryCodes(userId, { code })`, where the gate has it (the
 * second edition of the gate adds it): the settings offer "New recovery
 * codes" only then. Its answer is read defensively: a list of codes, or
 * `{ ok, recoveryCodes }` / `{ ok: false, reason, retryAt? }`.
 */
type Renewal = (userId: string, options: { readonly code: string }) => Promise<unknown>;

function renewalOf(gate: Gate): Renewal | null {
  const method = (gate as Gate & { regenerateRecoveryCodes?: unknown }).regenerateRecoveryCodes;
  return typeof method === 'function' ? (method.bind(gate) as Renewal) : null;
}

async function settingsView(x: Exchange, deps: RouteDeps): Promise<SettingsView> {
  const next = await deps.gate.nextStep(x.user);
  const renew = renewalOf(deps.gate) !== null;
  switch (next.step) {
    case 'code':
    case 'locked':
      return { page: 'settings', status: 'on', canEnable: false, canDisable: true, canSetUp: false, canRenewRecoveryCodes: renew && next.step === 'code' };
    case 'setup':
      return next.required
        ? { page: 'settings', status: 'required', canEnable: false, canDisable: false, canSetUp: true, canRenewRecoveryCodes: false }
        : { page: 'settings', status: 'pending', canEnable: false, canDisable: true, canSetUp: true, canRenewRecoveryCodes: false };
    case 'allow':
      return { page: 'settings', status: 'off', canEnable: true, canDisable: false, canSetUp: false, canRenewRecoveryCodes: false };
  }
}

async function renewRecoveryCodes(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  const renewal = renewalOf(deps.gate);
  if (renewal === null) return errorPage(x, deps, 404, 'not-found', 'errNotFound');
  const refuse = async (status: number, code: FlowErrorCode, key: MessageKey): Promise<Outcome> => ({
    view: { ...(await settingsView(x, deps)), error: failure(x, code, key) },
    status,
  });
  const code = readCode(x, false);
  if (typeof code !== 'string') return refuse(400, code.code, code.key);
  let result: unknown;
  try {
    result = await renewal(x.user, { code });
  } catch (error) {
    const known = isOtpError(error) ? SETTINGS_ERRORS[error.code] : undefined;
    if (known === undefined) throw error;
    return refuse(known[0], known[1], known[2]);
  }
  const answer = (typeof result === 'object' && result !== null ? result : {}) as { ok?: unknown; recoveryCodes?: unknown; reason?: unknown; retryAt?: unknown };
  const codes = Array.isArray(result) ? result : answer.ok !== false && Array.isArray(answer.recoveryCodes) ? answer.recoveryCodes : null;
  if (codes !== null && codes.every((c) => typeof c === 'string')) {
    return { view: { page: 'recovery-codes', codes: codes as string[], continueUrl: `${deps.basePath}/settings` } };
  }
  if (answer.reason === 'locked' || typeof answer.retryAt === 'number') {
    return { view: { page: 'locked', retryAt: typeof answer.retryAt === 'number' ? answer.retryAt : null, error: failure(x, 'locked', 'errLocked') }, status: 429 };
  }
  return answer.reason === 'replayed' ? refuse(401, 'replayed-code', 'errReplayedCode') : refuse(401, 'invalid-code', 'errInvalidCode');
}

async function settingsPage(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return { view: await settingsView(x, deps) };
}

const SETTINGS_ERRORS: Readonly<Record<string, readonly [number, FlowErrorCode, MessageKey]>> = {
  ERR_REQUIRED: [400, 'required', 'errRequired'],
  ERR_REAUTH_REQUIRED: [400, 'bad-request', 'errCodeEmpty'],
  ERR_STATE: [409, 'state', 'errState'],
  ERR_NOT_ENROLLED: [400, 'not-enrolled', 'errNotEnrolled'],
};

async function settingsAction(x: Exchange, deps: RouteDeps, action: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await action();
  } catch (error) {
    const known = isOtpError(error) ? SETTINGS_ERRORS[error.code] : undefined;
    if (known === undefined) throw error;
    const [status, code, key] = known;
    return { view: { ...(await settingsView(x, deps)), error: failure(x, code, key) }, status };
  }
}

async function enable(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return settingsAction(x, deps, async () => {
    await deps.gate.enable(x.user);
    return { redirect: `${deps.basePath}/setup` };
  });
}

async function disable(x: Exchange, deps: RouteDeps): Promise<Outcome> {
  return settingsAction(x, deps, async () => {
    // An enrolled user confirms with a current code; the gate says when one is needed.
    const typed = (x.form['code'] ?? '').trim() === '' ? undefined : readCode(x, true);
    if (typed !== undefined && typeof typed !== 'string') return { view: { ...(await settingsView(x, deps)), error: failure(x, typed.code, typed.key) }, status: 400 };
    const result = await deps.gate.disable(x.user, typed === undefined ? {} : { code: typed });
    if (!result.ok) {
      if (result.reason === 'locked') return { view: { page: 'locked', retryAt: result.retryAt, error: failure(x, 'locked', 'errLocked') }, status: 429 };
      const [code, key] = result.reason === 'replayed' ? (['replayed-code', 'errReplayedCode'] as const) : (['invalid-code', 'errInvalidCode'] as const);
      return { view: { ...(await settingsView(x, deps)), error: failure(x, code, key) }, status: 401 };
    }
    return { view: { ...(await settingsView(x, deps)), notice: x.text('turnedOff') } };
  });
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
    result = await deps.gate[action](x.user, userId, { requestId });
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

// The default pages: pure functions from a view model (and the render
// context: texts, paths) to an HTML document. Every value goes through the
// `html` template, which escapes it; the only `raw` markup is the gate's QR SVG.
import { html, raw, type Html, type HtmlValue } from './html.js';
import type { Locale } from './locale.js';
import type { MessageKey, Messages } from './messages/en.js';
import type { PageName, SettingsView, ViewModel, ViewOf } from './model.js';

/**
 * What a view needs besides its model: the texts in the page's language,
 * the paths of the flow, and the clock's formatting.
 *
 * @example
 * ```ts
 * import type { RenderContext } from 'otpgate/web';
 * const title = (context: RenderContext) => context.t.title;
 * ```
 */
export interface RenderContext {
  /** The texts, in `locale`, with the host's overrides. */
  readonly t: Messages;
  /** The page's language. */
  readonly locale: Locale;
  /** Where the flow's pages live, for example `'/2fa'`. */
  readonly basePath: string;
  /** Extra stylesheets the host links after the flow's own. */
  readonly stylesheets: readonly string[];
  /** The host's page that "Back" on the settings and the inbox leads to. */
  readonly homeUrl: string;
  /** Passkeys are on (`createFlow({ passkeys })`): every page loads `${basePath}/passkey.js`. @defaultValue `false` */
  readonly passkeys?: boolean | undefined;
  /** A time as the pages show it, in the page's language. */
  formatTime(ms: number): string;
  /** A text with its `{name}` placeholders filled in. */
  text(key: MessageKey, values?: Readonly<Record<string, string | number>>): string;
}

/**
 * A page's renderer: the view model in, a complete HTML document out.
 *
 * @example
 * ```ts
 * import type { PageRenderer } from 'otpgate/web';
 * const codePage: PageRenderer<'code'> = (view, context) => `<!doctype html><title>${context.t.codeHeading}</title>`;
 * ```
 */
export type PageRenderer<P extends PageName> = (view: ViewOf<P>, context: RenderContext) => string;

/**
 * One renderer per page; `createFlow({ render })` takes any of them.
 *
 * @example
 * ```ts
 * import type { Renderers } from 'otpgate/web';
 * const render: Partial<Renderers> = { settings: (view) => `<!doctype html><p>${view.status}</p>` };
 * ```
 */
export type Renderers = { readonly [P in PageName]: PageRenderer<P> };

/** Fills `{name}` placeholders; unknown ones stay as they are. */
export function fill(template: string, values: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/**
 * The page around every view: language, title, the flow's stylesheet and
 * script (files, so the CSP needs no 'unsafe-inline'), one `main` landmark.
 *
 * @param title - the page's title and first heading
 * @param body - the markup inside `main`, after the heading
 * @param context - the render context
 * @param view - the page's view model, for its notice and error
 * @example
 * ```ts
 * import { html, layout } from 'otpgate/web';
 * // inside a PageRenderer: layout('Hello', html`<p>…</p>`, context)
 * ```
 */
export function layout(title: string, body: HtmlValue, context: RenderContext, view?: ViewModel): string {
  return html`<!doctype html>
<html lang="${context.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title} · ${context.t.title}</title>
<link rel="stylesheet" href="${context.basePath}/flow.css">
${context.stylesheets.map((href) => html`<link rel="stylesheet" href="${href}">\n`)}<script src="${context.basePath}/flow.js" defer></script>
${context.passkeys === true ? html`<script src="${context.basePath}/passkey.js" defer></script>\n` : ''}</head>
<body>
<main>
<h1>${title}</h1>
${view?.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${view?.error && view.page !== 'error' ? html`<p class="error" role="alert">${view.error.message}</p>` : ''}
${body}
</main>
</body>
</html>
`.text;
}

const csrfField = (csrf: string | undefined): Html => html`<input type="hidden" name="csrf" value="${csrf ?? ''}">`;

function postButton(context: RenderContext, view: ViewModel, path: string, label: string, className = '', fields: Readonly<Record<string, string>> = {}): Html {
  return html`<form method="post" action="${context.basePath}${path}" class="inline">${csrfField(view.csrf)}${Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button type="submit"${className ? raw(` class="${className}"`) : ''}>${label}</button></form>`;
}

function codeField(id: string, label: string, autofocus: boolean): Html {
  return html`<label for="${id}">${label}</label>
<input type="text" class="code" id="${id}" name="code" inputmode="numeric" pattern="[0-9 ]*" autocomplete="one-time-code" spellcheck="false" maxlength="64" required${autofocus ? raw(' autofocus') : ''}>`;
}

function list(names: readonly string[], locale: Locale): string {
  try {
    return new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(names);
  } catch {
    return names.join(', ');
  }
}

/** Steps A and B of a set-up: the apps, the QR code, and "Unable to scan?" with the key. */
function scanSteps(setup: { readonly manualKey: string; readonly uri: string; readonly qrSvg: string }, c: RenderContext): Html {
  const { t } = c;
  return html`<li>${t.setupStepApp}</li>
<li>${t.setupStepScan}
<div class="qr" role="img" aria-label="${t.qrLabel}">${raw(setup.qrSvg.replace(/ role="img" aria-label="[^"]*"/, ' aria-hidden="true"').replace(/<title>[^<]*<\/title>/, ''))}</div>
<details>
<summary>${t.unableToScan}</summary>
<p>${t.manualKeyIntro}</p>
<p><span class="key" id="manual-key" tabindex="-1">${setup.manualKey}</span>
<button type="button" class="secondary" data-copy="manual-key" data-done="${t.copied}" hidden>${t.copyKey}</button></p>
<p><a href="${setup.uri}">${t.openInApp}</a></p>
</details>
</li>`;
}

/**
 * The parts of a form that the passkey script fills in: the `passkey` field
 * for the browser's answer and the alert it writes its failures to.
 */
function passkeyFields(): Html {
  return html`<input type="hidden" name="passkey" value="">
<p class="error" role="alert" data-passkey-error hidden></p>`;
}

/**
 * A passkey button: hidden until the script finds WebAuthn in the browser,
 * then it asks `/passkey/{mode}/options`, runs the browser's dialogue, and
 * submits its form with the answer.
 */
function passkeyButton(c: RenderContext, mode: 'login' | 'register', label: string, className = '', proof = false): Html {
  // data-proof: with the code field left empty, a passkey the user has confirms first (a second dialogue).
  const extra = proof ? html` data-proof="${c.basePath}/passkey/login/options"` : '';
  return html`<button type="button"${className ? raw(` class="${className}"`) : ''} data-passkey="${mode}" data-options="${c.basePath}/passkey/${mode}/options"${extra} data-failed="${c.t.passkeyFailed}" data-passkey-offer hidden>${label}</button>`;
}

/** A field for the fresh code of a sensitive action: a one-time code or a recovery code. */
function reauthField(id: string, label: string, required = true): Html {
  return html`<label for="${id}">${label}</label>
<input type="text" class="code" id="${id}" name="code" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" maxlength="64"${required ? raw(' required') : ''}>`;
}

/** The default renderer of every page. */
export const DEFAULT_RENDERERS: Renderers = {
  choice(view, c) {
    const { t } = c;
    const left = view.postponesLeft;
    return layout(
      t.choiceHeading,
      html`<p>${view.required ? t.choiceRequired : t.choiceOptional}</p>
<p>${t.choiceHow}</p>
${view.required ? html`<p>${left === undefined ? t.choiceMandatory : left === 1 ? t.postponesLeftOne : c.text('postponesLeftOther', { count: left })}</p>` : ''}
<div class="actions"><a class="button" href="${c.basePath}/setup">${t.setUpNow}</a>${left !== undefined ? postButton(c, view, '/postpone', t.postponeSetup, 'secondary') : ''}${view.canSkip ? postButton(c, view, '/skip', t.notNow, 'secondary') : ''}</div>`,
      c,
      view,
    );
  },

  setup(view, c) {
    const { t } = c;
    return layout(
      t.setupHeading,
      html`<ol class="steps">
${scanSteps(view, c)}
<li><form method="post" action="${c.basePath}/setup">
${csrfField(view.csrf)}
${codeField('code', t.setupStepCode, false)}
<div class="actions"><button type="submit">${t.verifyAndSave}</button></div>
</form></li>
</ol>
<p class="muted">${c.text('setupExpires', { time: c.formatTime(view.expiresAt) })}</p>
${view.passkey === true
  ? html`<form method="post" action="${c.basePath}/passkey/register" data-passkey-offer hidden>
${csrfField(view.csrf)}${passkeyFields()}
<p>${t.passkeySetupIntro}</p>
<div class="actions">${passkeyButton(c, 'register', t.usePasskeyInstead, 'secondary')}</div>
</form>`
  : ''}`,
      c,
      view,
    );
  },

  'recovery-codes'(view, c) {
    const { t } = c;
    const file = `data:text/plain;charset=utf-8,${encodeURIComponent(`${t.recoveryCodesHeading}\n\n${view.codes.join('\n')}\n`)}`;
    return layout(
      t.recoveryHeading,
      view.codes.length === 0
        ? html`<div class="actions"><a class="button" href="${view.continueUrl}">${t.continue}</a></div>`
        : html`<h2>${t.recoveryCodesHeading}</h2>
<p>${t.recoveryIntro}</p>
<ol class="codes">${view.codes.map((code) => html`<li>${code}</li>`)}</ol>
<div class="actions"><a class="button secondary" href="${file}" download="recovery-codes.txt">${t.download}</a><button type="button" class="secondary" data-print hidden>${t.print}</button><a class="button" href="${view.continueUrl}">${t.continue}</a></div>`,
      c,
      view,
    );
  },

  code(view, c) {
    const { t } = c;
    return layout(
      t.codeHeading,
      html`${view.passkey === true
        ? html`<form method="post" action="${c.basePath}/passkey/login" data-passkey-offer hidden>
${csrfField(view.csrf)}${passkeyFields()}
<div class="actions">${passkeyButton(c, 'login', t.usePasskey)}</div>
</form>
`
        : ''}${view.app === false
        ? ''
        : html`<form method="post" action="${c.basePath}/verify">
${csrfField(view.csrf)}
${codeField('code', t.codeLabel, true)}
<div class="actions"><button type="submit">${t.verify}</button></div>
</form>
`}<details${view.app === false ? raw(' open') : ''}>
<summary>${t.useRecoveryCode}</summary>
<form method="post" action="${c.basePath}/verify">
${csrfField(view.csrf)}
<label for="recovery-code">${t.recoveryCodeLabel}</label>
<input type="text" id="recovery-code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="64" required>
<div class="actions"><button type="submit">${t.verify}</button></div>
</form>
</details>
<p><a href="${c.basePath}/lost">${t.lostLink}</a></p>`,
      c,
      view,
    );
  },

  locked(view, c) {
    const { t } = c;
    return layout(
      t.lockedHeading,
      html`${view.retryAt === null
        ? html`<p>${t.lockedHard}</p>
<form method="post" action="${c.basePath}/verify">
${csrfField(view.csrf)}
<label for="recovery-code">${t.recoveryCodeLabel}</label>
<input type="text" id="recovery-code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="64" required>
<div class="actions"><button type="submit">${t.verify}</button></div>
</form>`
        : html`<p>${c.text('lockedUntil', { time: c.formatTime(view.retryAt) })}</p>
<div class="actions"><a class="button" href="${c.basePath}">${t.tryAgain}</a></div>`}
<p><a href="${c.basePath}/lost">${t.lostLink}</a></p>`,
      c,
      view,
    );
  },

  lost(view, c) {
    const { t } = c;
    const body =
      view.administrators.length === 0
        ? html`<p>${t.lostNoAdmins}</p>`
        : html`<form method="post" action="${c.basePath}/lost">
${csrfField(view.csrf)}
<fieldset><legend>${t.administrators}</legend>
${view.administrators.map((admin, i) => html`<label><input type="radio" name="to" value="${admin.id}"${i === 0 ? raw(' checked') : ''}> ${admin.name}</label>`)}
</fieldset>
<div class="actions"><button type="submit">${t.sendRequest}</button><button type="submit" name="all" value="1" class="secondary">${t.sendToAll}</button></div>
</form>`;
    return layout(t.lostHeading, html`<p>${t.lostIntro}</p>${body}<p><a href="${c.basePath}">${t.back}</a></p>`, c, view);
  },

  'lost-sent'(view, c) {
    const { t } = c;
    return layout(
      t.lostSentHeading,
      html`<p class="notice" role="status">${c.text('lostSent', { names: list(view.notified, c.locale) })}</p>
<p>${t.lostSentNext}</p>
<div class="actions"><a class="button secondary" href="${view.loginUrl}">${t.backToLogin}</a></div>`,
      c,
      view,
    );
  },

  inbox(view, c) {
    const { t } = c;
    const rows = view.requests.map(
      (r) => html`<tr><td>${r.name}</td><td>${c.formatTime(r.requestedAt)}</td><td>${list(r.askedNames, c.locale)}</td>
<td><div class="actions">${postButton(c, view, '/inbox/reset', t.reset, '', { user: r.userId, request: r.requestId })}${postButton(c, view, '/inbox/decline', t.decline, 'secondary', { user: r.userId, request: r.requestId })}</div></td></tr>`,
    );
    return layout(
      t.inboxHeading,
      html`<p class="muted">${t.inboxIntro}</p>
${view.requests.length === 0
  ? html`<p>${t.inboxEmpty}</p>`
  : html`<table><thead><tr><th scope="col">${t.inboxUser}</th><th scope="col">${t.inboxAsked}</th><th scope="col">${t.inboxAskedWhom}</th><th scope="col">${t.inboxActions}</th></tr></thead><tbody>${rows}</tbody></table>`}
<p><a href="${c.homeUrl}">${t.back}</a></p>`,
      c,
      view,
    );
  },

  confirm(view, c) {
    const { t } = c;
    const reset = view.action === 'reset';
    return layout(
      c.text(reset ? 'confirmResetHeading' : 'confirmDeclineHeading', { name: view.name }),
      html`<p>${c.text(reset ? 'confirmReset' : 'confirmDecline', { name: view.name })}</p>
<div class="actions">${postButton(c, view, `/inbox/${view.action}`, reset ? t.confirmResetButton : t.confirmDeclineButton, reset ? 'danger' : '', {
        user: view.userId,
        request: view.requestId,
        confirm: '1',
      })}<a class="button secondary" href="${c.basePath}/inbox">${t.cancel}</a></div>`,
      c,
      view,
    );
  },

  settings(view, c) {
    const { t } = c;
    const status = { on: t.statusOn, off: t.statusOff, pending: t.statusPending, required: t.statusRequired }[view.status];
    const on = view.status === 'on';
    const left = view.recoveryCodesLeft;
    // The fields and button that let a user with a passkey confirm with it instead of a code.
    const withPasskey = view.canUsePasskey ? passkeyFields() : '';
    const passkeyConfirm = view.canUsePasskey ? passkeyButton(c, 'login', t.usePasskey, 'secondary') : '';
    const item = (a: SettingsView['authenticators'][number], i: number) => html`<li class="authenticator">
<h3>${a.label}</h3>
<p class="muted">${c.text('authenticatorAdded', { time: c.formatTime(a.createdAt) })}, ${a.lastUsedAt === null ? t.authenticatorNeverUsed : c.text('authenticatorLastUsed', { time: c.formatTime(a.lastUsedAt) })}</p>
<details>
<summary>${t.rename}<span class="visually-hidden"> ${a.label}</span></summary>
<form method="post" action="${c.basePath}/settings/authenticators/rename">
${csrfField(view.csrf)}<input type="hidden" name="id" value="${a.id}">
<label for="rename-${i}">${c.text('renameLabel', { label: a.label })}</label>
<input type="text" id="rename-${i}" name="label" value="${a.label}" maxlength="64" required>
<div class="actions"><button type="submit" class="secondary">${t.rename}</button></div>
</form>
</details>
<details>
<summary>${t.remove}<span class="visually-hidden"> ${a.label}</span></summary>
<form method="post" action="${c.basePath}/settings/authenticators/remove">
${csrfField(view.csrf)}<input type="hidden" name="id" value="${a.id}">
${reauthField(`remove-code-${i}`, t.reauthLabel)}${withPasskey}
<div class="actions"><button type="submit" class="danger">${t.remove}</button>${passkeyConfirm}</div>
</form>
</details>
</li>`;
    // Ids stay unique across both lists: each item keeps its place in view.authenticators.
    const apps = view.authenticators.flatMap((a, i) => (a.type === 'passkey' ? [] : [item(a, i)]));
    const passkeys = view.authenticators.flatMap((a, i) => (a.type === 'passkey' ? [item(a, i)] : []));
    const passkeySection =
      passkeys.length > 0 || view.canAddPasskey
        ? html`<div${passkeys.length === 0 ? raw(' data-passkey-offer hidden') : ''}>
<h2>${t.passkeysHeading}</h2>
${passkeys.length > 0 ? html`<ul class="authenticators">${passkeys}</ul>` : html`<p>${t.passkeysNone}</p>`}
${view.canAddPasskey ? html`<p data-passkey-offer hidden><a class="button secondary" href="${c.basePath}/settings/passkeys/add">${t.addPasskey}</a></p>` : ''}
</div>`
        : '';
    return layout(
      t.settingsHeading,
      html`<p>${status}${on && view.enrolledAt !== null ? html` ${c.text('enrolledSince', { time: c.formatTime(view.enrolledAt) })}` : ''}</p>
${view.locked !== null
  ? html`<p class="error">${view.locked.retryAt === null ? t.settingsLockedHard : c.text('settingsLocked', { time: c.formatTime(view.locked.retryAt) })}</p>`
  : ''}
${view.resetRequest !== null
  ? html`<p class="notice">${c.text('resetRequestOpen', {
      time: c.formatTime(view.resetRequest.requestedAt),
      names: list(view.resetRequest.askedNames, c.locale),
      until: c.formatTime(view.resetRequest.expiresAt),
    })}</p>`
  : ''}
${view.canSetUp || view.canEnable
  ? html`<div class="actions">${view.canSetUp ? html`<a class="button" href="${c.basePath}/setup">${view.status === 'pending' ? t.finishSetup : t.setUpNow}</a>` : ''}${view.canEnable ? postButton(c, view, '/settings/enable', t.turnOn) : ''}</div>`
  : ''}
${on
  ? html`<h2>${t.authenticatorsHeading}</h2>
${apps.length > 0 ? html`<ul class="authenticators">${apps}</ul>` : ''}
${view.canAddAuthenticator ? html`<p><a class="button secondary" href="${c.basePath}/settings/authenticators/add">${t.addAuthenticator}</a></p>` : ''}
${passkeySection}
<h2>${t.recoveryCodesHeading}</h2>
<p${view.fewRecoveryCodes ? raw(' class="error"') : ''}>${left === 0 ? t.recoveryCodesNone : left === 1 ? t.recoveryCodesLeftOne : c.text('recoveryCodesLeftOther', { count: left ?? 0 })}${view.fewRecoveryCodes ? html` ${t.fewRecoveryCodes}` : ''}</p>
${view.canRenewRecoveryCodes
  ? html`<p>${t.newRecoveryCodesIntro}</p>
<form method="post" action="${c.basePath}/settings/recovery-codes">
${csrfField(view.csrf)}
${reauthField('renew-code', t.reauthLabel)}${withPasskey}
<div class="actions"><button type="submit" class="secondary">${t.newRecoveryCodes}</button>${passkeyConfirm}</div>
</form>`
  : ''}`
  : ''}
${view.canDisable
  ? on
    ? html`<h2>${t.turnOff}</h2>
<p>${t.turnOffIntro}</p>
<form method="post" action="${c.basePath}/settings/disable">
${csrfField(view.csrf)}
${reauthField('disable-code', t.reauthLabel)}${withPasskey}
<div class="actions"><button type="submit" class="danger">${t.turnOff}</button>${passkeyConfirm}</div>
</form>`
    : html`<div class="actions">${postButton(c, view, '/settings/disable', t.turnOff, 'danger')}</div>`
  : ''}
<p><a href="${c.homeUrl}">${t.back}</a></p>`,
      c,
      view,
    );
  },

  'add-authenticator'(view, c) {
    const { t } = c;
    if (view.setup !== null) {
      return layout(
        t.addAuthenticator,
        html`<p class="muted">${view.label}</p>
<ol class="steps">
${scanSteps(view.setup, c)}
<li><form method="post" action="${c.basePath}/settings/authenticators/confirm">
${csrfField(view.csrf)}
${codeField('code', t.addStepCode, false)}
<div class="actions"><button type="submit">${t.verifyAndSave}</button></div>
</form></li>
</ol>
<p class="muted">${c.text('addExpires', { time: c.formatTime(view.setup.expiresAt) })}</p>
<p><a href="${c.basePath}/settings">${t.cancel}</a></p>`,
        c,
        view,
      );
    }
    return layout(
      t.addAuthenticator,
      html`<p>${t.addAuthenticatorIntro}</p>
<form method="post" action="${c.basePath}/settings/authenticators/add">
${csrfField(view.csrf)}
<label for="label">${t.authenticatorNameLabel}</label>
<input type="text" id="label" name="label" value="${view.label}" maxlength="64" autocomplete="off" required>
${reauthField('add-code', t.reauthLabel)}
<div class="actions"><button type="submit">${t.continue}</button></div>
</form>
<p class="muted">${t.addReauthIntro}</p>
<h2>${t.verifyAndSave}</h2>
<p>${t.addVerifyPending}</p>
<form method="post" action="${c.basePath}/settings/authenticators/confirm">
${csrfField(view.csrf)}
${codeField('confirm-code', t.addStepCode, false)}
<div class="actions"><button type="submit" class="secondary">${t.verifyAndSave}</button></div>
</form>
<p><a href="${c.basePath}/settings">${t.cancel}</a></p>`,
      c,
      view,
    );
  },

  'add-passkey'(view, c) {
    const { t } = c;
    return layout(
      t.addPasskey,
      html`<p>${t.addPasskeyIntro}</p>
<form method="post" action="${c.basePath}/passkey/register" data-passkey-offer hidden>
${csrfField(view.csrf)}${passkeyFields()}
<label for="label">${t.passkeyNameLabel}</label>
<input type="text" id="label" name="label" value="${view.label}" maxlength="64" autocomplete="off" required>
${reauthField('add-code', t.reauthLabel, !view.canUsePasskey)}
${view.canUsePasskey ? html`<p class="muted">${t.addPasskeyProof}</p>\n` : ''}<div class="actions">${passkeyButton(c, 'register', t.addPasskey, '', view.canUsePasskey)}</div>
</form>
<p><a href="${c.basePath}/settings">${t.cancel}</a></p>`,
      c,
      view,
    );
  },

  error(view, c) {
    const { t } = c;
    return layout(
      t.errorHeading,
      html`<p class="error" role="alert">${view.error.message}</p>
<p><a href="${view.backUrl}">${view.error.code === 'session' || view.error.code === 'unauthorized' ? t.logInAgain : t.back}</a></p>`,
      c,
      view,
    );
  },
};

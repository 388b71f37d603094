// The pages, as plain functions of what they show. Every form carries the
// session's CSRF token; nothing here needs JavaScript except the copy button.
import type { Administrator, Enrollment, PendingReset } from 'otpgate';
import type { Company, OutboxMessage, User } from './db.js';
import { html, raw, type Html } from './html.js';

export interface Chrome {
  readonly csrf: string;
  readonly user?: User | undefined;
  /** Whether the user is fully logged in (the header then shows the menu). */
  readonly full?: boolean | undefined;
  readonly flash?: string | undefined;
}

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

export function page(title: string, chrome: Chrome, body: Html): string {
  const { user, full, flash, csrf } = chrome;
  const menu =
    user === undefined
      ? ''
      : html`<nav>
          ${full ? html`<a href="/home">Home</a><a href="/settings">Settings</a>` : ''}
          ${full && user.isAdmin ? html`<a href="/inbox">Inbox</a>` : ''}
          <span>${user.name}</span>
          <form method="post" action="/logout">${csrfField(csrf)}<button type="submit">Log out</button></form>
        </nav>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · otpgate demo</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header><a class="brand" href="/">otpgate demo</a>${menu}</header>
<main>
${flash ? html`<p class="notice" role="status">${flash}</p>` : ''}
${body}
</main>
<script src="/static/copy.js" defer></script>
</body>
</html>
`.text;
}

const errorBox = (error: string | undefined) => (error ? html`<p class="error" role="alert">${error}</p>` : '');

export interface DemoAccount {
  readonly user: User;
  readonly company: Company;
  readonly password: string;
}

export function loginPage(chrome: Chrome, options: { error?: string | undefined; username?: string; accounts: readonly DemoAccount[] }): string {
  const rows = options.accounts.map(
    ({ user, company, password }) =>
      html`<tr><td><code>${user.id}</code></td><td><code>${password}</code></td><td>${user.name}${user.isAdmin ? ' (administrator)' : ''}</td><td>${company.name}${company.requires2fa ? ' (2-step required)' : ' (2-step optional)'}</td></tr>`,
  );
  return page(
    'Log in',
    chrome,
    html`<h1>Log in</h1>
${errorBox(options.error)}
<form method="post" action="/login">
  ${csrfField(chrome.csrf)}
  <label for="username">User name</label>
  <input type="text" id="username" name="username" value="${options.username ?? ''}" autocomplete="username" autocapitalize="none" maxlength="64" autofocus>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" maxlength="256">
  <div class="actions"><button type="submit">Log in</button></div>
</form>
<h2>Demo accounts</h2>
<p class="muted">Seeded into the demo's SQLite file. Acme Corp requires 2-step verification; Globex leaves it to each user.</p>
<table><thead><tr><th>User name</th><th>Password</th><th>Who</th><th>Company</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

export function setupChoicePage(chrome: Chrome, options: { required: boolean; postponesLeft: number; error?: string | undefined }): string {
  const { required, postponesLeft } = options;
  const postpone =
    required && postponesLeft > 0
      ? html`<form method="post" action="/2fa/postpone">${csrfField(chrome.csrf)}<button type="submit" class="secondary">Postpone setup</button></form>`
      : '';
  const skip = !required
    ? html`<form method="post" action="/2fa/skip">${csrfField(chrome.csrf)}<button type="submit" class="secondary">Not now</button></form>`
    : '';
  const why = !required
    ? html`<p>You turned on 2-step verification for your account. Finish setting it up to protect your logins.</p>`
    : postponesLeft > 0
      ? html`<p>Your company requires 2-step verification. You can postpone the set-up to your next login <strong>${postponesLeft === 1 ? 'one more time' : `${postponesLeft} more times`}</strong>; after that it is mandatory.</p>`
      : html`<p>Your company requires 2-step verification and it must be set up now, before you continue.</p>`;
  return page(
    'Set up 2-Step Verification',
    chrome,
    html`<h1>Set up 2-Step Verification</h1>
${errorBox(options.error)}
${why}
<p>After your password, you will type a 6-digit code from an authenticator app on your phone. It takes about a minute.</p>
<div class="actions"><a class="button" href="/2fa/setup">Set up now</a>${postpone}${skip}</div>`,
  );
}

export function setupPage(chrome: Chrome, options: { enrollment: Enrollment; error?: string | undefined }): string {
  const { enrollment } = options;
  return page(
    'Set up 2-Step Verification',
    chrome,
    html`<h1>Set up 2-Step Verification</h1>
${errorBox(options.error)}
<ol class="steps">
  <li>Install an authenticator app on your phone, if you have none yet: for example Google Authenticator, Microsoft Authenticator, 2FAS or Aegis.</li>
  <li>In the app, add an account and scan this QR code.</li>
</ol>
<div class="qr">${raw(enrollment.qrSvg)}</div>
<details>
  <summary>Unable to scan?</summary>
  <p>Choose to enter a setup key in the app, and type or paste this key (time based):</p>
  <p><span class="key" id="manual-key">${enrollment.manualKey}</span>
  <button type="button" class="secondary" data-copy="manual-key" hidden>Copy key</button></p>
  <p class="muted">On this phone itself? <a href="${enrollment.uri}">Open the key in your authenticator app</a>.</p>
</details>
<form method="post" action="/2fa/setup">
  ${csrfField(chrome.csrf)}
  <label for="code">3. Type the 6-digit code the app shows</label>
  <input type="text" class="code" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="64" autofocus>
  <div class="actions"><button type="submit">Verify and Save</button></div>
</form>
<p class="muted">This key stays valid until ${time(enrollment.expiresAt)} if not confirmed; reloading the page keeps it.</p>`,
  );
}

export function recoveryCodesPage(chrome: Chrome, codes: readonly string[]): string {
  return page(
    'Recovery codes',
    chrome,
    html`<h1>2-Step Verification is on</h1>
<p class="notice" role="status">Your authenticator app is set up.</p>
<h2>Your recovery codes</h2>
<p>If you lose your phone, each of these codes logs you in once instead of a 6-digit code. Print them or keep them in a password manager: <strong>they are shown only this once.</strong></p>
<ol class="codes">${codes.map((code) => html`<li>${code}</li>`)}</ol>
<div class="actions"><a class="button" href="/home">Continue</a></div>`,
  );
}

export function codePage(chrome: Chrome, options: { error?: string | undefined }): string {
  return page(
    '2-Step Verification',
    chrome,
    html`<h1>2-Step Verification</h1>
${errorBox(options.error)}
<form method="post" action="/2fa/verify">
  ${csrfField(chrome.csrf)}
  <label for="code">Type the 6-digit code from your authenticator app</label>
  <input type="text" class="code" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="64" autofocus>
  <p class="muted">No phone at hand? Type one of your recovery codes instead.</p>
  <div class="actions"><button type="submit">Verify</button><a href="/2fa/lost">Lost 2-Step Verification code?</a></div>
</form>`,
  );
}

export function lockedPage(chrome: Chrome, options: { retryAt: number | null; now: number; error?: string | undefined }): string {
  const { retryAt, now } = options;
  const when =
    retryAt === null
      ? html`<p>Codes from your authenticator app are no longer accepted for your account. Log in with one of your recovery codes, or ask an administrator to reset your 2-Step Verification.</p>`
      : html`<p>You can try again at <strong>${time(retryAt)}</strong> (${inAbout(retryAt - now)}).</p>`;
  return page(
    'Too many wrong codes',
    chrome,
    html`<h1>Too many wrong codes</h1>
${errorBox(options.error)}
${when}
${retryAt === null
  ? html`<form method="post" action="/2fa/verify">${csrfField(chrome.csrf)}
      <label for="code">Recovery code</label>
      <input type="text" id="code" name="code" autocomplete="off" maxlength="64">
      <div class="actions"><button type="submit">Verify</button></div></form>`
  : html`<div class="actions"><a class="button" href="/2fa">Try again</a></div>`}
<p><a href="/2fa/lost">Lost 2-Step Verification code?</a></p>`,
  );
}

export function lostPage(chrome: Chrome, options: { admins: readonly Administrator[]; error?: string | undefined }): string {
  const { admins } = options;
  const body =
    admins.length === 0
      ? html`<p>Your account has no administrator to ask. Contact your company's support.</p>`
      : html`<p>An administrator can verify who you are and reset your 2-Step Verification; you then set it up again on your next login. Choose whom to ask:</p>
<form method="post" action="/2fa/lost">
  ${csrfField(chrome.csrf)}
  <fieldset><legend>Your administrators</legend>
  ${admins.map((admin, i) => html`<label><input type="radio" name="to" value="${admin.id}"${i === 0 ? raw(' checked') : ''}> ${admin.name}</label>`)}
  </fieldset>
  <div class="actions"><button type="submit">Send request</button><button type="submit" name="all" value="1" class="secondary">Send to all</button></div>
</form>`;
  return page(
    'Lost 2-Step Verification code?',
    chrome,
    html`<h1>Lost 2-Step Verification code?</h1>
${errorBox(options.error)}
${body}
<p><a href="/2fa">Back</a></p>`,
  );
}

export function lostSentPage(chrome: Chrome, names: readonly string[]): string {
  return page(
    'Request sent',
    chrome,
    html`<h1>Request sent</h1>
<p class="notice" role="status">We notified ${list(names)} that your 2-Step Verification needs to be verified and reset.</p>
<p>Once an administrator has reset it, log in again and set up your authenticator app anew.</p>
<div class="actions"><a class="button secondary" href="/login">Back to the login page</a></div>`,
  );
}

export function homePage(chrome: Chrome & { user: User }, options: { company: Company; status: string; canSetUp: boolean }): string {
  const { user } = chrome;
  return page(
    'Home',
    chrome,
    html`<h1>Welcome, ${user.name}</h1>
<p>You are logged in to ${options.company.name}.</p>
<p>2-Step Verification: <strong>${options.status}</strong></p>
<div class="actions">${options.canSetUp ? html`<a class="button" href="/2fa/setup">Set up now</a>` : ''}<a class="button secondary" href="/settings">Settings</a>${user.isAdmin ? html`<a class="button secondary" href="/inbox">Inbox</a>` : ''}</div>`,
  );
}

export function settingsPage(
  chrome: Chrome & { user: User },
  options: { company: Company; enrolled: boolean; enabled: boolean; error?: string | undefined },
): string {
  const { company, enrolled, enabled } = options;
  const form = (action: string, label: string, cls = '') =>
    html`<form method="post" action="${action}">${csrfField(chrome.csrf)}<button type="submit" class="${cls}">${label}</button></form>`;
  let body: Html;
  if (company.requires2fa) {
    body = html`<p>${company.name} requires 2-Step Verification for every account, so it cannot be turned off here.</p>
<p>Status: <strong>${enrolled ? 'on' : 'not set up yet'}</strong></p>
${enrolled ? '' : html`<div class="actions"><a class="button" href="/2fa/setup">Set up now</a></div>`}`;
  } else if (enrolled || enabled) {
    body = html`<p>${company.name} leaves 2-Step Verification to each user. You turned it on${enrolled ? '' : ', but have not finished the set-up'}.</p>
${
      enrolled
        ? html`<form method="post" action="/settings/disable">${csrfField(chrome.csrf)}<label for="off-code">Current code from your app</label>
<input id="off-code" name="code" inputmode="numeric" autocomplete="one-time-code" required>
<div class="actions"><button type="submit" class="danger">Turn off 2-Step Verification</button></div></form>`
        : html`<div class="actions"><a class="button" href="/2fa/setup">Finish set-up</a>${form('/settings/disable', 'Turn off 2-Step Verification', 'danger')}</div>`
    }`;
  } else {
    body = html`<p>${company.name} leaves 2-Step Verification to each user. It is <strong>off</strong> for your account.</p>
<p>Turn it on to ask for a code from your phone at every login.</p>
<div class="actions">${form('/settings/enable', 'Turn on 2-Step Verification')}</div>`;
  }
  return page('Settings', chrome, html`<h1>Settings</h1>${errorBox(options.error)}<h2>2-Step Verification</h2>${body}`);
}

export function inboxPage(
  chrome: Chrome & { user: User },
  options: { pending: readonly (PendingReset & { name: string })[]; messages: readonly OutboxMessage[]; now: number; error?: string | undefined },
): string {
  const { pending, messages } = options;
  const requests =
    pending.length === 0
      ? html`<p class="muted">No open requests.</p>`
      : html`<table><thead><tr><th>User</th><th>Asked</th><th></th></tr></thead><tbody>${pending.map(
          (p) => html`<tr><td>${p.name} <span class="muted">(${p.userId})</span></td><td>${time(p.requestedAt)}<br><span class="muted">${p.to.length > 1 ? `sent to ${p.to.length} administrators` : 'sent to you'}</span></td>
<td><div class="actions">
<form method="post" action="/inbox/reset">${csrfField(chrome.csrf)}<input type="hidden" name="user" value="${p.userId}"><input type="hidden" name="request" value="${p.requestId}"><button type="submit">Reset</button></form>
<form method="post" action="/inbox/decline">${csrfField(chrome.csrf)}<input type="hidden" name="user" value="${p.userId}"><input type="hidden" name="request" value="${p.requestId}"><button type="submit" class="secondary">Decline</button></form>
</div></td></tr>`,
        )}</tbody></table>`;
  const mail =
    messages.length === 0
      ? html`<p class="muted">No notifications.</p>`
      : html`<table><tbody>${messages.map((m) => html`<tr><td class="muted nowrap">${time(m.at)}</td><td>${m.text}</td></tr>`)}</tbody></table>`;
  return page(
    'Inbox',
    chrome,
    html`<h1>Inbox</h1>
${errorBox(options.error)}
<h2>Pending 2-Step Verification reset requests</h2>
<p class="muted">Verify who is asking (call them) before you reset: they then set up 2-Step Verification again at their next login.</p>
${requests}
<h2>Notifications</h2>
${mail}`,
  );
}

export function messagePage(chrome: Chrome, options: { title: string; message: string; back?: string }): string {
  return page(
    options.title,
    chrome,
    html`<h1>${options.title}</h1><p class="error" role="alert">${options.message}</p><p><a href="${options.back ?? '/'}">Back</a></p>`,
  );
}

function time(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

function inAbout(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds < 120 ? `in ${seconds} seconds` : `in about ${Math.ceil(seconds / 60)} minutes`;
}

function list(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

// The pages, as plain functions of what they show. Every form carries the
// session's CSRF token; nothing here needs JavaScript. The 2-step pages are
// otpgate/web's (under /2fa).
import type { Company, OutboxMessage, User } from './db.js';
import { html, type Html } from './html.js';

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
          ${full ? html`<a href="/home">Home</a><a href="/2fa/settings">Settings</a>` : ''}
          ${full && user.isAdmin ? html`<a href="/2fa/inbox">Inbox</a>` : ''}
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

export function homePage(
  chrome: Chrome & { user: User },
  options: { company: Company; status: string; canSetUp: boolean; messages: readonly OutboxMessage[] },
): string {
  const { user } = chrome;
  const mail =
    options.messages.length === 0
      ? html`<p class="muted">No notifications.</p>`
      : html`<table><tbody>${options.messages.map((m) => html`<tr><td class="muted nowrap">${time(m.at)}</td><td>${m.text}</td></tr>`)}</tbody></table>`;
  return page(
    'Home',
    chrome,
    html`<h1>Welcome, ${user.name}</h1>
<p>You are logged in to ${options.company.name}.</p>
<p>2-Step Verification: <strong>${options.status}</strong></p>
<div class="actions">${options.canSetUp ? html`<a class="button" href="/2fa/setup">Set up now</a>` : ''}<a class="button secondary" href="/2fa/settings">2-Step Verification settings</a>${user.isAdmin ? html`<a class="button secondary" href="/2fa/inbox">Reset requests</a>` : ''}</div>
<h2>Your notifications</h2>
<p class="muted">What the demo's notifier "mailed" you (it writes to the demo_outbox table and the console).</p>
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



// The toy host shared by examples/express, fastify, hono and next: a user
// list with plain passwords, server-side sessions in a Map, a login page and
// a home page. None of this is otpgate: it stands for the login a real host
// has already. What each example adds for 2-step verification is in its own
// file, marked "otpgate wiring".
import { createGate, createMemoryStore, type Clock, type Gate } from 'otpgate';

interface ToyUser {
  readonly name: string;
  readonly password: string;
  readonly admins: readonly string[];
}

/** alice must use 2-step verification; root and carol administer her. */
export const USERS: Readonly<Record<string, ToyUser>> = {
  alice: { name: 'Alice Example', password: 'alice-password', admins: ['root', 'carol'] },
  root: { name: 'Root Admin', password: 'root-password', admins: [] },
  carol: { name: 'Carol Admin', password: 'carol-password', admins: [] },
};

/** The user id for a right user name and password, else `null`. A real host compares password hashes. */
export function checkPassword(username: unknown, password: unknown): string | null {
  const user = typeof username === 'string' ? USERS[username] : undefined;
  return user !== undefined && user.password === password ? (username as string) : null;
}

/** The host's own gate: a memory store, alice required, the administrators from USERS, notices on the console. */
export function createToyGate(clock?: Clock): Gate {
  return createGate({
    store: createMemoryStore(),
    issuer: 'Toy Host',
    ...(clock === undefined ? {} : { clock }),
    policy: { required: (userId) => userId === 'alice', maxPostpones: 2 },
    directory: {
      administratorsOf: async (userId) => (USERS[userId]?.admins ?? []).map((id) => ({ id, name: USERS[id]!.name })),
      isAdministratorOf: async (adminId, userId) => USERS[userId]?.admins.includes(adminId) ?? false,
    },
    notifier: { notify: async (event) => console.log(`[notify] ${event.type} for ${event.userId}`) },
  });
}

const sessions = new Map<string, string>();

/** A new session for `userId`, as a Set-Cookie value. */
export function newSession(userId: string): string {
  const id = crypto.randomUUID();
  sessions.set(id, userId);
  return `sid=${id}; Path=/; HttpOnly; SameSite=Lax`;
}

/** The user of the session in a Cookie header, or `null`. */
export function sessionUser(cookie: string | null | undefined): string | null {
  const id = /(?:^|;\s*)sid=([^;]+)/.exec(cookie ?? '')?.[1];
  return id === undefined ? null : (sessions.get(id) ?? null);
}

/** Ends the session in a Cookie header; returns the Set-Cookie value that clears it. */
export function endSession(cookie: string | null | undefined): string {
  const id = /(?:^|;\s*)sid=([^;]+)/.exec(cookie ?? '')?.[1];
  if (id !== undefined) sessions.delete(id);
  return 'sid=; Path=/; Max-Age=0';
}

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Toy Host</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/2fa/flow.css"></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;

/** The host's login form. */
export function loginPage(error?: string): string {
  return page(
    'Log in',
    `${error ? `<p class="error" role="alert">${error}</p>` : ''}<form method="post" action="/login">
<label for="username">User name</label><input type="text" id="username" name="username" autocomplete="username" autofocus>
<label for="password">Password</label><input type="text" id="password" name="password" autocomplete="current-password">
<div class="actions"><button type="submit">Log in</button></div></form>`,
  );
}

/** The host's home page, with links to the flow's settings and inbox. */
export function homePage(userId: string): string {
  const name = USERS[userId]?.name ?? 'someone';
  return page(
    `Hello, ${name}`,
    `<p>You are logged in.</p><div class="actions"><a class="button secondary" href="/2fa/settings">2-Step Verification settings</a>
<a class="button secondary" href="/2fa/inbox">Reset requests</a>
<form method="post" action="/logout" class="inline"><button type="submit">Log out</button></form></div>`,
  );
}

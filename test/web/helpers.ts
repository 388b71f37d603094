// A real gate on the memory store, a flow on top, and a tiny cookie-keeping
// client that drives flow.handle() with Web Requests the way a browser would.
import { createGate, createMemoryStore, totp, type Gate, type GateEvent } from '../../src/index.js';
import { createFlow, type Flow, type FlowOptions } from '../../src/web/index.js';

export const ORIGIN = 'http://localhost:3000';
export const KEY = new Uint8Array(32).fill(7);

/** alice and bob work for acme (required); root and carol administer acme; dave is at globex (optional). */
export const ADMINS: Record<string, { id: string; name: string }[]> = {
  alice: [
    { id: 'root', name: 'Root Admin' },
    { id: 'carol', name: 'Carol Admin' },
  ],
  bob: [{ id: 'root', name: 'Root Admin' }],
  dave: [],
};

export interface Setup {
  gate: Gate;
  flow: Flow;
  events: GateEvent[];
  clock: { t: number; now(): number };
  /** Who the host's own session says is logged in, per session cookie value. */
  completed: string[];
}

export function setup(overrides: Partial<FlowOptions> = {}, policy: Parameters<typeof createGate>[0]['policy'] = {}): Setup {
  const clock = { t: Date.UTC(2026, 0, 5, 9, 0, 0), now() { return this.t; } };
  const events: GateEvent[] = [];
  const gate = createGate({
    store: createMemoryStore(),
    issuer: 'Example',
    clock,
    policy: { required: (userId) => userId !== 'dave', maxPostpones: 2, ...policy },
    directory: {
      administratorsOf: async (userId) => ADMINS[userId] ?? [],
      isAdministratorOf: async (adminId, userId) => (ADMINS[userId] ?? []).some((a) => a.id === adminId),
    },
    notifier: { notify: async (event) => void events.push(event) },
  });
  const completed: string[] = [];
  const flow = createFlow({
    gate,
    key: KEY,
    clock,
    loginUrl: '/login',
    onComplete: (userId, _request, info) => {
      completed.push(userId);
      return new Response(null, { status: 303, headers: { Location: info.returnTo ?? '/home', 'Set-Cookie': `session=${userId}; Path=/; HttpOnly` } });
    },
    currentUser: (request) => /(?:^|;\s*)session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1] ?? null,
    account: (userId) => `${userId}@example.com`,
    ...overrides,
  });
  return { gate, flow, events, clock, completed };
}

/** A browser: a cookie jar (name → value), the last page's CSRF token, Accept-Language. */
export class Client {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(
    readonly flow: Flow,
    readonly options: { json?: boolean; language?: string } = {},
  ) {}

  private headers(extra: Record<string, string> = {}): Headers {
    const headers = new Headers(extra);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    headers.set('accept', this.options.json ? 'application/json' : 'text/html,application/xhtml+xml');
    if (this.options.language) headers.set('accept-language', this.options.language);
    return headers;
  }

  keep(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (attrs.some((a) => a.trim() === 'Max-Age=0') || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async read(response: Response): Promise<{ response: Response; body: string; json: any }> {
    this.keep(response);
    const body = await response.text();
    let json: any = null;
    if ((response.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(body);
    const token = json?.csrf ?? /name="csrf" value="([^"]*)"/.exec(body)?.[1];
    if (token) this.csrf = token;
    return { response, body, json };
  }

  async start(userId: string, returnTo?: string) {
    const request = new Request(`${ORIGIN}/login`, { method: 'POST', headers: this.headers() });
    return this.read(await this.flow.start(userId, request, returnTo === undefined ? {} : { returnTo }));
  }

  async get(path: string) {
    const response = await this.flow.handle(new Request(ORIGIN + path, { headers: this.headers() }));
    if (response === null) throw new Error(`not handled: ${path}`);
    return this.read(response);
  }

  async post(path: string, fields: Record<string, string> = {}, options: { csrf?: string | null } = {}) {
    const form = new URLSearchParams(fields);
    const csrf = options.csrf === undefined ? this.csrf : options.csrf;
    if (csrf !== null) form.set('csrf', csrf);
    const request = new Request(ORIGIN + path, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN }),
      body: form.toString(),
    });
    const response = await this.flow.handle(request);
    if (response === null) throw new Error(`not handled: ${path}`);
    return this.read(response);
  }

  /** A POST as the passkey script sends it: the fields as JSON, asking for JSON (the CSRF token among the fields). */
  async postJson(path: string, fields: Record<string, string> = {}) {
    const request = new Request(ORIGIN + path, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json', accept: 'application/json', origin: ORIGIN }),
      body: JSON.stringify({ csrf: this.csrf, ...fields }),
    });
    // The headers() Accept is the page's; the script asks for JSON.
    request.headers.set('accept', 'application/json');
    const response = await this.flow.handle(request);
    if (response === null) throw new Error(`not handled: ${path}`);
    const body = await this.keep(response).text();
    return { response, body, json: JSON.parse(body) as any };
  }
}

/** The secret of a setup page (its manual key without spaces). */
export function keyOf(body: string): string {
  const html = /id="manual-key"[^>]*>([^<]+)</.exec(body)?.[1];
  if (html) return html.replace(/\s+/g, '');
  const json = JSON.parse(body) as { manualKey: string };
  return json.manualKey.replace(/\s+/g, '');
}

export function codeAt(secret: string, ms: number): string {
  return totp(secret, { now: ms });
}

// A fetch-style handler, `(request: Request) => Promise<Response>`, for edge
// runtimes (Cloudflare Workers, Deno, Bun, Vercel Edge), or mounted in Hono with
// `app.all('/2fa/*', (c) => handle(c.req.raw))`.
// It uses only the runtime-agnostic parts of otpgate (the gate, the memory
// store, enrollment): no Buffer, no `node:` imports; its test type-checks it
// without Node's types.
//
// Who the user is comes from `authenticate`: your session layer, after the
// password was checked. The memory store lives in one isolate only: on a real
// edge deployment pass a store whose compareAndSet is atomic across instances
// (a database, Redis, or a Durable Object; see docs/stores.md).
// (In your application, import from 'otpgate' instead of '../src/index.js'.)
import { createGate, createMemoryStore, isOtpError, type Gate, type GateConfig } from '../src/index.js';

export interface HandlerOptions {
  /** The user whose password was checked for this request, or `null`. */
  readonly authenticate: (request: Request) => Promise<string | null>;
  /** The gate; by default one on a memory store with the default policy. */
  readonly gate?: Gate;
  /** The seams for the default gate. */
  readonly directory?: GateConfig['directory'];
  readonly notifier?: GateConfig['notifier'];
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** `Retry-After` in whole seconds, for a lock that ends. */
function retryAfter(retryAt: number | null | undefined): Record<string, string> {
  return typeof retryAt === 'number' ? { 'retry-after': String(Math.max(1, Math.ceil((retryAt - Date.now()) / 1000))) } : {};
}

export function createHandler(options: HandlerOptions): (request: Request) => Promise<Response> {
  const gate =
    options.gate ??
    createGate({
      store: createMemoryStore(),
      issuer: 'ACME Co',
      directory: options.directory ?? { administratorsOf: async () => [], isAdministratorOf: async () => false },
      notifier: options.notifier ?? { notify: async () => {} },
    });

  const routes: Record<string, (userId: string, body: Record<string, unknown>) => Promise<Response>> = {
    'GET /2fa/next': async (userId) => json(await gate.nextStep(userId)),
    // Set-up only when the gate asks for it: a password alone must never replace
    // an enrolled user's authenticator (re-enrollment needs a full login, code included).
    'POST /2fa/setup': async (userId) => {
      if ((await gate.nextStep(userId)).step !== 'setup') return json({ error: 'set-up is not what this login needs' }, 409);
      const { manualKey, uri, qrSvg, expiresAt } = await gate.beginEnrollment(userId);
      return json({ manualKey, uri, qrSvg, expiresAt });
    },
    'POST /2fa/confirm': async (userId, body) => {
      if ((await gate.nextStep(userId)).step !== 'setup') return json({ error: 'set-up is not what this login needs' }, 409);
      const result = await gate.confirmEnrollment(userId, String(body['code']));
      return json(result, result.ok ? 200 : result.reason === 'locked' ? 429 : 400);
    },
    'POST /2fa/verify': async (userId, body) => {
      const result = await gate.verify(userId, String(body['code']));
      if (result.ok) return json(result);
      return json(result, result.reason === 'locked' ? 429 : 401, 'retryAt' in result ? retryAfter(result.retryAt) : {});
    },
  };

  return async (request) => {
    const route = routes[`${request.method} ${new URL(request.url).pathname}`];
    if (route === undefined) return json({ error: 'not found' }, 404);
    const userId = await options.authenticate(request);
    if (userId === null) return json({ error: 'log in with your password first' }, 401);
    let body: Record<string, unknown> = {};
    if (request.method === 'POST') {
      try {
        body = (await request.json()) as Record<string, unknown>;
      } catch {
        return json({ error: 'the body must be JSON' }, 400);
      }
    }
    try {
      return await route(userId, body);
    } catch (error) {
      // The gate's refusals carry a stable code and a message safe to show.
      if (isOtpError(error)) return json({ error: error.code, message: error.message }, error.code === 'ERR_STORE' ? 503 : 409);
      throw error;
    }
  };
}

/** For `export default { fetch }` runtimes; here the user id comes from a header set by a trusted upstream. */
export default {
  fetch: createHandler({ authenticate: async (request) => request.headers.get('x-authenticated-user') }),
};

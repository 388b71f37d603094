// A Cloudflare Worker with otpgate on Durable Objects: the support article's
// whole flow (postpone set-up, enroll, log in with a code, lose the phone,
// ask an administrator, who resets) as a small JSON API, and the same flow
// as otpgate's own pages (otpgate/web) under /2fa. Every gate call runs in
// the Worker; every user's record lives in that user's Durable Object, so
// any number of Worker instances worldwide share one truth.
//
// Deploy with wrangler.toml (next to this file): it binds OTPGATE to the
// OtpgateDurableObject class exported below. test/examples/worker-durable-object.test.ts
// runs this file in workerd through Miniflare.
//
// Who the user is comes from your session layer after the password check;
// here a header stands in for it (`x-user`): never trust such a header in
// production. (In your application, import from 'otpgate' and
// 'otpgate/stores/durable-object' instead of the sources.)
import { createGate, isOtpError, type Gate, type GateEvent } from '../../src/index.js';
import { createFlow } from '../../src/web/index.js';
import {
  createDurableObjectStore,
  OtpgateDurableObject,
  type DurableObjectNamespaceLike,
} from '../../src/stores/durable-object.js';

export { OtpgateDurableObject };

export interface Env {
  /** The Durable Object namespace bound to OtpgateDurableObject. */
  readonly OTPGATE: DurableObjectNamespaceLike;
  /** At least 32 random bytes as base64url (`wrangler secret put FLOW_KEY`): signs the pages' flow cookie. */
  readonly FLOW_KEY: string;
}

// Your directory: who administers whom. Here one administrator for everyone.
const ADMINS = [{ id: 'root', name: 'Root Admin' }];

function gateFor(env: Env, events: GateEvent[]): Gate {
  return createGate({
    store: createDurableObjectStore({ namespace: env.OTPGATE }),
    issuer: 'ACME Co',
    policy: { required: true, maxPostpones: 2 },
    directory: {
      administratorsOf: async (userId) => ADMINS.filter((admin) => admin.id !== userId),
      isAdministratorOf: async (adminId, userId) => ADMINS.some((admin) => admin.id === adminId) && adminId !== userId,
    },
    // Your mail or chat; here the events go back in the response for the demo.
    notifier: { notify: async (event) => void events.push(event) },
  });
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

type Route = (gate: Gate, userId: string, body: Record<string, unknown>) => Promise<unknown>;

const routes: Record<string, Route> = {
  // After the password: what this login needs next.
  'POST /login': (gate, userId) => gate.nextStep(userId),
  // "Postpone setup": once per login attempt, two times in all.
  'POST /postpone': (gate, userId, body) => gate.postpone(userId, { attempt: String(body['attempt']) }),
  // "Set up now": the QR code, the key for "Unable to scan?", the otpauth URI.
  'POST /enroll': async (gate, userId) => {
    const { manualKey, uri, qrSvg } = await gate.beginEnrollment(userId, { account: `${userId}@example.com` });
    return { manualKey, uri, qrSvg };
  },
  // "Verify and Save".
  'POST /enroll/confirm': (gate, userId, body) => gate.confirmEnrollment(userId, String(body['code'])),
  // Every later login.
  'POST /verify': (gate, userId, body) => gate.verify(userId, String(body['code'])),
  // "Lost 2-Step Verification code?"
  'POST /lost/administrators': (gate, userId) => gate.administrators(userId),
  'POST /lost/request': (gate, userId, body) => gate.requestReset(userId, { to: String(body['to']) }),
  // The administrator's side.
  'POST /admin/pending': (gate, adminId) => gate.pendingResets(adminId),
  'POST /admin/reset': (gate, adminId, body) => gate.reset(adminId, String(body['user'])),
};

/** The pages: your login form posts to /web/login after checking the password; /2fa/* is otpgate's. */
async function pages(request: Request, env: Env): Promise<Response | null> {
  const flow = createFlow({
    gate: gateFor(env, []),
    key: env.FLOW_KEY,
    // Your session cookie, set once the second step is done (or postponed).
    onComplete: (userId) =>
      new Response(null, { status: 303, headers: { location: '/home', 'set-cookie': `session=${encodeURIComponent(userId)}; Path=/; HttpOnly; Secure; SameSite=Lax` } }),
  });
  const { pathname } = new URL(request.url);
  if (request.method === 'POST' && pathname === '/web/login') {
    const userId = request.headers.get('x-user'); // stands for the password check
    return userId ? flow.start(userId, request) : json({ error: 'log in with your password first' }, 401);
  }
  return flow.handle(request);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const page = await pages(request, env);
    if (page !== null) return page;
    const route = routes[`${request.method} ${new URL(request.url).pathname}`];
    if (route === undefined) return json({ error: 'not found' }, 404);
    const userId = request.headers.get('x-user');
    if (!userId) return json({ error: 'log in with your password first' }, 401);
    let body: Record<string, unknown>;
    try {
      body = (await request.json()) as Record<string, unknown>;
    } catch {
      body = {};
    }
    const events: GateEvent[] = [];
    try {
      const result = await route(gateFor(env, events), userId, body);
      return json({ result: result ?? null, events: events.map((event) => event.type) });
    } catch (error) {
      // The gate's refusals carry a stable code and a message safe to show.
      if (isOtpError(error)) return json({ error: error.code, message: error.message }, error.code === 'ERR_STORE' ? 503 : 400);
      return json({ error: 'internal error' }, 500);
    }
  },
};

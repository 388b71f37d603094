// A test Worker for test/stores/durable-object.test.ts: it exports the
// Durable Object class and serves the store's three methods over fetch, so
// that the conformance suite (running in Node) drives a store that runs
// inside workerd. Bundled by esbuild for the browser platform, so a `node:`
// import anywhere in the store would fail the bundle.
import { isOtpError } from '../../src/errors.js';
import { createDurableObjectStore, OtpgateDurableObject, type DurableObjectNamespaceLike } from '../../src/stores/durable-object.js';

export { OtpgateDurableObject };

interface Env {
  readonly OTPGATE: DurableObjectNamespaceLike;
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const body = (await request.json()) as { userId: string; expected: number | null; next: never; options?: Record<string, unknown> };
    try {
      const store = createDurableObjectStore({ namespace: env.OTPGATE, prefix: url.searchParams.get('prefix') ?? undefined, ...body.options });
      switch (url.pathname) {
        case '/get':
          return json({ value: await store.get(body.userId) });
        case '/compare-and-set':
          return json({ value: await store.compareAndSet(body.userId, body.expected, body.next) });
        case '/list-open-resets':
          return json({ value: await store.listOpenResets() });
        case '/raw':
          // Straight to a user's object, as a broken or foreign caller would.
          return (await env.OTPGATE.get(env.OTPGATE.idFromName(body.userId) as never).fetch(`https://otpgate.invalid${url.searchParams.get('path')}`, {
            method: 'POST',
            headers: {},
            body: JSON.stringify(body.next),
          })) as Response;
        default:
          return json({ error: { message: 'no such route' } }, 404);
      }
    } catch (error) {
      const { name, message } = error as Error;
      return json({ error: { name, message, code: isOtpError(error) ? error.code : undefined } }, 500);
    }
  },
};

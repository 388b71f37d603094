// A test Worker for the Durable Object store's tests: it exports the Durable
// Object class and serves the store's methods over fetch, so that the
// conformance suite (running in Node) drives a store that runs inside
// workerd. Bundled by esbuild for the browser platform, so a `node:` import
// anywhere in the store would fail the bundle.
//
// The class exported here is the store's class with one addition for tests:
// `/test/storage` reads and writes an object's storage as it is, so that a
// test can lay down what an earlier release wrote and look at what is kept.
import { isOtpError } from '../../src/errors.js';
import { createDurableObjectStore, OtpgateDurableObject as StoreObject, type DurableObjectNamespaceLike } from '../../src/stores/durable-object.js';

interface Storage {
  get(keys: string[]): Promise<Map<string, unknown>>;
  put(entries: Record<string, unknown>): Promise<void>;
  list(options?: { prefix?: string }): Promise<Map<string, unknown>>;
  getAlarm(): Promise<number | null>;
}

export class OtpgateDurableObject extends StoreObject {
  readonly #storage: Storage;

  constructor(state: unknown, env: unknown) {
    super(state, env);
    this.#storage = (state as { storage: Storage }).storage;
  }

  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname !== '/test/storage') return (await super.fetch(request)) as Response;
    const { put } = (await request.clone().json()) as { put?: Record<string, unknown> };
    if (put) await this.#storage.put(put);
    const all = await this.#storage.list();
    return Response.json({ value: { storage: Object.fromEntries(all), alarm: await this.#storage.getAlarm() } });
  }
}

interface Env {
  readonly OTPGATE: DurableObjectNamespaceLike;
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const body = (await request.json()) as {
      userId: string;
      expected: number | null;
      next: never;
      options?: Record<string, unknown>;
      page?: { cursor?: string | null; limit?: number };
    };
    try {
      const store = createDurableObjectStore({ namespace: env.OTPGATE, prefix: url.searchParams.get('prefix') ?? undefined, ...body.options });
      switch (url.pathname) {
        case '/get':
          return json({ value: await store.get(body.userId) });
        case '/compare-and-set':
          return json({ value: await store.compareAndSet(body.userId, body.expected, body.next) });
        case '/delete':
          return json({ value: await store.delete!(body.userId) });
        case '/list-users':
          return json({ value: await store.listUsers!(body.page) });
        case '/list-open-resets':
          return json({ value: await store.listOpenResets() });
        case '/raw':
          // Straight to an object by its name, as a broken or foreign caller (or a test) would.
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

/**
 * `otpgate/web/fastify`: the flow as a Fastify plugin, and `start(request,
 * reply, userId)` for the login route. Fastify is an optional peer
 * dependency; this module imports nothing from it.
 *
 * @module
 */
import { createFlow, type Flow, type FlowOptions, type StartOptions } from './flow.js';
export type { NodeRequestLike, NodeResponseLike } from './_node.js';
import { toWebRequest, type NodeRequestLike } from './_node.js';

/**
 * The parts of a Fastify request the adapter reads (Fastify's own `FastifyRequest` fits).
 *
 * @example
 * ```ts
 * import type { FastifyRequestLike } from 'otpgate/web/fastify';
 * const path = (request: FastifyRequestLike) => request.url;
 * ```
 */
export interface FastifyRequestLike {
  /** The Node request. */
  readonly raw: NodeRequestLike;
  /** The path and query. */
  readonly url: string;
  /** `http` or `https`. */
  readonly protocol: string;
  /** The parsed body (the plugin's routes leave it a string). */
  readonly body?: unknown;
}

/**
 * The parts of a Fastify reply the adapter writes (Fastify's own `FastifyReply` fits).
 *
 * @example
 * ```ts
 * import type { FastifyReplyLike } from 'otpgate/web/fastify';
 * const status = (reply: FastifyReplyLike) => reply.code(200);
 * ```
 */
export interface FastifyReplyLike {
  /** Sets the status. */
  code(status: number): unknown;
  /** Sets a header. */
  header(name: string, value: string | readonly string[]): unknown;
  /** A header set already. */
  getHeader(name: string): unknown;
  /** Sends the body. */
  send(body?: unknown): unknown;
}

/**
 * The parts of a Fastify instance the plugin uses.
 *
 * @example
 * ```ts
 * import type { FastifyInstanceLike } from 'otpgate/web/fastify';
 * const ready = (app: FastifyInstanceLike) => app;
 * ```
 */
export interface FastifyInstanceLike {
  /** Drops Fastify's JSON parser inside the plugin: the flow reads bodies itself. */
  removeAllContentTypeParsers(): unknown;
  /** Adds a body parser inside the plugin. */
  addContentTypeParser(type: string, options: { parseAs: 'string'; bodyLimit?: number }, parser: (request: unknown, body: string, done: (error: Error | null, body?: unknown) => void) => void): unknown;
  /** Adds a route. */
  route(options: { method: string[]; url: string; handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown> }): unknown;
}

/**
 * The options of {@link createFastifyFlow}: those of `createFlow`, with
 * `onComplete` and `currentUser` on Fastify's request and reply. `Req` and
 * `Rep` are the types the callbacks see: annotate `request: FastifyRequest`
 * (and `reply: FastifyReply`) to use `request.session`, `reply.setCookie`
 * and the like.
 *
 * @example
 * ```ts
 * import type { FastifyFlowOptions } from 'otpgate/web/fastify';
 * const onComplete: FastifyFlowOptions['onComplete'] = () => '/home';
 * ```
 */
export interface FastifyFlowOptions<Req extends FastifyRequestLike = FastifyRequestLike, Rep extends FastifyReplyLike = FastifyReplyLike>
  extends Omit<FlowOptions, 'onComplete' | 'currentUser'> {
  /**
   * Logs the user in: set the host's session here (`reply.setCookie(...)`,
   * `request.session.set(...)`), without sending, and return where to go.
   * @defaultValue goes to `returnTo` from `start`, or `'/'`
   */
  readonly onComplete: (userId: string, request: Req, reply: Rep, info: { readonly returnTo: string | null }) => string | void | Promise<string | void>;
  /** Who is fully logged in (for settings and inbox). @defaultValue nobody */
  readonly currentUser?: ((request: Req) => string | null | undefined | Promise<string | null | undefined>) | undefined;
}

/**
 * What {@link createFastifyFlow} makes.
 *
 * @example
 * ```ts
 * import type { FastifyFlow } from 'otpgate/web/fastify';
 * declare const twofa: FastifyFlow;
 * // await app.register(twofa.plugin);
 * ```
 */
export interface FastifyFlow<Req extends FastifyRequestLike = FastifyRequestLike, Rep extends FastifyReplyLike = FastifyReplyLike> {
  /** The runtime-agnostic flow underneath. */
  readonly flow: Flow;
  /** The plugin serving every page under `basePath`: `await app.register(twofa.plugin)`. */
  readonly plugin: (app: FastifyInstanceLike, options: unknown) => Promise<void>;
  /** Call after the password check instead of logging the user in; return its result from the route. */
  start(request: Req, reply: Rep, userId: string, options?: StartOptions): Promise<Rep>;
}

interface Pair<Req, Rep> {
  readonly request: Req;
  readonly reply: Rep;
}

/** Sends a Web Response through a Fastify reply, keeping cookies set on it already. */
async function send<Rep extends FastifyReplyLike>(response: Response, reply: Rep): Promise<Rep> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') reply.header(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) {
    const before = reply.getHeader('set-cookie');
    const kept = before === undefined ? [] : Array.isArray(before) ? (before as string[]) : [String(before)];
    reply.header('set-cookie', [...kept, ...cookies]);
  }
  // Text, so that hooks such as compression see an ordinary payload.
  await reply.send(response.body === null ? undefined : await response.text());
  return reply;
}

/**
 * The flow for a Fastify app.
 *
 * @throws `OtpError` `ERR_OPTIONS` as `createFlow`
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createFastifyFlow } from 'otpgate/web/fastify';
 *
 * const twofa = createFastifyFlow({
 *   gate,
 *   key: process.env.OTPGATE_KEY!,
 *   onComplete: (userId, request, reply) => { reply.setCookie('session', sign(userId)); return '/home'; },
 *   currentUser: (request) => sessionUser(request),
 * });
 * const app = Fastify();
 * await app.register(twofa.plugin);
 * app.post('/login', async (request, reply) => {
 *   const user = await checkPassword(request.body);
 *   if (!user) return reply.code(401).send('Wrong user name or password');
 *   return twofa.start(request, reply, user.id);
 * });
 * ```
 */
export function createFastifyFlow<Req extends FastifyRequestLike = FastifyRequestLike, Rep extends FastifyReplyLike = FastifyReplyLike>(
  options: FastifyFlowOptions<Req, Rep>,
): FastifyFlow<Req, Rep> {
  const pairs = new WeakMap<Request, Pair<Req, Rep>>();
  const { onComplete, currentUser, ...rest } = options;
  const flow = createFlow({
    ...rest,
    async onComplete(userId, request, info) {
      const pair = pairs.get(request)!;
      const to = (await onComplete(userId, pair.request, pair.reply, info)) ?? info.returnTo ?? '/';
      return new Response(null, { status: 303, headers: { Location: to } });
    },
    currentUser: currentUser === undefined ? undefined : (request) => currentUser(pairs.get(request)!.request),
  });

  async function toRequest(request: Req, reply: Rep): Promise<Request> {
    const host = typeof request.raw.headers['host'] === 'string' ? request.raw.headers['host'] : 'localhost';
    const web = await toWebRequest(request.raw, `${request.protocol}://${host}`, request.url, typeof request.body === 'string' ? request.body : request.body ?? '');
    pairs.set(web, { request, reply });
    return web;
  }

  async function handler(request: FastifyRequestLike, reply: FastifyReplyLike): Promise<unknown> {
    // Fastify hands the plugin's routes its own request and reply: the types
    // the host named for its callbacks.
    const response = await flow.handle(await toRequest(request as Req, reply as Rep));
    return send(response ?? new Response(null, { status: 404 }), reply);
  }

  return {
    flow,
    async plugin(app) {
      // Inside the plugin only: the flow reads form and JSON bodies itself, so they stay text.
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => done(null, body));
      const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
      app.route({ method: methods, url: flow.basePath, handler });
      app.route({ method: methods, url: `${flow.basePath}/*`, handler });
    },
    async start(request, reply, userId, startOptions) {
      return send(await flow.start(userId, await toRequest(request, reply), startOptions), reply);
    },
  };
}

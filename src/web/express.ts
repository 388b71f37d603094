/**
 * `otpgate/web/express`: the flow as Express middleware, and `start(req,
 * res, userId)` for the login handler. Express is an optional peer
 * dependency; this module imports nothing from it.
 *
 * @module
 */
import { createFlow, type Flow, type FlowOptions, type StartOptions } from './flow.js';
export type { NodeRequestLike, NodeResponseLike } from './_node.js';
import { toWebRequest, writeResponse, type NodeRequestLike, type NodeResponseLike } from './_node.js';

/**
 * The parts of an Express request the adapter reads (Express's own `Request` fits).
 *
 * @example
 * ```ts
 * import type { ExpressRequestLike } from 'otpgate/web/express';
 * const user = (req: ExpressRequestLike & { session?: { user?: string } }) => req.session?.user ?? null;
 * ```
 */
export interface ExpressRequestLike extends NodeRequestLike {
  /** `http` or `https` (Express honours `trust proxy`). */
  readonly protocol?: string | undefined;
  /** The path as the client sent it, before any mount point was cut. */
  readonly originalUrl?: string | undefined;
  /** A body parser's result, if one ran before the flow. */
  readonly body?: unknown;
}

/**
 * The parts of an Express response the adapter writes (Express's own `Response` fits).
 *
 * @example
 * ```ts
 * import type { ExpressResponseLike } from 'otpgate/web/express';
 * const done = (res: ExpressResponseLike) => res.statusCode;
 * ```
 */
export type ExpressResponseLike = NodeResponseLike;

/**
 * The options of {@link createExpressFlow}: those of `createFlow`, with
 * `onComplete` and `currentUser` on Express's request and response. `Req` and
 * `Res` are the types the callbacks see: annotate `req: express.Request` (and
 * `res: express.Response`) to use `req.session`, `res.cookie` and the like.
 *
 * @example
 * ```ts
 * import type { ExpressFlowOptions } from 'otpgate/web/express';
 * const onComplete: ExpressFlowOptions['onComplete'] = (userId, req) => '/home';
 * ```
 */
export interface ExpressFlowOptions<Req extends ExpressRequestLike = ExpressRequestLike, Res extends ExpressResponseLike = ExpressResponseLike>
  extends Omit<FlowOptions, 'onComplete' | 'currentUser'> {
  /**
   * Logs the user in: set the host's session here (`req.session.user =
   * userId`, `res.cookie(...)`), without sending, and return where to go.
   * @defaultValue goes to `returnTo` from `start`, or `'/'`
   */
  readonly onComplete: (userId: string, req: Req, res: Res, info: { readonly returnTo: string | null }) => string | void | Promise<string | void>;
  /** Who is fully logged in (for settings and inbox). @defaultValue nobody */
  readonly currentUser?: ((req: Req) => string | null | undefined | Promise<string | null | undefined>) | undefined;
}

/**
 * What {@link createExpressFlow} makes.
 *
 * @example
 * ```ts
 * import type { ExpressFlow } from 'otpgate/web/express';
 * declare const twofa: ExpressFlow;
 * // app.use(twofa.router);
 * ```
 */
export interface ExpressFlow<Req extends ExpressRequestLike = ExpressRequestLike, Res extends ExpressResponseLike = ExpressResponseLike> {
  /** The runtime-agnostic flow underneath. */
  readonly flow: Flow;
  /** Middleware serving every page under `basePath` (`app.use(twofa.router)`); other paths go to `next()`. */
  readonly router: (req: Req, res: Res, next: (error?: unknown) => void) => void;
  /** Call after the password check instead of logging the user in: answers with the redirect to the second step. */
  start(req: Req, res: Res, userId: string, options?: StartOptions): Promise<void>;
}

interface Pair<Req, Res> {
  readonly req: Req;
  readonly res: Res;
}

/**
 * The flow for an Express app.
 *
 * @throws `OtpError` `ERR_OPTIONS` as `createFlow`
 * @example
 * ```ts
 * import express from 'express';
 * import { createExpressFlow } from 'otpgate/web/express';
 *
 * const twofa = createExpressFlow({
 *   gate,
 *   key: process.env.OTPGATE_KEY!,
 *   onComplete: (userId, req) => { req.session.user = userId; return '/home'; },
 *   currentUser: (req) => req.session.user ?? null,
 * });
 * app.use(twofa.router);
 * app.post('/login', express.urlencoded({ extended: false }), async (req, res) => {
 *   const user = await checkPassword(req.body.username, req.body.password);
 *   if (!user) return res.status(401).send('Wrong user name or password');
 *   await twofa.start(req, res, user.id);
 * });
 * ```
 */
export function createExpressFlow<Req extends ExpressRequestLike = ExpressRequestLike, Res extends ExpressResponseLike = ExpressResponseLike>(
  options: ExpressFlowOptions<Req, Res>,
): ExpressFlow<Req, Res> {
  // The flow speaks Web Requests; the host's callbacks get Express's objects back.
  const pairs = new WeakMap<Request, Pair<Req, Res>>();
  const { onComplete, currentUser, ...rest } = options;
  const flow = createFlow({
    ...rest,
    async onComplete(userId, request, info) {
      const pair = pairs.get(request)!;
      const to = (await onComplete(userId, pair.req, pair.res, info)) ?? info.returnTo ?? '/';
      return new Response(null, { status: 303, headers: { Location: to } });
    },
    currentUser: currentUser === undefined ? undefined : (request) => currentUser(pairs.get(request)!.req),
  });

  async function toRequest(req: Req, res: Res): Promise<Request> {
    const host = typeof req.headers['host'] === 'string' ? req.headers['host'] : 'localhost';
    const request = await toWebRequest(req, `${req.protocol ?? 'http'}://${host}`, req.originalUrl ?? req.url ?? '/', req.body);
    pairs.set(request, { req, res });
    return request;
  }

  return {
    flow,
    router(req, res, next) {
      const path = (req.originalUrl ?? req.url ?? '/').split('?')[0]!;
      if (path !== flow.basePath && !path.startsWith(`${flow.basePath}/`)) return next();
      toRequest(req, res)
        .then((request) => flow.handle(request))
        .then((response) => (response === null ? next() : writeResponse(response, res)))
        .catch(next);
    },
    async start(req, res, userId, startOptions) {
      await writeResponse(await flow.start(userId, await toRequest(req, res), startOptions), res);
    },
  };
}

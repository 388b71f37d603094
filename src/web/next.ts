/**
 * `otpgate/web/next`: route handlers for the Next.js App Router. Put
 * `export const { GET, POST } = twofa;` in `app/2fa/[...path]/route.ts`
 * (and `app/2fa/route.ts`). Next.js hands route handlers Web Requests, so
 * this module imports nothing from `next`.
 *
 * @module
 */
import { createFlow, type Flow, type FlowOptions } from './flow.js';

/**
 * What {@link createNextFlow} makes.
 *
 * @example
 * ```ts
 * import type { NextFlow } from 'otpgate/web/next';
 * declare const twofa: NextFlow;
 * export const { GET, POST } = twofa;
 * ```
 */
export interface NextFlow {
  /** The runtime-agnostic flow underneath (`twofa.flow.start(userId, request)` in the login route). */
  readonly flow: Flow;
  /** The GET (and HEAD) handler of the catch-all route. */
  readonly GET: (request: Request) => Promise<Response>;
  /** The POST handler of the catch-all route. */
  readonly POST: (request: Request) => Promise<Response>;
  /** The same as `flow.start`: call it from the login route after the password check. */
  start(userId: string, request: Request, options?: { readonly returnTo?: string | null | undefined }): Promise<Response>;
}

/**
 * The flow as Next.js route handlers. `onComplete` returns a Response (set
 * the session cookie on it, or with `cookies()` from `next/headers`).
 *
 * @throws `OtpError` `ERR_OPTIONS` as `createFlow`
 * @example
 * ```ts
 * // lib/twofa.ts
 * import { createNextFlow } from 'otpgate/web/next';
 * export const twofa = createNextFlow({
 *   gate,
 *   key: process.env.OTPGATE_KEY!,
 *   onComplete: async (userId) => { await logIn(userId); return Response.redirect(new URL('/home', process.env.APP_URL), 303); },
 *   currentUser: (request) => sessionUser(request),
 * });
 * // app/2fa/[...path]/route.ts
 * export const { GET, POST } = twofa;
 * ```
 */
export function createNextFlow(options: FlowOptions): NextFlow {
  const flow = createFlow(options);
  // Next.js routes only the paths of this segment here; anything the flow does not serve is a 404.
  const serve = async (request: Request): Promise<Response> => (await flow.handle(request)) ?? new Response('Not found', { status: 404 });
  return { flow, GET: serve, POST: serve, start: (userId, request, startOptions) => flow.start(userId, request, startOptions) };
}

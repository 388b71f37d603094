// A stand-in for `next start`: routes requests to the App Router route
// handlers in app/ the way Next.js does (by path, then by method), on Node's
// HTTP server. The tests use it so that they need not install Next.js; in a
// Next.js project the files in app/ are used as they are.
import { serve, type ServerType } from '@hono/node-server';
import * as twofa from './app/2fa/[[...path]]/route.js';
import * as login from './app/login/route.js';
import * as logout from './app/logout/route.js';
import * as home from './app/route.js';

type Handlers = Partial<Record<'GET' | 'POST', (request: Request) => Response | Promise<Response>>>;

function routeOf(path: string): Handlers | null {
  if (path === '/2fa' || path.startsWith('/2fa/')) return twofa;
  if (path === '/login') return login;
  if (path === '/logout') return logout;
  if (path === '/') return home;
  return null;
}

export async function dispatch(request: Request): Promise<Response> {
  const route = routeOf(new URL(request.url).pathname);
  if (route === null) return new Response('Not found', { status: 404 });
  const handler = route[request.method as 'GET' | 'POST'];
  return handler === undefined ? new Response('Method not allowed', { status: 405 }) : handler(request);
}

export function start(port: number, onListening?: (port: number) => void): ServerType {
  return serve({ fetch: dispatch, port, hostname: '127.0.0.1' }, (info) => onListening?.(info.port));
}

if (process.argv[1]?.endsWith('serve.ts')) start(Number(process.env.PORT ?? 3000), (port) => console.log(`listening on http://localhost:${port}`));

// The host's home page (a route handler here; in a real app, app/page.tsx).
import { homePage, sessionUser } from '../../web-host.js';

export function GET(request: Request) {
  const userId = sessionUser(request.headers.get('cookie'));
  if (userId === null) return new Response(null, { status: 303, headers: { Location: '/login' } });
  return new Response(homePage(userId), { headers: { 'content-type': 'text/html; charset=utf-8' } });
}

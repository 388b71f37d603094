// otpgate wiring for the Next.js App Router example: one flow, shared by the
// route handlers in app/. (In a Next.js project, put the toy host's parts in
// your own modules and `import { twofa } from '@/lib/twofa'`.)
import type { Clock } from 'otpgate';
import { createNextFlow } from 'otpgate/web/next';
import { createToyGate, newSession, sessionUser } from '../../web-host.js';

export function createTwofa(clock?: Clock) {
  // ---- otpgate wiring (the 20 lines, with app/2fa/[[...path]]/route.ts and app/login/route.ts) ----
  return createNextFlow({
    gate: createToyGate(clock),
    key: process.env.OTPGATE_KEY ?? crypto.getRandomValues(new Uint8Array(32)),
    ...(clock === undefined ? {} : { clock }),
    loginUrl: '/login',
    onComplete: (userId) => new Response(null, { status: 303, headers: { Location: '/', 'Set-Cookie': newSession(userId) } }),
    currentUser: (request) => sessionUser(request.headers.get('cookie')),
  });
}

/** The app's flow; the test server replaces it with one on a test clock through `useClock`. */
export let twofa = createTwofa();

export function useClock(clock: Clock): void {
  twofa = createTwofa(clock);
}

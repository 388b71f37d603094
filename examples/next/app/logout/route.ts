import { endSession } from '../../../web-host.js';

export const POST = (request: Request) =>
  new Response(null, { status: 303, headers: { Location: '/login', 'Set-Cookie': endSession(request.headers.get('cookie')) } });

// Every page under /2fa (the optional catch-all also matches /2fa itself).
import { twofa } from '../../../lib/twofa.js';

export const GET = (request: Request) => twofa.GET(request);
export const POST = (request: Request) => twofa.POST(request);

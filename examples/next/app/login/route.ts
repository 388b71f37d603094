// The host's login: its own form; after the password, the flow takes over.
import { checkPassword, loginPage } from '../../../web-host.js';
import { twofa } from '../../lib/twofa.js';

const html = (body: string, status = 200) => new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });

export const GET = () => html(loginPage());

export async function POST(request: Request) {
  const form = await request.formData();
  const userId = checkPassword(form.get('username'), form.get('password'));
  if (userId === null) return html(loginPage('The user name or the password is not right.'), 401);
  return twofa.start(userId, request);
}

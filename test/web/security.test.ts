// "Safe by default", one test per rule of issue 13.
import { describe, expect, it, vi } from 'vitest';
import { safeReturnPath } from '../../src/web/index.js';
import { Client, codeAt, keyOf, ORIGIN, setup } from './helpers.js';

function tamper(value: string): string {
  const [payload, tag] = value.split('.') as [string, string];
  const flipped = tag[0] === 'A' ? `B${tag.slice(1)}` : `A${tag.slice(1)}`;
  return `${payload}.${flipped}`;
}

async function atChoice(user = 'alice') {
  const s = setup();
  const browser = new Client(s.flow);
  await browser.start(user);
  await browser.get('/2fa');
  return { s, browser };
}

describe('CSRF', () => {
  it('a POST without the token, or with a wrong one, is 403 and changes nothing', async () => {
    const { s, browser } = await atChoice();
    for (const csrf of [null, '', 'x'.repeat(24), browser.csrf.slice(0, -1)]) {
      const { response, body } = await browser.post('/2fa/postpone', {}, { csrf });
      expect(response.status).toBe(403);
      expect(body).toContain('This form was not accepted');
    }
    expect(await s.gate.nextStep('alice')).toMatchObject({ postponesLeft: 2 });
    expect(s.completed).toEqual([]);
  });

  it('a logged-in user\'s forms need the token too', async () => {
    const s = setup();
    const dave = new Client(s.flow);
    dave.cookies.set('session', 'dave');
    await dave.get('/2fa/settings');
    expect((await dave.post('/2fa/settings/enable', {}, { csrf: 'forged' })).response.status).toBe(403);
    // No flow cookie at all (a cross-site form): 403 as well.
    dave.cookies.delete('otpgate_flow');
    expect((await dave.post('/2fa/settings/enable')).response.status).toBe(403);
    expect(await s.gate.nextStep('dave')).toEqual({ step: 'allow' });
  });
});

describe('the flow cookie', () => {
  it('a tampered cookie is refused with 403 and a link to the host\'s login, and cleared', async () => {
    const { s, browser } = await atChoice();
    browser.cookies.set('otpgate_flow', tamper(browser.cookies.get('otpgate_flow')!));
    const page = await browser.get('/2fa');
    expect(page.response.status).toBe(403);
    expect(page.body).toContain('href="/login"');
    expect(page.response.headers.getSetCookie().join()).toContain('Max-Age=0');
    const post = await browser.post('/2fa/postpone');
    expect(post.response.status).toBe(403);
    expect(s.completed).toEqual([]);
  });

  it('a cookie with a changed payload (another user) fails its signature', async () => {
    const { browser } = await atChoice();
    const [payload, tag] = browser.cookies.get('otpgate_flow')!.split('.') as [string, string];
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const forged = btoa(json.replace('"alice"', '"bob"')).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    browser.cookies.set('otpgate_flow', `${forged}.${tag}`);
    expect((await browser.get('/2fa')).response.status).toBe(403);
  });

  it('expires after 15 minutes', async () => {
    const { s, browser } = await atChoice();
    s.clock.t += 15 * 60_000 + 1;
    const page = await browser.get('/2fa');
    expect(page.response.status).toBe(403);
    expect(page.body).toContain('Your login has expired');
    expect((await browser.post('/2fa/postpone')).response.status).toBe(403);
    expect(await s.gate.nextStep('alice')).toMatchObject({ postponesLeft: 2 });
  });

  it('a cookie made under another key is refused', async () => {
    const { browser } = await atChoice();
    const other = setup({ key: new Uint8Array(32).fill(9) });
    const stranger = new Client(other.flow);
    await stranger.start('alice');
    browser.cookies.set('otpgate_flow', stranger.cookies.get('otpgate_flow')!);
    expect((await browser.get('/2fa')).response.status).toBe(403);
  });

  it('another user\'s cookie is refused on a logged-in user\'s form', async () => {
    const s = setup();
    const dave = new Client(s.flow);
    dave.cookies.set('session', 'dave');
    await dave.get('/2fa/settings');
    const mallory = new Client(s.flow);
    mallory.cookies.set('session', 'alice');
    mallory.cookies.set('otpgate_flow', dave.cookies.get('otpgate_flow')!);
    const { response, body } = await mallory.post('/2fa/settings/enable', {}, { csrf: dave.csrf });
    expect(response.status).toBe(403);
    expect(body).toContain('href="/login"');
    expect(await s.gate.nextStep('dave')).toEqual({ step: 'allow' });
  });

  it('without any flow cookie a login page redirects to the host\'s login', async () => {
    const s = setup();
    const { response } = await new Client(s.flow).get('/2fa/setup');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');
  });

  it('the flow cookie never counts as a login: settings need currentUser', async () => {
    const s = setup({ currentUser: () => null });
    const browser = new Client(s.flow);
    await browser.start('alice');
    expect((await browser.get('/2fa/settings')).response.status).toBe(401);
  });
});

describe('redirects', () => {
  it('keeps only same-origin return paths', () => {
    expect(safeReturnPath('/home')).toBe('/home');
    expect(safeReturnPath('/a/b?c=d#e')).toBe('/a/b?c=d#e');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '', 'home', '/\nx', '\\\\evil', 42, null]) {
      expect(safeReturnPath(bad)).toBeNull();
    }
  });

  it('an off-site returnTo never reaches onComplete', async () => {
    const s = setup();
    const browser = new Client(s.flow);
    await browser.start('dave', 'https://evil.example/');
    expect(browser.cookies.get('session')).toBe('dave');
    const { response } = await browser.start('dave', '//evil.example/x');
    expect(response.headers.get('location')).toBe('/home');
  });
});

describe('headers', () => {
  it('every page is no-store, framed by nobody, and under a CSP without unsafe-inline', async () => {
    const { s, browser } = await atChoice();
    const responses = [
      (await browser.get('/2fa')).response,
      (await browser.get('/2fa/setup')).response,
      (await browser.get('/2fa/lost')).response,
      (await browser.get('/2fa/nothing')).response,
      (await browser.post('/2fa/postpone', {}, { csrf: 'x' })).response,
    ];
    const dave = new Client(s.flow);
    dave.cookies.set('session', 'dave');
    responses.push((await dave.get('/2fa/settings')).response, (await dave.get('/2fa/inbox')).response);
    for (const response of responses) {
      expect(response.headers.get('cache-control')).toBe('no-store');
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('pages hold no inline script or style: they load the flow\'s files', async () => {
    const { browser } = await atChoice();
    const { body } = await browser.get('/2fa/setup');
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(body).not.toMatch(/<style/);
    expect(body).not.toMatch(/\sstyle="/);
    expect(body).toContain('<link rel="stylesheet" href="/2fa/flow.css">');
    const css = await browser.get('/2fa/flow.css');
    expect(css.response.headers.get('content-type')).toContain('text/css');
    expect(css.body).toContain('--otpgate-accent');
    const js = await browser.get('/2fa/flow.js');
    expect(js.response.headers.get('content-type')).toContain('text/javascript');
  });
});

describe('bad requests', () => {
  it('404 for an unknown path under basePath, null outside it', async () => {
    const s = setup();
    const browser = new Client(s.flow);
    expect((await browser.get('/2fa/nope')).response.status).toBe(404);
    expect(await s.flow.handle(new Request(`${ORIGIN}/login`))).toBeNull();
    expect(await s.flow.handle(new Request(`${ORIGIN}/2faX`))).toBeNull();
  });

  it('405 with Allow for a wrong method', async () => {
    const { s } = await atChoice();
    const get = await s.flow.handle(new Request(`${ORIGIN}/2fa/verify`));
    expect(get!.status).toBe(405);
    expect(get!.headers.get('allow')).toBe('POST');
    const del = await s.flow.handle(new Request(`${ORIGIN}/2fa/settings`, { method: 'DELETE' }));
    expect(del!.status).toBe(405);
    expect(del!.headers.get('allow')).toBe('GET, HEAD');
  });

  it('400 for a malformed form, 413 for a huge one, 415 for an unknown type', async () => {
    const { s, browser } = await atChoice();
    const cookie = `otpgate_flow=${browser.cookies.get('otpgate_flow')}`;
    const post = (body: string, type: string) =>
      s.flow.handle(new Request(`${ORIGIN}/2fa/postpone`, { method: 'POST', headers: { cookie, 'content-type': type }, body }));
    expect((await post(`csrf=${browser.csrf}&x=${'a'.repeat(300)}`, 'application/x-www-form-urlencoded'))!.status).toBe(400);
    expect((await post('{"csrf": ', 'application/json'))!.status).toBe(400);
    expect((await post(JSON.stringify({ csrf: browser.csrf, code: 123 }), 'application/json'))!.status).toBe(400);
    expect((await post(`csrf=${browser.csrf}&x=${'a'.repeat(20_000)}`, 'application/x-www-form-urlencoded'))!.status).toBe(413);
    expect((await post('csrf', 'text/plain'))!.status).toBe(415);
    expect(await s.gate.nextStep('alice')).toMatchObject({ postponesLeft: 2 });
  });

  it('a code that is not one gets 400 and a message, before the gate sees it', async () => {
    const { s, browser } = await atChoice();
    const { response, body } = await browser.post('/2fa/setup', { code: '12ab' });
    expect(response.status).toBe(400);
    expect(body).toContain('only digits');
    expect(s.events.some((e) => e.type === 'code-refused')).toBe(false);
  });

  it('a failing store answers 503 and never a stack trace', async () => {
    const s = setup();
    const errors: unknown[] = [];
    const broken = setup({
      gate: { ...s.gate, nextStep: async () => Promise.reject(Object.assign(new Error('db down at /srv/app.js:12'), { name: 'OtpError', code: 'ERR_STORE' })) },
      onError: (error) => errors.push(error),
    });
    const browser = new Client(broken.flow);
    const started = await s.flow.start('alice', new Request(`${ORIGIN}/login`));
    browser.keep(started);
    const { response, body } = await browser.get('/2fa');
    expect(response.status).toBe(503);
    expect(body).not.toContain('/srv/app.js');
    expect(body).not.toContain('db down');
    expect(errors).toHaveLength(1);
  });
});

describe('unexpected errors without onError', () => {
  it('go to console.error with the method and the path, never the query; onError replaces it', async () => {
    const s = setup();
    const failing = { ...s.gate, nextStep: async () => Promise.reject(new Error('host bug')) };
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args));
    try {
      const quiet = setup({ gate: failing });
      const browser = new Client(quiet.flow);
      browser.keep(await s.flow.start('alice', new Request(`${ORIGIN}/login`)));
      expect((await browser.get('/2fa?token=SECRET123')).response.status).toBe(500);
      expect(logged).toHaveLength(1);
      expect(logged[0]![0]).toBe('otpgate/web: GET /2fa failed:');
      expect((logged[0]![1] as Error).message).toBe('host bug');
      expect(JSON.stringify(logged)).not.toContain('SECRET123');

      const heard: unknown[] = [];
      const own = setup({ gate: failing, onError: (error) => heard.push(error) });
      const other = new Client(own.flow);
      other.keep(await s.flow.start('alice', new Request(`${ORIGIN}/login`)));
      expect((await other.get('/2fa')).response.status).toBe(500);
      expect(heard).toHaveLength(1);
      expect(logged).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('replays', () => {
  it('a replayed "Postpone setup" (same cookie, same form) uses no second postpone and logs nobody in twice', async () => {
    const { s, browser } = await atChoice();
    const cookie = browser.cookies.get('otpgate_flow')!;
    const csrf = browser.csrf;
    expect((await browser.post('/2fa/postpone')).response.status).toBe(303);
    browser.cookies.set('otpgate_flow', cookie);
    const replay = await browser.post('/2fa/postpone', {}, { csrf });
    expect(replay.response.status).toBe(409);
    expect(await s.gate.nextStep('alice')).toMatchObject({ postponesLeft: 1 });
    expect(s.completed).toEqual(['alice']);
  });

  it('a replayed "Verify and Save" changes nothing and shows no new recovery codes', async () => {
    const { s, browser } = await atChoice();
    const secret = keyOf((await browser.get('/2fa/setup')).body);
    const cookie = browser.cookies.get('otpgate_flow')!;
    const code = codeAt(secret, s.clock.t);
    const first = await browser.post('/2fa/setup', { code });
    expect(first.response.status).toBe(200);
    browser.cookies.set('otpgate_flow', cookie);
    const replay = await browser.post('/2fa/setup', { code });
    expect(replay.response.status).toBe(409);
    expect(replay.body).not.toContain('recovery codes');
    expect(s.completed).toEqual(['alice']);
  });

  it('a replayed code login is refused', async () => {
    const { s, browser } = await atChoice();
    const secret = keyOf((await browser.get('/2fa/setup')).body);
    await browser.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    s.clock.t += 30_000;
    await browser.start('alice');
    await browser.get('/2fa');
    const cookie = browser.cookies.get('otpgate_flow')!;
    const csrf = browser.csrf;
    const code = codeAt(secret, s.clock.t);
    expect((await browser.post('/2fa/verify', { code })).response.status).toBe(303);
    browser.cookies.set('otpgate_flow', cookie);
    const replay = await browser.post('/2fa/verify', { code }, { csrf });
    expect(replay.response.status).toBe(401);
    expect(s.completed).toEqual(['alice', 'alice']);
  });
});

describe('no secret or code in an error', () => {
  it('error messages and JSON errors never echo the typed code, the key or a recovery code', async () => {
    const s = setup();
    const app = new Client(s.flow, { json: true });
    await app.start('alice');
    const page = await app.get('/2fa/setup');
    const secret = keyOf(JSON.stringify(page.json));
    const wrong = codeAt(secret, s.clock.t - 3_600_000);
    const refused = await app.post('/2fa/setup', { code: wrong });
    expect(refused.response.status).toBe(401);
    const message = JSON.stringify(refused.json.error);
    expect(message).not.toContain(wrong);
    expect(message).not.toContain(secret.slice(0, 8));
    const html = new Client(s.flow);
    await html.start('alice');
    await html.get('/2fa/setup');
    const body = (await html.post('/2fa/setup', { code: wrong })).body;
    expect(body).not.toContain(wrong);
    const saved = await html.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    const recovery = /<li>([A-Z0-9-]{20,})<\/li>/.exec(saved.body)![1]!;
    await html.start('alice');
    await html.get('/2fa');
    const typo = `${recovery.slice(0, -1)}${recovery.endsWith('A') ? 'B' : 'A'}`;
    const bad = await html.post('/2fa/verify', { code: typo });
    expect(bad.response.status).toBe(401);
    expect(bad.body).not.toContain(typo);
    expect(bad.body).not.toContain(recovery);
  });

  it('escapes what it shows: a hostile account name is text', async () => {
    const s = setup({ account: () => '<script>alert(1)</script>' });
    const alice = new Client(s.flow);
    await alice.start('alice');
    await alice.get('/2fa/setup');
    await alice.get('/2fa/lost');
    // The inbox shows the account name.
    const secret = keyOf((await alice.get('/2fa/setup')).body);
    await alice.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    await alice.start('alice');
    await alice.get('/2fa/lost');
    await alice.post('/2fa/lost', { all: '1' });
    const root = new Client(s.flow);
    root.cookies.set('session', 'root');
    const { body } = await root.get('/2fa/inbox');
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(body).not.toContain('<script>alert');
  });
});

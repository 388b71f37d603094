// The whole flow through flow.handle(), against a real gate on the memory store.
import { describe, expect, it } from 'vitest';
import { Client, codeAt, keyOf, ORIGIN, setup } from './helpers.js';

/** A user who has set up 2-step verification (a fresh client without cookies). */
async function enrolled(s: ReturnType<typeof setup>, user: string) {
  const browser = new Client(s.flow);
  await browser.start(user);
  const secret = keyOf((await browser.get('/2fa/setup')).body);
  await browser.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
  browser.cookies.clear();
  return browser;
}

describe('login flow', () => {
  it('start sets a signed, HttpOnly, SameSite=Lax flow cookie of at most 15 minutes under basePath, and redirects there', async () => {
    const s = setup();
    const browser = new Client(s.flow);
    const { response } = await browser.start('alice');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/2fa');
    const cookie = response.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^otpgate_flow=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; /);
    expect(cookie).toContain('Path=/2fa');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(Number(/Max-Age=(\d+)/.exec(cookie)![1])).toBeLessThanOrEqual(900);
    // http://localhost is the one place without Secure; anywhere else it is on.
    expect(cookie).not.toContain('Secure');
    const remote = await s.flow.start('alice', new Request('https://app.example/login', { method: 'POST' }));
    expect(remote.headers.getSetCookie()[0]).toContain('; Secure');
    // The flow cookie logs nobody in.
    expect(s.completed).toEqual([]);
  });

  it('postpone twice, set up with the manual key, log in with a fresh code, the same code refused', async () => {
    const s = setup();
    const browser = new Client(s.flow);

    for (const left of [2, 1]) {
      await browser.start('alice');
      const choice = await browser.get('/2fa');
      expect(choice.response.status).toBe(200);
      expect(choice.body).toContain('Set up now');
      expect(choice.body).toContain(`postpone the set-up to your next login ${left === 1 ? 'one more time' : `${left} more times`}`);
      const done = await browser.post('/2fa/postpone');
      expect(done.response.status).toBe(303);
      expect(done.response.headers.get('location')).toBe('/home');
      expect(browser.cookies.get('session')).toBe('alice');
      expect(browser.cookies.has('otpgate_flow')).toBe(false);
      browser.cookies.delete('session');
    }
    expect(s.completed).toEqual(['alice', 'alice']);

    await browser.start('alice');
    const mandatory = await browser.get('/2fa');
    expect(mandatory.body).not.toContain('Postpone setup');
    expect(mandatory.body).toContain('must be set up now');

    const page = await browser.get('/2fa/setup');
    expect(page.response.status).toBe(200);
    expect(page.body).toContain('<svg');
    expect(page.body).toContain('Unable to scan?');
    expect(page.body).toMatch(/href="otpauth:\/\/totp\/Example:alice%40example.com\?secret=/);
    expect(page.body).toContain('autocomplete="one-time-code"');
    expect(page.body).toContain('inputmode="numeric"');
    expect(page.body).toContain('Verify and Save');
    const manualKey = /id="manual-key"[^>]*>([^<]+)</.exec(page.body)![1]!;
    expect(manualKey).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    const secret = keyOf(page.body);

    const wrong = await browser.post('/2fa/setup', { code: '000000' === codeAt(secret, s.clock.t) ? '111111' : '000000' });
    expect(wrong.response.status).toBe(401);
    expect(wrong.body).toContain('That code is not right');
    expect(s.completed).toHaveLength(2);

    const saved = await browser.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    expect(saved.response.status).toBe(200);
    expect(saved.body).toContain('Your recovery codes');
    const codes = [...saved.body.matchAll(/<li>([A-Z0-9-]{20,})<\/li>/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThanOrEqual(8);
    expect(saved.body).toContain('download="recovery-codes.txt"');
    expect(saved.body).toContain('href="/home"');
    // onComplete ran once, and its session cookie rides on the recovery codes page.
    expect(s.completed).toEqual(['alice', 'alice', 'alice']);
    expect(browser.cookies.get('session')).toBe('alice');
    expect(saved.response.headers.get('cache-control')).toBe('no-store');
    browser.cookies.delete('session');

    s.clock.t += 30_000;
    await browser.start('alice');
    const codePage = await browser.get('/2fa');
    expect(codePage.body).toContain('Lost 2-Step Verification code?');
    expect(codePage.body).toContain('Use a recovery code');
    const fresh = codeAt(secret, s.clock.t);
    const ok = await browser.post('/2fa/verify', { code: fresh });
    expect(ok.response.status).toBe(303);
    expect(s.completed).toHaveLength(4);

    browser.cookies.delete('session');
    await browser.start('alice');
    await browser.get('/2fa');
    const again = await browser.post('/2fa/verify', { code: fresh });
    expect(again.response.status).toBe(401);
    expect(again.body).toContain('already used');
    expect(s.completed).toHaveLength(4);
  });

  it('a recovery code logs in once', async () => {
    const s = setup();
    const browser = new Client(s.flow);
    await browser.start('bob');
    const secret = keyOf((await browser.get('/2fa/setup')).body);
    const saved = await browser.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    const code = /<li>([A-Z0-9-]{20,})<\/li>/.exec(saved.body)![1]!;
    await browser.start('bob');
    await browser.get('/2fa');
    expect((await browser.post('/2fa/verify', { code })).response.status).toBe(303);
    await browser.start('bob');
    await browser.get('/2fa');
    expect((await browser.post('/2fa/verify', { code })).response.status).toBe(401);
  });

  it('five wrong codes lock, and the page says until when', async () => {
    const s = setup({}, { required: true, maxPostpones: 0 });
    const browser = new Client(s.flow);
    await browser.start('alice');
    const secret = keyOf((await browser.get('/2fa/setup')).body);
    await browser.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    await browser.start('alice');
    await browser.get('/2fa');
    let last;
    for (let i = 0; i < 5; i++) last = await browser.post('/2fa/verify', { code: codeAt(secret, s.clock.t - 3_600_000) });
    expect(last!.response.status).toBe(429);
    expect(last!.body).toContain('Too many wrong codes');
    expect(last!.body).toContain('You can try again at');
    const page = await browser.get('/2fa');
    expect(page.body).toContain('Too many wrong codes');
  });

  it('"allow" calls onComplete from start, without a flow cookie', async () => {
    const s = setup();
    const browser = new Client(s.flow);
    const { response } = await browser.start('dave', '/reports?x=1');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/reports?x=1');
    expect(browser.cookies.get('session')).toBe('dave');
    expect(s.completed).toEqual(['dave']);
  });
});

describe('lost phone and the administrators', () => {
  it('"Send to all", the administrator resets after a confirmation, a second one sees who did, the user sets up again', async () => {
    const s = setup();
    const alice = await enrolled(s, 'alice');
    await alice.start('alice');
    const lost = await alice.get('/2fa/lost');
    expect(lost.body).toContain('Root Admin');
    expect(lost.body).toContain('Carol Admin');
    expect(lost.body).toContain('Send to all');
    const sent = await alice.post('/2fa/lost', { all: '1' });
    expect(sent.response.status).toBe(200);
    expect(sent.body).toContain('Root Admin and Carol Admin');
    expect(s.events.filter((e) => e.type === 'reset-requested')).toHaveLength(1);

    const root = new Client(s.flow);
    root.cookies.set('session', 'root');
    const inbox = await root.get('/2fa/inbox');
    expect(inbox.response.status).toBe(200);
    expect(inbox.body).toContain('alice@example.com');
    expect(inbox.body).toContain('Root Admin and Carol Admin');
    const requestId = /name="request" value="([^"]+)"/.exec(inbox.body)![1]!;

    const carol = new Client(s.flow);
    carol.cookies.set('session', 'carol');
    await carol.get('/2fa/inbox');

    const ask = await root.post('/2fa/inbox/reset', { user: 'alice', request: requestId });
    expect(ask.body).toContain('Reset the 2-Step Verification of alice@example.com?');
    expect(await s.gate.nextStep('alice')).toEqual({ step: 'code' });
    const done = await root.post('/2fa/inbox/reset', { user: 'alice', request: requestId, confirm: '1' });
    expect(done.response.status).toBe(200);
    expect(done.body).toContain('The 2-Step Verification of alice@example.com was reset.');
    expect(done.body).toContain('No open requests.');

    const late = await carol.post('/2fa/inbox/decline', { user: 'alice', request: requestId, confirm: '1' });
    expect(late.response.status).toBe(409);
    expect(late.body).toMatch(/Root Admin already reset it at/);

    await alice.start('alice');
    const choice = await alice.get('/2fa');
    expect(choice.body).toContain('Set up now');
    const secret = keyOf((await alice.get('/2fa/setup')).body);
    const saved = await alice.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    expect(saved.body).toContain('Your recovery codes');
  });

  it('an administrator of nobody sees an empty inbox and cannot reset', async () => {
    const s = setup();
    await enrolled(s, 'alice');
    const bob = new Client(s.flow);
    bob.cookies.set('session', 'bob');
    const inbox = await bob.get('/2fa/inbox');
    expect(inbox.body).toContain('No open requests.');
    const refused = await bob.post('/2fa/inbox/reset', { user: 'alice', request: 'x', confirm: '1' });
    expect(refused.response.status).toBe(403);
    expect(await s.gate.nextStep('alice')).toEqual({ step: 'code' });
  });
});

describe('settings', () => {
  it('a user of an optional company turns 2-step on, sets it up, and turns it off', async () => {
    const s = setup();
    const dave = new Client(s.flow);
    dave.cookies.set('session', 'dave');
    const off = await dave.get('/2fa/settings');
    expect(off.body).toContain('2-Step Verification is off');
    expect(off.body).toContain('<a href="/">Back</a>');
    const on = await dave.post('/2fa/settings/enable');
    expect(on.response.status).toBe(303);
    expect(on.response.headers.get('location')).toBe('/2fa/setup');
    const page = await dave.get('/2fa/setup');
    const secret = keyOf(page.body);
    const saved = await dave.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    expect(saved.body).toContain('Your recovery codes');
    expect(saved.body).toContain('href="/2fa/settings"');
    // A logged-in user setting up is not a login: onComplete is not called.
    expect(s.completed).toEqual([]);
    expect((await dave.get('/2fa/settings')).body).toContain('2-Step Verification is on');
    // Turning it off asks for a current code.
    expect((await dave.post('/2fa/settings/disable')).response.status).toBe(400);
    s.clock.t += 30_000;
    const disabled = await dave.post('/2fa/settings/disable', { code: codeAt(secret, s.clock.t) });
    expect(disabled.response.status).toBe(200);
    expect(disabled.body).toContain('is now off');
    expect(await s.gate.nextStep('dave')).toEqual({ step: 'allow' });
  });

  it('where 2-step is required, turning it off is refused with the gate\'s reason', async () => {
    const s = setup();
    const pending = new Client(s.flow);
    pending.cookies.set('session', 'alice');
    const page = await pending.get('/2fa/settings');
    expect(page.body).toContain('requires 2-Step Verification');
    expect(page.body).not.toContain('Turn off');
    const alice = await enrolled(s, 'alice');
    alice.cookies.set('session', 'alice');
    expect((await alice.get('/2fa/settings')).body).toContain('is on');
    const refused = await alice.post('/2fa/settings/disable');
    expect(refused.response.status).toBe(400);
    expect(refused.body).toContain('cannot be turned off');
  });

  it('without a logged-in user the settings and the inbox answer 401 with a way to log in', async () => {
    const s = setup();
    const anonymous = new Client(s.flow);
    for (const path of ['/2fa/settings', '/2fa/inbox']) {
      const { response, body } = await anonymous.get(path);
      expect(response.status).toBe(401);
      expect(body).toContain('href="/login"');
    }
  });
});

describe('JSON', () => {
  it('answers the view model as JSON, and errors as { error: { code, message } } with a status', async () => {
    const s = setup();
    const app = new Client(s.flow, { json: true });
    const started = await app.start('alice');
    expect(started.json).toEqual({ redirect: '/2fa' });
    const choice = await app.get('/2fa');
    expect(choice.response.headers.get('content-type')).toContain('application/json');
    expect(choice.json).toMatchObject({ page: 'choice', required: true, postponesLeft: 2, canSkip: false });
    expect(typeof choice.json.csrf).toBe('string');
    const setupPage = await app.get('/2fa/setup');
    expect(setupPage.json).toMatchObject({ page: 'setup', uri: expect.stringMatching(/^otpauth:\/\/totp\//) });
    const bad = await app.post('/2fa/setup', { code: 'abc' });
    expect(bad.response.status).toBe(400);
    expect(bad.json.error).toEqual({ code: 'bad-request', message: expect.any(String) });
    const forged = await app.post('/2fa/postpone', {}, { csrf: 'forged' });
    expect(forged.response.status).toBe(403);
    expect(forged.json.error.code).toBe('csrf');
    const missing = await app.get('/2fa/nothing');
    expect(missing.response.status).toBe(404);
    expect(missing.json.error.code).toBe('not-found');
  });

  it('accepts JSON bodies with the token in the X-CSRF-Token header', async () => {
    const s = setup();
    const app = new Client(s.flow, { json: true });
    await app.start('alice');
    await app.get('/2fa');
    const response = await s.flow.handle(
      new Request(`${ORIGIN}/2fa/postpone`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': app.csrf, cookie: `otpgate_flow=${app.cookies.get('otpgate_flow')}` },
        body: '{}',
      }),
    );
    expect(response!.status).toBe(303);
    expect(s.completed).toEqual(['alice']);
  });
});

describe('new recovery codes in the settings', () => {
  it('need a current code, are counted like a login when wrong, and are shown once', async () => {
    const s = setup();
    const browser = new Client(s.flow);
    await browser.start('alice');
    const secret = keyOf((await browser.get('/2fa/setup')).body);
    const first = await browser.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    browser.cookies.clear();
    browser.cookies.set('session', 'alice');
    s.clock.t += 30_000;
    const settings = await browser.get('/2fa/settings');
    expect(settings.body).toContain('New recovery codes');
    const wrong = await browser.post('/2fa/settings/recovery-codes', { code: codeAt(secret, s.clock.t - 3_600_000) });
    expect(wrong.response.status).toBe(401);
    expect(wrong.body).toContain('That code is not right');
    const renewed = await browser.post('/2fa/settings/recovery-codes', { code: codeAt(secret, s.clock.t) });
    expect(renewed.response.status).toBe(200);
    const codes = [...new Set([...renewed.body.matchAll(/[A-Z2-7]{4}(?:-[A-Z2-7]{4}){5}/g)].map((m) => m[0]))];
    expect(codes).toHaveLength(10);
    expect(renewed.body).toContain('href="/2fa/settings"');
    // The old set no longer works; a new one does.
    const old = [...new Set([...first.body.matchAll(/[A-Z2-7]{4}(?:-[A-Z2-7]{4}){5}/g)].map((m) => m[0]))];
    expect(old).toHaveLength(10);
    expect(await s.gate.verify('alice', old[0]!)).toMatchObject({ ok: false });
    expect(await s.gate.verify('alice', codes[0]!)).toMatchObject({ ok: true, method: 'recovery' });
  });
});

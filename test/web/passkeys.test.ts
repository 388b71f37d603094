// Passkeys through the flow's routes on the real gate (memory store), with the
// gate tests' software authenticator (test/gate/soft-passkey.ts) standing in for
// the browser's: what each route answers,
// what the gate ends up holding, and every refusal (replay, clone, CSRF, a
// malformed answer, a wrong re-authentication code, the throttle).
import { describe, expect, it } from 'vitest';
import { totp } from '../../src/index.js';
import { Client, keyOf, ORIGIN, setup, type Setup } from './helpers.js';
import { SoftPasskey } from '../gate/soft-passkey.js';

const passkeys = { rpId: 'localhost', rpName: 'Example', origin: ORIGIN };

/** What the passkey script does: ask for the options, answer them, submit the form's `passkey` field. */
async function registerWith(browser: Client, authenticator: SoftPasskey, fields: Record<string, string> = {}) {
  const options = await browser.postJson('/2fa/passkey/register/options', fields);
  expect(options.response.status, options.body).toBe(200);
  return browser.post('/2fa/passkey/register', { ...fields, passkey: JSON.stringify(authenticator.register(options.json.options, ORIGIN)) });
}

async function loginOptions(browser: Client) {
  const options = await browser.postJson('/2fa/passkey/login/options');
  expect(options.response.status, options.body).toBe(200);
  return options.json.options;
}

/** alice set up with a passkey at login (the recovery codes page), then logged out. */
async function withPasskey(s: Setup = setup({ passkeys })) {
  const authenticator = new SoftPasskey();
  const browser = new Client(s.flow);
  await browser.start('alice');
  await browser.get('/2fa/setup');
  const done = await registerWith(browser, authenticator);
  return { s, authenticator, done };
}

describe('set-up with a passkey', () => {
  it('the set-up page offers "Use a passkey instead" (hidden until the script shows it); JSON says passkey: true', async () => {
    const s = setup({ passkeys });
    const browser = new Client(s.flow);
    await browser.start('alice');
    const page = await browser.get('/2fa/setup');
    expect(page.body).toContain('<form method="post" action="/2fa/passkey/register" data-passkey-offer hidden>');
    expect(page.body).toMatch(/<button type="button" class="secondary" data-passkey="register" data-options="\/2fa\/passkey\/register\/options" data-failed="[^"]+" data-passkey-offer hidden>Use a passkey instead<\/button>/);
    const api = new Client(s.flow, { json: true });
    await api.start('bob');
    expect((await api.get('/2fa/setup')).json).toMatchObject({ page: 'setup', passkey: true });
    // Without passkeys: no field in JSON, nothing on the page.
    const off = setup();
    const plain = new Client(off.flow, { json: true });
    await plain.start('alice');
    expect((await plain.get('/2fa/setup')).json).not.toHaveProperty('passkey');
  });

  it('the options name the RP and the user; the answer sets up 2-step, shows the recovery codes and logs in', async () => {
    const s = setup({ passkeys });
    const browser = new Client(s.flow);
    await browser.start('alice');
    await browser.get('/2fa/setup');
    const options = await browser.postJson('/2fa/passkey/register/options');
    expect(options.response.status).toBe(200);
    expect(options.response.headers.get('cache-control')).toBe('no-store');
    expect(options.json.options).toMatchObject({ rp: { id: 'localhost', name: 'Example' }, user: { name: 'alice@example.com' }, challenge: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/) });
    const authenticator = new SoftPasskey();
    const done = await browser.post('/2fa/passkey/register', { passkey: JSON.stringify(authenticator.register(options.json.options, ORIGIN)) });
    expect(done.response.status).toBe(200);
    expect(done.body).toContain('2-Step Verification is on');
    expect(done.body.match(/<li>[A-Z0-9-]{8,}<\/li>/g)).toHaveLength(10);
    expect(done.response.headers.getSetCookie().some((c) => c.startsWith('session=alice'))).toBe(true);
    expect(s.completed).toEqual(['alice']);
    expect(await s.gate.authenticators('alice')).toEqual([
      expect.objectContaining({ type: 'passkey', label: 'Passkey', id: expect.any(String) }),
    ]);
    expect(await s.gate.nextStep('alice')).toEqual({ step: 'code' });
  });

  it('the same answer sent twice sets up once: the second is a finished step', async () => {
    const s = setup({ passkeys });
    const browser = new Client(s.flow);
    await browser.start('alice');
    await browser.get('/2fa/setup');
    const options = await browser.postJson('/2fa/passkey/register/options');
    const answer = JSON.stringify(new SoftPasskey().register(options.json.options, ORIGIN));
    expect((await browser.post('/2fa/passkey/register', { passkey: answer })).response.status).toBe(200);
    // The same answer from a new login (its own cookie and token): a finished step, nothing stored.
    const again = new Client(s.flow);
    await again.start('alice');
    await again.get('/2fa');
    const second = await again.post('/2fa/passkey/register', { passkey: answer });
    expect(second.response.status).toBe(409);
    expect(second.body).toContain('This step is done already.');
    expect(await s.gate.authenticators('alice')).toHaveLength(1);
    expect(s.completed).toEqual(['alice']);
  });

  it('an answer for another origin is refused and set-up stays open', async () => {
    const s = setup({ passkeys });
    const browser = new Client(s.flow);
    await browser.start('alice');
    await browser.get('/2fa/setup');
    const options = await browser.postJson('/2fa/passkey/register/options');
    const forged = new SoftPasskey().register(options.json.options, 'https://evil.example');
    const refused = await browser.post('/2fa/passkey/register', { passkey: JSON.stringify(forged) });
    expect(refused.response.status).toBe(401);
    expect(refused.body).toContain('The passkey was not accepted.');
    expect(refused.body).toContain('id="manual-key"');
    expect(await s.gate.authenticators('alice')).toEqual([]);
    expect(s.completed).toEqual([]);
  });

  it('malformed answers are a 400, and the options need the CSRF token', async () => {
    const s = setup({ passkeys });
    const browser = new Client(s.flow);
    await browser.start('alice');
    await browser.get('/2fa/setup');
    for (const passkey of ['', 'not json', '[]', '{"id":"x y","rawId":"x","type":"public-key","response":{}}', '{"id":"AA","rawId":"AA","type":"other","response":{}}']) {
      expect((await browser.post('/2fa/passkey/register', { passkey })).response.status, passkey).toBe(400);
    }
    const long = await browser.post('/2fa/passkey/register', { passkey: `{"id":"${'A'.repeat(13_000)}"}` });
    expect(long.response.status).toBe(400);
    const csrf = browser.csrf;
    browser.csrf = 'forged';
    const forged = await browser.postJson('/2fa/passkey/register/options');
    expect(forged.response.status).toBe(403);
    expect(forged.json).toMatchObject({ error: { code: 'csrf' } });
    browser.csrf = csrf;
    expect(await s.gate.authenticators('alice')).toEqual([]);
  });
});

describe('log in with a passkey', () => {
  it('the code page offers "Use your passkey" to a user who has one; the answer logs in', async () => {
    const { s, authenticator } = await withPasskey();
    const browser = new Client(s.flow);
    await browser.start('alice');
    const page = await browser.get('/2fa');
    expect(page.body).toContain('action="/2fa/passkey/login" data-passkey-offer hidden');
    expect(page.body).toContain('>Use your passkey</button>');
    const options = await loginOptions(browser);
    expect(options).toMatchObject({ rpId: 'localhost', allowCredentials: [{ id: Buffer.from(authenticator.credentialId).toString('base64url') }] });
    const done = await browser.post('/2fa/passkey/login', { passkey: JSON.stringify(authenticator.login(options, ORIGIN)) });
    expect(done.response.status).toBe(303);
    expect(done.response.headers.get('location')).toBe('/home');
    expect(s.completed).toEqual(['alice', 'alice']);
  });

  it('no "Use your passkey" for a user with only an authenticator app', async () => {
    const s = setup({ passkeys });
    const browser = new Client(s.flow, { json: true });
    await browser.start('alice');
    const key = keyOf((await browser.get('/2fa/setup')).body);
    await browser.post('/2fa/setup', { code: totp(key, { now: s.clock.now() }) });
    const again = new Client(s.flow, { json: true });
    await again.start('alice');
    expect((await again.get('/2fa')).json).toMatchObject({ page: 'code', passkey: false, app: true });
  });

  it('a user with passkeys only is asked for no app code: the passkey, and a recovery code open below', async () => {
    const { s, done } = await withPasskey();
    const codes = [...done.body.matchAll(/<li>([^<]+)<\/li>/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(0);
    const json = new Client(s.flow, { json: true });
    await json.start('alice');
    expect((await json.get('/2fa')).json).toMatchObject({ page: 'code', passkey: true, app: false });
    const browser = new Client(s.flow);
    await browser.start('alice');
    const page = await browser.get('/2fa');
    expect(page.body).not.toContain('authenticator app');
    expect(page.body).not.toContain('id="code"');
    expect(page.body).toContain('<details open>');
    expect(page.body).toContain('>Use your passkey</button>');
    // The recovery code logs in from that page.
    const done2 = await browser.post('/2fa/verify', { code: codes[0]! });
    expect(done2.response.status).toBe(303);
    expect(s.completed).toEqual(['alice', 'alice']);
  });

  it('the same assertion a second time is refused, and nobody is logged in', async () => {
    const { s, authenticator } = await withPasskey();
    const first = new Client(s.flow);
    await first.start('alice');
    await first.get('/2fa');
    const answer = JSON.stringify(authenticator.login(await loginOptions(first), ORIGIN));
    expect((await first.post('/2fa/passkey/login', { passkey: answer })).response.status).toBe(303);
    const second = new Client(s.flow);
    await second.start('alice');
    await second.get('/2fa');
    const replayed = await second.post('/2fa/passkey/login', { passkey: answer });
    expect(replayed.response.status).toBe(401);
    expect(replayed.body).toContain('The passkey was not accepted.');
    expect(s.completed).toEqual(['alice', 'alice']);
  });

  it('a cloned authenticator (its counter set back) is refused, with a passkey-cloned event', async () => {
    const { s, authenticator } = await withPasskey();
    for (let i = 0; i < 2; i++) {
      const browser = new Client(s.flow);
      await browser.start('alice');
      await browser.get('/2fa');
      expect((await browser.post('/2fa/passkey/login', { passkey: JSON.stringify(authenticator.login(await loginOptions(browser), ORIGIN)) })).response.status).toBe(303);
    }
    const clone = authenticator.clone(0);
    const browser = new Client(s.flow, { json: true });
    await browser.start('alice');
    await browser.get('/2fa');
    const refused = await browser.post('/2fa/passkey/login', { passkey: JSON.stringify(clone.login(await loginOptions(browser), ORIGIN)) });
    expect(refused.response.status).toBe(401);
    expect(refused.json).toMatchObject({ page: 'code', passkey: true, error: { code: 'invalid-passkey' } });
    expect(s.events.filter((e) => e.type === 'passkey-cloned')).toEqual([expect.objectContaining({ userId: 'alice' })]);
    expect(s.completed).toEqual(['alice', 'alice', 'alice']);
  });

  it('wrong answers count in the throttle: the fifth locks, as wrong codes do', async () => {
    const { s, authenticator } = await withPasskey();
    const stranger = new SoftPasskey();
    stranger.register({ challenge: 'AAAA', rp: { id: 'localhost' }, user: { id: 'eA' } }, ORIGIN);
    const browser = new Client(s.flow);
    await browser.start('alice');
    await browser.get('/2fa');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const options = await loginOptions(browser);
      statuses.push((await browser.post('/2fa/passkey/login', { passkey: JSON.stringify(stranger.login(options, ORIGIN)) })).response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const locked = await browser.post('/2fa/passkey/login', { passkey: JSON.stringify(authenticator.login({ challenge: 'AAAA' }, ORIGIN)) });
    expect(locked.response.status).toBe(429);
    expect(s.completed).toEqual(['alice']);
  });

  it('an administrator\'s reset clears the passkey: set-up again, and its answers log nobody in', async () => {
    const { s, authenticator } = await withPasskey();
    const browser = new Client(s.flow);
    await browser.start('alice');
    await browser.get('/2fa');
    const options = await loginOptions(browser);
    expect((await s.gate.reset('root', 'alice')).ok).toBe(true);
    expect(await s.gate.authenticators('alice')).toEqual([]);
    const after = await browser.post('/2fa/passkey/login', { passkey: JSON.stringify(authenticator.login(options, ORIGIN)) });
    expect(after.response.status).toBe(303);
    expect(after.response.headers.get('location')).toBe('/2fa');
    expect((await browser.get('/2fa')).body).toContain('Set up 2-Step Verification');
    expect(s.completed).toEqual(['alice']);
  });
});

describe('settings', () => {
  /** alice set up with an authenticator app, logged in: her settings client and the app's key. */
  async function member(s: Setup) {
    const login = new Client(s.flow, { json: true });
    await login.start('alice');
    const key = keyOf((await login.get('/2fa/setup')).body);
    await login.post('/2fa/setup', { code: totp(key, { now: s.clock.now() }) });
    s.clock.t += 30_000;
    const app = new Client(s.flow);
    app.cookies.set('session', 'alice');
    await app.get('/2fa/settings');
    return { app, key };
  }

  it('"Add a passkey" after a name and a current code; listed under Passkeys; JSON has type and the flags', async () => {
    const s = setup({ passkeys });
    const { app, key } = await member(s);
    const page = await app.get('/2fa/settings');
    expect(page.body).toContain('<h2>Passkeys</h2>');
    expect(page.body).toContain('href="/2fa/settings/passkeys/add">Add a passkey</a>');
    expect((await app.get('/2fa/settings/passkeys/add')).body).toContain('data-options="/2fa/passkey/register/options"');
    const authenticator = new SoftPasskey();
    const added = await registerWith(app, authenticator, { label: 'Work laptop', code: totp(key, { now: s.clock.now() }) });
    expect(added.response.status).toBe(200);
    expect(added.body).toContain('Work laptop was added.');
    const json = new Client(s.flow, { json: true });
    json.cookies.set('session', 'alice');
    expect((await json.get('/2fa/settings')).json).toMatchObject({
      canAddPasskey: true,
      canUsePasskey: true,
      authenticators: [
        { type: 'totp', label: 'Authenticator app' },
        { type: 'passkey', label: 'Work laptop' },
      ],
    });
  });

  it('adding refuses a missing name or code, and a wrong code (counted), in JSON for the script', async () => {
    const s = setup({ passkeys });
    const { app, key } = await member(s);
    await app.get('/2fa/settings/passkeys/add');
    expect((await app.postJson('/2fa/passkey/register/options', { label: '', code: '123456' })).json).toMatchObject({ error: { code: 'bad-request' } });
    expect((await app.postJson('/2fa/passkey/register/options', { label: 'Laptop' })).json).toMatchObject({ error: { code: 'bad-request' } });
    const wrong = await app.postJson('/2fa/passkey/register/options', { label: 'Laptop', code: totp(key, { now: s.clock.now() - 3_600_000 }) });
    expect(wrong.response.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: { code: 'invalid-code', message: expect.stringContaining('not right') } });
    expect((await s.gate.status('alice')).authenticators).toHaveLength(1);
  });

  it('a passkey confirms removing the app instead of a code; the passkey is removed like any authenticator', async () => {
    const s = setup({ passkeys });
    const { app, key } = await member(s);
    const authenticator = new SoftPasskey();
    await app.get('/2fa/settings/passkeys/add');
    await registerWith(app, authenticator, { label: 'Laptop', code: totp(key, { now: s.clock.now() }) });
    const page = await app.get('/2fa/settings');
    expect(page.body).toContain('data-passkey="login" data-options="/2fa/passkey/login/options"');
    const [totpApp, passkey] = await s.gate.authenticators('alice');
    const removed = await app.post('/2fa/settings/authenticators/remove', { id: totpApp!.id, passkey: JSON.stringify(authenticator.login(await loginOptions(app), ORIGIN)) });
    expect(removed.response.status).toBe(200);
    expect(removed.body).toContain('Authenticator app was removed.');
    expect((await s.gate.authenticators('alice')).map((a) => a.type)).toEqual(['passkey']);
    // The last one, where required: refused.
    const last = await app.post('/2fa/settings/authenticators/remove', { id: passkey!.id, passkey: JSON.stringify(authenticator.login(await loginOptions(app), ORIGIN)) });
    expect(last.response.status).toBe(400);
    expect((await s.gate.authenticators('alice')).map((a) => a.type)).toEqual(['passkey']);
  });

  it('a user with only a passkey adds another with it as the proof, no code typed', async () => {
    const { s, authenticator } = await withPasskey();
    const app = new Client(s.flow);
    app.cookies.set('session', 'alice');
    const page = await app.get('/2fa/settings/passkeys/add');
    // The code field is optional here, and the button asks for the proof first.
    expect(page.body).toMatch(/id="add-code" name="code" [^>]*maxlength="64">/);
    expect(page.body).toContain('data-proof="/2fa/passkey/login/options"');
    expect(page.body).toContain('a passkey you already have confirms it first');
    const proof = JSON.stringify(authenticator.login(await loginOptions(app), ORIGIN));
    const second = new SoftPasskey();
    const added = await registerWith(app, second, { label: 'Spare key', passkey: proof });
    expect(added.response.status).toBe(200);
    expect(added.body).toContain('Spare key was added.');
    expect((await s.gate.authenticators('alice')).map((a) => [a.type, a.label])).toEqual([
      ['passkey', 'Passkey'],
      ['passkey', 'Spare key'],
    ]);
    // The same proof again is refused (counted like a wrong code).
    const again = await app.postJson('/2fa/passkey/register/options', { label: 'Third', passkey: proof });
    expect(again.response.status).toBe(401);
    expect(again.json).toMatchObject({ error: { code: 'invalid-code' } });
  });

  it('a replayed passkey answer does not confirm an action', async () => {
    const s = setup({ passkeys });
    const { app, key } = await member(s);
    const authenticator = new SoftPasskey();
    await app.get('/2fa/settings/passkeys/add');
    await registerWith(app, authenticator, { label: 'Laptop', code: totp(key, { now: s.clock.now() }) });
    await app.get('/2fa/settings');
    const answer = JSON.stringify(authenticator.login(await loginOptions(app), ORIGIN));
    expect((await app.post('/2fa/settings/recovery-codes', { passkey: answer })).response.status).toBe(200);
    const again = await app.post('/2fa/settings/recovery-codes', { passkey: answer });
    expect(again.response.status).toBe(401);
  });
});

describe('createFlow({ passkeys })', () => {
  it('refuses a relying party WebAuthn would refuse, with ERR_OPTIONS, at once', () => {
    for (const bad of [
      { rpId: '', origin: ORIGIN },
      { rpId: 'exa mple.com', origin: 'https://example.com' },
      { rpId: 'example.com', origin: 'https://example.com/login' },
      { rpId: 'example.com', origin: 'https://evil.example' },
      { rpId: 'example.com', origin: ['https://example.com', 'https://example.org'] },
      { rpId: 'example.com', origin: [] },
      { rpId: 'example.com', origin: 'ftp://example.com' },
      { rpId: 'example.com', rpName: '', origin: 'https://example.com' },
    ]) {
      expect(() => setup({ passkeys: bad as never }), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    }
    expect(() => setup({ passkeys: { rpId: 'example.com', origin: ['https://example.com', 'https://login.example.com:8443'] } })).not.toThrow();
  });
});

describe('languages', () => {
  it.each([
    ['de', 'Stattdessen einen Passkey verwenden'],
    ['fr', "Utiliser plutôt une clé d'accès"],
    ['es', 'Usar una llave de acceso en su lugar'],
  ])('%s', async (language, instead) => {
    const s = setup({ passkeys });
    const browser = new Client(s.flow, { language });
    await browser.start('alice');
    const page = await browser.get('/2fa/setup');
    expect(page.body).toContain(instead.replace("'", '&#39;'));
  });
});

// The settings page on the second-edition gate: status, authenticators
// (rename, remove, add), turn off, new recovery codes; each sensitive action
// with a current code: success, no code, a wrong code (counted like a login),
// a forged CSRF token, and the JSON answers.
import { describe, expect, it } from 'vitest';
import { Client, codeAt, keyOf, setup } from './helpers.js';

type S = ReturnType<typeof setup>;

/** `user` set up at login, then logged in (the host's session) on the settings page. */
async function member(s: S, user: string, json = false) {
  const browser = new Client(s.flow);
  await browser.start(user);
  if (user === 'dave') {
    browser.cookies.set('session', 'dave');
    await browser.get('/2fa/settings');
    await browser.post('/2fa/settings/enable');
  }
  const secret = keyOf((await browser.get('/2fa/setup')).body);
  const saved = await browser.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
  const recovery = [...new Set([...saved.body.matchAll(/[A-Z2-7]{4}(?:-[A-Z2-7]{4}){5}/g)].map((m) => m[0]))];
  const app = new Client(s.flow, { json });
  app.cookies.set('session', user);
  await app.get('/2fa/settings');
  s.clock.t += 30_000;
  return { app, secret, recovery, code: () => codeAt(secret, s.clock.t) };
}

/** A code that is certainly wrong now. */
const wrong = (right: string) => (right === '000000' ? '111111' : '000000');

async function failures(s: S, user: string): Promise<number> {
  return s.events.filter((e) => e.userId === user && e.type === 'code-refused').length;
}

describe('the settings page reads gate.status', () => {
  it('lists the authenticators with added and last used, the recovery codes left, and offers "Turn off" only where not required', async () => {
    const s = setup();
    const alice = await member(s, 'alice');
    const page = await alice.app.get('/2fa/settings');
    expect(page.body).toContain('2-Step Verification is on');
    expect(page.body).toContain('Authenticator apps');
    expect(page.body).toContain('<h3>Authenticator app</h3>');
    expect(page.body).toMatch(/Added [^<]*2026/);
    expect(page.body).toContain('You have 10 recovery codes left.');
    expect(page.body).toContain('Add an authenticator');
    expect(page.body).toContain('Rename');
    expect(page.body).toContain('Remove');
    // alice's company requires it: no "Turn off".
    expect(page.body).not.toContain('Turn off');
    const dave = await member(s, 'dave');
    expect((await dave.app.get('/2fa/settings')).body).toContain('Turn off 2-Step Verification');
  });

  it('JSON: the documented shape, never a secret', async () => {
    const s = setup();
    const alice = await member(s, 'alice', true);
    const { json, body } = await alice.app.get('/2fa/settings');
    expect(json).toMatchObject({
      page: 'settings',
      status: 'on',
      required: true,
      enrolledAt: expect.any(Number),
      canEnable: false,
      canDisable: false,
      canSetUp: false,
      canRenewRecoveryCodes: true,
      canAddAuthenticator: true,
      authenticators: [{ id: expect.any(String), label: 'Authenticator app', createdAt: expect.any(Number), lastUsedAt: null }],
      recoveryCodesLeft: 10,
      fewRecoveryCodes: false,
      locked: null,
      resetRequest: null,
    });
    expect(body).not.toContain(alice.secret);
  });

  it('warns when few recovery codes are left, and shows the open reset request', async () => {
    const s = setup();
    const alice = await member(s, 'alice');
    for (const code of alice.recovery.slice(0, 8)) expect(await s.gate.verify('alice', code)).toMatchObject({ ok: true });
    await s.gate.requestReset('alice', { to: 'all' });
    const page = await alice.app.get('/2fa/settings');
    expect(page.body).toContain('You have 2 recovery codes left.');
    expect(page.body).toContain('Few recovery codes are left');
    expect(page.body).toMatch(/you asked Root Admin and Carol Admin to reset/);
  });
});

describe('rename', () => {
  it('renames; an empty name is a 400; a forged token a 403; JSON answers the settings with a notice', async () => {
    const s = setup();
    const alice = await member(s, 'alice');
    const [first] = await s.gate.authenticators('alice');
    const done = await alice.app.post('/2fa/settings/authenticators/rename', { id: first!.id, label: 'Work phone' });
    expect(done.response.status).toBe(200);
    expect(done.body).toContain('The authenticator is now called Work phone.');
    expect((await s.gate.authenticators('alice'))[0]!.label).toBe('Work phone');
    const empty = await alice.app.post('/2fa/settings/authenticators/rename', { id: first!.id, label: '  ' });
    expect(empty.response.status).toBe(400);
    expect(empty.body).toContain('1 to 64 characters');
    const unknown = await alice.app.post('/2fa/settings/authenticators/rename', { id: 'nope', label: 'X' });
    expect(unknown.response.status).toBe(404);
    const forged = await alice.app.post('/2fa/settings/authenticators/rename', { id: first!.id, label: 'Evil' }, { csrf: 'forged' });
    expect(forged.response.status).toBe(403);
    expect((await s.gate.authenticators('alice'))[0]!.label).toBe('Work phone');
    const api = new Client(s.flow, { json: true });
    api.cookies.set('session', 'alice');
    await api.get('/2fa/settings');
    const renamed = await api.post('/2fa/settings/authenticators/rename', { id: first!.id, label: 'Old phone' });
    expect(renamed.json).toMatchObject({ page: 'settings', notice: 'The authenticator is now called Old phone.', authenticators: [{ label: 'Old phone' }] });
  });
});

describe('add an authenticator', () => {
  it('asks a current code and a name, shows the new set-up, and "Verify and Save" adds it (no new recovery codes)', async () => {
    const s = setup();
    const alice = await member(s, 'alice');
    const ask = await alice.app.get('/2fa/settings/authenticators/add');
    expect(ask.body).toContain('Name of the new authenticator');
    const missing = await alice.app.post('/2fa/settings/authenticators/add', { label: 'Spare' });
    expect(missing.response.status).toBe(400);
    expect(missing.body).toContain('Type the code from your authenticator app.');
    const before = await failures(s, 'alice');
    const bad = await alice.app.post('/2fa/settings/authenticators/add', { label: 'Spare', code: wrong(alice.code()) });
    expect(bad.response.status).toBe(401);
    expect(bad.body).toContain('That code is not right');
    expect(bad.body).not.toContain('<svg');
    expect(await failures(s, 'alice')).toBe(before + 1);
    const forged = await alice.app.post('/2fa/settings/authenticators/add', { label: 'Spare', code: alice.code() }, { csrf: 'forged' });
    expect(forged.response.status).toBe(403);

    const page = await alice.app.post('/2fa/settings/authenticators/add', { label: 'Spare', code: alice.code() });
    expect(page.response.status).toBe(200);
    expect(page.body).toContain('<svg');
    expect(page.body).toContain('Unable to scan?');
    expect(page.body).toContain('Verify and Save');
    const second = keyOf(page.body);
    expect(second).not.toBe(alice.secret);
    // The key is in the page only, never in a cookie.
    for (const line of page.response.headers.getSetCookie()) expect(line).not.toContain(second);

    // A reload asks a current code again and shows the same key.
    s.clock.t += 30_000;
    const again = await alice.app.post('/2fa/settings/authenticators/add', { label: 'Spare', code: alice.code() });
    expect(keyOf(again.body)).toBe(second);

    const badConfirm = await alice.app.post('/2fa/settings/authenticators/confirm', { code: wrong(codeAt(second, s.clock.t)) });
    expect(badConfirm.response.status).toBe(401);
    expect(badConfirm.body).toContain('That code is not right');
    const added = await alice.app.post('/2fa/settings/authenticators/confirm', { code: codeAt(second, s.clock.t) });
    expect(added.response.status).toBe(200);
    expect(added.body).toContain('Spare was added.');
    expect(added.body).not.toMatch(/[A-Z2-7]{4}(?:-[A-Z2-7]{4}){5}/);
    expect((await s.gate.authenticators('alice')).map((a) => a.label)).toEqual(['Authenticator app', 'Spare']);
    // A second "Verify and Save" changes nothing.
    const twice = await alice.app.post('/2fa/settings/authenticators/confirm', { code: codeAt(second, s.clock.t) });
    expect(twice.response.status).toBe(303);
    expect(twice.response.headers.get('location')).toBe('/2fa/settings');
  });

  it('past the policy\'s limit answers `limit`; JSON carries the set-up', async () => {
    const s = setup({}, { authenticators: { max: 1 } });
    const alice = await member(s, 'alice', true);
    const refused = await alice.app.post('/2fa/settings/authenticators/add', { label: 'Spare', code: alice.code() });
    expect(refused.response.status).toBe(409);
    expect(refused.json.error.code).toBe('limit');
    const t = setup();
    const bob = await member(t, 'bob', true);
    const page = await bob.app.post('/2fa/settings/authenticators/add', { label: 'Spare', code: bob.code() });
    expect(page.json).toMatchObject({ page: 'add-authenticator', label: 'Spare', setup: { manualKey: expect.any(String), uri: expect.stringMatching(/^otpauth:/), qrSvg: expect.stringContaining('<svg'), expiresAt: expect.any(Number) } });
  });
});

describe('the limit reached meanwhile', () => {
  it('an authenticator added in another tab before "Verify and Save": limit, and nothing is added', async () => {
    const s = setup({}, { authenticators: { max: 2 } });
    const alice = await member(s, 'alice');
    const page = await alice.app.post('/2fa/settings/authenticators/add', { label: 'Spare', code: alice.code() });
    const second = keyOf(page.body);
    // The other tab: a second authenticator, which is as many as allowed.
    await s.gate.importEnrollment('alice', { secret: 'JBSWY3DPEHPK3PXP', add: true, label: 'Tablet' });
    const refused = await alice.app.post('/2fa/settings/authenticators/confirm', { code: codeAt(second, s.clock.t) });
    expect(refused.response.status).toBe(409);
    expect(refused.body).toContain('You have as many authenticators as allowed');
    expect(refused.body).not.toContain('Spare was added.');
    expect((await s.gate.authenticators('alice')).map((a) => a.label)).toEqual(['Authenticator app', 'Tablet']);
    expect(s.events.at(-1)).toMatchObject({ type: 'enrollment-discarded', reason: 'limit' });
  });

  it('JSON: the refusal carries the code limit', async () => {
    const s = setup({}, { authenticators: { max: 2 } });
    const alice = await member(s, 'alice', true);
    const page = await alice.app.post('/2fa/settings/authenticators/add', { label: 'Spare', code: alice.code() });
    const second = keyOf(JSON.stringify(page.json.setup));
    await s.gate.importEnrollment('alice', { secret: 'JBSWY3DPEHPK3PXP', add: true });
    const refused = await alice.app.post('/2fa/settings/authenticators/confirm', { code: codeAt(second, s.clock.t) });
    expect(refused.response.status).toBe(409);
    expect(refused.json).toMatchObject({ page: 'settings', error: { code: 'limit' } });
    expect(await s.gate.authenticators('alice')).toHaveLength(2);
  });

  it('at login: a gate that answers limit to "Verify and Save" gets the limit refusal, and the login does not complete', async () => {
    // The gate itself cannot answer limit here any more (a first authenticator
    // ends the set-ups begun before it); the page still maps every answer.
    const s = setup({}, { authenticators: { max: 1 } });
    const bob = new Client(s.flow);
    await bob.start('bob');
    const secret = keyOf((await bob.get('/2fa/setup')).body);
    s.gate.confirmEnrollment = async () => ({ ok: false, reason: 'limit' });
    const refused = await bob.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    expect(refused.response.status).toBe(409);
    expect(refused.body).toContain('You have as many authenticators as allowed');
    expect(s.completed).toEqual([]);
    expect(await s.gate.authenticators('bob')).toEqual([]);
  });

  it('at login: an import between the set-up page and "Verify and Save" ends the set-up; the login goes on to a code', async () => {
    const s = setup({}, { authenticators: { max: 2 } });
    const bob = new Client(s.flow);
    await bob.start('bob');
    const secret = keyOf((await bob.get('/2fa/setup')).body);
    await s.gate.importEnrollment('bob', { secret: 'JBSWY3DPEHPK3PXP' });
    const after = await bob.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    expect(s.completed).toEqual([]);
    expect(after.response.status).toBe(409);
    // The pending secret is gone: it is no second authenticator, now or later.
    expect(await s.gate.confirmEnrollment('bob', codeAt(secret, s.clock.t))).toEqual({ ok: false, reason: 'already-enrolled' });
    expect((await s.gate.authenticators('bob')).map((a) => a.label)).toEqual(['Authenticator app']);
  });
});

describe('add an authenticator is for a user who is set up', () => {
  it('a user not set up yet is sent to the settings / the set-up that shows the recovery codes', async () => {
    const s = setup();
    const dave = new Client(s.flow);
    dave.cookies.set('session', 'dave');
    await dave.get('/2fa/settings');
    await dave.post('/2fa/settings/enable');
    expect((await dave.get('/2fa/settings/authenticators/add')).response.headers.get('location')).toBe('/2fa/settings');
    expect((await dave.post('/2fa/settings/authenticators/add', { label: 'Spare', code: '123456' })).response.headers.get('location')).toBe('/2fa/settings');
    const secret = keyOf((await dave.get('/2fa/setup')).body);
    const sent = await dave.post('/2fa/settings/authenticators/confirm', { code: codeAt(secret, s.clock.t) });
    expect(sent.response.headers.get('location')).toBe('/2fa/setup');
    // Nothing was confirmed there: /setup still shows the recovery codes.
    const saved = await dave.post('/2fa/setup', { code: codeAt(secret, s.clock.t) });
    expect(saved.body).toContain('Your recovery codes');
  });
});

describe('remove an authenticator', () => {
  it('needs a current code (from any authenticator, or a recovery code); the last one where required is refused', async () => {
    const s = setup();
    const alice = await member(s, 'alice');
    const page = await alice.app.post('/2fa/settings/authenticators/add', { label: 'Spare', code: alice.code() });
    const second = keyOf(page.body);
    await alice.app.post('/2fa/settings/authenticators/confirm', { code: codeAt(second, s.clock.t) });
    const [first, spare] = await s.gate.authenticators('alice');
    s.clock.t += 30_000;

    const missing = await alice.app.post('/2fa/settings/authenticators/remove', { id: first!.id });
    expect(missing.response.status).toBe(400);
    const before = await failures(s, 'alice');
    const bad = await alice.app.post('/2fa/settings/authenticators/remove', { id: first!.id, code: wrong(alice.code()) });
    expect(bad.response.status).toBe(401);
    expect(await failures(s, 'alice')).toBe(before + 1);
    const forged = await alice.app.post('/2fa/settings/authenticators/remove', { id: first!.id, code: alice.code() }, { csrf: 'forged' });
    expect(forged.response.status).toBe(403);
    expect(await s.gate.authenticators('alice')).toHaveLength(2);

    // A code of the spare removes the first one.
    const removed = await alice.app.post('/2fa/settings/authenticators/remove', { id: first!.id, code: codeAt(second, s.clock.t) });
    expect(removed.response.status).toBe(200);
    expect(removed.body).toContain('Authenticator app was removed.');
    expect((await s.gate.authenticators('alice')).map((a) => a.id)).toEqual([spare!.id]);

    const last = await alice.app.post('/2fa/settings/authenticators/remove', { id: spare!.id, code: alice.recovery[0]! });
    expect(last.response.status).toBe(400);
    expect(last.body).toContain('the last authenticator cannot be removed');
  });

  it('JSON: errors as { error: { code, message } }', async () => {
    const s = setup();
    const dave = await member(s, 'dave', true);
    const [only] = await s.gate.authenticators('dave');
    const bad = await dave.app.post('/2fa/settings/authenticators/remove', { id: only!.id, code: wrong(dave.code()) });
    expect(bad.response.status).toBe(401);
    expect(bad.json.error.code).toBe('invalid-code');
    s.clock.t += 30_000;
    const done = await dave.app.post('/2fa/settings/authenticators/remove', { id: only!.id, code: dave.code() });
    // dave's company leaves it optional: the last one removed turns 2-step off.
    expect(done.json).toMatchObject({ page: 'settings', status: 'off', authenticators: [] });
  });
});

describe('turn off', () => {
  it('needs a current code; a wrong one is counted; a forged token refused; JSON mode', async () => {
    const s = setup();
    const dave = await member(s, 'dave');
    expect((await dave.app.post('/2fa/settings/disable')).response.status).toBe(400);
    const before = await failures(s, 'dave');
    const bad = await dave.app.post('/2fa/settings/disable', { code: wrong(dave.code()) });
    expect(bad.response.status).toBe(401);
    expect(await failures(s, 'dave')).toBe(before + 1);
    expect((await dave.app.post('/2fa/settings/disable', { code: dave.code() }, { csrf: 'forged' })).response.status).toBe(403);
    const api = new Client(s.flow, { json: true });
    api.cookies.set('session', 'dave');
    await api.get('/2fa/settings');
    const off = await api.post('/2fa/settings/disable', { code: dave.code() });
    expect(off.json).toMatchObject({ page: 'settings', status: 'off', notice: '2-Step Verification is now off for your account.' });
  });
});

describe('new recovery codes', () => {
  it('need a code; a wrong one is counted; a forged token refused; JSON gives the codes', async () => {
    const s = setup();
    const alice = await member(s, 'alice', true);
    const missing = await alice.app.post('/2fa/settings/recovery-codes', {});
    expect(missing.response.status).toBe(400);
    expect(missing.json.error.code).toBe('bad-request');
    const before = await failures(s, 'alice');
    const bad = await alice.app.post('/2fa/settings/recovery-codes', { code: wrong(alice.code()) });
    expect(bad.response.status).toBe(401);
    expect(bad.json.error.code).toBe('invalid-code');
    expect(await failures(s, 'alice')).toBe(before + 1);
    expect((await alice.app.post('/2fa/settings/recovery-codes', { code: alice.code() }, { csrf: 'forged' })).response.status).toBe(403);
    const renewed = await alice.app.post('/2fa/settings/recovery-codes', { code: alice.code() });
    expect(renewed.json).toMatchObject({ page: 'recovery-codes', continueUrl: '/2fa/settings' });
    expect(renewed.json.codes).toHaveLength(10);
    // The same code again is a replay.
    const replayed = await alice.app.post('/2fa/settings/recovery-codes', { code: alice.code() });
    expect(replayed.json.error.code).toBe('replayed-code');
  });
});

describe('context on events', () => {
  it('every gate call of the flow carries { userAgent } (cut to 256) or what the host\'s context option returns', async () => {
    const s = setup();
    const ua = 'Mozilla/5.0 '.padEnd(400, 'x');
    const flowHeaders = { 'user-agent': ua, 'x-request-id': 'req-1' };
    const browser = new Client(s.flow);
    const withUa = (c: Client) => {
      const original = (c as unknown as { headers: (extra?: Record<string, string>) => Headers }).headers.bind(c);
      (c as unknown as { headers: (extra?: Record<string, string>) => Headers }).headers = (extra = {}) => original({ ...extra, ...flowHeaders });
      return c;
    };
    withUa(browser);
    await browser.start('alice');
    await browser.get('/2fa');
    await browser.post('/2fa/postpone');
    const postponed = s.events.find((e) => e.type === 'postponed');
    expect(postponed?.context).toEqual({ userAgent: ua.slice(0, 256), requestId: 'req-1' });

    const t = setup({ context: (request) => ({ ip: request.headers.get('x-forwarded-for'), tenant: 'acme' }) });
    const other = withUa(new Client(t.flow));
    flowHeaders['x-forwarded-for' as 'user-agent'] = '203.0.113.7';
    await other.start('alice');
    const secret = keyOf((await other.get('/2fa/setup')).body);
    await other.post('/2fa/setup', { code: codeAt(secret, t.clock.t) });
    const events = t.events.filter((e) => e.userId === 'alice');
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(event.context).toEqual({ ip: '203.0.113.7', tenant: 'acme' });
  });
});

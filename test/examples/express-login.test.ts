// Drives examples/express-login.ts over HTTP with fetch, through the whole
// article flow. The codes come from the otpauth library reading the URI the
// set-up page returned, as an authenticator app would.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../examples/express-login.js';
import type { GateEvent } from '../../src/index.js';

let now = Date.UTC(2026, 2, 1, 9, 0, 0);
const events: GateEvent[] = [];
let server: Server;
let base = '';

beforeAll(async () => {
  const app = createApp({ clock: { now: () => now }, notify: (event) => events.push(event) });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** One browser: keeps the session cookie between requests. */
function browser() {
  let cookie = '';
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const response = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) cookie = setCookie.split(';')[0]!;
    return { status: response.status, json: await response.json() };
  };
}

const alice = { username: 'alice', password: 'correct horse battery staple' };
let app: OTPAuth.TOTP;
let recoveryCodes: string[] = [];
const codeNow = () => app.generate({ timestamp: now });

describe('examples/express-login.ts', () => {
  it('refuses a wrong password and keeps the second-step routes closed without one', async () => {
    const visit = browser();
    expect((await visit('POST', '/login', { ...alice, password: 'wrong' })).status).toBe(401);
    expect((await visit('POST', '/login/code', { code: '123456' })).status).toBe(401);
    expect((await visit('GET', '/me')).status).toBe(401);
  });

  it('offers set-up with two postpones, and postponing lets the user in', async () => {
    const visit = browser();
    expect(await visit('POST', '/login', alice)).toEqual({
      status: 200,
      json: { step: 'setup', required: true, postponesLeft: 2 },
    });
    // Until the second step is done, the user is not logged in.
    expect((await visit('GET', '/me')).status).toBe(401);
    expect((await visit('POST', '/login/postpone')).json).toEqual({ postponesLeft: 1, repeated: false });
    expect(await visit('GET', '/me')).toEqual({ status: 200, json: { userId: 'alice' } });
  });

  it('sets up with the QR code\'s URI and "Verify and Save", which returns the recovery codes', async () => {
    const visit = browser();
    expect((await visit('POST', '/login', alice)).json).toEqual({ step: 'setup', required: true, postponesLeft: 1 });
    const setup = await visit('POST', '/login/setup');
    expect(setup.json.qrSvg).toMatch(/^<svg/);
    expect(setup.json.secret).toBeUndefined();
    app = OTPAuth.URI.parse(setup.json.uri) as OTPAuth.TOTP;
    expect(app.issuer).toBe('ACME Co');
    expect(setup.json.manualKey.replaceAll(' ', '')).toBe(app.secret.base32);
    const wrong = await visit('POST', '/login/setup/verify', { code: '000000' === codeNow() ? '111111' : '000000' });
    expect(wrong).toEqual({ status: 400, json: { ok: false, reason: 'invalid', attemptsLeft: 4 } });
    const saved = await visit('POST', '/login/setup/verify', { code: codeNow() });
    expect(saved.status).toBe(200);
    recoveryCodes = saved.json.recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);
    expect((await visit('GET', '/me')).json).toEqual({ userId: 'alice' });
  });

  it('asks for a code at every later login; a used code is refused, a fresh one accepted', async () => {
    now += 30_000;
    const first = browser();
    expect((await first('POST', '/login', alice)).json).toEqual({ step: 'code' });
    expect((await first('POST', '/login/postpone')).status).toBe(409);
    // A password alone cannot replace the enrolled authenticator.
    expect((await first('POST', '/login/setup')).status).toBe(409);
    expect((await first('POST', '/login/setup/verify', { code: codeNow() })).status).toBe(409);
    const code = codeNow();
    expect(await first('POST', '/login/code', { code })).toEqual({ status: 200, json: { ok: true, method: 'totp', recoveryCodesLeft: 10 } });
    const second = browser();
    await second('POST', '/login', alice);
    expect(await second('POST', '/login/code', { code })).toEqual({ status: 401, json: { ok: false, reason: 'replayed' } });
    now += 30_000;
    expect((await second('POST', '/login/code', { code: codeNow() })).json).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
  });

  it('accepts a recovery code once', async () => {
    const visit = browser();
    await visit('POST', '/login', alice);
    expect((await visit('POST', '/login/code', { code: recoveryCodes[0] })).json).toEqual({
      ok: true,
      method: 'recovery',
      recoveryCodesLeft: 9,
    });
    const again = browser();
    await again('POST', '/login', alice);
    expect((await again('POST', '/login/code', { code: recoveryCodes[0] })).json).toEqual({ ok: false, reason: 'invalid' });
  });

  it('"Lost code?" reaches the administrator, whose reset makes set-up mandatory again', async () => {
    const user = browser();
    await user('POST', '/login', alice);
    expect((await user('GET', '/login/lost-code')).json).toEqual([{ id: 'root', name: 'root' }]);
    expect((await user('POST', '/login/lost-code', { to: 'nobody' })).json).toMatchObject({ error: 'ERR_NOT_ADMIN' });
    expect((await user('POST', '/login/lost-code', { to: 'root' })).json).toMatchObject({ to: ['root'] });
    expect(events.filter((event) => event.type === 'reset-requested')).toMatchObject([{ userId: 'alice', to: ['root'] }]);

    const admin = browser();
    expect((await admin('POST', '/login', { username: 'root', password: 'root password' })).json).toEqual({ step: 'allow' });
    expect((await admin('GET', '/admin/resets')).json).toMatchObject([{ userId: 'alice' }]);
    expect((await admin('POST', '/admin/resets/alice')).json).toEqual({ ok: true, notified: true });
    // alice may not reset anyone, herself included.
    expect((await user('POST', '/admin/resets/alice')).status).toBe(401);

    const after = browser();
    expect((await after('POST', '/login', alice)).json).toEqual({ step: 'setup', required: true, postponesLeft: 0 });
    expect(await after('POST', '/login/postpone')).toMatchObject({ status: 409, json: { error: 'ERR_POSTPONE_NOT_ALLOWED' } });
    expect(events.at(-1)).toMatchObject({ type: 'reset-completed', userId: 'alice', actor: 'root' });
  });
});

// The flow cookie's codec and createFlow's checks of its options.
import { describe, expect, it } from 'vitest';
import { createCookieCodec, MAX_COOKIE_MS, readCookie, type FlowCookie } from '../../src/web/cookie.js';
import { createFlow } from '../../src/web/index.js';
import { Client, KEY, setup } from './helpers.js';

const now = Date.UTC(2026, 0, 5);
const cookie: FlowCookie = { user: 'alice', stage: 'login', csrf: 'c', attempt: 'a', expiresAt: now + 60_000, returnTo: '/x' };

describe('the cookie codec', () => {
  it('round-trips, and refuses another key, a changed byte, an expired or an over-long cookie', async () => {
    const codec = createCookieCodec(KEY);
    const value = await codec.encode(cookie);
    expect(await codec.decode(value, now)).toEqual(cookie);
    expect(await createCookieCodec(new Uint8Array(32).fill(8)).decode(value, now)).toBeNull();
    for (let i = 0; i < value.length; i += 7) {
      const changed = value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
      if (changed !== value) expect(await codec.decode(changed, now), `byte ${i}`).toBeNull();
    }
    expect(await codec.decode(value, now + 60_000)).toBeNull();
    expect(await codec.decode(`${value}.x`, now)).toBeNull();
    expect(await codec.decode('x'.repeat(5000), now)).toBeNull();
    expect(await codec.decode(undefined, now)).toBeNull();
    // Signed with the right key, but made to outlive 15 minutes: refused too.
    const long = await codec.encode({ ...cookie, expiresAt: now + MAX_COOKIE_MS + 1 });
    expect(await codec.decode(long, now)).toBeNull();
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(readCookie('a=1; otpgate_flow=xyz; b=2', 'otpgate_flow')).toBe('xyz');
    expect(readCookie('otpgate_flowx=1', 'otpgate_flow')).toBeUndefined();
    expect(readCookie(null, 'otpgate_flow')).toBeUndefined();
  });
});

describe('createFlow options', () => {
  const { gate } = setup();
  const onComplete = () => new Response(null, { status: 303 });
  it('refuses a short or missing key, a bad basePath, cookie name, loginUrl, stylesheet or time zone with ERR_OPTIONS', () => {
    const bad: Array<Record<string, unknown>> = [
      { key: new Uint8Array(31) },
      { key: 'c2hvcnQ' },
      { key: 'not base64url!' },
      { key: undefined },
      { basePath: '2fa' },
      { basePath: '/2fa/' },
      { basePath: '/a b' },
      { cookie: { name: 'a;b' } },
      { loginUrl: '//evil.example' },
      { loginUrl: 'http://example.com/login' },
      { homeUrl: 'javascript:alert(1)' },
      { stylesheets: ['https://cdn.example/x.css'] },
      { timeZone: 'Mars/Olympus' },
      { onComplete: 'no' },
      { gate: {} },
    ];
    for (const options of bad) {
      expect(() => createFlow({ gate, key: KEY, onComplete, ...options } as never), JSON.stringify(options)).toThrowError(
        expect.objectContaining({ code: 'ERR_OPTIONS' }),
      );
    }
    expect(() => createFlow({ gate, key: 'a'.repeat(43), onComplete, basePath: '/account/two-step', loginUrl: 'https://id.example/login' })).not.toThrow();
  });

  it('says what is wrong with a key: missing, base64 instead of base64url, or too short; never the key itself', () => {
    const messageFor = (key: unknown) => {
      try {
        createFlow({ gate, key, onComplete } as never);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(messageFor(undefined)).toMatch(/it is missing/);
    expect(messageFor('')).toMatch(/it is missing/);
    // What `openssl rand -base64 32` prints: 32 bytes, but with + / and = padding.
    const base64 = 'gmAAdU6728Nm5Nj49Htr0DNGeIb5tA/OGq/m+kO+x/I=';
    expect(messageFor(base64)).toMatch(/this is base64, not base64url/);
    expect(messageFor(base64)).not.toContain(base64.slice(0, 8));
    expect(messageFor(base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, ''))).toBe('accepted');
    expect(messageFor('c2hvcnQ')).toMatch(/this one has 5$/);
    expect(messageFor(new Uint8Array(31))).toMatch(/this one has 31$/);
    expect(messageFor('not base64url!')).toMatch(/this is neither$/);
  });

  it('serves another basePath, and nothing outside it', async () => {
    const s = setup({ basePath: '/account/2fa' });
    const browser = new Client(s.flow);
    const started = await browser.start('alice');
    expect(started.response.headers.get('location')).toBe('/account/2fa');
    expect(started.response.headers.getSetCookie()[0]).toContain('Path=/account/2fa');
    const { body } = await browser.get('/account/2fa');
    expect(body).toContain('action="/account/2fa/postpone"');
    expect(body).toContain('href="/account/2fa/flow.css"');
    expect(await s.flow.handle(new Request('http://localhost:3000/2fa'))).toBeNull();
  });

  it('a logged-in user who opens a login page is sent to the settings', async () => {
    const s = setup();
    const dave = new Client(s.flow);
    dave.cookies.set('session', 'dave');
    await dave.get('/2fa/settings');
    const { response } = await dave.get('/2fa');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/2fa/settings');
  });
});

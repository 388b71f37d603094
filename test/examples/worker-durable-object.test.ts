// examples/worker-durable-object: the Worker runs in workerd through
// Miniflare, with its Durable Objects, and carries the support article's
// whole flow: postpone, set up, verify and save, log in with a code, a
// replay refused, "Lost 2-Step Verification code?", the administrator's
// list and reset, and set-up again; and otpgate/web's pages serve there too.
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { parseUri } from '../../src/enrollment/uri.js';
import { bundleWorker, startWorker } from '../stores/workerd.js';

let mf: Miniflare;

beforeAll(async () => {
  mf = await startWorker(await bundleWorker('examples/worker-durable-object/worker.ts'), {
    FLOW_KEY: 'dGVzdC1vbmx5LWtleS1mb3ItdGhlLXdvcmtlcmQtdGVzdHMtMzJi',
  });
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
});

async function post(user: string, path: string, body: Record<string, unknown> = {}): Promise<{ status: number; result?: any; events?: string[]; error?: string }> {
  const response = await mf.dispatchFetch(`http://worker${path}`, {
    method: 'POST',
    headers: { 'x-user': user, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits out the last two seconds of a 30-second step, so that "this step" and "the last one" hold for a while. */
async function awayFromStepEdge(): Promise<void> {
  const intoStep = Date.now() % 30_000;
  if (intoStep > 28_000) await sleep(30_000 - intoStep + 100);
}

describe('examples/worker-durable-object in workerd', () => {
  it('runs the article\'s flow end to end on Durable Objects', async () => {
    expect(await post('alice', '/login')).toMatchObject({ status: 200, result: { step: 'setup', required: true, postponesLeft: 2 } });
    expect(await post('alice', '/postpone', { attempt: 'login-1' })).toMatchObject({ status: 200, events: ['postponed'] });
    expect(await post('alice', '/login')).toMatchObject({ result: { step: 'setup', postponesLeft: 1 } });

    const enrollment = await post('alice', '/enroll');
    expect(enrollment.result.qrSvg).toMatch(/^<svg/);
    const { secret, issuer } = parseUri(enrollment.result.uri);
    expect(issuer).toBe('ACME Co');
    expect(enrollment.result.manualKey.replaceAll(' ', '')).toBe(enrollment.result.uri.match(/secret=([A-Z2-7]+)/)[1]);

    await awayFromStepEdge();
    // "Verify and Save" with the code of the step before (within the window),
    // so that the current step's code is still fresh for the login below.
    const confirmed = await post('alice', '/enroll/confirm', { code: totp(secret, { now: Date.now() - 30_000 }) });
    expect(confirmed).toMatchObject({ status: 200, result: { ok: true }, events: ['enrolled'] });
    expect(confirmed.result.recoveryCodes.length).toBeGreaterThan(0);

    expect(await post('alice', '/login')).toMatchObject({ result: { step: 'code' } });
    const code = totp(secret, { now: Date.now() });
    expect(await post('alice', '/verify', { code })).toMatchObject({ result: { ok: true, method: 'totp', recoveryCodesLeft: 10 } });
    expect(await post('alice', '/verify', { code })).toMatchObject({ result: { ok: false, reason: 'replayed' } });

    // Lost the phone: pick an administrator, who is notified.
    expect(await post('alice', '/lost/administrators')).toMatchObject({ result: [{ id: 'root', name: 'Root Admin' }] });
    expect(await post('alice', '/lost/request', { to: 'root' })).toMatchObject({ status: 200, result: { to: ['root'] }, events: ['reset-requested'] });
    const pending = await post('root', '/admin/pending');
    expect(pending.result.map((entry: { userId: string }) => entry.userId)).toEqual(['alice']);
    // Only an administrator of the user may reset.
    expect(await post('bob', '/admin/reset', { user: 'alice' })).toMatchObject({ status: 400, error: 'ERR_NOT_ADMIN' });
    expect(await post('root', '/admin/reset', { user: 'alice' })).toMatchObject({ status: 200, events: expect.arrayContaining(['reset-completed']) });
    expect(await post('root', '/admin/pending')).toMatchObject({ result: [] });
    // And alice sets up again at her next login.
    expect(await post('alice', '/login')).toMatchObject({ result: { step: 'setup', required: true } });
  }, 90_000);

  it('concurrent requests in workerd: one code accepted once, postpones counted exactly', async () => {
    const { result } = await post('carol', '/enroll');
    const { secret } = parseUri(result.uri);
    await awayFromStepEdge();
    expect(await post('carol', '/enroll/confirm', { code: totp(secret, { now: Date.now() - 30_000 }) })).toMatchObject({ result: { ok: true } });
    const code = totp(secret, { now: Date.now() });
    const verifies = await Promise.all(Array.from({ length: 30 }, () => post('carol', '/verify', { code })));
    expect(verifies.filter((reply) => reply.result?.ok === true)).toHaveLength(1);
    expect(verifies.filter((reply) => reply.result?.reason === 'replayed' || reply.result?.reason === 'locked')).toHaveLength(29);

    const postpones = await Promise.all(Array.from({ length: 12 }, (_, i) => post('dave', '/postpone', { attempt: `a${i}` })));
    expect(postpones.filter((reply) => reply.status === 200)).toHaveLength(2);
    expect(postpones.filter((reply) => reply.error === 'ERR_POSTPONE_LIMIT')).toHaveLength(10);
  }, 90_000);

  it('serves otpgate/web\'s pages in workerd: the choice page, a postpone by form, the host\'s session', async () => {
    const login = await mf.dispatchFetch('http://worker/web/login', { method: 'POST', redirect: 'manual', headers: { 'x-user': 'erin' } });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/2fa');
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const page = await mf.dispatchFetch('http://worker/2fa', { headers: { cookie } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Postpone setup');
    const csrf = /name="csrf" value="([^"]*)"/.exec(html)?.[1];
    expect(csrf).toBeDefined();
    const forged = await mf.dispatchFetch('http://worker/2fa/postpone', {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=forged',
    });
    expect(forged.status).toBe(403);
    const done = await mf.dispatchFetch('http://worker/2fa/postpone', {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(csrf!)}`,
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/home');
    expect(done.headers.getSetCookie().some((line) => line.startsWith('session=erin;'))).toBe(true);
    // The pages and the JSON API share one store: the postpone was counted in erin's object.
    expect(await post('erin', '/login')).toMatchObject({ result: { step: 'setup', postponesLeft: 1 } });
  }, 90_000);
});

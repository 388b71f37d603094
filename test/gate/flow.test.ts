// The support article's flow, end to end through the gate on the memory
// store: postpone twice, forced set-up, enroll with a code the core computes
// at the clock's time, later logins, a lost phone, a request to one
// administrator and then to all, an administrator's reset, re-enrollment.
import { describe, expect, it } from 'vitest';
import { parseUri } from '../../src/enrollment/uri.js';
import { codeOf, harness } from './harness.js';

describe('the article flow', () => {
  it('runs from first login to re-enrollment, and no event carries a secret or a code', async () => {
    const h = harness();
    const { gate } = h;
    const secrets: string[] = [];
    const codes: string[] = [];
    const typed = (code: string) => (codes.push(code), code);

    // 1-2: not enrolled, required: set up now or postpone, twice only.
    expect(await gate.nextStep('alice')).toEqual({ step: 'setup', required: true, postponesLeft: 2 });
    expect(await gate.postpone('alice', { attempt: 'login-1' })).toEqual({ postponesLeft: 1, repeated: false });
    expect(await gate.postpone('alice', { attempt: 'login-1' })).toEqual({ postponesLeft: 1, repeated: true }); // double click
    h.advance(86_400_000);
    expect(await gate.nextStep('alice')).toEqual({ step: 'setup', required: true, postponesLeft: 1 });
    expect(await gate.postpone('alice', { attempt: 'login-2' })).toEqual({ postponesLeft: 0, repeated: false });
    h.advance(86_400_000);
    expect(await gate.nextStep('alice')).toEqual({ step: 'setup', required: true, postponesLeft: 0 });
    expect(await codeOf(gate.postpone('alice', { attempt: 'login-3' }))).toBe('ERR_POSTPONE_LIMIT');

    // 3: set-up, QR code or "Unable to scan?", then "Verify and Save".
    const enrollment = await gate.beginEnrollment('alice');
    secrets.push(enrollment.secret);
    const uri = parseUri(enrollment.uri);
    expect(uri).toMatchObject({ type: 'totp', issuer: 'ACME Co', account: 'alice@acme.example', secret: enrollment.secret });
    expect(enrollment.manualKey.replaceAll(' ', '')).toBe(enrollment.secret);
    expect(enrollment.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    h.advance(20_000); // a page reload while scanning brings the same secret back
    expect((await gate.beginEnrollment('alice')).secret).toBe(enrollment.secret);
    expect(await gate.confirmEnrollment('alice', typed('000000'))).toEqual({ ok: false, reason: 'invalid', attemptsLeft: 4 });
    const confirmCode = typed(h.code(enrollment.secret));
    const confirmed = await gate.confirmEnrollment('alice', confirmCode);
    if (!confirmed.ok) throw new Error('confirm failed');
    expect(confirmed.recoveryCodes).toHaveLength(10);

    // 4: every later login needs a fresh code; a used one never works again.
    expect(await gate.nextStep('alice')).toEqual({ step: 'code' });
    expect(await gate.verify('alice', confirmCode)).toEqual({ ok: false, reason: 'replayed' });
    h.advance(30_000);
    const login = typed(h.code(enrollment.secret));
    expect(await gate.verify('alice', login)).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(await gate.verify('alice', login)).toEqual({ ok: false, reason: 'replayed' });
    h.advance(86_400_000);
    expect(await gate.verify('alice', typed(h.code(enrollment.secret)))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });

    // 5: lost phone: pick one administrator, then "Send to all".
    h.advance(86_400_000);
    expect(await gate.administrators('alice')).toEqual([{ id: 'root', name: 'ROOT' }, { id: 'carol', name: 'CAROL' }]);
    const toRoot = await gate.requestReset('alice', { to: 'root' });
    expect(toRoot.to).toEqual(['root']);
    expect(h.events.at(-1)).toMatchObject({ type: 'reset-requested', userId: 'alice', to: ['root'], requestId: toRoot.requestId });
    expect(await codeOf(gate.requestReset('alice', { to: 'root' }))).toBe('ERR_COOLDOWN'); // no spam
    const toAll = await gate.requestReset('alice', { to: 'all' });
    expect(toAll).toMatchObject({ requestId: toRoot.requestId, to: ['carol'] }); // root was told a moment ago
    expect((await gate.pendingResets('root')).map((p) => p.userId)).toEqual(['alice']);
    expect(await gate.pendingResets('carol')).toEqual([
      { userId: 'alice', requestId: toRoot.requestId, to: ['root', 'carol'], requestedAt: h.now, expiresAt: h.now + 72 * 3_600_000 },
    ]);
    expect(await gate.pendingResets('bob')).toEqual([]);

    // An administrator resets; the other sees it was handled.
    h.advance(3_600_000);
    expect(await gate.reset('root', 'alice')).toEqual({ ok: true, notified: true });
    expect(h.events.at(-1)).toMatchObject({ type: 'reset-completed', userId: 'alice', actor: 'root', requestId: toRoot.requestId });
    expect(await gate.reset('carol', 'alice')).toMatchObject({ ok: false, reason: 'already-handled', handled: { kind: 'reset', by: 'root' } });
    expect(await gate.pendingResets('carol')).toEqual([]);

    // The user enrolls again at the next login: mandatory, no postpones.
    expect(await gate.nextStep('alice')).toEqual({ step: 'setup', required: true, postponesLeft: 0 });
    expect(await codeOf(gate.postpone('alice', { attempt: 'login-9' }))).toBe('ERR_POSTPONE_NOT_ALLOWED');
    expect(await gate.verify('alice', typed(h.code(enrollment.secret)))).toEqual({ ok: false, reason: 'not-enrolled' });
    const again = await gate.beginEnrollment('alice');
    secrets.push(again.secret);
    expect(again.secret).not.toBe(enrollment.secret);
    const reconfirmed = await gate.confirmEnrollment('alice', typed(h.code(again.secret)));
    expect(reconfirmed.ok).toBe(true);
    h.advance(30_000);
    expect(await gate.verify('alice', typed(h.code(enrollment.secret)))).toEqual({ ok: false, reason: 'invalid' });
    expect(await gate.verify('alice', typed(h.code(again.secret)))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    // The recovery codes of the first enrollment died with it.
    expect(await gate.verify('alice', confirmed.recoveryCodes[0]!)).toEqual({ ok: false, reason: 'invalid' });

    // Every transition was announced, in order, and all were delivered.
    expect(h.events.map((e) => e.type)).toEqual([
      'postponed',
      'postponed',
      'enrollment-started',
      'code-refused',
      'enrolled',
      'code-refused',
      'verified',
      'code-refused',
      'verified',
      'reset-requested',
      'reset-requested',
      'reset-completed',
      'enrollment-started',
      'enrolled',
      'code-refused',
      'verified',
      'code-refused',
    ]);
    expect((await h.record('alice')).outbox).toEqual([]);
    for (const event of h.events) {
      expect(event).toMatchObject({ userId: 'alice', id: expect.stringMatching(/^[0-9a-f]{32}\.\d+\.\d+$/), at: expect.any(Number) });
    }
    expect(new Set(h.events.map((e) => e.id)).size).toBe(h.events.length);

    // No event carries a secret, a one-time code or a recovery code.
    const json = JSON.stringify(h.events);
    const recovery = [...confirmed.recoveryCodes, ...(reconfirmed.ok ? reconfirmed.recoveryCodes : [])];
    for (const secret of secrets) expect(json).not.toContain(secret);
    // Digits inside a longer number (a timestamp) are not a code.
    for (const code of codes) expect(json).not.toMatch(new RegExp(`(?<![0-9])${code}(?![0-9])`));
    for (const code of recovery) {
      expect(json).not.toContain(code);
      expect(json).not.toContain(code.replaceAll('-', ''));
    }
    expect(codes.length).toBeGreaterThan(5);
  });
});

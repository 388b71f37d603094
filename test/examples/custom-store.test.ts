import { describe, expect, it } from 'vitest';
import { createMapStore } from '../../examples/custom-store.js';
import { createGate, hotp, parseUri, type GateEvent } from '../../src/index.js';
import { describeStoreContract } from '../stores/contract.js';

// The same conformance suite every shipped store passes.
describeStoreContract('examples/custom-store.ts', () => createMapStore());

describe('examples/custom-store.ts under the gate', () => {
  it('carries a whole enrollment, a login, a refused replay and an administrator reset', async () => {
    const events: GateEvent[] = [];
    let now = Date.UTC(2026, 0, 1);
    const gate = createGate({
      store: createMapStore(),
      issuer: 'ACME',
      clock: { now: () => now },
      directory: {
        administratorsOf: async () => [{ id: 'root', name: 'Root' }],
        isAdministratorOf: async (adminId, userId) => adminId === 'root' && userId !== 'root',
      },
      notifier: { notify: async (event) => void events.push(event) },
    });
    const enrollment = await gate.beginEnrollment('alice');
    const { secret } = parseUri(enrollment.uri);
    // hotp at the TOTP step: the code an authenticator shows at `now`.
    const codeAt = (ms: number) => hotp(secret, Math.floor(ms / 30_000));
    expect(await gate.confirmEnrollment('alice', codeAt(now))).toMatchObject({ ok: true });
    now += 30_000;
    expect(await gate.verify('alice', codeAt(now))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(await gate.verify('alice', codeAt(now))).toMatchObject({ ok: false, reason: 'replayed' });
    await gate.requestReset('alice', { to: 'root' });
    expect((await gate.pendingResets('root')).map((pending) => pending.userId)).toEqual(['alice']);
    expect(await gate.reset('root', 'alice')).toEqual({ ok: true, notified: true });
    expect(await gate.nextStep('alice')).toEqual({ step: 'setup', required: true, postponesLeft: 0 });
    const lifecycle = new Set(['enrollment-started', 'enrolled', 'reset-requested', 'reset-completed']);
    expect(events.map((event) => event.type).filter((type) => lifecycle.has(type))).toEqual([
      'enrollment-started',
      'enrolled',
      'reset-requested',
      'reset-completed',
    ]);
  });
});

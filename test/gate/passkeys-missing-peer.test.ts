// Without the optional peer @simplewebauthn/server, the passkey methods
// refuse with ERR_OPTIONS saying what to install, before anything is stored;
// everything else works as before (the gate never imports it otherwise).
import { describe, expect, it, vi } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import { harness } from './harness.js';
import { fixture, RP } from './passkey-fixtures.js';

vi.mock('@simplewebauthn/server', () => {
  throw new Error("Cannot find package '@simplewebauthn/server'");
});

async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isOtpError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('resolved');
}

describe('without @simplewebauthn/server', () => {
  it('every passkey method is ERR_OPTIONS naming the package, and stores nothing', async () => {
    const h = harness();
    // One at a time: vitest hands a second, concurrent import of a failing mock the real module.
    const calls = [
      () => h.gate.beginPasskeyRegistration('alice', RP),
      () => h.gate.confirmPasskeyRegistration('alice', fixture.registration.response),
      () => h.gate.beginPasskeyLogin('alice', RP),
      () => h.gate.verifyPasskey('alice', fixture.logins[0].response),
      () => h.gate.disable('alice', { passkey: fixture.logins[0].response }),
    ];
    for (const call of calls) {
      const { code, message } = await errorOf(call());
      expect(code).toBe('ERR_OPTIONS');
      expect(message).toContain('npm install @simplewebauthn/server');
    }
    expect(await h.store.get('alice')).toBeNull();
  });

  it('codes work as before', async () => {
    const h = harness();
    const { secret } = await h.gate.beginEnrollment('alice');
    expect(await h.gate.confirmEnrollment('alice', h.code(secret))).toMatchObject({ ok: true });
    expect(await h.gate.authenticators('alice')).toMatchObject([{ type: 'totp' }]);
  });
});

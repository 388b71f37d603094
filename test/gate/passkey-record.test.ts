// parseGateRecord on the passkey fields (issue 15), in the style of
// test/mutation/record-survivors.test.ts: every field the parser checks,
// corrupted on its own, is refused as ERR_STORE naming that field; the forms
// a valid record takes pass; records written before passkeys (no passkey
// fields at all) load unchanged.
import { describe, expect, it } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import { parseGateRecord } from '../../src/gate/record.js';
import { createGate, createMemoryStore } from '../../src/index.js';

const NOW = Date.UTC(2026, 5, 1);

/** A user enrolled by a passkey only, with a used and a live challenge. */
function passkeyRecord(): Record<string, any> {
  return {
    schema: 1,
    state: 'enrolled',
    postpones: { used: 0, attempts: [], lastAt: null },
    voluntary: false,
    mustEnroll: false,
    pending: null,
    active: null,
    throttle: { failures: 0, locks: 0, lockedUntil: null, hardStop: false },
    recoveryCodes: [],
    resetRequest: null,
    lastResolution: null,
    outbox: [],
    passkeys: [
      {
        id: 'k1',
        credentialId: 'R92F7_1VaTVIxhnRVqVAQG34ZfQ1XjX6Xjh4hLO8I18',
        publicKey: 'pAEBAycgBiFYIBBrc49QmzV48vi1lJsFSHBOHziQZp1A6St5nKugbjWb',
        counter: 3,
        transports: ['internal'],
        rpId: 'example.com',
        label: 'Laptop',
        createdAt: NOW - 86_400_000,
        lastUsedAt: NOW - 60_000,
      },
    ],
    passkeyChallenges: [
      { challenge: 'AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI', kind: 'login', rpId: 'example.com', origins: ['https://example.com'], createdAt: NOW - 60_000, expiresAt: NOW + 240_000, used: true },
      { challenge: 'AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM', kind: 'registration', rpId: 'example.com', origins: ['https://example.com', 'https://a.example.com'], createdAt: NOW, expiresAt: NOW + 300_000, used: false, label: 'Key' },
    ],
    passkeyUser: 'dXNlci1oYW5kbGUtMzItYnl0ZXMtbG9uZy1lbm91Z2g',
  };
}

type Patch = (r: Record<string, any>) => void;

function reason(patch: Patch): string {
  const record = passkeyRecord();
  patch(record);
  try {
    parseGateRecord(record);
    return 'accepted';
  } catch (error) {
    if (!isOtpError(error)) throw error;
    expect(error.code).toBe('ERR_STORE');
    return error.message.replace('the stored 2-step verification record cannot be read: ', '');
  }
}

describe('parseGateRecord: passkeys', () => {
  it('accepts a passkey-only user, whom the gate reads as enrolled', async () => {
    expect(reason(() => {})).toBe('accepted');
    const store = createMemoryStore();
    await store.compareAndSet('alice', null, passkeyRecord() as never);
    const gate = createGate({ store, issuer: 'ACME', clock: { now: () => NOW } });
    expect(await gate.nextStep('alice')).toEqual({ step: 'code' });
    expect(await gate.authenticators('alice')).toEqual([{ id: 'k1', type: 'passkey', label: 'Laptop', createdAt: NOW - 86_400_000, lastUsedAt: NOW - 60_000 }]);
  });

  it.each<[string, Patch]>([
    ['a record from before passkeys (no passkey field at all)', (r) => ((r.state = 'none'), delete r.passkeys, delete r.passkeyChallenges, delete r.passkeyUser)],
    ['no passkey yet, challenges handed out', (r) => ((r.state = 'none'), (r.passkeys = []))],
    ['a passkey never used', (r) => (r.passkeys[0].lastUsedAt = null)],
    ['an authenticator without a counter', (r) => (r.passkeys[0].counter = 0)],
    ['no transports reported', (r) => (r.passkeys[0].transports = [])],
    ['no challenge', (r) => (r.passkeyChallenges = [])],
    ['no user handle yet', (r) => delete r.passkeyUser],
    ['a passkey beside an app', (r) => (r.active = { secret: 'GEZDGNBVGY3TQOJQ', wrapped: false, algorithm: 'SHA1', digits: 6, period: 30, enrolledAt: NOW, lastStep: 1, drift: 0 })],
  ])('accepts %s', (_, patch) => {
    expect(reason(patch)).toBe('accepted');
  });

  it.each<[string, Patch, string]>([
    ['passkeys not a list', (r) => (r.passkeys = {}), 'passkeys is malformed'],
    ['a passkey that is not an object', (r) => (r.passkeys = ['k1']), 'passkeys is malformed'],
    ['a passkey without an id', (r) => delete r.passkeys[0].id, 'passkeys is malformed'],
    ['a credential id that is not base64url', (r) => (r.passkeys[0].credentialId = 'R92F7+1V/aTVI='), 'passkeys is malformed'],
    ['an empty credential id', (r) => (r.passkeys[0].credentialId = ''), 'passkeys is malformed'],
    ['a public key that is not base64url', (r) => (r.passkeys[0].publicKey = 'pA EB'), 'passkeys is malformed'],
    ['a missing public key', (r) => delete r.passkeys[0].publicKey, 'passkeys is malformed'],
    ['a negative counter', (r) => (r.passkeys[0].counter = -1), 'passkeys is malformed'],
    ['a fractional counter', (r) => (r.passkeys[0].counter = 1.5), 'passkeys is malformed'],
    ['a counter as text', (r) => (r.passkeys[0].counter = '3'), 'passkeys is malformed'],
    ['transports not a list of strings', (r) => (r.passkeys[0].transports = [1]), 'passkeys is malformed'],
    ['no RP id', (r) => delete r.passkeys[0].rpId, 'passkeys is malformed'],
    ['no label', (r) => delete r.passkeys[0].label, 'passkeys is malformed'],
    ['createdAt not a time', (r) => (r.passkeys[0].createdAt = 'yesterday'), 'passkeys is malformed'],
    ['lastUsedAt missing', (r) => delete r.passkeys[0].lastUsedAt, 'passkeys is malformed'],
    ['a passkey but state none', (r) => (r.state = 'none'), 'its state disagrees with its secrets'],
    ['no passkey, no secret, state enrolled', (r) => (r.passkeys = []), 'its state disagrees with its secrets'],
    ['challenges not a list', (r) => (r.passkeyChallenges = {}), 'passkeyChallenges is malformed'],
    ['a challenge that is not base64url', (r) => (r.passkeyChallenges[0].challenge = 'a/b'), 'passkeyChallenges is malformed'],
    ['a challenge of another kind', (r) => (r.passkeyChallenges[0].kind = 'signup'), 'passkeyChallenges is malformed'],
    ['a challenge without an RP id', (r) => delete r.passkeyChallenges[0].rpId, 'passkeyChallenges is malformed'],
    ['a challenge without origins', (r) => (r.passkeyChallenges[0].origins = []), 'passkeyChallenges is malformed'],
    ['origins not strings', (r) => (r.passkeyChallenges[0].origins = [null]), 'passkeyChallenges is malformed'],
    ['a challenge without an expiry', (r) => delete r.passkeyChallenges[0].expiresAt, 'passkeyChallenges is malformed'],
    ['a challenge without createdAt', (r) => delete r.passkeyChallenges[0].createdAt, 'passkeyChallenges is malformed'],
    ['used not a flag', (r) => (r.passkeyChallenges[0].used = 'yes'), 'passkeyChallenges is malformed'],
    ['a label that is not text', (r) => (r.passkeyChallenges[1].label = 7), 'passkeyChallenges is malformed'],
    ['a challenge that is null', (r) => (r.passkeyChallenges = [null]), 'passkeyChallenges is malformed'],
    ['a user handle that is not base64url', (r) => (r.passkeyUser = 'a b'), 'passkeyUser is malformed'],
    ['a user handle that is not text', (r) => (r.passkeyUser = 42), 'passkeyUser is malformed'],
  ])('refuses %s', (_, patch, why) => {
    expect(reason(patch)).toBe(why);
  });
});

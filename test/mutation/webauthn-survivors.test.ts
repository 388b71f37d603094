// Written from the mutants that survived Stryker on the gate's WebAuthn glue
// (webauthn.ts) and on the small parts beside it (queue.ts, record.ts,
// outbox.ts). The decision refuses an answer to a missing, used or expired
// challenge on its own reading, so the verdicts of checkAssertion and
// checkRegistration are checked here directly, against the real
// @simplewebauthn/server and a software authenticator: a verdict is never
// `verified` for what the record does not allow, and a refusal is always the
// exact `{ verified: false, … }` the types promise.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoCBOR, decodeAttestationObject, isoBase64URL } from '@simplewebauthn/server/helpers';
import { isOtpError } from '../../src/errors.js';
import type { GateEvent } from '../../src/gate/events.js';
import { enqueue, OUTBOX_LIMIT, settleOutbox } from '../../src/gate/outbox.js';
import { createKeyedQueue } from '../../src/gate/queue.js';
import { initialRecord, parseGateRecord, type GateRecord, type OutboxEntry } from '../../src/gate/record.js';
import { checkAssertion, checkRegistration, loadWebAuthn, loginOptions, registrationOptions, type WebAuthnServer } from '../../src/gate/webauthn.js';
import type { RegistrationResponseJSON } from '../../src/gate/webauthn-json.js';
import { T0 } from '../gate/fixtures.js';
import { harness } from '../gate/harness.js';
import { SoftPasskey } from '../gate/soft-passkey.js';
import { passkeyUser, RP } from './rig.js';

/** The error a promise rejects with, as code and message (and cause), or a failure if it resolves or throws something else. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; cause: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (isOtpError(error)) return { code: error.code, message: error.message, cause: error.cause };
    throw error;
  }
  throw new Error('resolved');
}

const server = (): Promise<WebAuthnServer> => loadWebAuthn();

/** Alice with one software passkey, and a login challenge answered by it (not yet sent to the gate). */
async function loginScene(key = new SoftPasskey()) {
  const h = harness();
  await passkeyUser(h, 'alice', key);
  const login = await h.gate.beginPasskeyLogin('alice', RP);
  const response = key.login(login, RP.origin);
  const record = await h.record('alice');
  const challenge = record.passkeyChallenges!.find((c) => c.challenge === login.challenge)!;
  return { h, key, response, record, challenge, claim: { challenge: login.challenge, credentialId: key.id } };
}

/** Alice with a registration challenge, answered by a fresh software passkey (not yet sent to the gate). */
async function registrationScene(key = new SoftPasskey()) {
  const h = harness();
  const options = await h.gate.beginPasskeyRegistration('alice', RP);
  const response = key.register(options, RP.origin);
  const record = await h.record('alice');
  const challenge = record.passkeyChallenges!.find((c) => c.challenge === options.challenge)!;
  return { h, key, options, response, record, challenge, claim: { challenge: options.challenge, credentialId: key.id } };
}

describe('loadWebAuthn', () => {
  afterEach(() => {
    vi.doUnmock('@simplewebauthn/server');
    vi.resetModules();
  });

  /** loadWebAuthn of a fresh module graph in which @simplewebauthn/server is `factory`'s. */
  async function loadWith(factory: () => Record<string, unknown>) {
    vi.resetModules();
    vi.doMock('@simplewebauthn/server', factory);
    const fresh = await import('../../src/gate/webauthn.js');
    return failure(fresh.loadWebAuthn());
  }

  it('without the peer dependency: ERR_OPTIONS saying what to install, with the import failure as its cause', async () => {
    const missing = new Error("Cannot find package '@simplewebauthn/server'");
    const { code, message, cause } = await loadWith(() => {
      throw missing;
    });
    expect(code).toBe('ERR_OPTIONS');
    expect(message).toBe('passkeys need the optional peer dependency @simplewebauthn/server (v13): npm install @simplewebauthn/server');
    // The import's failure is the cause (Vitest wraps a failing mock factory in one error of its own).
    const chain: unknown[] = [];
    for (let c = cause; c instanceof Error && chain.length < 5; c = c.cause) chain.push(c);
    expect(chain).toContain(missing);
  });

  const fn = async () => ({});
  it.each([
    // (Vitest's module mock refuses to read an export it was not given, so "missing" is `undefined`.)
    ['verifyAuthenticationResponse missing', { verifyAuthenticationResponse: undefined, generateRegistrationOptions: fn, generateAuthenticationOptions: fn, verifyRegistrationResponse: fn }],
    ['generateRegistrationOptions missing', { verifyAuthenticationResponse: fn, generateRegistrationOptions: undefined, generateAuthenticationOptions: fn, verifyRegistrationResponse: fn }],
    ['neither a function (another major version)', { verifyAuthenticationResponse: {}, generateRegistrationOptions: 'v14' }],
  ])('a version without the functions it needs (%s) is ERR_OPTIONS naming the supported one', async (_, module) => {
    const { code, message } = await loadWith(() => module);
    expect(code).toBe('ERR_OPTIONS');
    expect(message).toBe('the installed @simplewebauthn/server is not a version the gate supports (v13)');
  });

  it('the installed v13 loads', async () => {
    const loaded = await loadWebAuthn();
    expect(typeof loaded.verifyAuthenticationResponse).toBe('function');
    expect(typeof loaded.generateRegistrationOptions).toBe('function');
  });
});

describe('checkAssertion', () => {
  it('verifies an answer to a live login challenge of the record, from its passkey', async () => {
    const { response, record, claim, h } = await loginScene();
    expect(await checkAssertion(await server(), record, response, claim, h.now, 'preferred')).toEqual({ verified: true, newCounter: 2 });
  });

  it('an answer to an expired challenge is not verified, though its signature holds', async () => {
    const { response, record, claim, challenge } = await loginScene();
    expect(await checkAssertion(await server(), record, response, claim, challenge.expiresAt - 1, 'preferred')).toEqual({ verified: true, newCounter: 2 });
    expect(await checkAssertion(await server(), record, response, claim, challenge.expiresAt, 'preferred')).toEqual({ verified: false, newCounter: 0 });
  });

  it('an answer to a used challenge is not verified', async () => {
    const { response, record, claim, h } = await loginScene();
    const used: GateRecord = { ...record, passkeyChallenges: record.passkeyChallenges!.map((c) => (c.challenge === claim.challenge ? { ...c, used: true } : c)) };
    expect(await checkAssertion(await server(), used, response, claim, h.now, 'preferred')).toEqual({ verified: false, newCounter: 0 });
  });

  it('an answer naming no login challenge of the record is not verified (and does not throw)', async () => {
    const { response, record, claim, h } = await loginScene();
    expect(await checkAssertion(await server(), record, response, { ...claim, challenge: 'AAAA' }, h.now, 'preferred')).toEqual({ verified: false, newCounter: 0 });
    // A registration challenge is not a login challenge.
    const registration = record.passkeyChallenges!.find((c) => c.kind === 'registration')!;
    expect(await checkAssertion(await server(), record, response, { ...claim, challenge: registration.challenge }, h.now, 'preferred')).toEqual({ verified: false, newCounter: 0 });
  });

  it('an answer from a credential the record does not hold, or whose stored key is unreadable, is not verified', async () => {
    const { response, record, claim, h } = await loginScene();
    expect(await checkAssertion(await server(), record, response, { ...claim, credentialId: 'AAAA' }, h.now, 'preferred')).toEqual({ verified: false, newCounter: 0 });
    const broken: GateRecord = { ...record, passkeys: record.passkeys!.map((p) => ({ ...p, publicKey: 'not base64url!' })) };
    expect(await checkAssertion(await server(), broken, response, claim, h.now, 'preferred')).toEqual({ verified: false, newCounter: 0 });
  });

  it('without user verification: verified where it is preferred, not where it is required', async () => {
    const { response, record, claim, h } = await loginScene(new SoftPasskey({ uv: false }));
    expect(await checkAssertion(await server(), record, response, claim, h.now, 'required')).toEqual({ verified: false, newCounter: 0 });
    expect(await checkAssertion(await server(), record, response, claim, h.now, 'preferred')).toEqual({ verified: true, newCounter: 2 });
  });

  it('an answer the library refuses (another origin) is exactly { verified: false, newCounter: 0 }', async () => {
    const { key, record, claim, h } = await loginScene();
    const login = record.passkeyChallenges!.find((c) => c.challenge === claim.challenge)!;
    const forged = key.login({ challenge: login.challenge, rpId: RP.rpId }, RP.origin, { origin: 'https://evil.example' });
    expect(await checkAssertion(await server(), record, forged, claim, h.now, 'preferred')).toEqual({ verified: false, newCounter: 0 });
  });
});

describe('checkRegistration', () => {
  it('verifies an answer to a live registration challenge, with the credential it made', async () => {
    const { response, record, claim, h, key } = await registrationScene();
    const check = await checkRegistration(await server(), record, response, claim, h.now, 'preferred');
    expect(check).toEqual({ verified: true, credentialId: key.id, publicKey: expect.stringMatching(/^[A-Za-z0-9_-]+$/), counter: 1, transports: ['internal', 'hybrid'] });
  });

  it('an answer to an expired challenge is exactly { verified: false }', async () => {
    const { response, record, claim, challenge } = await registrationScene();
    expect(await checkRegistration(await server(), record, response, claim, challenge.expiresAt - 1, 'preferred')).toMatchObject({ verified: true });
    expect(await checkRegistration(await server(), record, response, claim, challenge.expiresAt, 'preferred')).toEqual({ verified: false });
  });

  it('an answer naming no registration challenge of the record is exactly { verified: false } (and does not throw)', async () => {
    const { response, record, claim, h } = await registrationScene();
    expect(await checkRegistration(await server(), record, response, { ...claim, challenge: 'AAAA' }, h.now, 'preferred')).toEqual({ verified: false });
  });

  it('an answer the library refuses (another origin) is exactly { verified: false }', async () => {
    const { options, record, claim, h } = await registrationScene();
    const forged = new SoftPasskey().register(options, RP.origin, { origin: 'https://evil.example' });
    expect(await checkRegistration(await server(), record, forged, claim, h.now, 'preferred')).toEqual({ verified: false });
  });

  it('an attestation whose signature does not hold (the library says verified: false) is exactly { verified: false }', async () => {
    const key = new SoftPasskey({ alg: 'Ed25519' });
    const { response, record, claim, h } = await registrationScene(key);
    // The same answer with a "packed" self-attestation signed by nobody: the
    // library checks the signature and returns verified: false without throwing.
    const attestation = decodeAttestationObject(isoBase64URL.toBuffer(response.response.attestationObject));
    const packed = new Map<string, unknown>([
      ['fmt', 'packed'],
      ['attStmt', new Map<string, unknown>([['alg', -8], ['sig', new Uint8Array(64)]])],
      ['authData', attestation.get('authData')],
    ]);
    const bad: RegistrationResponseJSON = { ...response, response: { ...response.response, attestationObject: isoBase64URL.fromBuffer(isoCBOR.encode(packed as never)) } };
    const lib = await server();
    const raw = await lib.verifyRegistrationResponse({ response: bad as never, expectedChallenge: claim.challenge, expectedOrigin: RP.origin, expectedRPID: RP.rpId });
    expect(raw.verified).toBe(false);
    expect(await checkRegistration(lib, record, bad, claim, h.now, 'preferred')).toEqual({ verified: false });
  });
});

describe('the options handed to the browser', () => {
  const CHALLENGE = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
  const input = { rpId: RP.rpId, rpName: RP.rpName, userName: 'alice@acme.example', userHandle: 'AQIDBA', challenge: CHALLENGE, timeout: 300_000, exclude: [], userVerification: 'preferred' as const };

  it('a passkey stored without transports is listed by id alone, through the gate', async () => {
    const h = harness();
    const key = new SoftPasskey();
    const answer = key.register(await h.gate.beginPasskeyRegistration('alice', RP), RP.origin);
    const { transports: _, ...withoutTransports } = answer.response;
    const confirmed = await h.gate.confirmPasskeyRegistration('alice', { ...answer, response: withoutTransports });
    expect(confirmed).toMatchObject({ ok: true });
    expect((await h.record('alice')).passkeys![0]!.transports).toEqual([]);
    const options = await h.gate.beginPasskeyLogin('alice', RP);
    expect(options.allowCredentials).toStrictEqual([{ id: key.id, type: 'public-key' }]);
  });

  it('descriptors keep their transports when there are some, and have no transports key when there are none or they are left out', async () => {
    const lib = await server();
    const exclude = [
      { id: 'AQID', type: 'public-key' as const, transports: ['usb' as const] },
      { id: 'BAUG', type: 'public-key' as const, transports: [] },
      { id: 'BwgJ', type: 'public-key' as const },
    ];
    const created = await registrationOptions(lib, { ...input, exclude });
    expect(created.excludeCredentials).toStrictEqual([
      { id: 'AQID', type: 'public-key', transports: ['usb'] },
      { id: 'BAUG', type: 'public-key' },
      { id: 'BwgJ', type: 'public-key' },
    ]);
    const requested = await loginOptions(lib, { rpId: RP.rpId, challenge: CHALLENGE, timeout: 300_000, allow: exclude, userVerification: 'required' });
    expect(requested.allowCredentials).toStrictEqual([
      { id: 'AQID', type: 'public-key', transports: ['usb'] },
      { id: 'BAUG', type: 'public-key' },
      { id: 'BwgJ', type: 'public-key' },
    ]);
    expect(requested.challenge).toBe(CHALLENGE);
    expect(created.challenge).toBe(CHALLENGE);
    expect(created.user.id).toBe('AQIDBA');
  });

  it('a stored challenge or user handle that is not base64url is ERR_STORE, not a random challenge or a crash', async () => {
    const lib = await server();
    const bad = { code: 'ERR_STORE', message: 'a stored passkey value is not base64url', cause: undefined };
    expect(await failure(registrationOptions(lib, { ...input, userHandle: 'not base64url!' }))).toEqual(bad);
    expect(await failure(registrationOptions(lib, { ...input, challenge: 'not base64url!' }))).toEqual(bad);
    expect(await failure(loginOptions(lib, { rpId: RP.rpId, challenge: 'not base64url!', timeout: 300_000, allow: [], userVerification: 'preferred' }))).toEqual(bad);
  });
});

describe('the keyed queue keeps nothing for an idle key', () => {
  it('a call for a key with nothing queued starts its work at once, also after earlier calls for it are done', async () => {
    const queue = createKeyedQueue();
    const started: string[] = [];
    const first = queue('alice', async () => started.push('first'));
    // Started synchronously, within the call: it waited for nothing.
    expect(started).toEqual(['first']);
    await first;
    const second = queue('alice', async () => started.push('second'));
    // Its key was freed when the first call ended, so it waits for nothing either.
    expect(started).toEqual(['first', 'second']);
    await second;
  });
});

describe('parseGateRecord: remembered devices', () => {
  it('a device whose hash is a list holding the right hex is malformed', () => {
    const hash = 'ab'.repeat(32);
    const device = { id: 'd1', hash, label: 'Laptop', createdAt: T0, expiresAt: T0 + 1000 };
    expect(parseGateRecord({ ...initialRecord(), devices: [device] }).devices).toEqual([device]);
    let code = '';
    let message = '';
    try {
      parseGateRecord({ ...initialRecord(), devices: [{ ...device, hash: [hash] }] });
    } catch (error) {
      if (!isOtpError(error)) throw error;
      ({ code, message } = error);
    }
    expect({ code, message }).toEqual({ code: 'ERR_STORE', message: 'the stored 2-step verification record cannot be read: devices is malformed' });
  });
});

describe('outbox', () => {
  function event(id: string): GateEvent {
    return { id, userId: 'alice', actor: 'alice', at: T0, type: 'postponed', postponesLeft: 1 } as unknown as GateEvent;
  }
  const entry = (ev: GateEvent): OutboxEntry => ({ event: ev, claim: null, attempts: 0 });
  const summary = () => ({ id: 'sum', userId: 'alice', actor: 'alice', at: T0, type: 'events-dropped' as const });

  it('at exactly the limit, enqueue keeps every entry as it was and drops nothing', () => {
    const outbox = Array.from({ length: OUTBOX_LIMIT - 1 }, (_, i) => entry(event(`e${i}`)));
    expect(enqueue(outbox, [event('new')], summary)).toEqual([...outbox, entry(event('new'))]);
  });

  it('settling a record without cool-downs adds no cooldowns key', () => {
    const record: GateRecord = { ...initialRecord(), state: 'enrolled', outbox: [{ event: event('e1'), claim: { token: 'mine', until: T0 + 60_000 }, attempts: 0 }] };
    const next = settleOutbox(record, new Map([['e1', { token: 'mine', outcome: 'untried', at: T0 }]]));
    expect(next).toStrictEqual({ ...record, outbox: [{ event: event('e1'), claim: null, attempts: 0 }] });
    expect(Object.keys(next)).not.toContain('cooldowns');
  });
});

// The software authenticator of the flow's unit tests, checked once against
// @simplewebauthn/server itself: its answers verify like a browser's, the counter
// rises, and a clone's answer is signed right but its counter is refused.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { SoftAuthenticator } from './soft-authenticator.js';

const origin = 'https://login.example.com';
const rpID = 'example.com';

async function registered() {
  const authenticator = new SoftAuthenticator();
  const options = await generateRegistrationOptions({ rpName: 'Example', rpID, userName: 'alice', userID: new Uint8Array([1, 2, 3]) });
  const response = authenticator.register(options, origin) as unknown as RegistrationResponseJSON;
  const result = await verifyRegistrationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: true });
  return { authenticator, result };
}

async function login(authenticator: SoftAuthenticator, credential: WebAuthnCredential, expectedOrigin = origin) {
  const options = await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: credential.id }] });
  const response = authenticator.login(options, origin) as unknown as AuthenticationResponseJSON;
  return verifyAuthenticationResponse({ response, expectedChallenge: options.challenge, expectedOrigin, expectedRPID: rpID, credential, requireUserVerification: true });
}

describe('SoftAuthenticator', () => {
  it('registers: attestation none, user verified, the credential id it names', async () => {
    const { authenticator, result } = await registered();
    expect(result.verified).toBe(true);
    expect(result.registrationInfo!.userVerified).toBe(true);
    expect(result.registrationInfo!.fmt).toBe('none');
    expect(result.registrationInfo!.credential.id).toBe(Buffer.from(authenticator.credentialId).toString('base64url'));
    expect(result.registrationInfo!.credential.counter).toBe(1);
  });

  it('logs in twice with a rising counter; another origin is refused', async () => {
    const { authenticator, result } = await registered();
    const credential = result.registrationInfo!.credential;
    const one = await login(authenticator, credential);
    expect(one.verified).toBe(true);
    expect(one.authenticationInfo.newCounter).toBe(2);
    const two = await login(authenticator, { ...credential, counter: 2 });
    expect(two.authenticationInfo.newCounter).toBe(3);
    await expect(login(authenticator, { ...credential, counter: 3 }, 'https://evil.example.com')).rejects.toThrow(/origin/);
  });

  it("a clone signs with the same key, but its counter goes backwards", async () => {
    const { authenticator, result } = await registered();
    const credential = result.registrationInfo!.credential;
    await login(authenticator, credential);
    await login(authenticator, { ...credential, counter: 2 });
    const clone = authenticator.clone(0);
    expect((await login(clone, { ...credential, counter: 0 })).verified).toBe(true);
    await expect(login(authenticator.clone(0), { ...credential, counter: 4 })).rejects.toThrow(/counter/);
  });
});

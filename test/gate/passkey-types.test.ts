// otpgate declares WebAuthn's JSON shapes itself, so that its types do not
// need the optional @simplewebauthn/server. They must stay interchangeable
// with @simplewebauthn's own, both ways: what `startRegistration` and
// `startAuthentication` (@simplewebauthn/browser) resolve goes into the gate,
// and what the gate hands out goes into them. The assignments below are
// checked by `npm run typecheck` (tsc includes test/); a field that drifts
// fails it. At run time the same values pass through the gate.
import type * as Browser from '@simplewebauthn/browser';
import type * as Server from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '../../src/index.js';
import { harness } from './harness.js';
import { SoftPasskey } from './soft-passkey.js';

// From the browser library into the gate.
export const fromBrowserRegistration = (r: Browser.RegistrationResponseJSON): RegistrationResponseJSON => r;
export const fromBrowserAuthentication = (r: Browser.AuthenticationResponseJSON): AuthenticationResponseJSON => r;
export const fromServerRegistration = (r: Server.RegistrationResponseJSON): RegistrationResponseJSON => r;
export const fromServerAuthentication = (r: Server.AuthenticationResponseJSON): AuthenticationResponseJSON => r;
// From the gate into the browser library, and back into the server library's types.
export const toBrowserCreation = (o: PublicKeyCredentialCreationOptionsJSON): Browser.PublicKeyCredentialCreationOptionsJSON => o;
export const toBrowserRequest = (o: PublicKeyCredentialRequestOptionsJSON): Browser.PublicKeyCredentialRequestOptionsJSON => o;
export const toServerCreation = (o: PublicKeyCredentialCreationOptionsJSON): Server.PublicKeyCredentialCreationOptionsJSON => o;
export const toServerRequest = (o: PublicKeyCredentialRequestOptionsJSON): Server.PublicKeyCredentialRequestOptionsJSON => o;
export const fromServerCreation = (o: Server.PublicKeyCredentialCreationOptionsJSON): PublicKeyCredentialCreationOptionsJSON => o;
export const fromServerRequest = (o: Server.PublicKeyCredentialRequestOptionsJSON): PublicKeyCredentialRequestOptionsJSON => o;
// And the answers back out, for hosts that hold them in the libraries' types.
export const toBrowserRegistration = (r: RegistrationResponseJSON): Browser.RegistrationResponseJSON => r;
export const toBrowserAuthentication = (r: AuthenticationResponseJSON): Browser.AuthenticationResponseJSON => r;

describe("otpgate's WebAuthn types and @simplewebauthn's", () => {
  it('an answer typed by the browser library goes into the gate as it is', async () => {
    const h = harness();
    const rp = { rpId: 'example.com', origin: 'https://example.com' };
    const options: Browser.PublicKeyCredentialCreationOptionsJSON = toBrowserCreation(await h.gate.beginPasskeyRegistration('alice', rp));
    const answer: Browser.RegistrationResponseJSON = toBrowserRegistration(new SoftPasskey().register(options, rp.origin));
    expect(await h.gate.confirmPasskeyRegistration('alice', answer)).toMatchObject({ ok: true });
  });
});

// The shell's side of passkeys: @simplewebauthn/server, loaded only when a
// passkey method is called (an optional peer dependency: hosts without
// passkeys install nothing), builds the browser's options and verifies its
// answers. Each verdict is taken against the challenge and passkey of the
// record the decision is about to see; the decision then consumes the
// challenge and checks the counter in the same compare-and-set.
import { OtpError } from '../errors.js';
import type { ResolvedPolicy } from './policy.js';
import { answerable, base64url, cleanTransports, findChallenge, findPasskey, fromBase64url, type AssertionCheck, type PasskeyClaim, type RegistrationCheck } from './passkeys.js';
import type { GateRecord } from './record.js';
import type {
  AuthenticationResponseJSON,
  PasskeyDescriptorJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from './webauthn-json.js';

/** @internal The parts of @simplewebauthn/server (v13) the gate uses. */
export type WebAuthnServer = Pick<
  typeof import('@simplewebauthn/server'),
  'generateRegistrationOptions' | 'generateAuthenticationOptions' | 'verifyRegistrationResponse' | 'verifyAuthenticationResponse'
>;

/**
 * @internal
 * Imports @simplewebauthn/server on first use.
 *
 * @throws {@link OtpError} `ERR_OPTIONS` when it is not installed
 */
export async function loadWebAuthn(): Promise<WebAuthnServer> {
  let server: Partial<WebAuthnServer>;
  try {
    server = await import('@simplewebauthn/server');
  } catch (cause) {
    throw new OtpError('ERR_OPTIONS', 'passkeys need the optional peer dependency @simplewebauthn/server (v13): npm install @simplewebauthn/server', { cause });
  }
  if (typeof server.verifyAuthenticationResponse !== 'function' || typeof server.generateRegistrationOptions !== 'function') {
    throw new OtpError('ERR_OPTIONS', 'the installed @simplewebauthn/server is not a version the gate supports (v13)');
  }
  return server as WebAuthnServer;
}

type UserVerification = ResolvedPolicy['passkeys']['userVerification'];

/**
 * @internal
 * The verdict on an assertion. Only an answer to a live login challenge of
 * this record, from one of its passkeys, is verified at all; the decision
 * refuses the rest on its own reading. The library's counter rule is off
 * (stored counter 0): the decision applies it to the record it writes.
 */
export async function checkAssertion(
  server: WebAuthnServer,
  record: GateRecord,
  response: AuthenticationResponseJSON,
  claim: PasskeyClaim,
  now: number,
  userVerification: UserVerification,
): Promise<AssertionCheck> {
  const challenge = findChallenge(record, claim.challenge, 'login');
  const passkey = findPasskey(record, claim.credentialId);
  const publicKey = passkey === undefined ? null : fromBase64url(passkey.publicKey);
  if (challenge === undefined || !answerable(challenge, now) || passkey === undefined || publicKey === null) return { verified: false, newCounter: 0 };
  try {
    const result = await server.verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: [...challenge.origins],
      expectedRPID: challenge.rpId,
      credential: { id: passkey.credentialId, publicKey: publicKey as Uint8Array<ArrayBuffer>, counter: 0 },
      requireUserVerification: userVerification === 'required',
    });
    const info = result.authenticationInfo;
    return { verified: result.verified && info.credentialID === passkey.credentialId, newCounter: info.newCounter };
  } catch {
    // The library throws for every mismatch (challenge, origin, RP id, flags); its
    // messages quote the answer, so none of them is passed on.
    return { verified: false, newCounter: 0 };
  }
}

/** @internal The verdict on a registration, against a live registration challenge of this record. */
export async function checkRegistration(
  server: WebAuthnServer,
  record: GateRecord,
  response: RegistrationResponseJSON,
  claim: PasskeyClaim,
  now: number,
  userVerification: UserVerification,
): Promise<RegistrationCheck> {
  const challenge = findChallenge(record, claim.challenge, 'registration');
  if (challenge === undefined || !answerable(challenge, now)) return { verified: false };
  try {
    const result = await server.verifyRegistrationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: [...challenge.origins],
      expectedRPID: challenge.rpId,
      requireUserVerification: userVerification === 'required',
    });
    if (!result.verified) return { verified: false };
    const { credential } = result.registrationInfo;
    return {
      verified: true,
      credentialId: credential.id,
      publicKey: base64url(credential.publicKey),
      counter: credential.counter,
      transports: cleanTransports(credential.transports ?? response.response.transports),
    };
  } catch {
    return { verified: false };
  }
}

/** @internal What `navigator.credentials.create()` needs, for a challenge the decision stored. */
export async function registrationOptions(
  server: WebAuthnServer,
  input: {
    readonly rpId: string;
    readonly rpName: string;
    readonly userName: string;
    readonly userHandle: string;
    readonly challenge: string;
    readonly timeout: number;
    readonly exclude: readonly PasskeyDescriptorJSON[];
    readonly userVerification: UserVerification;
  },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const options = await server.generateRegistrationOptions({
    rpName: input.rpName,
    rpID: input.rpId,
    userName: input.userName,
    userDisplayName: input.userName,
    userID: bytes(input.userHandle),
    // As bytes: a string would be taken as UTF-8 text and encoded again.
    challenge: bytes(input.challenge),
    timeout: input.timeout,
    attestationType: 'none',
    excludeCredentials: input.exclude.map(descriptor),
    authenticatorSelection: { residentKey: 'preferred', userVerification: input.userVerification },
  });
  return options as PublicKeyCredentialCreationOptionsJSON;
}

/** @internal What `navigator.credentials.get()` needs, for a challenge the decision stored. */
export async function loginOptions(
  server: WebAuthnServer,
  input: { readonly rpId: string; readonly challenge: string; readonly timeout: number; readonly allow: readonly PasskeyDescriptorJSON[]; readonly userVerification: UserVerification },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await server.generateAuthenticationOptions({
    rpID: input.rpId,
    challenge: bytes(input.challenge),
    timeout: input.timeout,
    allowCredentials: input.allow.map(descriptor),
    userVerification: input.userVerification,
  });
  return options as PublicKeyCredentialRequestOptionsJSON;
}

function descriptor(d: PasskeyDescriptorJSON): { id: string; transports?: NonNullable<PasskeyDescriptorJSON['transports']> } {
  return d.transports === undefined || d.transports.length === 0 ? { id: d.id } : { id: d.id, transports: d.transports };
}

function bytes(text: string): Uint8Array<ArrayBuffer> {
  const decoded = fromBase64url(text);
  if (decoded === null) throw new OtpError('ERR_STORE', 'a stored passkey value is not base64url');
  return decoded as Uint8Array<ArrayBuffer>;
}

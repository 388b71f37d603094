// The JSON shapes of WebAuthn that cross between the browser and the gate,
// declared here so that otpgate's types do not depend on the optional
// @simplewebauthn/server. They mirror @simplewebauthn's own types field for
// field (same names, same unions), so a value of either passes as the other:
// what `@simplewebauthn/browser`'s `startRegistration` and
// `startAuthentication` resolve goes straight into the gate.

/**
 * Where passkeys belong: the relying party. A passkey registered for an
 * `rpId` answers only to pages of that host or its subdomains, and the
 * browser signs the page's origin into every answer, which the gate checks
 * against `origin`.
 *
 * @example
 * ```ts
 * import type { PasskeyRelyingParty } from 'otpgate';
 * const rp: PasskeyRelyingParty = { rpId: 'example.com', rpName: 'Example Co', origin: ['https://example.com', 'https://login.example.com'] };
 * ```
 */
export interface PasskeyRelyingParty {
  /**
   * The relying party id: the pages' host name (`login.example.com`), or a
   * registrable domain it belongs to (`example.com`, so that every
   * subdomain shares the passkeys). `localhost` while developing.
   */
  readonly rpId: string;
  /** The name browsers show when a passkey is made, 1 to 64 characters. @defaultValue the `rpId`, cut to 64 characters */
  readonly rpName?: string | undefined;
  /**
   * The origin the pages are served from, exactly as the browser sends it
   * (`https://example.com`: scheme, host and a port if not the default; no
   * path), or several. Each must be on `rpId` or one of its subdomains.
   */
  readonly origin: string | readonly string[];
}

/**
 * A passkey a ceremony names (the user's passkeys in `allowCredentials`, or
 * those already registered in `excludeCredentials`).
 *
 * @example
 * ```ts
 * import type { PasskeyDescriptorJSON } from 'otpgate';
 * const known: PasskeyDescriptorJSON = { id: 'R92F7_1VaTVIxhnRVqVAQG34ZfQ1XjX6Xjh4hLO8I18', type: 'public-key', transports: ['internal'] };
 * ```
 */
export interface PasskeyDescriptorJSON {
  /** The credential id, base64url. */
  id: string;
  /** Always `'public-key'`. */
  type: 'public-key';
  /** How the browser can reach the authenticator. */
  transports?: Array<'ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb'>;
}

/**
 * What `gate.beginPasskeyRegistration` returns: the options for the
 * browser's `navigator.credentials.create()` in JSON, as
 * `@simplewebauthn/browser`'s `startRegistration({ optionsJSON })` takes them
 * (the same shape as `@simplewebauthn/server`'s type of this name).
 *
 * @example
 * ```ts
 * import type { PublicKeyCredentialCreationOptionsJSON } from 'otpgate';
 * const expiresIn = (options: PublicKeyCredentialCreationOptionsJSON) => options.timeout;
 * ```
 */
export interface PublicKeyCredentialCreationOptionsJSON {
  /** The relying party: `id` and the name the browser shows. */
  rp: {
    /** The relying party id. */
    id?: string;
    /** The name shown. */
    name: string;
  };
  /** The account the passkey is for. */
  user: {
    /** The WebAuthn user handle, base64url (random, not the user id). */
    id: string;
    /** The account name shown. */
    name: string;
    /** The display name shown. */
    displayName: string;
  };
  /** The single-use challenge, base64url. */
  challenge: string;
  /** The signature algorithms accepted (COSE ids, most preferred first). */
  pubKeyCredParams: Array<{
    /** A COSE algorithm id: -8 Ed25519, -7 ES256, -257 RS256. */
    alg: number;
    /** Always `'public-key'`. */
    type: 'public-key';
  }>;
  /** How long the browser waits, in ms (the challenge's life). */
  timeout?: number;
  /** The user's passkeys already registered, so the same authenticator is not registered twice. */
  excludeCredentials?: PasskeyDescriptorJSON[];
  /** What kind of authenticator is wanted. */
  authenticatorSelection?: {
    /** `platform` (built in) or `cross-platform` (a security key, a phone). */
    authenticatorAttachment?: 'cross-platform' | 'platform';
    /** Whether a discoverable credential is required (legacy form of `residentKey`). */
    requireResidentKey?: boolean;
    /** Whether a discoverable credential is wanted. */
    residentKey?: 'discouraged' | 'preferred' | 'required';
    /** Whether the authenticator should verify the user (PIN, biometrics). */
    userVerification?: 'discouraged' | 'preferred' | 'required';
  };
  /** Hints for the browser's choice of authenticator. */
  hints?: Array<'hybrid' | 'security-key' | 'client-device'>;
  /** The attestation wanted (`'none'`: the gate does not ask who made the authenticator). */
  attestation?: 'direct' | 'enterprise' | 'indirect' | 'none';
  /** Attestation formats wanted. */
  attestationFormats?: Array<'fido-u2f' | 'packed' | 'android-safetynet' | 'android-key' | 'tpm' | 'apple' | 'none'>;
  /** WebAuthn extensions asked for (`credProps`). */
  extensions?: object;
}

/**
 * What `gate.beginPasskeyLogin` returns: the options for the browser's
 * `navigator.credentials.get()` in JSON, as `@simplewebauthn/browser`'s
 * `startAuthentication({ optionsJSON })` takes them.
 *
 * @example
 * ```ts
 * import type { PublicKeyCredentialRequestOptionsJSON } from 'otpgate';
 * const passkeyCount = (options: PublicKeyCredentialRequestOptionsJSON) => options.allowCredentials?.length ?? 0;
 * ```
 */
export interface PublicKeyCredentialRequestOptionsJSON {
  /** The single-use challenge, base64url. */
  challenge: string;
  /** How long the browser waits, in ms (the challenge's life). */
  timeout?: number;
  /** The relying party id. */
  rpId?: string;
  /** The user's passkeys: only these may answer. */
  allowCredentials?: PasskeyDescriptorJSON[];
  /** Whether the authenticator should verify the user (PIN, biometrics). */
  userVerification?: 'discouraged' | 'preferred' | 'required';
  /** Hints for the browser's choice of authenticator. */
  hints?: Array<'hybrid' | 'security-key' | 'client-device'>;
  /** WebAuthn extensions asked for. */
  extensions?: object;
}

/**
 * The browser's answer to `beginPasskeyRegistration`'s options, as
 * `@simplewebauthn/browser`'s `startRegistration` resolves it: pass it to
 * `gate.confirmPasskeyRegistration`.
 *
 * @example
 * ```ts
 * import type { Gate, RegistrationResponseJSON } from 'otpgate';
 * async function onRegistered(gate: Gate, userId: string, body: string) {
 *   const response = JSON.parse(body) as RegistrationResponseJSON;
 *   return gate.confirmPasskeyRegistration(userId, response);
 * }
 * ```
 */
export interface RegistrationResponseJSON {
  /** The new credential's id, base64url. */
  id: string;
  /** The same id (base64url of the raw bytes). */
  rawId: string;
  /** The authenticator's attestation. */
  response: {
    /** The client data the browser signed over (type, challenge, origin), base64url. */
    clientDataJSON: string;
    /** The attestation object (authenticator data with the public key), base64url. */
    attestationObject: string;
    /** The authenticator data on its own, base64url. */
    authenticatorData?: string;
    /** How the browser can reach the authenticator. */
    transports?: Array<'ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb'>;
    /** The public key's COSE algorithm. */
    publicKeyAlgorithm?: number;
    /** The public key as SPKI, base64url. */
    publicKey?: string;
  };
  /** `platform` or `cross-platform`. */
  authenticatorAttachment?: 'cross-platform' | 'platform';
  /** The extensions' results. */
  clientExtensionResults: object;
  /** Always `'public-key'`. */
  type: 'public-key';
}

/**
 * The browser's answer to `beginPasskeyLogin`'s options, as
 * `@simplewebauthn/browser`'s `startAuthentication` resolves it: pass it to
 * `gate.verifyPasskey`, or as `{ passkey }` to re-authenticate a sensitive
 * action.
 *
 * @example
 * ```ts
 * import type { AuthenticationResponseJSON, Gate } from 'otpgate';
 * async function onPasskey(gate: Gate, userId: string, body: string) {
 *   const result = await gate.verifyPasskey(userId, JSON.parse(body) as AuthenticationResponseJSON);
 *   return result.ok;
 * }
 * ```
 */
export interface AuthenticationResponseJSON {
  /** The credential's id, base64url. */
  id: string;
  /** The same id (base64url of the raw bytes). */
  rawId: string;
  /** The authenticator's assertion. */
  response: {
    /** The client data the browser signed over (type, challenge, origin), base64url. */
    clientDataJSON: string;
    /** The authenticator data (RP id hash, flags, signature counter), base64url. */
    authenticatorData: string;
    /** The signature over authenticator data and client data, base64url. */
    signature: string;
    /** The user handle the passkey was registered with, base64url. */
    userHandle?: string;
  };
  /** `platform` or `cross-platform`. */
  authenticatorAttachment?: 'cross-platform' | 'platform';
  /** The extensions' results. */
  clientExtensionResults: object;
  /** Always `'public-key'`. */
  type: 'public-key';
}

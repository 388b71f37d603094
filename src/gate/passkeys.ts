// Passkeys in the record, and the browser's answers read for their outline.
// Pure: the WebAuthn checks themselves (signature, challenge, origin, RP id,
// user verification) are @simplewebauthn/server's, run by the shell
// (webauthn.ts) before the decision; what a decision needs of them is the
// verdict (`AssertionCheck`, `RegistrationCheck`), and what the answer claims
// (`PasskeyClaim`): which challenge it answers, from which credential.
import { base64Decode, base64Encode } from '../enrollment/base64.js';
import { OtpError } from '../errors.js';
import { isWellFormed } from '../internal/text.js';
import type { GateRecord, PasskeyChallenge, StoredPasskey } from './record.js';
import type { AuthenticationResponseJSON, PasskeyRelyingParty, RegistrationResponseJSON } from './webauthn-json.js';

/** @internal What a browser's answer says it is: the challenge it signed (from its client data) and the credential that signed. */
export interface PasskeyClaim {
  readonly challenge: string;
  readonly credentialId: string;
}

/** @internal The shell's verdict on an assertion, against the challenge and passkey of the record the decision sees. */
export interface AssertionCheck {
  /** Signature, challenge, origin, RP id and user verification all hold. */
  readonly verified: boolean;
  /** The signature counter the authenticator reported (checked by the decision, not by the library). */
  readonly newCounter: number;
}

/** @internal The shell's verdict on a registration, with the new credential when it holds. */
export type RegistrationCheck =
  | { readonly verified: false }
  | {
      readonly verified: true;
      readonly credentialId: string;
      /** COSE public key, base64url. */
      readonly publicKey: string;
      readonly counter: number;
      readonly transports: readonly string[];
    };

/** Live challenges a record keeps at most: a few tabs or devices at once; past it the oldest goes. */
export const MAX_CHALLENGES = 5;

/** The transports WebAuthn Level 3 names; anything else a browser reports is dropped. */
const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'];

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** A credential id is at most 1023 bytes (WebAuthn §5.1): 1364 base64url characters. */
const MAX_CREDENTIAL_ID = 1364;
/** Generous bounds on the other fields; a real answer is far below them. */
const MAX_CLIENT_DATA = 4096;
const MAX_AUTHENTICATOR_DATA = 8192;
const MAX_SIGNATURE = 2048;
const MAX_ATTESTATION = 16_384;

/** @internal Bytes as base64url without padding (RFC 4648 §5), as WebAuthn's JSON carries them. */
export function base64url(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** @internal Base64url as bytes; `null` when it is not. */
export function fromBase64url(text: string): Uint8Array | null {
  return BASE64URL.test(text) ? base64Decode(text) : null;
}

/** @internal The record's challenge `challenge` of that kind, used or not, expired or not. */
export function findChallenge(record: GateRecord, challenge: string, kind: PasskeyChallenge['kind']): PasskeyChallenge | undefined {
  return (record.passkeyChallenges ?? []).find((c) => c.challenge === challenge && c.kind === kind);
}

/** @internal Whether a challenge may still be answered: not used, not expired. */
export function answerable(challenge: PasskeyChallenge, now: number): boolean {
  return !challenge.used && now < challenge.expiresAt;
}

/** @internal The record with `challenge` marked used (one answer each). */
export function consumeChallenge(record: GateRecord, challenge: PasskeyChallenge): GateRecord {
  return { ...record, passkeyChallenges: (record.passkeyChallenges ?? []).map((c) => (c === challenge ? { ...c, used: true } : c)) };
}

/**
 * @internal
 * The record with one more challenge. Used and expired ones stay, so that a
 * late answer is told `replayed` or `expired` rather than nothing, until
 * {@link MAX_CHALLENGES} push them out: the oldest of them first, then the
 * oldest live one.
 */
export function addChallenge(record: GateRecord, challenge: PasskeyChallenge, now: number): GateRecord {
  const kept = [...(record.passkeyChallenges ?? [])];
  while (kept.length >= MAX_CHALLENGES) {
    const spent = kept.findIndex((c) => !answerable(c, now));
    kept.splice(spent === -1 ? 0 : spent, 1);
  }
  return { ...record, passkeyChallenges: [...kept, challenge] };
}

/** @internal The passkey with that credential id. */
export function findPasskey(record: GateRecord, credentialId: string): StoredPasskey | undefined {
  return (record.passkeys ?? []).find((p) => p.credentialId === credentialId);
}

/**
 * @internal
 * WebAuthn §6.1.1 and §7.2 step 22: when the authenticator keeps a counter
 * (either value non-zero) and the new one is not above the stored one, two
 * authenticators hold the key. A counter that falls back to 0 is taken as an
 * authenticator that stopped counting (synced passkeys report 0), not a clone.
 */
export function isCloned(stored: number, reported: number): boolean {
  return stored > 0 && reported > 0 && reported <= stored;
}

/** @internal The challenge an answer's client data carries, or `''` when it carries none (then it matches nothing). */
export function clientChallenge(clientDataJSON: string): string {
  const bytes = fromBase64url(clientDataJSON);
  if (bytes === null) return '';
  try {
    const data: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    const challenge = typeof data === 'object' && data !== null ? (data as { challenge?: unknown }).challenge : undefined;
    return typeof challenge === 'string' && BASE64URL.test(challenge) && challenge.length <= 1024 ? challenge : '';
  } catch {
    return '';
  }
}

/** @internal Only the transports WebAuthn names, each once. */
export function cleanTransports(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return [...new Set(list.filter((t): t is string => typeof t === 'string' && TRANSPORTS.includes(t)))];
}

function bad(what: string): never {
  throw new OtpError('ERR_OPTIONS', `${what}: pass the JSON the browser's WebAuthn call resolved with (as @simplewebauthn/browser returns it)`);
}

function field(value: unknown, max: number, name: string, where: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !BASE64URL.test(value)) {
    bad(`${where}: ${name} must be base64url of at most ${max} characters`);
  }
  return value;
}

/** The outline both kinds of answer share: `id` equal to `rawId`, `type` public-key, a `response` object. */
function outline(value: unknown, where: string): { id: string; response: Record<string, unknown> } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(`${where}: the response must be an object`);
  const v = value as Record<string, unknown>;
  const id = field(v['id'], MAX_CREDENTIAL_ID, 'id', where);
  if (v['rawId'] !== id) bad(`${where}: rawId must equal id`);
  if (v['type'] !== 'public-key') bad(`${where}: type must be 'public-key'`);
  const response = v['response'];
  if (typeof response !== 'object' || response === null || Array.isArray(response)) bad(`${where}: response.response must be an object`);
  return { id, response: response as Record<string, unknown> };
}

/**
 * @internal
 * Checks a `verifyPasskey` answer (or a re-authentication's `passkey`) for its
 * outline: the shape a browser produces. What it says is checked later.
 *
 * @throws {@link OtpError} `ERR_OPTIONS` for anything a browser would not send
 */
export function readAssertion(value: unknown, where: string): { readonly response: AuthenticationResponseJSON; readonly claim: PasskeyClaim } {
  const { id, response } = outline(value, where);
  const clientDataJSON = field(response['clientDataJSON'], MAX_CLIENT_DATA, 'response.clientDataJSON', where);
  field(response['authenticatorData'], MAX_AUTHENTICATOR_DATA, 'response.authenticatorData', where);
  field(response['signature'], MAX_SIGNATURE, 'response.signature', where);
  if (response['userHandle'] !== undefined && response['userHandle'] !== null) field(response['userHandle'], 1024, 'response.userHandle', where);
  return { response: value as AuthenticationResponseJSON, claim: { challenge: clientChallenge(clientDataJSON), credentialId: id } };
}

/**
 * @internal
 * Checks a `confirmPasskeyRegistration` answer for its outline.
 *
 * @throws {@link OtpError} `ERR_OPTIONS` for anything a browser would not send
 */
export function readRegistration(value: unknown, where: string): { readonly response: RegistrationResponseJSON; readonly claim: PasskeyClaim } {
  const { id, response } = outline(value, where);
  const clientDataJSON = field(response['clientDataJSON'], MAX_CLIENT_DATA, 'response.clientDataJSON', where);
  field(response['attestationObject'], MAX_ATTESTATION, 'response.attestationObject', where);
  const transports = response['transports'];
  if (transports !== undefined && !(Array.isArray(transports) && transports.length <= 16 && transports.every((t) => typeof t === 'string' && t.length <= 32))) {
    bad(`${where}: response.transports must be a list of strings`);
  }
  return { response: value as RegistrationResponseJSON, claim: { challenge: clientChallenge(clientDataJSON), credentialId: id } };
}

/**
 * @internal
 * The relying party of a `beginPasskey*` call, checked as WebAuthn will
 * check it, so a mistake shows at once and not as every answer refused.
 *
 * @throws {@link OtpError} `ERR_OPTIONS` naming the field
 */
export function readRelyingParty(options: Partial<PasskeyRelyingParty> | undefined, where: string): { rpId: string; rpName: string; origins: string[] } {
  const rpId = options?.rpId;
  if (typeof rpId !== 'string' || !/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/.test(rpId)) {
    throw new OtpError('ERR_OPTIONS', `${where}: rpId must be a lower-case host name, like example.com (no scheme, port or path)`);
  }
  // The name shown defaults to the RP id, cut to the name's 64 characters (an RP id may have 253).
  const rpName = options?.rpName ?? rpId.slice(0, 64);
  if (typeof rpName !== 'string' || rpName.trim() === '' || rpName.length > 64 || !isWellFormed(rpName)) {
    throw new OtpError('ERR_OPTIONS', `${where}: rpName must be 1 to 64 characters`);
  }
  const origin = options?.origin;
  const list: unknown[] = typeof origin === 'string' ? [origin] : Array.isArray(origin) ? [...(origin as unknown[])] : [];
  if (list.length === 0 || list.length > 16) throw new OtpError('ERR_OPTIONS', `${where}: origin must be an origin like 'https://example.com', or a list of 1 to 16`);
  const origins: string[] = [];
  for (const o of list) {
    if (typeof o !== 'string' || o.length > 512 || !isOriginOn(o, rpId)) {
      throw new OtpError('ERR_OPTIONS', `${where}: each origin must be like 'https://example.com' (scheme, host, port if any; no path) on rpId or one of its subdomains`);
    }
    if (!origins.includes(o)) origins.push(o);
  }
  return { rpId, rpName, origins };
}

/** WebAuthn §5.1.3 and §7: the origin's host is the RP id or a subdomain of it; https, or http for localhost while developing. */
function isOriginOn(origin: string, rpId: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin !== origin) return false;
  const host = url.hostname;
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && (host === 'localhost' || host.endsWith('.localhost')));
  return secure && (host === rpId || host.endsWith(`.${rpId}`));
}

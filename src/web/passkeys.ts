// Passkeys in the flow (issue 15): the relying party the flow hands to the
// gate, and the browser's WebAuthn answer read from a form field. The
// WebAuthn checks themselves (challenge, origin, RP id, signature, counter)
// are the gate's, on @simplewebauthn/server; the flow only carries the JSON.
import { OtpError } from '../errors.js';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../gate/index.js';

/**
 * `createFlow({ passkeys })`: where the passkeys belong. With it, the set-up
 * page offers "Use a passkey instead", the code page "Use your passkey", and
 * the settings list passkeys and offer "Add a passkey".
 *
 * @example
 * ```ts
 * import type { FlowPasskeyOptions } from 'otpgate/web';
 * const passkeys: FlowPasskeyOptions = { rpId: 'example.com', rpName: 'Example', origin: 'https://example.com' };
 * ```
 */
export interface FlowPasskeyOptions {
  /**
   * The relying party id: the host name of the pages, or a registrable
   * domain it belongs to (`example.com` lets `login.example.com` and
   * `www.example.com` share passkeys). A passkey works only under it.
   */
  readonly rpId: string;
  /** The name browsers show when a passkey is made. @defaultValue the `rpId` */
  readonly rpName?: string | undefined;
  /** The origin (or origins) the pages are served from, as the browser sends it: `https://example.com`, no path. */
  readonly origin: string | readonly string[];
}

/** The longest passkey field read: a registration answer with an attestation certificate chain fits. */
export const MAX_PASSKEY_FIELD = 12 * 1024;

function badOrigin(origin: unknown): boolean {
  if (typeof origin !== 'string') return true;
  try {
    const url = new URL(origin);
    return (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin;
  } catch {
    return true;
  }
}

/** The checked `passkeys` option, or `null` when passkeys are off. */
export function resolvePasskeys(value: FlowPasskeyOptions | undefined): FlowPasskeyOptions | null {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null) throw new OtpError('ERR_OPTIONS', 'passkeys must be an object: { rpId, origin }');
  const { rpId, rpName, origin } = value;
  if (typeof rpId !== 'string' || !/^[a-z0-9.-]{1,253}$/i.test(rpId)) throw new OtpError('ERR_OPTIONS', 'passkeys.rpId must be a host name, like example.com');
  if (rpName !== undefined && (typeof rpName !== 'string' || rpName === '' || rpName.length > 64)) throw new OtpError('ERR_OPTIONS', 'passkeys.rpName must be 1 to 64 characters');
  const origins = typeof origin === 'string' ? [origin] : origin;
  if (!Array.isArray(origins) || origins.length === 0 || origins.some(badOrigin)) {
    throw new OtpError('ERR_OPTIONS', "passkeys.origin must be an origin like 'https://example.com' (scheme and host, no path), or a list of them");
  }
  for (const o of origins as readonly string[]) {
    const host = new URL(o).hostname;
    if (host !== rpId && !host.endsWith(`.${rpId}`)) throw new OtpError('ERR_OPTIONS', 'passkeys.origin must be on passkeys.rpId or one of its subdomains');
  }
  return { rpId, rpName: rpName ?? rpId, origin: typeof origin === 'string' ? origin : [...origins] };
}

/**
 * The browser's answer from the form field `passkey`: the JSON of a
 * `RegistrationResponseJSON` or `AuthenticationResponseJSON`, checked for
 * its outline only; the gate checks every field (`ERR_OPTIONS`) and then the
 * answer itself. `null` when malformed.
 */
export function readPasskeyField<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(text: string | undefined): T | null {
  if (text === undefined || text === '' || text.length > MAX_PASSKEY_FIELD) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const answer = parsed as Record<string, unknown>;
  const base64url = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9_-]{1,1024}$/.test(v);
  if (!base64url(answer['id']) || !base64url(answer['rawId']) || answer['type'] !== 'public-key') return null;
  if (typeof answer['response'] !== 'object' || answer['response'] === null || Array.isArray(answer['response'])) return null;
  return answer as unknown as T;
}

/** A fresh proof for a sensitive action: a typed code, or a passkey's answer to a `beginPasskeyLogin` challenge. */
export type Reauth = { readonly code: string } | { readonly passkey: AuthenticationResponseJSON };

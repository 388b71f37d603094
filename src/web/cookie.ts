// The flow cookie: a small JSON payload and an HMAC-SHA-256 tag over it,
// made and checked with Web Crypto (crypto.subtle.verify compares tags in
// constant time). It says who passed the password check and carries the CSRF
// token of the flow's forms; it never logs anyone in.
import { OtpError } from '../errors.js';
import { randomBytes } from '../internal/bytes.js';

/** The longest a flow cookie lives: 15 minutes. */
export const MAX_COOKIE_MS = 15 * 60_000;

/**
 * What a flow cookie holds. `stage` is `login` between the password and the
 * second step (the host called `start`), `member` for the pages of a user who
 * is logged in already (settings, inbox), which only carry the CSRF token.
 */
export interface FlowCookie {
  /** The user the cookie was made for. */
  readonly user: string;
  /** See above. */
  readonly stage: 'login' | 'member';
  /** The CSRF token every form of the flow sends back. */
  readonly csrf: string;
  /** One login attempt: a double-clicked "Postpone setup" uses one postpone. */
  readonly attempt: string;
  /** When the cookie stops being accepted (ms since the epoch). */
  readonly expiresAt: number;
  /** A same-origin path the host gets back in `onComplete`, or `null`. */
  readonly returnTo: string | null;
}

/** base64url without padding, from bytes (with btoa, which browsers and workers have too). */
export function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of a base64url string, or `null` when it is not one. */
export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  try {
    const binary = atob(padded);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** A fresh random token (144 bits), base64url. */
export function randomToken(): string {
  return base64url(randomBytes(18));
}

/** The key as bytes: a `Uint8Array` or base64url text of at least 32 bytes. */
export function keyBytes(key: unknown): Uint8Array {
  const wanted = 'key must be at least 32 random bytes, as a Uint8Array or base64url text';
  if (key === undefined || key === null || key === '') throw new OtpError('ERR_OPTIONS', `${wanted}; it is missing (an unset environment variable?)`);
  const bytes = key instanceof Uint8Array ? key : typeof key === 'string' ? fromBase64url(key.trim()) : null;
  // The messages say what is wrong with the key, never what it is.
  if (bytes === null) {
    const base64 = typeof key === 'string' && /[+/=]/.test(key) && /^[A-Za-z0-9+/]+={0,2}$/.test(key.trim());
    throw new OtpError('ERR_OPTIONS', base64 ? `${wanted}; this is base64, not base64url (- and _ for + and /, no =)` : `${wanted}; this is neither`);
  }
  if (bytes.length < 32) throw new OtpError('ERR_OPTIONS', `${wanted}; this one has ${bytes.length}`);
  return bytes;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** Cookies are small; anything longer is not ours. */
const MAX_COOKIE_LENGTH = 4096;
/** A label in the MAC input, so a tag made for the flow cookie is good for nothing else. */
const PURPOSE = 'otpgate-web-flow-v1.';

/**
 * Signs and checks flow cookies under one key.
 *
 * @param key - at least 32 random bytes
 */
export function createCookieCodec(key: Uint8Array): {
  encode(cookie: FlowCookie): Promise<string>;
  decode(value: string | undefined, now: number): Promise<FlowCookie | null>;
} {
  // A copy in a fresh ArrayBuffer, as Web Crypto wants one.
  const raw = new Uint8Array(key);
  const hmacKey = globalThis.crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);

  return {
    async encode(cookie) {
      const payload = base64url(
        encoder.encode(JSON.stringify([cookie.user, cookie.stage, cookie.csrf, cookie.attempt, cookie.expiresAt, cookie.returnTo])),
      );
      const tag = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', await hmacKey, encoder.encode(PURPOSE + payload)));
      return `${payload}.${base64url(tag)}`;
    },
    async decode(value, now) {
      if (value === undefined || value.length > MAX_COOKIE_LENGTH) return null;
      const parts = value.split('.');
      if (parts.length !== 2) return null;
      const [payload, tagText] = parts as [string, string];
      const tag = fromBase64url(tagText);
      if (tag === null || tag.length !== 32) return null;
      const ok = await globalThis.crypto.subtle.verify('HMAC', await hmacKey, new Uint8Array(tag), encoder.encode(PURPOSE + payload));
      if (!ok) return null;
      const bytes = fromBase64url(payload);
      if (bytes === null) return null;
      let fields: unknown;
      try {
        fields = JSON.parse(decoder.decode(bytes));
      } catch {
        return null;
      }
      if (!Array.isArray(fields) || fields.length !== 6) return null;
      const [user, stage, csrf, attempt, expiresAt, returnTo] = fields as unknown[];
      if (typeof user !== 'string' || (stage !== 'login' && stage !== 'member') || typeof csrf !== 'string' || typeof attempt !== 'string') return null;
      if (typeof expiresAt !== 'number' || !(returnTo === null || typeof returnTo === 'string')) return null;
      // Expired, or issued for longer than any flow cookie may live.
      if (expiresAt <= now || expiresAt > now + MAX_COOKIE_MS) return null;
      return { user, stage, csrf, attempt, expiresAt, returnTo };
    },
  };
}

/** The value of cookie `name` in a `Cookie` header, or `undefined`. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A `Set-Cookie` header value: HttpOnly, SameSite=Lax, scoped to `path`. */
export function serializeCookie(name: string, value: string, options: { path: string; secure: boolean; maxAgeSeconds: number }): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`, `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

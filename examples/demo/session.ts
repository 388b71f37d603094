// Sessions in a signed cookie: the payload is plain JSON (nothing secret in
// it), followed by an HMAC-SHA-256 over it under a key kept in the database.
// A tampered, truncated or expired cookie is simply no session.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * `stage` is where the login stands: `password` once the password was right
 * (only the 2-step pages are open), `full` once 2-step verification let the
 * user in. `attempt` identifies one login, so that a double-clicked
 * "Postpone setup" uses one postpone.
 */
export interface Session {
  readonly csrf: string;
  readonly exp: number;
  readonly user?: string;
  readonly stage?: 'password' | 'full';
  readonly attempt?: string;
  readonly flash?: string;
}

export const COOKIE = 'otpgate_demo';
/** Eight hours for a logged-in session; a half-finished login gets fifteen minutes. */
export const FULL_TTL_MS = 8 * 3_600_000;
export const LOGIN_TTL_MS = 15 * 60_000;

export function randomToken(): string {
  return randomBytes(18).toString('base64url');
}

/** A session with no user: what every visitor gets, so the login form has a CSRF token too. */
export function anonymous(now: number): Session {
  return { csrf: randomToken(), exp: now + LOGIN_TTL_MS };
}

export function createSessionCodec(key: Uint8Array) {
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  return {
    encode(session: Session): string {
      const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    decode(cookie: string | undefined, now: number): Session | null {
      if (cookie === undefined || cookie.length > 4096) return null;
      const [payload, tag, extra] = cookie.split('.');
      if (payload === undefined || tag === undefined || extra !== undefined) return null;
      const given = Buffer.from(tag, 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      try {
        const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Session;
        if (typeof session.csrf !== 'string' || typeof session.exp !== 'number' || session.exp <= now) return null;
        return session;
      } catch {
        return null;
      }
    },
  };
}

/** Compares the form's CSRF token with the session's, in constant time. */
export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

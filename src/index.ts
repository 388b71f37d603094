/**
 * otpgate: 2-Step Verification for any login form. One-time codes
 * (RFC 4226 HOTP, RFC 6238 TOTP), authenticator-app enrollment (otpauth
 * URIs, QR codes, manual keys) and the gate: the policy engine for
 * enrollment, postponing, replay-proof verification, throttling and
 * administrator resets, on a store of your choice.
 *
 * @example
 * ```ts
 * import { generateSecret, totp, verifyTotp } from 'otpgate';
 * const secret = generateSecret();
 * verifyTotp(secret, totp(secret)); // { delta: 0, step: … }
 * ```
 *
 * @module otpgate
 */
export { isOtpError, OtpError, type OtpErrorCode } from './errors.js';
export * from './core/index.js';
export * from './enrollment/index.js';
export * from './gate/index.js';
export * from './seams/index.js';
export * from './stores/memory.js';

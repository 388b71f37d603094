// The core alone: a secret, a code, a check. Run it: npx tsx examples/core.ts
// (in your application, import from 'otpgate' instead of '../src/index.js').
import { generateSecret, totp, verifyTotp } from '../src/index.js';

export const secret = generateSecret(); // 160 random bits in base32: store it with the user
export const code = totp(secret); // what the authenticator app shows right now
export const match = verifyTotp(secret, code); // { delta: 0, step } on a match, null otherwise
console.log(code, match);

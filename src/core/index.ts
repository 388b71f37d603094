export { base32Decode, base32Encode } from './base32.js';
export { hotp, verifyHotp, type Match } from './hotp.js';
export {
  DEFAULTS,
  MAX_WINDOW,
  type Algorithm,
  type CodeOptions,
  type TotpOptions,
  type VerifyHotpOptions,
  type VerifyOptions,
  type VerifyTotpOptions,
  type Window,
} from './options.js';
export { generateSecret, prepareKey, type PreparedKey, type Secret, type SecretOptions } from './secret.js';
export { totp, verifyTotp } from './totp.js';

export type { GateEvent, GateEventBase, GateEventType, JsonValue } from './events.js';
export {
  DEFAULT_POLICY,
  resolvePolicy,
  type AuthenticatorPolicy,
  type CodePolicy,
  type TrustedDevicePolicy,
  type EnrollmentPolicy,
  type PasskeyPolicy,
  type Policy,
  type RecoveryPolicy,
  type ResetPolicy,
  type ResolvedPolicy,
  type ThrottlePolicy,
} from './policy.js';
export type { Resolution } from './record.js';
export type {
  AdminActionResult,
  AuthenticatorInfo,
  ConfirmResult,
  FlushResult,
  NextStep,
  PasskeyRegistrationResult,
  PendingReset,
  PostponeResult,
  ReauthRefusal,
  RecoveryCodesResult,
  RemoveResult,
  ResetRequestResult,
  Status,
  TrustedDeviceInfo,
  VerifyResult,
} from './results.js';
export { createAesGcmCipher, type AesGcmCipherOptions } from './aes-gcm.js';
export { rewrapSecrets, type RewrapOptions, type RewrapProgress } from './rewrap.js';
export {
  createGate,
  type AdminActionOptions,
  type BeginEnrollmentOptions,
  type BeginPasskeyRegistrationOptions,
  type CallOptions,
  type Enrollment,
  type Gate,
  type GateConfig,
  type ImportOptions,
  type ImportResult,
  type ReauthOptions,
  type VerifyPasskeyOptions,
} from './gate.js';
export type {
  AuthenticationResponseJSON,
  PasskeyDescriptorJSON,
  PasskeyRelyingParty,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from './webauthn-json.js';

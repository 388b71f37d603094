export { formatManualKey, parseManualKey, type ManualKeyOptions } from './manual-key.js';
export {
  qrDataUrl,
  qrModules,
  qrSvg,
  qrTerminal,
  type QrDataUrlOptions,
  type QrLevel,
  type QrOptions,
  type QrSvgOptions,
  type QrTerminalOptions,
} from './qr.js';
export {
  buildUri,
  MAX_URI_LENGTH,
  parseUri,
  type BuildUriOptions,
  type KeyUriParams,
  type ParsedHotpUri,
  type ParsedTotpUri,
  type ParsedUri,
  type ParsedUriBase,
  type UriWarning,
  type UriWarningCode,
} from './uri.js';
export {
  buildMigrationUri,
  parseMigrationUri,
  type MigrationAccount,
  type MigrationInput,
  type MigrationOptions,
  type MigrationPayload,
} from './migration.js';
export { checkCompatibility, type CompatibilityInput, type CompatibilityWarning, type CompatibilityWarningCode } from './compat.js';

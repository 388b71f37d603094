export type { SecretCipher } from './cipher.js';
export { systemClock, type Clock } from './clock.js';
export type { Administrator, Directory } from './directory.js';
export type { Notifier } from './notifier.js';
export type { ListUsersOptions, MfaRecord, MfaStore, StoredRecord, UserPage, UserRecord } from './store.js';

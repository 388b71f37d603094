/**
 * The host's user directory, as far as 2-step verification needs it: who
 * administers whom, and how an account is labelled in authenticator apps.
 *
 * @example
 * ```ts
 * import type { Directory } from 'otpgate';
 * const admins: Record<string, string[]> = { alice: ['root', 'carol'] };
 * const directory: Directory = {
 *   async administratorsOf(userId) {
 *     return (admins[userId] ?? []).map((id) => ({ id, name: id }));
 *   },
 *   async isAdministratorOf(adminId, userId) {
 *     return (admins[userId] ?? []).includes(adminId);
 *   },
 * };
 * ```
 */
export interface Directory {
  /** The administrators a user may ask for a reset, in display order. */
  administratorsOf(userId: string): Promise<readonly Administrator[]>;
  /** Whether `adminId` may reset `userId`'s 2-step verification. Never true for `adminId === userId`. */
  isAdministratorOf(adminId: string, userId: string): Promise<boolean>;
  /** The account name shown in authenticator apps (for example the e-mail address); defaults to the user id. */
  accountLabel?(userId: string): Promise<string>;
}

/**
 * One administrator as the user sees them in "Lost 2-Step Verification code?".
 *
 * @example
 * ```ts
 * import type { Administrator } from 'otpgate';
 * const admin: Administrator = { id: 'root', name: 'Ruth Root' };
 * ```
 */
export interface Administrator {
  /** The id passed back in `requestReset(userId, { to })`. */
  readonly id: string;
  /** The name shown in the list. */
  readonly name: string;
}

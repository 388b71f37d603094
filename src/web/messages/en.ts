// English: the reference catalogue. Every other language has exactly these
// keys (the type checks it, and test/web/messages.test.ts too). `{name}`
// placeholders are filled in by the views.

/** The reference texts; `MessageKey` is derived from its keys. @internal */
export const EN = {
  title: '2-Step Verification',
  choiceHeading: 'Set up 2-Step Verification',
  choiceRequired: 'Your organisation requires 2-Step Verification for your account.',
  choiceOptional: 'You turned on 2-Step Verification for your account. Finish setting it up to protect your logins.',
  choiceHow: 'After your password, you will type a 6-digit code from an authenticator app on your phone. Setting it up takes about a minute.',
  postponesLeftOne: 'You can postpone the set-up to your next login one more time; after that it is mandatory.',
  postponesLeftOther: 'You can postpone the set-up to your next login {count} more times; after that it is mandatory.',
  choiceMandatory: 'It must be set up now, before you continue.',
  setUpNow: 'Set up now',
  postponeSetup: 'Postpone setup',
  notNow: 'Not now',
  setupHeading: 'Set up 2-Step Verification',
  setupStepApp: 'Install an authenticator app on your phone if you have none yet, for example Google Authenticator, Microsoft Authenticator, 2FAS or Aegis.',
  setupStepScan: 'In the app, add an account and scan this QR code.',
  qrLabel: 'QR code to scan with your authenticator app',
  unableToScan: 'Unable to scan?',
  manualKeyIntro: 'Choose to enter a setup key in the app, and type or paste this key (time based):',
  copyKey: 'Copy key',
  copied: 'Copied',
  openInApp: 'On this phone? Open the key in your authenticator app',
  setupStepCode: 'Type the 6-digit code the app shows',
  verifyAndSave: 'Verify and Save',
  setupExpires: 'This key stays valid until {time} unless it is confirmed; reloading the page keeps it.',
  recoveryHeading: '2-Step Verification is on',
  recoveryCodesHeading: 'Your recovery codes',
  recoveryIntro: 'If you lose your phone, each of these codes logs you in once instead of a 6-digit code. Download them, print them or keep them in a password manager: they are shown only this once.',
  download: 'Download',
  print: 'Print',
  continue: 'Continue',
  codeHeading: '2-Step Verification',
  codeLabel: 'Type the 6-digit code from your authenticator app',
  verify: 'Verify',
  useRecoveryCode: 'Use a recovery code',
  recoveryCodeLabel: 'Recovery code',
  lostLink: 'Lost 2-Step Verification code?',
  lockedHeading: 'Too many wrong codes',
  lockedUntil: 'You can try again at {time}.',
  lockedHard: 'Codes from your authenticator app are no longer accepted for your account. Log in with one of your recovery codes, or ask an administrator to reset your 2-Step Verification.',
  tryAgain: 'Try again',
  lostHeading: 'Lost 2-Step Verification code?',
  lostIntro: 'An administrator can verify who you are and reset your 2-Step Verification; you then set it up again at your next login.',
  lostNoAdmins: 'Your account has no administrator to ask. Contact your support.',
  administrators: 'Your administrators',
  sendRequest: 'Send request',
  sendToAll: 'Send to all',
  back: 'Back',
  lostSentHeading: 'Request sent',
  lostSent: 'We asked {names} to verify and reset your 2-Step Verification.',
  lostSentNext: 'Once an administrator has reset it, log in again and set up your authenticator app anew.',
  backToLogin: 'Back to the login page',
  inboxHeading: 'Reset requests',
  inboxIntro: 'Verify who is asking (call them, for example) before you reset: they then set up 2-Step Verification again at their next login.',
  inboxEmpty: 'No open requests.',
  inboxUser: 'User',
  inboxAsked: 'Asked at',
  inboxAskedWhom: 'Sent to',
  inboxActions: 'Actions',
  reset: 'Reset',
  decline: 'Decline',
  resetFor: 'Reset {name}',
  declineFor: 'Decline {name}',
  confirmResetHeading: 'Reset the 2-Step Verification of {name}?',
  confirmReset: '{name} will set up 2-Step Verification again at the next login. Reset only after you have verified that it is really them.',
  confirmDeclineHeading: 'Decline the request of {name}?',
  confirmDecline: '{name} keeps the current 2-Step Verification and is told that the request was declined.',
  confirmResetButton: 'Yes, reset',
  confirmDeclineButton: 'Yes, decline',
  cancel: 'Cancel',
  resetDone: 'The 2-Step Verification of {name} was reset.',
  declineDone: 'The request of {name} was declined.',
  handledReset: '{by} already reset it at {time}.',
  handledDeclined: '{by} already declined it at {time}.',
  settingsHeading: '2-Step Verification',
  statusOn: '2-Step Verification is on for your account.',
  statusOff: '2-Step Verification is off for your account.',
  statusPending: 'You turned on 2-Step Verification but have not finished setting it up.',
  statusRequired: 'Your organisation requires 2-Step Verification, and it is not set up yet.',
  turnOn: 'Turn on 2-Step Verification',
  turnOff: 'Turn off 2-Step Verification',
  finishSetup: 'Finish set-up',
  newRecoveryCodes: 'New recovery codes',
  newRecoveryCodesIntro: 'Type a current code from your authenticator app to replace your recovery codes; the old ones stop working.',
  newRecoveryCodesLabel: 'Current code from your authenticator app',
  turnedOff: '2-Step Verification is now off for your account.',
  enrolledSince: 'Set up on {time}.',
  authenticatorsHeading: 'Authenticator apps',
  authenticatorAdded: 'Added {time}',
  authenticatorLastUsed: 'last used {time}',
  authenticatorNeverUsed: 'not used yet',
  authenticatorNameLabel: 'Name of the new authenticator, for example Work phone',
  renameLabel: 'New name for {label}',
  rename: 'Rename',
  remove: 'Remove',
  reauthLabel: 'Current code from any of your authenticator apps, or a recovery code',
  addAuthenticator: 'Add an authenticator',
  addAuthenticatorIntro: 'Add a second phone or a spare: type a current code from an authenticator app you already use (or a recovery code) and a name for the new one.',
  addStepCode: 'Type the 6-digit code the new app shows',
  addExpires: 'This key stays valid until {time} unless it is confirmed; after a reload, a current code from an app you already use shows it again.',
  addReauthIntro: 'To see the QR code of the new authenticator again, type a current code from an app you already use: the same key comes back while it is valid.',
  addVerifyPending: 'Already scanned the key? Type the code the new app shows.',
  authenticatorAddedNotice: '{label} was added.',
  authenticatorRemoved: '{label} was removed.',
  authenticatorRenamed: 'The authenticator is now called {label}.',
  recoveryCodesLeftOne: 'You have one recovery code left.',
  recoveryCodesLeftOther: 'You have {count} recovery codes left.',
  recoveryCodesNone: 'You have no recovery codes left.',
  fewRecoveryCodes: 'Few recovery codes are left: make new ones, so that you can still log in if you lose your phone.',
  turnOffIntro: 'Turning it off deletes your authenticator apps and recovery codes.',
  settingsLocked: 'Too many wrong codes were typed; codes are accepted again at {time}.',
  settingsLockedHard: 'Too many wrong codes were typed: only a recovery code or an administrator\'s reset helps now.',
  resetRequestOpen: 'On {time} you asked {names} to reset your 2-Step Verification; the request is open until {until}.',
  errLimit: 'You have as many authenticators as allowed: remove one first.',
  errLabel: 'Give the authenticator a name of 1 to 64 characters.',
  errLastRequired: 'Your organisation requires 2-Step Verification: the last authenticator cannot be removed.',
  errAuthenticatorNotFound: 'That authenticator no longer exists: reload the page.',
  errAddExpired: 'This set-up took too long and its key expired: type a current code to start again.',
  passkey: 'Passkey',
  passkeysHeading: 'Passkeys',
  passkeySetupIntro: 'Or use a passkey: no app and no code, your device confirms it is you with its screen lock, your fingerprint or face, or a security key.',
  usePasskeyInstead: 'Use a passkey instead',
  usePasskey: 'Use your passkey',
  passkeyFailed: 'The passkey was not used. Try again, or type a code instead.',
  addPasskey: 'Add a passkey',
  addPasskeyIntro: "With a passkey you confirm logins with this device's screen lock or a security key instead of a code. Type a current code from an authenticator app you already use (or a recovery code) and a name for the passkey.",
  addPasskeyProof: 'Or leave the code empty: a passkey you already have confirms it first.',
  passkeyNameLabel: 'Name of the passkey, for example Work laptop',
  passkeysNone: 'No passkey yet.',
  errPasskeyInvalid: 'The passkey was not accepted. Try again, or type a code instead.',
  errPasskeyExpired: 'The passkey request took too long. Try again.',
  errPasskeyRegistered: 'This passkey is registered already.',
  errorHeading: 'This did not work',
  logInAgain: 'Log in again',
  errBadRequest: 'The form was not filled in as expected. Go back and try again.',
  errPayloadTooLarge: 'The form sent more data than any field allows.',
  errUnsupportedMediaType: 'The form was sent in a format this page does not read.',
  errCsrf: 'This form was not accepted: it has expired or did not come from this site. Reload the page and try again.',
  errSession: 'Your login has expired or is not valid here. Log in again.',
  errUnauthorized: 'Log in first to see this page.',
  errNotFound: 'There is no such page.',
  errMethodNotAllowed: 'This page cannot be used that way.',
  errCodeEmpty: 'Type the code from your authenticator app.',
  errCodeFormat: 'A code has only digits: type the code your app shows now.',
  errCodeOrRecovery: 'That is not a code: type the digits your app shows, or one of your recovery codes.',
  errInvalidCode: 'That code is not right or has expired. Type the code the app shows now.',
  errReplayedCode: 'That code was already used. Wait for the app to show the next code and type that one.',
  errSetupInvalidOne: 'That code is not right. Check that the app shows the account you just added and type its current code (one try left for this key).',
  errSetupInvalidOther: 'That code is not right. Check that the app shows the account you just added and type its current code ({count} tries left for this key).',
  errSetupDiscarded: 'That code is not right, and that was the last try for this key: scan this new QR code.',
  errSetupExpired: 'This set-up took too long and its key expired: scan this new QR code.',
  errLocked: 'Too many wrong codes.',
  errPostponeRefused: 'Set-up can no longer be postponed: set up 2-Step Verification now.',
  errCooldown: 'Those administrators were notified a few minutes ago and will get back to you. You can ask again later.',
  errNotAdmin: 'Choose one of the administrators listed.',
  errChooseAdmin: 'Choose an administrator, or "Send to all".',
  errRequired: 'Your organisation requires 2-Step Verification: it cannot be turned off.',
  errNotEnrolled: '2-Step Verification is not set up for this account.',
  errState: 'That is not possible right now: reload the page and try again.',
  errNotYourUser: 'You do not administer that user.',
  errAlreadyHandled: 'Another administrator handled that request already.',
  errNothingToDo: 'There was nothing to do for that request.',
  errDone: 'This step is done already. Log in again to continue.',
  errNotifyFailed: 'Your request was saved, but the notification could not be sent. Try again in a moment.',
  errUnavailable: 'The service is busy. Please try again in a moment.',
  errServerError: 'The request could not be completed. Please try again in a moment.',
} as const;

/**
 * The keys of a message catalogue.
 *
 * @example
 * ```ts
 * import type { MessageKey } from 'otpgate/web';
 * const key: MessageKey = 'setUpNow';
 * ```
 */
export type MessageKey = keyof typeof EN;

/**
 * A complete message catalogue: one text per key.
 *
 * @example
 * ```ts
 * import type { Messages } from 'otpgate/web';
 * const shout = (m: Messages): Messages => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.toUpperCase()])) as Messages;
 * ```
 */
export type Messages = { readonly [K in MessageKey]: string };

/**
 * The English texts of every page.
 *
 * @example
 * ```ts
 * import { en } from 'otpgate/web';
 * console.log(en.setUpNow); // 'Set up now'
 * ```
 */
export const en: Messages = EN;

/**
 * `otpgate/web`: the whole 2-step flow after a password login as drop-in
 * pages and a JSON API, on Web `Request`/`Response`. Works in Node 20+,
 * Deno, Bun and workers; `otpgate/web/express`, `otpgate/web/fastify` and
 * `otpgate/web/next` adapt it to those frameworks.
 *
 * @module
 */
export { createFlow, safeReturnPath, type CompleteInfo, type CookieOptions, type Flow, type FlowOptions, type MessageOverrides, type StartOptions } from './flow.js';
export { escapeHtml, html, raw, type Html, type HtmlValue } from './html.js';
export { CATALOGUES, LOCALES, negotiateLocale, type Locale } from './locale.js';
export { de } from './messages/de.js';
export { en, type MessageKey, type Messages } from './messages/en.js';
export { es } from './messages/es.js';
export { fr } from './messages/fr.js';
export type {
  AddAuthenticatorView,
  AddPasskeyView,
  AdministratorView,
  AuthenticatorView,
  ChoiceView,
  CodeView,
  ConfirmView,
  ErrorView,
  FlowError,
  FlowErrorCode,
  InboxRequest,
  InboxView,
  LockedView,
  LostSentView,
  LostView,
  PageBase,
  PageName,
  RecoveryCodesView,
  ResetRequestView,
  SettingsView,
  SetupView,
  ViewModel,
  ViewOf,
} from './model.js';
export { PASSKEY_SCRIPT } from './passkey-script.js';
export type { FlowPasskeyOptions } from './passkeys.js';
export { FLOW_CSS, FLOW_SCRIPT } from './style.js';
export { DEFAULT_RENDERERS, layout, type PageRenderer, type RenderContext, type Renderers } from './views.js';

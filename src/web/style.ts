// The stylesheet and the one optional script of the pages, served as files
// under basePath so that the Content-Security-Policy forbids every inline
// style and script. Hosts restyle through the custom properties in :root.

/**
 * The pages' stylesheet. Every colour, the font and the radius are custom
 * properties (`--otpgate-…`); a host stylesheet that sets them (see the
 * `stylesheets` option of `createFlow`) restyles every page without forking.
 *
 * @example
 * ```ts
 * import { FLOW_CSS } from 'otpgate/web';
 * FLOW_CSS.includes('--otpgate-accent'); // true
 * ```
 */
export const FLOW_CSS = `:root {
  color-scheme: light;
  --otpgate-font: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --otpgate-mono: ui-monospace, Menlo, Consolas, monospace;
  --otpgate-ink: #1d2330;
  --otpgate-muted: #4f5869;
  --otpgate-line: #d3d9e4;
  --otpgate-page: #f3f5f9;
  --otpgate-card: #ffffff;
  --otpgate-accent: #2150b8;
  --otpgate-accent-ink: #ffffff;
  --otpgate-danger: #a52119;
  --otpgate-error-bg: #fdecea;
  --otpgate-notice: #17622a;
  --otpgate-notice-bg: #e8f4ea;
  --otpgate-focus: #b35c00;
  --otpgate-radius: 6px;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 16px/1.5 var(--otpgate-font); color: var(--otpgate-ink); background: var(--otpgate-page); }
main { max-width: 40rem; margin: 2rem auto; background: var(--otpgate-card); border: 1px solid var(--otpgate-line); border-radius: var(--otpgate-radius); padding: 1.5rem 2rem 2rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
a { color: var(--otpgate-accent); }
label { display: block; font-weight: 600; margin: .8rem 0 .2rem; }
input[type=text] { width: 100%; padding: .5rem .6rem; font: inherit; border: 1px solid #747e91; border-radius: 4px; color: inherit; background: var(--otpgate-card); }
input.code { font: 1.4rem/1 var(--otpgate-mono); letter-spacing: .2em; max-width: 14rem; }
button, .button { display: inline-block; font: inherit; padding: .5rem 1.1rem; border-radius: 4px; border: 1px solid var(--otpgate-accent); background: var(--otpgate-accent); color: var(--otpgate-accent-ink); cursor: pointer; text-decoration: none; }
button.secondary, .button.secondary { background: var(--otpgate-card); color: var(--otpgate-accent); }
button.danger { background: var(--otpgate-danger); border-color: var(--otpgate-danger); color: #fff; }
a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid var(--otpgate-focus); outline-offset: 2px; }
.actions { display: flex; gap: .8rem; flex-wrap: wrap; align-items: center; margin-top: 1.2rem; }
.actions form, form.inline { margin: 0; display: inline; }
.error { background: var(--otpgate-error-bg); border: 1px solid #e9a9a3; color: var(--otpgate-danger); padding: .6rem .8rem; border-radius: 4px; }
.notice { background: var(--otpgate-notice-bg); border: 1px solid #a9d3b2; color: var(--otpgate-notice); padding: .6rem .8rem; border-radius: 4px; }
.muted { color: var(--otpgate-muted); font-size: .9rem; }
.qr { width: 13rem; height: 13rem; margin: .5rem 0; }
.qr svg { width: 100%; height: 100%; }
details { margin: .5rem 0 1rem; }
summary { color: var(--otpgate-accent); cursor: pointer; }
.key { font: 1.2rem var(--otpgate-mono); background: var(--otpgate-page); padding: .3rem .6rem; border-radius: 4px; word-break: break-all; }
ol.codes { columns: 2 17rem; column-gap: 2rem; font: .9rem/1.8 var(--otpgate-mono); white-space: nowrap; padding: .6rem 1rem .6rem 2.8rem; background: var(--otpgate-page); border-radius: 4px; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .95rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--otpgate-line); vertical-align: top; }
td .actions { margin-top: 0; gap: .5rem; flex-wrap: nowrap; }
td button { padding: .3rem .8rem; }
fieldset { border: 1px solid var(--otpgate-line); border-radius: 4px; padding: .5rem 1rem; }
fieldset label { font-weight: normal; margin: .3rem 0; }
.steps { padding-left: 1.2rem; }
ul.authenticators { list-style: none; padding: 0; margin: .5rem 0; }
li.authenticator { border: 1px solid var(--otpgate-line); border-radius: 4px; padding: .5rem 1rem; margin: .5rem 0; }
li.authenticator h3 { font-size: 1rem; margin: .2rem 0; }
li.authenticator p { margin: .2rem 0; }
li.authenticator details { display: inline-block; margin: .3rem 1rem .3rem 0; vertical-align: top; }
li.authenticator details[open] { display: block; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media print {
  body { background: #fff; }
  main { border: 0; margin: 0; max-width: none; }
  .actions, .no-print { display: none !important; }
}
`;

/**
 * The one optional script: it reveals and runs the "Copy key" and "Print"
 * buttons. Without JavaScript they stay hidden; the key can be selected by
 * hand and the page printed from the browser (it is laid out for print).
 *
 * @example
 * ```ts
 * import { FLOW_SCRIPT } from 'otpgate/web';
 * FLOW_SCRIPT.includes('clipboard'); // true
 * ```
 */
export const FLOW_SCRIPT = `for (const button of document.querySelectorAll('[data-copy]')) {
  const source = document.getElementById(button.getAttribute('data-copy'));
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.replace(/\\s+/g, ''));
      button.textContent = button.getAttribute('data-done') || button.textContent;
    } catch {
      source.focus();
    }
  });
}
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
`;

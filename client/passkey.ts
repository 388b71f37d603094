// The flow's passkey script, served as `${basePath}/passkey.js` (a file, so the
// Content-Security-Policy keeps `script-src 'self'`). scripts/passkey-script.mjs
// bundles it with @simplewebauthn/browser into src/web/passkey-script.ts.
//
// Progressive enhancement over plain forms: without JavaScript, or in a browser
// without WebAuthn, every `[data-passkey-offer]` stays hidden and the code forms
// work as before. With it, a `button[data-passkey]` inside a form
//   1. POSTs the form's fields as JSON to its `data-options` URL (the flow asks
//      the gate for the options and keeps the challenge in the user's record),
//   2. hands the options to the browser (startRegistration / startAuthentication),
//   3. puts the browser's answer, as JSON, into the form's `passkey` field and
//      submits the form: an ordinary navigation, so the flow answers with a page
//      (the host's redirect and cookies, the recovery codes, or the error).
// A registration button with `data-proof` and the form's `code` field left empty
// first asks for a passkey the user has (the gate's proof for adding one), and
// sends that answer with the fields in step 1.
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';

interface Answer {
  readonly options?: Parameters<typeof startRegistration>[0]['optionsJSON'] & Parameters<typeof startAuthentication>[0]['optionsJSON'];
  readonly redirect?: string;
  readonly error?: { readonly message?: string };
}

/** Shows `message` in the form's alert, or clears it. */
function say(form: HTMLFormElement, message: string): void {
  const alert = form.querySelector<HTMLElement>('[data-passkey-error]');
  if (alert === null) return;
  alert.textContent = message;
  alert.hidden = message === '';
}

/** POSTs `fields` as JSON to `url`: the options, a redirect, or the flow's refusal. */
async function ask(url: string, fields: Record<string, string>): Promise<{ readonly ok: boolean; readonly answer: Answer }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(fields),
    credentials: 'same-origin',
  });
  return { ok: response.ok, answer: (await response.json()) as Answer };
}

async function use(button: HTMLButtonElement): Promise<void> {
  const form = button.form;
  const field = form?.elements.namedItem('passkey');
  if (form === null || !(field instanceof HTMLInputElement)) return;
  const register = button.dataset['passkey'] === 'register';
  // Registration sends the form's fields (a name, a current code): they must be filled in first.
  if (register && !form.reportValidity()) return;
  const failed = button.dataset['failed'] ?? '';
  const fields: Record<string, string> = {};
  new FormData(form).forEach((value, name) => {
    if (name !== 'passkey' && typeof value === 'string' && (register || name === 'csrf')) fields[name] = value;
  });
  button.disabled = true;
  say(form, '');
  try {
    const proof = button.dataset['proof'];
    if (register && proof !== undefined && (fields['code'] ?? '').trim() === '') {
      const first = await ask(proof, { csrf: fields['csrf'] ?? '' });
      if (!first.ok || first.answer.options === undefined) {
        say(form, first.answer.error?.message ?? failed);
        return;
      }
      fields['passkey'] = JSON.stringify(await startAuthentication({ optionsJSON: first.answer.options }));
    }
    const { ok, answer } = await ask(button.dataset['options'] ?? '', fields);
    if (answer.redirect !== undefined) {
      window.location.assign(answer.redirect);
      return;
    }
    if (!ok || answer.options === undefined) {
      say(form, answer.error?.message ?? failed);
      return;
    }
    const credential = register ? await startRegistration({ optionsJSON: answer.options }) : await startAuthentication({ optionsJSON: answer.options });
    field.value = JSON.stringify(credential);
    form.submit();
  } catch {
    // Cancelled, timed out, no matching passkey, or the network: the code path stays open.
    say(form, failed);
  } finally {
    button.disabled = false;
  }
}

if (browserSupportsWebAuthn()) {
  document.querySelectorAll<HTMLElement>('[data-passkey-offer]').forEach((element) => {
    element.hidden = false;
  });
  document.querySelectorAll<HTMLButtonElement>('button[data-passkey]').forEach((button) => {
    button.addEventListener('click', () => void use(button));
  });
}

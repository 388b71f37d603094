// The one place HTML is escaped: a tagged template that escapes every
// interpolated value unless it is markup made by this template (or marked
// trusted with `raw`, which only the views use, for the gate's QR SVG).

const SAFE: unique symbol = Symbol('otpgate html');

/**
 * Markup that is already escaped: what the `html` template returns.
 *
 * @example
 * ```ts
 * import { html, type Html } from 'otpgate/web';
 * const bold: Html = html`<strong>${'<not a tag>'}</strong>`;
 * console.log(bold.text); // <strong>&lt;not a tag&gt;</strong>
 * ```
 */
export interface Html {
  /** Brand: only `html` and `raw` make these. */
  readonly [SAFE]: true;
  /** The markup. */
  readonly text: string;
}

/**
 * What `html` accepts between `${}`: text and numbers (escaped), markup,
 * arrays of either (joined), and `false`, `null` or `undefined` (left out).
 *
 * @example
 * ```ts
 * import { html, type HtmlValue } from 'otpgate/web';
 * const items: HtmlValue = ['a', 'b'].map((x) => html`<li>${x}</li>`);
 * ```
 */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for an element's content or a quoted attribute value.
 *
 * @example
 * ```ts
 * import { escapeHtml } from 'otpgate/web';
 * escapeHtml('"a" & <b>'); // '&quot;a&quot; &amp; &lt;b&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

/**
 * Marks markup as trusted. Use it only for markup the program made itself,
 * never for anything that came from a request.
 *
 * @example
 * ```ts
 * import { html, raw } from 'otpgate/web';
 * html`<div>${raw('<svg></svg>')}</div>`.text; // '<div><svg></svg></div>'
 * ```
 */
export function raw(text: string): Html {
  return { [SAFE]: true, text };
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && SAFE in value) return (value as Html).text;
  return escapeHtml(String(value));
}

/**
 * The template tag of every page: `html\`<p>${name}</p>\`` escapes `name`.
 *
 * @example
 * ```ts
 * import { html } from 'otpgate/web';
 * html`<p title="${'a"b'}">${'<i>'}</p>`.text; // '<p title="a&quot;b">&lt;i&gt;</p>'
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return raw(out);
}

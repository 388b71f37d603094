// A tagged template that escapes every interpolated value unless it is
// already markup made by this template: the one defence against HTML
// injection the pages need, since every value (user names, messages, the
// otpauth URI) goes through it.

const SAFE = Symbol('safe html');

/** Markup that is already escaped (or trusted, like the gate's QR SVG). */
export interface Html {
  readonly [SAFE]: true;
  readonly text: string;
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element or a quoted attribute. */
export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

/** Marks trusted markup as safe; use only for markup the program made itself. */
export function raw(text: string): Html {
  return { [SAFE]: true, text };
}

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && SAFE in value) return (value as Html).text;
  return escape(String(value));
}

/** `html\`<p>${name}</p>\``: the interpolations are escaped, arrays joined, `false`/`null` left out. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return raw(out);
}

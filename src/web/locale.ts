// Which language a page is in: the host's fixed choice, or the best match of
// the browser's Accept-Language among the catalogues shipped.
import { de } from './messages/de.js';
import { en, type Messages } from './messages/en.js';
import { es } from './messages/es.js';
import { fr } from './messages/fr.js';

/**
 * The languages with a complete catalogue.
 *
 * @example
 * ```ts
 * import type { Locale } from 'otpgate/web';
 * const locale: Locale = 'de';
 * ```
 */
export type Locale = 'en' | 'de' | 'fr' | 'es';

/**
 * The shipped catalogues, by language.
 *
 * @example
 * ```ts
 * import { CATALOGUES } from 'otpgate/web';
 * console.log(CATALOGUES.fr.sendToAll); // 'Envoyer à tous'
 * ```
 */
export const CATALOGUES: { readonly [L in Locale]: Messages } = { en, de, fr, es };

/**
 * The languages of {@link CATALOGUES}, English (the fallback) first.
 *
 * @example
 * ```ts
 * import { LOCALES } from 'otpgate/web';
 * LOCALES.includes('es'); // true
 * ```
 */
export const LOCALES: readonly Locale[] = ['en', 'de', 'fr', 'es'];

function isLocale(tag: string): tag is Locale {
  return (LOCALES as readonly string[]).includes(tag);
}

/**
 * The best of {@link LOCALES} for an `Accept-Language` header (RFC 9110
 * §12.5.4: by q-value, then by order; `de-CH` matches `de`), or `fallback`.
 *
 * @param header - the header's value, or `null`
 * @param fallback - the language when nothing matches @defaultValue `'en'`
 * @example
 * ```ts
 * import { negotiateLocale } from 'otpgate/web';
 * negotiateLocale('fr-CH, fr;q=0.9, en;q=0.8'); // 'fr'
 * negotiateLocale('ja'); // 'en'
 * ```
 */
export function negotiateLocale(header: string | null, fallback: Locale = 'en'): Locale {
  if (header === null || header.length > 1000) return fallback;
  const ranges = header
    .split(',')
    .slice(0, 32)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      let q = 1;
      for (const param of params) {
        const [name, value] = param.trim().split('=');
        if (name === 'q' && value !== undefined) q = Number(value);
      }
      return { language: tag.trim().toLowerCase().split('-')[0] ?? '', q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((range) => range.q > 0 && isLocale(range.language))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const best = ranges[0];
  return best !== undefined && isLocale(best.language) ? best.language : fallback;
}

// The catalogues: the same keys and placeholders in every language, chosen
// by Accept-Language, and any text or page replaceable by the host.
import { describe, expect, it } from 'vitest';
import { CATALOGUES, html, LOCALES, negotiateLocale, type ViewOf } from '../../src/web/index.js';
import { Client, setup } from './helpers.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('catalogues', () => {
  it('every language has exactly the English keys, none empty, with the same placeholders', () => {
    const keys = Object.keys(CATALOGUES.en).sort();
    expect(keys.length).toBeGreaterThan(100);
    for (const locale of LOCALES) {
      const catalogue = CATALOGUES[locale];
      expect(Object.keys(catalogue).sort(), locale).toEqual(keys);
      for (const key of keys) {
        const text = catalogue[key as keyof typeof catalogue];
        expect(text.trim(), `${locale}.${key}`).not.toBe('');
        expect(placeholders(text), `${locale}.${key}`).toEqual(placeholders(CATALOGUES.en[key as keyof typeof CATALOGUES.en]));
      }
    }
  });

  it('the other languages are translations, not copies of English', () => {
    for (const locale of LOCALES.filter((l) => l !== 'en')) {
      const same = Object.keys(CATALOGUES.en).filter((key) => CATALOGUES[locale][key as 'title'] === CATALOGUES.en[key as 'title']);
      // A few words may coincide (for example "Actions" in French); whole sentences may not.
      expect(same.length, `${locale}: ${same.join(', ')}`).toBeLessThanOrEqual(2);
    }
  });
});

describe('negotiateLocale', () => {
  it('picks by q-value, then order, matching the primary subtag', () => {
    expect(negotiateLocale('de-CH,de;q=0.9,en;q=0.8')).toBe('de');
    expect(negotiateLocale('ja, es;q=0.5, fr;q=0.7')).toBe('fr');
    expect(negotiateLocale('es-MX')).toBe('es');
    expect(negotiateLocale('fr;q=0, de;q=0.1')).toBe('de');
    expect(negotiateLocale('ja, zh')).toBe('en');
    expect(negotiateLocale(null)).toBe('en');
    expect(negotiateLocale('*')).toBe('en');
    expect(negotiateLocale('garbage;;;q=x,,')).toBe('en');
  });
});

describe('pages in the user\'s language', () => {
  it.each([
    ['de', 'Jetzt einrichten', 'Einrichtung verschieben'],
    ['fr', 'Configurer maintenant', 'Reporter la configuration'],
    ['es', 'Configurar ahora', 'Posponer la configuración'],
  ])('%s', async (language, setUpNow, postpone) => {
    const s = setup();
    const browser = new Client(s.flow, { language });
    await browser.start('alice');
    const { body, response } = await browser.get('/2fa');
    expect(body).toContain(`<html lang="${language}">`);
    expect(response.headers.get('content-language')).toBe(language);
    expect(body).toContain(setUpNow);
    expect(body).toContain(postpone);
    expect(body).not.toContain('Set up now');
  });

  it('a fixed locale wins over Accept-Language', async () => {
    const s = setup({ locale: 'fr' });
    const browser = new Client(s.flow, { language: 'de' });
    await browser.start('alice');
    expect((await browser.get('/2fa')).body).toContain('Configurer maintenant');
  });

  it('errors come in the user\'s language too, JSON included', async () => {
    const s = setup();
    const app = new Client(s.flow, { json: true, language: 'de' });
    const { json } = await app.get('/2fa/unknown');
    expect(json.error).toEqual({ code: 'not-found', message: 'Diese Seite gibt es nicht.' });
  });
});

describe('overrides', () => {
  it('`messages` replaces any text, per language', async () => {
    const s = setup({ messages: { en: { setUpNow: 'Protect my account' }, de: { setUpNow: 'Konto schützen' } } });
    const en = new Client(s.flow);
    await en.start('alice');
    const page = (await en.get('/2fa')).body;
    expect(page).toContain('Protect my account');
    expect(page).toContain('Postpone setup');
    const de = new Client(s.flow, { language: 'de' });
    await de.start('alice');
    expect((await de.get('/2fa')).body).toContain('Konto schützen');
  });

  it('`render` replaces a page with the host\'s template, fed the typed view model', async () => {
    const seen: ViewOf<'choice'>[] = [];
    const s = setup({
      render: {
        choice: (view, context) => {
          seen.push(view);
          return html`<!doctype html><title>mine</title><form method="post" action="${context.basePath}/postpone"><input type="hidden" name="csrf" value="${view.csrf}"><button>${context.t.postponeSetup} (${view.postponesLeft})</button></form>`.text;
        },
      },
    });
    const browser = new Client(s.flow);
    await browser.start('alice');
    const { body } = await browser.get('/2fa');
    expect(body).toContain('<title>mine</title>');
    expect(body).toContain('Postpone setup (2)');
    expect(seen[0]).toMatchObject({ page: 'choice', required: true, postponesLeft: 2 });
    // The host's page posts back like the default one.
    expect((await browser.post('/2fa/postpone')).response.status).toBe(303);
    // Other pages keep the default renderer.
    await browser.start('alice');
    expect((await browser.get('/2fa/setup')).body).toContain('Verify and Save');
  });
});

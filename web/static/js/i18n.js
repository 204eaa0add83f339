// Languages: the locale files (locales/*.js), choosing the person's language, and translating keys with
// "{name}" parameters. No DOM: localize.js applies translations to a page.

import enMessages from './locales/en.js';
import koMessages from './locales/ko.js';

/** @type {Record<string, string>} */
const en = enMessages;
/** @type {Record<string, string>} */
const ko = koMessages;

/** @typedef {'en' | 'ko'} Locale */
/** @typedef {(key: string, params?: Record<string, string | number>) => string} Translate */

/** @type {Record<Locale, Record<string, string>>} */
export const MESSAGES = { en, ko };

/** Each language's name in itself, for the language switch. */
export const LOCALE_NAMES = /** @type {Record<Locale, string>} */ ({ en: 'English', ko: '한국어' });

/** Where the person's choice is remembered. */
export const STORAGE_KEY = 'maju.locale';

/**
 * @param {unknown} v
 * @returns {v is Locale}
 */
export function isLocale(v) {
  return v === 'en' || v === 'ko';
}

/**
 * The language to show: the person's saved choice, else the first of the browser's languages maju
 * speaks (ko, ko-KR → ko), else English.
 * @param {string | null} saved
 * @param {readonly string[]} languages navigator.languages
 * @returns {Locale}
 */
export function pickLocale(saved, languages) {
  if (isLocale(saved)) return saved;
  for (const lang of languages) {
    const base = lang.toLowerCase().split('-')[0];
    if (isLocale(base)) return base;
  }
  return 'en';
}

/**
 * A translate function for locale: a key's text with {name} replaced by params.name. A key the locale
 * lacks falls back to English, and an unknown key shows itself (a bug a test will catch, not a crash).
 * @param {Locale} locale
 * @returns {Translate}
 */
export function translator(locale) {
  const messages = MESSAGES[locale];
  return (key, params) => {
    const text = messages[key] ?? en[key] ?? key;
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  };
}

/**
 * The saved language choice, or null; storage may be unavailable (private modes throw).
 * @param {Pick<Storage, 'getItem'> | undefined} storage
 * @returns {string | null}
 */
export function savedLocale(storage) {
  try {
    return storage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

/**
 * Remembers the language choice where storage allows.
 * @param {Pick<Storage, 'setItem'> | undefined} storage
 * @param {Locale} locale
 */
export function saveLocale(storage, locale) {
  try {
    storage?.setItem(STORAGE_KEY, locale);
  } catch {
    // Not remembered; the choice still applies to this page.
  }
}

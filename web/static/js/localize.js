// Applies a language to a page: the elements that carry data-i18n attributes get their text and
// attributes from the locale files, and a language switch lets the person change it.
//
//   data-i18n="key"                  textContent
//   data-i18n-aria-label="key"       aria-label
//   data-i18n-placeholder="key"      placeholder
//   data-i18n-title="key"            title
//   data-i18n-content="key"          content (for <meta>)
//   data-i18n-params='{"n": 2}'      parameters of the text's key (JSON); data-i18n-<attr>-params likewise
//
// The HTML carries the English text too, so a page reads right before its script runs.

import { LOCALE_NAMES, isLocale, pickLocale, saveLocale, savedLocale, translator } from './i18n.js';

/** @typedef {import('./i18n.js').Locale} Locale */
/** @typedef {import('./i18n.js').Translate} Translate */

const ATTRIBUTES = /** @type {const} */ (['aria-label', 'placeholder', 'title', 'content']);

/**
 * Translates every marked element under root.
 * @param {ParentNode} root
 * @param {Translate} t
 */
export function localize(root, t) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(/** @type {string} */ (el.getAttribute('data-i18n')), params(el, 'data-i18n-params'));
  }
  for (const attr of ATTRIBUTES) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      const key = /** @type {string} */ (el.getAttribute(`data-i18n-${attr}`));
      el.setAttribute(attr, t(key, params(el, `data-i18n-${attr}-params`)));
    }
  }
}

/**
 * Sets el's text to key's translation and marks it, so a later change of language translates it again.
 * An empty key empties the element.
 * @param {Element} el
 * @param {Translate} t
 * @param {string} key
 * @param {Record<string, string | number>} [values]
 */
export function setText(el, t, key, values) {
  mark(el, 'data-i18n', key, values);
  el.textContent = key === '' ? '' : t(key, values);
}

/**
 * Sets an attribute to key's translation, marked like setText; an empty key removes the attribute.
 * @param {Element} el
 * @param {(typeof ATTRIBUTES)[number]} attr
 * @param {Translate} t
 * @param {string} key
 * @param {Record<string, string | number>} [values]
 */
export function setAttr(el, attr, t, key, values) {
  mark(el, `data-i18n-${attr}`, key, values);
  if (key === '') {
    el.removeAttribute(attr);
  } else {
    el.setAttribute(attr, t(key, values));
  }
}

/**
 * @param {Element} el
 * @param {string} name
 * @param {string} key
 * @param {Record<string, string | number>} [values]
 */
function mark(el, name, key, values) {
  if (key === '') {
    el.removeAttribute(name);
  } else {
    el.setAttribute(name, key);
  }
  if (key !== '' && values) {
    el.setAttribute(`${name}-params`, JSON.stringify(values));
  } else {
    el.removeAttribute(`${name}-params`);
  }
}

/**
 * @param {Element} el
 * @param {string} name
 * @returns {Record<string, string | number> | undefined}
 */
function params(el, name) {
  const raw = el.getAttribute(name);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/**
 * The page's language: chosen from storage and the browser, applied to the document, and switchable with
 * the <select data-language-switch> elements of the page. onChange runs after every switch (for the
 * texts a script wrote, such as the call state).
 */
export class PageLanguage {
  /** @type {Document} */
  #doc;
  /** @type {Storage | undefined} */
  #storage;
  /** @type {Locale} */
  #locale;
  /** @type {Translate} */
  #t;
  /** @type {Set<(t: Translate, locale: Locale) => void>} */
  #listeners = new Set();

  /**
   * @param {Document} doc
   * @param {{storage?: Storage, languages?: readonly string[]}} [options]
   */
  constructor(doc, { storage = safeLocalStorage(), languages = navigator.languages ?? [navigator.language] } = {}) {
    this.#doc = doc;
    this.#storage = storage;
    this.#locale = pickLocale(savedLocale(storage), languages);
    this.#t = translator(this.#locale);
  }

  get locale() {
    return this.#locale;
  }

  /** The translate function of the current language. */
  get t() {
    return this.#t;
  }

  /** Translates the page and wires its language switches. Call once. */
  init() {
    for (const select of this.#doc.querySelectorAll('select[data-language-switch]')) {
      this.#fillSwitch(/** @type {HTMLSelectElement} */ (select));
    }
    this.#apply();
  }

  /** @param {(t: Translate, locale: Locale) => void} fn Runs after each change of language. */
  onChange(fn) {
    this.#listeners.add(fn);
  }

  /** @param {Locale} locale */
  set(locale) {
    if (locale === this.#locale) return;
    this.#locale = locale;
    this.#t = translator(locale);
    saveLocale(this.#storage, locale);
    this.#apply();
    for (const fn of this.#listeners) fn(this.#t, locale);
  }

  #apply() {
    this.#doc.documentElement.lang = this.#locale;
    localize(this.#doc, this.#t);
    for (const select of this.#doc.querySelectorAll('select[data-language-switch]')) {
      /** @type {HTMLSelectElement} */ (select).value = this.#locale;
    }
  }

  /** @param {HTMLSelectElement} select */
  #fillSwitch(select) {
    select.replaceChildren();
    for (const [code, name] of Object.entries(LOCALE_NAMES)) {
      const option = this.#doc.createElement('option');
      option.value = code;
      option.lang = code;
      option.textContent = name;
      select.append(option);
    }
    select.addEventListener('change', () => {
      if (isLocale(select.value)) this.set(select.value);
    });
  }
}

/** localStorage, or undefined where touching it throws (some private modes, sandboxed frames). */
function safeLocalStorage() {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

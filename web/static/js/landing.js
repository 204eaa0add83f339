// The landing page: the "Join a call" form. ("Start a call" is a plain form to /new and needs no script.)

import { parseRoomInput } from './roomid.js';
import { PageLanguage, setText } from './localize.js';
import { registerServiceWorker } from './pwa.js';

registerServiceWorker();

const language = new PageLanguage(document);
language.init();
document.title = language.t('landing.docTitle');
language.onChange((t) => {
  document.title = t('landing.docTitle');
});

const form = /** @type {HTMLFormElement} */ (document.getElementById('join-form'));
const input = /** @type {HTMLInputElement} */ (document.getElementById('join-input'));
const error = /** @type {HTMLElement} */ (document.getElementById('join-error'));

/** @param {string} key '' hides the error. */
function showError(key) {
  setText(error, language.t, key);
  error.hidden = key === '';
  if (key) {
    input.setAttribute('aria-invalid', 'true');
  } else {
    input.removeAttribute('aria-invalid');
  }
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = input.value.trim();
  if (text === '') {
    showError('landing.errorEmpty');
    input.focus();
    return;
  }
  const id = parseRoomInput(text);
  if (!id) {
    showError('landing.errorInvalid');
    input.focus();
    return;
  }
  showError('');
  location.assign(`/r/${id}`);
});

input.addEventListener('input', () => {
  if (!error.hidden) showError('');
});

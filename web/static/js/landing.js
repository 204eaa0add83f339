// The landing page: the "Join a call" form. ("Start a call" is a plain form to /new and needs no script.)

import { parseRoomInput } from './roomid.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('join-form'));
const input = /** @type {HTMLInputElement} */ (document.getElementById('join-input'));
const error = /** @type {HTMLElement} */ (document.getElementById('join-error'));

/** @param {string} text '' hides the error. */
function showError(text) {
  error.textContent = text;
  error.hidden = text === '';
  if (text) {
    input.setAttribute('aria-invalid', 'true');
  } else {
    input.removeAttribute('aria-invalid');
  }
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = input.value.trim();
  if (text === '') {
    showError('Paste the link you were sent, or its call id.');
    input.focus();
    return;
  }
  const id = parseRoomInput(text);
  if (!id) {
    showError('That is not a maju call link or id. A link looks like https://…/r/ followed by 22 letters, digits, "-" or "_".');
    input.focus();
    return;
  }
  showError('');
  location.assign(`/r/${id}`);
});

input.addEventListener('input', () => {
  if (!error.hidden) showError('');
});

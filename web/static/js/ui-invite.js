// InvitePanel: how the link to the call gets to the other person (or to your own phone): copy it, share it
// with the system's share sheet where there is one, or scan its QR code from the waiting screen. The QR
// code is drawn here from qr.js: no image service ever sees the link.

import { byId } from './dom.js';
import { setText } from './localize.js';
import { encodeQR, qrPath } from './qr.js';

/** @typedef {import('./i18n.js').Translate} Translate */

const SVG = 'http://www.w3.org/2000/svg';

/**
 * @typedef {object} InvitePanelOptions
 * @property {Document} document
 * @property {string} roomUrl
 * @property {() => Translate} t
 * @property {Pick<Navigator, 'clipboard'> & {share?: Navigator['share'], canShare?: Navigator['canShare']}} [navigator]
 */

export class InvitePanel {
  /** @type {Document} */
  #doc;
  #roomUrl;
  #t;
  #nav;
  /** @type {Map<Element, ReturnType<typeof setTimeout>>} */
  #labelTimers = new Map();

  /** @param {InvitePanelOptions} options */
  constructor({ document, roomUrl, t, navigator: nav = navigator }) {
    this.#doc = document;
    this.#roomUrl = roomUrl;
    this.#t = t;
    this.#nav = nav;
  }

  /**
   * @template {HTMLElement} T
   * @param {string} id
   * @returns {T}
   */
  #el(id) {
    return byId(this.#doc, id);
  }

  /** Fills in the link and its QR code and wires the buttons. Call once. */
  init() {
    const input = /** @type {HTMLInputElement} */ (this.#el('invite-link'));
    input.value = this.#roomUrl;
    input.addEventListener('focus', () => input.select());
    for (const id of ['copy-link', 'copy-link-invite']) {
      const btn = this.#el(id);
      btn.addEventListener('click', () => this.#copy(btn));
    }
    const share = this.#el('share-link');
    share.hidden = !this.#canShare();
    share.addEventListener('click', () => this.#share());
    this.#drawQR();
  }

  /** Whether the system share sheet can take the link (mostly phones). */
  #canShare() {
    const nav = this.#nav;
    if (typeof nav.share !== 'function') return false;
    return typeof nav.canShare !== 'function' || nav.canShare({ url: this.#roomUrl });
  }

  async #share() {
    try {
      await this.#nav.share?.({ url: this.#roomUrl, title: 'maju' });
    } catch (err) {
      // AbortError: the person closed the sheet. Anything else: copying still works.
      if (!(err instanceof DOMException && err.name === 'AbortError')) console.warn('maju: share failed:', err);
    }
  }

  #drawQR() {
    const svg = this.#el('invite-qr');
    const { viewBox, d } = qrPath(encodeQR(this.#roomUrl, { ecl: 'M' }));
    svg.setAttribute('viewBox', viewBox);
    // Dark on light, quiet zone included, whatever the page's colours: some scanners cannot read
    // inverted codes.
    const background = this.#doc.createElementNS(SVG, 'rect');
    for (const [k, v] of Object.entries({ x: '0', y: '0', width: '100%', height: '100%', fill: '#fff' })) {
      background.setAttribute(k, v);
    }
    const modules = this.#doc.createElementNS(SVG, 'path');
    modules.setAttribute('d', d);
    modules.setAttribute('fill', '#000');
    modules.setAttribute('shape-rendering', 'crispEdges');
    svg.replaceChildren(background, modules);
  }

  /** @param {HTMLElement} btn */
  async #copy(btn) {
    let ok = false;
    try {
      await this.#nav.clipboard.writeText(this.#roomUrl);
      ok = true;
    } catch {
      ok = this.#copyBySelection();
    }
    const label = btn.querySelector('.copy-label');
    if (!label) return;
    setText(label, this.#t(), ok ? 'action.copied' : 'action.copyFailed');
    if (!ok && !this.#el('invite').hidden) /** @type {HTMLInputElement} */ (this.#el('invite-link')).select();
    clearTimeout(this.#labelTimers.get(label));
    this.#labelTimers.set(
      label,
      setTimeout(() => setText(label, this.#t(), 'action.copyLink'), 2000),
    );
  }

  /** The old way to copy, for pages without the Clipboard API (plain HTTP on a LAN address). */
  #copyBySelection() {
    const input = /** @type {HTMLInputElement} */ (this.#el('invite-link'));
    const invite = this.#el('invite');
    const hidden = invite.hidden;
    try {
      invite.hidden = false;
      input.select();
      return this.#doc.execCommand('copy');
    } catch {
      return false;
    } finally {
      invite.hidden = hidden;
    }
  }
}

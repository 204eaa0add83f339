// ControlsAutoHide: during a call with the other person's video showing, the top bar and the controls
// fade away after a few quiet seconds so the picture fills the screen; a tap, a mouse move or a key
// brings them back. They never hide while something needs them: chat open, a menu open, or focus on a
// control (keyboard users would lose their place).

/** Quiet time before the controls hide, in ms. */
export const HIDE_AFTER = 4000;

/**
 * @typedef {object} AutoHideOptions
 * @property {HTMLElement} body Gets the class "controls-hidden".
 * @property {HTMLElement} stage Tapping the picture shows or hides the controls.
 * @property {() => boolean} canHide Whether hiding makes sense now (connected, video showing, nothing open).
 * @property {(fn: () => void, ms: number) => unknown} [setTimer]
 * @property {(id: unknown) => void} [clearTimer]
 */

export class ControlsAutoHide {
  #opts;
  /** @type {unknown} */
  #timer = null;
  #setTimer;
  #clearTimer;

  /** @param {AutoHideOptions} options */
  constructor(options) {
    this.#opts = options;
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((id) => clearTimeout(/** @type {number} */ (id)));
  }

  get hidden() {
    return this.#opts.body.classList.contains('controls-hidden');
  }

  init() {
    const { body, stage } = this.#opts;
    const doc = body.ownerDocument;
    for (const type of ['pointermove', 'keydown', 'focusin']) {
      doc.addEventListener(type, () => this.show());
    }
    stage.addEventListener('click', (ev) => {
      // A tap on the picture itself toggles; taps on buttons inside the stage are theirs.
      if (/** @type {Element} */ (ev.target).closest('button, input, a, .self-view')) return;
      if (this.hidden) {
        this.show();
      } else if (this.#opts.canHide()) {
        this.#hide();
      }
    });
  }

  /** Shows the controls and starts counting quiet time again. Call when the call's state changes too. */
  show() {
    this.#opts.body.classList.remove('controls-hidden');
    this.#clearTimer(this.#timer);
    this.#timer = this.#setTimer(() => this.#hide(), HIDE_AFTER);
  }

  #hide() {
    this.#clearTimer(this.#timer);
    this.#timer = null;
    const doc = this.#opts.body.ownerDocument;
    const focused = doc.activeElement;
    const onControl = focused !== null && focused !== doc.body && !!focused.closest('.controls, .topbar, .chat-panel');
    if (!this.#opts.canHide() || onControl) return;
    this.#opts.body.classList.add('controls-hidden');
  }
}

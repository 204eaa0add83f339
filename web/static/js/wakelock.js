// ScreenWake: keeps the screen on while a call is connected (Screen Wake Lock API). The browser drops
// the lock whenever the page is hidden, so it is asked for again when the page is visible again. Where
// the API is missing, or the browser refuses (battery saver), the call simply goes on. No other DOM.

/**
 * @typedef {object} ScreenWakeOptions
 * @property {{request(type: 'screen'): Promise<{released: boolean, release(): Promise<void>, addEventListener(type: 'release', fn: () => void): void}>} | undefined} wakeLock
 *   navigator.wakeLock
 * @property {Pick<Document, 'visibilityState' | 'addEventListener'>} document
 */

export class ScreenWake {
  #wakeLock;
  #doc;
  #wanted = false;
  /** @type {{released: boolean, release(): Promise<void>} | null} */
  #lock = null;
  /** A request in flight, so two cannot overlap. */
  #pending = false;

  /** @param {ScreenWakeOptions} options */
  constructor({ wakeLock, document }) {
    this.#wakeLock = wakeLock;
    this.#doc = document;
    document.addEventListener('visibilitychange', () => {
      if (this.#doc.visibilityState === 'visible') void this.#acquire();
    });
  }

  /** Whether the screen is being kept on now. */
  get held() {
    return this.#lock !== null && !this.#lock.released;
  }

  /** @param {boolean} on Keep the screen on (during a connected call) or let it sleep. */
  async set(on) {
    this.#wanted = on;
    if (on) {
      await this.#acquire();
      return;
    }
    const lock = this.#lock;
    this.#lock = null;
    if (lock && !lock.released) await lock.release().catch(() => {});
  }

  async #acquire() {
    if (!this.#wanted || !this.#wakeLock || this.held || this.#pending || this.#doc.visibilityState !== 'visible') return;
    this.#pending = true;
    try {
      const lock = await this.#wakeLock.request('screen');
      if (this.#wanted) {
        this.#lock = lock;
      } else {
        await lock.release(); // the call ended while asking
      }
    } catch (err) {
      console.debug('maju: the screen may sleep during the call:', err);
    } finally {
      this.#pending = false;
    }
  }
}

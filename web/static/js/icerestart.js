// IceRestarter: brings one peer connection back in place when its network path breaks, by restarting ICE
// (new credentials and candidates over the same RTCPeerConnection: the tracks and the chat channel stay).
// It decides when: after `disconnected` has lasted a short grace (it often recovers by itself), at once on
// `failed` or a network change, and again every retry interval while the connection stays down, up to a
// limit. It never sends an offer nobody can receive: while signaling or the other person is away the
// restart waits, and resumed() does it then. No DOM; Call (call.js) owns one per peer connection.

/** How long 'disconnected' may last before ICE is restarted, in ms: it often recovers by itself. */
export const RESTART_GRACE = 2000;
/** ms between ICE restarts while the connection does not come back. */
export const RESTART_RETRY = 8000;
/** ICE restarts before giving up (about two minutes with RESTART_RETRY). */
export const MAX_RESTARTS = 15;

/**
 * @typedef {object} IceRestarterOptions
 * @property {RTCPeerConnection} pc
 * @property {() => void} restart Restarts ICE (Negotiation.restartIce: the offer goes out through it).
 * @property {() => boolean} canOffer Whether an offer can reach the other person now.
 * @property {() => void} onGiveUp Called once the restarts are used up with the connection still down.
 * @property {(fn: () => void) => void} [run] Runs a timer's work (Call's inbox, so it is in order).
 * @property {number} [grace] ms of 'disconnected' before a restart.
 * @property {number} [retry] ms between restarts while it stays down.
 * @property {number} [max] restarts before giving up.
 */

export class IceRestarter {
  #pc;
  #restart;
  #canOffer;
  #onGiveUp;
  #run;
  #grace;
  #retry;
  #max;
  #everConnected = false;
  /** Restarts since the connection was last connected. */
  #count = 0;
  /** A restart waits for signaling and the other person. */
  #pending = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  #stopped = false;

  /** @param {IceRestarterOptions} options */
  constructor({ pc, restart, canOffer, onGiveUp, run = (fn) => fn(), grace = RESTART_GRACE, retry = RESTART_RETRY, max = MAX_RESTARTS }) {
    this.#pc = pc;
    this.#restart = restart;
    this.#canOffer = canOffer;
    this.#onGiveUp = onGiveUp;
    this.#run = run;
    this.#grace = grace;
    this.#retry = retry;
    this.#max = max;
  }

  /** Whether the connection has been connected at least once: trouble now means reconnecting. */
  get everConnected() {
    return this.#everConnected;
  }

  /** The connection is connected: nothing to do, and the full allowance again for the next trouble. */
  connected() {
    clearTimeout(this.#timer);
    this.#everConnected = true;
    this.#count = 0;
    this.#pending = false;
  }

  /** The connection went 'disconnected': restart unless it comes back within the grace. */
  disconnected() {
    if (!this.#everConnected) return;
    this.#after(this.#grace, () => this.#pc.connectionState === 'disconnected');
  }

  /**
   * Restarts now (the connection failed, or the network changed), or as soon as an offer can reach the
   * other person.
   */
  request() {
    if (this.#stopped) return;
    if (!this.#canOffer()) {
      this.#pending = true;
      return;
    }
    this.#pending = false;
    if (this.#count >= this.#max) {
      console.warn('maju: the connection did not come back; giving up');
      this.#stopped = true;
      this.#onGiveUp();
      return;
    }
    this.#count++;
    console.debug(`maju: restarting ICE (${this.#count})`);
    this.#restart();
    this.#after(this.#retry, () => this.#pc.connectionState !== 'connected');
  }

  /**
   * Signaling is back and the pair resumed: a restart that waited goes now, and a connection that is not
   * up restarts (candidates sent meanwhile were lost) — unless an offer is already on its way again.
   * @param {boolean} offerResent
   */
  resumed(offerResent) {
    this.#count = 0; // a resumed pair gets the full allowance again
    this.#stopped = false;
    if (!offerResent && (this.#pending || this.#pc.connectionState !== 'connected')) this.request();
  }

  /** Stops every timer: the connection is closed. */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /**
   * Requests a restart after ms if stillDown() says so then.
   * @param {number} ms
   * @param {() => boolean} stillDown
   */
  #after(ms, stillDown) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#run(() => {
      if (!this.#stopped && stillDown()) this.request();
    }), ms);
  }
}

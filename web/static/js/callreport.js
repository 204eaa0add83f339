// CallReport: tells the server how one connection attempt with the other person ended (the protocol's
// `call-report`), so the operator's metrics show connected and failed calls, direct versus relayed, and
// how long setup took. The server never sees media; this is all it learns. No DOM.

/**
 * @typedef {object} CallReportOptions
 * @property {(payload: Record<string, unknown>) => void} send Sends a call-report message's fields.
 * @property {() => number} [now] Milliseconds on a monotonic clock (performance.now by default).
 */

/** The report of one attempt: at most one `connected` or one `failed`, whichever comes first. */
export class CallReport {
  #send;
  #now;
  #started;
  /** @type {number | null} ms of setup, once connected */
  #setupMs = null;
  #sent = false;

  /** @param {CallReportOptions} options The attempt starts now: both people are in the room. */
  constructor({ send, now = () => performance.now() }) {
    this.#send = send;
    this.#now = now;
    this.#started = now();
  }

  /** The connection reached 'connected' (the first time counts). The report waits for the path. */
  connected() {
    if (this.#setupMs === null) this.#setupMs = Math.max(0, Math.round(this.#now() - this.#started));
  }

  /**
   * The connection's path is known (icepath.js): sends the connected report with it.
   * @param {import('./icepath.js').IcePath | null} path
   */
  path(path) {
    if (this.#sent || this.#setupMs === null || !path) return;
    this.#sent = true;
    /** @type {Record<string, unknown>} */
    const payload = { outcome: 'connected', path: path.relayed ? 'relayed' : 'direct', setupMs: Math.min(this.#setupMs, 600000) };
    if (path.relayed && path.protocol) payload.transport = path.protocol;
    this.#send(payload);
  }

  /**
   * The attempt failed before ever connecting.
   * @param {'ice-failed' | 'timeout'} reason
   */
  failed(reason) {
    if (this.#sent || this.#setupMs !== null) return;
    this.#sent = true;
    this.#send({ outcome: 'failed', reason });
  }
}

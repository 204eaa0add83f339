// Signaling: maju's WebSocket client for protocol version 1 (docs/protocol.md).
//
// It keeps the tutorial's small message API — sendMessage(type, payload) and onMessage(type, callback) —
// and adds what a real connection needs: the {v, type} envelope, a queue for messages sent while the
// socket is still connecting, a liveness check (`ping` → `pong`), and 'open' / 'close' events.
// No DOM, no RTCPeerConnection: the call decides what the messages mean.

/** The protocol version this client speaks; every message carries it in "v". */
export const PROTOCOL_VERSION = 1;

/**
 * A decoded message from the server: the envelope plus the type's own fields.
 * @typedef {{v: number, type: string, [field: string]: unknown}} SignalMessage
 */

/**
 * @callback MessageCallback
 * @param {SignalMessage} message
 * @returns {void}
 */

/**
 * Detail of the 'close' event.
 * @typedef {object} CloseDetail
 * @property {number} code   WebSocket close code (1000 normal, 1008 policy, …; 1006 when it just dropped).
 * @property {string} reason Close reason; for fatal protocol errors this is the error code.
 * @property {boolean} byClient True when close() was called on this side.
 */

/**
 * @typedef {object} SignalingOptions
 * @property {string} url WebSocket URL of the server's /ws endpoint.
 * @property {typeof WebSocket} [WebSocketImpl] WebSocket constructor (injected in tests).
 * @property {number} [pingInterval] ms between liveness checks; 0 turns them off.
 * @property {number} [pongTimeout] ms to wait for `pong` (or any message) before giving up on the server.
 * @property {number} [maxQueue] messages kept while connecting; more are dropped.
 */

/** Ready states, so the code does not depend on the injected WebSocket having static constants. */
const CONNECTING = 0;
const OPEN = 1;

/**
 * A WebSocket connection to the maju signaling server.
 *
 * Events: 'open' (Event) when the socket is open; 'close' (CustomEvent<CloseDetail>) once, when it is closed
 * for any reason. The constructor has no side effects; start() connects.
 */
export class Signaling extends EventTarget {
  /** @type {string} */
  #url;
  /** @type {typeof WebSocket} */
  #WebSocketImpl;
  /** @type {WebSocket | null} */
  #ws = null;
  /** @type {Map<string, Set<MessageCallback>>} */
  #handlers = new Map();
  /** @type {string[]} */
  #queue = [];
  #maxQueue;
  #pingInterval;
  #pongTimeout;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #pingTimer;
  #lastHeard = 0;
  #closedByClient = false;
  #closed = false;

  /** @param {SignalingOptions} options */
  constructor({ url, WebSocketImpl = WebSocket, pingInterval = 20000, pongTimeout = 10000, maxQueue = 256 }) {
    super();
    this.#url = url;
    this.#WebSocketImpl = WebSocketImpl;
    this.#pingInterval = pingInterval;
    this.#pongTimeout = pongTimeout;
    this.#maxQueue = maxQueue;
  }

  /** Opens the connection. Call once. */
  start() {
    if (this.#ws) throw new Error('Signaling.start() called twice');
    const ws = new this.#WebSocketImpl(this.#url);
    this.#ws = ws;
    ws.addEventListener('open', () => this.#onOpen());
    ws.addEventListener('message', (ev) => this.#onSocketMessage(ev));
    ws.addEventListener('close', (ev) => this.#onClose(ev.code, ev.reason));
    // 'error' is always followed by 'close', which reports it.
  }

  /** True while the socket is open. */
  get isOpen() {
    return this.#ws !== null && this.#ws.readyState === OPEN;
  }

  /**
   * Sends one message: {v: 1, type, ...payload}. Messages sent while connecting are queued and go out
   * in order once the socket opens. Returns false when the message could not be sent or queued.
   * @param {string} type
   * @param {Record<string, unknown>} [payload]
   * @returns {boolean}
   */
  sendMessage(type, payload = {}) {
    const data = JSON.stringify({ ...payload, v: PROTOCOL_VERSION, type });
    const ws = this.#ws;
    if (ws && ws.readyState === OPEN) {
      ws.send(data);
      return true;
    }
    if (!this.#closed && (!ws || ws.readyState === CONNECTING) && this.#queue.length < this.#maxQueue) {
      this.#queue.push(data);
      return true;
    }
    return false;
  }

  /**
   * Calls callback for every message of this type from the server. Returns a function that unsubscribes.
   * @param {string} type
   * @param {MessageCallback} callback
   * @returns {() => void}
   */
  onMessage(type, callback) {
    let set = this.#handlers.get(type);
    if (!set) {
      set = new Set();
      this.#handlers.set(type, set);
    }
    set.add(callback);
    return () => {
      set.delete(callback);
    };
  }

  /**
   * Closes the connection (normal closure). Queued messages that were not sent yet are dropped.
   * @param {number} [code]
   * @param {string} [reason]
   */
  close(code = 1000, reason = '') {
    this.#closedByClient = true;
    this.#queue = [];
    const ws = this.#ws;
    if (ws && ws.readyState <= OPEN) ws.close(code, reason);
    if (!ws) this.#onClose(code, reason);
  }

  #onOpen() {
    this.#lastHeard = Date.now();
    const ws = /** @type {WebSocket} */ (this.#ws);
    for (const data of this.#queue) ws.send(data);
    this.#queue = [];
    if (this.#pingInterval > 0) {
      this.#pingTimer = setInterval(() => this.#checkAlive(), this.#pingInterval);
    }
    this.dispatchEvent(new Event('open'));
  }

  /** Sends `ping`; if nothing at all was heard for pingInterval + pongTimeout, the server is gone. */
  #checkAlive() {
    if (Date.now() - this.#lastHeard > this.#pingInterval + this.#pongTimeout) {
      const ws = this.#ws;
      if (ws) ws.close(4000, 'no-pong');
      // Browsers may take a long time to report the close of a dead TCP connection; report it now.
      this.#onClose(1006, 'no-pong');
      return;
    }
    this.sendMessage('ping');
  }

  /** @param {MessageEvent} ev */
  #onSocketMessage(ev) {
    this.#lastHeard = Date.now();
    if (typeof ev.data !== 'string') return;
    /** @type {unknown} */
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      console.warn('maju: ignoring a signaling message that is not JSON');
      return;
    }
    if (!isMessage(msg)) {
      console.warn('maju: ignoring a signaling message without a valid envelope');
      return;
    }
    const set = this.#handlers.get(msg.type);
    if (!set) return;
    for (const callback of [...set]) {
      try {
        callback(msg);
      } catch (err) {
        console.error('maju: signaling handler for', msg.type, 'failed:', err);
      }
    }
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #onClose(code, reason) {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pingTimer);
    this.#queue = [];
    /** @type {CloseDetail} */
    const detail = { code, reason, byClient: this.#closedByClient };
    this.dispatchEvent(new CustomEvent('close', { detail }));
  }
}

/**
 * @param {unknown} msg
 * @returns {msg is SignalMessage}
 */
function isMessage(msg) {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return false;
  const m = /** @type {Record<string, unknown>} */ (msg);
  return m.v === PROTOCOL_VERSION && typeof m.type === 'string';
}

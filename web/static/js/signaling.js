// Signaling: maju's WebSocket client for protocol version 1 (docs/protocol.md).
//
// It keeps the tutorial's small message API — sendMessage(type, payload) and onMessage(type, callback) —
// and adds what a real connection needs: the {v, type} envelope, a queue for messages sent while the
// socket is still connecting, a liveness check (`ping` → `pong`), and reconnection: after a drop it opens
// a new socket with exponential backoff and jitter, and sends the `hello` message (the call's join, with
// its resume token) first on every socket (docs/protocol.md, "Reconnecting and resuming a seat").
// Events: 'open' on every socket that opens, 'down' when one is lost and another will be tried, 'close'
// once when it is over for good. No DOM, no RTCPeerConnection: the call decides what the messages mean.

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
 * Detail of the 'close' and 'down' events.
 * @typedef {object} CloseDetail
 * @property {number} code   WebSocket close code (1000 normal, 1008 policy, …; 1006 when it just dropped).
 * @property {string} reason Close reason; for fatal protocol errors this is the error code.
 * @property {boolean} byClient True when close() was called on this side.
 * @property {number} [retryIn] 'down' only: ms until the next attempt.
 */

/**
 * Close reasons after which reconnecting cannot help (docs/protocol.md, "Error codes"): the link is bad,
 * the room is full, the client sent nonsense, another tab took the seat, or too many new rooms.
 */
export const FINAL_REASONS = new Set(['bad-room', 'room-full', 'too-large', 'replaced', 'too-many-rooms']);

/**
 * @typedef {object} SignalingOptions
 * @property {string} url WebSocket URL of the server's /ws endpoint.
 * @property {typeof WebSocket} [WebSocketImpl] WebSocket constructor (injected in tests).
 * @property {number} [pingInterval] ms between liveness checks; 0 turns them off.
 * @property {number} [pongTimeout] ms to wait for `pong` (or any message) before giving up on the server.
 * @property {number} [maxQueue] messages kept while connecting; more are dropped.
 * @property {() => {type: string, payload?: Record<string, unknown>} | null} [hello] The message to send
 *   first on every socket (the join); null sends nothing.
 * @property {number} [retryBase] ms before the first reconnection attempt; 0 never reconnects.
 * @property {number} [retryMax] longest wait between attempts, in ms.
 * @property {() => number} [random] Math.random by default: the jitter.
 */

/** Ready states, so the code does not depend on the injected WebSocket having static constants. */
const CONNECTING = 0;
const OPEN = 1;

/**
 * A WebSocket connection to the maju signaling server, reopened after drops.
 *
 * Events: 'open' (Event) whenever a socket opens; 'down' (CustomEvent<CloseDetail>) when a socket is lost
 * and another attempt is scheduled; 'close' (CustomEvent<CloseDetail>) once, when it is over: close() was
 * called, or the server refused for good (FINAL_REASONS). The constructor has no side effects; start()
 * connects.
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
  #started = false;
  #everOpened = false;
  /** @type {() => {type: string, payload?: Record<string, unknown>} | null} */
  #hello;
  #retryBase;
  #retryMax;
  /** @type {() => number} */
  #random;
  /** Failed attempts since a socket last heard from the server: the backoff's exponent. */
  #attempts = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;

  /** @param {SignalingOptions} options */
  constructor({
    url, WebSocketImpl = WebSocket, pingInterval = 20000, pongTimeout = 10000, maxQueue = 256,
    hello = () => null, retryBase = 500, retryMax = 10000, random = Math.random,
  }) {
    super();
    this.#url = url;
    this.#WebSocketImpl = WebSocketImpl;
    this.#pingInterval = pingInterval;
    this.#pongTimeout = pongTimeout;
    this.#maxQueue = maxQueue;
    this.#hello = hello;
    this.#retryBase = retryBase;
    this.#retryMax = retryMax;
    this.#random = random;
  }

  /**
   * Sets the message sent first on every socket from now on (the call's join).
   * @param {() => {type: string, payload?: Record<string, unknown>} | null} hello
   */
  setHello(hello) {
    this.#hello = hello;
  }

  /** Opens the connection. Call once. */
  start() {
    if (this.#started) throw new Error('Signaling.start() called twice');
    this.#started = true;
    this.#connect();
  }

  #connect() {
    const ws = new this.#WebSocketImpl(this.#url);
    this.#ws = ws;
    // Events of a socket that was given up on (no pong) must not touch its successor.
    ws.addEventListener('open', () => this.#ws === ws && this.#onOpen());
    ws.addEventListener('message', (ev) => this.#ws === ws && this.#onSocketMessage(ev));
    ws.addEventListener('close', (ev) => this.#ws === ws && this.#onClose(ev.code, ev.reason));
    // 'error' is always followed by 'close', which reports it.
  }

  /**
   * Tries again now instead of waiting out the backoff (the browser is back online). With replace, an
   * open or connecting socket is given up for a new one too: it rode a network that is gone, and may not
   * know it for a long time. The old socket's events are ignored; 'down' is dispatched for it.
   * @param {boolean} [replace]
   * @returns {boolean} whether a new socket is being opened
   */
  reconnectNow(replace = false) {
    if (this.#closed || !this.#started) return false;
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#connect();
      return true;
    }
    const old = this.#ws;
    if (!replace || !old) return false;
    this.#forgetSocket();
    old.close(4001, 'network-changed');
    this.#down(4001, 'network-changed', 0);
    this.#connect();
    return true;
  }

  /** True while the socket is open. */
  get isOpen() {
    return this.#ws !== null && this.#ws.readyState === OPEN;
  }

  /**
   * Sends one message: {v: 1, type, ...payload}. Messages sent while the first socket is connecting are
   * queued and go out in order once it opens, after the hello. Returns false when the message could not be
   * sent or queued: after the end, or while reconnecting (nothing is kept for a later socket: by then it
   * may be stale, and the peer on the other side may be a new one).
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
    const firstConnect = !this.#everOpened && (!ws || ws.readyState === CONNECTING);
    if (!this.#closed && firstConnect && this.#queue.length < this.#maxQueue) {
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
    if (!ws || ws.readyState > OPEN) this.#end(code, reason);
  }

  #onOpen() {
    this.#everOpened = true;
    this.#lastHeard = Date.now();
    const ws = /** @type {WebSocket} */ (this.#ws);
    const hello = this.#hello();
    if (hello) ws.send(JSON.stringify({ ...hello.payload, v: PROTOCOL_VERSION, type: hello.type }));
    for (const data of this.#queue) ws.send(data);
    this.#queue = [];
    if (this.#pingInterval > 0) {
      clearInterval(this.#pingTimer);
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
    this.#attempts = 0; // the server answered: the next drop starts the backoff over
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
   * The current socket is gone: try again later, or end.
   * @param {number} code
   * @param {string} reason
   */
  #onClose(code, reason) {
    if (this.#closed) return;
    this.#forgetSocket();
    if (this.#closedByClient || FINAL_REASONS.has(reason) || this.#retryBase <= 0) {
      this.#end(code, reason);
      return;
    }
    const retryIn = this.#backoff();
    this.#attempts++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#closed) this.#connect();
    }, retryIn);
    this.#down(code, reason, retryIn);
  }

  /** Lets go of the current socket: its events are ignored from now on, and nothing waits for it. */
  #forgetSocket() {
    clearInterval(this.#pingTimer);
    this.#queue = [];
    this.#ws = null;
  }

  /**
   * Says a socket was lost and the next one comes in retryIn ms.
   * @param {number} code
   * @param {string} reason
   * @param {number} retryIn
   */
  #down(code, reason, retryIn) {
    /** @type {CloseDetail} */
    const detail = { code, reason, byClient: false, retryIn };
    this.dispatchEvent(new CustomEvent('down', { detail }));
  }

  /** The wait before the next attempt: retryBase doubling up to retryMax, ±50 % random jitter. */
  #backoff() {
    const ceiling = Math.min(this.#retryMax, this.#retryBase * 2 ** Math.min(this.#attempts, 20));
    return Math.round(ceiling * (0.5 + this.#random()));
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #end(code, reason) {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pingTimer);
    clearTimeout(this.#retryTimer);
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

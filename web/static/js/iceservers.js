// ICE servers: the STUN and TURN servers (with short-lived TURN credentials) that the maju server hands
// out in `welcome` and, on request, in `ice-servers` (docs/protocol.md), and the `?ice=relay` switch of
// the room URL that makes the call go through a relay only ("hide my IP address"). No DOM.

/** URL schemes an RTCIceServer may use. */
const SCHEMES = ['stun:', 'stuns:', 'turn:', 'turns:'];

/** A refresh is asked for when this share of the credentials' lifetime has passed… */
const REFRESH_AT = 0.8;
/**
 * …or this many seconds before they expire, if that is sooner: a TURN REST username carries its expiry
 * in whole seconds, so credentials may die up to a second before iceTtl says, and a busy device may
 * run the timer late. Matters only for lifetimes under 10 s (tests); the default is an hour.
 */
const EXPIRY_MARGIN_S = 2;
/** Never ask for a refresh sooner than this, in ms, however short the lifetime. */
const MIN_REFRESH_MS = 1000;
/** The longest delay setTimeout can wait (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Returns the valid servers of a message's `iceServers` field, shaped for RTCConfiguration, or null when
 * the field is not an array (an older server, or a broken message). Entries without a usable URL are
 * dropped; unknown fields are not copied.
 * @param {unknown} value
 * @returns {RTCIceServer[] | null}
 */
export function parseIceServers(value) {
  if (!Array.isArray(value)) return null;
  /** @type {RTCIceServer[]} */
  const servers = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
    const e = /** @type {Record<string, unknown>} */ (entry);
    const list = typeof e.urls === 'string' ? [e.urls] : Array.isArray(e.urls) ? e.urls : [];
    const urls = list.filter(
      /** @returns {u is string} */ (u) => typeof u === 'string' && SCHEMES.some((s) => u.toLowerCase().startsWith(s)),
    );
    if (urls.length === 0) continue;
    /** @type {RTCIceServer} */
    const server = { urls };
    if (typeof e.username === 'string') server.username = e.username;
    if (typeof e.credential === 'string') server.credential = e.credential;
    servers.push(server);
  }
  return servers;
}

/**
 * Returns a message's `iceTtl` in seconds: a finite number ≥ 0, else 0 (nothing expires).
 * @param {unknown} value
 * @returns {number}
 */
export function parseIceTtl(value) {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * How long to wait, in ms, before asking for fresh credentials that stay valid for ttl seconds from now:
 * 80 % of it (2 s before the end if that is sooner), at least 1 s. null when nothing expires.
 * @param {number} ttl seconds
 * @returns {number | null}
 */
export function refreshDelay(ttl) {
  if (!(ttl > 0)) return null;
  const seconds = Math.min(ttl * REFRESH_AT, ttl - EXPIRY_MARGIN_S);
  return Math.min(MAX_TIMER_MS, Math.max(MIN_REFRESH_MS, Math.round(seconds * 1000)));
}

/**
 * Reports whether any server is a TURN relay (turn: or turns:).
 * @param {readonly RTCIceServer[]} servers
 * @returns {boolean}
 */
export function offersRelay(servers) {
  return servers.some((s) => urlsOf(s).some((u) => /^turns?:/i.test(u)));
}

/**
 * @param {RTCIceServer} server
 * @returns {string[]}
 */
function urlsOf(server) {
  return typeof server.urls === 'string' ? [server.urls] : [...server.urls];
}

/**
 * Reports whether a room URL's query asks for a relayed connection only (`?ice=relay`).
 * @param {string} search location.search, with or without the leading "?"
 * @returns {boolean}
 */
export function relayOnlyFromQuery(search) {
  return new URLSearchParams(search).get('ice') === 'relay';
}

/**
 * @typedef {object} IceServersOptions
 * @property {() => void} onRefreshDue Called when fresh credentials should be asked for (send `ice-refresh`).
 * @property {(fn: () => void, ms: number) => unknown} [setTimer]
 * @property {(timer: unknown) => void} [clearTimer]
 */

/**
 * The ICE servers of one stay in a room: the latest list from the server, and the timer that asks for
 * fresh credentials before they expire. Refreshes are asked for after `welcome` and after each
 * `ice-servers` answer, until stop().
 */
export class IceServers {
  /** @type {RTCIceServer[] | null} */
  #servers = null;
  #ttl = 0;
  /** @type {() => void} */
  #onRefreshDue;
  /** @type {(fn: () => void, ms: number) => unknown} */
  #setTimer;
  /** @type {(timer: unknown) => void} */
  #clearTimer;
  /** @type {unknown} */
  #timer = null;
  #stopped = false;

  /** @param {IceServersOptions} options */
  constructor({
    onRefreshDue,
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (t) => clearTimeout(/** @type {ReturnType<typeof setTimeout>} */ (t)),
  }) {
    this.#onRefreshDue = onRefreshDue;
    this.#setTimer = setTimer;
    this.#clearTimer = clearTimer;
  }

  /** The latest list from the server (a copy), or null before the server sent one. */
  get servers() {
    return this.#servers ? this.#servers.map((s) => ({ ...s, urls: urlsOf(s) })) : null;
  }

  /** Seconds the latest credentials were valid for when they arrived; 0 when nothing expires. */
  get ttl() {
    return this.#ttl;
  }

  /**
   * Takes the `iceServers` and `iceTtl` of a `welcome` or `ice-servers` message. Returns the new list,
   * or null when the message had none (the list stays as it was and no refresh is scheduled).
   * @param {Record<string, unknown>} msg A message with `iceServers` and `iceTtl` fields.
   * @returns {RTCIceServer[] | null}
   */
  update(msg) {
    if (this.#stopped) return null;
    const servers = parseIceServers(msg.iceServers);
    if (!servers) return null;
    this.#servers = servers;
    this.#ttl = parseIceTtl(msg.iceTtl);
    this.#schedule();
    return this.servers;
  }

  /** Stops asking for refreshes (the person left the room, or the server connection is gone). */
  stop() {
    this.#stopped = true;
    this.#cancel();
  }

  #schedule() {
    this.#cancel();
    const delay = refreshDelay(this.#ttl);
    if (delay === null) return;
    this.#timer = this.#setTimer(() => {
      this.#timer = null;
      if (!this.#stopped) this.#onRefreshDue();
    }, delay);
  }

  #cancel() {
    if (this.#timer !== null) this.#clearTimer(this.#timer);
    this.#timer = null;
  }
}

// The call's network path, from RTCPeerConnection.getStats(): a direct connection between the two
// devices, or one relayed by a TURN server (and over UDP, TCP or TLS between this device and the relay).
// No DOM: pathFromStats is pure, PathMonitor polls getStats with injected timers.

/**
 * The path of the selected candidate pair.
 * @typedef {object} IcePath
 * @property {boolean} relayed   A TURN relay carries the media (this side's or the other person's).
 * @property {'udp' | 'tcp' | 'tls' | ''} protocol How this device reaches its relay; '' when this side
 *   does not use one (direct, or only the other person is relayed) or the browser does not say.
 * @property {string} localType  This side's candidate type: host, srflx, prflx or relay.
 * @property {string} remoteType The other side's candidate type.
 */

/**
 * One entry of an RTCStatsReport, with the fields read here.
 * @typedef {{type: string, id: string, [field: string]: unknown}} StatsEntry
 */

/**
 * What getStats() resolves to: an RTCStatsReport (or, in tests, a Map) — anything with forEach.
 * @typedef {{forEach(callback: (value: any, key: string) => void): void}} StatsReportLike
 */

/**
 * Finds the candidate pair in use: the transport's selectedCandidatePairId (the standard, Chromium,
 * Safari), else a pair marked `selected` (Firefox), else a nominated pair that succeeded.
 * @param {StatsReportLike} report
 * @returns {StatsEntry | null}
 */
export function selectedPair(report) {
  /** @type {Map<string, StatsEntry>} */
  const byId = new Map();
  /** @type {StatsEntry[]} */
  const transports = [];
  /** @type {StatsEntry[]} */
  const pairs = [];
  report.forEach((s) => {
    if (typeof s !== 'object' || s === null || typeof s.id !== 'string') return;
    byId.set(s.id, s);
    if (s.type === 'transport') transports.push(s);
    if (s.type === 'candidate-pair') pairs.push(s);
  });
  for (const t of transports) {
    const id = t.selectedCandidatePairId;
    const pair = typeof id === 'string' ? byId.get(id) : undefined;
    if (pair && pair.type === 'candidate-pair') return pair;
  }
  const selected = pairs.find((p) => p.selected === true);
  if (selected) return selected;
  const nominated = pairs.filter((p) => p.nominated === true && p.state === 'succeeded');
  if (nominated.length === 0) return null;
  // More than one (rare): the one that carried the most recently.
  const last = (/** @type {StatsEntry} */ p) => (typeof p.lastPacketReceivedTimestamp === 'number' ? p.lastPacketReceivedTimestamp : 0);
  return nominated.reduce((a, b) => (last(b) > last(a) ? b : a));
}

/**
 * The path the call uses now, or null when no candidate pair is selected (yet).
 * @param {StatsReportLike} report
 * @returns {IcePath | null}
 */
export function pathFromStats(report) {
  const pair = selectedPair(report);
  if (!pair) return null;
  /** @type {StatsEntry | undefined} */
  let local;
  /** @type {StatsEntry | undefined} */
  let remote;
  report.forEach((s) => {
    if (!s || typeof s !== 'object') return;
    if (s.id === pair.localCandidateId) local = s;
    if (s.id === pair.remoteCandidateId) remote = s;
  });
  if (!local) return null;
  const localType = typeof local.candidateType === 'string' ? local.candidateType : '';
  const remoteType = remote && typeof remote.candidateType === 'string' ? remote.candidateType : '';
  const localRelay = localType === 'relay';
  return {
    relayed: localRelay || remoteType === 'relay',
    protocol: localRelay ? relayProtocol(local) : '',
    localType,
    remoteType,
  };
}

/**
 * How this device talks to its relay: the candidate's relayProtocol, or, for browsers without it, what
 * the candidate's TURN URL says.
 * @param {StatsEntry} candidate
 * @returns {'udp' | 'tcp' | 'tls' | ''}
 */
function relayProtocol(candidate) {
  const p = typeof candidate.relayProtocol === 'string' ? candidate.relayProtocol.toLowerCase() : '';
  if (p === 'udp' || p === 'tcp' || p === 'tls') return p;
  const url = typeof candidate.url === 'string' ? candidate.url.toLowerCase() : '';
  if (url.startsWith('turns:')) return 'tls';
  if (url.startsWith('turn:')) return /[?&]transport=tcp\b/.test(url) ? 'tcp' : 'udp';
  return '';
}

/**
 * The words for a path, as a locale key and its parameters: the key itself is short enough for the
 * status line, key + ".explain" is a longer explanation for a tooltip.
 * @param {IcePath} path
 * @returns {{key: string, params?: {protocol: string}}}
 */
export function describePath(path) {
  if (!path.relayed) return { key: 'path.direct' };
  if (path.protocol === '') return { key: 'path.relayed' };
  return { key: 'path.relayedVia', params: { protocol: path.protocol.toUpperCase() } };
}

/**
 * @param {IcePath | null} a
 * @param {IcePath | null} b
 * @returns {boolean}
 */
export function samePath(a, b) {
  if (a === null || b === null) return a === b;
  return a.relayed === b.relayed && a.protocol === b.protocol && a.localType === b.localType && a.remoteType === b.remoteType;
}

/**
 * @typedef {object} PathMonitorOptions
 * @property {() => Promise<StatsReportLike>} getStats
 * @property {(path: IcePath | null) => void} onChange Called with each new path (and with null by stop()
 *   when a path had been reported).
 * @property {number} [interval]  ms between polls once a path is known.
 * @property {number} [firstInterval] ms between polls while no pair is selected yet.
 * @property {(fn: () => void, ms: number) => unknown} [setTimer]
 * @property {(timer: unknown) => void} [clearTimer]
 */

/** Polls getStats while started and reports when the path changes. One poll at a time. */
export class PathMonitor {
  /** @type {() => Promise<StatsReportLike>} */
  #getStats;
  /** @type {(path: IcePath | null) => void} */
  #onChange;
  #interval;
  #firstInterval;
  /** @type {(fn: () => void, ms: number) => unknown} */
  #setTimer;
  /** @type {(timer: unknown) => void} */
  #clearTimer;
  /** @type {unknown} */
  #timer = null;
  /** Bumped by start() and stop(), so a poll that was under way when they ran reports nothing. */
  #generation = 0;
  #running = false;
  /** @type {IcePath | null} */
  #path = null;

  /** @param {PathMonitorOptions} options */
  constructor({
    getStats,
    onChange,
    interval = 3000,
    firstInterval = 500,
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (t) => clearTimeout(/** @type {ReturnType<typeof setTimeout>} */ (t)),
  }) {
    this.#getStats = getStats;
    this.#onChange = onChange;
    this.#interval = interval;
    this.#firstInterval = firstInterval;
    this.#setTimer = setTimer;
    this.#clearTimer = clearTimer;
  }

  /** The last path reported, or null. */
  get path() {
    return this.#path;
  }

  /** Starts polling now (no-op while running). */
  start() {
    if (this.#running) return;
    this.#running = true;
    this.#generation++;
    void this.#poll(this.#generation);
  }

  /** Stops polling; reports null if a path had been reported. */
  stop() {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    if (this.#timer !== null) this.#clearTimer(this.#timer);
    this.#timer = null;
    if (this.#path !== null) {
      this.#path = null;
      this.#onChange(null);
    }
  }

  /** @param {number} generation */
  async #poll(generation) {
    this.#timer = null;
    /** @type {IcePath | null} */
    let path = null;
    try {
      path = pathFromStats(await this.#getStats());
    } catch {
      // getStats rejects once the connection is closed; stop() follows.
    }
    if (generation !== this.#generation) return;
    if (path && !samePath(path, this.#path)) {
      this.#path = path;
      this.#onChange(path);
    }
    this.#timer = this.#setTimer(() => void this.#poll(generation), path ? this.#interval : this.#firstInterval);
  }
}

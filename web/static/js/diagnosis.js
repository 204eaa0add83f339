// Why a call could not connect, in plain language, from what this side saw while trying: the ICE
// candidates it gathered (host, srflx, relay), the ones the other person sent, whether the server
// offered a relay (TURN), and whether relay-only mode (?ice=relay) was on. No DOM.

/**
 * What this side saw while the connection was being made.
 * @typedef {object} IceObservations
 * @property {boolean} answered     The offer/answer exchange finished (a remote description is set).
 * @property {boolean} relayOnly    Relay-only mode (?ice=relay, iceTransportPolicy 'relay').
 * @property {boolean} relayOffered The server offered at least one TURN relay.
 * @property {string[]} localTypes  Types of the candidates gathered here, each once (host, srflx, prflx, relay).
 * @property {number} localCount    How many candidates were gathered here.
 * @property {string[]} remoteTypes Types of the candidates the other person sent, each once.
 * @property {number} remoteCount   How many candidates the other person sent.
 * @property {number[]} relayErrors  Error codes the TURN servers answered with (icecandidateerror), each
 *   once: 401 refused credentials, 486 quota reached, 701 not reachable, …
 */

/**
 * A diagnosis for people.
 * @typedef {object} Diagnosis
 * @property {string} code   Machine-readable: relay-only-no-relay, no-answer, no-network, relay-refused,
 *   relay-busy, relay-unreachable, peer-unreachable, no-relay, blocked.
 * @property {string} key    Locale key: its ".title" is one short sentence, its ".detail" what it means and
 *   what to try (locales/*.js, "diag.*").
 * @property {Record<string, string>} [params] Values for the texts' {placeholders}.
 */

/** The relay-only switch as written in a link; a word joiner keeps "?" and "ice" on one line. */
const RELAY_QUERY = '?\u2060ice=relay';

/**
 * The type of an ICE candidate line ("candidate:… typ relay …", with or without "a="), or '' when it
 * has none (an end-of-candidates marker, or garbage).
 * @param {string} line
 * @returns {string}
 */
export function candidateType(line) {
  const m = /\styp\s+(host|srflx|prflx|relay)(?:\s|$)/.exec(line);
  return m ? m[1] : '';
}

/**
 * The candidate lines of a session description ("candidate:…", without "a=").
 * @param {string | undefined | null} sdp
 * @returns {string[]}
 */
export function sdpCandidates(sdp) {
  if (!sdp) return [];
  return [...sdp.matchAll(/^a=(candidate:.*?)\r?$/gm)].map((m) => m[1]);
}

/**
 * Collects the candidates of one connection attempt: this side's as they are gathered, the other
 * person's as they arrive. A candidate seen twice (trickled and again in a description) counts once.
 */
export class CandidateLog {
  /** @type {Set<string>} */
  #local = new Set();
  /** @type {Set<string>} */
  #remote = new Set();
  /** @type {Set<number>} */
  #relayErrors = new Set();

  /** @param {string} line A candidate gathered here. */
  addLocal(line) {
    add(this.#local, line);
  }

  /** @param {string} line A candidate from the other person. */
  addRemote(line) {
    add(this.#remote, line);
  }

  /**
   * An ICE server's error (an icecandidateerror event). Only TURN servers' errors are kept.
   * @param {string} url
   * @param {number} code
   */
  addError(url, code) {
    if (/^turns?:/i.test(url) && Number.isInteger(code)) this.#relayErrors.add(code);
  }

  /**
   * Everything seen so far, with the candidates in the current descriptions.
   * @param {{answered: boolean, relayOnly: boolean, relayOffered: boolean, localSdp?: string | null, remoteSdp?: string | null}} state
   * @returns {IceObservations}
   */
  observe({ answered, relayOnly, relayOffered, localSdp, remoteSdp }) {
    const local = new Set(this.#local);
    const remote = new Set(this.#remote);
    for (const line of sdpCandidates(localSdp)) add(local, line);
    for (const line of sdpCandidates(remoteSdp)) add(remote, line);
    return {
      answered,
      relayOnly,
      relayOffered,
      localTypes: typesOf(local),
      localCount: local.size,
      remoteTypes: typesOf(remote),
      remoteCount: remote.size,
      relayErrors: [...this.#relayErrors].sort((a, b) => a - b),
    };
  }
}

/**
 * @param {Set<string>} set
 * @param {string} line
 */
function add(set, line) {
  const c = line.trim().replace(/^a=/, '');
  if (candidateType(c) !== '') set.add(c);
}

/**
 * @param {Set<string>} lines
 * @returns {string[]}
 */
function typesOf(lines) {
  return [...new Set([...lines].map(candidateType))].sort();
}

/**
 * Says, in plain language, why a connection that never worked did not connect. The first cause that
 * fits wins, from the most certain to the least.
 * @param {IceObservations} o
 * @returns {Diagnosis}
 */
export function diagnose(o) {
  const gatheredRelay = o.localTypes.includes('relay');
  if (o.relayOnly && !o.relayOffered) {
    return { code: 'relay-only-no-relay', key: 'diag.relay-only-no-relay', params: { query: RELAY_QUERY } };
  }
  if (!o.answered) {
    return { code: 'no-answer', key: 'diag.no-answer' };
  }
  if (o.localCount === 0 && !o.relayOffered) {
    return { code: 'no-network', key: 'diag.no-network' };
  }
  if (o.relayOffered && !gatheredRelay && (o.relayErrors.includes(401) || o.relayErrors.includes(403))) {
    return { code: 'relay-refused', key: 'diag.relay-refused' };
  }
  if (o.relayOffered && !gatheredRelay && o.relayErrors.includes(486)) {
    return { code: 'relay-busy', key: 'diag.relay-busy' };
  }
  if (o.relayOffered && !gatheredRelay) {
    if (o.relayOnly) {
      return { code: 'relay-unreachable', key: 'diag.relay-only-unreachable', params: { query: RELAY_QUERY } };
    }
    return { code: 'relay-unreachable', key: 'diag.relay-unreachable' };
  }
  if (o.remoteCount === 0) {
    return { code: 'peer-unreachable', key: 'diag.peer-unreachable' };
  }
  if (!o.relayOffered && !o.remoteTypes.includes('relay')) {
    return { code: 'no-relay', key: 'diag.no-relay' };
  }
  return { code: 'blocked', key: 'diag.blocked' };
}

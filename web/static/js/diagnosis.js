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
 * @property {string} title  One short sentence.
 * @property {string} detail What it means and what to try.
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
    return {
      code: 'relay-only-no-relay',
      title: 'This server offers no relay',
      detail: `Your link asks to hide your IP address by relaying the call (it ends in ${RELAY_QUERY}), but this maju server has no relay. Open the link without ${RELAY_QUERY} to connect directly.`,
    };
  }
  if (!o.answered) {
    return {
      code: 'no-answer',
      title: 'The other person’s browser did not respond',
      detail: 'It may still be asking them to allow the camera and microphone. The call connects as soon as it responds; if it does not, ask them to reload the page.',
    };
  }
  if (o.localCount === 0 && !o.relayOffered) {
    return {
      code: 'no-network',
      title: 'Your device found no network to connect through',
      detail: 'Check that you are online, then try again.',
    };
  }
  if (o.relayOffered && !gatheredRelay && (o.relayErrors.includes(401) || o.relayErrors.includes(403))) {
    return {
      code: 'relay-refused',
      title: 'The relay did not accept this device',
      detail: 'Its access may have expired. Try again; if it keeps happening, tell whoever runs this maju server.',
    };
  }
  if (o.relayOffered && !gatheredRelay && o.relayErrors.includes(486)) {
    return {
      code: 'relay-busy',
      title: 'The relay is busy',
      detail: 'It has as many calls as it can carry. Try again in a few minutes.',
    };
  }
  if (o.relayOffered && !gatheredRelay) {
    if (o.relayOnly) {
      return {
        code: 'relay-unreachable',
        title: 'The relay could not be reached',
        detail: `Your link asks to relay the call to hide your IP address (${RELAY_QUERY}), but your network may block the relay (UDP often is). Try another network, or open the link without ${RELAY_QUERY}.`,
      };
    }
    return {
      code: 'relay-unreachable',
      title: 'No direct route, and the relay could not be reached',
      detail: 'Your network may block the maju server’s relay (UDP often is). Try another network, such as mobile data.',
    };
  }
  if (o.remoteCount === 0) {
    return {
      code: 'peer-unreachable',
      title: 'The other person’s device could not be reached',
      detail: 'Their browser found no way to be reached. Ask them to check their connection or reload the page.',
    };
  }
  if (!o.relayOffered && !o.remoteTypes.includes('relay')) {
    return {
      code: 'no-relay',
      title: 'No direct route, and this server offers no relay',
      detail: 'Your two networks cannot reach each other directly, and this maju server has no relay to go through. Try another network, such as mobile data.',
    };
  }
  return {
    code: 'blocked',
    title: 'Could not connect to the other person',
    detail: 'Neither a direct route nor the relay worked; a firewall on either side may be blocking it. Try again, or try another network.',
  };
}

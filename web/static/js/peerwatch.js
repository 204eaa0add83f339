// PeerWatch: what a call watches on its RTCPeerConnection besides negotiation — the candidates and ICE
// server errors of the connection attempt, to say why it did not connect (diagnosis.js), and the
// network path while it is connected (icepath.js). No DOM.

import { CandidateLog, diagnose } from './diagnosis.js';
import { PathMonitor } from './icepath.js';
import { offersRelay } from './iceservers.js';

/**
 * @typedef {object} PeerWatchOptions
 * @property {RTCPeerConnection} pc
 * @property {(path: import('./icepath.js').IcePath | null) => void} onPath Each new path while
 *   connected, and null when it is no longer known.
 * @property {number} [pathInterval] ms between getStats polls while connected.
 */

/** Watches one peer connection, from its creation until stop(). */
export class PeerWatch {
  /** @type {RTCPeerConnection} */
  #pc;
  #candidates = new CandidateLog();
  /** @type {PathMonitor} */
  #paths;
  #everConnected = false;
  #listeners = new AbortController();

  /** @param {PeerWatchOptions} options */
  constructor({ pc, onPath, pathInterval }) {
    this.#pc = pc;
    const { signal } = this.#listeners;
    pc.addEventListener(
      'icecandidate',
      (ev) => {
        if (ev.candidate) this.#candidates.addLocal(ev.candidate.candidate);
      },
      { signal },
    );
    pc.addEventListener(
      'icecandidateerror',
      (ev) => {
        const e = /** @type {RTCPeerConnectionIceErrorEvent} */ (ev);
        this.#candidates.addError(e.url, e.errorCode);
        console.debug(`maju: ICE server ${e.url} answered ${e.errorCode} ${e.errorText}`);
      },
      { signal },
    );
    this.#paths = new PathMonitor({ getStats: () => pc.getStats(), onChange: onPath, interval: pathInterval });
  }

  /** The network path while connected, or null. */
  get path() {
    return this.#paths.path;
  }

  /** @param {string} line A candidate from the other person. */
  remoteCandidate(line) {
    this.#candidates.addRemote(line);
  }

  /** The connection is connected (again): poll its path. */
  connected() {
    this.#everConnected = true;
    this.#paths.start();
  }

  /** The connection is interrupted or failed: the path is unknown until it is connected again. */
  interrupted() {
    this.#paths.stop();
  }

  /** Stops watching (the peer connection is being closed). */
  stop() {
    this.#paths.stop();
    this.#listeners.abort();
  }

  /**
   * Why the connection did not connect, or undefined when it had been connected (then it dropped; that
   * is not a setup problem).
   * @returns {import('./diagnosis.js').Diagnosis | undefined}
   */
  diagnose() {
    if (this.#everConnected) return undefined;
    const pc = this.#pc;
    const config = pc.getConfiguration();
    const observed = this.#candidates.observe({
      answered: pc.remoteDescription !== null,
      relayOnly: config.iceTransportPolicy === 'relay',
      relayOffered: offersRelay(config.iceServers ?? []),
      localSdp: pc.localDescription?.sdp,
      remoteSdp: pc.remoteDescription?.sdp,
    });
    const diagnosis = diagnose(observed);
    console.info('maju: could not connect:', diagnosis.code, JSON.stringify(observed));
    return diagnosis;
  }
}

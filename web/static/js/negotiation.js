// Perfect negotiation, as in the W3C webrtc-pc "Perfect Negotiation Example"
// (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example): either side may start an offer at
// any time; on a collision the polite side rolls back its own offer and answers, the impolite side
// ignores the other's offer. The server assigns the roles (docs/protocol.md, "Roles").
// No DOM, no WebSocket: messages go out through `send` and come in through the handle* methods.

/**
 * Sends one signaling message, with the same shape as Signaling.sendMessage.
 * @callback SendFunction
 * @param {string} type
 * @param {Record<string, unknown>} payload
 * @returns {unknown}
 */

/**
 * An ICE candidate on the wire: the object form of RTCIceCandidateInit, or null for end of candidates.
 * @typedef {{candidate: string, sdpMid: string | null, sdpMLineIndex: number | null, usernameFragment: string | null}} WireCandidate
 */

/**
 * @typedef {object} NegotiationOptions
 * @property {RTCPeerConnection} pc
 * @property {boolean} polite Whether this side is the polite one.
 * @property {SendFunction} send
 * @property {(err: unknown) => void} [onError] Called with errors that negotiation cannot recover from.
 */

/** Runs perfect negotiation on one RTCPeerConnection. */
export class Negotiation {
  /** @type {RTCPeerConnection} */
  #pc;
  #polite;
  /** @type {SendFunction} */
  #send;
  /** @type {(err: unknown) => void} */
  #onError;
  #makingOffer = false;
  #ignoreOffer = false;
  #isSettingRemoteAnswerPending = false;
  #stopped = false;
  /** @type {AbortController} */
  #listeners = new AbortController();

  /** @param {NegotiationOptions} options */
  constructor({ pc, polite, send, onError = (err) => console.error('maju: negotiation:', err) }) {
    this.#pc = pc;
    this.#polite = polite;
    this.#send = send;
    this.#onError = onError;
  }

  /** Whether this side is polite. */
  get polite() {
    return this.#polite;
  }

  /** Starts listening to the peer connection (icecandidate, negotiationneeded). */
  start() {
    const { signal } = this.#listeners;
    this.#pc.addEventListener('icecandidate', (ev) => this.#onIceCandidate(ev), { signal });
    this.#pc.addEventListener('negotiationneeded', () => this.#onNegotiationNeeded(), { signal });
  }

  /**
   * Restarts ICE: the next offer (negotiationneeded fires) carries new ICE credentials, so both sides
   * gather again and find a path, on the same peer connection. Either side may call it; a collision is
   * resolved by the roles as for any offer.
   */
  restartIce() {
    if (this.#stopped) return;
    this.#pc.restartIce();
  }

  /**
   * Sends the local offer again if it is still waiting for its answer (it was lost with the server).
   * @returns {boolean} whether an offer was sent
   */
  resendOffer() {
    if (this.#stopped || this.#makingOffer || this.#pc.signalingState !== 'have-local-offer') return false;
    this.#sendDescription();
    return true;
  }

  /** Stops listening; later messages are ignored. Does not close the peer connection. */
  stop() {
    this.#stopped = true;
    this.#listeners.abort();
  }

  /**
   * Handles an `offer` or `answer` message from the other side.
   * @param {{type: 'offer' | 'answer', sdp: string}} description
   */
  async handleDescription(description) {
    if (this.#stopped) return;
    const pc = this.#pc;
    try {
      const readyForOffer =
        !this.#makingOffer && (pc.signalingState === 'stable' || this.#isSettingRemoteAnswerPending);
      const offerCollision = description.type === 'offer' && !readyForOffer;

      this.#ignoreOffer = !this.#polite && offerCollision;
      if (this.#ignoreOffer) {
        console.debug('maju: negotiation: ignoring a colliding offer (impolite)');
        return;
      }

      this.#isSettingRemoteAnswerPending = description.type === 'answer';
      await pc.setRemoteDescription(description); // rolls back our own offer when needed
      this.#isSettingRemoteAnswerPending = false;
      if (description.type === 'offer') {
        await pc.setLocalDescription();
        this.#sendDescription();
      }
    } catch (err) {
      this.#isSettingRemoteAnswerPending = false;
      if (!this.#stopped) this.#onError(err);
    }
  }

  /**
   * Handles a `candidate` message. null and an empty candidate string mean end of candidates.
   * @param {WireCandidate | null} candidate
   */
  async handleCandidate(candidate) {
    if (this.#stopped) return;
    try {
      if (candidate === null) {
        await this.#pc.addIceCandidate();
      } else {
        await this.#pc.addIceCandidate(candidate);
      }
    } catch (err) {
      // Candidates of an offer we ignored cannot be applied; that is expected. So can be the end of
      // candidates before any remote description, and anything after the peer connection closed.
      if (!this.#ignoreOffer && !this.#stopped && this.#pc.signalingState !== 'closed') {
        if (candidate === null || candidate.candidate === '') {
          console.warn('maju: end-of-candidates not applied:', err);
        } else {
          this.#onError(err);
        }
      }
    }
  }

  async #onNegotiationNeeded() {
    try {
      this.#makingOffer = true;
      await this.#pc.setLocalDescription();
      this.#sendDescription();
    } catch (err) {
      if (!this.#stopped) this.#onError(err);
    } finally {
      this.#makingOffer = false;
    }
  }

  /** @param {RTCPeerConnectionIceEvent} ev */
  #onIceCandidate(ev) {
    if (this.#stopped) return;
    // A null candidate ends gathering; pass it on like the others (the peer adds it as end-of-candidates).
    const candidate = ev.candidate ? toWire(ev.candidate.toJSON()) : null;
    this.#send('candidate', { candidate });
  }

  #sendDescription() {
    const desc = this.#pc.localDescription;
    if (this.#stopped || !desc || (desc.type !== 'offer' && desc.type !== 'answer')) return;
    console.debug(`maju: negotiation: sending ${desc.type} (${this.#polite ? 'polite' : 'impolite'})`);
    this.#send(desc.type, { sdp: desc.sdp });
  }
}

/**
 * @param {RTCIceCandidateInit} c
 * @returns {WireCandidate}
 */
function toWire(c) {
  return {
    candidate: c.candidate ?? '',
    sdpMid: c.sdpMid ?? null,
    sdpMLineIndex: c.sdpMLineIndex ?? null,
    usernameFragment: c.usernameFragment ?? null,
  };
}

// Putting a local track on a peer connection's sender in place, and keeping data saver's limits on the video
// sender (PeerSenders, one per connection). RTCRtpSender.replaceTrack means that a camera flip, a device
// switch or screen sharing needs no renegotiation. Only starting or stopping to send a kind
// changes the transceiver's direction (one renegotiation on the same connection, run by perfect
// negotiation), which is how the other side learns that no video is coming: its track is muted and
// leaves its stream, instead of freezing on the last frame. No DOM.

import { applySaver } from './quality.js';

/**
 * The transceiver that carries this side's track of a kind: the first one of that kind that is not
 * stopped. Call makes at most one per kind (addTrack, or addTransceiver for receiving only, or the
 * other side's offer).
 * @param {RTCPeerConnection} pc
 * @param {'audio' | 'video'} kind
 * @returns {RTCRtpTransceiver | null}
 */
export function transceiverOf(pc, kind) {
  return (
    pc
      .getTransceivers()
      .find((t) => t.receiver.track.kind === kind && t.direction !== 'stopped' && t.currentDirection !== 'stopped') ??
    null
  );
}

/**
 * The sender of this side's track of a kind, or null.
 * @param {RTCPeerConnection} pc
 * @param {'audio' | 'video'} kind
 * @returns {RTCRtpSender | null}
 */
export function senderOf(pc, kind) {
  return transceiverOf(pc, kind)?.sender ?? null;
}

/**
 * A direction with sending turned on or off, receiving unchanged.
 * @param {RTCRtpTransceiverDirection} direction
 * @param {boolean} send
 * @returns {RTCRtpTransceiverDirection}
 */
export function withSending(direction, send) {
  const receives = direction === 'sendrecv' || direction === 'recvonly';
  if (send) return receives ? 'sendrecv' : 'sendonly';
  return receives ? 'recvonly' : 'inactive';
}

/**
 * Sends track (or nothing, when null) as this side's track of its kind on pc. Replacing one track by
 * another renegotiates nothing; going from nothing to a track or back changes the direction, which
 * renegotiates once.
 * @param {RTCPeerConnection} pc
 * @param {'audio' | 'video'} kind
 * @param {MediaStreamTrack | null} track
 * @param {MediaStream | null} stream The local stream, which the other side sees the track in.
 */
export async function sendTrack(pc, kind, track, stream) {
  const t = transceiverOf(pc, kind);
  if (!t) {
    // No transceiver of this kind at all (the other side's offer had none): a new one is negotiated.
    if (track && stream) pc.addTrack(track, stream);
    return;
  }
  if (t.sender.track === track) return;
  await t.sender.replaceTrack(track);
  const direction = withSending(t.direction, track !== null);
  if (direction === t.direction) return;
  t.direction = direction;
  // A transceiver that only received (made by the other side's offer, or for a kind this side lacked)
  // has a sender with no stream; without one the other side gets the track outside our stream.
  if (track && stream && typeof t.sender.setStreams === 'function') t.sender.setStreams(stream);
}

/**
 * What PeerSenders reads of LocalMedia.
 * @typedef {object} MediaSource
 * @property {MediaStream | null} stream
 * @property {(track: MediaStreamTrack) => import('./quality.js').SaverEncoding | null} videoLimits
 */

/**
 * Keeps one peer connection's senders in step with the local media: new tracks go on in place, and data
 * saver's limits are set again after every change of the video track, of data saver, and after each
 * negotiation (parameters belong to a sender, and a renegotiation may reset them).
 */
export class PeerSenders {
  #pc;
  #media;
  /** setParameters one at a time: each needs parameters fresh from getParameters. */
  #limits = Promise.resolve();

  /**
   * @param {RTCPeerConnection} pc
   * @param {MediaSource} media
   */
  constructor(pc, media) {
    this.#pc = pc;
    this.#media = media;
    pc.addEventListener('signalingstatechange', () => {
      if (pc.signalingState === 'stable') this.limit();
    });
  }

  /**
   * @param {'audio' | 'video'} kind
   * @param {MediaStreamTrack | null} track
   */
  async send(kind, track) {
    try {
      await sendTrack(this.#pc, kind, track, this.#media.stream);
    } catch (err) {
      console.warn(`maju: could not send the new ${kind} track:`, err);
    }
    if (kind === 'video') await this.limit();
  }

  /**
   * Sets data saver's limits on the video sender, or lifts them.
   * @returns {Promise<void>}
   */
  limit() {
    // Nothing to limit without local video (receive only, audio-only): no work, no getParameters.
    if (!this.#media.stream?.getVideoTracks().length) return Promise.resolve();
    const pc = this.#pc;
    this.#limits = this.#limits
      .then(async () => {
        const sender = pc.signalingState === 'closed' ? null : senderOf(pc, 'video');
        if (sender?.track) await applySaver(sender, this.#media.videoLimits(sender.track));
      })
      .catch((err) => console.warn('maju: could not set the video limits:', err));
    return this.#limits;
  }
}

// Local media: the camera and microphone, with fallbacks so that a missing or denied device never
// blocks a call. No DOM, no RTCPeerConnection.

/** Constraints for the camera: ask for HD, take what the device has. */
const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 } };
const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/**
 * @typedef {object} LocalMedia
 * @property {MediaStream | null} stream null: nothing could be had; the call is receive only.
 * @property {string} notice Words for what is missing and why, '' when everything was had.
 */

/**
 * Tries audio+video, then audio only, then video only. Never rejects.
 * @param {MediaDevices | undefined} mediaDevices undefined where the page cannot use media (no HTTPS).
 * @returns {Promise<LocalMedia>}
 */
export async function getLocalMedia(mediaDevices) {
  if (!mediaDevices || typeof mediaDevices.getUserMedia !== 'function') {
    const err = new DOMException('media devices need a secure (HTTPS) page', 'SecurityError');
    return { stream: null, notice: mediaNotice(false, false, err) };
  }
  /** @type {unknown} */
  let firstError = null;
  for (const constraints of [{ audio: AUDIO, video: VIDEO }, { audio: AUDIO }, { video: VIDEO }]) {
    try {
      const stream = await mediaDevices.getUserMedia(constraints);
      const hasAudio = stream.getAudioTracks().length > 0;
      const hasVideo = stream.getVideoTracks().length > 0;
      return { stream, notice: mediaNotice(hasAudio, hasVideo, firstError) };
    } catch (err) {
      firstError ??= err;
    }
  }
  return { stream: null, notice: mediaNotice(false, false, firstError) };
}

/**
 * Words for what media acquisition got, or '' when it got everything.
 * @param {boolean} hasAudio
 * @param {boolean} hasVideo
 * @param {unknown} err The first error, which says why the full set was not available.
 * @returns {string}
 */
function mediaNotice(hasAudio, hasVideo, err) {
  if (hasAudio && hasVideo) return '';
  const why = mediaErrorWords(err);
  if (hasAudio) return `Camera unavailable${why} — continuing with audio only.`;
  if (hasVideo) return `Microphone unavailable${why} — continuing with video only.`;
  return `Camera and microphone unavailable${why} — continuing receive only: you can still see and hear the other person.`;
}

/**
 * @param {unknown} err
 * @returns {string}
 */
function mediaErrorWords(err) {
  const name = err instanceof Error || err instanceof DOMException ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
      return ' (permission denied)';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return ' (none found)';
    case 'NotReadableError':
    case 'AbortError':
      return ' (in use by another app)';
    case 'SecurityError':
      return ' (this page needs HTTPS)';
    default:
      return '';
  }
}

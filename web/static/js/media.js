// Local media: getting the camera and microphone (with fallbacks so that a missing or denied device never
// blocks a call), the constraints every camera and microphone track is asked with, and the notices that say
// what is missing and why. Notices are locale keys (locales/*.js), never words. No DOM, no
// RTCPeerConnection.

/** Constraints for the camera: ask for HD, take what the device has. */
const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 } };
const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/**
 * Why a device could not be had, as the last part of a notice key.
 * - denied:   the person or the browser refused the permission (NotAllowedError)
 * - notFound: no such device (NotFoundError, OverconstrainedError)
 * - inUse:    the device is busy, usually held by another app (NotReadableError, AbortError)
 * - insecure: the page is not HTTPS, so the browser offers no devices (SecurityError)
 * - other:    anything else
 * @typedef {'denied' | 'notFound' | 'inUse' | 'insecure' | 'other'} MediaWhy
 */

/** Every MediaWhy, in the order the locale files list them. */
export const MEDIA_WHYS = /** @type {const} */ (['denied', 'notFound', 'inUse', 'insecure', 'other']);

/**
 * What a media failure notice is about; its key is `media.${what}.${why}`, one key per reason so that a
 * translation is one plain text (no reason phrase to translate and fit in).
 * - cameraUnavailable: at the start, no camera: the call goes on with audio only
 * - micUnavailable:    at the start, no microphone: the call goes on with video only
 * - allUnavailable:    at the start, neither: the call goes on receive only
 * - cameraFailed:      a camera asked for during the call (switch, flip, back after screen sharing or
 *                      audio-only) could not be had
 * - micFailed:         a microphone asked for during the call could not be had
 * - screenFailed:      screen sharing could not start (not said to a person who cancels the picker)
 * @typedef {'cameraUnavailable' | 'micUnavailable' | 'allUnavailable' | 'cameraFailed' | 'micFailed' | 'screenFailed'} MediaFailure
 */

/** Every MediaFailure. */
const MEDIA_FAILURES = /** @type {const} */ (['cameraUnavailable', 'micUnavailable', 'allUnavailable', 'cameraFailed', 'micFailed', 'screenFailed']);

/**
 * Notices without a reason:
 * - media.cameraLost / media.micLost: the device stopped during the call (unplugged, or taken by the system)
 * - media.dataSaverAuto.saveData / .cellular: data saver turned itself on, and why
 * - server.reconnecting: the connection to the signaling server dropped, the call goes on meanwhile and
 *   signaling reconnects (call.js); an empty key clears it when the server is back
 */
const OTHER_NOTICE_KEYS = [
  'media.cameraLost',
  'media.micLost',
  'media.dataSaverAuto.saveData',
  'media.dataSaverAuto.cellular',
  'server.reconnecting',
];

/**
 * Every locale key a Call can put in a 'notice' event, so that a test can check that each locale has them.
 * @type {readonly string[]}
 */
export const NOTICE_KEYS = Object.freeze([
  ...MEDIA_FAILURES.flatMap((what) => MEDIA_WHYS.map((why) => `media.${what}.${why}`)),
  ...OTHER_NOTICE_KEYS,
]);

/**
 * A notice as a locale key with its parameters (all strings, for the translation's {placeholders}).
 * @typedef {object} NoticeText
 * @property {string} key
 * @property {Record<string, string>} params
 */

/**
 * @typedef {object} LocalMedia
 * @property {MediaStream | null} stream null: nothing could be had; the call is receive only.
 * @property {NoticeText | null} notice What is missing and why; null when everything was had.
 */

/**
 * @typedef {object} DeviceChoice
 * @property {string} [cameraId]     Preferred camera; another is taken when it is gone.
 * @property {string} [microphoneId] Preferred microphone; likewise.
 */

/**
 * Video constraints for a camera track.
 * @param {{deviceId?: string, exact?: boolean, facingMode?: string}} [want] A device to prefer (or, exact,
 *   to insist on), or a facing mode to insist on.
 * @returns {MediaTrackConstraints}
 */
export function cameraConstraints(want = {}) {
  if (want.facingMode) return { ...VIDEO, facingMode: { exact: want.facingMode } };
  if (!want.deviceId) return { ...VIDEO };
  return { ...VIDEO, deviceId: want.exact ? { exact: want.deviceId } : { ideal: want.deviceId } };
}

/**
 * Audio constraints for a microphone track.
 * @param {{deviceId?: string, exact?: boolean}} [want]
 * @returns {MediaTrackConstraints}
 */
export function micConstraints(want = {}) {
  if (!want.deviceId) return { ...AUDIO };
  return { ...AUDIO, deviceId: want.exact ? { exact: want.deviceId } : { ideal: want.deviceId } };
}

/**
 * Tries audio+video, then audio only, then video only. Never rejects. Remembered devices that are listed
 * are insisted on; those no longer listed are forgotten; when the list hides ids (no permission yet) they
 * are asked for as `ideal`, which the browser weighs against the rest.
 * @param {MediaDevices | undefined} mediaDevices undefined where the page cannot use media (no HTTPS).
 * @param {DeviceChoice} [choice]
 * @returns {Promise<LocalMedia>}
 */
export async function getLocalMedia(mediaDevices, choice = {}) {
  if (!mediaDevices || typeof mediaDevices.getUserMedia !== 'function') {
    const err = new DOMException('media devices need a secure (HTTPS) page', 'SecurityError');
    return { stream: null, notice: startNotice(false, false, err) };
  }
  const listed = await listedIds(mediaDevices);
  const audio = micConstraints(preferred(listed, choice.microphoneId));
  const video = cameraConstraints(preferred(listed, choice.cameraId));
  /** @type {unknown} */
  let firstError = null;
  for (const constraints of [{ audio, video }, { audio }, { video }]) {
    try {
      const stream = await mediaDevices.getUserMedia(constraints);
      const hasAudio = stream.getAudioTracks().length > 0;
      const hasVideo = stream.getVideoTracks().length > 0;
      return { stream, notice: startNotice(hasAudio, hasVideo, firstError) };
    } catch (err) {
      firstError ??= err;
    }
  }
  return { stream: null, notice: startNotice(false, false, firstError) };
}

/**
 * The device ids enumerateDevices shows; empty when it hides them (no permission yet) or fails.
 * @param {MediaDevices} mediaDevices
 * @returns {Promise<Set<string>>}
 */
async function listedIds(mediaDevices) {
  if (typeof mediaDevices.enumerateDevices !== 'function') return new Set();
  try {
    return new Set((await mediaDevices.enumerateDevices()).map((d) => d.deviceId).filter((id) => id !== ''));
  } catch {
    return new Set();
  }
}

/**
 * How to ask for a remembered device: exactly when it is listed, not at all when the list shows it gone,
 * as ideal when the list hides ids.
 * @param {Set<string>} listed
 * @param {string | undefined} id
 * @returns {{deviceId?: string, exact?: boolean}}
 */
export function preferred(listed, id) {
  if (!id) return {};
  if (listed.size === 0) return { deviceId: id };
  return listed.has(id) ? { deviceId: id, exact: true } : {};
}

/**
 * The notice for what media acquisition at the start got, or null when it got everything.
 * @param {boolean} hasAudio
 * @param {boolean} hasVideo
 * @param {unknown} err The first error, which says why the full set was not available.
 * @returns {NoticeText | null}
 */
export function startNotice(hasAudio, hasVideo, err) {
  if (hasAudio && hasVideo) return null;
  if (hasAudio) return failureNotice('cameraUnavailable', err);
  if (hasVideo) return failureNotice('micUnavailable', err);
  return failureNotice('allUnavailable', err);
}

/**
 * The notice for a failure, with the reason in its key (and, for code that reads it, in params.why).
 * @param {MediaFailure} what
 * @param {unknown} err
 * @returns {NoticeText}
 */
export function failureNotice(what, err) {
  const why = mediaWhy(err);
  return { key: `media.${what}.${why}`, params: { why } };
}

/**
 * Why getUserMedia or getDisplayMedia failed, from the error's name.
 * @param {unknown} err
 * @returns {MediaWhy}
 */
export function mediaWhy(err) {
  const name = err instanceof Error || err instanceof DOMException ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'notFound';
    case 'NotReadableError':
    case 'AbortError':
      return 'inUse';
    case 'SecurityError':
      return 'insecure';
    default:
      return 'other';
  }
}

/**
 * Whether an error says the device is busy: phones often cannot open a second camera (or microphone)
 * while the first is open, and answer so.
 * @param {unknown} err
 * @returns {boolean}
 */
export function deviceBusy(err) {
  return mediaWhy(err) === 'inUse';
}

/**
 * One track of a kind, or a rejection with getUserMedia's error.
 * @param {MediaDevices} mediaDevices
 * @param {'audio' | 'video'} kind
 * @param {MediaTrackConstraints} constraints
 * @returns {Promise<MediaStreamTrack>}
 */
export async function getTrack(mediaDevices, kind, constraints) {
  const stream = await mediaDevices.getUserMedia({ [kind]: constraints });
  const [track, ...extra] = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
  for (const t of extra) t.stop();
  if (!track) throw new DOMException(`no ${kind} track`, 'NotFoundError');
  return track;
}

// Data saver: when to turn it on by itself, and the caps it puts on the outgoing video through
// RTCRtpSender.setParameters (no renegotiation, takes effect within a second). Audio is never capped:
// Opus needs about 32 kbit/s, and being heard matters more than being seen. No DOM.

/**
 * The caps, per video source.
 *
 * Camera: 250 kbit/s, at most 15 frames/s, scaled down to at most 360 pixels on the short side. An hour of
 * video is then about 110 MB instead of about 1 GB at Chromium's usual 2–2.5 Mbit/s for 720p. At
 * 250 kbit/s, 640x360 at 15 fps is about 0.07 bits per pixel per frame, where VP8 and H.264 still give
 * a clean talking head; 720p at that rate would only be blurred by the encoder, and costs more CPU and
 * battery to encode. Faces lose little below 15 fps's smoothness, and half the frames is half the work.
 *
 * Screen: the same 250 kbit/s, but text needs pixels more than motion: up to 720 on the short side and
 * 5 frames/s.
 */
export const DATA_SAVER = Object.freeze({
  camera: Object.freeze({ maxBitrate: 250_000, maxFramerate: 15, maxShortSide: 360 }),
  screen: Object.freeze({ maxBitrate: 250_000, maxFramerate: 5, maxShortSide: 720 }),
});

/**
 * The part of the Network Information API that data saver reads (Chromium; absent in Firefox and Safari).
 * @typedef {object} ConnectionInfo
 * @property {boolean} [saveData] The person asked the browser or system to save data.
 * @property {string} [type]      'cellular', 'wifi', …; Chromium on desktop leaves it undefined.
 */

/**
 * Whether the connection asks for data saving, and why ('' when it does not).
 * @param {ConnectionInfo | null | undefined} connection
 * @returns {'saveData' | 'cellular' | ''}
 */
export function connectionSaving(connection) {
  if (connection?.saveData === true) return 'saveData';
  if (connection?.type === 'cellular') return 'cellular';
  return '';
}

/**
 * The encoding limits data saver wants for a track with these settings.
 * @typedef {object} SaverEncoding
 * @property {number} maxBitrate bits per second
 * @property {number} maxFramerate
 * @property {number} scaleResolutionDownBy 1 or more
 */

/**
 * @param {'camera' | 'screen'} source
 * @param {{width?: number, height?: number}} settings The track's getSettings(); without a size no scaling.
 * @returns {SaverEncoding}
 */
export function saverEncoding(source, settings) {
  const caps = DATA_SAVER[source];
  const { width = 0, height = 0 } = settings;
  // The short side, so that portrait video from a phone is scaled as much as landscape.
  const short = width > 0 && height > 0 ? Math.min(width, height) : 0;
  const scale = short > caps.maxShortSide ? short / caps.maxShortSide : 1;
  return { maxBitrate: caps.maxBitrate, maxFramerate: caps.maxFramerate, scaleResolutionDownBy: roundUp(scale) };
}

/**
 * Sender parameters with data saver's limits on every encoding (limits not null) or without them (null).
 * Returns null when the parameters already are so, or have no encodings yet (before negotiation in some
 * browsers): then there is nothing to set.
 * @param {RTCRtpSendParameters} params From getParameters(); not changed.
 * @param {SaverEncoding | null} limits
 * @returns {RTCRtpSendParameters | null}
 */
export function withSaver(params, limits) {
  if (!params.encodings || params.encodings.length === 0) return null;
  let changed = false;
  const encodings = params.encodings.map((enc) => {
    const next = { ...enc };
    if (limits) {
      next.maxBitrate = limits.maxBitrate;
      next.maxFramerate = limits.maxFramerate;
      next.scaleResolutionDownBy = limits.scaleResolutionDownBy;
    } else {
      delete next.maxBitrate;
      delete next.maxFramerate;
      next.scaleResolutionDownBy = 1; // the default for a single video encoding
    }
    changed ||= !sameLimits(enc, next);
    return next;
  });
  return changed ? { ...params, encodings } : null;
}

/**
 * Applies (or lifts) data saver's limits on a video sender. Returns whether parameters were set.
 * @param {RTCRtpSender} sender
 * @param {SaverEncoding | null} limits
 * @returns {Promise<boolean>}
 */
export async function applySaver(sender, limits) {
  const next = withSaver(sender.getParameters(), limits);
  if (!next) return false;
  await sender.setParameters(next);
  return true;
}

/**
 * @param {RTCRtpEncodingParameters} a
 * @param {RTCRtpEncodingParameters} b
 * @returns {boolean}
 */
function sameLimits(a, b) {
  return (
    a.maxBitrate === b.maxBitrate &&
    a.maxFramerate === b.maxFramerate &&
    (a.scaleResolutionDownBy ?? 1) === (b.scaleResolutionDownBy ?? 1)
  );
}

/**
 * Two decimals are plenty for a scale factor and keep repeated applications equal; rounded up so that the
 * scaled side stays within the cap (480 / 1.34 = 358, where 1.33 would give 361).
 * @param {number} x
 * @returns {number}
 */
function roundUp(x) {
  return Math.ceil(x * 100 - 1e-9) / 100;
}

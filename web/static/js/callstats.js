// The numbers for the call's stats panel, from RTCPeerConnection.getStats(): round-trip time, bitrate
// and packet loss each way, the video's resolution, frame rate and codec, the audio codec, and the path.
// No DOM: callStats and formatStats are pure; StatsMonitor polls getStats with injected timers.
//
// Two kinds of figures:
// - What the browser already gives per moment or per interval (currentRoundTripTime, framesPerSecond,
//   fractionLost, resolution, codec) is read from the current report alone, so the first sample has it.
// - What needs two reports (bitrates, inbound loss, frame rates of browsers without framesPerSecond)
//   comes from counter deltas between the previous and current sample. When that interval cannot be
//   measured — no previous sample, a stream that appeared, vanished or changed SSRC, a counter that
//   went backwards, a clock that did not move — the figure is null for that sample, never negative.
//
// Field support differs between browsers (MDN browser-compat-data): Firefox only has
// currentRoundTripTime on the candidate pair since 142 and Safari dropped it in 16.2, so RTT falls back
// to remote-inbound-rtp roundTripTime; Safari has no remote-inbound-rtp fractionLost (Firefox since 106),
// hence the packet-count fallback; Safari lacks framesPerSecond, hence the frame-count fallback.

import { pathFromStats, selectedPair } from './icepath.js';

/** @typedef {import('./icepath.js').IcePath} IcePath */
/** @typedef {import('./icepath.js').StatsEntry} StatsEntry */
/** @typedef {import('./icepath.js').StatsReportLike} StatsReportLike */

/**
 * One direction of video. Each field is null until the browser knows it (e.g. no frame decoded yet).
 * @typedef {object} VideoStats
 * @property {number | null} width  Pixels, of the frames decoded (in) or encoded (out).
 * @property {number | null} height
 * @property {number | null} fps    Frames per second.
 * @property {string | null} codec  The MIME subtype: "VP8", "H264", "AV1"…
 */

/**
 * One direction of audio.
 * @typedef {object} AudioStats
 * @property {string | null} codec "opus"…
 */

/**
 * One sample of the call. `in` is what this device receives, `out` what it sends. null: unknown.
 * @typedef {object} CallStats
 * @property {number | null} rttMs      Round-trip time to the other device, in milliseconds.
 * @property {number | null} bitrateIn  Bits per second received, audio and video together (RTP payload:
 *   bytesReceived, which leaves out RTP headers and the transport's overhead).
 * @property {number | null} bitrateOut Bits per second sent, audio and video together (bytesSent, which
 *   includes retransmissions).
 * @property {number | null} lossIn     Fraction (0–1) of the packets sent to us in the interval that were lost.
 * @property {number | null} lossOut    Fraction (0–1) of our packets the other side reports lost.
 * @property {{in: VideoStats | null, out: VideoStats | null}} video null: no video stream that way.
 * @property {{in: AudioStats | null, out: AudioStats | null}} audio null: no audio stream that way.
 * @property {IcePath | null} path      As icepath.js's pathFromStats.
 */

/** A report as a Map from id to entry. */
/** @typedef {Map<string, StatsEntry>} Index */

/** A stream in the current report and the same stream in the previous one. */
/** @typedef {{now: StatsEntry, before: StatsEntry, seconds: number}} Span */

/**
 * The stats of one sample. `prev` is the report of the sample before (null for the first one), `curr`
 * the new one; the caller keeps `curr` as the next `prev`.
 * @param {StatsReportLike | null} prev
 * @param {StatsReportLike} curr
 * @returns {CallStats}
 */
export function callStats(prev, curr) {
  const now = index(curr);
  const before = prev ? index(prev) : null;
  const inbound = spans(before, now, 'inbound-rtp');
  const outbound = spans(before, now, 'outbound-rtp');
  return {
    rttMs: rttMs(now),
    bitrateIn: inbound && bitrate(inbound, 'bytesReceived'),
    bitrateOut: outbound && bitrate(outbound, 'bytesSent'),
    lossIn: inbound && lossIn(inbound),
    lossOut: lossOut(before, now),
    video: {
      in: video(before, now, 'inbound-rtp', 'bytesReceived', 'framesDecoded'),
      out: video(before, now, 'outbound-rtp', 'bytesSent', 'framesEncoded'),
    },
    audio: {
      in: audio(before, now, 'inbound-rtp', 'bytesReceived'),
      out: audio(before, now, 'outbound-rtp', 'bytesSent'),
    },
    path: pathFromStats(now),
  };
}

/**
 * @param {StatsReportLike} report
 * @returns {Index}
 */
function index(report) {
  /** @type {Index} */
  const byId = new Map();
  report.forEach((s) => {
    if (typeof s === 'object' && s !== null && typeof s.id === 'string' && typeof s.type === 'string') byId.set(s.id, s);
  });
  return byId;
}

/**
 * @param {Index} ix
 * @param {string} type
 * @returns {StatsEntry[]}
 */
function ofType(ix, type) {
  return [...ix.values()].filter((s) => s.type === type);
}

/**
 * This device's RTP streams one way. Older Firefox listed the other side's RTCP figures as
 * inbound-rtp/outbound-rtp too, marked isRemote: those are not ours.
 * @param {Index} ix
 * @param {'inbound-rtp' | 'outbound-rtp'} type
 * @param {string} [kind] 'audio' or 'video'; all when absent.
 * @returns {StatsEntry[]}
 */
function streams(ix, type, kind) {
  return ofType(ix, type).filter((s) => s.isRemote !== true && (kind === undefined || kindOf(s) === kind));
}

/**
 * `kind` is the standard name; `mediaType` the one older Chromium, Firefox and Safari used.
 * @param {StatsEntry} s
 */
function kindOf(s) {
  return str(s.kind) ?? str(s.mediaType);
}

/** @param {unknown} v @returns {number | null} */
function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** @param {unknown} v @returns {string | null} */
function str(v) {
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * The same stream in the previous report: same id and same SSRC (a new SSRC is a new stream whose
 * counters start again).
 * @param {Index | null} before
 * @param {StatsEntry} s
 * @returns {StatsEntry | null}
 */
function previous(before, s) {
  const p = before?.get(s.id);
  return p && p.type === s.type && p.ssrc === s.ssrc ? p : null;
}

/**
 * Seconds between two samples of a stream; null when the clock did not move (Chromium hands out the
 * same cached report to calls less than 50 ms apart) or went back.
 * @param {StatsEntry} now
 * @param {StatsEntry} before
 * @returns {number | null}
 */
function seconds(now, before) {
  const t1 = num(now.timestamp);
  const t0 = num(before.timestamp);
  return t1 !== null && t0 !== null && t1 > t0 ? (t1 - t0) / 1000 : null;
}

/**
 * How much a counter grew; null when it is missing or went back (a reset).
 * @param {StatsEntry} now
 * @param {StatsEntry} before
 * @param {string} field
 * @returns {number | null}
 */
function delta(now, before, field) {
  const a = num(now[field]);
  const b = num(before[field]);
  return a !== null && b !== null && a >= b ? a - b : null;
}

/**
 * Every stream of one direction with its previous sample, or null when the interval cannot be measured
 * as a whole: a stream that appeared or vanished would make the sum jump or drop for one sample.
 * @param {Index | null} before
 * @param {Index} now
 * @param {'inbound-rtp' | 'outbound-rtp'} type
 * @returns {Span[] | null}
 */
function spans(before, now, type) {
  if (!before) return null;
  const current = streams(now, type);
  if (current.length === 0 || current.length !== streams(before, type).length) return null;
  /** @type {Span[]} */
  const out = [];
  for (const s of current) {
    const p = previous(before, s);
    const secs = p && seconds(s, p);
    if (!p || secs === null) return null;
    out.push({ now: s, before: p, seconds: secs });
  }
  return out;
}

/**
 * Bits per second over the interval, all streams together (each over its own timestamps).
 * @param {Span[]} all
 * @param {'bytesReceived' | 'bytesSent'} field
 * @returns {number | null}
 */
function bitrate(all, field) {
  let bps = 0;
  for (const { now, before, seconds } of all) {
    const bytes = delta(now, before, field);
    if (bytes === null) return null;
    bps += (bytes * 8) / seconds;
  }
  return bps;
}

/**
 * Lost packets over the packets expected in the interval, all inbound streams together. packetsLost is
 * "expected minus received", so it falls when a packet counted lost arrives late: that is not a reset,
 * and counts as no loss.
 * @param {Span[]} all
 * @returns {number | null}
 */
function lossIn(all) {
  let lost = 0;
  let received = 0;
  for (const { now, before } of all) {
    const got = delta(now, before, 'packetsReceived');
    const l1 = num(now.packetsLost);
    const l0 = num(before.packetsLost);
    if (got === null || l1 === null || l0 === null) return null;
    lost += Math.max(0, l1 - l0);
    received += got;
  }
  return lost + received > 0 ? lost / (lost + received) : null;
}

/**
 * What the other side lost of what we send, from its RTCP receiver reports (remote-inbound-rtp), as a
 * packet-weighted mean over our streams (video sends far more packets than audio). Streams whose loss is
 * not known this sample are left out; null when none is known.
 * @param {Index | null} before
 * @param {Index} now
 * @returns {number | null}
 */
function lossOut(before, now) {
  let lost = 0;
  let sent = 0;
  for (const remote of ofType(now, 'remote-inbound-rtp')) {
    const share = remoteLoss(before, now, remote);
    if (!share) continue;
    lost += share.lost;
    sent += share.sent;
  }
  return sent > 0 ? lost / sent : null;
}

/**
 * One of our streams' loss as packet counts, so that streams add up.
 * - fractionLost (Chromium, Firefox 106+) is the receiver's own figure for its last report interval,
 *   weighted by the packets we sent in our interval (or, on the first sample, ever).
 * - Else the growth of the receiver's packetsLost, over the growth of lost + received where the
 *   receiver reports packetsReceived (Firefox), or of what we sent (Safari). The receiver counts at its
 *   report times, not ours, so this is clamped to 0–100 %.
 * @param {Index | null} before
 * @param {Index} now
 * @param {StatsEntry} remote
 * @returns {{lost: number, sent: number} | null}
 */
function remoteLoss(before, now, remote) {
  const local = localStream(now, remote);
  const localBefore = local && previous(before, local);
  const sentNow = local && localBefore ? delta(local, localBefore, 'packetsSent') : null;
  const fraction = num(remote.fractionLost);
  if (fraction !== null) {
    const weight = sentNow ?? (local ? num(local.packetsSent) : null);
    return weight === null ? null : { lost: Math.min(1, Math.max(0, fraction)) * weight, sent: weight };
  }
  const remoteBefore = previous(before, remote);
  if (!remoteBefore) return null;
  const l1 = num(remote.packetsLost);
  const l0 = num(remoteBefore.packetsLost);
  if (l1 === null || l0 === null) return null;
  const lost = Math.max(0, l1 - l0);
  const received = delta(remote, remoteBefore, 'packetsReceived');
  const expected = received !== null ? lost + received : sentNow;
  if (expected === null || expected === 0) return null;
  return { lost: Math.min(lost, expected), sent: expected };
}

/**
 * Our outbound-rtp stream a remote-inbound-rtp entry reports on: its localId, else the same SSRC.
 * @param {Index} now
 * @param {StatsEntry} remote
 * @returns {StatsEntry | null}
 */
function localStream(now, remote) {
  const byId = typeof remote.localId === 'string' ? now.get(remote.localId) : undefined;
  if (byId && byId.type === 'outbound-rtp') return byId;
  return streams(now, 'outbound-rtp').find((s) => s.ssrc === remote.ssrc) ?? null;
}

/**
 * Round-trip time in ms: the selected candidate pair's currentRoundTripTime (STUN consent checks, the
 * network alone), else the mean of the RTCP round trips of our streams (remote-inbound-rtp).
 * @param {Index} now
 * @returns {number | null}
 */
function rttMs(now) {
  const current = num(selectedPair(now)?.currentRoundTripTime);
  if (current !== null) return current * 1000;
  const rtts = ofType(now, 'remote-inbound-rtp')
    .map((r) => num(r.roundTripTime))
    .filter((t) => t !== null);
  return rtts.length > 0 ? (rtts.reduce((a, b) => a + b, 0) / rtts.length) * 1000 : null;
}

/**
 * The stream of one kind one way. A 1:1 call has one; should there be more (simulcast layers, a
 * receiver left over from a renegotiation), the one that carried the most bytes in the interval, or
 * ever on the first sample.
 * @param {Index | null} before
 * @param {Index} now
 * @param {'inbound-rtp' | 'outbound-rtp'} type
 * @param {'audio' | 'video'} kind
 * @param {'bytesReceived' | 'bytesSent'} bytesField
 * @returns {StatsEntry | null}
 */
function busiest(before, now, type, kind, bytesField) {
  const bytes = (/** @type {StatsEntry} */ s) => {
    const p = previous(before, s);
    return (p ? delta(s, p, bytesField) : null) ?? num(s[bytesField]) ?? 0;
  };
  const all = streams(now, type, kind);
  if (all.length === 0) return null;
  return all.reduce((a, b) => (bytes(b) > bytes(a) ? b : a));
}

/**
 * @param {Index | null} before
 * @param {Index} now
 * @param {'inbound-rtp' | 'outbound-rtp'} type
 * @param {'bytesReceived' | 'bytesSent'} bytesField
 * @param {'framesDecoded' | 'framesEncoded'} framesField
 * @returns {VideoStats | null}
 */
function video(before, now, type, bytesField, framesField) {
  const s = busiest(before, now, type, 'video', bytesField);
  if (!s) return null;
  return { width: num(s.frameWidth), height: num(s.frameHeight), fps: fps(before, s, framesField), codec: codec(now, s) };
}

/**
 * framesPerSecond, else frames decoded (or encoded) over the interval.
 * @param {Index | null} before
 * @param {StatsEntry} s
 * @param {'framesDecoded' | 'framesEncoded'} framesField
 * @returns {number | null}
 */
function fps(before, s, framesField) {
  const given = num(s.framesPerSecond);
  if (given !== null) return given;
  const p = previous(before, s);
  const secs = p && seconds(s, p);
  const frames = p && delta(s, p, framesField);
  return secs && frames !== null ? frames / secs : null;
}

/**
 * @param {Index | null} before
 * @param {Index} now
 * @param {'inbound-rtp' | 'outbound-rtp'} type
 * @param {'bytesReceived' | 'bytesSent'} bytesField
 * @returns {AudioStats | null}
 */
function audio(before, now, type, bytesField) {
  const s = busiest(before, now, type, 'audio', bytesField);
  return s ? { codec: codec(now, s) } : null;
}

/**
 * The codec entry's mimeType without its "video/" or "audio/" part: "VP8", "opus".
 * @param {Index} now
 * @param {StatsEntry} s
 * @returns {string | null}
 */
function codec(now, s) {
  const entry = typeof s.codecId === 'string' ? now.get(s.codecId) : undefined;
  const mime = entry && entry.type === 'codec' ? str(entry.mimeType) : null;
  return mime ? str(mime.slice(mime.indexOf('/') + 1)) : null;
}

/** What formatStats shows for an unknown value. */
export const UNKNOWN = '—';

/**
 * The panel's strings, one per figure; UNKNOWN where the figure is not known. The path has no string
 * here: its words belong to the UI's locale files (CallStats.path has what they need).
 * @typedef {object} FormattedStats
 * @property {string} rtt            "42 ms"
 * @property {string} bitrateIn      "1.2 Mb/s", "850 kb/s"
 * @property {string} bitrateOut
 * @property {string} lossIn         "0.5%"
 * @property {string} lossOut
 * @property {string} videoIn        "1280×720 · 30 fps"
 * @property {string} videoOut
 * @property {string} videoCodecIn   "VP8"
 * @property {string} videoCodecOut
 * @property {string} audioCodecIn   "opus"
 * @property {string} audioCodecOut
 */

/**
 * Human strings for a sample (or for none yet: all UNKNOWN). Numbers and units follow the locale's
 * conventions through Intl.NumberFormat (grouping, decimal sign, the space before a unit or not).
 * @param {CallStats | null} stats
 * @param {string} locale 'en', 'ko'…
 * @returns {FormattedStats}
 */
export function formatStats(stats, locale) {
  const f = formatters(locale);
  const known = (/** @type {number | null | undefined} */ v, /** @type {(v: number) => string} */ fmt) =>
    v === null || v === undefined ? UNKNOWN : fmt(v);
  return {
    rtt: known(stats?.rttMs, f.ms),
    bitrateIn: known(stats?.bitrateIn, f.bitrate),
    bitrateOut: known(stats?.bitrateOut, f.bitrate),
    lossIn: known(stats?.lossIn, f.percent),
    lossOut: known(stats?.lossOut, f.percent),
    videoIn: f.picture(stats?.video.in ?? null),
    videoOut: f.picture(stats?.video.out ?? null),
    videoCodecIn: stats?.video.in?.codec ?? UNKNOWN,
    videoCodecOut: stats?.video.out?.codec ?? UNKNOWN,
    audioCodecIn: stats?.audio.in?.codec ?? UNKNOWN,
    audioCodecOut: stats?.audio.out?.codec ?? UNKNOWN,
  };
}

/** @param {string} locale */
function formatters(locale) {
  /** @param {string} unit @param {number} digits */
  const unit = (unit, digits) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: digits });
  // Pixel counts and frame rates are not quantities to group: "1280×720", not "1,280×720".
  const plain = new Intl.NumberFormat(locale, { maximumFractionDigits: 0, useGrouping: false });
  return {
    ms: (/** @type {number} */ v) => unit('millisecond', 0).format(v),
    /** Mb/s from just under 1 Mb/s (so that 999,999 bit/s is not "1,000 kb/s"), else kb/s. */
    bitrate: (/** @type {number} */ bps) =>
      bps >= 999_500
        ? unit('megabit-per-second', 1).format(bps / 1e6)
        : unit('kilobit-per-second', bps < 9_950 ? 1 : 0).format(bps / 1e3),
    /** Small losses keep a second decimal: 0.04 % is not 0 %. */
    percent: (/** @type {number} */ v) =>
      new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: v < 0.01 ? 2 : 1 }).format(v),
    /** "1280×720 · 30 fps", or the part that is known. */
    picture: (/** @type {VideoStats | null} */ v) => {
      const size = v && v.width !== null && v.height !== null ? `${plain.format(v.width)}×${plain.format(v.height)}` : '';
      const rate = v && v.fps !== null ? `${plain.format(v.fps)} fps` : '';
      return [size, rate].filter((p) => p !== '').join(' · ') || UNKNOWN;
    },
  };
}

/**
 * @typedef {object} StatsMonitorOptions
 * @property {() => Promise<StatsReportLike>} getStats
 * @property {(stats: CallStats) => void} onSample Called after each poll that got a report.
 * @property {number} [interval] ms from the end of one poll to the start of the next.
 * @property {(fn: () => void, ms: number) => unknown} [setTimer]
 * @property {(timer: unknown) => void} [clearTimer]
 * @property {(message: string, error: unknown) => void} [warn] Where the first getStats failure is
 *   logged (console.warn).
 */

/**
 * Polls getStats while started and hands each sample to onSample. One poll at a time: the next is
 * scheduled when the previous one has finished, so a slow getStats delays the samples rather than
 * piling calls up. A failed getStats is skipped (logged once); the next sample then spans both
 * intervals, which the rates allow for since they divide by the timestamps' difference.
 */
export class StatsMonitor {
  /** @type {() => Promise<StatsReportLike>} */
  #getStats;
  /** @type {(stats: CallStats) => void} */
  #onSample;
  #interval;
  /** @type {(fn: () => void, ms: number) => unknown} */
  #setTimer;
  /** @type {(timer: unknown) => void} */
  #clearTimer;
  /** @type {(message: string, error: unknown) => void} */
  #warn;
  /** @type {unknown} */
  #timer = null;
  /** Bumped by start() and stop(), so a poll that was under way when they ran reports nothing. */
  #generation = 0;
  #running = false;
  #warned = false;
  /** @type {StatsReportLike | null} */
  #prev = null;

  /** @param {StatsMonitorOptions} options */
  constructor({
    getStats,
    onSample,
    interval = 1000,
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (t) => clearTimeout(/** @type {ReturnType<typeof setTimeout>} */ (t)),
    warn = (message, error) => console.warn(message, error),
  }) {
    this.#getStats = getStats;
    this.#onSample = onSample;
    this.#interval = interval;
    this.#setTimer = setTimer;
    this.#clearTimer = clearTimer;
    this.#warn = warn;
  }

  /** Starts polling now, with no previous sample (no-op while running). */
  start() {
    if (this.#running) return;
    this.#running = true;
    this.#generation++;
    this.#prev = null;
    void this.#poll(this.#generation);
  }

  /** Stops polling. */
  stop() {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    if (this.#timer !== null) this.#clearTimer(this.#timer);
    this.#timer = null;
  }

  /** @param {number} generation */
  async #poll(generation) {
    this.#timer = null;
    const report = await this.#fetch();
    if (generation !== this.#generation) return;
    // Scheduled before onSample runs, so that an onSample that throws does not end the polling, and
    // one that calls stop() clears it.
    this.#timer = this.#setTimer(() => void this.#poll(generation), this.#interval);
    if (!report) return;
    const stats = callStats(this.#prev, report);
    this.#prev = report;
    this.#onSample(stats);
  }

  /** @returns {Promise<StatsReportLike | null>} */
  async #fetch() {
    try {
      return await this.#getStats();
    } catch (err) {
      // getStats rejects once the connection is closed (stop() follows); once is enough to log.
      if (!this.#warned) this.#warn('callstats: getStats failed', err);
      this.#warned = true;
      return null;
    }
  }
}

// Unit tests of web/static/js/callstats.js: the stats panel's numbers from getStats().
//
// testdata/stats-chromium-media-{1,2}.json are hand-built, not recorded (no browser can run here): the
// transport, candidate pair, candidates and certificates of the recorded stats-chromium-direct.json,
// plus a call's audio and video entries written with Chromium's field names and id scheme (W3C
// webrtc-stats), one second apart, with counters that move by round amounts:
//   inbound:  video 150,000 bytes, 148 packets received, 2 lost; audio 4,000 bytes, 50 packets, 0 lost
//   outbound: video 250,000 bytes, 250 packets; audio 5,000 bytes, 50 packets
//   the other side reports fractionLost 0.024 for our video (0.012 in the first sample), 0 for audio
//   video in 1280×720 at 30 fps (30 frames decoded), out 960×540 at 24 fps (24 encoded), VP8; opus
//   RTT: candidate pair 42 ms; RTCP 45 ms (video) and 43 ms (audio)
// The Firefox and Safari shapes below are built the same way, from the fields MDN's browser-compat-data
// lists for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { callStats, formatStats, StatsMonitor, UNKNOWN } from '../../web/static/js/callstats.js';
import { fakeTimers } from './faketimers.mjs';

/**
 * A report from testdata as a Map from id to entry, like RTCStatsReport (fresh objects each call).
 * @param {string} name
 * @returns {Map<string, any>}
 */
function recorded(name) {
  const { stats } = JSON.parse(readFileSync(new URL(`testdata/stats-chromium-${name}.json`, import.meta.url), 'utf8'));
  return new Map(stats.map((/** @type {{id: string}} */ s) => [s.id, s]));
}

/** The two samples, one second apart. */
const samples = () => [recorded('media-1'), recorded('media-2')];

/**
 * Equal to within floating-point noise.
 * @param {number | null} actual
 * @param {number} expected
 */
function near(actual, expected) {
  assert.ok(actual !== null && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${actual} ≈ ${expected}`);
}

/** Every figure that is a rate or a fraction: never negative, fractions at most 1. */
function assertSane(/** @type {import('../../web/static/js/callstats.js').CallStats} */ s) {
  for (const v of [s.rttMs, s.bitrateIn, s.bitrateOut, s.lossIn, s.lossOut, s.video.in?.fps, s.video.out?.fps]) {
    if (v === null || v === undefined) continue;
    assert.ok(Number.isFinite(v) && v >= 0, `not negative: ${v}`);
  }
  for (const v of [s.lossIn, s.lossOut]) if (v !== null) assert.ok(v <= 1, `a fraction: ${v}`);
}

const directPath = { relayed: false, protocol: '', localType: 'host', remoteType: 'host' };

test('bitrate and loss from two samples one second apart: the counters’ deltas', () => {
  const [a, b] = samples();
  const s = callStats(a, b);
  near(s.bitrateIn, (150_000 + 4_000) * 8);
  near(s.bitrateOut, (250_000 + 5_000) * 8);
  near(s.lossIn, 2 / (2 + 148 + 50));
  // The other side's fractionLost, weighted by the packets we sent each stream: video 250, audio 50.
  near(s.lossOut, (0.024 * 250 + 0 * 50) / 300);
  assertSane(s);
});

test('rates divide by the timestamps’ difference, not by an assumed second', () => {
  const [a, b] = samples();
  for (const s of b.values()) if (s.type.endsWith('bound-rtp')) s.timestamp = a.get(s.id).timestamp + 2000;
  const s = callStats(a, b);
  near(s.bitrateIn, ((150_000 + 4_000) * 8) / 2);
  near(s.bitrateOut, ((250_000 + 5_000) * 8) / 2);
  near(s.lossIn, 0.01); // a fraction of packets: the interval's length does not change it
});

test('codec, resolution, frame rate and path from the Chromium reports', () => {
  const [a, b] = samples();
  const s = callStats(a, b);
  assert.deepEqual(s.video, {
    in: { width: 1280, height: 720, fps: 30, codec: 'VP8' },
    out: { width: 960, height: 540, fps: 24, codec: 'VP8' },
  });
  assert.deepEqual(s.audio, { in: { codec: 'opus' }, out: { codec: 'opus' } });
  assert.deepEqual(s.path, directPath);
  assert.equal(s.rttMs, 42);
});

test('the recorded reports (a data channel, no media): no media figures, but RTT and path', () => {
  for (const [name, path] of [
    ['direct', directPath],
    ['relay-udp', { relayed: true, protocol: 'udp', localType: 'relay', remoteType: 'relay' }],
    ['relay-tcp', { relayed: true, protocol: 'tcp', localType: 'relay', remoteType: 'relay' }],
  ]) {
    const report = recorded(/** @type {string} */ (name));
    const s = callStats(report, recorded(/** @type {string} */ (name)));
    assert.deepEqual(s.path, path, name);
    assert.equal(typeof s.rttMs, 'number', name);
    const { bitrateIn, bitrateOut, lossIn, lossOut, video, audio } = s;
    assert.deepEqual(
      { bitrateIn, bitrateOut, lossIn, lossOut, video, audio },
      { bitrateIn: null, bitrateOut: null, lossIn: null, lossOut: null, video: { in: null, out: null }, audio: { in: null, out: null } },
      name,
    );
  }
  assert.equal(callStats(null, recorded('direct')).rttMs, 27);
});

test('first sample (no previous report): no rates, but resolution, codec, path and RTT', () => {
  const s = callStats(null, recorded('media-1'));
  assert.equal(s.bitrateIn, null);
  assert.equal(s.bitrateOut, null);
  assert.equal(s.lossIn, null);
  assert.equal(s.rttMs, 42);
  assert.deepEqual(s.video.in, { width: 1280, height: 720, fps: 30, codec: 'VP8' });
  assert.deepEqual(s.video.out, { width: 960, height: 540, fps: 24, codec: 'VP8' });
  assert.deepEqual(s.audio, { in: { codec: 'opus' }, out: { codec: 'opus' } });
  assert.deepEqual(s.path, directPath);
  // fractionLost is the other side's own per-interval figure, so it is known at once; weighted by the
  // packets sent so far (22,750 video, 14,950 audio).
  near(s.lossOut, (0.012 * 22_750) / (22_750 + 14_950));
});

test('RTT: the selected pair’s currentRoundTripTime, else the mean RTCP round trip, else null', () => {
  const [, b] = samples();
  assert.equal(callStats(null, b).rttMs, 42);
  delete b.get('CPbNpRs8o7_pelJr5Hb').currentRoundTripTime; // Safari 16.2+, Firefox before 142
  near(callStats(null, b).rttMs, (45 + 43) / 2);
  delete b.get('RIT01V3425876420').roundTripTime; // not measured yet
  near(callStats(null, b).rttMs, 43);
  delete b.get('RIT01A1122334455').roundTripTime;
  assert.equal(callStats(null, b).rttMs, null);
  assert.equal(callStats(null, new Map()).rttMs, null);
});

test('frame rate from frames decoded and encoded when the browser gives no framesPerSecond', () => {
  const [a, b] = samples();
  for (const r of [a, b]) {
    delete r.get('IT01V1948391201').framesPerSecond;
    delete r.get('OT01V3425876420').framesPerSecond;
  }
  const s = callStats(a, b);
  near(/** @type {number} */ (s.video.in?.fps), 30);
  near(/** @type {number} */ (s.video.out?.fps), 24);
  // Without a previous sample there is no interval: the rate is unknown, the resolution is not.
  assert.deepEqual(callStats(null, b).video.in, { width: 1280, height: 720, fps: null, codec: 'VP8' });
});

test('missing fields: nulls, not errors', () => {
  const [a, b] = samples();
  const video = b.get('IT01V1948391201');
  delete video.frameWidth; // nothing decoded yet
  delete video.frameHeight;
  delete video.codecId;
  b.delete('COT01_96'); // the codec entry is gone
  delete a.get('OT01A1122334455').bytesSent;
  const s = callStats(a, b);
  assert.deepEqual(s.video.in, { width: null, height: null, fps: 30, codec: null });
  assert.equal(s.video.out?.codec, null);
  assert.equal(s.bitrateOut, null);
  near(s.bitrateIn, 154_000 * 8);
  assertSane(s);
});

test('counter reset: a new SSRC, or a counter going back, gives null for that interval, never a negative number', () => {
  // The other side's video restarts with a new SSRC (Chromium: a new id too) and counters from zero.
  let [a, b] = samples();
  const old = b.get('IT01V1948391201');
  b.delete(old.id);
  b.set('IT01V77', { ...old, id: 'IT01V77', ssrc: 77, bytesReceived: 9000, packetsReceived: 9, packetsLost: 0, framesDecoded: 3 });
  let s = callStats(a, b);
  assert.equal(s.bitrateIn, null);
  assert.equal(s.lossIn, null);
  near(s.bitrateOut, 255_000 * 8); // the other direction is unaffected
  assert.equal(s.video.in?.width, 1280);
  assertSane(s);

  // Same id, new SSRC (a browser that keys stats by something else): the counters are another stream's,
  // even when they happen to be higher.
  [a, b] = samples();
  Object.assign(b.get('OT01V3425876420'), { ssrc: 5, bytesSent: 90_000_000, packetsSent: 90_000, framesEncoded: 9000 });
  delete b.get('OT01V3425876420').framesPerSecond;
  s = callStats(a, b);
  assert.equal(s.bitrateOut, null);
  assert.equal(s.video.out?.fps, null, 'no frame rate across a reset');
  assertSane(s);

  // Same SSRC, counters lower than before.
  [a, b] = samples();
  b.get('IT01A2811738431').bytesReceived = 10;
  b.get('IT01A2811738431').packetsReceived = 1;
  s = callStats(a, b);
  assert.equal(s.bitrateIn, null);
  assert.equal(s.lossIn, null);
  assertSane(s);

  // A stream that appeared or vanished between the samples: the sum would jump, so null.
  [a, b] = samples();
  a.delete('IT01A2811738431');
  assert.equal(callStats(a, b).bitrateIn, null, 'appeared');
  [a, b] = samples();
  b.delete('IT01A2811738431');
  assert.equal(callStats(a, b).bitrateIn, null, 'vanished');
  assert.equal(callStats(a, b).lossIn, null, 'vanished');
});

test('packetsLost falling (a packet counted lost arrived late) is no loss, not a reset', () => {
  const [a, b] = samples();
  b.get('IT01V1948391201').packetsLost = 7; // was 10
  const s = callStats(a, b);
  assert.equal(s.lossIn, 0);
  near(s.bitrateIn, 154_000 * 8);
});

test('never negative nor above 100 %: counters perturbed at random', () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const counters = ['bytesReceived', 'bytesSent', 'packetsReceived', 'packetsSent', 'packetsLost', 'framesDecoded', 'framesEncoded', 'timestamp'];
  for (let i = 0; i < 300; i++) {
    const [a, b] = samples();
    for (const s of b.values()) {
      for (const f of counters) if (typeof s[f] === 'number' && random() < 0.3) s[f] = Math.round(s[f] * (0.5 + random()));
      if (s.type === 'remote-inbound-rtp' && random() < 0.3) s.fractionLost = random() < 0.5 ? undefined : random();
      if (random() < 0.05) delete s.framesPerSecond;
    }
    assertSane(callStats(a, b));
  }
});

test('zero time delta (Chromium hands out a cached report within 50 ms) or time going back: null rates', () => {
  const [a, b] = samples();
  let s = callStats(a, a);
  assert.equal(s.bitrateIn, null);
  assert.equal(s.bitrateOut, null);
  assert.equal(s.lossIn, null);
  assert.equal(s.video.in?.fps, 30, 'framesPerSecond needs no interval');
  s = callStats(b, a);
  assert.equal(s.bitrateIn, null);
  assert.equal(s.bitrateOut, null);
  // A second report with new counters but the same timestamp.
  for (const e of b.values()) e.timestamp = a.get(e.id)?.timestamp ?? e.timestamp;
  assert.equal(callStats(a, b).bitrateIn, null);
});

/**
 * Firefox's shape, built by hand: no transport entry (the pair says `selected`), no
 * currentRoundTripTime before Firefox 142, remote-inbound-rtp with packetsReceived but, before
 * Firefox 106, no fractionLost. Ids are made up.
 * @param {0 | 1} k the sample: 0, then 1 one second later
 */
function firefox(k) {
  const t = 1795672400000 + 1000 * k;
  return new Map(
    [
      { id: 'p1', type: 'candidate-pair', timestamp: t, localCandidateId: 'l1', remoteCandidateId: 'r1', state: 'succeeded', nominated: true, selected: true, transportId: '0', bytesSent: 1_000_000 + 130_000 * k, bytesReceived: 900_000 + 104_000 * k },
      { id: 'l1', type: 'local-candidate', timestamp: t, candidateType: 'relay', relayProtocol: 'udp', address: '203.0.113.5', port: 50001, protocol: 'udp' },
      { id: 'r1', type: 'remote-candidate', timestamp: t, candidateType: 'srflx', address: '198.51.100.7', port: 40000, protocol: 'udp' },
      { id: 'c-vp8', type: 'codec', timestamp: t, codecType: 'encode', mimeType: 'video/VP8', payloadType: 120, clockRate: 90000, transportId: '0' },
      { id: 'c-h264', type: 'codec', timestamp: t, codecType: 'decode', mimeType: 'video/H264', payloadType: 126, clockRate: 90000, transportId: '0', sdpFmtpLine: 'profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1' },
      { id: 'c-opus', type: 'codec', timestamp: t, mimeType: 'audio/opus', payloadType: 109, clockRate: 48000, channels: 2, transportId: '0' },
      { id: 'in-v', type: 'inbound-rtp', timestamp: t, ssrc: 11, kind: 'video', mediaType: 'video', codecId: 'c-h264', transportId: '0', remoteId: 'rout-v', bytesReceived: 800_000 + 100_000 * k, packetsReceived: 900 + 95 * k, packetsLost: 4 + 5 * k, framesDecoded: 600 + 25 * k, frameWidth: 640, frameHeight: 360, framesPerSecond: 25 },
      { id: 'in-a', type: 'inbound-rtp', timestamp: t, ssrc: 12, kind: 'audio', mediaType: 'audio', codecId: 'c-opus', transportId: '0', bytesReceived: 100_000 + 4_000 * k, packetsReceived: 1000 + 50 * k, packetsLost: 0 },
      { id: 'out-v', type: 'outbound-rtp', timestamp: t, ssrc: 21, kind: 'video', mediaType: 'video', codecId: 'c-vp8', transportId: '0', remoteId: 'rin-v', bytesSent: 900_000 + 125_000 * k, packetsSent: 1000 + 120 * k, framesEncoded: 700 + 30 * k, frameWidth: 1280, frameHeight: 720 },
      { id: 'out-a', type: 'outbound-rtp', timestamp: t, ssrc: 22, kind: 'audio', mediaType: 'audio', codecId: 'c-opus', transportId: '0', remoteId: 'rin-a', bytesSent: 100_000 + 5_000 * k, packetsSent: 1000 + 50 * k },
      // Timestamped by the RTCP report, not by getStats.
      { id: 'rin-v', type: 'remote-inbound-rtp', timestamp: t - 700, ssrc: 21, kind: 'video', codecId: 'c-vp8', localId: 'out-v', packetsReceived: 990 + 114 * k, packetsLost: 10 + 6 * k, roundTripTime: 0.08, totalRoundTripTime: 8 + 0.08 * k, roundTripTimeMeasurements: 100 + k },
      { id: 'rin-a', type: 'remote-inbound-rtp', timestamp: t - 300, ssrc: 22, kind: 'audio', codecId: 'c-opus', localId: 'out-a', packetsReceived: 1000 + 50 * k, packetsLost: 0, roundTripTime: 0.06, totalRoundTripTime: 6 + 0.06 * k, roundTripTimeMeasurements: 100 + k },
    ].map((s) => [s.id, s]),
  );
}

test("Firefox's shape: RTT from RTCP, outbound loss from the other side's packet counts, fps from frame counts", () => {
  const s = callStats(firefox(0), firefox(1));
  near(s.rttMs, (80 + 60) / 2);
  near(s.bitrateIn, (100_000 + 4_000) * 8);
  near(s.bitrateOut, (125_000 + 5_000) * 8);
  near(s.lossIn, 5 / (5 + 95 + 50));
  near(s.lossOut, 6 / (6 + 114 + 0 + 50));
  assert.deepEqual(s.video, {
    in: { width: 640, height: 360, fps: 25, codec: 'H264' },
    out: { width: 1280, height: 720, fps: 30, codec: 'VP8' }, // Firefox before 115: no outbound framesPerSecond
  });
  assert.deepEqual(s.audio, { in: { codec: 'opus' }, out: { codec: 'opus' } });
  assert.deepEqual(s.path, { relayed: true, protocol: 'udp', localType: 'relay', remoteType: 'srflx' });
  // Firefox 106+ gives fractionLost: it wins over the counts.
  const [a, b] = [firefox(0), firefox(1)];
  b.get('rin-v').fractionLost = 0.1;
  b.get('rin-a').fractionLost = 0;
  near(callStats(a, b).lossOut, (0.1 * 120) / (120 + 50));
  // Without localId, our stream is found by its SSRC.
  for (const r of [a, b]) for (const id of ['rin-v', 'rin-a']) delete r.get(id).localId;
  near(callStats(a, b).lossOut, (0.1 * 120) / (120 + 50));
});

test("Safari's shape: no fractionLost nor packetsReceived from the other side: its lost count over what we sent", () => {
  const [a, b] = [firefox(0), firefox(1)];
  for (const r of [a, b]) for (const id of ['rin-v', 'rin-a']) delete r.get(id).packetsReceived;
  near(callStats(a, b).lossOut, 6 / (120 + 50));
  // The other side counts at its report times, not ours: more lost than we sent is capped at 100 %.
  b.get('rin-v').packetsLost = 10 + 500;
  near(callStats(a, b).lossOut, (120 + 0) / (120 + 50));
  assert.equal(callStats(null, b).lossOut, null, 'counts need two samples');
});

test('older browsers: mediaType instead of kind; isRemote entries are not ours', () => {
  const [a, b] = [firefox(0), firefox(1)];
  for (const r of [a, b]) for (const s of r.values()) delete s.kind;
  // Before remote-inbound-rtp, Firefox listed the other side's figures as outbound-rtp with isRemote.
  for (const r of [a, b]) r.set('x', { id: 'x', type: 'outbound-rtp', isRemote: true, ssrc: 11, mediaType: 'video', timestamp: 0, bytesSent: 9e9, packetsSent: 9e9 });
  const s = callStats(a, b);
  near(s.bitrateOut, (125_000 + 5_000) * 8);
  assert.equal(s.video.in?.codec, 'H264');
  assert.equal(s.audio.out?.codec, 'opus');
});

test('two video streams one way (simulcast, or a leftover receiver): the one carrying the most', () => {
  const [a, b] = samples();
  for (const r of [a, b]) {
    const v = r.get('OT01V3425876420');
    r.set('OT01V9', { ...v, id: 'OT01V9', ssrc: 9, frameWidth: 320, frameHeight: 180, bytesSent: v.bytesSent / 10 });
  }
  assert.equal(callStats(a, b).video.out?.width, 960);
  assert.equal(callStats(null, b).video.out?.width, 960);
});

test('formatStats in English and Korean', () => {
  const s = callStats(...samples());
  assert.deepEqual(formatStats(s, 'en'), {
    rtt: '42 ms',
    bitrateIn: '1.2 Mb/s',
    bitrateOut: '2 Mb/s',
    lossIn: '1%',
    lossOut: '2%',
    videoIn: '1280×720 · 30 fps',
    videoOut: '960×540 · 24 fps',
    videoCodecIn: 'VP8',
    videoCodecOut: 'VP8',
    audioCodecIn: 'opus',
    audioCodecOut: 'opus',
  });
  // Korean writes units without the space.
  assert.deepEqual(
    { ...formatStats(s, 'ko') },
    { ...formatStats(s, 'en'), rtt: '42ms', bitrateIn: '1.2Mb/s', bitrateOut: '2Mb/s' },
  );
});

test('formatStats: grouping, decimals and ranges follow the locale', () => {
  const s = callStats(...samples());
  const f = (/** @type {Partial<typeof s>} */ change, /** @type {string} */ locale) => formatStats({ ...s, ...change }, locale);
  assert.equal(f({ rttMs: 1234.4 }, 'en').rtt, '1,234 ms');
  assert.equal(f({ rttMs: 1234.4 }, 'ko').rtt, '1,234ms');
  assert.equal(f({ rttMs: 1234.4 }, 'de').rtt, '1.234 ms', 'the locale is really used');
  assert.equal(f({ bitrateIn: 12_345_678 }, 'en').bitrateIn, '12.3 Mb/s');
  assert.equal(f({ bitrateIn: 12_345_678 }, 'de').bitrateIn, '12,3 Mb/s');
  assert.equal(f({ bitrateIn: 850_400 }, 'en').bitrateIn, '850 kb/s');
  assert.equal(f({ bitrateIn: 999_999 }, 'en').bitrateIn, '1 Mb/s', 'not "1,000 kb/s"');
  assert.equal(f({ bitrateIn: 500 }, 'ko').bitrateIn, '0.5kb/s');
  assert.equal(f({ bitrateIn: 0 }, 'en').bitrateIn, '0 kb/s');
  assert.equal(f({ lossIn: 0.005 }, 'en').lossIn, '0.5%');
  assert.equal(f({ lossIn: 0.0004 }, 'ko').lossIn, '0.04%', 'a small loss is not shown as 0');
  assert.equal(f({ lossIn: 0.1234 }, 'en').lossIn, '12.3%');
  assert.equal(f({ lossIn: 0 }, 'en').lossIn, '0%');
  const video = (/** @type {any} */ v) => f({ video: { in: v, out: null } }, 'en').videoIn;
  assert.equal(video({ width: 1920, height: 1080, fps: 29.97, codec: 'AV1' }), '1920×1080 · 30 fps');
  assert.equal(video({ width: 1920, height: 1080, fps: null, codec: null }), '1920×1080');
  assert.equal(video({ width: null, height: null, fps: 15, codec: null }), '15 fps');
  assert.equal(video({ width: null, height: null, fps: null, codec: null }), UNKNOWN);
});

test('formatStats: "—" for every unknown value, and for no sample at all', () => {
  const none = {
    rtt: '—', bitrateIn: '—', bitrateOut: '—', lossIn: '—', lossOut: '—', videoIn: '—', videoOut: '—',
    videoCodecIn: '—', videoCodecOut: '—', audioCodecIn: '—', audioCodecOut: '—',
  };
  assert.deepEqual(formatStats(null, 'en'), none);
  assert.deepEqual(formatStats(callStats(null, new Map()), 'ko'), none);
  const first = formatStats(callStats(null, recorded('media-1')), 'en');
  assert.equal(first.bitrateIn, '—');
  assert.equal(first.lossIn, '—');
  assert.equal(first.videoIn, '1280×720 · 30 fps');
});

const settle = () => new Promise((r) => setImmediate(r));

test('StatsMonitor polls at once, then at its interval, each sample against the one before', async () => {
  const timers = fakeTimers();
  // The last one is media-2 again five seconds later: measured against media-2 it would give 0 bit/s.
  const later = recorded('media-2');
  for (const e of later.values()) e.timestamp += 5000;
  const reports = [recorded('media-1'), recorded('media-2'), recorded('media-2'), later];
  let polls = 0;
  /** @type {import('../../web/static/js/callstats.js').CallStats[]} */
  const seen = [];
  const m = new StatsMonitor({
    getStats: async () => reports[Math.min(polls++, reports.length - 1)],
    onSample: (s) => seen.push(s),
    interval: 1000,
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
  });
  m.start();
  await settle();
  assert.equal(polls, 1);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].bitrateIn, null, 'first sample');
  assert.equal(seen[0].video.in?.width, 1280);
  assert.equal(timers.fire(), 1000);
  await settle();
  assert.equal(polls, 2);
  near(seen[1].bitrateIn, 154_000 * 8);
  assert.equal(timers.fire(), 1000);
  await settle();
  assert.equal(seen[2].bitrateIn, null, 'the same report again (same timestamps): no time passed');
  m.stop();
  assert.equal(timers.pending.size, 0, 'stop leaves no timer');
  m.stop();

  // A new start() begins with no previous sample.
  m.start();
  await settle();
  assert.equal(seen.length, 4);
  assert.equal(seen[3].bitrateIn, null);
  m.stop();
});

test('StatsMonitor: never two polls at once when getStats is slow; a poll under way at stop() reports nothing', async () => {
  const timers = fakeTimers();
  /** @type {((v: any) => void)[]} */
  const waiting = [];
  let polls = 0;
  let seen = 0;
  const m = new StatsMonitor({
    getStats: () => {
      polls++;
      return new Promise((r) => waiting.push(r));
    },
    onSample: () => seen++,
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
  });
  m.start();
  m.start(); // no second poll loop
  await settle();
  assert.equal(polls, 1);
  assert.equal(timers.pending.size, 0, 'no next poll scheduled while one is under way');
  waiting.shift()?.(recorded('media-1'));
  await settle();
  assert.equal(seen, 1);
  assert.equal(timers.fire(), 1000, 'the next poll comes an interval after this one ended');
  await settle();
  assert.equal(polls, 2);
  assert.equal(timers.pending.size, 0);
  m.stop();
  waiting.shift()?.(recorded('media-2'));
  await settle();
  assert.equal(seen, 1, 'nothing after stop()');
  assert.equal(timers.pending.size, 0, 'and no timer');
});

test('StatsMonitor: getStats errors are skipped, logged once, and polling goes on', async () => {
  const timers = fakeTimers();
  /** @type {unknown[]} */
  const warnings = [];
  /** @type {(Map<string, any> | Error)[]} */
  const answers = [recorded('media-1'), new Error('closed'), new Error('closed'), recorded('media-2')];
  /** @type {import('../../web/static/js/callstats.js').CallStats[]} */
  const seen = [];
  const m = new StatsMonitor({
    getStats: async () => {
      const a = answers.shift();
      if (a instanceof Error) throw a;
      return /** @type {Map<string, any>} */ (a);
    },
    onSample: (s) => seen.push(s),
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
    warn: (_message, error) => warnings.push(error),
  });
  m.start();
  await settle();
  for (let i = 0; i < 3; i++) {
    timers.fire();
    await settle();
  }
  assert.equal(warnings.length, 1, 'logged once');
  assert.equal(seen.length, 2);
  // The sample after the failures still measures against the last good one.
  near(seen[1].bitrateIn, 154_000 * 8);
  assert.equal(timers.pending.size, 1, 'still polling');
  m.stop();
});

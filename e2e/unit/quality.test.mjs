// Unit tests of web/static/js/quality.js: when data saver turns itself on, and the sender parameters it
// chooses. The browser test (e2e/media_features_test.go) measures the bit rate they give in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATA_SAVER, connectionSaving, saverEncoding, withSaver, applySaver } from '../../web/static/js/quality.js';
import { FakeSender } from './fakemedia.mjs';

test('the connection suggests data saver with Save-Data or on mobile data', () => {
  assert.equal(connectionSaving(undefined), '', 'Firefox and Safari have no navigator.connection');
  assert.equal(connectionSaving(null), '');
  assert.equal(connectionSaving({}), '', 'desktop Chromium: no type');
  assert.equal(connectionSaving({ type: 'wifi', saveData: false }), '');
  assert.equal(connectionSaving({ type: 'cellular', saveData: false }), 'cellular');
  assert.equal(connectionSaving({ type: 'wifi', saveData: true }), 'saveData');
  assert.equal(connectionSaving({ type: 'cellular', saveData: true }), 'saveData', 'the person asking comes first');
});

test('camera: 250 kbit/s, 15 fps, the short side scaled to at most 360', () => {
  const cases = [
    [{ width: 1280, height: 720 }, 2],
    [{ width: 1920, height: 1080 }, 3],
    [{ width: 720, height: 1280 }, 2], // a phone held upright: its short side is the width
    [{ width: 640, height: 480 }, 1.34],
    [{ width: 640, height: 360 }, 1],
    [{ width: 320, height: 240 }, 1], // never scaled up
    [{}, 1], // size unknown
  ];
  for (const [settings, scale] of cases) {
    const enc = saverEncoding('camera', settings);
    assert.deepEqual(enc, { maxBitrate: 250_000, maxFramerate: 15, scaleResolutionDownBy: scale }, JSON.stringify(settings));
    const { width = 0, height = 0 } = settings;
    if (width) assert.ok(Math.min(width, height) / enc.scaleResolutionDownBy <= 360, 'the short side fits');
  }
});

test('screen: the same bit rate, sharper and slower: up to 720 lines, 5 fps', () => {
  assert.deepEqual(saverEncoding('screen', { width: 1920, height: 1080 }), { maxBitrate: 250_000, maxFramerate: 5, scaleResolutionDownBy: 1.5 });
  assert.deepEqual(saverEncoding('screen', { width: 1280, height: 800 }), { maxBitrate: 250_000, maxFramerate: 5, scaleResolutionDownBy: 1.12 });
  assert.equal(DATA_SAVER.screen.maxBitrate, DATA_SAVER.camera.maxBitrate);
});

test('withSaver sets and lifts the limits on every encoding, and says when nothing changes', () => {
  const limits = saverEncoding('camera', { width: 1280, height: 720 });
  const fresh = { transactionId: 'x', encodings: [{ active: true }] };
  const on = withSaver(/** @type {any} */ (fresh), limits);
  assert.deepEqual(on, { transactionId: 'x', encodings: [{ active: true, maxBitrate: 250_000, maxFramerate: 15, scaleResolutionDownBy: 2 }] });
  assert.deepEqual(fresh.encodings[0], { active: true }, 'the parameters given are not changed');
  assert.equal(withSaver(/** @type {any} */ (on), limits), null, 'already limited');
  const off = withSaver(/** @type {any} */ (on), null);
  assert.deepEqual(off, { transactionId: 'x', encodings: [{ active: true, scaleResolutionDownBy: 1 }] });
  assert.equal(withSaver(/** @type {any} */ (off), null), null, 'already unlimited');
  assert.equal(withSaver(/** @type {any} */ (fresh), null), null, 'a fresh sender has no limits to lift');
  assert.equal(withSaver(/** @type {any} */ ({ transactionId: 'y', encodings: [] }), limits), null, 'no encodings before negotiation');
});

test('applySaver sets parameters only when they change', async () => {
  const sender = new FakeSender(null);
  const limits = saverEncoding('camera', { width: 1280, height: 720 });
  assert.equal(await applySaver(/** @type {any} */ (sender), limits), true);
  assert.equal(await applySaver(/** @type {any} */ (sender), limits), false);
  assert.equal(sender.params.encodings[0].maxBitrate, 250_000);
  assert.equal(await applySaver(/** @type {any} */ (sender), null), true);
  assert.equal(sender.params.encodings[0].maxBitrate, undefined);
  assert.equal(sender.set.length, 2);
});

// Unit tests of web/static/js/prefs.js: remembered media choices over an injected storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prefs, PREFS_KEY } from '../../web/static/js/prefs.js';
import { FakeStorage } from './fakemedia.mjs';

test('choices are stored as one JSON value, and forgotten when set to undefined', () => {
  const storage = new FakeStorage();
  const prefs = new Prefs(storage);
  assert.deepEqual(prefs.read(), {}, 'nothing remembered yet');
  assert.equal(prefs.update({ cameraId: 'cam-usb', dataSaver: true }), true);
  assert.equal(prefs.update({ microphoneId: 'mic-usb' }), true);
  assert.deepEqual(prefs.read(), { cameraId: 'cam-usb', microphoneId: 'mic-usb', dataSaver: true });
  assert.deepEqual(JSON.parse(/** @type {string} */ (storage.getItem(PREFS_KEY))), { cameraId: 'cam-usb', microphoneId: 'mic-usb', dataSaver: true });
  prefs.update({ dataSaver: undefined, cameraId: undefined });
  assert.deepEqual(prefs.read(), { microphoneId: 'mic-usb' });
  assert.deepEqual(new Prefs(storage).read(), { microphoneId: 'mic-usb' }, 'another page of the same browser reads the same');
});

test('a value that is not ours is ignored: bad JSON, wrong types, empty or huge ids', () => {
  const storage = new FakeStorage();
  const prefs = new Prefs(storage);
  for (const bad of ['{', 'null', '[]', '"cam"', '42']) {
    storage.setItem(PREFS_KEY, bad);
    assert.deepEqual(prefs.read(), {}, bad);
  }
  storage.setItem(PREFS_KEY, JSON.stringify({ cameraId: 7, microphoneId: '', speakerId: 'x'.repeat(300), dataSaver: 'yes', other: 1 }));
  assert.deepEqual(prefs.read(), {});
  storage.setItem(PREFS_KEY, '{');
  assert.equal(prefs.update({ speakerId: 'spk' }), true, 'a bad value is replaced by a good one');
  assert.deepEqual(prefs.read(), { speakerId: 'spk' });
});

test('storage that throws or is missing remembers nothing and breaks nothing', () => {
  const storage = new FakeStorage();
  storage.throwing = true;
  const prefs = new Prefs(storage);
  assert.deepEqual(prefs.read(), {});
  assert.equal(prefs.update({ cameraId: 'cam' }), false);
  const none = new Prefs(undefined);
  assert.deepEqual(none.read(), {});
  assert.equal(none.update({ cameraId: 'cam' }), false);
});

// Unit tests of web/static/js/devices.js: device lists, the camera a flip goes to, and what is offered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupDevices, nextCameraId, flipPlan, presentId, canFlip, screenShareSupported, sameDevices } from '../../web/static/js/devices.js';

const cams = [
  { deviceId: 'a', label: 'A' },
  { deviceId: 'b', label: 'B' },
  { deviceId: 'c', label: 'C' },
];

test('groupDevices sorts by kind, keeps the order, drops hidden and repeated entries', () => {
  const list = groupDevices([
    { kind: 'audioinput', deviceId: 'default', label: 'Default' },
    { kind: 'videoinput', deviceId: 'cam1', label: 'Front' },
    { kind: 'videoinput', deviceId: 'cam2', label: 'Back' },
    { kind: 'videoinput', deviceId: 'cam1', label: 'Front' },
    { kind: 'audiooutput', deviceId: 'spk', label: 'Speaker' },
    { kind: 'videoinput', deviceId: '', label: '' }, // before permission: no id, cannot be chosen
    { kind: 'something', deviceId: 'x', label: 'X' },
  ]);
  assert.deepEqual(list, {
    cameras: [
      { deviceId: 'cam1', label: 'Front' },
      { deviceId: 'cam2', label: 'Back' },
    ],
    microphones: [{ deviceId: 'default', label: 'Default' }],
    speakers: [{ deviceId: 'spk', label: 'Speaker' }],
  });
  assert.equal(sameDevices(list, structuredClone(list)), true);
  assert.equal(sameDevices(list, groupDevices([])), false);
});

test('nextCameraId goes round the list', () => {
  assert.equal(nextCameraId(cams, 'a'), 'b');
  assert.equal(nextCameraId(cams, 'c'), 'a', 'wraps');
  assert.equal(nextCameraId(cams, 'gone'), 'a', 'an unknown current camera starts at the first');
  assert.equal(nextCameraId(cams.slice(0, 1), 'a'), null, 'one camera: nothing to go to');
  assert.equal(nextCameraId([], ''), null);
});

test('flipPlan: the other facing mode when the camera reports one, else the next camera', () => {
  assert.deepEqual(flipPlan({ facingMode: 'user', deviceId: 'a' }, cams), { facingMode: 'environment' });
  assert.deepEqual(flipPlan({ facingMode: 'environment', deviceId: 'b' }, cams), { facingMode: 'user' });
  assert.deepEqual(flipPlan({ deviceId: 'b' }, cams), { deviceId: 'c' }, 'desktop and fake cameras face nowhere');
  assert.deepEqual(flipPlan({ facingMode: 'left', deviceId: 'c' }, cams), { deviceId: 'a' }, 'a sideways camera cycles');
  assert.equal(flipPlan({ deviceId: 'a' }, cams.slice(0, 1)), null);
  assert.deepEqual(flipPlan({}, cams), { deviceId: 'a' });
});

test('canFlip needs a second camera; presentId forgets a device that is gone', () => {
  assert.equal(canFlip({ cameras: cams, microphones: [], speakers: [] }), true);
  assert.equal(canFlip({ cameras: cams.slice(0, 1), microphones: [], speakers: [] }), false);
  assert.equal(presentId(cams, 'b'), 'b');
  assert.equal(presentId(cams, 'gone'), '');
  assert.equal(presentId(cams, undefined), '');
});

test('screen sharing: getDisplayMedia and not a phone or tablet', () => {
  const cases = [
    [{ hasGetDisplayMedia: true, maxTouchPoints: 0, coarsePointer: false }, true, 'desktop'],
    [{ hasGetDisplayMedia: true, maxTouchPoints: 10, coarsePointer: false }, true, 'touch laptop: mouse or touchpad first'],
    [{ hasGetDisplayMedia: true, maxTouchPoints: 5, coarsePointer: true }, false, 'phone or tablet that has getDisplayMedia'],
    [{ hasGetDisplayMedia: false, maxTouchPoints: 5, coarsePointer: true }, false, 'iOS Safari, Android Chrome'],
    [{ hasGetDisplayMedia: false, maxTouchPoints: 0, coarsePointer: false }, false, 'old desktop browser'],
  ];
  for (const [d, want, what] of cases) assert.equal(screenShareSupported(/** @type {any} */ (d)), want, /** @type {string} */ (what));
});

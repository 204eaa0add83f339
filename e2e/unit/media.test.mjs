// Unit tests of web/static/js/media.js: getting the camera and microphone with fallbacks and remembered
// devices, and the notice keys for each getUserMedia error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getLocalMedia, mediaWhy, startNotice, failureNotice, NOTICE_KEYS, MEDIA_WHYS, preferred, cameraConstraints, micConstraints } from '../../web/static/js/media.js';
import { deskDevices } from './fakemedia.mjs';

/** @param {string} name */
const err = (name) => new DOMException('test', name);

test('each getUserMedia error has its reason', () => {
  const cases = {
    NotAllowedError: 'denied',
    NotFoundError: 'notFound',
    OverconstrainedError: 'notFound',
    NotReadableError: 'inUse',
    AbortError: 'inUse',
    SecurityError: 'insecure',
    TypeError: 'other',
  };
  for (const [name, why] of Object.entries(cases)) assert.equal(mediaWhy(err(name)), why, name);
  assert.equal(mediaWhy(new TypeError('bad constraints')), 'other');
  assert.equal(mediaWhy('a string'), 'other');
  assert.equal(mediaWhy(null), 'other');
});

test('the start notice says what is missing, with the reason in the key', () => {
  assert.equal(startNotice(true, true, null), null, 'everything was had: nothing to say');
  assert.deepEqual(startNotice(true, false, err('NotAllowedError')), { key: 'media.cameraUnavailable.denied', params: { why: 'denied' } });
  assert.deepEqual(startNotice(false, true, err('NotReadableError')), { key: 'media.micUnavailable.inUse', params: { why: 'inUse' } });
  assert.deepEqual(startNotice(false, false, err('SecurityError')), { key: 'media.allUnavailable.insecure', params: { why: 'insecure' } });
  assert.deepEqual(startNotice(false, false, null), { key: 'media.allUnavailable.other', params: { why: 'other' } });
  assert.deepEqual(failureNotice('screenFailed', err('NotFoundError')), { key: 'media.screenFailed.notFound', params: { why: 'notFound' } });
});

test('NOTICE_KEYS lists every key a notice can have, once', () => {
  assert.equal(new Set(NOTICE_KEYS).size, NOTICE_KEYS.length);
  for (const what of ['cameraUnavailable', 'micUnavailable', 'allUnavailable', 'cameraFailed', 'micFailed', 'screenFailed']) {
    for (const why of MEDIA_WHYS) assert.ok(NOTICE_KEYS.includes(`media.${what}.${why}`), `${what}.${why}`);
  }
  for (const key of ['media.cameraLost', 'media.micLost', 'media.dataSaverAuto.saveData', 'media.dataSaverAuto.cellular', 'server.reconnecting']) {
    assert.ok(NOTICE_KEYS.includes(key), key);
  }
  assert.equal(NOTICE_KEYS.length, 6 * 5 + 5);
});

test('no media devices (a page without HTTPS): receive only, because of the page', async () => {
  const media = await getLocalMedia(undefined);
  assert.deepEqual(media, { stream: null, notice: { key: 'media.allUnavailable.insecure', params: { why: 'insecure' } } });
});

test('fallbacks: audio and video, then audio only, then video only; the first error is the reason', async () => {
  const md = deskDevices();
  md.refuse = (c) => (c.video ? err('NotAllowedError') : null);
  const a = await getLocalMedia(/** @type {any} */ (md));
  assert.equal(a.stream?.getAudioTracks().length, 1);
  assert.equal(a.stream?.getVideoTracks().length, 0);
  assert.deepEqual(a.notice, { key: 'media.cameraUnavailable.denied', params: { why: 'denied' } });

  md.refuse = (c) => (c.audio ? err('NotFoundError') : null);
  const v = await getLocalMedia(/** @type {any} */ (md));
  assert.equal(v.stream?.getVideoTracks().length, 1);
  assert.equal(v.notice?.key, 'media.micUnavailable.notFound');

  md.refuse = () => err('NotReadableError');
  const none = await getLocalMedia(/** @type {any} */ (md));
  assert.deepEqual(none, { stream: null, notice: { key: 'media.allUnavailable.inUse', params: { why: 'inUse' } } });
});

test('remembered devices: insisted on when listed, dropped when gone, ideal when ids are hidden', async () => {
  assert.deepEqual(preferred(new Set(['cam-usb']), 'cam-usb'), { deviceId: 'cam-usb', exact: true });
  assert.deepEqual(preferred(new Set(['cam-usb']), 'gone'), {});
  assert.deepEqual(preferred(new Set(), 'cam-usb'), { deviceId: 'cam-usb' });
  assert.deepEqual(preferred(new Set(['x']), undefined), {});
  assert.deepEqual(cameraConstraints({ deviceId: 'c', exact: true }).deviceId, { exact: 'c' });
  assert.deepEqual(cameraConstraints({ deviceId: 'c' }).deviceId, { ideal: 'c' });
  assert.deepEqual(cameraConstraints({ facingMode: 'environment' }).facingMode, { exact: 'environment' });
  assert.equal(micConstraints().echoCancellation, true);

  const md = deskDevices();
  const got = await getLocalMedia(/** @type {any} */ (md), { cameraId: 'cam-usb', microphoneId: 'gone' });
  assert.equal(got.notice, null);
  assert.equal(got.stream?.getVideoTracks()[0].getSettings().deviceId, 'cam-usb');
  assert.equal(got.stream?.getAudioTracks()[0].getSettings().deviceId, 'default', 'the microphone that is gone gives way');
  assert.deepEqual(/** @type {any} */ (md.calls[0].video).deviceId, { exact: 'cam-usb' });
  assert.equal(/** @type {any} */ (md.calls[0].audio).deviceId, undefined);
});

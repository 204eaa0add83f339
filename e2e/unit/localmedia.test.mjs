// Unit tests of web/static/js/localmedia.js with fake devices: flips, device switches, screen sharing,
// audio-only, data saver and remembered choices, and what each sends and says. The browser tests
// (e2e/media_features_test.go) run the same in a call between two Chromium pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalMedia } from '../../web/static/js/localmedia.js';
import { Prefs, PREFS_KEY } from '../../web/static/js/prefs.js';
import { FakeMediaDevices, FakeStorage, FakeStream, FakeTrack, deskDevices, phoneDevices } from './fakemedia.mjs';

// localmedia.js makes a stream when a receive-only call gets its first track.
globalThis.MediaStream ??= /** @type {any} */ (FakeStream);

/**
 * @param {{md?: FakeMediaDevices, connection?: any, canShareScreen?: boolean, storage?: FakeStorage}} [o]
 */
async function started(o = {}) {
  const md = o.md ?? deskDevices();
  const storage = o.storage ?? new FakeStorage();
  /** @type {{kind: string, track: FakeTrack | null}[]} */
  const sent = [];
  /** @type {{type: string, detail: any}[]} */
  const events = [];
  const local = new LocalMedia({
    mediaDevices: /** @type {any} */ (md),
    prefs: new Prefs(storage),
    abilities: { canShareScreen: o.canShareScreen ?? true, canChooseSpeaker: true },
    connection: o.connection ?? null,
    send: async (kind, track) => {
      sent.push({ kind, track: /** @type {any} */ (track) });
    },
  });
  for (const type of ['localstream', 'mediastate', 'devices', 'notice']) {
    local.addEventListener(type, (ev) => events.push({ type, detail: /** @type {CustomEvent} */ (ev).detail }));
  }
  const stream = await local.start();
  const notices = () => events.filter((e) => e.type === 'notice').map((e) => e.detail.key);
  const camera = () => /** @type {FakeTrack | undefined} */ (/** @type {unknown} */ (local.stream?.getVideoTracks()[0]));
  const mic = () => /** @type {FakeTrack | undefined} */ (/** @type {unknown} */ (local.stream?.getAudioTracks()[0]));
  return { local, md, storage, sent, events, stream, notices, camera, mic };
}

test('start: camera and microphone, the devices listed, the state and events the UI reads', async () => {
  const { local, stream, events } = await started();
  assert.ok(stream);
  assert.deepEqual(events.slice(0, 2).map((e) => e.type), ['localstream', 'mediastate']);
  assert.deepEqual(events[0].detail, { stream, hasAudio: true, hasVideo: true });
  assert.deepEqual(local.devices.cameras.map((c) => c.deviceId), ['cam-built-in', 'cam-usb']);
  assert.equal(events.filter((e) => e.type === 'devices').length, 1);
  assert.deepEqual(local.state, {
    micOn: true,
    cameraOn: true,
    hasMic: true,
    hasCamera: true,
    audioOnly: false,
    sharingScreen: false,
    dataSaver: false,
    dataSaverSuggested: '',
    facingMode: '',
    cameraId: 'cam-built-in',
    microphoneId: 'default',
    speakerId: '',
    canFlip: true,
    canShareScreen: true,
    canChooseSpeaker: true,
  });
});

test('flip on a desk: the next camera by id, in place; a camera turned off stays off', async () => {
  const { local, sent, camera } = await started();
  const first = camera();
  local.setCameraEnabled(false);
  assert.equal(await local.flipCamera(), true);
  const second = camera();
  assert.equal(second?.getSettings().deviceId, 'cam-usb');
  assert.equal(second?.enabled, false, 'still off');
  assert.equal(local.state.cameraOn, false);
  assert.equal(first?.readyState, 'ended', 'the old camera is released');
  assert.deepEqual(sent.at(-1), { kind: 'video', track: second });
  assert.equal(local.stream?.getVideoTracks().length, 1, 'the stream keeps one video track');
  assert.equal(await local.flipCamera(), true);
  assert.equal(camera()?.getSettings().deviceId, 'cam-built-in', 'round again');
});

test('flip on a phone: by facing mode, letting go of the camera that is open when the phone needs it', async () => {
  const { local, md, camera } = await started({ md: phoneDevices() });
  assert.equal(local.state.facingMode, 'user');
  assert.equal(await local.flipCamera(), true);
  assert.equal(local.state.facingMode, 'environment');
  assert.equal(camera()?.getSettings().deviceId, 'cam-back');
  assert.deepEqual(/** @type {any} */ (md.calls.at(-1)?.video).facingMode, { exact: 'environment' });
  assert.equal(md.live('video').length, 1, 'one camera open at a time');
  assert.equal(await local.flipCamera(), true);
  assert.equal(local.state.facingMode, 'user');
});

test('flip where no camera faces the other way: the next camera by id', async () => {
  const md = new FakeMediaDevices([
    { kind: 'audioinput', deviceId: 'mic', label: 'Mic' },
    { kind: 'videoinput', deviceId: 'front-wide', label: 'Front wide', facing: 'user' },
    { kind: 'videoinput', deviceId: 'front-tele', label: 'Front tele', facing: 'user' },
  ]);
  const { local, camera, notices } = await started({ md });
  assert.equal(await local.flipCamera(), true);
  assert.equal(camera()?.getSettings().deviceId, 'front-tele');
  assert.deepEqual(notices(), [], 'the facing mode attempt that failed is not reported');
});

test('a microphone switch keeps mute, is remembered, and a failed switch keeps the old one', async () => {
  const { local, sent, storage, mic, notices } = await started();
  local.setMicEnabled(false);
  assert.equal(await local.useDevice('audioinput', 'mic-usb'), true);
  assert.equal(mic()?.getSettings().deviceId, 'mic-usb');
  assert.equal(mic()?.enabled, false);
  assert.equal(local.state.micOn, false);
  assert.deepEqual(sent.at(-1), { kind: 'audio', track: mic() });
  assert.equal(JSON.parse(/** @type {string} */ (storage.getItem(PREFS_KEY))).microphoneId, 'mic-usb');

  const before = mic();
  assert.equal(await local.useDevice('audioinput', 'unplugged'), false);
  assert.equal(mic(), before);
  assert.equal(before?.readyState, 'live');
  assert.deepEqual(notices(), ['media.micFailed.notFound']);
});

test('a camera switch that fails says why and goes back to the camera it had', async () => {
  const { local, md, camera, notices } = await started();
  // Another app holds the USB camera. As phones answer the same when a second camera cannot open, the
  // camera in use is let go for a second try, and taken again when that fails too.
  md.refuse = (c) => (/** @type {any} */ (c.video)?.deviceId?.exact === 'cam-usb' ? new DOMException('busy', 'NotReadableError') : null);
  assert.equal(await local.useDevice('videoinput', 'cam-usb'), false);
  assert.equal(camera()?.getSettings().deviceId, 'cam-built-in');
  assert.equal(camera()?.readyState, 'live');
  assert.equal(local.state.cameraOn, true);
  assert.deepEqual(notices(), ['media.cameraFailed.inUse']);

  md.refuse = (c) => (/** @type {any} */ (c.video)?.deviceId?.exact === 'cam-usb' ? new DOMException('gone', 'NotFoundError') : null);
  const before = camera();
  assert.equal(await local.useDevice('videoinput', 'cam-usb'), false);
  assert.equal(camera(), before, 'a camera that is not found costs nothing: the old one was never let go');
  assert.equal(before?.readyState, 'live');
});

test('speakers: only listed ones, remembered, and a remembered one that is gone is not chosen', async () => {
  const { local, storage } = await started();
  assert.equal(await local.useDevice('audiooutput', 'no-such'), false);
  assert.equal(await local.useDevice('audiooutput', 'spk-headset'), true);
  assert.equal(local.state.speakerId, 'spk-headset');
  assert.equal(JSON.parse(/** @type {string} */ (storage.getItem(PREFS_KEY))).speakerId, 'spk-headset');
  assert.equal(await local.useDevice('audiooutput', ''), true, 'back to the default');
  assert.equal(local.state.speakerId, '');

  const other = new FakeStorage();
  new Prefs(other).update({ speakerId: 'unplugged', cameraId: 'cam-usb' });
  const again = await started({ storage: other });
  assert.equal(again.local.state.speakerId, '');
  assert.equal(again.camera()?.getSettings().deviceId, 'cam-usb', 'the remembered camera is used');
});

test('screen sharing replaces the camera and gives it back; sharing ended by the browser too', async () => {
  const { local, sent, camera, md } = await started();
  const cam = camera();
  assert.equal(await local.startScreenShare(), true);
  const screen = camera();
  assert.equal(screen?.label, 'screen:0');
  assert.equal(screen?.contentHint, 'detail');
  assert.equal(cam?.readyState, 'ended', 'the camera is released while sharing');
  assert.deepEqual(sent.at(-1), { kind: 'video', track: screen });
  assert.equal(local.state.sharingScreen, true);
  assert.equal(local.state.cameraOn, false);
  assert.deepEqual(local.videoLimits(/** @type {any} */ (screen)), null, 'data saver is off');

  assert.equal(await local.stopScreenShare(), true);
  assert.equal(screen?.readyState, 'ended');
  assert.equal(camera()?.getSettings().deviceId, 'cam-built-in');
  assert.equal(local.state.cameraOn, true);
  assert.equal(await local.stopScreenShare(), false, 'nothing to stop');

  assert.equal(await local.startScreenShare(), true);
  /** @type {FakeTrack} */ (camera()).lose(); // the browser's "Stop sharing"
  await local.flipCamera(); // runs after the queued stop
  assert.equal(local.state.sharingScreen, false);
  assert.equal(camera()?.label.startsWith('screen'), false);
  assert.equal(md.live('video').length, 1);
});

test('after sharing with the camera off there is no video until the camera is turned on', async () => {
  const { local, sent, camera, md } = await started();
  local.setCameraEnabled(false);
  await local.startScreenShare();
  await local.stopScreenShare();
  assert.equal(camera(), undefined);
  assert.deepEqual(sent.at(-1), { kind: 'video', track: null });
  assert.equal(md.live('video').length, 0, 'no camera light');
  assert.equal(local.state.hasCamera, true);
  local.setCameraEnabled(true);
  await local.flipCamera().then(() => local.flipCamera()); // waits for the queued camera, flips there and back
  assert.equal(camera()?.readyState, 'live');
  assert.equal(camera()?.enabled, true);
  assert.equal(local.state.cameraOn, true);
});

test('screen sharing: a cancelled picker is not a failure; other errors are said; not offered on phones', async () => {
  const { local, md, notices } = await started();
  md.display = () => new DOMException('cancelled', 'NotAllowedError');
  assert.equal(await local.startScreenShare(), false);
  md.display = () => new DOMException('no source', 'NotReadableError');
  assert.equal(await local.startScreenShare(), false);
  assert.deepEqual(notices(), ['media.screenFailed.inUse']);
  const phone = await started({ canShareScreen: false });
  assert.equal(await phone.local.startScreenShare(), false);
  assert.equal(phone.md.handed.some((t) => t.label.startsWith('screen')), false);
});

test('audio-only: no video sent, the camera released; off brings the same camera back', async () => {
  const { local, sent, camera, md } = await started();
  await local.useDevice('videoinput', 'cam-usb');
  const cam = camera();
  assert.equal(await local.setAudioOnly(true), true);
  assert.deepEqual(sent.at(-1), { kind: 'video', track: null });
  assert.equal(cam?.readyState, 'ended');
  assert.equal(md.live('video').length, 0);
  assert.equal(local.stream?.getVideoTracks().length, 0);
  assert.equal(local.state.audioOnly, true);
  assert.equal(local.state.cameraOn, false);
  assert.equal(local.state.hasCamera, true);
  assert.equal(local.stream?.getAudioTracks()[0].readyState, 'live', 'audio goes on');

  assert.equal(await local.setAudioOnly(false), true);
  assert.equal(camera()?.getSettings().deviceId, 'cam-usb');
  assert.deepEqual(sent.at(-1), { kind: 'video', track: camera() });
  assert.equal(local.state.cameraOn, true);
});

test('audio-only ends a screen share; with the camera off, leaving it asks for no camera', async () => {
  const { local, md } = await started();
  await local.startScreenShare();
  local.setCameraEnabled(false);
  await local.setAudioOnly(true);
  assert.equal(local.state.sharingScreen, false);
  assert.equal(md.live('video').length, 0);
  await local.setAudioOnly(false);
  assert.equal(md.live('video').length, 0, 'the camera was off');
  assert.equal(local.state.cameraOn, false);
});

test('data saver follows the connection until the person chooses; only a different choice is remembered', async () => {
  const connection = Object.assign(new EventTarget(), { type: 'cellular', saveData: false });
  const { local, storage, notices, events } = await started({ connection });
  assert.equal(local.dataSaver, true);
  assert.equal(local.state.dataSaverSuggested, 'cellular');
  assert.deepEqual(notices(), ['media.dataSaverAuto.cellular']);
  const cam = /** @type {any} */ (local.stream?.getVideoTracks()[0]);
  assert.deepEqual(local.videoLimits(cam), { maxBitrate: 250_000, maxFramerate: 15, scaleResolutionDownBy: 2 });

  const stored = () => JSON.parse(storage.getItem(PREFS_KEY) ?? '{}').dataSaver;
  assert.equal(local.setDataSaver(false).dataSaver, false);
  assert.equal(stored(), false, 'off on mobile data is a choice');
  assert.equal(local.videoLimits(cam), null);
  local.setDataSaver(true);
  assert.equal(stored(), undefined, 'on, as the connection suggests: follow it');

  connection.type = 'wifi';
  const n = events.length;
  connection.dispatchEvent(new Event('change'));
  assert.equal(local.dataSaver, false, 'Wi-Fi again');
  assert.equal(events.length, n + 1, 'a mediastate, no notice');
  connection.type = 'cellular';
  connection.dispatchEvent(new Event('change'));
  assert.deepEqual(notices(), ['media.dataSaverAuto.cellular', 'media.dataSaverAuto.cellular']);
});

test('a device that stops by itself is said, and turning it on again asks for it', async () => {
  const { local, sent, camera, mic, notices } = await started();
  /** @type {FakeTrack} */ (camera()).lose();
  /** @type {FakeTrack} */ (mic()).lose();
  await local.flipCamera(); // after the queued reactions (nothing to flip without a live camera but the choice)
  assert.deepEqual(notices(), ['media.cameraLost', 'media.micLost']);
  assert.deepEqual(sent.slice(-2), [
    { kind: 'video', track: null },
    { kind: 'audio', track: null },
  ]);
  assert.equal(local.state.cameraOn, false);
  assert.equal(local.state.micOn, false);
  local.setCameraEnabled(true);
  local.setMicEnabled(true);
  await local.setAudioOnly(false); // queued after both
  assert.equal(camera()?.readyState, 'live');
  assert.equal(mic()?.readyState, 'live');
  assert.equal(local.state.micOn, true);
});

test('a new device is listed; a receive-only call gets a stream when a camera is chosen', async () => {
  const md = deskDevices();
  md.refuse = () => new DOMException('no', 'NotAllowedError');
  const { local, events } = await started({ md });
  assert.equal(local.stream, null);
  assert.equal(local.state.hasCamera, false);
  md.devices.push({ kind: 'videoinput', deviceId: 'cam-new', label: 'New camera' });
  md.dispatchEvent(new Event('devicechange'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events.filter((e) => e.type === 'devices').at(-1)?.detail.cameras.map((/** @type {any} */ c) => c.deviceId), ['cam-built-in', 'cam-usb', 'cam-new']);
  md.refuse = () => null;
  assert.equal(await local.useDevice('videoinput', 'cam-new'), true);
  assert.equal(local.stream?.getVideoTracks()[0].getSettings().deviceId, 'cam-new');
  assert.equal(local.state.hasCamera, true);
  assert.deepEqual(events.filter((e) => e.type === 'localstream').at(-1)?.detail.hasVideo, true);
});

test('stop releases everything; later operations do nothing', async () => {
  const { local, md } = await started();
  local.stop();
  assert.equal(md.live('audio').length + md.live('video').length, 0);
  assert.equal(await local.flipCamera(), false);
  assert.equal(await local.startScreenShare(), false);
  assert.equal(md.live('video').length, 0);

  const late = deskDevices();
  const l2 = new LocalMedia({
    mediaDevices: /** @type {any} */ (late),
    prefs: new Prefs(undefined),
    abilities: { canShareScreen: false, canChooseSpeaker: false },
    connection: null,
    send: async () => {},
  });
  const pending = l2.start();
  l2.stop(); // the call ended while the browser was asking
  assert.equal(await pending, null);
  assert.equal(late.live('audio').length + late.live('video').length, 0);
});

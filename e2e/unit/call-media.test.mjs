// Unit tests of how web/static/js/call.js puts this side's media on the peer connection: a flip, audio-only
// and data saver act on the existing connection's senders, and the notices are keys. Fake signaling, a fake
// RTCPeerConnection and fake devices; e2e/media_features_test.go runs the same between two Chromium pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Call } from '../../web/static/js/call.js';
import { FakeStorage, FakeTransceiver, deskDevices } from './fakemedia.mjs';
import { FakeSignaling, FakePC, settle } from './fakecall.mjs';

console.debug = () => {};

async function connectedCall() {
  FakePC.made = [];
  const sig = new FakeSignaling();
  const call = new Call({
    signaling: /** @type {any} */ (sig),
    roomId: 'Yv3x0m3k2QdA8i5cV7XwZg',
    mediaDevices: /** @type {any} */ (deskDevices()),
    createPeerConnection: () => /** @type {any} */ (new FakePC()),
    storage: new FakeStorage(),
    session: null,
    abilities: { canShareScreen: true, canChooseSpeaker: false },
    connection: null,
  });
  /** @type {any[]} */
  const notices = [];
  call.addEventListener('notice', (ev) => notices.push(/** @type {CustomEvent} */ (ev).detail));
  call.start();
  sig.deliver({ type: 'welcome', room: 'R', peer: true, polite: false });
  await settle();
  const pc = FakePC.made[0];
  pc.setState('connected');
  const video = /** @type {FakeTransceiver} */ (pc.transceivers.find((t) => t.receiver.track.kind === 'video'));
  return { call, sig, pc, video, notices };
}

test('flip, audio-only and data saver act on the senders of the same connection', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, pc, video } = await connectedCall();
  assert.equal(call.state, 'connected');
  assert.equal(video.sender.track?.getSettings().deviceId, 'cam-built-in');

  assert.equal(await call.flipCamera(), true);
  assert.equal(video.sender.track?.getSettings().deviceId, 'cam-usb', 'the new camera is on the sender');
  assert.equal(video.direction, 'sendrecv');
  assert.equal(call.localStream?.getVideoTracks()[0], video.sender.track);

  assert.equal(await call.setAudioOnly(true), true);
  assert.equal(video.sender.track, null);
  assert.equal(video.direction, 'recvonly', 'the other side is told no video comes');
  assert.equal(call.audioOnly, true);
  assert.equal(await call.setAudioOnly(false), true);
  assert.equal(video.sender.track?.getSettings().deviceId, 'cam-usb', 'the camera it had comes back');
  assert.equal(video.direction, 'sendrecv');

  call.setDataSaver(true);
  await settle();
  assert.deepEqual(video.sender.params.encodings[0], { active: true, maxBitrate: 250_000, maxFramerate: 15, scaleResolutionDownBy: 2 });
  video.sender.params = { transactionId: 't2', encodings: [{ active: true }] }; // as a renegotiation may leave them
  pc.dispatchEvent(new Event('signalingstatechange'));
  await settle();
  assert.equal(video.sender.params.encodings[0].maxBitrate, 250_000, 'set again once negotiation is stable');
  call.setDataSaver(false);
  await settle();
  assert.equal(video.sender.params.encodings[0].maxBitrate, undefined);
  assert.equal(FakePC.made.length, 1, 'never a new connection');
  assert.equal(pc.connectionState, 'connected');
  call.hangup();
  assert.equal(call.localStream?.getTracks().every((tr) => tr.readyState === 'ended'), true, 'hanging up releases the devices');
});

test('losing the server during a call is a notice with a key, not words', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, sig, notices } = await connectedCall();
  sig.drop();
  await settle();
  assert.deepEqual(notices, [{ kind: 'server', key: 'server.reconnecting', params: {} }]);
  assert.equal(call.state, 'connected', 'the call goes on peer to peer');
  sig.open();
  sig.deliver({ type: 'welcome', room: 'R', peer: true, polite: false, resumed: true });
  await settle();
  assert.deepEqual(notices.at(-1), { kind: 'server', key: '', params: {} }, 'the notice goes when the server is back');
  call.hangup();
});
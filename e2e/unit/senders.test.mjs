// Unit tests of web/static/js/senders.js: a new track goes on the existing sender; only starting or
// stopping to send changes the transceiver's direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sendTrack, senderOf, withSending } from '../../web/static/js/senders.js';
import { FakeTrack, FakeStream, FakeTransceiver, FakeTransceiverPC } from './fakemedia.mjs';

test('withSending turns sending on or off and keeps receiving', () => {
  assert.equal(withSending('sendrecv', false), 'recvonly');
  assert.equal(withSending('recvonly', true), 'sendrecv');
  assert.equal(withSending('sendonly', false), 'inactive');
  assert.equal(withSending('inactive', true), 'sendonly');
  assert.equal(withSending('sendrecv', true), 'sendrecv');
  assert.equal(withSending('recvonly', false), 'recvonly');
});

test('replacing a track keeps the direction (no renegotiation); nothing to send makes it receive only', async () => {
  const pc = new FakeTransceiverPC();
  const cam1 = new FakeTrack('video', { deviceId: 'cam1' });
  const stream = new FakeStream([cam1]);
  const audio = new FakeTransceiver('audio', 'sendrecv', new FakeTrack('audio', {}));
  const video = new FakeTransceiver('video', 'sendrecv', cam1);
  pc.transceivers.push(audio, video);
  const any = /** @type {any} */ (pc);

  const cam2 = new FakeTrack('video', { deviceId: 'cam2' });
  await sendTrack(any, 'video', /** @type {any} */ (cam2), /** @type {any} */ (stream));
  assert.equal(video.sender.track, cam2);
  assert.equal(video.direction, 'sendrecv');
  assert.deepEqual(video.sender.streams, [], 'an unchanged direction needs no streams set');
  assert.equal(senderOf(any, 'video'), video.sender);

  await sendTrack(any, 'video', null, /** @type {any} */ (stream));
  assert.equal(video.sender.track, null);
  assert.equal(video.direction, 'recvonly', 'the other side learns that no video comes');

  await sendTrack(any, 'video', /** @type {any} */ (cam1), /** @type {any} */ (stream));
  assert.equal(video.direction, 'sendrecv');
  assert.deepEqual(video.sender.streams, [stream], 'the track joins our stream on the other side');
  assert.equal(pc.added.length, 0);
});

test('a receive-only transceiver (no camera at the start) starts sending; with none at all a track is added', async () => {
  const pc = new FakeTransceiverPC();
  const stopped = new FakeTransceiver('video', 'sendrecv');
  stopped.currentDirection = 'stopped';
  const recv = new FakeTransceiver('video', 'recvonly');
  pc.transceivers.push(stopped, recv);
  const cam = new FakeTrack('video', {});
  const stream = new FakeStream([cam]);
  await sendTrack(/** @type {any} */ (pc), 'video', /** @type {any} */ (cam), /** @type {any} */ (stream));
  assert.equal(recv.sender.track, cam, 'a stopped transceiver is skipped');
  assert.equal(recv.direction, 'sendrecv');

  const mic = new FakeTrack('audio', {});
  await sendTrack(/** @type {any} */ (pc), 'audio', /** @type {any} */ (mic), /** @type {any} */ (stream));
  assert.deepEqual(pc.added, [[mic, stream]]);
  await sendTrack(/** @type {any} */ (new FakeTransceiverPC()), 'audio', null, null);
});

// Unit tests of how web/static/js/call.js uses the ICE servers, the network path and the diagnosis,
// with a fake signaling connection, a fake RTCPeerConnection and mocked timers. The browser tests
// (e2e/turn_test.go) check the same against Chromium and the real TURN relay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Call } from '../../web/static/js/call.js';
import { FakeSignaling, FakePC, settle } from './fakecall.mjs';

// The call logs its progress (and its diagnoses) for developers; keep the test output quiet.
console.debug = () => {};
console.info = () => {};

const TURN = {
  urls: ['turn:call.example.com:3478?transport=udp', 'turn:call.example.com:3478?transport=tcp'],
  username: '1767225600:first',
  credential: 'Zmlyc3Q=',
};
const STUN = { urls: ['stun:call.example.com:3478'] };

/** @param {string} name */
function recorded(name) {
  const { stats } = JSON.parse(readFileSync(new URL(`testdata/stats-chromium-${name}.json`, import.meta.url), 'utf8'));
  return new Map(stats.map((/** @type {{id: string}} */ s) => [s.id, s]));
}

/** @param {{relayOnly?: boolean, connectTimeout?: number}} [opts] */
function newCall(opts = {}) {
  FakePC.made = [];
  const sig = new FakeSignaling();
  const call = new Call({
    signaling: /** @type {any} */ (sig),
    roomId: 'Yv3x0m3k2QdA8i5cV7XwZg',
    mediaDevices: undefined, // receive only: no getUserMedia in node
    createPeerConnection: (config) => /** @type {any} */ (new FakePC(config)),
    pathInterval: 1000,
    ...opts,
  });
  /** @type {any[]} */
  const events = [];
  for (const type of ['state', 'path']) call.addEventListener(type, (ev) => events.push({ type, ...(/** @type {CustomEvent} */ (ev).detail) }));
  call.start();
  return { call, sig, events };
}

test('peer connections use the servers of welcome and the latest ice-servers; refreshes stop on hang-up', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, sig } = newCall({ relayOnly: true });
  sig.deliver({ type: 'welcome', room: 'R', peer: false, iceServers: [STUN, TURN], iceTtl: 600 });
  await settle();
  assert.equal(call.state, 'waiting');
  assert.deepEqual(call.iceServers, [STUN, TURN]);

  t.mock.timers.tick(480000 - 1);
  assert.equal(sig.count('ice-refresh'), 0);
  t.mock.timers.tick(1);
  assert.equal(sig.count('ice-refresh'), 1, 'asked at 80 % of the lifetime');

  const fresh = { ...TURN, username: '1767226200:second', credential: 'c2Vjb25k' };
  sig.deliver({ type: 'ice-servers', iceServers: [STUN, fresh], iceTtl: 600 });
  sig.deliver({ type: 'peer-joined', polite: false });
  await settle();
  const pc = FakePC.made[0];
  assert.ok(pc, 'a peer connection was made');
  assert.deepEqual(pc.config.iceServers, [STUN, fresh], 'created with the latest list');
  assert.equal(pc.config.iceTransportPolicy, 'relay', '?ice=relay');

  t.mock.timers.tick(480000);
  assert.equal(sig.count('ice-refresh'), 2, 'asked again after the answer');
  const third = { ...TURN, username: '1767226800:third', credential: 'dGhpcmQ=' };
  sig.deliver({ type: 'ice-servers', iceServers: [third], iceTtl: 600 });
  assert.equal(pc.setConfigurations.length, 1, 'the live connection gets the new list at once');
  assert.deepEqual(pc.setConfigurations[0], { bundlePolicy: 'balanced', iceTransportPolicy: 'relay', iceServers: [third] }, 'the rest of its configuration is kept');

  call.hangup();
  t.mock.timers.tick(10 * 480000);
  assert.equal(sig.count('ice-refresh'), 2, 'no refresh after hanging up');
  sig.deliver({ type: 'ice-servers', iceServers: [STUN], iceTtl: 600 });
  assert.equal(pc.setConfigurations.length, 1);
});

test('an older server without iceServers: the connection gets the base configuration, nothing is refreshed', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { sig } = newCall();
  sig.deliver({ type: 'welcome', room: 'R', peer: true, polite: true });
  await settle();
  assert.deepEqual(FakePC.made[0].config, { bundlePolicy: 'balanced', iceTransportPolicy: 'all' });
  t.mock.timers.tick(3600 * 1000);
  assert.equal(sig.count('ice-refresh'), 0);
});

test('while connected the path is polled and reported; it goes away when the connection does', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, sig, events } = newCall();
  sig.deliver({ type: 'welcome', room: 'R', peer: true, polite: false, iceServers: [STUN, TURN], iceTtl: 600 });
  await settle();
  const pc = FakePC.made[0];
  pc.stats = recorded('relay-tcp');
  pc.setState('connected');
  await settle();
  assert.deepEqual(call.path, { relayed: true, protocol: 'tcp', localType: 'relay', remoteType: 'relay' });
  assert.deepEqual(events.at(-1), { type: 'path', path: call.path });

  pc.stats = recorded('direct');
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(call.path?.relayed, false, 'a new selected pair is picked up at the next poll');

  pc.setState('disconnected');
  assert.equal(call.path, null);
  assert.deepEqual(events.slice(-2).map((e) => e.type + ':' + (e.state ?? e.path)), ['path:null', 'state:reconnecting']);
  call.hangup();
});

test('a connection that never connects is diagnosed at the connect timeout', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, sig } = newCall({ relayOnly: true, connectTimeout: 20000 });
  sig.deliver({ type: 'welcome', room: 'R', peer: true, polite: false, iceServers: [TURN], iceTtl: 600 });
  await settle();
  const pc = FakePC.made[0];
  pc.remoteDescription = { sdp: 'v=0\r\n' };
  pc.dispatchEvent(Object.assign(new Event('icecandidateerror'), { url: TURN.urls[0], errorCode: 701, errorText: 'timeout' }));
  t.mock.timers.tick(19999);
  assert.equal(call.state, 'connecting');
  t.mock.timers.tick(1);
  assert.equal(call.state, 'failed');
  assert.equal(call.stateDetail.reason, 'timeout');
  assert.equal(call.stateDetail.diagnosis?.code, 'relay-unreachable');

  // It may still connect after all; then it is connected.
  pc.setState('connected');
  assert.equal(call.state, 'connected');
  assert.equal(call.stateDetail.diagnosis, undefined);
  call.hangup();
});

test('relay-only on a server without a relay is diagnosed at once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, sig } = newCall({ relayOnly: true });
  sig.deliver({ type: 'welcome', room: 'R', peer: true, polite: true, iceServers: [STUN], iceTtl: 0 });
  await settle();
  t.mock.timers.tick(0);
  assert.equal(call.state, 'failed');
  assert.equal(call.stateDetail.diagnosis?.code, 'relay-only-no-relay');
  call.hangup();
});

test('a drop after the call was connected is not diagnosed as a setup problem', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, sig } = newCall();
  sig.deliver({ type: 'welcome', room: 'R', peer: true, polite: false, iceServers: [], iceTtl: 0 });
  await settle();
  const pc = FakePC.made[0];
  pc.setState('connected');
  pc.setState('failed');
  await settle();
  assert.equal(call.state, 'reconnecting', 'ICE restarts instead (call-resume.test.mjs)');
  assert.equal(call.stateDetail.diagnosis, undefined);
  assert.equal(pc.iceRestarts, 1);
  call.hangup();
});


// Unit tests of how web/static/js/call.js keeps a call through trouble: the resume token and the join it
// sends on every socket, keeping the peer connection when the pair resumes, ICE restarts in place on
// 'disconnected', 'failed' and network changes, the other person reconnecting, the goodbye on the data
// channel, and the chat wiring. e2e/resilience_test.go checks the same between two Chromium pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Call } from '../../web/static/js/call.js';
import { FakeStorage } from './fakemedia.mjs';
import { FakeSignaling, FakePC, settle } from './fakecall.mjs';

console.debug = () => {};
console.warn = () => {};

const ROOM = 'Yv3x0m3k2QdA8i5cV7XwZg';
const TOKEN = 'tokenAtokenAtokenAtokA';

/**
 * @param {{session?: FakeStorage, online?: EventTarget, token?: string}} [opts]
 */
function newCall({ session = new FakeStorage(), online = new EventTarget(), token = TOKEN } = {}) {
  FakePC.made = [];
  const sig = new FakeSignaling();
  const call = new Call({
    signaling: /** @type {any} */ (sig),
    roomId: ROOM,
    mediaDevices: undefined, // receive only
    createPeerConnection: (config) => /** @type {any} */ (new FakePC(config)),
    session,
    online,
    connection: null,
    newToken: () => token,
    restartGrace: 2000,
    restartRetry: 8000,
    maxRestarts: 3,
  });
  /** @type {string[]} */
  const states = [];
  call.addEventListener('state', (ev) => {
    const d = /** @type {CustomEvent} */ (ev).detail;
    states.push(d.reason ? `${d.state}:${d.reason}` : d.state);
  });
  call.start();
  return { call, sig, states, session, online };
}

/** A call paired with the other person (this side impolite) and connected. */
async function connected(opts = {}) {
  const c = newCall(opts);
  c.sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: false, iceServers: [], iceTtl: 0 });
  await settle();
  const pc = FakePC.made[0];
  pc.setState('connected');
  /** @type {import('./fakecall.mjs').FakeChannel} */ (pc.channel).open();
  await settle();
  return { ...c, pc };
}

test('the join carries this tab’s resume token, kept across a reload', async () => {
  const session = new FakeStorage();
  const first = newCall({ session });
  assert.deepEqual(first.sig.sent[0], { type: 'join', payload: { room: ROOM, resume: TOKEN } });
  first.call.hangup();
  // The reloaded page (a new Call on the same tab storage) presents the same token, without keep.
  const reloaded = newCall({ session, token: 'some-other-token-xxxxx' });
  assert.deepEqual(reloaded.sig.sent[0], { type: 'join', payload: { room: ROOM, resume: TOKEN } });
  reloaded.call.hangup();
});

test('a dropped socket rejoins keeping the peer connection; a resumed pair keeps it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, sig, pc, states } = await connected();
  sig.drop();
  await settle();
  assert.equal(call.state, 'connected', 'media goes on peer to peer');
  sig.open();
  assert.deepEqual(sig.last('join'), { type: 'join', payload: { room: ROOM, resume: TOKEN, keep: true, polite: false } });
  sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: true, iceServers: [], iceTtl: 0 });
  await settle();
  assert.equal(FakePC.made.length, 1, 'no new peer connection');
  assert.equal(call.pc, pc);
  assert.equal(pc.iceRestarts, 0, 'a connected connection needs no repair');
  assert.deepEqual(states, ['connecting', 'connected']);
  // A new pair (the other person reloaded) needs a new connection.
  sig.deliver({ type: 'peer-joined', polite: false, resumed: false });
  await settle();
  assert.equal(FakePC.made.length, 2);
  assert.equal(pc.connectionState, 'closed');
  call.hangup();
});

test('losing the server while alone says so, and the welcome ends it', async () => {
  const { call, sig } = newCall();
  sig.deliver({ type: 'welcome', room: ROOM, peer: false, iceServers: [], iceTtl: 0 });
  await settle();
  assert.equal(call.state, 'waiting');
  sig.drop();
  await settle();
  assert.deepEqual(call.stateDetail, { state: 'reconnecting', reason: 'server', message: '' });
  sig.open();
  assert.deepEqual(sig.last('join')?.payload, { room: ROOM, resume: TOKEN }, 'nothing to keep');
  sig.deliver({ type: 'welcome', room: ROOM, peer: false, iceServers: [], iceTtl: 0 });
  await settle();
  assert.equal(call.state, 'waiting');
  call.hangup();
});

test('a pair resumed before it ever connected goes on connecting', async () => {
  const { call, sig } = newCall();
  sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: false, iceServers: [], iceTtl: 0 });
  await settle();
  sig.drop();
  await settle();
  assert.deepEqual(call.stateDetail, { state: 'reconnecting', reason: 'server', message: '' });
  sig.open();
  assert.equal(sig.last('join')?.payload.keep, true);
  sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: true, iceServers: [], iceTtl: 0 });
  await settle();
  assert.equal(call.state, 'connecting');
  assert.equal(FakePC.made.length, 1);
  call.hangup();
});

test('disconnected for longer than the grace restarts ICE on the same connection', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, sig, pc } = await connected();
  pc.setState('disconnected');
  await settle();
  assert.equal(call.state, 'reconnecting');
  t.mock.timers.tick(1999);
  await settle();
  assert.equal(pc.iceRestarts, 0, 'it may come back by itself');
  t.mock.timers.tick(1);
  await settle();
  assert.equal(pc.iceRestarts, 1);
  assert.deepEqual(sig.last('offer'), { type: 'offer', payload: { sdp: 'fake offer 1' } }, 'the restart offer went out');
  pc.setState('connected');
  await settle();
  assert.equal(call.state, 'connected');
  assert.equal(FakePC.made.length, 1);
  call.hangup();
});

test('a connection that stays down is restarted again, then given up', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, pc } = await connected();
  pc.setState('failed');
  await settle();
  assert.equal(pc.iceRestarts, 1, 'failed restarts at once');
  for (const want of [2, 3]) {
    t.mock.timers.tick(8000);
    await settle();
    assert.equal(pc.iceRestarts, want);
  }
  t.mock.timers.tick(8000);
  await settle();
  assert.deepEqual(call.stateDetail, { state: 'failed', reason: 'ice-failed', message: '' });
  call.hangup();
});

test('a restart waits for signaling; an offer lost with the server is sent again', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { call, sig, pc } = await connected();
  sig.drop();
  await settle();
  pc.setState('failed');
  await settle();
  assert.equal(pc.iceRestarts, 0, 'no offer can reach the other side now');
  sig.open();
  sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: true, iceServers: [], iceTtl: 0 });
  await settle();
  assert.equal(pc.iceRestarts, 1, 'restarted once the pair resumed');
  const offers = sig.count('offer');
  // That offer's answer is lost with the server too: the next resume sends the same offer again.
  assert.equal(pc.signalingState, 'have-local-offer');
  sig.drop();
  sig.open();
  sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: true, iceServers: [], iceTtl: 0 });
  await settle();
  assert.equal(sig.count('offer'), offers + 1);
  assert.equal(sig.last('offer')?.payload.sdp, pc.localDescription?.sdp);
  call.hangup();
});

test('back online: signaling reconnects now and ICE restarts', async () => {
  const { call, sig, pc, online } = await connected();
  online.dispatchEvent(new Event('online'));
  await settle();
  assert.equal(sig.reconnects, 1);
  assert.equal(pc.iceRestarts, 1);
  assert.equal(FakePC.made.length, 1);
  call.hangup();
  online.dispatchEvent(new Event('online'));
  await settle();
  assert.equal(sig.reconnects, 1, 'nothing after hanging up');
});

test('the other person reconnecting: nothing changes while media flows, else it says who', async () => {
  const { call, sig, pc } = await connected();
  sig.deliver({ type: 'peer-reconnecting', graceMs: 30000 });
  await settle();
  assert.equal(call.state, 'connected');
  pc.setState('disconnected');
  await settle();
  assert.deepEqual(call.stateDetail, { state: 'reconnecting', reason: 'peer', message: '' });
  sig.deliver({ type: 'peer-joined', polite: false, resumed: true });
  await settle();
  assert.equal(call.pc, pc, 'they kept theirs, we keep ours');
  pc.setState('connected');
  await settle();
  assert.equal(call.state, 'connected');
  call.hangup();
});

test('hanging up says bye on the data channel; a bye received ends the call at once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const a = await connected();
  const channel = /** @type {import('./fakecall.mjs').FakeChannel} */ (a.pc.channel);
  a.call.hangup();
  assert.deepEqual(channel.sent.map((d) => JSON.parse(d).type), ['bye']);
  assert.equal(a.sig.count('leave'), 1);
  assert.equal(a.call.state, 'left');
  assert.equal(a.pc.connectionState, 'connected', 'the connection lingers for the bye to leave');
  t.mock.timers.tick(300);
  assert.equal(a.pc.connectionState, 'closed');

  const b = await connected({ token: 'tokenBtokenBtokenBtokB' });
  /** @type {import('./fakecall.mjs').FakeChannel} */ (b.pc.channel).receive(JSON.stringify({ type: 'bye' }));
  await settle();
  assert.deepEqual(b.call.stateDetail, { state: 'peer-left', reason: 'hangup', message: '' });
  b.call.hangup();
});

test('chat waits in the outbox while the channel is down, and the history survives a reload', async () => {
  const session = new FakeStorage();
  const a = await connected({ session });
  /** @type {any[]} */
  const statuses = [];
  a.call.addEventListener('chatstatus', (ev) => statuses.push(/** @type {CustomEvent} */ (ev).detail.status));
  // The other person reloaded: a new pair, a new connection whose channel is not open yet.
  a.sig.deliver({ type: 'peer-joined', polite: false, resumed: false });
  await settle();
  const channel = /** @type {import('./fakecall.mjs').FakeChannel} */ (FakePC.made[1].channel);
  const entry = a.call.sendChat('are you there?');
  assert.equal(entry.status, 'pending');
  channel.open();
  const wire = JSON.parse(channel.sent.at(-1) ?? '{}');
  assert.equal(wire.text, 'are you there?');
  channel.receive(JSON.stringify({ type: 'ack', id: wire.id }));
  assert.deepEqual(statuses, ['sent', 'delivered']);
  a.call.hangup();

  const reloaded = newCall({ session });
  assert.deepEqual(reloaded.call.chatHistory.map((e) => [e.text, e.status]), [['are you there?', 'delivered']]);
  reloaded.call.hangup();
});

test('a connection kept through a drop is not given up when the other person is not back yet', async () => {
  const { call, sig } = newCall();
  sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: false, iceServers: [], iceTtl: 0 });
  await settle();
  const pc = FakePC.made[0]; // never connected yet
  sig.drop();
  sig.open();
  assert.equal(sig.last('join')?.payload.keep, true);
  sig.deliver({ type: 'welcome', room: ROOM, peer: false, iceServers: [], iceTtl: 0 });
  await settle();
  assert.notEqual(pc.connectionState, 'closed', 'we said keep: the server will resume us with it');
  assert.equal(call.state, 'connecting');
  sig.deliver({ type: 'peer-joined', polite: false, resumed: true });
  await settle();
  assert.equal(call.pc, pc);
  assert.equal(FakePC.made.length, 1);
  call.hangup();
});

test('a new network replaces the socket, and the ICE restart waits for the resumed pair', async () => {
  const { call, sig, pc, online } = await connected();
  sig.replaces = true;
  online.dispatchEvent(new Event('online'));
  await settle();
  assert.equal(pc.iceRestarts, 0, 'no offer into a socket that is being replaced');
  sig.open();
  sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: true, iceServers: [], iceTtl: 0 });
  await settle();
  assert.equal(pc.iceRestarts, 1);
  assert.equal(sig.last('offer')?.payload.sdp, 'fake offer 1');
  call.hangup();
});

test('no restart offer while the other person is away; it goes when they are back', async () => {
  const { call, sig, pc } = await connected();
  sig.deliver({ type: 'peer-reconnecting', graceMs: 10000 });
  await settle();
  pc.setState('failed');
  await settle();
  assert.equal(pc.iceRestarts, 0);
  assert.deepEqual(call.stateDetail, { state: 'reconnecting', reason: 'peer', message: '' });
  sig.deliver({ type: 'peer-joined', polite: false, resumed: true });
  await settle();
  assert.equal(pc.iceRestarts, 1);
  call.hangup();
});

test('a kept connection that fails with nobody in the room is the other person gone', async () => {
  const { call, sig, pc } = await connected();
  sig.drop();
  sig.open();
  sig.deliver({ type: 'welcome', room: ROOM, peer: false, iceServers: [], iceTtl: 0 }); // after a server restart
  await settle();
  assert.equal(call.state, 'connected');
  pc.setState('failed');
  await settle();
  assert.deepEqual(call.stateDetail, { state: 'peer-left', reason: 'disconnected', message: '' });
  assert.equal(pc.connectionState, 'closed');
  call.hangup();
});

test('a new kind of network restarts ICE; a new bandwidth estimate does not', async () => {
  FakePC.made = [];
  const connection = Object.assign(new EventTarget(), { type: 'wifi', saveData: false });
  const sig = new FakeSignaling();
  const call = new Call({
    signaling: /** @type {any} */ (sig), roomId: ROOM, mediaDevices: undefined, session: new FakeStorage(),
    createPeerConnection: (config) => /** @type {any} */ (new FakePC(config)), online: null, connection,
  });
  call.start();
  sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: false, iceServers: [], iceTtl: 0 });
  await settle();
  const pc = FakePC.made[0];
  pc.setState('connected');
  connection.dispatchEvent(new Event('change')); // same type: a new estimate
  await settle();
  assert.equal(pc.iceRestarts, 0);
  connection.type = 'cellular';
  connection.dispatchEvent(new Event('change'));
  await settle();
  assert.equal(pc.iceRestarts, 1);
  call.hangup();
});

test('what the connection sends says which pair it is for', async () => {
  const { call, sig } = newCall();
  /** The connection ends its candidates: a message for the other side. */
  const gathered = () => FakePC.made.at(-1)?.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: null }));
  sig.deliver({ type: 'welcome', room: ROOM, peer: true, polite: false, resumed: false, pair: 7, iceServers: [], iceTtl: 0 });
  await settle();
  gathered();
  assert.deepEqual(sig.last('candidate')?.payload, { candidate: null, pair: 7 });
  sig.deliver({ type: 'peer-joined', polite: false, resumed: false, pair: 9 }); // the other person reloaded
  await settle();
  gathered();
  assert.deepEqual(sig.last('candidate')?.payload, { candidate: null, pair: 9 });
  call.hangup();
});

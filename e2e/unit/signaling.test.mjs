// Unit tests of web/static/js/signaling.js with a fake WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Signaling } from '../../web/static/js/signaling.js';

/** A WebSocket stand-in: records what is sent; the test drives open, message and close. */
class FakeSocket extends EventTarget {
  static last = /** @type {FakeSocket | null} */ (null);
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.closedWith = null;
    FakeSocket.last = this;
  }
  send(data) {
    if (this.readyState !== 1) throw new Error('send while not open');
    this.sent.push(JSON.parse(data));
  }
  close(code, reason) {
    this.closedWith = [code, reason];
    this.readyState = 3;
    queueMicrotask(() => this.dispatchEvent(Object.assign(new Event('close'), { code, reason })));
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  receive(data) {
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { code, reason }));
  }
}

function start() {
  const sig = new Signaling({ url: 'ws://maju.test/ws', WebSocketImpl: /** @type {any} */ (FakeSocket), pingInterval: 0 });
  sig.start();
  return { sig, ws: /** @type {FakeSocket} */ (FakeSocket.last) };
}

test('messages carry the envelope and wait for the socket to open', () => {
  const { sig, ws } = start();
  assert.equal(ws.url, 'ws://maju.test/ws');
  assert.equal(sig.sendMessage('join', { room: 'R' }), true);
  assert.deepEqual(ws.sent, []);
  let opened = 0;
  sig.addEventListener('open', () => opened++);
  ws.open();
  assert.equal(opened, 1);
  sig.sendMessage('candidate', { candidate: null });
  sig.sendMessage('leave');
  assert.deepEqual(ws.sent, [
    { v: 1, type: 'join', room: 'R' },
    { v: 1, type: 'candidate', candidate: null },
    { v: 1, type: 'leave' },
  ]);
});

test('the payload cannot override the envelope', () => {
  const { sig, ws } = start();
  ws.open();
  sig.sendMessage('offer', { v: 2, type: 'answer', sdp: 'x' });
  assert.deepEqual(ws.sent, [{ v: 1, type: 'offer', sdp: 'x' }]);
});

test('onMessage dispatches by type and ignores what is not a v1 message', () => {
  const { sig, ws } = start();
  ws.open();
  const got = [];
  const off = sig.onMessage('welcome', (m) => got.push(m));
  sig.onMessage('peer-left', (m) => got.push(m));
  const warn = console.warn;
  console.warn = () => {};
  try {
    ws.receive('{"v":1,"type":"welcome","room":"R","peer":false}');
    ws.receive('not json');
    ws.receive('{"v":2,"type":"welcome"}');
    ws.receive('[1]');
    ws.receive('{"v":1,"type":"peer-left","reason":"hangup"}');
    off();
    ws.receive('{"v":1,"type":"welcome","room":"R","peer":true,"polite":true}');
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(got, [
    { v: 1, type: 'welcome', room: 'R', peer: false },
    { v: 1, type: 'peer-left', reason: 'hangup' },
  ]);
});

test('close is reported once, with who closed', async () => {
  const { sig, ws } = start();
  ws.open();
  const closes = [];
  sig.addEventListener('close', (ev) => closes.push(/** @type {CustomEvent} */ (ev).detail));
  ws.drop(1008, 'room-full'); // a final refusal: no reconnection
  ws.drop(1006, '');
  assert.deepEqual(closes, [{ code: 1008, reason: 'room-full', byClient: false }]);
  assert.equal(sig.sendMessage('leave'), false);

  const second = start();
  second.ws.open();
  const closes2 = [];
  second.sig.addEventListener('close', (ev) => closes2.push(/** @type {CustomEvent} */ (ev).detail));
  second.sig.close();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(second.ws.closedWith, [1000, '']);
  assert.deepEqual(closes2, [{ code: 1000, reason: '', byClient: true }]);
});

/** @param {Partial<import('../../web/static/js/signaling.js').SignalingOptions>} options */
function startReconnecting(options = {}) {
  const sig = new Signaling({
    url: 'ws://maju.test/ws', WebSocketImpl: /** @type {any} */ (FakeSocket), pingInterval: 0,
    hello: () => ({ type: 'join', payload: { room: 'R', resume: 'T' } }), random: () => 0.5, ...options,
  });
  sig.start();
  return sig;
}

test('a dropped socket is replaced with backoff, and the hello goes first on each', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const sig = startReconnecting();
  const downs = [];
  let opens = 0;
  sig.addEventListener('down', (ev) => downs.push(/** @type {CustomEvent} */ (ev).detail.retryIn));
  sig.addEventListener('open', () => opens++);
  sig.addEventListener('close', () => assert.fail('closed for good'));
  let ws = /** @type {FakeSocket} */ (FakeSocket.last);
  ws.open();
  assert.deepEqual(ws.sent, [{ v: 1, type: 'join', room: 'R', resume: 'T' }]);

  // Three drops in a row without hearing from the server: 500, 1000, 2000 ms (random 0.5: no jitter).
  for (const wait of [500, 1000, 2000]) {
    ws.drop(1006, '');
    assert.equal(sig.sendMessage('candidate', { candidate: null }), false, 'nothing is kept while away');
    t.mock.timers.tick(wait - 1);
    assert.equal(FakeSocket.last, ws, `no new socket before ${wait} ms`);
    t.mock.timers.tick(1);
    assert.notEqual(FakeSocket.last, ws);
    ws = /** @type {FakeSocket} */ (FakeSocket.last);
  }
  assert.deepEqual(downs, [500, 1000, 2000]);
  ws.open();
  assert.deepEqual(ws.sent, [{ v: 1, type: 'join', room: 'R', resume: 'T' }]);
  assert.equal(opens, 2);
  // Hearing from the server starts the backoff over; shutting-down is a reason to come back.
  ws.receive(JSON.stringify({ v: 1, type: 'welcome' }));
  ws.drop(1012, 'shutting-down');
  assert.deepEqual(downs, [500, 1000, 2000, 500]);
});

test('the backoff is capped and jittered by half either way', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  for (const [random, want] of [[0, 5000], [0.999, 14990]]) {
    const sig = startReconnecting({ retryMax: 10000, random: () => random });
    const downs = [];
    sig.addEventListener('down', (ev) => downs.push(/** @type {CustomEvent} */ (ev).detail.retryIn));
    for (let i = 0; i < 8; i++) {
      /** @type {FakeSocket} */ (FakeSocket.last).drop();
      t.mock.timers.tick(20000);
    }
    assert.equal(downs.at(-1), want);
    sig.close();
  }
});

test('final refusals and close() end it; reconnectNow skips the wait', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  for (const reason of ['bad-room', 'room-full', 'too-large', 'replaced', 'too-many-rooms']) {
    const sig = startReconnecting();
    const ends = [];
    sig.addEventListener('close', (ev) => ends.push(/** @type {CustomEvent} */ (ev).detail.reason));
    sig.addEventListener('down', () => assert.fail(`${reason} was retried`));
    const ws = /** @type {FakeSocket} */ (FakeSocket.last);
    ws.open();
    ws.drop(1008, reason);
    assert.deepEqual(ends, [reason]);
  }

  const sig = startReconnecting();
  let ws = /** @type {FakeSocket} */ (FakeSocket.last);
  ws.drop();
  sig.reconnectNow();
  assert.notEqual(FakeSocket.last, ws, 'reconnectNow opened a socket at once');
  ws = /** @type {FakeSocket} */ (FakeSocket.last);
  sig.reconnectNow(); // a socket is connecting: nothing happens
  assert.equal(FakeSocket.last, ws);
  ws.drop();
  const ends = [];
  sig.addEventListener('close', (ev) => ends.push(/** @type {CustomEvent} */ (ev).detail));
  sig.close(); // while waiting to retry
  t.mock.timers.tick(60000);
  assert.equal(FakeSocket.last, ws, 'no attempt after close()');
  assert.deepEqual(ends, [{ code: 1000, reason: '', byClient: true }]);
});

test('reconnectNow(true) gives up an open socket for a new one', () => {
  const sig = startReconnecting();
  const old = /** @type {FakeSocket} */ (FakeSocket.last);
  old.open();
  const downs = [];
  sig.addEventListener('down', (ev) => downs.push(/** @type {CustomEvent} */ (ev).detail.reason));
  assert.equal(sig.reconnectNow(), false, 'an open socket stays without replace');
  assert.equal(sig.reconnectNow(true), true);
  assert.deepEqual(old.closedWith, [4001, 'network-changed']);
  assert.deepEqual(downs, ['network-changed']);
  const fresh = /** @type {FakeSocket} */ (FakeSocket.last);
  assert.notEqual(fresh, old);
  fresh.open();
  assert.deepEqual(fresh.sent, [{ v: 1, type: 'join', room: 'R', resume: 'T' }]);
  old.drop(); // the old socket's late close is not this connection's any more
  assert.deepEqual(downs, ['network-changed']);
  sig.close();
});

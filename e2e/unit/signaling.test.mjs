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
  ws.drop(1008, 'room-full');
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

// Unit tests of web/static/js/chatlog.js: chat never loses a message (docs/protocol.md, "The data
// channel"). The data channel is an in-memory fake: ordered and reliable while it lasts, a cut closes both
// ends and loses what is in flight, and a new pair stands for a new peer connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatLog, MAX_ENTRIES, MAX_OUTBOX, MAX_SEEN, chatKey } from '../../web/static/js/chatlog.js';
import { encodeAck, encodeBye, encodeChat } from '../../web/static/js/chat.js';

const KEY = chatKey('abc-defg-hij');
const T0 = 1700000000000;

/** One end of a fake data channel. */
class FakeChannel extends EventTarget {
  readyState = 'connecting';
  /** Messages on their way to the other end, oldest first. */
  inFlight = /** @type {string[]} */ ([]);
  /** Everything handed to send, for looking at. */
  sent = /** @type {string[]} */ ([]);
  /** send throws while this is set, like a channel that is closing. */
  throwOnSend = false;
  /** Messages for which this returns true are lost (acks, in some tests). */
  drop = (/** @type {string} */ _data) => false;

  /** @param {string} data */
  send(data) {
    if (this.readyState !== 'open') throw new Error(`InvalidStateError: readyState is ${this.readyState}`);
    if (this.throwOnSend) throw new Error('OperationError: send queue is full');
    this.sent.push(data);
    if (!this.drop(data)) this.inFlight.push(data);
  }
}

const isAck = (/** @type {string} */ data) => JSON.parse(data).type === 'ack';

/**
 * A pair of connected ends: a new peer connection.
 * @param {{dropAcksFrom?: 'a' | 'b'}} [options]
 */
function channelPair({ dropAcksFrom } = {}) {
  const a = new FakeChannel();
  const b = new FakeChannel();
  if (dropAcksFrom) (dropAcksFrom === 'a' ? a : b).drop = isAck;
  /**
   * @param {FakeChannel} from
   * @param {FakeChannel} to
   */
  const deliverOne = (from, to) => {
    const data = /** @type {string} */ (from.inFlight.shift());
    to.dispatchEvent(new MessageEvent('message', { data }));
  };
  return {
    a,
    b,
    /** Both ends open (in the order given). */
    open(first = a, second = first === a ? b : a) {
      for (const ch of [first, second]) {
        ch.readyState = 'open';
        ch.dispatchEvent(new Event('open'));
      }
    },
    /**
     * Delivers one message in flight, from a random direction that has one. Returns false when none is.
     * @param {() => number} rng
     */
    step(rng) {
      const ways = /** @type {[FakeChannel, FakeChannel][]} */ ([[a, b], [b, a]]).filter(([from]) => from.inFlight.length > 0);
      if (ways.length === 0 || a.readyState !== 'open') return false;
      const [from, to] = ways[Math.floor(rng() * ways.length)];
      deliverOne(from, to);
      return true;
    },
    /** Delivers everything, answers included. */
    drain() {
      while (this.step(Math.random));
    },
    /** The connection breaks: both ends close and what is in flight is lost. */
    cut() {
      for (const ch of [a, b]) {
        ch.inFlight.length = 0;
        ch.readyState = 'closed';
        ch.dispatchEvent(new Event('close'));
      }
    },
  };
}

/** @param {number} seed */
function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Map-backed Storage; setItem refuses values longer than quota characters, like a full sessionStorage.
 * @param {number} [quota]
 */
function memoryStorage(quota = Infinity) {
  const map = new Map();
  return {
    map,
    /** @param {string} k */
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    /**
     * @param {string} k
     * @param {string} v
     */
    setItem(k, v) {
      if (String(v).length > quota) throw new Error('QuotaExceededError');
      map.set(k, String(v));
    },
    /** @param {string} k */
    removeItem: (k) => map.delete(k),
  };
}

/**
 * One person's page for the room, which can be reloaded: a new ChatLog on the same storage. It records
 * the texts of theirs shown (across reloads) and the last status of each of mine.
 * @param {string} name
 * @param {ReturnType<typeof memoryStorage> | null} [storage]
 */
function person(name, storage = memoryStorage()) {
  let n = 0;
  const p = {
    storage,
    log: /** @type {ChatLog} */ (/** @type {unknown} */ (null)),
    /** @type {string[]} */
    shown: [],
    /** @type {Map<string, string>} */
    status: new Map(),
    byes: 0,
    /** Opens (or reloads) the page. */
    load() {
      const log = new ChatLog({ storage, key: KEY, newId: () => `${name}-${++n}`, now: () => T0 + n });
      log.addEventListener('entry', (ev) => {
        const e = /** @type {CustomEvent} */ (ev).detail;
        if (e.from === 'them') p.shown.push(e.text);
        else p.status.set(e.id, e.status);
      });
      log.addEventListener('status', (ev) => {
        const { id, status } = /** @type {CustomEvent} */ (ev).detail;
        p.status.set(id, status);
      });
      log.addEventListener('bye', () => p.byes++);
      p.log = log;
      return log;
    },
  };
  p.load();
  return p;
}

/**
 * A new peer connection between a and b: a fresh pair, attached on both sides, opened.
 * @param {ReturnType<typeof person>} a
 * @param {ReturnType<typeof person>} b
 * @param {{dropAcksFrom?: 'a' | 'b', bFirst?: boolean}} [options]
 */
function connect(a, b, { dropAcksFrom, bFirst = false } = {}) {
  const link = channelPair({ dropAcksFrom });
  a.log.attach(link.a);
  b.log.attach(link.b);
  if (bFirst) link.open(link.b);
  else link.open(link.a);
  return link;
}

/** @param {EventTarget} target */
function record(target) {
  /** @type {[string, unknown][]} */
  const events = [];
  for (const type of ['entry', 'status', 'bye']) {
    target.addEventListener(type, (ev) => events.push([type, /** @type {CustomEvent} */ (ev).detail]));
  }
  return events;
}

const range = (/** @type {string} */ prefix, /** @type {number} */ n) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

for (const seed of [1, 7, 42, 2024]) {
  test(`1,000 messages sent while the channel is cut and restored arrive exactly once, in order, delivered (seed ${seed})`, () => {
    const rng = mulberry32(seed);
    const a = person('a');
    const b = person('b');
    /** @type {ReturnType<typeof channelPair> | null} */
    let link = connect(a, b);
    const N = 1000; // a to b
    const NB = 150; // b to a, mixed in: acks and messages share the channel
    let sentA = 0;
    let sentB = 0;
    let cuts = 0;
    let reloads = 0;
    let ackless = 0;
    /** @type {string[]} */
    const idsA = [];
    while (sentA < N || sentB < NB) {
      const r = rng();
      if (r < 0.3) {
        if (sentA < N && a.log.unacknowledged < MAX_OUTBOX) idsA.push(a.log.send(`a${sentA++}`).id);
      } else if (r < 0.34) {
        if (sentB < NB && b.log.unacknowledged < MAX_OUTBOX) b.log.send(`b${sentB++}`);
      } else if (r < 0.98) {
        for (let k = 1 + Math.floor(rng() * 32); k > 0 && link?.step(rng); k--);
      } else if (r < 0.992) {
        if (link) {
          link.cut();
          link = null;
          cuts++;
        } else {
          // Now and then a connection on which the acks of one side are lost.
          const dropAcksFrom = rng() < 0.2 ? (rng() < 0.5 ? 'a' : 'b') : undefined;
          if (dropAcksFrom) ackless++;
          link = connect(a, b, { dropAcksFrom, bFirst: rng() < 0.5 });
        }
      } else {
        // A reload: the page and its peer connection go away; the new page reads the storage.
        link?.cut();
        link = null;
        const who = rng() < 0.5 ? a : b;
        who.log.detach();
        who.load();
        reloads++;
      }
    }
    link?.cut();
    link = connect(a, b);
    link.drain();

    assert.ok(cuts >= 5 && reloads >= 3 && ackless >= 1, `cuts ${cuts}, reloads ${reloads}, ackless links ${ackless}`);
    assert.deepEqual(b.shown, range('a', N));
    assert.deepEqual(a.shown, range('b', NB));
    assert.equal(idsA.length, N);
    assert.deepEqual(idsA.filter((id) => a.status.get(id) !== 'delivered'), []);
    assert.equal(a.log.unacknowledged, 0);
    assert.equal(b.log.unacknowledged, 0);
    for (const e of [...a.log.entries, ...b.log.entries]) {
      assert.equal(e.status, e.from === 'me' ? 'delivered' : 'received', e.text);
    }
    // After reloads, what is kept are the last MAX_ENTRIES of the conversation, in order.
    const texts = (/** @type {ChatLog} */ log, /** @type {'me' | 'them'} */ from) =>
      log.entries.filter((e) => e.from === from).map((e) => e.text);
    assert.deepEqual(texts(b.log, 'them'), range('a', N).slice(-texts(b.log, 'them').length));
    assert.equal(a.log.entries.length, MAX_ENTRIES);
  });
}

test('a message waits for a channel: pending, then sent, then delivered', () => {
  const a = person('a');
  const b = person('b');
  const events = record(a.log);
  const entry = a.log.send('hello');
  assert.deepEqual(entry, { id: 'a-1', text: 'hello', ts: T0 + 1, receivedAt: T0 + 1, from: 'me', status: 'pending' });
  assert.equal(a.log.unacknowledged, 1);
  assert.equal(a.log.connected, false);

  const link = channelPair();
  a.log.attach(link.a);
  b.log.attach(link.b);
  assert.equal(a.log.entries[0].status, 'pending', 'attached but not open yet');
  link.open();
  assert.equal(a.log.connected, true);
  assert.equal(a.log.entries[0].status, 'sent');
  link.drain();
  assert.deepEqual(events, [
    ['entry', { ...entry, status: 'pending' }],
    ['status', { id: 'a-1', status: 'sent' }],
    ['status', { id: 'a-1', status: 'delivered' }],
  ]);
  assert.deepEqual(a.log.entries.map((e) => e.status), ['delivered']);
  assert.deepEqual(b.log.entries, [{ id: 'a-1', text: 'hello', ts: T0 + 1, receivedAt: T0, from: 'them', status: 'received' }]);
  assert.deepEqual(link.b.sent, [encodeAck('a-1')]);

  // On an open channel with nothing waiting, a message goes out at once.
  const second = a.log.send('again');
  assert.equal(second.status, 'sent');
  assert.equal(link.a.sent.at(-1), encodeChat(second.id, 'again', second.ts));
});

test('entries is a copy', () => {
  const a = person('a');
  a.log.send('x');
  const entries = a.log.entries;
  entries[0].text = 'changed';
  entries.pop();
  assert.equal(a.log.entries[0].text, 'x');
});

test('a cut puts what was sent back to pending, and the next channel sends it again first, in order', () => {
  const a = person('a');
  const b = person('b');
  const link = connect(a, b);
  a.log.send('one');
  a.log.send('two');
  link.cut(); // both lost in flight
  assert.deepEqual(a.log.entries.map((e) => e.status), ['pending', 'pending']);
  a.log.send('three');
  const next = connect(a, b);
  assert.deepEqual(next.a.sent.map((d) => JSON.parse(d).text), ['one', 'two', 'three']);
  next.drain();
  assert.deepEqual(b.shown, ['one', 'two', 'three']);
  assert.deepEqual([...a.status.values()], ['delivered', 'delivered', 'delivered']);
});

test('lost acks: the message is sent again, shown once, acknowledged again', () => {
  const a = person('a');
  const b = person('b');
  const link = connect(a, b, { dropAcksFrom: 'b' });
  a.log.send('one');
  link.drain();
  assert.deepEqual(b.shown, ['one']);
  assert.equal(a.status.get('a-1'), 'sent');
  link.cut();
  const next = connect(a, b);
  next.drain();
  assert.deepEqual(b.shown, ['one'], 'not shown twice');
  assert.equal(b.log.entries.length, 1);
  assert.deepEqual(next.b.sent, [encodeAck('a-1')], 'the duplicate is acknowledged');
  assert.equal(a.status.get('a-1'), 'delivered');
});

test('a reload of the sender keeps the conversation and the outbox: what was not acknowledged goes out again', () => {
  const storage = memoryStorage();
  const a = person('a', storage);
  const b = person('b');
  let link = connect(a, b);
  a.log.send('delivered before');
  link.drain();
  link.cut();
  a.log.send('written offline 1');
  a.log.send('written offline 2');

  a.log.detach();
  const restored = a.load(); // the reload
  assert.deepEqual(
    restored.entries.map((e) => [e.text, e.status]),
    [['delivered before', 'delivered'], ['written offline 1', 'pending'], ['written offline 2', 'pending']],
  );
  assert.equal(restored.unacknowledged, 2);
  link = connect(a, b);
  link.drain();
  assert.deepEqual(b.shown, ['delivered before', 'written offline 1', 'written offline 2']);
  assert.equal(restored.unacknowledged, 0);
  assert.equal(a.status.get('a-3'), 'delivered');
  // and stored so: one more reload shows them delivered
  assert.deepEqual(a.load().entries.map((e) => e.status), ['delivered', 'delivered', 'delivered']);
});

test('a reload of the receiver keeps the ids it has seen: what is sent again is not shown twice', () => {
  const a = person('a');
  const b = person('b');
  let link = connect(a, b, { dropAcksFrom: 'b' });
  a.log.send('one');
  a.log.send('two');
  link.drain();
  assert.deepEqual(b.shown, ['one', 'two']);
  link.cut();

  b.log.detach();
  const restored = b.load();
  assert.deepEqual(restored.entries.map((e) => [e.text, e.from, e.status]), [['one', 'them', 'received'], ['two', 'them', 'received']]);
  link = connect(a, b);
  a.log.send('three');
  link.drain();
  assert.deepEqual(b.shown, ['one', 'two', 'three'], 'one and two came again and were dropped');
  assert.deepEqual(restored.entries.map((e) => e.text), ['one', 'two', 'three']);
  assert.equal(a.log.unacknowledged, 0);
});

test('rooms do not share a conversation', () => {
  const storage = memoryStorage();
  const one = new ChatLog({ storage, key: chatKey('room-one'), newId: () => 'x' });
  one.send('for room one');
  const two = new ChatLog({ storage, key: chatKey('room-two') });
  assert.deepEqual(two.entries, []);
  assert.equal(new ChatLog({ storage, key: chatKey('room-one') }).entries.length, 1);
});

test('corrupt or foreign storage: the log starts empty (or keeps the valid part) and never throws', () => {
  const good = { id: 'g', text: 'good', ts: 1, receivedAt: 2, from: 'them' };
  const values = [
    'not json',
    '{',
    'null',
    '42',
    '"text"',
    '[]',
    '{}',
    JSON.stringify({ v: 2, entries: [good], outbox: [], seen: [] }),
    JSON.stringify({ v: 1, entries: 'x', outbox: {}, seen: 7 }),
    JSON.stringify({
      v: 1,
      entries: [
        null,
        7,
        [],
        { ...good, id: '' },
        { ...good, id: 'x'.repeat(65) },
        { ...good, text: '' },
        { ...good, text: 'a'.repeat(4001) },
        { ...good, ts: '1' },
        { ...good, receivedAt: null },
        { ...good, from: 'server' },
      ],
      outbox: [null, { id: 7, text: 'x', ts: 1 }, { id: 'o', text: '', ts: 1 }, { id: 'o', text: 'x', ts: Infinity }],
      seen: [null, 3, '', 'x'.repeat(65)],
    }),
  ];
  for (const value of values) {
    const storage = memoryStorage();
    storage.setItem(KEY, value);
    const log = new ChatLog({ storage, key: KEY });
    assert.deepEqual(log.entries, [], value);
    assert.equal(log.unacknowledged, 0, value);
  }

  // Valid items survive next to broken ones; duplicates are kept once.
  const storage = memoryStorage();
  storage.setItem(
    KEY,
    JSON.stringify({
      v: 1,
      entries: [good, { nonsense: true }, good, { id: 'm', text: 'mine', ts: 3, receivedAt: 3, from: 'me', status: 'weird' }],
      outbox: [{ id: 'm', text: 'mine', ts: 3 }, 'junk', { id: 'm', text: 'mine', ts: 3 }],
      seen: ['g', 'old'],
    }),
  );
  const log = new ChatLog({ storage, key: KEY });
  assert.deepEqual(log.entries, [
    { ...good, status: 'received' },
    { id: 'm', text: 'mine', ts: 3, receivedAt: 3, from: 'me', status: 'pending' },
  ]);
  assert.equal(log.unacknowledged, 1);

  // Storage that throws on every call: the log works in memory.
  const broken = {
    getItem() {
      throw new Error('SecurityError');
    },
    setItem() {
      throw new Error('SecurityError');
    },
    removeItem() {
      throw new Error('SecurityError');
    },
  };
  const inMemory = new ChatLog({ storage: broken, key: KEY });
  assert.equal(inMemory.send('still works').status, 'pending');
  inMemory.clear();
  assert.deepEqual(inMemory.entries, []);

  // No storage at all.
  const none = new ChatLog({ storage: null, key: KEY });
  none.send('x');
  assert.equal(none.entries.length, 1);
});

test('full storage: fewer entries are stored, the outbox and the seen ids always', () => {
  const storage = memoryStorage(30000);
  const a = person('a', storage);
  const b = person('b');
  const link = connect(a, b);
  for (let i = 0; i < 40; i++) {
    a.log.send(`${i} ${'x'.repeat(1000)}`);
    link.drain();
  }
  link.cut();
  for (let i = 0; i < 5; i++) a.log.send(`offline ${i} ${'y'.repeat(1000)}`);
  const stored = JSON.parse(storage.getItem(KEY));
  assert.ok(stored.entries.length < 45 && stored.entries.length > 0, `${stored.entries.length} entries stored`);
  assert.equal(stored.outbox.length, 5);
  assert.equal(a.log.entries.length, 45, 'memory keeps them all');

  a.log.detach();
  a.load();
  const next = connect(a, b);
  next.drain();
  assert.equal(b.shown.length, 45);
  assert.equal(b.shown.at(-1), `offline 4 ${'y'.repeat(1000)}`);
});

test('caps: entries, seen ids and the outbox are bounded; a full outbox refuses, it never drops', () => {
  const a = person('a');
  const b = person('b');
  // The outbox: MAX_OUTBOX messages may wait, the next one throws and changes nothing.
  for (let i = 0; i < MAX_OUTBOX; i++) a.log.send(`m${i}`);
  assert.throws(() => a.log.send('one too many'), /waiting to be delivered/);
  assert.equal(a.log.unacknowledged, MAX_OUTBOX);
  assert.equal(a.log.entries.length, MAX_ENTRIES);
  assert.equal(a.log.entries.at(-1)?.text, `m${MAX_OUTBOX - 1}`);

  const link = connect(a, b);
  link.drain();
  assert.equal(a.log.unacknowledged, 0);
  assert.equal(b.shown.length, MAX_OUTBOX);
  for (let i = MAX_OUTBOX; i < MAX_SEEN + 100; i++) {
    a.log.send(`m${i}`);
    if (i % 50 === 0) link.drain();
  }
  link.drain();
  assert.equal(b.shown.length, MAX_SEEN + 100);
  assert.equal(b.log.entries.length, MAX_ENTRIES);
  assert.equal(b.log.entries[0].text, `m${MAX_SEEN + 100 - MAX_ENTRIES}`);
  const stored = JSON.parse(/** @type {string} */ (b.storage?.getItem(KEY)));
  assert.equal(stored.entries.length, MAX_ENTRIES);
  assert.equal(stored.seen.length, MAX_SEEN);
  assert.equal(stored.seen.at(-1), `a-${MAX_SEEN + 100}`, 'the newest ids are kept');
  assert.ok(MAX_SEEN >= 2 * MAX_OUTBOX, 'every id that can come again is remembered');
});

test('text that does not fit is refused with an Error and nothing is kept', () => {
  const a = person('a');
  assert.throws(() => a.log.send(''), Error);
  assert.throws(() => a.log.send('a'.repeat(4001)), /1 to 4000 characters/);
  assert.deepEqual(a.log.entries, []);
  assert.equal(a.log.unacknowledged, 0);
  assert.equal(a.log.send('😀'.repeat(2000)).status, 'pending');
});

test('bye: sent on an open channel, reported on the other side; never throws', () => {
  const a = person('a');
  const b = person('b');
  a.log.sendBye(); // nothing attached
  const link = channelPair();
  a.log.attach(link.a);
  b.log.attach(link.b);
  a.log.sendBye(); // not open
  assert.deepEqual(link.a.sent, []);
  link.open();
  a.log.sendBye();
  link.drain();
  assert.equal(b.byes, 1);
  assert.deepEqual(link.a.sent, [encodeBye()]);
  link.a.throwOnSend = true;
  a.log.sendBye();
  link.cut();
  a.log.sendBye();
  assert.equal(b.byes, 1);
});

test('duplicate acks, acks for unknown ids and messages of other types change nothing', () => {
  const a = person('a');
  const b = person('b');
  const link = connect(a, b);
  const entry = a.log.send('x');
  link.drain();
  const events = record(a.log);
  for (const data of [
    encodeAck(entry.id),
    encodeAck('never-sent'),
    encodeAck('b-1'),
    JSON.stringify({ type: 'typing' }),
    JSON.stringify({ type: 'ack' }),
    'garbage',
  ]) {
    link.a.dispatchEvent(new MessageEvent('message', { data }));
  }
  assert.deepEqual(events, []);
  assert.deepEqual(a.log.entries.map((e) => e.status), ['delivered']);
  assert.deepEqual(a.shown, []);
});

test('a channel whose send throws keeps the message in the outbox, in its place', () => {
  const a = person('a');
  const b = person('b');
  const link = connect(a, b);
  link.a.throwOnSend = true;
  assert.equal(a.log.send('one').status, 'pending');
  assert.equal(a.log.send('two').status, 'pending');
  assert.equal(a.log.unacknowledged, 2);
  link.a.throwOnSend = false;
  // The next message takes the waiting ones with it, in order.
  assert.equal(a.log.send('three').status, 'sent');
  link.drain();
  assert.deepEqual(b.shown, ['one', 'two', 'three']);

  // Or the buffer drains ('bufferedamountlow'), and they go.
  link.a.throwOnSend = true;
  a.log.send('four');
  link.a.throwOnSend = false;
  link.a.dispatchEvent(new Event('bufferedamountlow'));
  link.drain();
  assert.deepEqual(b.shown, ['one', 'two', 'three', 'four']);
  assert.equal(a.log.unacknowledged, 0);
});

test('after detach, or attaching another channel, the old channel is not listened to', () => {
  const a = person('a');
  const b = person('b');
  const old = connect(a, b);
  const next = channelPair();
  a.log.attach(next.a); // the old one is let go
  old.a.dispatchEvent(new MessageEvent('message', { data: encodeChat('late', 'from the old connection', 1) }));
  old.a.dispatchEvent(new MessageEvent('message', { data: encodeBye() }));
  assert.deepEqual(a.shown, []);
  assert.equal(a.byes, 0);
  assert.deepEqual(old.a.sent, [], 'not acknowledged either');

  // Attaching the same channel again does not double its listeners.
  a.log.detach();
  a.log.attach(next.a);
  b.log.attach(next.b);
  next.open();
  b.log.send('once');
  next.drain();
  assert.deepEqual(a.shown, ['once']);
  assert.deepEqual(next.a.sent, [encodeAck('b-1')]);

  a.log.detach();
  assert.equal(a.log.connected, false);
  next.a.dispatchEvent(new MessageEvent('message', { data: encodeChat('after', 'after detach', 1) }));
  assert.deepEqual(a.shown, ['once']);
});

test('attaching a channel that is open already sends the outbox', () => {
  const a = person('a');
  a.log.send('waiting');
  const link = channelPair();
  link.a.readyState = 'open';
  a.log.attach(link.a);
  assert.equal(link.a.sent.length, 1);
  link.a.dispatchEvent(new Event('open')); // a late open event sends nothing twice
  assert.equal(link.a.sent.length, 1);
});

test('clear forgets everything, stored too', () => {
  const storage = memoryStorage();
  const a = person('a', storage);
  const b = person('b');
  const link = connect(a, b);
  a.log.send('one');
  link.drain();
  a.log.send('two');
  a.log.clear();
  assert.deepEqual(a.log.entries, []);
  assert.equal(a.log.unacknowledged, 0);
  assert.equal(storage.getItem(KEY), null);
  assert.deepEqual(a.load().entries, []);
});

// ChatLog: one room's conversation over the "chat" data channel (docs/protocol.md, "The data channel"):
// the entries shown, the outbox of my messages the other side has not acknowledged yet, and the ids of
// theirs already shown. It is handed each chat channel in turn (attach), one per peer connection, and
// keeps everything in storage (sessionStorage, per room) so that a reload of the page loses nothing.
// No DOM.
//
// Why every message is shown once, in the order sent, across cuts, reloads and new channels:
//
//   Sender. The outbox holds my messages in the order sent, each until its ack arrives; nothing else
//   removes one (a full outbox refuses new messages instead of dropping old ones). On a channel, the
//   outbox is handed over from its first message on, in order, as soon as the channel is open; a new
//   message is handed over only once every message before it in the outbox has been, on that same
//   channel. A send that throws stops the handing over there, to be taken up again at that message.
//   So on each channel the sender transmits, in order: the unacknowledged messages, then the newer ones.
//   The outbox is stored before a message is handed to a channel: one a reload interrupts is sent again.
//
//   Channel. Ordered and reliable: what arrives is a prefix of what was sent on it, in order. A cut
//   loses the rest. Only the attached channel is listened to; what an older one brings is ignored.
//
//   Receiver. It shows a message when its id is new and remembers the id, stores both, and only then
//   acknowledges it (a duplicate is acknowledged again, not shown). Suppose it has shown exactly the
//   first r messages m1…mr, in order (true at the start: r = 0). Every acknowledged message is among
//   them, so m(r+1), m(r+2)… are all still in the sender's outbox, and on the next channel they are
//   transmitted in that order, possibly after some of m1…mr (duplicates, dropped). The first new id to
//   arrive is therefore m(r+1), then m(r+2)…: the shown messages stay exactly m1…mr', in order, each
//   once.
//
//   Bounds. That needs the receiver to remember every id the sender may send again. Those are the
//   sender's outbox, at most MAX_OUTBOX, and the receiver has shown at most MAX_OUTBOX messages since
//   the oldest of them (acks travel in order too: a message after an unacknowledged one was not
//   acknowledged either). MAX_SEEN ids is well above that.

import { MAX_CHAT_TEXT, decodeChannelMessage, encodeAck, encodeBye, encodeChat, validChatId, validChatText } from './chat.js';

/** How many entries are kept (the oldest go first), in memory and in storage. */
export const MAX_ENTRIES = 500;
/** How many of my messages may wait for their ack; sending more throws. */
export const MAX_OUTBOX = 500;
/** How many ids of received messages are remembered to drop duplicates. Must be well above MAX_OUTBOX. */
export const MAX_SEEN = 2000;

/** The storage key's prefix: one key per room. */
export const CHAT_KEY_PREFIX = 'maju.chat.';

/** Version of the stored JSON. */
const STORED_VERSION = 1;

/**
 * The storage key of room roomId's conversation.
 * @param {string} roomId
 * @returns {string}
 */
export function chatKey(roomId) {
  return CHAT_KEY_PREFIX + roomId;
}

/**
 * The page's sessionStorage, or null where there is none or it may not be touched (it throws then).
 * @returns {ChatStorage | null}
 */
export function pageSessionStorage() {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * Where a message stands:
 * - pending:   mine, not handed to an open channel yet (waiting for one, or for the ones before it)
 * - sent:      mine, handed to an open channel, not acknowledged yet
 * - delivered: mine, acknowledged by the other side
 * - received:  theirs
 * @typedef {'pending' | 'sent' | 'delivered' | 'received'} ChatStatus
 */

/**
 * @typedef {object} ChatEntry
 * @property {string} id
 * @property {string} text
 * @property {number} ts         Sender's clock (Unix ms).
 * @property {number} receivedAt This side's clock (Unix ms) when it was sent or received.
 * @property {'me' | 'them'} from
 * @property {ChatStatus} status
 */

/** @typedef {Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>} ChatStorage */

/**
 * The part of RTCDataChannel that ChatLog uses.
 * @typedef {object} ChatChannel
 * @property {string} readyState
 * @property {(data: string) => void} send
 * @property {(type: 'open' | 'close' | 'message' | 'bufferedamountlow', listener: (ev: Event) => void) => void} addEventListener
 */

/**
 * @typedef {object} ChatLogOptions
 * @property {ChatStorage | null} [storage] Where the conversation is kept; null: in memory only.
 * @property {string} key The storage key (chatKey(roomId)).
 * @property {() => string} [newId] Makes message ids (1–64 characters, unique).
 * @property {() => number} [now] Clock, Unix ms.
 */

/**
 * One of my messages waiting for its ack.
 * @typedef {object} Outgoing
 * @property {string} id
 * @property {string} text
 * @property {number} ts
 * @property {'pending' | 'sent'} status
 */

export class ChatLog extends EventTarget {
  /** @type {ChatStorage | null} */
  #storage;
  #key;
  #newId;
  #now;
  /** @type {ChatEntry[]} Oldest first. */
  #entries = [];
  /** @type {Outgoing[]} In the order sent. */
  #outbox = [];
  /** How many of the outbox's first messages were handed to the attached channel since it opened. */
  #handed = 0;
  /** @type {Set<string>} Ids of their messages already shown, oldest first. */
  #seen = new Set();
  /** @type {ChatChannel | null} */
  #channel = null;
  /** @type {object | null} The current attachment: listeners of an earlier one do nothing. */
  #attachment = null;
  /** Whether the attached channel's opening was taken care of. */
  #opened = false;

  /** @param {ChatLogOptions} options */
  constructor({ storage = null, key, newId = () => crypto.randomUUID(), now = Date.now }) {
    super();
    this.#storage = storage;
    this.#key = key;
    this.#newId = newId;
    this.#now = now;
    this.#restore();
  }

  /** @returns {ChatEntry[]} The conversation, oldest first (copies). */
  get entries() {
    return this.#entries.map((e) => ({ ...e }));
  }

  /** How many of my messages wait for their ack. */
  get unacknowledged() {
    return this.#outbox.length;
  }

  /** Whether a channel is attached and open. */
  get connected() {
    return this.#channel?.readyState === 'open';
  }

  /**
   * Sends a message: at once when an open channel is attached and nothing waits before it, else as soon
   * as one is. Throws when the text does not fit or MAX_OUTBOX messages wait already.
   * @param {string} text
   * @returns {ChatEntry}
   */
  send(text) {
    if (!validChatText(text)) throw new Error(`a message has 1 to ${MAX_CHAT_TEXT} characters`);
    if (this.#outbox.length >= MAX_OUTBOX) {
      throw new Error(`${MAX_OUTBOX} messages are waiting to be delivered already`);
    }
    const id = this.#newId();
    if (!validChatId(id)) throw new Error('bad message id');
    const ts = this.#now();
    /** @type {Outgoing} */
    const out = { id, text, ts, status: 'pending' };
    /** @type {ChatEntry} */
    const entry = { id, text, ts, receivedAt: ts, from: 'me', status: 'pending' };
    this.#outbox.push(out);
    this.#addEntry(entry);
    this.#persist(); // before it goes out: a reload after this sends it again
    this.#emit('entry', { ...entry });
    this.#flush();
    return { ...entry };
  }

  /**
   * Uses channel from now on, instead of any channel before: when it is open (now or later), every
   * unacknowledged message is sent again, in order, then new ones.
   * @param {ChatChannel} channel
   */
  attach(channel) {
    this.detach();
    const attachment = {};
    this.#attachment = attachment;
    this.#channel = channel;
    this.#opened = false;
    const live = () => this.#attachment === attachment;
    channel.addEventListener('open', () => {
      if (live()) this.#open();
    });
    channel.addEventListener('close', () => {
      if (live()) this.#unhand();
    });
    channel.addEventListener('bufferedamountlow', () => {
      if (live()) this.#flush();
    });
    channel.addEventListener('message', (ev) => {
      if (live()) this.#receive(/** @type {MessageEvent} */ (ev).data);
    });
    if (channel.readyState === 'open') this.#open();
  }

  /** Forgets the attached channel: nothing it brings is acted on any more. */
  detach() {
    if (!this.#channel) return;
    this.#unhand();
    this.#channel = null;
    this.#attachment = null;
  }

  /**
   * Tells the other side this person hung up on purpose, when an open channel is attached. Never throws.
   * @returns {boolean} whether it was handed to an open channel
   */
  sendBye() {
    return this.#transmit(encodeBye());
  }

  /** Forgets the whole conversation: entries, outbox, seen ids and what is stored. The channel stays. */
  clear() {
    this.#entries = [];
    this.#outbox = [];
    this.#handed = 0;
    this.#seen.clear();
    try {
      this.#storage?.removeItem(this.#key);
    } catch {
      // nothing stored then
    }
  }

  #open() {
    if (this.#opened) return;
    this.#opened = true;
    this.#handed = 0;
    this.#flush();
  }

  /** The channel closed or is let go: what was handed to it waits for the next one. */
  #unhand() {
    this.#opened = false;
    const handed = this.#outbox.slice(0, this.#handed);
    this.#handed = 0;
    for (const out of handed) this.#setStatus(out, 'pending');
  }

  /** Hands the outbox to the attached channel, from the first message not handed to it yet. */
  #flush() {
    const channel = this.#channel;
    if (!channel || !this.#opened || channel.readyState !== 'open') return;
    // Re-checked each time round: a 'status' listener may detach or attach.
    while (this.#channel === channel && this.#handed < this.#outbox.length) {
      const out = this.#outbox[this.#handed];
      try {
        channel.send(encodeChat(out.id, out.text, out.ts));
      } catch {
        return; // closing, or its buffer is full: this one and the rest stay in the outbox
      }
      this.#handed++;
      this.#setStatus(out, 'sent');
    }
  }

  /** @param {unknown} data */
  #receive(data) {
    const m = decodeChannelMessage(data);
    if (!m) return;
    switch (m.kind) {
      case 'chat': {
        const { id, text, ts } = m.msg;
        if (this.#seen.has(id)) {
          this.#transmit(encodeAck(id)); // its ack was lost: acknowledge it again, show it once
          return;
        }
        this.#remember(id);
        /** @type {ChatEntry} */
        const entry = { id, text, ts, receivedAt: this.#now(), from: 'them', status: 'received' };
        this.#addEntry(entry);
        this.#persist(); // before the ack: once acknowledged, it is never sent again
        this.#transmit(encodeAck(id));
        this.#emit('entry', { ...entry });
        return;
      }
      case 'ack':
        this.#acked(m.id);
        return;
      case 'bye':
        this.dispatchEvent(new CustomEvent('bye'));
        return;
    }
  }

  /** @param {string} id */
  #acked(id) {
    const i = this.#outbox.findIndex((out) => out.id === id);
    if (i < 0) return; // a duplicate, or not ours
    this.#outbox.splice(i, 1);
    if (i < this.#handed) this.#handed--;
    const entry = this.#entries.find((e) => e.from === 'me' && e.id === id);
    if (entry) entry.status = 'delivered';
    this.#persist();
    this.#emit('status', { id, status: 'delivered' });
  }

  /**
   * @param {Outgoing} out
   * @param {'pending' | 'sent'} status
   */
  #setStatus(out, status) {
    if (out.status === status) return;
    out.status = status;
    const entry = this.#entries.find((e) => e.from === 'me' && e.id === out.id);
    if (entry) entry.status = status;
    this.#emit('status', { id: out.id, status });
  }

  /**
   * Sends data on the attached channel if it is open; best effort.
   * @param {string} data
   * @returns {boolean} whether the channel took it
   */
  #transmit(data) {
    const channel = this.#channel;
    if (!channel || channel.readyState !== 'open') return false;
    try {
      channel.send(data);
      return true;
    } catch {
      return false; // closing: what matters is sent again on the next channel
    }
  }

  /** @param {ChatEntry} entry */
  #addEntry(entry) {
    this.#entries.push(entry);
    if (this.#entries.length > MAX_ENTRIES) this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
  }

  /** @param {string} id */
  #remember(id) {
    this.#seen.add(id);
    for (const old of this.#seen) {
      if (this.#seen.size <= MAX_SEEN) break;
      this.#seen.delete(old);
    }
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /**
   * Stores the conversation. Storage that refuses (full) gets fewer entries, down to none; the outbox
   * and the seen ids always go in. Returns whether it was stored.
   * @returns {boolean}
   */
  #persist() {
    const storage = this.#storage;
    if (!storage) return false;
    const entries = this.#entries.map(({ id, text, ts, receivedAt, from }) => ({ id, text, ts, receivedAt, from }));
    const outbox = this.#outbox.map(({ id, text, ts }) => ({ id, text, ts }));
    const seen = [...this.#seen];
    for (let keep = entries.length; ; keep = Math.floor(keep / 2)) {
      const value = JSON.stringify({ v: STORED_VERSION, entries: entries.slice(entries.length - keep), outbox, seen });
      try {
        storage.setItem(this.#key, value);
        return true;
      } catch {
        if (keep === 0) return false;
      }
    }
  }

  /** Reads what is stored. Anything missing, malformed or not ours is left out: never throws. */
  #restore() {
    /** @type {unknown} */
    let v;
    try {
      const raw = this.#storage?.getItem(this.#key) ?? null;
      if (raw === null) return;
      v = JSON.parse(raw);
    } catch {
      return;
    }
    if (!isRecord(v) || v.v !== STORED_VERSION) return;

    const outIds = new Set();
    for (const o of Array.isArray(v.outbox) ? v.outbox : []) {
      if (!isRecord(o) || !validChatId(o.id) || outIds.has(o.id)) continue;
      if (typeof o.text !== 'string' || !validChatText(o.text) || !isTime(o.ts)) continue;
      outIds.add(o.id);
      this.#outbox.push({ id: o.id, text: o.text, ts: o.ts, status: 'pending' });
    }
    this.#outbox.splice(0, this.#outbox.length - MAX_OUTBOX);

    for (const id of Array.isArray(v.seen) ? v.seen : []) if (validChatId(id)) this.#remember(id);

    const keys = new Set();
    for (const e of Array.isArray(v.entries) ? v.entries : []) {
      if (!isRecord(e) || !validChatId(e.id) || (e.from !== 'me' && e.from !== 'them')) continue;
      if (typeof e.text !== 'string' || !validChatText(e.text) || !isTime(e.ts) || !isTime(e.receivedAt)) continue;
      const key = `${e.from} ${e.id}`;
      if (keys.has(key)) continue;
      keys.add(key);
      // Only an ack takes a message out of the outbox: mine that are not in it were delivered.
      /** @type {ChatStatus} */
      const status = e.from === 'them' ? 'received' : outIds.has(e.id) ? 'pending' : 'delivered';
      this.#addEntry({ id: e.id, text: e.text, ts: e.ts, receivedAt: e.receivedAt, from: e.from, status });
      if (e.from === 'them' && !this.#seen.has(e.id)) this.#remember(e.id);
    }
  }
}

/**
 * @param {unknown} v
 * @returns {v is Record<string, unknown>}
 */
function isRecord(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * @param {unknown} v
 * @returns {v is number}
 */
function isTime(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

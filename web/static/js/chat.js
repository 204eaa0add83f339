// The messages on the "chat" data channel (docs/protocol.md, "The data channel"): chat, ack, bye. No DOM.

/** Longest message text, in characters counted as String.length does (UTF-16 code units), like the Go peer. */
export const MAX_CHAT_TEXT = 4000;
/** Longest message id, in characters. */
export const MAX_CHAT_ID = 64;

/**
 * A chat message as it travels on the data channel.
 * @typedef {object} ChatWire
 * @property {'chat'} type
 * @property {string} id   Unique per sender.
 * @property {string} text 1–4000 characters; always shown as text, never as HTML.
 * @property {number} ts   Sender's clock, Unix milliseconds.
 */

/**
 * Number of characters in s as the protocol counts them: UTF-16 code units (String.length). The same
 * count as the textarea's maxlength and as the Go peer (internal/peer).
 * @param {string} s
 * @returns {number}
 */
export function charCount(s) {
  return s.length;
}

/**
 * Reports whether text can be sent as a chat message.
 * @param {string} text
 * @returns {boolean}
 */
export function validChatText(text) {
  const n = charCount(text);
  return n >= 1 && n <= MAX_CHAT_TEXT;
}

/**
 * Reports whether id can be a chat message id: a string of 1 to MAX_CHAT_ID characters.
 * @param {unknown} id
 * @returns {id is string}
 */
export function validChatId(id) {
  return typeof id === 'string' && id !== '' && charCount(id) <= MAX_CHAT_ID;
}

/**
 * Encodes a chat message.
 * @param {string} id
 * @param {string} text
 * @param {number} ts
 * @returns {string}
 */
export function encodeChat(id, text, ts) {
  /** @type {ChatWire} */
  const msg = { type: 'chat', id, text, ts };
  return JSON.stringify(msg);
}

/**
 * The receiver's acknowledgement of a chat message: it has the message (sent for duplicates too).
 * @typedef {object} AckWire
 * @property {'ack'} type
 * @property {string} id The chat message's id.
 */

/**
 * One data channel message, decoded.
 * @typedef {{kind: 'chat', msg: ChatWire} | {kind: 'ack', id: string} | {kind: 'bye'}} ChannelMessage
 */

/**
 * Encodes the acknowledgement of chat message id.
 * @param {string} id
 * @returns {string}
 */
export function encodeAck(id) {
  /** @type {AckWire} */
  const msg = { type: 'ack', id };
  return JSON.stringify(msg);
}

/**
 * Encodes "I hung up on purpose".
 * @returns {string}
 */
export function encodeBye() {
  return JSON.stringify({ type: 'bye' });
}

/**
 * Decodes one data channel message of any type. Returns null for anything that is not a valid message:
 * receivers ignore other types and messages that do not fit the limits.
 * @param {unknown} data
 * @returns {ChannelMessage | null}
 */
export function decodeChannelMessage(data) {
  if (typeof data !== 'string') return null;
  /** @type {unknown} */
  let v;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const m = /** @type {Record<string, unknown>} */ (v);
  switch (m.type) {
    case 'chat': {
      const { id, text, ts } = m;
      if (!validChatId(id)) return null;
      if (typeof text !== 'string' || !validChatText(text)) return null;
      if (typeof ts !== 'number' || !Number.isFinite(ts)) return null;
      return { kind: 'chat', msg: { type: 'chat', id, text, ts } };
    }
    case 'ack':
      return validChatId(m.id) ? { kind: 'ack', id: m.id } : null;
    case 'bye':
      return { kind: 'bye' };
    default:
      return null;
  }
}

/**
 * Decodes one data channel message that must be a chat message. Returns null for anything else.
 * @param {unknown} data
 * @returns {ChatWire | null}
 */
export function decodeChat(data) {
  const m = decodeChannelMessage(data);
  return m?.kind === 'chat' ? m.msg : null;
}

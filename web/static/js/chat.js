// The chat message format on the "chat" data channel (docs/protocol.md, "The data channel"). No DOM.

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
 * Decodes one data channel message. Returns null for anything that is not a valid chat message:
 * receivers ignore other types and messages that do not fit the limits.
 * @param {unknown} data
 * @returns {ChatWire | null}
 */
export function decodeChat(data) {
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
  if (m.type !== 'chat') return null;
  const { id, text, ts } = m;
  if (typeof id !== 'string' || id === '' || charCount(id) > MAX_CHAT_ID) return null;
  if (typeof text !== 'string' || !validChatText(text)) return null;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return null;
  return { type: 'chat', id, text, ts };
}

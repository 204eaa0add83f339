// ChatPanel: the chat side panel (a sheet on phones) of the room page: the log, the input, the unread
// count. It draws chat entries (chatlog.js) with the status of mine (sending, sent, delivered) and hands
// typed messages on. All text goes in with textContent, never as HTML.

import { byId } from './dom.js';
import { setAttr, setText } from './localize.js';

/** @typedef {import('./chatlog.js').ChatStatus} ChatStatus */
/**
 * An entry to draw; status is shown for mine (none: no mark).
 * @typedef {Omit<import('./chatlog.js').ChatEntry, 'status'> & {status?: ChatStatus}} ChatEntry
 */
/** @typedef {import('./i18n.js').Translate} Translate */

/**
 * @typedef {object} ChatPanelOptions
 * @property {Document} document
 * @property {() => Translate} t The current language's translate function.
 * @property {() => string} locale The current language, for times.
 * @property {(text: string) => void} send Sends a message; throws when it cannot.
 * @property {(count: number) => void} onUnread The unread count changed.
 * @property {(key: string, params: Record<string, string>) => void} onError Says why a message was not sent.
 */

/** The status marks of my messages. */
const STATUS_KEYS = /** @type {const} */ ({
  pending: 'chat.status.pending',
  sent: 'chat.status.sent',
  delivered: 'chat.status.delivered',
});

export class ChatPanel {
  /** @type {Document} */
  #doc;
  #opts;
  #unread = 0;
  /** @type {Map<string, HTMLLIElement>} The log's items by entryKey. */
  #items = new Map();

  /** @param {ChatPanelOptions} options */
  constructor(options) {
    this.#doc = options.document;
    this.#opts = options;
  }

  /**
   * @template {HTMLElement} T
   * @param {string} id
   * @returns {T}
   */
  #el(id) {
    return byId(this.#doc, id);
  }

  get unread() {
    return this.#unread;
  }

  /** Wires the panel's controls. Call once. */
  init() {
    this.#el('chat-toggle').addEventListener('click', () => this.setOpen(this.#el('chat-panel').hidden !== false));
    this.#el('chat-close').addEventListener('click', () => this.setOpen(false));
    this.#el('chat-panel').addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') this.setOpen(false);
    });
    const input = this.#input();
    this.#el('chat-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.#send();
    });
    input.addEventListener('keydown', (ev) => {
      // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition (Korean, …) is not a send.
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        this.#send();
      }
    });
    input.addEventListener('input', () => this.#fitInput());
  }

  /** @param {boolean} open */
  setOpen(open) {
    const panel = this.#el('chat-panel');
    panel.hidden = !open;
    this.#doc.body.classList.toggle('chat-open', open);
    const toggle = this.#el('chat-toggle');
    toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      this.#setUnread(0);
      const log = this.#el('chat-log');
      log.scrollTop = log.scrollHeight;
      const input = this.#input();
      (input.disabled ? this.#el('chat-close') : input).focus();
    } else if (panel.contains(this.#doc.activeElement)) {
      toggle.focus();
    }
  }

  /** @param {boolean} open Whether messages can be sent now. */
  renderState(open) {
    const input = this.#input();
    input.disabled = !open;
    /** @type {HTMLButtonElement} */ (this.#el('chat-send')).disabled = !open;
    setAttr(input, 'placeholder', this.#opts.t(), open ? 'chat.placeholder' : 'chat.placeholderOff');
  }

  /**
   * Draws a new entry at the end of the log. An entry drawn already (same sender and id) only gets its
   * status updated.
   * @param {ChatEntry} entry
   */
  add(entry) {
    const drawn = this.#items.get(entryKey(entry.from, entry.id));
    if (drawn) {
      if (entry.status) this.#renderStatus(drawn, entry.status);
      return;
    }
    const log = this.#el('chat-log');
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(this.#item(entry));
    this.#el('chat-empty').hidden = true;

    if (atBottom || entry.from === 'me') log.scrollTop = log.scrollHeight;
    if (entry.from === 'them' && this.#el('chat-panel').hidden) this.#setUnread(this.#unread + 1);
  }

  /**
   * Replaces the log with these entries (a conversation restored after a reload), oldest first. They
   * do not count as unread.
   * @param {readonly ChatEntry[]} entries
   */
  showHistory(entries) {
    this.#items.clear();
    const log = this.#el('chat-log');
    log.replaceChildren(...entries.map((e) => this.#item(e)));
    this.#el('chat-empty').hidden = log.childElementCount > 0;
    log.scrollTop = log.scrollHeight;
  }

  /**
   * Shows where one of my messages stands.
   * @param {string} id
   * @param {ChatStatus} status
   */
  setStatus(id, status) {
    const item = this.#items.get(entryKey('me', id));
    if (item) this.#renderStatus(item, status);
  }

  /**
   * A log item for entry, remembered by its key (a later entry with the same key replaces it).
   * @param {ChatEntry} entry
   * @returns {HTMLLIElement}
   */
  #item(entry) {
    const doc = this.#doc;
    const t = this.#opts.t();
    const item = doc.createElement('li');
    item.className = `chat-msg from-${entry.from}`;
    const meta = doc.createElement('p');
    meta.className = 'chat-meta';
    const sender = doc.createElement('span');
    sender.className = 'chat-sender';
    setText(sender, t, entry.from === 'me' ? 'chat.me' : 'chat.them');
    const time = doc.createElement('time');
    time.className = 'chat-time';
    time.dateTime = new Date(entry.receivedAt).toISOString();
    time.textContent = this.#formatTime(time.dateTime);
    meta.append(sender, ' ', time);
    const text = doc.createElement('p');
    text.className = 'chat-text';
    text.textContent = entry.text; // text, never HTML
    item.append(meta, text);
    if (entry.from === 'me' && entry.status) this.#renderStatus(item, entry.status);
    this.#items.set(entryKey(entry.from, entry.id), item);
    return item;
  }

  /**
   * Sets the status mark under my message: small words, read by screen readers too.
   * @param {HTMLLIElement} item
   * @param {ChatStatus} status
   */
  #renderStatus(item, status) {
    if (status === 'received') return;
    let mark = /** @type {HTMLElement | null} */ (item.querySelector('.chat-status'));
    if (!mark) {
      mark = this.#doc.createElement('p');
      mark.className = 'chat-status';
      item.append(mark);
    }
    mark.dataset.status = status;
    setText(mark, this.#opts.t(), STATUS_KEYS[status]);
  }

  /** The language changed: times follow it (texts marked for localize.js follow by themselves). */
  relocalize() {
    for (const time of this.#el('chat-log').querySelectorAll('time.chat-time')) {
      time.textContent = this.#formatTime(/** @type {HTMLTimeElement} */ (time).dateTime);
    }
  }

  /** @param {string} iso */
  #formatTime(iso) {
    return new Intl.DateTimeFormat(this.#opts.locale(), { hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
  }

  /** @param {number} n */
  #setUnread(n) {
    this.#unread = n;
    const badge = this.#el('unread-badge');
    badge.textContent = n > 99 ? '99+' : String(n);
    badge.hidden = n === 0;
    setAttr(this.#el('chat-toggle'), 'aria-label', this.#opts.t(), n > 0 ? 'ctl.chatUnread' : '', { count: n });
    this.#opts.onUnread(n);
  }

  #input() {
    return /** @type {HTMLTextAreaElement} */ (this.#el('chat-input'));
  }

  #send() {
    const input = this.#input();
    const text = input.value;
    if (text.trim() === '') return;
    try {
      this.#opts.send(text);
    } catch (err) {
      this.#opts.onError('chat.notSent', { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    input.value = '';
    this.#fitInput();
    input.focus();
  }

  #fitInput() {
    const input = this.#input();
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }
}

/**
 * The key of an entry in the log: ids are unique per sender only.
 * @param {'me' | 'them'} from
 * @param {string} id
 */
function entryKey(from, id) {
  return `${from} ${id}`;
}

// CallView: the room page's DOM. It draws what a Call reports (its events) and turns clicks and keys into
// Call methods. All user text goes in with textContent, never as HTML.

/** @typedef {import('./call.js').Call} Call */
/** @typedef {import('./call.js').StateDetail} StateDetail */
/** @typedef {import('./call.js').ChatEntry} ChatEntry */
/** @typedef {import('./call.js').MediaState} MediaState */
/** @typedef {import('./call.js').Notice} Notice */
/** @typedef {import('./icepath.js').IcePath} IcePath */

import { describePath, explainPath } from './icepath.js';

/**
 * What a state looks like: the words in the status line, the big title and detail on the stage.
 * @typedef {object} StateView
 * @property {string} status  Short text, always visible (#call-state).
 * @property {string} title   Big text on the stage.
 * @property {string} detail  One or two sentences under the title.
 * @property {boolean} [invite] Show the link to share.
 * @property {boolean} [retry]  Show "Try again".
 * @property {'call' | 'full' | 'end'} [screen] Which screen shows; 'call' when missing.
 */

const WAITING_TEXT = 'Waiting for the other person…';

/**
 * @param {StateDetail} s
 * @returns {StateView}
 */
export function describeState(s) {
  switch (s.state) {
    case 'starting':
      return { status: 'Joining the call…', title: 'Joining the call…', detail: 'Allow the camera and microphone if your browser asks.', invite: true };
    case 'waiting':
      return { status: WAITING_TEXT, title: WAITING_TEXT, detail: 'Send them the link to this call. It starts as soon as they open it.', invite: true };
    case 'connecting':
      return { status: 'Connecting…', title: 'Connecting…', detail: 'The other person is here. Setting up the connection.' };
    case 'connected':
      return { status: 'Connected', title: 'Connected', detail: '' };
    case 'reconnecting':
      return { status: 'Reconnecting…', title: 'Reconnecting…', detail: 'The connection was interrupted. Trying to get it back.' };
    case 'peer-left':
      if (s.reason === 'hangup') {
        return { status: 'The other person left', title: 'The other person left', detail: 'They hung up. If they open the link again, the call picks up here.', invite: true };
      }
      return { status: 'The other person’s connection dropped', title: 'The other person’s connection dropped', detail: 'Their connection was lost. If they come back, the call picks up here.', invite: true };
    case 'full':
      return { status: 'This call already has two people', title: 'This call already has two people', detail: '', screen: 'full' };
    case 'failed':
      if (s.diagnosis) {
        // Why it never connected (diagnosis.js), in the person's terms.
        return { status: 'Could not connect', title: s.diagnosis.title, detail: s.diagnosis.detail, retry: true };
      }
      if (s.reason === 'timeout') {
        return { status: 'Could not connect', title: 'Could not connect to the other person', detail: 'A direct connection between your two networks did not work. Try again, or try another network.', retry: true };
      }
      return { status: 'Connection failed', title: 'The connection failed', detail: 'The direct connection to the other person stopped working. Try again.', retry: true };
    case 'left':
      return { status: 'You left the call', title: 'You left the call', detail: 'Your camera and microphone are off. Rejoin with the same link whenever you like.', screen: 'end' };
    case 'ended':
      return endedView(s);
  }
}

/**
 * @param {StateDetail} s
 * @returns {StateView}
 */
function endedView(s) {
  const from = s.message ? ` The server said: “${s.message}”` : '';
  switch (s.reason) {
    case 'shutting-down':
      return { status: 'Server restarting', title: 'The maju server is restarting', detail: 'Rejoin in a moment.', screen: 'end' };
    case 'bad-room':
      return { status: 'Not a call link', title: 'This is not a valid call link', detail: 'Check the link you were sent, or start a new call.' + from, screen: 'end' };
    case 'join-timeout':
    case 'server-lost':
      return { status: 'Disconnected', title: 'Lost the connection to the maju server', detail: 'Check your internet connection, then rejoin.', screen: 'end' };
    default:
      return { status: 'Disconnected', title: 'The call ended', detail: ('The server closed the connection.' + from).trim(), screen: 'end' };
  }
}

/**
 * @typedef {object} CallViewOptions
 * @property {Document} document
 * @property {string} roomUrl   The link to this call, to copy and show.
 * @property {() => void} onRejoin Called when the person asks to join again.
 */

/** The room page. */
export class CallView {
  /** @type {Document} */
  #doc;
  #roomUrl;
  /** @type {() => void} */
  #onRejoin;
  /** @type {Call | null} */
  #call = null;
  /** @type {AbortController | null} */
  #subscription = null;
  #unread = 0;
  #statusText = '';
  /** @type {Map<HTMLElement, ReturnType<typeof setTimeout>>} */
  #copyTimers = new Map();
  #timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

  /** @param {CallViewOptions} options */
  constructor({ document, roomUrl, onRejoin }) {
    this.#doc = document;
    this.#roomUrl = roomUrl;
    this.#onRejoin = onRejoin;
  }

  /**
   * @template {HTMLElement} T
   * @param {string} id
   * @returns {T}
   */
  #el(id) {
    const el = this.#doc.getElementById(id);
    if (!el) throw new Error(`room page: #${id} is missing`);
    return /** @type {T} */ (el);
  }

  /** Wires the controls that do not depend on a particular call. Call once. */
  init() {
    /** @type {HTMLInputElement} */ (this.#el('invite-link')).value = this.#roomUrl;
    for (const id of ['copy-link', 'copy-link-invite']) {
      const btn = this.#el(id);
      btn.addEventListener('click', () => this.#copyLink(btn));
    }
    this.#el('invite-link').addEventListener('focus', (ev) => {
      /** @type {HTMLInputElement} */ (ev.currentTarget).select();
    });

    this.#el('mute-btn').addEventListener('click', () => {
      const call = this.#call;
      if (call) call.setMicEnabled(!call.mediaState.micOn);
    });
    this.#el('camera-btn').addEventListener('click', () => {
      const call = this.#call;
      if (call) call.setCameraEnabled(!call.mediaState.cameraOn);
    });
    this.#el('hangup-btn').addEventListener('click', () => this.#call?.hangup());
    this.#el('rejoin-btn').addEventListener('click', () => this.#onRejoin());
    this.#el('retry-btn').addEventListener('click', () => this.#onRejoin());

    this.#el('chat-toggle').addEventListener('click', () => this.#setChatOpen(this.#el('chat-panel').hidden !== false));
    this.#el('chat-close').addEventListener('click', () => this.#setChatOpen(false));
    this.#el('chat-panel').addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') this.#setChatOpen(false);
    });

    const input = /** @type {HTMLTextAreaElement} */ (this.#el('chat-input'));
    const form = /** @type {HTMLFormElement} */ (this.#el('chat-form'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.#sendChat();
    });
    input.addEventListener('keydown', (ev) => {
      // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition (Korean, …) is not a send.
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        this.#sendChat();
      }
    });
    input.addEventListener('input', () => this.#fitInput());

    const remote = /** @type {HTMLVideoElement} */ (this.#el('remote-video'));
    remote.muted = false;
    this.#el('play-btn').addEventListener('click', () => this.#playRemote());
    for (const type of ['resize', 'loadedmetadata', 'emptied']) {
      remote.addEventListener(type, () => this.#renderRemoteVideo());
    }
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => this.#fitRemoteVideo()).observe(this.#el('stage'));
    }
  }

  /**
   * Shows this call, replacing any call shown before. The chat log stays.
   * @param {Call} call
   */
  attach(call) {
    this.#subscription?.abort();
    const sub = new AbortController();
    this.#subscription = sub;
    this.#call = call;
    const opts = { signal: sub.signal };

    /**
     * @template T
     * @param {string} type
     * @param {(detail: T) => void} fn
     */
    const on = (type, fn) =>
      call.addEventListener(type, (ev) => fn(/** @type {CustomEvent<T>} */ (ev).detail), opts);

    on('state', (/** @type {StateDetail} */ s) => this.#renderState(s));
    on('localstream', (/** @type {{stream: MediaStream | null}} */ d) => this.#renderLocal(d.stream));
    on('remotestream', (/** @type {{stream: MediaStream | null}} */ d) => this.#renderRemote(d.stream));
    on('mediastate', (/** @type {MediaState} */ m) => this.#renderMedia(m));
    on('chat', (/** @type {ChatEntry} */ e) => this.#addChat(e));
    on('chatstate', (/** @type {{open: boolean}} */ d) => this.#renderChatState(d.open));
    on('notice', (/** @type {Notice} */ n) => this.#showNotice(n.message));
    on('path', (/** @type {{path: IcePath | null}} */ d) => this.#renderPath(d.path));

    this.#showNotice('');
    this.#renderState(call.stateDetail);
    this.#renderLocal(call.localStream);
    this.#renderRemote(call.remoteStream);
    this.#renderMedia(call.mediaState);
    this.#renderChatState(call.chatOpen);
    this.#renderPath(call.path);
  }

  /**
   * Replaces the page with a message, for browsers that cannot make calls at all.
   * @param {string} title
   * @param {string} detail
   */
  showFatal(title, detail) {
    this.#el('call-view').hidden = true;
    this.#el('room-full').hidden = true;
    this.#el('end-view').hidden = false;
    this.#el('end-title').textContent = title;
    this.#el('end-detail').textContent = detail;
    this.#el('rejoin-btn').hidden = true;
    this.#el('copy-link').hidden = true;
    this.#setStatus('Cannot make calls', 'ended');
  }

  // --- state ---------------------------------------------------------------------------------------

  /** @param {StateDetail} s */
  #renderState(s) {
    const view = describeState(s);
    const screen = view.screen ?? 'call';
    this.#setStatus(view.status, s.state);
    this.#renderPath(this.#call?.path ?? null);

    this.#el('call-view').hidden = screen !== 'call';
    this.#el('room-full').hidden = screen !== 'full';
    this.#el('end-view').hidden = screen !== 'end';
    this.#el('copy-link').hidden = screen !== 'call';
    if (screen === 'end') {
      this.#el('end-title').textContent = view.title;
      this.#el('end-detail').textContent = view.detail;
      this.#el('rejoin-btn').hidden = false;
    }
    if (screen !== 'call') this.#showNotice('');

    this.#el('stage-title').textContent = view.title;
    this.#el('stage-detail').textContent = view.detail;
    this.#el('invite').hidden = !view.invite;
    this.#el('retry-btn').hidden = !view.retry;
    this.#renderRemoteVideo();

    const hangup = /** @type {HTMLButtonElement} */ (this.#el('hangup-btn'));
    hangup.disabled = screen !== 'call';
  }

  /**
   * @param {string} text
   * @param {string} state
   */
  #setStatus(text, state) {
    this.#doc.body.dataset.state = state;
    this.#el('call-state').textContent = text;
    this.#statusText = text;
    this.#renderTitle();
  }

  #renderTitle() {
    const unread = this.#unread > 0 ? `(${this.#unread}) ` : '';
    this.#doc.title = `${unread}maju · ${this.#statusText}`;
  }

  /**
   * Shows how the call travels (direct or relayed) next to "Connected"; hidden in any other state.
   * @param {IcePath | null} path
   */
  #renderPath(path) {
    const el = this.#el('call-path');
    const show = path !== null && this.#call?.state === 'connected';
    const text = show ? describePath(path) : '';
    if (el.textContent !== text) el.textContent = text;
    el.hidden = !show;
    if (show) {
      el.title = explainPath(path);
      this.#doc.body.dataset.path = path.relayed ? 'relayed' : 'direct';
    } else {
      el.removeAttribute('title');
      delete this.#doc.body.dataset.path;
    }
  }

  /** @param {string} text '' hides the notice. */
  #showNotice(text) {
    const notice = this.#el('notice');
    notice.textContent = text;
    notice.hidden = text === '';
  }

  // --- video ---------------------------------------------------------------------------------------

  /** @param {MediaStream | null} stream */
  #renderLocal(stream) {
    const video = /** @type {HTMLVideoElement} */ (this.#el('local-video'));
    video.muted = true;
    if (video.srcObject !== stream) {
      video.srcObject = stream;
      if (stream) video.play().catch(() => {}); // muted video may always play; ignore odd browsers
    }
  }

  /** @param {MediaStream | null} stream */
  #renderRemote(stream) {
    const video = /** @type {HTMLVideoElement} */ (this.#el('remote-video'));
    if (video.srcObject !== stream) {
      video.srcObject = stream;
      if (stream) {
        this.#playRemote();
      } else {
        this.#el('play-btn').hidden = true;
      }
    }
    this.#renderRemoteVideo();
  }

  #playRemote() {
    const video = /** @type {HTMLVideoElement} */ (this.#el('remote-video'));
    const btn = this.#el('play-btn');
    video.muted = false;
    video.play().then(
      () => {
        btn.hidden = true;
      },
      (err) => {
        // Autoplay with sound can be refused until the person interacts with the page.
        if (err instanceof DOMException && err.name === 'NotAllowedError') btn.hidden = false;
      },
    );
  }

  /** Shows the stage message unless the other person's video is there to look at. */
  #renderRemoteVideo() {
    const video = /** @type {HTMLVideoElement} */ (this.#el('remote-video'));
    const stream = /** @type {MediaStream | null} */ (video.srcObject);
    const hasVideo = !!stream && stream.getVideoTracks().length > 0 && video.videoWidth > 0;
    const state = this.#call?.state ?? 'starting';
    const inCall = state === 'connected' || state === 'reconnecting';
    this.#doc.body.classList.toggle('has-remote-video', inCall && hasVideo);
    const message = this.#el('stage-message');
    message.hidden = inCall && hasVideo;
    this.#fitRemoteVideo();
    if (state === 'connected' && !hasVideo) {
      const live = stream?.getTracks().filter((t) => t.readyState === 'live') ?? [];
      let detail = '';
      if (live.length === 0) {
        detail = 'The other person is not sending audio or video (no camera or microphone). They can still see and hear you.';
      } else if (!live.some((t) => t.kind === 'video')) {
        detail = 'The other person has no camera: audio only.';
      }
      this.#el('stage-detail').textContent = detail;
    }
  }

  /**
   * Fills the stage with the other person's picture (cropping a little) when its shape is close to the
   * stage's, such as a phone's portrait video on a phone; otherwise shows all of it, with bars.
   */
  #fitRemoteVideo() {
    const video = /** @type {HTMLVideoElement} */ (this.#el('remote-video'));
    const stage = this.#el('stage');
    const { videoWidth: vw, videoHeight: vh } = video;
    const { clientWidth: sw, clientHeight: sh } = stage;
    let cover = false;
    if (vw > 0 && vh > 0 && sw > 0 && sh > 0) {
      const a = vw / vh;
      const b = sw / sh;
      cover = Math.max(a, b) / Math.min(a, b) < 1.3;
    }
    video.classList.toggle('fit-cover', cover);
  }

  /** @param {MediaState} m */
  #renderMedia(m) {
    const mute = /** @type {HTMLButtonElement} */ (this.#el('mute-btn'));
    mute.disabled = !m.hasMic;
    mute.setAttribute('aria-pressed', String(m.hasMic && !m.micOn));
    setLabel(mute, !m.hasMic ? 'No mic' : m.micOn ? 'Mute' : 'Muted');

    const cam = /** @type {HTMLButtonElement} */ (this.#el('camera-btn'));
    cam.disabled = !m.hasCamera;
    cam.setAttribute('aria-pressed', String(m.hasCamera && !m.cameraOn));
    setLabel(cam, !m.hasCamera ? 'No camera' : m.cameraOn ? 'Stop camera' : 'Camera off');

    const off = this.#el('self-off');
    off.hidden = m.hasCamera && m.cameraOn;
    off.textContent = m.hasCamera ? 'Camera off' : 'No camera';
    this.#el('self-view').classList.toggle('is-off', !(m.hasCamera && m.cameraOn));
  }

  // --- chat ----------------------------------------------------------------------------------------

  /** @param {boolean} open */
  #setChatOpen(open) {
    const panel = this.#el('chat-panel');
    panel.hidden = !open;
    this.#doc.body.classList.toggle('chat-open', open);
    const toggle = this.#el('chat-toggle');
    toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      this.#setUnread(0);
      const log = this.#el('chat-log');
      log.scrollTop = log.scrollHeight;
      const input = /** @type {HTMLTextAreaElement} */ (this.#el('chat-input'));
      (input.disabled ? this.#el('chat-close') : input).focus();
    } else if (panel.contains(this.#doc.activeElement)) {
      toggle.focus();
    }
  }

  /** @param {number} n */
  #setUnread(n) {
    this.#unread = n;
    const badge = this.#el('unread-badge');
    badge.textContent = n > 99 ? '99+' : String(n);
    badge.hidden = n === 0;
    const toggle = this.#el('chat-toggle');
    if (n > 0) {
      toggle.setAttribute('aria-label', `Chat, ${n} unread`);
    } else {
      toggle.removeAttribute('aria-label');
    }
    this.#renderTitle();
  }

  /** @param {boolean} open */
  #renderChatState(open) {
    const input = /** @type {HTMLTextAreaElement} */ (this.#el('chat-input'));
    const send = /** @type {HTMLButtonElement} */ (this.#el('chat-send'));
    input.disabled = !open;
    send.disabled = !open;
    input.placeholder = open ? 'Write a message…' : 'Not connected';
  }

  #sendChat() {
    const call = this.#call;
    const input = /** @type {HTMLTextAreaElement} */ (this.#el('chat-input'));
    const text = input.value;
    if (!call || text.trim() === '') return;
    try {
      call.sendChat(text);
    } catch (err) {
      this.#showNotice(`Message not sent: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    input.value = '';
    this.#fitInput();
    input.focus();
  }

  #fitInput() {
    const input = /** @type {HTMLTextAreaElement} */ (this.#el('chat-input'));
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  /** @param {ChatEntry} entry */
  #addChat(entry) {
    const doc = this.#doc;
    const log = this.#el('chat-log');
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;

    const item = doc.createElement('li');
    item.className = `chat-msg from-${entry.from}`;
    const meta = doc.createElement('p');
    meta.className = 'chat-meta';
    const sender = doc.createElement('span');
    sender.className = 'chat-sender';
    sender.textContent = entry.from === 'me' ? 'You' : 'Them';
    const time = doc.createElement('time');
    time.className = 'chat-time';
    const when = new Date(entry.receivedAt);
    time.dateTime = when.toISOString();
    time.textContent = this.#timeFormat.format(when);
    meta.append(sender, ' ', time);
    const text = doc.createElement('p');
    text.className = 'chat-text';
    text.textContent = entry.text; // text, never HTML
    item.append(meta, text);
    log.append(item);
    this.#el('chat-empty').hidden = true;

    if (atBottom || entry.from === 'me') log.scrollTop = log.scrollHeight;
    if (entry.from === 'them' && this.#el('chat-panel').hidden) this.#setUnread(this.#unread + 1);
  }

  // --- copy link -----------------------------------------------------------------------------------

  /** @param {HTMLElement} btn */
  async #copyLink(btn) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(this.#roomUrl);
      ok = true;
    } catch {
      ok = this.#copyBySelection();
    }
    const label = btn.querySelector('.copy-label');
    if (!label) return;
    label.textContent = ok ? 'Copied' : 'Copy failed — select the link';
    if (!ok) this.#revealInvite();
    clearTimeout(this.#copyTimers.get(btn));
    this.#copyTimers.set(
      btn,
      setTimeout(() => {
        label.textContent = 'Copy link';
      }, 2000),
    );
  }

  /** The old way to copy, for pages without the Clipboard API (plain HTTP on a LAN address). */
  #copyBySelection() {
    const input = /** @type {HTMLInputElement} */ (this.#el('invite-link'));
    const hidden = this.#el('invite').hidden;
    try {
      this.#el('invite').hidden = false;
      input.select();
      return this.#doc.execCommand('copy');
    } catch {
      return false;
    } finally {
      this.#el('invite').hidden = hidden;
    }
  }

  #revealInvite() {
    const invite = this.#el('invite');
    if (!invite.hidden) /** @type {HTMLInputElement} */ (this.#el('invite-link')).select();
  }
}

/**
 * @param {HTMLElement} btn
 * @param {string} text
 */
function setLabel(btn, text) {
  const label = btn.querySelector('.ctl-label');
  if (label) label.textContent = text;
}

// CallView: the room page's DOM. It draws what a Call reports (its events) and turns clicks and keys into
// Call methods. All user text goes in with textContent, never as HTML.

/** @typedef {import('./call.js').Call} Call */
/** @typedef {import('./call.js').StateDetail} StateDetail */
/** @typedef {import('./call.js').ChatEntry} ChatEntry */
/** @typedef {import('./localmedia.js').MediaState} MediaState */
/** @typedef {import('./devices.js').DeviceList} DeviceList */
/** @typedef {import('./call.js').Notice} Notice */
/** @typedef {import('./icepath.js').IcePath} IcePath */

import { byId } from './dom.js';
import { describePath } from './icepath.js';
import { setAttr, setText } from './localize.js';
import { ChatPanel } from './ui-chat.js';
import { InvitePanel } from './ui-invite.js';
import { SettingsSheet } from './ui-settings.js';
import { StatsPanel } from './ui-stats.js';
import { SelfView } from './pip.js';
import { ControlsAutoHide } from './autohide.js';
import { ScreenWake } from './wakelock.js';

/**
 * What a state looks like, as locale keys: the words in the status line, the big title and detail on
 * the stage.
 * @typedef {object} StateView
 * @property {string} status  Short text, always visible (#call-state).
 * @property {string} title   Big text on the stage.
 * @property {string} detail  One or two sentences under the title; '' for none.
 * @property {Record<string, string>} [params] Values for the texts' {placeholders}.
 * @property {boolean} [invite] Show the link to share.
 * @property {boolean} [retry]  Show "Try again".
 * @property {'call' | 'full' | 'end'} [screen] Which screen shows; 'call' when missing.
 */

/**
 * The texts of a state whose status line and title are the same key.
 * @param {string} key
 * @param {Partial<StateView>} [more]
 * @returns {StateView}
 */
function same(key, more = {}) {
  return { status: key, title: key, detail: `${key}.detail`, ...more };
}

/**
 * @param {StateDetail} s
 * @returns {StateView}
 */
export function describeState(s) {
  switch (s.state) {
    case 'starting':
      return same('state.starting', { invite: true });
    case 'waiting':
      return same('state.waiting', { invite: true });
    case 'connecting':
      return same('state.connecting');
    case 'connected':
      return same('state.connected', { detail: '' });
    case 'reconnecting':
      // Whose connection is the trouble: this side's to the server, the other person's, or the path.
      if (s.reason === 'server') return same('state.reconnectingServer');
      if (s.reason === 'peer') return same('state.peerReconnecting');
      return same('state.reconnecting');
    case 'peer-left':
      return same(s.reason === 'hangup' ? 'state.peerLeft' : 'state.peerDropped', { invite: true });
    case 'full':
      return same('state.full', { detail: '', screen: 'full' });
    case 'failed':
      if (s.diagnosis) {
        // Why it never connected (diagnosis.js), in the person's terms.
        const d = s.diagnosis;
        return { status: 'state.failed', title: `${d.key}.title`, detail: `${d.key}.detail`, params: d.params, retry: true };
      }
      if (s.reason === 'timeout') {
        return { status: 'state.failed', title: 'state.failed.timeout.title', detail: 'state.failed.timeout.detail', retry: true };
      }
      return { status: 'state.failed.ice', title: 'state.failed.ice.title', detail: 'state.failed.ice.detail', retry: true };
    case 'left':
      return same('state.left', { screen: 'end' });
    case 'ended':
      return endedView(s);
  }
}

/**
 * @param {StateDetail} s
 * @returns {StateView}
 */
function endedView(s) {
  /** @param {string} key */
  const ended = (key) => ({ status: key, title: `${key}.title`, detail: `${key}.detail`, screen: /** @type {const} */ ('end') });
  switch (s.reason) {
    case 'replaced':
      return ended('state.replaced');
    case 'too-many-rooms':
      return ended('state.tooManyRooms');
    case 'bad-room':
      return ended('state.badRoom');
    case 'join-timeout':
    case 'server-lost':
      return ended('state.lost');
    default:
      if (s.message) {
        return { status: 'state.lost', title: 'state.ended.title', detail: 'state.ended.serverSaid', params: { message: s.message }, screen: 'end' };
      }
      return { status: 'state.lost', title: 'state.ended.title', detail: 'state.ended.detail', screen: 'end' };
  }
}

/**
 * @typedef {object} CallViewOptions
 * @property {Document} document
 * @property {import('./localize.js').PageLanguage} language The page's language (and its switch).
 * @property {string} roomUrl   The link to this call, to copy and show.
 * @property {() => void} onRejoin Called when the person asks to join again.
 */

/** The room page. */
export class CallView {
  /** @type {Document} */
  #doc;
  #language;
  #roomUrl;
  /** @type {() => void} */
  #onRejoin;
  /** @type {Call | null} */
  #call = null;
  /** @type {AbortController | null} */
  #subscription = null;
  /** The status line's key and values, for the document title. */
  #status = { key: 'state.starting', params: /** @type {Record<string, string> | undefined} */ (undefined) };
  #chat;
  #autoHide;
  #wake;
  #settings;
  #stats;

  /** @param {CallViewOptions} options */
  constructor({ document, language, roomUrl, onRejoin }) {
    this.#doc = document;
    this.#language = language;
    this.#roomUrl = roomUrl;
    this.#onRejoin = onRejoin;
    this.#chat = new ChatPanel({
      document,
      t: () => this.#language.t,
      locale: () => this.#language.locale,
      send: (text) => {
        if (!this.#call) throw new Error('no call');
        this.#call.sendChat(text);
      },
      onUnread: () => this.#renderTitle(),
      onError: (key, params) => this.#showNotice(key, params),
    });
    this.#wake = new ScreenWake({ wakeLock: navigator.wakeLock, document });
    this.#stats = new StatsPanel({
      document,
      pc: () => this.#call?.pc ?? null,
      t: () => this.#language.t,
      locale: () => this.#language.locale,
      onToggle: (open) => this.#settings.renderStats(open),
    });
    this.#settings = new SettingsSheet({
      document,
      call: () => this.#call,
      t: () => this.#language.t,
      onStats: (open) => this.#stats.setOpen(open),
    });
    this.#autoHide = new ControlsAutoHide({
      body: document.body,
      stage: this.#el('stage'),
      canHide: () =>
        this.#call?.state === 'connected' &&
        document.body.classList.contains('has-remote-video') &&
        this.#el('chat-panel').hidden === true &&
        !this.#settings.open,
    });
  }

  get #t() {
    return this.#language.t;
  }

  /**
   * @template {HTMLElement} T
   * @param {string} id
   * @returns {T}
   */
  #el(id) {
    return byId(this.#doc, id);
  }

  /** Wires the controls that do not depend on a particular call. Call once. */
  init() {
    new InvitePanel({ document: this.#doc, roomUrl: this.#roomUrl, t: () => this.#t }).init();

    this.#el('mute-btn').addEventListener('click', () => {
      const call = this.#call;
      if (call) call.setMicEnabled(!call.mediaState.micOn);
    });
    this.#el('camera-btn').addEventListener('click', () => {
      const call = this.#call;
      if (call) call.setCameraEnabled(!call.mediaState.cameraOn);
    });
    this.#el('hangup-btn').addEventListener('click', () => this.#call?.hangup());
    this.#el('flip-btn').addEventListener('click', () => void this.#call?.flipCamera());
    this.#el('share-btn').addEventListener('click', () => {
      const call = this.#call;
      if (call) void (call.sharingScreen ? call.stopScreenShare() : call.startScreenShare());
    });
    this.#settings.init();
    this.#stats.init();
    this.#el('rejoin-btn').addEventListener('click', () => this.#onRejoin());
    this.#el('retry-btn').addEventListener('click', () => this.#onRejoin());
    this.#chat.init();
    new SelfView(this.#el('self-view'), this.#el('stage')).init();
    this.#autoHide.init();
    // Back from the background (phones pause media there): play again, and the wake lock comes back.
    this.#doc.addEventListener('visibilitychange', () => {
      if (this.#doc.visibilityState !== 'visible') return;
      if (/** @type {HTMLVideoElement} */ (this.#el('remote-video')).srcObject) this.#playRemote();
      /** @type {HTMLVideoElement} */ (this.#el('local-video')).play().catch(() => {});
    });

    const remote = /** @type {HTMLVideoElement} */ (this.#el('remote-video'));
    remote.muted = false;
    this.#el('play-btn').addEventListener('click', () => this.#playRemote());
    for (const type of ['resize', 'loadedmetadata', 'emptied']) {
      remote.addEventListener(type, () => this.#renderRemoteVideo());
    }
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => this.#fitRemoteVideo()).observe(this.#el('stage'));
    }
    // Marked texts follow a change of language by themselves (localize.js); these are computed.
    this.#language.onChange(() => {
      this.#renderTitle();
      this.#chat.relocalize();
      this.#settings.relocalize();
      this.#stats.relocalize();
    });
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
    on('devices', (/** @type {DeviceList} */ d) => this.#settings.renderDevices(d));
    on('chat', (/** @type {ChatEntry} */ e) => this.#chat.add(e));
    on('chatstatus', (/** @type {{id: string, status: import('./chatlog.js').ChatStatus}} */ d) => this.#chat.setStatus(d.id, d.status));
    on('chatstate', (/** @type {{open: boolean}} */ d) => this.#chat.renderState(d.open));
    on('notice', (/** @type {Notice} */ n) => this.#showNotice(n.key, n.params));
    on('path', (/** @type {{path: IcePath | null}} */ d) => this.#renderPath(d.path));

    this.#showNotice('');
    this.#renderState(call.stateDetail);
    this.#renderLocal(call.localStream);
    this.#renderRemote(call.remoteStream);
    this.#renderMedia(call.mediaState);
    this.#settings.renderDevices(call.devices);
    this.#chat.renderState(call.chatOpen);
    this.#chat.showHistory(call.chatHistory);
    this.#renderPath(call.path);
  }

  /**
   * Replaces the page with a message, for browsers that cannot make calls at all (title and detail are
   * locale keys). keepLink leaves "Copy link" up, to open the call in another browser.
   * @param {string} title
   * @param {string} detail
   * @param {{keepLink?: boolean}} [options]
   */
  showFatal(title, detail, { keepLink = false } = {}) {
    this.#el('call-view').hidden = true;
    this.#el('room-full').hidden = true;
    this.#el('end-view').hidden = false;
    setText(this.#el('end-title'), this.#t, title);
    setText(this.#el('end-detail'), this.#t, detail);
    this.#el('rejoin-btn').hidden = true;
    this.#el('copy-link').hidden = !keepLink;
    this.#setStatus('unsupported.status', 'ended');
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
      setText(this.#el('end-title'), this.#t, view.title, view.params);
      setText(this.#el('end-detail'), this.#t, view.detail, view.params);
      this.#el('rejoin-btn').hidden = false;
    }
    if (screen !== 'call') this.#showNotice('');

    setText(this.#el('stage-title'), this.#t, view.title, view.params);
    setText(this.#el('stage-detail'), this.#t, view.detail, view.params);
    this.#el('invite').hidden = !view.invite;
    this.#el('retry-btn').hidden = !view.retry;
    this.#renderRemoteVideo();

    const hangup = /** @type {HTMLButtonElement} */ (this.#el('hangup-btn'));
    hangup.disabled = screen !== 'call';
    void this.#wake.set(s.state === 'connected' || s.state === 'reconnecting');
    this.#autoHide.show(); // a change of state is worth seeing
  }

  /**
   * @param {string} key
   * @param {string} state
   */
  #setStatus(key, state) {
    this.#doc.body.dataset.state = state;
    setText(this.#el('call-state'), this.#t, key);
    this.#status = { key, params: undefined };
    this.#renderTitle();
  }

  #renderTitle() {
    const status = this.#t(this.#status.key, this.#status.params);
    const unread = this.#chat.unread;
    this.#doc.title = unread > 0 ? this.#t('room.docTitleUnread', { count: unread, status }) : this.#t('room.docTitle', { status });
  }

  /**
   * Shows how the call travels (direct or relayed) next to "Connected"; hidden in any other state.
   * @param {IcePath | null} path
   */
  #renderPath(path) {
    const el = this.#el('call-path');
    const show = path !== null && this.#call?.state === 'connected';
    el.hidden = !show;
    if (show) {
      const { key, params } = describePath(path);
      setText(el, this.#t, key, params);
      setAttr(el, 'title', this.#t, `${key}.explain`, params);
      this.#doc.body.dataset.path = path.relayed ? 'relayed' : 'direct';
    } else {
      setText(el, this.#t, '');
      setAttr(el, 'title', this.#t, '');
      delete this.#doc.body.dataset.path;
    }
  }

  /**
   * @param {string} key '' hides the notice.
   * @param {Record<string, string>} [params]
   */
  #showNotice(key, params) {
    const notice = this.#el('notice');
    setText(notice, this.#t, key, params);
    notice.hidden = key === '';
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

  /**
   * Plays the other person's video with sound. Browsers that allow sound only after a tap (iOS Safari,
   * Chrome without prior interaction) refuse: then the picture plays muted at once, and "Tap to hear"
   * (or any tap on the page) turns the sound on.
   */
  #playRemote() {
    const video = /** @type {HTMLVideoElement} */ (this.#el('remote-video'));
    const btn = this.#el('play-btn');
    video.muted = false;
    video.play().then(
      () => {
        btn.hidden = true;
      },
      (err) => {
        if (!(err instanceof DOMException && err.name === 'NotAllowedError')) return;
        btn.hidden = false;
        video.muted = true;
        video.play().catch(() => {});
        this.#doc.addEventListener('pointerdown', () => this.#playRemote(), { once: true, capture: true });
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
        detail = 'remote.nothing';
      } else if (!live.some((t) => t.kind === 'video')) {
        detail = 'remote.audioOnly';
      }
      setText(this.#el('stage-detail'), this.#t, detail);
    }
  }

  /**
   * Plays the other person's sound on the chosen speaker (where the browser lets a page choose).
   * @param {string} speakerId '' for the system's default.
   */
  #applySpeaker(speakerId) {
    const video = /** @type {HTMLVideoElement & {sinkId?: string, setSinkId?: (id: string) => Promise<void>}} */ (this.#el('remote-video'));
    if (typeof video.setSinkId !== 'function' || video.sinkId === speakerId) return;
    video.setSinkId(speakerId).catch((err) => console.warn('maju: could not switch the speaker:', err));
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
    const t = this.#t;
    const mute = /** @type {HTMLButtonElement} */ (this.#el('mute-btn'));
    mute.disabled = !m.hasMic;
    mute.setAttribute('aria-pressed', String(m.hasMic && !m.micOn));
    setLabel(mute, t, !m.hasMic ? 'ctl.noMic' : m.micOn ? 'ctl.mute' : 'ctl.muted');

    const cam = /** @type {HTMLButtonElement} */ (this.#el('camera-btn'));
    cam.disabled = !m.hasCamera;
    cam.setAttribute('aria-pressed', String(m.hasCamera && !m.cameraOn));
    setLabel(cam, t, !m.hasCamera ? 'ctl.noCamera' : m.cameraOn ? 'ctl.stopCamera' : 'ctl.cameraOff');

    const flip = this.#el('flip-btn');
    flip.hidden = !m.canFlip;
    /** @type {HTMLButtonElement} */ (flip).disabled = !m.cameraOn;
    const share = this.#el('share-btn');
    share.hidden = !m.canShareScreen;
    share.setAttribute('aria-pressed', String(m.sharingScreen));
    setLabel(share, t, m.sharingScreen ? 'ctl.sharing' : 'ctl.share');
    this.#doc.body.classList.toggle('sharing-screen', m.sharingScreen);
    this.#doc.body.classList.toggle('camera-back', m.facingMode === 'environment');
    this.#applySpeaker(m.canChooseSpeaker ? m.speakerId : '');
    this.#settings.renderMedia(m);

    const off = this.#el('self-off');
    off.hidden = m.hasCamera && m.cameraOn;
    setText(off, t, m.hasCamera ? 'self.cameraOff' : 'self.noCamera');
    this.#el('self-view').classList.toggle('is-off', !(m.hasCamera && m.cameraOn));
  }
}

/**
 * @param {HTMLElement} btn
 * @param {import('./i18n.js').Translate} t
 * @param {string} key
 */
function setLabel(btn, t, key) {
  const label = btn.querySelector('.ctl-label');
  if (label) setText(label, t, key);
}

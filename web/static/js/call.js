// Call: one person's side of a maju call. It joins the room over signaling, creates an RTCPeerConnection
// when the other person is there, runs perfect negotiation, carries chat over the "chat" data channel, and
// reports a small state machine as events. This side's camera, microphone and screen are LocalMedia's
// (localmedia.js); Call puts its tracks on the peer connection in place (senders.js: replaceTrack, so
// flipping the camera, switching devices or sharing the screen keeps the same connection and renegotiates
// nothing) and caps the video when data saver is on (quality.js). No DOM: ui.js draws what the events say,
// and no words for people: notices are locale keys (locales/*.js).
//
// Events (all CustomEvent):
//   'state'        {state, reason, message} — see CallState
//   'localstream'  {stream, hasAudio, hasVideo} — once media acquisition is done (stream may be null), and
//                  again if a stream first appears later (a device chosen in a receive-only call). The
//                  stream object then stays for the whole call while its tracks change: flip, device
//                  switch, screen sharing, audio-only. Its video track is always what is being sent.
//   'remotestream' {stream}                 — the other person's media, or null when they are gone; again
//                  when a track joins or leaves it (they went audio-only, or came back)
//   'mediastate'   MediaState               — micOn, cameraOn, hasMic, hasCamera as before, plus audioOnly,
//                  sharingScreen, dataSaver, dataSaverSuggested, facingMode, cameraId, microphoneId,
//                  speakerId, canFlip, canShareScreen, canChooseSpeaker (localmedia.js)
//   'devices'      {cameras, microphones, speakers} of {deviceId, label} — when the lists change
//                  ('devicechange'); devices the browser hides (no id before permission) are left out
//   'chat'         ChatEntry                — a message sent or received (chatlog.js: kept in the tab,
//                  resent until acknowledged, shown once); chatHistory has the ones from before a reload
//   'chatstatus'   {id, status}             — one of my messages is now 'pending', 'sent' or 'delivered'
//   'chatstate'    {open}                   — whether chat can be sent right now (someone to send to)
//   'notice'       {kind, key, params}      — something the person should know that is not a state: a
//                  locale key and its {placeholder} values (media.js, NOTICE_KEYS, lists every key)
//   'path'         {path}                   — the network path while connected (icepath.js), null otherwise
//
// Media methods (all safe to call at any time after start(); device operations run one at a time, never
// reject, and report failures as 'notice'):
//   setMicEnabled(on), setCameraEnabled(on) → MediaState   mute and camera-off, kept across every switch
//   flipCamera() → Promise<boolean>          front/back by facingMode, else the next camera by deviceId
//   useDevice(kind, deviceId) → Promise<boolean>  'videoinput' | 'audioinput' switch now; 'audiooutput'
//                                            is only remembered: the UI applies speakerId with setSinkId
//   startScreenShare(), stopScreenShare() → Promise<boolean>  (only where canShareScreen)
//   setAudioOnly(on) → Promise<boolean>      stop sending video and release the camera; off: camera back
//   setDataSaver(on) → MediaState            cap outgoing video; on by itself with Save-Data or cellular
// Getters: devices, canFlip, canShareScreen, sharingScreen, dataSaver, audioOnly, speakerId, mediaState.
//
// Decisions the UI should know (audio-only stops sending only; the camera is released while sharing; what
// is remembered) are at the top of localmedia.js.

import { Negotiation } from './negotiation.js';
import { LocalMedia } from './localmedia.js';
import { Prefs, pageStorage } from './prefs.js';
import { browserAbilities } from './devices.js';
import { PeerSenders } from './senders.js';
import { ChatLog, chatKey, pageSessionStorage } from './chatlog.js';
import { IceServers, offersRelay } from './iceservers.js';
import { PeerWatch } from './peerwatch.js';
import { CallReport } from './callreport.js';
import { FINAL_REASONS } from './signaling.js';
import { IceRestarter } from './icerestart.js';
import { isRoomId } from './roomid.js';

/**
 * The call states.
 * - starting:     joining the room (and asking for the camera and microphone)
 * - waiting:      in the room alone
 * - connecting:   the other person is there; the peer-to-peer connection is being made
 * - connected:    media and chat flow peer to peer
 * - reconnecting: the connection was interrupted; ICE may recover
 * - peer-left:    the other person left (reason 'hangup' or 'disconnected'); waiting for them again
 * - full:         the room already has two people
 * - failed:       the peer-to-peer connection could not be made or failed (reason 'timeout' or 'ice-failed')
 * - left:         this person hung up
 * - ended:        the server connection ended (reason: an error code, or 'server-lost')
 * @typedef {'starting' | 'waiting' | 'connecting' | 'connected' | 'reconnecting' | 'peer-left' | 'full' | 'failed' | 'left' | 'ended'} CallState
 */

/**
 * @typedef {object} StateDetail
 * @property {CallState} state
 * @property {string} reason  Machine-readable cause, '' when there is none.
 * @property {string} message Text from the server, for people, '' when there is none.
 * @property {import('./diagnosis.js').Diagnosis} [diagnosis] Why it could not connect: state 'failed'
 *   of a connection that never worked.
 */

/** @typedef {import('./chatlog.js').ChatEntry} ChatEntry */

/** @typedef {import('./localmedia.js').MediaState} MediaState */
/** @typedef {import('./devices.js').DeviceList} DeviceList */
/** @typedef {import('./devices.js').DeviceKind} DeviceKind */

/**
 * A resume token: 16 random bytes in URL-safe base64 without padding, like a room id.
 * @returns {string}
 */
export function newResumeToken() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/**
 * This tab's resume token for a room: the one kept in session storage (a reload), else a new one, kept.
 * @param {import('./chatlog.js').ChatStorage | null} session
 * @param {string} roomId
 * @param {() => string} newToken
 * @returns {string}
 */
function resumeToken(session, roomId, newToken) {
  const key = `maju.resume.${roomId}`;
  try {
    const kept = session?.getItem(key);
    if (kept && isRoomId(kept)) return kept; // a token has a room id's form
  } catch {
    // unreadable storage: a new token
  }
  const token = newToken();
  try {
    session?.setItem(key, token);
  } catch {
    // full or blocked storage: a reload then starts a new seat
  }
  return token;
}

/**
 * The pair number a welcome or peer-joined gives (docs/protocol.md); 0 from a server that gives none.
 * @param {import('./signaling.js').SignalMessage} m
 * @returns {number}
 */
function pairNumber(m) {
  return typeof m.pair === 'number' && Number.isSafeInteger(m.pair) && m.pair > 0 ? m.pair : 0;
}

/**
 * @typedef {object} Notice
 * @property {'media' | 'server' | 'chat'} kind
 * @property {string} key Locale key (every one Call uses is in media.js, NOTICE_KEYS).
 * @property {Record<string, string>} params Values for the text's {placeholders}; for media failures also
 *   params.why, the reason that ends the key (media.js, MediaWhy).
 */

/**
 * The part of Signaling that Call uses.
 * @typedef {object} SignalingLike
 * @property {() => void} start
 * @property {(hello: () => {type: string, payload?: Record<string, unknown>} | null) => void} setHello
 * @property {(replace?: boolean) => boolean} reconnectNow
 * @property {(type: string, payload?: Record<string, unknown>) => boolean} sendMessage
 * @property {(type: string, callback: (msg: import('./signaling.js').SignalMessage) => void) => () => void} onMessage
 * @property {(code?: number, reason?: string) => void} close
 * @property {EventTarget['addEventListener']} addEventListener
 */

/**
 * @typedef {object} CallOptions
 * @property {SignalingLike} signaling
 * @property {string} roomId
 * @property {MediaDevices | undefined} [mediaDevices] undefined where the page cannot use media (no HTTPS).
 * @property {(config: RTCConfiguration) => RTCPeerConnection} [createPeerConnection]
 * @property {RTCConfiguration} [rtcConfig] Base configuration; the server's ICE servers replace its
 *   iceServers once `welcome` brings them.
 * @property {boolean} [relayOnly] Connect through a TURN relay only (iceTransportPolicy 'relay').
 * @property {number} [connectTimeout] ms to wait for the peer-to-peer connection before saying it failed.
 * @property {number} [pathInterval] ms between getStats polls for the network path while connected.
 * @property {() => string} [newId] Makes chat message ids.
 * @property {() => number} [now] Clock, Unix ms.
 * @property {import('./prefs.js').PrefsStorage} [storage] Where media choices are remembered (default:
 *   localStorage where the page may use it).
 * @property {import('./devices.js').Abilities} [abilities] What the device can do (default: read from the
 *   page: devices.js, browserAbilities).
 * @property {import('./localmedia.js').Connection | null} [connection] navigator.connection by default, for
 *   data saver's suggestion, and its 'change' events: the network changed, restart ICE.
 * @property {EventTarget | null} [online] Where 'online' events come from (window by default): the device
 *   is back on a network, restart ICE and reconnect signaling now.
 * @property {import('./chatlog.js').ChatStorage | null} [session] Where this tab keeps its resume token
 *   and the conversation (sessionStorage by default), so a reload takes back the same seat and loses no
 *   message.
 * @property {() => string} [newToken] Makes a resume token (22 URL-safe base64 characters).
 * @property {number} [restartGrace] ms a connection may stay 'disconnected' before ICE is restarted.
 * @property {number} [restartRetry] ms between ICE restarts while the connection does not come back.
 * @property {number} [maxRestarts] ICE restarts before the call is given up as failed.
 */

/** States after which nothing happens any more. */
const FINAL_STATES = new Set(['full', 'left', 'ended']);


/**
 * How long a connection may stay "connecting" before the person is told why it does not work, in ms.
 * Chromium with no usable candidate never reaches 'failed' on its own. A working connection takes a
 * second or two, a relayed one over TCP a few more.
 */
export const CONNECT_TIMEOUT = 20000;
/** How long a hung-up connection stays open for its bye to leave, in ms. */
const BYE_LINGER = 300;

export class Call extends EventTarget {
  /** @type {SignalingLike} */
  #signaling;
  #roomId;
  /** @type {(config: RTCConfiguration) => RTCPeerConnection} */
  #createPeerConnection;
  /** @type {RTCConfiguration} */
  #rtcConfig;
  #relayOnly;
  #connectTimeout;
  #pathInterval;
  /** The ICE servers from the server, refreshed before their credentials expire. */
  #ice;

  /** This side's camera, microphone and screen. */
  #local;

  /** @type {StateDetail} */
  #state = { state: 'starting', reason: '', message: '' };
  #started = false;
  /** @type {Promise<MediaStream | null> | null} */
  #media = null;
  /** Incoming signaling messages are handled one at a time, in order. */
  #inbox = Promise.resolve();
  /** The signaling socket is open (it reconnects by itself after a drop). */
  #signalingUp = false;
  /** This tab's resume token for the room's seat. */
  #token;
  /** The other person's connection to the server dropped; their seat is held. */
  #peerAway = false;
  /** The other person is in the room (present or away), as far as the server last said. */
  #peerPresent = false;
  /** The last join said keep: this side holds on to its peer connection whatever the welcome says. */
  #sentKeep = false;
  /** The server's number for the current pair (welcome, peer-joined); 0 before one. */
  #pairNo = 0;
  /** The "reconnecting to the server" notice is showing. */
  #serverNotice = false;
  /** @type {EventTarget | null} */
  #online;
  /** @type {import('./localmedia.js').Connection | null} */
  #connection;
  /** restartGrace, restartRetry, maxRestarts: for each connection's IceRestarter. */
  #restartTimings;
  /** Restarts ICE on the current peer connection when its path breaks. @type {IceRestarter | null} */
  #restarter = null;
  /** Removes the 'online' and network change listeners. */
  #unlisten = new AbortController();

  /** @type {RTCPeerConnection | null} */
  #pc = null;
  /** @type {Negotiation | null} */
  #negotiation = null;
  /** @type {RTCDataChannel | null} */
  #channel = null;
  /** Polite and the first offer has not arrived yet: local tracks and the chat channel are not added. */
  #attachPending = false;
  /** @type {MediaStream | null} */
  #remoteStream = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #connectTimer;
  /** Candidates and network path of the current peer connection. @type {PeerWatch | null} */
  #watch = null;
  /** @type {CallReport | null} what the server hears about the current attempt */
  #report = null;
  /** The conversation: the outbox until acknowledged, ids seen, kept in the tab across reloads. */
  #chat;
  /** The current connection's senders, kept in step with the local media. @type {PeerSenders | null} */
  #senders = null;

  /** @param {CallOptions} options */
  constructor({
    signaling,
    roomId,
    mediaDevices,
    createPeerConnection = (config) => new RTCPeerConnection(config),
    rtcConfig = {},
    relayOnly = false,
    connectTimeout = CONNECT_TIMEOUT,
    pathInterval = 3000,
    newId = () => crypto.randomUUID(),
    now = () => Date.now(),
    storage = pageStorage(),
    abilities = browserAbilities(mediaDevices),
    connection = /** @type {{connection?: import('./localmedia.js').Connection}} */ (globalThis.navigator ?? {}).connection ?? null,
    online = typeof window === 'undefined' ? null : window,
    session = pageSessionStorage(),
    newToken = newResumeToken,
    restartGrace = undefined,
    restartRetry = undefined,
    maxRestarts = undefined,
  }) {
    super();
    this.#signaling = signaling;
    this.#roomId = roomId;
    this.#createPeerConnection = createPeerConnection;
    this.#rtcConfig = rtcConfig;
    this.#relayOnly = relayOnly;
    this.#connectTimeout = connectTimeout;
    this.#pathInterval = pathInterval;
    this.#ice = new IceServers({ onRefreshDue: () => this.#signaling.sendMessage('ice-refresh') });
    this.#online = online;
    this.#connection = connection;
    this.#restartTimings = { grace: restartGrace, retry: restartRetry, max: maxRestarts };
    this.#token = resumeToken(session, roomId, newToken);
    this.#chat = new ChatLog({ storage: session, key: chatKey(roomId), newId, now });
    this.#chat.addEventListener('entry', (ev) => this.#emit('chat', /** @type {CustomEvent} */ (ev).detail));
    this.#chat.addEventListener('status', (ev) => this.#emit('chatstatus', /** @type {CustomEvent} */ (ev).detail));
    // The other person hung up (said on the data channel, so it arrives even while the server is away).
    this.#chat.addEventListener('bye', () => this.#enqueue(() => this.#onPeerLeft({ v: 1, type: 'peer-left', reason: 'hangup' })));
    this.#local = new LocalMedia({
      mediaDevices,
      prefs: new Prefs(storage),
      abilities,
      connection,
      send: (kind, track) => this.#sendTrack(kind, track),
    });
    for (const type of ['localstream', 'mediastate', 'devices', 'notice']) {
      this.#local.addEventListener(type, (ev) => this.#emit(type, /** @type {CustomEvent} */ (ev).detail));
    }
    // Data saver turned on or off, or the video changed size: the limits follow.
    this.#local.addEventListener('mediastate', () => this.#senders?.limit());
  }

  /** The current state. */
  get state() {
    return this.#state.state;
  }

  /** The current state with its reason. */
  get stateDetail() {
    return { ...this.#state };
  }

  /** Whether this side is connected to the signaling server now (it reconnects by itself after a drop). */
  get signalingUp() {
    return this.#signalingUp;
  }

  /** The room id. */
  get roomId() {
    return this.#roomId;
  }

  /** The current peer connection, or null while alone. Read it; do not change it. */
  get pc() {
    return this.#pc;
  }

  /** The network path while connected (direct or relayed), or null. */
  get path() {
    const p = this.#watch?.path;
    return p ? { ...p } : null;
  }

  /** Whether this call connects through a relay only (?ice=relay). */
  get relayOnly() {
    return this.#relayOnly;
  }

  /** The latest ICE servers from the server, or null before `welcome`. */
  get iceServers() {
    return this.#ice.servers;
  }

  /** This side's camera (or screen) and microphone, or null (receive only, or not acquired yet). */
  get localStream() {
    return this.#local.stream;
  }

  /** The other person's media, or null. */
  get remoteStream() {
    return this.#remoteStream;
  }

  /**
   * Whether a chat message can be sent now: there is someone to send it to. It may wait in the outbox
   * (status 'pending') while the connection is down; it is delivered when it is back.
   */
  get chatOpen() {
    return this.#pc !== null && !FINAL_STATES.has(this.#state.state);
  }

  /** The conversation so far (restored after a reload), oldest first. */
  get chatHistory() {
    return this.#chat.entries;
  }

  /** @returns {MediaState} */
  get mediaState() {
    return this.#local.state;
  }

  // Shortcuts to mediaState's fields, and the device lists ({deviceId, label} each).
  /** @returns {DeviceList} */
  get devices() { return this.#local.devices; }
  get canFlip() { return this.#local.state.canFlip; }
  get canShareScreen() { return this.#local.state.canShareScreen; }
  get sharingScreen() { return this.#local.state.sharingScreen; }
  get dataSaver() { return this.#local.dataSaver; }
  get audioOnly() { return this.#local.state.audioOnly; }
  /** '' for the default; the UI applies it with HTMLMediaElement.setSinkId. */
  get speakerId() { return this.#local.state.speakerId; }

  /** Asks for media and joins the room. Call once. */
  start() {
    if (this.#started) throw new Error('Call.start() called twice');
    this.#started = true;
    this.#emitState('starting');

    this.#media = this.#acquireMedia();
    const sig = this.#signaling;
    /** @type {Record<string, (msg: import('./signaling.js').SignalMessage) => Promise<void> | void>} */
    const handlers = {
      welcome: (m) => this.#onWelcome(m),
      'peer-joined': (m) => this.#onPeerJoined(m),
      'peer-left': (m) => this.#onPeerLeft(m),
      'peer-reconnecting': () => this.#onPeerReconnecting(),
      offer: (m) => this.#onDescription(m),
      answer: (m) => this.#onDescription(m),
      candidate: (m) => this.#onCandidate(m),
      error: (m) => this.#onError(m),
    };
    for (const [type, handle] of Object.entries(handlers)) {
      sig.onMessage(type, (msg) => this.#enqueue(() => handle(msg)));
    }
    // Fresh credentials are taken at once, not after the queue: a peer connection being set up (waiting
    // for the camera, or for the offer) must gather with them, not with ones that expired meanwhile.
    sig.onMessage('ice-servers', (msg) => this.#onIceServers(msg));
    sig.addEventListener('open', () => this.#enqueue(() => {
      this.#signalingUp = true;
    }));
    sig.addEventListener('down', () => this.#enqueue(() => this.#onSignalingDown()));
    sig.addEventListener('close', (ev) => {
      const detail = /** @type {CustomEvent<import('./signaling.js').CloseDetail>} */ (ev).detail;
      this.#enqueue(() => this.#onSignalingClosed(detail));
    });
    // Every socket, the first and each after a drop, starts with this join (docs/protocol.md,
    // "Reconnecting and resuming a seat").
    sig.setHello(() => ({ type: 'join', payload: this.#joinPayload() }));
    this.#listenToNetwork();
    sig.start();
  }

  /** The join for the next socket: this tab's token, and whether it keeps its peer connection. */
  #joinPayload() {
    /** @type {Record<string, unknown>} */
    const payload = { room: this.#roomId, resume: this.#token };
    const pc = this.#pc;
    this.#sentKeep = !!pc && !!this.#negotiation && pc.connectionState !== 'closed' && !this.#attachPending;
    if (this.#sentKeep) {
      payload.keep = true;
      payload.polite = this.#negotiation?.polite;
    }
    return payload;
  }

  /** The device is back online or changed networks: the path the call used may be gone. */
  #listenToNetwork() {
    const { signal } = this.#unlisten;
    const changed = () => this.#enqueue(() => this.#onNetworkChange());
    this.#online?.addEventListener('online', changed, { signal });
    // navigator.connection says 'change' for every new bandwidth estimate too; only a new kind of network
    // (wifi → cellular) means the path is gone. Where type is unknown (desktop) 'online' has to do.
    const conn = this.#connection;
    let type = conn?.type;
    conn?.addEventListener?.('change', () => {
      if (conn.type === type) return;
      type = conn.type;
      changed();
    }, { signal });
  }

  #onNetworkChange() {
    if (FINAL_STATES.has(this.#state.state)) return;
    console.debug('maju: call: the network changed');
    // The socket rode the old network and may be dead without knowing it yet: a new one, now.
    if (this.#signaling.reconnectNow(true)) this.#signalingUp = false;
    if (this.#restarter?.everConnected) this.#restarter.request(); // waits for signaling if it must
  }

  /** Hangs up: tells the server, closes the connection, stops the camera and microphone. */
  hangup() {
    if (!this.#started || FINAL_STATES.has(this.#state.state)) return;
    // Over the data channel too, so the other side shows "left" at once even while the server is away.
    // Closing the connection at once could drop the bye unsent: it lingers a moment (the camera and
    // microphone stop now, so nothing more is sent but the bye).
    const byeSent = this.#sendBye();
    this.#signaling.sendMessage('leave');
    this.#signaling.close();
    this.#closePeer(byeSent ? BYE_LINGER : 0);
    this.#stopMedia();
    this.#emitState('left');
  }

  // This side's media: see the top of this file and localmedia.js for what each does.
  /** @param {boolean} on mute (false) or unmute; track.enabled, the other side receives silence */
  setMicEnabled(on) { return this.#local.setMicEnabled(on); }
  /** @param {boolean} on camera off (false: black frames) or on */
  setCameraEnabled(on) { return this.#local.setCameraEnabled(on); }
  flipCamera() { return this.#local.flipCamera(); }
  /** @param {DeviceKind} kind @param {string} deviceId */
  useDevice(kind, deviceId) { return this.#local.useDevice(kind, deviceId); }
  startScreenShare() { return this.#local.startScreenShare(); }
  stopScreenShare() { return this.#local.stopScreenShare(); }
  /** @param {boolean} on */
  setAudioOnly(on) { return this.#local.setAudioOnly(on); }
  /** @param {boolean} on */
  setDataSaver(on) { return this.#local.setDataSaver(on); }

  /**
   * Sends a chat message to the other person. It waits in the outbox until they acknowledge it, and is
   * sent again after any reconnection. Throws when there is nobody to send to or the text does not fit.
   * @param {string} text
   * @returns {ChatEntry}
   */
  sendChat(text) {
    if (!this.chatOpen) throw new Error('chat is not connected');
    return this.#chat.send(text);
  }

  // --- media ---------------------------------------------------------------------------------------

  /**
   * Gets what camera and microphone it can; null means receive only. Never rejects.
   * @returns {Promise<MediaStream | null>}
   */
  #acquireMedia() {
    return this.#local.start();
  }

  #stopMedia() {
    this.#local.stop();
  }

  /**
   * Puts LocalMedia's track of a kind on the current peer connection, in place.
   * @param {'audio' | 'video'} kind
   * @param {MediaStreamTrack | null} track
   */
  async #sendTrack(kind, track) {
    // Before the polite side's tracks are attached there is nothing to replace: #attachMedia takes the
    // stream's tracks as they are then.
    if (this.#attachPending) return;
    await this.#senders?.send(kind, track);
  }

  // --- signaling messages --------------------------------------------------------------------------

  /** @param {() => Promise<void> | void} fn */
  #enqueue(fn) {
    this.#inbox = this.#inbox.then(fn).catch((err) => console.error('maju: call:', err));
  }

  /** @param {import('./signaling.js').SignalMessage} m */
  async #onWelcome(m) {
    if (FINAL_STATES.has(this.#state.state)) return;
    this.#ice.update(m);
    this.#peerAway = false;
    if (this.#serverNotice) {
      this.#serverNotice = false;
      this.#emit('notice', { kind: 'server', key: '', params: {} }); // "reconnecting to the server" is over
    }
    this.#peerPresent = m.peer === true;
    if (m.peer === true) {
      this.#pairNo = pairNumber(m);
      await this.#pair(m.polite === true, m.resumed === true);
    } else if (this.#pc && this.#sentKeep) {
      // We said we keep our peer connection and the other person is not back on the server yet: the
      // call goes on peer to peer meanwhile; they will resume (the server will pair us as resumed, so
      // this side must still have it), or a new pair forms.
      const pc = this.#pc;
      this.#emitState(pc.connectionState === 'connected' ? 'connected' : this.#everConnected ? 'reconnecting' : 'connecting');
    } else {
      this.#closePeer();
      this.#emitState('waiting');
    }
  }

  /**
   * The pair formed (or formed again): keep the peer connection when both kept theirs, else a new one.
   * @param {boolean} polite
   * @param {boolean} resumed
   */
  async #pair(polite, resumed) {
    if (resumed && this.#pc && this.#negotiation?.polite === polite) {
      this.#resumePeer();
      return;
    }
    await this.#startPeer(polite);
  }

  /** Signaling is back and the pair resumed: repair what was missed meanwhile. */
  #resumePeer() {
    const pc = /** @type {RTCPeerConnection} */ (this.#pc);
    console.debug(`maju: call: resumed the pair (connection ${pc.connectionState})`);
    // An offer sent while the server was away was lost: send it again (its answer never came). It may
    // be an ICE restart already; otherwise restart now if the connection is down.
    this.#restarter?.resumed(this.#negotiation?.resendOffer() ?? false);
    if (!this.#everConnected && this.#watch && this.#report) this.#armConnectTimer(pc, this.#watch, this.#report, false);
    if (pc.connectionState === 'connected') {
      this.#emitState('connected');
    } else {
      this.#emitState(this.#everConnected ? 'reconnecting' : 'connecting');
    }
  }

  /**
   * Fresh credentials: used for every later peer connection and given to the current one, for the
   * relay allocations it makes from now on (ICE restarts). Allocations it has keep working.
   * @param {import('./signaling.js').SignalMessage} m
   */
  #onIceServers(m) {
    if (FINAL_STATES.has(this.#state.state)) return;
    const iceServers = this.#ice.update(m);
    const pc = this.#pc;
    if (!iceServers || !pc) return;
    try {
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
    } catch (err) {
      console.warn('maju: could not update the ICE servers of the connection:', err);
    }
  }

  /** @param {import('./signaling.js').SignalMessage} m */
  async #onPeerJoined(m) {
    if (FINAL_STATES.has(this.#state.state)) return;
    this.#peerAway = false;
    this.#peerPresent = true;
    this.#pairNo = pairNumber(m);
    await this.#pair(m.polite === true, m.resumed === true);
  }

  /** The other person's connection to the server dropped; their seat is held for a while. */
  #onPeerReconnecting() {
    if (FINAL_STATES.has(this.#state.state)) return;
    this.#peerAway = true;
    // While the peer connection still works nothing changes for this person; otherwise say who is away.
    const pc = this.#pc;
    if (pc && pc.connectionState !== 'connected' && this.#everConnected) this.#emitState('reconnecting', 'peer');
  }

  /** @param {import('./signaling.js').SignalMessage} m */
  #onPeerLeft(m) {
    if (FINAL_STATES.has(this.#state.state)) return;
    this.#peerAway = false;
    this.#peerPresent = false;
    this.#closePeer();
    const reason = m.reason === 'hangup' ? 'hangup' : 'disconnected';
    this.#emitState('peer-left', reason);
  }

  /** @param {import('./signaling.js').SignalMessage} m */
  async #onDescription(m) {
    const type = m.type;
    if (!this.#negotiation || typeof m.sdp !== 'string' || (type !== 'offer' && type !== 'answer')) return;
    // Polite: our tracks go in now, before the offer is applied, so the answer carries them (addTrack's
    // transceivers take the offer's m-lines).
    if (type === 'offer' && this.#attachPending && this.#pc) this.#attachMedia(this.#pc, false);
    await this.#negotiation.handleDescription({ type, sdp: m.sdp });
  }

  /** @param {import('./signaling.js').SignalMessage} m */
  async #onCandidate(m) {
    if (!this.#negotiation) return;
    const c = m.candidate;
    if (c === null) {
      await this.#negotiation.handleCandidate(null);
      return;
    }
    if (typeof c !== 'object' || c === undefined) return;
    const o = /** @type {Record<string, unknown>} */ (c);
    if (typeof o.candidate !== 'string') return;
    this.#watch?.remoteCandidate(o.candidate);
    await this.#negotiation.handleCandidate({
      candidate: o.candidate,
      sdpMid: typeof o.sdpMid === 'string' ? o.sdpMid : null,
      sdpMLineIndex: typeof o.sdpMLineIndex === 'number' ? o.sdpMLineIndex : null,
      usernameFragment: typeof o.usernameFragment === 'string' ? o.usernameFragment : null,
    });
  }

  /** @param {import('./signaling.js').SignalMessage} m */
  #onError(m) {
    const code = typeof m.code === 'string' ? m.code : 'unknown';
    const message = typeof m.message === 'string' ? m.message : '';
    // Only a final refusal ends the call; other fatal errors (shutting-down, slow-consumer, join-timeout)
    // close the socket, and signaling reconnects.
    if (!FINAL_REASONS.has(code)) {
      console.warn('maju: the server said:', code, message);
      return;
    }
    if (FINAL_STATES.has(this.#state.state)) return;
    this.#closePeer();
    this.#stopMedia();
    if (code === 'room-full') {
      this.#emitState('full', code, message);
    } else {
      this.#emitState('ended', code, message);
    }
  }

  /** The signaling socket dropped; Signaling tries again by itself. */
  #onSignalingDown() {
    this.#signalingUp = false;
    if (FINAL_STATES.has(this.#state.state)) return;
    const s = this.#state.state;
    if (s === 'connected' || s === 'reconnecting') {
      // Media and chat go peer to peer: the call goes on without the server.
      this.#serverNotice = true;
      this.#emit('notice', { kind: 'server', key: 'server.reconnecting', params: {} });
    } else {
      this.#emitState('reconnecting', 'server');
    }
  }

  /**
   * Signaling is over for good: this side hung up, or the server refused for good (FINAL_REASONS).
   * @param {import('./signaling.js').CloseDetail} detail
   */
  #onSignalingClosed(detail) {
    this.#signalingUp = false;
    this.#ice.stop();
    if (FINAL_STATES.has(this.#state.state) || detail.byClient) return;
    this.#closePeer();
    this.#stopMedia();
    this.#emitState(detail.reason === 'room-full' ? 'full' : 'ended', detail.reason || 'server-lost');
  }

  // --- the peer connection -------------------------------------------------------------------------

  /**
   * Creates a fresh peer connection for the other person, with our tracks and the chat channel.
   * @param {boolean} polite
   */
  async #startPeer(polite) {
    this.#closePeer();
    this.#emitState('connecting');
    await this.#media;
    if (FINAL_STATES.has(this.#state.state) || this.#state.state !== 'connecting' || this.#pc) return;

    const pc = this.#createPeerConnection(this.#peerConfig());
    this.#pc = pc;
    this.#emit('chatstate', { open: true });
    const report = new CallReport({ send: (payload) => this.#signaling.sendMessage('call-report', payload) });
    this.#report = report;
    const watch = new PeerWatch({
      pc,
      pathInterval: this.#pathInterval,
      onPath: (path) => {
        if (this.#watch !== watch) return;
        report.path(path);
        this.#emit('path', { path });
      },
    });
    this.#watch = watch;
    const negotiation = new Negotiation({
      pc,
      polite,
      // Each message says which pair it is for: the server drops it if that pair has been replaced
      // meanwhile (an offer of this connection must not reach the new page of someone who reloaded).
      send: (type, payload) => this.#signaling.sendMessage(type, this.#pairNo ? { ...payload, pair: this.#pairNo } : payload),
    });
    this.#negotiation = negotiation;
    negotiation.start();
    this.#restarter = new IceRestarter({
      pc,
      restart: () => negotiation.restartIce(),
      // Nobody could get the offer while signaling or the other person is away (and it could reach
      // whoever takes the seat next): it waits for the resumed pair.
      canOffer: () => this.#signalingUp && !this.#peerAway,
      onGiveUp: () => this.#emitState('failed', 'ice-failed'),
      run: (fn) => this.#enqueue(fn),
      ...this.#restartTimings,
    });

    pc.addEventListener('track', (ev) => this.#onTrack(pc, ev));
    pc.addEventListener('connectionstatechange', () => this.#onConnectionState(pc));
    this.#senders = new PeerSenders(pc, this.#local);

    // The impolite side makes the first offer (a browser as soon as it has its tracks, the Go peer at
    // once). The polite side adds its tracks and the chat channel only when that offer arrives, just
    // before applying it: then it never makes a first offer of its own that it would have to roll back.
    // Perfect negotiation would sort such a collision out, but Chromium 156 sometimes gathers no ICE
    // candidates at all after rolling back its first offer, and the call never connects.
    if (polite) {
      this.#attachPending = true;
    } else {
      this.#attachMedia(pc, true);
    }
    // Relay-only without a relay cannot work at all: say so now instead of after the timeout.
    const hopeless = this.#relayOnly && !offersRelay(pc.getConfiguration().iceServers ?? []);
    this.#armConnectTimer(pc, watch, report, hopeless);
  }

  /**
   * Says why the connection does not come up if it is still not connected after the connect timeout
   * (at once when hopeless).
   * @param {RTCPeerConnection} pc
   * @param {PeerWatch} watch
   * @param {CallReport} report
   * @param {boolean} hopeless
   */
  #armConnectTimer(pc, watch, report, hopeless) {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = setTimeout(() => {
      if (this.#pc !== pc || pc.connectionState === 'connected') return;
      report.failed('timeout');
      this.#emitState('failed', 'timeout', '', watch.diagnose());
    }, hopeless ? 0 : this.#connectTimeout);
  }

  /**
   * The configuration for a new peer connection: the server's latest ICE servers, and relay-only mode.
   * @returns {RTCConfiguration}
   */
  #peerConfig() {
    /** @type {RTCConfiguration} */
    const config = { ...this.#rtcConfig };
    const servers = this.#ice.servers;
    if (servers) config.iceServers = servers;
    if (this.#relayOnly) config.iceTransportPolicy = 'relay';
    return config;
  }

  /**
   * Adds the local tracks and the chat channel to pc.
   * @param {RTCPeerConnection} pc
   * @param {boolean} askToReceive Also add receive-only transceivers for the kinds this side does not
   *   send, so that an offer from this side asks for the other person's audio and video. Not needed when
   *   answering an offer, which already has them.
   */
  #attachMedia(pc, askToReceive) {
    this.#attachPending = false;
    this.#openChannel(pc);
    const local = this.#local.stream;
    for (const track of local?.getTracks() ?? []) pc.addTrack(track, /** @type {MediaStream} */ (local));
    this.#senders?.limit();
    if (!askToReceive) return;
    // Also when audio-only: the video transceiver is there to receive, and to send once video comes back.
    if (!local || local.getAudioTracks().length === 0) pc.addTransceiver('audio', { direction: 'recvonly' });
    if (!local || local.getVideoTracks().length === 0) pc.addTransceiver('video', { direction: 'recvonly' });
  }

  /** @param {RTCPeerConnection} pc */
  #openChannel(pc) {
    const channel = pc.createDataChannel('chat', { negotiated: true, id: 0, ordered: true });
    this.#channel = channel;
    this.#chat.attach(channel);
  }

  /**
   * @param {RTCPeerConnection} pc
   * @param {RTCTrackEvent} ev
   */
  #onTrack(pc, ev) {
    if (this.#pc !== pc) return;
    let stream = ev.streams[0];
    if (!stream) {
      // A sender without a stream (possible from non-browser peers): collect its tracks in one stream.
      stream = this.#remoteStream ?? new MediaStream();
      if (!stream.getTracks().includes(ev.track)) stream.addTrack(ev.track);
    }
    if (stream !== this.#remoteStream) this.#watchRemote(stream);
    this.#remoteStream = stream;
    this.#emit('remotestream', { stream });
  }

  /**
   * Says 'remotestream' again when a track leaves or rejoins the other person's stream (they went
   * audio-only and back: senders.js), so the UI can stop showing a video that no longer comes.
   * @param {MediaStream} stream
   */
  #watchRemote(stream) {
    const again = () => {
      if (this.#remoteStream === stream) this.#emit('remotestream', { stream });
    };
    stream.addEventListener('removetrack', again);
    stream.addEventListener('addtrack', again);
  }

  /** @param {RTCPeerConnection} pc */
  #onConnectionState(pc) {
    if (this.#pc !== pc || FINAL_STATES.has(this.#state.state)) return;
    const restarter = this.#restarter;
    switch (pc.connectionState) {
      case 'connected':
        clearTimeout(this.#connectTimer);
        restarter?.connected();
        this.#report?.connected();
        this.#emitState('connected');
        this.#watch?.connected();
        break;
      case 'disconnected':
        this.#watch?.interrupted();
        if (!this.#everConnected) break;
        this.#emitState('reconnecting', this.#peerAway ? 'peer' : '');
        restarter?.disconnected();
        break;
      case 'failed':
        clearTimeout(this.#connectTimer);
        this.#watch?.interrupted();
        if (this.#everConnected && !this.#peerPresent && this.#signalingUp) {
          // The server says nobody is there to come back to (they left while it was away).
          this.#closePeer();
          this.#emitState('peer-left', 'disconnected');
        } else if (this.#everConnected) {
          this.#emitState('reconnecting', this.#peerAway ? 'peer' : '');
          restarter?.request();
        } else {
          this.#report?.failed('ice-failed');
          this.#emitState('failed', 'ice-failed', '', this.#watch?.diagnose());
        }
        break;
    }
  }

  /** Whether the current peer connection has been connected at least once. */
  get #everConnected() {
    return this.#restarter?.everConnected ?? false;
  }

  /**
   * Says goodbye on the data channel, best effort.
   * @returns {boolean} whether it went to an open channel
   */
  #sendBye() {
    return this.#chat.sendBye();
  }

  /**
   * Lets go of the peer connection: nothing it reports is acted on any more.
   * @param {number} [linger] ms to wait before closing the connection itself (a bye on its way out).
   */
  #closePeer(linger = 0) {
    clearTimeout(this.#connectTimer);
    this.#restarter?.stop();
    this.#restarter = null;
    const pc = this.#pc;
    if (!pc) return;
    this.#watch?.stop();
    this.#watch = null;
    this.#report = null;
    this.#senders = null;
    this.#pc = null;
    this.#attachPending = false;
    this.#negotiation?.stop();
    this.#negotiation = null;
    const channel = this.#channel;
    this.#channel = null;
    this.#chat.detach();
    const close = () => {
      channel?.close();
      pc.close();
    };
    if (linger > 0) {
      setTimeout(close, linger);
    } else {
      close();
    }
    if (this.#remoteStream) {
      this.#remoteStream = null;
      this.#emit('remotestream', { stream: null });
    }
    this.#emit('chatstate', { open: false });
  }

  // --- events --------------------------------------------------------------------------------------

  /**
   * @param {CallState} state
   * @param {string} [reason]
   * @param {string} [message]
   * @param {import('./diagnosis.js').Diagnosis} [diagnosis]
   */
  #emitState(state, reason = '', message = '', diagnosis = undefined) {
    const s = this.#state;
    if (s.state === state && s.reason === reason && s.message === message && s.diagnosis?.code === diagnosis?.code) return;
    if (FINAL_STATES.has(state)) {
      this.#ice.stop();
      this.#unlisten.abort();
      this.#chat.detach();
    }
    this.#state = diagnosis ? { state, reason, message, diagnosis } : { state, reason, message };
    console.debug(`maju: call: ${state}${reason ? ` (${reason})` : ''}`);
    this.#emit('state', { ...this.#state });
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

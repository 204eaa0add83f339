// Stand-ins for what web/static/js/call.js talks to — the signaling connection, RTCPeerConnection and its
// chat channel — for the unit tests of Call (call-ice, call-media, call-resume). Each test drives them by
// hand; the browser tests in e2e/ check the same against Chromium.
import { FakeTransceiver } from './fakemedia.mjs';

/** A Signaling that records what the call sends; the test delivers messages and socket events. */
export class FakeSignaling extends EventTarget {
  /** @type {{type: string, payload: Record<string, unknown>}[]} */
  sent = [];
  /** @type {Map<string, (m: any) => void>[]} */
  handlers = [];
  /** @type {() => {type: string, payload?: Record<string, unknown>} | null} */
  hello = () => null;
  reconnects = 0;
  /** What reconnectNow answers: whether a new socket is being opened. */
  replaces = false;
  /** @param {() => {type: string, payload?: Record<string, unknown>} | null} hello */
  setHello(hello) {
    this.hello = hello;
  }
  /** The first socket opens at once and sends the hello. */
  start() {
    this.open();
  }
  /** A socket opens: the hello goes first. */
  open() {
    const h = this.hello();
    if (h) this.sent.push({ type: h.type, payload: h.payload ?? {} });
    this.dispatchEvent(new Event('open'));
  }
  /** The socket dropped; Signaling would try again. */
  drop() {
    this.dispatchEvent(new CustomEvent('down', { detail: { code: 1006, reason: '', byClient: false, retryIn: 500 } }));
  }
  /** @param {boolean} [replace] */
  reconnectNow(replace = false) {
    this.reconnects++;
    if (replace && this.replaces) this.drop();
    return replace && this.replaces;
  }
  /** @param {string} type @param {Record<string, unknown>} [payload] */
  sendMessage(type, payload = {}) {
    this.sent.push({ type, payload });
    return true;
  }
  /** @param {string} type @param {(m: any) => void} cb */
  onMessage(type, cb) {
    this.handlers.push(new Map([[type, cb]]));
    return () => {};
  }
  close() {}
  /** @param {Record<string, unknown>} msg */
  deliver(msg) {
    const m = { v: 1, ...msg };
    for (const h of this.handlers) h.get(/** @type {string} */ (m.type))?.(m);
  }
  /** @param {string} type */
  count(type) {
    return this.sent.filter((s) => s.type === type).length;
  }
  /** @param {string} type */
  last(type) {
    return this.sent.filter((s) => s.type === type).at(-1);
  }
}

/** The chat data channel: what the call sends on it is kept; the test opens it and delivers. */
export class FakeChannel extends EventTarget {
  readyState = 'connecting';
  /** @type {string[]} */
  sent = [];
  bufferedAmount = 0;
  /** @param {string} data */
  send(data) {
    if (this.readyState !== 'open') throw new Error('channel not open');
    this.sent.push(data);
  }
  open() {
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
  /** @param {string} data */
  receive(data) {
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
  close() {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}

/** Just enough of RTCPeerConnection for Call; the test drives its states. */
export class FakePC extends EventTarget {
  /** @type {FakePC[]} */
  static made = [];
  connectionState = 'new';
  signalingState = 'stable';
  /** @type {{type?: string, sdp: string} | null} */
  remoteDescription = null;
  /** @type {{type?: string, sdp: string} | null} */
  localDescription = null;
  /** @type {RTCConfiguration[]} */
  setConfigurations = [];
  /** @type {Map<string, any>} */
  stats = new Map();
  /** @type {FakeTransceiver[]} */
  transceivers = [];
  /** @type {FakeChannel | null} */
  channel = null;
  iceRestarts = 0;
  /** @param {RTCConfiguration} [config] */
  constructor(config = {}) {
    super();
    this.config = { bundlePolicy: 'balanced', iceTransportPolicy: 'all', ...config };
    FakePC.made.push(this);
  }
  getConfiguration() {
    return structuredClone(this.config);
  }
  /** @param {RTCConfiguration} config */
  setConfiguration(config) {
    this.setConfigurations.push(config);
    this.config = structuredClone(config);
  }
  createDataChannel() {
    this.channel = new FakeChannel();
    return this.channel;
  }
  /** @param {any} track */
  addTrack(track) {
    const t = new FakeTransceiver(track.kind, 'sendrecv', track);
    this.transceivers.push(t);
    return t.sender;
  }
  /** @param {'audio' | 'video'} kind @param {{direction: RTCRtpTransceiverDirection}} init */
  addTransceiver(kind, init) {
    this.transceivers.push(new FakeTransceiver(kind, init.direction));
  }
  getTransceivers() {
    return this.transceivers;
  }
  async getStats() {
    return this.stats;
  }
  /** Like the browser: the next offer restarts ICE, negotiationneeded says so. */
  restartIce() {
    this.iceRestarts++;
    queueMicrotask(() => this.dispatchEvent(new Event('negotiationneeded')));
  }
  /** @param {{type: string, sdp: string}} [desc] */
  async setLocalDescription(desc) {
    if (desc) {
      this.localDescription = desc;
      this.signalingState = desc.type === 'answer' ? 'stable' : 'have-local-offer';
      return;
    }
    const type = this.signalingState === 'have-remote-offer' ? 'answer' : 'offer';
    this.localDescription = { type, sdp: `fake ${type} ${this.iceRestarts}` };
    this.signalingState = type === 'offer' ? 'have-local-offer' : 'stable';
  }
  /** @param {{type: string, sdp: string}} desc */
  async setRemoteDescription(desc) {
    this.remoteDescription = desc;
    this.signalingState = desc.type === 'offer' ? 'have-remote-offer' : 'stable';
  }
  async addIceCandidate() {}
  close() {
    this.connectionState = 'closed';
    this.signalingState = 'closed';
  }
  /** @param {string} state */
  setState(state) {
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }
}

/** Lets the call's promise chains run (real setImmediate; tests mock only setTimeout). */
export async function settle() {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

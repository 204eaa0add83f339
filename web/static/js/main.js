// The room page: wires Signaling → Call → CallView.
//
// The room URL's query may say `?ice=relay`: connect through a TURN relay only, so the other person
// never learns this device's IP address (iceservers.js).
//
// Test and debug hooks, nothing in the app depends on them:
// - window.majuCall is the current Call (read-only; replaced on rejoin). End-to-end tests read call state
//   and the peer connection through it, e.g. `majuCall.pc.getStats()`.
// - window.majuTestOptions, when a script that runs before this one sets it, may shorten timings:
//   {connectTimeout: ms before "could not connect", pathInterval: ms between network path checks}.

import { Signaling } from './signaling.js';
import { Call } from './call.js';
import { CallView } from './ui.js';
import { PageLanguage } from './localize.js';
import { roomIdFromPath } from './roomid.js';
import { relayOnlyFromQuery } from './iceservers.js';
import { registerServiceWorker } from './pwa.js';

registerServiceWorker();

const roomId = roomIdFromPath(location.pathname);
const roomUrl = `${location.origin}/r/${roomId ?? ''}`;
const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
const relayOnly = relayOnlyFromQuery(location.search);
const testOptions = readTestOptions();

/** @type {Call | null} */
let current = null;

const language = new PageLanguage(document);
language.init();
const view = new CallView({
  document,
  language,
  roomUrl,
  onRejoin: () => {
    current?.hangup();
    current = startCall(/** @type {string} */ (roomId));
  },
});
view.init();

if (!roomId) {
  view.showFatal('state.badRoom.title', 'state.badRoom.detail');
} else if (!canMakeCalls()) {
  view.showFatal('unsupported.title', 'unsupported.detail', { keepLink: true });
} else {
  current = startCall(roomId);
}

/**
 * Whether this browser can make calls: WebRTC, and camera access where the page is secure. (On a plain
 * HTTP page media is missing because of the page, not the browser: the call goes on receive-only and
 * says why.) Browsers built into chat apps often lack one of them.
 */
function canMakeCalls() {
  if (typeof RTCPeerConnection === 'undefined') return false;
  return !window.isSecureContext || typeof navigator.mediaDevices?.getUserMedia === 'function';
}

/**
 * @param {string} id
 * @returns {Call}
 */
function startCall(id) {
  const signaling = new Signaling({ url: wsUrl });
  const call = new Call({ signaling, roomId: id, mediaDevices: navigator.mediaDevices, relayOnly, ...testOptions });
  view.attach(call);
  Object.defineProperty(window, 'majuCall', { value: call, configurable: true, enumerable: false, writable: false });
  call.start();
  return call;
}

/**
 * The timings a test asked for through window.majuTestOptions; positive numbers only.
 * @returns {{connectTimeout?: number, pathInterval?: number}}
 */
function readTestOptions() {
  const raw = /** @type {{majuTestOptions?: unknown}} */ (/** @type {unknown} */ (window)).majuTestOptions;
  /** @type {{connectTimeout?: number, pathInterval?: number}} */
  const out = {};
  if (typeof raw !== 'object' || raw === null) return out;
  const o = /** @type {Record<string, unknown>} */ (raw);
  for (const key of /** @type {const} */ (['connectTimeout', 'pathInterval'])) {
    const v = o[key];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[key] = v;
  }
  return out;
}

// Leaving the page is not hanging up: a reload must take the seat back and the call must come back
// (docs/protocol.md, "Reconnecting and resuming a seat"). The browser closes the socket with 1001 as the
// page unloads, and the server holds the seat only briefly for that, so a closed tab reads as "left" soon.

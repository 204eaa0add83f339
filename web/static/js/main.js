// The room page: wires Signaling → Call → CallView.
//
// Test and debug hook: window.majuCall is the current Call (read-only; replaced on rejoin). End-to-end
// tests read call state and the peer connection through it, e.g. `majuCall.pc.getStats()`. Nothing in
// the app depends on it.

import { Signaling } from './signaling.js';
import { Call } from './call.js';
import { CallView } from './ui.js';
import { roomIdFromPath } from './roomid.js';

const roomId = roomIdFromPath(location.pathname);
const roomUrl = `${location.origin}/r/${roomId ?? ''}`;
const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;

/** @type {Call | null} */
let current = null;

const view = new CallView({
  document,
  roomUrl,
  onRejoin: () => {
    current?.hangup();
    current = startCall(/** @type {string} */ (roomId));
  },
});
view.init();

if (!roomId) {
  view.showFatal('This is not a valid call link', 'Check the link you were sent, or start a new call.');
} else if (typeof RTCPeerConnection === 'undefined') {
  view.showFatal('This browser cannot make calls', 'It has no WebRTC. Open this link in a current Chrome, Firefox, Edge or Safari.');
} else {
  current = startCall(roomId);
}

/**
 * @param {string} id
 * @returns {Call}
 */
function startCall(id) {
  const signaling = new Signaling({ url: wsUrl });
  const call = new Call({ signaling, roomId: id, mediaDevices: navigator.mediaDevices });
  view.attach(call);
  Object.defineProperty(window, 'majuCall', { value: call, configurable: true, enumerable: false, writable: false });
  call.start();
  return call;
}

// Closing or leaving the page is hanging up: the other person sees "left", not "connection dropped".
window.addEventListener('pagehide', (ev) => {
  if (!ev.persisted) current?.hangup();
});

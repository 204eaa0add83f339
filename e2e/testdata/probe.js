// Test probe, injected by the e2e tests into every page before the page's own scripts
// (Page.addScriptToEvaluateOnNewDocument). It only reads: the DOM, media elements, and the call through
// the documented test hook window.majuCall. It also records alert() calls, so a test can prove that no
// chat text ever ran as HTML.
(() => {
  /** @type {{energy: number, duration: number} | null} */
  let lastAudio = null;

  const probe = {
    alerts: [],
    /** Content-Security-Policy violations of the page: "directive blocked-uri" each. */
    cspViolations: [],

    /** Trimmed textContent of the first match, or null. */
    text(sel) {
      const el = document.querySelector(sel);
      return el ? el.textContent.trim() : null;
    },

    /** Whether the first match is rendered: not inside [hidden], with a box, not visibility:hidden. */
    visible(sel) {
      const el = document.querySelector(sel);
      if (!el || el.closest('[hidden]')) return false;
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    },

    /** The first inbound-rtp stats entry of this kind on the current peer connection, or null. */
    async inbound(kind) {
      const pc = window.majuCall && window.majuCall.pc;
      if (!pc) return null;
      const stats = await pc.getStats();
      for (const s of stats.values()) {
        if (s.type === 'inbound-rtp' && s.kind === kind) return s;
      }
      return null;
    },

    /**
     * Received audio energy per second of audio since the previous call that returned a number, measured
     * over at least minSeconds of received audio; null until such a window is complete.
     */
    async audioRate(minSeconds) {
      const s = await probe.inbound('audio');
      if (!s || typeof s.totalAudioEnergy !== 'number' || typeof s.totalSamplesDuration !== 'number') return null;
      const now = { energy: s.totalAudioEnergy, duration: s.totalSamplesDuration };
      if (!lastAudio || now.duration < lastAudio.duration) {
        lastAudio = now;
        return null;
      }
      const d = now.duration - lastAudio.duration;
      if (d < minSeconds) return null;
      const rate = (now.energy - lastAudio.energy) / d;
      lastAudio = now;
      return rate;
    },

    /** Mean luma (0–255) of the current frame of a video element, or -1 without a frame. */
    brightness(sel) {
      const v = document.querySelector(sel);
      if (!v || v.videoWidth === 0) return -1;
      const c = document.createElement('canvas');
      c.width = 32;
      c.height = 24;
      const g = c.getContext('2d', { willReadFrequently: true });
      g.drawImage(v, 0, 0, c.width, c.height);
      const px = g.getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4) sum += 0.2126 * px[i] + 0.7152 * px[i + 1] + 0.0722 * px[i + 2];
      return sum / (px.length / 4);
    },

    /** A one-line summary of the page, for failure messages. */
    summary() {
      const call = window.majuCall;
      const pc = call && call.pc;
      const v = document.querySelector('#remote-video');
      return JSON.stringify({
        url: location.pathname,
        status: probe.text('#call-state'),
        state: call ? call.state : null,
        pc: pc ? [pc.connectionState, pc.iceConnectionState, pc.signalingState] : null,
        chatOpen: call ? call.chatOpen : null,
        remoteVideo: v ? [v.videoWidth, v.videoHeight, v.currentTime, v.paused] : null,
        notice: probe.text('#notice'),
        path: probe.text('#call-path'),
        diagnosis: call && call.stateDetail.diagnosis ? call.stateDetail.diagnosis.code : null,
        localCandidates: pc && pc.localDescription ? (pc.localDescription.sdp.match(/a=candidate:.*/g) || []).length : null,
        remoteCandidates: pc && pc.remoteDescription ? (pc.remoteDescription.sdp.match(/a=candidate:.*/g) || []).length : null,
      });
    },
  };

  Object.defineProperty(window, '__e2e', { value: probe });
  document.addEventListener('securitypolicyviolation', (e) => {
    probe.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
  });
  window.alert = (m) => {
    probe.alerts.push(String(m));
  };
})();

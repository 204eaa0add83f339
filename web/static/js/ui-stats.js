// StatsPanel: "Connection details" over the call — round trip, bitrate, packet loss, resolution and
// frame rate, codecs and the path — read from the peer connection's getStats() once a second while the
// panel is open (callstats.js does the arithmetic). Nothing is polled while it is closed.

import { byId } from './dom.js';
import { StatsMonitor, formatStats } from './callstats.js';
import { describePath } from './icepath.js';
import { setText } from './localize.js';

/** @typedef {import('./i18n.js').Translate} Translate */
/** @typedef {import('./callstats.js').CallStats} CallStats */

/**
 * @typedef {object} StatsPanelOptions
 * @property {Document} document
 * @property {() => RTCPeerConnection | null} pc The call's current peer connection.
 * @property {() => Translate} t
 * @property {() => string} locale
 * @property {(open: boolean) => void} onToggle The panel opened or closed.
 */

export class StatsPanel {
  #doc;
  #opts;
  /** @type {StatsMonitor | null} */
  #monitor = null;
  /** @type {CallStats | null} */
  #last = null;

  /** @param {StatsPanelOptions} options */
  constructor(options) {
    this.#doc = options.document;
    this.#opts = options;
  }

  /** @param {string} id */
  #el(id) {
    return byId(this.#doc, id);
  }

  get open() {
    return !this.#el('stats-panel').hidden;
  }

  init() {
    this.#el('stats-close').addEventListener('click', () => this.setOpen(false));
  }

  /** @param {boolean} open */
  setOpen(open) {
    this.#el('stats-panel').hidden = !open;
    this.#monitor?.stop();
    this.#monitor = null;
    if (open) {
      this.#last = null;
      this.#render(null);
      this.#monitor = new StatsMonitor({
        // No connection yet (or any more): an empty report, which reads as "—" everywhere.
        getStats: async () => (await this.#opts.pc()?.getStats()) ?? new Map(),
        onSample: (stats) => this.#render(stats),
      });
      this.#monitor.start();
    }
    this.#opts.onToggle(open);
  }

  /** The language changed: numbers follow it. */
  relocalize() {
    if (this.open) this.#render(this.#last);
  }

  /** @param {CallStats | null} stats */
  #render(stats) {
    this.#last = stats;
    const t = this.#opts.t();
    const f = formatStats(stats, this.#opts.locale());
    const both = (/** @type {string} */ a, /** @type {string} */ b) => `${a} / ${b}`;
    this.#el('stat-rtt').textContent = f.rtt;
    this.#el('stat-bitrate').textContent = both(f.bitrateIn, f.bitrateOut);
    this.#el('stat-loss').textContent = both(f.lossIn, f.lossOut);
    this.#el('stat-video-in').textContent = f.videoIn;
    this.#el('stat-video-out').textContent = f.videoOut;
    this.#el('stat-codecs').textContent = `${f.videoCodecIn} · ${f.audioCodecIn}`;
    const path = this.#el('stat-path');
    if (stats?.path) {
      const { key, params } = describePath(stats.path);
      setText(path, t, key, params);
    } else {
      setText(path, t, '');
      path.textContent = '—';
    }
  }
}


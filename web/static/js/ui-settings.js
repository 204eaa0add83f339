// SettingsSheet: "More" — the call's settings, a sheet on phones and a panel on a computer: which camera,
// microphone and speaker, data saver, audio only, connection details, and the language. It draws the
// Call's 'devices' and 'mediastate' and hands choices to it.

import { byId } from './dom.js';
import { setText } from './localize.js';

/** @typedef {import('./i18n.js').Translate} Translate */
/** @typedef {import('./devices.js').DeviceInfo} DeviceInfo */
/** @typedef {import('./devices.js').DeviceList} DeviceList */
/** @typedef {import('./localmedia.js').MediaState} MediaState */

/**
 * What the sheet needs of a Call.
 * @typedef {object} SettingsTarget
 * @property {(kind: 'videoinput' | 'audioinput' | 'audiooutput', deviceId: string) => Promise<boolean>} useDevice
 * @property {(on: boolean) => unknown} setDataSaver
 * @property {(on: boolean) => Promise<boolean>} setAudioOnly
 */

/**
 * @typedef {object} SettingsSheetOptions
 * @property {Document} document
 * @property {() => SettingsTarget | null} call
 * @property {() => Translate} t
 * @property {(open: boolean) => void} onStats The "Connection details" switch changed.
 */

/** The three device pickers: the <select>, its field, the device kind and the label of an unnamed one. */
const PICKERS = /** @type {const} */ ([
  { select: 'camera-select', field: 'camera-field', kind: 'videoinput', list: 'cameras', unnamed: 'settings.cameraN', current: 'cameraId' },
  { select: 'mic-select', field: 'mic-field', kind: 'audioinput', list: 'microphones', unnamed: 'settings.microphoneN', current: 'microphoneId' },
  { select: 'speaker-select', field: 'speaker-field', kind: 'audiooutput', list: 'speakers', unnamed: 'settings.speakerN', current: 'speakerId' },
]);

export class SettingsSheet {
  #doc;
  #opts;
  /** @type {DeviceList} */
  #devices = { cameras: [], microphones: [], speakers: [] };
  /** @type {MediaState | null} */
  #media = null;

  /** @param {SettingsSheetOptions} options */
  constructor(options) {
    this.#doc = options.document;
    this.#opts = options;
  }

  /** @param {string} id */
  #el(id) {
    return byId(this.#doc, id);
  }

  get open() {
    return !this.#el('settings-sheet').hidden;
  }

  init() {
    this.#el('settings-btn').addEventListener('click', () => this.setOpen(!this.open));
    this.#el('settings-close').addEventListener('click', () => this.setOpen(false));
    this.#el('settings-sheet').addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') this.setOpen(false);
    });
    for (const p of PICKERS) {
      const select = /** @type {HTMLSelectElement} */ (this.#el(p.select));
      select.addEventListener('change', () => void this.#opts.call()?.useDevice(p.kind, select.value));
    }
    this.#el('data-saver-btn').addEventListener('click', () => this.#opts.call()?.setDataSaver(!this.#media?.dataSaver));
    this.#el('audio-only-btn').addEventListener('click', () => void this.#opts.call()?.setAudioOnly(!this.#media?.audioOnly));
    const stats = this.#el('stats-btn');
    stats.addEventListener('click', () => this.#opts.onStats(stats.getAttribute('aria-checked') !== 'true'));
  }

  /** @param {boolean} open */
  setOpen(open) {
    const sheet = this.#el('settings-sheet');
    sheet.hidden = !open;
    this.#doc.body.classList.toggle('settings-open', open);
    const toggle = this.#el('settings-btn');
    toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      /** @type {HTMLElement} */ (sheet.querySelector('select, button.switch') ?? this.#el('settings-close')).focus();
    } else if (sheet.contains(this.#doc.activeElement)) {
      toggle.focus();
    }
  }

  /** @param {DeviceList} devices */
  renderDevices(devices) {
    this.#devices = devices;
    this.#renderPickers();
  }

  /** @param {MediaState} m */
  renderMedia(m) {
    this.#media = m;
    this.#renderPickers();
    setSwitch(this.#el('data-saver-btn'), m.dataSaver, m.hasCamera);
    setSwitch(this.#el('audio-only-btn'), m.audioOnly, m.hasCamera);
  }

  /** @param {boolean} on */
  renderStats(on) {
    setSwitch(this.#el('stats-btn'), on, true);
  }

  /** The language changed: unnamed devices' labels follow it. */
  relocalize() {
    this.#renderPickers();
  }

  #renderPickers() {
    const t = this.#opts.t();
    const m = this.#media;
    for (const p of PICKERS) {
      const list = this.#devices[p.list];
      const select = /** @type {HTMLSelectElement} */ (this.#el(p.select));
      const hide = list.length === 0 || (p.kind === 'audiooutput' && m !== null && !m.canChooseSpeaker);
      this.#el(p.field).hidden = hide;
      if (hide) continue;
      const options = list.map((d, i) => {
        const o = this.#doc.createElement('option');
        o.value = d.deviceId;
        if (d.label) {
          o.textContent = d.label;
        } else {
          setText(o, t, p.unnamed, { n: i + 1 });
        }
        return o;
      });
      select.replaceChildren(...options);
      const current = m?.[p.current] ?? '';
      if (list.some((d) => d.deviceId === current)) select.value = current;
    }
  }
}

/**
 * @param {HTMLElement} btn A role="switch" button.
 * @param {boolean} on
 * @param {boolean} enabled
 */
function setSwitch(btn, on, enabled) {
  btn.setAttribute('aria-checked', String(on));
  /** @type {HTMLButtonElement} */ (btn).disabled = !enabled;
}

// Remembered media choices, per browser: the camera, microphone and speaker picked last, and the data
// saver switch when it differs from what the connection suggests. Storage is injected (localStorage in the
// page, a plain object in tests). Storage that is missing, full or refuses (private modes throw) and
// values that are not ours only mean that nothing is remembered. No DOM.

/** The storage key: one JSON object. */
export const PREFS_KEY = 'maju.media';

/** Longest device id kept; browsers' are 64 hex digits or words like "default". */
const MAX_ID = 256;

/**
 * @typedef {object} MediaPrefs
 * @property {string} [cameraId]
 * @property {string} [microphoneId]
 * @property {string} [speakerId]
 * @property {boolean} [dataSaver] The person's choice where it differs from the connection's suggestion.
 */

/** @typedef {Pick<Storage, 'getItem' | 'setItem'>} PrefsStorage */

export class Prefs {
  /** @type {PrefsStorage | undefined} */
  #storage;

  /** @param {PrefsStorage | undefined} storage undefined: nothing is remembered. */
  constructor(storage) {
    this.#storage = storage;
  }

  /**
   * What is remembered; fields that are missing or malformed are left out.
   * @returns {MediaPrefs}
   */
  read() {
    let raw = null;
    try {
      raw = this.#storage?.getItem(PREFS_KEY) ?? null;
    } catch {
      return {};
    }
    if (raw === null) return {};
    try {
      return clean(JSON.parse(raw));
    } catch {
      return {}; // not JSON: someone else's value, or a truncated write
    }
  }

  /**
   * Changes some choices; a field set to undefined is forgotten. Returns whether it was stored.
   * @param {Partial<Record<keyof MediaPrefs, string | boolean | undefined>>} change
   * @returns {boolean}
   */
  update(change) {
    /** @type {Record<string, unknown>} */
    const next = { ...this.read(), ...change };
    for (const k of Object.keys(next)) if (next[k] === undefined) delete next[k];
    try {
      this.#storage?.setItem(PREFS_KEY, JSON.stringify(clean(next)));
      return this.#storage !== undefined;
    } catch {
      return false;
    }
  }
}

/**
 * The page's localStorage, or undefined where there is none or it may not be touched (it throws then).
 * @returns {PrefsStorage | undefined}
 */
export function pageStorage() {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps the fields of MediaPrefs that have the right type.
 * @param {unknown} v
 * @returns {MediaPrefs}
 */
function clean(v) {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const o = /** @type {Record<string, unknown>} */ (v);
  /** @type {MediaPrefs} */
  const out = {};
  for (const k of /** @type {const} */ (['cameraId', 'microphoneId', 'speakerId'])) {
    const id = o[k];
    if (typeof id === 'string' && id !== '' && id.length <= MAX_ID) out[k] = id;
  }
  if (typeof o.dataSaver === 'boolean') out.dataSaver = o.dataSaver;
  return out;
}

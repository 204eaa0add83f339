// Stand-ins for the media parts of the browser, for the unit tests of localmedia.js, media.js and
// senders.js: tracks, streams, MediaDevices with devices that may face a way, be busy or refuse, and
// RTCPeerConnection's transceivers. Just enough behaviour for the modules; the browser tests
// (e2e/media_features_test.go) check the same against Chromium.

let nextId = 1;

export class FakeTrack extends EventTarget {
  enabled = true;
  /** @type {'live' | 'ended'} */
  readyState = 'live';
  contentHint = '';
  /**
   * @param {'audio' | 'video'} kind
   * @param {Record<string, unknown>} settings
   * @param {string} [label]
   */
  constructor(kind, settings, label = '') {
    super();
    this.kind = kind;
    this.id = `track-${nextId++}`;
    this.settings = settings;
    this.label = label;
  }
  getSettings() {
    return { ...this.settings };
  }
  stop() {
    this.readyState = 'ended';
  }
  /** The device went away by itself: the browser ends the track and says so. */
  lose() {
    this.readyState = 'ended';
    this.dispatchEvent(new Event('ended'));
  }
}

export class FakeStream {
  /** @param {FakeTrack[]} tracks */
  constructor(tracks = []) {
    this.tracks = [...tracks];
  }
  getTracks() {
    return [...this.tracks];
  }
  getAudioTracks() {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks() {
    return this.tracks.filter((t) => t.kind === 'video');
  }
  /** @param {FakeTrack} t */
  addTrack(t) {
    if (!this.tracks.includes(t)) this.tracks.push(t);
  }
  /** @param {FakeTrack} t */
  removeTrack(t) {
    this.tracks = this.tracks.filter((x) => x !== t);
  }
}

/**
 * @typedef {object} FakeDevice
 * @property {'videoinput' | 'audioinput' | 'audiooutput'} kind
 * @property {string} deviceId
 * @property {string} label
 * @property {string} [facing] 'user' or 'environment' for a camera that says where it faces
 * @property {{width: number, height: number}} [size]
 */

/** @param {unknown} c @returns {{exact?: string, ideal?: string}} */
function want(c) {
  if (typeof c === 'string') return { ideal: c };
  return /** @type {any} */ (c) ?? {};
}

export class FakeMediaDevices extends EventTarget {
  /** @type {FakeDevice[]} */
  devices;
  /** @type {MediaStreamConstraints[]} */
  calls = [];
  /** Every track handed out, to check what is still live. @type {FakeTrack[]} */
  handed = [];
  /** Phones: a second camera cannot open while one is live (NotReadableError). */
  oneCameraAtATime = false;
  /** @type {(c: MediaStreamConstraints) => unknown} an error to throw for these constraints, or null */
  refuse = () => null;
  /** What getDisplayMedia does: a track, or an error to throw. @type {() => FakeTrack | Error} */
  display = () => new FakeTrack('video', { deviceId: 'screen:0', displaySurface: 'monitor', width: 1920, height: 1080 }, 'screen:0');

  /** @param {FakeDevice[]} devices */
  constructor(devices) {
    super();
    this.devices = devices;
  }

  async enumerateDevices() {
    return this.devices.map(({ kind, deviceId, label }) => ({ kind, deviceId, label, groupId: '' }));
  }

  /** @param {MediaStreamConstraints} c */
  async getUserMedia(c) {
    this.calls.push(structuredClone(c));
    const err = this.refuse(c);
    if (err) throw err;
    const tracks = [];
    if (c.audio) tracks.push(this.#open('audio', 'audioinput', c.audio));
    if (c.video) tracks.push(this.#open('video', 'videoinput', c.video));
    return new FakeStream(tracks);
  }

  async getDisplayMedia() {
    const t = this.display();
    if (t instanceof Error) throw t;
    this.handed.push(t);
    return new FakeStream([t]);
  }

  /** The live tracks of a kind. @param {'audio' | 'video'} kind */
  live(kind) {
    return this.handed.filter((t) => t.kind === kind && t.readyState === 'live');
  }

  /**
   * @param {'audio' | 'video'} kind
   * @param {'audioinput' | 'videoinput'} deviceKind
   * @param {boolean | MediaTrackConstraints} constraints
   */
  #open(kind, deviceKind, constraints) {
    const c = typeof constraints === 'object' ? constraints : {};
    const all = this.devices.filter((d) => d.kind === deviceKind);
    const id = want(c.deviceId);
    const facing = want(c.facingMode);
    let candidates = all;
    if (id.exact) candidates = all.filter((d) => d.deviceId === id.exact);
    if (facing.exact) candidates = candidates.filter((d) => d.facing === facing.exact);
    if (candidates.length === 0) throw new DOMException('no such device', id.exact || facing.exact ? 'OverconstrainedError' : 'NotFoundError');
    const device = candidates.find((d) => d.deviceId === id.ideal) ?? candidates[0];
    if (kind === 'video' && this.oneCameraAtATime && this.live('video').some((t) => !t.label.startsWith('screen'))) {
      throw new DOMException('could not start video source', 'NotReadableError');
    }
    /** @type {Record<string, unknown>} */
    const settings = { deviceId: device.deviceId };
    if (device.facing) settings.facingMode = device.facing;
    if (kind === 'video') Object.assign(settings, device.size ?? { width: 1280, height: 720 });
    const t = new FakeTrack(kind, settings, device.label);
    this.handed.push(t);
    return t;
  }
}

/** A desk: two cameras that face nowhere, two microphones, two speakers. */
export function deskDevices() {
  return new FakeMediaDevices([
    { kind: 'audioinput', deviceId: 'default', label: 'Default mic' },
    { kind: 'audioinput', deviceId: 'mic-usb', label: 'USB mic' },
    { kind: 'videoinput', deviceId: 'cam-built-in', label: 'Built-in camera' },
    { kind: 'videoinput', deviceId: 'cam-usb', label: 'USB camera' },
    { kind: 'audiooutput', deviceId: 'default', label: 'Default speaker' },
    { kind: 'audiooutput', deviceId: 'spk-headset', label: 'Headset' },
  ]);
}

/** A phone: front and back cameras that say where they face, and open one at a time. */
export function phoneDevices() {
  const md = new FakeMediaDevices([
    { kind: 'audioinput', deviceId: 'mic', label: 'Microphone' },
    { kind: 'videoinput', deviceId: 'cam-front', label: 'Front camera', facing: 'user', size: { width: 720, height: 1280 } },
    { kind: 'videoinput', deviceId: 'cam-back', label: 'Back camera', facing: 'environment', size: { width: 720, height: 1280 } },
  ]);
  md.oneCameraAtATime = true;
  return md;
}

/** A Storage stand-in; throwing: every call throws, as localStorage does where it is forbidden. */
export class FakeStorage {
  /** @type {Map<string, string>} */
  map = new Map();
  throwing = false;
  /** @param {string} k */
  getItem(k) {
    if (this.throwing) throw new DOMException('denied', 'SecurityError');
    return this.map.get(k) ?? null;
  }
  /** @param {string} k @param {string} v */
  setItem(k, v) {
    if (this.throwing) throw new DOMException('denied', 'SecurityError');
    this.map.set(k, v);
  }
}

export class FakeSender {
  /** @type {FakeTrack | null} */
  track;
  /** @type {FakeStream[]} */
  streams = [];
  /** @type {any} */
  params = { transactionId: 't1', encodings: [{ active: true }] };
  /** @type {any[]} */
  set = [];
  /** @param {FakeTrack | null} track */
  constructor(track) {
    this.track = track;
  }
  /** @param {FakeTrack | null} t */
  async replaceTrack(t) {
    this.track = t;
  }
  /** @param {FakeStream[]} s */
  setStreams(...s) {
    this.streams = s;
  }
  getParameters() {
    return structuredClone(this.params);
  }
  /** @param {any} p */
  async setParameters(p) {
    this.set.push(p);
    this.params = structuredClone(p);
  }
}

export class FakeTransceiver {
  /** @type {RTCRtpTransceiverDirection} */
  direction;
  /** @type {RTCRtpTransceiverDirection | null} */
  currentDirection = null;
  /**
   * @param {'audio' | 'video'} kind
   * @param {RTCRtpTransceiverDirection} direction
   * @param {FakeTrack | null} [track]
   */
  constructor(kind, direction, track = null) {
    this.receiver = { track: { kind } };
    this.sender = new FakeSender(track);
    this.direction = direction;
  }
}

export class FakeTransceiverPC {
  /** @type {FakeTransceiver[]} */
  transceivers = [];
  /** @type {[FakeTrack, FakeStream][]} */
  added = [];
  getTransceivers() {
    return this.transceivers;
  }
  /** @param {FakeTrack} track @param {FakeStream} stream */
  addTrack(track, stream) {
    this.added.push([track, stream]);
    const t = new FakeTransceiver(track.kind, 'sendrecv', track);
    this.transceivers.push(t);
    return t.sender;
  }
}

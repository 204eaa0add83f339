// LocalMedia: this side's microphone, camera and screen during a call. It owns the local MediaStream (one
// object for the whole call; its tracks change), switches cameras and microphones, flips the camera,
// shares the screen, turns audio-only and data saver on and off, lists the devices and remembers the
// choices (prefs.js). What to send goes out through the `send` function it is given (Call puts it on the
// peer connection with replaceTrack: senders.js). No DOM, no RTCPeerConnection.
//
// Operations that touch devices run one at a time, in order, so that quick taps (flip, flip, audio-only)
// never interleave their getUserMedia calls. They never reject: a failure becomes a 'notice' event.
//
// Decisions:
// - Audio-only stops *sending* video only. The other person's video still arrives: they decide what they
//   send, and stopping it would need a message of our own to ask them. Going audio-only (or back) changes
//   the video transceiver's direction (senders.js): one renegotiation on the same connection, so that the
//   other side's video track leaves their stream instead of freezing on the last frame.
// - The camera is released while the screen is shared (its light goes off, and two captures are a lot for
//   small machines); stopping the share asks for it again, unless it was turned off. Likewise after
//   audio-only. "Camera off" with a live camera stays what it was: track.enabled = false, black frames.
// - Remembered per browser (prefs.js): the camera, microphone and speaker picked with useDevice, and data
//   saver where it differs from the connection's suggestion. A flip is not remembered: the next call
//   starts on the usual camera.
//
// Events (CustomEvent): 'localstream' {stream, hasAudio, hasVideo} when the stream object appears,
// 'mediastate' MediaState on any change, 'devices' DeviceList when the lists change, 'notice'
// {kind: 'media', key, params}.

import { getLocalMedia, getTrack, cameraConstraints, micConstraints, failureNotice, mediaWhy, deviceBusy } from './media.js';
import { noDevices, groupDevices, sameDevices, presentId, flipPlan, nextCameraId, canFlip } from './devices.js';
import { connectionSaving, saverEncoding } from './quality.js';

/**
 * What this side sends and can do. The first four fields are those ui.js always read; their meaning is
 * unchanged for a call that uses none of the rest.
 * @typedef {object} MediaState
 * @property {boolean} micOn       The microphone sends sound (not muted).
 * @property {boolean} cameraOn    The camera sends pictures: turned on, and neither audio-only nor sharing.
 * @property {boolean} hasMic      A microphone was had in this call: muting means something.
 * @property {boolean} hasCamera   A camera was had in this call: turning it on means something.
 * @property {boolean} audioOnly   No video is sent (the camera is released); set with setAudioOnly.
 * @property {boolean} sharingScreen The screen is sent instead of the camera.
 * @property {boolean} dataSaver   Outgoing video is capped (quality.js).
 * @property {'saveData' | 'cellular' | ''} dataSaverSuggested Why the connection asks for data saver.
 * @property {string} facingMode   Where the camera in use faces ('user', 'environment'), '' when unknown.
 * @property {string} cameraId     The camera in use, or to use when the camera comes back; '' for default.
 * @property {string} microphoneId The microphone in use; '' for default.
 * @property {string} speakerId    The speaker chosen for the other person's sound; '' for the default.
 * @property {boolean} canFlip     More than one camera: flipCamera can do something.
 * @property {boolean} canShareScreen  See devices.js, screenShareSupported.
 * @property {boolean} canChooseSpeaker HTMLMediaElement.setSinkId exists.
 */

/**
 * Puts a track (or nothing) on the call's sender of its kind.
 * @callback SendFunction
 * @param {'audio' | 'video'} kind
 * @param {MediaStreamTrack | null} track
 * @returns {Promise<void>}
 */

/**
 * @typedef {import('./quality.js').ConnectionInfo & {addEventListener?: EventTarget['addEventListener']}} Connection
 */

/**
 * @typedef {object} LocalMediaOptions
 * @property {MediaDevices | undefined} mediaDevices undefined where the page cannot use media (no HTTPS).
 * @property {import('./prefs.js').Prefs} prefs
 * @property {import('./devices.js').Abilities} abilities
 * @property {Connection | null} connection navigator.connection where the browser has it.
 * @property {SendFunction} send
 */

/** @typedef {import('./media.js').NoticeText} NoticeText */

export class LocalMedia extends EventTarget {
  /** @type {MediaDevices | undefined} */
  #md;
  #prefs;
  #abilities;
  #connection;
  #send;

  /** @type {MediaStream | null} */
  #stream = null;
  /** @type {MediaStreamTrack | null} */
  #mic = null;
  /** The live camera track; null while sharing, audio-only, or off after either. @type {MediaStreamTrack | null} */
  #camera = null;
  /** @type {MediaStreamTrack | null} */
  #screen = null;
  /** The person's mute and camera buttons, kept across device switches, flips and sharing. */
  #micOn = true;
  #cameraOn = true;
  #hasMic = false;
  #hasCamera = false;
  #audioOnly = false;
  #cameraId = '';
  #microphoneId = '';
  #speakerId = '';
  /** The person's data saver choice where it differs from the connection's suggestion. @type {boolean | undefined} */
  #saverChoice;
  #devices = noDevices();
  /** Data saver as the last 'mediastate' said. */
  #saverReported = false;
  /** @type {Promise<unknown>} */
  #ops = Promise.resolve();
  #stopped = false;
  #listeners = new AbortController();

  /** @param {LocalMediaOptions} options */
  constructor({ mediaDevices, prefs, abilities, connection, send }) {
    super();
    this.#md = mediaDevices;
    this.#prefs = prefs;
    this.#abilities = abilities;
    this.#connection = connection;
    this.#send = send;
    const saved = prefs.read();
    this.#speakerId = saved.speakerId ?? '';
    this.#saverChoice = saved.dataSaver;
  }

  /** The local stream, or null (receive only, or not acquired yet). Its tracks are what is sent. */
  get stream() {
    return this.#stream;
  }

  /** @returns {import('./devices.js').DeviceList} */
  get devices() {
    return structuredClone(this.#devices);
  }

  /** Whether outgoing video is capped: the person's choice, else the connection's suggestion. */
  get dataSaver() {
    return this.#saverChoice ?? connectionSaving(this.#connection) !== '';
  }

  /** @returns {MediaState} */
  get state() {
    return {
      micOn: this.#mic !== null && this.#micOn,
      cameraOn: this.#camera !== null && this.#cameraOn && this.#sending() === this.#camera,
      hasMic: this.#hasMic,
      hasCamera: this.#hasCamera,
      audioOnly: this.#audioOnly,
      sharingScreen: this.#screen !== null,
      dataSaver: this.dataSaver,
      dataSaverSuggested: connectionSaving(this.#connection),
      facingMode: this.#camera?.getSettings().facingMode ?? '',
      cameraId: this.#cameraId,
      microphoneId: this.#microphoneId,
      speakerId: presentId(this.#devices.speakers, this.#speakerId),
      canFlip: canFlip(this.#devices),
      canShareScreen: this.#abilities.canShareScreen,
      canChooseSpeaker: this.#abilities.canChooseSpeaker,
    };
  }

  /**
   * Data saver's limits for the video track being sent, or null when data saver is off.
   * @param {MediaStreamTrack} track
   * @returns {import('./quality.js').SaverEncoding | null}
   */
  videoLimits(track) {
    if (!this.dataSaver) return null;
    return saverEncoding(track === this.#screen ? 'screen' : 'camera', track.getSettings());
  }

  // --- the call's start and end ------------------------------------------------------------------

  /**
   * Gets the camera and microphone (remembered ones preferred), lists the devices, starts listening for
   * device and connection changes. Call once. Resolves to the stream (null: receive only).
   * @returns {Promise<MediaStream | null>}
   */
  start() {
    return this.#run(() => this.#start(), null);
  }

  /** Stops every track and stops listening. Nothing happens afterwards. */
  stop() {
    this.#stopped = true;
    this.#listeners.abort();
    for (const t of [this.#mic, this.#camera, this.#screen, ...(this.#stream?.getTracks() ?? [])]) t?.stop();
  }

  /** @returns {Promise<MediaStream | null>} */
  async #start() {
    const saved = this.#prefs.read();
    const { stream, notice } = await getLocalMedia(this.#md, { cameraId: saved.cameraId, microphoneId: saved.microphoneId });
    if (this.#stopped) {
      // The call ended while the browser was asking; give the devices back at once.
      for (const t of stream?.getTracks() ?? []) t.stop();
      return null;
    }
    this.#stream = stream;
    const mic = stream?.getAudioTracks()[0] ?? null;
    const camera = stream?.getVideoTracks()[0] ?? null;
    if (mic) this.#adoptMic(mic);
    if (camera) this.#adoptCamera(camera);
    this.#emit('localstream', { stream, hasAudio: mic !== null, hasVideo: camera !== null });
    this.#emitState();
    if (notice) this.#notice(notice);
    const suggested = connectionSaving(this.#connection);
    if (suggested && this.#saverChoice === undefined) this.#notice({ key: `media.dataSaverAuto.${suggested}`, params: {} });
    this.#listen();
    await this.#refreshDevices();
    return stream;
  }

  #listen() {
    const { signal } = this.#listeners;
    if (typeof this.#md?.addEventListener === 'function') {
      this.#md.addEventListener('devicechange', () => void this.#refreshDevices(), { signal });
    }
    // The connection changing (Wi-Fi to mobile data) may change data saver's suggestion.
    this.#connection?.addEventListener?.('change', () => this.#onConnectionChange(), { signal });
  }

  // --- microphone and camera buttons -----------------------------------------------------------------

  /**
   * Mutes or unmutes (track.enabled: the other side receives silence). With no microphone track (it was
   * lost) unmuting asks for one again.
   * @param {boolean} on
   * @returns {MediaState}
   */
  setMicEnabled(on) {
    this.#micOn = on;
    if (this.#mic) {
      this.#mic.enabled = on;
    } else if (on && this.#hasMic) {
      void this.#run(() => this.#micBack(), false);
    }
    return this.#emitState();
  }

  /**
   * Turns the camera on or off (track.enabled: the other side receives black frames). With no camera track
   * (after screen sharing or audio-only with the camera off) turning it on asks for the camera again. In
   * audio-only mode or while sharing it only sets what happens when they end.
   * @param {boolean} on
   * @returns {MediaState}
   */
  setCameraEnabled(on) {
    this.#cameraOn = on;
    if (this.#camera) {
      this.#camera.enabled = on;
    } else if (this.#cameraWanted()) {
      void this.#run(() => this.#cameraBack(), false);
    }
    return this.#emitState();
  }

  // --- devices ------------------------------------------------------------------------------------

  /**
   * Switches to the other camera: the opposite facing mode where the camera reports one (phones), else the
   * next camera in the list. The peer connection stays; the new track replaces the old on the sender. A
   * camera turned off stays off. Without a live camera (sharing, audio-only) the next camera is only chosen
   * for when it comes back. Resolves to whether it switched.
   * @returns {Promise<boolean>}
   */
  flipCamera() {
    return this.#run(() => this.#flip(), false);
  }

  /**
   * Uses a device: a camera or microphone at once (replaceTrack; mute and camera-off kept), a speaker by
   * remembering it (the UI routes sound with setSinkId). The choice is remembered for the next call when it
   * worked. Resolves to whether it worked.
   * @param {import('./devices.js').DeviceKind} kind
   * @param {string} deviceId
   * @returns {Promise<boolean>}
   */
  useDevice(kind, deviceId) {
    switch (kind) {
      case 'audiooutput':
        return Promise.resolve(this.#useSpeaker(deviceId));
      case 'videoinput':
        return this.#run(() => this.#useCamera(deviceId), false);
      case 'audioinput':
        return this.#run(() => this.#useMic(deviceId), false);
      default:
        return Promise.resolve(false);
    }
  }

  // --- screen sharing, audio-only, data saver --------------------------------------------------------

  /**
   * Sends the screen instead of the camera (getDisplayMedia; the browser asks which screen or window). The
   * camera is released while sharing. Resolves to whether sharing started; false when the person cancels
   * the browser's picker, which is not reported as a failure.
   * @returns {Promise<boolean>}
   */
  startScreenShare() {
    return this.#run(() => this.#startShare(), false);
  }

  /**
   * Stops sharing: back to the camera, or to no video when the camera was off or audio-only is on. Also
   * runs by itself when the browser's own "Stop sharing" ends the screen track.
   * @returns {Promise<boolean>}
   */
  stopScreenShare() {
    return this.#run(() => this.#stopShare(this.#screen), false);
  }

  /**
   * Audio-only on: no video is sent (the sender's track becomes null) and the camera is released, so its
   * light goes off; a screen share ends. Off: the camera comes back, unless it was turned off.
   * @param {boolean} on
   * @returns {Promise<boolean>}
   */
  setAudioOnly(on) {
    return this.#run(() => this.#setAudioOnly(on), false);
  }

  /**
   * Turns data saver on or off. Remembered for the next call only where it differs from what the
   * connection suggests, so that "on, because I am on mobile data" follows the connection.
   * @param {boolean} on
   * @returns {MediaState}
   */
  setDataSaver(on) {
    const suggested = connectionSaving(this.#connection) !== '';
    this.#saverChoice = on === suggested ? undefined : on;
    this.#prefs.update({ dataSaver: this.#saverChoice });
    return this.#emitState();
  }

  // --- the operations --------------------------------------------------------------------------------

  /**
   * Runs op after the operations before it. op must not reject; if it does (a bug), the queue goes on.
   * @template T
   * @param {() => Promise<T>} op
   * @param {T} ifStopped What to resolve to when the call has ended.
   * @returns {Promise<T>}
   */
  #run(op, ifStopped) {
    const result = this.#ops.then(() => (this.#stopped ? ifStopped : op()));
    this.#ops = result.catch((err) => console.error('maju: media:', err));
    return result;
  }

  /** The video track to send now: the screen, else the camera unless audio-only. */
  #sending() {
    return this.#screen ?? (this.#audioOnly ? null : this.#camera);
  }

  /**
   * Whether the camera should be there but is not (it was released, or lost).
   * @param {boolean} [anyway] Even if this call never had a camera (the person is choosing one).
   */
  #cameraWanted(anyway = false) {
    return this.#camera === null && this.#cameraOn && (this.#hasCamera || anyway) && !this.#audioOnly && this.#screen === null;
  }

  /** @returns {Promise<boolean>} */
  async #flip() {
    const cameras = this.#devices.cameras;
    const plan = flipPlan(this.#camera?.getSettings() ?? { deviceId: this.#cameraId }, cameras);
    if (!plan) return false;
    if (!this.#camera) {
      if (!('deviceId' in plan)) return false;
      this.#cameraId = plan.deviceId;
      this.#emitState();
      return true;
    }
    if ('facingMode' in plan && (await this.#switchCamera(cameraConstraints(plan), true))) return true;
    // No camera faces the other way (or facing modes are not honoured): the next camera by id.
    const next = 'deviceId' in plan ? plan.deviceId : nextCameraId(cameras, this.#cameraId);
    if (next === null) return false;
    return this.#switchCamera(cameraConstraints({ deviceId: next, exact: true }), false);
  }

  /**
   * @param {string} deviceId
   * @returns {Promise<boolean>}
   */
  async #useCamera(deviceId) {
    let ok = true;
    // Choosing a camera when there is none (none at the start, denied, lost) is asking for it; while
    // sharing or audio-only it is the one to come back to.
    if (this.#camera || this.#cameraWanted(true)) {
      ok = await this.#switchCamera(cameraConstraints({ deviceId, exact: true }), false);
    } else {
      this.#cameraId = deviceId;
      this.#emitState();
    }
    if (ok) this.#prefs.update({ cameraId: this.#cameraId });
    return ok;
  }

  /**
   * @param {string} deviceId
   * @returns {Promise<boolean>}
   */
  async #useMic(deviceId) {
    const ok = await this.#switchMic(micConstraints({ deviceId, exact: true }));
    if (ok) this.#prefs.update({ microphoneId: this.#microphoneId });
    return ok;
  }

  /**
   * @param {string} deviceId '' for the default.
   * @returns {boolean}
   */
  #useSpeaker(deviceId) {
    if (deviceId !== '' && !this.#devices.speakers.some((d) => d.deviceId === deviceId)) return false;
    this.#speakerId = deviceId;
    this.#prefs.update({ speakerId: deviceId || undefined });
    this.#emitState();
    return true;
  }

  /**
   * Replaces the live camera with one that meets constraints. On failure the old camera stays, or comes
   * back when it had to be let go.
   * @param {MediaTrackConstraints} constraints
   * @param {boolean} quiet No notice on failure (the caller tries something else).
   * @returns {Promise<boolean>}
   */
  async #switchCamera(constraints, quiet) {
    const old = this.#camera;
    let track;
    try {
      track = await this.#open('video', constraints, old);
    } catch (err) {
      if (!quiet) this.#notice(failureNotice('cameraFailed', err));
      if (old?.readyState === 'ended') await this.#cameraBack(false);
      return false;
    }
    this.#adoptCamera(track);
    await this.#showVideo(this.#sending());
    if (old !== track) old?.stop();
    this.#emitState();
    return true;
  }

  /**
   * Asks for the camera again (the one last used, or any), after it was released or lost.
   * @param {boolean} [report] Say so when it cannot be had.
   * @returns {Promise<boolean>}
   */
  async #cameraBack(report = true) {
    if (this.#camera && this.#camera.readyState === 'live') return true;
    let ok = true;
    try {
      const track = await this.#openPreferred('video', this.#cameraId);
      this.#adoptCamera(track);
    } catch (err) {
      this.#camera = null;
      if (report) this.#notice(failureNotice('cameraFailed', err));
      ok = false;
    }
    await this.#showVideo(this.#sending());
    this.#emitState();
    return ok;
  }

  /**
   * Replaces the microphone with one that meets constraints; muted stays muted.
   * @param {MediaTrackConstraints} constraints
   * @returns {Promise<boolean>}
   */
  async #switchMic(constraints) {
    const old = this.#mic;
    let track;
    try {
      track = await this.#open('audio', constraints, old);
    } catch (err) {
      this.#notice(failureNotice('micFailed', err));
      if (old?.readyState === 'ended') await this.#micBack();
      return false;
    }
    this.#adoptMic(track);
    await this.#showAudio(track);
    if (old !== track) old?.stop();
    this.#emitState();
    return true;
  }

  /** Asks for the microphone again after it was lost. @returns {Promise<boolean>} */
  async #micBack() {
    if (this.#mic?.readyState === 'live') return true;
    const old = this.#mic;
    let track;
    try {
      track = await this.#openPreferred('audio', this.#microphoneId);
    } catch (err) {
      this.#notice(failureNotice('micFailed', err));
      return false;
    }
    this.#adoptMic(track);
    await this.#showAudio(track);
    old?.stop();
    this.#emitState();
    return true;
  }

  /**
   * getUserMedia for one track. Phones often open one camera (or microphone) at a time and answer a second
   * with NotReadableError: then the old track is let go and the device asked for again (a desktop camera
   * held by another app answers the same; the caller takes the old one back when the retry fails too).
   * Rejects when the call ended meanwhile, after stopping the track.
   * @param {'audio' | 'video'} kind
   * @param {MediaTrackConstraints} constraints
   * @param {MediaStreamTrack | null} old
   * @returns {Promise<MediaStreamTrack>}
   */
  async #open(kind, constraints, old) {
    const md = this.#md;
    if (!md || typeof md.getUserMedia !== 'function') throw new DOMException('no media devices', 'SecurityError');
    let track;
    try {
      track = await getTrack(md, kind, constraints);
    } catch (err) {
      if (!old || !deviceBusy(err) || this.#stopped) throw err;
      old.stop();
      track = await getTrack(md, kind, constraints);
    }
    if (this.#stopped) {
      track.stop(); // the call ended while the browser was asking
      throw new DOMException('the call ended', 'AbortError');
    }
    return track;
  }

  /**
   * The device with this id, or any of the kind when it is gone. `ideal` alone is not enough: Chromium
   * weighs it against the size wanted and may pick another camera that fits the size better.
   * @param {'audio' | 'video'} kind
   * @param {string} id '' for any.
   * @returns {Promise<MediaStreamTrack>}
   */
  async #openPreferred(kind, id) {
    const make = kind === 'video' ? cameraConstraints : micConstraints;
    if (!id) return this.#open(kind, make(), null);
    try {
      return await this.#open(kind, make({ deviceId: id, exact: true }), null);
    } catch (err) {
      if (mediaWhy(err) !== 'notFound') throw err;
      return this.#open(kind, make(), null);
    }
  }

  /** @returns {Promise<boolean>} */
  async #startShare() {
    if (this.#screen) return true;
    const md = this.#md;
    if (!this.#abilities.canShareScreen || typeof md?.getDisplayMedia !== 'function') return false;
    let track;
    try {
      const stream = await md.getDisplayMedia({ video: true, audio: false });
      [track] = stream.getVideoTracks();
      for (const t of stream.getTracks()) if (t !== track) t.stop();
    } catch (err) {
      // Cancelling the browser's picker is a choice, not a failure: nothing to say.
      if (mediaWhy(err) !== 'denied') this.#notice(failureNotice('screenFailed', err));
      return false;
    }
    if (!track) return false;
    if (this.#stopped) {
      track.stop();
      return false;
    }
    // Text and lines stay sharp: under load the encoder drops frames rather than resolution.
    track.contentHint = 'detail';
    const screen = track;
    screen.addEventListener('ended', () => void this.#run(() => this.#stopShare(screen), false), { once: true });
    this.#screen = screen;
    const camera = this.#camera;
    this.#camera = null;
    await this.#showVideo(screen);
    camera?.stop(); // after the screen is on the sender, so the other side sees no gap
    this.#emitState();
    return true;
  }

  /**
   * @param {MediaStreamTrack | null} screen The share to stop; nothing when it is no longer the current one.
   * @returns {Promise<boolean>}
   */
  async #stopShare(screen) {
    if (!screen || screen !== this.#screen) return false;
    this.#screen = null;
    if (this.#cameraWanted()) {
      await this.#cameraBack(); // the camera goes on the sender before the screen stops
    } else {
      await this.#showVideo(this.#sending());
    }
    screen.stop();
    this.#emitState();
    return true;
  }

  /**
   * @param {boolean} on
   * @returns {Promise<boolean>}
   */
  async #setAudioOnly(on) {
    if (this.#audioOnly === on) return true;
    this.#audioOnly = on;
    if (on) {
      const released = [this.#screen, this.#camera];
      this.#screen = null;
      this.#camera = null;
      await this.#showVideo(null);
      for (const t of released) t?.stop(); // the camera's light goes off
    } else if (this.#cameraWanted()) {
      await this.#cameraBack();
    }
    this.#emitState();
    return true;
  }

  // --- tracks ----------------------------------------------------------------------------------------

  /** @param {MediaStreamTrack} track */
  #adoptCamera(track) {
    track.enabled = this.#cameraOn;
    this.#camera = track;
    this.#hasCamera = true;
    this.#cameraId = track.getSettings().deviceId ?? this.#cameraId;
    track.addEventListener('ended', () => this.#onEnded(track), { once: true });
  }

  /** @param {MediaStreamTrack} track */
  #adoptMic(track) {
    track.enabled = this.#micOn;
    this.#mic = track;
    this.#hasMic = true;
    this.#microphoneId = track.getSettings().deviceId ?? this.#microphoneId;
    track.addEventListener('ended', () => this.#onEnded(track), { once: true });
  }

  /**
   * A device stopped by itself ('ended' fires only then, not for our own stop()): unplugged, or taken by
   * the system. Nothing is sent in its place until the person chooses again.
   * @param {MediaStreamTrack} track
   */
  #onEnded(track) {
    void this.#run(async () => {
      if (track === this.#camera) {
        this.#camera = null;
        await this.#showVideo(this.#sending());
        this.#notice({ key: 'media.cameraLost', params: {} });
      } else if (track === this.#mic) {
        this.#mic = null;
        await this.#showAudio(null);
        this.#notice({ key: 'media.micLost', params: {} });
      } else {
        return;
      }
      this.#emitState();
    }, undefined);
  }

  /**
   * Makes track the stream's video (the local preview follows) and sends it.
   * @param {MediaStreamTrack | null} track
   */
  async #showVideo(track) {
    this.#putInStream('video', track);
    await this.#send('video', track);
  }

  /** @param {MediaStreamTrack | null} track */
  async #showAudio(track) {
    this.#putInStream('audio', track);
    await this.#send('audio', track);
  }

  /**
   * The stream keeps one track per kind: track replaces the others of its kind (null: none). A stream is
   * made for a call that had none (receive only) once a track comes.
   * @param {'audio' | 'video'} kind
   * @param {MediaStreamTrack | null} track
   */
  #putInStream(kind, track) {
    if (!this.#stream) {
      if (!track) return;
      this.#stream = new MediaStream([track]);
      this.#emit('localstream', { stream: this.#stream, hasAudio: kind === 'audio', hasVideo: kind === 'video' });
      return;
    }
    const stream = this.#stream;
    for (const t of kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks()) {
      if (t !== track) stream.removeTrack(t);
    }
    if (track && !stream.getTracks().includes(track)) stream.addTrack(track);
  }

  // --- lists and connection --------------------------------------------------------------------------

  async #refreshDevices() {
    const md = this.#md;
    if (!md || typeof md.enumerateDevices !== 'function') return;
    let list;
    try {
      list = groupDevices(await md.enumerateDevices());
    } catch (err) {
      console.warn('maju: could not list the devices:', err);
      return;
    }
    if (this.#stopped || sameDevices(list, this.#devices)) return;
    this.#devices = list;
    this.#emit('devices', this.devices);
    this.#emitState();
  }

  /** A connection change may change data saver's suggestion; say so when that turns it on. */
  #onConnectionChange() {
    if (this.#stopped || this.#saverChoice !== undefined) return;
    const wasOn = this.#saverReported;
    const state = this.#emitState();
    if (state.dataSaver && !wasOn) this.#notice({ key: `media.dataSaverAuto.${state.dataSaverSuggested}`, params: {} });
  }

  // --- events ----------------------------------------------------------------------------------------

  /** @returns {MediaState} */
  #emitState() {
    const state = this.state;
    this.#saverReported = state.dataSaver;
    this.#emit('mediastate', state);
    return state;
  }

  /** @param {NoticeText} n */
  #notice(n) {
    if (this.#stopped) return; // failures of what the end of the call cut short are nobody's concern
    this.#emit('notice', { kind: 'media', key: n.key, params: n.params });
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

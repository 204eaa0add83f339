// The device lists (cameras, microphones, speakers), the choice of the next camera when flipping, and what
// this browser and device can do (switch cameras, share the screen, choose the speaker). Pure functions
// except browserAbilities, which reads the page's globals. No DOM changes.

/**
 * @typedef {object} DeviceInfo
 * @property {string} deviceId
 * @property {string} label '' until the page has had a device of that kind (browsers hide labels).
 */

/**
 * @typedef {object} DeviceList
 * @property {DeviceInfo[]} cameras
 * @property {DeviceInfo[]} microphones
 * @property {DeviceInfo[]} speakers Audio outputs; empty where the browser does not list them (Firefox
 *   without the speaker-selection permission, Safari).
 */

/** @typedef {'videoinput' | 'audioinput' | 'audiooutput'} DeviceKind */

/** @returns {DeviceList} */
export function noDevices() {
  return { cameras: [], microphones: [], speakers: [] };
}

/**
 * Groups enumerateDevices' answer by kind. Entries without an id are left out: before any permission
 * browsers list one anonymous device per kind, which cannot be chosen.
 * @param {readonly {kind: string, deviceId: string, label: string}[]} infos
 * @returns {DeviceList}
 */
export function groupDevices(infos) {
  const list = noDevices();
  /** @type {Record<string, DeviceInfo[]>} */
  const byKind = { videoinput: list.cameras, audioinput: list.microphones, audiooutput: list.speakers };
  for (const { kind, deviceId, label } of infos) {
    const into = byKind[kind];
    if (!into || !deviceId || into.some((d) => d.deviceId === deviceId)) continue;
    into.push({ deviceId, label });
  }
  return list;
}

/**
 * @param {DeviceList} a
 * @param {DeviceList} b
 * @returns {boolean}
 */
export function sameDevices(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * id when a device of the list has it, else '' (the browser's default). A remembered device that is gone
 * is not offered as chosen.
 * @param {readonly DeviceInfo[]} list
 * @param {string | undefined} id
 * @returns {string}
 */
export function presentId(list, id) {
  return id && list.some((d) => d.deviceId === id) ? id : '';
}

/**
 * The camera after currentId in the list, wrapping round; the first camera when currentId is not listed;
 * null when there is no other camera.
 * @param {readonly DeviceInfo[]} cameras
 * @param {string} currentId
 * @returns {string | null}
 */
export function nextCameraId(cameras, currentId) {
  const others = cameras.filter((c) => c.deviceId !== currentId);
  if (others.length === 0) return null;
  const i = cameras.findIndex((c) => c.deviceId === currentId);
  if (i < 0) return cameras[0].deviceId;
  return cameras[(i + 1) % cameras.length].deviceId;
}

/**
 * How to flip from the current camera. A camera that reports which way it faces (phones, tablets) is
 * flipped by facing mode, which picks the main camera on that side even when a phone has several; the
 * caller falls back to the next device where the facing mode cannot be had. Otherwise (desktops, fake
 * devices, which report no facing mode) the next camera in the list.
 * @param {{facingMode?: string, deviceId?: string}} current The current camera track's settings, or {}.
 * @param {readonly DeviceInfo[]} cameras
 * @returns {{facingMode: 'user' | 'environment'} | {deviceId: string} | null} null: nothing to flip to.
 */
export function flipPlan(current, cameras) {
  if (current.facingMode === 'user') return { facingMode: 'environment' };
  if (current.facingMode === 'environment') return { facingMode: 'user' };
  const next = nextCameraId(cameras, current.deviceId ?? '');
  return next === null ? null : { deviceId: next };
}

/**
 * Whether a flip button makes sense: more than one camera is listed. Not "facingMode is supported":
 * getSupportedConstraints().facingMode is true in desktop Chromium with a single webcam, where a flip
 * could do nothing. Phones list their front and back cameras once the page has a camera.
 * @param {DeviceList} devices
 * @returns {boolean}
 */
export function canFlip(devices) {
  return devices.cameras.length > 1;
}

/**
 * What the browser and device can do, independent of the call.
 * @typedef {object} Abilities
 * @property {boolean} canShareScreen getDisplayMedia exists and this is not a phone or tablet.
 * @property {boolean} canChooseSpeaker HTMLMediaElement.setSinkId exists: the UI can route sound to a speaker.
 */

/**
 * Whether to offer screen sharing. getDisplayMedia must exist (it does not in iOS Safari or Android
 * Chrome), and the device must not be a phone or tablet: a touch screen whose primary pointer is coarse.
 * Touch laptops keep it (their primary pointer is a touchpad or mouse, so "pointer: coarse" is false), and
 * mobile browsers that expose getDisplayMedia anyway (Android Chrome with a flag, some tablets) lose it,
 * since what they capture is rarely what the person means to show.
 * @param {{hasGetDisplayMedia: boolean, maxTouchPoints: number, coarsePointer: boolean}} d
 * @returns {boolean}
 */
export function screenShareSupported({ hasGetDisplayMedia, maxTouchPoints, coarsePointer }) {
  return hasGetDisplayMedia && !(maxTouchPoints > 0 && coarsePointer);
}

/**
 * The page's abilities, read from its globals (nothing there in node: all false).
 * @param {MediaDevices | undefined} mediaDevices
 * @returns {Abilities}
 */
export function browserAbilities(mediaDevices) {
  const nav = globalThis.navigator;
  const coarsePointer = typeof globalThis.matchMedia === 'function' && globalThis.matchMedia('(pointer: coarse)').matches;
  return {
    canShareScreen: screenShareSupported({
      hasGetDisplayMedia: typeof mediaDevices?.getDisplayMedia === 'function',
      maxTouchPoints: nav?.maxTouchPoints ?? 0,
      coarsePointer,
    }),
    canChooseSpeaker: typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype,
  };
}

// Unit tests of web/static/js/iceservers.js: the ICE servers of `welcome` / `ice-servers`, the refresh
// schedule of their credentials, and the ?ice=relay switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeTimers } from './faketimers.mjs';
import {
  IceServers,
  offersRelay,
  parseIceServers,
  parseIceTtl,
  refreshDelay,
  relayOnlyFromQuery,
} from '../../web/static/js/iceservers.js';

const WELCOME_SERVERS = [
  { urls: ['stun:call.example.com:3478'] },
  {
    urls: ['turn:call.example.com:3478?transport=udp', 'turn:call.example.com:3478?transport=tcp'],
    username: '1767225600:ab12cd',
    credential: 'c2VjcmV0IHBhc3N3b3Jk',
  },
];

test('the servers of a welcome message, as RTCIceServer[]', () => {
  assert.deepEqual(parseIceServers(WELCOME_SERVERS), WELCOME_SERVERS);
  assert.deepEqual(parseIceServers([]), []);
  assert.deepEqual(parseIceServers([{ urls: 'turns:call.example.com:443?transport=tcp', username: 'u', credential: 'p' }]), [
    { urls: ['turns:call.example.com:443?transport=tcp'], username: 'u', credential: 'p' },
  ]);
});

test('a missing or broken list is null; broken entries and URLs are dropped', () => {
  assert.equal(parseIceServers(undefined), null);
  assert.equal(parseIceServers(null), null);
  assert.equal(parseIceServers({ urls: ['stun:x'] }), null);
  assert.deepEqual(
    parseIceServers([
      null,
      'stun:x',
      [],
      {},
      { urls: 7 },
      { urls: ['https://evil.example', 5, 'STUN:ok.example'] },
      { urls: ['javascript:alert(1)'] },
      { urls: ['turn:t.example'], username: 5, credential: 'p', extra: 'dropped' },
    ]),
    [{ urls: ['STUN:ok.example'] }, { urls: ['turn:t.example'], credential: 'p' }],
  );
});

test('iceTtl is seconds, 0 when nothing expires or the value is not a number', () => {
  assert.equal(parseIceTtl(600), 600);
  assert.equal(parseIceTtl(2.5), 2.5);
  for (const bad of [0, -1, NaN, Infinity, '600', null, undefined]) assert.equal(parseIceTtl(bad), 0, String(bad));
});

test('a refresh is due at 80 % of the lifetime, 2 s before its end if sooner, at least 1 s later', () => {
  assert.equal(refreshDelay(3600), 2880000);
  assert.equal(refreshDelay(600), 480000);
  assert.equal(refreshDelay(10), 8000);
  assert.equal(refreshDelay(7.5), 5500);
  assert.equal(refreshDelay(5), 3000, 'the username’s whole-second expiry may cut up to 1 s off');
  assert.equal(refreshDelay(3), 1000);
  assert.equal(refreshDelay(2), 1000);
  assert.equal(refreshDelay(1), 1000);
  assert.equal(refreshDelay(0.1), 1000);
  assert.equal(refreshDelay(0), null);
  assert.equal(refreshDelay(-5), null);
  assert.equal(refreshDelay(86400 * 365), 2 ** 31 - 1, 'bounded by what setTimeout can wait');
});

test('offersRelay sees turn: and turns: URLs only', () => {
  assert.equal(offersRelay(WELCOME_SERVERS), true);
  assert.equal(offersRelay([{ urls: 'turns:t.example:443' }]), true);
  assert.equal(offersRelay([{ urls: ['stun:s.example'] }]), false);
  assert.equal(offersRelay([]), false);
});

test('?ice=relay turns relay-only mode on', () => {
  assert.equal(relayOnlyFromQuery('?ice=relay'), true);
  assert.equal(relayOnlyFromQuery('ice=relay'), true);
  assert.equal(relayOnlyFromQuery('?lang=ko&ice=relay'), true);
  assert.equal(relayOnlyFromQuery(''), false);
  assert.equal(relayOnlyFromQuery('?ice=all'), false);
  assert.equal(relayOnlyFromQuery('?ice=RELAY'), false);
});

test('IceServers asks for fresh credentials after welcome and after each answer, until stopped', () => {
  const timers = fakeTimers();
  let due = 0;
  const ice = new IceServers({ onRefreshDue: () => due++, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
  assert.equal(ice.servers, null);

  assert.deepEqual(ice.update({ v: 1, type: 'welcome', room: 'R', peer: false, iceServers: WELCOME_SERVERS, iceTtl: 600 }), WELCOME_SERVERS);
  assert.deepEqual(ice.servers, WELCOME_SERVERS);
  assert.equal(ice.ttl, 600);
  assert.deepEqual(timers.delays(), [480000]);
  timers.fire();
  assert.equal(due, 1);
  assert.equal(timers.pending.size, 0, 'one request per answer: nothing until the answer comes');

  const fresh = [{ urls: ['turn:call.example.com:3478?transport=udp'], username: '1767226200:ab12cd', credential: 'bmV3' }];
  assert.deepEqual(ice.update({ v: 1, type: 'ice-servers', iceServers: fresh, iceTtl: 3 }), fresh);
  assert.deepEqual(ice.servers, fresh);
  assert.deepEqual(timers.delays(), [1000]);

  // An answer before the timer fired replaces the schedule instead of adding one.
  ice.update({ v: 1, type: 'ice-servers', iceServers: fresh, iceTtl: 10 });
  assert.deepEqual(timers.delays(), [8000]);

  ice.stop();
  assert.equal(timers.pending.size, 0);
  assert.equal(ice.update({ v: 1, type: 'ice-servers', iceServers: WELCOME_SERVERS, iceTtl: 600 }), null, 'ignored after stop');
  assert.equal(timers.pending.size, 0);
  assert.equal(due, 1);
});

test('IceServers: no list keeps the old one; no expiry schedules nothing; copies cannot change it', () => {
  const timers = fakeTimers();
  const ice = new IceServers({ onRefreshDue: () => assert.fail('no refresh'), setTimer: timers.setTimer, clearTimer: timers.clearTimer });
  assert.equal(ice.update({ v: 1, type: 'welcome', room: 'R', peer: true }), null, 'an older server sends no list');
  assert.equal(ice.servers, null);
  assert.equal(timers.pending.size, 0);

  ice.update({ iceServers: [], iceTtl: 0 });
  assert.deepEqual(ice.servers, []);
  assert.equal(timers.pending.size, 0, 'nothing expires: no refresh');

  ice.update({ iceServers: WELCOME_SERVERS, iceTtl: 0 });
  const copy = /** @type {RTCIceServer[]} */ (ice.servers);
  copy[0].urls = ['stun:changed'];
  /** @type {string[]} */ (copy[1].urls).push('turn:added');
  assert.deepEqual(ice.servers, WELCOME_SERVERS);
});

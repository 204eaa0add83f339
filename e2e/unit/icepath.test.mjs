// Unit tests of web/static/js/icepath.js: the call's network path from getStats(), on reports recorded
// from Chromium 156 (testdata/stats-chromium-*.json) and on Firefox's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describePath as describe, pathFromStats, PathMonitor, selectedPair } from '../../web/static/js/icepath.js';
import { translator } from '../../web/static/js/i18n.js';
import { fakeTimers } from './faketimers.mjs';

const t = translator('en');
/** The status-line words for a path, in English. @param {import('../../web/static/js/icepath.js').IcePath} path */
const describePath = (path) => {
  const { key, params } = describe(path);
  return t(key, params);
};

/**
 * A recorded report as a Map from id to entry, like RTCStatsReport.
 * @param {string} name
 */
function recorded(name) {
  const { stats } = JSON.parse(readFileSync(new URL(`testdata/stats-chromium-${name}.json`, import.meta.url), 'utf8'));
  return new Map(stats.map((/** @type {{id: string}} */ s) => [s.id, s]));
}

/** @param {Map<string, any>} report @param {string} type */
function only(report, type) {
  const all = [...report.values()].filter((s) => s.type === type);
  assert.equal(all.length, 1, `one ${type}`);
  return all[0];
}

test('a direct call on Chromium: host to host', () => {
  const path = pathFromStats(recorded('direct'));
  assert.deepEqual(path, { relayed: false, protocol: '', localType: 'host', remoteType: 'host' });
  assert.equal(describePath(/** @type {any} */ (path)), 'Direct connection');
});

test('a relayed call on Chromium over UDP and over TCP', () => {
  const udp = pathFromStats(recorded('relay-udp'));
  assert.deepEqual(udp, { relayed: true, protocol: 'udp', localType: 'relay', remoteType: 'relay' });
  assert.equal(describePath(/** @type {any} */ (udp)), 'Relayed (UDP)');
  const tcp = pathFromStats(recorded('relay-tcp'));
  assert.deepEqual(tcp, { relayed: true, protocol: 'tcp', localType: 'relay', remoteType: 'relay' });
  assert.equal(describePath(/** @type {any} */ (tcp)), 'Relayed (TCP)');
});

test('TLS to the relay, and the TURN URL when the browser does not give relayProtocol', () => {
  const report = recorded('relay-udp');
  const local = only(report, 'local-candidate');
  local.relayProtocol = 'tls';
  local.url = 'turns:turn.example.com:443?transport=tcp';
  assert.equal(describePath(/** @type {any} */ (pathFromStats(report))), 'Relayed (TLS)');
  delete local.relayProtocol;
  assert.equal(pathFromStats(report)?.protocol, 'tls');
  local.url = 'turn:turn.example.com:3478?transport=tcp';
  assert.equal(pathFromStats(report)?.protocol, 'tcp');
  local.url = 'turn:turn.example.com:3478';
  assert.equal(pathFromStats(report)?.protocol, 'udp');
  delete local.url;
  assert.equal(describePath(/** @type {any} */ (pathFromStats(report))), 'Relayed');
});

test('only the other person is relayed: relayed, protocol unknown here', () => {
  const report = recorded('direct');
  only(report, 'remote-candidate').candidateType = 'relay';
  const path = pathFromStats(report);
  assert.deepEqual(path, { relayed: true, protocol: '', localType: 'host', remoteType: 'relay' });
  assert.equal(describePath(/** @type {any} */ (path)), 'Relayed');
});

test("the transport's selected pair wins over other nominated pairs", () => {
  // A direct pair is selected; an older relayed pair that also succeeded is still in the report.
  const report = recorded('direct');
  const relay = recorded('relay-udp');
  for (const type of ['candidate-pair', 'local-candidate', 'remote-candidate']) {
    const s = only(relay, type);
    report.set(s.id, s);
  }
  assert.equal(pathFromStats(report)?.relayed, false);
  // The selected pair changes to the relayed one (an ICE restart onto the relay).
  only(report, 'transport').selectedCandidatePairId = only(relay, 'candidate-pair').id;
  assert.equal(describePath(/** @type {any} */ (pathFromStats(report))), 'Relayed (UDP)');
});

test('no pair selected yet: null', () => {
  const report = recorded('relay-udp');
  delete only(report, 'transport').selectedCandidatePairId;
  const pair = only(report, 'candidate-pair');
  pair.state = 'in-progress';
  pair.nominated = false;
  assert.equal(selectedPair(report), null);
  assert.equal(pathFromStats(report), null);
  assert.equal(pathFromStats(new Map()), null);
  // A nominated pair that succeeded is enough when the transport does not name one.
  pair.state = 'succeeded';
  pair.nominated = true;
  assert.equal(pathFromStats(report)?.protocol, 'udp');
});

test("Firefox's shape: no transport entry, the pair says selected", () => {
  const report = new Map(
    [
      { id: 'p1', type: 'candidate-pair', localCandidateId: 'l1', remoteCandidateId: 'r1', state: 'succeeded', nominated: true, selected: false, transportId: '0' },
      { id: 'p2', type: 'candidate-pair', localCandidateId: 'l2', remoteCandidateId: 'r1', state: 'succeeded', nominated: true, selected: true, transportId: '0' },
      { id: 'l1', type: 'local-candidate', candidateType: 'host', address: '192.168.1.20', port: 50000, protocol: 'udp' },
      { id: 'l2', type: 'local-candidate', candidateType: 'relay', relayProtocol: 'tcp', address: '203.0.113.5', port: 50001, protocol: 'udp' },
      { id: 'r1', type: 'remote-candidate', candidateType: 'srflx', address: '198.51.100.7', port: 40000, protocol: 'udp' },
    ].map((s) => [s.id, s]),
  );
  assert.deepEqual(pathFromStats(report), { relayed: true, protocol: 'tcp', localType: 'relay', remoteType: 'srflx' });
});

const settle = () => new Promise((r) => setImmediate(r));

test('PathMonitor polls at once, quickly until a pair is selected, then at its interval; reports changes only', async () => {
  const timers = fakeTimers();
  /** @type {Map<string, any>[]} */
  const reports = [new Map(), recorded('direct'), recorded('direct'), recorded('relay-tcp')];
  let polls = 0;
  /** @type {(string | null)[]} */
  const seen = [];
  const m = new PathMonitor({
    getStats: async () => reports[Math.min(polls++, reports.length - 1)],
    onChange: (p) => seen.push(p && describePath(p)),
    interval: 3000,
    firstInterval: 500,
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
  });
  m.start();
  await settle();
  assert.equal(polls, 1);
  assert.deepEqual(seen, []);
  assert.equal(timers.fire(), 500); // nothing selected yet: soon again
  await settle();
  assert.deepEqual(seen, ['Direct connection']);
  assert.equal(m.path?.relayed, false);
  assert.equal(timers.fire(), 3000);
  await settle();
  assert.deepEqual(seen, ['Direct connection'], 'the same path is not reported again');
  timers.fire();
  await settle();
  assert.deepEqual(seen, ['Direct connection', 'Relayed (TCP)']);
  m.stop();
  assert.deepEqual(seen, ['Direct connection', 'Relayed (TCP)', null]);
  assert.equal(timers.pending.size, 0, 'stop leaves no timer');
  assert.equal(m.path, null);
  m.stop();
  assert.equal(seen.length, 3, 'a second stop reports nothing');
});

test('PathMonitor: a poll under way when stop() runs reports nothing; getStats errors count as no path', async () => {
  const timers = fakeTimers();
  /** @type {(v: any) => void} */
  let resolve = () => {};
  let fail = false;
  /** @type {unknown[]} */
  const seen = [];
  const m = new PathMonitor({
    getStats: () => (fail ? Promise.reject(new Error('closed')) : new Promise((r) => (resolve = r))),
    onChange: (p) => seen.push(p),
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
  });
  m.start();
  m.start(); // no second poll loop
  m.stop();
  resolve(recorded('direct'));
  await settle();
  assert.deepEqual(seen, []);
  assert.equal(timers.pending.size, 0);

  fail = true;
  m.start();
  await settle();
  assert.deepEqual(seen, []);
  assert.equal(timers.pending.size, 1, 'keeps polling after an error');
  m.stop();
  assert.equal(timers.pending.size, 0);
});

// Unit tests of web/static/js/callreport.js: one report per connection attempt, in the protocol's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallReport } from '../../web/static/js/callreport.js';

/** A report with a fake clock; returns it, the sent payloads and a way to move time. */
function setup() {
  let t = 1000;
  /** @type {Record<string, unknown>[]} */
  const sent = [];
  const report = new CallReport({ send: (p) => sent.push(p), now: () => t });
  return { report, sent, advance: (/** @type {number} */ ms) => (t += ms) };
}

const direct = { relayed: false, protocol: /** @type {''} */ (''), localType: 'host', remoteType: 'host' };
const relayedTCP = { relayed: true, protocol: /** @type {'tcp'} */ ('tcp'), localType: 'relay', remoteType: 'host' };

test('connected: sent once the path is known, with the setup time up to connected', () => {
  const { report, sent, advance } = setup();
  advance(1234.4);
  report.connected();
  advance(500); // getStats takes a moment; that is not setup time
  report.path(null);
  assert.deepEqual(sent, []);
  report.path(direct);
  assert.deepEqual(sent, [{ outcome: 'connected', path: 'direct', setupMs: 1234 }]);
  report.path(relayedTCP); // a later path change is not another attempt
  report.connected(); // nor is a reconnection after an ICE restart
  report.failed('ice-failed'); // nor a failure after it was connected
  assert.equal(sent.length, 1);
});

test('relayed: the transport to the relay is included when known', () => {
  const { report, sent } = setup();
  report.connected();
  report.path(relayedTCP);
  assert.deepEqual(sent, [{ outcome: 'connected', path: 'relayed', transport: 'tcp', setupMs: 0 }]);
  const other = setup();
  other.report.connected();
  other.report.path({ ...relayedTCP, protocol: '', localType: 'host', remoteType: 'relay' });
  assert.deepEqual(other.sent, [{ outcome: 'connected', path: 'relayed', setupMs: 0 }]);
});

test('failed: sent once, never after connected', () => {
  const { report, sent } = setup();
  report.failed('timeout');
  report.failed('ice-failed');
  assert.deepEqual(sent, [{ outcome: 'failed', reason: 'timeout' }]);
  const late = setup();
  late.report.connected();
  late.report.failed('ice-failed');
  assert.deepEqual(late.sent, []);
});

test('a path before connected is not a report', () => {
  const { report, sent } = setup();
  report.path(direct);
  assert.deepEqual(sent, []);
});

test('setup time is capped at the protocol limit', () => {
  const { report, sent, advance } = setup();
  advance(700000);
  report.connected();
  report.path(direct);
  assert.equal(sent[0].setupMs, 600000);
});

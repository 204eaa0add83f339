// Unit tests of web/static/js/diagnosis.js: why a call could not connect, from what this side saw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translator } from '../../web/static/js/i18n.js';
import { CandidateLog, candidateType, diagnose, sdpCandidates } from '../../web/static/js/diagnosis.js';

// Candidate lines as Chromium 156 gathers them.
const HOST = 'candidate:2178143778 1 udp 2122260223 192.168.1.20 52358 typ host generation 0 ufrag FpzT network-id 1 network-cost 10';
const HOST_TCP = 'candidate:3212211586 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0 ufrag FpzT network-id 1 network-cost 10';
const SRFLX = 'candidate:842163049 1 udp 1686052607 203.0.113.9 61234 typ srflx raddr 192.168.1.20 rport 52358 generation 0 ufrag FpzT network-id 1 network-cost 10';
const RELAY = 'candidate:1583771861 1 udp 41885439 198.51.100.3 45031 typ relay raddr 203.0.113.9 rport 61234 generation 0 ufrag nGul network-id 1 network-cost 10';
const MDNS = 'candidate:1 1 udp 2113937151 8f1e3e0c-0b9a-4e5c-9f5f-3c7a0e4b1d2e.local 54400 typ host generation 0 ufrag Ab12 network-cost 999';

test('candidateType reads the typ field', () => {
  assert.equal(candidateType(HOST), 'host');
  assert.equal(candidateType(HOST_TCP), 'host');
  assert.equal(candidateType(SRFLX), 'srflx');
  assert.equal(candidateType(RELAY), 'relay');
  assert.equal(candidateType(MDNS), 'host');
  assert.equal(candidateType('a=' + RELAY), 'relay');
  assert.equal(candidateType('candidate:1 1 udp 1 10.0.0.1 5 typ prflx'), 'prflx');
  assert.equal(candidateType(''), '', 'end of candidates');
  assert.equal(candidateType('candidate:1 1 udp 1 10.0.0.1 5 typ relayx'), '');
  assert.equal(candidateType('garbage'), '');
});

test('sdpCandidates finds the a=candidate lines of a description', () => {
  const sdp = ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', `a=${HOST}`, 'a=mid:0', `a=${SRFLX}`, 'a=end-of-candidates', ''].join('\r\n');
  assert.deepEqual(sdpCandidates(sdp), [HOST, SRFLX]);
  assert.deepEqual(sdpCandidates(''), []);
  assert.deepEqual(sdpCandidates(null), []);
});

test('CandidateLog counts each candidate once, trickled or in a description', () => {
  const log = new CandidateLog();
  log.addLocal(HOST);
  log.addLocal(RELAY);
  log.addLocal(''); // end of candidates
  log.addRemote(SRFLX);
  log.addRemote(SRFLX);
  log.addRemote('');
  log.addError('turn:call.example.com:3478?transport=udp', 701);
  log.addError('turns:call.example.com:443?transport=tcp', 401);
  log.addError('turn:call.example.com:3478?transport=tcp', 701);
  log.addError('stun:call.example.com:3478', 701); // STUN errors say nothing about the relay
  const o = log.observe({
    answered: true,
    relayOnly: false,
    relayOffered: true,
    localSdp: `v=0\r\na=${HOST}\r\na=${HOST_TCP}\r\n`,
    remoteSdp: `v=0\r\na=${SRFLX}\r\na=${MDNS}\r\n`,
  });
  assert.deepEqual(o, {
    answered: true,
    relayOnly: false,
    relayOffered: true,
    localTypes: ['host', 'relay'],
    localCount: 3,
    remoteTypes: ['host', 'srflx'],
    remoteCount: 2,
    relayErrors: [401, 701],
  });
  assert.deepEqual(new CandidateLog().observe({ answered: false, relayOnly: true, relayOffered: false }), {
    answered: false,
    relayOnly: true,
    relayOffered: false,
    localTypes: [],
    localCount: 0,
    remoteTypes: [],
    remoteCount: 0,
    relayErrors: [],
  });
});

/** @param {Partial<import('../../web/static/js/diagnosis.js').IceObservations>} o */
function obs(o) {
  return { answered: true, relayOnly: false, relayOffered: true, localTypes: ['host', 'srflx', 'relay'], localCount: 3, remoteTypes: ['host', 'srflx', 'relay'], remoteCount: 3, relayErrors: [], ...o };
}

test('diagnose: each situation gets its own plain-language cause', () => {
  /** @type {[string, Partial<import('../../web/static/js/diagnosis.js').IceObservations>, string][]} */
  const cases = [
    ['the other browser never answered the offer', { answered: false, localCount: 0, localTypes: [], remoteCount: 0, remoteTypes: [] }, 'no-answer'],
    ['relay-only with no TURN on the server', { relayOnly: true, relayOffered: false, localTypes: [], localCount: 0, remoteTypes: [], remoteCount: 0 }, 'relay-only-no-relay'],
    ['relay-only with no TURN, said before any answer', { answered: false, relayOnly: true, relayOffered: false, localTypes: [], localCount: 0, remoteTypes: [], remoteCount: 0 }, 'relay-only-no-relay'],
    ['no candidates at all and no relay offered', { relayOffered: false, localTypes: [], localCount: 0 }, 'no-network'],
    ['relay offered but no relay candidate (UDP and TCP to TURN blocked)', { localTypes: ['host', 'srflx'], localCount: 2 }, 'relay-unreachable'],
    ['relay-only and the relay unreachable: nothing gathered', { relayOnly: true, localTypes: [], localCount: 0, remoteTypes: [], remoteCount: 0 }, 'relay-unreachable'],
    ['the relay refused the credentials', { relayOnly: true, localTypes: [], localCount: 0, relayErrors: [401] }, 'relay-refused'],
    ['the relay refused, unreachable over TCP', { localTypes: ['host'], localCount: 1, relayErrors: [401, 701] }, 'relay-refused'],
    ['the relay is full', { localTypes: ['host'], localCount: 1, relayErrors: [486] }, 'relay-busy'],
    ['a relay error does not matter once a relay candidate exists', { relayErrors: [401], remoteTypes: [], remoteCount: 0 }, 'peer-unreachable'],
    ['the relay timed out', { localTypes: ['host'], localCount: 1, relayErrors: [701] }, 'relay-unreachable'],
    ['nothing from the other person', { remoteTypes: [], remoteCount: 0 }, 'peer-unreachable'],
    ['no relay anywhere, both behind NATs', { relayOffered: false, localTypes: ['host', 'srflx'], localCount: 2, remoteTypes: ['host', 'srflx'], remoteCount: 2 }, 'no-relay'],
    ['everything there and still nothing works', {}, 'blocked'],
    ['no relay here but the other person has one, still failing', { relayOffered: false, localTypes: ['host'], localCount: 1, remoteTypes: ['relay'], remoteCount: 1 }, 'blocked'],
  ];
  const t = translator('en');
  /** @param {import('../../web/static/js/diagnosis.js').Diagnosis} d */
  const words = (d) => ({ title: t(`${d.key}.title`, d.params), detail: t(`${d.key}.detail`, d.params) });
  for (const [what, o, code] of cases) {
    const diag = diagnose(obs(o));
    assert.equal(diag.code, code, what);
    const d = words(diag);
    assert.ok(d.title.length > 0 && d.title.length <= 60, `${what}: title "${d.title}" is short`);
    assert.ok(d.detail.length > 0 && d.detail.length <= 240, `${what}: detail is one or two sentences`);
    assert.doesNotMatch(d.title + d.detail, /ICE|srflx|candidate|STUN|NAT/, `${what}: plain language`);
  }
  assert.equal(words(diagnose(obs({ localTypes: ['host'], localCount: 1 }))).title, 'No direct route, and the relay could not be reached');
  assert.equal(words(diagnose(obs({ relayOffered: false, localTypes: ['host', 'srflx'], remoteTypes: ['host'] }))).title, 'No direct route, and this server offers no relay');
  assert.equal(words(diagnose(obs({ remoteCount: 0, remoteTypes: [] }))).title, 'The other person’s device could not be reached');
  assert.match(words(diagnose(obs({ relayOnly: true, localTypes: [], localCount: 0 }))).detail, /\?\u2060ice=relay/);
});

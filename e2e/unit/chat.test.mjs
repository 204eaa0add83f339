// Unit tests of web/static/js/chat.js: the data channel's messages, chat, ack and bye (docs/protocol.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeChannelMessage,
  decodeChat,
  encodeAck,
  encodeBye,
  encodeChat,
  validChatId,
  validChatText,
  MAX_CHAT_TEXT,
} from '../../web/static/js/chat.js';

test('encode then decode gives the message back', () => {
  const wire = encodeChat('id-1', '<img src=x onerror=alert(1)>', 1700000000000);
  assert.deepEqual(JSON.parse(wire), { type: 'chat', id: 'id-1', text: '<img src=x onerror=alert(1)>', ts: 1700000000000 });
  assert.deepEqual(decodeChat(wire), { type: 'chat', id: 'id-1', text: '<img src=x onerror=alert(1)>', ts: 1700000000000 });
});

test('text length limits count UTF-16 code units, like String.length', () => {
  assert.equal(validChatText(''), false);
  assert.equal(validChatText('a'), true);
  assert.equal(validChatText('a'.repeat(MAX_CHAT_TEXT)), true);
  assert.equal(validChatText('a'.repeat(MAX_CHAT_TEXT + 1)), false);
  assert.equal(validChatText('😀'.repeat(MAX_CHAT_TEXT / 2)), true);
  assert.equal(validChatText('😀'.repeat(MAX_CHAT_TEXT / 2) + 'a'), false);
});

test('decodeChat ignores anything that is not a valid chat message', () => {
  const ok = { type: 'chat', id: 'x', text: 'hi', ts: 1 };
  const bad = [
    null, 42, 'not json', '[]', 'null',
    JSON.stringify({ ...ok, type: 'other' }),
    JSON.stringify({ ...ok, id: '' }),
    JSON.stringify({ ...ok, id: 'x'.repeat(65) }),
    JSON.stringify({ ...ok, id: 7 }),
    JSON.stringify({ ...ok, text: '' }),
    JSON.stringify({ ...ok, text: 'a'.repeat(MAX_CHAT_TEXT + 1) }),
    JSON.stringify({ ...ok, text: ['hi'] }),
    JSON.stringify({ ...ok, ts: '1' }),
    JSON.stringify({ type: 'chat', id: 'x', text: 'hi' }),
  ];
  for (const data of bad) assert.equal(decodeChat(data), null, String(data));
  assert.deepEqual(decodeChat(JSON.stringify({ ...ok, extra: true })), ok);
  assert.equal(decodeChat(JSON.stringify({ ...ok, id: 'x'.repeat(64) }))?.id.length, 64);
});

test('ack and bye: encoded as the protocol says, decoded as tagged messages', () => {
  assert.deepEqual(JSON.parse(encodeAck('id-1')), { type: 'ack', id: 'id-1' });
  assert.deepEqual(JSON.parse(encodeBye()), { type: 'bye' });
  assert.deepEqual(decodeChannelMessage(encodeAck('id-1')), { kind: 'ack', id: 'id-1' });
  assert.deepEqual(decodeChannelMessage(encodeBye()), { kind: 'bye' });
  assert.deepEqual(decodeChannelMessage(encodeChat('x', 'hi', 5)), { kind: 'chat', msg: { type: 'chat', id: 'x', text: 'hi', ts: 5 } });
  assert.deepEqual(decodeChannelMessage(JSON.stringify({ type: 'bye', extra: 1 })), { kind: 'bye' });
  assert.equal(decodeChat(encodeAck('id-1')), null, 'decodeChat is for chat messages only');
  assert.equal(decodeChat(encodeBye()), null);
});

test('decodeChannelMessage ignores anything that is not a valid message', () => {
  const bad = [
    undefined, null, 42, new ArrayBuffer(2), 'not json', '[]', 'null', '"ack"', '{}',
    JSON.stringify({ type: 'typing' }),
    JSON.stringify({ type: 'ack' }),
    JSON.stringify({ type: 'ack', id: '' }),
    JSON.stringify({ type: 'ack', id: 7 }),
    JSON.stringify({ type: 'ack', id: 'x'.repeat(65) }),
    JSON.stringify({ type: 'chat', id: 'x', text: '', ts: 1 }),
    JSON.stringify({ type: 'BYE' }),
  ];
  for (const data of bad) assert.equal(decodeChannelMessage(data), null, String(data));
});

test('validChatId: 1 to 64 characters', () => {
  assert.equal(validChatId('x'), true);
  assert.equal(validChatId('x'.repeat(64)), true);
  assert.equal(validChatId('x'.repeat(65)), false);
  assert.equal(validChatId(''), false);
  assert.equal(validChatId(1), false);
  assert.equal(validChatId(null), false);
});

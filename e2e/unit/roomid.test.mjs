// Unit tests of web/static/js/roomid.js (node --test; no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoomId, parseRoomInput, roomIdFromPath } from '../../web/static/js/roomid.js';

const ID = 'Yv3x0m3k2QdA8i5cV7XwZg';

test('isRoomId accepts 22 URL-safe base64 characters of 16 bytes', () => {
  assert.equal(isRoomId(ID), true);
  assert.equal(isRoomId('AAAAAAAAAAAAAAAAAAAAAA'), true);
  assert.equal(isRoomId('-_-_-_-_-_-_-_-_-_-_-w'), true);
});

test('isRoomId refuses other strings', () => {
  for (const bad of ['', ID.slice(1), ID + 'A', ID.slice(0, 21) + '+', ID.slice(0, 21) + 'B', 'not a room id at all!!']) {
    assert.equal(isRoomId(bad), false, bad);
  }
});

test('roomIdFromPath', () => {
  assert.equal(roomIdFromPath(`/r/${ID}`), ID);
  assert.equal(roomIdFromPath(`/r/${ID}/`), ID);
  assert.equal(roomIdFromPath(`/x/${ID}`), null);
  assert.equal(roomIdFromPath(`/r/${ID}/more`), null);
  assert.equal(roomIdFromPath('/r/short'), null);
});

test('parseRoomInput takes a bare id, a link, or a link without scheme', () => {
  assert.equal(parseRoomInput(ID), ID);
  assert.equal(parseRoomInput(`  ${ID}\n`), ID);
  assert.equal(parseRoomInput(`https://maju.example/r/${ID}`), ID);
  assert.equal(parseRoomInput(`http://192.168.1.5:8080/r/${ID}?x=1#y`), ID);
  assert.equal(parseRoomInput(`maju.example/r/${ID}`), ID);
});

test('parseRoomInput refuses what is not a room', () => {
  for (const bad of ['', 'hello', 'https://maju.example/', `https://maju.example/x/${ID}`, `javascript:alert(1)//r/${ID}`, `ftp://h/r/${ID}`]) {
    assert.equal(parseRoomInput(bad), null, bad);
  }
});

// Unit tests of web/static/js/pip.js: where the self-view settles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cornerAfterKey, nearestCorner } from '../../web/static/js/pip.js';

test('a dropped self-view settles in the nearest corner', () => {
  assert.equal(nearestCorner(10, 10, 390, 700), 'top-left');
  assert.equal(nearestCorner(380, 10, 390, 700), 'top-right');
  assert.equal(nearestCorner(10, 690, 390, 700), 'bottom-left');
  assert.equal(nearestCorner(300, 400, 390, 700), 'bottom-right');
});

test('arrow keys move it between corners', () => {
  assert.equal(cornerAfterKey('bottom-right', 'ArrowUp'), 'top-right');
  assert.equal(cornerAfterKey('top-right', 'ArrowLeft'), 'top-left');
  assert.equal(cornerAfterKey('top-left', 'ArrowDown'), 'bottom-left');
  assert.equal(cornerAfterKey('bottom-left', 'ArrowRight'), 'bottom-right');
  assert.equal(cornerAfterKey('bottom-left', 'ArrowDown'), 'bottom-left');
  assert.equal(cornerAfterKey('bottom-left', 'Enter'), 'bottom-left');
});

// Unit tests of web/static/js/wakelock.js: the screen stays on during a call, and again after the page
// was hidden (which releases the lock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScreenWake } from '../../web/static/js/wakelock.js';

/** A fake navigator.wakeLock and document. */
function fakes({ refuse = false } = {}) {
  /** @type {{released: boolean, release(): Promise<void>, addEventListener(): void}[]} */
  const locks = [];
  const wakeLock = {
    /** @param {'screen'} type */
    async request(type) {
      assert.equal(type, 'screen');
      if (refuse) throw new DOMException('battery saver', 'NotAllowedError');
      const lock = {
        released: false,
        async release() {
          lock.released = true;
        },
        addEventListener() {},
      };
      locks.push(lock);
      return lock;
    },
  };
  const doc = new EventTarget();
  /** @type {DocumentVisibilityState} */
  let visibility = 'visible';
  Object.defineProperty(doc, 'visibilityState', { get: () => visibility });
  /** @param {DocumentVisibilityState} v */
  const setVisibility = (v) => {
    visibility = v;
    doc.dispatchEvent(new Event('visibilitychange'));
  };
  return { wakeLock, doc: /** @type {any} */ (doc), locks, setVisibility };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test('held during the call, released after', async () => {
  const { wakeLock, doc, locks } = fakes();
  const wake = new ScreenWake({ wakeLock, document: doc });
  await wake.set(true);
  assert.equal(wake.held, true);
  await wake.set(true); // asking again does not stack locks
  assert.equal(locks.length, 1);
  await wake.set(false);
  assert.equal(wake.held, false);
  assert.equal(locks[0].released, true);
});

test('asked for again when the page is visible again', async () => {
  const { wakeLock, doc, locks, setVisibility } = fakes();
  const wake = new ScreenWake({ wakeLock, document: doc });
  await wake.set(true);
  setVisibility('hidden');
  locks[0].released = true; // the browser releases it when the page hides
  assert.equal(wake.held, false);
  setVisibility('visible');
  await settle();
  assert.equal(locks.length, 2);
  assert.equal(wake.held, true);
});

test('not asked for while hidden, nor after the call', async () => {
  const { wakeLock, doc, locks, setVisibility } = fakes();
  const wake = new ScreenWake({ wakeLock, document: doc });
  setVisibility('hidden');
  await wake.set(true);
  assert.equal(locks.length, 0);
  await wake.set(false);
  setVisibility('visible');
  await settle();
  assert.equal(locks.length, 0);
});

test('a refusal or a missing API leaves the call alone', async () => {
  const refused = fakes({ refuse: true });
  const wake = new ScreenWake({ wakeLock: refused.wakeLock, document: refused.doc });
  await wake.set(true);
  assert.equal(wake.held, false);
  const none = new ScreenWake({ wakeLock: undefined, document: fakes().doc });
  await none.set(true);
  assert.equal(none.held, false);
});

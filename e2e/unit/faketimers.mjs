// Timers a unit test runs by hand, for modules that take setTimer/clearTimer (icepath.js, iceservers.js,
// callstats.js): nothing fires until the test says so.
import assert from 'node:assert/strict';

export function fakeTimers() {
  /** @type {Map<number, {fn: () => void, ms: number}>} */
  const pending = new Map();
  let next = 1;
  return {
    pending,
    setTimer: (/** @type {() => void} */ fn, /** @type {number} */ ms) => {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimer: (/** @type {unknown} */ id) => {
      pending.delete(/** @type {number} */ (id));
    },
    /** The delays of the pending timers. */
    delays: () => [...pending.values()].map((t) => t.ms),
    /** Runs the only pending timer and returns its delay. */
    fire() {
      assert.equal(pending.size, 1, 'one pending timer');
      const [[id, t]] = pending;
      pending.delete(id);
      t.fn();
      return t.ms;
    },
  };
}

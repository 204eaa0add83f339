// SelfView: the small picture of yourself over the call. Drag it (finger or mouse) and it settles in
// the nearest corner, out of the way of the other person's face; arrow keys move it between corners.

/** @typedef {'top-left' | 'top-right' | 'bottom-left' | 'bottom-right'} Corner */

/**
 * The corner nearest to where the picture's centre was dropped.
 * @param {number} x Centre, relative to the container's left.
 * @param {number} y Centre, relative to the container's top.
 * @param {number} width The container's size.
 * @param {number} height
 * @returns {Corner}
 */
export function nearestCorner(x, y, width, height) {
  const top = y < height / 2;
  const left = x < width / 2;
  return /** @type {Corner} */ (`${top ? 'top' : 'bottom'}-${left ? 'left' : 'right'}`);
}

/**
 * The corner an arrow key moves to from corner.
 * @param {Corner} corner
 * @param {string} key
 * @returns {Corner}
 */
export function cornerAfterKey(corner, key) {
  let [v, h] = corner.split('-');
  if (key === 'ArrowUp') v = 'top';
  if (key === 'ArrowDown') v = 'bottom';
  if (key === 'ArrowLeft') h = 'left';
  if (key === 'ArrowRight') h = 'right';
  return /** @type {Corner} */ (`${v}-${h}`);
}

/** Pixels a press must move before it counts as a drag (so a tap stays a tap). */
const DRAG_THRESHOLD = 6;

export class SelfView {
  /** @type {HTMLElement} */
  #el;
  /** @type {HTMLElement} */
  #container;
  /** @type {Corner} */
  #corner = 'bottom-right';
  /** @type {{id: number, x: number, y: number, left: number, top: number, moved: boolean} | null} */
  #drag = null;

  /**
   * @param {HTMLElement} el The self-view.
   * @param {HTMLElement} container The stage it floats over.
   */
  constructor(el, container) {
    this.#el = el;
    this.#container = container;
  }

  get corner() {
    return this.#corner;
  }

  init() {
    const el = this.#el;
    el.dataset.corner = this.#corner;
    el.addEventListener('pointerdown', (ev) => this.#start(ev));
    el.addEventListener('pointermove', (ev) => this.#move(ev));
    el.addEventListener('pointerup', (ev) => this.#end(ev));
    el.addEventListener('pointercancel', (ev) => this.#end(ev));
    el.addEventListener('keydown', (ev) => {
      if (!ev.key.startsWith('Arrow')) return;
      ev.preventDefault();
      this.#settle(cornerAfterKey(this.#corner, ev.key));
    });
  }

  /** @param {PointerEvent} ev */
  #start(ev) {
    if (ev.button !== 0) return;
    const box = this.#el.getBoundingClientRect();
    const area = this.#container.getBoundingClientRect();
    this.#drag = { id: ev.pointerId, x: ev.clientX, y: ev.clientY, left: box.left - area.left, top: box.top - area.top, moved: false };
    this.#el.setPointerCapture(ev.pointerId);
  }

  /** @param {PointerEvent} ev */
  #move(ev) {
    const d = this.#drag;
    if (!d || ev.pointerId !== d.id) return;
    const dx = ev.clientX - d.x;
    const dy = ev.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
    d.moved = true;
    this.#el.classList.add('dragging');
    const area = this.#container.getBoundingClientRect();
    const { offsetWidth: w, offsetHeight: h } = this.#el;
    const left = clamp(d.left + dx, 0, area.width - w);
    const top = clamp(d.top + dy, 0, area.height - h);
    this.#el.style.transform = `translate(${left - d.left}px, ${top - d.top}px)`;
  }

  /** @param {PointerEvent} ev */
  #end(ev) {
    const d = this.#drag;
    if (!d || ev.pointerId !== d.id) return;
    this.#drag = null;
    if (!d.moved) return;
    const box = this.#el.getBoundingClientRect();
    const area = this.#container.getBoundingClientRect();
    this.#settle(nearestCorner(box.left - area.left + box.width / 2, box.top - area.top + box.height / 2, area.width, area.height));
  }

  /** @param {Corner} corner */
  #settle(corner) {
    this.#corner = corner;
    this.#el.classList.remove('dragging');
    this.#el.style.transform = '';
    this.#el.dataset.corner = corner;
  }
}

/**
 * @param {number} v
 * @param {number} lo
 * @param {number} hi
 */
function clamp(v, lo, hi) {
  return Math.min(Math.max(v, lo), Math.max(lo, hi));
}

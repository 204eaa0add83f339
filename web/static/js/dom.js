// Small DOM helpers shared by the page modules.

/**
 * The element with this id; a missing one is a bug in the page, so it throws rather than returning null.
 * @template {HTMLElement} T
 * @param {Document} doc
 * @param {string} id
 * @returns {T}
 */
export function byId(doc, id) {
  const el = doc.getElementById(id);
  if (!el) throw new Error(`page: #${id} is missing`);
  return /** @type {T} */ (el);
}

// Room ids (docs/protocol.md, "Room ids"): 22 characters of the URL-safe base64 alphabet, the unpadded
// encoding of 16 random bytes. No DOM.

/** 22 URL-safe base64 characters; the last one carries only 2 bits, so it is one of A, Q, g, w. */
const ROOM_ID = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/** A room path: /r/{id}, with an optional trailing slash. */
const ROOM_PATH = /^\/r\/([A-Za-z0-9_-]{22})\/?$/;

/**
 * Reports whether id is a well-formed room id.
 * @param {string} id
 * @returns {boolean}
 */
export function isRoomId(id) {
  return ROOM_ID.test(id);
}

/**
 * Returns the room id in a path such as "/r/{id}", or null.
 * @param {string} path
 * @returns {string | null}
 */
export function roomIdFromPath(path) {
  const m = ROOM_PATH.exec(path);
  return m && isRoomId(m[1]) ? m[1] : null;
}

/**
 * Returns the room id in what a person pasted: a bare id, or a link whose path is /r/{id}
 * (with or without the scheme). Returns null when there is none.
 * @param {string} input
 * @returns {string | null}
 */
export function parseRoomInput(input) {
  const text = input.trim();
  if (isRoomId(text)) return text;
  for (const candidate of [text, `https://${text}`]) {
    let url;
    try {
      url = new URL(candidate);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    const id = roomIdFromPath(url.pathname);
    if (id) return id;
  }
  return null;
}

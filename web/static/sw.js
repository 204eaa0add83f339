// maju's service worker: keeps a copy of the app shell (the start page, the stylesheet, the modules,
// the icons and the manifest) so the installed app can open while offline. It never touches anything
// else: signaling, call pages (their URLs are secret capabilities), health checks and other methods go
// to the network as if there were no worker, and are never stored.
//
// Shell files are fetched network first: online, every use goes through the browser's HTTP cache to the
// server, which revalidates pages, styles and modules with strong ETags (a 304 when nothing changed), so
// an upgrade of maju reaches installed clients on their next load. The copy here is used only when the
// network fails, and each successful answer replaces it.
//
// A classic script (not a module), registered by js/pwa.js. Browsers check it for changes on every
// navigation; a changed file installs (storing the shell afresh), takes over at once and deletes caches
// of any other name.

/**
 * The parts of the service worker's global scope used here. (tsc checks this file in one program with
 * the pages' modules, and lib.webworker cannot be loaded next to their lib.dom.)
 * @typedef {Event & {waitUntil(promise: Promise<unknown>): void}} ShellExtendableEvent
 * @typedef {ShellExtendableEvent & {request: Request, respondWith(response: Promise<Response>): void}} ShellFetchEvent
 * @typedef {{
 *   location: {origin: string},
 *   skipWaiting(): Promise<void>,
 *   clients: {claim(): Promise<void>},
 *   addEventListener(type: 'install' | 'activate', listener: (event: ShellExtendableEvent) => void): void,
 *   addEventListener(type: 'fetch', listener: (event: ShellFetchEvent) => void): void,
 * }} ShellWorkerScope
 */
const worker = /** @type {ShellWorkerScope} */ (/** @type {unknown} */ (self));

// The cache's name. Change the version only when what the cache holds changes its meaning: app upgrades
// need no new name, they refresh the entries through the network.
const SHELL_CACHE = 'maju-shell-v1';

// The app shell: the only URLs this worker answers and stores, each without a query. Every file in
// web/static except the HTML pages and this script must be listed: web/pwa_test.go checks that.
const SHELL = [
  '/',
  '/css/maju.css',
  '/favicon.svg',
  '/manifest.webmanifest',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/maskable-512.png',
  '/icons/apple-touch-icon.png',
  '/js/autohide.js',
  '/js/call.js',
  '/js/callreport.js',
  '/js/callstats.js',
  '/js/chat.js',
  '/js/chatlog.js',
  '/js/icerestart.js',
  '/js/devices.js',
  '/js/dom.js',
  '/js/diagnosis.js',
  '/js/i18n.js',
  '/js/icepath.js',
  '/js/iceservers.js',
  '/js/landing.js',
  '/js/locales/en.js',
  '/js/locales/ko.js',
  '/js/localize.js',
  '/js/localmedia.js',
  '/js/main.js',
  '/js/media.js',
  '/js/negotiation.js',
  '/js/notfound.js',
  '/js/peerwatch.js',
  '/js/pip.js',
  '/js/prefs.js',
  '/js/pwa.js',
  '/js/qr.js',
  '/js/quality.js',
  '/js/roomid.js',
  '/js/senders.js',
  '/js/signaling.js',
  '/js/ui-chat.js',
  '/js/ui-invite.js',
  '/js/ui-settings.js',
  '/js/ui-stats.js',
  '/js/ui.js',
  '/js/wakelock.js',
];

const shellPaths = new Set(SHELL);

worker.addEventListener('install', (event) => {
  // A new version takes over without waiting for every maju tab to close: it only changes which files
  // are kept, and network first means a running page gets the same answers either way.
  event.waitUntil(storeShell().then(() => worker.skipWaiting()));
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(deleteOtherCaches().then(() => worker.clients.claim()));
});

worker.addEventListener('fetch', (event) => {
  // Returning without respondWith leaves the request to the browser, exactly as without a worker.
  if (isShellRequest(event.request)) {
    event.respondWith(networkFirst(event));
  }
});

async function storeShell() {
  const cache = await caches.open(SHELL_CACHE);
  // 'no-cache' revalidates with the server: images may sit in the HTTP cache for a day, and a new worker
  // should store the files of the version that installed it.
  await cache.addAll(SHELL.map((path) => new Request(path, { cache: 'no-cache' })));
}

async function deleteOtherCaches() {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name !== SHELL_CACHE).map((name) => caches.delete(name)));
}

/**
 * Whether request is a plain GET of a shell file on this origin. Everything else (the WebSocket, call
 * pages, /new, health checks, queries, other methods, other origins) is not the shell.
 * @param {Request} request
 */
function isShellRequest(request) {
  const url = new URL(request.url);
  return request.method === 'GET' && url.origin === worker.location.origin && url.search === '' &&
    shellPaths.has(url.pathname);
}

/**
 * The network's answer, kept for later; the kept copy when the network fails.
 * @param {ShellFetchEvent} event
 * @returns {Promise<Response>}
 */
async function networkFirst(event) {
  const { request } = event;
  try {
    const response = await fetch(request);
    if (worthKeeping(response)) {
      // Stored after the page has its answer, but the worker stays alive until it is written.
      event.waitUntil(keep(request, response.clone()));
    }
    return response;
  } catch (err) {
    // ignoreVary: the server varies on Accept-Encoding, which the Cache API stores decoded anyway.
    const kept = await caches.match(request, { cacheName: SHELL_CACHE, ignoreVary: true });
    if (kept) return kept;
    throw err;
  }
}

/**
 * Only complete, same-origin, unredirected successes: a redirected response cannot answer a navigation,
 * and an error page must not replace a good copy.
 * @param {Response} response
 */
function worthKeeping(response) {
  return response.status === 200 && response.type === 'basic' && !response.redirected;
}

/**
 * @param {Request} request
 * @param {Response} response
 */
async function keep(request, response) {
  const cache = await caches.open(SHELL_CACHE);
  await cache.put(request, response);
}

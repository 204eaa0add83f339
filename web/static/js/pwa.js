// Installable app: registers the service worker (/sw.js), which keeps the app shell for offline starts.
// The pages work the same without it; a browser that cannot register one only loses that.

/**
 * Registers /sw.js for the whole site once the page has loaded, so that storing the shell does not
 * compete with the page's own first requests. Only in a secure context (HTTPS, or http://localhost and
 * 127.0.0.1), where browsers allow service workers. Never throws: a failure is a console warning.
 */
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  if (document.readyState === 'complete') {
    register();
  } else {
    window.addEventListener('load', register, { once: true });
  }
}

function register() {
  try {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(warn);
  } catch (err) {
    // Where site storage is restricted (Firefox set to delete cookies on exit, say) registering fails with
    // a SecurityError; be it thrown or a rejection, it lands in warn.
    warn(err);
  }
}

/** @param {unknown} err */
function warn(err) {
  console.warn('maju: the service worker could not be registered; the app still works, but not offline.', err);
}

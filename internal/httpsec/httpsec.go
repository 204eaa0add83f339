// Package httpsec adds maju's security headers to every HTTP response: pages, modules, styles, redirects,
// error replies, rejected WebSocket upgrades and health checks alike.
//
// The policy fits the embedded client: every script, style, image and connection is same-origin, no
// inline script or style, no third-party origin, no framing. A change to the client that needs more must
// change the policy here, and the tests over web.Static() in this package say so.
package httpsec

import (
	"net/http"
	"regexp"
)

// Options selects the optional headers.
type Options struct {
	// HSTS sends Strict-Transport-Security. Enable it only for certificates browsers trust: a browser
	// that saw HSTS refuses to let its user click through a self-signed (LAN) certificate afterwards.
	HSTS bool
}

// Headers returns next wrapped so that every response carries the headers of Expected(r.Host, opts.HSTS).
// They are set before next runs, so next can still change one for a response that needs to.
func Headers(next http.Handler, opts Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set(w.Header(), r.Host, opts.HSTS)
		next.ServeHTTP(w, r)
	})
}

// Expected returns the headers Headers sets on a response to a request for host, for tests that check
// them end to end.
func Expected(host string, hsts bool) http.Header {
	h := make(http.Header)
	set(h, host, hsts)
	return h
}

// HSTS is the Strict-Transport-Security value: one year, this host only (no includeSubDomains, which
// would bind sibling services the operator may not run over HTTPS).
const HSTS = "max-age=31536000"

// fixed are the headers whose values do not depend on the request.
var fixed = []struct{ name, value string }{
	// Room links are capabilities: a link to another site must not carry one in Referer.
	{"Referrer-Policy", "no-referrer"},
	{"X-Content-Type-Options", "nosniff"},
	// Clickjacking: for browsers without frame-ancestors; the CSP says the same.
	{"X-Frame-Options", "DENY"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
	// Only feature names Chromium knows: an unknown one costs a console warning on every page.
	{"Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self), fullscreen=(self), " +
		"screen-wake-lock=(self), autoplay=(self), picture-in-picture=(self), geolocation=(), payment=(), usb=()"},
}

func set(h http.Header, host string, hsts bool) {
	for _, f := range fixed {
		h.Set(f.name, f.value)
	}
	h.Set("Content-Security-Policy", CSP(host))
	if hsts {
		h.Set("Strict-Transport-Security", HSTS)
	}
}

// The policy is split around connect-src's optional explicit WebSocket sources.
const (
	cspHead = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
		"media-src 'self' blob:; connect-src 'self'"
	cspTail = "; font-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)

// CSP returns the Content-Security-Policy for a request whose Host header is host.
//
// CSP3 browsers let 'self' cover ws: and wss: to the page's own host, but older Safari does not, so
// connect-src also names wss://host and ws://host explicitly — only when host is a plain name or IPv4
// address with an optional port: the Host header comes from the client and is never copied into a header
// unchecked. Bracketed IPv6 literals are left out too: the CSP source grammar has no form for them, so
// browsers would ignore the source with a console warning (w3c/webappsec-csp#224); 'self' still applies.
func CSP(host string) string {
	if len(host) > maxHost || !plainHost.MatchString(host) {
		return cspHead + cspTail
	}
	return cspHead + " wss://" + host + " ws://" + host + cspTail
}

// plainHost matches dot-separated labels of letters, digits and hyphens, with an optional port.
var plainHost = regexp.MustCompile(`^[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*(?::[0-9]{1,5})?$`)

// maxHost bounds the host a policy names: a DNS name (253) and ":65535".
const maxHost = 253 + 6

// Package limit answers "how much may this client do": it finds the client address of a request (through
// trusted reverse proxies), groups addresses into keys, and keeps the per-key tables (concurrent
// connections, new rooms) and the per-connection message bucket that the signaling server enforces.
package limit

import (
	"iter"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddr returns the address of the client that sent r: the TCP peer's (r.RemoteAddr), or, when the
// peer is in one of the trusted prefixes, the last address in X-Forwarded-For that is not itself trusted.
//
// Only the entries appended by trusted proxies are believed: the walk goes from the right end of the
// header and stops at the first untrusted address, so whatever an untrusted client wrote into the header
// itself (to its left) is never read. A malformed entry ("unknown", an obfuscated name) stops the walk
// and the peer is returned, since the client behind it cannot be told. When every entry is trusted the
// leftmost one is the client (e.g. a host on the proxies' own network). IPv4-mapped IPv6 addresses come
// back as IPv4 and zones are dropped; an unparsable RemoteAddr gives the zero Addr.
func ClientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !isTrusted(peer, trusted) {
		return peer
	}
	client := peer
	for entry := range fromRight(r.Header.Values("X-Forwarded-For")) {
		if entry == "" {
			continue // "a, , b" or a trailing comma: formatting, not an address
		}
		a := parseAddr(entry)
		if !a.IsValid() {
			return peer
		}
		if !isTrusted(a, trusted) {
			return a
		}
		client = a
	}
	return client
}

// Key is the unit the per-address limits count in: an IPv4 address as its /32, an IPv6 address as its
// /64, since one customer network (and so one attacker) usually holds a whole /64. The zero Addr gives
// the zero Prefix, which is a key like any other.
func Key(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits) // cannot fail: bits fits the address family
	return p
}

// fromRight yields the comma-separated entries of the header values, trimmed, last first. It cuts them
// lazily so that a huge header from an untrusted client costs only the entries actually walked.
func fromRight(values []string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := len(values) - 1; i >= 0; i-- {
			v := values[i]
			for {
				j := strings.LastIndexByte(v, ',')
				if !yield(strings.TrimSpace(v[j+1:])) {
					return
				}
				if j < 0 {
					break
				}
				v = v[:j]
			}
		}
	}
}

// parseAddr reads "ip:port" (RemoteAddr, some proxies' X-Forwarded-For) or a bare IP, unmapped and
// without zone; anything else gives the zero Addr.
func parseAddr(s string) netip.Addr {
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(s); err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

package turn

import "net/netip"

// deniedV4 lists the IPv4 ranges the relay never sends to.
var deniedV4 = mustPrefixes(
	"0.0.0.0/8",       // "this network", incl. 0.0.0.0
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // carrier-grade NAT
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata 169.254.169.254
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation TEST-NET-1
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation TEST-NET-2
	"203.0.113.0/24",  // documentation TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, incl. broadcast 255.255.255.255
)

// deniedV6 lists the native IPv6 ranges the relay never sends to.
var deniedV6 = mustPrefixes(
	"::/128",        // unspecified
	"::1/128",       // loopback
	"100::/64",      // discard-only
	"2001:2::/48",   // benchmarking
	"2001:db8::/32", // documentation
	"fc00::/7",      // unique local
	"fe80::/10",     // link-local
	"fec0::/10",     // site-local (deprecated)
	"ff00::/8",      // multicast
)

var (
	v4Compatible   = netip.MustParsePrefix("::/96")           // ::a.b.c.d
	v4Translated   = netip.MustParsePrefix("::ffff:0:0:0/96") // RFC 2765 ::ffff:0:a.b.c.d
	nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")    // RFC 6052
	nat64LocalUse  = netip.MustParsePrefix("64:ff9b:1::/48")  // RFC 8215
	sixToFour      = netip.MustParsePrefix("2002::/16")       // RFC 3056
	teredo         = netip.MustParsePrefix("2001::/32")       // RFC 4380
)

func mustPrefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

// PeerFilter decides whether the TURN relay may send to a peer address
// (CreatePermission / ChannelBind / Send). The zero value refuses every
// non-public address and has no own-address exception.
type PeerFilter struct {
	own           []netip.Addr
	allowLoopback bool
}

// NewPeerFilter returns a filter that always allows the server's own relay
// addresses own (so two relayed peers can reach each other). allowLoopback
// is a test-only switch that additionally permits 127.0.0.0/8 and ::1 (and
// the IPv4-mapped form of 127.0.0.0/8, which is the same address), nothing
// else.
func NewPeerFilter(own []netip.Addr, allowLoopback bool) *PeerFilter {
	f := &PeerFilter{allowLoopback: allowLoopback}
	for _, a := range own {
		if a.IsValid() {
			f.own = append(f.own, normalize(a))
		}
	}
	return f
}

// Allowed reports whether the relay may send to addr.
func (f *PeerFilter) Allowed(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = normalize(addr)
	for _, o := range f.own {
		if o == addr {
			return true
		}
	}
	if f.allowLoopback && addr.IsLoopback() {
		return true
	}
	return publicAddr(addr)
}

// PeerAllowed reports whether the relay may send to addr, given the
// server's own relay addresses own, which are always allowed.
func PeerAllowed(addr netip.Addr, own []netip.Addr) bool {
	return NewPeerFilter(own, false).Allowed(addr)
}

// normalize strips the zone and turns IPv4-mapped IPv6 into plain IPv4.
func normalize(a netip.Addr) netip.Addr {
	return a.WithZone("").Unmap()
}

// publicAddr reports whether a normalized address is outside every denied
// range, including IPv4 addresses embedded in IPv6 forms.
func publicAddr(a netip.Addr) bool {
	if a.Is4() {
		return publicV4(a)
	}
	for _, p := range deniedV6 {
		if p.Contains(a) {
			return false
		}
	}
	b := a.As16()
	switch {
	case v4Compatible.Contains(a), v4Translated.Contains(a),
		nat64WellKnown.Contains(a), nat64LocalUse.Contains(a):
		// The local-use prefix is treated as carrying the IPv4 address in
		// its last 32 bits (a /96 translation prefix inside the /48), the
		// way it is deployed in practice.
		return publicV4(v4At(b, 12, 13, 14, 15))
	case sixToFour.Contains(a):
		return publicV4(v4At(b, 2, 3, 4, 5))
	case teredo.Contains(a):
		return publicV4(netip.AddrFrom4([4]byte{b[12] ^ 0xff, b[13] ^ 0xff, b[14] ^ 0xff, b[15] ^ 0xff}))
	}
	return true
}

func v4At(b [16]byte, i, j, k, l int) netip.Addr {
	return netip.AddrFrom4([4]byte{b[i], b[j], b[k], b[l]})
}

func publicV4(a netip.Addr) bool {
	for _, p := range deniedV4 {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

package limit

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2001:db8:ffff::/48"),
		netip.MustParsePrefix("192.0.2.10/32"),
	}
	tests := []struct {
		name    string
		remote  string
		xff     []string // X-Forwarded-For values, one header line each
		trusted []netip.Prefix
		want    string // "" for the zero Addr
	}{
		{"untrusted peer", "203.0.113.5:1234", nil, trusted, "203.0.113.5"},
		{"untrusted peer's XFF is ignored", "203.0.113.5:1234", []string{"198.51.100.1"}, trusted, "203.0.113.5"},
		{"untrusted peer claiming a trusted proxy chain", "203.0.113.5:1234", []string{"198.51.100.1, 10.0.0.1"}, trusted, "203.0.113.5"},
		{"no trusted proxies configured", "10.0.0.1:1234", []string{"198.51.100.1"}, nil, "10.0.0.1"},
		{"trusted peer without XFF", "10.0.0.1:1234", nil, trusted, "10.0.0.1"},
		{"trusted peer, empty XFF", "10.0.0.1:1234", []string{""}, trusted, "10.0.0.1"},
		{"one proxy", "10.0.0.1:1234", []string{"203.0.113.5"}, trusted, "203.0.113.5"},
		{"two proxies", "10.0.0.1:1234", []string{"203.0.113.5, 10.1.1.1"}, trusted, "203.0.113.5"},
		{"client prepends a spoofed address", "10.0.0.1:1234", []string{"198.51.100.1, 203.0.113.5"}, trusted, "203.0.113.5"},
		{"client prepends a trusted address", "10.0.0.1:1234", []string{"10.9.9.9, 203.0.113.5"}, trusted, "203.0.113.5"},
		{"client sends its own XFF line first", "10.0.0.1:1234", []string{"198.51.100.1", "203.0.113.5, 10.2.2.2"}, trusted, "203.0.113.5"},
		{"chain across header lines", "10.0.0.1:1234", []string{"198.51.100.1, 203.0.113.5", "10.2.2.2"}, trusted, "203.0.113.5"},
		{"malformed entry added by a trusted proxy", "10.0.0.1:1234", []string{"203.0.113.5, unknown, 10.1.1.1"}, trusted, "10.0.0.1"},
		{"malformed entry right of the peer", "10.0.0.1:1234", []string{"_hidden"}, trusted, "10.0.0.1"},
		{"malformed entry left of the client is not read", "10.0.0.1:1234", []string{"garbage, 203.0.113.5"}, trusted, "203.0.113.5"},
		{"every entry trusted: the leftmost", "10.0.0.1:1234", []string{"10.5.5.5, 10.6.6.6"}, trusted, "10.5.5.5"},
		{"empty entries skipped", "10.0.0.1:1234", []string{"203.0.113.5, , 10.1.1.1,"}, trusted, "203.0.113.5"},
		{"entry with a port", "10.0.0.1:1234", []string{"203.0.113.5:4321"}, trusted, "203.0.113.5"},
		{"IPv6 entry with a port", "10.0.0.1:1234", []string{"[2001:db8::7]:443"}, trusted, "2001:db8::7"},
		{"single-IP trusted proxy", "192.0.2.10:1", []string{"192.0.2.11"}, trusted, "192.0.2.11"},
		{"neighbour of a single-IP proxy is not trusted", "192.0.2.11:1", []string{"203.0.113.5"}, trusted, "192.0.2.11"},
		{"IPv6 proxy", "[2001:db8:ffff::1]:443", []string{"2001:db8:1::5, 2001:db8:ffff:1::2"}, trusted, "2001:db8:1::5"},
		{"4in6 peer matches an IPv4 prefix", "[::ffff:10.0.0.1]:80", []string{"::ffff:203.0.113.5"}, trusted, "203.0.113.5"},
		{"4in6 untrusted peer", "[::ffff:198.51.100.7]:80", nil, trusted, "198.51.100.7"},
		{"4in6 entry cannot pose as trusted", "10.0.0.1:80", []string{"203.0.113.5, ::ffff:10.3.3.3"}, trusted, "203.0.113.5"},
		{"zone dropped", "[fe80::1%eth0]:80", nil, trusted, "fe80::1"},
		{"bare IP RemoteAddr", "203.0.113.5", nil, trusted, "203.0.113.5"},
		{"unparsable RemoteAddr", "@", []string{"203.0.113.5"}, trusted, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/ws", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			var want netip.Addr
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			if got := ClientAddr(r, tc.trusted); got != want {
				t.Errorf("ClientAddr(%s, XFF %q) = %v, want %v", tc.remote, tc.xff, got, want)
			}
		})
	}
}

func TestClientAddrLongHeaderWalksOnlyTheTail(t *testing.T) {
	r := httptest.NewRequest("GET", "/ws", nil)
	r.RemoteAddr = "10.0.0.1:1"
	long := make([]byte, 0, 1<<20)
	for len(long) < 1<<20-32 {
		long = append(long, "198.51.100.1, "...)
	}
	r.Header.Set("X-Forwarded-For", string(long)+"203.0.113.5")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	allocs := testing.AllocsPerRun(10, func() { ClientAddr(r, trusted) })
	if got := ClientAddr(r, trusted); got != netip.MustParseAddr("203.0.113.5") {
		t.Errorf("ClientAddr = %v", got)
	}
	if allocs > 2 {
		t.Errorf("ClientAddr allocates %v times for a long header; it should not split it all", allocs)
	}
}

func TestKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"192.0.2.1", "192.0.2.1/32"},
		{"::ffff:192.0.2.1", "192.0.2.1/32"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
	}
	for _, tc := range tests {
		if got := Key(netip.MustParseAddr(tc.addr)); got != netip.MustParsePrefix(tc.want) {
			t.Errorf("Key(%s) = %v, want %s", tc.addr, got, tc.want)
		}
	}
	if got := Key(netip.Addr{}); got != (netip.Prefix{}) {
		t.Errorf("Key(zero) = %v, want the zero Prefix", got)
	}
}

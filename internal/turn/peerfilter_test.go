package turn

import (
	"net/netip"
	"testing"
)

func TestPeerAllowedTable(t *testing.T) {
	cases := []struct {
		addr string
		want bool
	}{
		// Examples from issue 3.
		{"127.0.0.1", false},
		{"10.0.0.1", false},
		{"169.254.169.254", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"0.0.0.0", false},
		{"224.0.0.1", false},
		{"::", false},
		{"255.255.255.255", false},

		// IPv4 range edges: before first, first, last, after last.
		{"0.0.0.0", false}, {"0.255.255.255", false}, {"1.0.0.0", true},
		{"9.255.255.255", true}, {"10.0.0.0", false}, {"10.255.255.255", false}, {"11.0.0.0", true},
		{"100.63.255.255", true}, {"100.64.0.0", false}, {"100.127.255.255", false}, {"100.128.0.0", true},
		{"126.255.255.255", true}, {"127.0.0.0", false}, {"127.255.255.255", false}, {"128.0.0.0", true},
		{"169.253.255.255", true}, {"169.254.0.0", false}, {"169.254.255.255", false}, {"169.255.0.0", true},
		{"172.15.255.255", true}, {"172.16.0.0", false}, {"172.31.255.255", false}, {"172.32.0.0", true},
		{"191.255.255.255", true}, {"192.0.0.0", false}, {"192.0.0.255", false}, {"192.0.1.0", true},
		{"192.0.1.255", true}, {"192.0.2.0", false}, {"192.0.2.255", false}, {"192.0.3.0", true},
		{"192.88.98.255", true}, {"192.88.99.0", false}, {"192.88.99.255", false}, {"192.88.100.0", true},
		{"192.167.255.255", true}, {"192.168.0.0", false}, {"192.168.255.255", false}, {"192.169.0.0", true},
		{"198.17.255.255", true}, {"198.18.0.0", false}, {"198.19.255.255", false}, {"198.20.0.0", true},
		{"198.51.99.255", true}, {"198.51.100.0", false}, {"198.51.100.255", false}, {"198.51.101.0", true},
		{"203.0.112.255", true}, {"203.0.113.0", false}, {"203.0.113.255", false}, {"203.0.114.0", true},
		{"223.255.255.255", true}, {"224.0.0.0", false}, {"239.255.255.255", false},
		{"240.0.0.0", false}, {"255.255.255.254", false},

		// IPv6 range edges.
		{"::2", false}, // IPv4-compatible 0.0.0.2
		{"ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
		{"100::", false}, {"100::ffff:ffff:ffff:ffff", false}, {"100:0:0:1::", true},
		{"2001:1:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"2001:2::", false},
		{"2001:2:0:ffff:ffff:ffff:ffff:ffff", false}, {"2001:2:1::", true},
		{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"2001:db8::", false},
		{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", false}, {"2001:db9::", true},
		{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"fc00::", false},
		{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false}, {"fe00::", true},
		{"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"fe80::", false},
		{"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false}, {"fec0::", false},
		{"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false}, {"ff00::", false},
		{"ff02::1", false}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
		{"fe80::1%eth0", false},

		// Embedded forms of 10.0.0.1 and 127.0.0.1.
		{"::ffff:10.0.0.1", false},
		{"::10.0.0.1", false},
		{"::127.0.0.1", false},
		{"::ffff:0:10.0.0.1", false},
		{"::ffff:0:127.0.0.1", false},
		{"64:ff9b::10.0.0.1", false},
		{"64:ff9b::127.0.0.1", false},
		{"64:ff9b::169.254.169.254", false},
		{"64:ff9b:1::10.0.0.1", false},
		{"64:ff9b:1:abcd:1234::127.0.0.1", false},
		{"2002:a00:1::", false},
		{"2002:7f00:1::1", false},
		{"2001:0:4136:e378:8000:63bf:f5ff:fffe", false}, // Teredo 10.0.0.1
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", false}, // Teredo 127.0.0.1
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false}, // RFC 4380 example, 192.0.2.45

		// Public addresses.
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true},
		{"::ffff:1.1.1.1", true},
		{"64:ff9b::808:808", true},
		{"64:ff9b:1::8.8.8.8", true},
		{"2002:808:808::1", true},
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", true}, // Teredo 8.8.8.8
		{"2a00:1450:4001:81c::200e", true},
	}
	for _, tc := range cases {
		a := netip.MustParseAddr(tc.addr)
		if got := PeerAllowed(a, nil); got != tc.want {
			t.Errorf("PeerAllowed(%s) = %v, want %v", tc.addr, got, tc.want)
		}
		if got := NewPeerFilter(nil, false).Allowed(a); got != tc.want {
			t.Errorf("PeerFilter.Allowed(%s) = %v, want %v", tc.addr, got, tc.want)
		}
		var zero PeerFilter
		if got := zero.Allowed(a); got != tc.want {
			t.Errorf("zero PeerFilter.Allowed(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

func TestPeerAllowedInvalid(t *testing.T) {
	if PeerAllowed(netip.Addr{}, []netip.Addr{{}}) {
		t.Fatal("invalid address allowed")
	}
	if NewPeerFilter([]netip.Addr{{}}, true).Allowed(netip.Addr{}) {
		t.Fatal("invalid address allowed by filter")
	}
}

func TestPeerAllowedOwnException(t *testing.T) {
	own := []netip.Addr{
		netip.MustParseAddr("10.0.0.5"),
		netip.MustParseAddr("::ffff:192.168.1.9"),
		netip.MustParseAddr("fd00::7%eth0"),
	}
	cases := []struct {
		addr string
		want bool
	}{
		{"10.0.0.5", true},
		{"::ffff:10.0.0.5", true},
		{"10.0.0.6", false},
		{"192.168.1.9", true},
		{"192.168.1.10", false},
		{"fd00::7", true},
		{"fd00::7%eth1", true},
		{"fd00::8", false},
		{"64:ff9b::10.0.0.5", false}, // a NAT64 path is not our own socket
		{"8.8.8.8", true},
	}
	f := NewPeerFilter(own, false)
	for _, tc := range cases {
		a := netip.MustParseAddr(tc.addr)
		if got := PeerAllowed(a, own); got != tc.want {
			t.Errorf("PeerAllowed(%s) = %v, want %v", tc.addr, got, tc.want)
		}
		if got := f.Allowed(a); got != tc.want {
			t.Errorf("Allowed(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	// The filter keeps its own copy.
	own[0] = netip.MustParseAddr("10.0.0.6")
	if !f.Allowed(netip.MustParseAddr("10.0.0.5")) {
		t.Error("filter affected by mutating the caller's slice")
	}
}

func TestPeerFilterAllowLoopback(t *testing.T) {
	cases := []struct {
		addr       string
		off, onVal bool
	}{
		{"127.0.0.1", false, true},
		{"127.255.255.254", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true}, // same address as 127.0.0.1
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"10.0.0.1", false, false},
		{"169.254.169.254", false, false},
		{"fe80::1", false, false},
		{"224.0.0.1", false, false},
		{"64:ff9b::127.0.0.1", false, false},
		{"2002:7f00:1::", false, false},
		{"::127.0.0.1", false, false},
		{"8.8.8.8", true, true},
	}
	off, on := NewPeerFilter(nil, false), NewPeerFilter(nil, true)
	for _, tc := range cases {
		a := netip.MustParseAddr(tc.addr)
		if got := off.Allowed(a); got != tc.off {
			t.Errorf("allowLoopback=false Allowed(%s) = %v, want %v", tc.addr, got, tc.off)
		}
		if got := on.Allowed(a); got != tc.onVal {
			t.Errorf("allowLoopback=true Allowed(%s) = %v, want %v", tc.addr, got, tc.onVal)
		}
	}
}

func FuzzPeerAllowed(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1", "10.0.0.1", "169.254.169.254", "0.0.0.0", "224.0.0.1",
		"255.255.255.255", "8.8.8.8", "100.64.0.1", "192.88.99.1", "1.1.1.1",
	} {
		b := netip.MustParseAddr(s).As4()
		f.Add(b[:], false)
	}
	f.Add([]byte{0x20, 0x02, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, true)
	f.Fuzz(func(t *testing.T, raw []byte, loopback bool) {
		own := []netip.Addr{netip.MustParseAddr("10.0.0.5")}
		filt := NewPeerFilter(own, loopback)
		a, ok := netip.AddrFromSlice(raw)
		// Never panics, whatever the input.
		_ = PeerAllowed(a, own)
		_ = filt.Allowed(a)
		if !ok || !a.Is4() {
			return
		}
		mapped := netip.AddrFrom16(a.As16())
		if got, want := PeerAllowed(mapped, own), PeerAllowed(a, own); got != want {
			t.Fatalf("PeerAllowed(%s) = %v but PeerAllowed(%s) = %v", mapped, got, a, want)
		}
		if got, want := filt.Allowed(mapped), filt.Allowed(a); got != want {
			t.Fatalf("Allowed(%s) = %v but Allowed(%s) = %v", mapped, got, a, want)
		}
	})
}

package lan

import (
	"net/netip"
	"slices"
	"testing"
)

func TestOrder(t *testing.T) {
	ip := netip.MustParseAddr
	a := func(iface, addr string) ifaceAddr { return ifaceAddr{iface, ip(addr)} }
	home := []ifaceAddr{
		a("wlan0", "2001:db8::23"),
		a("docker0", "172.17.0.1"),
		a("wlan0", "fe80::1"),
		a("eth1", "203.0.113.5"),
		a("vboxnet0", "192.168.56.1"),
		a("br-0123456789ab", "172.18.0.1"),
		a("veth12ab", "10.200.0.1"),
		a("virbr0", "192.168.122.1"),
		a("wlan0", "fd00::23"),
		a("eth0", "169.254.7.7"),
		a("wlan0", "192.168.1.23"),
		a("tun0", "fd12::5"),
		a("lo", "127.0.0.1"),
		a("lo", "::1"),
		a("eth2", "224.0.0.251"),
	}
	tests := []struct {
		name       string
		addrs      []ifaceAddr
		defaultSrc string
		want       []string
	}{
		{"nothing", nil, "", nil},
		{"only loopback and link-local", []ifaceAddr{a("lo", "127.0.0.1"), a("eth0", "fe80::2")}, "", nil},
		{
			// IPv4 first; private first; the default-route interface first;
			// Docker, libvirt, veth, link-local, loopback and multicast never.
			"home with default route", home, "192.168.1.23",
			[]string{"192.168.1.23", "192.168.56.1", "203.0.113.5", "fd00::23", "fd12::5", "2001:db8::23"},
		},
		{
			"no default route: address order within each rank",
			append(slices.Clone(home), a("tun1", "10.9.9.9")), "",
			[]string{"10.9.9.9", "192.168.1.23", "192.168.56.1", "203.0.113.5", "fd00::23", "fd12::5", "2001:db8::23"},
		},
		{
			"default route on a host-only adapter wins among private", home, "192.168.56.1",
			[]string{"192.168.56.1", "192.168.1.23", "203.0.113.5", "fd00::23", "fd12::5", "2001:db8::23"},
		},
		{
			"private beats a public default route",
			[]ifaceAddr{a("eth0", "198.51.100.7"), a("wlan0", "10.0.0.9")}, "198.51.100.7",
			[]string{"10.0.0.9", "198.51.100.7"},
		},
		{
			"the default source first on its interface, then its siblings",
			[]ifaceAddr{a("eth0", "10.0.0.2"), a("eth1", "10.0.0.1"), a("eth0", "10.0.0.3"), a("eth0", "fd00::3"), a("eth1", "fd00::1")},
			"10.0.0.3",
			[]string{"10.0.0.3", "10.0.0.2", "10.0.0.1", "fd00::3", "fd00::1"},
		},
		{
			"default source on a Docker bridge is ignored",
			[]ifaceAddr{a("docker0", "172.17.0.1"), a("eth0", "10.0.0.2"), a("eth1", "10.0.0.1")}, "172.17.0.1",
			[]string{"10.0.0.1", "10.0.0.2"},
		},
		{
			"an address on two interfaces appears once",
			[]ifaceAddr{a("eth0", "10.0.0.2"), a("eth1", "10.0.0.2"), a("eth1", "10.0.0.1")}, "",
			[]string{"10.0.0.1", "10.0.0.2"},
		},
		{
			"hand-named bridges such as OpenWrt's br-lan are kept",
			[]ifaceAddr{a("br-lan", "192.168.1.1")}, "192.168.1.1",
			[]string{"192.168.1.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src netip.Addr
			if tt.defaultSrc != "" {
				src = ip(tt.defaultSrc)
			}
			var want []netip.Addr
			for _, s := range tt.want {
				want = append(want, ip(s))
			}
			got := order(tt.addrs, src)
			if !slices.Equal(got, want) {
				t.Errorf("order = %v, want %v", got, want)
			}
			// Deterministic: the input order does not matter.
			reversed := slices.Clone(tt.addrs)
			slices.Reverse(reversed)
			if rev := order(reversed, src); !slices.Equal(rev, got) {
				t.Errorf("reversed input: order = %v, want %v", rev, got)
			}
		})
	}
}

// TestAddresses checks the real machine's list against the rules; in a
// loopback-only network namespace it is simply empty.
func TestAddresses(t *testing.T) {
	got := Addresses()
	t.Logf("Addresses() = %v", got)
	seenV6 := false
	for i, a := range got {
		if !a.IsGlobalUnicast() || a.Is4In6() || a.Zone() != "" {
			t.Errorf("Addresses()[%d] = %v: not a plain unicast address", i, a)
		}
		if a.Is4() && seenV6 {
			t.Errorf("Addresses()[%d] = %v: IPv4 after IPv6", i, a)
		}
		seenV6 = seenV6 || a.Is6()
		if slices.Contains(got[:i], a) {
			t.Errorf("Addresses()[%d] = %v: duplicate", i, a)
		}
	}
}

package lan

import (
	"cmp"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// ifaceAddr is one address of one network interface.
type ifaceAddr struct {
	iface string
	addr  netip.Addr
}

// Addresses returns the machine's addresses a phone on the same local
// network could reach, best first: unicast addresses of interfaces that are
// up, without loopback, link-local and container/VM bridge addresses. IPv4
// comes before IPv6 (phones on home Wi-Fi reach IPv4 most reliably); within
// a family private addresses (RFC 1918, IPv6 ULA) come first, then those of
// the default-route interface. The result is empty, not an error, when
// there is no such address (e.g. a network namespace with only loopback).
func Addresses() []netip.Addr {
	return order(interfaceAddrs(), defaultSource())
}

// interfaceAddrs lists the addresses of the interfaces that are up and not
// loopback, IPv4 in its 4-byte form; order filters and sorts them.
func interfaceAddrs() []ifaceAddr {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []ifaceAddr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipnet, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipnet.IP); ok {
					out = append(out, ifaceAddr{ifc.Name, ip.Unmap()})
				}
			}
		}
	}
	return out
}

// defaultSource returns the local address the kernel picks for the default
// route, or the zero Addr when there is none. Connecting a UDP socket only
// selects a route; it sends no packet. 192.0.2.1 is a documentation address
// (RFC 5737), so nothing real is ever addressed.
func defaultSource() netip.Addr {
	c, err := net.Dial("udp4", "192.0.2.1:9")
	if err != nil {
		return netip.Addr{}
	}
	defer c.Close()
	if ua, ok := c.LocalAddr().(*net.UDPAddr); ok {
		return ua.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// dockerBridge matches the bridges Docker creates for user-defined networks
// ("br-" and 12 hex digits of the network ID), but not hand-named bridges
// such as OpenWrt's br-lan, which may well be the LAN.
var dockerBridge = regexp.MustCompile(`^br-[0-9a-f]{12}$`)

// virtual reports whether an interface name is one that container and VM
// tools create for guests on this machine; a phone can never reach them.
func virtual(name string) bool {
	return strings.HasPrefix(name, "docker") || strings.HasPrefix(name, "veth") ||
		strings.HasPrefix(name, "virbr") || dockerBridge.MatchString(name)
}

// reachable reports whether a could be a phone's way to this machine.
func reachable(a ifaceAddr) bool {
	return a.addr.IsGlobalUnicast() && !virtual(a.iface) // excludes loopback, link-local, multicast
}

// order keeps the reachable addresses of addrs, drops duplicates and sorts
// them as Addresses documents. defaultSrc is the default route's source
// address (zero if unknown). The result depends only on the set of
// arguments, not on their order, so the printed URL is stable.
func order(addrs []ifaceAddr, defaultSrc netip.Addr) []netip.Addr {
	defaultIface := defaultInterface(addrs, defaultSrc)
	type ranked struct {
		addr netip.Addr
		rank int
	}
	var rs []ranked
	for _, a := range addrs {
		if reachable(a) {
			rs = append(rs, ranked{a.addr, rank(a, defaultIface, defaultSrc)})
		}
	}
	slices.SortFunc(rs, func(x, y ranked) int {
		return cmp.Or(cmp.Compare(x.rank, y.rank), x.addr.Compare(y.addr))
	})
	out := make([]netip.Addr, 0, len(rs))
	for _, r := range rs {
		if !slices.Contains(out, r.addr) { // the best-ranked copy comes first
			out = append(out, r.addr)
		}
	}
	return out
}

// defaultInterface names the reachable interface that holds src, or "" if
// none does; the first name in byte order wins if several do.
func defaultInterface(addrs []ifaceAddr, src netip.Addr) string {
	name := ""
	for _, a := range addrs {
		if a.addr == src && reachable(a) && (name == "" || a.iface < name) {
			name = a.iface
		}
	}
	return name
}

// rank orders one address: lower is better. The weights make the criteria
// lexicographic: IPv4 before IPv6, then private before public, then the
// default-route interface before others, then its source address itself.
func rank(a ifaceAddr, defaultIface string, defaultSrc netip.Addr) int {
	r := 0
	if a.addr.Is6() {
		r += 8
	}
	if !a.addr.IsPrivate() {
		r += 4
	}
	if defaultIface == "" || a.iface != defaultIface {
		r += 2
	}
	if a.addr != defaultSrc {
		r++
	}
	return r
}

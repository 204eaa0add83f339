package turn

import (
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"
)

func TestOwnPortGuard(t *testing.T) {
	var dropped atomic.Int64
	g := &ownPortGuard{
		RelayAddressGenerator: &pionturn.RelayAddressGeneratorStatic{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1"},
		own:                   []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("203.0.113.9")},
		lo:                    1024, hi: 65535, dropped: &dropped, bytes: &relayBytes{},
	}
	if err := g.Validate(); err != nil { // as pion's server does; it fills in the default network
		t.Fatal(err)
	}
	// A port inside the range on an own address, another address entirely, and ports outside the range.
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:50000", true}, {"198.51.100.1:22", true},
		{"203.0.113.9:6379", true}, {"203.0.113.9:22", false}, {"[::ffff:203.0.113.9]:53", false},
		{"127.0.0.1:3478", true},
	} {
		ap := netip.MustParseAddrPort(tc.addr)
		if got := g.allowed(net.UDPAddrFromAddrPort(ap)); got != tc.ok {
			t.Errorf("allowed(%s) = %v, want %v", tc.addr, got, tc.ok)
		}
	}

	// Through a real relay socket: a datagram to an own address outside the range never leaves. The range
	// lies below every ephemeral port (Linux hands out 32768–60999 by default), so the target's random
	// port is always outside it; 60000–60100 was inside it once in a few hundred runs.
	g.lo, g.hi = 1024, 1100
	pc, _, err := g.AllocatePacketConn(pionturn.AllocateListenerConfig{Network: "udp4", RequestedPort: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	target, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if n, err := pc.WriteTo([]byte("to a host service"), target.LocalAddr()); err != nil || n != 17 {
		t.Fatalf("WriteTo = %d, %v; want the datagram swallowed", n, err)
	}
	_ = target.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, _, err := target.ReadFrom(make([]byte, 64)); err == nil {
		t.Fatal("a datagram to this host's own port outside the relay range was relayed")
	}
	if dropped.Load() != 1 {
		t.Fatalf("dropped = %d, want 1", dropped.Load())
	}
	if _, err := g.AllocateConn(pionturn.AllocateConnConfig{Network: "tcp4",
		RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}}); err == nil {
		t.Fatal("a TCP connection to this host's port 22 was allowed")
	}
	if g.bytes.toPeers.Load() != 0 {
		t.Fatalf("dropped datagrams counted as relayed: %d bytes", g.bytes.toPeers.Load())
	}

	// Relayed datagrams are counted both ways.
	g.lo, g.hi = 1024, 65535
	if _, err := pc.WriteTo([]byte("hello peer"), target.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	_ = target.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, _, err := target.ReadFrom(make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	if _, err := target.WriteTo([]byte("hi"), pc.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, _, err := pc.ReadFrom(make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	if to, from := g.bytes.toPeers.Load(), g.bytes.fromPeers.Load(); to != 10 || from != 2 {
		t.Fatalf("counted %d bytes to peers and %d from peers, want 10 and 2", to, from)
	}
}

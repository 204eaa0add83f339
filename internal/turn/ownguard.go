package turn

import (
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"

	pionturn "github.com/pion/turn/v5"
)

// Ephemeral ports Linux hands out by default; the guard's range when no relay port range is set.
const (
	defaultGuardMin = 32768
	defaultGuardMax = 60999
)

// ownPortGuard narrows the peer filter's own-address exception. Peers may reach this server's own
// relay addresses so that two relayed clients can meet, but only on relay ports: without the guard a
// client could use an allocation to reach any service on the TURN host's own address (a database on the
// private relay IP, or the TURN listener itself, looping the relay into itself). The permission
// handler sees only IPs, so the guard sits on the relay sockets: UDP datagrams to an own address outside
// the range are dropped, TCP connections (RFC 6062 Connect) to one are refused.
//
// Sitting on every relay socket, the guard also counts the bytes relayed (for metrics).
type ownPortGuard struct {
	pionturn.RelayAddressGenerator
	own     []netip.Addr
	lo, hi  uint16
	dropped *atomic.Int64
	bytes   *relayBytes
}

func (g *ownPortGuard) allowed(addr net.Addr) bool {
	var ap netip.AddrPort
	switch a := addr.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case *net.TCPAddr:
		ap = a.AddrPort()
	default:
		return false
	}
	ip := normalize(ap.Addr())
	for _, own := range g.own {
		if ip == own {
			return ap.Port() >= g.lo && ap.Port() <= g.hi
		}
	}
	return true
}

func (g *ownPortGuard) AllocatePacketConn(c pionturn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	pc, addr, err := g.RelayAddressGenerator.AllocatePacketConn(c)
	if err != nil {
		return nil, nil, err
	}
	return &guardedPacketConn{PacketConn: pc, guard: g}, addr, nil
}

func (g *ownPortGuard) AllocateConn(c pionturn.AllocateConnConfig) (net.Conn, error) {
	if !g.allowed(c.RemoteAddr) {
		g.dropped.Add(1)
		return nil, fmt.Errorf("turn: relaying to this server's own port %v is not allowed", c.RemoteAddr)
	}
	conn, err := g.RelayAddressGenerator.AllocateConn(c)
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: conn, bytes: g.bytes}, nil
}

type guardedPacketConn struct {
	net.PacketConn
	guard *ownPortGuard
}

// WriteTo drops a datagram for an own address outside the relay ports, as if lost on the way.
func (c *guardedPacketConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !c.guard.allowed(addr) {
		c.guard.dropped.Add(1)
		return len(p), nil
	}
	n, err := c.PacketConn.WriteTo(p, addr)
	c.guard.bytes.toPeers.Add(int64(n))
	return n, err
}

// ReadFrom counts what peers send to the allocation (pion drops it without a permission; it was
// still relay traffic the host carried).
func (c *guardedPacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(p)
	c.guard.bytes.fromPeers.Add(int64(n))
	return n, addr, err
}

// countedConn is a TCP relay connection (RFC 6062) that counts its bytes.
type countedConn struct {
	net.Conn
	bytes *relayBytes
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.bytes.toPeers.Add(int64(n))
	return n, err
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.bytes.fromPeers.Add(int64(n))
	return n, err
}

package integration

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/transport/v5/vnet"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/peer"
	"github.com/maju-call/maju/internal/protocol"
)

// The NAT matrix: two Go peers, each behind its own simulated NAT (pion vnet), call each other through
// maju's own TURN server on the simulated internet, for every combination of RFC 4787 mapping and
// filtering behaviour on both sides (9 × 9 cells). Signaling runs over real loopback; all media and
// ICE traffic stays inside the process (see nat_helper_test.go for the topology).

const (
	// natCellTimeout bounds one cell. Measured alone (with -race, on a busy 2-core machine): a direct
	// cell takes 3.5-5 s (natPrflxWait, then DTLS), a relayed one 9-10 s (natRelayWait), a storm
	// (natStorm) about 7.5 s.
	natCellTimeout = 45 * time.Second
	// natWorkers is how many cells (other than storms, see natStorm) run at once. The cells mostly
	// wait on pion's timers, so many more run than there are cores; go test's -parallel (GOMAXPROCS
	// by default) would allow only 2 parallel subtests.
	natWorkers = 16
)

// EI, AD and APD: RFC 4787 endpoint-independent, address-dependent and address-and-port-dependent
// behaviour, for mapping (§4.1) and for filtering (§5).
const (
	natEI  = vnet.EndpointIndependent
	natAD  = vnet.EndpointAddrDependent
	natAPD = vnet.EndpointAddrPortDependent
)

// natType is one NAT's behaviour.
type natType struct {
	mapping, filtering vnet.EndpointDependencyType
}

func (n natType) String() string {
	names := map[vnet.EndpointDependencyType]string{natEI: "EI", natAD: "AD", natAPD: "APD"}
	return names[n.mapping] + "M-" + names[n.filtering] + "F"
}

// natRelayed says whether two peers behind NATs a and b must go through the TURN relay because no
// direct (host, srflx or prflx) candidate pair can get through both NATs.
//
// Why, for pion's vnet NATs: each NAT has one public IP, and the STUN/TURN server has a third IP. A
// peer's srflx candidate is the mapping its NAT made for the srflx socket towards the STUN server,
// so the filter on that port holds only the server until the peer itself sends to the other side
// from it.
//   - With endpoint-independent mapping (EIM) a peer sends to the other from that same srflx port, which
//     the other was told about. With any other mapping it sends from a fresh port the other learns
//     only as a peer-reflexive candidate, when one of its packets gets in. Address-dependent mapping
//     then keeps that one port for every port of the other's single IP; address-and-port-dependent
//     mapping (APDM, "symmetric") opens yet another port for each new port of the other side. (The
//     host socket's checks also leave through the NAT, from a port nobody was told: a fresh port.)
//   - A fresh port never gets into an address-and-port-dependent filter (APDF): the filtering side
//     only lets in the exact addresses it sent to, and it cannot send to a port it was never told.
//     So a non-EIM side and an APDF side cannot meet directly.
//   - When both sides send from fresh ports, the first packet must get into the other's srflx port,
//     whose filter knows only the STUN server: only an endpoint-independent filter (EIF) lets it in.
//     So two non-EIM sides need at least one EIF.
//   - Two APDM sides never agree on a pair: every answer to a newly learnt port leaves from yet another
//     fresh port (RFC 4787 §4.1: symmetric NATs need a relay).
//
// Everything else connects directly: 42 of the 81 cells. A model of the vnet NATs and of ICE's
// checks (learning peer-reflexive addresses, dropping answers from an unexpected address) gives the
// same table, and TestNATMatrix checks every cell of it against pion and vnet.
func natRelayed(a, b natType) bool {
	fresh := func(n natType) bool { return n.mapping != natEI }
	switch {
	case a.mapping == natAPD && b.mapping == natAPD:
		return true
	case fresh(a) && b.filtering == natAPD, fresh(b) && a.filtering == natAPD:
		return true
	case fresh(a) && fresh(b) && a.filtering != natEI && b.filtering != natEI:
		return true
	}
	return false
}

// TestNATRule checks natRelayed against the classic NAT names (full cone EIM+EIF, restricted cone
// EIM+ADF, port-restricted cone EIM+APDF, symmetric APDM+APDF) and for symmetry between the sides.
func TestNATRule(t *testing.T) {
	full, restricted := natType{natEI, natEI}, natType{natEI, natAD}
	portRestricted, symmetric := natType{natEI, natAPD}, natType{natAPD, natAPD}
	for _, tt := range []struct {
		a, b    natType
		relayed bool
	}{
		{full, full, false},
		{portRestricted, portRestricted, false},
		{symmetric, full, false},
		{symmetric, restricted, false},
		{symmetric, portRestricted, true},
		{symmetric, symmetric, true},
		{natType{natAPD, natEI}, natType{natAPD, natEI}, true}, // symmetric mapping, open filters: still relayed
		{natType{natAD, natAD}, natType{natAD, natAD}, true},
		{natType{natAD, natEI}, natType{natAD, natAD}, false},
	} {
		if got := natRelayed(tt.a, tt.b); got != tt.relayed {
			t.Errorf("%v ↔ %v: relayed %t, want %t", tt.a, tt.b, got, tt.relayed)
		}
	}
	for _, a := range natTypes() {
		for _, b := range natTypes() {
			if natRelayed(a, b) != natRelayed(b, a) {
				t.Errorf("%v ↔ %v: the rule depends on the order", a, b)
			}
		}
	}
}

// natTypes lists all nine mapping × filtering behaviours.
func natTypes() []natType {
	bs := []vnet.EndpointDependencyType{natEI, natAD, natAPD}
	var ts []natType
	for _, m := range bs {
		for _, f := range bs {
			ts = append(ts, natType{m, f})
		}
	}
	return ts
}

// TestNATMatrix: for every pair of NAT behaviours (A offers and controls ICE, B answers) the two
// peers connect, chat both ways, and both report the path natRelayed predicts: direct to the other
// NAT's public address, or through maju's TURN server. A symmetric-to-symmetric pair must be relayed
// whatever the rule says.
func TestNATMatrix(t *testing.T) {
	// Every cell opens a room from 127.0.0.1, and up to natWorkers+1 cells run at once: more rooms and
	// connections than the per-address limits allow one client.
	_, url, _ := setup(t, func(c *config.Config) { c.RoomBurst, c.MaxConnsPerIP = 200, 200 })
	type cell struct{ a, b natType }
	run := func(c cell) {
		t.Run(fmt.Sprintf("A=%v/B=%v", c.a, c.b), func(t *testing.T) { natCell(t, url, c.a, c.b) })
	}
	var storms, relayed, direct []cell
	for _, a := range natTypes() {
		for _, b := range natTypes() {
			switch c := (cell{a, b}); {
			case natStorm(a, b):
				storms = append(storms, c)
			case natRelayed(a, b):
				relayed = append(relayed, c)
			default:
				direct = append(direct, c)
			}
		}
	}
	// Schedule: the storms burn CPU, one at a time on their own worker, while natWorkers workers run
	// the relayed cells, which mostly wait for natRelayWait and do not mind a busy CPU. The direct
	// cells, which race the relay wait, start once the storms are over.
	var wg sync.WaitGroup
	stormsDone := make(chan struct{})
	wg.Go(func() {
		defer close(stormsDone)
		for _, c := range storms {
			run(c)
		}
	})
	cells := make(chan cell)
	for range natWorkers {
		wg.Go(func() {
			for c := range cells {
				run(c)
			}
		})
	}
	for _, c := range relayed {
		cells <- c
	}
	<-stormsDone
	for _, c := range direct {
		cells <- c
	}
	close(cells)
	wg.Wait()
}

// natStorm says whether a cell is a "candidate storm": both NATs open a fresh port for every new
// destination and both let packets from fresh ports in (an endpoint-independent filter for the first
// contact, and no port-dependent one). Each side's checks then teach the other new peer-reflexive
// candidates, whose checks open more fresh ports, and so on: pion's agents go CPU-bound (about 7 s
// of CPU under -race for one cell) until the relay is nominated. These cells are relayed like every
// symmetric pair; they run one at a time, with pion's default relay wait, so as not to starve the
// others.
func natStorm(a, b natType) bool {
	return a.mapping == natAPD && b.mapping == natAPD &&
		(a.filtering == natEI || b.filtering == natEI) && a.filtering != natAPD && b.filtering != natAPD
}

func natCell(t *testing.T, url string, natA, natB natType) {
	ctx, cancel := context.WithTimeout(context.Background(), natCellTimeout)
	defer cancel()
	w := newNATWorld(t, natA, natB)
	room, err := protocol.NewRoomID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := w.join(ctx, t, url, room, 0)
	b := w.join(ctx, t, url, room, 1)
	waitConnected(ctx, t, a, b)
	chat(ctx, t, a, b, "hello through the NAT")
	chat(ctx, t, b, a, "hello back")

	relayed := natRelayed(natA, natB)
	want := "direct"
	if relayed {
		want = "relayed"
	}
	for i, p := range []*peer.Peer{a, b} {
		path, err := p.Path(ctx)
		if err != nil {
			t.Fatalf("peer %d: path: %v", i, err)
		}
		t.Logf("peer %d: %v", i, path)
		if natA.mapping == natAPD && natB.mapping == natAPD && !path.Relayed {
			t.Errorf("peer %d: symmetric to symmetric went direct: %v", i, path)
		}
		if path.Relayed != relayed {
			t.Errorf("peer %d: path %v, want %s", i, path, want)
			continue
		}
		if relayed {
			w.checkRelayed(t, i, path)
		} else {
			w.checkDirect(t, i, path)
		}
	}
}

// checkDirect: neither end is a relay candidate and the remote end is the other NAT's public address
// (host addresses are private and unreachable across the simulated internet).
func (w *natWorld) checkDirect(t *testing.T, i int, path peer.Path) {
	t.Helper()
	if path.LocalType == "relay" || path.RemoteType == "relay" {
		t.Errorf("peer %d: direct path with a relay end: %v", i, path)
	}
	if ip := natAddrIP(t, path.RemoteAddr); ip != w.public[1-i] {
		t.Errorf("peer %d: direct path to %v, want the other NAT's public address %v", i, ip, w.public[1-i])
	}
}

// checkRelayed: the relay end of the path is an allocation on maju's TURN server (reached over UDP
// when it is this peer's own).
func (w *natWorld) checkRelayed(t *testing.T, i int, path peer.Path) {
	t.Helper()
	local, remote := natAddrIP(t, path.LocalAddr), natAddrIP(t, path.RemoteAddr)
	switch {
	case path.LocalType == "relay":
		if local != w.turnIP || path.Protocol != "udp" {
			t.Errorf("peer %d: local relay %v, want one on %v over udp", i, path, w.turnIP)
		}
	case remote != w.turnIP: // a relay or peer-reflexive remote on the relay's address
		t.Errorf("peer %d: relayed path %v without an end on the relay %v", i, path, w.turnIP)
	}
	if n := w.turn.AllocationCount(); n == 0 {
		t.Errorf("peer %d: relayed path but the TURN server has no allocation", i)
	}
}

func natAddrIP(t *testing.T, addr string) netip.Addr {
	t.Helper()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("bad address %q: %v", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		t.Fatalf("bad address %q: %v", addr, err)
	}
	return ip
}

package integration

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/maju-call/maju/internal/peer"
	"github.com/maju-call/maju/internal/pionlog"
	"github.com/maju-call/maju/internal/turn"
)

// The simulated internet of one NAT cell (pion vnet, all in-process: no packet reaches a real
// interface):
//
//	WAN router 0.0.0.0/0 ── TURN server 7.7.7.7:3478 (maju's turn.Server, relays on 7.7.7.7)
//	  ├── NAT A, public 1.2.3.4 ── LAN 10.1.0.0/24 ── peer A at 10.1.0.2
//	  └── NAT B, public 5.6.7.8 ── LAN 10.2.0.0/24 ── peer B at 10.2.0.2
//
// The public addresses are outside every range maju's TURN peer filter refuses, so the relay may send
// to the NATs; the relay's own address is always allowed, so two relayed peers can meet on it.
const (
	natTURNPort = 3478
	natRealm    = "maju.test"
	// natRelayWait is how long the controlling peer waits before it may nominate a relayed pair
	// (pion's default is 2 s). Behind a symmetric NAT the direct path is found only after a few
	// rounds of peer-reflexive discovery, which on a loaded 2-core machine under -race took up to 5 s:
	// with pion's 2 s the relay would win races the NATs did not decide.
	natRelayWait = 8 * time.Second
	// natStormRelayWait is the relay wait of storm cells (natStorm), pion's default: they can only be
	// relayed, and every second of waiting is a second of candidate storm.
	natStormRelayWait = 2 * time.Second
	// natPrflxWait is how long the controlling peer waits before it may nominate a pair with a
	// peer-reflexive end (pion's default is 1 s). The other side's relay address can first be learnt
	// as peer-reflexive, from its checks through the TURN server, before its relay candidate arrives
	// over signalling; until then the pair passes for direct (with a direct pair's priority) and could
	// be nominated after 1 s, skipping natRelayWait. 3 s leaves signalling the time to deliver it.
	natPrflxWait = 3 * time.Second
	// natMaxChecks is how many checks pion sends on a candidate pair before it gives the pair up for
	// good (pion's default is 7 retries, 1.6 s at most). A direct pair often works only once the other
	// peer's checks have opened its own NAT; when that peer starts late (a loaded machine) the pair
	// would already be given up. Browsers keep checking for much longer.
	natMaxChecks = 40
)

var (
	natTURNIP   = netip.MustParseAddr("7.7.7.7")
	natPublicIP = [2]netip.Addr{netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("5.6.7.8")}
	natLAN      = [2]string{"10.1.0.0/24", "10.2.0.0/24"}
	natHostIP   = [2]string{"10.1.0.2", "10.2.0.2"}
	natSecret   = []byte("nat-matrix-secret")

	// natBuildMu serialises building virtual networks: vnet.NewRouter and vnet.NewNet number their
	// MAC addresses from an unguarded package counter (a data race in pion/transport v5.1.4).
	natBuildMu sync.Mutex
)

// natWorld is one cell's simulated internet.
type natWorld struct {
	relayWait time.Duration
	turnIP    netip.Addr
	public    [2]netip.Addr
	nets      [2]*vnet.Net // the peers' LANs
	turn      *turn.Server
}

// newNATWorld builds and starts the routers and the TURN server; the test's cleanup stops them.
func newNATWorld(t *testing.T, natA, natB natType) *natWorld {
	t.Helper()
	natBuildMu.Lock()
	defer natBuildMu.Unlock()
	vlog := pionlog.New(logger(t, "vnet"))
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "0.0.0.0/0", LoggerFactory: vlog})
	if err != nil {
		t.Fatal(err)
	}
	wanNet, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{natTURNIP.String()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wan.AddNet(wanNet); err != nil {
		t.Fatal(err)
	}
	w := &natWorld{relayWait: natRelayWait, turnIP: natTURNIP, public: natPublicIP}
	if natStorm(natA, natB) {
		w.relayWait = natStormRelayWait
	}
	for i, nt := range []natType{natA, natB} {
		lan, err := vnet.NewRouter(&vnet.RouterConfig{
			CIDR:          natLAN[i],
			StaticIPs:     []string{natPublicIP[i].String()},
			NATType:       &vnet.NATType{MappingBehavior: nt.mapping, FilteringBehavior: nt.filtering},
			LoggerFactory: vlog,
		})
		if err != nil {
			t.Fatal(err)
		}
		if w.nets[i], err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{natHostIP[i]}}); err != nil {
			t.Fatal(err)
		}
		if err := lan.AddNet(w.nets[i]); err != nil {
			t.Fatal(err)
		}
		if err := wan.AddRouter(lan); err != nil {
			t.Fatal(err)
		}
	}
	if err := wan.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := wan.Stop(); err != nil {
			t.Errorf("stop the virtual network: %v", err)
		}
	})

	conn, err := wanNet.ListenPacket("udp4", netip.AddrPortFrom(natTURNIP, natTURNPort).String())
	if err != nil {
		t.Fatal(err)
	}
	w.turn, err = turn.NewServer(turn.ServerConfig{
		Realm:    natRealm,
		Secret:   natSecret,
		PublicIP: natTURNIP,
		RelayIP:  natTURNIP,
		Net:      wanNet,
		Logger:   logger(t, "turn"),
	}, []net.PacketConn{conn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.turn.Close(); err != nil {
			t.Errorf("close the TURN server: %v", err)
		}
	})
	return w
}

// join joins room as peer i (0 is A, 1 is B) on its LAN, with maju's TURN server as its STUN and
// TURN server. The peer is closed when the test ends.
func (w *natWorld) join(ctx context.Context, t *testing.T, url, room string, i int) *peer.Peer {
	t.Helper()
	name := string(rune('a' + i))
	log := logger(t, name)
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{LoggerFactory: pionlog.New(log)}
	se.SetNet(w.nets[i])
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetRelayAcceptanceMinWait(w.relayWait)
	se.SetPrflxAcceptanceMinWait(natPrflxWait)
	se.SetICEMaxBindingRequests(natMaxChecks)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithSettingEngine(se))

	cred, err := turn.Mint(natSecret, name, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	server := netip.AddrPortFrom(w.turnIP, natTURNPort).String()
	p, err := peer.Join(ctx, peer.Options{
		URL:  url,
		Room: room,
		// One TURN URL: pion gathers the srflx candidate from it too. A stun: URL for the same server
		// would add a second, redundant srflx candidate (and socket), and so more pairs to check.
		ICEServers: []webrtc.ICEServer{
			{URLs: []string{fmt.Sprintf("turn:%s?transport=udp", server)}, Username: cred.Username, Credential: cred.Password},
		},
		API:    api,
		Logger: log,
	})
	if err != nil {
		t.Fatalf("%s: join: %v", name, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

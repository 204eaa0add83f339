package turn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/stun/v4"
	"github.com/pion/transport/v5"
	pionturn "github.com/pion/turn/v5"

	"github.com/maju-call/maju/internal/pionlog"
)

// ServerConfig configures the embedded TURN server.
type ServerConfig struct {
	// Realm is the TURN realm (required).
	Realm string
	// Secret is the shared TURN REST secret credentials are minted with
	// (required).
	Secret []byte
	// PublicIP is the relay IP announced to clients (XOR-RELAYED-ADDRESS).
	// Defaults to RelayIP.
	PublicIP netip.Addr
	// RelayIP is the address relay sockets bind on. Defaults to the
	// unspecified IPv4 address (all interfaces); then PublicIP is required.
	RelayIP netip.Addr
	// MinPort and MaxPort bound the relay port range (inclusive). Both zero
	// means any ephemeral port.
	MinPort, MaxPort uint16
	// AllowLoopbackPeers permits relaying to loopback peers. Tests only.
	AllowLoopbackPeers bool
	// MaxAllocationsPerUser limits concurrent allocations per credential id
	// (the part of the username after the expiry); MaxAllocations limits
	// them in total. Zero means unlimited. Excess allocations are refused
	// with 486 (Allocation Quota Reached).
	MaxAllocationsPerUser, MaxAllocations int
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Now returns the current time for credential expiry; nil means
	// time.Now.
	Now func() time.Time
	// Net opens the relay sockets; nil means the host's network. Tests
	// pass a pion vnet to put the relay behind simulated NATs.
	Net transport.Net
}

// ExpiredGrace is how long after its credential expired an allocation can still be refreshed, which
// bounds a relayed call's length.
const ExpiredGrace = 24 * time.Hour

// Server is maju's embedded STUN/TURN server.
type Server struct {
	cfg    ServerConfig
	log    *slog.Logger
	filter *PeerFilter
	srv    *pionturn.Server

	endpoints []Endpoint // set by Start
	listeners []listener // set by Start, for Check

	mu      sync.Mutex
	perUser map[string]int
	total   int

	// denied counts refused peer permissions (for tests and metrics).
	denied atomic.Int64
	// authFailures counts refused credentials.
	authFailures atomic.Int64
	// allocations counts allocations made; quotaRefused those refused by a quota.
	allocations, quotaRefused atomic.Int64
	// relayed counts the bytes relay sockets carried to and from peers.
	relayed relayBytes
}

// relayBytes counts the bytes relay sockets carried.
type relayBytes struct{ toPeers, fromPeers atomic.Int64 }

// Stats are a Server's counters, for metrics.
type Stats struct {
	Allocations      int   // allocations now
	AllocationsTotal int64 // allocations made since start
	AuthFailures     int64 // requests refused for a bad or expired credential
	PeersRefused     int64 // peer addresses refused (private, loopback, own non-relay ports...)
	QuotaRefused     int64 // allocations refused by a quota (486)
	BytesToPeers     int64 // bytes relayed from clients to peers
	BytesFromPeers   int64 // bytes relayed from peers to clients
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Allocations:      s.AllocationCount(),
		AllocationsTotal: s.allocations.Load(),
		AuthFailures:     s.authFailures.Load(),
		PeersRefused:     s.denied.Load(),
		QuotaRefused:     s.quotaRefused.Load(),
		BytesToPeers:     s.relayed.toPeers.Load(),
		BytesFromPeers:   s.relayed.fromPeers.Load(),
	}
}

// NewServer starts a TURN server on the given sockets, which the caller
// creates; the server takes ownership of them and closes them on Close
// (also when NewServer fails).
func NewServer(cfg ServerConfig, udp []net.PacketConn, tcp []net.Listener) (_ *Server, err error) {
	defer func() {
		if err != nil {
			for _, c := range udp {
				_ = c.Close()
			}
			for _, l := range tcp {
				_ = l.Close()
			}
		}
	}()
	if len(cfg.Secret) == 0 {
		return nil, ErrEmptySecret
	}
	if cfg.Realm == "" {
		return nil, errors.New("turn: empty realm")
	}
	if len(udp) == 0 && len(tcp) == 0 {
		return nil, errors.New("turn: no sockets to serve on")
	}
	if (cfg.MinPort == 0) != (cfg.MaxPort == 0) || cfg.MinPort > cfg.MaxPort {
		return nil, fmt.Errorf("turn: invalid relay port range %d-%d", cfg.MinPort, cfg.MaxPort)
	}
	if cfg.MaxAllocations < 0 || cfg.MaxAllocationsPerUser < 0 {
		return nil, errors.New("turn: negative allocation quota")
	}
	if !cfg.RelayIP.IsValid() {
		cfg.RelayIP = netip.IPv4Unspecified()
	}
	if !cfg.PublicIP.IsValid() {
		if cfg.RelayIP.IsUnspecified() {
			return nil, errors.New("turn: PublicIP is required when RelayIP is unspecified")
		}
		cfg.PublicIP = cfg.RelayIP
	}
	if cfg.PublicIP.IsUnspecified() || cfg.PublicIP.IsMulticast() {
		return nil, fmt.Errorf("turn: invalid public relay IP %v", cfg.PublicIP)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	s := &Server{
		cfg:     cfg,
		log:     log,
		filter:  NewPeerFilter(ownAddrs(cfg.PublicIP, cfg.RelayIP), cfg.AllowLoopbackPeers),
		perUser: map[string]int{},
	}

	pc := pionturn.ServerConfig{
		Realm:         cfg.Realm,
		LoggerFactory: pionlog.New(log.With("component", "turn")),
		AuthHandler:   s.auth,
		QuotaHandler:  s.quota,
		EventHandler: pionturn.EventHandler{
			OnAllocationCreated: s.allocationCreated,
			OnAllocationDeleted: s.allocationDeleted,
		},
	}
	for _, c := range udp {
		pc.PacketConnConfigs = append(pc.PacketConnConfigs, pionturn.PacketConnConfig{
			PacketConn:            c,
			RelayAddressGenerator: s.relayGenerator(),
			PermissionHandler:     s.permission,
		})
	}
	for _, l := range tcp {
		pc.ListenerConfigs = append(pc.ListenerConfigs, pionturn.ListenerConfig{
			Listener:              l,
			RelayAddressGenerator: s.relayGenerator(),
			PermissionHandler:     s.permission,
		})
	}
	srv, err := pionturn.NewServer(pc)
	if err != nil {
		if srv != nil {
			_ = srv.Close()
		}
		return nil, fmt.Errorf("turn: start server: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Close stops the server, closing its sockets and all allocations.
func (s *Server) Close() error {
	return s.srv.Close()
}

// AllocationCount returns the number of active allocations.
func (s *Server) AllocationCount() int {
	return s.srv.AllocationCount()
}

// ownAddrs lists the relay addresses peers may always reach (so two relayed
// peers can meet), leaving out addresses that must never become an
// exception: unspecified, loopback, multicast and link-local.
func ownAddrs(addrs ...netip.Addr) []netip.Addr {
	var own []netip.Addr
	for _, a := range addrs {
		a = normalize(a)
		if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() ||
			a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() {
			continue
		}
		own = append(own, a)
	}
	return own
}

func (s *Server) relayGenerator() pionturn.RelayAddressGenerator {
	guard := &ownPortGuard{own: s.filter.own, lo: s.cfg.MinPort, hi: s.cfg.MaxPort, dropped: &s.denied, bytes: &s.relayed}
	if s.cfg.MinPort == 0 {
		guard.lo, guard.hi = defaultGuardMin, defaultGuardMax
		guard.RelayAddressGenerator = &pionturn.RelayAddressGeneratorStatic{
			RelayAddress: net.IP(s.cfg.PublicIP.AsSlice()),
			Address:      s.cfg.RelayIP.String(),
			Net:          s.cfg.Net,
		}
		return guard
	}
	guard.RelayAddressGenerator = &pionturn.RelayAddressGeneratorPortRange{
		RelayAddress: net.IP(s.cfg.PublicIP.AsSlice()),
		Address:      s.cfg.RelayIP.String(),
		MinPort:      s.cfg.MinPort,
		MaxPort:      s.cfg.MaxPort,
		Net:          s.cfg.Net,
	}
	return guard
}

// auth implements pion's AuthHandler for TURN REST credentials. The user id
// reported to pion (and used for quotas) is the id part of the username.
//
// A credential's expiry limits new allocations only. Requests on an existing allocation (Refresh,
// CreatePermission, ChannelBind) are still accepted for ExpiredGrace after it, as coturn does, so a call
// outlives the credential it started with; clients get fresh ones over signaling for new allocations.
func (s *Server) auth(ra *pionturn.RequestAttributes) (string, []byte, bool) {
	now := s.cfg.Now()
	if ra.Method != stun.MethodAllocate {
		now = now.Add(-ExpiredGrace)
	}
	pw, err := Verify(s.cfg.Secret, ra.Username, now)
	if err != nil {
		s.authFailures.Add(1)
		s.log.Debug("turn: credential refused", "src", addrString(ra.SrcAddr), "err", err)
		return "", nil, false
	}
	_, id, err := parseUsername(ra.Username)
	if err != nil { // unreachable: Verify parsed it
		return "", nil, false
	}
	// A wrong password fails pion's MESSAGE-INTEGRITY check against this
	// key.
	return id, pionturn.GenerateAuthKey(ra.Username, s.cfg.Realm, pw), true
}

// permission implements pion's PermissionHandler (CreatePermission,
// ChannelBind and TCP Connect).
func (s *Server) permission(src net.Addr, peer net.IP) bool {
	a, ok := netip.AddrFromSlice(peer)
	if ok && s.filter.Allowed(a) {
		return true
	}
	s.denied.Add(1)
	// Debug, not Info: browsers routinely ask for their peer's private host addresses.
	s.log.Debug("turn: peer address refused", "src", addrString(src), "peer", peer.String())
	return false
}

// quota implements pion's QuotaHandler. It is checked before the
// allocation exists and counted when it is created, so concurrent
// Allocate requests may briefly overshoot a limit.
func (s *Server) quota(userID, _ string, src net.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxAllocations > 0 && s.total >= s.cfg.MaxAllocations {
		s.quotaRefused.Add(1)
		s.log.Info("turn: total allocation quota reached", "src", addrString(src))
		return false
	}
	if s.cfg.MaxAllocationsPerUser > 0 && s.perUser[userID] >= s.cfg.MaxAllocationsPerUser {
		s.quotaRefused.Add(1)
		s.log.Info("turn: user allocation quota reached", "user", userID, "src", addrString(src))
		return false
	}
	return true
}

func (s *Server) allocationCreated(_, _ net.Addr, _, userID, _ string, _ net.Addr, _ int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perUser[userID]++
	s.total++
	s.allocations.Add(1)
}

func (s *Server) allocationDeleted(_, _ net.Addr, _, userID, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perUser[userID] > 1 {
		s.perUser[userID]--
	} else {
		delete(s.perUser, userID)
	}
	if s.total > 0 {
		s.total--
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

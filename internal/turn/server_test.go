package turn

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/stun/v4"
	pionturn "github.com/pion/turn/v5"
	"go.uber.org/goleak"
)

const testRealm = "maju.test"

// startServer runs a server on a fresh 127.0.0.1 UDP socket and returns it
// with its address; it is closed at the end of the test.
func startServer(t *testing.T, mod func(*ServerConfig)) (*Server, string) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := ServerConfig{
		Realm:   testRealm,
		Secret:  testSecret,
		RelayIP: netip.MustParseAddr("127.0.0.1"),
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewServer(cfg, []net.PacketConn{pc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, pc.LocalAddr().String()
}

// dial creates a pion TURN client for addr, closed at the end of the test.
func dial(t *testing.T, addr, user, pass string) *pionturn.Client {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pionturn.NewClient(&pionturn.ClientConfig{
		STUNServerAddr: addr,
		TURNServerAddr: addr,
		Conn:           conn,
		Username:       user,
		Password:       pass,
		Realm:          testRealm,
		RTO:            200 * time.Millisecond,
	})
	if err != nil {
		_ = conn.Close()
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		c.Close()
		_ = conn.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		_ = conn.Close()
	})
	return c
}

func allocate(t *testing.T, c *pionturn.Client) (net.PacketConn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	relay, err := c.AllocateWithContext(ctx)
	if err == nil {
		t.Cleanup(func() { _ = relay.Close() })
	}
	return relay, err
}

func mint(t *testing.T, id string, now time.Time) Credential {
	t.Helper()
	cred, err := Mint(testSecret, id, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func TestServerAuth(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	s, addr := startServer(t, nil)

	// The valid allocation stays up for the whole test, so the count is
	// stable while the refused ones are tried.
	cred := mint(t, "alice", time.Now())
	relay, err := allocate(t, dial(t, addr, cred.Username, cred.Password))
	if err != nil {
		t.Fatalf("allocate with a valid credential: %v", err)
	}
	if got := relay.LocalAddr().(*net.UDPAddr).IP.String(); got != "127.0.0.1" {
		t.Fatalf("relay address %v", relay.LocalAddr())
	}
	if n := s.AllocationCount(); n != 1 {
		t.Fatalf("AllocationCount = %d", n)
	}

	refused := []struct {
		name, user, pass string
	}{
		{"expired", mint(t, "bob", time.Now().Add(-2*time.Hour)).Username,
			mint(t, "bob", time.Now().Add(-2*time.Hour)).Password},
		{"wrong password", mint(t, "carol", time.Now()).Username, "bm90IHRoZSBwYXNzd29yZA=="},
		{"wrong secret", mint(t, "dave", time.Now()).Username,
			must(Mint([]byte("other"), "dave", time.Hour, time.Now())).Password},
		{"malformed username", "carol", "x"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before := s.AllocationCount()
			_, err := allocate(t, dial(t, addr, tc.user, tc.pass))
			if code := turnErrCode(err); code != stun.CodeUnauthorized {
				t.Fatalf("allocate: %v (code %d), want 401", err, code)
			}
			if n := s.AllocationCount(); n != before {
				t.Fatalf("AllocationCount %d -> %d", before, n)
			}
		})
	}
	if st := s.Stats(); st.AuthFailures == 0 || st.Allocations != 1 || st.AllocationsTotal != 1 {
		t.Fatalf("Stats() = %+v, want auth failures, one allocation now and one in total", st)
	}
}

func must(c Credential, err error) Credential {
	if err != nil {
		panic(err)
	}
	return c
}

// deniedPeers are the addresses CreatePermission / ChannelBind must refuse
// (for 16-byte forms pion sends IPv4 on the wire).
var deniedPeers = []string{
	"127.0.0.1", "10.0.0.1", "169.254.169.254", "0.0.0.0", "224.0.0.1",
	"::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1",
}

func TestServerRefusesDeniedPeers(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	s, addr := startServer(t, nil)
	cred := mint(t, "mallory", time.Now())
	c := dial(t, addr, cred.Username, cred.Password)
	relay, err := allocate(t, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range deniedPeers {
		ip := net.ParseIP(p)
		before := s.denied.Load()
		if err := c.CreatePermission(&net.UDPAddr{IP: ip, Port: 9}); err == nil {
			t.Errorf("CreatePermission(%s) succeeded", p)
		}
		// Native IPv6 peers on an IPv4 relay are refused by pion's
		// address-family check (443) before our filter; the rest must
		// have been refused by the filter.
		if ip.To4() != nil && s.denied.Load() == before {
			t.Errorf("CreatePermission(%s) not refused by the peer filter", p)
		}
		// Sending through the relay needs a permission, which fails too.
		if _, err := relay.WriteTo([]byte("x"), &net.UDPAddr{IP: ip, Port: 9}); err == nil {
			t.Errorf("relay WriteTo(%s) succeeded", p)
		}
	}
	// A public peer is allowed.
	if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP("8.8.8.8"), Port: 53}); err != nil {
		t.Errorf("CreatePermission(8.8.8.8): %v", err)
	}
}

// TestServerRefusesDeniedChannelBind sends ChannelBind requests by hand
// (pion's client only binds after a successful permission).
func TestServerRefusesDeniedChannelBind(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	s, addr := startServer(t, nil)
	cred := mint(t, "mallory", time.Now())
	server, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()

	roundTrip := func(setters ...stun.Setter) *stun.Message {
		t.Helper()
		req := stun.MustBuild(append([]stun.Setter{stun.TransactionID}, setters...)...)
		if _, err := conn.WriteTo(req.Raw, server); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1500)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				t.Fatalf("no response to %v: %v", req.Type, err)
			}
			res := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if err := res.Decode(); err != nil {
				t.Fatal(err)
			}
			if res.TransactionID == req.TransactionID {
				return res
			}
		}
	}
	requestedTransport := stun.RawAttribute{Type: stun.AttrRequestedTransport, Value: []byte{17, 0, 0, 0}}
	allocType := stun.NewType(stun.MethodAllocate, stun.ClassRequest)

	res := roundTrip(allocType, requestedTransport, stun.Fingerprint)
	var nonce stun.Nonce
	if err := nonce.GetFrom(res); err != nil {
		t.Fatalf("first Allocate: no nonce in %v", res)
	}
	integrity := stun.NewLongTermIntegrity(cred.Username, testRealm, cred.Password)
	user, realm := stun.NewUsername(cred.Username), stun.NewRealm(testRealm)
	res = roundTrip(allocType, requestedTransport, user, realm, nonce, integrity, stun.Fingerprint)
	if res.Type.Class != stun.ClassSuccessResponse {
		t.Fatalf("Allocate: %v", res)
	}

	ch := uint16(0x4000)
	bind := func(ip string) stun.ErrorCode {
		t.Helper()
		peer := peerAddr{IP: net.ParseIP(ip), Port: 9}
		number := stun.RawAttribute{Type: stun.AttrChannelNumber, Value: []byte{byte(ch >> 8), byte(ch), 0, 0}}
		ch++
		res := roundTrip(stun.NewType(stun.MethodChannelBind, stun.ClassRequest),
			number, peer, user, realm, nonce, integrity, stun.Fingerprint)
		if res.Type.Class == stun.ClassSuccessResponse {
			return 0
		}
		var code stun.ErrorCodeAttribute
		if err := code.GetFrom(res); err != nil {
			t.Fatalf("ChannelBind(%s): %v", ip, err)
		}
		return code.Code
	}
	for _, p := range deniedPeers {
		if net.ParseIP(p).To4() == nil {
			continue // native IPv6: pion's 443 family check, covered above
		}
		before := s.denied.Load()
		// pion v5 answers a refused ChannelBind with 401 (CreatePermission
		// gets 403); any error response means no channel was bound.
		if code := bind(p); code == 0 {
			t.Errorf("ChannelBind(%s) succeeded", p)
		}
		if s.denied.Load() == before {
			t.Errorf("ChannelBind(%s) not refused by the peer filter", p)
		}
	}
	if code := bind("8.8.8.8"); code != 0 {
		t.Errorf("ChannelBind(8.8.8.8) = %d, want success", code)
	}
}

// peerAddr is an XOR-PEER-ADDRESS attribute.
type peerAddr net.UDPAddr

func (a peerAddr) AddTo(m *stun.Message) error {
	x := stun.XORMappedAddress{IP: a.IP, Port: a.Port}
	return x.AddToAs(m, stun.AttrXORPeerAddress)
}

func TestServerRelaysToLoopbackWhenAllowed(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	_, addr := startServer(t, func(c *ServerConfig) { c.AllowLoopbackPeers = true })

	echo := startEcho(t)
	cred := mint(t, "alice", time.Now())
	relay, err := allocate(t, dial(t, addr, cred.Username, cred.Password))
	if err != nil {
		t.Fatal(err)
	}
	expectEcho(t, relay, echo, "hello through the relay")
}

// startEcho runs a UDP echo server on loopback until the test ends.
func startEcho(t *testing.T) net.Addr {
	t.Helper()
	echo, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() { _ = echo.Close(); <-done })
	return echo.LocalAddr()
}

// expectEcho sends text through relay to the echo server and waits for it to come back.
func expectEcho(t *testing.T, relay net.PacketConn, echo net.Addr, text string) {
	t.Helper()
	if _, err := relay.WriteTo([]byte(text), echo); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	buf := make([]byte, 1500)
	if err := relay.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, from, err := relay.ReadFrom(buf)
	if err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	if string(buf[:n]) != text || from.String() != echo.String() {
		t.Fatalf("got %q from %v", buf[:n], from)
	}
}

// A call outlives the credential it started with: once expired, the credential can no longer allocate,
// but the allocation made with it still gets permissions (and refreshes) until ExpiredGrace has passed.
func TestServerKeepsAllocationAfterCredentialExpires(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	_, addr := startServer(t, func(c *ServerConfig) { c.AllowLoopbackPeers = true; c.Now = now })

	cred := mint(t, "alice", time.Now())
	relay, err := allocate(t, dial(t, addr, cred.Username, cred.Password))
	if err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(2 * time.Hour)) // the one-hour credential has expired
	if _, err := allocate(t, dial(t, addr, cred.Username, cred.Password)); turnErrCode(err) != stun.CodeUnauthorized {
		t.Fatalf("new allocation with an expired credential: %v, want 401", err)
	}
	expectEcho(t, relay, startEcho(t), "after expiry, a new permission on the old allocation")
}
func TestServerQuotas(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	s, addr := startServer(t, func(c *ServerConfig) {
		c.MaxAllocationsPerUser = 1
		c.MaxAllocations = 2
	})
	now := time.Now()
	a1 := mint(t, "alice", now)
	alice, err := allocate(t, dial(t, addr, a1.Username, a1.Password))
	if err != nil {
		t.Fatal(err)
	}
	// Same id, even with a freshly minted (different) username: refused.
	a2 := mint(t, "alice", now.Add(time.Minute))
	if _, err := allocate(t, dial(t, addr, a2.Username, a2.Password)); turnErrCode(err) != stun.CodeAllocQuotaReached {
		t.Fatalf("second allocation for alice: %v, want 486", err)
	}
	b := mint(t, "bob", now)
	if _, err := allocate(t, dial(t, addr, b.Username, b.Password)); err != nil {
		t.Fatal(err)
	}
	c := mint(t, "carol", now)
	if _, err := allocate(t, dial(t, addr, c.Username, c.Password)); turnErrCode(err) != stun.CodeAllocQuotaReached {
		t.Fatalf("third allocation with MaxAllocations 2: %v, want 486", err)
	}
	if n := s.AllocationCount(); n != 2 {
		t.Fatalf("AllocationCount = %d", n)
	}
	if n := s.Stats().QuotaRefused; n != 2 {
		t.Fatalf("Stats().QuotaRefused = %d, want 2", n)
	}
	// Closing alice's relay deallocates it and releases both quotas.
	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	counted := func() int { s.mu.Lock(); defer s.mu.Unlock(); return s.total }
	// Wait for the quota counter itself: pion drops the allocation from
	// AllocationCount before it reports the deletion.
	for counted() != 1 || s.AllocationCount() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("allocation not released")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := allocate(t, dial(t, addr, a2.Username, a2.Password)); err != nil {
		t.Fatalf("alice after release: %v", err)
	}
}

func TestPermissionHandler(t *testing.T) {
	for _, loopback := range []bool{false, true} {
		s := &Server{filter: NewPeerFilter(ownAddrs(
			netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("0.0.0.0"),
			netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("10.1.2.3"),
		), loopback)}
		s.log = slogDiscard()
		for _, p := range deniedPeers {
			ip := net.ParseIP(p)
			want := loopback && netip.MustParseAddr(p).Unmap().IsLoopback()
			if got := s.permission(nil, ip); got != want {
				t.Errorf("loopback=%v: permission(%s) = %v", loopback, p, got)
			}
			if got := s.permission(nil, ip.To16()); got != want {
				t.Errorf("loopback=%v: permission(16-byte %s) = %v", loopback, p, got)
			}
		}
		// Own relay addresses are allowed, public ones too.
		for _, p := range []string{"203.0.113.7", "10.1.2.3", "::ffff:203.0.113.7", "8.8.8.8"} {
			if !s.permission(nil, net.ParseIP(p)) {
				t.Errorf("permission(%s) refused", p)
			}
		}
		if s.permission(nil, nil) {
			t.Error("permission(nil) allowed")
		}
	}
}

func TestNewServerValidation(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	good := ServerConfig{Realm: "r", Secret: testSecret, RelayIP: netip.MustParseAddr("127.0.0.1")}
	for name, mod := range map[string]func(*ServerConfig){
		"no secret":        func(c *ServerConfig) { c.Secret = nil },
		"no realm":         func(c *ServerConfig) { c.Realm = "" },
		"half port range":  func(c *ServerConfig) { c.MinPort = 50000 },
		"inverted range":   func(c *ServerConfig) { c.MinPort, c.MaxPort = 50001, 50000 },
		"no public ip":     func(c *ServerConfig) { c.RelayIP = netip.Addr{} },
		"multicast public": func(c *ServerConfig) { c.PublicIP = netip.MustParseAddr("224.0.0.1") },
		"negative quota":   func(c *ServerConfig) { c.MaxAllocations = -1 },
	} {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg := good
		mod(&cfg)
		if _, err := NewServer(cfg, []net.PacketConn{pc}, nil); err == nil {
			t.Errorf("%s: NewServer succeeded", name)
		}
		// NewServer closed the socket on failure.
		if _, err := pc.WriteTo([]byte("x"), pc.LocalAddr()); err == nil {
			t.Errorf("%s: socket left open", name)
		}
	}
	if _, err := NewServer(good, nil, nil); err == nil {
		t.Error("NewServer without sockets succeeded")
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// turnErrCode returns the STUN error code carried by a pion client error,
// or 0.
func turnErrCode(err error) stun.ErrorCode {
	var te *stun.TurnError
	if errors.As(err, &te) {
		return te.ErrorCodeAttr.Code
	}
	return 0
}

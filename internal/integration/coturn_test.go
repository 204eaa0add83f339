package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"
	pionturn "github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/doctor"
	"github.com/maju-call/maju/internal/peer"
	"github.com/maju-call/maju/internal/pionlog"
	"github.com/maju-call/maju/internal/turn"
)

// TestCoturnInterop: the TURN REST credentials maju mints (turn.Mint) work with a real coturn configured
// with the same static-auth-secret. Two pion peers that may only use relay candidates call each other
// through coturn over UDP and over TCP; coturn refuses expired, tampered and wrongly signed credentials.
// Needs turnserver (Debian package coturn): skipped without it, failed without it when CI=true.
func TestCoturnInterop(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after coturn has stopped
	ct := startCoturn(t)

	// Not parallel, so it runs before the others start: a maju node configured to use coturn instead of
	// its own relay (-turn=false, -ice-servers, the shared secret), checked end to end by maju doctor.
	t.Run("maju node using coturn, checked by doctor", func(t *testing.T) {
		_, wsURL, _ := startRelayNode(t, func(c *config.Config) {
			c.TURN.Enabled = false
			c.TURN.Secret = string(ct.Secret)
			c.ExternalICE = []string{"turn:" + ct.Addr + "?transport=udp"}
		})
		httpURL := "http" + strings.TrimSuffix(strings.TrimPrefix(wsURL, "ws"), "/ws")
		r := doctor.Run(context.Background(), doctor.Options{URL: httpURL, Timeout: testTimeout, LoopbackOnly: true})
		var text strings.Builder
		r.WriteText(&text)
		if !r.OK || r.Path == nil || r.Path.LocalType != "relay" {
			t.Fatalf("doctor through coturn failed:\n%s", text.String())
		}
		_, portText, _ := net.SplitHostPort(r.Path.LocalAddr)
		if port, _ := strconv.Atoi(portText); port < 61000 || port > 61999 {
			t.Fatalf("relayed via %s, not one of coturn's relay ports 61000-61999:\n%s", r.Path.LocalAddr, text.String())
		}
	})

	// The subtests share the one coturn and run in parallel: the expiry subtest spends most of its
	// time waiting for a credential to expire.
	t.Run("relay call over UDP", func(t *testing.T) {
		t.Parallel()
		coturnCall(t, ct, "udp")
	})
	t.Run("relay call over TCP", func(t *testing.T) {
		t.Parallel()
		coturnCall(t, ct, "tcp")
	})
	t.Run("bad credentials refused", func(t *testing.T) {
		t.Parallel()
		coturnRefusals(t, ct)
	})
	t.Run("expiry checked at allocation only", func(t *testing.T) {
		t.Parallel()
		coturnExpiry(t, ct)
	})
}

// coturnCall connects two relay-only peers through coturn with credentials minted by maju, sends data
// channel messages both ways and checks that both selected candidate pairs are relay-to-relay on
// coturn's relay ports, reached over transport ("udp" or "tcp").
func coturnCall(t *testing.T, ct *coturnServer, transport string) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	url := fmt.Sprintf("turn:%s?transport=%s", ct.Addr, transport)
	a := coturnPeer(t, ct, url, "alice")
	b := coturnPeer(t, ct, url, "bob")

	// alice opens the channel and sends; bob answers every message; both sides record what they get.
	toA, toB := make(chan string, 16), make(chan string, 16)
	dc, err := a.CreateDataChannel("chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) { coturnTrySend(toA, string(m.Data)) })
	b.OnDataChannel(func(d *webrtc.DataChannel) {
		d.OnMessage(func(m webrtc.DataChannelMessage) {
			coturnTrySend(toB, string(m.Data))
			if err := d.SendText("bob got " + string(m.Data)); err != nil {
				t.Errorf("bob: send: %v", err)
			}
		})
	})

	start := time.Now()
	coturnExchangeSDP(ctx, t, a, b)
	select {
	case <-opened:
	case <-ctx.Done():
		t.Fatalf("data channel not open over coturn (%s): %v; alice %v, bob %v", transport, ctx.Err(),
			a.ICEConnectionState(), b.ICEConnectionState())
	}
	t.Logf("data channel open through coturn over %s %v after the offer", transport, time.Since(start).Round(time.Millisecond))

	texts := []string{"hello", "through", "coturn"}
	for _, text := range texts {
		if err := dc.SendText(text); err != nil {
			t.Fatalf("alice: send %q: %v", text, err)
		}
	}
	for _, text := range texts {
		coturnExpect(ctx, t, toB, text, "bob")
		coturnExpect(ctx, t, toA, "bob got "+text, "alice")
	}

	la := coturnAssertRelayPair(t, a, "alice", transport)
	lb := coturnAssertRelayPair(t, b, "bob", transport)
	if la == lb {
		t.Errorf("alice and bob share the relayed address %s", la)
	}
}

// coturnPeer is a loopback-only PeerConnection that may only use relay candidates from the TURN server
// at url, with a credential maju minted for name; it is closed when the test ends.
func coturnPeer(t *testing.T, ct *coturnServer, url, name string) *webrtc.PeerConnection {
	t.Helper()
	cred, err := turn.Mint(ct.Secret, name, 10*time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{LoggerFactory: pionlog.New(logger(t, name))}
	peer.ConfigureLoopbackOnly(&se)
	// Relay candidates are all there is: nominate a working pair at once instead of waiting pion's
	// default 2 s for a better (non-relay) one.
	se.SetRelayAcceptanceMinWait(0)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{
		ICEServers:         []webrtc.ICEServer{{URLs: []string{url}, Username: cred.Username, Credential: cred.Password}},
		ICETransportPolicy: webrtc.ICETransportPolicyRelay,
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := pc.GracefulClose(); err != nil {
			t.Errorf("%s: close: %v", name, err)
		}
	})
	return pc
}

// coturnExchangeSDP runs one offer/answer from a to b in-process, each side with all its candidates in its
// description (no trickle), and checks that the peers offer relay candidates and nothing else.
func coturnExchangeSDP(ctx context.Context, t *testing.T, a, b *webrtc.PeerConnection) {
	t.Helper()
	setLocal := func(pc *webrtc.PeerConnection, name string, desc webrtc.SessionDescription) string {
		t.Helper()
		gathered := webrtc.GatheringCompletePromise(pc)
		if err := pc.SetLocalDescription(desc); err != nil {
			t.Fatalf("%s: set local description: %v", name, err)
		}
		select {
		case <-gathered:
		case <-ctx.Done():
			t.Fatalf("%s: gathering not complete: %v", name, ctx.Err())
		}
		sdp := pc.LocalDescription().SDP
		var n int
		for _, line := range strings.Split(sdp, "\n") {
			if !strings.HasPrefix(line, "a=candidate:") {
				continue
			}
			n++
			if !strings.Contains(line, " typ relay") {
				t.Fatalf("%s: non-relay candidate with ICETransportPolicyRelay: %s", name, line)
			}
		}
		if n == 0 {
			t.Fatalf("%s: no relay candidate: coturn refused or never answered the allocation", name)
		}
		return sdp
	}

	offer, err := a.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	offerSDP := setLocal(a, "alice", offer)
	if err := b.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}); err != nil {
		t.Fatalf("bob: set remote description: %v", err)
	}
	answer, err := b.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	answerSDP := setLocal(b, "bob", answer)
	if err := a.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answerSDP}); err != nil {
		t.Fatalf("alice: set remote description: %v", err)
	}
}

// coturnAssertRelayPair checks pc's selected candidate pair: both ends are relay candidates, the local one is
// an allocation on coturn (127.0.0.1, a port in coturn's relay range) reached over transport. It returns
// the local relayed address.
func coturnAssertRelayPair(t *testing.T, pc *webrtc.PeerConnection, name, transport string) string {
	t.Helper()
	ice := pc.SCTP().Transport().ICETransport()
	pair, err := ice.GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("%s: no selected candidate pair (%v)", name, err)
	}
	if pair.Local.Typ != webrtc.ICECandidateTypeRelay || pair.Remote.Typ != webrtc.ICECandidateTypeRelay {
		t.Fatalf("%s: selected pair %s, want relay on both ends", name, pair)
	}
	pairStats, ok := ice.GetSelectedCandidatePairStats()
	if !ok {
		t.Fatalf("%s: no stats for the selected pair", name)
	}
	local, ok := pc.GetStats()[pairStats.LocalCandidateID].(webrtc.ICECandidateStats)
	if !ok {
		t.Fatalf("%s: no stats for local candidate %q", name, pairStats.LocalCandidateID)
	}
	if local.CandidateType != webrtc.ICECandidateTypeRelay || local.RelayProtocol != transport ||
		local.IP != "127.0.0.1" || local.Port < coturnMinPort || local.Port > coturnMaxPort {
		t.Fatalf("%s: local candidate %s %s:%d relayProtocol %q, want relay on coturn's 127.0.0.1:%d-%d over %s",
			name, local.CandidateType, local.IP, local.Port, local.RelayProtocol, coturnMinPort, coturnMaxPort, transport)
	}
	t.Logf("%s: selected pair %s (relay protocol %s)", name, pair, local.RelayProtocol)
	return fmt.Sprintf("%s:%d", local.IP, local.Port)
}

// coturnRefusals: coturn allocates for a credential maju minted, and refuses with 401 every credential
// that is expired, signed with another secret, has a wrong password, or whose expiry was pushed back
// without re-signing it.
func coturnRefusals(t *testing.T, ct *coturnServer) {
	now := time.Now()
	mint := func(secret []byte, id string, ttl time.Duration, at time.Time) turn.Credential {
		t.Helper()
		c, err := turn.Mint(secret, id, ttl, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	valid := mint(ct.Secret, "alice", time.Hour, now)
	if _, err := coturnAllocate(t, ct, valid.Username, valid.Password); err != nil {
		t.Fatalf("allocate with a valid credential: %v", err)
	}

	expired := mint(ct.Secret, "bob", time.Hour, now.Add(-2*time.Hour))
	otherSecret := mint([]byte("not the secret"), "carol", time.Hour, now)
	stretched := mint(ct.Secret, "dave", time.Hour, now)
	_, id, _ := strings.Cut(stretched.Username, ":")
	stretchedUser := fmt.Sprintf("%d:%s", stretched.Expires.Add(24*time.Hour).Unix(), id)
	refused := []struct{ name, user, pass string }{
		{"expired", expired.Username, expired.Password},
		{"other secret", otherSecret.Username, otherSecret.Password},
		{"wrong password", valid.Username, "bm90IHRoZSBwYXNzd29yZA=="},
		{"expiry pushed back", stretchedUser, stretched.Password},
	}
	for _, tc := range refused {
		_, err := coturnAllocate(t, ct, tc.user, tc.pass)
		var te *stun.TurnError
		if !errors.As(err, &te) || te.ErrorCodeAttr.Code != stun.CodeUnauthorized {
			t.Errorf("%s: allocate = %v, want a 401 error response", tc.name, err)
		}
	}
}

// coturnAllocate makes one UDP allocation on coturn with pion's TURN client; client and allocation are
// closed when the test ends.
func coturnAllocate(t *testing.T, ct *coturnServer, user, pass string) (net.PacketConn, error) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pionturn.NewClient(&pionturn.ClientConfig{
		STUNServerAddr: ct.Addr,
		TURNServerAddr: ct.Addr,
		Conn:           conn,
		Username:       user,
		Password:       pass,
		Realm:          coturnRealm,
		RTO:            200 * time.Millisecond,
		LoggerFactory:  pionlog.New(logger(t, "turn-client")),
	})
	if err != nil {
		_ = conn.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		_ = conn.Close()
	})
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	relay, err := c.AllocateWithContext(ctx)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = relay.Close() }) // runs before the client's cleanup: deallocates first
	return relay, nil
}

// coturnExpiry documents how coturn treats a credential that expires during an allocation: the expiry
// in the username is checked when an allocation is created, not afterwards. An allocation made just
// before the expiry gets the lifetime it asks for (not capped at the credential's remaining time), and
// Refresh and CreatePermission on it still succeed after the expiry, while a new allocation with the
// same credential is refused. (coturn also accepts a credential during its expiry second; turn.Verify
// does not.) Takes about 2-3 s, spent waiting.
func coturnExpiry(t *testing.T, ct *coturnServer) {
	server, err := net.ResolveUDPAddr("udp4", ct.Addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	roundTrip := func(what string, setters ...stun.Setter) *stun.Message {
		t.Helper()
		res, err := coturnRoundTrip(conn, server, 2*time.Second, setters...)
		if err != nil {
			t.Fatalf("%s: no response: %v", what, err)
		}
		return res
	}

	cred, err := turn.Mint(ct.Secret, "erin", 2*time.Second, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	allocate := stun.NewType(stun.MethodAllocate, stun.ClassRequest)
	udp := stun.RawAttribute{Type: stun.AttrRequestedTransport, Value: []byte{17, 0, 0, 0}}
	res := roundTrip("Allocate", allocate, udp, stun.Fingerprint)
	var nonce stun.Nonce
	var realm stun.Realm
	if nonce.GetFrom(res) != nil || realm.GetFrom(res) != nil {
		t.Fatalf("first Allocate: no nonce or realm in %v", res)
	}
	auth := []stun.Setter{stun.NewUsername(cred.Username), realm, nonce,
		stun.NewLongTermIntegrity(cred.Username, realm.String(), cred.Password), stun.Fingerprint}
	const tenMinutes = 600
	res = roundTrip("Allocate", append([]stun.Setter{allocate, udp, coturnLifetime(tenMinutes)}, auth...)...)
	if res.Type.Class != stun.ClassSuccessResponse {
		t.Fatalf("Allocate with a credential valid for %v more: %v", time.Until(cred.Expires), res)
	}
	if got := coturnLifetimeOf(res); got != tenMinutes {
		t.Errorf("Allocate: lifetime %d s, want the %d s asked for", got, tenMinutes)
	}
	refresh := func(lifetime uint32) *stun.Message {
		t.Helper()
		return roundTrip("Refresh", append([]stun.Setter{stun.NewType(stun.MethodRefresh, stun.ClassRequest),
			coturnLifetime(lifetime)}, auth...)...)
	}
	defer func() { // deallocate, best effort
		_, _ = coturnRoundTrip(conn, server, time.Second, append([]stun.Setter{
			stun.NewType(stun.MethodRefresh, stun.ClassRequest), coturnLifetime(0)}, auth...)...)
	}()

	// coturn compares whole seconds and accepts the expiry second itself.
	time.Sleep(time.Until(cred.Expires.Add(time.Second + 100*time.Millisecond)))

	_, err = coturnAllocate(t, ct, cred.Username, cred.Password)
	if te := (*stun.TurnError)(nil); !errors.As(err, &te) || te.ErrorCodeAttr.Code != stun.CodeUnauthorized {
		t.Fatalf("new allocation with the expired credential: %v, want a 401 error response", err)
	}
	if res := refresh(tenMinutes); res.Type.Class != stun.ClassSuccessResponse {
		t.Errorf("Refresh after the credential expired: %v (coturn used to allow it)", res)
	}
	perm := stun.NewType(stun.MethodCreatePermission, stun.ClassRequest)
	peerAddr := coturnPeerAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	if res := roundTrip("CreatePermission", append([]stun.Setter{perm, peerAddr}, auth...)...); res.Type.Class != stun.ClassSuccessResponse {
		t.Errorf("CreatePermission after the credential expired: %v (coturn used to allow it)", res)
	}
}

// coturnLifetime is a TURN LIFETIME attribute in seconds.
type coturnLifetime uint32

func (l coturnLifetime) AddTo(m *stun.Message) error {
	v := uint32(l)
	m.Add(stun.AttrLifetime, []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	return nil
}

func coturnLifetimeOf(m *stun.Message) uint32 {
	v, err := m.Get(stun.AttrLifetime)
	if err != nil || len(v) != 4 {
		return 0
	}
	return uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
}

// coturnPeerAddr is a TURN XOR-PEER-ADDRESS attribute.
type coturnPeerAddr net.UDPAddr

func (a coturnPeerAddr) AddTo(m *stun.Message) error {
	x := stun.XORMappedAddress{IP: a.IP, Port: a.Port}
	return x.AddToAs(m, stun.AttrXORPeerAddress)
}

// coturnTrySend delivers s to ch if there is room (ch is buffered well beyond what the tests send).
func coturnTrySend(ch chan<- string, s string) {
	select {
	case ch <- s:
	default:
	}
}

// coturnExpect waits for want on ch.
func coturnExpect(ctx context.Context, t *testing.T, ch <-chan string, want, who string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("%s received %q, want %q", who, got, want)
		}
	case <-ctx.Done():
		t.Fatalf("%s: %q not received: %v", who, want, ctx.Err())
	}
}

package signaling

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// readTimeout bounds every wait in these tests.
const readTimeout = 5 * time.Second

type testServer struct {
	*httptest.Server
	h   *Handler
	obs *recorder
}

// recorder is an Observer that remembers what it was told.
type recorder struct {
	mu sync.Mutex
	observed
}

func newRecorder() *recorder {
	return &recorder{observed: observed{relayed: map[protocol.Type]int{}, rejected: map[protocol.Code]int{}}}
}

func (r *recorder) Connected()               { r.mu.Lock(); r.connected++; r.mu.Unlock() }
func (r *recorder) RoomOpened()              { r.mu.Lock(); r.rooms++; r.mu.Unlock() }
func (r *recorder) Relayed(t protocol.Type)  { r.mu.Lock(); r.relayed[t]++; r.mu.Unlock() }
func (r *recorder) Rejected(c protocol.Code) { r.mu.Lock(); r.rejected[c]++; r.mu.Unlock() }
func (r *recorder) CallReported(c protocol.CallReport) {
	r.mu.Lock()
	r.reports = append(r.reports, c)
	r.mu.Unlock()
}

// observed is a copy of what a recorder was told.
type observed struct {
	connected, rooms int
	relayed          map[protocol.Type]int
	rejected         map[protocol.Code]int
	reports          []protocol.CallReport
}

// snapshot returns a copy of what r was told, safe to read.
func (r *recorder) snapshot() observed {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := observed{connected: r.connected, rooms: r.rooms, relayed: map[protocol.Type]int{}, rejected: map[protocol.Code]int{},
		reports: append([]protocol.CallReport(nil), r.reports...)}
	for k, v := range r.relayed {
		c.relayed[k] = v
	}
	for k, v := range r.rejected {
		c.rejected[k] = v
	}
	return c
}

func start(t *testing.T, edit func(*config.Config)) *testServer {
	t.Helper()
	return startWithICE(t, edit, nil)
}

func startWithICE(t *testing.T, edit func(*config.Config), ice ICESource) *testServer {
	t.Helper()
	cfg := config.Default()
	if edit != nil {
		edit(&cfg)
	}
	obs := newRecorder()
	h := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), ice, obs)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		srv.Close()
	})
	return &testServer{srv, h, obs}
}

type client struct {
	t  *testing.T
	ws *websocket.Conn
}

func (s *testServer) dial(t *testing.T, header http.Header) *client {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http"), header)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return &client{t, ws}
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(m protocol.Message) {
	c.t.Helper()
	data, err := protocol.Encode(m)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(data))
}

func (c *client) next() (protocol.Message, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(readTimeout))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return protocol.Message{}, err
	}
	return protocol.Decode(data)
}

func (c *client) expect(typ protocol.Type) protocol.Message {
	c.t.Helper()
	m, err := c.next()
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", typ, err)
	}
	if m.Type != typ {
		c.t.Fatalf("got %+v, want %s", m, typ)
	}
	return m
}

func (c *client) expectError(code protocol.Code) {
	c.t.Helper()
	if m := c.expect(protocol.TypeError); m.Code != code {
		c.t.Fatalf("error code %q, want %q (%s)", m.Code, code, m.Text)
	}
}

// expectClose reads until the server closes and checks the close code and reason.
func (c *client) expectClose(code int, reason string) {
	c.t.Helper()
	for range 100 {
		_, err := c.next()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("want close %d %q, got %v", code, reason, err)
		}
		if ce.Code != code || ce.Text != reason {
			c.t.Fatalf("close %d %q, want %d %q", ce.Code, ce.Text, code, reason)
		}
		return
	}
	c.t.Fatal("no close frame")
}

// alive checks the connection still answers ping.
func (c *client) alive() {
	c.t.Helper()
	c.send(protocol.Message{Type: protocol.TypePing})
	c.expect(protocol.TypePong)
}

func newRoom(t *testing.T) string {
	id, err := protocol.NewRoomID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// pair seats two clients in a fresh room and returns (first, second).
func (s *testServer) pair(t *testing.T) (a, b *client, roomID string) {
	roomID = newRoom(t)
	a, b = s.dial(t, nil), s.dial(t, nil)
	a.send(protocol.Join(roomID, true))
	if w := a.expect(protocol.TypeWelcome); w.Peer || w.Room != roomID {
		t.Fatalf("first welcome %+v", w)
	}
	b.send(protocol.Join(roomID, true))
	if w := b.expect(protocol.TypeWelcome); !w.Peer || !w.Polite {
		t.Fatalf("second welcome %+v, want peer and polite", w)
	}
	if j := a.expect(protocol.TypePeerJoined); j.Polite {
		t.Fatal("first should be impolite")
	}
	return a, b, roomID
}

func TestRelayInsideRoomOnly(t *testing.T) {
	s := start(t, nil)
	a, b, _ := s.pair(t)
	c, d, _ := s.pair(t)

	mid, idx := "0", uint16(0)
	a.send(protocol.Message{Type: protocol.TypeOffer, SDP: "v=0 offer-from-a"})
	b.send(protocol.Message{Type: protocol.TypeAnswer, SDP: "v=0 answer-from-b"})
	a.send(protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", SDPMid: &mid, SDPMLineIndex: &idx}})
	a.send(protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: ""}})
	a.send(protocol.Message{Type: protocol.TypeCandidate})

	if m := b.expect(protocol.TypeOffer); m.SDP != "v=0 offer-from-a" {
		t.Fatalf("offer %q", m.SDP)
	}
	if m := a.expect(protocol.TypeAnswer); m.SDP != "v=0 answer-from-b" {
		t.Fatalf("answer %q", m.SDP)
	}
	if m := b.expect(protocol.TypeCandidate); m.Candidate == nil || *m.Candidate.SDPMid != "0" || *m.Candidate.SDPMLineIndex != 0 {
		t.Fatalf("candidate %+v", m.Candidate)
	}
	if m := b.expect(protocol.TypeCandidate); m.Candidate == nil || m.Candidate.Candidate != "" {
		t.Fatalf("end-of-candidates for one m-line %+v", m.Candidate)
	}
	if m := b.expect(protocol.TypeCandidate); m.Candidate != nil {
		t.Fatalf("end of candidates should be null, got %+v", m.Candidate)
	}
	// The other room saw nothing: its next messages are the answers to its own pings.
	c.alive()
	d.alive()
}

func TestRoomFullLeavesPairUndisturbed(t *testing.T) {
	s := start(t, nil)
	a, b, roomID := s.pair(t)
	third := s.dial(t, nil)
	third.send(protocol.Join(roomID, true))
	third.expectError(protocol.CodeRoomFull)
	third.expectClose(protocol.ClosePolicy, string(protocol.CodeRoomFull))

	a.send(protocol.Message{Type: protocol.TypeOffer, SDP: "still here"})
	if m := b.expect(protocol.TypeOffer); m.SDP != "still here" {
		t.Fatal(m.SDP)
	}
	a.alive()
}

func TestRolesWhenNewcomerCannotRollBack(t *testing.T) {
	s := start(t, nil)
	roomID := newRoom(t)
	browser, goPeer := s.dial(t, nil), s.dial(t, nil)
	browser.send(protocol.Join(roomID, true))
	browser.expect(protocol.TypeWelcome)
	goPeer.send(protocol.Join(roomID, false))
	if w := goPeer.expect(protocol.TypeWelcome); w.Polite {
		t.Fatal("a peer that cannot roll back must be impolite")
	}
	if j := browser.expect(protocol.TypePeerJoined); !j.Polite {
		t.Fatal("the browser must be polite")
	}
}

func TestHangupAndDrop(t *testing.T) {
	s := start(t, nil)
	a, b, roomID := s.pair(t)
	a.send(protocol.Message{Type: protocol.TypeLeave})
	a.expectClose(protocol.CloseNormal, "")
	if m := b.expect(protocol.TypePeerLeft); m.Reason != protocol.ReasonHangup {
		t.Fatalf("reason %q", m.Reason)
	}

	// Someone joins the freed seat; then drops without a goodbye.
	c := s.dial(t, nil)
	c.send(protocol.Join(roomID, true))
	if w := c.expect(protocol.TypeWelcome); !w.Peer {
		t.Fatal("the seat should have been freed")
	}
	b.expect(protocol.TypePeerJoined)
	_ = c.ws.Close()
	if m := b.expect(protocol.TypePeerLeft); m.Reason != protocol.ReasonDisconnected {
		t.Fatalf("reason %q", m.Reason)
	}
	_ = b.ws.Close()
	waitFor(t, "rooms freed", func() bool { return s.h.Rooms() == 0 })
}

func TestBadInputIsAnsweredAndHarmless(t *testing.T) {
	s := start(t, nil)
	a, b, _ := s.pair(t)
	for _, tc := range []struct {
		name, raw string
		code      protocol.Code
	}{
		{"not json", "hello", protocol.CodeBadMessage},
		{"array", "[1,2]", protocol.CodeBadMessage},
		{"no version", `{"type":"ping"}`, protocol.CodeUnsupportedVersion},
		{"future version", `{"v":2,"type":"ping"}`, protocol.CodeUnsupportedVersion},
		{"unknown type", `{"v":1,"type":"shout"}`, protocol.CodeUnknownType},
		{"server-only type", `{"v":1,"type":"welcome","room":"x","peer":false,"iceServers":[],"iceTtl":0}`, protocol.CodeUnknownType},
		{"server-only ice-servers", `{"v":1,"type":"ice-servers","iceServers":[],"iceTtl":0}`, protocol.CodeUnknownType},
		{"offer without sdp", `{"v":1,"type":"offer"}`, protocol.CodeBadMessage},
		{"sdp of wrong type", `{"v":1,"type":"answer","sdp":5}`, protocol.CodeBadMessage},
		{"second join", `{"v":1,"type":"join","room":"x"}`, protocol.CodeAlreadyJoined},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.sendRaw(tc.raw)
			a.expectError(tc.code)
		})
	}
	if err := a.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	a.expectError(protocol.CodeBadMessage)
	a.alive()
	b.alive() // b received none of it
}

func TestBeforeJoin(t *testing.T) {
	s := start(t, nil)
	c := s.dial(t, nil)
	c.alive()
	c.send(protocol.Message{Type: protocol.TypeOffer, SDP: "x"})
	c.expectError(protocol.CodeNotJoined)
	c.send(protocol.Join("guessable-name", true))
	c.expectError(protocol.CodeBadRoom)
	c.expectClose(protocol.ClosePolicy, string(protocol.CodeBadRoom))
}

func TestTooLarge(t *testing.T) {
	s := start(t, func(c *config.Config) { c.MaxMessageBytes = 4096 })
	a, b, _ := s.pair(t)
	a.send(protocol.Message{Type: protocol.TypeOffer, SDP: strings.Repeat("x", 5000)})
	a.expectError(protocol.CodeTooLarge)
	a.expectClose(protocol.CloseTooBig, string(protocol.CodeTooLarge))
	if m := b.expect(protocol.TypePeerLeft); m.Reason != protocol.ReasonDisconnected {
		t.Fatal(m.Reason)
	}
}

func TestJoinTimeout(t *testing.T) {
	s := start(t, func(c *config.Config) { c.JoinTimeout = 200 * time.Millisecond })
	c := s.dial(t, nil)
	c.expectError(protocol.CodeJoinTimeout)
	c.expectClose(protocol.ClosePolicy, string(protocol.CodeJoinTimeout))
}

func TestDeadPeerIsDetectedByHeartbeat(t *testing.T) {
	s := start(t, func(c *config.Config) {
		c.PingInterval = 100 * time.Millisecond
		c.PongTimeout = 100 * time.Millisecond
	})
	a, b, _ := s.pair(t)
	// a stops reading, so it never answers pings (gorilla answers them while reading). b keeps reading.
	_ = a
	if m := b.expect(protocol.TypePeerLeft); m.Reason != protocol.ReasonDisconnected {
		t.Fatal(m.Reason)
	}
}

func TestSlowConsumerIsDroppedWithoutStallingSender(t *testing.T) {
	s := start(t, func(c *config.Config) {
		c.SendQueue = 4
		c.WriteTimeout = 500 * time.Millisecond
		c.MsgRate, c.MsgBurst = 1e6, 1000 // this test floods on purpose
	})
	fast, slow, _ := s.pair(t)
	_ = slow // never reads: the flood fills its socket buffers, then its queue
	received := make(chan protocol.Message, 16)
	go func() {
		defer close(received)
		for {
			m, err := fast.next()
			if err != nil {
				return
			}
			received <- m
		}
	}()
	big := protocol.Message{Type: protocol.TypeOffer, SDP: strings.Repeat("s", 60000)}
	deadline := time.After(readTimeout)
	// Bounded: at most 400 messages (24 MB), far beyond loopback socket buffers.
	for i := 0; i < 400; i++ {
		fast.send(big)
		select {
		case m := <-received:
			if m.Type != protocol.TypePeerLeft || m.Reason != protocol.ReasonDisconnected {
				t.Fatalf("got %+v, want peer-left disconnected", m)
			}
			fast.send(protocol.Message{Type: protocol.TypePing})
			select {
			case m := <-received:
				if m.Type != protocol.TypePong {
					t.Fatalf("got %+v, want pong", m)
				}
			case <-deadline:
				t.Fatal("the sender stalled")
			}
			return
		case <-deadline:
			t.Fatal("the slow peer was never dropped")
		default:
		}
	}
	t.Fatal("the slow peer was never dropped")
}

func TestOrigin(t *testing.T) {
	s := start(t, func(c *config.Config) { c.AllowedOrigins = []string{"https://call.example.com"} })
	url := "ws" + strings.TrimPrefix(s.URL, "http")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{s.URL, true},
		{"https://call.example.com", true},
		{"https://evil.example.com", false},
		{"null", false},
	} {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		ws, resp, err := websocket.DefaultDialer.Dial(url, h)
		if tc.ok {
			if err != nil {
				t.Fatalf("origin %q refused: %v", tc.origin, err)
			}
			_ = ws.Close()
			continue
		}
		if err == nil {
			_ = ws.Close()
			t.Fatalf("origin %q accepted", tc.origin)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"origin-forbidden"`) {
			t.Fatalf("origin %q: %d %s", tc.origin, resp.StatusCode, body)
		}
	}
}

func TestMaxConnections(t *testing.T) {
	s := start(t, func(c *config.Config) { c.MaxConnections = 2 })
	s.dial(t, nil)
	s.dial(t, nil)
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http"), nil)
	if err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third connection: %v %v", err, resp)
	}
}

func TestShutdownTellsClients(t *testing.T) {
	s := start(t, nil)
	a, b, _ := s.pair(t)
	if !s.h.Accepting() {
		t.Fatal("not accepting before shutdown")
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.h.Shutdown(ctx) }()
	for _, c := range []*client{a, b} {
		for {
			m, err := c.next()
			if err != nil {
				t.Fatalf("want shutting-down error, got %v", err)
			}
			if m.Type == protocol.TypeError {
				if m.Code != protocol.CodeShuttingDown {
					t.Fatal(m.Code)
				}
				break
			}
		}
		c.expectClose(protocol.CloseServiceRestart, string(protocol.CodeShuttingDown))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s.h.Connections() != 0 {
		t.Fatal("connections left after shutdown")
	}
	if s.h.Accepting() {
		t.Fatal("still accepting after shutdown")
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(readTimeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countingICE hands out a TURN server named after the request host, with a username made of a counter
// and the client id.
type countingICE struct{ n atomic.Int32 }

func (c *countingICE) For(host, clientID string) ([]protocol.ICEServer, int) {
	n := c.n.Add(1)
	return []protocol.ICEServer{{URLs: []string{"turn:" + host}, Username: fmt.Sprint(n, ":", clientID), Credential: "pw"}}, 60
}

func TestICEServersInWelcomeAndRefresh(t *testing.T) {
	ice := &countingICE{}
	s := startWithICE(t, nil, ice)
	host := strings.TrimPrefix(s.URL, "http://")
	a := s.dial(t, nil)
	a.send(protocol.ICERefreshMessage())
	a.expectError(protocol.CodeNotJoined)

	a.send(protocol.Join(newRoom(t), true))
	w := a.expect(protocol.TypeWelcome)
	if len(w.ICEServers) != 1 || w.ICEServers[0].URLs[0] != "turn:"+host || w.ICETTL != 60 {
		t.Fatalf("welcome ICE servers %+v ttl %d, want turn:%s for 60 s", w.ICEServers, w.ICETTL, host)
	}
	a.send(protocol.ICERefreshMessage())
	r := a.expect(protocol.TypeICEServers)
	if len(r.ICEServers) != 1 || r.ICEServers[0].Username == w.ICEServers[0].Username || r.ICETTL != 60 {
		t.Fatalf("refresh gave %+v ttl %d, want new credentials", r.ICEServers, r.ICETTL)
	}
	clientID := func(m protocol.Message) string { _, id, _ := strings.Cut(m.ICEServers[0].Username, ":"); return id }
	if clientID(w) == "" || clientID(r) != clientID(w) {
		t.Fatalf("client ids %q then %q, want one non-empty id per connection", clientID(w), clientID(r))
	}
	b := s.dial(t, nil)
	b.send(protocol.Join(newRoom(t), true))
	if other := b.expect(protocol.TypeWelcome); clientID(other) == clientID(w) {
		t.Fatalf("two connections share the client id %q", clientID(w))
	}
}

func TestNoICESourceSendsEmptyList(t *testing.T) {
	s := start(t, nil)
	a := s.dial(t, nil)
	a.send(protocol.Join(newRoom(t), true))
	if w := a.expect(protocol.TypeWelcome); len(w.ICEServers) != 0 || w.ICETTL != 0 {
		t.Fatalf("welcome %+v, want no ICE servers", w)
	}
	a.send(protocol.ICERefreshMessage())
	if r := a.expect(protocol.TypeICEServers); len(r.ICEServers) != 0 {
		t.Fatalf("ice-servers %+v, want none", r)
	}
}

func TestObserverHearsConnectionsRoomsRelaysAndRejections(t *testing.T) {
	s := start(t, nil)
	a, b, roomID := s.pair(t)
	a.send(protocol.Message{Type: protocol.TypeOffer, SDP: "v=0"})
	b.expect(protocol.TypeOffer)
	b.send(protocol.Message{Type: protocol.TypeAnswer, SDP: "v=0"})
	a.expect(protocol.TypeAnswer)
	a.send(protocol.Message{Type: protocol.TypeCandidate})
	b.expect(protocol.TypeCandidate)
	a.sendRaw(`{"v":1,"type":"shout"}`)
	a.expectError(protocol.CodeUnknownType)
	third := s.dial(t, nil)
	third.send(protocol.Join(roomID, true))
	third.expectError(protocol.CodeRoomFull)
	resp, err := http.Get(s.URL) // a plain GET, not a WebSocket handshake: refused by the upgrader, not counted
	if err == nil {
		resp.Body.Close()
	}
	header := http.Header{"Origin": {"https://evil.example"}}
	if _, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http"), header); err == nil {
		t.Fatal("foreign origin accepted")
	}

	got := s.obs.snapshot()
	if got.connected != 3 || got.rooms != 1 {
		t.Errorf("connected %d, rooms %d; want 3 and 1", got.connected, got.rooms)
	}
	want := map[protocol.Type]int{protocol.TypeOffer: 1, protocol.TypeAnswer: 1, protocol.TypeCandidate: 1}
	if fmt.Sprint(got.relayed) != fmt.Sprint(want) {
		t.Errorf("relayed %v, want %v", got.relayed, want)
	}
	wantRejected := map[protocol.Code]int{protocol.CodeUnknownType: 1, protocol.CodeRoomFull: 1, protocol.CodeOriginForbidden: 1}
	if fmt.Sprint(got.rejected) != fmt.Sprint(wantRejected) {
		t.Errorf("rejected %v, want %v", got.rejected, wantRejected)
	}
}

func TestCallReportsReachTheObserverWithinABound(t *testing.T) {
	s := start(t, nil)
	a, b, _ := s.pair(t)
	connected := protocol.CallReport{Outcome: protocol.OutcomeConnected, Path: protocol.PathRelayed, Transport: "tcp", SetupMs: 1500}
	a.send(protocol.Message{Type: protocol.TypeCallReport, Report: connected})
	b.sendRaw(`{"v":1,"type":"call-report","outcome":"connected","path":"sideways","setupMs":1}`)
	b.expectError(protocol.CodeBadMessage)
	for range maxCallReports - 1 {
		a.send(protocol.Message{Type: protocol.TypeCallReport, Report: protocol.CallReport{Outcome: "failed", Reason: "timeout"}})
	}
	a.send(protocol.Message{Type: protocol.TypeCallReport, Report: connected})
	a.expectError(protocol.CodeRateLimited)
	a.alive() // a non-fatal error: the call goes on
	b.alive() // and b heard none of it

	got := s.obs.snapshot()
	if len(got.reports) != maxCallReports || got.reports[0] != connected {
		t.Fatalf("reports %v, want %d starting with %+v", got.reports, maxCallReports, connected)
	}
	if got.rejected[protocol.CodeRateLimited] != 1 {
		t.Errorf("rejections %v", got.rejected)
	}
}

func TestCallReportBeforeJoinIsRefused(t *testing.T) {
	s := start(t, nil)
	c := s.dial(t, nil)
	c.sendRaw(`{"v":1,"type":"call-report","outcome":"failed","reason":"timeout"}`)
	c.expectError(protocol.CodeNotJoined)
	if n := len(s.obs.snapshot().reports); n != 0 {
		t.Fatalf("%d reports recorded before join", n)
	}
}

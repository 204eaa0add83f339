package peer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"github.com/maju-call/maju/internal/protocol"
)

// These tests put a Peer in front of a scripted signaling server (fakeServer) and, where a call is
// needed, a bare pion PeerConnection driven by the test as the other person. The real server and two
// Peers together are tested in internal/integration.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testTimeout = 15 * time.Second

const testRoom = "AAAAAAAAAAAAAAAAAAAAAA" // well-formed: 16 zero bytes

func testLogger(t *testing.T, name string) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("MAJU_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level})).With("who", name)
}

// fakeServer accepts WebSockets and hands them to the test, which plays the server's part.
type fakeServer struct {
	*httptest.Server
	t     *testing.T
	conns chan *fakeConn
	url   string
}

// fakeConn is the server side of one WebSocket. A goroutine reads it into in until it ends.
type fakeConn struct {
	t  *testing.T
	ws *websocket.Conn
	in chan protocol.Message
}

func newFakeServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request) bool) *fakeServer {
	fs := &fakeServer{t: t, conns: make(chan *fakeConn, 4)}
	var wg sync.WaitGroup
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if handle != nil && !handle(w, r) {
			return
		}
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		fc := &fakeConn{t: t, ws: ws, in: make(chan protocol.Message, 256)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(fc.in)
			for {
				_, data, err := ws.ReadMessage()
				if err != nil {
					return
				}
				m, err := protocol.Decode(data)
				if err != nil {
					t.Errorf("peer sent a bad message %s: %v", data, err)
					return
				}
				fc.in <- m
			}
		}()
		fs.conns <- fc
	}))
	fs.url = "ws" + strings.TrimPrefix(fs.URL, "http") + "/ws"
	t.Cleanup(func() {
		close(fs.conns)
		for fc := range fs.conns {
			_ = fc.ws.Close()
		}
		fs.Close()
		wg.Wait()
	})
	return fs
}

// accept takes the next connection, which must start with a join of testRoom with rollback false.
func (fs *fakeServer) accept(ctx context.Context) *fakeConn {
	fs.t.Helper()
	fc, _ := fs.acceptJoin(ctx)
	return fc
}

// acceptJoin is accept that also returns the join message.
func (fs *fakeServer) acceptJoin(ctx context.Context) (*fakeConn, protocol.Message) {
	fs.t.Helper()
	select {
	case fc := <-fs.conns:
		fc.t.Cleanup(func() { _ = fc.ws.Close() })
		m := fc.next(ctx)
		if m.Type != protocol.TypeJoin || m.Room != testRoom || m.Rollback || !protocol.ValidResumeToken(m.Resume) {
			fc.t.Fatalf("first message %+v, want join %s with rollback false and a resume token", m, testRoom)
		}
		return fc, m
	case <-ctx.Done():
		fs.t.Fatalf("no connection: %v", ctx.Err())
	}
	return nil, protocol.Message{}
}

func (fc *fakeConn) send(m protocol.Message) {
	fc.t.Helper()
	data, err := protocol.Encode(m)
	if err != nil {
		fc.t.Fatal(err)
	}
	if err := fc.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		fc.t.Fatalf("send %s: %v", m.Type, err)
	}
}

func (fc *fakeConn) next(ctx context.Context) protocol.Message {
	fc.t.Helper()
	select {
	case m, ok := <-fc.in:
		if !ok {
			fc.t.Fatal("connection closed")
		}
		return m
	case <-ctx.Done():
		fc.t.Fatalf("no message: %v", ctx.Err())
	}
	return protocol.Message{}
}

// joinAsync starts Join; the test plays the server meanwhile.
func joinAsync(ctx context.Context, t *testing.T, opts Options) <-chan joinResult {
	res := make(chan joinResult, 1)
	go func() {
		p, err := Join(ctx, opts)
		res <- joinResult{p, err}
	}()
	return res
}

type joinResult struct {
	p   *Peer
	err error
}

func welcome(peer, polite bool) protocol.Message {
	return protocol.Message{Type: protocol.TypeWelcome, Room: testRoom, Peer: peer, Polite: polite}
}

func TestJoinRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Origin") == "https://evil.example" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"code":"origin-forbidden","message":"This page may not use this server."}`))
			return false
		}
		if r.URL.Query().Has("teapot") {
			w.WriteHeader(http.StatusTeapot)
			return false
		}
		return true
	})
	opts := func() Options {
		return Options{URL: fs.url, Room: testRoom, Logger: testLogger(t, "p"), LoopbackOnly: true}
	}

	wantCode := func(t *testing.T, err error, code protocol.Code) {
		t.Helper()
		var perr *protocol.Error
		if !errors.As(err, &perr) || perr.Code != code {
			t.Fatalf("got %v, want a *protocol.Error with code %s", err, code)
		}
	}

	t.Run("bad room, not dialed", func(t *testing.T) {
		o := opts()
		o.Room = "not-a-room"
		_, err := Join(ctx, o)
		wantCode(t, err, protocol.CodeBadRoom)
	})
	t.Run("LoopbackOnly with API", func(t *testing.T) {
		o := opts()
		o.API = webrtc.NewAPI()
		if _, err := Join(ctx, o); err == nil || !strings.Contains(err.Error(), "LoopbackOnly") {
			t.Fatalf("got %v, want an error about LoopbackOnly", err)
		}
	})
	t.Run("origin forbidden", func(t *testing.T) {
		o := opts()
		o.Header = http.Header{"Origin": {"https://evil.example"}}
		_, err := Join(ctx, o)
		wantCode(t, err, protocol.CodeOriginForbidden)
	})
	t.Run("handshake refused without a code", func(t *testing.T) {
		o := opts()
		o.URL += "?teapot"
		_, err := Join(ctx, o)
		var perr *protocol.Error
		if err == nil || errors.As(err, &perr) || !strings.Contains(err.Error(), "418") {
			t.Fatalf("got %v, want a plain error naming HTTP 418", err)
		}
	})
	t.Run("room full", func(t *testing.T) {
		res := joinAsync(ctx, t, opts())
		fc := fs.accept(ctx)
		fc.send(protocol.ErrorMessage(protocol.Errorf(protocol.CodeRoomFull, "This call already has two people.")))
		_ = fc.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(protocol.ClosePolicy, "room-full"))
		r := <-res
		wantCode(t, r.err, protocol.CodeRoomFull)
		if r.err.(*protocol.Error).Text != "This call already has two people." {
			t.Fatalf("text %q", r.err.(*protocol.Error).Text)
		}
	})
	t.Run("closed before welcome", func(t *testing.T) {
		res := joinAsync(ctx, t, opts())
		fc := fs.accept(ctx)
		_ = fc.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(protocol.CloseGoingAway, "shutting-down"))
		wantCode(t, (<-res).err, protocol.CodeShuttingDown)
	})
	t.Run("no answer within ctx", func(t *testing.T) {
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		res := joinAsync(short, t, opts())
		fs.accept(ctx)
		if err := (<-res).err; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestCloseError(t *testing.T) {
	last := protocol.Errorf(protocol.CodeShuttingDown, "The server is restarting.")
	closeErr := func(code int, text string) error { return &websocket.CloseError{Code: code, Text: text} }
	tests := []struct {
		name   string
		err    error
		last   *protocol.Error
		hungUp bool
		want   error  // compared with errors.Is, nil means nil
		code   string // or: want a *protocol.Error with this code
	}{
		{"normal close after leave", closeErr(1000, ""), nil, true, nil, ""},
		{"normal close", closeErr(1000, ""), nil, false, nil, ""},
		{"reason matches the error message", closeErr(1001, "shutting-down"), last, false, last, ""},
		{"reason without a message", closeErr(1008, "slow-consumer"), nil, false, nil, "slow-consumer"},
		{"reason, other message", closeErr(1008, "slow-consumer"), last, false, nil, "slow-consumer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := closeError(tt.err, tt.last, tt.hungUp)
			if tt.code != "" {
				var perr *protocol.Error
				if !errors.As(got, &perr) || string(perr.Code) != tt.code {
					t.Fatalf("got %v, want code %s", got, tt.code)
				}
				return
			}
			if got != tt.want && !errors.Is(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	if err := closeError(closeErr(1006, ""), nil, false); err == nil {
		t.Error("abnormal close: nil error")
	}
	var perr *protocol.Error
	if err := closeError(closeErr(1006, "unexpected EOF"), nil, false); err == nil || errors.As(err, &perr) {
		t.Errorf("abnormal close: %v, want a lost connection, not a protocol error", err)
	}
	if err := closeError(errors.New("EOF"), nil, true); err == nil {
		t.Error("connection lost: nil error")
	}
}

// remote is the other person: a bare pion PeerConnection with the chat channel, driven by the test.
type remote struct {
	t    *testing.T
	pc   *webrtc.PeerConnection
	dc   *webrtc.DataChannel
	open chan struct{}
	msgs chan webrtc.DataChannelMessage

	mu         sync.Mutex
	candidates []webrtc.ICECandidateInit // local, gathered
	early      []webrtc.ICECandidateInit // the peer's, before the remote description
	gathered   chan struct{}
	reports    chan protocol.CallReport // the peer's call-reports to the server
}

// setRemote sets the remote description and adds the peer's candidates that came before it.
func (r *remote) setRemote(typ webrtc.SDPType, sdp string) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.pc.SetRemoteDescription(webrtc.SessionDescription{Type: typ, SDP: sdp}); err != nil {
		r.t.Fatal(err)
	}
	for _, c := range r.early {
		r.addCandidate(c)
	}
	r.early = nil
}

// answer answers the peer's offer through fc, then sends this side's candidates.
func (r *remote) answer(ctx context.Context, fc *fakeConn, offerSDP string) {
	r.t.Helper()
	r.setRemote(webrtc.SDPTypeOffer, offerSDP)
	answer, err := r.pc.CreateAnswer(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.pc.SetLocalDescription(answer); err != nil {
		r.t.Fatal(err)
	}
	fc.send(protocol.Message{Type: protocol.TypeAnswer, SDP: answer.SDP})
	r.sendCandidates(ctx, fc)
}

func (r *remote) addCandidate(c webrtc.ICECandidateInit) {
	if err := r.pc.AddICECandidate(c); err != nil {
		r.t.Errorf("remote: add candidate %q: %v", c.Candidate, err)
	}
}

func newRemote(t *testing.T) *remote {
	var se webrtc.SettingEngine
	ConfigureLoopbackOnly(&se)
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(&me)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	r := &remote{t: t, pc: pc, open: make(chan struct{}), msgs: make(chan webrtc.DataChannelMessage, 16), gathered: make(chan struct{}),
		reports: make(chan protocol.CallReport, 16)}
	t.Cleanup(func() { _ = pc.GracefulClose() })
	negotiated, id := true, uint16(0)
	r.dc, err = pc.CreateDataChannel("chat", &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	r.dc.OnOpen(func() { once.Do(func() { close(r.open) }) })
	r.dc.OnMessage(func(m webrtc.DataChannelMessage) {
		select {
		case r.msgs <- m:
		default:
			t.Errorf("remote: too many chat messages")
		}
	})
	var gatheredOnce sync.Once // an ICE restart gathers again
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			gatheredOnce.Do(func() { close(r.gathered) })
			return
		}
		r.mu.Lock()
		r.candidates = append(r.candidates, c.ToJSON())
		r.mu.Unlock()
	})
	return r
}

// sendCandidates waits for gathering to finish and sends all candidates, then both end-of-candidates
// forms (an empty candidate string and null).
func (r *remote) sendCandidates(ctx context.Context, fc *fakeConn) {
	select {
	case <-r.gathered:
	case <-ctx.Done():
		r.t.Fatal("remote: gathering did not finish")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.candidates {
		fc.send(protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{
			Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment,
		}})
	}
	mid := "0"
	fc.send(protocol.Message{Type: protocol.TypeCandidate, Candidate: &protocol.Candidate{Candidate: "", SDPMid: &mid}})
	fc.send(protocol.Message{Type: protocol.TypeCandidate})
}

// relay adds the peer's candidates to the remote, keeps its call-reports (for the server, not the
// other person) in r.reports, and passes every other message on, until fc closes.
func (r *remote) relay(fc *fakeConn) (others <-chan protocol.Message, wait func()) {
	out := make(chan protocol.Message, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for m := range fc.in {
			if m.Type == protocol.TypeCallReport {
				r.reports <- m.Report
				continue
			}
			if m.Type != protocol.TypeCandidate {
				out <- m
				continue
			}
			if m.Candidate == nil {
				continue // end of candidates
			}
			c := webrtc.ICECandidateInit{Candidate: m.Candidate.Candidate, SDPMid: m.Candidate.SDPMid,
				SDPMLineIndex: m.Candidate.SDPMLineIndex, UsernameFragment: m.Candidate.UsernameFragment}
			r.mu.Lock()
			if r.pc.RemoteDescription() == nil {
				r.early = append(r.early, c)
			} else {
				r.addCandidate(c)
			}
			r.mu.Unlock()
		}
	}()
	return out, func() { <-done }
}

// expectReport waits for the peer's call-report and checks it says connected over path.
func (r *remote) expectReport(ctx context.Context, path string) {
	r.t.Helper()
	select {
	case rep := <-r.reports:
		if rep.Outcome != protocol.OutcomeConnected || rep.Path != path || rep.SetupMs < 0 || rep.SetupMs > protocol.MaxSetupMs {
			r.t.Fatalf("call-report %+v, want connected over %s", rep, path)
		}
	case <-ctx.Done():
		r.t.Fatal("no call-report")
	}
	select {
	case rep := <-r.reports:
		r.t.Fatalf("a second call-report for one attempt: %+v", rep)
	default:
	}
}

func (r *remote) waitOpen(ctx context.Context) {
	select {
	case <-r.open:
	case <-ctx.Done():
		r.t.Fatal("remote: chat did not open")
	}
}

// receiveChat returns the next chat message the remote receives, skipping the peer's acks.
func (r *remote) receiveChat(ctx context.Context) ChatMessage {
	for {
		select {
		case m := <-r.msgs:
			if m.IsString && strings.Contains(string(m.Data), `"type":"ack"`) {
				continue
			}
			cm, ok, err := DecodeChat(m.Data)
			if !m.IsString || !ok || err != nil {
				r.t.Fatalf("remote: got %q (string %t), want a chat message: %v", m.Data, m.IsString, err)
			}
			return cm
		case <-ctx.Done():
			r.t.Fatal("remote: no chat message")
		}
		return ChatMessage{}
	}
}

func nextOfType(ctx context.Context, t *testing.T, ch <-chan protocol.Message, typ protocol.Type) protocol.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatalf("connection closed while waiting for %s", typ)
		}
		if m.Type != typ {
			t.Fatalf("got %s, want %s", m.Type, typ)
		}
		return m
	case <-ctx.Done():
		t.Fatalf("no %s: %v", typ, ctx.Err())
	}
	return protocol.Message{}
}

func waitEvent(ctx context.Context, t *testing.T, p *Peer, typ EventType) Event {
	t.Helper()
	ev, err := p.WaitEvent(ctx, typ)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestImpolite: the peer offers as soon as the pair forms, ignores the remote's colliding offer, keeps
// candidates that arrive before the answer, ignores end-of-candidates in both forms, chats (dropping
// messages that do not fit the protocol), and after peer-left makes a new PeerConnection for the next
// person.
func TestImpolite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	fs := newFakeServer(t, nil)
	p, fc := joinFake(ctx, t, fs, welcome(true, false))
	if ev := waitEvent(ctx, t, p, EventPaired); ev.Polite {
		t.Fatal("paired as polite")
	}

	rem := newRemote(t)
	others, relayDone := rem.relay(fc)
	defer relayDone()
	defer func() { _ = fc.ws.Close() }()
	offer := nextOfType(ctx, t, others, protocol.TypeOffer)

	// Glare: a second, colliding offer. The impolite peer must ignore it (no answer comes back).
	glare := newRemote(t)
	glareOffer, err := glare.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	fc.send(protocol.Message{Type: protocol.TypeOffer, SDP: glareOffer.SDP})

	rem.setRemote(webrtc.SDPTypeOffer, offer.SDP)
	answer, err := rem.pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rem.pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	rem.sendCandidates(ctx, fc) // before the answer: the peer must keep them
	fc.send(protocol.Message{Type: protocol.TypeAnswer, SDP: answer.SDP})

	if err := p.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	rem.waitOpen(ctx)

	for _, bad := range []string{`{"type":"typing"}`, `{"type":"chat","id":"x","text":"","ts":1}`, `not json`} {
		if err := rem.dc.SendText(bad); err != nil {
			t.Fatal(err)
		}
	}
	if err := rem.dc.Send([]byte(`{"type":"chat","id":"bin","text":"binary","ts":1}`)); err != nil {
		t.Fatal(err)
	}
	want := ChatMessage{ID: "r1", Text: "hello, Go", Time: time.UnixMilli(1700000000000)}
	data, _ := EncodeChat(want)
	if err := rem.dc.SendText(string(data)); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-p.Chat():
		if got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	case <-ctx.Done():
		t.Fatal("no chat message")
	}
	sent, err := p.SendChat("hello, remote")
	if err != nil {
		t.Fatal(err)
	}
	if got := rem.receiveChat(ctx); got != sent {
		t.Fatalf("remote got %+v, want %+v", got, sent)
	}
	if _, err := p.SendChat(""); !errors.Is(err, ErrInvalidChat) {
		t.Fatalf("empty chat: %v, want ErrInvalidChat", err)
	}
	rem.expectReport(ctx, protocol.PathDirect)

	fc.send(protocol.Message{Type: protocol.TypePeerLeft, Reason: protocol.ReasonHangup})
	if ev := waitEvent(ctx, t, p, EventPeerLeft); ev.Reason != protocol.ReasonHangup {
		t.Fatalf("peer-left reason %q", ev.Reason)
	}
	if p.Connected() {
		t.Fatal("still connected after peer-left")
	}
	fc.send(protocol.Message{Type: protocol.TypePeerJoined, Polite: false})
	waitEvent(ctx, t, p, EventPaired)
	second := nextOfType(ctx, t, others, protocol.TypeOffer)
	if second.SDP == offer.SDP {
		t.Fatal("the new offer is the old one")
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// Nothing but candidates for the second PeerConnection may follow; in particular no answer to the
	// colliding offer.
	for m := range others {
		t.Errorf("unexpected message after the second offer: %s", m.Type)
	}
}

// TestPolite: told it is polite, the peer never offers; it answers the other side's offer.
func TestPolite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	fs := newFakeServer(t, nil)
	res := joinAsync(ctx, t, Options{URL: fs.url, Room: testRoom, Logger: testLogger(t, "p"), LoopbackOnly: true})
	fc := fs.accept(ctx)
	fc.send(welcome(false, false)) // alone at first
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	p := r.p
	defer p.Close()

	rem := newRemote(t)
	others, relayDone := rem.relay(fc)
	defer relayDone()
	defer func() { _ = fc.ws.Close() }()
	fc.send(protocol.Message{Type: protocol.TypePeerJoined, Polite: true})
	if ev := waitEvent(ctx, t, p, EventPaired); !ev.Polite {
		t.Fatal("paired as impolite")
	}

	offer, err := rem.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rem.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	fc.send(protocol.Message{Type: protocol.TypeOffer, SDP: offer.SDP})
	answer := nextOfType(ctx, t, others, protocol.TypeAnswer) // an offer here fails the test
	rem.setRemote(webrtc.SDPTypeAnswer, answer.SDP)
	rem.sendCandidates(ctx, fc)
	if err := p.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	rem.waitOpen(ctx)
	sent, err := p.SendChat("hi")
	if err != nil {
		t.Fatal(err)
	}
	if got := rem.receiveChat(ctx); got != sent {
		t.Fatalf("remote got %+v, want %+v", got, sent)
	}
	rem.expectReport(ctx, protocol.PathDirect)

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for m := range others {
		t.Errorf("unexpected message from the polite peer: %s", m.Type)
	}
}

// TestHangupSendsLeave: Hangup sends leave, and the server's close 1000 is an orderly end.
func TestHangupSendsLeave(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	fs := newFakeServer(t, nil)
	p, fc := joinFake(ctx, t, fs, welcome(false, false))

	hung := make(chan error, 1)
	go func() { hung <- p.Hangup(ctx) }()
	if m := fc.next(ctx); m.Type != protocol.TypeLeave {
		t.Fatalf("got %s, want leave", m.Type)
	}
	_ = fc.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	if err := <-hung; err != nil {
		t.Fatalf("hangup: %v", err)
	}
	if ev := waitEvent(ctx, t, p, EventClosed); ev.Err != nil {
		t.Fatalf("closed with %v", ev.Err)
	}
	if _, err := p.SendChat("late"); !errors.Is(err, ErrClosed) {
		t.Fatalf("chat after hangup: %v, want ErrClosed", err)
	}
	if err := p.Hangup(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("second hangup: %v, want ErrClosed", err)
	}
	for range p.Chat() {
		t.Fatal("chat message after close")
	}
	for range p.Tracks() {
		t.Fatal("track after close")
	}
}

// joinFake joins the fake server fs as a loopback-only peer named "p", answers its join with w, and
// returns the peer (closed when the test ends) and the server's side of its connection.
func joinFake(ctx context.Context, t *testing.T, fs *fakeServer, w protocol.Message) (*Peer, *fakeConn) {
	t.Helper()
	res := joinAsync(ctx, t, Options{URL: fs.url, Room: testRoom, Logger: testLogger(t, "p"), LoopbackOnly: true})
	fc := fs.accept(ctx)
	fc.send(w)
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { _ = r.p.Close() })
	return r.p, fc
}

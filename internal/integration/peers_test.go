package integration

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"go.uber.org/goleak"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/peer"
	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/server"
)

// testTimeout bounds each test's waits. Measured on loopback a pair connects in well under a second.
const testTimeout = 20 * time.Second

// logger writes to the test's output: warnings and errors by default, everything with
// MAJU_TEST_LOG=debug.
func logger(t *testing.T, name string) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("MAJU_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level})).With("who", name)
}

// setup checks for leaked goroutines when the test ends (after every other cleanup), starts the real
// server (with config.Default changed by tweaks) on a loopback httptest listener, and returns its
// WebSocket URL and a fresh room id.
func setup(t *testing.T, tweaks ...func(*config.Config)) (srv *server.Server, url, room string) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs last
	cfg := config.Default()
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	srv = server.New(cfg, logger(t, "server"))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("server shutdown: %v", err)
		}
		ts.Close()
	})
	room, err := protocol.NewRoomID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return srv, "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws", room
}

// join joins room as a loopback-only Go peer that is closed when the test ends.
func join(ctx context.Context, t *testing.T, url, room, name string, tracks ...webrtc.TrackLocal) *peer.Peer {
	t.Helper()
	p, err := peer.Join(ctx, peer.Options{URL: url, Room: room, Tracks: tracks, Logger: logger(t, name), LoopbackOnly: true})
	if err != nil {
		t.Fatalf("%s: join: %v", name, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func waitConnected(ctx context.Context, t *testing.T, peers ...*peer.Peer) {
	t.Helper()
	for i, p := range peers {
		if err := p.WaitConnected(ctx); err != nil {
			t.Fatalf("peer %d: not connected: %v", i, err)
		}
	}
}

// waitEvent reads p's events until one of type typ arrives, and returns it.
func waitEvent(ctx context.Context, t *testing.T, p *peer.Peer, typ peer.EventType) peer.Event {
	t.Helper()
	ev, err := p.WaitEvent(ctx, typ)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// chat sends texts from one peer and checks the other receives exactly them, in order.
func chat(ctx context.Context, t *testing.T, from, to *peer.Peer, texts ...string) {
	t.Helper()
	var sent []peer.ChatMessage
	for _, text := range texts {
		m, err := from.SendChat(text)
		if err != nil {
			t.Fatalf("send %q: %v", text, err)
		}
		sent = append(sent, m)
	}
	for i, want := range sent {
		select {
		case got, ok := <-to.Chat():
			if !ok {
				t.Fatalf("chat closed before message %d", i)
			}
			if got.Text != want.Text || got.ID != want.ID || !got.Time.Equal(want.Time) {
				t.Fatalf("message %d: got %+v, want %+v", i, got, want)
			}
		case <-ctx.Done():
			t.Fatalf("message %d (%q) not received: %v", i, want.Text, ctx.Err())
		}
	}
}

// sendSamples writes a sample every 20 ms to track until stop is closed (at most 1500 samples, 30 s).
func sendSamples(t *testing.T, track *webrtc.TrackLocalStaticSample, size int, stop <-chan struct{}, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		data := make([]byte, size)
		for i := 0; i < 1500; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			data[0] = byte(i)
			if err := track.WriteSample(media.Sample{Data: data, Duration: 20 * time.Millisecond}); err != nil {
				t.Errorf("write sample: %v", err)
				return
			}
		}
	}()
}

// receivePackets waits for a remote track with the given codec on p and reads n RTP packets from it.
func receivePackets(ctx context.Context, t *testing.T, p *peer.Peer, mimeType string, n int) {
	t.Helper()
	var track *webrtc.TrackRemote
	for track == nil {
		select {
		case tr, ok := <-p.Tracks():
			if !ok {
				t.Fatal("tracks closed")
			}
			if strings.EqualFold(tr.Codec().MimeType, mimeType) {
				track = tr
			}
		case <-ctx.Done():
			t.Fatalf("no %s track: %v", mimeType, ctx.Err())
		}
	}
	deadline, _ := ctx.Deadline()
	if err := track.SetReadDeadline(deadline); err != nil {
		t.Fatal(err)
	}
	var last uint16
	for i := 0; i < n; i++ {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			t.Fatalf("%s: read packet %d of %d: %v", mimeType, i, n, err)
		}
		if i > 0 && pkt.SequenceNumber == last {
			t.Fatalf("%s: repeated sequence number %d", mimeType, last)
		}
		last = pkt.SequenceNumber
	}
}

// pair starts two connected peers in a fresh room: a (first, impolite) and b (second, polite).
func pair(ctx context.Context, t *testing.T, url, room string, aTracks, bTracks []webrtc.TrackLocal) (a, b *peer.Peer) {
	t.Helper()
	a = join(ctx, t, url, room, "a", aTracks...)
	b = join(ctx, t, url, room, "b", bTracks...)
	if ev := waitEvent(ctx, t, a, peer.EventPaired); ev.Polite {
		t.Fatal("a (first, rollback false) was made polite")
	}
	if ev := waitEvent(ctx, t, b, peer.EventPaired); !ev.Polite {
		t.Fatal("b (newcomer, rollback false) was made impolite")
	}
	waitConnected(ctx, t, a, b)
	return a, b
}

// TestChatAndMedia: two Go peers chat both ways and each receives the other's track. The polite one
// never offers: its audio travels on the receive-only transceiver the impolite one's offer carries.
func TestChatAndMedia(t *testing.T) {
	_, url, room := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	video, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "a")
	if err != nil {
		t.Fatal(err)
	}
	audio, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "b")
	if err != nil {
		t.Fatal(err)
	}
	a, b := pair(ctx, t, url, room, []webrtc.TrackLocal{video}, []webrtc.TrackLocal{audio})

	chat(ctx, t, a, b, "hello from a", "second", `<img src=x onerror=alert(1)>`, "ünïcødé 🎉")
	chat(ctx, t, b, a, "hi from b", strings.Repeat("x", peer.MaxChatTextLength))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	sendSamples(t, video, 1000, stop, &wg)
	sendSamples(t, audio, 160, stop, &wg)
	receivePackets(ctx, t, b, webrtc.MimeTypeVP8, 30)
	receivePackets(ctx, t, a, webrtc.MimeTypeOpus, 30)
}

// TestRoomFull: a third Go peer is refused with room-full, and the two in the call notice nothing.
func TestRoomFull(t *testing.T) {
	_, url, room := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	a, b := pair(ctx, t, url, room, nil, nil)
	drainEvents(a)
	drainEvents(b)

	c, err := peer.Join(ctx, peer.Options{URL: url, Room: room, Logger: logger(t, "c"), LoopbackOnly: true})
	if err == nil {
		_ = c.Close()
		t.Fatal("third peer joined a full room")
	}
	var perr *protocol.Error
	if !errors.As(err, &perr) || perr.Code != protocol.CodeRoomFull {
		t.Fatalf("third peer: got %v, want a *protocol.Error with code %s", err, protocol.CodeRoomFull)
	}

	chat(ctx, t, a, b, "still here?")
	chat(ctx, t, b, a, "yes")
	for _, p := range []*peer.Peer{a, b} {
		if !p.Connected() {
			t.Error("a peer lost its connection")
		}
		for _, ev := range drainEvents(p) {
			if ev.Type != peer.EventDelivered { // the acks of the chat above
				t.Errorf("event after the refusal: %v", ev)
			}
		}
	}
}

// drainEvents returns the events p has queued, without waiting.
func drainEvents(p *peer.Peer) []peer.Event {
	var evs []peer.Event
	for {
		select {
		case ev := <-p.Events():
			evs = append(evs, ev)
		default:
			return evs
		}
	}
}

// TestHangup: the other side observes peer-left with reason hangup, keeps its seat, and pairs with the
// next person (as the one already there, so now impolite), sending its track again on the new
// PeerConnection.
func TestHangup(t *testing.T) {
	_, url, room := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	video, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "b")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	sendSamples(t, video, 1000, stop, &wg)
	a, b := pair(ctx, t, url, room, nil, []webrtc.TrackLocal{video})
	receivePackets(ctx, t, a, webrtc.MimeTypeVP8, 5)

	if err := a.Hangup(ctx); err != nil {
		t.Fatalf("hangup: %v", err)
	}
	select {
	case <-a.Done():
	default:
		t.Fatal("a still running after Hangup")
	}
	if ev := waitEvent(ctx, t, b, peer.EventPeerLeft); ev.Reason != protocol.ReasonHangup {
		t.Fatalf("b: peer-left reason %q, want %q", ev.Reason, protocol.ReasonHangup)
	}
	if b.Connected() {
		t.Fatal("b still connected after peer-left")
	}
	if _, err := b.SendChat("anyone?"); !errors.Is(err, peer.ErrNotConnected) {
		t.Fatalf("chat with nobody: got %v, want ErrNotConnected", err)
	}

	c := join(ctx, t, url, room, "c")
	if ev := waitEvent(ctx, t, b, peer.EventPaired); ev.Polite {
		t.Fatal("b (already there) was made polite")
	}
	waitConnected(ctx, t, b, c)
	chat(ctx, t, b, c, "welcome, c")
	chat(ctx, t, c, b, "thanks")
	receivePackets(ctx, t, c, webrtc.MimeTypeVP8, 10)
}

// TestDisconnect: closing without leave is reported to the other side as reconnecting (the seat is
// held for the resume grace), then as disconnected when the grace ends.
func TestDisconnect(t *testing.T) {
	_, url, room := setup(t, func(c *config.Config) { c.ResumeGrace = time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	a, b := pair(ctx, t, url, room, nil, nil)

	if err := a.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if ev := waitEvent(ctx, t, b, peer.EventPeerReconnecting); ev.Grace != time.Second {
		t.Fatalf("b: peer-reconnecting with grace %v, want 1s", ev.Grace)
	}
	if ev := waitEvent(ctx, t, b, peer.EventPeerLeft); ev.Reason != protocol.ReasonDisconnected {
		t.Fatalf("b: peer-left reason %q, want %q", ev.Reason, protocol.ReasonDisconnected)
	}
	if ev := waitEvent(ctx, t, a, peer.EventClosed); ev.Err != nil {
		t.Fatalf("a: closed with %v, want nil", ev.Err)
	}
}

// TestServerShutdown: a stopping server's shutting-down (close 1012) does not end the call: both
// peers lose signaling, keep trying to reconnect, and go on chatting peer to peer.
func TestServerShutdown(t *testing.T) {
	srv, url, room := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	a, b := pair(ctx, t, url, room, nil, nil)

	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for _, p := range []*peer.Peer{a, b} {
		ev := waitEvent(ctx, t, p, peer.EventSignalingLost)
		var perr *protocol.Error
		if !errors.As(ev.Err, &perr) || perr.Code != protocol.CodeShuttingDown {
			t.Fatalf("signaling lost with %v, want code %s", ev.Err, protocol.CodeShuttingDown)
		}
	}
	chat(ctx, t, a, b, "the server is gone")
	chat(ctx, t, b, a, "we are not")
	for _, p := range []*peer.Peer{a, b} {
		if !p.Connected() || p.Err() != nil {
			t.Fatalf("a peer ended with the server: connected %t, err %v", p.Connected(), p.Err())
		}
	}
}

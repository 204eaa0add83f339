package integration

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/peer"
	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/server"
)

// Calls that outlive their signaling connections: one peer's connection dropped (through a TCP proxy
// the test cuts), and the server restarted behind the same address. Media and chat go peer to peer, so
// the call goes on; the peers reconnect, the pair resumes on the same PeerConnections, and negotiation
// works again afterwards.

// tcpProxy forwards TCP connections to a target. pause closes every connection it carries and refuses
// new ones (accepted and closed at once) until resume.
type tcpProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	paused bool
	conns  map[net.Conn]struct{}
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		_ = ln.Close()
		p.pause()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

// track adds c to the carried connections, or closes it while paused.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *tcpProxy) forward(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(s) {
		return
	}
	defer s.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _ = io.Copy(s, c)
		_ = s.Close()
	})
	_, _ = io.Copy(c, s)
	_ = c.Close()
	wg.Wait()
}

func (p *tcpProxy) pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = true
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *tcpProxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = false
}

// waitRestarted waits until p's PeerConnection has had n ICE restarts and is connected again.
func waitRestarted(ctx context.Context, t *testing.T, p *peer.Peer, n int) {
	t.Helper()
	for {
		st := peerStatus(ctx, t, p)
		if st.ICERestarts >= n && st.State == webrtc.PeerConnectionStateConnected {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no ICE restart %d: %+v", n, st)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// checkSamePeerConnections fails unless a and b still have the PeerConnections of before.
func checkSamePeerConnections(ctx context.Context, t *testing.T, before [2]peer.Status, a, b *peer.Peer) {
	t.Helper()
	for i, p := range []*peer.Peer{a, b} {
		if st := peerStatus(ctx, t, p); st.PeerConnection != before[i].PeerConnection || !st.Signaling {
			t.Errorf("peer %d: %+v, want signaling back and the same PeerConnection (%d)", i, st, before[i].PeerConnection)
		}
	}
}

// TestSignalingDropResumes: a's signaling connection drops and its reconnections fail for a while.
// b hears that a is reconnecting; meanwhile they chat both ways. When a gets through, the pair resumes
// on the same PeerConnections, and an ICE restart negotiated over the new connection succeeds.
func TestSignalingDropResumes(t *testing.T) {
	_, url, room := setup(t, func(c *config.Config) { c.ResumeGrace = 10 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	proxy := newTCPProxy(t, strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/ws"))
	a := join(ctx, t, "ws://"+proxy.ln.Addr().String()+"/ws", room, "a") // first: impolite
	b := join(ctx, t, url, room, "b")
	waitConnected(ctx, t, a, b)
	before := [2]peer.Status{peerStatus(ctx, t, a), peerStatus(ctx, t, b)}

	proxy.pause()
	waitEvent(ctx, t, a, peer.EventSignalingLost)
	waitEvent(ctx, t, b, peer.EventPeerReconnecting)
	chat(ctx, t, a, b, "my signaling is gone")
	chat(ctx, t, b, a, "we still hear you")
	if st := peerStatus(ctx, t, a); st.Signaling {
		t.Fatal("a says it is in the room while its proxy refuses it")
	}

	proxy.resume()
	if ev := waitEvent(ctx, t, a, peer.EventSignalingBack); !ev.Resumed {
		t.Fatal("a is back, but the pair did not resume")
	}
	waitEvent(ctx, t, b, peer.EventPeerBack)
	checkSamePeerConnections(ctx, t, before, a, b)

	if err := a.RestartICE(ctx); err != nil {
		t.Fatalf("restart ICE: %v", err)
	}
	waitRestarted(ctx, t, a, 1)
	waitRestarted(ctx, t, b, 1)
	chat(ctx, t, a, b, "renegotiated")
	chat(ctx, t, b, a, "over the new connection")
}

// TestServerRestartResumes: the server restarts (a new one takes over the same address while the old
// one shuts down: close 1012). Both peers reconnect with keep and complementary roles; the new server,
// which knows nobody, resumes the pair, and an ICE restart over it succeeds.
func TestServerRestartResumes(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs last
	var (
		mu      sync.Mutex
		servers []*server.Server
		current atomic.Pointer[server.Server]
	)
	start := func() *server.Server {
		srv := server.New(config.Default(), logger(t, "server"))
		mu.Lock()
		servers = append(servers, srv)
		mu.Unlock()
		return srv
	}
	current.Store(start())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		current.Load().Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		mu.Lock()
		defer mu.Unlock()
		for _, srv := range servers {
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("server shutdown: %v", err)
			}
		}
		ts.Close()
	})
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	room, err := protocol.NewRoomID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, b := pair(ctx, t, url, room, nil, nil)
	before := [2]peer.Status{peerStatus(ctx, t, a), peerStatus(ctx, t, b)}

	old := current.Swap(start())
	if err := old.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for _, p := range []*peer.Peer{a, b} {
		waitEvent(ctx, t, p, peer.EventSignalingLost)
	}
	chat(ctx, t, b, a, "the server restarts")
	// Whoever rejoins first waits alone (welcome without the peer) until the other arrives; then the
	// second one's welcome and the first one's peer-joined say the pair resumed.
	waitResumed(ctx, t, a)
	waitResumed(ctx, t, b)
	checkSamePeerConnections(ctx, t, before, a, b)

	if err := a.RestartICE(ctx); err != nil {
		t.Fatalf("restart ICE: %v", err)
	}
	waitRestarted(ctx, t, a, 1)
	waitRestarted(ctx, t, b, 1)
	chat(ctx, t, a, b, "on the new server")
	chat(ctx, t, b, a, "same call")
}

// waitResumed waits until p is back in the room with its pair resumed: EventSignalingBack with
// Resumed, or EventPeerBack. A new pair (EventPaired) fails the test.
func waitResumed(ctx context.Context, t *testing.T, p *peer.Peer) {
	t.Helper()
	for {
		select {
		case ev, ok := <-p.Events():
			switch {
			case !ok:
				t.Fatal("peer stopped")
			case ev.Type == peer.EventPaired:
				t.Fatal("a new pair instead of the resumed one")
			case ev.Type == peer.EventPeerBack, ev.Type == peer.EventSignalingBack && ev.Resumed:
				return
			}
		case <-ctx.Done():
			t.Fatal("the pair did not resume")
		}
	}
}

package integration

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/maju-call/maju/internal/peer"
	"github.com/maju-call/maju/internal/pionlog"
)

// A call whose network path is cut and restored: two Go peers on one simulated LAN (pion vnet, all
// in-process), signaling over real loopback to the real server. The router drops every packet while
// the path is cut.

const (
	// cutDisconnected, cutFailed and cutKeepalive are the peers' ICE timeouts: pion's defaults (5 s,
	// 25 s, 2 s) would make the test wait 5 s before it even notices the cut. The failed timeout stays
	// well beyond the peer's 2 s disconnected grace, so the restart comes from the grace.
	cutDisconnected = time.Second
	cutFailed       = 10 * time.Second
	cutKeepalive    = 200 * time.Millisecond
)

// cutNet is a LAN with two hosts whose packets can all be dropped.
type cutNet struct {
	nets [2]*vnet.Net
	cut  atomic.Bool
}

func newCutNet(t *testing.T) *cutNet {
	t.Helper()
	natBuildMu.Lock() // see natBuildMu
	defer natBuildMu.Unlock()
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: pionlog.New(logger(t, "vnet"))})
	if err != nil {
		t.Fatal(err)
	}
	c := &cutNet{}
	for i, ip := range []string{"10.0.0.2", "10.0.0.3"} {
		if c.nets[i], err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}}); err != nil {
			t.Fatal(err)
		}
		if err := router.AddNet(c.nets[i]); err != nil {
			t.Fatal(err)
		}
	}
	router.AddChunkFilter(func(vnet.Chunk) bool { return !c.cut.Load() })
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := router.Stop(); err != nil {
			t.Errorf("stop the virtual network: %v", err)
		}
	})
	return c
}

// join joins room as host i of the LAN; the peer is closed when the test ends.
func (c *cutNet) join(ctx context.Context, t *testing.T, url, room string, i int, tracks ...webrtc.TrackLocal) *peer.Peer {
	t.Helper()
	name := string(rune('a' + i))
	log := logger(t, name)
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	var ir interceptor.Registry
	if err := webrtc.RegisterDefaultInterceptors(&me, &ir); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{LoggerFactory: pionlog.New(log)}
	se.SetNet(c.nets[i])
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICETimeouts(cutDisconnected, cutFailed, cutKeepalive)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithInterceptorRegistry(&ir), webrtc.WithSettingEngine(se))
	p, err := peer.Join(ctx, peer.Options{URL: url, Room: room, Tracks: tracks, API: api, Logger: log})
	if err != nil {
		t.Fatalf("%s: join: %v", name, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// countPackets reads the first track of mimeType that p receives, counting its RTP packets, until the
// track ends (its PeerConnection closes). Close p before waiting for wg.
func countPackets(ctx context.Context, t *testing.T, p *peer.Peer, mimeType string, n *atomic.Int64, wg *sync.WaitGroup) {
	t.Helper()
	var track *webrtc.TrackRemote
	for track == nil {
		select {
		case tr := <-p.Tracks():
			if tr != nil && strings.EqualFold(tr.Codec().MimeType, mimeType) {
				track = tr
			}
		case <-ctx.Done():
			t.Fatalf("no %s track: %v", mimeType, ctx.Err())
		}
	}
	wg.Go(func() {
		for {
			if _, _, err := track.ReadRTP(); err != nil {
				return
			}
			n.Add(1)
		}
	})
}

// waitCount waits until n reaches at least want.
func waitCount(ctx context.Context, t *testing.T, what string, n *atomic.Int64, want int64) {
	t.Helper()
	for n.Load() < want {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %d packets, want %d", what, n.Load(), want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestICERestartAfterNetworkCut: the network path fails during a call. The impolite peer notices
// (disconnected past its grace) and restarts ICE through signaling while the path is still cut; once
// it is restored the call is connected again on the same PeerConnections, with new ICE credentials on
// both sides, media flowing again and chat delivered both ways (including a message sent during the
// cut, which SCTP delivers once the path is back).
func TestICERestartAfterNetworkCut(t *testing.T) {
	_, url, room := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	lan := newCutNet(t)
	video, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "a")
	if err != nil {
		t.Fatal(err)
	}
	a := lan.join(ctx, t, url, room, 0, video)
	b := lan.join(ctx, t, url, room, 1)
	waitConnected(ctx, t, a, b)

	stop := make(chan struct{})
	var senders, readers sync.WaitGroup
	defer senders.Wait()
	defer close(stop)
	sendSamples(t, video, 1000, stop, &senders)
	var packets atomic.Int64
	countPackets(ctx, t, b, webrtc.MimeTypeVP8, &packets, &readers)
	defer readers.Wait()
	defer b.Close() // ends the track's reads
	waitCount(ctx, t, "before the cut", &packets, 20)
	before := [2]peer.Status{peerStatus(ctx, t, a), peerStatus(ctx, t, b)}

	lan.cut.Store(true)
	cutAt := time.Now()
	waitEvent(ctx, t, a, peer.EventReconnecting)
	t.Logf("a restarts ICE %v after the cut", time.Since(cutAt).Round(time.Millisecond))
	during, err := a.SendChat("sent during the cut")
	if err != nil {
		t.Fatalf("chat during the cut: %v", err)
	}
	// Let the restart's own checks fail a while: nothing gets through.
	inCut := packets.Load()
	time.Sleep(300 * time.Millisecond)
	if n := packets.Load(); n != inCut {
		t.Fatalf("%d packets arrived through the cut", n-inCut)
	}

	lan.cut.Store(false)
	restoredAt := time.Now()
	waitEvent(ctx, t, a, peer.EventReconnected)
	waitConnected(ctx, t, a, b)
	t.Logf("connected again %v after the restore", time.Since(restoredAt).Round(time.Millisecond))
	waitCount(ctx, t, "after the restore", &packets, inCut+50)

	for i, p := range []*peer.Peer{a, b} {
		st := peerStatus(ctx, t, p)
		if st.PeerConnection != before[i].PeerConnection {
			t.Errorf("peer %d: PeerConnection %d after the cut, want the same one (%d)", i, st.PeerConnection, before[i].PeerConnection)
		}
		if st.ICERestarts < 1 || st.RemoteUfrag == before[i].RemoteUfrag || st.LocalUfrag == before[i].LocalUfrag {
			t.Errorf("peer %d: no ICE restart: before %+v, after %+v", i, before[i], st)
		}
	}
	select {
	case m := <-b.Chat():
		if m.ID != during.ID {
			t.Fatalf("b got %+v, want the message sent during the cut", m)
		}
	case <-ctx.Done():
		t.Fatal("the message sent during the cut never arrived")
	}
	chat(ctx, t, a, b, "after the cut")
	chat(ctx, t, b, a, "loud and clear")
}

func peerStatus(ctx context.Context, t *testing.T, p *peer.Peer) peer.Status {
	t.Helper()
	st, err := p.Status(ctx)
	if err != nil && !errors.Is(err, peer.ErrClosed) {
		t.Fatal(err)
	}
	return st
}

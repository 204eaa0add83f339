package peer

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestLoopbackOnly: a PeerConnection from a LoopbackOnly API gathers UDP candidates on 127.0.0.0/8 only
// (no other interface, no mDNS name), whatever the machine's network.
func TestLoopbackOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	api, err := newAPI(Options{LoopbackOnly: true}, testLogger(t, "p"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.GracefulClose() }()
	if _, err := pc.CreateDataChannel("chat", nil); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		t.Fatal("gathering did not complete")
	}
	n := 0
	for _, line := range strings.Split(pc.LocalDescription().SDP, "\n") {
		if !strings.HasPrefix(line, "a=candidate:") {
			continue
		}
		n++
		// a=candidate:foundation component protocol priority address port typ type …
		f := strings.Fields(line)
		if len(f) < 8 || !strings.EqualFold(f[2], "udp") || f[7] != "host" {
			t.Errorf("not a UDP host candidate: %s", line)
			continue
		}
		if ip := net.ParseIP(f[4]); ip == nil || !ip.IsLoopback() || ip.To4() == nil {
			t.Errorf("not an IPv4 loopback candidate: %s", line)
		}
	}
	if n == 0 {
		t.Fatal("no candidates")
	}
}

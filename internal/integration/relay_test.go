package integration

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/node"
	"github.com/maju-call/maju/internal/node/nodetest"
	"github.com/maju-call/maju/internal/peer"
	"github.com/maju-call/maju/internal/protocol"
)

// startRelayNode runs a whole node (signaling and the embedded TURN relay) on loopback and returns it
// with its WebSocket URL and a fresh room id.
func startRelayNode(t *testing.T, edit func(*config.Config)) (*node.Node, string, string) {
	n, url := nodetest.Start(t, edit, logger(t, "node"))
	room, err := protocol.NewRoomID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return n, "ws" + strings.TrimPrefix(url, "http") + "/ws", room
}

// A relayed call whose TURN credentials expire mid-call keeps working: both peers get fresh
// credentials over signaling before expiry, and the allocation made with the first ones lives on.
func TestRelayedCallOutlivesItsCredentials(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs last
	const ttl = 2 * time.Second
	n, url, room := startRelayNode(t, func(c *config.Config) { c.TURN.CredentialTTL = ttl })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	join := func(name string) *peer.Peer {
		p, err := peer.Join(ctx, peer.Options{URL: url, Room: room, RelayOnly: true, LoopbackOnly: true, Logger: logger(t, name)})
		if err != nil {
			t.Fatalf("%s: join: %v", name, err)
		}
		t.Cleanup(func() { _ = p.Close() })
		return p
	}
	started := time.Now()
	a, b := join("a"), join("b")
	waitConnected(ctx, t, a, b)
	first, err := a.ServerICE(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Wait out two lifetimes of the first credential, counting the refreshes on the way (bounded by ctx).
	refreshes := 0
	for time.Since(started) < 2*ttl+500*time.Millisecond {
		waitEvent(ctx, t, a, peer.EventICEServers)
		refreshes++
	}
	if refreshes < 2 {
		t.Fatalf("%d credential refreshes in %v with a %v lifetime, want at least 2", refreshes, time.Since(started), ttl)
	}
	now, err := a.ServerICE(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if now[len(now)-1].Username == first[len(first)-1].Username {
		t.Fatalf("credentials were not renewed: %q", now[len(now)-1].Username)
	}
	path, err := a.Path(ctx)
	if err != nil || !path.Relayed {
		t.Fatalf("path after expiry %v (%v), want relayed", path, err)
	}
	chat(ctx, t, a, b, "still here after the first credentials expired")
	chat(ctx, t, b, a, "me too")
	if n.TURN().AllocationCount() == 0 {
		t.Fatal("no relay allocation: the call was not relayed")
	}
}

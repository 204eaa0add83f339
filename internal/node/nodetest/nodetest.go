// Package nodetest starts whole maju nodes for tests: signaling and the embedded TURN relay on
// loopback ports, with the relay allowed to reach loopback peers (which production never allows).
package nodetest

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/node"
)

// Config is the configuration of a test node: the defaults with the TURN relay on free loopback ports,
// announcing and binding 127.0.0.1, allowed to relay to loopback peers, with a fixed secret.
func Config() config.Config {
	cfg := config.Default()
	cfg.TURN.UDPAddr, cfg.TURN.TCPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.TURN.PublicIP, cfg.TURN.RelayIP = "127.0.0.1", "127.0.0.1"
	cfg.TURN.AllowLoopbackPeers = true
	cfg.TURN.Secret = "test-turn-secret-not-for-production"
	return cfg
}

// Start runs a node with Config changed by edit (if not nil) behind an httptest server, both stopped
// when the test ends, and returns the node and its base URL (http://127.0.0.1:port).
func Start(t testing.TB, edit func(*config.Config), log *slog.Logger) (*node.Node, string) {
	t.Helper()
	cfg := Config()
	if edit != nil {
		edit(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(n.Handler())
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("node close: %v", err)
		}
		ts.Close()
	})
	return n, ts.URL
}

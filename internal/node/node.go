// Package node assembles one maju process: the embedded TURN relay, the ICE server list handed to
// clients, and the HTTP side (web client and signaling). cmd/maju runs a Node; tests start whole nodes
// the same way.
package node

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/metrics"
	"github.com/maju-call/maju/internal/server"
	"github.com/maju-call/maju/internal/turn"
	"github.com/maju-call/maju/internal/version"
)

// Node is a running maju node. Its HTTP handlers are served by the caller.
type Node struct {
	log     *slog.Logger
	srv     *server.Server
	turn    *turn.Server // nil when the embedded relay is disabled
	metrics *metrics.Metrics
}

// Start opens the TURN listeners of cfg (when enabled) and builds the HTTP side. cfg must be valid.
func Start(cfg config.Config, log *slog.Logger) (*Node, error) {
	secret, generated, err := turn.LoadSecret(cfg.TURN)
	if err != nil {
		return nil, err
	}
	externalTURN := hasTURN(cfg.ExternalICE)
	if generated && externalTURN {
		return nil, errors.New("-ice-servers lists TURN servers, which need the shared secret: set -turn-secret " +
			"or -turn-secret-file to their static-auth-secret")
	}
	n := &Node{log: log, metrics: metrics.New(version.Get())}
	ice := &turn.ICEServers{
		Secret: secret, TTL: cfg.TURN.CredentialTTL, Host: cfg.TURN.Host, External: cfg.ExternalICE,
		Log: log.With("component", "turn"),
	}
	if cfg.TURN.Enabled {
		if generated {
			log.Info("TURN secret generated at start; it is not shared with other nodes " +
				"(set -turn-secret or -turn-secret-file to run several nodes or an external coturn)")
		}
		if n.turn, err = turn.Start(cfg.TURN, secret, log.With("component", "turn")); err != nil {
			return nil, err
		}
		ice.Embedded = n.turn.Endpoints()
		n.metrics.WatchTURN(n.turn)
	}
	n.srv = server.New(cfg, log, server.WithICE(ice), server.WithObserver(n.metrics), server.WithReadiness(n.ready))
	n.metrics.WatchSignaling(n.srv.Signaling())
	return n, nil
}

// ready is the node's part of /readyz beyond signaling: the embedded relay answers on every listener.
func (n *Node) ready(ctx context.Context) error {
	if n.turn == nil {
		return nil
	}
	return n.turn.Check(ctx)
}

// hasTURN reports whether urls name a TURN server (which needs credentials).
func hasTURN(urls []string) bool {
	for _, u := range urls {
		if strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:") {
			return true
		}
	}
	return false
}

// Handler returns the node's HTTP handler.
func (n *Node) Handler() http.Handler { return n.srv.Handler() }

// MetricsHandler serves /metrics, /healthz and /readyz, for the separate metrics listener.
func (n *Node) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", n.metrics.Handler())
	n.srv.HandleHealth(mux)
	return mux
}

// Server returns the HTTP side, for its counters.
func (n *Node) Server() *server.Server { return n.srv }

// TURN returns the embedded relay, or nil when it is disabled.
func (n *Node) TURN() *turn.Server { return n.turn }

// Shutdown tells signaling clients the node is stopping, waits for them (or ctx), then stops the relay.
// Relayed calls end with it: their media has nowhere else to go.
func (n *Node) Shutdown(ctx context.Context) error {
	err := n.srv.Shutdown(ctx)
	if n.turn != nil {
		err = errors.Join(err, n.turn.Close())
	}
	return err
}

// Close shuts the node down, giving clients a few seconds; for tests.
func (n *Node) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return n.Shutdown(ctx)
}

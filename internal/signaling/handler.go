// Package signaling is maju's WebSocket endpoint: it checks the origin, enforces the limits, seats each
// connection in a room of two and relays offers, answers and candidates to the other seat only. The
// protocol is docs/protocol.md.
package signaling

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/limit"
	"github.com/maju-call/maju/internal/protocol"
)

// ICESource gives a client its STUN/TURN servers: the list for a client that reached this node at
// requestHost (the HTTP Host), and the seconds its credentials stay valid (0: they do not expire).
// clientID names the client in its credentials; one connection always gets the same, so TURN quotas
// count per client however often it refreshes.
type ICESource interface {
	For(requestHost, clientID string) (servers []protocol.ICEServer, ttlSeconds int)
}

// Observer hears what the handler does, for metrics. Methods are called from many goroutines and must
// be quick.
type Observer interface {
	Connected()                       // a WebSocket connection was accepted
	RoomOpened()                      // someone joined an empty room
	Relayed(t protocol.Type)          // a message was passed to the other seat
	Rejected(code protocol.Code)      // a client was sent an error (in a message or an HTTP refusal)
	CallReported(protocol.CallReport) // a client reported how its connection attempt with its peer went
}

type noObserver struct{}

func (noObserver) Connected()                       {}
func (noObserver) RoomOpened()                      {}
func (noObserver) Relayed(protocol.Type)            {}
func (noObserver) Rejected(protocol.Code)           {}
func (noObserver) CallReported(protocol.CallReport) {}

// Handler serves the signaling WebSocket. Create it with New; stop it with Shutdown.
type Handler struct {
	cfg    config.Config
	log    *slog.Logger
	ice    ICESource
	obs    Observer
	hub    *hub
	limits *limit.Table // per client address: connections and new rooms
	// keepUntil (Unix ns) ends the window after start in which a join with keep may re-form a room
	// without counting as a new one (see conn.join).
	keepUntil atomic.Int64
	origins   map[string]bool
	upgrader  websocket.Upgrader
}

// keepWindow is how long after start joins with keep re-form rooms for free: after a restart every call
// still going on peer to peer reconnects within the client's longest backoff (15 s).
const keepWindow = time.Minute

// New returns a Handler with the limits of cfg that gives clients the ICE servers of ice (none if nil)
// and tells obs what happens (nothing if nil).
func New(cfg config.Config, log *slog.Logger, ice ICESource, obs Observer) *Handler {
	if obs == nil {
		obs = noObserver{}
	}
	h := &Handler{cfg: cfg, log: log, ice: ice, obs: obs, hub: newHub(), origins: make(map[string]bool),
		limits: limit.NewTable(limit.Config{MaxConns: cfg.MaxConnsPerIP, RoomRate: cfg.RoomRate, RoomBurst: cfg.RoomBurst}, nil)}
	h.keepUntil.Store(time.Now().Add(keepWindow).UnixNano())
	for _, o := range cfg.AllowedOrigins {
		h.origins[normalizeOrigin(o)] = true
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: cfg.WriteTimeout,
		// A small read buffer and a shared write-buffer pool keep an idle connection light; signaling
		// messages are small and rare.
		ReadBufferSize:  256,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true }, // checked in ServeHTTP, with our error body
	}
	return h
}

// ServeHTTP upgrades the request to a WebSocket and runs the connection until it ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.originAllowed(r) {
		h.refuse(w, http.StatusForbidden, protocol.Errorf(protocol.CodeOriginForbidden,
			"Pages from %s may not use this server.", r.Header.Get("Origin")))
		return
	}
	addr := limit.Key(limit.ClientAddr(r, h.cfg.TrustedProxies))
	if !h.limits.Acquire(addr) {
		h.refuse(w, http.StatusTooManyRequests, protocol.Errorf(protocol.CodeTooManyConnections,
			"Too many connections from your network (at most %d).", h.cfg.MaxConnsPerIP))
		return
	}
	if err := h.hub.reserve(h.cfg.MaxConnections); err != nil {
		h.limits.Release(addr)
		h.refuse(w, http.StatusServiceUnavailable, err)
		return
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.hub.release(nil)
		h.limits.Release(addr)
		return // the upgrader has answered with an HTTP error
	}
	h.obs.Connected()
	c := newConn(h, ws, r.Host, addr)
	if !h.hub.register(c) {
		c.fail(protocol.Errorf(protocol.CodeShuttingDown, "The server is restarting."))
	}
	// Return to net/http at once: a hijacked connection's http.conn (its 4 KiB bufio reader and writer,
	// the request and its context) and this deep handler stack would otherwise live as long as the socket.
	go c.serve()
}

// Shutdown tells every client the server is stopping and waits for their connections to end.
func (h *Handler) Shutdown(ctx context.Context) error { return h.hub.shutdown(ctx) }

// Accepting reports whether the handler takes new connections: true until Shutdown begins.
func (h *Handler) Accepting() bool { return !h.hub.isStopping() }

// Connections returns the number of open signaling connections.
func (h *Handler) Connections() int { return h.hub.count() }

// Rooms returns the number of rooms with someone in them, or a seat held for someone.
func (h *Handler) Rooms() int { return h.hub.rooms.Len() }

// HeldSeats returns the number of seats held for people whose connection dropped.
func (h *Handler) HeldSeats() int { return h.hub.rooms.Held() }

// originAllowed accepts requests without Origin (non-browser clients), from the server's own host, and
// from the configured origins. This blocks other sites' pages from using the server (CSWSH).
func (h *Handler) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return h.origins[normalizeOrigin(origin)]
}

func normalizeOrigin(o string) string { return strings.TrimSuffix(strings.ToLower(o), "/") }

// refuse answers a request that is not upgraded with an HTTP error carrying err.
func (h *Handler) refuse(w http.ResponseWriter, status int, err *protocol.Error) {
	h.obs.Rejected(err.Code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": string(err.Code), "message": err.Text})
}

// iceServers returns the servers and credential lifetime for c. Only c's reader goroutine calls it.
func (h *Handler) iceServers(c *conn) ([]protocol.ICEServer, int) {
	if h.ice == nil {
		return nil, 0
	}
	if c.iceID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.iceID = base64.RawURLEncoding.EncodeToString(b[:])
	}
	return h.ice.For(c.host, c.iceID)
}

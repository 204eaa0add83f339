// Package server assembles maju's HTTP handler: the embedded web client, the room pages, the signaling
// WebSocket and the health endpoints, every response with maju's security headers.
package server

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/httpsec"
	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/signaling"
	"github.com/maju-call/maju/internal/static"
	"github.com/maju-call/maju/web"
)

// Server is one maju node's HTTP side.
type Server struct {
	log       *slog.Logger
	signaling *signaling.Handler
	files     *static.Files
	random    io.Reader
	ready     func(context.Context) error
	handler   http.Handler
}

// Option changes how New builds a Server.
type Option func(*options)

type options struct {
	ice   signaling.ICESource
	obs   signaling.Observer
	ready func(context.Context) error
}

// WithICE gives joining clients the STUN/TURN servers of ice.
func WithICE(ice signaling.ICESource) Option { return func(o *options) { o.ice = ice } }

// WithObserver tells obs what signaling does (for metrics).
func WithObserver(obs signaling.Observer) Option { return func(o *options) { o.obs = obs } }

// WithReadiness adds check to /readyz: the node's other parts (the TURN relay) must pass it too.
func WithReadiness(check func(context.Context) error) Option {
	return func(o *options) { o.ready = check }
}

// New returns a Server for cfg. It opens no sockets; serve Handler() with an http.Server.
func New(cfg config.Config, log *slog.Logger, opts ...Option) *Server {
	o := options{ready: func(context.Context) error { return nil }}
	for _, opt := range opts {
		opt(&o)
	}
	files, err := static.New(web.Static())
	if err != nil {
		panic(err) // the embedded files are part of the binary; reading them cannot fail
	}
	s := &Server{
		log:       log,
		signaling: signaling.New(cfg, log, o.ice, o.obs),
		files:     files,
		random:    rand.Reader,
		ready:     o.ready,
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ws", s.signaling)
	mux.HandleFunc("GET /new", s.newRoom)
	mux.HandleFunc("GET /r/{id}", s.roomPage)
	s.HandleHealth(mux)
	mux.Handle("/", files.Handler("notfound.html"))
	// HSTS only with a real certificate: pinning browsers to HTTPS for a self-signed LAN certificate
	// (or an IP) would lock them out once the certificate changes.
	hsts := cfg.HTTPS.Enabled() && !cfg.HTTPS.LAN
	s.handler = httpsec.Headers(mux, httpsec.Options{HSTS: hsts})
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Signaling returns the signaling handler, for its counters.
func (s *Server) Signaling() *signaling.Handler { return s.signaling }

// Shutdown tells signaling clients the server is stopping and waits for them to go, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.signaling.Shutdown(ctx) }

// HandleHealth adds /healthz and /readyz to mux (the metrics listener serves them too).
//
// /healthz says the process is alive and serving HTTP. /readyz says it takes calls: signaling accepts
// connections (not shutting down) and the readiness check (the TURN listeners answer STUN) passes; a
// load balancer stops sending new people to a node that is not ready.
func (s *Server) HandleHealth(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
}

// readyTimeout bounds the readiness check: a probe must answer quickly, and a relay that takes longer
// than this to answer a STUN binding over loopback is not ready for calls.
const readyTimeout = 2 * time.Second

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.signaling.Accepting() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: shutting down\n")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: "+err.Error()+"\n")
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

// newRoom sends the browser to a fresh room with an unguessable id. The room exists once someone joins.
func (s *Server) newRoom(w http.ResponseWriter, r *http.Request) {
	id, err := protocol.NewRoomID(s.random)
	if err != nil {
		s.log.Error("new room", "err", err)
		http.Error(w, "Could not create a room; please try again.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/r/"+id, http.StatusSeeOther)
}

// roomPage serves the call page for a well-formed room id. Room URLs are capabilities, so neither the
// page nor the 404 is stored by any cache.
func (s *Server) roomPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !protocol.ValidRoomID(r.PathValue("id")) {
		s.files.ServeFile(w, r, "notfound.html", http.StatusNotFound)
		return
	}
	s.files.ServeFile(w, r, "room.html", http.StatusOK)
}

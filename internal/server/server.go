// Package server assembles maju's HTTP handler: the embedded web client, the room pages, the signaling
// WebSocket and the health endpoint.
package server

import (
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/signaling"
	"github.com/maju-call/maju/web"
)

// Server is one maju node's HTTP side.
type Server struct {
	log       *slog.Logger
	signaling *signaling.Handler
	static    fs.FS
	random    io.Reader
	handler   http.Handler
}

// Option changes how New builds a Server.
type Option func(*options)

type options struct {
	ice signaling.ICESource
	obs signaling.Observer
}

// WithICE gives joining clients the STUN/TURN servers of ice.
func WithICE(ice signaling.ICESource) Option { return func(o *options) { o.ice = ice } }

// WithObserver tells obs what signaling does (for metrics).
func WithObserver(obs signaling.Observer) Option { return func(o *options) { o.obs = obs } }

// New returns a Server for cfg. It opens no sockets; serve Handler() with an http.Server.
func New(cfg config.Config, log *slog.Logger, opts ...Option) *Server {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{
		log:       log,
		signaling: signaling.New(cfg, log, o.ice, o.obs),
		static:    web.Static(),
		random:    rand.Reader,
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ws", s.signaling)
	mux.HandleFunc("GET /new", s.newRoom)
	mux.HandleFunc("GET /r/{id}", s.roomPage)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("GET /", s.files())
	s.handler = mux
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Signaling returns the signaling handler, for its counters.
func (s *Server) Signaling() *signaling.Handler { return s.signaling }

// Shutdown tells signaling clients the server is stopping and waits for them to go, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.signaling.Shutdown(ctx) }

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

// roomPage serves the call page for a well-formed room id.
func (s *Server) roomPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !protocol.ValidRoomID(r.PathValue("id")) {
		s.serveFile(w, r, "notfound.html", http.StatusNotFound)
		return
	}
	s.serveFile(w, r, "room.html", http.StatusOK)
}

// files serves the embedded client; directory listings are not offered.
func (s *Server) files() http.Handler {
	fileServer := http.FileServerFS(s.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && strings.HasSuffix(r.URL.Path, "/") {
			s.serveFile(w, r, "notfound.html", http.StatusNotFound)
			return
		}
		fileServer.ServeHTTP(w, r)
	})
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name string, status int) {
	data, err := fs.ReadFile(s.static, name)
	if err != nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

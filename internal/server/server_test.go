package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/httpsec"
	"github.com/maju-call/maju/internal/protocol"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := New(config.Default(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestNewRoomRedirectsToFreshUnguessableRoom(t *testing.T) {
	srv := newTestServer(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	seen := map[string]bool{}
	for range 20 {
		resp, _ := get(t, noFollow, srv.URL+"/new")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		id, ok := strings.CutPrefix(loc, "/r/")
		if !ok || !protocol.ValidRoomID(id) || seen[id] {
			t.Fatalf("bad or repeated room location %q", loc)
		}
		seen[id] = true
	}
}

func TestRoutes(t *testing.T) {
	srv := newTestServer(t)
	validID := strings.Repeat("A", protocol.RoomIDLength)
	for _, tc := range []struct {
		path, contains, contentType string
		status                      int
	}{
		{"/", "<html", "text/html", 200},
		{"/r/" + validID, "<html", "text/html", 200},
		{"/r/not-a-room", "<html", "text/html", 404},
		{"/js/", "<html", "text/html", 404},
		{"/js/main.js", "import", "text/javascript", 200},
		{"/healthz", "ok", "text/plain", 200},
		{"/no-such-file", "", "", 404},
	} {
		resp, body := get(t, http.DefaultClient, srv.URL+tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if !strings.Contains(body, tc.contains) {
			t.Errorf("%s: body does not contain %q", tc.path, tc.contains)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
			t.Errorf("%s: content type %q, want %q", tc.path, ct, tc.contentType)
		}
	}
}

func TestWebSocketEndpointNeedsUpgrade(t *testing.T) {
	srv := newTestServer(t)
	resp, _ := get(t, http.DefaultClient, srv.URL+"/ws")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET /ws: %d", resp.StatusCode)
	}
}

// Every kind of response carries the security headers: pages, modules, styles, redirects, 404s, health
// checks and refused WebSocket handshakes.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config.Config)
		hsts bool
	}{
		{"plain HTTP", func(*config.Config) {}, false},
		{"certificate files", func(c *config.Config) { c.HTTPS.CertFile, c.HTTPS.KeyFile = "c", "k" }, true},
		{"LAN (self-signed)", func(c *config.Config) { c.HTTPS.LAN = true }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			tc.edit(&cfg)
			srv := httptest.NewServer(New(cfg, slog.New(slog.DiscardHandler)).Handler())
			defer srv.Close()
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			host := strings.TrimPrefix(srv.URL, "http://")
			want := httpsec.Expected(host, tc.hsts)
			for _, req := range []struct {
				path, origin string
				status       int
			}{
				{"/", "", 200}, {"/js/main.js", "", 200}, {"/css/maju.css", "", 200}, {"/favicon.svg", "", 200},
				{"/new", "", 303}, {"/r/nope", "", 404}, {"/missing.js", "", 404},
				{"/healthz", "", 200}, {"/readyz", "", 200},
				{"/ws", "", 400}, {"/ws", "https://evil.example", 403},
			} {
				r, _ := http.NewRequest("GET", srv.URL+req.path, nil)
				if req.origin != "" {
					r.Header.Set("Origin", req.origin)
				}
				resp, err := noFollow.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != req.status {
					t.Errorf("%s: status %d, want %d", req.path, resp.StatusCode, req.status)
				}
				for name := range want {
					if got := resp.Header.Get(name); got != want.Get(name) {
						t.Errorf("%s (%d): %s = %q, want %q", req.path, resp.StatusCode, name, got, want.Get(name))
					}
				}
				if !tc.hsts && resp.Header.Get("Strict-Transport-Security") != "" {
					t.Errorf("%s: HSTS sent without a real certificate", req.path)
				}
			}
		})
	}
}

// An upgrade reaches clients: pages and modules are revalidated with their ETag, and compressed.
func TestAssetsAreRevalidatedAndCompressed(t *testing.T) {
	srv := newTestServer(t)
	for _, path := range []string{"/", "/js/main.js"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		etag := resp.Header.Get("ETag")
		if resp.Header.Get("Content-Encoding") != "gzip" || etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("%s: encoding %q, etag %q, cache %q", path, resp.Header.Get("Content-Encoding"), etag,
				resp.Header.Get("Cache-Control"))
		}
		req.Header.Set("If-None-Match", etag)
		resp, err = http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Fatalf("%s with its ETag: %d, want 304", path, resp.StatusCode)
		}
	}
	resp, _ := get(t, http.DefaultClient, srv.URL+"/r/"+strings.Repeat("A", protocol.RoomIDLength))
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("room page Cache-Control %q, want no-store (room links are capabilities)", cc)
	}
}

func TestReadiness(t *testing.T) {
	var failing error
	s := New(config.Default(), slog.New(slog.DiscardHandler),
		WithReadiness(func(context.Context) error { return failing }))
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	if resp, body := get(t, http.DefaultClient, srv.URL+"/readyz"); resp.StatusCode != 200 || body != "ready\n" {
		t.Fatalf("ready: %d %q", resp.StatusCode, body)
	}
	failing = errors.New("TURN udp listener 127.0.0.1:3478: i/o timeout")
	if resp, body := get(t, http.DefaultClient, srv.URL+"/readyz"); resp.StatusCode != 503 || !strings.Contains(body, "TURN udp") {
		t.Fatalf("failing check: %d %q", resp.StatusCode, body)
	}
	failing = nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if resp, body := get(t, http.DefaultClient, srv.URL+"/readyz"); resp.StatusCode != 503 || !strings.Contains(body, "shutting down") {
		t.Fatalf("shutting down: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get(t, http.DefaultClient, srv.URL+"/healthz"); resp.StatusCode != 200 {
		t.Fatalf("healthz while shutting down: %d (the process is still alive)", resp.StatusCode)
	}
}

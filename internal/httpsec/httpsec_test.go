package httpsec

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// app stands for maju's routes: a page, a redirect, a 404 and an error reply.
func app() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<!doctype html>")) })
	mux.HandleFunc("GET /new", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/r/x", http.StatusSeeOther) })
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "upgrade required", http.StatusBadRequest) })
	return mux
}

func TestEveryResponseCarriesHeaders(t *testing.T) {
	for _, hsts := range []bool{false, true} {
		h := Headers(app(), Options{HSTS: hsts})
		for target, status := range map[string]int{"/": 200, "/nope": 404, "/new": 303, "/ws": 400} {
			r := httptest.NewRequest("GET", target, nil)
			r.Host = "call.example.com:8443"
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != status {
				t.Fatalf("%s: status %d, want %d", target, w.Code, status)
			}
			want := Expected(r.Host, hsts)
			for name := range want {
				if got := w.Header().Get(name); got != want.Get(name) || got == "" {
					t.Errorf("%s (HSTS %v): %s %q, want %q", target, hsts, name, got, want.Get(name))
				}
			}
			if got := w.Header().Get("Strict-Transport-Security"); (got != "") != hsts {
				t.Errorf("%s (HSTS %v): Strict-Transport-Security %q", target, hsts, got)
			}
		}
	}
}

func TestExpectedNamesEveryHeader(t *testing.T) {
	want := []string{"Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options",
		"Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy", "Permissions-Policy", "Strict-Transport-Security"}
	got := Expected("localhost:8080", true)
	if len(got) != len(want) {
		t.Errorf("Expected has %d headers, want %d: %v", len(got), len(want), got)
	}
	for _, name := range want {
		if got.Get(name) == "" {
			t.Errorf("Expected lacks %s", name)
		}
	}
	if Expected("localhost:8080", false).Get("Strict-Transport-Security") != "" {
		t.Error("HSTS without the option")
	}
}

func TestCSPWebSocketSources(t *testing.T) {
	tests := []struct {
		host         string
		wantExplicit bool
	}{
		{"call.example.com", true},
		{"call.example.com:8443", true},
		{"localhost:8080", true},
		{"192.168.1.20:8443", true},
		{"xn--9l4b19k.example", true},
		{"", false},
		{"evil.com; script-src *", false},
		{"evil.com;", false},
		{"a b", false},
		{"host\r\nSet-Cookie: x=y", false},
		{"*.example.com", false},
		{"example.com:8080:9090", false},
		{"example.com:123456", false},
		{"example..com", false},
		{"[::1]:8080", false}, // valid, but no CSP grammar for IPv6: see CSP
		{"[evil; default-src *]", false},
		{"user@example.com", false},
		{strings.Repeat("a.", 130) + "com", false},
	}
	for _, tt := range tests {
		csp := CSP(tt.host)
		explicit := strings.Contains(csp, "wss://")
		if explicit != tt.wantExplicit {
			t.Errorf("Host %q: explicit WebSocket sources %v, want %v: %s", tt.host, explicit, tt.wantExplicit, csp)
		}
		if explicit && !strings.Contains(csp, "connect-src 'self' wss://"+tt.host+" ws://"+tt.host+";") {
			t.Errorf("Host %q: connect-src malformed: %s", tt.host, csp)
		}
		if !strings.HasPrefix(csp, "default-src 'none'; ") || !strings.HasSuffix(csp, "; object-src 'none'") ||
			strings.Count(csp, ";") != 12 {
			t.Errorf("Host %q: policy has lost its shape: %s", tt.host, csp)
		}
	}
}

package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/maju-call/maju/internal/config"
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

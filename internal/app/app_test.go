package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/node/nodetest"
	"github.com/maju-call/maju/internal/peer"
	"github.com/maju-call/maju/internal/protocol"
)

const testTimeout = 20 * time.Second

// leakOptions: Pebble's validator (TestLetsEncryptWithPebble) has no way to stop and runs until the test
// binary ends; every other goroutine must be gone when a test ends.
var leakOptions = []goleak.Option{goleak.IgnoreTopFunction("github.com/letsencrypt/pebble/v2/va.VAImpl.processTasks")}

func logger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("MAJU_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// run starts an App for cfg (nodetest's loopback TURN settings with edit applied), runs it until the
// test ends, and checks Run returns cleanly.
func run(t *testing.T, edit func(*config.Config)) *App {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t, leakOptions...) }) // registered first, so it runs last
	cfg := nodetest.Config()
	cfg.Addr = "127.0.0.1:0"
	edit(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := Start(cfg, logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(testTimeout):
			t.Error("Run did not return after cancel")
		}
	})
	return a
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// callThrough joins two loopback Go peers in a fresh room at baseURL and waits until they chat.
func callThrough(t *testing.T, baseURL string, tlsConfig *tls.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	room, _ := protocol.NewRoomID(rand.Reader)
	var peers []*peer.Peer
	for range 2 {
		p, err := peer.Join(ctx, peer.Options{URL: baseURL + "ws", Room: room, LoopbackOnly: true, TLSConfig: tlsConfig})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		peers = append(peers, p)
	}
	for _, p := range peers {
		if err := p.WaitConnected(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := peers[0].SendChat("hello"); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-peers[1].Chat():
		if m.Text != "hello" {
			t.Fatalf("chat %q", m.Text)
		}
	case <-ctx.Done():
		t.Fatal("no chat")
	}
	// The call reports reach the server after connected; leaving now could beat them.
	for _, p := range peers {
		if _, err := p.Path(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// After a call, the metrics listener shows it: connections, the room, relayed messages and both
// clients' call reports; health and readiness answer on both listeners.
func TestMetricsAfterACall(t *testing.T) {
	a := run(t, func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" })
	if a.MetricsURL() == "" || !strings.HasSuffix(a.MetricsURL(), "/metrics") {
		t.Fatalf("MetricsURL %q", a.MetricsURL())
	}
	callThrough(t, a.URL(), nil)
	var body string
	deadline := time.Now().Add(testTimeout)
	for {
		_, body = get(t, http.DefaultClient, a.MetricsURL())
		if strings.Contains(body, `maju_calls_connected_total{path="direct",relay_transport=""} 2`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		"maju_signaling_connections_total 2",
		"maju_signaling_connections 2",
		"maju_rooms 1",
		"maju_rooms_opened_total 1",
		`maju_signaling_messages_relayed_total{type="offer"} `,
		`maju_calls_connected_total{path="direct",relay_transport=""} 2`,
		"maju_call_setup_seconds_count 2",
		"maju_turn_allocations ",
		"maju_build_info{",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, `maju_signaling_messages_relayed_total{type="offer"} 0`) {
		t.Error("no offer counted")
	}
	metricsBase := strings.TrimSuffix(a.MetricsURL(), "metrics")
	for _, base := range []string{a.URL(), metricsBase} {
		for path, want := range map[string]string{"healthz": "ok\n", "readyz": "ready\n"} {
			if resp, body := get(t, http.DefaultClient, base+path); resp.StatusCode != 200 || body != want {
				t.Errorf("%s%s: %d %q", base, path, resp.StatusCode, body)
			}
		}
	}
	if resp, _ := get(t, http.DefaultClient, a.URL()+"metrics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the public listener: %d, want 404 (metrics are for the private listener only)", resp.StatusCode)
	}
}

// LAN mode serves HTTPS with its self-signed certificate (a call works over wss), without HSTS; the
// plain-HTTP listener redirects to it.
func TestLANModeServesHTTPS(t *testing.T) {
	cache := t.TempDir()
	a := run(t, func(c *config.Config) {
		c.HTTPS.LAN, c.HTTPS.CertCache, c.HTTPS.HTTPAddr = true, cache, "127.0.0.1:0"
	})
	cert := a.LANCertificate()
	if cert == nil || !strings.HasPrefix(a.URL(), "https://127.0.0.1:") {
		t.Fatalf("LAN certificate %v, URL %q", cert, a.URL())
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	tlsConfig := &tls.Config{RootCAs: roots}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	resp, body := get(t, client, a.URL())
	if resp.StatusCode != 200 || !strings.Contains(body, "<html") || resp.ProtoMajor != 2 && resp.TLS == nil {
		t.Fatalf("GET %s: %d %s", a.URL(), resp.StatusCode, resp.Proto)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts != "" {
		t.Errorf("HSTS %q on a self-signed certificate", hsts)
	}
	if _, err := http.Get(a.URL()); err == nil {
		t.Error("a client that does not trust the LAN certificate connected")
	}
	callThrough(t, a.URL(), tlsConfig)

	httpURL := "http://" + a.redirect.ln.Addr().String()
	_, port, _ := net.SplitHostPort(a.web.ln.Addr().String())
	resp, _ = get(t, noFollow, httpURL+"/r/abc?x=1")
	if want := "https://127.0.0.1:" + port + "/r/abc?x=1"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Errorf("redirect: %d to %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

func TestBannerSaysWhereToOpen(t *testing.T) {
	a := run(t, func(c *config.Config) { c.HTTPS.LAN, c.HTTPS.CertCache = true, t.TempDir() })
	var out strings.Builder
	if err := a.WriteBanner(&out, false); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.HasPrefix(text, "maju listening on "+a.URL()+"\n") {
		t.Fatalf("banner starts %q", text)
	}
	if len(a.LANURLs()) == 0 {
		if !strings.Contains(text, "No LAN address found") {
			t.Fatalf("banner without LAN addresses:\n%s", text)
		}
		return
	}
	for _, want := range []string{a.LANURLs()[0], "█", "not private", "Proceed", "visit this website"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, text)
		}
	}
}

// With -domain, the plain-HTTP listener hands ACME http-01 challenges to autocert and redirects the
// rest to the domain over HTTPS. (No CA is contacted: autocert only asks for a certificate when a TLS
// handshake names the domain.)
func TestDomainModeRoutesChallengesAndRedirects(t *testing.T) {
	a := run(t, func(c *config.Config) {
		c.HTTPS.Domains, c.HTTPS.CertCache, c.HTTPS.HTTPAddr = []string{"call.example.com"}, t.TempDir(), "127.0.0.1:0"
	})
	base := "http://" + a.redirect.ln.Addr().String()
	do := func(path string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Host = "call.example.com"
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, body := do("/.well-known/acme-challenge/unknown-token")
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
		t.Errorf("challenge path: %d %q (location %q), want autocert's 404", resp.StatusCode, body, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", base+"/r/y", nil)
	req.Host = "evil.example"
	other, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	other.Body.Close()
	if loc := other.Header.Get("Location"); !strings.HasPrefix(loc, "https://call.example.com:") {
		t.Errorf("a request naming another host was redirected to %q, want the domain", loc)
	}
	resp, _ = do("/r/x")
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "https://call.example.com:") || !strings.HasSuffix(loc, "/r/x") {
		t.Errorf("redirect to %q", loc)
	}
	if !strings.HasPrefix(a.URL(), "https://call.example.com:") {
		t.Errorf("URL %q", a.URL())
	}
}

// Start fails with the flag's name when a listener cannot be opened or the certificate files are bad,
// and leaves nothing open behind.
func TestStartErrorsNameTheFlag(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t, leakOptions...) })
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := busy.Addr().String()
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/bad.pem", []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*config.Config)
		want string
	}{
		{"addr taken", func(c *config.Config) { c.Addr = taken }, "-addr"},
		{"metrics-addr taken", func(c *config.Config) { c.MetricsAddr = taken }, "-metrics-addr"},
		{"http-addr taken", func(c *config.Config) { c.HTTPS.LAN, c.HTTPS.CertCache, c.HTTPS.HTTPAddr = true, dir, taken }, "-http-addr"},
		{"missing certificate files", func(c *config.Config) { c.HTTPS.CertFile, c.HTTPS.KeyFile = dir+"/none.pem", dir+"/none.key" }, "-tls-cert"},
		{"unparsable certificate", func(c *config.Config) { c.HTTPS.CertFile, c.HTTPS.KeyFile = dir+"/bad.pem", dir+"/bad.pem" }, "-tls-cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := nodetest.Config()
			cfg.Addr = "127.0.0.1:0"
			tc.edit(&cfg)
			a, err := Start(cfg, logger(t))
			if err == nil {
				a.closeAll()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name %s", err, tc.want)
			}
		})
	}
}

package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/maju-call/maju/internal/config"
)

// A call over HTTPS with the LAN-mode certificate, the way a phone on the same Wi-Fi joins after
// accepting the certificate warning: the page is a secure context, both see each other, chat works,
// and nothing breaks the Content-Security-Policy. Then the metrics listener shows the call.
func TestHTTPSCallWithLANCertificate(t *testing.T) {
	e := newEnv(t, withApp(func(c *config.Config) {
		c.HTTPS.LAN, c.HTTPS.CertCache, c.MetricsAddr = true, t.TempDir(), "127.0.0.1:0"
	}))
	if !strings.HasPrefix(e.url, "https://") {
		t.Fatalf("LAN mode serves %s, want https", e.url)
	}
	a, b := e.newPerson("alice"), e.newPerson("bob")
	startCall(e, a, b)
	for _, p := range []*person{a, b} {
		if !eval[bool](p, `window.isSecureContext && location.protocol === 'https:'`) {
			t.Fatalf("%s: not a secure context over HTTPS", p.name)
		}
	}
	a.click("#chat-toggle")
	a.waitJS("chat input enabled", `!document.querySelector('#chat-input').disabled`)
	a.do("type a message", chromedp.SetValue(chromedp.ID("chat-input"), "over TLS"))
	a.click("#chat-send")
	b.waitJS("the chat to arrive", `[...document.querySelectorAll('#chat-log .chat-text')].some(e => e.textContent === 'over TLS')`)

	m := waitMetric(t, e.app.MetricsURL(), `maju_calls_connected_total{path="direct",relay_transport=""}`, 2)
	for _, name := range []string{
		"maju_signaling_connections_total", "maju_rooms_opened_total", "maju_call_setup_seconds_count",
		`maju_signaling_messages_relayed_total{type="offer"}`, `maju_signaling_messages_relayed_total{type="candidate"}`,
	} {
		if m[name] <= 0 {
			t.Errorf("%s = %v after a browser call, want > 0", name, m[name])
		}
	}
	if m["maju_signaling_connections"] != 2 || m["maju_rooms"] != 1 {
		t.Errorf("open connections %v, rooms %v; want 2 and 1", m["maju_signaling_connections"], m["maju_rooms"])
	}
}

var sampleLine = regexp.MustCompile(`^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$`)

// scrapeMetrics reads the Prometheus text at url into name{labels} → value.
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if m := sampleLine.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err == nil {
				out[m[1]] = v
			}
		}
	}
	return out
}

// waitMetric scrapes until sample reaches at least want (the clients report a moment after connected).
func waitMetric(t *testing.T, url, sample string, want float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		m := scrapeMetrics(t, url)
		if m[sample] >= want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", sample, m[sample], want)
		}
		time.Sleep(pollEvery)
	}
}

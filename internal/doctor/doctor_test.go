package doctor_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/doctor"
	"github.com/maju-call/maju/internal/node/nodetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startNode runs a whole maju node on loopback and returns its URL.
func startNode(t *testing.T, edit func(*config.Config)) string {
	_, url := nodetest.Start(t, edit, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return url
}

func run(t *testing.T, url string) doctor.Report {
	t.Helper()
	r := doctor.Run(context.Background(), doctor.Options{URL: url, Timeout: 20 * time.Second, LoopbackOnly: true})
	var text strings.Builder
	r.WriteText(&text)
	t.Log("\n" + text.String())
	return r
}

func TestDoctorPassesThroughTheEmbeddedRelay(t *testing.T) {
	for _, tc := range []struct {
		name     string
		edit     func(*config.Config)
		protocol string
	}{
		// With both offered, pion's relay-only agent usually nominates the UDP relay, but now and then the
		// TCP allocation is ready first and wins; either is a working relayed call.
		{"udp and tcp", nil, "udp tcp"},
		{"tcp only", func(c *config.Config) { c.TURN.UDPAddr = "" }, "tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, startNode(t, tc.edit))
			if !r.OK || len(r.Steps) != 7 {
				t.Fatalf("report not OK: %+v", r)
			}
			if r.Path == nil || !r.Path.Relayed || r.Path.LocalType != "relay" || !slices.Contains(strings.Fields(tc.protocol), r.Path.Protocol) {
				t.Fatalf("path %v, want relayed over %s", r.Path, tc.protocol)
			}
			if r.ChatRTT <= 0 {
				t.Fatalf("chat round trip %v", r.ChatRTT)
			}
		})
	}
}

func TestDoctorNamesTheFailedStep(t *testing.T) {
	for _, tc := range []struct {
		name, url, step, detail string
	}{
		{"no relay offered", startNode(t, func(c *config.Config) { c.TURN.Enabled = false }),
			"signaling and ICE servers", "no TURN server"},
		{"unreachable relay", startNode(t, func(c *config.Config) {
			c.TURN.Enabled = false
			c.TURN.Secret = "0123456789abcdef0123"
			c.ExternalICE = []string{"turn:127.0.0.1:9?transport=udp"} // nothing listens on port 9
		}), "call through the relay", "no connection through the relay"},
		{"nothing there", "http://127.0.0.1:9", "web server", "cannot reach"},
		{"not a URL", "call.example.com", "web server", "not an http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			opts := doctor.Options{URL: tc.url, Timeout: 4 * time.Second, LoopbackOnly: true}
			r := doctor.Run(ctx, opts)
			if r.OK || len(r.Steps) == 0 {
				t.Fatalf("report OK for a broken deployment: %+v", r)
			}
			last := r.Steps[len(r.Steps)-1]
			if last.OK || last.Name != tc.step || !strings.Contains(last.Detail, tc.detail) {
				t.Fatalf("last step %+v, want %q failing with %q", last, tc.step, tc.detail)
			}
		})
	}
}

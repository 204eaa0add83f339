package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/turn"
	"github.com/maju-call/maju/internal/version"
)

type gauges struct{ conns, rooms, held int }

func (g gauges) Connections() int { return g.conns }
func (g gauges) Rooms() int       { return g.rooms }
func (g gauges) HeldSeats() int   { return g.held }

// scrape returns what Prometheus would read from m's handler.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func TestObserverEventsBecomeMetrics(t *testing.T) {
	m := New(version.Info{Version: "v1.2.3", Revision: "abc", GoVersion: "go1.26.8"})
	m.WatchSignaling(gauges{conns: 3, rooms: 2, held: 1})
	m.Connected()
	m.Connected()
	m.RoomOpened()
	m.Relayed(protocol.TypeOffer)
	m.Relayed(protocol.TypeCandidate)
	m.Relayed(protocol.TypeCandidate)
	m.Rejected(protocol.CodeRoomFull)
	m.CallReported(protocol.CallReport{Outcome: "connected", Path: "direct", SetupMs: 700})
	m.CallReported(protocol.CallReport{Outcome: "connected", Path: "relayed", Transport: "tcp", SetupMs: 2500})
	m.CallReported(protocol.CallReport{Outcome: "connected", Path: "relayed", SetupMs: 100})
	m.CallReported(protocol.CallReport{Outcome: "failed", Reason: "ice-failed"})

	out := scrape(t, m)
	for _, want := range []string{
		`maju_build_info{goversion="go1.26.8",revision="abc",version="v1.2.3"} 1`,
		"maju_signaling_connections 3",
		"maju_rooms 2",
		"maju_held_seats 1",
		"maju_signaling_connections_total 2",
		"maju_rooms_opened_total 1",
		`maju_signaling_messages_relayed_total{type="offer"} 1`,
		`maju_signaling_messages_relayed_total{type="answer"} 0`,
		`maju_signaling_messages_relayed_total{type="candidate"} 2`,
		`maju_signaling_rejections_total{code="room-full"} 1`,
		`maju_calls_connected_total{path="direct",relay_transport=""} 1`,
		`maju_calls_connected_total{path="relayed",relay_transport="tcp"} 1`,
		`maju_calls_connected_total{path="relayed",relay_transport="unknown"} 1`,
		`maju_calls_failed_total{reason="ice-failed"} 1`,
		`maju_calls_failed_total{reason="timeout"} 0`,
		`maju_call_setup_seconds_bucket{le="1"} 2`,
		`maju_call_setup_seconds_bucket{le="3"} 3`,
		"maju_call_setup_seconds_sum 3.3",
		"maju_call_setup_seconds_count 3",
		"go_goroutines ",
		"maju_process_resident_memory_bytes ",
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestTURNCountersAreReadAtScrape(t *testing.T) {
	m := New(version.Get())
	stats := turn.Stats{Allocations: 4, AllocationsTotal: 9, AuthFailures: 2, PeersRefused: 5, QuotaRefused: 1,
		BytesToPeers: 1000, BytesFromPeers: 2000}
	m.reg.MustRegister(&turnCollector{stats: func() turn.Stats { return stats }})
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(`
# HELP maju_turn_allocations TURN relay allocations now.
# TYPE maju_turn_allocations gauge
maju_turn_allocations 4
# HELP maju_turn_relayed_bytes_total Bytes the relay carried, by direction (to_peers: from clients to their peers; from_peers: back).
# TYPE maju_turn_relayed_bytes_total counter
maju_turn_relayed_bytes_total{direction="from_peers"} 2000
maju_turn_relayed_bytes_total{direction="to_peers"} 1000
# HELP maju_turn_quota_rejections_total TURN allocations refused by a per-client or total quota.
# TYPE maju_turn_quota_rejections_total counter
maju_turn_quota_rejections_total 1
`), "maju_turn_allocations", "maju_turn_relayed_bytes_total", "maju_turn_quota_rejections_total"); err != nil {
		t.Fatal(err)
	}
	stats.AllocationsTotal = 10
	if !strings.Contains(scrape(t, m), "maju_turn_allocations_total 10\n") {
		t.Fatal("the scrape did not read the relay's current counters")
	}
}

// The registry passes Prometheus' own lint rules: units in names, counters ending in _total, help text.
func TestMetricNamesLint(t *testing.T) {
	m := New(version.Get())
	m.WatchSignaling(gauges{})
	m.reg.MustRegister(&turnCollector{stats: func() turn.Stats { return turn.Stats{} }})
	problems, err := testutil.GatherAndLint(m.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "maju_") && !strings.HasPrefix(p.Metric, "maju_process_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

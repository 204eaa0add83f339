package main

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/maju-call/maju/bench/internal/majuproc"
	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/metrics"
	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/server"
	"github.com/maju-call/maju/internal/version"
)

// TestTalkRoundTrip: every talk message is a valid protocol message whose tag survives the server's
// decode and re-encode.
func TestTalkRoundTrip(t *testing.T) {
	for seq, typ := range []protocol.Type{protocol.TypeOffer, protocol.TypeCandidate, protocol.TypeAnswer} {
		want := tag{room: 1999, epoch: 42, from: 3999, to: 4000, seq: int64(seq)}
		m, err := protocol.Decode(talkMessage(want, 200))
		if err != nil || m.Type != typ {
			t.Fatalf("seq %d: decoded %v, %v; want a %s", seq, m.Type, err, typ)
		}
		relayed, err := protocol.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		if m, err = protocol.Decode(relayed); err != nil {
			t.Fatal(err)
		}
		text := m.SDP
		if typ == protocol.TypeCandidate {
			text = m.Candidate.Candidate
		}
		if got, ok := parseTalk(text); !ok || got != want || len(text) != 200 {
			t.Fatalf("seq %d: parsed %+v, %v from %d bytes; want %+v", seq, got, ok, len(text), want)
		}
	}
	for _, bad := range []string{"", "soak ", "soak 1 2 3 4", "soak 1 2 3 4 x", "bench 1 2 3 4 5 ", "soak 1 2 -3 4 5 "} {
		if _, ok := parseTalk(bad); ok {
			t.Errorf("parseTalk(%q) accepted it", bad)
		}
	}
}

func TestRxAccept(t *testing.T) {
	rx := rxState{active: true, want: tag{room: 7, epoch: 3, from: 10, to: 11}}
	at := func(seq int64) tag { return tag{room: 7, epoch: 3, from: 10, to: 11, seq: seq} }
	steps := []struct {
		t       tag
		verdict string
		lost    int64
	}{
		{at(0), rxOK, 0},
		{at(1), rxOK, 0},
		{at(1), rxRepeat, 0},
		{at(4), rxGap, 2},
		{at(5), rxOK, 0},
		{tag{room: 8, epoch: 3, from: 10, to: 11, seq: 6}, rxMisrouted, 0},
		{tag{room: 7, epoch: 3, from: 12, to: 11, seq: 6}, rxMisrouted, 0},
		{tag{room: 7, epoch: 2, from: 10, to: 11, seq: 6}, rxStale, 0},
		{at(6), rxOK, 0},
	}
	for i, s := range steps {
		if v, lost := rx.accept(s.t); v != s.verdict || lost != s.lost {
			t.Fatalf("step %d %+v: %q, lost %d; want %q, lost %d", i, s.t, v, lost, s.verdict, s.lost)
		}
	}
	if rx.got != 5 {
		t.Fatalf("got %d in sequence, want 5", rx.got)
	}
	if v, _ := (&rxState{}).accept(at(0)); v != rxInactive {
		t.Fatalf("an inactive state accepted a message: %q", v)
	}
}

func TestMix(t *testing.T) {
	m, err := parseMix(defaultMix)
	if err != nil || m.String() != defaultMix {
		t.Fatalf("parseMix(default) = %v, %v", m, err)
	}
	only, err := parseMix("late=1, hangup=0")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var n [numActions]int
	for range 1000 {
		n[only.pick(rng)]++
		n[m.pick(rng)]++
	}
	if n[actLate] < 1000 || n[actHangup] == 0 || n[actResume] < 250 || n[actAbandon] == 0 {
		t.Fatalf("picks %v do not follow the weights", n)
	}
	for _, bad := range []string{"", "resume", "resume=1,resume=2", "fly=1", "resume=-1", "resume=0", "resume=NaN"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q) accepted it", bad)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 12
go_gc_duration_seconds{quantile="0.5"} 3.1e-05
go_gc_duration_seconds_count 7
maju_rooms 0
maju_held_seats 2
maju_signaling_connections 4000 1767225600000
maju_signaling_rejections_total{code="room-full"} 3
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	s := snapshotOf(m, 0)
	if s.goroutine != 12 || s.gcs != 7 || s.rooms != 0 || s.held != 2 || s.conns != 4000 || len(m) != 5 {
		t.Fatalf("parsed %v as %+v", m, s)
	}
	if _, err := parseMetrics(strings.NewReader("maju_rooms\n")); err == nil {
		t.Fatal("a sample without a value was accepted")
	}
}

func TestAtBaseline(t *testing.T) {
	o := options{goroutSlack: 5, rssBoundMiB: 20}
	base := snapshot{goroutine: 10, rssKiB: 20 << 10}
	if got := atBaseline(base, snapshot{goroutine: 15, rssKiB: 40 << 10}, o); len(got) != 0 {
		t.Fatalf("within the bounds, yet %v", got)
	}
	got := atBaseline(base, snapshot{conns: 1, rooms: 2, goroutine: 16, rssKiB: 41 << 10}, o)
	if len(got) != 4 {
		t.Fatalf("want 4 problems, got %v", got)
	}
	if got := atBaseline(snapshot{goroutine: 10}, snapshot{goroutine: 10, rssKiB: 1 << 30}, o); len(got) != 0 {
		t.Fatalf("an unmeasured baseline RSS was compared: %v", got)
	}
}

func TestFlags(t *testing.T) {
	o, err := parseFlags([]string{"-short", "-rooms", "7"}, io.Discard)
	if err != nil || o.rooms != 7 || o.duration != 20*time.Second || o.waitGC || o.timeout == 0 {
		t.Fatalf("-short -rooms 7: %+v, %v", o, err)
	}
	for _, args := range [][]string{
		{"-rooms", "0"}, {"-grace", "500ms"}, {"-margin", "4s"}, {"-mix", "x=1"}, {"-url", "http://10.0.0.1:80"},
		{"-pid", "5"}, {"-maju", "x", "-url", "http://127.0.0.1:1"}, {"-size", "10"}, {"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestSoakInProcess runs a small soak against an in-process server with its metrics: every action, no
// violation, and the server back at its baseline.
func TestSoakInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds of soak")
	}
	defer goleak.VerifyNone(t)
	args := append([]string{"-addr", "127.0.0.1:0", "-resume-grace", "1s"}, majuproc.LiftLimits(64)...)
	cfg, err := config.Load(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	met := metrics.New(version.Get())
	met.WatchSignaling(srv.Signaling())
	ts, ms := httptest.NewServer(srv.Handler()), httptest.NewServer(met.Handler())
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
		ms.Close()
	}()

	o, err := parseFlags([]string{"-url", ts.URL, "-metrics-url", ms.URL, "-rooms", "12", "-duration", "2500ms",
		"-grace", "1s", "-margin", "300ms", "-action-every", "300ms", "-talk-every", "40ms", "-source-ips", "2",
		"-mix", "resume=3,late=1,edge=1,reload=2,hangup=2,both=1,abandon=1", "-wait-gc=false", "-settle-limit", "10s",
		"-event-timeout", "5s", "-timeout", "1m"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := execute(ctx, o, io.Discard)
	var out strings.Builder
	if res != nil {
		res.Print(&out, o)
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if f := res.Failures(o); len(f) > 0 {
		t.Fatalf("failures: %v\n%s", f, out.String())
	}
	st := res.st
	if st.sent.Load() == 0 || st.delivered.Load() != st.sent.Load() || !res.metrics || res.end.conns != 0 {
		t.Fatalf("sent %d, delivered %d, metrics %v\n%s", st.sent.Load(), st.delivered.Load(), res.metrics, out.String())
	}
	if st.actions[actResume] == 0 || st.actions[actReload] == 0 || st.actions[actHangup] == 0 {
		t.Fatalf("too few actions: %v\n%s", st.actions, out.String())
	}
}

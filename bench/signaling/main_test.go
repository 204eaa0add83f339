package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/maju-call/maju/bench/internal/floor"
	"github.com/maju-call/maju/bench/internal/majuproc"
	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/protocol"
	"github.com/maju-call/maju/internal/server"
)

func TestOfferRoundTrip(t *testing.T) {
	for _, size := range []int{1, 40, 200, 5000} {
		msg := appendOffer(nil, 123456, 987654321012345, 42, 43, size)
		m, err := protocol.Decode(msg)
		if err != nil {
			t.Fatalf("size %d: the bench offer is not a valid protocol message: %v", size, err)
		}
		if m.Type != protocol.TypeOffer || (size >= 40 && len(m.SDP) != size) {
			t.Fatalf("size %d: got type %s, sdp of %d bytes", size, m.Type, len(m.SDP))
		}
		// The server re-encodes what it relays; the receiver parses that form.
		relayed, err := protocol.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		rest, ok := strings.CutPrefix(string(relayed), string(offerPrefix))
		if !ok {
			t.Fatalf("relayed offer %.60q does not start with %q", relayed, offerPrefix)
		}
		seq, ts, from, to, ok := parseOffer([]byte(rest))
		if !ok || seq != 123456 || ts != 987654321012345 || from != 42 || to != 43 {
			t.Fatalf("size %d: parsed %d %d %d %d %v", size, seq, ts, from, to, ok)
		}
	}
	for _, bad := range []string{"", "bench ", "bench 1 2 3", "bench 1 2 3 x", "offer 1 2 3 4 ", "bench 1 2 -3 4 "} {
		if _, _, _, _, ok := parseOffer([]byte(bad)); ok {
			t.Errorf("parseOffer(%q) accepted it", bad)
		}
	}
}

// TestLoadInProcess runs both phases against an in-process server: every offer arrives exactly once at
// the other seat of its room.
func TestLoadInProcess(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := benchConfig(t, 40)
	srv := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	}()

	o, err := parseFlags([]string{"-url", ts.URL, "-conns", "40", "-rate", "400", "-duration", "500ms",
		"-settle", "0", "-drain", "5s", "-timeout", "1m"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := execute(ctx, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res.Print(&out, o)
	if f := res.Failures(o); len(f) > 0 {
		t.Fatalf("failures: %v\n%s", f, out.String())
	}
	l := res.load
	if l.sent.Load() != 200 || l.delivered.Load() != 200 || res.idleMeasured || res.cpuMeasured {
		t.Fatalf("sent %d, delivered %d, idle measured %v, cpu measured %v\n%s",
			l.sent.Load(), l.delivered.Load(), res.idleMeasured, res.cpuMeasured, out.String())
	}
	if !strings.Contains(out.String(), "lost") {
		t.Fatalf("report lacks the loss line:\n%s", out.String())
	}
}

func TestFlagsValidated(t *testing.T) {
	for _, args := range [][]string{
		{"-conns", "3"}, {"-rate", "-1"}, {"-size", "0"}, {"-url", "http://10.1.2.3:80"},
		{"-pid", "5"}, {"-maju", "x", "-url", "http://127.0.0.1:1"}, {"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// benchConfig is maju's configuration with the flags startServer gives the child for conns connections:
// maju's own flag parsing takes them, and the in-process server gets the same lifted limits.
func benchConfig(tb testing.TB, conns int) config.Config {
	tb.Helper()
	args := append([]string{"-addr", "127.0.0.1:0"}, majuproc.LiftLimits(conns)...)
	cfg, err := config.Load(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// The floor relay's line puts maju's cost beside the floor's, and says when the floor could not run.
func TestFloorLine(t *testing.T) {
	ledger := &ledger{}
	ledger.delivered.Store(100_000)
	r := &result{load: ledger, serverCPU: 12, cpuMeasured: true}
	if got := r.floorLine(); got != "" {
		t.Errorf("without a floor run: %q, want nothing", got)
	}
	r.floor = &floor.Result{Options: floor.Options{Loop: floor.Goroutines}, Records: 200_000, Arrived: 200_000, CPU: 8}
	if got, want := r.floorLine(), "4.00 s per 100k (a goroutine per connection; 200000 of 200000 records arrived), so maju costs 3.0× the floor"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	r.floor, r.floorErr = &floor.Result{}, errors.New("dial 3: refused")
	if got := r.floorLine(); !strings.Contains(got, "not measured: dial 3: refused") {
		t.Errorf("failed floor run: %q", got)
	}
}

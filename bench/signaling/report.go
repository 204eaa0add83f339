package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/maju-call/maju/bench/internal/cli"
	"github.com/maju-call/maju/bench/internal/floor"
	"github.com/maju-call/maju/bench/internal/proc"
)

// result is everything one run measured.
type result struct {
	started  time.Time
	server   string
	conns    int
	rate     float64
	duration time.Duration
	size     int

	joinTime     time.Duration
	connFailures int64

	rssBase, rssJoined, rssIdle, rssLoaded int64 // KiB
	idleMeasured                           bool

	idleCPU         float64 // server CPU seconds per second while idle (heartbeats)
	idleCPUMeasured bool

	load        *ledger
	serverCPU   float64
	cpuMeasured bool
	clientCPU   float64

	floor    *floor.Result // the floor relay under the same load, when measured
	floorErr error

	serverLog []string
	firstErr  string
}

// rssPerConn is the server's idle RSS growth per connection, KiB.
func (r *result) rssPerConn() float64 {
	return float64(r.rssIdle-r.rssBase) / float64(r.conns)
}

// cpuPer100k is the server's CPU seconds per 100,000 delivered messages.
func (r *result) cpuPer100k() float64 {
	if r.load == nil || r.load.delivered.Load() == 0 {
		return 0
	}
	return r.serverCPU / float64(r.load.delivered.Load()) * 100_000
}

// Failures lists what makes the run fail as a check.
func (r *result) Failures(o options) []string {
	var out []string
	if r.connFailures > 0 {
		out = append(out, fmt.Sprintf("%d connections failed to open, pair or stay open", r.connFailures))
	}
	if l := r.load; l != nil {
		if l.lostAtDrain > 0 {
			out = append(out, fmt.Sprintf("%d of %d messages lost", l.lostAtDrain, l.sent.Load()))
		}
		if n := l.sendErrs.Load(); n > 0 {
			out = append(out, fmt.Sprintf("%d messages could not be sent", n))
		}
		if n := l.dups.Load(); n > 0 {
			out = append(out, fmt.Sprintf("%d messages delivered twice", n))
		}
		if n := l.misrouted.Load() + l.malformed.Load(); n > 0 {
			out = append(out, fmt.Sprintf("%d messages misrouted or malformed", n))
		}
		if want := int64(l.planned); l.sent.Load() < want {
			out = append(out, fmt.Sprintf("only %d of %d planned messages were sent", l.sent.Load(), want))
		}
	}
	if o.strict {
		if r.idleMeasured && r.rssPerConn() >= o.targetRSS {
			out = append(out, fmt.Sprintf("RSS per idle connection %.1f KiB ≥ target %.1f", r.rssPerConn(), o.targetRSS))
		}
		if r.cpuMeasured && r.cpuPer100k() >= o.targetCPU {
			out = append(out, fmt.Sprintf("server CPU %.2f s per 100k ≥ target %.2f", r.cpuPer100k(), o.targetCPU))
		}
	}
	return out
}

func verdict(v, target float64) string {
	if v < target {
		return fmt.Sprintf("target < %g: met", target)
	}
	return fmt.Sprintf("target < %g: MISSED", target)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// Print writes the report: a table of what was measured, then details and, with -markdown, a row for
// docs/benchmarks.md.
func (r *result) Print(w io.Writer, o options) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	fmt.Fprintln(tw, "maju signaling benchmark\t")
	row("date", "%s", r.started.Format(time.RFC3339))
	row("machine", "%s", proc.Machine())
	row("server", "%s", r.server)
	row("connections", "%d in %d rooms of two, paired in %v, failures %d",
		r.conns, r.conns/2, r.joinTime.Round(time.Millisecond), r.connFailures)
	if r.idleMeasured {
		row("server RSS", "baseline %.1f MiB, after pairing %.1f MiB, after %v idle %.1f MiB",
			mib(r.rssBase), mib(r.rssJoined), o.settle, mib(r.rssIdle))
		row("RSS per idle conn", "%.2f KiB  (%s)", r.rssPerConn(), verdict(r.rssPerConn(), o.targetRSS))
		if r.idleCPUMeasured {
			row("idle server CPU", "%.3f s per s while idle (heartbeats: one ping per connection per ping interval)", r.idleCPU)
		}
	} else {
		row("RSS per idle conn", "not measured")
	}
	if l := r.load; l != nil {
		row("load", "%v msg/s planned for %v (%d offers, %d-byte sdp); achieved %.1f msg/s over %v",
			r.rate, r.duration, l.planned, r.size, float64(l.sent.Load())/l.sendTime.Seconds(), l.sendTime.Round(time.Millisecond))
		row("sent", "%d (send errors %d)", l.sent.Load(), l.sendErrs.Load())
		row("delivered", "%d after %v drain", l.sent.Load()-l.lostAtDrain, l.drainTime.Round(time.Millisecond))
		row("lost", "%d  (duplicates %d, misrouted %d, malformed %d, arrived after the drain bound %d)",
			l.lostAtDrain, l.dups.Load(), l.misrouted.Load(), l.malformed.Load(), l.late)
		row("latency", "p50 %s  p99 %s  max %s", ms(l.percentile(50)), ms(l.percentile(99)), ms(l.percentile(100)))
		if r.cpuMeasured {
			row("server CPU", "%.2f s during load = %.2f s per 100k delivered = %.1f µs per message  (%s)",
				r.serverCPU, r.cpuPer100k(), r.cpuPer100k()*10, verdict(r.cpuPer100k(), o.targetCPU))
		} else {
			row("server CPU", "not measured")
		}
		row("bench client CPU", "%.2f s during load (shares the machine with the server)", r.clientCPU)
		if line := r.floorLine(); line != "" {
			row("floor relay", "%s", line)
		}
		if r.rssLoaded > 0 {
			row("server RSS after load", "%.1f MiB", mib(r.rssLoaded))
		}
	}
	if r.firstErr != "" {
		row("first client error", "%s", r.firstErr)
	}
	_ = tw.Flush()
	cli.PrintTail(w, "server log (last lines):", r.serverLog)
	if o.markdown {
		cli.PrintMarkdown(w, markdownHeader, markdownSep, r.markdownRow())
		if line := r.floorLine(); line != "" {
			fmt.Fprintf(w, "\nFloor relay in the same run: %s.\n", line)
		}
	}
}

// floorLine describes the floor relay's measurement beside maju's, or "" when it was not measured.
func (r *result) floorLine() string {
	f := r.floor
	switch {
	case f == nil:
		return ""
	case r.floorErr != nil && f.Records == 0:
		return fmt.Sprintf("not measured: %v", r.floorErr)
	}
	line := fmt.Sprintf("%.2f s per 100k (%s; %d of %d records arrived)", f.Per100k(), f.Design(), f.Arrived, f.Records)
	if f.Per100k() > 0 && r.cpuPer100k() > 0 {
		line += fmt.Sprintf(", so maju costs %.1f× the floor", r.cpuPer100k()/f.Per100k())
	}
	if r.floorErr != nil {
		line += fmt.Sprintf(" (floor run: %v)", r.floorErr)
	}
	return line
}

const (
	markdownHeader = "| date | conns | msg/s × s | sdp B | sent | delivered | lost | p50 | p99 | max | RSS KiB / idle conn | server CPU s / 100k msgs |"
	markdownSep    = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)

func (r *result) markdownRow() string {
	na := "n/a"
	rss, cpu := na, na
	if r.idleMeasured {
		rss = fmt.Sprintf("%.2f", r.rssPerConn())
	}
	cells := []string{r.started.Format("2006-01-02"), fmt.Sprint(r.conns)}
	if l := r.load; l != nil {
		if r.cpuMeasured {
			cpu = fmt.Sprintf("%.2f", r.cpuPer100k())
		}
		cells = append(cells, fmt.Sprintf("%g × %g", r.rate, r.duration.Seconds()), fmt.Sprint(r.size),
			fmt.Sprint(l.sent.Load()), fmt.Sprint(l.sent.Load()-l.lostAtDrain), fmt.Sprint(l.lostAtDrain),
			ms(l.percentile(50)), ms(l.percentile(99)), ms(l.percentile(100)), rss, cpu)
	} else {
		cells = append(cells, "—", "—", "—", "—", "—", "—", "—", "—", rss, cpu)
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

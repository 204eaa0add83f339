package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/maju-call/maju/bench/internal/cli"
	"github.com/maju-call/maju/bench/internal/proc"
)

// Failures lists what makes the run fail as a check.
func (r *result) Failures(o options) []string {
	var out []string
	st := r.st
	if n := st.violationCount(); n > 0 {
		out = append(out, fmt.Sprintf("%d violated invariants (first: %s)", n, st.details[0]))
	}
	if n := st.roomFull.Load(); n > 0 {
		out = append(out, fmt.Sprintf("%d room-full errors in the clients' own rooms", n))
	}
	if r.metrics {
		for _, s := range r.notBack {
			out = append(out, "not back at the baseline after "+o.settleLimit.String()+": "+s)
		}
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func mib(kib int64) string {
	if kib <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", float64(kib)/1024)
}

// Print writes the report: a table of what was measured, then details and, with -markdown, a row for
// docs/benchmarks.md.
func (r *result) Print(w io.Writer, o options) {
	st := r.st
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	fmt.Fprintln(tw, "maju soak\t")
	row("date", "%s", r.started.Format(time.RFC3339))
	row("machine", "%s", proc.Machine())
	row("server", "%s", r.server)
	row("run", "%d rooms (%d clients), churn %v (ran %v), grace %v, margin %v, seed %d",
		o.rooms, 2*o.rooms, o.duration, r.churnTime.Round(time.Millisecond), o.grace, o.margin, r.seed)
	row("pace", "an action per room every %v on average (mix %s); each client talks every %v, %d-byte messages",
		o.actionEvery, o.mix, o.talkEvery, o.size)
	row("setup", "%d rooms seated in %v", o.rooms, r.setupTime.Round(time.Millisecond))
	var acts []string
	for a := range numActions {
		acts = append(acts, fmt.Sprintf("%s %d", action(a), st.actions[a]))
		if a == actEdge {
			acts[a] += fmt.Sprintf(" (%d resumed, %d new pair)", st.edgeResumed.Load(), st.edgeNewPair.Load())
		}
	}
	row("actions", "%d: %s; failed %d; rooms moved to a fresh id after a violation %d, given up %d",
		st.totalActions(), strings.Join(acts, ", "), sum(st.actionFails[:]), st.abandonedRooms.Load(), st.givenUp)
	row("slips", "%d joins came after a grace they were planned within (machine too slow); their after-grace outcome was checked", st.slips.Load())
	row("joins", "%d; join → welcome p50 %s  p99 %s  max %s", len(st.joinLat),
		ms(percentile(st.joinLat, 50)), ms(percentile(st.joinLat, 99)), ms(percentile(st.joinLat, 100)))
	row("talk", "%d sent, %d delivered; lost %d, misrouted %d, repeated/out of order/stale %d",
		st.sent.Load(), st.delivered.Load(), st.lost.Load(), st.misrouted.Load(), st.disorder.Load())
	row("room-full", "%d", st.roomFull.Load())
	row("violations", "%d%s", st.violationCount(), byWhere(st))
	if r.metrics {
		row("server baseline", "%s", r.base)
		row("server peak", "%s", r.peak)
		row("server at end", "%s, %v after the last client left", r.end, r.endAfter.Round(time.Second))
		switch {
		case r.gcSeen:
			row("after a GC", "%s, %v after the last client left", r.afterGC, r.gcAfter.Round(time.Second))
		case o.waitGC && len(r.notBack) == 0:
			row("after a GC", "no GC within the settle limit")
		}
		if len(r.notBack) == 0 {
			row("back at baseline", "yes (connections and rooms 0, goroutines ≤ baseline + %d, RSS ≤ baseline + %g MiB)", o.goroutSlack, o.rssBoundMiB)
		} else {
			row("back at baseline", "NO: %s", strings.Join(r.notBack, "; "))
		}
	} else {
		row("server baseline", "not checked (no /metrics URL)")
	}
	if r.cpuMeasured {
		row("server CPU", "%.1f s during the churn (%.2f cores)", r.serverCPU, r.serverCPU/r.churnTime.Seconds())
	}
	row("soak client CPU", "%.1f s during the churn (shares the machine with the server)", r.clientCPU)
	_ = tw.Flush()
	cli.PrintTail(w, fmt.Sprintf("violations (first %d):", len(st.details)), st.details)
	cli.PrintTail(w, "server log (last lines):", r.serverLog)
	if o.markdown {
		cli.PrintMarkdown(w, markdownHeader, markdownSep, r.markdownRow(o))
	}
}

func (s snapshot) String() string {
	rss := "RSS not measured"
	if s.rssKiB > 0 {
		rss = "RSS " + mib(s.rssKiB) + " MiB"
	}
	return fmt.Sprintf("%d connections, %d rooms, %d goroutines, heap %.1f MiB (spans in use %.1f), %s",
		s.conns, s.rooms, s.goroutine, s.heapMiB, s.inuseMiB, rss)
}

func byWhere(st *stats) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.byWhere) == 0 {
		return ""
	}
	keys := make([]string, 0, len(st.byWhere))
	for k := range st.byWhere {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, st.byWhere[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func sum(v []int64) int64 {
	n := int64(0)
	for _, x := range v {
		n += x
	}
	return n
}

const (
	markdownHeader = "| date | rooms | churn | grace | actions | joins | join p99 | talk sent | lost | violations | conns / rooms / goroutines: base → peak → end | RSS MiB: base → peak → end (→ after GC) | back after |"
	markdownSep    = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|"
)

func (r *result) markdownRow(o options) string {
	st := r.st
	servers, rss, back := "n/a", "n/a", "n/a"
	if r.metrics {
		servers = fmt.Sprintf("%d/%d/%d → %d/%d/%d → %d/%d/%d", r.base.conns, r.base.rooms, r.base.goroutine,
			r.peak.conns, r.peak.rooms, r.peak.goroutine, r.end.conns, r.end.rooms, r.end.goroutine)
		rss = mib(r.base.rssKiB) + " → " + mib(r.peak.rssKiB) + " → " + mib(r.end.rssKiB)
		if r.gcSeen {
			rss += " → " + mib(r.afterGC.rssKiB)
		}
		back = r.endAfter.Round(time.Second).String()
		if len(r.notBack) > 0 {
			back = "no"
		}
	}
	cells := []string{r.started.Format("2006-01-02"), fmt.Sprint(o.rooms), o.duration.String(), o.grace.String(),
		fmt.Sprint(st.totalActions()), fmt.Sprint(len(st.joinLat)), ms(percentile(st.joinLat, 99)),
		fmt.Sprint(st.sent.Load()), fmt.Sprint(st.lost.Load()), fmt.Sprint(st.violationCount()), servers, rss, back}
	return "| " + strings.Join(cells, " | ") + " |"
}

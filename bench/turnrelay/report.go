package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine describes where the run happened.
type machine struct {
	nproc     int
	model     string
	kernel    string
	goVersion string
	loadavg   string
	ifaces    []string // interfaces that are up, other than loopback
}

func readMachine() machine {
	m := machine{nproc: runtime.NumCPU(), goVersion: runtime.Version()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.model = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(data))
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(data))
		if len(f) >= 3 {
			m.loadavg = strings.Join(f[:3], " ")
		}
	}
	if ifs, err := net.Interfaces(); err == nil {
		for _, i := range ifs {
			if i.Flags&net.FlagUp != 0 && i.Flags&net.FlagLoopback == 0 {
				m.ifaces = append(m.ifaces, i.Name)
			}
		}
	}
	return m
}

func (m machine) describe() string {
	ns := "loopback-only network namespace"
	if len(m.ifaces) > 0 {
		ns = "interfaces up besides loopback: " + strings.Join(m.ifaces, ", ") +
			" (traffic still stays on 127.0.0.1; UDP counters include other traffic)"
	}
	return fmt.Sprintf("machine: %d CPUs, %s, kernel %s, %s, load average %s; %s",
		m.nproc, m.model, m.kernel, m.goVersion, m.loadavg, ns)
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func printStep(w io.Writer, o options, s step) {
	fmt.Fprintf(w, "%4d calls: sent %d, received %d, loss %.3f%% | relayed %.1f Mbit/s (%.1f%% of offered) | "+
		"server %.2f cores = %.1f millicores/call, %.2f CPU-s/GB | generator %.2f cores | machine %.0f%% busy, %.2f cores other processes | "+
		"server RSS %.1f MiB, %d goroutines | latency p50 %s ms, p99 %s ms | kernel UDP drops %d\n",
		s.calls, s.all.sent, s.all.recv, s.lossPct(), s.relayedMbps(), 100*s.achieved(o),
		s.serverCores(), s.mcoresPerCall(), s.cpuPerGB(), s.genCores(), 100*s.busy, s.otherCores(runtime.NumCPU()),
		float64(s.rssKiB)/1024, s.srv.goroutines, ms(s.win.quantile(0.5)), ms(s.win.quantile(0.99)), s.udpDrops())
	if s.udpDrops() > 0 || s.all.reordered > 0 || s.clientWarn > 0 || s.serverLog > 0 {
		fmt.Fprintf(w, "      socket drops: server listening socket %d, relay sockets %d, client sockets %d; "+
			"reordered %d, pion client warnings %d, server log lines %d\n",
			s.drops.listen, s.drops.relay, s.drops.client, s.all.reordered, s.clientWarn, s.serverLog)
	}
}

// best is the largest step that lost at most -max-loss and carried the whole offered load.
func best(o options, steps []step) (step, bool) {
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].passed(o) {
			return steps[i], true
		}
	}
	return step{}, false
}

func printSummary(w io.Writer, o options, steps []step) {
	b, ok := best(o, steps)
	if !ok {
		fmt.Fprintf(w, "no step kept loss at or below %.2g%%\n", o.maxLoss)
		return
	}
	fmt.Fprintf(w, "largest step with loss ≤ %.2g%%: %d calls, %.0f Mbit/s relayed, server %.2f cores (%.1f millicores per call), generator %.2f cores\n",
		o.maxLoss, b.calls, b.relayedMbps(), b.serverCores(), b.mcoresPerCall(), b.genCores())
	fmt.Fprintf(w, "server cost: %.2f CPU-s per relayed GB; one vCPU relays about %.0f calls at %.2g Mbit/s each way (extrapolated from %d calls)\n",
		b.cpuPerGB(), 1000/b.mcoresPerCall(), o.bitrate/1e6, b.calls)
}

func printMarkdown(w io.Writer, o options, m machine, steps []step) {
	fmt.Fprintf(w, "machine: %d CPUs, %s, kernel %s, %s, load average %s before the run\n\n", m.nproc, m.model, m.kernel, m.goVersion, m.loadavg)
	fmt.Fprintln(w, "| calls | offered Mbit/s | packets sent | received | loss | relayed Mbit/s | server cores | server millicores / call | server CPU-s / GB | generator cores | other processes cores | server RSS MiB | p50 / p99 ms | kernel UDP drops |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range steps {
		fmt.Fprintf(w, "| %d | %.0f | %d | %d | %.3f %% | %.1f | %.2f | %.1f | %.2f | %.2f | %.2f | %.1f | %s / %s | %d |\n",
			s.calls, float64(s.calls)*2*o.bitrate/1e6, s.all.sent, s.all.recv, s.lossPct(), s.relayedMbps(),
			s.serverCores(), s.mcoresPerCall(), s.cpuPerGB(), s.genCores(), s.otherCores(m.nproc), float64(s.rssKiB)/1024,
			ms(s.win.quantile(0.5)), ms(s.win.quantile(0.99)), s.udpDrops())
	}
}

package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/maju-call/maju/bench/internal/proc"
)

// step is what one number of calls measured.
type step struct {
	calls  int
	window time.Duration // the measured window, as slept

	win totals // counters over the measured window
	all totals // counters from the senders' start to the end of the drain

	serverCPU, genCPU float64 // CPU seconds in the window
	busy              float64 // fraction of all CPUs busy in the window (/proc/stat)
	rssKiB            int64   // server VmRSS at the end of the window
	srv               serverStats
	udp               map[string]int64 // /proc/net/snmp Udp counters over the whole step
	drops             socketDrops      // per-socket drops over the whole step
	serverLog         int              // lines the server logged during the step
	clientWarn        int64            // pion client warnings during the step
}

func (s step) lossPct() float64 {
	if s.all.sent <= 0 {
		return 0
	}
	return 100 * float64(s.all.sent-int64(s.all.recv)) / float64(s.all.sent)
}

func (s step) secs() float64 { return s.window.Seconds() }

// relayedMbps is payload delivered end to end in the window, Mbit/s.
func (s step) relayedMbps() float64 { return float64(s.win.bytes) * 8 / s.secs() / 1e6 }

func (s step) serverCores() float64 { return s.serverCPU / s.secs() }

func (s step) genCores() float64 { return s.genCPU / s.secs() }

// cpuPerGB is server CPU seconds per GB (1e9 bytes) of payload delivered.
func (s step) cpuPerGB() float64 {
	if s.win.bytes == 0 {
		return 0
	}
	return s.serverCPU / (float64(s.win.bytes) / 1e9)
}

// otherCores is the CPU the rest of the machine used in the window (neither server nor generator).
func (s step) otherCores(nproc int) float64 {
	return max(0, s.busy*float64(nproc)-s.serverCores()-s.genCores())
}

func (s step) mcoresPerCall() float64 { return 1000 * s.serverCores() / float64(s.calls) }

// achieved is the fraction of the offered packets the generator sent in the window.
func (s step) achieved(o options) float64 {
	want := float64(s.calls) * 2 * o.pps() * s.secs()
	return float64(s.win.sent) / want
}

func (s step) udpDrops() int64 {
	return s.udp["RcvbufErrors"] + s.udp["SndbufErrors"] + s.udp["MemErrors"]
}

func (s step) passed(o options) bool {
	return s.lossPct() <= o.maxLoss && s.achieved(o) >= 0.98 && s.all.writeErrs == 0
}

func bench(ctx context.Context, o options, stdout, stderr io.Writer) int {
	last := o.calls[len(o.calls)-1]
	if err := proc.RaiseFileLimit(uint64(4*last + 1024)); err != nil {
		fmt.Fprintln(stderr, "turnrelay:", err)
	}
	if o.serverCPU >= 0 {
		if err := pinProcess(otherCPUs(o.serverCPU)); err != nil {
			fmt.Fprintln(stderr, "turnrelay:", err)
			return 2
		}
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	m := readMachine()
	fmt.Fprintln(stdout, m.describe())
	srv, err := startChild(ctx, o, secret)
	if err != nil {
		fmt.Fprintln(stderr, "turnrelay:", err)
		return 2
	}
	defer srv.stop()
	base, err := srv.stats()
	if err != nil {
		fmt.Fprintln(stderr, "turnrelay:", err)
		return 2
	}
	rss0, _ := srv.rssKiB()
	fmt.Fprintf(stdout, "server: pid %d on %s (%d socket(s), SO_RCVBUF %s → %d B effective, relay ports %d-%d%s%s); RSS %.1f MiB, %d goroutines\n",
		srv.pid, srv.addr, o.serverSockets, rcvbufString(o.serverRcvBuf), srv.rcvbuf, o.minPort, o.maxPort,
		envString(o.serverEnv), pinString(o.serverCPU), float64(rss0)/1024, base.goroutines)
	fmt.Fprintf(stdout, "load: calls of 2 relayed streams, %.2f Mbit/s each way in %d-byte payloads (%.1f packets/s), "+
		"%d sender goroutines, %v + %v per step\n\n",
		o.bitrate/1e6, o.packetSize, o.pps(), o.senders, o.warmup, o.duration)

	g := &generator{o: o, server: srv.addr, secret: secret, logs: &clientLogs{}}
	var steps []step
	failed := false
	stopReason := "last step reached"
	for _, n := range o.calls {
		if ctx.Err() != nil {
			stopReason = "interrupted"
			break
		}
		setup := time.Now()
		if err := g.grow(ctx, n); err != nil {
			fmt.Fprintf(stderr, "turnrelay: setting up %d calls: %v\n", n, err)
			failed, stopReason = true, "call setup failed"
			break
		}
		fmt.Fprintf(stdout, "%d calls set up in %v\n", n, time.Since(setup).Round(time.Millisecond))
		st, err := g.runStep(ctx, srv, n)
		if err != nil {
			fmt.Fprintf(stderr, "turnrelay: step %d: %v\n", n, err)
			failed, stopReason = true, "step failed"
			break
		}
		steps = append(steps, st)
		printStep(stdout, o, st)
		if st.all.writeErrs > 0 {
			msg := ""
			if p := g.firstWriteErr.Load(); p != nil {
				msg = *p
			}
			fmt.Fprintf(stdout, "  %d writes failed; first: %s\n", st.all.writeErrs, msg)
			failed = true
		}
		if st.all.misrouted > 0 {
			fmt.Fprintf(stdout, "  %d packets arrived at the wrong endpoint or malformed\n", st.all.misrouted)
			failed = true
		}
		if ctx.Err() != nil {
			stopReason = "interrupted"
			break
		}
		if st.achieved(o) < 0.98 {
			stopReason = fmt.Sprintf("the generator sent only %.1f%% of the load at %d calls", 100*st.achieved(o), n)
			break
		}
		if st.lossPct() > o.maxLoss && !o.keepGoing {
			stopReason = fmt.Sprintf("loss above %.2g%% at %d calls", o.maxLoss, n)
			break
		}
		if st.busy >= 0.98 && !o.keepGoing {
			stopReason = fmt.Sprintf("the CPUs were saturated (%.0f%% busy) at %d calls", 100*st.busy, n)
			break
		}
		if o.serverCPU >= 0 && st.serverCores() >= 0.97 && !o.keepGoing {
			stopReason = fmt.Sprintf("the server's CPU was saturated (%.2f cores) at %d calls", st.serverCores(), n)
			break
		}
	}

	// Teardown: every allocation must go, and the server's goroutines with them.
	teardown := time.Now()
	g.closeAll()
	var after serverStats
	for deadline := time.Now().Add(15 * time.Second); ; {
		after, err = srv.stats()
		if err != nil || (after.allocs == 0 && after.goroutines <= base.goroutines) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		fmt.Fprintln(stderr, "turnrelay: after teardown:", err)
		failed = true
	}
	rssEnd, _ := srv.rssKiB()
	fmt.Fprintf(stdout, "\nstopped: %s\n", stopReason)
	fmt.Fprintf(stdout, "%v after closing every call: %d allocations, %d goroutines (%d before the first call), RSS %.1f MiB\n",
		time.Since(teardown).Round(time.Millisecond), after.allocs, after.goroutines, base.goroutines, float64(rssEnd)/1024)
	if after.allocs != 0 {
		fmt.Fprintln(stdout, "  allocations leaked")
		failed = true
	}
	if after.goroutines > base.goroutines {
		fmt.Fprintln(stdout, "  server goroutines leaked")
		failed = true
	}
	if n, first := g.logs.snapshot(); n > 0 {
		fmt.Fprintf(stdout, "pion clients logged %d warnings/errors; first: %s\n", n, strings.Join(first, " | "))
	}
	if tail := srv.log(); len(tail) > 0 {
		fmt.Fprintf(stdout, "server log (%d lines), last: %s\n", srv.logLines(), strings.Join(tail[max(0, len(tail)-5):], " | "))
	}
	printSummary(stdout, o, steps)
	if o.markdown {
		fmt.Fprintln(stdout)
		printMarkdown(stdout, o, m, steps)
	}
	if failed {
		return 1
	}
	return 0
}

// runStep loads the current calls for warmup + duration, measures the window, stops and drains.
func (g *generator) runStep(ctx context.Context, srv *child, n int) (step, error) {
	st := step{calls: n}
	s0 := g.snapshot()
	udp0 := readUDP()
	drops0 := readSocketDrops(srv.port(), g.o.minPort, g.o.maxPort)
	log0 := srv.logLines()
	warn0 := g.logs.count.Load()

	stop := g.startSenders()
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	sleepCtx(ctx, g.o.warmup)

	w0 := g.snapshot()
	cpu0, err := srv.cpuSeconds()
	if err != nil {
		return st, err
	}
	gen0 := proc.SelfCPUSeconds()
	stat0 := readStat()
	t0 := time.Now()
	if g.o.profileDir != "" {
		if err := srv.profileStart(g.o.profileDir, n); err != nil {
			return st, err
		}
	}
	sleepCtx(ctx, g.o.duration)
	w1 := g.snapshot()
	cpu1, err := srv.cpuSeconds()
	if err != nil {
		return st, err
	}
	gen1 := proc.SelfCPUSeconds()
	stat1 := readStat()
	st.window = time.Since(t0)
	if g.o.profileDir != "" {
		if err := srv.profileStop(g.o.profileDir, n); err != nil {
			return st, err
		}
	}
	st.rssKiB, _ = srv.rssKiB()
	if st.srv, err = srv.stats(); err != nil {
		return st, err
	}
	stop()
	stopped = true

	// Drain: wait until everything sent arrived, or nothing more arrives for 300 ms.
	sentAll := g.sent.Load() - s0.sent
	lastRecv, lastChange := g.recvTotal(), time.Now()
	for deadline := time.Now().Add(g.o.drain); time.Now().Before(deadline); {
		r := g.recvTotal()
		if int64(r-s0.recv) >= sentAll {
			break
		}
		if r != lastRecv {
			lastRecv, lastChange = r, time.Now()
		} else if time.Since(lastChange) > 300*time.Millisecond {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s1 := g.snapshot()
	udp1 := readUDP()
	st.drops = readSocketDrops(srv.port(), g.o.minPort, g.o.maxPort).minus(drops0)

	st.win = w1.minus(w0)
	st.all = s1.minus(s0)
	st.serverCPU = cpu1 - cpu0
	st.genCPU = gen1 - gen0
	st.busy = stat1.busyFraction(stat0)
	st.udp = map[string]int64{}
	for k, v := range udp1 {
		st.udp[k] = v - udp0[k]
	}
	st.serverLog = srv.logLines() - log0
	st.clientWarn = g.logs.count.Load() - warn0
	return st, nil
}

func (g *generator) recvTotal() uint64 {
	var n uint64
	for _, e := range g.eps {
		n += e.rx.pkts.Load()
	}
	return n
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// cpuStat is the aggregate "cpu" line of /proc/stat, in ticks.
type cpuStat struct{ busy, total int64 }

func readStat() cpuStat {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuStat{}
	}
	var s cpuStat
	for i := 1; i <= 8; i++ { // user nice system idle iowait irq softirq steal
		v, _ := strconv.ParseInt(f[i], 10, 64)
		s.total += v
		if i != 4 && i != 5 {
			s.busy += v
		}
	}
	return s
}

func (s cpuStat) busyFraction(before cpuStat) float64 {
	if s.total <= before.total {
		return 0
	}
	return float64(s.busy-before.busy) / float64(s.total-before.total)
}

// socketDrops sums the per-socket drop counters of /proc/net/udp (this network namespace) by role:
// the server's listening port, its relay ports, and everything else (the generator's client sockets).
type socketDrops struct{ listen, relay, client int64 }

func readSocketDrops(listenPort int, minPort, maxPort uint16) socketDrops {
	var d socketDrops
	data, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return d
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) < 13 || f[0] == "sl" {
			continue
		}
		_, portHex, ok := strings.Cut(f[1], ":")
		port, err1 := strconv.ParseInt(portHex, 16, 32)
		drops, err2 := strconv.ParseInt(f[len(f)-1], 10, 64)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		switch {
		case int(port) == listenPort:
			d.listen += drops
		case port >= int64(minPort) && port <= int64(maxPort):
			d.relay += drops
		default:
			d.client += drops
		}
	}
	return d
}

func (d socketDrops) minus(e socketDrops) socketDrops {
	return socketDrops{d.listen - e.listen, d.relay - e.relay, d.client - e.client}
}

// readUDP returns the Udp counters of /proc/net/snmp (per network namespace).
func readUDP() map[string]int64 {
	out := map[string]int64{}
	data, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return out
	}
	var names []string
	for line := range strings.Lines(string(data)) {
		rest, ok := strings.CutPrefix(line, "Udp:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if names == nil {
			names = f
			continue
		}
		for i, v := range f {
			if i < len(names) {
				out[names[i]], _ = strconv.ParseInt(v, 10, 64)
			}
		}
		break
	}
	return out
}

func rcvbufString(n int) string {
	if n == 0 {
		return "kernel default"
	}
	return strconv.Itoa(n)
}

func pinString(cpu int) string {
	if cpu < 0 {
		return ""
	}
	return fmt.Sprintf("; server pinned to CPU %d, generator to the others", cpu)
}

func envString(env string) string {
	if env == "" {
		return ""
	}
	return "; " + env
}

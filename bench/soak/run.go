package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maju-call/maju/bench/internal/cli"
	"github.com/maju-call/maju/bench/internal/majuproc"
	"github.com/maju-call/maju/bench/internal/proc"
)

// result is everything one run measured.
type result struct {
	started time.Time
	server  string
	seed    uint64

	setupTime, churnTime time.Duration
	st                   *stats

	metrics         bool // the server's /metrics was read: the baseline checks ran
	base, peak, end snapshot
	endAfter        time.Duration // from the last client gone to end
	afterGC         snapshot      // the first snapshot after a GC that followed end
	gcAfter         time.Duration // from the last client gone to afterGC
	gcSeen          bool
	notBack         []string // what was not back at its baseline by the settle limit

	serverCPU, clientCPU float64
	cpuMeasured          bool

	serverLog []string
}

// execute starts the server, runs the soak and checks the server's baseline. A non-nil result may come
// with an error: whatever was measured before the failure is still reported.
func execute(ctx context.Context, o options, logw io.Writer) (*result, error) {
	res := &result{started: time.Now(), seed: o.seed, st: &stats{}}
	res.st.init()
	if res.seed == 0 {
		res.seed = rand.Uint64()
	}
	maxConns := 3*o.rooms + 64 // two per room, a third while one reloads
	if err := proc.RaiseFileLimit(uint64(maxConns) + 4096); err != nil {
		fmt.Fprintf(logw, "soak: warning: %v\n", err)
	}
	srv, metricsURL, err := startOrUse(ctx, o, maxConns, logw)
	if err != nil {
		return nil, err
	}
	defer srv.Stop(logw)
	res.server = srv.Describe()
	if err := majuproc.WaitHealthy(ctx, srv.BaseURL, 15*time.Second); err != nil {
		return nil, err
	}
	if !cli.Sleep(ctx, time.Second) { // let the freshly started runtime settle before the baseline
		return nil, ctx.Err()
	}
	var sc *scraper
	if metricsURL != "" {
		sc = newScraper(metricsURL)
		m, err := sc.scrape(ctx)
		if err != nil {
			return nil, err
		}
		res.metrics, res.base = true, snapshotOf(m, srv.RSSKiB())
		res.peak = res.base
		if res.base.conns != 0 || res.base.rooms != 0 {
			return nil, fmt.Errorf("the server is not idle: %d connections, %d rooms", res.base.conns, res.base.rooms)
		}
	}

	s := newSoak(ctx, o, majuproc.WebSocketURL(srv.BaseURL), res.st)
	defer s.stop()
	defer s.closeAll(10 * time.Second)
	rooms := make([]*room, o.rooms)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	fmt.Fprintf(logw, "soak: seating %d rooms at %s (seed %d) ...\n", o.rooms, srv.BaseURL, res.seed)
	t0 := time.Now()
	for i := range rooms {
		rooms[i] = newRoom(s, i, res.seed)
		ready.Add(1)
		done.Add(1)
		go func(r *room) {
			defer done.Done()
			r.run(ctx, ready.Done, start)
		}(rooms[i])
	}
	setupOK := waitFor(ctx, &ready, o.setupLimit)
	res.setupTime = time.Since(t0)
	close(start)
	if !setupOK {
		s.stop()
		waitFor(ctx, &done, o.eventTimeout+o.drain+5*time.Second)
		return res, fmt.Errorf("rooms not all seated within %v", o.setupLimit)
	}
	fmt.Fprintf(logw, "soak: %d rooms seated in %v; churning for %v ...\n", o.rooms, res.setupTime.Round(time.Millisecond), o.duration)

	cpu0, cpuOK0 := srv.CPUSeconds()
	self0 := proc.SelfCPUSeconds()
	t1 := time.Now()
	stopTimer := time.AfterFunc(o.duration, s.stop)
	defer stopTimer.Stop()
	stopSampler := sample(ctx, sc, srv, o, res)
	finished := waitFor(ctx, &done, o.timeout) // each room ends within its current action after the stop
	stopSampler()
	res.churnTime = time.Since(t1)
	cpu1, cpuOK1 := srv.CPUSeconds()
	res.clientCPU = proc.SelfCPUSeconds() - self0
	if cpuOK0 && cpuOK1 {
		res.serverCPU, res.cpuMeasured = cpu1-cpu0, true
	}
	s.closeAll(10 * time.Second)
	for _, r := range rooms {
		if finished {
			res.st.merge(r)
		}
	}
	res.st.finish()
	if !finished {
		return res, ctx.Err()
	}

	if sc != nil {
		fmt.Fprintf(logw, "soak: every client left; waiting at most %v for the server's baseline ...\n", o.settleLimit)
		settle(ctx, sc, srv, o, res)
	}
	if srv.Started() {
		res.serverLog = srv.LogTail()
	}
	return res, ctx.Err()
}

// startOrUse starts maju with the soak's settings, or describes the one given by -url. It returns the
// server and its /metrics URL ("" when unknown).
func startOrUse(ctx context.Context, o options, maxConns int, logw io.Writer) (*majuproc.Server, string, error) {
	if o.url != "" {
		return majuproc.Running(o.url, o.pid), o.metricsURL, nil
	}
	args := []string{
		"-resume-grace", o.grace.String(),
		"-metrics-addr", "127.0.0.1:0",
		"-turn=false", // no relay: nothing listens beyond loopback, and the soak is about signaling
	}
	if maxConns+1000 > 50000 {
		args = append(args, "-max-connections", strconv.Itoa(maxConns+1000))
	}
	args = append(args, majuproc.LiftLimits(maxConns)...)
	srv, err := majuproc.Start(ctx, majuproc.Options{
		Name: "soak", Bin: o.majuPath,
		Args: append(args, strings.Fields(o.serverArgs)...),
		Env:  strings.Fields(o.serverEnv),
	}, logw)
	if err != nil {
		return nil, "", err
	}
	if srv.MetricsURL == "" {
		srv.Stop(logw)
		return nil, "", errors.New("maju printed no metrics URL")
	}
	return srv, srv.MetricsURL, nil
}

// waitFor waits for wg at most limit (and while ctx lasts); it reports whether wg finished.
func waitFor(ctx context.Context, wg *sync.WaitGroup, limit time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// sample scrapes the server every two seconds during the churn, keeping the peaks; the server may
// never hold more rooms than the soak has (counting those a reset left to their held seats). It
// returns a function that stops it.
func sample(ctx context.Context, sc *scraper, srv *majuproc.Server, o options, res *result) (stop func()) {
	if sc == nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		reported := false
		for {
			select {
			case <-tick.C:
			case <-quit:
				return
			case <-ctx.Done():
				return
			}
			m, err := sc.scrape(ctx)
			if err != nil {
				res.st.violation(-1, "server", "reading /metrics: %v", err)
				continue
			}
			snap := snapshotOf(m, srv.RSSKiB())
			res.peak.peak(snap)
			if most := o.rooms + int(res.st.abandonedRooms.Load()); snap.rooms > most && !reported {
				reported = true
				res.st.violation(-1, "server", "%d rooms open, more than the soak's %d", snap.rooms, most)
			}
		}
	}()
	return func() { close(quit); <-done }
}

// settle polls the server once a second until it is back at its baseline, for at most o.settleLimit.
// With o.waitGC it then polls on until the runtime has run two garbage collections since (sync.Pool
// caches survive one; Go forces a GC every two minutes when nothing else starts one), or one when the
// settle limit comes first, and checks the baseline again: the memory of the connections is then freed,
// not merely unreachable.
func settle(ctx context.Context, sc *scraper, srv *majuproc.Server, o options, res *result) {
	t0 := time.Now()
	poll := func() (snapshot, []string) {
		m, err := sc.scrape(ctx)
		if err != nil {
			return snapshot{}, []string{err.Error()}
		}
		snap := snapshotOf(m, srv.RSSKiB())
		return snap, atBaseline(res.base, snap, o)
	}
	for {
		res.end, res.notBack = poll()
		res.endAfter = time.Since(t0)
		if len(res.notBack) == 0 || res.endAfter >= o.settleLimit || !cli.Sleep(ctx, time.Second) {
			break
		}
	}
	if len(res.notBack) > 0 || !o.waitGC {
		return
	}
	for time.Since(t0) < o.settleLimit && cli.Sleep(ctx, time.Second) {
		snap, notBack := poll()
		if snap.gcs > res.end.gcs && snap.gcs > res.afterGC.gcs {
			res.afterGC, res.gcAfter, res.gcSeen, res.notBack = snap, time.Since(t0), true, notBack
		}
		if snap.gcs >= res.end.gcs+2 {
			return
		}
	}
}

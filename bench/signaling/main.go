// Command signaling is maju's signaling load tool. It starts a maju server as a child process on
// 127.0.0.1 (building it first unless -maju names a binary), opens -conns WebSocket connections as rooms
// of two, measures the server's resident memory per idle connection, then relays offers between the two
// seats of random rooms at -rate messages per second for -duration and reports delivery, latency and the
// server's CPU time per 100k relayed messages.
//
//	go run ./bench/signaling                      # 10,000 connections, 4,000 msg/s for 20 s
//	go run ./bench/signaling -conns 1000 -rate 500 -duration 5s -markdown
//
// It exits 1 when a message is lost, duplicated or misrouted, or a connection fails (so it can serve as
// a check), and 2 when the run could not be set up. All traffic stays on 127.0.0.0/8; every phase is
// bounded in time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/maju-call/maju/bench/internal/cli"
	"github.com/maju-call/maju/bench/internal/floor"
	"github.com/maju-call/maju/bench/internal/majuproc"
	"github.com/maju-call/maju/bench/internal/proc"
)

func main() {
	floor.ServeIfChild() // the floor relay runs as this program started again
	cli.Main(run)
}

// options are the command-line settings.
type options struct {
	majuPath   string
	url        string
	pid        int
	serverArgs string
	serverEnv  string

	conns           int
	dialConcurrency int
	sourceIPs       int
	joinTimeout     time.Duration
	settle          time.Duration

	rate     float64
	duration time.Duration
	size     int
	senders  int
	drain    time.Duration
	seed     uint64

	timeout   time.Duration
	floor     bool
	markdown  bool
	strict    bool
	targetRSS float64
	targetCPU float64
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("signaling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench/signaling [flags]\n\n"+
			"Load-tests maju's signaling on loopback: N connections in rooms of two, idle RSS per connection,\n"+
			"then offers relayed at a fixed rate. Exits 1 if any message is lost, 2 if the run cannot start.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.majuPath, "maju", "", "maju binary to start (default: go build ./cmd/maju into a temporary directory)")
	fs.StringVar(&o.url, "url", "", "use an already running server at this loopback base URL instead of starting one (e.g. http://127.0.0.1:8080)")
	fs.IntVar(&o.pid, "pid", 0, "with -url: the server's process id, to read its RSS and CPU time from /proc (0: not measured)")
	fs.StringVar(&o.serverArgs, "server-args", "", "extra space-separated flags for the started maju (e.g. \"-send-queue 128\")")
	fs.StringVar(&o.serverEnv, "server-env", "", "extra space-separated NAME=value environment for the started maju (e.g. \"GOGC=50 GOMAXPROCS=1\")")
	fs.IntVar(&o.conns, "conns", 10000, "connections to open, in rooms of two (even)")
	fs.IntVar(&o.dialConcurrency, "dial-concurrency", 64, "connections being dialed and joined at once")
	fs.IntVar(&o.sourceIPs, "source-ips", -1, "loopback source addresses to spread connections over, 127.0.0.2 and up (0: 127.0.0.1, the kernel's choice; -1: 0 up to 20,000 connections, else one per 20,000)")
	fs.DurationVar(&o.joinTimeout, "join-timeout", 3*time.Minute, "bound on dialing and pairing every connection")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "wait after every connection is paired before reading the idle RSS")
	fs.Float64Var(&o.rate, "rate", 4000, "total offers relayed per second (0: skip the load phase)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "length of the load phase")
	fs.IntVar(&o.size, "size", 200, "bytes of each offer's sdp (sequence number, timestamp and padding)")
	fs.IntVar(&o.senders, "senders", 32, "goroutines writing offers")
	fs.DurationVar(&o.drain, "drain", 10*time.Second, "bound on waiting for in-flight offers after the last is sent")
	fs.Uint64Var(&o.seed, "seed", 0, "seed choosing which client sends each offer (0: random)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on the whole run")
	fs.BoolVar(&o.floor, "floor", true, "after maju, measure the cheapest possible relay (bench/internal/floor: a goroutine per TCP connection, no WebSocket, no JSON) with the same connections, rate and duration, for comparison; needs the server's CPU time")
	fs.BoolVar(&o.markdown, "markdown", false, "also print the result as a markdown table row for docs/benchmarks.md")
	fs.BoolVar(&o.strict, "strict", false, "also exit 1 when a target below is missed")
	fs.Float64Var(&o.targetRSS, "target-rss-kib", 10, "target: server RSS per idle connection, KiB")
	fs.Float64Var(&o.targetCPU, "target-cpu", 2, "target: server CPU seconds per 100k delivered messages")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return o, o.validate()
}

func (o *options) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.conns < 2 || o.conns%2 != 0 || o.conns > 1_000_000 {
		bad("-conns: %d must be even, 2–1000000", o.conns)
	}
	if o.dialConcurrency < 1 || o.dialConcurrency > 10000 {
		bad("-dial-concurrency: %d is outside 1–10000", o.dialConcurrency)
	}
	if o.sourceIPs < -1 || o.sourceIPs > 250 {
		bad("-source-ips: %d is outside -1–250", o.sourceIPs)
	}
	if o.rate < 0 || o.rate > 1_000_000 {
		bad("-rate: %v is outside 0–1000000", o.rate)
	}
	if o.rate > 0 && (o.duration <= 0 || o.rate*o.duration.Seconds() > 50_000_000) {
		bad("-duration: %v with -rate %v must send 1–50,000,000 messages", o.duration, o.rate)
	}
	if o.size < 1 || o.size > 60000 {
		bad("-size: %d is outside 1–60000", o.size)
	}
	if o.senders < 1 || o.senders > 4096 {
		bad("-senders: %d is outside 1–4096", o.senders)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"join-timeout", o.joinTimeout}, {"settle", o.settle}, {"drain", o.drain}, {"timeout", o.timeout}} {
		if d.v < 0 || d.v > 24*time.Hour {
			bad("-%s: %v is outside 0–24h", d.name, d.v)
		}
	}
	for _, kv := range strings.Fields(o.serverEnv) {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			bad("-server-env: %q is not NAME=value", kv)
		}
	}
	if o.url != "" && (o.majuPath != "" || o.serverArgs != "" || o.serverEnv != "") {
		bad("-url excludes -maju, -server-args and -server-env: the server is already running")
	}
	if o.url != "" && o.majuPath != "" {
		bad("-url and -maju exclude each other")
	}
	if o.pid != 0 && o.url == "" {
		bad("-pid needs -url")
	}
	if o.url != "" {
		if err := majuproc.CheckLoopbackURL(o.url); err != nil {
			bad("-url: %v", err)
		}
	}
	if o.sourceIPs == -1 {
		o.sourceIPs = 0
		if o.conns > 20000 {
			o.sourceIPs = (o.conns + 19999) / 20000
		}
	}
	return errors.Join(errs...)
}

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cli.Run(ctx, cli.Tool[options, *result]{
		Name: "signaling", Parse: parseFlags, Execute: execute,
		Timeout: func(o options) time.Duration { return o.timeout },
	}, args, stdout, stderr)
}

// execute sets up the server and the clients and runs both phases. A non-nil result may come with an
// error: whatever was measured before the failure is still reported.
func execute(ctx context.Context, o options, logw io.Writer) (*result, error) {
	res := &result{started: time.Now(), conns: o.conns, rate: o.rate, duration: o.duration, size: o.size}
	if err := proc.RaiseFileLimit(uint64(o.conns) + 4096); err != nil {
		fmt.Fprintf(logw, "signaling: warning: %v\n", err)
	}

	var srv *majuproc.Server
	if o.url != "" {
		srv = majuproc.Running(o.url, o.pid)
	} else {
		var err error
		srv, err = startServer(ctx, o, logw)
		if err != nil {
			return nil, err
		}
		defer srv.Stop(logw)
	}
	res.server = srv.Describe()
	if err := majuproc.WaitHealthy(ctx, srv.BaseURL, 15*time.Second); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond) // let the freshly started runtime settle before the baseline
	res.rssBase = srv.RSSKiB()

	f := newFleet(o)
	defer f.closeAll(10 * time.Second)
	fmt.Fprintf(logw, "signaling: opening %d connections to %s ...\n", o.conns, srv.BaseURL)
	t0 := time.Now()
	err := f.connect(ctx, srv.BaseURL)
	res.joinTime = time.Since(t0)
	res.rssJoined = srv.RSSKiB()
	res.connFailures = f.failures()
	if err != nil {
		return res, err
	}
	fmt.Fprintf(logw, "signaling: %d connections paired in %v; settling %v\n", o.conns, res.joinTime.Round(time.Millisecond), o.settle)
	idle0, idleOK0 := srv.CPUSeconds()
	if !cli.Sleep(ctx, o.settle) {
		return res, ctx.Err()
	}
	res.rssIdle = srv.RSSKiB()
	if idle1, idleOK1 := srv.CPUSeconds(); idleOK0 && idleOK1 && o.settle > 0 {
		res.idleCPU, res.idleCPUMeasured = (idle1-idle0)/o.settle.Seconds(), true
	}
	res.idleMeasured = res.rssBase > 0 && res.rssIdle > 0

	if o.rate > 0 {
		fmt.Fprintf(logw, "signaling: relaying %v msg/s for %v ...\n", o.rate, o.duration)
		cpu0, cpuOK0 := srv.CPUSeconds()
		self0 := proc.SelfCPUSeconds()
		ls, err := f.load(ctx, o)
		cpu1, cpuOK1 := srv.CPUSeconds()
		res.load = ls
		res.clientCPU = proc.SelfCPUSeconds() - self0
		if cpuOK0 && cpuOK1 {
			res.serverCPU, res.cpuMeasured = cpu1-cpu0, true
		}
		res.rssLoaded = srv.RSSKiB()
		if err != nil {
			return res, err
		}
	}
	res.connFailures = f.failures()
	if p := f.firstErr.Load(); p != nil {
		res.firstErr = *p
	}
	f.closeAll(10 * time.Second)
	if res.load != nil {
		res.load.finish() // after every reader stopped: the latency samples are final
	}
	if o.floor && res.cpuMeasured {
		res.floor, res.floorErr = measureFloor(ctx, o, logw)
	}
	if srv.Started() {
		res.serverLog = srv.LogTail()
	}
	return res, nil
}

// measureFloor runs the floor relay with the load maju just had: the same connections and rate, for the
// same whole seconds.
func measureFloor(ctx context.Context, o options, logw io.Writer) (*floor.Result, error) {
	fo := floor.Options{Conns: o.conns, Rate: max(1, int(math.Round(o.rate))),
		Duration: max(time.Second, o.duration.Truncate(time.Second)), Loop: floor.Goroutines}
	fmt.Fprintf(logw, "signaling: the floor relay, %d connections at %d records/s for %v ...\n", fo.Conns, fo.Rate, fo.Duration)
	res, err := floor.Measure(ctx, fo)
	return &res, err
}

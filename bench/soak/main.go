// Command soak is maju's bounded soak test of seats that drop and resume. It starts one maju server on
// 127.0.0.1 (building it first unless -maju names a binary) with -resume-grace set and the per-address
// limits lifted, seats -rooms pairs of clients, and for -duration lets every pair talk (offers, answers
// and candidates with per-pair sequence numbers) while, at random (seeded), one side drops its socket
// and resumes within the grace, comes back after it, reloads, or hangs up for a newcomer, or both sides
// drop. Every event each side receives is checked against docs/protocol.md, and every relayed message
// between the two live seats of a stable pair must arrive once, in order, at the right seat. At the end
// every client leaves and the server must come back to its baseline: no connection, no room, its idle
// goroutine count, and its resident memory within -rss-bound-mib.
//
//	go run ./bench/soak                       # 2,000 rooms (4,000 clients) for 3 minutes
//	go run ./bench/soak -short -markdown      # smoke test: 100 rooms for 20 s, no wait for a GC
//
// It exits 1 when any invariant is violated, and 2 when the run could not be set up. All traffic stays
// on 127.0.0.0/8; every phase is bounded in time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/maju-call/maju/bench/internal/cli"
	"github.com/maju-call/maju/bench/internal/majuproc"
)

func main() { cli.Main(run) }

// options are the command-line settings.
type options struct {
	majuPath   string
	url        string
	metricsURL string
	pid        int
	serverArgs string
	serverEnv  string

	rooms       int
	duration    time.Duration
	grace       time.Duration
	margin      time.Duration
	actionEvery time.Duration
	talkEvery   time.Duration
	size        int
	mix         mix
	mixText     string
	sourceIPs   int
	dialConc    int
	seed        uint64

	setupLimit   time.Duration
	eventTimeout time.Duration
	drain        time.Duration
	settleLimit  time.Duration
	rssBoundMiB  float64
	goroutSlack  int
	waitGC       bool
	timeout      time.Duration
	markdown     bool
	short        bool
}

// shortDefaults are what -short changes, unless the flag is given too.
var shortDefaults = map[string]string{"rooms": "100", "duration": "20s", "action-every": "3s", "wait-gc": "false"}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench/soak [flags]\n\n"+
			"Soak-tests maju's seats on loopback: pairs that talk while their sockets drop, resume, reload and\n"+
			"hang up; checks every event and message, then that the server is back to its baseline.\n"+
			"Exits 1 on any violated invariant, 2 if the run cannot start.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.majuPath, "maju", "", "maju binary to start (default: go build ./cmd/maju into a temporary directory)")
	fs.StringVar(&o.url, "url", "", "use an already running server at this loopback base URL (it must run with -resume-grace = -grace and limits lifted)")
	fs.StringVar(&o.metricsURL, "metrics-url", "", "with -url: the server's loopback /metrics URL, for the baseline checks (empty: not checked)")
	fs.IntVar(&o.pid, "pid", 0, "with -url: the server's process id, to read its RSS and CPU time from /proc (0: not measured)")
	fs.StringVar(&o.serverArgs, "server-args", "", "extra space-separated flags for the started maju")
	fs.StringVar(&o.serverEnv, "server-env", "", "extra space-separated NAME=value environment for the started maju")
	fs.IntVar(&o.rooms, "rooms", 2000, "rooms, each with two clients")
	fs.DurationVar(&o.duration, "duration", 3*time.Minute, "length of the churn phase (after every room is paired)")
	fs.DurationVar(&o.grace, "grace", 5*time.Second, "the server's -resume-grace")
	fs.DurationVar(&o.margin, "margin", 1500*time.Millisecond, "safety margin on either side of the grace: resumes come before grace − margin, late returns after the peer heard peer-left")
	fs.DurationVar(&o.actionEvery, "action-every", 15*time.Second, "mean time a pair stays stable before its next action (uniform 0.5×–1.5×)")
	fs.DurationVar(&o.talkEvery, "talk-every", 2*time.Second, "mean time between two messages of one client while its pair is stable")
	fs.IntVar(&o.size, "size", 200, "bytes of each talk message's sdp or candidate string")
	fs.StringVar(&o.mixText, "mix", defaultMix, "weights of the actions: "+strings.Join(actionNames[:], ", "))
	fs.IntVar(&o.sourceIPs, "source-ips", 4, "loopback source addresses, 127.0.0.2 and up, the clients are spread over (0: the kernel's choice)")
	fs.IntVar(&o.dialConc, "dial-concurrency", 64, "connections being dialed at once")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of every random choice (0: random, printed)")
	fs.DurationVar(&o.setupLimit, "setup-timeout", 3*time.Minute, "bound on seating every room at the start")
	fs.DurationVar(&o.eventTimeout, "event-timeout", 20*time.Second, "bound on waiting for one expected event (peer-left after a drop: the grace on top)")
	fs.DurationVar(&o.drain, "drain", 30*time.Second, "bound on waiting for a pair's messages in flight before an action")
	fs.DurationVar(&o.settleLimit, "settle-limit", 150*time.Second, "bound on waiting for the server to come back to its baseline (Go forces a GC every 2 minutes)")
	fs.Float64Var(&o.rssBoundMiB, "rss-bound-mib", 20, "most the server's RSS may stay above its baseline at the end, MiB")
	fs.IntVar(&o.goroutSlack, "goroutine-slack", 5, "most goroutines the server may hold above its baseline at the end")
	fs.BoolVar(&o.waitGC, "wait-gc", true, "once the server is back at its baseline, wait (within -settle-limit) for two GCs, or one, and check again")
	fs.DurationVar(&o.timeout, "timeout", 0, "bound on the whole run (0: setup + duration + settle limit + 5 minutes)")
	fs.BoolVar(&o.markdown, "markdown", false, "also print the result as a markdown table row for docs/benchmarks.md")
	fs.BoolVar(&o.short, "short", false, "smoke test: -rooms 100 -duration 20s -action-every 3s -wait-gc=false unless given")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.short {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for name, v := range shortDefaults {
			if !given[name] {
				_ = fs.Set(name, v)
			}
		}
	}
	return o, o.validate()
}

func (o *options) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.rooms < 1 || o.rooms > 100_000 {
		bad("-rooms: %d is outside 1–100000", o.rooms)
	}
	if o.grace < time.Second || o.grace > 10*time.Minute {
		bad("-grace: %v is outside 1s–10m (the server's -resume-grace range)", o.grace)
	}
	if g := min(o.grace, unloadGrace); o.margin <= 0 || 3*o.margin >= 2*g {
		bad("-margin: %v must be above 0 and below ⅔ of the shortest grace, %v", o.margin, g)
	}
	if o.size < 40 || o.size > 60000 {
		bad("-size: %d is outside 40–60000", o.size)
	}
	if o.sourceIPs < 0 || o.sourceIPs > 250 {
		bad("-source-ips: %d is outside 0–250", o.sourceIPs)
	}
	if o.dialConc < 1 || o.dialConc > 10000 {
		bad("-dial-concurrency: %d is outside 1–10000", o.dialConc)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		min  time.Duration
	}{
		{"duration", o.duration, time.Second}, {"action-every", o.actionEvery, 10 * time.Millisecond},
		{"talk-every", o.talkEvery, time.Millisecond}, {"setup-timeout", o.setupLimit, time.Second},
		{"event-timeout", o.eventTimeout, 100 * time.Millisecond}, {"drain", o.drain, 10 * time.Millisecond},
		{"settle-limit", o.settleLimit, 0}, {"timeout", o.timeout, 0},
	} {
		if d.v < d.min || d.v > 24*time.Hour {
			bad("-%s: %v is outside %v–24h", d.name, d.v, d.min)
		}
	}
	if o.rssBoundMiB <= 0 || o.goroutSlack < 0 {
		bad("-rss-bound-mib must be above 0 and -goroutine-slack at least 0")
	}
	m, err := parseMix(o.mixText)
	if err != nil {
		bad("-mix: %v", err)
	}
	o.mix = m
	for _, kv := range strings.Fields(o.serverEnv) {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			bad("-server-env: %q is not NAME=value", kv)
		}
	}
	if o.url != "" && (o.majuPath != "" || o.serverArgs != "" || o.serverEnv != "") {
		bad("-url excludes -maju, -server-args and -server-env: the server is already running")
	}
	if (o.pid != 0 || o.metricsURL != "") && o.url == "" {
		bad("-pid and -metrics-url need -url")
	}
	for _, u := range []string{o.url, o.metricsURL} {
		if u != "" {
			if err := majuproc.CheckLoopbackURL(u); err != nil {
				bad("%v", err)
			}
		}
	}
	if o.timeout == 0 {
		o.timeout = o.setupLimit + o.duration + o.settleLimit + 5*time.Minute
	}
	return errors.Join(errs...)
}

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cli.Run(ctx, cli.Tool[options, *result]{
		Name: "soak", Parse: parseFlags, Execute: execute,
		Timeout: func(o options) time.Duration { return o.timeout },
	}, args, stdout, stderr)
}

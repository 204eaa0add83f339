// Command turnrelay measures how many relayed calls maju's embedded TURN server (internal/turn) carries
// on this machine. It re-executes itself in -serve mode as the server: turn.NewServer on a 127.0.0.1 UDP
// socket with relay sockets on 127.0.0.1, so the server's CPU time and RSS are read from /proc apart from
// the load generator. The generator then runs calls in steps (-calls 10,25,50,…): a call is two pion/turn
// clients, each with an allocation and a permission for the other's relayed address, each sending a
// video-like stream (-bitrate per direction in -packet-size datagrams, paced) through its relay to the
// other's relayed address, so every packet crosses the server twice, as in a call where both browsers
// relay. pion binds a channel on the first write, as browsers do, so the steady state is ChannelData.
//
//	go run ./bench/turnrelay                                 # steps up to 600 calls, 10 s each
//	go run ./bench/turnrelay -calls 10,50 -duration 5s       # quick run
//	unshare -n sh -c 'ip link set lo up && exec go run ./bench/turnrelay -markdown'
//
// Each step reports packets sent and received, loss, relayed throughput, the server's CPU (cores used,
// CPU-seconds per relayed GB, per call), the generator's CPU, the server's RSS and the kernel's UDP drop
// counters. It stops after the first step that loses more than -max-loss percent or where the generator
// cannot send its load, or at the last step. Exit status 1 when the run itself failed (an allocation,
// a permission or the server broke, or allocations leaked), 2 when it could not start. All traffic is on
// 127.0.0.1; every phase is bounded in time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command-line settings.
type options struct {
	serve bool // internal: run as the TURN server child

	calls      []int
	duration   time.Duration
	warmup     time.Duration
	drain      time.Duration
	bitrate    float64 // payload bits per second, per direction
	packetSize int     // payload bytes per datagram
	maxLoss    float64 // percent
	senders    int
	setupConc  int
	keepGoing  bool

	minPort, maxPort uint16
	serverSockets    int
	serverCPU        int // pin the server to this CPU and the generator to the others; -1: no pinning
	serverRcvBuf     int
	serverEnv        string
	profileDir       string

	timeout  time.Duration
	markdown bool
}

const maxCalls = 2000

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("turnrelay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench/turnrelay [flags]\n\n"+
			"Relay throughput of maju's embedded TURN server on loopback: calls of two relayed pion/turn clients,\n"+
			"stepped up until loss exceeds -max-loss. Run it in a loopback-only namespace when root:\n"+
			"  unshare -n sh -c 'ip link set lo up && exec go run ./bench/turnrelay'\n\n")
		fs.PrintDefaults()
	}
	calls := fs.String("calls", "10,25,50,75,100,125,150,200,300,400", "comma-separated numbers of concurrent calls, one step each (ascending)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured window of each step")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "load before each step's measured window")
	fs.DurationVar(&o.drain, "drain", 2*time.Second, "bound on waiting for in-flight packets after each step")
	fs.Float64Var(&o.bitrate, "bitrate", 1.5e6, "payload bits per second per direction of a call")
	fs.IntVar(&o.packetSize, "packet-size", 1100, "payload bytes per datagram (RTP-sized video packets)")
	fs.Float64Var(&o.maxLoss, "max-loss", 1, "stop after the first step losing more than this percentage")
	fs.IntVar(&o.senders, "senders", 4, "sender goroutines in the generator (each paces a share of the streams every 1 ms)")
	fs.IntVar(&o.setupConc, "setup-concurrency", 16, "calls being set up at once")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "run every step even after one exceeded -max-loss")
	ports := fs.String("relay-ports", "20000-29999", "relay port range of the server (min-max)")
	fs.IntVar(&o.serverSockets, "server-sockets", 1, "UDP sockets the server listens on (more than 1: SO_REUSEPORT on one port, one pion read loop each)")
	fs.IntVar(&o.serverCPU, "server-cpu", -1, "pin the server to this CPU and the generator to all others (sched_setaffinity), so the server has exactly one CPU (-1: no pinning)")
	fs.IntVar(&o.serverRcvBuf, "server-rcvbuf", 0, "SO_RCVBUF for the server's listening socket(s), bytes (0: the kernel default; capped by net.core.rmem_max)")
	fs.StringVar(&o.serverEnv, "server-env", "", "extra space-separated NAME=value environment for the server child (e.g. \"GOMAXPROCS=1\")")
	fs.StringVar(&o.profileDir, "server-profile", "", "directory to write the server's CPU profile of each measured window (cpu-N.pprof) and its mutex profile (mutex-N.pprof)")
	fs.DurationVar(&o.timeout, "timeout", 20*time.Minute, "bound on the whole run")
	fs.BoolVar(&o.markdown, "markdown", false, "also print the results as a markdown table for docs/benchmarks.md")
	fs.BoolVar(&o.serve, "serve", false, "internal: run as the TURN server child")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for f := range strings.SplitSeq(*calls, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > maxCalls {
			bad("-calls: %q is not a number of calls 1–%d", f, maxCalls)
			continue
		}
		o.calls = append(o.calls, n)
	}
	if len(o.calls) == 0 || !slices.IsSorted(o.calls) || len(slices.Compact(slices.Clone(o.calls))) != len(o.calls) {
		bad("-calls: %q must be ascending and distinct", *calls)
	}
	lo, hi, ok := strings.Cut(*ports, "-")
	minP, err1 := strconv.ParseUint(lo, 10, 16)
	maxP, err2 := strconv.ParseUint(hi, 10, 16)
	if !ok || err1 != nil || err2 != nil || minP < 1024 || minP > maxP {
		bad("-relay-ports: %q is not a range min-max within 1024–65535", *ports)
	} else {
		o.minPort, o.maxPort = uint16(minP), uint16(maxP)
		if len(o.calls) > 0 && int(maxP-minP+1) < 4*o.calls[len(o.calls)-1] {
			bad("-relay-ports: %q has too few ports for %d allocations", *ports, 2*o.calls[len(o.calls)-1])
		}
	}
	for _, d := range []struct {
		name   string
		v      time.Duration
		lo, hi time.Duration
	}{
		{"duration", o.duration, time.Second, 10 * time.Minute},
		{"warmup", o.warmup, 0, time.Minute},
		{"drain", o.drain, 100 * time.Millisecond, time.Minute},
		{"timeout", o.timeout, time.Second, 3 * time.Hour},
	} {
		if d.v < d.lo || d.v > d.hi {
			bad("-%s: %v is outside %v–%v", d.name, d.v, d.lo, d.hi)
		}
	}
	if o.packetSize < headerLen || o.packetSize > 1400 {
		bad("-packet-size: %d is outside %d–1400", o.packetSize, headerLen)
	}
	if o.bitrate < 8*float64(o.packetSize) || o.bitrate > 100e6 {
		bad("-bitrate: %v must be at least one packet per second and at most 100 Mbit/s", o.bitrate)
	}
	if o.maxLoss < 0 || o.maxLoss > 100 {
		bad("-max-loss: %v is outside 0–100", o.maxLoss)
	}
	if o.senders < 1 || o.senders > 64 {
		bad("-senders: %d is outside 1–64", o.senders)
	}
	if o.setupConc < 1 || o.setupConc > 256 {
		bad("-setup-concurrency: %d is outside 1–256", o.setupConc)
	}
	if o.serverSockets < 1 || o.serverSockets > 16 {
		bad("-server-sockets: %d is outside 1–16", o.serverSockets)
	}
	// The child inherits the generator's CPU mask, so only the generator checks the CPU number.
	if !o.serve && (o.serverCPU < -1 || o.serverCPU >= runtime.NumCPU() || (o.serverCPU >= 0 && runtime.NumCPU() < 2)) {
		bad("-server-cpu: %d is not one of this machine's %d CPUs (and at least one must be left for the generator)", o.serverCPU, runtime.NumCPU())
	}
	if o.serverRcvBuf < 0 || o.serverRcvBuf > 256<<20 {
		bad("-server-rcvbuf: %d is outside 0–256 MiB", o.serverRcvBuf)
	}
	for _, kv := range strings.Fields(o.serverEnv) {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			bad("-server-env: %q is not NAME=value", kv)
		}
	}
	return o, errors.Join(errs...)
}

// pps is the packet rate of one direction of a call.
func (o options) pps() float64 { return o.bitrate / 8 / float64(o.packetSize) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "turnrelay:", err)
		return 2
	}
	if o.serve {
		if err := serve(o, os.Stdin, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "turnrelay -serve:", err)
			return 1
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	return bench(ctx, o, stdout, stderr)
}

// Package floor measures what the cheapest possible relay costs on this machine: the floor under
// bench/signaling's "server CPU per 100k messages". Its relay is a child process holding loopback TCP
// connections in pairs that reads fixed 256-byte records and writes each to the paired connection: no
// WebSocket framing, no JSON, no allocation, no queue. Loop "goroutines" runs one goroutine per
// connection, the shape of every Go server built on net; "epoll" runs one OS thread over level-triggered
// epoll with no goroutine wakes at all, optionally sleeping Batch before each epoll_wait so one wake
// serves many records. Measure sends records at Rate to random connections, checks that all arrive, and
// reads the child's CPU time from /proc. maju cannot relay a message for less.
//
// The child is this same program started again with an environment variable set: every program that
// calls Measure must call ServeIfChild first thing in main (or TestMain).
package floor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/maju-call/maju/bench/internal/proc"
)

// RecordSize is the size of every relayed record, about that of a relayed signaling offer.
const RecordSize = 256

// The relay designs.
const (
	Goroutines = "goroutines"
	Epoll      = "epoll"
)

// Options describe one measurement.
type Options struct {
	Conns    int           // connections, in pairs (even, 2–200,000)
	Rate     int           // records a second (1–1,000,000)
	Duration time.Duration // of the load (up to an hour)
	Loop     string        // Goroutines or Epoll
	Batch    time.Duration // with Epoll: sleep before each epoll_wait (0–1 s)
}

// Validate reports what is wrong with o.
func (o Options) Validate() error {
	var errs []error
	if o.Conns < 2 || o.Conns%2 != 0 || o.Conns > 200000 {
		errs = append(errs, fmt.Errorf("connections: %d must be even, 2–200000", o.Conns))
	}
	if o.Rate < 1 || o.Rate > 1_000_000 {
		errs = append(errs, fmt.Errorf("rate: %d is outside 1–1000000", o.Rate))
	}
	if o.Duration < time.Second || o.Duration > time.Hour {
		errs = append(errs, fmt.Errorf("duration: %v is outside 1s–1h", o.Duration))
	}
	if o.Loop != Goroutines && o.Loop != Epoll {
		errs = append(errs, fmt.Errorf("loop: %q is neither %s nor %s", o.Loop, Goroutines, Epoll))
	}
	if o.Batch < 0 || o.Batch > time.Second || (o.Batch > 0 && o.Loop != Epoll) {
		errs = append(errs, fmt.Errorf("batch wait: %v must be 0–1s, and only with %s", o.Batch, Epoll))
	}
	return errors.Join(errs...)
}

// Design names the relay design in words.
func (o Options) Design() string {
	switch {
	case o.Loop == Epoll && o.Batch > 0:
		return "one epoll thread, batches every " + o.Batch.String()
	case o.Loop == Epoll:
		return "one epoll thread"
	}
	return "a goroutine per connection"
}

// Result is what one measurement found.
type Result struct {
	Options
	Records int64   // sent
	Arrived int64   // received back through the relay
	CPU     float64 // the relay's CPU seconds over the load
}

// Per100k is the relay's CPU seconds per 100,000 records.
func (r Result) Per100k() float64 {
	if r.Records == 0 {
		return 0
	}
	return r.CPU / float64(r.Records) * 1e5
}

func (r Result) String() string {
	return fmt.Sprintf("floor relay (%s): %d connections, %d records of %d B at %d/s: %d arrived; relay CPU %.2f s = %.2f s per 100k = %.1f µs per record",
		r.Design(), r.Conns, r.Records, RecordSize, r.Rate, r.Arrived, r.CPU, r.Per100k(), r.Per100k()*10)
}

// childEnv carries the relay's settings to the child: "conns loop batch limit".
const childEnv = "MAJU_BENCH_FLOOR_RELAY"

// ServeIfChild runs the relay and exits when this process is a relay child Measure started; otherwise it
// returns at once.
func ServeIfChild() {
	spec, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	n, loop, batch, limit, err := parseChildSpec(spec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor relay child: bad %s %q: %v\n", childEnv, spec, err)
		os.Exit(2)
	}
	if err := serve(n, loop, batch, limit); err != nil {
		fmt.Fprintln(os.Stderr, "floor relay child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func childSpec(o Options, limit time.Duration) string {
	return fmt.Sprintf("%d %s %v %v", o.Conns, o.Loop, o.Batch, limit)
}

func parseChildSpec(spec string) (n int, loop string, batch, limit time.Duration, err error) {
	f := strings.Fields(spec)
	if len(f) != 4 {
		return 0, "", 0, 0, errors.New("want 4 fields")
	}
	loop = f[1]
	n, err = strconv.Atoi(f[0])
	if err == nil {
		batch, err = time.ParseDuration(f[2])
	}
	if err == nil {
		limit, err = time.ParseDuration(f[3])
	}
	return n, loop, batch, limit, err
}

// serve accepts n connections on 127.0.0.1, each announcing its index, and relays records within pairs
// (i, i^1) until the connections close or limit passes.
func serve(n int, loop string, batch, limit time.Duration) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr())
	conns := make([]net.Conn, n)
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(2 * time.Minute))
	for range n {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		var id [4]byte
		if _, err := io.ReadFull(c, id[:]); err != nil {
			return err
		}
		i := int(id[0]) | int(id[1])<<8 | int(id[2])<<16
		if i >= n || conns[i] != nil {
			return fmt.Errorf("bad connection index %d", i)
		}
		conns[i] = c
	}
	time.AfterFunc(limit, func() { os.Exit(3) }) // never outlive a lost parent
	if loop == Epoll {
		return relayEpoll(conns, batch)
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			buf := make([]byte, RecordSize)
			peer := conns[i^1]
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				if _, err := peer.Write(buf); err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// Measure starts the relay child, connects o.Conns connections to it, sends o.Rate records a second for
// o.Duration to random connections, waits (at most 10 s) for all to come back through the relay and
// returns the relay's CPU time. The error is non-nil when records were lost or could not be sent.
func Measure(ctx context.Context, o Options) (Result, error) {
	res := Result{Options: o}
	if err := o.Validate(); err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration+5*time.Minute)
	defer cancel()
	if err := proc.RaiseFileLimit(uint64(o.Conns) + 1024); err != nil {
		return res, err
	}
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), childEnv+"="+childSpec(o, o.Duration+5*time.Minute))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return res, fmt.Errorf("relay child printed no address: %v", err)
	}
	addr := strings.TrimSpace(line)
	if host, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(host).IsLoopback() {
		return res, fmt.Errorf("relay child listens on %q, not loopback", addr)
	}
	conns, err := dial(ctx, addr, o.Conns)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	if err != nil {
		return res, err
	}
	var arrived atomic.Int64
	for _, c := range conns {
		go countRecords(c, &arrived)
	}
	// Let the child park every reader (10,000 connections: about 2 s).
	time.Sleep(200*time.Millisecond + time.Duration(o.Conns)*200*time.Microsecond)

	cpu0, err := proc.CPUSeconds(cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	sent, sendErr := send(ctx, conns, o.Rate, int64(o.Rate)*int64(o.Duration/time.Second))
	for deadline := time.Now().Add(10 * time.Second); arrived.Load() < sent && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	cpu1, err := proc.CPUSeconds(cmd.Process.Pid)
	if err != nil {
		return res, err
	}
	res.Records, res.Arrived, res.CPU = sent, arrived.Load(), cpu1-cpu0
	switch {
	case sendErr != nil:
		return res, fmt.Errorf("send: %w", sendErr)
	case res.Arrived != res.Records:
		return res, fmt.Errorf("%d of %d records were lost", res.Records-res.Arrived, res.Records)
	}
	return res, nil
}

// dial opens n connections to addr, each announcing its index in its first 4 bytes.
func dial(ctx context.Context, addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	d := net.Dialer{Timeout: 10 * time.Second}
	for i := range n {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return conns, fmt.Errorf("dial %d: %w", i, err)
		}
		conns = append(conns, c)
		if _, err := c.Write([]byte{byte(i), byte(i >> 8), byte(i >> 16), 0}); err != nil {
			return conns, err
		}
	}
	return conns, nil
}

func countRecords(c net.Conn, arrived *atomic.Int64) {
	buf := make([]byte, RecordSize)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		arrived.Add(1)
	}
}

// send writes total records at rate a second, each to a random connection, from 32 goroutines (writes
// to one connection are serialized). It returns how many were written and the first error.
func send(ctx context.Context, conns []net.Conn, rate int, total int64) (int64, error) {
	locks := make([]sync.Mutex, len(conns))
	jobs := make(chan struct{}, 1024)
	var wg sync.WaitGroup
	var sent atomic.Int64
	var firstErr atomic.Pointer[error]
	for w := range 32 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			buf := make([]byte, RecordSize)
			for range jobs {
				i := rng.IntN(len(conns))
				locks[i].Lock()
				_ = conns[i].SetWriteDeadline(time.Now().Add(10 * time.Second))
				if _, err := conns[i].Write(buf); err != nil {
					firstErr.CompareAndSwap(nil, &err)
				} else {
					sent.Add(1)
				}
				locks[i].Unlock()
			}
		})
	}
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for s := int64(0); s < total && ctx.Err() == nil; s++ {
		if wait := time.Until(start.Add(time.Duration(s) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return sent.Load(), *p
	}
	return sent.Load(), ctx.Err()
}

// Command floorrelay measures what the cheapest possible relay costs on this machine, as a floor for
// bench/signaling's "server CPU per 100k messages". Its server is a child process holding -conns loopback
// TCP connections in pairs that reads fixed 256-byte records and writes each to the paired connection: no
// WebSocket framing, no JSON, no allocation, no queue. -loop goroutines (the default) runs one goroutine
// per connection, the shape of every Go server built on net; -loop epoll runs one OS thread over
// level-triggered epoll, with no goroutine wakes at all, optionally sleeping -batch-wait before each
// epoll_wait so that one wake serves many records. The parent sends records at -rate to random
// connections, checks that all arrive, and reads the child's CPU time from /proc. maju cannot relay a
// message for less than this.
//
//	go run ./bench/floorrelay                             # 10,000 connections, 4,000 records/s for 20 s
//	go run ./bench/floorrelay -loop epoll -batch-wait 4ms # the same through one epoll thread, in batches
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
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

const recordSize = 256

func main() {
	conns := flag.Int("conns", 10000, "connections, in pairs (even)")
	rate := flag.Int("rate", 4000, "records relayed per second")
	duration := flag.Duration("duration", 20*time.Second, "length of the load")
	loop := flag.String("loop", "goroutines", "relay design: goroutines (one per connection) or epoll (one thread, level-triggered epoll)")
	batch := flag.Duration("batch-wait", 0, "with -loop epoll: sleep this long before each epoll_wait, so one wake handles every record that arrived meanwhile (adds up to this much latency)")
	serve := flag.Bool("serve", false, "internal: run as the relay child")
	flag.Parse()
	if *conns < 2 || *conns%2 != 0 || *conns > 200000 || *rate < 1 || *rate > 1_000_000 ||
		*duration <= 0 || *duration > time.Hour || (*loop != "goroutines" && *loop != "epoll") ||
		*batch < 0 || *batch > time.Second || (*batch > 0 && *loop != "epoll") {
		fmt.Fprintln(os.Stderr, "floorrelay: -conns must be even 2–200000, -rate 1–1000000, -duration up to 1h, -loop goroutines or epoll, -batch-wait 0–1s with -loop epoll")
		os.Exit(2)
	}
	var err error
	if *serve {
		err = runServer(*conns, *loop, *batch, *duration+5*time.Minute)
	} else {
		err = runClient(*conns, *rate, *duration, *loop, *batch)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floorrelay:", err)
		os.Exit(1)
	}
}

// runServer accepts n connections on 127.0.0.1, each announcing its index, and relays records within
// pairs (i, i^1) until the connections close or limit passes.
func runServer(n int, loop string, batch, limit time.Duration) error {
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
	if loop == "epoll" {
		return relayEpoll(conns, batch)
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, recordSize)
			peer := conns[i^1]
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				if _, err := peer.Write(buf); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

func runClient(n, rate int, duration time.Duration, loop string, batch time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), duration+5*time.Minute)
	defer cancel()
	raiseFileLimit(uint64(n) + 1024)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "-serve", "-loop", loop, "-batch-wait", batch.String(), "-conns", strconv.Itoa(n), "-duration", duration.String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("relay child printed no address: %v", err)
	}
	addr := strings.TrimSpace(line)
	if ip := net.ParseIP(strings.Split(addr, ":")[0]); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("relay child listens on %q, not loopback", addr)
	}

	conns := make([]net.Conn, n)
	d := net.Dialer{Timeout: 10 * time.Second}
	for i := range conns {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("dial %d: %w", i, err)
		}
		defer c.Close()
		if _, err := c.Write([]byte{byte(i), byte(i >> 8), byte(i >> 16), 0}); err != nil {
			return err
		}
		conns[i] = c
	}
	var got atomic.Int64
	for _, c := range conns {
		go func() {
			buf := make([]byte, recordSize)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				got.Add(1)
			}
		}()
	}
	time.Sleep(2 * time.Second) // let the child park every reader

	total := rate * int(duration.Seconds())
	cpu0, err := proc.CPUSeconds(cmd.Process.Pid)
	if err != nil {
		return err
	}
	locks := make([]sync.Mutex, n)
	jobs := make(chan struct{}, 1024)
	var wg sync.WaitGroup
	var sendErr atomic.Pointer[error]
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			buf := make([]byte, recordSize)
			for range jobs {
				i := rng.IntN(n)
				locks[i].Lock()
				_ = conns[i].SetWriteDeadline(time.Now().Add(10 * time.Second))
				if _, err := conns[i].Write(buf); err != nil {
					sendErr.CompareAndSwap(nil, &err)
				}
				locks[i].Unlock()
			}
		}()
	}
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for s := 0; s < total && ctx.Err() == nil; s++ {
		if wait := time.Until(start.Add(time.Duration(s) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	for deadline := time.Now().Add(10 * time.Second); got.Load() < int64(total) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	cpu1, err := proc.CPUSeconds(cmd.Process.Pid)
	if err != nil {
		return err
	}
	cpu := cpu1 - cpu0
	design := loop
	if batch > 0 {
		design += ", batches every " + batch.String()
	}
	fmt.Printf("floor relay (%s): %d connections, %d records of %d B at %d/s: %d arrived; relay CPU %.2f s = %.2f s per 100k = %.1f µs per record\n",
		design, n, total, recordSize, rate, got.Load(), cpu, cpu/float64(total)*1e5, cpu/float64(total)*1e6)
	if p := sendErr.Load(); p != nil {
		return fmt.Errorf("send: %w", *p)
	}
	if got.Load() != int64(total) {
		return errors.New("records were lost")
	}
	return nil
}

func raiseFileLimit(want uint64) {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < want {
		lim.Cur = min(want, lim.Max)
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

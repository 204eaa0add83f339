package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/maju-call/maju/bench/internal/proc"
	"github.com/maju-call/maju/internal/turn"
)

const (
	realm     = "maju.bench"
	secretEnv = "MAJU_TURNRELAY_SECRET"
)

// serve is the child: maju's TURN server on 127.0.0.1, driven by line commands on stdin until stdin
// closes. It prints "listening ADDR" once, then one line per command:
//
//	stats                  → "stats allocs=N goroutines=N heap-inuse=N num-gc=N"
//	profile-start PATH     → "ok" (CPU profile into PATH)
//	profile-stop PATH      → "ok" (ends the CPU profile; writes the mutex profile to PATH)
func serve(o options, stdin io.Reader, stdout, stderr io.Writer) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50) // as cmd/maju does
	}
	if o.serverCPU >= 0 {
		if err := pinProcess([]int{o.serverCPU}); err != nil {
			return err
		}
	}
	secret, err := hex.DecodeString(os.Getenv(secretEnv))
	if err != nil || len(secret) == 0 {
		return fmt.Errorf("%s must hold the hex TURN secret", secretEnv)
	}
	socks, err := listenUDP(o.serverSockets, o.serverRcvBuf)
	if err != nil {
		return err
	}
	loopback := netip.MustParseAddr("127.0.0.1")
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm:              realm,
		Secret:             secret,
		PublicIP:           loopback,
		RelayIP:            loopback,
		MinPort:            o.minPort,
		MaxPort:            o.maxPort,
		AllowLoopbackPeers: true,
		Logger:             slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}, socks, nil)
	if err != nil {
		return err
	}
	defer srv.Close()
	if o.profileDir != "" {
		runtime.SetMutexProfileFraction(100)
	}
	fmt.Fprintln(stdout, "listening", socks[0].LocalAddr(), rcvbufOf(socks[0]))

	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch cmd {
		case "stats":
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(stdout, "stats allocs=%d goroutines=%d heap-inuse=%d num-gc=%d\n",
				srv.AllocationCount(), runtime.NumGoroutine(), ms.HeapInuse, ms.NumGC)
		case "profile-start":
			err := startProfile(arg)
			fmt.Fprintln(stdout, okOrErr(err))
		case "profile-stop":
			pprof.StopCPUProfile()
			err := writeProfile("mutex", arg)
			fmt.Fprintln(stdout, okOrErr(err))
		default:
			fmt.Fprintf(stdout, "error unknown command %q\n", cmd)
		}
	}
	return nil
}

var cpuProfile *os.File

func startProfile(path string) error {
	if cpuProfile != nil {
		_ = cpuProfile.Close()
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cpuProfile = f
	return pprof.StartCPUProfile(f)
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = pprof.Lookup(name).WriteTo(f, 0)
	return errors.Join(err, f.Close())
}

func okOrErr(err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	return "ok"
}

// rcvbufOf returns the socket's effective SO_RCVBUF (the kernel doubles what was asked for).
func rcvbufOf(pc net.PacketConn) int {
	raw, err := pc.(*net.UDPConn).SyscallConn()
	if err != nil {
		return 0
	}
	var n int
	_ = raw.Control(func(fd uintptr) {
		n, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	return n
}

// soReusePort is Linux's SO_REUSEPORT, which package syscall does not name.
const soReusePort = 0xf

// listenUDP opens n UDP sockets on one 127.0.0.1 port (SO_REUSEPORT when n > 1: the kernel spreads
// clients over them by address hash, and pion runs one read loop per socket).
func listenUDP(n, rcvbuf int) ([]net.PacketConn, error) {
	lc := net.ListenConfig{}
	if n > 1 {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
			})
			return errors.Join(err, serr)
		}
	}
	addr := "127.0.0.1:0"
	var socks []net.PacketConn
	for range n {
		pc, err := lc.ListenPacket(context.Background(), "udp4", addr)
		if err != nil {
			for _, s := range socks {
				_ = s.Close()
			}
			return nil, err
		}
		if rcvbuf > 0 {
			if err := pc.(*net.UDPConn).SetReadBuffer(rcvbuf); err != nil {
				_ = pc.Close()
				for _, s := range socks {
					_ = s.Close()
				}
				return nil, err
			}
		}
		socks = append(socks, pc)
		addr = pc.LocalAddr().String()
	}
	return socks, nil
}

// child is the server process as the generator sees it.
type child struct {
	cmd    *exec.Cmd
	pid    int
	addr   string
	rcvbuf int // effective SO_RCVBUF of the listening socket
	stdin  io.WriteCloser
	lines  chan string // stdout lines after "listening"
	exited chan struct{}

	mu       sync.Mutex
	logTail  []string
	logCount int
}

type serverStats struct {
	allocs, goroutines int
	heapInuse          int64
}

// startChild re-executes this program with -serve and waits for its address.
func startChild(ctx context.Context, o options, secret []byte) (_ *child, err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve", "-relay-ports", fmt.Sprintf("%d-%d", o.minPort, o.maxPort),
		"-calls", strconv.Itoa(o.calls[len(o.calls)-1]),
		"-server-sockets", strconv.Itoa(o.serverSockets), "-server-rcvbuf", strconv.Itoa(o.serverRcvBuf)}
	if o.profileDir != "" {
		args = append(args, "-server-profile", o.profileDir)
	}
	if o.serverCPU >= 0 {
		args = append(args, "-server-cpu", strconv.Itoa(o.serverCPU))
	}
	c := &child{lines: make(chan string, 16), exited: make(chan struct{})}
	c.cmd = exec.Command(self, args...)
	c.cmd.Env = append(os.Environ(), secretEnv+"="+hex.EncodeToString(secret))
	c.cmd.Env = append(c.cmd.Env, strings.Fields(o.serverEnv)...)
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	c.pid = c.cmd.Process.Pid
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); c.keepLog(stderr) }()
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case c.lines <- sc.Text(): // answers come one per command, so this never fills
			default:
			}
		}
	}()
	go func() { readers.Wait(); _ = c.cmd.Wait(); close(c.exited) }()

	select {
	case line := <-c.lines:
		rest, ok := strings.CutPrefix(line, "listening ")
		addr, buf, _ := strings.Cut(rest, " ")
		c.rcvbuf, _ = strconv.Atoi(buf)
		ap, err := netip.ParseAddrPort(addr)
		if !ok || err != nil || !ap.Addr().IsLoopback() {
			return nil, fmt.Errorf("server printed %q, not a loopback address", line)
		}
		c.addr = addr
		return c, nil
	case <-c.exited:
		return nil, fmt.Errorf("server exited at start: %s", strings.Join(c.log(), " | "))
	case <-time.After(15 * time.Second):
		return nil, errors.New("server printed no address within 15s")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *child) keepLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		c.mu.Lock()
		c.logCount++
		c.logTail = append(c.logTail, sc.Text())
		if len(c.logTail) > 20 {
			c.logTail = c.logTail[len(c.logTail)-20:]
		}
		c.mu.Unlock()
	}
}

// log returns the number of lines the server logged and the last few.
func (c *child) log() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []string{}
	if c.logCount > len(c.logTail) {
		out = append(out, fmt.Sprintf("(%d earlier lines)", c.logCount-len(c.logTail)))
	}
	return append(out, c.logTail...)
}

func (c *child) logLines() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logCount
}

// command sends one command line and returns the answer.
func (c *child) command(cmd string) (string, error) {
	if _, err := io.WriteString(c.stdin, cmd+"\n"); err != nil {
		return "", fmt.Errorf("server: %w", err)
	}
	select {
	case line := <-c.lines:
		if msg, bad := strings.CutPrefix(line, "error "); bad {
			return "", fmt.Errorf("server: %s", msg)
		}
		return line, nil
	case <-c.exited:
		return "", fmt.Errorf("server exited: %s", strings.Join(c.log(), " | "))
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("server did not answer %q within 10s", cmd)
	}
}

func (c *child) stats() (serverStats, error) {
	line, err := c.command("stats")
	if err != nil {
		return serverStats{}, err
	}
	var s serverStats
	if _, err := fmt.Sscanf(line, "stats allocs=%d goroutines=%d heap-inuse=%d", &s.allocs, &s.goroutines, &s.heapInuse); err != nil {
		return s, fmt.Errorf("server stats %q: %v", line, err)
	}
	return s, nil
}

func (c *child) profileStart(dir string, calls int) error {
	_, err := c.command("profile-start " + filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", calls)))
	return err
}

func (c *child) profileStop(dir string, calls int) error {
	_, err := c.command("profile-stop " + filepath.Join(dir, fmt.Sprintf("mutex-%d.pprof", calls)))
	return err
}

func (c *child) port() int {
	ap, _ := netip.ParseAddrPort(c.addr)
	return int(ap.Port())
}

func (c *child) cpuSeconds() (float64, error) { return proc.CPUSeconds(c.pid) }

func (c *child) rssKiB() (int64, error) { return proc.StatusKiB(c.pid, "VmRSS") }

// stop closes the server's stdin (it closes its server and exits) and kills it after 10 s.
func (c *child) stop() {
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

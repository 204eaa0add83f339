// Package majuproc starts the maju under test for the load tools: it builds ./cmd/maju (or takes a given
// binary), runs it as a child process on a free 127.0.0.1 port, keeps the tail of its log, reads its
// memory and CPU time from /proc, and stops it. It also holds what every tool needs to talk to it:
// the loopback-only URL check, the /healthz wait, and the flags that lift the per-address limits.
package majuproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/maju-call/maju/bench/internal/proc"
)

// Server is the maju under test: a child process Start started, or one given by URL (and PID).
type Server struct {
	BaseURL    string // http://127.0.0.1:PORT
	MetricsURL string // http://127.0.0.1:PORT/metrics when started with -metrics-addr, else ""
	PID        int    // 0: unknown, RSS and CPU are not measured

	name   string // prefix of this package's log lines: the tool's name
	cmd    *exec.Cmd
	bin    string
	env    []string // extra environment of the child
	tmpDir string
	exited chan struct{} // closed when the child has been reaped

	logMu    sync.Mutex
	logLines []string // the last lines the child wrote to stderr
	logCount int
}

// Options say how Start runs maju.
type Options struct {
	Name string   // the tool's name, for log lines ("signaling")
	Bin  string   // maju binary; "" builds ./cmd/maju into a temporary directory (run from the module root)
	Args []string // flags after "-addr 127.0.0.1:0 -log-level info"; later flags win
	Env  []string // extra NAME=value environment
}

const logKeep = 20

// Running describes a server started elsewhere, at a loopback baseURL, with process id pid (0: unknown).
func Running(baseURL string, pid int) *Server {
	return &Server{BaseURL: strings.TrimSuffix(baseURL, "/"), PID: pid}
}

// Start builds maju unless o.Bin names a binary, and starts it on a free loopback port. The child gets
// SIGKILL if this process dies; Stop ends it gracefully.
func Start(ctx context.Context, o Options, logw io.Writer) (_ *Server, err error) {
	srv := &Server{name: o.Name, bin: o.Bin, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			srv.cleanup()
		}
	}()
	if srv.bin == "" {
		if srv.tmpDir, err = os.MkdirTemp("", "maju-bench-"); err != nil {
			return nil, err
		}
		srv.bin = filepath.Join(srv.tmpDir, "maju")
		fmt.Fprintf(logw, "%s: go build -o %s ./cmd/maju\n", o.Name, srv.bin)
		build := exec.CommandContext(ctx, "go", "build", "-o", srv.bin, "./cmd/maju")
		build.Stdout, build.Stderr = logw, logw
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("building maju (run from the module root): %w", err)
		}
	}
	// Port 0: the server picks a free port and prints it, so no other process can take it meanwhile.
	args := append([]string{"-addr", "127.0.0.1:0", "-log-level", "info"}, o.Args...)
	srv.cmd = exec.Command(srv.bin, args...)
	srv.env = o.Env
	srv.cmd.Env = append(os.Environ(), srv.env...)
	// The child inherits the raised RLIMIT_NOFILE; it dies with this process.
	srv.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := srv.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := srv.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := srv.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", srv.bin, err)
	}
	srv.PID = srv.cmd.Process.Pid
	go srv.keepLog(stderr)
	wantMetrics := hasFlag(args, "metrics-addr")
	banner := make(chan [2]string, 1)
	go func() {
		// The banner: "maju listening on URL", then "metrics on URL" when there is a metrics listener.
		var web, metrics string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if u, ok := strings.CutPrefix(line, "maju listening on "); ok && web == "" {
				web = u
			} else if u, ok := strings.CutPrefix(line, "metrics on "); ok && metrics == "" {
				metrics = u
			}
			if web != "" && (metrics != "" || !wantMetrics) {
				banner <- [2]string{web, metrics}
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { _ = srv.cmd.Wait(); close(srv.exited) }()

	select {
	case b := <-banner:
		for _, u := range b {
			if u == "" {
				continue
			}
			if err := CheckLoopbackURL(u); err != nil {
				return nil, fmt.Errorf("maju printed %q: %v", u, err)
			}
		}
		// The banner's URL ends in "/"; the tools append paths ("/ws", "/healthz").
		srv.BaseURL, srv.MetricsURL = strings.TrimSuffix(b[0], "/"), b[1]
		return srv, nil
	case <-srv.exited:
		return nil, fmt.Errorf("maju exited at start: %s", strings.Join(srv.LogTail(), " | "))
	case <-time.After(15 * time.Second):
		return nil, errors.New("maju printed no listening address within 15s")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hasFlag reports whether args set flag name (-name, --name, with or without =value).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		a, ok := strings.CutPrefix(a, "-")
		a = strings.TrimPrefix(a, "-")
		if ok && (a == name || strings.HasPrefix(a, name+"=")) {
			return true
		}
	}
	return false
}

// LiftLimits returns maju flags that take the per-address limits out of a benchmark's way: every bench
// connection comes from 127.0.0.x, so the defaults (20 connections per address, 10 new rooms at once
// and 30 a minute, 20 messages a second per connection) would refuse it. conns is the most connections
// the tool holds at once (each may open a room).
func LiftLimits(conns int) []string {
	n := strconv.Itoa(max(conns, 1))
	return []string{
		"-max-conns-per-ip", n,
		"-room-rate", "1000000", "-room-burst", n,
		"-msg-rate", "1000000", "-msg-burst", "1000000",
	}
}

func (s *Server) keepLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.logMu.Lock()
		s.logCount++
		s.logLines = append(s.logLines, sc.Text())
		if len(s.logLines) > logKeep {
			s.logLines = s.logLines[len(s.logLines)-logKeep:]
		}
		s.logMu.Unlock()
	}
}

// Started reports whether this Server is a child process Start started.
func (s *Server) Started() bool { return s.cmd != nil }

// LogTail returns how many lines the server logged and the last few.
func (s *Server) LogTail() []string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make([]string, 0, len(s.logLines)+1)
	if s.logCount > len(s.logLines) {
		out = append(out, fmt.Sprintf("(%d earlier lines)", s.logCount-len(s.logLines)))
	}
	return append(out, s.logLines...)
}

// Describe says in one line which server this is and how it was started.
func (s *Server) Describe() string {
	switch {
	case s.cmd != nil:
		extra := strings.Join(s.cmd.Args[1:], " ")
		if len(s.env) > 0 {
			extra = strings.Join(s.env, " ") + " " + extra
		}
		return fmt.Sprintf("%s (pid %d) at %s; %s", s.bin, s.PID, s.BaseURL, extra)
	case s.PID != 0:
		return fmt.Sprintf("pid %d at %s", s.PID, s.BaseURL)
	}
	return s.BaseURL + " (RSS and CPU not measured: no -pid)"
}

// Stop ends the child: SIGTERM for a graceful shutdown, SIGKILL if it takes longer than 20 s. A server
// this package did not start is left alone.
func (s *Server) Stop(logw io.Writer) {
	if s.cmd == nil || s.cmd.Process == nil {
		s.cleanup()
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		fmt.Fprintf(logw, "%s: maju did not stop within 20s after SIGTERM; killing it\n", s.name)
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cleanup()
}

func (s *Server) cleanup() {
	if s.cmd != nil && s.cmd.Process != nil && s.exited != nil {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			select {
			case <-s.exited:
			case <-time.After(5 * time.Second):
			}
		}
	}
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}

// RSSKiB returns the server's resident set size (VmRSS) in KiB, or 0 when it cannot be read.
func (s *Server) RSSKiB() int64 {
	if s.PID == 0 {
		return 0
	}
	v, err := proc.StatusKiB(s.PID, "VmRSS")
	if err != nil {
		return 0
	}
	return v
}

// CPUSeconds returns the server's user plus system CPU time so far.
func (s *Server) CPUSeconds() (float64, bool) {
	if s.PID == 0 {
		return 0, false
	}
	secs, err := proc.CPUSeconds(s.PID)
	if err != nil {
		return 0, false
	}
	return secs, true
}

// WaitHealthy polls /healthz until it answers 200, for at most limit.
func WaitHealthy(ctx context.Context, baseURL string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s/healthz not healthy within %v: %v", baseURL, limit, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// CheckLoopbackURL accepts only http URLs whose host is a 127.0.0.0/8 or ::1 address: the tools never
// send load anywhere else.
func CheckLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%q: only http:// URLs", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q: the host must be a loopback IP address (127.0.0.0/8 or ::1)", raw)
	}
	return nil
}

// WebSocketURL is the signaling endpoint of the server at baseURL.
func WebSocketURL(baseURL string) string {
	return "ws" + strings.TrimPrefix(baseURL, "http") + "/ws"
}

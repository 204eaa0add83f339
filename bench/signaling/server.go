package main

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

// majuProc is the maju under test: a child process this tool started, or one given by -url (and -pid).
type majuProc struct {
	baseURL string
	pid     int // 0: unknown, RSS and CPU are not measured
	cmd     *exec.Cmd
	bin     string
	env     []string // extra environment of the child
	tmpDir  string
	exited  chan struct{} // closed when the child has been reaped

	logMu    sync.Mutex
	logLines []string // the last lines the child wrote to stderr
	logCount int
}

const logKeep = 20

// startServer builds maju unless o.majuPath names a binary, and starts it on a free loopback port.
func startServer(ctx context.Context, o options, logw io.Writer) (_ *majuProc, err error) {
	srv := &majuProc{bin: o.majuPath, exited: make(chan struct{})}
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
		fmt.Fprintln(logw, "signaling: go build -o", srv.bin, "./cmd/maju")
		build := exec.CommandContext(ctx, "go", "build", "-o", srv.bin, "./cmd/maju")
		build.Stdout, build.Stderr = logw, logw
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("building maju (run from the module root): %w", err)
		}
	}
	// Port 0: the server picks a free port and prints it, so no other process can take it meanwhile.
	args := []string{"-addr", "127.0.0.1:0", "-max-connections", strconv.Itoa(o.conns + 1000), "-log-level", "info"}
	args = append(args, strings.Fields(o.serverArgs)...)
	srv.cmd = exec.Command(srv.bin, args...)
	srv.env = strings.Fields(o.serverEnv)
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
	srv.pid = srv.cmd.Process.Pid
	go srv.keepLog(stderr)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "maju listening on "); ok {
				select {
				case urls <- strings.TrimSpace(u):
				default:
				}
			}
		}
	}()
	go func() { _ = srv.cmd.Wait(); close(srv.exited) }()

	select {
	case u := <-urls:
		if err := checkLoopbackURL(u); err != nil {
			return nil, fmt.Errorf("maju printed %q: %v", u, err)
		}
		srv.baseURL = u
		return srv, nil
	case <-srv.exited:
		return nil, fmt.Errorf("maju exited at start: %s", strings.Join(srv.logTail(), " | "))
	case <-time.After(15 * time.Second):
		return nil, errors.New("maju printed no listening address within 15s")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *majuProc) keepLog(r io.Reader) {
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

// logTail returns how many lines the server logged and the last few.
func (s *majuProc) logTail() []string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make([]string, 0, len(s.logLines)+1)
	if s.logCount > len(s.logLines) {
		out = append(out, fmt.Sprintf("(%d earlier lines)", s.logCount-len(s.logLines)))
	}
	return append(out, s.logLines...)
}

func (s *majuProc) describe() string {
	switch {
	case s.cmd != nil:
		extra := strings.Join(s.cmd.Args[1:], " ")
		if len(s.env) > 0 {
			extra = strings.Join(s.env, " ") + " " + extra
		}
		return fmt.Sprintf("%s (pid %d) at %s; %s", s.bin, s.pid, s.baseURL, extra)
	case s.pid != 0:
		return fmt.Sprintf("pid %d at %s", s.pid, s.baseURL)
	}
	return s.baseURL + " (RSS and CPU not measured: no -pid)"
}

// stop ends the child: SIGTERM for a graceful shutdown, SIGKILL if it takes longer than 20 s.
func (s *majuProc) stop(logw io.Writer) {
	if s.cmd == nil || s.cmd.Process == nil {
		s.cleanup()
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		fmt.Fprintln(logw, "signaling: maju did not stop within 20s after SIGTERM; killing it")
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cleanup()
}

func (s *majuProc) cleanup() {
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

// rssKiB returns the server's resident set size (VmRSS) in KiB, or 0 when it cannot be read.
func (s *majuProc) rssKiB() int64 {
	if s.pid == 0 {
		return 0
	}
	v, err := proc.StatusKiB(s.pid, "VmRSS")
	if err != nil {
		return 0
	}
	return v
}

// cpuSeconds returns the server's user plus system CPU time so far.
func (s *majuProc) cpuSeconds() (float64, bool) {
	if s.pid == 0 {
		return 0, false
	}
	secs, err := proc.CPUSeconds(s.pid)
	if err != nil {
		return 0, false
	}
	return secs, true
}

// waitHealthy polls /healthz until it answers 200, for at most limit.
func waitHealthy(ctx context.Context, baseURL string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
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

// checkLoopbackURL accepts only http URLs whose host is a 127.0.0.0/8 or ::1 address: this tool never
// sends load anywhere else.
func checkLoopbackURL(raw string) error {
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

package integration

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// A real coturn (Debian package coturn) for the interop tests: the REST credentials maju mints must be
// the ones coturn accepts with the same static-auth-secret.
const (
	coturnRealm = "maju.test"
	// Relay ports coturn allocates from. Above Linux's default ephemeral range (32768-60999), so the
	// :0 sockets of other tests do not take them; coturn tries another port if one is busy anyway.
	coturnMinPort, coturnMaxPort = 61000, 61999
	// coturnStartTimeout bounds one start attempt: coturn answers a Binding in about 50 ms here.
	coturnStartTimeout = 5 * time.Second
)

// coturnSysProcAttr is set for turnserver's process (coturn_linux_test.go: killed with the test binary).
var coturnSysProcAttr *syscall.SysProcAttr

// coturnServer is one running turnserver, stopped when the test ends.
type coturnServer struct {
	Addr   string // 127.0.0.1:port, the same port for UDP and TCP
	Secret []byte // static-auth-secret, as turn.Mint takes it
	log    *coturnLog
}

// turnserverPath finds coturn's turnserver, or skips the test (fails it when CI=true).
func turnserverPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("turnserver"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("turnserver is not installed (apt-get install -y coturn); the coturn interop tests never skip with CI=true")
	}
	t.Skip("turnserver is not installed (apt-get install -y coturn); skipping the coturn interop tests (they fail instead with CI=true)")
	return ""
}

// startCoturn runs turnserver in the foreground on a free 127.0.0.1 port with a config file, database,
// pid file and log of its own in a temporary folder, and waits until it answers a STUN Binding over UDP
// and accepts TCP. The port is picked free beforehand; if coturn loses it to someone else in between,
// startCoturn tries again (three attempts).
func startCoturn(t *testing.T) *coturnServer {
	t.Helper()
	bin := turnserverPath(t)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	secret := hex.EncodeToString(key)
	var errs []error
	for attempt := 1; attempt <= 3; attempt++ {
		s, err := tryStartCoturn(t, bin, secret)
		if err == nil {
			return s
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
	}
	t.Fatalf("coturn did not start: %v", errors.Join(errs...))
	return nil
}

func tryStartCoturn(t *testing.T, bin, secret string) (*coturnServer, error) {
	dir := t.TempDir()
	port, err := coturnFreePort()
	if err != nil {
		return nil, err
	}
	conf := strings.Join([]string{
		"listening-ip=127.0.0.1",
		"relay-ip=127.0.0.1",
		fmt.Sprintf("listening-port=%d", port),
		fmt.Sprintf("min-port=%d", coturnMinPort),
		fmt.Sprintf("max-port=%d", coturnMaxPort),
		"realm=" + coturnRealm,
		"use-auth-secret",
		"static-auth-secret=" + secret,
		"allow-loopback-peers", // coturn refuses loopback peers by default; every peer here is on loopback
		"no-cli",
		"no-tls",
		"no-dtls",
		"no-rfc5780",
		"fingerprint",
		"userdb=" + filepath.Join(dir, "turndb"), // coturn creates an SQLite database even when it needs none
		"pidfile=" + filepath.Join(dir, "turnserver.pid"),
		"log-file=stdout", // no log file in /var/log
		"simple-log",
	}, "\n") + "\n"
	confPath := filepath.Join(dir, "turnserver.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return nil, err
	}

	s := &coturnServer{Addr: fmt.Sprintf("127.0.0.1:%d", port), Secret: []byte(secret), log: &coturnLog{}}
	cmd := exec.Command(bin, "-c", confPath)
	cmd.Dir = dir
	cmd.SysProcAttr = coturnSysProcAttr
	cmd.Stdout, cmd.Stderr = s.log, s.log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	if err := waitCoturnReady(s.Addr, exited); err != nil {
		stop()
		return nil, fmt.Errorf("%w\ncoturn log:\n%s", err, s.log.String())
	}
	t.Logf("coturn on %s answered a Binding %v after start", s.Addr, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		stop()
		if t.Failed() || os.Getenv("MAJU_TEST_LOG") == "debug" {
			t.Logf("coturn log:\n%s", s.log.String())
		}
	})
	return s, nil
}

// waitCoturnReady sends STUN Binding requests to addr until one is answered, then checks the TCP
// listener; bounded by coturnStartTimeout.
func waitCoturnReady(addr string, exited <-chan error) error {
	server, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return err
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	deadline := time.Now().Add(coturnStartTimeout)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("turnserver exited during start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no STUN Binding answer from %s within %v", addr, coturnStartTimeout)
		}
		res, err := coturnRoundTrip(conn, server, 100*time.Millisecond, stun.BindingRequest, stun.Fingerprint)
		if err != nil {
			continue
		}
		if res.Type != stun.BindingSuccess {
			return fmt.Errorf("Binding answered with %v", res.Type)
		}
		c, err := net.DialTimeout("tcp4", addr, time.Until(deadline))
		if err != nil {
			return fmt.Errorf("TCP listener: %w", err)
		}
		return c.Close()
	}
}

// coturnRoundTrip sends one STUN request over conn and waits up to timeout for the response with the same
// transaction id.
func coturnRoundTrip(conn net.PacketConn, server net.Addr, timeout time.Duration, setters ...stun.Setter) (*stun.Message, error) {
	req, err := stun.Build(append([]stun.Setter{stun.TransactionID}, setters...)...)
	if err != nil {
		return nil, err
	}
	if _, err := conn.WriteTo(req.Raw, server); err != nil {
		return nil, err
	}
	if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return nil, err
		}
		res := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		if res.Decode() == nil && res.TransactionID == req.TransactionID {
			return res, nil
		}
	}
}

// coturnFreePort returns a 127.0.0.1 port that was free for both UDP and TCP a moment ago.
func coturnFreePort() (int, error) {
	for i := 0; i < 20; i++ {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		_ = pc.Close()
		if err == nil {
			_ = l.Close()
			return port, nil
		}
	}
	return 0, errors.New("no port free for both UDP and TCP on 127.0.0.1")
}

// coturnLog collects a child process's output; safe for concurrent use.
type coturnLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *coturnLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *coturnLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

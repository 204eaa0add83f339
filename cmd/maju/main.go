// Command maju runs a maju node: the web client, signaling for rooms of two, and the STUN/TURN relay.
// `maju version` prints the build. `maju doctor URL` checks a running deployment the way a call would. `maju -h` lists every setting; each flag has a MAJU_* environment equivalent.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/node"
	"github.com/maju-call/maju/internal/version"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// maju's live heap is mostly per-connection state that is small and long-lived; collecting at
		// 50% growth instead of 100% keeps idle memory per connection about a quarter lower for little
		// CPU (docs/benchmarks.md). GOGC in the environment still wins.
		debug.SetGCPercent(50)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		if errors.Is(err, errCheckFailed) {
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "maju:", err)
		os.Exit(2)
	}
}

// run is the whole program with its inputs passed in, so tests can run it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "doctor":
			return runDoctor(ctx, args[1:], stdout, stderr)
		case "version":
			_, err := fmt.Fprintln(stdout, version.Get())
			return err
		}
	}
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	n, err := node.Start(cfg, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	httpServer := &http.Server{
		Handler:           n.Handler(),
		ReadHeaderTimeout: 10 * time.Second, // the WebSocket handshake deadline too
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "maju listening on %s\n", publicURL(ln.Addr()))

	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(ln) }()
	select {
	case err := <-served:
		return errors.Join(err, n.Close())
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// Hijacked WebSockets are not http.Server's: the node's shutdown tells their clients and waits.
	errs := make(chan error, 1)
	go func() { errs <- n.Shutdown(shutdownCtx) }()
	httpErr := httpServer.Shutdown(shutdownCtx)
	return errors.Join(httpErr, <-errs)
}

// publicURL is the address to print for people: a wildcard host becomes localhost.
func publicURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

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
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/maju-call/maju/internal/app"
	"github.com/maju-call/maju/internal/config"
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
	a, err := app.Start(cfg, log)
	if err != nil {
		return err
	}
	if err := a.WriteBanner(stdout, isTerminal(stdout) && getenv("NO_COLOR") == ""); err != nil {
		log.Warn("writing the banner", "err", err)
	}
	return a.Run(ctx)
}

// isTerminal reports whether w is a character device (a terminal), where colours help.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
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

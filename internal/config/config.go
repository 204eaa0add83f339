// Package config holds maju's settings: their defaults, how flags and MAJU_* environment variables set
// them, and the validation that turns any bad value into an error at start. Only cmd/maju calls Load;
// everything else receives a Config value.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config is every setting of a maju server.
type Config struct {
	// Addr is the HTTP listen address (host:port). The web client and /ws are served here.
	Addr string
	// AllowedOrigins lists extra origins (scheme://host[:port]) whose pages may open /ws, e.g. when a
	// proxy serves the page under another name. The server's own origin is always allowed.
	AllowedOrigins []string
	// MaxMessageBytes bounds one signaling message; an SDP with many candidates stays well below 64 KiB.
	MaxMessageBytes int64
	// JoinTimeout is how long a new WebSocket may take to send join, so idle sockets cannot pile up.
	JoinTimeout time.Duration
	// PingInterval is how often the server pings each WebSocket to find dead connections.
	PingInterval time.Duration
	// PongTimeout is how long after a due ping a silent connection is considered dead.
	PongTimeout time.Duration
	// WriteTimeout bounds one write to a client, so a stuck client cannot hold server resources.
	WriteTimeout time.Duration
	// SendQueue bounds the messages waiting to be written to one client; beyond it the client is
	// dropped as a slow consumer instead of stalling the sender.
	SendQueue int
	// MaxConnections bounds concurrent WebSocket connections on this node (memory protection).
	MaxConnections int
	// ShutdownTimeout is how long a graceful shutdown waits for connections to close.
	ShutdownTimeout time.Duration
	// LogFormat is "text" or "json"; LogLevel is debug, info, warn or error.
	LogFormat string
	LogLevel  string
}

// Default returns the built-in settings: everything maju needs to run with no configuration.
func Default() Config {
	return Config{
		Addr:            ":8080",
		MaxMessageBytes: 64 << 10,
		JoinTimeout:     10 * time.Second,
		PingInterval:    20 * time.Second,
		PongTimeout:     10 * time.Second,
		WriteTimeout:    10 * time.Second,
		SendQueue:       64,
		MaxConnections:  50000,
		ShutdownTimeout: 10 * time.Second,
		LogFormat:       "text",
		LogLevel:        "info",
	}
}

// EnvPrefix starts the environment variable of every flag: -max-message-bytes is MAJU_MAX_MESSAGE_BYTES.
const EnvPrefix = "MAJU_"

// EnvName returns the environment variable that sets flag name.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Load builds a Config from the defaults, then the environment, then the command-line flags (the later
// wins), and validates it. usage receives the flag help for -h and for flag errors.
func Load(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	cfg := Default()
	fs := NewFlagSet(&cfg, usage)
	var envErrs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(EnvName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q: %v", EnvName(f.Name), v, err))
			}
		}
	})
	if err := errors.Join(envErrs...); err != nil {
		return Config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cfg, cfg.Validate()
}

// NewFlagSet returns the flags that set cfg, each documented with its environment variable.
func NewFlagSet(cfg *Config, usage io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("maju", flag.ContinueOnError)
	fs.SetOutput(usage)
	str := func(p *string, name, help string) { fs.StringVar(p, name, *p, withEnv(name, help)) }
	dur := func(p *time.Duration, name, help string) { fs.DurationVar(p, name, *p, withEnv(name, help)) }
	num := func(p *int, name, help string) { fs.IntVar(p, name, *p, withEnv(name, help)) }

	str(&cfg.Addr, "addr", "HTTP listen address, host:port")
	fs.Func("allowed-origins", withEnv("allowed-origins",
		"comma-separated extra origins allowed to open /ws, e.g. https://call.example.com (own origin always allowed)"),
		func(v string) error { cfg.AllowedOrigins = splitList(v); return nil })
	fs.Int64Var(&cfg.MaxMessageBytes, "max-message-bytes", cfg.MaxMessageBytes,
		withEnv("max-message-bytes", "largest signaling message accepted, in bytes (4096–1048576)"))
	dur(&cfg.JoinTimeout, "join-timeout", "time a new connection has to send join")
	dur(&cfg.PingInterval, "ping-interval", "how often each connection is pinged")
	dur(&cfg.PongTimeout, "pong-timeout", "how long a ping may go unanswered before the connection is dropped")
	dur(&cfg.WriteTimeout, "write-timeout", "deadline for one write to a client")
	num(&cfg.SendQueue, "send-queue", "messages queued for one client before it is dropped as too slow (4–4096)")
	num(&cfg.MaxConnections, "max-connections", "most concurrent signaling connections (1–1000000)")
	dur(&cfg.ShutdownTimeout, "shutdown-timeout", "how long a graceful shutdown waits")
	str(&cfg.LogFormat, "log-format", "log format: text or json")
	str(&cfg.LogLevel, "log-level", "log level: debug, info, warn or error")
	return fs
}

func withEnv(name, help string) string { return help + " (env " + EnvName(name) + ")" }

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Validate reports every bad value, each naming its flag.
func (c Config) Validate() error {
	var errs []error
	bad := func(flagName, format string, args ...any) {
		errs = append(errs, fmt.Errorf("-%s: %s", flagName, fmt.Sprintf(format, args...)))
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		bad("addr", "%q is not host:port", c.Addr)
	}
	for _, o := range c.AllowedOrigins {
		if err := validOrigin(o); err != nil {
			bad("allowed-origins", "%v", err)
		}
	}
	if c.MaxMessageBytes < 4096 || c.MaxMessageBytes > 1<<20 {
		bad("max-message-bytes", "%d is outside 4096–1048576", c.MaxMessageBytes)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"join-timeout", c.JoinTimeout}, {"ping-interval", c.PingInterval}, {"pong-timeout", c.PongTimeout},
		{"write-timeout", c.WriteTimeout}, {"shutdown-timeout", c.ShutdownTimeout},
	} {
		if d.v < 100*time.Millisecond || d.v > time.Hour {
			bad(d.name, "%v is outside 100ms–1h", d.v)
		}
	}
	if c.SendQueue < 4 || c.SendQueue > 4096 {
		bad("send-queue", "%d is outside 4–4096", c.SendQueue)
	}
	if c.MaxConnections < 1 || c.MaxConnections > 1_000_000 {
		bad("max-connections", "%d is outside 1–1000000", c.MaxConnections)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format", "%q is not text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	return errors.Join(errs...)
}

func validOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%q is not an origin like https://call.example.com", o)
	}
	return nil
}

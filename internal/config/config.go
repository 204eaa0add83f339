// Package config holds maju's settings: their defaults, how flags and MAJU_* environment variables set
// them, and the validation that turns any bad value into an error at start. Only cmd/maju calls Load;
// everything else receives a Config value.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
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
	// MsgRate and MsgBurst are each connection's message token bucket: MsgRate messages a second on
	// average, MsgBurst at once. A message beyond it is dropped and answered with rate-limited.
	MsgRate  float64
	MsgBurst int
	// MaxConnsPerIP bounds concurrent connections from one client address (an IPv4 address or an IPv6
	// /64), so one client cannot take all of MaxConnections.
	MaxConnsPerIP int
	// RoomRate and RoomBurst are each client address's bucket for opening new rooms: RoomRate a minute
	// on average, RoomBurst at once.
	RoomRate  float64
	RoomBurst int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header names the client address;
	// empty means the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// ResumeGrace is how long the seat of a client whose connection dropped is held for it to resume.
	ResumeGrace time.Duration
	// ShutdownTimeout is how long a graceful shutdown waits for connections to close.
	ShutdownTimeout time.Duration
	// LogFormat is "text" or "json"; LogLevel is debug, info, warn or error.
	LogFormat string
	LogLevel  string

	// HTTPS configures TLS on Addr: given certificate files, automatic certificates, or LAN mode.
	HTTPS HTTPS
	// MetricsAddr is the listen address of the Prometheus /metrics listener (with /healthz and
	// /readyz); empty means no metrics listener. Keep it private: metrics are not for the public.
	MetricsAddr string

	// TURN configures the embedded STUN/TURN server.
	TURN TURN
	// ExternalICE lists extra STUN/TURN server URLs (stun:, turn:, turns:) given to clients beside or
	// instead of the embedded server, e.g. an existing coturn fleet. turn: and turns: URLs get the same
	// short-lived credentials as the embedded server, so that fleet's static-auth-secret must be TURN.Secret.
	ExternalICE []string
}

// HTTPS is how maju gets the certificate for its web listener. At most one of CertFile (with KeyFile),
// Domains and LAN is set; with none, maju serves plain HTTP (cameras then work only on localhost).
type HTTPS struct {
	// CertFile and KeyFile are PEM files of a certificate (chain) and its key.
	CertFile, KeyFile string
	// Domains are host names to get certificates for from an ACME CA (Let's Encrypt) automatically.
	Domains []string
	// ACMEEmail is the contact address given to the CA (optional).
	ACMEEmail string
	// ACMEDirectory is the CA's ACME directory URL.
	ACMEDirectory string
	// CertCache is the directory keeping ACME and LAN certificates across restarts; empty means the
	// user cache directory's maju/certs.
	CertCache string
	// LAN makes a self-signed certificate for this machine's LAN addresses, to try maju with a phone
	// on the same network.
	LAN bool
	// HTTPAddr is a plain-HTTP listener that answers ACME http-01 challenges and redirects everything
	// else to HTTPS; empty means none.
	HTTPAddr string
}

// Enabled reports whether the web listener serves HTTPS.
func (h HTTPS) Enabled() bool {
	return h.CertFile != "" || h.KeyFile != "" || len(h.Domains) > 0 || h.LAN
}

// LetsEncrypt is the default ACME directory (Let's Encrypt production).
const LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

// TURN is the embedded STUN/TURN server's configuration.
type TURN struct {
	// Enabled runs the embedded server.
	Enabled bool
	// UDPAddr, TCPAddr and TLSAddr are listen addresses (host:port); an empty one is not opened.
	// TLSAddr needs TLSCert and TLSKey (PEM files).
	UDPAddr, TCPAddr, TLSAddr string
	TLSCert, TLSKey           string
	// Host is the name or IP clients use for the server in turn: URLs; empty means the host name the
	// page was loaded from. With TLS it must match the certificate.
	Host string
	// PublicIP is the relay address announced to clients; empty means this machine's address on its
	// default route. Behind a 1:1 NAT (EC2) it must be the public (Elastic) IP.
	PublicIP string
	// RelayIP is the local address relay sockets bind to; empty means all interfaces.
	RelayIP string
	// RelayPorts is the relay port range, "min-max".
	RelayPorts string
	// Realm is the TURN realm.
	Realm string
	// Secret is the shared TURN REST secret (coturn's static-auth-secret); SecretFile reads it from a
	// file instead. With neither, a random secret is made at start (not shared with other nodes).
	Secret, SecretFile string
	// CredentialTTL is how long minted credentials are valid; clients refresh them before they expire.
	CredentialTTL time.Duration
	// UserQuota bounds concurrent allocations per credential (one join), TotalQuota per server.
	UserQuota, TotalQuota int
	// AllowLoopbackPeers lets the relay reach loopback addresses. Tests only: never in production.
	AllowLoopbackPeers bool
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
		MsgRate:         20,
		MsgBurst:        100,
		MaxConnsPerIP:   20,
		RoomRate:        30,
		RoomBurst:       10,
		ResumeGrace:     30 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		LogFormat:       "text",
		LogLevel:        "info",
		HTTPS:           HTTPS{ACMEDirectory: LetsEncrypt},
		TURN: TURN{
			Enabled:       true,
			UDPAddr:       ":3478",
			TCPAddr:       ":3478",
			RelayPorts:    "49152-65535",
			Realm:         "maju",
			CredentialTTL: time.Hour,
			UserQuota:     16,
			TotalQuota:    10000,
		},
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
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true }) // flags given on the command line or by the environment
	cfg.applyDomainDefaults(set)
	return cfg, cfg.Validate()
}

// applyDomainDefaults moves a public server (-domain) to the standard ports unless told otherwise:
// HTTPS on :443 and the ACME challenge and redirect on :80.
func (c *Config) applyDomainDefaults(set map[string]bool) {
	if len(c.HTTPS.Domains) == 0 {
		return
	}
	if !set["addr"] {
		c.Addr = ":443"
	}
	if !set["http-addr"] {
		c.HTTPS.HTTPAddr = ":80"
	}
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
	addLimitFlags(fs, cfg)
	dur(&cfg.ShutdownTimeout, "shutdown-timeout", "how long a graceful shutdown waits")
	str(&cfg.LogFormat, "log-format", "log format: text or json")
	str(&cfg.LogLevel, "log-level", "log level: debug, info, warn or error")
	str(&cfg.MetricsAddr, "metrics-addr", "Prometheus /metrics listen address, e.g. 127.0.0.1:9464; empty: none")
	addHTTPSFlags(fs, &cfg.HTTPS)
	addTURNFlags(fs, &cfg.TURN)
	fs.Func("ice-servers", withEnv("ice-servers",
		"comma-separated extra STUN/TURN URLs for clients, e.g. turn:turn1.example.com:3478?transport=udp "+
			"(turn: URLs get credentials minted with -turn-secret, so set the same static-auth-secret in coturn)"),
		func(v string) error { cfg.ExternalICE = splitList(v); return nil })
	return fs
}

// addLimitFlags adds the per-client limits and what they need: the client address and the resume grace.
func addLimitFlags(fs *flag.FlagSet, cfg *Config) {
	num := func(p *int, name, help string) { fs.IntVar(p, name, *p, withEnv(name, help)) }
	float := func(p *float64, name, help string) { fs.Float64Var(p, name, *p, withEnv(name, help)) }
	float(&cfg.MsgRate, "msg-rate", "messages a second one connection may send on average (above 0); more are dropped")
	num(&cfg.MsgBurst, "msg-burst", "most messages one connection may send at once, after a pause (at least 1)")
	num(&cfg.MaxConnsPerIP, "max-conns-per-ip", "most concurrent signaling connections from one client address, an IPv6 /64 counting as one (at least 1)")
	float(&cfg.RoomRate, "room-rate", "new rooms a minute one client address may open on average (above 0)")
	num(&cfg.RoomBurst, "room-burst", "most new rooms one client address may open at once, after a pause (at least 1)")
	fs.Func("trusted-proxies", withEnv("trusted-proxies",
		"comma-separated CIDRs or IPs of reverse proxies whose X-Forwarded-For names the client address, "+
			"e.g. 10.0.0.0/8,192.0.2.7; empty: the TCP peer is the client"),
		func(v string) (err error) { cfg.TrustedProxies, err = parsePrefixes(v); return err })
	fs.DurationVar(&cfg.ResumeGrace, "resume-grace", cfg.ResumeGrace,
		withEnv("resume-grace", "how long the seat of a dropped connection is held for its client to resume (1s–10m)"))
}

// parsePrefixes reads a comma-separated list of CIDRs and single IPs (as /32 or /128). IPv4-mapped IPv6
// entries become IPv4, since client addresses are compared unmapped.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range splitList(v) {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8 or an IP address", s)
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

func addHTTPSFlags(fs *flag.FlagSet, h *HTTPS) {
	str := func(p *string, name, help string) { fs.StringVar(p, name, *p, withEnv(name, help)) }
	str(&h.CertFile, "tls-cert", "PEM certificate (chain) file: serve HTTPS with it (with -tls-key)")
	str(&h.KeyFile, "tls-key", "PEM private key file for -tls-cert")
	fs.Func("domain", withEnv("domain",
		"comma-separated public host names: get HTTPS certificates for them automatically from Let's Encrypt "+
			"(then -addr defaults to :443 and -http-addr to :80)"),
		func(v string) error { h.Domains = splitList(v); return nil })
	str(&h.ACMEEmail, "acme-email", "contact email for the certificate authority (optional, with -domain)")
	str(&h.ACMEDirectory, "acme-directory", "ACME directory URL of the certificate authority (with -domain)")
	str(&h.CertCache, "cert-cache", "directory keeping certificates across restarts (with -domain or -lan); empty: the user cache directory")
	fs.BoolVar(&h.LAN, "lan", h.LAN, withEnv("lan",
		"serve HTTPS with a self-signed certificate for this machine's LAN addresses and print a QR code, "+
			"to try a call with a phone on the same Wi-Fi"))
	str(&h.HTTPAddr, "http-addr", "plain-HTTP listen address that redirects to HTTPS and answers ACME challenges; empty: none")
}

func addTURNFlags(fs *flag.FlagSet, t *TURN) {
	str := func(p *string, name, help string) { fs.StringVar(p, name, *p, withEnv(name, help)) }
	num := func(p *int, name, help string) { fs.IntVar(p, name, *p, withEnv(name, help)) }
	fs.BoolVar(&t.Enabled, "turn", t.Enabled, withEnv("turn", "run the embedded STUN/TURN server"))
	str(&t.UDPAddr, "turn-udp", "STUN/TURN over UDP listen address; empty disables")
	str(&t.TCPAddr, "turn-tcp", "STUN/TURN over TCP listen address, for networks that block UDP; empty disables")
	str(&t.TLSAddr, "turn-tls", "TURN over TLS (turns:) listen address, e.g. :5349; needs -turn-tls-cert and -turn-tls-key")
	str(&t.TLSCert, "turn-tls-cert", "PEM certificate (chain) file for -turn-tls")
	str(&t.TLSKey, "turn-tls-key", "PEM private key file for -turn-tls")
	str(&t.Host, "turn-host", "host name or IP clients use to reach TURN; empty: the host the page was loaded from")
	str(&t.PublicIP, "turn-public-ip", "relay IP announced to clients; empty: this machine's address on its default route (set it behind a 1:1 NAT such as EC2)")
	str(&t.RelayIP, "turn-relay-ip", "local IP relay sockets bind to; empty: all interfaces")
	str(&t.RelayPorts, "turn-relay-ports", "relay port range, min-max (open these UDP ports in the firewall)")
	str(&t.Realm, "turn-realm", "TURN realm")
	str(&t.Secret, "turn-secret", "shared TURN REST secret (coturn static-auth-secret); empty: random per start")
	str(&t.SecretFile, "turn-secret-file", "file holding the TURN secret (instead of -turn-secret)")
	fs.DurationVar(&t.CredentialTTL, "turn-credential-ttl", t.CredentialTTL,
		withEnv("turn-credential-ttl", "lifetime of TURN credentials given to clients (2s–24h); clients refresh them"))
	num(&t.UserQuota, "turn-user-quota", "most concurrent relay allocations per joined client (1–1000)")
	num(&t.TotalQuota, "turn-total-quota", "most concurrent relay allocations on this node (1–1000000)")
	fs.BoolVar(&t.AllowLoopbackPeers, "turn-allow-loopback-peers", t.AllowLoopbackPeers,
		withEnv("turn-allow-loopback-peers", "let the relay reach loopback addresses: for tests only, never in production"))
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
	errs = append(errs, c.validateLimits()...)
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format", "%q is not text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	errs = append(errs, c.HTTPS.validate()...)
	errs = append(errs, c.validateListeners()...)
	errs = append(errs, c.TURN.validate()...)
	for _, u := range c.ExternalICE {
		if err := ValidICEURL(u); err != nil {
			bad("ice-servers", "%v", err)
		}
	}
	return errors.Join(errs...)
}

func (c Config) validateLimits() []error {
	var errs []error
	bad := func(flagName, format string, args ...any) {
		errs = append(errs, fmt.Errorf("-%s: %s", flagName, fmt.Sprintf(format, args...)))
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"msg-rate", c.MsgRate}, {"room-rate", c.RoomRate}} {
		if !(r.v > 0) || math.IsInf(r.v, 1) { // !(v > 0) also catches NaN
			bad(r.name, "%v is not a finite number above 0", r.v)
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"msg-burst", c.MsgBurst}, {"max-conns-per-ip", c.MaxConnsPerIP}, {"room-burst", c.RoomBurst}} {
		if n.v < 1 {
			bad(n.name, "%d is below 1", n.v)
		}
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() {
			bad("trusted-proxies", "%v is not a valid prefix", p)
		}
	}
	if c.ResumeGrace < time.Second || c.ResumeGrace > 10*time.Minute {
		bad("resume-grace", "%v is outside 1s–10m", c.ResumeGrace)
	}
	return errs
}

func (h HTTPS) validate() []error {
	var errs []error
	bad := func(flagName, format string, args ...any) {
		errs = append(errs, fmt.Errorf("-%s: %s", flagName, fmt.Sprintf(format, args...)))
	}
	files := h.CertFile != "" || h.KeyFile != ""
	switch {
	case h.CertFile != "" && h.KeyFile == "":
		bad("tls-key", "is needed with -tls-cert")
	case h.KeyFile != "" && h.CertFile == "":
		bad("tls-cert", "is needed with -tls-key")
	}
	if files && len(h.Domains) > 0 {
		bad("domain", "gets certificates automatically; give -domain or -tls-cert/-tls-key, not both")
	}
	if h.LAN && (files || len(h.Domains) > 0) {
		bad("lan", "makes its own self-signed certificate; it cannot be combined with -domain or -tls-cert")
	}
	for _, d := range h.Domains {
		if err := validDomain(d); err != nil {
			bad("domain", "%v", err)
		}
	}
	if h.ACMEEmail != "" && (!strings.Contains(h.ACMEEmail, "@") || strings.ContainsAny(h.ACMEEmail, " ,<>")) {
		bad("acme-email", "%q is not an email address", h.ACMEEmail)
	}
	if u, err := url.Parse(h.ACMEDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
		bad("acme-directory", "%q is not an https:// URL", h.ACMEDirectory)
	}
	if h.HTTPAddr != "" && !h.Enabled() {
		bad("http-addr", "redirects to HTTPS, so it needs -domain, -tls-cert or -lan")
	}
	return errs
}

// validDomain accepts a public DNS name a CA can issue a certificate for: no IPs, no wildcards, no
// single-label names such as localhost.
func validDomain(d string) error {
	if _, err := netip.ParseAddr(d); err == nil {
		return fmt.Errorf("%q is an IP address; certificate authorities issue for names (use -tls-cert or -lan)", d)
	}
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 {
		return fmt.Errorf("%q is not a public host name like call.example.com", d)
	}
	for _, l := range labels {
		if !validLabel(l) {
			return fmt.Errorf("%q is not a valid host name", d)
		}
	}
	return nil
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// validateListeners checks the HTTP-side listen addresses and that no two of them are the same.
func (c Config) validateListeners() []error {
	var errs []error
	seen := map[string]string{c.Addr: "addr"}
	for _, a := range []struct{ name, v string }{{"http-addr", c.HTTPS.HTTPAddr}, {"metrics-addr", c.MetricsAddr}} {
		if a.v == "" {
			continue
		}
		_, port, err := net.SplitHostPort(a.v)
		if err != nil || port == "" {
			errs = append(errs, fmt.Errorf("-%s: %q is not host:port", a.name, a.v))
			continue
		}
		if other, ok := seen[a.v]; ok && port != "0" {
			errs = append(errs, fmt.Errorf("-%s: %q is already the -%s address", a.name, a.v, other))
		}
		seen[a.v] = a.name
	}
	return errs
}

func validOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%q is not an origin like https://call.example.com", o)
	}
	return nil
}

func (t TURN) validate() []error {
	var errs []error
	bad := func(flagName, format string, args ...any) {
		errs = append(errs, fmt.Errorf("-%s: %s", flagName, fmt.Sprintf(format, args...)))
	}
	if !t.Enabled {
		return nil
	}
	for _, a := range []struct{ name, v string }{{"turn-udp", t.UDPAddr}, {"turn-tcp", t.TCPAddr}, {"turn-tls", t.TLSAddr}} {
		if _, port, err := net.SplitHostPort(a.v); a.v != "" && (err != nil || port == "") {
			bad(a.name, "%q is not host:port", a.v)
		}
	}
	if t.UDPAddr == "" && t.TCPAddr == "" && t.TLSAddr == "" {
		bad("turn", "all of -turn-udp, -turn-tcp and -turn-tls are empty; use -turn=false to disable TURN")
	}
	if t.TLSAddr != "" && (t.TLSCert == "" || t.TLSKey == "") {
		bad("turn-tls", "needs -turn-tls-cert and -turn-tls-key")
	}
	for _, a := range []struct{ name, v string }{{"turn-public-ip", t.PublicIP}, {"turn-relay-ip", t.RelayIP}} {
		if ip, err := netip.ParseAddr(a.v); a.v != "" && (err != nil || ip.IsMulticast() || ip.Zone() != "") {
			bad(a.name, "%q is not a unicast IP address", a.v)
		}
	}
	if ip, err := netip.ParseAddr(t.PublicIP); err == nil && ip.IsUnspecified() {
		bad("turn-public-ip", "%q is not an address clients can reach", t.PublicIP)
	}
	if _, _, err := t.PortRange(); err != nil {
		bad("turn-relay-ports", "%v", err)
	}
	if t.Realm == "" || len(t.Realm) > 127 {
		bad("turn-realm", "must be 1–127 characters")
	}
	if t.Secret != "" && t.SecretFile != "" {
		bad("turn-secret", "give -turn-secret or -turn-secret-file, not both")
	}
	if t.Secret != "" && len(t.Secret) < 16 {
		bad("turn-secret", "is too short to be a secret (at least 16 characters)")
	}
	if t.CredentialTTL < 2*time.Second || t.CredentialTTL > 24*time.Hour {
		bad("turn-credential-ttl", "%v is outside 2s–24h", t.CredentialTTL)
	}
	if t.UserQuota < 1 || t.UserQuota > 1000 {
		bad("turn-user-quota", "%d is outside 1–1000", t.UserQuota)
	}
	if t.TotalQuota < 1 || t.TotalQuota > 1_000_000 {
		bad("turn-total-quota", "%d is outside 1–1000000", t.TotalQuota)
	}
	return errs
}

// PortRange parses RelayPorts ("min-max", 1024–65535, min <= max).
func (t TURN) PortRange() (lo, hi uint16, err error) {
	a, b, ok := strings.Cut(t.RelayPorts, "-")
	l, errA := strconv.ParseUint(strings.TrimSpace(a), 10, 16)
	h, errB := strconv.ParseUint(strings.TrimSpace(b), 10, 16)
	if !ok || errA != nil || errB != nil || l < 1024 || l > h {
		return 0, 0, fmt.Errorf("%q is not a port range like 49152-65535 (ports 1024–65535)", t.RelayPorts)
	}
	return uint16(l), uint16(h), nil
}

// ValidICEURL checks a STUN/TURN URL (RFC 7064/7065): stun:, stuns:, turn: or turns:, a host, an
// optional port and, for TURN, an optional ?transport=udp|tcp.
func ValidICEURL(u string) error {
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || rest == "" || strings.HasPrefix(rest, "//") {
		return fmt.Errorf("%q is not a URL like turn:host:3478?transport=udp", u)
	}
	hostport, query, hasQuery := strings.Cut(rest, "?")
	switch scheme {
	case "stun", "stuns":
		if hasQuery {
			return fmt.Errorf("%q: stun URLs take no query", u)
		}
	case "turn", "turns":
		if hasQuery && query != "transport=udp" && query != "transport=tcp" {
			return fmt.Errorf("%q: the only query is ?transport=udp or ?transport=tcp", u)
		}
	default:
		return fmt.Errorf("%q: the scheme must be stun, stuns, turn or turns", u)
	}
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			return fmt.Errorf("%q: bad port", u)
		}
		host = h
	}
	if host == "" || strings.ContainsAny(host, "/@ ") {
		return fmt.Errorf("%q: bad host", u)
	}
	return nil
}

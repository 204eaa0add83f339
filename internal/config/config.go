// Package config holds maju's settings: their defaults, how flags and MAJU_* environment variables set
// them, and the validation that turns any bad value into an error at start. Only cmd/maju calls Load;
// everything else receives a Config value.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
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

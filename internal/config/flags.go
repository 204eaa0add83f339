// The flags and MAJU_* environment variables that set a Config.

package config

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
)

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

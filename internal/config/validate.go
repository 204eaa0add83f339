// Validation: every bad setting becomes an error naming its flag, at start.

package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

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

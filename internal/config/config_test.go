package config_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/maju-call/maju/internal/config"
)

// env returns a getenv that reads vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func noEnv(string) string { return "" }

// allFlags lists every flag with its environment variable.
var allFlags = []struct{ flag, env string }{
	{"addr", "MAJU_ADDR"},
	{"allowed-origins", "MAJU_ALLOWED_ORIGINS"},
	{"max-message-bytes", "MAJU_MAX_MESSAGE_BYTES"},
	{"join-timeout", "MAJU_JOIN_TIMEOUT"},
	{"ping-interval", "MAJU_PING_INTERVAL"},
	{"pong-timeout", "MAJU_PONG_TIMEOUT"},
	{"write-timeout", "MAJU_WRITE_TIMEOUT"},
	{"send-queue", "MAJU_SEND_QUEUE"},
	{"max-connections", "MAJU_MAX_CONNECTIONS"},
	{"msg-rate", "MAJU_MSG_RATE"},
	{"msg-burst", "MAJU_MSG_BURST"},
	{"max-conns-per-ip", "MAJU_MAX_CONNS_PER_IP"},
	{"room-rate", "MAJU_ROOM_RATE"},
	{"room-burst", "MAJU_ROOM_BURST"},
	{"trusted-proxies", "MAJU_TRUSTED_PROXIES"},
	{"resume-grace", "MAJU_RESUME_GRACE"},
	{"shutdown-timeout", "MAJU_SHUTDOWN_TIMEOUT"},
	{"log-format", "MAJU_LOG_FORMAT"},
	{"log-level", "MAJU_LOG_LEVEL"},
	{"metrics-addr", "MAJU_METRICS_ADDR"},
	{"tls-cert", "MAJU_TLS_CERT"},
	{"tls-key", "MAJU_TLS_KEY"},
	{"domain", "MAJU_DOMAIN"},
	{"acme-email", "MAJU_ACME_EMAIL"},
	{"acme-directory", "MAJU_ACME_DIRECTORY"},
	{"cert-cache", "MAJU_CERT_CACHE"},
	{"lan", "MAJU_LAN"},
	{"http-addr", "MAJU_HTTP_ADDR"},
	{"turn", "MAJU_TURN"},
	{"turn-udp", "MAJU_TURN_UDP"},
	{"turn-tcp", "MAJU_TURN_TCP"},
	{"turn-tls", "MAJU_TURN_TLS"},
	{"turn-tls-cert", "MAJU_TURN_TLS_CERT"},
	{"turn-tls-key", "MAJU_TURN_TLS_KEY"},
	{"turn-host", "MAJU_TURN_HOST"},
	{"turn-public-ip", "MAJU_TURN_PUBLIC_IP"},
	{"turn-relay-ip", "MAJU_TURN_RELAY_IP"},
	{"turn-relay-ports", "MAJU_TURN_RELAY_PORTS"},
	{"turn-realm", "MAJU_TURN_REALM"},
	{"turn-secret", "MAJU_TURN_SECRET"},
	{"turn-secret-file", "MAJU_TURN_SECRET_FILE"},
	{"turn-credential-ttl", "MAJU_TURN_CREDENTIAL_TTL"},
	{"turn-user-quota", "MAJU_TURN_USER_QUOTA"},
	{"turn-total-quota", "MAJU_TURN_TOTAL_QUOTA"},
	{"turn-allow-loopback-peers", "MAJU_TURN_ALLOW_LOOPBACK_PEERS"},
	{"ice-servers", "MAJU_ICE_SERVERS"},
}

func TestDefault(t *testing.T) {
	d := config.Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	want := config.Config{
		Addr:            ":8080",
		MaxMessageBytes: 65536,
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
		HTTPS:           config.HTTPS{ACMEDirectory: "https://acme-v02.api.letsencrypt.org/directory"},
		TURN: config.TURN{
			Enabled: true, UDPAddr: ":3478", TCPAddr: ":3478", RelayPorts: "49152-65535", Realm: "maju",
			CredentialTTL: time.Hour, UserQuota: 16, TotalQuota: 10000,
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Default() = %+v\nwant %+v", d, want)
	}
}

func TestLoadNothingIsDefault(t *testing.T) {
	var usage bytes.Buffer
	cfg, err := config.Load(nil, noEnv, &usage)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Errorf("Load() = %+v, want Default() %+v", cfg, config.Default())
	}
	if usage.Len() != 0 {
		t.Errorf("Load wrote usage without -h or an error: %q", usage.String())
	}
}

func TestEnvName(t *testing.T) {
	for _, f := range allFlags {
		if got := config.EnvName(f.flag); got != f.env {
			t.Errorf("EnvName(%q) = %q, want %q", f.flag, got, f.env)
		}
	}
}

// TestFlagsMatchList makes sure allFlags (and so the usage test) covers every flag.
func TestFlagsMatchList(t *testing.T) {
	cfg := config.Default()
	fs := config.NewFlagSet(&cfg, io.Discard)
	var got []string
	fs.VisitAll(func(f *flag.Flag) { got = append(got, f.Name) })
	want := make(map[string]bool)
	for _, f := range allFlags {
		want[f.flag] = true
	}
	if len(got) != len(want) {
		t.Errorf("flags = %v, want %d flags", got, len(want))
	}
	for _, name := range got {
		if !want[name] {
			t.Errorf("flag -%s is not in this test's list", name)
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(*config.Config) // sets the expected values on a copy of the defaults
	}{
		{"all from env", nil, map[string]string{
			"MAJU_ADDR":              "127.0.0.1:9000",
			"MAJU_ALLOWED_ORIGINS":   "https://a.example.com, http://b.example.com:8080",
			"MAJU_MAX_MESSAGE_BYTES": "8192",
			"MAJU_JOIN_TIMEOUT":      "3s",
			"MAJU_PING_INTERVAL":     "15s",
			"MAJU_PONG_TIMEOUT":      "5s",
			"MAJU_WRITE_TIMEOUT":     "2s",
			"MAJU_SEND_QUEUE":        "16",
			"MAJU_MAX_CONNECTIONS":   "100",
			"MAJU_SHUTDOWN_TIMEOUT":  "1m",
			"MAJU_LOG_FORMAT":        "json",
			"MAJU_LOG_LEVEL":         "debug",
			"MAJU_MSG_RATE":          "2.5",
			"MAJU_MSG_BURST":         "5",
			"MAJU_MAX_CONNS_PER_IP":  "3",
			"MAJU_ROOM_RATE":         "0.5",
			"MAJU_ROOM_BURST":        "2",
			"MAJU_TRUSTED_PROXIES":   "10.0.0.0/8, 2001:db8::/32",
			"MAJU_RESUME_GRACE":      "1m",
		}, func(c *config.Config) {
			c.Addr = "127.0.0.1:9000"
			c.AllowedOrigins = []string{"https://a.example.com", "http://b.example.com:8080"}
			c.MaxMessageBytes = 8192
			c.JoinTimeout = 3 * time.Second
			c.PingInterval = 15 * time.Second
			c.PongTimeout = 5 * time.Second
			c.WriteTimeout = 2 * time.Second
			c.SendQueue = 16
			c.MaxConnections = 100
			c.ShutdownTimeout = time.Minute
			c.LogFormat = "json"
			c.LogLevel = "debug"
			c.MsgRate, c.MsgBurst, c.MaxConnsPerIP, c.RoomRate, c.RoomBurst = 2.5, 5, 3, 0.5, 2
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
			c.ResumeGrace = time.Minute
		}},
		{"all from flags", []string{
			"-addr", "[::1]:0", "-allowed-origins=https://x.example", "-max-message-bytes", "4096",
			"-join-timeout", "100ms", "-ping-interval", "1h", "-pong-timeout", "30s", "-write-timeout", "1s",
			"-send-queue", "4", "-max-connections", "1000000", "-shutdown-timeout", "5s",
			"-log-format", "text", "-log-level", "error",
			"-msg-rate", "1000", "-msg-burst", "1", "-max-conns-per-ip", "1", "-room-rate", "1e-3", "-room-burst", "1",
			"-trusted-proxies", "192.0.2.7", "-resume-grace", "1s",
		}, nil, func(c *config.Config) {
			c.Addr = "[::1]:0"
			c.AllowedOrigins = []string{"https://x.example"}
			c.MaxMessageBytes = 4096
			c.JoinTimeout = 100 * time.Millisecond
			c.PingInterval = time.Hour
			c.PongTimeout = 30 * time.Second
			c.WriteTimeout = time.Second
			c.SendQueue = 4
			c.MaxConnections = 1_000_000
			c.ShutdownTimeout = 5 * time.Second
			c.LogFormat = "text"
			c.LogLevel = "error"
			c.MsgRate, c.MsgBurst, c.MaxConnsPerIP, c.RoomRate, c.RoomBurst = 1000, 1, 1, 0.001, 1
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.7/32")}
			c.ResumeGrace = time.Second
		}},
		{"flags win over env", []string{"-addr", "127.0.0.1:2", "-send-queue=128", "-allowed-origins", "https://flag.example"},
			map[string]string{
				"MAJU_ADDR": "127.0.0.1:1", "MAJU_SEND_QUEUE": "32", "MAJU_ALLOWED_ORIGINS": "https://env.example",
				"MAJU_LOG_LEVEL": "warn",
			}, func(c *config.Config) {
				c.Addr = "127.0.0.1:2"
				c.SendQueue = 128
				c.AllowedOrigins = []string{"https://flag.example"}
				c.LogLevel = "warn" // env still applies where no flag is given
			}},
		{"env overrides only what it names", nil, map[string]string{"MAJU_JOIN_TIMEOUT": "2s", "OTHER": "x", "ADDR": ":1"},
			func(c *config.Config) { c.JoinTimeout = 2 * time.Second }},
		{"empty env value is unset", nil, map[string]string{"MAJU_ADDR": "", "MAJU_SEND_QUEUE": ""}, func(*config.Config) {}},
		{"double-dash flags", []string{"--addr=:9090"}, nil, func(c *config.Config) { c.Addr = ":9090" }},
		{"flag terminator with nothing after", []string{"-addr", ":1", "--"}, nil, func(c *config.Config) { c.Addr = ":1" }},
		{"host name addr", []string{"-addr", "localhost:8080"}, nil, func(c *config.Config) { c.Addr = "localhost:8080" }},
		{"origins split on commas and trimmed", []string{"-allowed-origins", " https://a.example ,,https://b.example:8443/ ,"}, nil,
			func(c *config.Config) {
				c.AllowedOrigins = []string{"https://a.example", "https://b.example:8443/"}
			}},
		{"empty origins flag clears env origins", []string{"-allowed-origins="}, map[string]string{"MAJU_ALLOWED_ORIGINS": "https://a.example"},
			func(c *config.Config) { c.AllowedOrigins = nil }},
		{"last flag wins", []string{"-send-queue", "8", "-send-queue", "9"}, nil, func(c *config.Config) { c.SendQueue = 9 }},
		{"max message size bounds", []string{"-max-message-bytes", "1048576"}, nil, func(c *config.Config) { c.MaxMessageBytes = 1 << 20 }},
		{"send queue upper bound", []string{"-send-queue", "4096"}, nil, func(c *config.Config) { c.SendQueue = 4096 }},
		{"trusted proxies: IPs, CIDRs, 4in6, host bits", []string{"-trusted-proxies",
			" 2001:db8::1 ,, ::ffff:10.1.2.3, ::ffff:172.16.0.0/108, 10.9.8.7/8,"}, nil,
			func(c *config.Config) {
				c.TrustedProxies = []netip.Prefix{
					netip.MustParsePrefix("2001:db8::1/128"), netip.MustParsePrefix("10.1.2.3/32"),
					netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("10.0.0.0/8"),
				}
			}},
		{"empty trusted proxies flag clears env", []string{"-trusted-proxies="}, map[string]string{"MAJU_TRUSTED_PROXIES": "10.0.0.0/8"},
			func(*config.Config) {}},
		{"resume grace upper bound", []string{"-resume-grace", "10m"}, nil, func(c *config.Config) { c.ResumeGrace = 10 * time.Minute }},
		{"max connections lower bound", []string{"-max-connections", "1"}, nil, func(c *config.Config) { c.MaxConnections = 1 }},
		{"turn from env and flags", []string{"-turn-tls", ":5349", "-turn-tls-cert", "c.pem", "-turn-tls-key", "k.pem",
			"-turn-host", "call.example.com", "-ice-servers", "stun:stun.example.com, turn:t.example.com:3478?transport=tcp"},
			map[string]string{
				"MAJU_TURN_UDP": "0.0.0.0:3479", "MAJU_TURN_TCP": "", "MAJU_TURN_PUBLIC_IP": "203.0.113.7",
				"MAJU_TURN_RELAY_IP": "10.0.0.5", "MAJU_TURN_RELAY_PORTS": "40000-40100", "MAJU_TURN_REALM": "example",
				"MAJU_TURN_SECRET_FILE": "/run/secret", "MAJU_TURN_CREDENTIAL_TTL": "10m",
				"MAJU_TURN_USER_QUOTA": "4", "MAJU_TURN_TOTAL_QUOTA": "500", "MAJU_TURN_ALLOW_LOOPBACK_PEERS": "true",
			}, func(c *config.Config) {
				c.TURN = config.TURN{Enabled: true, UDPAddr: "0.0.0.0:3479", TCPAddr: ":3478", TLSAddr: ":5349",
					TLSCert: "c.pem", TLSKey: "k.pem", Host: "call.example.com", PublicIP: "203.0.113.7",
					RelayIP: "10.0.0.5", RelayPorts: "40000-40100", Realm: "example", SecretFile: "/run/secret",
					CredentialTTL: 10 * time.Minute, UserQuota: 4, TotalQuota: 500, AllowLoopbackPeers: true}
				c.ExternalICE = []string{"stun:stun.example.com", "turn:t.example.com:3478?transport=tcp"}
			}},
		{"turn disabled, external only", []string{"-turn=false", "-turn-udp=", "-ice-servers", "turns:t.example.com:443?transport=tcp"}, nil,
			func(c *config.Config) {
				c.TURN.Enabled, c.TURN.UDPAddr = false, ""
				c.ExternalICE = []string{"turns:t.example.com:443?transport=tcp"}
			}},
		{"tcp only", []string{"-turn-udp="}, nil, func(c *config.Config) { c.TURN.UDPAddr = "" }},
		{"secret", nil, map[string]string{"MAJU_TURN_SECRET": "0123456789abcdef"},
			func(c *config.Config) { c.TURN.Secret = "0123456789abcdef" }},
		{"domain moves to the standard ports", []string{"-domain", "call.example.com, www.call.example.com",
			"-acme-email", "ops@example.com", "-cert-cache", "/var/lib/maju/certs"}, nil,
			func(c *config.Config) {
				c.Addr = ":443"
				c.HTTPS.Domains = []string{"call.example.com", "www.call.example.com"}
				c.HTTPS.ACMEEmail, c.HTTPS.CertCache, c.HTTPS.HTTPAddr = "ops@example.com", "/var/lib/maju/certs", ":80"
			}},
		{"domain keeps ports given in env", nil, map[string]string{
			"MAJU_DOMAIN": "call.example.com", "MAJU_ADDR": ":8443", "MAJU_HTTP_ADDR": "",
			"MAJU_ACME_DIRECTORY": "https://acme-staging-v02.api.letsencrypt.org/directory",
		}, func(c *config.Config) {
			c.Addr = ":8443"
			c.HTTPS.Domains, c.HTTPS.HTTPAddr = []string{"call.example.com"}, ":80" // empty env is unset
			c.HTTPS.ACMEDirectory = "https://acme-staging-v02.api.letsencrypt.org/directory"
		}},
		{"domain without redirect listener", []string{"-domain", "call.example.com", "-http-addr="}, nil,
			func(c *config.Config) { c.Addr, c.HTTPS.Domains = ":443", []string{"call.example.com"} }},
		{"certificate files", []string{"-tls-cert", "c.pem", "-tls-key", "k.pem", "-http-addr", ":8081"}, nil,
			func(c *config.Config) {
				c.HTTPS.CertFile, c.HTTPS.KeyFile, c.HTTPS.HTTPAddr = "c.pem", "k.pem", ":8081"
			}},
		{"lan", []string{"-lan", "-metrics-addr", "127.0.0.1:9464"}, nil,
			func(c *config.Config) { c.HTTPS.LAN, c.MetricsAddr = true, "127.0.0.1:9464" }},
		{"ephemeral ports may repeat", []string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, nil,
			func(c *config.Config) { c.Addr, c.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var usage bytes.Buffer
			got, err := config.Load(tc.args, env(tc.env), &usage)
			if err != nil {
				t.Fatalf("Load(%q, %v) error: %v\nusage: %s", tc.args, tc.env, err, usage.String())
			}
			want := config.Default()
			tc.check(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%q, %v)\n got  %+v\n want %+v", tc.args, tc.env, got, want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("loaded config does not validate: %v", err)
			}
		})
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // every string must appear in the error
	}{
		{"max-message-bytes too small", []string{"-max-message-bytes", "4095"}, nil, []string{"-max-message-bytes"}},
		{"max-message-bytes too large", []string{"-max-message-bytes", "1048577"}, nil, []string{"-max-message-bytes"}},
		{"max-message-bytes zero", []string{"-max-message-bytes", "0"}, nil, []string{"-max-message-bytes"}},
		{"max-message-bytes negative", []string{"-max-message-bytes=-1"}, nil, []string{"-max-message-bytes"}},
		{"max-message-bytes not a number", []string{"-max-message-bytes", "64k"}, nil, []string{"-max-message-bytes"}},
		{"send-queue too small", []string{"-send-queue", "3"}, nil, []string{"-send-queue"}},
		{"send-queue too large", []string{"-send-queue", "4097"}, nil, []string{"-send-queue"}},
		{"send-queue zero", []string{"-send-queue", "0"}, nil, []string{"-send-queue"}},
		{"send-queue not a number", []string{"-send-queue", "many"}, nil, []string{"-send-queue"}},
		{"join-timeout zero", []string{"-join-timeout", "0s"}, nil, []string{"-join-timeout"}},
		{"join-timeout too short", []string{"-join-timeout", "99ms"}, nil, []string{"-join-timeout"}},
		{"join-timeout too long", []string{"-join-timeout", "61m"}, nil, []string{"-join-timeout"}},
		{"join-timeout negative", []string{"-join-timeout=-1s"}, nil, []string{"-join-timeout"}},
		{"join-timeout without unit", []string{"-join-timeout", "10"}, nil, []string{"-join-timeout"}},
		{"ping-interval zero", []string{"-ping-interval", "0s"}, nil, []string{"-ping-interval"}},
		{"pong-timeout too long", []string{"-pong-timeout", "2h"}, nil, []string{"-pong-timeout"}},
		{"write-timeout zero", []string{"-write-timeout", "0s"}, nil, []string{"-write-timeout"}},
		{"shutdown-timeout zero", []string{"-shutdown-timeout", "0s"}, nil, []string{"-shutdown-timeout"}},
		{"max-connections zero", []string{"-max-connections", "0"}, nil, []string{"-max-connections"}},
		{"max-connections too many", []string{"-max-connections", "1000001"}, nil, []string{"-max-connections"}},
		{"msg-rate zero", []string{"-msg-rate", "0"}, nil, []string{"-msg-rate"}},
		{"msg-rate negative", []string{"-msg-rate=-1"}, nil, []string{"-msg-rate"}},
		{"msg-rate NaN", []string{"-msg-rate", "NaN"}, nil, []string{"-msg-rate"}},
		{"msg-rate infinite", []string{"-msg-rate", "Inf"}, nil, []string{"-msg-rate", "finite"}},
		{"msg-rate not a number", []string{"-msg-rate", "fast"}, nil, []string{"-msg-rate"}},
		{"msg-burst zero", []string{"-msg-burst", "0"}, nil, []string{"-msg-burst"}},
		{"max-conns-per-ip zero", []string{"-max-conns-per-ip", "0"}, nil, []string{"-max-conns-per-ip"}},
		{"max-conns-per-ip negative", []string{"-max-conns-per-ip=-5"}, nil, []string{"-max-conns-per-ip"}},
		{"room-rate zero", []string{"-room-rate", "0"}, nil, []string{"-room-rate"}},
		{"room-rate from env", nil, map[string]string{"MAJU_ROOM_RATE": "-3"}, []string{"-room-rate"}},
		{"room-burst zero", []string{"-room-burst", "0"}, nil, []string{"-room-burst"}},
		{"trusted-proxies host name", []string{"-trusted-proxies", "proxy.example.com"}, nil,
			[]string{"-trusted-proxies", "proxy.example.com"}},
		{"trusted-proxies bad bits", []string{"-trusted-proxies", "10.0.0.0/33"}, nil, []string{"-trusted-proxies", "10.0.0.0/33"}},
		{"trusted-proxies one bad among good", []string{"-trusted-proxies", "10.0.0.0/8,10.0.0.300"}, nil,
			[]string{"-trusted-proxies", "10.0.0.300"}},
		{"trusted-proxies zone", []string{"-trusted-proxies", "fe80::1%eth0"}, nil, []string{"-trusted-proxies"}},
		{"trusted-proxies from env", nil, map[string]string{"MAJU_TRUSTED_PROXIES": "x"}, []string{"MAJU_TRUSTED_PROXIES", "x"}},
		{"resume-grace too short", []string{"-resume-grace", "999ms"}, nil, []string{"-resume-grace"}},
		{"resume-grace too long", []string{"-resume-grace", "10m1s"}, nil, []string{"-resume-grace"}},
		{"resume-grace without unit", []string{"-resume-grace", "30"}, nil, []string{"-resume-grace"}},
		{"origin without scheme", []string{"-allowed-origins", "example.com"}, nil, []string{"-allowed-origins", "example.com"}},
		{"origin with path", []string{"-allowed-origins", "https://x/path"}, nil, []string{"-allowed-origins", "https://x/path"}},
		{"origin with query", []string{"-allowed-origins", "https://x?a=1"}, nil, []string{"-allowed-origins"}},
		{"origin with user", []string{"-allowed-origins", "https://u@x"}, nil, []string{"-allowed-origins"}},
		{"origin with other scheme", []string{"-allowed-origins", "ftp://x"}, nil, []string{"-allowed-origins"}},
		{"origin without host", []string{"-allowed-origins", "https://"}, nil, []string{"-allowed-origins"}},
		{"origin unparsable", []string{"-allowed-origins", "https://x:port"}, nil, []string{"-allowed-origins"}},
		{"one bad origin among good", []string{"-allowed-origins", "https://ok.example,example.com"}, nil,
			[]string{"-allowed-origins", "example.com"}},
		{"bad origin from env", nil, map[string]string{"MAJU_ALLOWED_ORIGINS": "example.com"}, []string{"-allowed-origins"}},
		{"tls-cert without key", []string{"-tls-cert", "c.pem"}, nil, []string{"-tls-key", "-tls-cert"}},
		{"tls-key without cert", []string{"-tls-key", "k.pem"}, nil, []string{"-tls-cert", "-tls-key"}},
		{"domain with tls-cert", []string{"-domain", "call.example.com", "-tls-cert", "c", "-tls-key", "k"}, nil,
			[]string{"-domain", "-tls-cert"}},
		{"lan with domain", []string{"-lan", "-domain", "call.example.com"}, nil, []string{"-lan", "-domain"}},
		{"lan with tls-cert", []string{"-lan", "-tls-cert", "c", "-tls-key", "k"}, nil, []string{"-lan", "-tls-cert"}},
		{"domain is an IP", []string{"-domain", "203.0.113.7"}, nil, []string{"-domain", "203.0.113.7"}},
		{"domain is localhost", []string{"-domain", "localhost"}, nil, []string{"-domain", "localhost"}},
		{"domain wildcard", []string{"-domain", "*.example.com"}, nil, []string{"-domain"}},
		{"domain with port", []string{"-domain", "call.example.com:443"}, nil, []string{"-domain"}},
		{"one bad domain among good", []string{"-domain", "call.example.com,-bad-.example.com"}, nil,
			[]string{"-domain", "-bad-.example.com"}},
		{"acme-email", []string{"-domain", "call.example.com", "-acme-email", "nobody"}, nil, []string{"-acme-email"}},
		{"acme-directory http", []string{"-domain", "call.example.com", "-acme-directory", "http://ca.test/dir"}, nil,
			[]string{"-acme-directory"}},
		{"http-addr without https", []string{"-http-addr", ":80"}, nil, []string{"-http-addr", "-domain"}},
		{"http-addr not host:port", []string{"-lan", "-http-addr", "80"}, nil, []string{"-http-addr"}},
		{"http-addr same as addr", []string{"-lan", "-addr", ":8443", "-http-addr", ":8443"}, nil,
			[]string{"-http-addr", "-addr"}},
		{"domain default ports clash with addr", []string{"-domain", "call.example.com", "-addr", ":80"}, nil,
			[]string{"-http-addr", ":80"}},
		{"metrics-addr not host:port", []string{"-metrics-addr", "9464"}, nil, []string{"-metrics-addr"}},
		{"metrics-addr same as addr", []string{"-metrics-addr", ":8080"}, nil, []string{"-metrics-addr", "-addr"}},
		{"metrics-addr from env", nil, map[string]string{"MAJU_METRICS_ADDR": "x"}, []string{"-metrics-addr"}},
		{"log-format", []string{"-log-format", "xml"}, nil, []string{"-log-format", "xml"}},
		{"log-format wrong case", []string{"-log-format", "JSON"}, nil, []string{"-log-format"}},
		{"log-format empty", []string{"-log-format", ""}, nil, []string{"-log-format"}},
		{"log-level", []string{"-log-level", "trace"}, nil, []string{"-log-level", "trace"}},
		{"log-level wrong case", []string{"-log-level", "INFO"}, nil, []string{"-log-level"}},
		{"addr without port", []string{"-addr", "nohostport"}, nil, []string{"-addr", "nohostport"}},
		{"addr with empty port", []string{"-addr", "localhost:"}, nil, []string{"-addr"}},
		{"addr empty", []string{"-addr", ""}, nil, []string{"-addr"}},
		{"addr too many colons", []string{"-addr", "::1:80"}, nil, []string{"-addr"}},
		{"bad addr from env", nil, map[string]string{"MAJU_ADDR": "nohostport"}, []string{"-addr", "nohostport"}},
		{"unparsable env int", nil, map[string]string{"MAJU_SEND_QUEUE": "lots"}, []string{"MAJU_SEND_QUEUE", "lots"}},
		{"unparsable env duration", nil, map[string]string{"MAJU_JOIN_TIMEOUT": "10"}, []string{"MAJU_JOIN_TIMEOUT"}},
		{"unparsable env int64", nil, map[string]string{"MAJU_MAX_MESSAGE_BYTES": "1e6"}, []string{"MAJU_MAX_MESSAGE_BYTES"}},
		{"several unparsable env values", nil, map[string]string{"MAJU_SEND_QUEUE": "x", "MAJU_PONG_TIMEOUT": "y"},
			[]string{"MAJU_SEND_QUEUE", "MAJU_PONG_TIMEOUT"}},
		{"unparsable env even with a good flag", []string{"-send-queue", "8"}, map[string]string{"MAJU_SEND_QUEUE": "x"},
			[]string{"MAJU_SEND_QUEUE"}},
		{"unexpected positional arg", []string{"serve"}, nil, []string{"unexpected", "serve"}},
		{"positional arg after flags", []string{"-addr", ":1", "extra"}, nil, []string{"unexpected", "extra"}},
		{"positional arg after terminator", []string{"--", "-addr"}, nil, []string{"unexpected", "-addr"}},
		{"unknown flag", []string{"-port", "80"}, nil, []string{"-port"}},
		{"flag without value", []string{"-addr"}, nil, []string{"-addr"}},
		{"turn udp addr", []string{"-turn-udp", "3478"}, nil, []string{"-turn-udp"}},
		{"turn tcp addr", []string{"-turn-tcp", "x:"}, nil, []string{"-turn-tcp"}},
		{"turn all listeners empty", []string{"-turn-udp=", "-turn-tcp="}, nil, []string{"-turn:", "-turn=false"}},
		{"turn tls without cert", []string{"-turn-tls", ":5349"}, nil, []string{"-turn-tls", "-turn-tls-cert"}},
		{"turn public ip", []string{"-turn-public-ip", "example.com"}, nil, []string{"-turn-public-ip"}},
		{"turn public ip unspecified", []string{"-turn-public-ip", "0.0.0.0"}, nil, []string{"-turn-public-ip"}},
		{"turn public ip multicast", []string{"-turn-public-ip", "224.0.0.1"}, nil, []string{"-turn-public-ip"}},
		{"turn relay ip", []string{"-turn-relay-ip", "1.2.3"}, nil, []string{"-turn-relay-ip"}},
		{"turn relay ports reversed", []string{"-turn-relay-ports", "60000-50000"}, nil, []string{"-turn-relay-ports"}},
		{"turn relay ports privileged", []string{"-turn-relay-ports", "80-90"}, nil, []string{"-turn-relay-ports"}},
		{"turn relay ports one number", []string{"-turn-relay-ports", "50000"}, nil, []string{"-turn-relay-ports"}},
		{"turn relay ports overflow", []string{"-turn-relay-ports", "50000-70000"}, nil, []string{"-turn-relay-ports"}},
		{"turn realm empty", []string{"-turn-realm", ""}, nil, []string{"-turn-realm"}},
		{"turn secret and file", []string{"-turn-secret", "0123456789abcdef", "-turn-secret-file", "f"}, nil, []string{"-turn-secret"}},
		{"turn secret short", []string{"-turn-secret", "hunter2"}, nil, []string{"-turn-secret", "too short"}},
		{"turn ttl short", []string{"-turn-credential-ttl", "1s"}, nil, []string{"-turn-credential-ttl"}},
		{"turn ttl long", []string{"-turn-credential-ttl", "25h"}, nil, []string{"-turn-credential-ttl"}},
		{"turn user quota", []string{"-turn-user-quota", "0"}, nil, []string{"-turn-user-quota"}},
		{"turn total quota", []string{"-turn-total-quota", "1000001"}, nil, []string{"-turn-total-quota"}},
		{"turn not a bool", nil, map[string]string{"MAJU_TURN": "maybe"}, []string{"MAJU_TURN"}},
		{"ice url scheme", []string{"-ice-servers", "http://x"}, nil, []string{"-ice-servers", "http://x"}},
		{"ice url no host", []string{"-ice-servers", "turn:"}, nil, []string{"-ice-servers"}},
		{"ice url bad transport", []string{"-ice-servers", "turn:x?transport=sctp"}, nil, []string{"-ice-servers"}},
		{"ice url stun query", []string{"-ice-servers", "stun:x?transport=udp"}, nil, []string{"-ice-servers"}},
		{"ice url bad port", []string{"-ice-servers", "stun:x:99999"}, nil, []string{"-ice-servers"}},
		{"ice url with slashes", []string{"-ice-servers", "turn://x:3478"}, nil, []string{"-ice-servers"}},
		{"every bad value reported", []string{"-send-queue", "1", "-log-level", "loud", "-addr", "x"}, nil,
			[]string{"-send-queue", "-log-level", "-addr"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(tc.args, env(tc.env), io.Discard)
			if err == nil {
				t.Fatalf("Load(%q, %v) = %+v, want an error", tc.args, tc.env, cfg)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load(%q, %v) error %q does not mention %q", tc.args, tc.env, err, w)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*config.Config)
		flag   string // "" when valid
	}{
		{"default", func(*config.Config) {}, ""},
		{"origins valid", func(c *config.Config) {
			c.AllowedOrigins = []string{"https://a.example", "http://127.0.0.1:8080", "https://b.example/"}
		}, ""},
		{"durations at bounds", func(c *config.Config) {
			c.JoinTimeout, c.PingInterval, c.PongTimeout = 100*time.Millisecond, time.Hour, 100*time.Millisecond
		}, ""},
		{"addr", func(c *config.Config) { c.Addr = "nohostport" }, "-addr"},
		{"origin", func(c *config.Config) { c.AllowedOrigins = []string{"example.com"} }, "-allowed-origins"},
		{"max-message-bytes", func(c *config.Config) { c.MaxMessageBytes = 1 }, "-max-message-bytes"},
		{"join-timeout", func(c *config.Config) { c.JoinTimeout = 0 }, "-join-timeout"},
		{"ping-interval", func(c *config.Config) { c.PingInterval = 0 }, "-ping-interval"},
		{"pong-timeout", func(c *config.Config) { c.PongTimeout = -time.Second }, "-pong-timeout"},
		{"write-timeout", func(c *config.Config) { c.WriteTimeout = time.Hour + 1 }, "-write-timeout"},
		{"shutdown-timeout", func(c *config.Config) { c.ShutdownTimeout = 99 * time.Millisecond }, "-shutdown-timeout"},
		{"send-queue", func(c *config.Config) { c.SendQueue = -1 }, "-send-queue"},
		{"max-connections", func(c *config.Config) { c.MaxConnections = -1 }, "-max-connections"},
		{"log-format", func(c *config.Config) { c.LogFormat = "" }, "-log-format"},
		{"msg-rate", func(c *config.Config) { c.MsgRate = 0 }, "-msg-rate"},
		{"msg-burst", func(c *config.Config) { c.MsgBurst = 0 }, "-msg-burst"},
		{"max-conns-per-ip", func(c *config.Config) { c.MaxConnsPerIP = 0 }, "-max-conns-per-ip"},
		{"room-rate", func(c *config.Config) { c.RoomRate = math.NaN() }, "-room-rate"},
		{"room-burst", func(c *config.Config) { c.RoomBurst = -1 }, "-room-burst"},
		{"trusted-proxies", func(c *config.Config) { c.TrustedProxies = []netip.Prefix{{}} }, "-trusted-proxies"},
		{"resume-grace", func(c *config.Config) { c.ResumeGrace = 0 }, "-resume-grace"},
		{"trusted-proxies valid", func(c *config.Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
		}, ""},
		{"log-level", func(c *config.Config) { c.LogLevel = "" }, "-log-level"},
		{"turn disabled ignores its settings", func(c *config.Config) { c.TURN = config.TURN{} }, ""},
		{"turn ipv6 public ip", func(c *config.Config) { c.TURN.PublicIP = "2001:db8::1" }, ""},
		{"turn credential ttl", func(c *config.Config) { c.TURN.CredentialTTL = 0 }, "-turn-credential-ttl"},
		{"turn realm", func(c *config.Config) { c.TURN.Realm = strings.Repeat("r", 128) }, "-turn-realm"},
		{"ice url", func(c *config.Config) { c.ExternalICE = []string{"turn:"} }, "-ice-servers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			tc.modify(&c)
			err := c.Validate()
			if tc.flag == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.flag+":") {
				t.Fatalf("Validate() = %v, want an error starting %q", err, tc.flag+":")
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		t.Run(arg, func(t *testing.T) {
			var usage bytes.Buffer
			_, err := config.Load([]string{arg}, noEnv, &usage)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("Load(%s) error = %v, want flag.ErrHelp", arg, err)
			}
			out := usage.String()
			for _, f := range allFlags {
				if !strings.Contains(out, "-"+f.flag) {
					t.Errorf("usage does not mention -%s", f.flag)
				}
				if !strings.Contains(out, f.env) {
					t.Errorf("usage does not mention %s", f.env)
				}
			}
		})
	}
}

func TestFlagErrorPrintsUsage(t *testing.T) {
	var usage bytes.Buffer
	if _, err := config.Load([]string{"-no-such-flag"}, noEnv, &usage); err == nil {
		t.Fatal("Load(-no-such-flag) succeeded")
	}
	if !strings.Contains(usage.String(), "no-such-flag") || !strings.Contains(usage.String(), "MAJU_ADDR") {
		t.Errorf("usage after a flag error = %q, want the error and the flag help", usage.String())
	}
}

func TestLoadDoesNotShareState(t *testing.T) {
	// Loading twice must not leak values from one Load into the next (no package-level flag state).
	if _, err := config.Load([]string{"-allowed-origins", "https://a.example", "-send-queue", "8"}, noEnv, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Errorf("second Load = %+v, want defaults", cfg)
	}
}

package turn

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"
	"go.uber.org/goleak"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/protocol"
)

func TestICEServersFor(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	embedded := []Endpoint{{"turn", "udp", 3478}, {"turn", "tcp", 3478}, {"turns", "tcp", 5349}}
	tests := []struct {
		name      string
		s         ICEServers
		host      string
		wantStun  []string
		wantTurn  []string
		wantTTL   int
		wantCreds bool
	}{
		{"embedded, host from request", ICEServers{Embedded: embedded}, "call.example.com:8443",
			[]string{"stun:call.example.com:3478"},
			[]string{"turn:call.example.com:3478?transport=udp", "turn:call.example.com:3478?transport=tcp",
				"turns:call.example.com:5349?transport=tcp"}, 3600, true},
		{"configured host wins", ICEServers{Embedded: embedded[:1], Host: "turn.example.com"}, "10.0.0.1:8080",
			[]string{"stun:turn.example.com:3478"}, []string{"turn:turn.example.com:3478?transport=udp"}, 3600, true},
		{"ipv6 request host", ICEServers{Embedded: embedded[1:2]}, "[::1]:8080",
			nil, []string{"turn:[::1]:3478?transport=tcp"}, 3600, true},
		{"request host without port", ICEServers{Embedded: embedded[:1]}, "127.0.0.1",
			[]string{"stun:127.0.0.1:3478"}, []string{"turn:127.0.0.1:3478?transport=udp"}, 3600, true},
		{"unusable request host skips embedded", ICEServers{Embedded: embedded}, "evil/?x@y:80", nil, nil, 0, false},
		{"external only", ICEServers{External: []string{"stun:stun.example.com", "turns:t.example.com:443?transport=tcp"}},
			"ignored", []string{"stun:stun.example.com"}, []string{"turns:t.example.com:443?transport=tcp"}, 3600, true},
		{"external stun only needs no credentials", ICEServers{External: []string{"stun:stun.example.com"}}, "h",
			[]string{"stun:stun.example.com"}, nil, 0, false},
		{"nothing", ICEServers{}, "h", nil, nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			s.Secret, s.TTL, s.Now = testSecret, time.Hour, func() time.Time { return now }
			s.Random = bytes.NewReader(bytes.Repeat([]byte{7}, 64))
			servers, ttl := s.For(tc.host, "")
			if servers == nil {
				t.Fatal("For returned nil; want a list, possibly empty")
			}
			var stuns, turns []string
			for _, srv := range servers {
				if srv.Username != "" {
					turns = append(turns, srv.URLs...)
					if _, err := Verify(testSecret, srv.Username, now); err != nil {
						t.Errorf("credential %q: %v", srv.Username, err)
					}
					if pw, _ := Verify(testSecret, srv.Username, now); !PasswordEqual(pw, srv.Credential) {
						t.Errorf("credential password does not verify")
					}
				} else {
					stuns = append(stuns, srv.URLs...)
				}
			}
			if !reflect.DeepEqual(stuns, tc.wantStun) || !reflect.DeepEqual(turns, tc.wantTurn) || ttl != tc.wantTTL {
				t.Errorf("For(%q) = stun %q turn %q ttl %d, want stun %q turn %q ttl %d",
					tc.host, stuns, turns, ttl, tc.wantStun, tc.wantTurn, tc.wantTTL)
			}
			for _, srv := range servers {
				for _, u := range srv.URLs {
					if err := config.ValidICEURL(u); err != nil {
						t.Errorf("handed out an invalid URL: %v", err)
					}
				}
			}
		})
	}
}

func TestICEServersNewCredentialsEachTime(t *testing.T) {
	s := ICEServers{Secret: testSecret, TTL: time.Minute, Embedded: []Endpoint{{"turn", "udp", 3478}}}
	a, ttl := s.For("h", "")
	b, _ := s.For("h", "")
	if ttl != 59 && ttl != 60 {
		t.Fatalf("iceTtl %d for a one-minute credential minted mid-second, want 59 (or 60 on a whole second)", ttl)
	}
	if a[1].Username == b[1].Username {
		t.Fatalf("two clients got the same username %q", a[1].Username)
	}
	exp, _, err := parseUsername(a[1].Username)
	if err != nil || time.Until(time.Unix(exp, 0)) > time.Minute || time.Until(time.Unix(exp, 0)) < 58*time.Second {
		t.Fatalf("username %q does not expire in a minute", a[1].Username)
	}
}

// One client (one signaling connection) keeps its id across refreshes, so quotas count per client.
func TestICEServersKeepTheClientID(t *testing.T) {
	s := ICEServers{Secret: testSecret, TTL: time.Minute, Embedded: []Endpoint{{"turn", "udp", 3478}}}
	a, _ := s.For("h", "conn-1")
	b, _ := s.For("h", "conn-1")
	for _, l := range [][]protocol.ICEServer{a, b} {
		if _, id, err := parseUsername(l[1].Username); err != nil || id != "conn-1" {
			t.Fatalf("username %q, want id conn-1", l[1].Username)
		}
	}
	for _, bad := range []string{"with:colon", strings.Repeat("x", 65)} {
		c, _ := s.For("h", bad)
		if _, id, err := parseUsername(c[1].Username); err != nil || id == bad {
			t.Fatalf("client id %q used as is: %q", bad, c[1].Username)
		}
	}
}

func TestLoadSecret(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "secret")
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(good, []byte("  0123456789abcdefXYZ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(short, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, gen, err := LoadSecret(config.TURN{Secret: "from-the-flag-0123"}); err != nil || gen || string(s) != "from-the-flag-0123" {
		t.Errorf("flag secret: %q %v %v", s, gen, err)
	}
	if s, gen, err := LoadSecret(config.TURN{SecretFile: good}); err != nil || gen || string(s) != "0123456789abcdefXYZ" {
		t.Errorf("file secret: %q %v %v", s, gen, err)
	}
	for _, f := range []string{short, filepath.Join(dir, "missing")} {
		if _, _, err := LoadSecret(config.TURN{SecretFile: f}); err == nil || !strings.Contains(err.Error(), "-turn-secret-file") {
			t.Errorf("LoadSecret(%s) error %v, want one naming -turn-secret-file", f, err)
		}
	}
	a, gen, err := LoadSecret(config.TURN{})
	b, _, _ := LoadSecret(config.TURN{})
	if err != nil || !gen || len(a) < 32 || bytes.Equal(a, b) {
		t.Errorf("generated secrets %q %q (generated %v, err %v), want long and different", a, b, gen, err)
	}
}

func TestStartListensWhereConfigured(t *testing.T) {
	cfg := config.Default().TURN
	cfg.UDPAddr, cfg.TCPAddr, cfg.PublicIP, cfg.AllowLoopbackPeers = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1", true
	s, err := Start(cfg, testSecret, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	eps := s.Endpoints()
	if len(eps) != 2 || eps[0].Transport != "udp" || eps[1].Transport != "tcp" || eps[0].Port == 0 || eps[1].Port == 0 {
		t.Fatalf("Endpoints() = %+v", eps)
	}
	ice := ICEServers{Secret: testSecret, TTL: time.Minute, Embedded: eps}
	servers, _ := ice.For("127.0.0.1:8080", "client1")
	cred := servers[len(servers)-1]
	addr := strings.TrimSuffix(strings.TrimPrefix(cred.URLs[0], "turn:"), "?transport=udp")
	relay, err := allocate(t, dial(t, addr, cred.Username, cred.Credential))
	if err != nil {
		t.Fatalf("allocate with the handed-out credential: %v", err)
	}
	expectEcho(t, relay, startEcho(t), "through a relay made by Start")
}

// The readiness check gets a STUN answer from every listener while the server runs, and none once it
// is closed.
func TestCheckAsksEveryListener(t *testing.T) {
	cfg := config.Default().TURN
	cfg.UDPAddr, cfg.TCPAddr, cfg.PublicIP = "127.0.0.1:0", ":0", "127.0.0.1"
	s, err := Start(cfg, testSecret, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.listeners) != 2 {
		t.Fatalf("listeners %v", s.listeners)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check on a running server: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = s.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "udp listener") || !strings.Contains(err.Error(), "tcp listener") {
		t.Fatalf("Check on a closed server: %v, want both listeners named", err)
	}
}

func TestListenUDPSharesOnePort(t *testing.T) {
	conns, err := listenUDP("127.0.0.1:0", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	if len(conns) != 3 {
		t.Fatalf("%d sockets, want 3", len(conns))
	}
	for _, c := range conns[1:] {
		if c.LocalAddr().String() != conns[0].LocalAddr().String() {
			t.Fatalf("sockets on %v and %v, want one port", conns[0].LocalAddr(), c.LocalAddr())
		}
	}
}

func TestStartRefusesBadTLSFiles(t *testing.T) {
	cfg := config.Default().TURN
	cfg.UDPAddr, cfg.TCPAddr, cfg.TLSAddr, cfg.PublicIP = "", "", "127.0.0.1:0", "127.0.0.1"
	cfg.TLSCert, cfg.TLSKey = filepath.Join(t.TempDir(), "none.pem"), filepath.Join(t.TempDir(), "none.key")
	if _, err := Start(cfg, testSecret, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "-turn-tls-cert") {
		t.Fatalf("Start with missing TLS files: %v, want an error naming -turn-tls-cert", err)
	}
}

// TURN over TLS: a client that trusts the configured certificate allocates a relay through it.
func TestStartServesTLS(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	cfg := config.Default().TURN
	cfg.UDPAddr, cfg.TCPAddr, cfg.TLSAddr = "", "", "127.0.0.1:0"
	cfg.PublicIP, cfg.AllowLoopbackPeers = "127.0.0.1", true
	cfg.TLSCert, cfg.TLSKey = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for name, data := range map[string][]byte{cfg.TLSCert: certPEM, cfg.TLSKey: keyPEM} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Start(cfg, testSecret, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	eps := s.Endpoints()
	if len(eps) != 1 || eps[0].Scheme != "turns" || eps[0].Transport != "tcp" {
		t.Fatalf("Endpoints() = %+v, want one turns/tcp", eps)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check over TLS: %v", err)
	}
	servers, _ := (&ICEServers{Secret: testSecret, TTL: time.Minute, Embedded: eps}).For("localhost:8080", "")
	cred := servers[0]
	if want := fmt.Sprintf("turns:localhost:%d?transport=tcp", eps[0].Port); cred.URLs[0] != want {
		t.Fatalf("URL %q, want %q", cred.URLs[0], want)
	}

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	addr := fmt.Sprintf("127.0.0.1:%d", eps[0].Port)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("TLS handshake with the configured certificate: %v", err)
	}
	defer conn.Close() // after c.Close, which leaves its Conn open
	c, err := pionturn.NewClient(&pionturn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr, Conn: pionturn.NewSTUNConn(conn),
		Username: cred.Username, Password: cred.Credential, Realm: cfg.Realm,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := allocate(t, c)
	if err != nil {
		t.Fatalf("allocate over TLS: %v", err)
	}
	expectEcho(t, relay, startEcho(t), "relayed for a client that came over TLS")
}

// selfSigned makes a certificate for localhost and its key, PEM-encoded.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

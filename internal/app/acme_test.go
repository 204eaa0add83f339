package app

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/letsencrypt/challtestsrv"
	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"

	"github.com/maju-call/maju/internal/config"
)

// The whole Let's Encrypt flow against Pebble, Let's Encrypt's test CA, on loopback: the first HTTPS
// handshake for the domain makes maju register, order, answer the CA's challenge (tls-alpn-01 on the
// HTTPS listener, which autocert prefers; the CA resolves the domain with a local DNS server that
// answers 127.0.0.1 for every name) and serve the certificate the CA issues, kept in the cert cache.
// The http-01 route on the plain-HTTP listener: TestDomainModeRoutesChallengesAndRedirects.
func TestLetsEncryptWithPebble(t *testing.T) {
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")      // validate at once, not after a random pause
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0") // no random badNonce rejections
	quiet := log.New(io.Discard, "", 0)

	// The CA's address must be known before maju starts, and maju's HTTP port before the CA's validator
	// is made: open the CA's listener first, serve it last.
	caServer := httptest.NewUnstartedServer(nil)
	acmeHTTPClient = &http.Client{} // maju's ACME client is made at start; it trusts the CA once it runs
	t.Cleanup(func() { acmeHTTPClient = nil })
	cacheDir := t.TempDir()
	a := run(t, func(c *config.Config) {
		c.HTTPS.Domains = []string{"call.example.com"}
		c.HTTPS.CertCache, c.HTTPS.HTTPAddr = cacheDir, "127.0.0.1:0"
		c.HTTPS.ACMEDirectory = "https://" + caServer.Listener.Addr().String() + wfe.DirectoryPath
		c.HTTPS.ACMEEmail = "ops@example.com"
	})
	t.Cleanup(caServer.Close) // registered after run's, so it runs before run's leak check
	dnsAddr := freeUDPAddr(t)
	dns, err := challtestsrv.New(challtestsrv.Config{DNSAddrs: []string{dnsAddr}, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	dns.SetDefaultDNSIPv4("127.0.0.1")
	dns.SetDefaultDNSIPv6("")
	go dns.Run()
	t.Cleanup(dns.Shutdown)

	_, httpPort, _ := net.SplitHostPort(a.redirect.ln.Addr().String())
	_, httpsPort, _ := net.SplitHostPort(a.web.ln.Addr().String())
	store := db.NewMemoryStore()
	authority := ca.New(quiet, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(quiet, mustInt(httpPort), mustInt(httpsPort), false, dnsAddr, store)
	frontEnd := wfe.New(quiet, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 3, 5)
	caServer.Config.Handler = withFinalizeLocation(frontEnd.Handler())
	caServer.StartTLS()
	*acmeHTTPClient = *caServer.Client()

	roots := x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "call.example.com"},
	}}
	t.Cleanup(client.CloseIdleConnections)
	resp, body := get(t, client, "https://"+a.web.ln.Addr().String()+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, "<html") {
		t.Fatalf("GET over the issued certificate: %d", resp.StatusCode)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if leaf.Subject.CommonName != "call.example.com" && (len(leaf.DNSNames) == 0 || leaf.DNSNames[0] != "call.example.com") {
		t.Fatalf("certificate for %v %v", leaf.Subject, leaf.DNSNames)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts == "" {
		t.Error("no HSTS with a CA-issued certificate")
	}
	if _, err := os.Stat(filepath.Join(cacheDir, "acme", "call.example.com")); err != nil {
		t.Errorf("certificate not kept in the cache: %v", err)
	}
}

// withFinalizeLocation adds the Location header Let's Encrypt's production CA sends with a finalize
// response and Pebble does not: x/crypto/acme polls the order at that URL while the certificate is
// being issued.
func withFinalizeLocation(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.URL.Path, "/finalize-order/"); ok {
			w.Header().Set("Location", "https://"+r.Host+"/my-order/"+id)
		}
		h.ServeHTTP(w, r)
	})
}

func freeUDPAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

func mustInt(s string) int { return int(mustPort(s)) }

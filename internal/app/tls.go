package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/lan"
)

// certSource is where the web listener's certificate comes from: files, an ACME CA, or a self-signed
// LAN certificate.
type certSource struct {
	tls *tls.Config
	// challenge answers ACME http-01 challenges on the plain-HTTP listener, passing everything else to
	// its argument; nil without ACME.
	challenge func(http.Handler) http.Handler
	// LAN mode: the certificate and the addresses phones can use.
	lanCert  *x509.Certificate
	lanAddrs []netip.Addr
}

// acmeHTTPClient talks to the ACME CA; nil means http.DefaultClient. Tests point it at a local CA.
var acmeHTTPClient *http.Client

// newCertSource sets up the certificate of cfg, or returns nil for plain HTTP.
func newCertSource(cfg config.HTTPS, log *slog.Logger) (*certSource, error) {
	switch {
	case cfg.CertFile != "":
		files, err := loadCertFiles(cfg.CertFile, cfg.KeyFile, log)
		if err != nil {
			return nil, err
		}
		return &certSource{tls: baseTLS(files.get)}, nil
	case len(cfg.Domains) > 0:
		return acmeSource(cfg, log)
	case cfg.LAN:
		return lanSource(cfg, log)
	}
	return nil, nil
}

// baseTLS is the TLS configuration of every HTTPS listener: TLS 1.2 or later, HTTP/2 and HTTP/1.1
// (WebSockets use HTTP/1.1: Go's HTTP/2 server does not offer extended CONNECT by default).
func baseTLS(get func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: get, NextProtos: []string{"h2", "http/1.1"}}
}

func acmeSource(cfg config.HTTPS, log *slog.Logger) (*certSource, error) {
	dir, err := cacheDir(cfg.CertCache)
	if err != nil {
		return nil, fmt.Errorf("-cert-cache: %w (ACME certificates must be kept across restarts)", err)
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(filepath.Join(dir, "acme")),
		HostPolicy: autocert.HostWhitelist(cfg.Domains...),
		Email:      cfg.ACMEEmail,
		Client:     &acme.Client{DirectoryURL: cfg.ACMEDirectory, HTTPClient: acmeHTTPClient},
	}
	t := m.TLSConfig() // answers tls-alpn-01 challenges too, so :443 alone can get a certificate
	t.MinVersion = tls.VersionTLS12
	t.GetCertificate = logACMEErrors(m.GetCertificate, cfg.Domains, log)
	return &certSource{tls: t, challenge: m.HTTPHandler}, nil
}

// logACMEErrors makes a failure to get a certificate for one of our domains (the CA refused, a
// challenge could not be answered) a warning in the log: http.Server reports it only as a TLS handshake
// error, at debug level. Handshakes for other names (scanners) stay quiet.
func logACMEErrors(get func(*tls.ClientHelloInfo) (*tls.Certificate, error), domains []string,
	log *slog.Logger) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	ours := map[string]bool{}
	for _, d := range domains {
		ours[strings.ToLower(d)] = true
	}
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := get(hello)
		if err != nil && ours[strings.ToLower(hello.ServerName)] {
			log.Warn("no certificate for this domain yet", "domain", hello.ServerName, "err", err)
		}
		return cert, err
	}
}

func lanSource(cfg config.HTTPS, log *slog.Logger) (*certSource, error) {
	addrs := lan.Addresses()
	hosts := make([]string, 0, len(addrs))
	for _, a := range addrs {
		hosts = append(hosts, a.String())
	}
	dir, err := cacheDir(cfg.CertCache)
	if err != nil {
		log.Warn("LAN certificate kept in memory only: phones will see a new one after a restart", "err", err)
		dir = ""
	}
	cert, err := lan.Certificate(dir, hosts, time.Now())
	if err != nil {
		return nil, fmt.Errorf("-lan: %w", err)
	}
	return &certSource{
		tls:     baseTLS(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &cert, nil }),
		lanCert: cert.Leaf, lanAddrs: addrs,
	}, nil
}

// cacheDir returns dir, or the user cache directory's maju/certs when dir is empty.
func cacheDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "maju", "certs"), nil
}

// certFiles serves a certificate from PEM files and reloads them when they change (a renewal by
// certbot or similar), checking at most once a minute. A broken new pair is logged and the old one kept.
type certFiles struct {
	certPath, keyPath string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
	checked time.Time
}

func loadCertFiles(certPath, keyPath string, log *slog.Logger) (*certFiles, error) {
	f := &certFiles{certPath: certPath, keyPath: keyPath, log: log}
	cert, mod, err := f.load()
	if err != nil {
		return nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
	}
	f.cert, f.modTime, f.checked = cert, mod, time.Now()
	return f, nil
}

const certRecheck = time.Minute

func (f *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.checked) < certRecheck {
		return f.cert, nil
	}
	f.checked = time.Now()
	if mod, err := newest(f.certPath, f.keyPath); err != nil || !mod.After(f.modTime) {
		return f.cert, nil
	}
	cert, mod, err := f.load()
	if err != nil {
		f.log.Error("TLS certificate files changed but do not load; keeping the old certificate", "err", err)
		return f.cert, nil
	}
	f.log.Info("TLS certificate reloaded", "not_after", cert.Leaf.NotAfter)
	f.cert, f.modTime = cert, mod
	return f.cert, nil
}

func (f *certFiles) load() (*tls.Certificate, time.Time, error) {
	mod, err := newest(f.certPath, f.keyPath)
	if err != nil {
		return nil, time.Time{}, err
	}
	cert, err := tls.LoadX509KeyPair(f.certPath, f.keyPath)
	if err != nil {
		return nil, time.Time{}, err
	}
	if cert.Leaf == nil {
		return nil, time.Time{}, errors.New("no certificate in the file")
	}
	return &cert, mod, nil
}

// newest returns the later modification time of two files.
func newest(a, b string) (time.Time, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return time.Time{}, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return time.Time{}, err
	}
	if sb.ModTime().After(sa.ModTime()) {
		return sb.ModTime(), nil
	}
	return sa.ModTime(), nil
}

// Package app runs a whole maju process: the node (signaling, web client, TURN relay) behind its HTTP
// or HTTPS listener, the plain-HTTP listener that redirects to HTTPS and answers ACME challenges, and
// the metrics listener; and it shuts all of them down gracefully. cmd/maju parses flags and runs an App;
// tests start Apps the same way.
package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/maju-call/maju/internal/config"
	"github.com/maju-call/maju/internal/node"
)

// App is a started maju process. Run serves it until its context ends.
type App struct {
	cfg   config.Config
	log   *slog.Logger
	node  *node.Node
	certs *certSource // nil for plain HTTP

	web, redirect, metrics *listener // redirect and metrics may be nil
}

// listener is one socket with the http.Server serving it.
type listener struct {
	ln  net.Listener
	srv *http.Server
	tls bool
}

// Start opens every listener of cfg and starts the node; nothing is served until Run. cfg must be valid.
func Start(cfg config.Config, log *slog.Logger) (_ *App, err error) {
	a := &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()
	if a.certs, err = newCertSource(cfg.HTTPS, log); err != nil {
		return nil, err
	}
	if a.web, err = a.listen("addr", cfg.Addr, nil); err != nil {
		return nil, err
	}
	if a.certs != nil {
		a.web.tls, a.web.srv.TLSConfig = true, a.certs.tls
	}
	if a.node, err = node.Start(cfg, log); err != nil {
		return nil, err
	}
	a.web.srv.Handler = a.node.Handler()
	if cfg.HTTPS.HTTPAddr != "" {
		if a.redirect, err = a.listen("http-addr", cfg.HTTPS.HTTPAddr, a.redirectHandler()); err != nil {
			return nil, err
		}
	}
	if cfg.MetricsAddr != "" {
		if a.metrics, err = a.listen("metrics-addr", cfg.MetricsAddr, a.node.MetricsHandler()); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// listen opens addr (named by its flag in errors) with an http.Server whose every phase is bounded.
func (a *App) listen(flagName, addr string, h http.Handler) (*listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-%s: %w", flagName, err)
	}
	return &listener{ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second, // the WebSocket handshake deadline too
		ReadTimeout:       30 * time.Second, // signaling sets its own deadlines once upgraded
		WriteTimeout:      60 * time.Second, // a whole response on a slow phone link; WebSockets set their own
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		// Debug: TLS handshakes refused by scanners and by phones that have not accepted a LAN
		// certificate yet would otherwise fill the log.
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}}, nil
}

// redirectHandler sends plain-HTTP requests to the same path over HTTPS, after ACME challenges. With
// -domain it only ever redirects to one of the domains, whatever Host the request named.
func (a *App) redirectHandler() http.Handler {
	_, httpsPort, _ := net.SplitHostPort(a.web.ln.Addr().String())
	domains := a.cfg.HTTPS.Domains
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		if len(domains) > 0 && !slices.Contains(domains, strings.ToLower(host)) {
			host = domains[0]
		}
		if httpsPort != "443" {
			host = net.JoinHostPort(host, httpsPort)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "Use HTTPS.", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
	if a.certs != nil && a.certs.challenge != nil {
		return a.certs.challenge(redirect)
	}
	return redirect
}

// URL is where this process serves people on this machine: http(s)://localhost:port/ for a wildcard
// listen address, the first domain with -domain.
func (a *App) URL() string { return a.web.url(a.cfg.HTTPS.Domains) }

// LANURLs are the addresses a phone on the same network can open (LAN mode only).
func (a *App) LANURLs() []string {
	if a.certs == nil || a.certs.lanCert == nil {
		return nil
	}
	_, port, _ := net.SplitHostPort(a.web.ln.Addr().String())
	var urls []string
	for _, ip := range a.certs.lanAddrs {
		urls = append(urls, "https://"+netip.AddrPortFrom(ip, mustPort(port)).String()+"/")
	}
	return urls
}

// LANCertificate is the self-signed certificate of LAN mode, or nil.
func (a *App) LANCertificate() *x509.Certificate {
	if a.certs == nil {
		return nil
	}
	return a.certs.lanCert
}

// MetricsURL is the metrics listener's /metrics, or "" without one.
func (a *App) MetricsURL() string {
	if a.metrics == nil {
		return ""
	}
	return a.metrics.url(nil) + "metrics"
}

// Node returns the running node.
func (a *App) Node() *node.Node { return a.node }

func (l *listener) url(domains []string) string {
	scheme := "http"
	if l.tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(l.ln.Addr().String())
	if err != nil {
		return scheme + "://" + l.ln.Addr().String() + "/"
	}
	if len(domains) > 0 {
		host = domains[0]
	} else if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		return scheme + "://" + host + "/"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

func mustPort(s string) uint16 {
	var p uint16
	_, _ = fmt.Sscan(s, &p)
	return p
}

// Run serves every listener until ctx ends or one fails, then shuts down gracefully: signaling clients
// are told, HTTP servers drain, the relay stops last.
func (a *App) Run(ctx context.Context) error {
	served := make(chan error, 3)
	for _, l := range a.listeners() {
		go func() { served <- l.serve() }()
	}
	var err error
	select {
	case err = <-served:
		a.log.Error("listener failed", "err", err)
	case <-ctx.Done():
		a.log.Info("shutting down")
	}
	return errors.Join(err, a.shutdown())
}

func (l *listener) serve() error {
	var err error
	if l.tls {
		err = l.srv.ServeTLS(l.ln, "", "") // certificates come from TLSConfig
	} else {
		err = l.srv.Serve(l.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (a *App) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	// Hijacked WebSockets are not http.Server's: the node's shutdown tells their clients and waits.
	nodeDone := make(chan error, 1)
	go func() { nodeDone <- a.node.Shutdown(ctx) }()
	var errs []error
	for _, l := range a.listeners() {
		errs = append(errs, l.srv.Shutdown(ctx))
	}
	return errors.Join(append(errs, <-nodeDone)...)
}

// closeAll releases what a failed Start opened.
func (a *App) closeAll() {
	for _, l := range a.listeners() {
		_ = l.ln.Close()
	}
	if a.node != nil {
		_ = a.node.Close()
	}
}

func (a *App) listeners() []*listener {
	var ls []*listener
	for _, l := range []*listener{a.web, a.redirect, a.metrics} {
		if l != nil {
			ls = append(ls, l)
		}
	}
	return ls
}

package lan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// t0 is a fixed "now"; whole seconds, as certificates store them.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

var lanHosts = []string{"192.168.1.23", "[fd00::23]", "fe80::1%wlan0", "Maju.Local."}

// mustCert calls Certificate and fails the test on error.
func mustCert(t *testing.T, dir string, hosts []string, now time.Time) tls.Certificate {
	t.Helper()
	c, err := Certificate(dir, hosts, now)
	if err != nil {
		t.Fatalf("Certificate(%q, %q, %v): %v", dir, hosts, now, err)
	}
	if c.Leaf == nil {
		t.Fatal("Certificate: Leaf not set")
	}
	return c
}

// selfPool is a pool that trusts exactly cert, as a phone does once its user
// accepted the warning.
func selfPool(cert *x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

func TestCertificateVerifiesForEveryHost(t *testing.T) {
	leaf := mustCert(t, "", lanHosts, t0).Leaf
	opts := x509.VerifyOptions{Roots: selfPool(leaf), CurrentTime: t0, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, host := range []string{"192.168.1.23", "fd00::23", "fe80::1", "maju.local", "MAJU.local", "localhost", "127.0.0.1", "::1"} {
		opts.DNSName = host
		if _, err := leaf.Verify(opts); err != nil {
			t.Errorf("Verify for %q: %v", host, err)
		}
	}
	for _, host := range []string{"192.168.1.24", "example.com"} {
		opts.DNSName = host
		if _, err := leaf.Verify(opts); err == nil {
			t.Errorf("Verify for uncovered %q succeeded", host)
		}
	}
	opts.DNSName, opts.CurrentTime = "localhost", t0.Add(90*day)
	if _, err := leaf.Verify(opts); err == nil {
		t.Error("Verify 90 days later succeeded")
	}
}

func TestCertificateFields(t *testing.T) {
	leaf := mustCert(t, "", []string{"192.168.1.23", "192.168.1.23", "localhost"}, t0).Leaf
	if leaf.Subject.CommonName != "maju LAN certificate" {
		t.Errorf("CommonName = %q", leaf.Subject.CommonName)
	}
	if !leaf.NotBefore.Equal(t0.Add(-time.Hour)) || !leaf.NotAfter.Equal(leaf.NotBefore.Add(90*day)) {
		t.Errorf("validity %v to %v, want %v for 90 days", leaf.NotBefore, leaf.NotAfter, t0.Add(-time.Hour))
	}
	if leaf.KeyUsage != x509.KeyUsageDigitalSignature || !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("KeyUsage %v, ExtKeyUsage %v", leaf.KeyUsage, leaf.ExtKeyUsage)
	}
	if !leaf.BasicConstraintsValid || leaf.IsCA {
		t.Errorf("BasicConstraintsValid %v, IsCA %v: want a non-CA certificate", leaf.BasicConstraintsValid, leaf.IsCA)
	}
	if leaf.SerialNumber.Sign() <= 0 || leaf.SerialNumber.BitLen() > 128 {
		t.Errorf("serial %v: want positive and at most 128 bits", leaf.SerialNumber)
	}
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", leaf.PublicKey)
	}
	// Signed by its own key (CheckSignatureFrom would insist on a CA).
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil || leaf.Issuer.String() != leaf.Subject.String() {
		t.Errorf("not self-signed: %v", err)
	}
	// Duplicates collapse; the loopback names are always there.
	if !slices.Equal(leaf.DNSNames, []string{"localhost"}) || len(leaf.IPAddresses) != 3 {
		t.Errorf("DNSNames %q, IPAddresses %v", leaf.DNSNames, leaf.IPAddresses)
	}
}

func TestCertificateRejectsBadHosts(t *testing.T) {
	for _, host := range []string{"192.168.1.23:8443", "https://maju.local", "maju local", "-maju.local", "", "*.local"} {
		if _, err := Certificate(t.TempDir(), []string{host}, t0); err == nil {
			t.Errorf("Certificate with host %q: no error", host)
		}
	}
}

// TestCertificateInMemory checks that dir == "" writes nothing, not even in
// the working directory, and makes a fresh certificate each time.
func TestCertificateInMemory(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	a := mustCert(t, "", lanHosts, t0)
	b := mustCert(t, "", lanHosts, t0)
	if a.Leaf.SerialNumber.Cmp(b.Leaf.SerialNumber) == 0 {
		t.Error("two in-memory certificates share a serial")
	}
	if entries, _ := os.ReadDir(wd); len(entries) != 0 {
		t.Errorf("in-memory mode wrote %v", entries)
	}
}

func TestCertificateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "maju")
	c := mustCert(t, dir, lanHosts, t0)
	for name, want := range map[string]os.FileMode{".": 0o700, CertFile: 0o644, KeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", name, got, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir holds %v, want only the two files (no temporary leftovers)", entries)
	}
	stored, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if !stored.Leaf.Equal(c.Leaf) {
		t.Error("stored certificate differs from the returned one")
	}
}

func TestCertificateReuse(t *testing.T) {
	home := []string{"192.168.1.23"}
	tests := []struct {
		name  string
		hosts []string
		now   time.Time
		reuse bool
	}{
		{"same hosts a day later", home, t0.Add(day), true},
		{"fewer hosts", nil, t0, true},
		{"same host spelled differently", []string{"[192.168.1.23]", "::1", "LOCALHOST"}, t0, true},
		{"8 days left", home, t0.Add(82 * day), true},
		{"a new address", []string{"192.168.1.23", "10.0.0.7"}, t0, false},
		{"a new name", []string{"maju.local"}, t0, false},
		{"6 days left", home, t0.Add(84 * day), false},
		{"expired", home, t0.Add(100 * day), false},
		{"clock before NotBefore", home, t0.Add(-2 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first := mustCert(t, dir, home, t0)
			second := mustCert(t, dir, tt.hosts, tt.now)
			if reused := second.Leaf.Equal(first.Leaf); reused != tt.reuse {
				t.Fatalf("reused = %v, want %v", reused, tt.reuse)
			}
			// Whatever was returned is now what is stored, and a third call
			// with the same arguments reuses it.
			if third := mustCert(t, dir, tt.hosts, tt.now); !third.Leaf.Equal(second.Leaf) {
				t.Error("third call did not reuse the second certificate")
			}
		})
	}
}

func TestCertificateReplacesBrokenFiles(t *testing.T) {
	otherDir := t.TempDir()
	mustCert(t, otherDir, nil, t0)
	otherKey, err := os.ReadFile(filepath.Join(otherDir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		// mangle returns the new content, or nil to delete the file.
		mangle func(old []byte) []byte
	}{
		{"garbage certificate", CertFile, func([]byte) []byte { return []byte("not PEM") }},
		{"truncated certificate", CertFile, func(old []byte) []byte { return old[:len(old)/2] }},
		{"missing certificate", CertFile, func([]byte) []byte { return nil }},
		{"empty key", KeyFile, func([]byte) []byte { return []byte{} }},
		{"missing key", KeyFile, func([]byte) []byte { return nil }},
		{"another certificate's key", KeyFile, func([]byte) []byte { return otherKey }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first := mustCert(t, dir, lanHosts, t0)
			path := filepath.Join(dir, tt.file)
			old, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if data := tt.mangle(old); data == nil {
				err = os.Remove(path)
			} else {
				err = os.WriteFile(path, data, 0o600)
			}
			if err != nil {
				t.Fatal(err)
			}
			second := mustCert(t, dir, lanHosts, t0)
			if second.Leaf.Equal(first.Leaf) {
				t.Error("broken files: got the old certificate back")
			}
			stored, err := load(dir)
			if err != nil || !stored.Leaf.Equal(second.Leaf) {
				t.Errorf("files not rewritten with the new certificate (load: %v)", err)
			}
		})
	}
}

// TestCertificateTLSHandshake serves the certificate on a loopback listener
// and connects as a client that trusts it, naming each LAN host in SNI as a
// phone would; a host the certificate lacks fails.
func TestCertificateTLSHandshake(t *testing.T) {
	c := mustCert(t, "", lanHosts, time.Now())
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{c}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.(*tls.Conn).Handshake() // the client reports failures
			conn.Close()
		}
	}()
	dial := func(serverName string) error {
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: selfPool(c.Leaf), ServerName: serverName})
		if err == nil {
			conn.Close()
		}
		return err
	}
	for _, host := range []string{"192.168.1.23", "fd00::23", "maju.local", "localhost", "127.0.0.1"} {
		if err := dial(host); err != nil {
			t.Errorf("handshake as %q: %v", host, err)
		}
	}
	var hostErr x509.HostnameError
	if err := dial("192.168.1.99"); !errors.As(err, &hostErr) {
		t.Errorf("handshake as an uncovered host: err = %v, want x509.HostnameError", err)
	}
}

package lan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Names of the files Certificate keeps in its directory.
const (
	CertFile = "lan-cert.pem"
	KeyFile  = "lan-key.pem"
)

const (
	commonName = "maju LAN certificate"
	backdate   = time.Hour           // tolerates a phone whose clock is a little behind
	validity   = 90 * 24 * time.Hour // counted from the backdated start
	// minRemaining is how long a stored certificate must stay valid to be
	// reused, so a running maju never serves an expired one.
	minRemaining = 7 * 24 * time.Hour
)

// localHosts are in every certificate, so the same one also serves
// https://localhost on the machine itself.
var localHosts = []string{"localhost", "127.0.0.1", "::1"}

// Certificate returns a self-signed ECDSA P-256 server certificate, with
// Leaf set, valid for hosts and for localhost, 127.0.0.1 and ::1. Hosts are
// IP literals (brackets and zones allowed) or DNS names (ASCII, no port).
//
// With dir == "" the certificate lives only in memory. Otherwise Certificate
// reuses dir/lan-cert.pem and dir/lan-key.pem when they parse, cover every
// host and stay valid for at least 7 more days: a phone that accepted the
// certificate warning once keeps working across restarts. If not, it makes a
// new certificate and replaces both files (dir created 0700, key 0600).
// now is the current time; new certificates are valid from an hour before
// it for 90 days.
func Certificate(dir string, hosts []string, now time.Time) (tls.Certificate, error) {
	names, ips, err := altNames(append(slices.Clone(hosts), localHosts...))
	if err != nil {
		return tls.Certificate{}, err
	}
	if dir != "" {
		if c, err := load(dir); err == nil && reusable(c.Leaf, names, ips, now) {
			return c, nil
		}
	}
	certPEM, keyPEM, err := create(names, ips, now)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("lan certificate: %w", err)
	}
	if dir != "" {
		if err := save(dir, certPEM, keyPEM); err != nil {
			return tls.Certificate{}, fmt.Errorf("lan certificate: %w", err)
		}
	}
	return keyPair(certPEM, keyPEM)
}

// dnsName matches ASCII host names: dot-separated labels of letters, digits
// and inner hyphens. Anything else (a port, a URL, a space) is a caller's
// mistake that would otherwise surface as a baffling browser error.
var dnsName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// altNames sorts hosts into the certificate's DNS names and IP addresses,
// canonical and without duplicates, keeping the first occurrence's order.
func altNames(hosts []string) (names []string, ips []netip.Addr, err error) {
	for _, host := range hosts {
		h := strings.TrimPrefix(strings.TrimSuffix(host, "]"), "[")
		if ip, err := netip.ParseAddr(h); err == nil {
			ip = ip.WithZone("").Unmap()
			if !slices.Contains(ips, ip) {
				ips = append(ips, ip)
			}
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(h, "."))
		if len(name) > 253 || !dnsName.MatchString(name) {
			return nil, nil, fmt.Errorf("lan certificate: %q is neither an IP address nor a host name", host)
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names, ips, nil
}

// reusable reports whether a stored certificate can serve until at least
// minRemaining from now and covers every name and address.
func reusable(leaf *x509.Certificate, names []string, ips []netip.Addr, now time.Time) bool {
	if now.Before(leaf.NotBefore) || leaf.NotAfter.Sub(now) < minRemaining {
		return false
	}
	for _, ip := range ips {
		names = append(names, ip.String())
	}
	for _, h := range names {
		if leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// create makes a new key and self-signed certificate, PEM-encoded.
func create(names []string, ips []netip.Addr, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(-backdate + validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, // and IsCA false: it can sign nothing else
		DNSNames:              names,
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(ip.AsSlice()))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// randomSerial returns a random 128-bit serial number in [1, 2^128):
// RFC 5280 wants serials positive, so 0 is left out.
func randomSerial() (*big.Int, error) {
	one := big.NewInt(1)
	n, err := rand.Int(rand.Reader, new(big.Int).Sub(new(big.Int).Lsh(one, 128), one))
	if err != nil {
		return nil, err
	}
	return n.Add(n, one), nil
}

// keyPair parses a PEM certificate and its key, checking that they match.
func keyPair(certPEM, keyPEM []byte) (tls.Certificate, error) {
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("lan certificate: %w", err)
	}
	if c.Leaf == nil { // only with GODEBUG=x509keypairleaf=0
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("lan certificate: %w", err)
		}
	}
	return c, nil
}

// load reads the certificate and key stored in dir.
func load(dir string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err != nil {
		return tls.Certificate{}, err
	}
	return keyPair(certPEM, keyPEM)
}

// save stores a certificate and key in dir. The key goes first: if maju dies
// between the two renames, the pair does not match and the next start
// simply makes a new one.
func save(dir string, certPEM, keyPEM []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, KeyFile), keyPEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, CertFile), certPEM, 0o644)
}

// writeFileAtomic replaces path with data via a temporary file in the same
// directory and a rename, so readers see the old file or the whole new one.
// The temporary file is created 0600, so a key is never readable by others.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

package app

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/maju-call/maju/internal/lan"
)

// A renewed certificate (certbot replacing the files) is picked up without a restart; a broken
// replacement keeps the working certificate.
func TestCertificateFilesReload(t *testing.T) {
	now := time.Now()
	first, second := t.TempDir(), t.TempDir()
	certA, err := lan.Certificate(first, []string{"a.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	certB, err := lan.Certificate(second, []string{"b.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(first, lan.CertFile), filepath.Join(first, lan.KeyFile)
	files, err := loadCertFiles(certPath, keyPath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	serving := func() string {
		c, err := files.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf.DNSNames[0]
	}
	if got := serving(); got != certA.Leaf.DNSNames[0] {
		t.Fatalf("serving %s", got)
	}

	replace := func(certPEM, keyPEM []byte, age time.Duration) {
		t.Helper()
		for path, data := range map[string][]byte{certPath: certPEM, keyPath: keyPEM} {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			later := now.Add(age)
			if err := os.Chtimes(path, later, later); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(second, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	replace(read(lan.CertFile), read(lan.KeyFile), time.Minute)
	if got := serving(); got != certA.Leaf.DNSNames[0] {
		t.Fatalf("reloaded before the recheck interval: serving %s", got)
	}
	files.checked = time.Time{} // the minute has passed
	if got := serving(); got != certB.Leaf.DNSNames[0] {
		t.Fatalf("after renewal serving %s, want %s", got, certB.Leaf.DNSNames[0])
	}

	replace([]byte("garbage"), []byte("garbage"), 2*time.Minute)
	files.checked = time.Time{}
	if got := serving(); got != certB.Leaf.DNSNames[0] {
		t.Fatalf("after a broken renewal serving %s, want the previous certificate", got)
	}
}

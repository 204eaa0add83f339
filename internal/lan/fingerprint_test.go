package lan

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

func TestFingerprint(t *testing.T) {
	leaf := mustCert(t, "", nil, t0).Leaf
	got := Fingerprint(leaf)
	if !regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`).MatchString(got) {
		t.Fatalf("Fingerprint = %q: want 32 uppercase hex bytes joined by colons", got)
	}
	sum := sha256.Sum256(leaf.Raw)
	if hexDigits := strings.ReplaceAll(got, ":", ""); !strings.EqualFold(hexDigits, hex.EncodeToString(sum[:])) {
		t.Errorf("Fingerprint = %q, not the SHA-256 of the DER %x", got, sum)
	}
}

func TestSPKIHash(t *testing.T) {
	leaf := mustCert(t, "", nil, t0).Leaf
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	if got, want := SPKIHash(leaf), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("SPKIHash = %q, want %q", got, want)
	}
	// The hash names the key, not the certificate: a renewal with the same
	// key would keep it, a new certificate from Certificate (new key) does not.
	if other := mustCert(t, "", nil, t0).Leaf; SPKIHash(other) == SPKIHash(leaf) {
		t.Error("two certificates with different keys share an SPKI hash")
	}
}

package lan

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
)

// Fingerprint returns the SHA-256 fingerprint of cert's DER encoding as
// uppercase hex bytes joined by colons ("AB:01:…"), the form phones and
// desktop browsers show in certificate details. Printing it at startup lets
// a careful user check that the certificate warning is about this machine.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	hexBytes := make([]string, len(sum))
	for i, b := range sum {
		hexBytes[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(hexBytes, ":")
}

// SPKIHash returns the standard base64 SHA-256 of cert's
// SubjectPublicKeyInfo, the form Chromium's
// --ignore-certificate-errors-spki-list flag takes: it makes a test browser
// trust exactly this certificate's key and nothing else.
func SPKIHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

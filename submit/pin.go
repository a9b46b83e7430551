package submit

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// ParsePin reads a SHA-256 certificate fingerprint as printed by browsers and openssl ("AB:CD:..." or
// "abcd...").
func ParsePin(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.NewReplacer(":", "", " ", "").Replace(s))
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("submit: %q is not a SHA-256 fingerprint (64 hex digits)", s)
	}
	return b, nil
}

// pinError says that the server's certificate neither matched the pin nor verified.
type pinError struct {
	got string
	err error
}

func (e *pinError) Error() string {
	return fmt.Sprintf("its SHA-256 fingerprint %s is not the pinned one, and it does not verify: %v", e.got, e.err)
}

// verifyPinned accepts the connection when the leaf certificate has the pinned fingerprint, or when it
// verifies against the roots and the host name as usual.
func verifyPinned(cs tls.ConnectionState, host string, roots *x509.CertPool, pin []byte, now time.Time) error {
	if len(cs.PeerCertificates) == 0 {
		return &pinError{got: "(none)", err: fmt.Errorf("no certificate")}
	}
	leaf := cs.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	if string(sum[:]) == string(pin) {
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: now})
	if err != nil {
		return &pinError{got: hex.EncodeToString(sum[:]), err: err}
	}
	return nil
}

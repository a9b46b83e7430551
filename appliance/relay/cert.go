package relay

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scangate/gateway/internal/atomicfile"
	"github.com/scangate/gateway/submit"
)

// The files of the certificate the gateway makes, in Options.StateDir (the spool directory).
const (
	CertFileName = "relay-cert.pem"
	KeyFileName  = "relay-key.pem"
)

// certLifetime is how long a certificate the gateway makes is valid.
const certLifetime = 10 * 365 * 24 * time.Hour

// certificate is the configured certificate, or the one the gateway made, made now if there is none yet.
func certificate(o Options, now time.Time) (tls.Certificate, error) {
	if o.CertFile != "" || o.KeyFile != "" {
		c, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return c, fmt.Errorf("relay: cert_file/key_file: %w", err)
		}
		return c, nil
	}
	c, err := loadMade(o.StateDir)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	return makeCertificate(o.StateDir, now)
}

// loadMade loads the certificate the gateway made in dir.
func loadMade(dir string) (tls.Certificate, error) {
	cf, kf := filepath.Join(dir, CertFileName), filepath.Join(dir, KeyFileName)
	if _, err := os.Stat(kf); err != nil {
		return tls.Certificate{}, err
	}
	c, err := tls.LoadX509KeyPair(cf, kf)
	if err != nil {
		return c, fmt.Errorf("relay: the certificate the gateway made (%s, %s): %w; delete both files to make a new one", cf, kf, err)
	}
	return c, nil
}

// makeCertificate makes a self-signed ECDSA P-256 certificate for this machine's name and addresses, valid for
// certLifetime, and keeps it in dir (the key 0600, written first: a certificate file is never there without
// its key).
func makeCertificate(dir string, now time.Time) (tls.Certificate, error) {
	if dir == "" {
		return tls.Certificate{}, errors.New("relay: no directory to keep the certificate in")
	}
	if now.Before(submit.DefaultEarliestTime()) {
		// A board without a clock starts in 1970: a certificate made then would be expired for good.
		return tls.Certificate{}, fmt.Errorf("relay: %w: the relay's certificate is made once the clock is set", submit.ErrClockNotSet)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "scangate"
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"Scangate relay"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{host},
	}
	if !strings.Contains(host, ".") {
		tmpl.DNSNames = append(tmpl.DNSNames, "localhost")
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ipn.IP)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, fmt.Errorf("relay: %w", err)
	}
	write := func(name string, mode fs.FileMode, block *pem.Block) error {
		return atomicfile.WriteFile(filepath.Join(dir, name), mode, func(f *os.File) error { return pem.Encode(f, block) })
	}
	if err := write(KeyFileName, 0o600, &pem.Block{Type: "PRIVATE KEY", Bytes: kder}); err != nil {
		return tls.Certificate{}, fmt.Errorf("relay: keeping the certificate: %w", err)
	}
	if err := write(CertFileName, 0o644, &pem.Block{Type: "CERTIFICATE", Bytes: der}); err != nil {
		return tls.Certificate{}, fmt.Errorf("relay: keeping the certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// fingerprint is the SHA-256 of a DER certificate in the form "AB:CD:...".
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

// Fingerprint returns the SHA-256 fingerprint of the certificate the relay offers with o: the configured one,
// or the one the gateway made. made is false when the gateway has not made its certificate yet (gateway run
// makes it at its first start); Fingerprint never makes one.
func Fingerprint(o Options) (fp string, made bool, err error) {
	var c tls.Certificate
	if o.CertFile != "" || o.KeyFile != "" {
		c, err = tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return "", false, fmt.Errorf("relay: cert_file/key_file: %w", err)
		}
	} else {
		c, err = loadMade(o.StateDir)
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
	}
	return fingerprint(c.Certificate[0]), true, nil
}

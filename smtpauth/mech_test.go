package smtpauth

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// verifiedTLS is a channel as the session hands it over after a verified TLS handshake, without channel
// binding data (exporting it needs a real handshake: tests of -PLUS use tlsPair).
var verifiedTLS = Channel{TLS: &tls.ConnectionState{Version: tls.VersionTLS12, HandshakeComplete: true}, Verified: true}

func TestSelect(t *testing.T) {
	pw := Credentials{User: "user", Password: "pass"}
	tok := Credentials{User: "user", Token: "tok"}
	both := Credentials{User: "user", Password: "pass", Token: "tok"}
	cert := Credentials{ClientCert: true}
	clear := Channel{}
	tests := []struct {
		name       string
		advertised string
		cred       Credentials
		ch         Channel
		prefer     []string
		want       string // "" means no usable mechanism
	}{
		{"draft-murchison-sasl-login §1/PLAIN before LOGIN", "LOGIN PLAIN", pw, verifiedTLS, nil, "PLAIN"},
		{"RFC 4422 §3.2/LOGIN only (Exchange)", "LOGIN", pw, verifiedTLS, nil, "LOGIN"},
		{"RFC 4954 §8/case-insensitive names", "plain login", pw, verifiedTLS, nil, "PLAIN"},
		{"RFC 4422 §3.2/no prefix matches", "PLAIN-CLIENTTOKEN XOAUTH", both, verifiedTLS, nil, ""},
		{"RFC 5802 §9/SCRAM-SHA-256 before SCRAM-SHA-1 and PLAIN", "PLAIN SCRAM-SHA-1 SCRAM-SHA-256", pw, verifiedTLS, nil, "SCRAM-SHA-256"},
		{"SCRAM-SHA-1 before CRAM-MD5", "CRAM-MD5 SCRAM-SHA-1 PLAIN", pw, verifiedTLS, nil, "SCRAM-SHA-1"},
		{"CRAM-MD5 before PLAIN", "PLAIN CRAM-MD5 LOGIN", pw, verifiedTLS, nil, "CRAM-MD5"},
		{"no -PLUS without channel binding data", "SCRAM-SHA-256-PLUS", pw, verifiedTLS, nil, ""},
		{"token: OAUTHBEARER before XOAUTH2", "XOAUTH2 OAUTHBEARER PLAIN", tok, verifiedTLS, nil, "OAUTHBEARER"},
		{"token: XOAUTH2 (Microsoft)", "LOGIN XOAUTH2", tok, verifiedTLS, nil, "XOAUTH2"},
		{"RFC 3207 §4.2/no token for XOAUTH2", "XOAUTH2", pw, verifiedTLS, nil, ""},
		{"token before password mechanisms", "PLAIN XOAUTH2", both, verifiedTLS, nil, "XOAUTH2"},
		{"EXTERNAL with a client certificate", "PLAIN EXTERNAL", cert, verifiedTLS, nil, "EXTERNAL"},
		{"no EXTERNAL without a certificate", "EXTERNAL", pw, verifiedTLS, nil, ""},
		{"RFC 4616 §5, RFC 7628 §3/nothing in clear", "PLAIN LOGIN XOAUTH2 OAUTHBEARER CRAM-MD5 SCRAM-SHA-256", both, clear, nil, ""},
		{"RFC 4954 §14/nothing over unverified TLS", "PLAIN LOGIN", pw, Channel{TLS: verifiedTLS.TLS}, nil, ""},
		{"lab: insecure allowed explicitly", "PLAIN", pw, Channel{AllowInsecure: true}, nil, "PLAIN"},
		{"nothing advertised", "", pw, verifiedTLS, nil, ""},
		{"configured preference", "PLAIN LOGIN", pw, verifiedTLS, []string{"login"}, "LOGIN"},
		{"configured mechanism we don't speak", "GSSAPI", pw, verifiedTLS, []string{"GSSAPI"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, c, err := Select(strings.Fields(tt.advertised), tt.cred, tt.ch, Options{Prefer: tt.prefer})
			if tt.want == "" {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("Select = %s, %v; want unsupported", name, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if mech, _, _ := c.Start(); mech != tt.want || name != tt.want {
				t.Errorf("mechanism %s (named %s), want %s", mech, name, tt.want)
			}
		})
	}
}

// Credentials with NUL bytes (RFC 4616 §2) or characters SASLprep prohibits (RFC 4954 §4) are refused locally,
// for every password mechanism, before any AUTH.
func TestSelectBadCredentials(t *testing.T) {
	for _, c := range []Credentials{{User: "u\x00x", Password: "p"}, {User: "u", Password: "p\x00"}, {User: "u", Password: "bell\u0007"}} {
		for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"} {
			if _, _, err := Select([]string{mech}, c, verifiedTLS, Options{}); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("Select(%s, %q/%q) = %v", mech, c.User, c.Password.Reveal(), err)
			}
		}
	}
}

// RFC 4954 §4: SASLprep maps what it should (a soft hyphen vanishes, a no-break space becomes a space).
func TestSASLprep(t *testing.T) {
	_, c, err := Select([]string{"PLAIN"}, Credentials{User: "us\u00ADer", Password: "pass\u00A0word"}, verifiedTLS, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ir, _ := c.Start(); string(ir) != "\x00user\x00pass word" {
		t.Errorf("prepared PLAIN response %q", ir)
	}
}

// RFC 7677 §4: no tls-unique binding on a resumed TLS 1.2 session.
func TestNoBindingOnResumedSession(t *testing.T) {
	st := &tls.ConnectionState{Version: tls.VersionTLS12, DidResume: true, TLSUnique: []byte("0123456789ab")}
	if bindingOf(st).IsSupported() {
		t.Error("channel binding offered on a resumed session")
	}
}

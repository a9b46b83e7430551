package smtpauth

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/scangate/gateway/internal/secret"
	"github.com/scangate/gateway/smtpserver"
)

func mustClient(t *testing.T, name, advertised string, cred Credentials, ch Channel) sasl.Client {
	t.Helper()
	c, err := newClient(name, strings.Fields(advertised), cred, ch, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fixedNonce(t *testing.T, nonce string) {
	t.Helper()
	scramNonce = func() string { return nonce }
	t.Cleanup(func() { scramNonce = nil })
}

var insecure = Channel{AllowInsecure: true} // the RFC vectors are computed without channel binding ("n,,")

// RFC 2195 §2 test vectors, and derived ones (a secret longer than 64 bytes, a user name with a space): the
// digest is lower-case hex, and the challenge is passed on as it is.
func TestCRAMMD5Vectors(t *testing.T) {
	const ch = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
	for _, tt := range []struct{ user, secret, resp string }{
		{"tim", "tanstaaftanstaaf", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"},
		{"tim", strings.Repeat("a", 100), "dGltIDUzOGYwMTYxOGZjNmRkYzlhZTFhZDdiYjM5NmZlZGEz"},
		{"tim smith", "tanstaaftanstaaf", "dGltIHNtaXRoIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"},
	} {
		c := mustClient(t, "CRAM-MD5", "CRAM-MD5", Credentials{User: tt.user, Password: secret.Secret(tt.secret)}, insecure)
		if err := run(t, c, "C: AUTH CRAM-MD5", "S: 334 "+ch, "C: "+tt.resp, "S: 235 2.7.0 ok"); err != nil {
			t.Fatal(err)
		}
	}
	// CRAM-MD5 has one challenge (RFC 2195 §2): a second is cancelled.
	c := mustClient(t, "CRAM-MD5", "CRAM-MD5", Credentials{User: "tim", Password: "tanstaaftanstaaf"}, insecure)
	err := run(t, c, "C: AUTH CRAM-MD5", "S: 334 "+ch, "C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
		"S: 334 "+ch, "C: *", "S: 501 5.0.0 cancelled")
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("second challenge: %v", err)
	}
}

// The RFC 7677 exchange on the SMTP wire, and the RFC 5802 SCRAM-SHA-1 one.
func TestSCRAMVectors(t *testing.T) {
	pencil := Credentials{User: "user", Password: "pencil"}
	t.Run("SCRAM-SHA-256 RFC 7677", func(t *testing.T) {
		fixedNonce(t, "rOprNGfwEbeRWgbNEkqO")
		c := mustClient(t, "SCRAM-SHA-256", "SCRAM-SHA-256", pencil, insecure)
		if err := run(t, c,
			"C: AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=",
			"S: 334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=",
			"C: Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==",
			"S: 334 dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==",
			"C: ",
			"S: 235 2.7.0 Authentication successful"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SCRAM-SHA-1 RFC 5802", func(t *testing.T) {
		fixedNonce(t, "fyko+d2lbbFgONRv9qkxdawL")
		c := mustClient(t, "SCRAM-SHA-1", "SCRAM-SHA-1", pencil, insecure)
		if err := run(t, c,
			"C: AUTH SCRAM-SHA-1 "+b64("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"),
			"S: 334 "+b64("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
			"C: "+b64("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
			"S: 334 "+b64("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="),
			"C: ",
			"S: 235 2.7.0 ok"); err != nil {
			t.Fatal(err)
		}
	})
}

const rfc7677First = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
const rfc7677Final = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"

// RFC 5802 §5: an unknown extension is ignored but kept in the AuthMessage, also on a 12286-octet line, which
// RFC 4954 §4 asks clients to handle.
func TestSCRAMLongChallenge(t *testing.T) {
	for _, tt := range []struct{ ext, proof, verifier string }{
		{",x=hello", "B33uv9R0T924z37kXBy8Ya81lcv/f3PC5nlxVKtPkbs=", "pZTo6lwmodDVm+Yge3Px1c33WZZdSDxbm2BYzHSKQQY="},
		{",x=" + strings.Repeat("a", 9119), "jLreCuQycX/qSGzLCVzIPgv8s4qYBNemwxFtpgyuEFo=", "ruXZCv16zqLpgOXfCfacRYpLacf2URPOh9IVkpaMSgU="},
	} {
		fixedNonce(t, "rOprNGfwEbeRWgbNEkqO")
		c := mustClient(t, "SCRAM-SHA-256", "SCRAM-SHA-256", Credentials{User: "user", Password: "pencil"}, insecure)
		challenge := "334 " + b64(rfc7677First+tt.ext)
		if err := run(t, c, "C: AUTH SCRAM-SHA-256 "+b64("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"), "S: "+challenge,
			"C: "+b64(rfc7677Final+",p="+tt.proof), "S: 334 "+b64("v="+tt.verifier), "C: ", "S: 235 ok"); err != nil {
			t.Fatalf("extension of %d octets (challenge line %d octets): %v", len(tt.ext), len(challenge)+2, err)
		}
	}
}

// RFC 5802 §6: the "y" flag when the client could bind but the server offers no -PLUS; the flag is in the proof.
func TestSCRAMFlagY(t *testing.T) {
	fixedNonce(t, "rOprNGfwEbeRWgbNEkqO")
	st := &tls.ConnectionState{Version: tls.VersionTLS12, HandshakeComplete: true, TLSUnique: []byte("0123456789ab")}
	c := mustClient(t, "SCRAM-SHA-256", "SCRAM-SHA-256", Credentials{User: "user", Password: "pencil"},
		Channel{TLS: st, Verified: true})
	if err := run(t, c, "C: AUTH SCRAM-SHA-256 "+b64("y,,n=user,r=rOprNGfwEbeRWgbNEkqO"), "S: 334 "+b64(rfc7677First),
		"C: "+b64("c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=FoqiHTtQEDE8lz1CdaEe3tK4mS+iMDTl77SPyDS53DY="),
		"S: 334 "+b64("v=dI4KpiQJwBr1+V+K6U1dA6l6I4I9DUNXWND4pcpRU3U="), "C: ", "S: 235 ok"); err != nil {
		t.Fatal(err)
	}
	// With -PLUS advertised but the plain variant chosen by configuration, "y" would make the server refuse us:
	// the flag is "n".
	c = mustClient(t, "SCRAM-SHA-256", "SCRAM-SHA-256 SCRAM-SHA-256-PLUS", Credentials{User: "user", Password: "pencil"},
		Channel{TLS: st, Verified: true})
	if _, ir, _ := c.Start(); !strings.HasPrefix(string(ir), "n,,") {
		t.Errorf("client-first %q, want n,,", ir)
	}
}

// RFC 5802 §6 with a real TLS connection: "p=tls-exporter" on TLS 1.3, "p=tls-unique" on TLS 1.2, and the binding
// data inside c=.
func TestSCRAMPlusBinding(t *testing.T) {
	for _, tt := range []struct {
		version uint16
		cbType  string
	}{{tls.VersionTLS13, "tls-exporter"}, {tls.VersionTLS12, "tls-unique"}} {
		st := tlsPair(t, tt.version)
		ch := Channel{TLS: st, Verified: true}
		cb := bindingOf(st)
		if string(cb.Type) != tt.cbType || len(cb.Data) == 0 {
			t.Fatalf("binding on %s: %+v", tls.VersionName(tt.version), cb)
		}
		fixedNonce(t, "rOprNGfwEbeRWgbNEkqO")
		name, c, err := Select([]string{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}, Credentials{User: "user", Password: "pencil"}, ch, Options{})
		if err != nil || name != "SCRAM-SHA-256-PLUS" {
			t.Fatalf("Select = %s, %v", name, err)
		}
		_, ir, _ := c.Start()
		if want := "p=" + tt.cbType + ",,n=user,r=rOprNGfwEbeRWgbNEkqO"; string(ir) != want {
			t.Fatalf("client-first %q, want %q", ir, want)
		}
		resp, err := c.Next([]byte(rfc7677First))
		if err != nil {
			t.Fatal(err)
		}
		wantC := "c=" + b64("p="+tt.cbType+",,"+string(cb.Data)) + ","
		if !strings.HasPrefix(string(resp), wantC) {
			t.Errorf("client-final %q does not carry the binding %q", resp, wantC)
		}
	}
}

// tlsPair runs a TLS handshake over an in-memory pipe and returns the client's state.
func tlsPair(t *testing.T, version uint16) *tls.ConnectionState {
	t.Helper()
	ca, err := smtpserver.NewAuthority(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue([]string{"localhost"}, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	srv := tls.Server(b, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: version, MaxVersion: version})
	go srv.Handshake()
	cl := tls.Client(a, &tls.Config{ServerName: "localhost", RootCAs: ca.Pool(), MinVersion: version, MaxVersion: version})
	if err := cl.Handshake(); err != nil {
		t.Fatal(err)
	}
	st := cl.ConnectionState()
	return &st
}

// Hostile or broken SCRAM servers: every case ends with "*" and no success (RFC 5802 §5, §5.1, §7 and §9,
// RFC 7677 §3).
func TestSCRAMRefusals(t *testing.T) {
	start := "C: AUTH SCRAM-SHA-256 " + b64("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
	final := "C: " + b64(rfc7677Final+",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	cancelled := []string{"C: *", "S: 501 5.0.0 cancelled"}
	first := func(s string) []string { return append([]string{start, "S: 334 " + b64(s)}, cancelled...) }
	tests := []struct {
		name  string
		steps []string
		kind  Kind
	}{
		{"RFC 5802 §5.1/nonce not extended", first("r=XXXXrOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"), Cancelled},
		{"RFC 5802 §5.1/mandatory extension", first("m=foo," + rfc7677First), Cancelled},
		{"RFC 5802 §7/i=0", first(strings.Replace(rfc7677First, "i=4096", "i=0", 1)), Cancelled},
		{"RFC 5802 §7/i=-1", first(strings.Replace(rfc7677First, "i=4096", "i=-1", 1)), Cancelled},
		{"RFC 5802 §7/i=04096", first(strings.Replace(rfc7677First, "i=4096", "i=04096", 1)), Cancelled},
		{"RFC 5802 §7/i=abc", first(strings.Replace(rfc7677First, "i=4096", "i=abc", 1)), Cancelled},
		{"RFC 5802 §7/i=4294967296", first(strings.Replace(rfc7677First, "i=4096", "i=4294967296", 1)), Cancelled},
		{"RFC 5802 §9/i=2000000000", first(strings.Replace(rfc7677First, "i=4096", "i=2000000000", 1)), Cancelled},
		{"RFC 7677 §3/i=1024 below the minimum", first(strings.Replace(rfc7677First, "i=4096", "i=1024", 1)), Cancelled},
		{"RFC 5802 §7/salt not base64", first(strings.Replace(rfc7677First, "s=W22ZaJ0SNY7soEsUEjb6gQ==", "s=!!!", 1)), Cancelled},
		{"RFC 5802 §5/wrong server signature, then 235", []string{start, "S: 334 " + b64(rfc7677First), final,
			"S: 334 " + b64("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), "C: *", "S: 235 2.7.0 ok"}, Cancelled},
		{"RFC 5802 §5.1/server error", []string{start, "S: 334 " + b64(rfc7677First), final,
			"S: 334 " + b64("e=invalid-proof"), "C: *", "S: 501 cancelled"}, Cancelled},
		{"RFC 5802 §5/235 without server signature", []string{start, "S: 334 " + b64(rfc7677First), final,
			"S: 235 2.7.0 ok"}, Protocol},
		{"RFC 5802 §5/a third 334", []string{start, "S: 334 " + b64(rfc7677First), final,
			"S: 334 " + b64("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), "C: ", "S: 334 ", "C: *", "S: 501 x"}, Cancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fixedNonce(t, "rOprNGfwEbeRWgbNEkqO")
			c := mustClient(t, "SCRAM-SHA-256", "SCRAM-SHA-256", Credentials{User: "user", Password: "pencil"}, insecure)
			err := run(t, c, tt.steps...)
			var ae *Error
			if !errors.As(err, &ae) || ae.Kind != tt.kind {
				t.Fatalf("Auth = %v, want %v", err, tt.kind)
			}
		})
	}
	// RFC 5802 §5.1: the server's reason ("e=") reaches the error.
	fixedNonce(t, "rOprNGfwEbeRWgbNEkqO")
	c := mustClient(t, "SCRAM-SHA-256", "SCRAM-SHA-256", Credentials{User: "user", Password: "pencil"}, insecure)
	err := run(t, c, start, "S: 334 "+b64(rfc7677First), final, "S: 334 "+b64("e=invalid-proof"), "C: *", "S: 501 x")
	if !strings.Contains(err.Error(), "invalid-proof") {
		t.Errorf("error %q lacks the server's reason", err)
	}
}

// RFC 5802 §5.1: a fresh nonce for every authentication, and "," and "=" escaped in the user name.
func TestSCRAMNonceAndName(t *testing.T) {
	cred := Credentials{User: "us,er=x", Password: "p"}
	_, ir1, _ := mustClient(t, "SCRAM-SHA-256", "SCRAM-SHA-256", cred, insecure).Start()
	_, ir2, _ := mustClient(t, "SCRAM-SHA-256", "SCRAM-SHA-256", cred, insecure).Start()
	if !strings.HasPrefix(string(ir1), "n,,n=us=2Cer=3Dx,r=") {
		t.Errorf("client-first %q", ir1)
	}
	if string(ir1) == string(ir2) {
		t.Error("the same nonce twice")
	}
	nonce := strings.SplitN(string(ir1), ",r=", 2)[1]
	if len(nonce) < 16 || strings.ContainsAny(nonce, ",") {
		t.Errorf("nonce %q", nonce)
	}
}

// XOAUTH2: the vectors Google and Microsoft publish, the initial-response length rule (RFC 4954 §4), and the
// error report, which is never success and gets one empty line.
func TestXOAUTH2(t *testing.T) {
	for _, tt := range []struct{ user, token, ir string }{
		{"someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
			"dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="},
		{"test@contoso.onmicrosoft.com", "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA",
			"dXNlcj10ZXN0QGNvbnRvc28ub25taWNyb3NvZnQuY29tAWF1dGg9QmVhcmVyIEV3QkFBbDNCQUFVRkZwVUFvN0ozVmUwYmpMQldaV0NjbFJDM0VvQUEBAQ=="},
	} {
		c := mustClient(t, "XOAUTH2", "XOAUTH2", Credentials{User: tt.user, Token: secret.Secret(tt.token)}, verifiedTLS)
		if err := run(t, c, "C: AUTH XOAUTH2 "+tt.ir, "S: 235 2.7.0 Authentication successful"); err != nil {
			t.Fatal(err)
		}
	}
	user := "scanner@example.com"
	ir := func(tok string) string { return b64("user=" + user + "\x01auth=Bearer " + tok + "\x01\x01") }
	tok333, tok334 := strings.Repeat("t", 333), strings.Repeat("t", 334)
	if l := len("AUTH XOAUTH2 " + ir(tok333) + "\r\n"); l != 511 {
		t.Fatalf("boundary arithmetic: %d", l)
	}
	c := mustClient(t, "XOAUTH2", "XOAUTH2", Credentials{User: user, Token: secret.Secret(tok333)}, verifiedTLS)
	if err := run(t, c, "C: AUTH XOAUTH2 "+ir(tok333), "S: 235 ok"); err != nil {
		t.Fatal(err)
	}
	c = mustClient(t, "XOAUTH2", "XOAUTH2", Credentials{User: user, Token: secret.Secret(tok334)}, verifiedTLS)
	if err := run(t, c, "C: AUTH XOAUTH2", "S: 334 ", "C: "+ir(tok334), "S: 235 ok"); err != nil {
		t.Fatal(err)
	}
	// The Google-style error report gets an empty line, then the final reply says what happened.
	c = mustClient(t, "XOAUTH2", "XOAUTH2", Credentials{User: "someuser@example.com", Token: "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"}, verifiedTLS)
	err := run(t, c, "C: AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
		"S: 334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K",
		"C: ", "S: 535 5.7.8 Username and Password not accepted")
	var ae *Error
	if !errors.As(err, &ae) || ae.Kind != CredentialsRejected || !strings.Contains(ae.Detail, "401") {
		t.Fatalf("XOAUTH2 error report: %v", err)
	}
	// A second 334 after the empty line is cancelled.
	c = mustClient(t, "XOAUTH2", "XOAUTH2", Credentials{User: "u", Token: "t"}, verifiedTLS)
	if err := run(t, c, "C: AUTH XOAUTH2 "+b64("user=u\x01auth=Bearer t\x01\x01"), "S: 334 e30=", "C: ",
		"S: 334 e30=", "C: *", "S: 501 x"); !errors.Is(err, ErrCancelled) {
		t.Fatalf("second 334: %v", err)
	}
}

// OAUTHBEARER (RFC 7628): the initial response, the length rule, and the error report answered with AQ==
// (RFC 7628 §3.2.2, §3.2.3).
func TestOAUTHBEARER(t *testing.T) {
	user := "scanner@example.com"
	ir := func(tok string) string { return b64("n,a=" + user + ",\x01auth=Bearer " + tok + "\x01\x01") }
	tok330, tok331 := strings.Repeat("t", 330), strings.Repeat("t", 331)
	c := mustClient(t, "OAUTHBEARER", "OAUTHBEARER", Credentials{User: user, Token: secret.Secret(tok330)}, verifiedTLS)
	if err := run(t, c, "C: AUTH OAUTHBEARER "+ir(tok330), "S: 235 ok"); err != nil {
		t.Fatal(err)
	}
	c = mustClient(t, "OAUTHBEARER", "OAUTHBEARER", Credentials{User: user, Token: secret.Secret(tok331)}, verifiedTLS)
	if err := run(t, c, "C: AUTH OAUTHBEARER", "S: 334 ", "C: "+ir(tok331), "S: 235 ok"); err != nil {
		t.Fatal(err)
	}
	c = mustClient(t, "OAUTHBEARER", "OAUTHBEARER", Credentials{User: user, Token: "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="}, verifiedTLS)
	err := run(t, c, "C: AUTH OAUTHBEARER "+ir("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="),
		"S: 334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciBtYWMiLCJzY29wZSI6Imh0dHBzOi8vbWFpbC5leGFtcGxlLmNvbS8ifQ==",
		"C: AQ==", "S: 535-5.7.1 Username and Password not accepted. Learn more at",
		"S: 535 5.7.1 http://support.example.com/mail/oauth")
	var ae *Error
	if !errors.As(err, &ae) || ae.Kind != CredentialsRejected || !strings.Contains(ae.Detail, "invalid_token") ||
		!strings.Contains(ae.Detail, "https://mail.example.com/") {
		t.Fatalf("OAUTHBEARER error report: %v", err)
	}
	// Malformed JSON inside valid base64 still gets AQ==; a second 334 is cancelled.
	c = mustClient(t, "OAUTHBEARER", "OAUTHBEARER", Credentials{User: "a,b=c", Token: "t"}, verifiedTLS)
	if err := run(t, c, "C: AUTH OAUTHBEARER "+b64("n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01"), "S: 334 "+b64("{not json"),
		"C: AQ==", "S: 334 ", "C: *", "S: 501 x"); !errors.Is(err, ErrCancelled) {
		t.Fatalf("second 334: %v", err)
	}
}

// RFC 4954 §4: EXTERNAL with an empty authorization identity sends "=".
func TestEXTERNAL(t *testing.T) {
	c := mustClient(t, "EXTERNAL", "EXTERNAL", Credentials{ClientCert: true}, verifiedTLS)
	if err := run(t, c, "C: AUTH EXTERNAL =", "S: 235 2.7.0 ok"); err != nil {
		t.Fatal(err)
	}
}

// Negotiate: the single retry RFC 4954 allows, and none where it forbids one.
func TestNegotiate(t *testing.T) {
	pw := Credentials{User: "user", Password: "pass"}
	plainIR := "C: AUTH PLAIN AHVzZXIAcGFzcw=="
	tests := []struct {
		name       string
		advertised string
		o          Options
		steps      []string
		want       string
		kind       Kind
	}{
		{"success first time", "PLAIN", Options{}, []string{plainIR, "S: 235 ok"}, "PLAIN", 0},
		{"RFC 4954 §6/534 retries once with a stronger mechanism", "CRAM-MD5 LOGIN", Options{Prefer: []string{"LOGIN", "CRAM-MD5"}},
			[]string{"C: AUTH LOGIN", "S: 534 5.7.9 too weak", "C: AUTH CRAM-MD5", "S: 334 PDE+", "C: " + crammd5Answer("<1>"), "S: 235 ok"}, "CRAM-MD5", 0},
		{"534 without a stronger mechanism", "PLAIN LOGIN", Options{},
			[]string{plainIR, "S: 534 5.7.9 too weak"}, "PLAIN", TooWeak},
		{"RFC 4954 §6/432 one PLAIN login for the transition", "CRAM-MD5 PLAIN", Options{PasswordTransition: true},
			[]string{"C: AUTH CRAM-MD5", "S: 432 4.7.12 A password transition is needed", plainIR, "S: 235 ok"}, "PLAIN", 0},
		{"432 without the policy", "CRAM-MD5 PLAIN", Options{},
			[]string{"C: AUTH CRAM-MD5", "S: 432 4.7.12 A password transition is needed"}, "CRAM-MD5", PasswordTransition},
		{"RFC 4954 §4/500 5.5.6 retries without initial response", "PLAIN", Options{},
			[]string{plainIR, "S: 500 5.5.6 Authentication Exchange line is too long", "C: AUTH PLAIN", "S: 334 ",
				"C: AHVzZXIAcGFzcw==", "S: 235 ok"}, "PLAIN", 0},
		{"RFC 4954 §9/never a third attempt", "PLAIN", Options{},
			[]string{plainIR, "S: 500 5.5.6 too long", "C: AUTH PLAIN", "S: 500 5.5.6 too long"}, "PLAIN", Permanent},
		{"RFC 4954 §6/535 is never retried", "PLAIN LOGIN", Options{},
			[]string{plainIR, "S: 535 5.7.8 no"}, "PLAIN", CredentialsRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &scriptConn{t: t, steps: tt.steps}
			got, err := Negotiate(c, strings.Fields(tt.advertised), pw, verifiedTLS, tt.o)
			c.done()
			if got != tt.want {
				t.Errorf("mechanism %s, want %s", got, tt.want)
			}
			if tt.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Kind != tt.kind {
				t.Fatalf("Negotiate = %v, want %v", err, tt.kind)
			}
		})
	}
}

func crammd5Answer(challenge string) string {
	c := &cramMD5Client{user: "user", password: "pass"}
	r, _ := c.Next([]byte(challenge))
	return b64(string(r))
}

// FuzzSCRAMServer feeds arbitrary server-first and server-final messages to a SCRAM client: it must answer or
// refuse, never panic, and never accept a server that did not prove the password.
func FuzzSCRAMServer(f *testing.F) {
	f.Add(rfc7677First, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
	f.Add("r=rOprNGfwEbeRWgbNEkqOx,s=QQ==,i=04096", "e=other-error")
	f.Add("m=x,r=a,s=b,i=1", "v=")
	f.Fuzz(func(t *testing.T, first, final string) {
		scramNonce = func() string { return "rOprNGfwEbeRWgbNEkqO" }
		defer func() { scramNonce = nil }()
		c, err := newSCRAM("SCRAM-SHA-256", nil, Credentials{User: "user", Password: "pencil"}, insecure, Options{MaxIterations: 8192})
		if err != nil {
			t.Fatal(err)
		}
		c.Start()
		if _, err := c.Next([]byte(first)); err != nil {
			return
		}
		if _, err := c.Next([]byte(final)); err != nil {
			return
		}
		if c.(Verifier).Verify() == nil && final != "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" && first == rfc7677First {
			t.Fatalf("accepted server-final %q", final)
		}
	})
}

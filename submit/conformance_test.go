package submit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/smtpserver"
	"github.com/scangate/gateway/smtptest"
)

// Conformance of the session with what RFC 3207, RFC 4954, RFC 5321 and RFC 8314 ask of a submission client;
// each test says which section it checks. The account always names smtp.example.com; Options.Dial takes the
// connection to the scripted server.

const plainIR = "AUTH PLAIN AHNjYW5uZXIAczNjcmV0" // \0scanner\0s3cret

func scriptAccount(s *smtptest.Scripted, sec Security) (Account, Options) {
	port := "587"
	if sec == ImplicitTLS {
		port = "465"
	}
	acct := Account{Server: "smtp.example.com:" + port, Security: sec, User: "scanner", Password: "s3cret",
		RootCAs: s.CA, HelloName: "gw.example"}
	opts := Options{
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, s.Addr)
		},
		Timeouts: Timeouts{Command: 5 * time.Second},
	}
	return acct, opts
}

// exampleTLS serves a certificate for the given names from a fresh authority, and returns the pool that trusts
// it.
func exampleTLS(t *testing.T, names ...string) (smtptest.ScriptOptions, *smtpserver.Authority) {
	t.Helper()
	ca, err := smtpserver.NewAuthority(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(names, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return smtptest.ScriptOptions{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, ca
}

var (
	greet      = []string{"S: 220 mx.test ESMTP", "C: EHLO gw.example"}
	offerTLS   = []string{"S: 250-mx.test", "S: 250 STARTTLS", "C: STARTTLS", "S: 220 2.0.0 Ready"}
	afterTLS   = []string{"C: EHLO gw.example", "S: 250-mx.test", "S: 250 AUTH PLAIN LOGIN"}
	authPlain  = []string{"C: " + plainIR, "S: 235 2.7.0 Authentication successful"}
	quit       = []string{"C: QUIT", "S: 221 2.0.0 Bye"}
	startTLSOK = join(greet, offerTLS, []string{"TLS"}, afterTLS)
)

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func dialScript(t *testing.T, sec Security, so smtptest.ScriptOptions, ca *smtpserver.Authority, steps ...string) (*Session, error, *smtptest.Scripted) {
	t.Helper()
	s := smtptest.Script(t, so, steps...)
	acct, opts := scriptAccount(s, sec)
	if ca != nil {
		acct.RootCAs = ca.Pool()
	}
	sess, err := Dial(context.Background(), acct, opts)
	return sess, err, s
}

// RFC 8314 §3.3: on the submissions port the TLS handshake begins at once; the client waits for no greeting.
func TestImplicitTLSStartsWithHandshake(t *testing.T) {
	_, err, s := dialScript(t, ImplicitTLS, smtptest.ScriptOptions{}, nil, "HELLO")
	s.Wait(t)
	if err == nil {
		t.Fatal("Dial succeeded against a server that only read the ClientHello")
	}
}

// RFC 4954 §14: the certificate must carry the name the account names (a "*" only as the leftmost label), never
// a name the greeting claims.
func TestCertificateName(t *testing.T) {
	tests := []struct {
		name   string
		sans   []string
		accept bool
	}{
		{"wildcard *.example.com", []string{"*.example.com"}, true},
		{"exact name", []string{"smtp.example.com"}, true},
		{"parent only", []string{"example.com"}, false},
		{"inner wildcard", []string{"smtp.*.com"}, false},
		{"the name the greeting claims", []string{"evil.example.net"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			so, ca := exampleTLS(t, tt.sans...)
			greeting := []string{"S: 220 evil.example.net ESMTP", "C: EHLO gw.example"}
			var steps []string
			if tt.accept {
				steps = join(greeting, offerTLS, []string{"TLS"}, afterTLS, authPlain, quit)
			} else {
				steps = join(greeting, offerTLS, []string{"TLSFAIL"})
			}
			sess, err, s := dialScript(t, StartTLS, so, ca, steps...)
			if tt.accept {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				sess.Quit()
			} else if !errors.Is(err, ErrCertificate) || IsTemporary(err) {
				t.Fatalf("Dial = %v, want a certificate error that needs someone to act", err)
			}
			s.Wait(t)
		})
	}
}

// RFC 8314 §5.3: a certificate that does not validate ends the session before AUTH.
func TestCertificateSelfSignedAndExpired(t *testing.T) {
	ca, _ := smtpserver.NewAuthority(time.Now())
	other, _ := smtpserver.NewAuthority(time.Now())
	expired, _ := ca.Issue([]string{"smtp.example.com"}, time.Now().Add(-30*24*time.Hour))
	for _, tt := range []struct {
		name string
		so   smtptest.ScriptOptions
		ca   *smtpserver.Authority
	}{
		{"unknown authority", smtptest.ScriptOptions{}, other},
		{"expired", smtptest.ScriptOptions{TLS: &tls.Config{Certificates: []tls.Certificate{expired}}}, ca},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err, s := dialScript(t, StartTLS, tt.so, tt.ca, join(greet, offerTLS, []string{"TLSFAIL"})...)
			if !errors.Is(err, ErrCertificate) {
				t.Fatalf("Dial = %v, want a certificate error", err)
			}
			s.Wait(t)
			if bytes.Contains(s.Received(), []byte("AUTH")) {
				t.Error("AUTH reached the server")
			}
		})
	}
}

// RFC 8314 §5.2: before TLS, nothing but capability discovery and STARTTLS.
func TestNoStartTLSMeansQuit(t *testing.T) {
	_, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil,
		join(greet, []string{"S: 250-mx.test", "S: 250 AUTH PLAIN LOGIN"}, quit)...)
	if !errors.Is(err, ErrNoStartTLS) || !IsTemporary(err) {
		t.Fatalf("Dial = %v, want no STARTTLS (temporary)", err)
	}
	s.Wait(t)
}

// RFC 3207 §4.2: after TLS the client forgets the extensions learned before and sends EHLO again (which it
// starts every session with, RFC 5321 §4.1.1.1), then takes AUTH from the new answer only.
func TestStartTLSThenForgetCapabilities(t *testing.T) {
	// Before TLS the server offers PLAIN; after TLS only XOAUTH2, and we hold no token: no mechanism.
	_, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(
		greet, []string{"S: 250-mx.test", "S: 250-AUTH PLAIN LOGIN CRAM-MD5", "S: 250 STARTTLS", "C: STARTTLS", "S: 220 2.0.0 Ready", "TLS",
			"C: EHLO gw.example", "S: 250-mx.test", "S: 250 AUTH XOAUTH2"}, quit)...)
	if !errors.Is(err, smtpauth.ErrUnsupported) {
		t.Fatalf("Dial = %v, want no usable mechanism", err)
	}
	s.Wait(t)
}

// RFC 3207 §4.2: no STARTTLS on a connection that is already TLS, even if the server offers it again.
func TestNeverStartTLSTwice(t *testing.T) {
	sess, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(
		greet, offerTLS, []string{"TLS", "C: EHLO gw.example", "S: 250-mx.test", "S: 250-STARTTLS", "S: 250 AUTH PLAIN"},
		authPlain, quit)...)
	if err != nil {
		t.Fatal(err)
	}
	sess.Quit()
	s.Wait(t)
}

// RFC 3207 §4.1, RFC 8314 §5.2: TLS too weak for the client ends the session right after the handshake.
func TestOldTLSRefused(t *testing.T) {
	so, ca := exampleTLS(t, "smtp.example.com")
	so.TLS.MaxVersion = tls.VersionTLS11
	_, err, s := dialScript(t, StartTLS, so, ca, join(greet, offerTLS, []string{"TLSFAIL"})...)
	if err == nil || IsTemporary(err) {
		t.Fatalf("Dial = %v, want a permanent TLS failure", err)
	}
	s.Wait(t)
}

// RFC 5321 §4.1.1.1, RFC 4954 §8: EHLO keywords and mechanism names are matched ignoring case.
func TestLowerCaseKeywords(t *testing.T) {
	sess, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(
		greet, []string{"S: 250-mx.test", "S: 250 starttls", "C: STARTTLS", "S: 220 go ahead", "TLS",
			"C: EHLO gw.example", "S: 250-mx.test", "S: 250 auth plain login"}, authPlain, quit)...)
	if err != nil {
		t.Fatal(err)
	}
	sess.Quit()
	s.Wait(t)
}

// RFC 4954 §4: with PIPELINING and LOGIN, nothing rides with AUTH; after 235 no second AUTH, and no EHLO since
// no security layer took effect, however many messages follow.
func TestAuthStandsAlone(t *testing.T) {
	msg := []string{"C: MAIL FROM:<scanner@example.com>", "C: RCPT TO:<sales@example.com>", "C: DATA",
		"S: 250 2.1.0 ok", "S: 250 2.1.5 ok", "S: 354 go", "C: body", "C: .", "S: 250 2.0.0 queued"}
	sess, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(
		greet, offerTLS, []string{"TLS", "C: EHLO gw.example", "S: 250-mx.test", "S: 250-PIPELINING", "S: 250 AUTH LOGIN",
			"C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: c2Nhbm5lcg==", "S: 334 UGFzc3dvcmQ6", "C: czNjcmV0", "S: 235 2.7.0 ok"},
		msg, msg, quit)...)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := sess.Send(Envelope{From: "scanner@example.com", To: []string{"sales@example.com"}}, strings.NewReader("body\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	sess.Quit()
	s.Wait(t)
}

// RFC 5321 §4.2.1: a multi-line reply is read whole before the next command.
func TestMultiLineReplyReadWhole(t *testing.T) {
	_, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(startTLSOK,
		[]string{"C: " + plainIR, "S: 535-5.7.8 Username and Password not accepted. Learn more at",
			"S: 535 5.7.8 https://support.example.com/mail/?p=BadCredentials"}, quit)...)
	if !errors.Is(err, smtpauth.ErrCredentials) || IsTemporary(err) {
		t.Fatalf("Dial = %v, want credentials rejected", err)
	}
	s.Wait(t)
}

// RFC 4954 §5: the AUTH= parameter of MAIL is xtext, and is sent only to a server that advertises AUTH.
func TestAuthParameter(t *testing.T) {
	for _, tt := range []struct{ submitter, param string }{
		{"e=mc2@example.com", " AUTH=e+3Dmc2@example.com"},
		{"john+@example.org", " AUTH=john+2B@example.org"},
		{"<>", " AUTH=<>"},
		{"", ""},
	} {
		sess, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(startTLSOK, authPlain,
			[]string{"C: MAIL FROM:<scanner@example.com>" + tt.param, "S: 250 ok", "C: RCPT TO:<a@example.com>", "S: 250 ok",
				"C: DATA", "S: 354 go", "C: x", "C: .", "S: 250 ok"}, quit)...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sess.Send(Envelope{From: "scanner@example.com", To: []string{"a@example.com"}, Submitter: tt.submitter},
			strings.NewReader("x\r\n")); err != nil {
			t.Fatal(err)
		}
		sess.Quit()
		s.Wait(t)
	}
	// No AUTH advertised, no AUTH= parameter (and no AUTH at all for an account without credentials).
	s := smtptest.Script(t, smtptest.ScriptOptions{}, join(greet, offerTLS, []string{"TLS", "C: EHLO gw.example", "S: 250 mx.test",
		"C: MAIL FROM:<scanner@example.com>", "S: 250 ok", "C: RCPT TO:<a@example.com>", "S: 250 ok", "C: DATA", "S: 354 go",
		"C: x", "C: .", "S: 250 ok"}, quit)...)
	acct, opts := scriptAccount(s, StartTLS)
	acct.User, acct.Password = "", ""
	sess, err := Dial(context.Background(), acct, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Send(Envelope{From: "scanner@example.com", To: []string{"a@example.com"}, Submitter: "<>"}, strings.NewReader("x\r\n")); err != nil {
		t.Fatal(err)
	}
	sess.Quit()
	s.Wait(t)
}

// RFC 5321 §3.8: a dropped connection counts as a 451, temporary, and says nothing about the credentials.
func TestDroppedConnectionIsTemporary(t *testing.T) {
	_, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(greet, offerTLS,
		[]string{"TLS", "C: EHLO gw.example", "S: 250-mx.test", "S: 250 AUTH LOGIN", "C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6",
			"C: c2Nhbm5lcg==", "S: 334 UGFzc3dvcmQ6", "C: czNjcmV0", "CLOSE"})...)
	if !IsTemporary(err) || errors.Is(err, smtpauth.ErrCredentials) {
		t.Fatalf("Dial = %v, want temporary and not a credentials problem", err)
	}
	s.Wait(t)
}

// RFC 5321 §4.5.3.2: every command has a timeout of its own.
func TestPerCommandTimeout(t *testing.T) {
	s := smtptest.Script(t, smtptest.ScriptOptions{}, join(greet, []string{"SILENT 2s"})...)
	acct, opts := scriptAccount(s, StartTLS)
	opts.Timeouts.Command = 100 * time.Millisecond
	_, err := Dial(context.Background(), acct, opts)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !IsTemporary(err) {
		t.Fatalf("Dial = %v, want a temporary timeout", err)
	}
}

// RFC 5321 §2.3.8 and §4.1.4: the client only ever ends lines with CRLF, and QUIT is its last command; across a
// whole session with two messages.
func TestWireHygiene(t *testing.T) {
	// The body itself carries a bare LF and a leading dot, which must leave as CRLF and "..".
	s := smtptest.Script(t, smtptest.ScriptOptions{}, join(startTLSOK, authPlain,
		[]string{"C: MAIL FROM:<a@example.com>", "S: 250 ok", "C: RCPT TO:<b@example.com>", "S: 250 ok", "C: DATA", "S: 354 go",
			"C: line one", "C: ..dot", "C: line three", "C: .", "S: 250 ok"}, quit)...)
	acct, opts := scriptAccount(s, StartTLS)
	sess, err := Dial(context.Background(), acct, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Send(Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader("line one\n.dot\r\nline three")); err != nil {
		t.Fatal(err)
	}
	sess.Quit()
	s.Wait(t)
	got := s.Received()
	for i, c := range got {
		if c == '\n' && (i == 0 || got[i-1] != '\r') {
			t.Fatalf("bare LF at byte %d: %q", i, got[max(0, i-20):i+1])
		}
	}
	if lines := s.Lines(); lines[len(lines)-1] != "QUIT" {
		t.Errorf("last command %q", lines[len(lines)-1])
	}
}

// RFC 2920: with PIPELINING, one refused recipient does not stop the others, and a transaction whose
// recipients are all refused is closed cleanly even if the server says 354.
func TestPipelinedRecipients(t *testing.T) {
	sess, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(greet, offerTLS,
		[]string{"TLS", "C: EHLO gw.example", "S: 250-mx.test", "S: 250-PIPELINING", "S: 250 AUTH PLAIN"}, authPlain,
		[]string{"C: MAIL FROM:<s@example.com>", "C: RCPT TO:<ok@example.com>", "C: RCPT TO:<gone@example.com>", "C: DATA",
			"S: 250 ok", "S: 250 ok", "S: 550 5.1.1 no such user", "S: 354 go", "C: hi", "C: .", "S: 250 queued",
			"C: MAIL FROM:<s@example.com>", "C: RCPT TO:<gone@example.com>", "C: DATA",
			"S: 250 ok", "S: 550 5.1.1 no such user", "S: 354 go anyway", "C: .", "S: 554 5.5.1 no valid recipients",
			"C: RSET", "S: 250 ok"}, quit)...)
	if err != nil {
		t.Fatal(err)
	}
	refused, err := sess.Send(Envelope{From: "s@example.com", To: []string{"ok@example.com", "gone@example.com"}}, strings.NewReader("hi\r\n"))
	if err != nil || len(refused) != 1 || refused[0].Addr != "gone@example.com" || refused[0].Err.Reply.Code != 550 {
		t.Fatalf("Send = %+v, %v", refused, err)
	}
	_, err = sess.Send(Envelope{From: "s@example.com", To: []string{"gone@example.com"}}, strings.NewReader("hi\r\n"))
	var se *Error
	if !errors.As(err, &se) || se.Op != "RCPT" || se.Reply.Code != 550 || IsTemporary(err) {
		t.Fatalf("Send to a refused recipient = %v", err)
	}
	sess.Quit()
	s.Wait(t)
}

func TestHELOFallback(t *testing.T) {
	_, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(greet,
		[]string{"S: 502 5.5.2 EHLO not recognised", "C: HELO gw.example", "S: 250 mx.test"}, quit)...)
	if !errors.Is(err, ErrNoStartTLS) {
		t.Fatalf("Dial = %v: an old HELO-only server offers no STARTTLS", err)
	}
	s.Wait(t)
}

func TestPinnedCertificate(t *testing.T) {
	so, _ := exampleTLS(t, "office-mail.local")
	sum := sha256.Sum256(so.TLS.Certificates[0].Certificate[0])
	for _, tt := range []struct {
		name string
		pin  string
		ok   bool
	}{
		{"right pin", strings.ToUpper(hex.EncodeToString(sum[:])), true},
		{"wrong pin", strings.Repeat("ab", 32), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var steps []string
			if tt.ok {
				steps = join(greet, offerTLS, []string{"TLS"}, afterTLS, authPlain, quit)
			} else {
				steps = join(greet, offerTLS, []string{"TLSFAIL"})
			}
			s := smtptest.Script(t, so, steps...)
			acct, opts := scriptAccount(s, StartTLS)
			acct.RootCAs = nil
			pin, err := ParsePin(tt.pin)
			if err != nil {
				t.Fatal(err)
			}
			acct.PinSHA256 = pin
			sess, err := Dial(context.Background(), acct, opts)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				sess.Quit()
			} else if !errors.Is(err, ErrCertificate) {
				t.Fatalf("Dial = %v, want a certificate error", err)
			}
			s.Wait(t)
		})
	}
	if _, err := ParsePin("12:34"); err == nil {
		t.Error("a short pin was accepted")
	}
}

func TestClockNotSet(t *testing.T) {
	_, err := Dial(context.Background(), Account{Server: "smtp.example.com:587"}, Options{
		Now: func() time.Time { return time.Unix(0, 0) },
		Dial: func(context.Context, string, string) (net.Conn, error) {
			t.Fatal("dialled with the clock at 1970")
			return nil, nil
		},
	})
	if !errors.Is(err, ErrClockNotSet) || !IsTemporary(err) {
		t.Fatalf("Dial = %v, want clock not set", err)
	}
	if want := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); !DefaultEarliestTime().Equal(want) {
		t.Errorf("DefaultEarliestTime() = %v, want %v", DefaultEarliestTime(), want)
	}

	// Options.EarliestTime moves the line either way.
	refused := errors.New("refused")
	for _, tt := range []struct {
		name     string
		now      time.Time
		earliest time.Time
		dials    bool
	}{
		{"now, before a later earliest time", time.Now(), time.Now().Add(time.Hour), false},
		{"1970, after an earlier earliest time", time.Unix(3600, 0), time.Unix(0, 0), true},
	} {
		dialled := false
		_, err := Dial(context.Background(), Account{Server: "smtp.example.com:587"}, Options{
			Now:          func() time.Time { return tt.now },
			EarliestTime: tt.earliest,
			Dial: func(context.Context, string, string) (net.Conn, error) {
				dialled = true
				return nil, refused
			},
		})
		if dialled != tt.dials || errors.Is(err, ErrClockNotSet) == tt.dials {
			t.Errorf("%s: dialled %v, Dial = %v", tt.name, dialled, err)
		}
	}
}

// RFC 3207 §6, RFC 8314 §5.2: TLS is required unless the account explicitly allows otherwise (a lab setting);
// then the session goes on in clear and may authenticate.
func TestRequireTLSIsTheDefault(t *testing.T) {
	noTLS := join(greet, []string{"S: 250-mx.test", "S: 250 AUTH PLAIN"})
	_, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(noTLS, quit)...)
	if !errors.Is(err, ErrNoStartTLS) {
		t.Fatalf("default account: %v", err)
	}
	s.Wait(t)

	s = smtptest.Script(t, smtptest.ScriptOptions{}, join(noTLS, authPlain, quit)...)
	acct, opts := scriptAccount(s, StartTLS)
	acct.AllowInsecureAuth = true
	sess, err := Dial(context.Background(), acct, opts)
	if err != nil {
		t.Fatalf("lab account: %v", err)
	}
	sess.Quit()
	s.Wait(t)
}

// RFC 5321 §4.2.1: 4xx replies are temporary, 5xx are not, at every step.
func TestTemporaryOrPermanent(t *testing.T) {
	for _, tt := range []struct {
		reply string
		temp  bool
	}{{"451 4.3.0 try later", true}, {"421 4.7.0 closing", true}, {"550 5.7.1 refused", false}, {"554 5.5.0 no", false}} {
		sess, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(startTLSOK, authPlain,
			[]string{"C: MAIL FROM:<a@example.com>", "S: " + tt.reply, "C: RSET", "S: 250 ok"}, quit)...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sess.Send(Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader("x\r\n"))
		if IsTemporary(err) != tt.temp {
			t.Errorf("%s: temporary = %v", tt.reply, IsTemporary(err))
		}
		sess.Quit()
		s.Wait(t)
	}
}

// Servers that predate RFC 4954 (old Exchange, appliances) advertise "AUTH=MECH ..."; without an "AUTH" line
// those mechanisms are used. An "AUTH" line wins when both come.
func TestOldAuthForm(t *testing.T) {
	for _, tt := range []struct {
		name string
		ehlo []string
		auth []string
		mech string
	}{
		{"AUTH= only", []string{"S: 250-mx.test", "S: 250 AUTH=LOGIN PLAIN"}, authPlain, "PLAIN"},
		{"AUTH= lower case", []string{"S: 250-mx.test", "S: 250 auth=login plain"}, authPlain, "PLAIN"},
		{"AUTH wins", []string{"S: 250-mx.test", "S: 250-AUTH=PLAIN", "S: 250 AUTH LOGIN"},
			[]string{"C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: c2Nhbm5lcg==", "S: 334 UGFzc3dvcmQ6", "C: czNjcmV0", "S: 235 2.7.0 ok"}, "LOGIN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sess, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil,
				join(greet, offerTLS, []string{"TLS", "C: EHLO gw.example"}, tt.ehlo, tt.auth, quit)...)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			if sess.Mechanism() != tt.mech {
				t.Errorf("mechanism %q, want %q", sess.Mechanism(), tt.mech)
			}
			sess.Quit()
			s.Wait(t)
		})
	}
}

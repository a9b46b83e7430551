package submit_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/smtptest"
	"github.com/scangate/gateway/submit"
)

// These tests submit through a real Postfix (package smtptest), the kind of server offices run.

const (
	postfixUser, postfixPassword = "scanner", "pf-Pass.1"
	postfixSender                = "scanner@example.com"
	// postfixSizeLimit is the instance's message_size_limit, advertised as SIZE.
	postfixSizeLimit = 1 << 20
	// postfixDeliveryGuard bounds the wait for Postfix's asynchronous delivery into the Maildir.
	postfixDeliveryGuard = 2 * time.Minute
)

// postfixMechanisms are the SASL mechanisms the session is made to use against Postfix, one by one: every
// mechanism Postfix with Cyrus offers that smtpauth speaks (DIGEST-MD5 is obsolete, RFC 6331, and not spoken).
var postfixMechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"}

func postfixAccount(pf *smtptest.Postfix, sec submit.Security, mech string) submit.Account {
	addr := pf.StartTLSAddr
	if sec == submit.ImplicitTLS {
		addr = pf.TLSAddr
	}
	return submit.Account{Server: addr, Security: sec, User: postfixUser, Password: postfixPassword,
		Mechanisms: []string{mech}, RootCAs: pf.CertPool(), HelloName: "gw.test"}
}

// scanMail composes a mail as the gateway sends it: a short text and a PDF attachment of attachmentSize
// pseudo-random bytes (fax data is as incompressible), base64-encoded.
func scanMail(t testing.TB, to string, attachmentSize int) []byte {
	t.Helper()
	pdf := make([]byte, attachmentSize)
	rand.NewChaCha8([32]byte{'s', 'c', 'a', 'n'}).Read(pdf)
	copy(pdf, "%PDF-1.4\n")
	var b bytes.Buffer
	err := submit.Compose(&b, submit.Mail{
		From:        &mail.Address{Name: "Front desk scanner", Address: postfixSender},
		To:          []*mail.Address{{Address: to}},
		Subject:     "Scan from UF-9000 (3 pages)",
		Date:        time.Date(2026, 11, 29, 14, 5, 0, 0, time.UTC),
		MessageID:   "20261129T140500.4a1b@gw.test",
		Text:        "Scanned document attached.\r\n",
		Attachments: []submit.Attachment{{Name: "scan.pdf", ContentType: "application/pdf", Body: bytes.NewReader(pdf)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// traceLines collects a session's wire transcript (the session calls Trace from one goroutine).
type traceLines []string

func (tr *traceLines) add(line string) { *tr = append(*tr, line) }
func (tr traceLines) String() string   { return strings.Join(tr, "\n") }

func TestPostfix(t *testing.T) {
	pf := smtptest.StartPostfix(t, smtptest.PostfixConfig{
		Users:            map[string]string{postfixUser: postfixPassword},
		MessageSizeLimit: postfixSizeLimit,
	})
	sent := map[string][]byte{} // recipient → message as submitted
	send := func(t *testing.T, s *submit.Session, rcpt string, msg []byte, size int64) error {
		t.Helper()
		refused, err := s.Send(submit.Envelope{From: postfixSender, To: []string{rcpt}, Size: size}, bytes.NewReader(msg))
		if err == nil && len(refused) == 0 {
			sent[rcpt] = msg
		}
		return err
	}

	for _, sec := range []submit.Security{submit.StartTLS, submit.ImplicitTLS} {
		for _, mech := range postfixMechanisms {
			t.Run("send/"+mech+"/"+sec.String(), func(t *testing.T) {
				var tr traceLines
				s, err := submit.Dial(t.Context(), postfixAccount(pf, sec, mech), submit.Options{Trace: tr.add})
				if err != nil {
					t.Fatalf("Dial: %v\n%s\nmail log:\n%s", err, tr, pf.Log())
				}
				if s.Mechanism() != mech || s.TLS() == nil {
					t.Errorf("mechanism %q, TLS %v; want %s over TLS", s.Mechanism(), s.TLS(), mech)
				}
				for i := range 2 { // several messages in one session
					rcpt := fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(mech), sec, i)
					msg := scanMail(t, rcpt, 20<<10)
					if err := send(t, s, rcpt, msg, int64(len(msg))); err != nil {
						t.Fatalf("Send %d: %v\n%s", i, err, tr)
					}
				}
				if err := s.Quit(); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(tr.String(), postfixPassword) {
					t.Errorf("the traceLines shows the password:\n%s", tr)
				}
			})
		}
	}

	for _, mech := range postfixMechanisms {
		sec := submit.StartTLS
		if mech == "PLAIN" {
			sec = submit.ImplicitTLS
		}
		t.Run("wrong password/"+mech+"/"+sec.String(), func(t *testing.T) {
			acct := postfixAccount(pf, sec, mech)
			acct.Password = "wrong"
			_, err := submit.Dial(t.Context(), acct, submit.Options{})
			if !errors.Is(err, smtpauth.ErrCredentials) || submit.IsTemporary(err) {
				t.Fatalf("Dial = %v (temporary %v), want credentials rejected, not temporary", err, submit.IsTemporary(err))
			}
		})
	}

	// Postfix refuses AUTH in clear on the submission port ("530 5.7.0 Must issue a STARTTLS command first") and
	// does not even offer it before TLS. The session never gets that far: it sends no AUTH before STARTTLS, and it
	// takes the mechanisms from the EHLO after TLS, so that the first EHLO's lack of AUTH does not matter.
	t.Run("TLS before AUTH", func(t *testing.T) {
		var tr traceLines
		s, err := submit.Dial(t.Context(), postfixAccount(pf, submit.StartTLS, "PLAIN"), submit.Options{Trace: tr.add})
		if err != nil {
			t.Fatalf("Dial: %v\n%s", err, tr)
		}
		s.Quit()
		startTLS := slices.Index(tr, "C: STARTTLS")
		firstAuth := slices.IndexFunc(tr, func(l string) bool { return strings.HasPrefix(l, "C: AUTH") })
		if startTLS < 0 || firstAuth < startTLS {
			t.Fatalf("STARTTLS at line %d, first AUTH at line %d:\n%s", startTLS, firstAuth, tr)
		}
		ehlos := indexAll(tr, func(l string) bool { return strings.HasPrefix(l, "C: EHLO ") })
		if len(ehlos) != 2 || ehlos[0] > startTLS || ehlos[1] < startTLS || ehlos[1] > firstAuth {
			t.Fatalf("EHLO at lines %v, STARTTLS at %d, AUTH at %d:\n%s", ehlos, startTLS, firstAuth, tr)
		}
		before, after := strings.Join(tr[ehlos[0]:startTLS], "\n"), strings.Join(tr[ehlos[1]:firstAuth], "\n")
		if strings.Contains(before, "AUTH") || !strings.Contains(before, "STARTTLS") {
			t.Errorf("EHLO reply before TLS offers AUTH or lacks STARTTLS:\n%s", before)
		}
		if !strings.Contains(after, "250-AUTH ") {
			t.Errorf("EHLO reply after TLS lacks AUTH:\n%s", after)
		}
	})

	// The security setting names the other port's protocol: a settings problem, told in words that name the
	// setting. Postfix's implicit-TLS port waits for the ClientHello and never greets in clear; its submission
	// port greets in clear first.
	t.Run("security mismatch", func(t *testing.T) {
		for _, tt := range []struct {
			sec   submit.Security
			addr  string
			words string
		}{
			{submit.StartTLS, pf.TLSAddr, "expects security = tls"},
			{submit.ImplicitTLS, pf.StartTLSAddr, "expects security = starttls"},
		} {
			acct := postfixAccount(pf, tt.sec, "PLAIN")
			acct.Server = tt.addr
			opts := submit.Options{Timeouts: submit.Timeouts{GreetingProbe: 100 * time.Millisecond}}
			_, err := submit.Dial(t.Context(), acct, opts)
			if !errors.Is(err, submit.ErrSecurityMismatch) || submit.IsTemporary(err) || !strings.Contains(err.Error(), tt.words) {
				t.Errorf("security %s on %s: Dial = %v, want a security mismatch (%q), not temporary", tt.sec, tt.addr, err, tt.words)
			}
		}
	})

	t.Run("no relay without AUTH", func(t *testing.T) {
		acct := postfixAccount(pf, submit.StartTLS, "PLAIN")
		acct.User, acct.Password = "", ""
		s, err := submit.Dial(t.Context(), acct, submit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Quit()
		msg := scanMail(t, "sales@example.com", 1<<10)
		err = send(t, s, "sales@example.com", msg, int64(len(msg)))
		var se *submit.Error
		if !errors.As(err, &se) || se.Op != "RCPT" || se.Reply == nil || se.Reply.Code/100 != 5 || submit.IsTemporary(err) {
			t.Fatalf("Send without AUTH = %v, want a permanent RCPT refusal", err)
		}
	})

	t.Run("size limit", func(t *testing.T) {
		s, err := submit.Dial(t.Context(), postfixAccount(pf, submit.StartTLS, "PLAIN"), submit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Quit()
		if ok, v := s.Extension("SIZE"); !ok || v != fmt.Sprint(postfixSizeLimit) {
			t.Errorf("SIZE = %v %q, want %d", ok, v, postfixSizeLimit)
		}
		big := scanMail(t, "big@example.com", postfixSizeLimit)
		// Declared: the session refuses before sending anything.
		err = send(t, s, "big@example.com", big, int64(len(big)))
		if !errors.Is(err, submit.ErrTooLarge) || submit.IsTemporary(err) {
			t.Errorf("Send with SIZE above the limit = %v, want too large", err)
		}
		// Undeclared: Postfix reads it all and refuses it after the final dot.
		err = send(t, s, "big@example.com", big, 0)
		var se *submit.Error
		if !errors.As(err, &se) || se.Op != "DATA" || se.Reply == nil || se.Reply.Code != 552 || submit.IsTemporary(err) {
			t.Errorf("Send above the limit without SIZE = %v, want a permanent 552 after DATA", err)
		}
		// The session goes on.
		small := scanMail(t, "after-552@example.com", 1<<10)
		if err := send(t, s, "after-552@example.com", small, int64(len(small))); err != nil {
			t.Errorf("Send after a refusal: %v", err)
		}
	})

	paths := pf.WaitDelivered(t, len(sent), postfixDeliveryGuard)
	if len(paths) != len(sent) {
		t.Errorf("%d messages delivered, %d sent", len(paths), len(sent))
	}
	for _, path := range paths {
		added, msg := smtptest.ReadDelivered(t, path)
		i := slices.IndexFunc(added, func(f string) bool { return strings.HasPrefix(f, "Delivered-To: ") })
		if i < 0 {
			t.Errorf("%s: no Delivered-To among %q", path, added)
			continue
		}
		rcpt := strings.TrimSpace(strings.TrimPrefix(added[i], "Delivered-To: "))
		want, ok := sent[rcpt]
		if !ok {
			t.Errorf("%s: delivered to %s, which was not sent", path, rcpt)
			continue
		}
		if !bytes.Equal(msg, want) {
			t.Errorf("message to %s stored as %d bytes that differ from the %d sent", rcpt, len(msg), len(want))
		}
	}
}

func indexAll(lines []string, f func(string) bool) []int {
	var is []int
	for i, l := range lines {
		if f(l) {
			is = append(is, i)
		}
	}
	return is
}

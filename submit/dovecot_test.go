package submit_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/smtpserver"
	"github.com/scangate/gateway/smtptest"
	"github.com/scangate/gateway/submit"
)

// Dovecot's submission service is a second real server with its own SASL code: its LOGIN prompts, its SCRAM,
// its replies. It stores nothing itself and relays what it accepts to the embedded server, where the test
// reads it back.
func TestDovecot(t *testing.T) {
	// The user is a whole address: Dovecot passes it on in MAIL's AUTH= parameter, which the relay parses as
	// a mailbox.
	const user, password = "scanner@example.com", "dv-Pass.2"
	var mu sync.Mutex
	stored := map[string]string{} // recipient → file
	relay, err := smtpserver.Start(smtpserver.Config{Addr: "127.0.0.1:0", Users: map[string]string{"relay": "relay-pass"},
		Maildir: t.TempDir(), OnDeliver: func(d smtpserver.Delivery) {
			mu.Lock()
			defer mu.Unlock()
			for _, to := range d.To {
				stored[to] = d.Path
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	dv := smtptest.StartDovecot(t, smtptest.DovecotConfig{Users: map[string]string{user: password},
		Relay: relay.Addr(), RelayUser: "relay", RelayPassword: "relay-pass"})
	account := func(sec submit.Security, mech string) submit.Account {
		addr := dv.StartTLSAddr
		if sec == submit.ImplicitTLS {
			addr = dv.TLSAddr
		}
		return submit.Account{Server: addr, Security: sec, User: user, Password: password,
			Mechanisms: []string{mech}, RootCAs: dv.CertPool(), HelloName: "gw.test"}
	}

	sent := map[string][]byte{}
	for _, sec := range []submit.Security{submit.StartTLS, submit.ImplicitTLS} {
		for _, mech := range smtptest.DefaultDovecotMechanisms {
			t.Run("send/"+mech+"/"+sec.String(), func(t *testing.T) {
				var tr traceLines
				s, err := submit.Dial(t.Context(), account(sec, mech), submit.Options{Trace: tr.add})
				if err != nil {
					t.Fatalf("Dial: %v\n%s\nlog:\n%s", err, tr, dv.Log())
				}
				if s.Mechanism() != mech || s.TLS() == nil {
					t.Errorf("mechanism %q, TLS %v; want %s over TLS", s.Mechanism(), s.TLS(), mech)
				}
				for i := range 2 { // several messages in one session
					rcpt := fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(mech), sec, i)
					msg := scanMail(t, rcpt, 20<<10)
					refused, err := s.Send(submit.Envelope{From: postfixSender, To: []string{rcpt}, Size: int64(len(msg))}, bytes.NewReader(msg))
					if err != nil || len(refused) > 0 {
						t.Fatalf("Send %d: %v %v\n%s\nlog:\n%s", i, err, refused, tr, dv.Log())
					}
					sent[rcpt] = msg
				}
				if err := s.Quit(); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(tr.String(), password) {
					t.Errorf("the transcript shows the password:\n%s", tr)
				}
			})
		}
	}
	for _, mech := range smtptest.DefaultDovecotMechanisms {
		t.Run("wrong password/"+mech, func(t *testing.T) {
			acct := account(submit.StartTLS, mech)
			acct.Password = "wrong"
			_, err := submit.Dial(t.Context(), acct, submit.Options{})
			if !errors.Is(err, smtpauth.ErrCredentials) || submit.IsTemporary(err) {
				t.Fatalf("Dial = %v (temporary %v), want credentials rejected, not temporary", err, submit.IsTemporary(err))
			}
		})
	}

	// Dovecot relays while the session waits for the reply to DATA, so every accepted mail is stored by now.
	mu.Lock()
	defer mu.Unlock()
	if len(stored) != len(sent) {
		t.Errorf("%d mails relayed, %d sent", len(stored), len(sent))
	}
	for rcpt, msg := range sent {
		path, ok := stored[rcpt]
		if !ok {
			t.Errorf("the mail to %s was not relayed", rcpt)
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Dovecot adds its trace fields above the message; the message itself arrives unchanged.
		if !bytes.HasSuffix(got, msg) {
			t.Errorf("the mail to %s arrived as %d bytes that do not end with the %d sent", rcpt, len(got), len(msg))
		}
	}
}

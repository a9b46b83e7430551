package submit

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/smtptest"
)

// A security setting that does not match the port is a settings problem, told at once and in words that name
// the setting; a slow or silent server is a temporary one.

// probeTimeouts make the greeting probe short. TLSProbe stays generous: it bounds a wait that ends as soon as
// the server answers, so only the silent server's case waits it out, and that case sets its own.
func probeTimeouts(opts *Options) {
	opts.Timeouts.GreetingProbe = 20 * time.Millisecond
	opts.Timeouts.TLSProbe = 10 * time.Second
}

func TestStartTLSAgainstImplicitTLSPort(t *testing.T) {
	oldTLS, oldCA := exampleTLS(t, "smtp.example.com")
	oldTLS.TLS.MaxVersion = tls.VersionTLS11
	for _, tt := range []struct {
		name  string
		so    smtptest.ScriptOptions
		steps []string
	}{
		// The server waits for a ClientHello and answers it with a ServerHello...
		{"server hello", smtptest.ScriptOptions{}, []string{"TLS"}},
		// ... or with an alert, when it cannot agree on a version: TLS all the same.
		{"alert", oldTLS, []string{"TLSFAIL"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Script(t, tt.so, tt.steps...)
			acct, opts := scriptAccount(s, StartTLS)
			acct.Server = "smtp.example.com:465"
			if tt.so.TLS != nil {
				acct.RootCAs = oldCA.Pool()
			}
			probeTimeouts(&opts)
			_, err := Dial(t.Context(), acct, opts)
			var se *Error
			if !errors.Is(err, ErrSecurityMismatch) || IsTemporary(err) || !errors.As(err, &se) || se.Op != "greeting" ||
				!strings.Contains(err.Error(), "port 465 expects security = tls") {
				t.Fatalf("Dial = %v, want a security mismatch that names the setting, not temporary", err)
			}
			s.Wait(t)
			if strings.Contains(string(s.Received()), "EHLO") {
				t.Error("the client spoke SMTP to a TLS port")
			}
		})
	}
}

// A server that is only slow, or silent, is not mismatched: the failure is temporary and says what the server
// did.
func TestStartTLSSlowOrSilentGreeting(t *testing.T) {
	t.Run("greets after the probe", func(t *testing.T) {
		// The server greets in clear, but only once the ClientHello has arrived: a slow plain server.
		s := smtptest.Script(t, smtptest.ScriptOptions{}, "SKIPHELLO", "S: 220 mx.test ESMTP")
		acct, opts := scriptAccount(s, StartTLS)
		probeTimeouts(&opts)
		_, err := Dial(t.Context(), acct, opts)
		var se *Error
		if errors.Is(err, ErrSecurityMismatch) || !IsTemporary(err) || !errors.As(err, &se) || se.Op != "greeting" ||
			!strings.Contains(err.Error(), "the server sent no greeting within 20ms") {
			t.Fatalf("Dial = %v, want a temporary greeting failure", err)
		}
		s.Wait(t)
	})
	t.Run("silent", func(t *testing.T) {
		s := smtptest.Script(t, smtptest.ScriptOptions{}, "SILENT 1m")
		acct, opts := scriptAccount(s, StartTLS)
		probeTimeouts(&opts)
		opts.Timeouts.TLSProbe = 20 * time.Millisecond
		_, err := Dial(t.Context(), acct, opts)
		var ne net.Error
		if errors.Is(err, ErrSecurityMismatch) || !IsTemporary(err) || !errors.As(err, &ne) || !ne.Timeout() ||
			!strings.Contains(err.Error(), "greeting: the server sent no greeting within 20ms") {
			t.Fatalf("Dial = %v, want a temporary greeting timeout", err)
		}
	})
	t.Run("part of the greeting", func(t *testing.T) {
		// A first line at once, the rest after longer than the probe: slow, not mismatched; no ClientHello
		// goes out, and the session goes on.
		s := smtptest.Script(t, smtptest.ScriptOptions{}, join([]string{"S: 220-mx.test", "SILENT 100ms"},
			greet, offerTLS, []string{"TLS"}, afterTLS, authPlain, quit)...)
		acct, opts := scriptAccount(s, StartTLS)
		probeTimeouts(&opts)
		sess, err := Dial(t.Context(), acct, opts)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		sess.Quit()
		s.Wait(t)
	})
}

func TestImplicitTLSAgainstPlainPort(t *testing.T) {
	// The server greets in clear; the client's ClientHello reaches it.
	s := smtptest.Script(t, smtptest.ScriptOptions{}, "S: 220 mx.test ESMTP", "HELLO")
	acct, opts := scriptAccount(s, ImplicitTLS)
	acct.Server = "smtp.example.com:587"
	_, err := Dial(t.Context(), acct, opts)
	var se *Error
	if !errors.Is(err, ErrSecurityMismatch) || IsTemporary(err) || !errors.As(err, &se) || se.Op != "TLS" ||
		!strings.Contains(err.Error(), "port 587 expects security = starttls (it speaks plain SMTP first)") {
		t.Fatalf("Dial = %v, want a security mismatch that names the setting, not temporary", err)
	}
	s.Wait(t)
}

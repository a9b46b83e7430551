package submit

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/smtptest"
)

// A reply that breaks our limits, or plain text where TLS was agreed, is a passing fault of the server:
// temporary, in words that say what the server did.
func TestRepliesBeyondLimitsAreTemporary(t *testing.T) {
	manyLines := make([]string, 10000)
	for i := range manyLines {
		manyLines[i] = "S: 250-X-LINE"
	}
	for _, tt := range []struct {
		name  string
		steps []string
		op    string
		words string
	}{
		{"10 MB line", join(greet, []string{"S: 250-" + strings.Repeat("x", 10<<20)}),
			"EHLO", "the server sent a reply line longer than 12288 octets"},
		{"10000 lines", join(greet, manyLines, []string{"S: 250 END"}),
			"EHLO", "the server sent a reply of more than 128 lines"},
		// The server waits for the ClientHello and answers it in plain text.
		{"text after STARTTLS", join(greet, offerTLS, []string{"SKIPHELLO", "S: 500 5.5.1 what?"}),
			"TLS", "the server agreed to STARTTLS but did not start TLS"},
		// The text comes right behind the 220, in the same segment: it never reaches the handshake.
		{"text with the 220 to STARTTLS", join(greet, []string{"S: 250-mx.test", "S: 250 STARTTLS", "C: STARTTLS",
			"RAW " + hex.EncodeToString([]byte("220 2.0.0 Ready\r\n250 mx.test\r\n"))}),
			"TLS", "the server agreed to STARTTLS but did not start TLS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Script(t, smtptest.ScriptOptions{}, tt.steps...)
			acct, opts := scriptAccount(s, StartTLS)
			_, err := Dial(t.Context(), acct, opts)
			var se *Error
			if !IsTemporary(err) || !errors.As(err, &se) || se.Op != tt.op || !strings.Contains(err.Error(), tt.words) {
				t.Fatalf("Dial = %v, want a temporary %s failure saying %q", err, tt.op, tt.words)
			}
		})
	}
}

// After a reply beyond our limits the session is out of step: the next Send fails at once, and Quit sends
// nothing.
func TestSessionUnusableAfterOversizedReply(t *testing.T) {
	s := smtptest.Script(t, smtptest.ScriptOptions{}, join(startTLSOK, authPlain,
		[]string{"C: MAIL FROM:<a@example.com>", "S: 250 " + strings.Repeat("y", 20000)})...)
	acct, opts := scriptAccount(s, StartTLS)
	sess, err := Dial(t.Context(), acct, opts)
	if err != nil {
		t.Fatal(err)
	}
	env := Envelope{From: "a@example.com", To: []string{"b@example.com"}}
	_, err = sess.Send(env, strings.NewReader("x\r\n"))
	if !IsTemporary(err) || !errors.Is(err, smtpauth.ErrReplyTooLarge) {
		t.Fatalf("Send = %v, want temporary, reply too large", err)
	}
	_, err = sess.Send(env, strings.NewReader("x\r\n"))
	if !IsTemporary(err) || !strings.Contains(err.Error(), "session unusable") {
		t.Fatalf("second Send = %v, want session unusable", err)
	}
	if err := sess.Quit(); err == nil {
		t.Error("Quit succeeded on a session out of step")
	}
	s.Wait(t) // nothing after the MAIL: no RSET, no QUIT
}

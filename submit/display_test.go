package submit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/scangate/gateway/smtptest"
)

// hasRawControl reports text that would act on a terminal instead of showing: an escape or other control, a
// bidirectional override.
func hasRawControl(s string) bool { return strings.ContainsAny(s, "\x1b\x07\r\u009b\u202e") }

// The server's words reach people made safe: in the transcript, in Check's report, in error messages. The
// session itself still works with them.
func TestServerTextMadeSafe(t *testing.T) {
	s := smtptest.Script(t, smtptest.ScriptOptions{}, join(
		[]string{"S: 220 mx.test \x1b[2J\x1b[H\u202eESMTP", "C: EHLO gw.example"}, offerTLS, []string{"TLS", "C: EHLO gw.example",
			"S: 250-mx.test \x1b]0;owned\x07", "S: 250-X-\x1b[31mRED\u009b", "S: 250 AUTH PLAIN"}, authPlain, quit)...)
	acct, opts := scriptAccount(s, StartTLS)
	var tr transcript
	opts.Trace = tr.add
	opts.LookupHost = func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil }
	rep, err := Check(t.Context(), acct, opts)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	s.Wait(t)
	if hasRawControl(tr.String()) || !strings.Contains(tr.String(), "S: 220 mx.test ?[2J?[H?ESMTP") {
		t.Errorf("transcript:\n%q", tr.String())
	}
	ext := strings.Join(rep.Extensions, "\n")
	if hasRawControl(ext) || !strings.Contains(ext, "X-?[31MRED?") {
		t.Errorf("extensions %q", rep.Extensions)
	}
}

func TestServerTextInErrorsMadeSafe(t *testing.T) {
	_, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, "S: 554 5.7.1 \x1b[2Jgo away\u202e")
	var se *Error
	if !errors.As(err, &se) || hasRawControl(err.Error()) || !strings.Contains(err.Error(), "554 5.7.1 ?[2Jgo away?") {
		t.Fatalf("Dial = %q", err)
	}
	if se.Reply.Lines[0] != "\x1b[2Jgo away\u202e" {
		t.Errorf("the reply's raw line is %q", se.Reply.Lines[0])
	}
	s.Wait(t)

	// The names in a certificate are the server's words too.
	so, ca := exampleTLS(t, "mail\x1b[2J.example.net")
	_, err, s = dialScript(t, StartTLS, so, ca, join(greet, offerTLS, []string{"TLSFAIL"})...)
	if !errors.Is(err, ErrCertificate) || !errors.As(err, &se) || hasRawControl(err.Error()) || hasRawControl(se.Err.Error()) ||
		!strings.Contains(err.Error(), "mail?[2J.example.net") {
		t.Fatalf("Dial = %q, want a certificate error with the name made safe", err)
	}
	s.Wait(t)
}

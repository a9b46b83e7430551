package submit

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/smtptest"
)

// The context given to Dial (and Check) governs the session's whole life: when it is done, the step in
// progress ends at once with a temporary error that wraps the context's, whatever the server does.

// patient timeouts would keep a step waiting far longer than any test runs: only the context can end it.
var patient = Timeouts{Command: time.Hour, DataBlock: time.Hour, DataEnd: time.Hour, GreetingProbe: time.Hour,
	TLSProbe: time.Hour, Quit: time.Hour}

// stopGuard bounds how long a test waits for a step to end after its context did; past it the step ignores
// the context (a failure, reported without hanging the test binary).
const stopGuard = 30 * time.Second

// endsWithContext runs step, ends its context with cancel shortly after it started, and checks the error.
func endsWithContext(t *testing.T, cancel context.CancelFunc, want error, step func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- step() }()
	stop := time.AfterFunc(10*time.Millisecond, cancel) // when exactly does not matter: before or during the wait
	defer stop.Stop()
	select {
	case err := <-done:
		if !errors.Is(err, want) || !IsTemporary(err) {
			t.Fatalf("err = %v, want temporary and %v", err, want)
		}
		var se *Error
		if !errors.As(err, &se) {
			t.Fatalf("err = %v, want a *Error", err)
		}
	case <-time.After(stopGuard):
		t.Fatalf("the step went on for %v after its context ended", stopGuard)
	}
}

func TestContextEndsSession(t *testing.T) {
	t.Run("never greets", func(t *testing.T) {
		s := smtptest.Script(t, smtptest.ScriptOptions{}, "SILENT 1h")
		acct, opts := scriptAccount(s, StartTLS)
		opts.Timeouts = patient
		ctx, cancel := context.WithCancel(t.Context())
		endsWithContext(t, cancel, context.Canceled, func() error {
			_, err := Dial(ctx, acct, opts)
			return err
		})
	})
	t.Run("never greets, deadline", func(t *testing.T) {
		s := smtptest.Script(t, smtptest.ScriptOptions{}, "SILENT 1h")
		acct, opts := scriptAccount(s, ImplicitTLS)
		opts.Timeouts = patient
		opts.Timeouts.Connect = time.Hour
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		endsWithContext(t, func() {}, context.DeadlineExceeded, func() error {
			_, err := Dial(ctx, acct, opts)
			return err
		})
	})
	t.Run("never answers QUIT", func(t *testing.T) {
		s := smtptest.Script(t, smtptest.ScriptOptions{}, join(startTLSOK, authPlain, []string{"C: QUIT", "SILENT 1h"})...)
		acct, opts := scriptAccount(s, StartTLS)
		opts.Timeouts = patient
		ctx, cancel := context.WithCancel(t.Context())
		sess, err := Dial(ctx, acct, opts)
		if err != nil {
			t.Fatal(err)
		}
		endsWithContext(t, cancel, context.Canceled, sess.Quit)
	})
	t.Run("stalls mid-DATA", func(t *testing.T) {
		s := smtptest.Script(t, smtptest.ScriptOptions{}, join(startTLSOK, authPlain, []string{
			"C: MAIL FROM:<a@example.com>", "S: 250 ok", "C: RCPT TO:<b@example.com>", "S: 250 ok", "C: DATA", "S: 354 go",
			"SILENT 1h"})...)
		acct, opts := scriptAccount(s, StartTLS)
		opts.Timeouts = patient
		ctx, cancel := context.WithCancel(t.Context())
		sess, err := Dial(ctx, acct, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		endsWithContext(t, cancel, context.Canceled, func() error {
			_, err := sess.Send(Envelope{From: "a@example.com", To: []string{"b@example.com"}}, endless{})
			return err
		})
		// The session is over; what comes next fails at once, for the same reason.
		if _, err := sess.Send(Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader("x\r\n")); !errors.Is(err, context.Canceled) {
			t.Errorf("Send after the end = %v", err)
		}
	})
	t.Run("Check", func(t *testing.T) {
		s := smtptest.Script(t, smtptest.ScriptOptions{}, "SILENT 1h")
		acct, opts := scriptAccount(s, StartTLS)
		opts.Timeouts = patient
		opts.LookupHost = func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil }
		ctx, cancel := context.WithCancel(t.Context())
		endsWithContext(t, cancel, context.Canceled, func() error {
			_, err := Check(ctx, acct, opts)
			return err
		})
	})
}

// endless is a message body that never ends: only a stop ends its sending.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "scan data\r\n"[i%11]
	}
	return len(p), nil
}

var _ io.Reader = endless{}

// Closing the session releases its context: a later cancel has nothing to close.
func TestCloseReleasesContext(t *testing.T) {
	sess, err, s := dialScript(t, StartTLS, smtptest.ScriptOptions{}, nil, join(startTLSOK, authPlain, quit)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Quit(); err != nil {
		t.Fatal(err)
	}
	s.Wait(t)
	if sess.stop() {
		t.Error("the context's watcher was still active after Quit")
	}
}

// QUIT has a short timeout of its own: the mail is accepted by then.
func TestQuitTimeout(t *testing.T) {
	s := smtptest.Script(t, smtptest.ScriptOptions{}, join(startTLSOK, authPlain, []string{"C: QUIT", "SILENT 1h"})...)
	acct, opts := scriptAccount(s, StartTLS)
	opts.Timeouts = patient
	opts.Timeouts.Quit = 50 * time.Millisecond
	sess, err := Dial(t.Context(), acct, opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Quit() }()
	select {
	case err = <-done:
	case <-time.After(stopGuard):
		t.Fatalf("Quit still waits after %v: the command timeout governs it", stopGuard)
	}
	var ne net.Error
	var se *Error
	if !errors.As(err, &ne) || !ne.Timeout() || !IsTemporary(err) || !errors.As(err, &se) || se.Op != "QUIT" {
		t.Fatalf("Quit = %v, want a temporary QUIT timeout", err)
	}
}

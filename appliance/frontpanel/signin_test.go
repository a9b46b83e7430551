package frontpanel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/oauth"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/panel/paneltest"
)

// fakeSigner is the core's sign-in without an authorization server: each StartSignIn gives a new code
// ("CODE-0001", ...), and WaitSignIn returns what the test sends on ends, or the context's error.
type fakeSigner struct {
	mu       sync.Mutex
	text     string // the notice
	problem  bool
	starts   int
	startErr error

	waiting chan string // the code of each WaitSignIn that starts
	ends    chan error  // what a WaitSignIn returns
	gone    chan error  // the context's error of each WaitSignIn it ended
}

func newFakeSigner() *fakeSigner {
	return &fakeSigner{waiting: make(chan string, 4), ends: make(chan error), gone: make(chan error, 4)}
}

func (s *fakeSigner) SignInEnabled() bool { return true }

func (s *fakeSigner) SignInNotice() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text, s.problem
}

func (s *fakeSigner) setNotice(text string, problem bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.text, s.problem = text, problem
}

func (s *fakeSigner) StartSignIn(ctx context.Context) (*appliance.SignIn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.startErr != nil {
		return nil, s.startErr
	}
	s.starts++
	return &appliance.SignIn{Code: appliance.SignInCode{URI: "https://microsoft.com/devicelogin",
		UserCode: fmt.Sprintf("CODE-%04d", s.starts), Expires: time.Now().Add(15 * time.Minute)}}, nil
}

func (s *fakeSigner) WaitSignIn(ctx context.Context, in *appliance.SignIn) error {
	s.waiting <- in.Code.UserCode
	select {
	case err := <-s.ends:
		if err == nil {
			s.setNotice("", false)
		}
		return err
	case <-ctx.Done():
		s.gone <- ctx.Err()
		return ctx.Err()
	}
}

// screens is a display whose every frame the test can wait for from its own goroutine.
type screens struct {
	*memLCD
	mu     sync.Mutex
	frames []string
	frame  chan struct{}
}

func newScreens() *screens {
	return &screens{memLCD: paneltest.NewDisplay(16, 2), frame: make(chan struct{}, 1)}
}

func (s *screens) Flush() error {
	f := strings.Join(s.Lines(), "|")
	s.mu.Lock()
	s.frames = append(s.frames, f)
	s.mu.Unlock()
	select {
	case s.frame <- struct{}{}:
	default:
	}
	return nil
}

func (s *screens) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.frames) == 0 {
		return ""
	}
	return s.frames[len(s.frames)-1]
}

// waitFor waits until the screen shows want, and returns it.
func (s *screens) waitFor(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(hangGuard)
	for {
		if f := s.last(); strings.Contains(f, want) {
			return f
		}
		select {
		case <-s.frame:
		case <-deadline:
			t.Fatalf("the screen never showed %q; last %q", want, s.last())
		}
	}
}

// signInRig runs the panel's key loop on a gateway of the rig with a fake sign-in, keys fed by the test.
type signInRig struct {
	t      *testing.T
	s      *fakeSigner
	lcd    *screens
	keys   chan panel.Key
	kicks  chan struct{}
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error // what run returned
}

func newSignInRig(t *testing.T) *signInRig {
	r := newRig(t, "/dev/null", "right")
	g := r.gateway(t)
	sr := &signInRig{t: t, s: newFakeSigner(), lcd: newScreens(), keys: make(chan panel.Key), kicks: make(chan struct{}, 4),
		done: make(chan error, 1)}
	sr.s.setNotice("Sign in again", true)
	f := &front{g: g, b: &board.Board{Display: sr.lcd, Keys: sr.keys}, signer: sr.s, kick: func() { sr.kicks <- struct{}{} }}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	sr.cancel = cancel
	go func() { sr.done <- f.run(ctx) }()
	t.Cleanup(func() { sr.stop() })
	return sr
}

// stop ends the key loop and returns what it returned.
func (r *signInRig) stop() error {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(hangGuard):
			r.t.Errorf("the key loop did not end; screen %q", r.lcd.last())
		}
	})
	return r.err
}

func (r *signInRig) press(ks ...panel.Key) {
	r.t.Helper()
	for _, k := range ks {
		select {
		case r.keys <- k:
		case <-time.After(hangGuard):
			r.t.Fatalf("the key loop took no key; screen %q", r.lcd.last())
		}
	}
}

// toSignIn goes from the ready screen to Settings > Account > Sign in, behind the default PIN.
func (r *signInRig) toSignIn() {
	r.t.Helper()
	r.press(panel.KeyBack, panel.KeyUp, panel.KeyOK)
	pin, _ := panel.KeysForDigits(panel.DefaultPIN)
	r.press(pin...)
	r.press(panel.KeyOK, panel.KeyOK)                                   // the PIN, Account
	r.press(panel.KeyDown, panel.KeyDown, panel.KeyDown, panel.KeyDown) // to Sign in
	r.lcd.waitFor(r.t, ">Sign in")
	r.press(panel.KeyOK)
}

// waiting waits until the sign-in waits for the person, and returns its code.
func (r *signInRig) waiting() string {
	r.t.Helper()
	select {
	case code := <-r.s.waiting:
		return code
	case <-time.After(hangGuard):
		r.t.Fatalf("the sign-in never waited; screen %q", r.lcd.last())
	}
	return ""
}

func (r *signInRig) waitOn(ch <-chan error, what string) error {
	r.t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(hangGuard):
		r.t.Fatalf("%s never happened; screen %q", what, r.lcd.last())
	}
	return nil
}

// The code goes to the panel, the person approves it, and the gateway kicks the delivery loop and clears the
// sign-in notice.
func TestSignInFromThePanel(t *testing.T) {
	r := newSignInRig(t)
	r.lcd.waitFor(t, "!Sign in again")
	r.toSignIn()
	screen := r.lcd.waitFor(t, "CODE-0001")
	if !strings.HasPrefix(screen, "microsoft.com/de|") {
		t.Errorf("code screen %q", screen)
	}
	if code := r.waiting(); code != "CODE-0001" {
		t.Errorf("waiting for %q", code)
	}
	select {
	case <-r.kicks:
		t.Fatal("kicked before the sign-in ended")
	default:
	}
	r.s.ends <- nil
	r.lcd.waitFor(t, "Signed in")
	select {
	case <-r.kicks:
	case <-time.After(hangGuard):
		t.Fatal("the delivery loop was not kicked")
	}
	r.press(panel.KeyOK)
	r.lcd.waitFor(t, ">Sign in")
	r.press(panel.KeyBack, panel.KeyBack, panel.KeyBack) // the account, the settings, the menu
	if ready := r.lcd.waitFor(t, "To: Sales"); strings.Contains(ready, "Sign in again") {
		t.Errorf("the notice stayed after signing in: %q", ready)
	}
}

// Back stops the wait; a new sign-in gets a new code; the end of Run stops that one's wait too.
func TestSignInCancelled(t *testing.T) {
	r := newSignInRig(t)
	r.toSignIn()
	r.lcd.waitFor(t, "CODE-0001")
	r.waiting()
	r.press(panel.KeyBack)
	if err := r.waitOn(r.s.gone, "the end of the wait"); !errors.Is(err, context.Canceled) {
		t.Errorf("wait ended with %v", err)
	}
	r.lcd.waitFor(t, ">Sign in")
	r.press(panel.KeyOK)
	r.lcd.waitFor(t, "CODE-0002")
	r.waiting()
	if err := r.stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("run = %v", err)
	}
	// run returns once the sign-in's goroutine has ended: its wait is over.
	select {
	case err := <-r.s.gone:
		if err == nil {
			t.Error("the second wait ended without an error")
		}
	default:
		t.Error("run returned before the wait ended")
	}
	select {
	case <-r.kicks:
		t.Error("a cancelled sign-in kicked the delivery loop")
	default:
	}
}

// A refusal and a failure to get a code come with the core's words; no kick.
func TestSignInFails(t *testing.T) {
	r := newSignInRig(t)
	r.toSignIn()
	r.lcd.waitFor(t, "CODE-0001")
	r.waiting()
	r.s.ends <- fmt.Errorf("sign-in: %w", appliance.ErrSignInRefused)
	r.lcd.waitFor(t, "Sign-in refused")
	r.press(panel.KeyOK)
	r.lcd.waitFor(t, ">Sign in")

	r.s.mu.Lock()
	r.s.startErr = errors.New("dial tcp: lookup login.microsoftonline.com: no such host")
	r.s.mu.Unlock()
	r.press(panel.KeyOK)
	short, _ := appliance.ExplainSignIn(r.s.startErr)
	if screen := r.lcd.waitFor(t, short); strings.Contains(screen, "CODE") {
		t.Errorf("screen %q", screen)
	}
	select {
	case <-r.kicks:
		t.Error("a failed sign-in kicked the delivery loop")
	default:
	}
}

// The end of a sign-in in the panel's words: an expired code is told by the clock too.
func TestSignInEnd(t *testing.T) {
	r := newRig(t, "/dev/null", "right")
	f := &front{g: r.gateway(t), signer: newFakeSigner()}
	if a := f.signInEnd(nil, time.Now()); !a.OK || a.Short != "Signed in" || a.Expired || a.SignIn != nil {
		t.Errorf("signed in: %+v", a)
	}
	expired := fmt.Errorf("sign-in: %w", appliance.ErrCodeExpired)
	if a := f.signInEnd(expired, time.Now().Add(time.Minute)); a.OK || !a.Expired || a.Short != "Code expired" {
		t.Errorf("expired: %+v", a)
	}
	network := &oauth.TemporaryError{Err: errors.New("oauth: poll: connection refused")}
	if a := f.signInEnd(network, time.Now().Add(-time.Second)); a.OK || !a.Expired {
		t.Errorf("a failure after the expiry: %+v", a)
	}
	if a := f.signInEnd(network, time.Now().Add(time.Minute)); a.OK || a.Expired || a.Short == "" || a.Detail == "" {
		t.Errorf("a failure before the expiry: %+v", a)
	}
	refused := fmt.Errorf("sign-in: %w", appliance.ErrSignInRefused)
	if a := f.signInEnd(refused, time.Time{}); a.To != panel.RequestSignIn || a.OK || a.Expired || a.Short != "Sign-in refused" {
		t.Errorf("refused: %+v", a)
	}
}

// The ready screen's notice: the setup first, then a sign-in that needs someone, then a missing machine, then
// what the sign-in says that is no problem.
func TestSignInNotice(t *testing.T) {
	r := newRig(t, filepath.Join(t.TempDir(), "ttyUSB0"), "right")
	g := r.gateway(t)
	s := newFakeSigner()
	f := &front{g: g, signer: s}
	if !f.panelConfig().SignIn {
		t.Error("the panel does not offer the sign-in")
	}
	for _, tt := range []struct {
		text    string
		problem bool
		machine bool
		want    panel.Notice
	}{
		{"Sign in again", true, false, panel.Notice{Text: "Sign in again", Problem: true}},
		{"Sign in again", true, true, panel.Notice{Text: "Sign in again", Problem: true}},
		{"Sign in by 12-24", false, false, panel.Notice{Text: "No machine", Problem: true}},
		{"Sign in by 12-24", false, true, panel.Notice{Text: "Sign in by 12-24"}},
		{"", false, true, panel.Notice{}},
	} {
		s.setNotice(tt.text, tt.problem)
		os.Remove(r.Cfg.Device.Port)
		if tt.machine {
			os.WriteFile(r.Cfg.Device.Port, nil, 0o600)
		}
		if n := f.notice().Notice; n == nil || *n != tt.want {
			t.Errorf("sign-in %q/%v, machine %v: notice %+v, want %+v", tt.text, tt.problem, tt.machine, n, tt.want)
		}
	}
	// Without an account there is nothing to sign in.
	cfg := config.Default()
	cfg.Spool.Dir = filepath.Join(t.TempDir(), "spool")
	g, err := appliance.NewSetup(cfg, appliance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.setNotice("Sign in again", true)
	if n := (&front{g: g, signer: s}).notice().Notice; n == nil || *n != setupNotice {
		t.Errorf("in setup: notice %+v", n)
	}
}

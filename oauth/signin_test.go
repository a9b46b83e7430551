package oauth

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// signIn runs Begin and Wait against the scripted replies.
func (e *env) signIn(ctx context.Context) (*SignIn, error) {
	e.t.Helper()
	s, err := e.c.Begin(ctx)
	if err != nil {
		e.t.Fatalf("Begin: %v", err)
	}
	return s, s.Wait(ctx)
}

func TestSignInPendingThenSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.p.script([]reply{deviceCode(300)}, pending, pending, answer(accessTok, refreshTok, 3600))

	if _, err := e.c.Token(t.Context(), false); !errors.Is(err, ErrNotSignedIn) {
		t.Fatalf("Token before the sign-in = %v, want ErrNotSignedIn", err)
	}
	if st := e.c.Status(); st.SignedIn || st.Live() || st.Generation() != "none" {
		t.Fatalf("Status before the sign-in = %+v (generation %q)", st, st.Generation())
	}
	began := time.Now()
	s, err := e.c.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := Code{URI: "https://login.example.com/device", Complete: "https://login.example.com/device?code=WDJB-MJHT",
		UserCode: "WDJB-MJHT"}
	if got := s.Code; got.URI != want.URI || got.Complete != want.Complete || got.UserCode != want.UserCode {
		t.Errorf("Code = %+v, want %+v", got, want)
	}
	if !within(s.Code.Expires, began.Add(300*time.Second), 3*time.Second) {
		t.Errorf("Code.Expires = %v, want about %v", s.Code.Expires, began.Add(300*time.Second))
	}
	dev := e.p.requests("/device")
	if len(dev) != 1 {
		t.Fatalf("%d device authorization requests, want 1", len(dev))
	}
	wantForm(t, dev[0].form, "client_id", clientID, "scope", "mail.send offline_access")

	if err := s.Wait(t.Context()); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	polls := e.p.requests("/token")
	if len(polls) != 3 {
		t.Fatalf("%d polls, want 3 (pending, pending, success)", len(polls))
	}
	last := dev[0].at
	for i, p := range polls {
		wantForm(t, p.form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code", "device_code", "DC-device-code-1",
			"client_id", clientID, "client_secret", clientSec)
		if gap := p.at.Sub(last); gap < 900*time.Millisecond {
			t.Errorf("poll %d came %v after the previous request, want the interval (1 s)", i+1, gap)
		}
		last = p.at
	}

	fi, err := os.Stat(e.c.Store())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("store mode %04o, want 0600", fi.Mode().Perm())
	}
	r, _ := e.stored()
	if r.RefreshToken != refreshTok || r.AccessToken != accessTok || r.User != user || r.ClientID != clientID || r.Provider != Custom {
		t.Errorf("store holds %q/%q for %q %q %q", r.RefreshToken, r.AccessToken, r.User, r.ClientID, r.Provider)
	}
	st := e.c.Status()
	now := e.clk.Now()
	if !st.SignedIn || !st.Live() || st.Broken != "" || st.Err != nil || st.User != user {
		t.Errorf("Status = %+v, want a live sign-in", st)
	}
	if !st.Since.Equal(now) || !st.Refreshed.Equal(now) {
		t.Errorf("Status Since %v Refreshed %v, want both %v (the fake clock)", st.Since, st.Refreshed, now)
	}
	if !within(st.AccessExpiry, time.Now().Add(time.Hour), 10*time.Second) {
		t.Errorf("Status.AccessExpiry = %v, want in an hour", st.AccessExpiry)
	}
	if !st.Lapses.IsZero() {
		t.Errorf("Status.Lapses = %v, want unknown for a custom provider", st.Lapses)
	}
	if g := st.Generation(); g == "none" || g == "" {
		t.Errorf("Generation = %q", g)
	}
	tok, err := e.c.Token(t.Context(), false)
	if err != nil || tok.Reveal() != accessTok {
		t.Fatalf("Token after the sign-in = %v", err)
	}
	if n := len(e.p.requests("/token")); n != 3 {
		t.Errorf("Token after the sign-in made a request (%d token requests)", n)
	}
}

func TestSignInSlowDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.p.script([]reply{deviceCode(300)}, refusal(400, "slow_down", ""), answer(accessTok, refreshTok, 3600))
	if _, err := e.signIn(t.Context()); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	polls := e.p.requests("/token")
	if len(polls) != 2 {
		t.Fatalf("%d polls, want 2", len(polls))
	}
	// slow_down adds 5 s to the interval (1 s): the next poll comes 6 s later.
	if gap := polls[1].at.Sub(polls[0].at); gap < 5500*time.Millisecond {
		t.Errorf("the poll after slow_down came %v later, want at least 6 s", gap)
	}
}

func TestSignInEnds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		reply reply
		want  error
		words string
	}{
		{"expired_token", refusal(400, "expired_token", "The code expired."), ErrCodeExpired, ""},
		{"access_denied", refusal(400, "access_denied", "The user declined. Trace ID: 42"), ErrRefused, "The user declined."},
		{"invalid_client", refusal(401, "invalid_client", "Unknown app."), ErrApp, "invalid_client"},
		{"no refresh token", answer(accessTok, "", 3600), ErrApp, "refresh token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.p.script([]reply{deviceCode(300)}, tt.reply)
			_, err := e.signIn(t.Context())
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.words) || IsTemporary(err) {
				t.Fatalf("Wait = %v, want %v saying %q", err, tt.want, tt.words)
			}
			if strings.Contains(err.Error(), "Trace ID") {
				t.Errorf("Wait = %v: more than the description's first sentence", err)
			}
			if _, serr := os.Stat(e.c.Store()); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("a failed sign-in left a store: %v", serr)
			}
			if st := e.c.Status(); st.SignedIn {
				t.Errorf("Status = %+v after a failed sign-in", st)
			}
			if n := len(e.p.requests("/token")); n != 1 {
				t.Errorf("%d polls, want 1", n)
			}
		})
	}
}

// TestSignInCodeLapses: the code's expires_in passes while the person has not approved it.
func TestSignInCodeLapses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.p.script([]reply{deviceCode(2)})
	e.p.fallback = &pending
	start := time.Now()
	_, err := e.signIn(t.Context())
	if !errors.Is(err, ErrCodeExpired) {
		t.Fatalf("Wait = %v, want ErrCodeExpired", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Wait took %v for a code of 2 s", d)
	}
	if _, serr := os.Stat(e.c.Store()); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("an expired sign-in left a store: %v", serr)
	}
}

// TestSignInNetworkFailure: a connection closed without an answer while polling does not end the sign-in;
// polling resumes after networkRetry.
func TestSignInNetworkFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.p.script([]reply{deviceCode(300)}, pending, reply{drop: true}, answer(accessTok, refreshTok, 3600))
	if _, err := e.signIn(t.Context()); err != nil {
		t.Fatalf("Wait = %v, want the sign-in to survive one network failure", err)
	}
	polls := e.p.requests("/token")
	if len(polls) != 3 {
		t.Fatalf("%d polls, want 3", len(polls))
	}
	if gap := polls[2].at.Sub(polls[1].at); gap < networkRetry {
		t.Errorf("polling resumed %v after the network failure, want at least %v", gap, networkRetry)
	}
	if r, _ := e.stored(); r.RefreshToken != refreshTok {
		t.Errorf("store holds refresh token %q", r.RefreshToken)
	}
}

// TestSignInRequestTimeout: one poll that outlasts the HTTP client's timeout is a network failure like any
// other, not the end of the code (http.Client's timeout error matches context.DeadlineExceeded).
func TestSignInRequestTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hc := *e.p.srv.Client()
	hc.Timeout = 300 * time.Millisecond
	e.c = e.client(&hc)
	e.p.script([]reply{deviceCode(300)}, reply{hang: 2 * time.Second, json: pending.json, status: 400},
		answer(accessTok, refreshTok, 3600))
	if _, err := e.signIn(t.Context()); err != nil {
		t.Fatalf("Wait = %v, want the sign-in to survive one slow answer", err)
	}
	if r, _ := e.stored(); r.RefreshToken != refreshTok {
		t.Errorf("store holds refresh token %q", r.RefreshToken)
	}
}

func TestSignInCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.p.script([]reply{deviceCode(300)})
	e.p.fallback = &pending
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	_, err := e.signIn(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrCodeExpired) {
		t.Fatalf("Wait = %v, want the caller's context error", err)
	}
}

func TestBeginFails(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		reply     reply
		want      error
		temporary bool
	}{
		{"invalid_client", refusal(400, "invalid_client", "AADSTS700016: Application not found. Trace ID: 1"), ErrApp, false},
		{"invalid_scope", refusal(400, "invalid_scope", ""), ErrApp, false},
		{"server error", reply{status: 503, raw: "<html>down</html>", ctype: "text/html"}, nil, true},
		{"no user code", reply{json: map[string]any{"device_code": "x", "verification_uri": "https://x"}}, nil, true},
		{"network", reply{drop: true}, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.p.script([]reply{tt.reply})
			s, err := e.c.Begin(t.Context())
			if err == nil || s != nil || IsTemporary(err) != tt.temporary || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Begin = %v, %v; want %v (temporary %v)", s, err, tt.want, tt.temporary)
			}
			if strings.Contains(err.Error(), "Trace ID") || strings.Contains(err.Error(), "html") {
				t.Errorf("Begin = %v: quotes the provider's answer", err)
			}
		})
	}
}

// TestBeginNoExpiry: a provider without expires_in gets 15 minutes; unprintable text in the code is dropped.
func TestBeginNoExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.p.script([]reply{{json: map[string]any{"device_code": "d", "user_code": "AB\x1b[2JCD",
		"verification_url": "https://example.com/link\r\n", "interval": 1}}})
	s, err := e.c.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !s.Code.Expires.Equal(e.clk.Now().Add(15 * time.Minute)) {
		t.Errorf("Expires = %v, want 15 minutes from %v", s.Code.Expires, e.clk.Now())
	}
	if s.Code.UserCode != "AB [2JCD" || s.Code.URI != "https://example.com/link" {
		t.Errorf("Code = %q %q, want the control characters dropped", s.Code.UserCode, s.Code.URI)
	}
}

// TestSignInAgainClearsBroken: a new sign-in replaces a broken store and changes the generation.
func TestSignInAgainClearsBroken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(e.rec("", "RT-w2Vb93-old", e.clk.Now().Add(-time.Minute)))
	e.p.script(nil, refusal(400, "invalid_grant", "The refresh token was revoked."))
	if _, err := e.c.Token(t.Context(), false); !errors.Is(err, ErrSignInAgain) {
		t.Fatalf("Token = %v, want ErrSignInAgain", err)
	}
	before := e.c.Status()
	if before.Broken == "" || before.Live() || !before.SignedIn {
		t.Fatalf("Status = %+v, want a broken sign-in", before)
	}
	e.clk.Advance(time.Minute)
	e.p.script([]reply{deviceCode(300)}, answer(accessTok, refreshTok, 3600))
	if _, err := e.signIn(t.Context()); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	after := e.c.Status()
	if after.Broken != "" || !after.Live() {
		t.Errorf("Status after a new sign-in = %+v, want live", after)
	}
	if after.Generation() == before.Generation() {
		t.Errorf("Generation %q did not change with the new sign-in", after.Generation())
	}
	tok, err := e.c.Token(t.Context(), false)
	if err != nil || tok.Reveal() != accessTok {
		t.Fatalf("Token after a new sign-in = %v", err)
	}
	if r, _ := e.stored(); r.RefreshToken != refreshTok || r.Broken != "" {
		t.Errorf("store holds %q, broken %q", r.RefreshToken, r.Broken)
	}
}

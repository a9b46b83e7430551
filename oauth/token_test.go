package oauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/config"
)

func TestTokenStoredNoRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(e.rec(accessTok, refreshTok, e.clk.Now().Add(RefreshMargin+time.Minute)))
	for range 3 {
		tok, err := e.c.Token(t.Context(), false)
		if err != nil || tok.Reveal() != accessTok {
			t.Fatalf("Token = %v", err)
		}
	}
	if n := len(e.p.requests("")); n != 0 {
		t.Errorf("%d requests for a token with more than RefreshMargin left", n)
	}
}

// TestTokenRefresh: a token near its expiry is refreshed; a rotated refresh token is kept and used next;
// an answer without one keeps the old one; fresh forces a refresh.
func TestTokenRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(e.rec(accessTok, refreshTok, e.clk.Now().Add(RefreshMargin-time.Second)))
	e.p.script(nil,
		answer(accessTok+"-2", refreshTok+"-2", 3600),
		answer(accessTok+"-3", "", 3600),
		answer(accessTok+"-4", refreshTok+"-4", 3600))

	// 1: less than RefreshMargin left.
	tok, err := e.c.Token(t.Context(), false)
	if err != nil || tok.Reveal() != accessTok+"-2" {
		t.Fatalf("Token = %v, want the refreshed token", err)
	}
	reqs := e.tokenReqs()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	wantForm(t, reqs[0], "grant_type", "refresh_token", "refresh_token", refreshTok, "client_id", clientID, "client_secret", clientSec)
	r, _ := e.stored()
	if r.RefreshToken != refreshTok+"-2" || r.AccessToken != accessTok+"-2" || !r.Refreshed.Equal(e.clk.Now()) {
		t.Errorf("store after a rotation: %q %q refreshed %v", r.RefreshToken, r.AccessToken, r.Refreshed)
	}
	if !within(r.Expiry, time.Now().Add(time.Hour), 10*time.Second) {
		t.Errorf("stored expiry %v, want in an hour", r.Expiry)
	}
	signedIn := r.SignedIn

	// The new token has an hour: no request now; 56 minutes later it has less than RefreshMargin.
	if tok, err := e.c.Token(t.Context(), false); err != nil || tok.Reveal() != accessTok+"-2" || len(e.tokenReqs()) != 1 {
		t.Fatalf("Token = %v after %d requests, want the stored token", err, len(e.tokenReqs()))
	}
	e.clk.Advance(56 * time.Minute)
	tok, err = e.c.Token(t.Context(), false)
	if err != nil || tok.Reveal() != accessTok+"-3" {
		t.Fatalf("Token = %v, want the second refresh", err)
	}
	reqs = e.tokenReqs()
	if len(reqs) != 2 {
		t.Fatalf("%d token requests, want 2", len(reqs))
	}
	wantForm(t, reqs[1], "grant_type", "refresh_token", "refresh_token", refreshTok+"-2")
	r, _ = e.stored()
	if r.RefreshToken != refreshTok+"-2" || r.AccessToken != accessTok+"-3" {
		t.Errorf("store after an answer without a refresh token: %q %q, want the old refresh token kept", r.RefreshToken, r.AccessToken)
	}

	// 3: fresh forces a refresh of a token that has most of its hour left.
	tok, err = e.c.Token(t.Context(), true)
	if err != nil || tok.Reveal() != accessTok+"-4" {
		t.Fatalf("Token(fresh) = %v", err)
	}
	reqs = e.tokenReqs()
	if len(reqs) != 3 {
		t.Fatalf("%d token requests, want 3", len(reqs))
	}
	wantForm(t, reqs[2], "grant_type", "refresh_token", "refresh_token", refreshTok+"-2")
	r, _ = e.stored()
	if r.RefreshToken != refreshTok+"-4" || !r.SignedIn.Equal(signedIn) {
		t.Errorf("store after a forced refresh: %q, signed in %v (was %v)", r.RefreshToken, r.SignedIn, signedIn)
	}
	if st := e.c.Status(); !st.Refreshed.Equal(e.clk.Now()) || !st.Since.Equal(signedIn) || !st.Live() {
		t.Errorf("Status = %+v", st)
	}
}

// TestTokenNoExpiresIn: an answer without expires_in is taken for a short life.
func TestTokenNoExpiresIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(e.rec("", refreshTok, time.Time{}))
	e.p.script(nil, answer(accessTok, "", 0))
	if _, err := e.c.Token(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.stored(); !r.Expiry.Equal(e.clk.Now().Add(2 * RefreshMargin)) {
		t.Errorf("expiry %v, want %v", r.Expiry, e.clk.Now().Add(2*RefreshMargin))
	}
}

func TestTokenInvalidGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(e.rec(accessTok, refreshTok, e.clk.Now().Add(time.Minute)))
	e.p.script(nil, refusal(400, "invalid_grant",
		"AADSTS700082: The refresh token has expired due to inactivity. Trace ID: 0a1b Correlation ID: 2c3d"))
	_, err := e.c.Token(t.Context(), false)
	if !errors.Is(err, ErrSignInAgain) || !IsSignInAgain(err) || IsTemporary(err) || errors.Is(err, ErrApp) {
		t.Fatalf("Token = %v, want ErrSignInAgain", err)
	}
	const why = "invalid_grant: AADSTS700082: The refresh token has expired due to inactivity."
	if !strings.Contains(err.Error(), why) || strings.Contains(err.Error(), "Trace ID") {
		t.Errorf("Token = %q, want it to say %q and no more", err, why)
	}
	r, _ := e.stored()
	if r.Broken == "" || r.AccessToken != "" || r.RefreshToken != refreshTok {
		t.Errorf("store after invalid_grant: broken %q, access token %q, refresh token %q", r.Broken, r.AccessToken, r.RefreshToken)
	}
	st := e.c.Status()
	if !st.SignedIn || st.Live() || st.Broken != why {
		t.Errorf("Status = %+v, want signed in and Broken %q", st, why)
	}
	if st.LapsesSoon(e.clk.Now()) {
		t.Error("LapsesSoon on a broken sign-in")
	}

	// The next calls fail at once, without asking the provider.
	for _, fresh := range []bool{false, true} {
		_, err2 := e.c.Token(t.Context(), fresh)
		if !errors.Is(err2, ErrSignInAgain) || !strings.Contains(err2.Error(), why) {
			t.Errorf("Token(%v) after invalid_grant = %v", fresh, err2)
		}
		if strings.Contains(err2.Error(), "((") {
			t.Errorf("Token(%v) after invalid_grant = %q", fresh, err2)
		}
	}
	if refreshed, err := e.c.KeepFresh(t.Context()); refreshed || err != nil {
		t.Errorf("KeepFresh on a broken sign-in = %v, %v", refreshed, err)
	}
	if n := len(e.tokenReqs()); n != 1 {
		t.Errorf("%d token requests, want the one that failed", n)
	}
}

// TestTokenProviderFailures: failures that are not invalid_grant leave the store as it was.
func TestTokenProviderFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		reply     reply
		want      error
		temporary bool
	}{
		{"500", refusal(500, "server_error", "Try later. Trace ID: 77"), nil, true},
		{"503 html", reply{status: 503, raw: "<html>maintenance</html>", ctype: "text/html"}, nil, true},
		{"429", reply{status: 429, raw: "slow down", ctype: "text/plain"}, nil, true},
		{"garbage 200", reply{raw: "<html>captive portal</html>", ctype: "text/html"}, nil, true},
		{"200 without access token", reply{json: map[string]any{"token_type": "Bearer"}}, nil, true},
		{"network", reply{drop: true}, nil, true},
		{"invalid_client", refusal(401, "invalid_client", "AADSTS7000215: Invalid client secret provided."), ErrApp, false},
		{"unauthorized_client", refusal(400, "unauthorized_client", ""), ErrApp, false},
		{"invalid_scope", refusal(400, "invalid_scope", ""), ErrApp, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.seed(e.rec(accessTok, refreshTok, e.clk.Now().Add(time.Minute)))
			_, before := e.stored()
			e.p.script(nil, tt.reply)
			tok, err := e.c.Token(t.Context(), false)
			if err == nil || tok != "" || IsTemporary(err) != tt.temporary || tt.want != nil && !errors.Is(err, tt.want) ||
				IsSignInAgain(err) {
				t.Fatalf("Token = %q, %v; want %v (temporary %v)", tok.Reveal(), err, tt.want, tt.temporary)
			}
			for _, w := range []string{"html", "portal", "slow down", "Trace ID"} {
				if strings.Contains(err.Error(), w) {
					t.Errorf("Token = %q: quotes the answer's body", err)
				}
			}
			if _, after := e.stored(); !bytes.Equal(before, after) {
				t.Errorf("the store changed:\n%s\nwas\n%s", after, before)
			}
			if st := e.c.Status(); !st.Live() {
				t.Errorf("Status = %+v, want still live", st)
			}
		})
	}
}

// TestTokenRequestTimeout: a provider that does not answer within the HTTP client's timeout is a temporary
// failure.
func TestTokenRequestTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hc := *e.p.srv.Client()
	hc.Timeout = 200 * time.Millisecond
	e.c = e.client(&hc)
	e.seed(e.rec(accessTok, refreshTok, e.clk.Now().Add(time.Minute)))
	e.p.script(nil, reply{hang: 2 * time.Second, json: answer(accessTok, refreshTok, 3600).json})
	if _, err := e.c.Token(t.Context(), false); !IsTemporary(err) {
		t.Fatalf("Token = %v, want a temporary error", err)
	}
}

func TestTokenNotSignedIn(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		edit func(*record)
		ok   bool
	}{
		{"no store", nil, false},
		{"other client id", func(r *record) { r.ClientID = "another-app" }, false},
		{"other user", func(r *record) { r.User = "someone@example.com" }, false},
		{"other provider", func(r *record) { r.Provider = Microsoft }, false},
		{"other token url", func(r *record) { r.TokenURL = "https://elsewhere.example.com/token" }, false},
		{"no refresh token", func(r *record) { r.RefreshToken = "" }, false},
		{"user in other case", func(r *record) { r.User = strings.ToUpper(user) }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if tt.edit != nil {
				r := e.rec(accessTok, refreshTok, e.clk.Now().Add(time.Hour))
				tt.edit(r)
				e.seed(r)
			}
			tok, err := e.c.Token(t.Context(), false)
			st := e.c.Status()
			if tt.ok {
				if err != nil || tok.Reveal() != accessTok || !st.Live() {
					t.Fatalf("Token = %v, Status %+v; want the stored token", err, st)
				}
				return
			}
			if !errors.Is(err, ErrNotSignedIn) || !IsSignInAgain(err) {
				t.Fatalf("Token = %v, want ErrNotSignedIn", err)
			}
			if st.SignedIn || st.Err != nil || st.Generation() != "none" {
				t.Errorf("Status = %+v", st)
			}
			if refreshed, err := e.c.KeepFresh(t.Context()); refreshed || err != nil {
				t.Errorf("KeepFresh = %v, %v; want false, nil", refreshed, err)
			}
			if n := len(e.p.requests("")); n != 0 {
				t.Errorf("%d requests without a sign-in", n)
			}
		})
	}
}

func TestStoreReadableByOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(e.rec(accessTok, refreshTok, e.clk.Now().Add(time.Hour)))
	if err := os.Chmod(e.c.Store(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.Token(t.Context(), false)
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+e.c.Store()) || errors.Is(err, ErrNotSignedIn) {
		t.Fatalf("Token = %v, want an error saying chmod 600", err)
	}
	if st := e.c.Status(); st.Err == nil || st.Live() {
		t.Errorf("Status = %+v, want Err", st)
	}
	if leak(err.Error()) != "" {
		t.Errorf("Token = %q: holds a token", err)
	}
}

func TestStoreDamaged(t *testing.T) {
	t.Parallel()
	for _, content := range []string{
		`{"provider":"custom","refresh_token":"` + refreshTok + `-damaged`,
		`{"refresh_token":["` + refreshTok + `-wrong-type"]}`,
		"",
		"\x00\x01garbage " + accessTok,
	} {
		e := newEnv(t)
		if err := os.MkdirAll(e.cfg.Spool.Dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(e.c.Store(), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := e.c.Token(t.Context(), false)
		if err == nil || !strings.Contains(err.Error(), "damaged") || leak(err.Error()) != "" {
			t.Errorf("Token with store %q = %v, want damaged and no content", content, err)
		}
		if err != nil && strings.Contains(err.Error(), "garbage") {
			t.Errorf("Token = %q: quotes the store", err)
		}
		if st := e.c.Status(); st.Err == nil || st.SignedIn || leak(st.Err.Error()) != "" {
			t.Errorf("Status = %+v", st)
		}
		if refreshed, _ := e.c.KeepFresh(t.Context()); refreshed {
			t.Error("KeepFresh refreshed a damaged store")
		}
	}
}

func TestStoreNotAFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := os.MkdirAll(e.c.Store(), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Token(t.Context(), false); err == nil || !strings.Contains(err.Error(), "not a token store file") {
		t.Fatalf("Token with a directory for a store = %v", err)
	}
	e2 := newEnv(t)
	if err := os.MkdirAll(e2.cfg.Spool.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e2.c.Store(), bytes.Repeat([]byte(" "), maxStore+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e2.c.Token(t.Context(), false); err == nil || !strings.Contains(err.Error(), "not a token store file") {
		t.Fatalf("Token with a huge store = %v", err)
	}
}

func TestKeepFresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.rec(accessTok, refreshTok, e.clk.Now().Add(time.Hour))
	r.Refreshed = e.clk.Now()
	e.seed(r)
	e.p.script(nil, answer(accessTok+"-2", refreshTok+"-2", 3600))

	e.clk.Advance(IdleRefresh - time.Minute)
	if refreshed, err := e.c.KeepFresh(t.Context()); refreshed || err != nil {
		t.Fatalf("KeepFresh %v after a refresh = %v, %v; want false, nil", IdleRefresh-time.Minute, refreshed, err)
	}
	if n := len(e.tokenReqs()); n != 0 {
		t.Fatalf("%d requests before IdleRefresh", n)
	}
	e.clk.Advance(2 * time.Minute)
	if refreshed, err := e.c.KeepFresh(t.Context()); !refreshed || err != nil {
		t.Fatalf("KeepFresh after IdleRefresh = %v, %v; want true, nil", refreshed, err)
	}
	reqs := e.tokenReqs()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	wantForm(t, reqs[0], "grant_type", "refresh_token", "refresh_token", refreshTok)
	got, _ := e.stored()
	if got.RefreshToken != refreshTok+"-2" || !got.Refreshed.Equal(e.clk.Now()) {
		t.Errorf("store after KeepFresh: %q refreshed %v", got.RefreshToken, got.Refreshed)
	}
	// Just refreshed: nothing to do.
	if refreshed, err := e.c.KeepFresh(t.Context()); refreshed || err != nil {
		t.Errorf("KeepFresh right after a refresh = %v, %v", refreshed, err)
	}

	// A refresh that fails for now is reported.
	e.clk.Advance(IdleRefresh + time.Hour)
	e.p.script(nil, refusal(503, "temporarily_unavailable", ""))
	if _, err := e.c.KeepFresh(t.Context()); !IsTemporary(err) {
		t.Errorf("KeepFresh with the provider down = %v, want a temporary error", err)
	}
}

// TestTwoProcesses: two Clients on one store (gateway run and gateway send) refresh at the same time against a
// provider that rotates refresh tokens and refuses a used one: the lock file makes them take turns, so both
// get working tokens and the store never breaks.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(e.rec(accessTok, refreshTok+"-0", e.clk.Now().Add(-time.Minute)))
	var mu sync.Mutex
	current, n := refreshTok+"-0", 0
	issued := map[string]bool{}
	e.p.tokenFn = func(form url.Values) reply {
		mu.Lock()
		defer mu.Unlock()
		if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != current {
			return refusal(400, "invalid_grant", "The refresh token was already used.")
		}
		n++
		current = fmt.Sprintf("%s-%d", refreshTok, n)
		at := fmt.Sprintf("%s-%d", accessTok, n)
		issued[at] = true
		return answer(at, current, 3600)
	}
	clients := []*Client{e.c, e.client(e.p.srv.Client())}
	const perClient, rounds = 3, 4
	var wg sync.WaitGroup
	for ci, c := range clients {
		for g := range perClient {
			wg.Go(func() {
				for i := range rounds {
					fresh := (g+i)%2 == 0
					tok, err := c.Token(t.Context(), fresh)
					if err != nil {
						t.Errorf("client %d goroutine %d round %d: Token(%v) = %v", ci, g, i, fresh, err)
						return
					}
					mu.Lock()
					ok := issued[tok.Reveal()]
					mu.Unlock()
					if !ok {
						t.Errorf("client %d: Token returned a token the provider did not issue", ci)
					}
				}
			})
		}
	}
	wg.Wait()
	st := e.c.Status()
	if !st.Live() || st.Broken != "" {
		t.Fatalf("Status after concurrent refreshes = %+v", st)
	}
	r, _ := e.stored()
	mu.Lock()
	defer mu.Unlock()
	if r.RefreshToken != current {
		t.Errorf("store holds %q, the provider's current refresh token is %q", r.RefreshToken, current)
	}
	// Half the calls force a refresh: at least those reached the provider, each with the current token.
	if min := len(clients) * perClient * rounds / 2; n < min || len(e.tokenReqs()) != n {
		t.Errorf("%d refreshes in %d requests, want at least %d and no refused one", n, len(e.tokenReqs()), min)
	}
}

// TestStatusDetails: the account named in an ID token, and when the refresh token lapses.
func TestStatusDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(e.rec("", refreshTok, time.Time{}))
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"preferred_username":"Scanner@Example.com\u001b[0m"}`))
	rep := answer(accessTok, "", 3600)
	rep.json["id_token"] = "eyJhbGciOiJub25lIn0." + claims + ".sig"
	rep.json["refresh_token_expires_in"] = 86400
	e.p.script(nil, rep)
	if _, err := e.c.Token(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	st := e.c.Status()
	if st.As != "Scanner@Example.com [0m" {
		t.Errorf("Status.As = %q", st.As)
	}
	if !st.Lapses.Equal(e.clk.Now().Add(24 * time.Hour)) {
		t.Errorf("Status.Lapses = %v, want in a day", st.Lapses)
	}
	if !st.LapsesSoon(e.clk.Now()) || st.LapsesSoon(e.clk.Now().Add(-LapseWarning)) {
		t.Errorf("LapsesSoon wrong for a lapse in a day")
	}
}

// TestMicrosoftLapse: Microsoft's refresh tokens lapse after 90 days unused, which its answers do not say.
func TestMicrosoftLapse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.OAuth.Provider = Microsoft })
	r := e.rec("", refreshTok, time.Time{})
	r.Provider = Microsoft
	e.seed(r)
	e.p.script(nil, answer(accessTok, "", 3600))
	if _, err := e.c.Token(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if st := e.c.Status(); !st.Lapses.Equal(e.clk.Now().Add(90 * 24 * time.Hour)) {
		t.Errorf("Status.Lapses = %v, want in 90 days", st.Lapses)
	}
}

// TestLockWaits: while another process holds the store's lock, Token waits for it, until its context ends.
func TestLockWaits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(e.rec(accessTok, refreshTok, e.clk.Now().Add(time.Hour)))
	other := e.client(e.p.srv.Client())
	unlock, err := other.lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*lockPoll)
	defer cancel()
	if _, err := e.c.Token(ctx, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token while another process holds the lock = %v, want the context's deadline", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.c.Token(t.Context(), false)
		done <- err
	}()
	time.Sleep(2 * lockPoll)
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("Token after the lock was released = %v", err)
	}
}

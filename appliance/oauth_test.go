package appliance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/internal/secret"
	"github.com/scangate/gateway/smtpserver"
	"github.com/scangate/gateway/spool"
)

// provider is a scripted OAuth authorization server: the device grant is approved at once, each refresh
// rotates both tokens, and the mail server accepts only the access tokens it issued and has not revoked.
type provider struct {
	srv *httptest.Server

	mu        sync.Mutex
	n         int             // tokens issued
	refresh   string          // the refresh token that works
	valid     map[string]bool // access tokens the mail server accepts
	refreshes int
	revoked   bool // refresh answers invalid_grant
	down      bool // the token endpoint answers 503
	lapse     int  // refresh_token_expires_in, seconds; 0: not sent
}

func newProvider(t *testing.T) *provider {
	p := &provider{valid: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/device", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"device_code": "dev-1", "user_code": "ABCD-EFGH",
			"verification_uri": "https://login.example/device", "expires_in": 600, "interval": 1})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		defer p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case p.down:
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case r.Form.Get("grant_type") == "refresh_token":
			if p.revoked || r.Form.Get("refresh_token") != p.refresh {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":"invalid_grant","error_description":"AADSTS70043: The refresh token has expired. Trace ID: 1"}`)
				return
			}
			p.refreshes++
		case r.Form.Get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code":
			p.revoked = false
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"unsupported_grant_type"}`)
			return
		}
		p.n++
		at, rt := fmt.Sprintf("access-%d-secret", p.n), fmt.Sprintf("refresh-%d-secret", p.n)
		p.refresh, p.valid[at] = rt, true
		answer := map[string]any{"access_token": at, "refresh_token": rt, "token_type": "Bearer", "expires_in": 3600}
		if p.lapse > 0 {
			answer["refresh_token_expires_in"] = p.lapse
		}
		json.NewEncoder(w).Encode(answer)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) accepts(user, token string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return user == "scanner@example.com" && p.valid[token]
}

func (p *provider) set(f func(p *provider)) { p.mu.Lock(); f(p); p.mu.Unlock() }

func (p *provider) count() int { p.mu.Lock(); defer p.mu.Unlock(); return p.refreshes }

// newOAuthLoop is a loop whose account signs in with OAuth at p, sending through a mail server that checks
// the tokens with p.
func newOAuthLoop(t *testing.T, p *provider) *loop {
	t.Helper()
	l := newLoop(t, "right")
	srv, err := smtpserver.Start(smtpserver.Config{Addr: "127.0.0.1:0", Maildir: l.Maildir, Token: p.accepts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	l.Srv = srv
	l.Cfg.Account.Server, l.Cfg.Account.User, l.Cfg.Account.Password = srv.Addr(), "scanner@example.com", ""
	l.Cfg.OAuth = &config.OAuth{Provider: "custom", ClientID: "gateway", DeviceAuthURL: p.srv.URL + "/device",
		TokenURL: p.srv.URL + "/token", Scopes: []string{"smtp", "offline_access"}}
	l.reload(t)
	return l
}

func (l *loop) signIn(t *testing.T) {
	t.Helper()
	s, err := l.g.StartSignIn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.Code.UserCode != "ABCD-EFGH" || s.Code.URI != "https://login.example/device" {
		t.Fatalf("code %+v", s.Code)
	}
	if err := s.Wait(t.Context()); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

func TestOAuthNotSignedInHoldsUntilSignIn(t *testing.T) {
	p := newProvider(t)
	l := newOAuthLoop(t, p)
	if text, problem := l.g.SignInNotice(); text != "Not signed in" || !problem {
		t.Errorf("notice before sign-in: %q %v", text, problem)
	}
	j := l.enqueue(t)
	l.d.Step(t.Context())
	if j = l.job(t, j.ID); j.State != spool.Held || !j.AccountHold || j.LastResult != "Not signed in" {
		t.Fatalf("job without a sign-in: %+v", j)
	}
	l.signIn(t)
	if text, _ := l.g.SignInNotice(); text != "" {
		t.Errorf("notice after sign-in: %q", text)
	}
	l.d.Step(t.Context()) // lifts the hold: the sign-in is new
	l.d.Step(t.Context())
	if j = l.job(t, j.ID); j.State != spool.Sent || mails(t, l.Maildir) != 1 {
		t.Fatalf("after the sign-in: %+v, %d mails", j, mails(t, l.Maildir))
	}
}

func TestOAuthRefreshBeforeExpiry(t *testing.T) {
	p := newProvider(t)
	l := newOAuthLoop(t, p)
	l.signIn(t)
	a := l.enqueue(t)
	l.d.Step(t.Context())
	if j := l.job(t, a.ID); j.State != spool.Sent || p.count() != 0 {
		t.Fatalf("first job: %+v, %d refreshes", j, p.count())
	}
	// 56 minutes later the token has less than 5 minutes left: the next session refreshes it first.
	l.clock.Add(56 * time.Minute)
	b := l.enqueue(t)
	l.d.Step(t.Context())
	if j := l.job(t, b.ID); j.State != spool.Sent || p.count() != 1 {
		t.Fatalf("job after the token aged: %+v, %d refreshes", j, p.count())
	}
	// The rotated refresh token was kept: the next refresh works with it.
	l.clock.Add(56 * time.Minute)
	c := l.enqueue(t)
	l.d.Step(t.Context())
	if j := l.job(t, c.ID); j.State != spool.Sent || p.count() != 2 {
		t.Fatalf("job after a second refresh: %+v, %d refreshes", j, p.count())
	}
	// The store holds no token in the clear for anyone but its owner.
	st, err := os.Stat(filepath.Join(l.Cfg.Spool.Dir, "oauth.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("store: %v %v", st, err)
	}
}

func TestOAuthRevokedHoldsThenSignInReleases(t *testing.T) {
	p := newProvider(t)
	l := newOAuthLoop(t, p)
	l.signIn(t)
	// The sign-in is revoked at the provider: the token in the store is refused by the mail server, and the
	// refresh that follows answers invalid_grant.
	p.set(func(p *provider) { p.revoked, p.valid = true, map[string]bool{} })
	a, b := l.enqueue(t), l.enqueue(t)
	l.d.Step(t.Context())
	for _, id := range []string{a.ID, b.ID} {
		j := l.job(t, id)
		if j.State != spool.Held || !j.AccountHold || j.LastResult != "Sign in again" || !strings.Contains(j.LastDetail, "ended (invalid_grant: AADSTS70043: The refresh token has expired.): sign in") {
			t.Fatalf("after the revocation: %+v", j)
		}
		if strings.Contains(j.LastDetail, "secret") {
			t.Fatalf("a token in the job's detail: %q", j.LastDetail)
		}
	}
	if text, problem := l.g.SignInNotice(); text != "Sign in again" || !problem {
		t.Errorf("notice: %q %v", text, problem)
	}
	// Held means no more tries: the provider is not asked again.
	p.set(func(p *provider) { p.refreshes = 0 })
	l.clock.Add(time.Hour)
	l.d.Step(t.Context())
	if j := l.job(t, a.ID); j.State != spool.Held {
		t.Fatalf("held job changed: %+v", j)
	}
	l.signIn(t)
	l.d.Step(t.Context())
	l.d.Step(t.Context())
	for _, id := range []string{a.ID, b.ID} {
		if j := l.job(t, id); j.State != spool.Sent {
			t.Fatalf("after a new sign-in: %+v", j)
		}
	}
}

func TestOAuthProviderDownDefers(t *testing.T) {
	p := newProvider(t)
	l := newOAuthLoop(t, p)
	l.signIn(t)
	p.set(func(p *provider) { p.down = true })
	l.clock.Add(56 * time.Minute)
	j := l.enqueue(t)
	l.d.Step(t.Context())
	if j = l.job(t, j.ID); j.State != spool.Deferred || !strings.HasPrefix(j.LastResult, "Sign-in server") || j.AccountHold {
		t.Fatalf("with the provider down: %+v", j)
	}
	p.set(func(p *provider) { p.down = false })
	l.clock.Add(2 * time.Minute)
	l.d.Step(t.Context())
	if j = l.job(t, j.ID); j.State != spool.Sent {
		t.Fatalf("with the provider back: %+v", j)
	}
}

func TestOAuthIdleRefresh(t *testing.T) {
	p := newProvider(t)
	l := newOAuthLoop(t, p)
	l.signIn(t)
	l.d.Step(t.Context())
	if p.count() != 0 {
		t.Fatalf("refreshed right after the sign-in")
	}
	// Four idle days: the loop uses the refresh token so that it does not lapse.
	l.clock.Add(4 * 24 * time.Hour)
	l.d.Step(t.Context())
	if p.count() != 1 {
		t.Fatalf("%d refreshes after four idle days, want 1", p.count())
	}
	l.clock.Add(30 * time.Minute)
	l.d.Step(t.Context())
	if p.count() != 1 {
		t.Fatalf("%d refreshes half an hour later, want still 1", p.count())
	}
}

// A refresh token that lapses unless used (7 days here, as for Google apps in testing) is used while idle;
// when the provider cannot be reached to do so, the ready screen warns two days before the lapse.
func TestOAuthLapseWarning(t *testing.T) {
	p := newProvider(t)
	p.lapse = 7 * 24 * 3600
	l := newOAuthLoop(t, p)
	l.signIn(t)
	p.set(func(p *provider) { p.down = true })
	l.clock.Add(4 * 24 * time.Hour)
	l.d.Step(t.Context()) // the idle refresh fails for now
	if text, _ := l.g.SignInNotice(); text != "" {
		t.Fatalf("notice three days before the lapse: %q", text)
	}
	l.clock.Add(25 * time.Hour)
	want := "Sign in by " + l.clock.Now().Add(2*24*time.Hour-time.Hour).Local().Format("01-02")
	if text, problem := l.g.SignInNotice(); text != want || !problem {
		t.Fatalf("notice 47 hours before the lapse: %q %v, want %q", text, problem, want)
	}
	lines, _ := l.g.SignInStatus()
	if text := strings.Join(lines, "\n"); !strings.Contains(text, "Warning: Unless used, the refresh token lapses on") {
		t.Fatalf("status:\n%s", text)
	}
	// Once the provider answers again, the next idle refresh puts the lapse a week off.
	p.set(func(p *provider) { p.down = false })
	l.clock.Add(time.Hour)
	l.d.Step(t.Context())
	if text, _ := l.g.SignInNotice(); text != "" || p.count() != 1 {
		t.Fatalf("after the refresh: notice %q, %d refreshes", text, p.count())
	}
}

func TestOAuthCheckAndStatusHideTokens(t *testing.T) {
	p := newProvider(t)
	l := newOAuthLoop(t, p)
	l.signIn(t)
	rep, err := l.g.Check(t.Context())
	if err != nil || rep.Mechanism != "OAUTHBEARER" {
		t.Fatalf("Check: %v %+v", err, rep)
	}
	lines, ok := l.g.SignInStatus()
	text := strings.Join(lines, "\n")
	if !ok || !strings.Contains(text, "Signed in as scanner@example.com") || !strings.Contains(text, "refreshed after") {
		t.Fatalf("status:\n%s", text)
	}
	all := text + fmt.Sprintf("%v %+v %#v", l.g.s(), *l.g.s(), l.g.s().tokens)
	if strings.Contains(all, "-secret") {
		t.Fatalf("a token shows:\n%s", all)
	}
}

func TestOAuthSettingsRules(t *testing.T) {
	cfg := config.Default()
	cfg.Account = config.Account{Server: "smtp.office365.com:587", Security: "starttls", User: "scanner@contoso.com",
		From: "scanner@contoso.com", Password: secret.Secret("old")}
	cfg.OAuth = &config.OAuth{Provider: "microsft"}
	err := Validate(cfg, true)
	for _, want := range []string{"account.password: not used", `oauth.provider: "microsft" is not one of microsoft, google, custom`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
	cfg.Account.Password = ""
	cfg.OAuth = &config.OAuth{Provider: "microsoft", ClientID: "00000000-0000-0000-0000-000000000000"}
	if err := Validate(cfg, true); err != nil {
		t.Fatalf("a Microsoft 365 account: %v", err)
	}
}

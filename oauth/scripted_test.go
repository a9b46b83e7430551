package oauth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/config"
)

// Distinctive secrets: no error, status or print may ever hold their prefixes.
const (
	accessTok  = "AT-q7Zx41-access-7f3e9c1d"
	refreshTok = "RT-w2Vb93-refresh-b2a4d6e8"
	clientSec  = "CS-k5Lm20-secret-91c3e5a7"
	clientID   = "scangate-test-app"
	user       = "scanner@example.com"
)

// leak names the secret that s holds, or "" when it holds none (every token a test issues starts with one of
// these prefixes).
func leak(s string) string {
	for _, p := range []string{"AT-q7Zx41", "RT-w2Vb93", "CS-k5Lm20"} {
		if strings.Contains(s, p) {
			return p
		}
	}
	return ""
}

// reply is one scripted answer of the provider.
type reply struct {
	status int // 0 means 200
	json   map[string]any
	raw    string // sent as it is when json is nil
	ctype  string
	hang   time.Duration // wait this long, or until the client gives up, before answering
	drop   bool          // close the connection without an answer
}

// answer is a successful token response; rt "" sends no refresh token, expiresIn 0 no expires_in.
func answer(at, rt string, expiresIn int) reply {
	m := map[string]any{"access_token": at, "token_type": "Bearer"}
	if rt != "" {
		m["refresh_token"] = rt
	}
	if expiresIn != 0 {
		m["expires_in"] = expiresIn
	}
	return reply{json: m}
}

// refusal is an OAuth error response (RFC 6749 §5.2).
func refusal(status int, code, desc string) reply {
	m := map[string]any{"error": code}
	if desc != "" {
		m["error_description"] = desc
	}
	return reply{status: status, json: m}
}

var pending = refusal(400, "authorization_pending", "The user has not yet approved.")

// deviceCode is a device authorization response polling every second.
func deviceCode(expiresIn int) reply {
	return reply{json: map[string]any{
		"device_code": "DC-device-code-1", "user_code": "WDJB-MJHT",
		"verification_uri":          "https://login.example.com/device",
		"verification_uri_complete": "https://login.example.com/device?code=WDJB-MJHT",
		"expires_in":                expiresIn, "interval": 1,
	}}
}

func (rep reply) write(w http.ResponseWriter, r *http.Request) {
	if rep.hang > 0 {
		select {
		case <-r.Context().Done():
		case <-time.After(rep.hang):
		}
	}
	if rep.drop {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	body, ctype := []byte(rep.raw), rep.ctype
	if rep.json != nil {
		body, _ = json.Marshal(rep.json)
		if ctype == "" {
			ctype = "application/json"
		}
	}
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(body)
}

// request is what the provider received.
type request struct {
	path string
	form url.Values
	at   time.Time
}

// scripted is a provider whose answers each test scripts: queues of replies for the device authorization
// endpoint (/device) and the token endpoint (/token), or a function for the token endpoint.
type scripted struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	device   []reply
	token    []reply
	fallback *reply                      // the token endpoint's answer once its queue is empty
	tokenFn  func(form url.Values) reply // when set, answers every token request
	reqs     []request
}

func newScripted(t *testing.T) *scripted {
	p := &scripted{t: t}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	p.mu.Lock()
	p.reqs = append(p.reqs, request{r.URL.Path, r.PostForm, time.Now()})
	var rep reply
	ok := true
	switch {
	case r.URL.Path == "/device" && len(p.device) > 0:
		rep, p.device = p.device[0], p.device[1:]
	case r.URL.Path == "/token" && p.tokenFn != nil:
		rep = p.tokenFn(r.PostForm)
	case r.URL.Path == "/token" && len(p.token) > 0:
		rep, p.token = p.token[0], p.token[1:]
	case r.URL.Path == "/token" && p.fallback != nil:
		rep = *p.fallback
	default:
		ok = false
	}
	p.mu.Unlock()
	if !ok {
		p.t.Errorf("unscripted request to %s (grant_type %q)", r.URL.Path, r.PostForm.Get("grant_type"))
		http.Error(w, "unscripted", http.StatusInternalServerError)
		return
	}
	rep.write(w, r)
}

func (p *scripted) script(device []reply, token ...reply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.device = append(p.device, device...)
	p.token = append(p.token, token...)
}

// requests returns the requests so far to path ("" for all).
func (p *scripted) requests(path string) []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []request
	for _, r := range p.reqs {
		if path == "" || r.path == path {
			out = append(out, r)
		}
	}
	return out
}

// clock is a fake clock that moves only when told to. It starts at the real time: the oauth2 client computes
// expiries from the real clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Round(0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a Client of a custom provider served by a scripted provider, with a fake clock.
type env struct {
	t   *testing.T
	p   *scripted
	clk *clock
	cfg *config.Config
	c   *Client
}

func newEnv(t *testing.T, edit ...func(*config.Config)) *env {
	t.Helper()
	p := newScripted(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "client_secret")
	if err := os.WriteFile(secretFile, []byte(clientSec+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Account.User = user
	cfg.Spool.Dir = filepath.Join(dir, "spool")
	cfg.OAuth = &config.OAuth{Provider: Custom, ClientID: clientID, ClientSecretFile: secretFile,
		DeviceAuthURL: p.srv.URL + "/device", TokenURL: p.srv.URL + "/token", Scopes: []string{"mail.send", "offline_access"}}
	for _, f := range edit {
		f(cfg)
	}
	e := &env{t: t, p: p, clk: newClock(), cfg: cfg}
	e.c = e.client(p.srv.Client())
	return e
}

// client makes another Client of the same settings (another process, in real life).
func (e *env) client(hc *http.Client) *Client {
	e.t.Helper()
	c, err := New(e.cfg, Options{HTTPClient: hc, Now: e.clk.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// rec is a sign-in for the env's settings, made an hour ago, with the access token expiring at expiry.
func (e *env) rec(at, rt string, expiry time.Time) *record {
	now := e.clk.Now()
	return &record{Provider: Custom, ClientID: clientID, TokenURL: e.p.srv.URL + "/token", User: user,
		SignedIn: now.Add(-time.Hour), Refreshed: now.Add(-time.Hour), RefreshToken: rt, AccessToken: at, Expiry: expiry}
}

func (e *env) seed(r *record) {
	e.t.Helper()
	if err := e.c.save(r); err != nil {
		e.t.Fatal(err)
	}
}

// stored reads the store file as the package wrote it.
func (e *env) stored() (*record, []byte) {
	e.t.Helper()
	b, err := os.ReadFile(e.c.Store())
	if err != nil {
		e.t.Fatal(err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		e.t.Fatalf("store: %v", err)
	}
	return &r, b
}

// tokenReqs returns the form of each request to the token endpoint.
func (e *env) tokenReqs() []url.Values {
	var out []url.Values
	for _, r := range e.p.requests("/token") {
		out = append(out, r.form)
	}
	return out
}

// wantForm checks the form's fields.
func wantForm(t *testing.T, form url.Values, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if got := form.Get(kv[i]); got != kv[i+1] {
			t.Errorf("request field %s = %q, want %q", kv[i], got, kv[i+1])
		}
	}
}

// within reports whether t is within d of want.
func within(t, want time.Time, d time.Duration) bool {
	diff := t.Sub(want)
	return diff > -d && diff < d
}

func fmtAll(vs ...any) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%v %+v %#v %s\n", v, v, v, v)
	}
	return b.String()
}

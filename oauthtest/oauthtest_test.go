package oauthtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/scangate/gateway/internal/secret"
	"github.com/scangate/gateway/oauthtest"
	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/smtpserver"
	"github.com/scangate/gateway/smtptest"
	"github.com/scangate/gateway/submit"
)

// clientContext makes golang.org/x/oauth2 trust the server's certificate.
func clientContext(t testing.TB, srv *oauthtest.Server) context.Context {
	return context.WithValue(t.Context(), oauth2.HTTPClient, srv.HTTPClient())
}

// signIn runs the device flow as a device does (DeviceAuth, then DeviceAccessToken polling), while the person
// approves the user code through the server's user-code endpoint.
func signIn(t testing.TB, srv *oauthtest.Server, cfg *oauth2.Config, user string) *oauth2.Token {
	t.Helper()
	tok, _ := signInCode(t, srv, cfg, user)
	return tok
}

// signInCode is signIn, and returns the device authorization too.
func signInCode(t testing.TB, srv *oauthtest.Server, cfg *oauth2.Config, user string) (*oauth2.Token, *oauth2.DeviceAuthResponse) {
	t.Helper()
	ctx := clientContext(t, srv)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	if da.UserCode == "" || !strings.HasPrefix(da.VerificationURI, srv.Issuer) || da.Interval != 1 {
		t.Errorf("device authorization %+v", da)
	}
	approved := make(chan error, 1)
	go func() { approved <- srv.Approve(ctx, da.UserCode, user) }()
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err := <-approved; err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	if tok.AccessToken == "" {
		t.Fatalf("no access token: %+v", tok)
	}
	return tok, da
}

// introspect asks the introspection endpoint about an access token, as Dovecot does.
func introspect(t testing.TB, srv *oauthtest.Server, token string) map[string]any {
	t.Helper()
	resp, err := http.PostForm(srv.IntrospectionURL, url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection: %s", resp.Status)
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// refresh redeems a refresh token alone, so that the token source must go to the server.
func refresh(t testing.TB, srv *oauthtest.Server, cfg *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	t.Helper()
	return cfg.TokenSource(clientContext(t, srv), &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// oauthError returns the OAuth error code of a failed token request.
func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func TestDeviceFlow(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{AccessTTL: time.Minute})
	const user = "scanner@example.com"

	t.Run("public client", func(t *testing.T) {
		t.Parallel()
		cfg := srv.Config("smtp", "offline_access")
		tok, da := signInCode(t, srv, cfg, user)
		if tok.RefreshToken == "" || time.Until(tok.Expiry) < 50*time.Second || time.Until(tok.Expiry) > time.Minute {
			t.Errorf("token %+v: want a refresh token and an expiry in a minute", tok)
		}
		m := introspect(t, srv, tok.AccessToken)
		if m["active"] != true || m["email"] != user || m["username"] != user || m["client_id"] != srv.ClientID ||
			m["scope"] != "smtp offline_access" {
			t.Errorf("introspection %v", m)
		}
		if m := introspect(t, srv, tok.AccessToken+"x"); m["active"] != false {
			t.Errorf("a forged token: %v", m)
		}
		// A device code yields tokens once.
		if _, err := cfg.DeviceAccessToken(clientContext(t, srv), da); oauthError(err) != "access_denied" {
			t.Errorf("a spent device code: %v, want access_denied", err)
		}
	})

	t.Run("no offline_access, no refresh token", func(t *testing.T) {
		t.Parallel()
		if tok := signIn(t, srv, srv.Config("smtp"), "other@example.com"); tok.RefreshToken != "" {
			t.Errorf("a refresh token without offline_access")
		}
	})

	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleAutoDetect, oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		t.Run("confidential client/"+map[oauth2.AuthStyle]string{0: "detect", 1: "params", 2: "header"}[style], func(t *testing.T) {
			t.Parallel()
			cfg := &oauth2.Config{ClientID: srv.SecretClientID, ClientSecret: srv.ClientSecret, Endpoint: srv.Endpoint(),
				Scopes: []string{"https://mail.google.com/", "offline_access"}}
			cfg.Endpoint.AuthStyle = style
			tok := signIn(t, srv, cfg, "secret@example.com")
			next, err := refresh(t, srv, cfg, tok.RefreshToken)
			if err != nil || next.AccessToken == "" {
				t.Fatalf("refresh: %v", err)
			}
			bad := *cfg
			bad.ClientSecret = "wrong"
			if _, err := refresh(t, srv, &bad, next.RefreshToken); err == nil {
				t.Errorf("a refresh with the wrong client secret succeeded")
			}
		})
	}

	t.Run("deny", func(t *testing.T) {
		t.Parallel()
		cfg := srv.Config("smtp", "offline_access")
		ctx := clientContext(t, srv)
		da, err := cfg.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The person types the code in lower case and without its dash.
		if err := srv.Deny(ctx, strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))); err != nil {
			t.Fatal(err)
		}
		if err := srv.Approve(ctx, da.UserCode, user); err == nil || !strings.Contains(err.Error(), "409") {
			t.Errorf("approving a denied code: %v", err)
		}
		_, err = cfg.DeviceAccessToken(ctx, da)
		if oauthError(err) != "access_denied" {
			t.Fatalf("DeviceAccessToken = %v, want access_denied", err)
		}
	})

	t.Run("unknown user code", func(t *testing.T) {
		t.Parallel()
		if err := srv.Approve(t.Context(), "BCDF-GHJK", user); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("Approve of an unknown code: %v", err)
		}
	})

	t.Run("introspection needs the resource server's credentials", func(t *testing.T) {
		t.Parallel()
		u, _ := url.Parse(srv.IntrospectionURL)
		u.User = url.UserPassword(oauthtest.IntrospectionClientID, "wrong")
		resp, err := http.PostForm(u.String(), url.Values{"token": {"x"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("introspection with a wrong secret: %s", resp.Status)
		}
	})
}

func TestRefreshRotationAndRevocation(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{})
	const user = "scanner@example.com"
	cfg := srv.Config("smtp", "offline_access")
	tok := signIn(t, srv, cfg, user)
	other := signIn(t, srv, cfg, "someone@example.com")
	if srv.SignIns() != 2 {
		t.Errorf("%d sign-ins, want 2", srv.SignIns())
	}

	next, err := refresh(t, srv, cfg, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Errorf("refresh gave %+v: want a new access token and a new refresh token", next)
	}
	if m := introspect(t, srv, next.AccessToken); m["active"] != true || m["email"] != user {
		t.Errorf("the refreshed token: %v", m)
	}
	if _, err := refresh(t, srv, cfg, tok.RefreshToken); oauthError(err) != "invalid_grant" {
		t.Errorf("the rotated-out refresh token: %v, want invalid_grant", err)
	}
	if srv.Refreshes() != 1 || srv.SignIns() != 2 {
		t.Errorf("%d refreshes, %d sign-ins; want 1, 2", srv.Refreshes(), srv.SignIns())
	}

	// A token endpoint that fails for a while: the refresh token survives it.
	cfgParams := srv.Config("smtp", "offline_access")
	cfgParams.Endpoint.AuthStyle = oauth2.AuthStyleInParams // one request per try
	before := srv.TokenRequests()
	srv.FailNext(1, http.StatusServiceUnavailable)
	_, err = refresh(t, srv, cfgParams, next.RefreshToken)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusServiceUnavailable || re.ErrorCode != "temporarily_unavailable" {
		t.Fatalf("refresh during a failure: %v", err)
	}
	if next, err = refresh(t, srv, cfgParams, next.RefreshToken); err != nil {
		t.Fatalf("refresh after the failure: %v", err)
	}
	if n := srv.TokenRequests() - before; n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}

	srv.Revoke(user)
	if _, err := refresh(t, srv, cfg, next.RefreshToken); oauthError(err) != "invalid_grant" {
		t.Errorf("refresh after Revoke: %v, want invalid_grant", err)
	}
	if m := introspect(t, srv, next.AccessToken); m["active"] != false {
		t.Errorf("an access token after Revoke: %v", m)
	}
	if m := introspect(t, srv, other.AccessToken); m["active"] != true {
		t.Errorf("Revoke reached another user: %v", m)
	}
	if _, err := refresh(t, srv, cfg, other.RefreshToken); err != nil {
		t.Errorf("Revoke reached another user's refresh token: %v", err)
	}
}

func TestAccessTokenExpires(t *testing.T) {
	t.Parallel()
	const ttl = 1500 * time.Millisecond
	srv := oauthtest.Start(t, oauthtest.Options{AccessTTL: ttl})
	tok := signIn(t, srv, srv.Config("smtp"), "scanner@example.com")
	issued := time.Now()
	if m := introspect(t, srv, tok.AccessToken); m["active"] != true {
		t.Fatalf("a new token: %v", m)
	}
	time.Sleep(time.Until(issued.Add(ttl + 100*time.Millisecond)))
	if m := introspect(t, srv, tok.AccessToken); m["active"] != false {
		t.Errorf("a token after its lifetime: %v", m)
	}
}

// The whole chain against a real server: the device flow signs the gateway in, Dovecot's submission service
// takes the access token with XOAUTH2 and OAUTHBEARER and checks it with the introspection endpoint at every
// login, refuses it once it expired or was revoked, and takes the one a refresh gives.
func TestDovecot(t *testing.T) {
	t.Parallel()
	const (
		user     = "scanner@example.com"
		ttl      = 3 * time.Second
		password = "dv-Pass.2"
		pwUser   = "password@example.com"
	)
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
	srv := oauthtest.Start(t, oauthtest.Options{AccessTTL: ttl})
	dv := smtptest.StartDovecot(t, smtptest.DovecotConfig{Users: map[string]string{pwUser: password},
		Relay: relay.Addr(), RelayUser: "relay", RelayPassword: "relay-pass",
		OAuth2: &smtptest.DovecotOAuth2{IntrospectionURL: srv.IntrospectionURL}})

	cfg := srv.Config("smtp", "offline_access")
	tok := signIn(t, srv, cfg, user)
	issued := time.Now() // the server's clock started before this
	account := func(token, mech string) submit.Account {
		return submit.Account{Server: dv.StartTLSAddr, Security: submit.StartTLS, User: user, Token: secret.Secret(token),
			Mechanisms: []string{mech}, RootCAs: dv.CertPool(), HelloName: "gw.test"}
	}
	send := func(t *testing.T, acct submit.Account, rcpt string) {
		t.Helper()
		s, err := submit.Dial(t.Context(), acct, submit.Options{})
		if err != nil {
			t.Fatalf("Dial: %v\nlog:\n%s", err, dv.Log())
		}
		if s.Mechanism() != acct.Mechanisms[0] {
			t.Errorf("mechanism %q, want %s", s.Mechanism(), acct.Mechanisms[0])
		}
		msg := []byte(fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: scan\r\nMessage-ID: <%s@gw.test>\r\n\r\nA scan.\r\n",
			acct.User, rcpt, strings.ReplaceAll(rcpt, "@", ".")))
		refused, err := s.Send(submit.Envelope{From: acct.User, To: []string{rcpt}, Size: int64(len(msg))}, bytes.NewReader(msg))
		if err != nil || len(refused) > 0 {
			t.Fatalf("Send: %v %v\nlog:\n%s", err, refused, dv.Log())
		}
		if err := s.Quit(); err != nil {
			t.Fatal(err)
		}
		// Dovecot relays while the session waits for the reply to DATA: the mail is stored by now.
		mu.Lock()
		path, ok := stored[rcpt]
		mu.Unlock()
		got, err := os.ReadFile(path)
		if !ok || err != nil || !bytes.HasSuffix(got, msg) {
			t.Errorf("the mail to %s did not arrive whole (%v)", rcpt, err)
		}
	}
	refused := func(t *testing.T, acct submit.Account) {
		t.Helper()
		_, err := submit.Dial(t.Context(), acct, submit.Options{})
		if !errors.Is(err, smtpauth.ErrCredentials) || submit.IsTemporary(err) {
			t.Fatalf("Dial = %v (temporary %v), want the credentials refused\nlog:\n%s", err, submit.IsTemporary(err), dv.Log())
		}
	}

	for _, mech := range []string{"XOAUTH2", "OAUTHBEARER"} {
		t.Run("token/"+mech, func(t *testing.T) { send(t, account(tok.AccessToken, mech), strings.ToLower(mech)+"@example.com") })
	}
	t.Run("password users still log in", func(t *testing.T) {
		send(t, submit.Account{Server: dv.StartTLSAddr, Security: submit.StartTLS, User: pwUser, Password: password,
			Mechanisms: []string{"PLAIN"}, RootCAs: dv.CertPool(), HelloName: "gw.test"}, "plain@example.com")
	})
	t.Run("a token is refused for another user", func(t *testing.T) {
		acct := account(tok.AccessToken, "XOAUTH2")
		acct.User = pwUser
		refused(t, acct)
	})
	t.Run("a password is no token", func(t *testing.T) {
		refused(t, account(password, "XOAUTH2"))
	})
	if t.Failed() {
		return
	}

	time.Sleep(time.Until(issued.Add(ttl + 200*time.Millisecond)))
	for _, mech := range []string{"XOAUTH2", "OAUTHBEARER"} {
		t.Run("expired/"+mech, func(t *testing.T) { refused(t, account(tok.AccessToken, mech)) })
	}

	// The token source refreshes (the token it holds has expired), with no second sign-in.
	ts := cfg.TokenSource(clientContext(t, srv), tok)
	fresh, err := ts.Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || srv.Refreshes() != 1 || srv.SignIns() != 1 {
		t.Errorf("refreshes %d, sign-ins %d, new token %v; want 1, 1, true", srv.Refreshes(), srv.SignIns(),
			fresh.AccessToken != tok.AccessToken)
	}
	t.Run("refreshed", func(t *testing.T) { send(t, account(fresh.AccessToken, "XOAUTH2"), "refreshed@example.com") })
	if _, err := refresh(t, srv, cfg, tok.RefreshToken); oauthError(err) != "invalid_grant" {
		t.Errorf("the rotated-out refresh token: %v, want invalid_grant", err)
	}

	srv.Revoke(user)
	t.Run("revoked", func(t *testing.T) { refused(t, account(fresh.AccessToken, "OAUTHBEARER")) })
	if _, err := refresh(t, srv, cfg, fresh.RefreshToken); oauthError(err) != "invalid_grant" {
		t.Errorf("refresh after Revoke: %v, want invalid_grant", err)
	}
	if n := srv.Introspections(); n < 7 {
		t.Errorf("Dovecot introspected %d times, want one a login (7)", n)
	}
}

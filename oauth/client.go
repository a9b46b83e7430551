package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/internal/secret"
	"golang.org/x/oauth2"
)

// RefreshMargin is how much life an access token must have left to be used for a session: a longer mail
// must not outlive it.
const RefreshMargin = 5 * time.Minute

// IdleRefresh is how long the refresh token may go unused before KeepFresh uses it: well inside the 7 days
// after which some providers let an unused one lapse.
const IdleRefresh = 3 * 24 * time.Hour

// LapseWarning is how long before a known lapse of the refresh token Status warns.
const LapseWarning = 2 * 24 * time.Hour

// httpTimeout bounds each request to the provider.
const httpTimeout = 30 * time.Second

// StoreName is the store's file name in the spool directory when [oauth] store is not set.
const StoreName = "oauth.json"

// Options are what the caller adds to the settings.
type Options struct {
	// HTTPClient talks to the provider; nil means one with the system's roots (SSL_CERT_FILE honoured) and a
	// timeout per request.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Client signs one account in and keeps its tokens.
type Client struct {
	provider string
	conf     oauth2.Config
	user     string
	store    string
	lapse    time.Duration
	http     *http.Client
	now      func() time.Time
	mu       sync.Mutex // one refresh at a time in this process; the lock file covers the others
}

// New prepares the client of the settings' [oauth] section (nil, nil when there is none). It reads the client
// secret file; it makes no request.
func New(c *config.Config, o Options) (*Client, error) {
	oc := c.OAuth
	if oc == nil {
		return nil, nil
	}
	if _, ok := presets[oc.Provider]; !ok {
		return nil, fmt.Errorf("config: oauth.provider: %q is not one of %s", oc.Provider, strings.Join(Providers(), ", "))
	}
	ep, scopes := endpoint(oc)
	cl := &Client{provider: oc.Provider, user: c.Account.User, store: oc.Store, lapse: presets[oc.Provider].idleLapse,
		http: o.HTTPClient, now: o.Now,
		conf: oauth2.Config{ClientID: strings.TrimSpace(oc.ClientID), Endpoint: ep, Scopes: scopes}}
	if oc.ClientSecretFile != "" {
		s, err := config.ReadSecretFile("oauth.client_secret_file", oc.ClientSecretFile)
		if err != nil {
			return nil, err
		}
		cl.conf.ClientSecret = strings.TrimSpace(s)
	}
	if cl.store == "" {
		cl.store = filepath.Join(c.Spool.Dir, StoreName)
	}
	if cl.http == nil {
		cl.http = &http.Client{Timeout: httpTimeout}
	}
	if cl.now == nil {
		cl.now = time.Now
	}
	return cl, nil
}

// Format prints the client without the client secret that its oauth2 settings hold, whatever the verb (%v,
// %+v, %#v, %s).
func (c *Client) Format(f fmt.State, _ rune) {
	if c == nil {
		fmt.Fprint(f, "<nil>")
		return
	}
	fmt.Fprintf(f, "oauth client %s for %s (store %s)", c.provider, c.user, c.store)
}

// Store returns the path of the token store.
func (c *Client) Store() string { return c.store }

// Provider returns the provider's name.
func (c *Client) Provider() string { return c.provider }

func (c *Client) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.http)
}

// Token returns an access token for a session: the stored one while it has RefreshMargin left, otherwise a
// refreshed one (fresh forces a refresh: the server refused the stored one). Errors: ErrNotSignedIn,
// ErrSignInAgain, ErrApp, a TemporaryError, or trouble with the store file.
func (c *Client) Token(ctx context.Context, fresh bool) (secret.Secret, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	unlock, err := c.lock(ctx)
	if err != nil {
		return "", err
	}
	defer unlock()
	r, err := c.signedIn()
	if err != nil {
		return "", err
	}
	if !fresh && r.AccessToken != "" && r.Expiry.Sub(c.now()) > RefreshMargin {
		return secret.Secret(r.AccessToken), nil
	}
	if err := c.refresh(ctx, r); err != nil {
		return "", err
	}
	return secret.Secret(r.AccessToken), nil
}

// KeepFresh uses the refresh token when it has not been used for IdleRefresh, so that an idle gateway stays
// signed in. It reports whether it refreshed; not being signed in is no error here.
func (c *Client) KeepFresh(ctx context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	unlock, err := c.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	r, err := c.signedIn()
	if err != nil || c.now().Sub(r.Refreshed) < IdleRefresh {
		return false, nil
	}
	return true, c.refresh(ctx, r)
}

// signedIn loads the store and checks that it holds a live sign-in for these settings.
func (c *Client) signedIn() (*record, error) {
	r, err := c.load()
	switch {
	case err != nil:
		return nil, err
	case !c.mine(r):
		return nil, ErrNotSignedIn
	case r.Broken != "":
		return nil, fmt.Errorf("%w (%s)", ErrSignInAgain, r.Broken)
	}
	return r, nil
}

// refresh trades r's refresh token for new tokens and stores them; invalid_grant marks the store broken.
func (c *Client) refresh(ctx context.Context, r *record) error {
	tok, err := c.conf.TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: r.RefreshToken}).Token()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		err = providerError("refreshing the token", err)
		if IsSignInAgain(err) {
			// providerError's words without their parentheses: signedIn and the gateway's messages add their own.
			r.Broken = strings.TrimSuffix(strings.TrimPrefix(err.Error(), ErrSignInAgain.Error()+" ("), ")")
			r.AccessToken = ""
			if serr := c.save(r); serr != nil {
				return serr
			}
		}
		return err
	}
	c.keep(r, tok)
	return c.save(r)
}

// IsSignInAgain reports whether err means that only a new sign-in helps.
func IsSignInAgain(err error) bool {
	return err != nil && (errors.Is(err, ErrSignInAgain) || errors.Is(err, ErrNotSignedIn))
}

// keep puts a token response into r: the new access token, the new refresh token when the provider rotated it,
// and when the refresh token lapses, when that is known.
func (c *Client) keep(r *record, tok *oauth2.Token) {
	now := c.now()
	r.AccessToken, r.Refreshed, r.Broken = tok.AccessToken, now, ""
	r.Expiry = tok.Expiry
	if r.Expiry.IsZero() { // no expires_in: assume a short life rather than use a dead token for long
		r.Expiry = now.Add(2 * RefreshMargin)
	}
	if tok.RefreshToken != "" {
		r.RefreshToken = tok.RefreshToken
	}
	r.RefreshExpires = time.Time{}
	if n := number(tok.Extra("refresh_token_expires_in")); n > 0 {
		r.RefreshExpires = now.Add(time.Duration(n) * time.Second)
	} else if c.lapse > 0 {
		r.RefreshExpires = now.Add(c.lapse)
	}
	if id, _ := tok.Extra("id_token").(string); id != "" {
		if as := idTokenName(id); as != "" {
			r.As = as
		}
	}
}

// number reads a JSON number or numeric string.
func number(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case string:
		var i int64
		fmt.Sscan(n, &i)
		return i
	}
	return 0
}

// idTokenName reads who signed in from an ID token, for display only: it is not verified, and nothing
// depends on it.
func idTokenName(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
		UPN               string `json:"upn"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return ""
	}
	for _, s := range []string{claims.PreferredUsername, claims.Email, claims.UPN} {
		if s != "" && len(s) < 256 {
			return clean(s)
		}
	}
	return ""
}

// Status is the state of the sign-in, for people and for the hold of the account.
type Status struct {
	// SignedIn reports a sign-in for these settings, live or Broken.
	SignedIn bool
	// User is the mailbox; As, when known, the account the provider says signed in.
	User, As string
	// Since is when the sign-in was made, Refreshed when the tokens were last refreshed.
	Since, Refreshed time.Time
	// AccessExpiry is when the access token expires; Lapses when the refresh token lapses unless used
	// (zero when unknown).
	AccessExpiry, Lapses time.Time
	// Broken says why the sign-in has ended (invalid_grant); Err is trouble reading the store.
	Broken string
	Err    error
}

// Status reads the store.
func (c *Client) Status() Status {
	st := Status{User: c.user}
	r, err := c.load()
	if err != nil {
		st.Err = err
		return st
	}
	if !c.mine(r) {
		return st
	}
	st.SignedIn, st.As, st.Since, st.Refreshed = true, r.As, r.SignedIn, r.Refreshed
	st.AccessExpiry, st.Lapses, st.Broken = r.Expiry, r.RefreshExpires, r.Broken
	return st
}

// Live reports a sign-in whose refresh token still works as far as the gateway knows.
func (s Status) Live() bool { return s.SignedIn && s.Broken == "" && s.Err == nil }

// LapsesSoon reports a live sign-in whose refresh token lapses within LapseWarning of now.
func (s Status) LapsesSoon(now time.Time) bool {
	return s.Live() && !s.Lapses.IsZero() && s.Lapses.Sub(now) < LapseWarning
}

// Generation identifies the sign-in: it changes with each new sign-in, so that an account held for want of
// one is released by the next.
func (s Status) Generation() string {
	if !s.SignedIn {
		return "none"
	}
	return s.Since.UTC().Format(time.RFC3339Nano)
}

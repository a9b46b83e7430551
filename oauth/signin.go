package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// Code is what a person needs to approve the sign-in on another device.
type Code struct {
	// URI is the page to open; Complete, when the provider gives one, is that page with the code filled in.
	URI, Complete string
	// UserCode is the code to type there.
	UserCode string
	// Expires is when the code stops working.
	Expires time.Time
}

// SignIn is a sign-in under way.
type SignIn struct {
	c    *Client
	da   *oauth2.DeviceAuthResponse
	Code Code
}

// Format prints the sign-in without its client (and the client's secret) or device code, whatever the verb.
func (s *SignIn) Format(f fmt.State, _ rune) {
	if s == nil {
		fmt.Fprint(f, "<nil>")
		return
	}
	fmt.Fprintf(f, "oauth sign-in: code %s at %s, expires %s", s.Code.UserCode, s.Code.URI, s.Code.Expires.Format(time.RFC3339))
}

// Begin asks the provider for a device code and a user code (RFC 8628 §3.1).
func (c *Client) Begin(ctx context.Context) (*SignIn, error) {
	da, err := c.conf.DeviceAuth(c.ctx(ctx))
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, providerError("asking for a sign-in code", err)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, &TemporaryError{errors.New("oauth: the provider's answer holds no sign-in code")}
	}
	exp := da.Expiry
	if exp.IsZero() { // RFC 8628 makes expires_in required; a provider without one gets 15 minutes
		exp = c.now().Add(15 * time.Minute)
		da.Expiry = exp
	}
	return &SignIn{c: c, da: da, Code: Code{URI: clean(da.VerificationURI), Complete: clean(da.VerificationURIComplete),
		UserCode: clean(da.UserCode), Expires: exp}}, nil
}

// networkRetry is the pause before polling again after a network failure while the code is still good.
const networkRetry = 5 * time.Second

// Wait polls the provider until the person approved the code, then stores the tokens (RFC 8628 §3.4, §3.5:
// interval, slow_down and authorization_pending as the oauth2 client handles them). It returns nil once the
// sign-in is stored, ErrCodeExpired, ErrRefused, ErrApp, or ctx's error. A network failure while polling does
// not end the sign-in: polling goes on until the code expires.
func (s *SignIn) Wait(ctx context.Context) error {
	for {
		tok, err := s.c.conf.DeviceAccessToken(s.c.ctx(ctx), s.da)
		if err == nil {
			return s.c.stored(ctx, tok)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The oauth2 client stops at da.Expiry on the real clock. A timeout of one request (http.Client's,
		// which also matches context.DeadlineExceeded) is a network failure, not the end of the code.
		if !time.Now().Before(s.da.Expiry) || !s.c.now().Before(s.Code.Expires) {
			return ErrCodeExpired
		}
		err = providerError("waiting for the sign-in", err)
		if !IsTemporary(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(networkRetry):
		}
	}
}

// stored makes a new store from the tokens of a sign-in.
func (c *Client) stored(ctx context.Context, tok *oauth2.Token) error {
	if tok.RefreshToken == "" {
		return errors.Join(ErrApp, errors.New("oauth: the provider gave no refresh token (the scopes must include offline access)"))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	unlock, err := c.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	r := &record{Provider: c.provider, ClientID: c.conf.ClientID, TokenURL: c.conf.Endpoint.TokenURL, User: c.user,
		SignedIn: c.now()}
	c.keep(r, tok)
	return c.save(r)
}

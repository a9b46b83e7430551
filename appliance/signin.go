package appliance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scangate/gateway/oauth"
)

// SignInCode is what a person needs to approve the gateway's sign-in on another device: the page to open,
// the code to type there, and when the code stops working. Complete, when the server gives one, is the page
// with the code filled in (for a QR code).
type SignInCode struct {
	URI, Complete, UserCode string
	Expires                 time.Time
}

// SignIn is a sign-in under way (OAuth 2.0 device authorization grant, RFC 8628).
type SignIn struct {
	Code SignInCode
	s    *oauth.SignIn
}

// The ends of a sign-in that are nobody's fault, for the edges: the code expired before anyone entered it, or
// the person refused the gateway's access.
var (
	ErrCodeExpired   = oauth.ErrCodeExpired
	ErrSignInRefused = oauth.ErrRefused
)

// ErrNoOAuth is the error of a sign-in asked of an account that has no [oauth] section.
var ErrNoOAuth = errors.New("appliance: the account does not sign in with OAuth (no [oauth] in the settings)")

// SignInEnabled reports whether the account signs in with OAuth (an [oauth] section in the settings).
func (g *Gateway) SignInEnabled() bool { return g.s().tokens != nil }

// StartSignIn asks the authorization server for a code. The caller shows s.Code and then calls Wait.
func (g *Gateway) StartSignIn(ctx context.Context) (*SignIn, error) {
	tokens := g.s().tokens
	if tokens == nil {
		return nil, ErrNoOAuth
	}
	s, err := tokens.Begin(ctx)
	if err != nil {
		return nil, err
	}
	c := s.Code
	g.opts.Log.Info("sign-in started: waiting for the code to be entered", "uri", c.URI, "expires", c.Expires.Format(time.TimeOnly))
	return &SignIn{Code: SignInCode{URI: c.URI, Complete: c.Complete, UserCode: c.UserCode, Expires: c.Expires}, s: s}, nil
}

// Wait polls the authorization server until the person approved the code (nil: the tokens are stored and the
// held jobs go out at the delivery loop's next pass), refused it, or the code expired; or until ctx ends.
func (s *SignIn) Wait(ctx context.Context) error { return s.s.Wait(ctx) }

// ExplainSignIn puts the end of a sign-in into words: short fits a 16-character LCD line ("Signed in",
// "Code expired", "Sign-in refused"), long is a sentence.
func ExplainSignIn(err error) (short, long string) {
	switch {
	case err == nil:
		return "Signed in", "Signed in: the tokens are stored; held scans go out with the next delivery."
	case errors.Is(err, oauth.ErrCodeExpired):
		return "Code expired", "Code expired - press OK for a new one."
	case errors.Is(err, oauth.ErrRefused):
		return "Sign-in refused", "Sign-in refused: the person who entered the code declined the gateway's access. Sign in again and accept, as the mailbox the gateway sends from."
	case errors.Is(err, context.Canceled):
		return "Cancelled", "The sign-in was cancelled."
	case errors.Is(err, oauth.ErrApp) && strings.Contains(err.Error(), "invalid_scope"):
		return "Scope refused", "The provider refused the scopes the gateway asks for (" + strings.TrimPrefix(err.Error(), oauth.ErrApp.Error()+": ") +
			"). Google's device sign-in does not allow mail sending; see docs/OAUTH.md."
	case errors.Is(err, ErrNoOAuth):
		return "No [oauth]", "The account does not sign in with OAuth: add an [oauth] section to the settings."
	}
	return Explain(err)
}

// SignInNotice is the status the ready screen shows about the sign-in ("Sign in again", "Not signed in",
// "Sign in by 12-24"), "" when all is well or the account uses no OAuth; problem marks one that needs someone.
func (g *Gateway) SignInNotice() (text string, problem bool) {
	tokens := g.s().tokens
	if tokens == nil {
		return "", false
	}
	st := tokens.Status()
	now := g.opts.Now()
	switch {
	case st.Err != nil:
		return "Token store bad", true
	case !st.SignedIn:
		return "Not signed in", true
	case st.Broken != "":
		return "Sign in again", true
	case st.LapsesSoon(now):
		return "Sign in by " + st.Lapses.Local().Format("01-02"), true
	}
	return "", false
}

// SignInStatus describes the sign-in for people (gateway check, About): who signed in, when, and when the
// tokens are refreshed next. ok is false when the account uses no OAuth.
func (g *Gateway) SignInStatus() (lines []string, ok bool) {
	tokens := g.s().tokens
	if tokens == nil {
		return nil, false
	}
	st := tokens.Status()
	now := g.opts.Now()
	stamp := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }
	lines = append(lines, fmt.Sprintf("OAuth provider %s, token store %s", tokens.Provider(), tokens.Store()))
	switch {
	case st.Err != nil:
		return append(lines, "The token store cannot be read: "+st.Err.Error()), true
	case !st.SignedIn:
		return append(lines, "Not signed in: run gateway signin, or use the panel (Settings, Account, Sign in)."), true
	}
	who := st.User
	if st.As != "" && !strings.EqualFold(st.As, st.User) {
		who += " (the provider names " + st.As + ")"
	}
	lines = append(lines, "Signed in as "+who+" on "+stamp(st.Since)+"; tokens last refreshed "+stamp(st.Refreshed)+".")
	if st.Broken != "" {
		return append(lines, "The sign-in has ended ("+st.Broken+"): sign in again."), true
	}
	next := st.AccessExpiry.Add(-oauth.RefreshMargin)
	if next.Before(now) {
		lines = append(lines, "The access token is refreshed before the next mail.")
	} else {
		lines = append(lines, "The access token is refreshed after "+stamp(next)+", before the first mail from then on.")
	}
	if !st.Lapses.IsZero() {
		l := "Unless used, the refresh token lapses on " + stamp(st.Lapses) + "; the gateway uses it at least every " +
			fmt.Sprint(oauth.IdleRefresh.Hours()/24) + " days."
		if st.LapsesSoon(now) {
			l = "Warning: " + l + " Check the network, or sign in again."
		}
		lines = append(lines, l)
	}
	return lines, true
}

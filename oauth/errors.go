package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"golang.org/x/oauth2"
)

var (
	// ErrNotSignedIn means the account has not signed in yet (or signed in for other settings).
	ErrNotSignedIn = errors.New("oauth: not signed in")
	// ErrSignInAgain means the refresh token is dead (invalid_grant: revoked, lapsed, password changed); only
	// a new sign-in helps.
	ErrSignInAgain = errors.New("oauth: the sign-in has ended; sign in again")
	// ErrApp means the provider refuses the app itself (invalid_client, unauthorized_client, invalid_scope):
	// the [oauth] settings or the app's registration need an admin.
	ErrApp = errors.New("oauth: the provider refused the app")
	// ErrCodeExpired means the sign-in code expired before anyone approved it.
	ErrCodeExpired = errors.New("oauth: the sign-in code expired")
	// ErrRefused means the person refused the sign-in (access_denied).
	ErrRefused = errors.New("oauth: sign-in refused")
)

// TemporaryError is a failure that may pass by itself: the network, or the provider's server (5xx, 429).
type TemporaryError struct{ Err error }

func (e *TemporaryError) Error() string   { return e.Err.Error() }
func (e *TemporaryError) Unwrap() error   { return e.Err }
func (e *TemporaryError) Temporary() bool { return true }

// IsTemporary reports whether err may pass by itself.
func IsTemporary(err error) bool {
	var te *TemporaryError
	return errors.As(err, &te)
}

// providerError turns an error of the oauth2 client into ours: the provider's error code and the first
// sentence of its description, never the response body or a token. what names the step ("refresh").
func providerError(what string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// %v: a timeout of the HTTP client is the provider's trouble, not the end of the caller's context.
		return &TemporaryError{fmt.Errorf("oauth: %s: %v", what, err)}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	words := re.ErrorCode
	if words == "" {
		words = fmt.Sprintf("HTTP %d", status)
	}
	if d := firstSentence(re.ErrorDescription); d != "" {
		words += ": " + d
	}
	switch {
	case re.ErrorCode == "invalid_grant":
		return fmt.Errorf("%w (%s)", ErrSignInAgain, words)
	case re.ErrorCode == "expired_token":
		return ErrCodeExpired
	case re.ErrorCode == "access_denied":
		return fmt.Errorf("%w (%s)", ErrRefused, words)
	case status >= 500 || status == http.StatusTooManyRequests || status == 0 && re.ErrorCode == "":
		return &TemporaryError{fmt.Errorf("oauth: %s: the sign-in server failed for now: %s", what, words)}
	}
	return fmt.Errorf("%w: %s: %s", ErrApp, what, words)
}

// firstSentence is the start of a provider's description, printable, at most one line and 200 characters.
// Microsoft's descriptions go on with trace and correlation ids after the first sentence.
func firstSentence(s string) string {
	s = clean(s)
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	return s
}

// maxText bounds a text from the provider that is shown or logged.
const maxText = 200

// clean makes a provider's text safe to print: control and format characters become spaces, and it is cut at
// maxText bytes.
func clean(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s))
	if len(s) > maxText {
		s = strings.ToValidUTF8(s[:maxText], "") + "..."
	}
	return s
}

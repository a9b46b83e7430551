package submit

import (
	"errors"

	"github.com/scangate/gateway/smtpauth"
)

// Error is the failure of one step of a session.
type Error struct {
	// Op is the step: connect, TLS, greeting, EHLO, HELO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT.
	Op string
	// Reply is the server's reply, nil when the step failed without one.
	Reply *smtpauth.Reply
	// Temp reports whether a later attempt may succeed without any change.
	Temp bool
	Err  error
}

// Error formats the failure for people: the server's words in it are made safe for display
// (smtpauth.Sanitize).
func (e *Error) Error() string {
	s := "submit: " + e.Op
	if e.Reply != nil {
		s += ": " + e.Reply.String()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return smtpauth.Sanitize(s)
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether a later attempt may succeed without any change of settings.
func (e *Error) Temporary() bool { return e.Temp }

// IsTemporary reports whether err says a later attempt may succeed unchanged.
func IsTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

package smtpauth

import (
	"errors"
	"fmt"
)

// Kind classifies how an exchange ended, so that callers can decide what to do next.
type Kind int

// The kinds of outcome. The comments say what the gateway does about each.
const (
	// Temporary: a 4xx reply (454 among them), a dropped connection, a timeout, or a reply beyond our size
	// limits (ErrReplyTooLarge). Keep the scan, retry later.
	Temporary Kind = iota + 1
	// CredentialsRejected: 535, the server rejected the user name or password. Do not retry with the same secret.
	CredentialsRejected
	// TooWeak: 534, the server wants a stronger mechanism.
	TooWeak
	// EncryptionRequired: 538, x.7.10 or x.7.11 (or 530 to AUTH): the server wants TLS first.
	EncryptionRequired
	// PasswordTransition: 432, the server asks for one PLAIN login to convert the password.
	PasswordTransition
	// Unsupported: 504, or no advertised mechanism that we speak and that our policy allows.
	Unsupported
	// Permanent: any other 5xx reply.
	Permanent
	// Cancelled: we cancelled with "*" (a challenge that did not decode, a mechanism that refused the
	// server's message, too many rounds). It points at a broken or hostile server.
	Cancelled
	// Protocol: the server broke the protocol (a reply that breaks the grammar, an unexpected code).
	Protocol
)

var kindNames = map[Kind]string{
	Temporary:           "temporary failure",
	CredentialsRejected: "credentials rejected",
	TooWeak:             "mechanism too weak",
	EncryptionRequired:  "encryption required",
	PasswordTransition:  "password transition needed",
	Unsupported:         "mechanism not supported",
	Permanent:           "authentication refused",
	Cancelled:           "authentication cancelled",
	Protocol:            "protocol error",
}

// String returns the kind in plain words.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Sentinel errors, one per Kind, for errors.Is.
var (
	ErrTemporary          = errors.New(Temporary.String())
	ErrCredentials        = errors.New(CredentialsRejected.String())
	ErrTooWeak            = errors.New(TooWeak.String())
	ErrEncryptionRequired = errors.New(EncryptionRequired.String())
	ErrPasswordTransition = errors.New(PasswordTransition.String())
	ErrUnsupported        = errors.New(Unsupported.String())
	ErrPermanent          = errors.New(Permanent.String())
	ErrCancelled          = errors.New(Cancelled.String())
	ErrProtocol           = errors.New(Protocol.String())
)

var sentinels = map[Kind]error{
	Temporary:           ErrTemporary,
	CredentialsRejected: ErrCredentials,
	TooWeak:             ErrTooWeak,
	EncryptionRequired:  ErrEncryptionRequired,
	PasswordTransition:  ErrPasswordTransition,
	Unsupported:         ErrUnsupported,
	Permanent:           ErrPermanent,
	Cancelled:           ErrCancelled,
	Protocol:            ErrProtocol,
}

// Error is the outcome of a failed exchange.
type Error struct {
	Kind Kind
	// Mechanism is the SASL mechanism that was tried, if any.
	Mechanism string
	// Reply is the server's final reply, nil when there was none (network error, no usable mechanism).
	Reply *Reply
	// Err is the underlying cause, if any (a network error, a mechanism's complaint about a challenge).
	Err error
	// Detail is what the mechanism learned of the refusal, e.g. "token refused: invalid_token".
	Detail string
}

// Error formats the outcome; it never contains credentials, and the server's words in it (its reply, a
// mechanism's report of a refusal) are made safe for display by Sanitize.
func (e *Error) Error() string {
	s := "smtpauth: "
	if e.Mechanism != "" {
		s += e.Mechanism + ": "
	}
	s += e.Kind.String()
	if e.Reply != nil {
		s += " (" + clip(e.Reply.String()) + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return Sanitize(s)
}

// Unwrap exposes the kind's sentinel and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := []error{sentinels[e.Kind]}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Temporary reports whether a later attempt may succeed without any change of settings.
func (e *Error) Temporary() bool { return e.Kind == Temporary }

// Classify maps a final (non-334) reply to AUTH to its Kind. The three-digit code governs; the enhanced code
// refines it only where RFC 4954 and RFC 5248 give it a meaning of its own.
func Classify(r *Reply) Kind {
	switch {
	case r.Code == 432:
		return PasswordTransition
	case r.Class() == 4:
		return Temporary
	case r.Code == 535:
		return CredentialsRejected
	case r.Code == 534:
		return TooWeak
	case r.Code == 538, r.Code == 530,
		r.Class() == 5 && r.Enhanced[1] == 7 && (r.Enhanced[2] == 10 || r.Enhanced[2] == 11):
		return EncryptionRequired
	case r.Code == 504:
		return Unsupported
	case r.Class() == 5:
		return Permanent
	}
	return Protocol
}

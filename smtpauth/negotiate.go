package smtpauth

import (
	"errors"
	"slices"
)

// Negotiate authenticates a session: it selects the best usable mechanism the server advertised, runs the
// exchange, and makes at most one more attempt where RFC 4954 invites one: after 534 "too weak" with a
// stronger mechanism, after 432 "password transition" with one PLAIN login (when Options allow it), and after
// 500 5.5.6 "line too long" with the same mechanism and no initial response. Never more than two AUTH commands
// per session, and never after 535. It returns the mechanism of the last attempt.
func Negotiate(c Conn, advertised []string, cred Credentials, ch Channel, o Options) (string, error) {
	name, m, err := Select(advertised, cred, ch, o)
	if err != nil {
		return "", err
	}
	irSent, err := auth(c, m, false)
	if err == nil {
		return name, nil
	}
	var ae *Error
	if !errors.As(err, &ae) {
		return name, err
	}
	usable := candidates(advertised, cred, ch, o)
	retry, noIR := "", false
	switch {
	case ae.Kind == TooWeak:
		rank := slices.Index(strength, name)
		for _, cand := range usable {
			if r := slices.Index(strength, cand); r >= 0 && r < rank {
				retry = cand
				break
			}
		}
	case ae.Kind == PasswordTransition && o.PasswordTransition && name != "PLAIN" && slices.Contains(usable, "PLAIN"):
		retry = "PLAIN"
	case irSent && ae.Reply != nil && ae.Reply.Code == 500 && ae.Reply.Enhanced == (EnhancedCode{5, 5, 6}):
		retry, noIR = name, true
	}
	if retry == "" {
		return name, err
	}
	m2, cerr := newClient(retry, advertised, cred, ch, o)
	if cerr != nil {
		return name, err
	}
	if _, err := auth(c, m2, noIR); err != nil {
		return retry, err
	}
	return retry, nil
}

package appliance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/scangate/gateway/document"
	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/submit"
)

// action is what the delivery loop does after an attempt.
type action int

const (
	actSent        action = iota // the server accepted the mail
	actDefer                     // temporary: retry after a backoff
	actHoldJob                   // this job needs someone (a page too large for the server)
	actHoldAccount               // the account needs someone: stop every job, no retry storm
	actFail                      // refused for good
	actRequeue                   // cut off at shutdown: back in the queue, no attempt counted against it
)

var actionNames = map[action]string{actSent: "sent", actDefer: "deferred", actHoldJob: "held",
	actHoldAccount: "held", actFail: "failed", actRequeue: "interrupted"}

// decide maps an attempt's outcome to an action. This table, with Explain for the words, is the retry policy
// of RFC 4954 §6 and RFC 5321 §4.2.1 as the checklist's queue decisions read: 4xx and network trouble are retried;
// rejected credentials, encryption demands and certificates that do not verify hold the account, because
// retrying the same secret only risks a lock-out; other 5xx end the job.
func decide(err error) action {
	switch {
	case err == nil:
		return actSent
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The session's context ends only at shutdown (the Stop key holds a job without cutting a session).
		return actRequeue
	case errors.Is(err, submit.ErrSecurityMismatch):
		return actHoldAccount // the settings are wrong: no retry fixes them
	case errors.Is(err, smtpauth.ErrCredentials), errors.Is(err, smtpauth.ErrEncryptionRequired),
		errors.Is(err, smtpauth.ErrTooWeak), errors.Is(err, smtpauth.ErrUnsupported),
		errors.Is(err, smtpauth.ErrPasswordTransition), errors.Is(err, smtpauth.ErrBadCredentials),
		errors.Is(err, submit.ErrCertificate):
		return actHoldAccount
	case errors.Is(err, submit.ErrTooLarge):
		return actHoldJob
	case submit.IsTemporary(err), errors.Is(err, smtpauth.ErrCancelled), errors.Is(err, smtpauth.ErrProtocol):
		// A cancelled exchange or a protocol error points at a broken or hostile server: try again later.
		return actDefer
	}
	var ie *document.InputError
	if errors.As(err, &ie) {
		return actFail
	}
	var se *submit.Error
	if !errors.As(err, &se) && errors.Is(err, fs.ErrNotExist) {
		return actFail // a scan file is gone: no retry brings it back
	}
	if errors.As(err, &se) {
		return actFail // a permanent refusal at a step of the session
	}
	return actDefer // a local trouble (a full card, memory) may pass
}

// replyCodes returns the server's reply code and enhanced code found in err, if any.
func replyCodes(err error) (int, string) {
	var ae *smtpauth.Error
	if errors.As(err, &ae) && ae.Reply != nil {
		return ae.Reply.Code, enhanced(ae.Reply)
	}
	var se *submit.Error
	if errors.As(err, &se) && se.Reply != nil {
		return se.Reply.Code, enhanced(se.Reply)
	}
	return 0, ""
}

func enhanced(r *smtpauth.Reply) string {
	if r.Enhanced == [3]int{} {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", r.Enhanced[0], r.Enhanced[1], r.Enhanced[2])
}

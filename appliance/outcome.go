package appliance

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"strings"
	"syscall"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/document"
	"github.com/scangate/gateway/oauth"
	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/spool"
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

// outcome is one row of the outcome table: the errors it matches, what the delivery loop does about them, and
// the words for people: short fits a 16-character LCD line, long is one sentence for the journal, the log and
// the command line.
type outcome struct {
	match func(err error) bool
	act   func(err error) action
	short string
	long  func(err error) string
}

// outcomes is the one table that classifies a failure and words it, first match wins. It is the retry policy of
// RFC 4954 §6 and RFC 5321 §4.2.1: 4xx and network trouble are retried; rejected credentials, encryption
// demands, certificates that do not verify and a security setting that does not match the port hold the
// account, because retrying the same settings only risks a lock-out; other 5xx end the job. Local troubles
// (a full card, a machine that did not answer) may pass; a scan that cannot be read or is gone never will.
var outcomes = []outcome{
	// The session's context ends only at shutdown (the Stop key holds a job without cutting a session).
	{is(context.Canceled), always(actRequeue), "Stopped", text("Stopped with the Stop key.")},
	{is(context.DeadlineExceeded), always(actRequeue), "Timed out", func(err error) string { return cause(err) + "." }},
	{is(ErrNotSetUp), always(actHoldAccount), "Set up first",
		text("The mail account is not set up yet: press Back, enter the PIN and open Settings, then Account.")},
	{is(oauth.ErrNotSignedIn), always(actHoldAccount), "Not signed in",
		text("The account signs in with OAuth and has not signed in yet: on the panel open Settings, Account, Sign in, or run gateway signin. The scans wait and go out after the sign-in.")},
	{is(oauth.ErrSignInAgain), always(actHoldAccount), "Sign in again", func(err error) string {
		why := strings.TrimSuffix(strings.TrimPrefix(cause(err), oauth.ErrSignInAgain.Error()+" ("), ")")
		return "The account's sign-in has ended (" + why + "): sign in again on the panel (Settings, Account, Sign in) or with gateway signin. The scans wait and go out after the sign-in."
	}},
	{is(oauth.ErrApp), always(actHoldAccount), "Sign-in app bad", func(err error) string {
		return "The sign-in provider refused the gateway's app (" + strings.TrimPrefix(cause(err), oauth.ErrApp.Error()+": ") +
			"). Check client_id, tenant and client_secret_file in [oauth], and the app's registration (docs/OAUTH.md)."
	}},
	{oauth.IsTemporary, always(actDefer), "Sign-in server", func(err error) string {
		return "The sign-in server could not give a fresh token for now: " + strings.TrimPrefix(cause(err), "oauth: ") + "."
	}},
	{is(submit.ErrClockNotSet), always(actDefer), "Clock not set",
		text("The gateway's clock is not set, so the server's certificate cannot be checked; nothing was sent. Check the network time (NTP) or set the clock.")},
	{is(submit.ErrSecurityMismatch), always(actHoldAccount), "Check security", func(err error) string {
		why := strings.TrimPrefix(cause(err), submit.ErrSecurityMismatch.Error()+": ")
		return "The account's security setting does not match the server, so nothing was sent: " + why + ". Change it in the account settings."
	}},
	{func(err error) bool { return errors.Is(err, smtpauth.ErrCredentials) && tokenMechanism(err) }, always(actHoldAccount), "Token refused",
		func(err error) string {
			return "The mail server refused the OAuth token (" + reply(err) + detail(err) + "). Sign the gateway in again to get a new token."
		}},
	{is(smtpauth.ErrCredentials), always(actHoldAccount), "Wrong password", func(err error) string {
		return "The mail server rejected the user name or password (" + reply(err) + "). Check them in the account settings."
	}},
	{is(submit.ErrCertificate), always(actHoldAccount), "Server cert bad", func(err error) string {
		return "The mail server's certificate could not be verified, so nothing was sent: " + cause(err) + ". Check the server name, or give its CA in account.ca_file."
	}},
	{is(submit.ErrNoStartTLS), always(actDefer), "TLS refused",
		text("The mail server does not offer STARTTLS, so the password was not sent. Check the port (587 for starttls, 465 for tls).")},
	{is(smtpauth.ErrEncryptionRequired), always(actHoldAccount), "TLS required", func(err error) string {
		return "The mail server wants encryption first (" + reply(err) + "). Check the security setting."
	}},
	{is(smtpauth.ErrUnsupported, smtpauth.ErrTooWeak), always(actHoldAccount), "Login method", func(err error) string {
		return "The server offers no login method the gateway can use: " + cause(err) + "."
	}},
	{is(smtpauth.ErrBadCredentials), always(actHoldAccount), "Check password",
		text("The user name or password in the settings is empty or holds an invalid character.")},
	{is(smtpauth.ErrPasswordTransition), always(actHoldAccount), "Password change", func(err error) string {
		return "The mail server asks for a password transition (" + reply(err) + "): log in to the mailbox once with a mail program, or allow auth.password_transition."
	}},
	{is(submit.ErrTooLarge), always(actHoldJob), "Mail too large", func(err error) string {
		return "The mail is larger than the server accepts: " + cause(err) + "."
	}},
	{step("DNS"), sessionAct, "Server unknown", func(err error) string {
		return "The mail server's name could not be resolved: " + cause(err) + ". Check account.server and the network's DNS."
	}},
	{func(err error) bool { var de *net.DNSError; return step("connect")(err) && errors.As(err, &de) }, sessionAct, "Server unknown",
		func(err error) string {
			return "The mail server's name could not be resolved: " + cause(err) + ". Check account.server and the network."
		}},
	{step("connect"), sessionAct, "Server down", func(err error) string { return "Cannot reach the mail server: " + cause(err) + "." }},
	{func(err error) bool { return submit.IsTemporary(err) && step("")(err) }, sessionAct, "Server busy", func(err error) string {
		return "The mail server failed for now, try again later: " + cause(err) + "."
	}},
	{func(err error) bool { var se *submit.Error; return errors.As(err, &se) && se.Reply != nil }, sessionAct, "Mail refused",
		func(err error) string {
			var se *submit.Error
			errors.As(err, &se)
			return "The mail server refused the mail at " + se.Op + ": " + se.Reply.String() + "."
		}},
	{step(""), sessionAct, "Mail error", func(err error) string { return "Sending failed: " + cause(err) + "." }},
	{is(device.ErrNoPort, device.ErrUnplugged), always(actDefer), "No machine", func(err error) string {
		return "The machine's port is missing: " + cause(err) + ". Check the cable or the USB adapter; the next Send tries again."
	}},
	{is(fs.ErrNotExist), always(actFail), "File missing", func(err error) string { return "A file is missing: " + cause(err) + "." }},
	{is(device.ErrPortBusy), always(actDefer), "Port busy", func(err error) string {
		return "Another program uses the machine's port: " + cause(err) + "."
	}},
	{is(device.ErrTimeout), always(actDefer), "No scan waiting",
		text("The machine did not answer. Check the cable, and that a scan is waiting on the machine.")},
	{is(device.ErrCancelled), always(actDefer), "Machine stopped", text("The machine cancelled the transfer.")},
	{is(device.ErrDamaged, device.ErrProtocol), always(actDefer), "Line errors", func(err error) string {
		return "The transfer from the machine failed: " + cause(err) + ". Check the cable and the serial settings."
	}},
	{is(syscall.ENOSPC, syscall.EDQUOT), always(actDefer), "Card full", func(err error) string {
		return "The storage card is full, so the scan could not be made ready to send: " + cause(err) + ". It stays queued and is tried again; delete old jobs or free space."
	}},
	{is(spool.ErrFull), always(actDefer), "Queue full", func(err error) string {
		return "The queue has no room for another scan: " + cause(err) + "."
	}},
	{is(ErrNothingScanned), always(actDefer), "No scan waiting", text("The machine had no document to send.")},
	{func(err error) bool { var ie *document.InputError; return errors.As(err, &ie) }, always(actFail), "Bad scan file",
		func(err error) string { return "A scanned file could not be read: " + cause(err) + "." }},
	{func(err error) bool { var te interface{ Timeout() bool }; return errors.As(err, &te) && te.Timeout() }, always(actDefer),
		"Timed out", func(err error) string { return cause(err) + "." }},
	{func(error) bool { return true }, always(actDefer), "Failed", func(err error) string { return cause(err) + "." }},
}

// classify finds err's row of the outcome table: what to do, and the words for it.
func classify(err error) (act action, short, long string) {
	if err == nil {
		return actSent, "Sent", "The mail was accepted by the server."
	}
	var kept *keptError
	if errors.As(err, &kept) {
		act, short, long = classify(kept.err)
		return act, short, long + " What came through is kept: press Send again to go on from there."
	}
	for _, o := range outcomes {
		if o.match(err) {
			return o.act(err), o.short, o.long(err)
		}
	}
	panic("appliance: the outcome table has no last row")
}

// decide is the action for an attempt's error.
func decide(err error) action {
	act, _, _ := classify(err)
	return act
}

// Explain puts a job's failure into plain words: short fits a 16-character LCD line, long is one sentence for
// the journal, the log and the command line. Neither ever contains a credential (the errors don't).
func Explain(err error) (short, long string) {
	_, short, long = classify(err)
	return short, long
}

// is matches errors that wrap any of targets.
func is(targets ...error) func(error) bool {
	return func(err error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
}

// step matches the failure of a step of the SMTP session; op "" matches any step.
func step(op string) func(error) bool {
	return func(err error) bool {
		var se *submit.Error
		return errors.As(err, &se) && (op == "" || se.Op == op)
	}
}

func always(a action) func(error) action { return func(error) action { return a } }

func text(s string) func(error) string { return func(error) string { return s } }

// sessionAct is the action for a step of the session that failed: retried when it may pass (a 4xx, the network,
// or a cancelled or broken AUTH exchange, which points at a server to try again later), failed for good
// otherwise (a 5xx refusal).
func sessionAct(err error) action {
	if submit.IsTemporary(err) || errors.Is(err, smtpauth.ErrCancelled) || errors.Is(err, smtpauth.ErrProtocol) {
		return actDefer
	}
	return actFail
}

// replyCodes returns the server's reply code and enhanced code found in err, if any.
func replyCodes(err error) (int, string) {
	var ae *smtpauth.Error
	if errors.As(err, &ae) && ae.Reply != nil {
		return ae.Reply.Code, ae.Reply.Enhanced.String()
	}
	var se *submit.Error
	if errors.As(err, &se) && se.Reply != nil {
		return se.Reply.Code, se.Reply.Enhanced.String()
	}
	return 0, ""
}

// tokenMechanism reports whether the failed exchange used an OAuth token.
func tokenMechanism(err error) bool {
	var ae *smtpauth.Error
	return errors.As(err, &ae) && (ae.Mechanism == "XOAUTH2" || ae.Mechanism == "OAUTHBEARER")
}

// detail is the mechanism's account of the refusal, as ": text", or "".
func detail(err error) string {
	var ae *smtpauth.Error
	if errors.As(err, &ae) && ae.Detail != "" {
		return ": " + ae.Detail
	}
	return ""
}

// reply is the server's reply that err carries, for the words: the AUTH exchange's, or the step's.
func reply(err error) string {
	var ae *smtpauth.Error
	if errors.As(err, &ae) && ae.Reply != nil {
		return ae.Reply.String()
	}
	var se *submit.Error
	if errors.As(err, &se) && se.Reply != nil {
		return se.Reply.String()
	}
	return "no reply"
}

// cause is the error's text; for a session step it is the step's own cause, without the "submit: STEP:"
// prefix that means nothing to staff.
func cause(err error) string {
	var se *submit.Error
	if errors.As(err, &se) && se.Err != nil {
		return se.Err.Error()
	}
	return err.Error()
}

// keptError is a pull that failed after some of the scan came through, which Scan kept for the next pull.
type keptError struct{ err error }

func (e *keptError) Error() string { return e.err.Error() }
func (e *keptError) Unwrap() error { return e.err }

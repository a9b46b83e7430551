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
	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// Explain puts a job's failure into plain words: short fits a 16-character LCD line, long is one sentence for
// the journal, the log and the command line. Neither ever contains a credential (the errors don't).
func Explain(err error) (short, long string) {
	var kept *keptError
	if errors.As(err, &kept) {
		short, long = Explain(kept.err)
		return short, long + " What came through is kept: press Send again to go on from there."
	}
	var se *submit.Error
	isSubmit := errors.As(err, &se)
	var ie *document.InputError
	switch {
	case err == nil:
		return "Sent", "The mail was accepted by the server."
	case errors.Is(err, context.Canceled):
		return "Stopped", "Stopped with the Stop key."
	case errors.Is(err, ErrNotSetUp):
		return "Set up first", "The mail account is not set up yet: press Back, enter the PIN and open Settings, then Account."
	case errors.Is(err, submit.ErrClockNotSet):
		return "Clock not set", "The gateway's clock is not set, so the server's certificate cannot be checked; nothing was sent. Check the network time (NTP) or set the clock."
	case errors.Is(err, smtpauth.ErrCredentials) && tokenMechanism(err):
		return "Token refused", "The mail server refused the OAuth token (" + reply(se) + detail(err) + "). Sign the gateway in again to get a new token."
	case errors.Is(err, smtpauth.ErrCredentials):
		return "Wrong password", "The mail server rejected the user name or password (" + reply(se) + "). Check them in the account settings."
	case errors.Is(err, submit.ErrCertificate):
		return "Server cert bad", "The mail server's certificate could not be verified, so nothing was sent: " + cause(err) + ". Check the server name, or give its CA in account.ca_file."
	case errors.Is(err, submit.ErrSecurityMismatch):
		why := strings.TrimPrefix(cause(err), submit.ErrSecurityMismatch.Error()+": ")
		return "Check security", "The account's security setting does not match the server, so nothing was sent: " + why + ". Change it in the account settings."
	case errors.Is(err, submit.ErrNoStartTLS):
		return "TLS refused", "The mail server does not offer STARTTLS, so the password was not sent. Check the port (587 for starttls, 465 for tls)."
	case errors.Is(err, smtpauth.ErrEncryptionRequired):
		return "TLS required", "The mail server wants encryption first (" + reply(se) + "). Check the security setting."
	case errors.Is(err, smtpauth.ErrUnsupported), errors.Is(err, smtpauth.ErrTooWeak):
		return "Login method", "The server offers no login method the gateway can use: " + cause(err) + "."
	case errors.Is(err, smtpauth.ErrBadCredentials):
		return "Check password", "The user name or password in the settings is empty or holds an invalid character."
	case errors.Is(err, submit.ErrTooLarge):
		return "Mail too large", "The mail is larger than the server accepts: " + cause(err) + "."
	case isSubmit && se.Op == "DNS":
		return "Server unknown", "The mail server's name could not be resolved: " + cause(err) + ". Check account.server and the network's DNS."
	case isSubmit && se.Op == "connect":
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return "Server unknown", "The mail server's name could not be resolved: " + cause(err) + ". Check account.server and the network."
		}
		return "Server down", "Cannot reach the mail server: " + cause(err) + "."
	case isSubmit && se.Temp:
		return "Server busy", "The mail server failed for now, try again later: " + cause(err) + "."
	case isSubmit && se.Reply != nil:
		return "Mail refused", "The mail server refused the mail at " + se.Op + ": " + se.Reply.String() + "."
	case isSubmit:
		return "Mail error", "Sending failed: " + cause(err) + "."
	case errors.Is(err, device.ErrNoPort), errors.Is(err, device.ErrUnplugged):
		return "No machine", "The machine's port is missing: " + cause(err) + ". Check the cable or the USB adapter; the next Send tries again."
	case errors.Is(err, fs.ErrNotExist) && !isSubmit:
		return "File missing", "A file is missing: " + cause(err) + "."
	case errors.Is(err, device.ErrPortBusy):
		return "Port busy", "Another program uses the machine's port: " + cause(err) + "."
	case errors.Is(err, device.ErrTimeout):
		return "No scan waiting", "The machine did not answer. Check the cable, and that a scan is waiting on the machine."
	case errors.Is(err, device.ErrCancelled):
		return "Machine stopped", "The machine cancelled the transfer."
	case errors.Is(err, device.ErrDamaged), errors.Is(err, device.ErrProtocol):
		return "Line errors", "The transfer from the machine failed: " + cause(err) + ". Check the cable and the serial settings."
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "Card full", "The storage card is full, so the scan could not be made ready to send: " + cause(err) + ". It stays queued and is tried again; delete old jobs or free space."
	case errors.Is(err, spool.ErrFull):
		return "Queue full", "The queue has no room for another scan: " + cause(err) + "."
	case errors.Is(err, ErrNothingScanned):
		return "No scan waiting", "The machine had no document to send."
	case errors.As(err, &ie):
		return "Bad scan file", "A scanned file could not be read: " + cause(err) + "."
	}
	var pathErr interface{ Timeout() bool }
	if errors.As(err, &pathErr) && pathErr.Timeout() {
		return "Timed out", cause(err) + "."
	}
	return "Failed", cause(err) + "."
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

func reply(se *submit.Error) string {
	if se == nil {
		return "no reply"
	}
	var ae *smtpauth.Error
	if errors.As(se, &ae) && ae.Reply != nil {
		return ae.Reply.String()
	}
	if se.Reply != nil {
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

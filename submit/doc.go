// Package submit runs the SMTP submission session that delivers the gateway's mail, and composes that mail.
//
// A Session is one connection to the office's mail server: the greeting, EHLO (HELO as a fallback), TLS
// (STARTTLS on the submission port, or implicit TLS on port 465) with the certificate verified against the host
// name the account names, AUTH through package smtpauth, then any number of messages (MAIL, RCPT, DATA), and
// QUIT. Every command waits for its reply under a deadline of its own, and the message body is written under a
// deadline that is renewed for every block, so a server that stops reading cannot hang the gateway. QUIT has a
// short deadline: the mail is accepted by then.
//
// The context given to Dial (or Check) governs the session's whole life: when it is done, the connection is
// closed at once and the step in progress returns a temporary *Error that wraps the context's error, whatever
// the server does. A caller that wants a mail in flight to finish after a stop request passes a context that is
// not cancelled (context.WithoutCancel) and relies on the deadlines.
//
// Credentials never cross the wire before TLS is up with a verified certificate: with StartTLS a server that does
// not offer STARTTLS, or refuses it, ends the session before AUTH. Only an explicit AllowInsecureAuth, meant for
// lab use, lifts that rule. Nor do they show anywhere else: Account.Password and Account.Token are secret.Secret,
// which prints, logs and marshals as "[redacted]"; their values are read only to check them and to encode them
// for the wire.
//
// Certificates cannot be checked against a clock that is wrong, and a board without a real-time clock starts in
// 1970. Dial and Check refuse to connect while the clock reads earlier than Options.EarliestTime
// (DefaultEarliestTime unless set) and return ErrClockNotSet, which is temporary: the clock is set later.
//
// A security setting that does not match the port is told within seconds, as ErrSecurityMismatch, in words
// that name the setting to change. With StartTLS, a server that sends not a single byte of greeting within
// Timeouts.GreetingProbe is probed with a TLS ClientHello: a port that answers in TLS (465) expects security
// "tls"; a server that answers in text, or not at all, is only slow, which is temporary. With implicit TLS, a
// server that answers the ClientHello with an SMTP reply code (587) expects "starttls".
//
// The mechanisms are taken from the EHLO keyword AUTH (RFC 4954 §3), or, from servers that predate it and send
// none, from their "AUTH=" lines.
//
// The session is written on net and bufio rather than on go-smtp's client because that client cannot host our
// AUTH engine: it wraps STARTTLS inside itself, sends "*" after a final AUTH reply and caps reply lines at 2000
// octets.
//
// Failures come back as *Error, which says which step failed, carries the server's reply and tells by
// Temporary whether a later attempt may succeed unchanged (4xx, a dropped connection, TLS not offered this
// time, a reply beyond our size limits, plain text where TLS was agreed) or needs someone to act (5xx, rejected
// credentials, an invalid certificate, a security setting that does not match the port). Authentication
// failures wrap the *smtpauth.Error so that callers can test errors.Is(err, smtpauth.ErrCredentials). A session
// that failed while reading or writing is out of step and refuses further commands.
//
// Text that comes from the server is made safe for display (smtpauth.Sanitize) wherever people read it: error
// messages, the wire transcript given to Options.Trace, and Report.Extensions.
//
// Compose writes the mail itself: a MIME message with a short text part and the document as an attachment.
package submit

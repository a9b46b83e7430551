// Package submit runs the SMTP submission session that delivers the gateway's mail, and composes that mail.
//
// A Session is one connection to the office's mail server: the greeting, EHLO (HELO as a fallback), TLS
// (STARTTLS on the submission port, or implicit TLS on port 465) with the certificate verified against the host
// name the account names, AUTH through package smtpauth, then any number of messages (MAIL, RCPT, DATA), and
// QUIT. Every command waits for its reply under a deadline of its own, and the message body is written under a
// deadline that is renewed for every block, so a server that stops reading cannot hang the gateway.
//
// Credentials never cross the wire before TLS is up with a verified certificate: with StartTLS a server that does
// not offer STARTTLS, or refuses it, ends the session before AUTH. Only an explicit AllowInsecureAuth, meant for
// lab use, lifts that rule.
//
// The session is written on net and bufio rather than on go-smtp's client because that client cannot host our
// AUTH engine: it wraps STARTTLS inside itself, sends "*" after a final AUTH reply and caps reply lines at 2000
// octets.
//
// Failures come back as *Error, which says which step failed, carries the server's reply and tells by
// Temporary whether a later attempt may succeed unchanged (4xx, a dropped connection, TLS not offered this
// time) or needs someone to act (5xx, rejected credentials, an invalid certificate). Authentication failures wrap
// the *smtpauth.Error so that callers can test errors.Is(err, smtpauth.ErrCredentials).
//
// Compose writes the mail itself: a MIME message with a short text part and the document as an attachment.
package submit

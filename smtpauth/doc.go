// Package smtpauth runs the client side of SMTP authentication (RFC 4954): one AUTH exchange over a
// line-oriented connection, with the SASL mechanisms the gateway speaks.
//
// # Replies
//
// A Reader reads complete SMTP replies strictly: every line must end in CRLF, a continuation line must repeat
// the reply code, codes outside 200-599 are refused, and line lengths are bounded (12288 octets for a 334
// challenge, which RFC 4954 requires, 4096 for other lines, and a cap on the lines of one reply) so that a
// hostile server cannot exhaust memory. A reply that breaks the grammar is ErrMalformedReply; one that breaks
// only the size limits is also ErrReplyTooLarge, which callers treat as temporary. Enhanced status codes
// (RFC 2034) are parsed from 2xx, 4xx and 5xx replies only, into Reply.Enhanced, an EnhancedCode (RFC 3463);
// a 334 line is never stripped of anything.
//
// # Server text on display
//
// A server's text may carry terminal escape sequences or bidirectional overrides. Sanitize replaces them, and
// everything that shows server text to people goes through it: Reply.Text and Reply.String, the lines a
// Reader hands to its trace, Error's message and Detail. Reply.Lines keeps the raw text for protocol use.
//
// # Mechanisms and credentials
//
// Mechanisms returns the names of the SASL mechanisms the engine speaks, strongest first, which is the order
// they are tried in unless Options.Prefer names others. Select (and Negotiate, which calls it) takes the first
// one the server advertised that the channel and the credentials allow: none that needs a password or a token
// goes over a connection without TLS whose certificate verified, unless Channel.AllowInsecure says so.
//
// Credentials hold the password and the token as secret.Secret, which prints, logs and marshals as
// "[redacted]", so that no formatted or logged Credentials show them; the mechanisms read the values only to
// encode them for the wire.
//
// # The exchange
//
// Auth sends "AUTH <MECH>" with the mechanism's initial response (base64, or "=" when it is empty), or without
// it when the mechanism is server-first or when the line would pass 512 octets. It then answers each 334
// challenge: the challenge is decoded with strict base64, and a challenge that does not decode, a mechanism
// that refuses it, or a round past the bound is cancelled with "*", after which exactly one reply is read.
// "*" is never sent except as the answer to a 334. A 235 completes the exchange only when the mechanism is
// satisfied too (SCRAM must have verified the server's signature).
//
// # Outcomes
//
// Auth returns nil on success or an *Error. Its Kind tells callers what to do: retry later (Temporary),
// ask for new credentials (CredentialsRejected), change the configuration (TooWeak, EncryptionRequired, Unsupported,
// Permanent), or alert (Protocol, Cancelled). errors.Is works with the Err* sentinels of each kind, and every
// Error carries the server's reply. Credentials never appear in an Error.
package smtpauth

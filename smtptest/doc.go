// Package smtptest provides SMTP peers for tests: a scripted server that plays any conversation, including
// misbehaving and hostile ones, a private Postfix instance with Cyrus SASL, and a private Dovecot submission
// service, both started and stopped by the test.
//
// A Script is a list of steps, one per line: "S: text" is sent as a reply line (CRLF added), "C: text" must
// be the next line the client sends, byte for byte. A few directives cover what transcripts cannot say:
//
//	TLS            upgrade the connection to TLS as the server (after "S: 220 ..." to STARTTLS)
//	TLSFAIL        the same, but the client must abort the handshake (a certificate it must refuse)
//	HELLO          the next bytes must be a TLS ClientHello record; the connection ends there
//	SKIPHELLO      the next bytes must be a TLS ClientHello record; it is read whole and the script goes on in
//	               clear (a server that answers TLS with plain text)
//	CLOSE          close the connection
//	SILENT d       wait d (a Go duration) without a word, to make the client's deadline expire; the wait ends
//	               early, with the conversation, when the test ends (a server that never answers)
//	RAW hex        send these bytes as they are (replies with a bare LF, say)
//
// The server records every byte the client sent, so tests can check what never crosses the wire (a password
// before TLS, a bare LF, a "*" outside a 334 exchange).
package smtptest

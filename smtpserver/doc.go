// Package smtpserver is an embedded SMTP submission server built on go-smtp. It runs the mail server of
// `gateway demo`, so that the whole appliance can be tried with nothing installed, and it is a real peer for
// tests of the submission session.
//
// It listens on one address, with STARTTLS or with implicit TLS, requires AUTH PLAIN over TLS for every message,
// and stores what it accepts in a Maildir (written to tmp/, then renamed into new/). Every stored message starts
// with a Return-Path and a Received header; the Received header names the protocol as RFC 3848 does ("ESMTPSA":
// ESMTP with TLS and AUTH) together with the TLS version and the authenticated user, so that a reader of the
// mail can tell how it came in.
//
// Without a certificate of its own the server makes a private certificate authority and a certificate for its
// host names at start-up; clients trust it through CertPool or CAPEM.
package smtpserver

// Package relay is the relay listener's edge of the appliance: an SMTP submission service (go-smtp's server)
// in gateway run for the office's network MFPs, which mail their scans to the gateway instead of the office's
// account. Each message that the core accepts (Gateway.EnqueueMessage, which returns once the message is a
// durable job) is answered 250 and then sent by the delivery loop through the account like any scan.
//
// Policy, in the order a session meets it:
//
//   - Connections: at most MaxConnsPerPeer from one address and MaxConns in all; more are answered
//     421 4.7.0 and closed.
//   - STARTTLS is offered with the configured certificate or one the gateway makes at its first start
//     (ECDSA P-256, self-signed, 10 years, kept beside the spool as relay-cert.pem and relay-key.pem); TLS 1.2
//     and later unless LegacyTLS, which accepts TLS 1.0 and 1.1 for old machines.
//   - AUTH PLAIN and LOGIN against the configured users (constant-time comparison). AUTH is advertised and
//     taken over TLS, and in cleartext only from an Allow address; elsewhere AUTH before STARTTLS is answered
//     538 5.7.11. Wrong credentials get 535 5.7.8 and a WARN line (the user name, never the password).
//   - Failed logins are limited per peer address: after MaxAuthFailures failures within AuthWindow, every
//     AUTH from that address gets 454 4.7.0 for AuthLockout, the right password included, so that guessing
//     stops there. An Allow address needs no AUTH and is not slowed by others' failures.
//   - MAIL without AUTH from an address not in Allow: 530 5.7.0. MAIL with a SIZE= over the limit, and a DATA
//     that grows over it: 552 5.3.4 (SIZE is advertised with the limit). A spool without room: 452 4.3.1 at
//     MAIL (Gateway.RelayRoom) and at the end of DATA. At most MaxRecipients recipients (452 4.5.3 beyond).
//   - 250 after DATA only once EnqueueMessage has returned; a DATA cut off midway, refused or failed leaves
//     no job (the core writes the job atomically and only from a complete message).
//
// One INFO line is logged per accepted message (peer, user, from, recipients, bytes, job, TLS version).
package relay

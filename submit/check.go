package submit

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/scangate/gateway/smtpauth"
)

// Report is what Check found, step by step; each field is filled as far as the check got.
type Report struct {
	// Addrs are the addresses the server's name resolved to.
	Addrs []string
	// Remote is the address the TCP connection reached.
	Remote string
	// TLS is the state of the TLS connection, with the server's certificate chain.
	TLS *tls.ConnectionState
	// Extensions are the EHLO keywords (with parameters) the server offered, after TLS, made safe for display
	// by smtpauth.Sanitize.
	Extensions []string
	// Mechanism is the SASL mechanism that authenticated (or was tried last).
	Mechanism string
}

// dnsTimeout bounds the name lookup of Check.
const dnsTimeout = 15 * time.Second

// Check runs the session's steps one by one for a diagnosis: DNS, TCP, TLS with the certificate, EHLO, AUTH,
// then QUIT. It sends no mail. As with Dial, ctx governs the whole check: when it is done, the connection is
// closed and Check returns at once.
//
// Errors are *submit.Error: the one Dial would return, whose Op names the step and which wraps what Dial's
// would; one with Op "DNS", wrapping the resolver's error, when the name does not resolve; or Quit's.
func Check(ctx context.Context, acct Account, opts Options) (*Report, error) {
	rep := &Report{}
	host, _, err := net.SplitHostPort(acct.Server)
	if err != nil {
		return rep, &Error{Op: "connect", Err: err}
	}
	lookup := opts.LookupHost
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	lctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	rep.Addrs, err = lookup(lctx, host)
	cancel()
	if err != nil {
		var de *net.DNSError
		temp := errors.As(err, &de) && (de.IsTimeout || de.IsTemporary)
		return rep, &Error{Op: "DNS", Temp: temp, Err: err}
	}
	dialer := opts.Dial
	if dialer == nil {
		dialer = (&net.Dialer{}).DialContext
	}
	opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer(ctx, network, addr)
		if err == nil {
			rep.Remote = c.RemoteAddr().String()
		}
		return c, err
	}
	s, err := dial(ctx, acct, opts)
	if s != nil {
		rep.TLS = s.tlsState
		rep.Mechanism = s.authMech
		for k, v := range s.ext {
			rep.Extensions = append(rep.Extensions, smtpauth.Sanitize(strings.TrimSpace(k+" "+v)))
		}
		sort.Strings(rep.Extensions)
	}
	if err != nil {
		return rep, err
	}
	return rep, s.Quit()
}

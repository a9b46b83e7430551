package submit

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scangate/gateway/internal/secret"
	"github.com/scangate/gateway/smtpauth"
)

// Security says how the connection to the server is protected.
type Security int

const (
	// StartTLS connects in clear (port 587) and upgrades with STARTTLS before anything else.
	StartTLS Security = iota
	// ImplicitTLS starts TLS as soon as the TCP connection is up (port 465, RFC 8314).
	ImplicitTLS
)

// Securities lists the security settings ParseSecurity reads, as the settings write them.
func Securities() []string { return []string{StartTLS.String(), ImplicitTLS.String()} }

// ParseSecurity reads "starttls" or "tls".
func ParseSecurity(s string) (Security, error) {
	switch strings.ToLower(s) {
	case "starttls":
		return StartTLS, nil
	case "tls", "ssl", "implicit":
		return ImplicitTLS, nil
	}
	return 0, fmt.Errorf("submit: unknown security %q (want starttls or tls)", s)
}

func (s Security) String() string {
	if s == ImplicitTLS {
		return "tls"
	}
	return "starttls"
}

// Account says where and as whom the gateway submits mail.
type Account struct {
	// Server is host:port. The host is also the name the certificate must carry.
	Server   string
	Security Security
	// User and Password authenticate the session; Token (an OAuth 2.0 access token) is used instead of the
	// password by XOAUTH2 and OAUTHBEARER; ClientCert is presented in the TLS handshake and used by EXTERNAL.
	// With none of them the session submits without AUTH. Password and Token print as "[redacted]" however an
	// Account is formatted, logged or marshalled.
	User       string
	Password   secret.Secret
	Token      secret.Secret
	ClientCert *tls.Certificate
	// Mechanisms overrides the SASL mechanism preference (the order of smtpauth.Mechanisms).
	Mechanisms []string
	// PasswordTransition allows one PLAIN login when the server answers 432 (RFC 4954 §6).
	PasswordTransition bool
	// RootCAs verifies the server certificate; nil means the system roots.
	RootCAs *x509.CertPool
	// PinSHA256, when set, is the SHA-256 fingerprint of the server's certificate: a certificate with this
	// fingerprint is accepted even if no authority vouches for it (self-signed office servers). Any other
	// certificate still has to verify against RootCAs and the host name.
	PinSHA256 []byte
	// HelloName is the name sent with EHLO; empty means "localhost".
	HelloName string
	// AllowInsecureAuth lets credentials go over a connection without verified TLS, and lets a StartTLS
	// session go on when the server offers no STARTTLS. Lab use only.
	AllowInsecureAuth bool
}

func (a *Account) authenticates() bool {
	return a.User != "" || a.Token.Reveal() != "" || a.ClientCert != nil
}

// Timeouts bound each step. RFC 5321 §4.5.3.2 asks for per-command timeouts, with these minimums for the
// waits on the server; the zero value of a field means its default.
type Timeouts struct {
	// Connect bounds the TCP connection and the TLS handshake.
	Connect time.Duration
	// Command bounds the wait for each reply (greeting, EHLO, AUTH, MAIL, RCPT, ...).
	Command time.Duration
	// DataBlock bounds each write of the message body.
	DataBlock time.Duration
	// DataEnd bounds the wait for the reply after the final ".".
	DataEnd time.Duration
	// GreetingProbe bounds, with StartTLS, the wait for the first byte of the greeting (or Command, if that is
	// shorter). A server still silent then is probed with a TLS ClientHello, to tell an implicit-TLS port (465)
	// from a slow server; either way the session ends there.
	GreetingProbe time.Duration
	// TLSProbe bounds the wait for the answer to that ClientHello.
	TLSProbe time.Duration
	// Quit bounds the wait for the reply to QUIT.
	Quit time.Duration
}

// Default timeouts.
const (
	// DefaultConnectTimeout bounds the TCP connection and the TLS handshake.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultCommandTimeout bounds the wait for a reply: RFC 5321 asks for 5 minutes for the greeting, MAIL and
	// RCPT.
	DefaultCommandTimeout = 5 * time.Minute
	// DefaultDataBlockTimeout bounds the write of one block of the body (RFC 5321: 3 minutes).
	DefaultDataBlockTimeout = 3 * time.Minute
	// DefaultDataEndTimeout bounds the wait for the reply to the final "." (RFC 5321: 10 minutes).
	DefaultDataEndTimeout = 10 * time.Minute
	// DefaultGreetingProbeTimeout is how long a StartTLS session waits for the first byte of the greeting before
	// it suspects an implicit-TLS port. RFC 5321 §4.5.3.2.1 lets a client wait 5 minutes for the greeting, but a
	// submission server greets at once, while one on port 465 waits for the client's TLS handshake and never
	// greets in clear. With DefaultTLSProbeTimeout, a wrong security setting is told within 10 s.
	DefaultGreetingProbeTimeout = 6 * time.Second
	// DefaultTLSProbeTimeout bounds the wait for the answer to the probing ClientHello: a TLS server answers
	// at once.
	DefaultTLSProbeTimeout = 3 * time.Second
	// DefaultQuitTimeout bounds the wait for the reply to QUIT. The mail is accepted by then, and nothing that
	// comes later changes that, so the 5 minutes of the other commands would only keep the caller waiting.
	DefaultQuitTimeout = 10 * time.Second
)

func (t Timeouts) withDefaults() Timeouts {
	if t.Connect == 0 {
		t.Connect = DefaultConnectTimeout
	}
	if t.Command == 0 {
		t.Command = DefaultCommandTimeout
	}
	if t.DataBlock == 0 {
		t.DataBlock = DefaultDataBlockTimeout
	}
	if t.DataEnd == 0 {
		t.DataEnd = DefaultDataEndTimeout
	}
	if t.GreetingProbe == 0 {
		t.GreetingProbe = DefaultGreetingProbeTimeout
	}
	if t.TLSProbe == 0 {
		t.TLSProbe = DefaultTLSProbeTimeout
	}
	if t.Quit == 0 {
		t.Quit = DefaultQuitTimeout
	}
	return t
}

// Options are the knobs of a session that are not part of the account.
type Options struct {
	Timeouts Timeouts
	// Trace receives the wire transcript, one line at a time ("C: EHLO gw", "S: 250 ok"), with credentials
	// replaced by "[credentials redacted]" and the server's lines made safe for display (smtpauth.Sanitize).
	// Nil means no transcript.
	Trace func(line string)
	// Dial opens the TCP connection; nil means a net.Dialer. Tests use it to reach a host name on loopback.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// LookupHost resolves the server's name for Check; nil means the system resolver.
	LookupHost func(ctx context.Context, host string) ([]string, error)
	// Now is the clock that certificates are checked against; nil means time.Now.
	Now func() time.Time
	// EarliestTime is the earliest reading of Now that the session believes; the zero value means
	// DefaultEarliestTime(). Before it, the session does not connect and returns ErrClockNotSet.
	EarliestTime time.Time
}

// DefaultEarliestTime returns the earliest clock reading a session believes by default: 2026-01-01 UTC. A board
// without a real-time clock starts in 1970, when every certificate looks "not yet valid" (RFC 5280 §4.1.2.5);
// rather than report a bad certificate, the session refuses to start TLS until the clock is set, and the
// gateway waits for the clock to pass this time before it sends.
func DefaultEarliestTime() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// ErrClockNotSet means the clock reads earlier than Options.EarliestTime.
var ErrClockNotSet = errors.New("the clock is not set, so certificates cannot be checked")

// ErrSecurityMismatch means the account's security setting does not match what the server's port speaks:
// "starttls" against a port that starts with TLS (465), or "tls" against one that starts with plain SMTP (587).
// The error that wraps it names the setting to change. It is not temporary: the account stays held until the
// settings change.
var ErrSecurityMismatch = errors.New("the security setting does not match the server")

// Session is one SMTP connection, ready to submit messages once Dial returns.
type Session struct {
	acct     Account
	opts     Options
	host     string
	port     string
	ctx      context.Context // the session's life: when it is done, the connection is closed
	stop     func() bool     // releases the watcher of ctx
	conn     net.Conn
	r        *smtpauth.Reader
	w        *bufio.Writer
	ext      map[string]string // EHLO keywords (upper case) and their parameters
	esmtp    bool
	tlsState *tls.ConnectionState
	authMech string
	broken   error // set when the session can no longer be used
}

// Dial connects to the account's server and readies a session: greeting, EHLO, TLS, EHLO again, AUTH.
//
// ctx governs the session's whole life, not only Dial: when it is done, the connection is closed at once, and
// the step in progress (in Dial, Send or Quit) returns a temporary *Error that wraps ctx.Err(). A caller that
// wants a mail in flight to finish after a stop request passes a context that is not cancelled
// (context.WithoutCancel); every step also has its own timeout (Options.Timeouts). Quit or Close releases ctx.
//
// Errors are *submit.Error, whose Op names the step that failed and whose Reply is the server's, if it sent one.
// An authentication failure wraps the *smtpauth.Error, so errors.Is(err, smtpauth.ErrCredentials) and the other
// smtpauth sentinels work; a certificate that does not verify wraps ErrCertificate; a stop wraps ctx.Err(); a
// network or TLS failure wraps the error it came with. ErrClockNotSet, ErrNoStartTLS and ErrSecurityMismatch
// are wrapped where they apply.
func Dial(ctx context.Context, acct Account, opts Options) (*Session, error) {
	s, err := dial(ctx, acct, opts)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// dial is Dial, but it also returns the session it failed with, closed, so that Check can say how far it got.
func dial(ctx context.Context, acct Account, opts Options) (*Session, error) {
	opts.Timeouts = opts.Timeouts.withDefaults()
	host, port, err := net.SplitHostPort(acct.Server)
	if err != nil {
		return nil, &Error{Op: "connect", Err: fmt.Errorf("server %q: %w", acct.Server, err)}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.EarliestTime.IsZero() {
		opts.EarliestTime = DefaultEarliestTime()
	}
	if opts.Now().Before(opts.EarliestTime) {
		return nil, &Error{Op: "TLS", Temp: true, Err: ErrClockNotSet}
	}
	s := &Session{acct: acct, opts: opts, host: host, port: port, ctx: ctx}
	dial := opts.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	dctx, cancel := context.WithTimeout(ctx, opts.Timeouts.Connect)
	conn, err := dial(dctx, "tcp", acct.Server)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, s.stopped("connect")
		}
		return nil, &Error{Op: "connect", Temp: true, Err: err}
	}
	// Closing the TCP connection ends whatever waits on it, TLS or not, in whichever step.
	s.stop = context.AfterFunc(ctx, func() { conn.Close() })
	s.setConn(conn)
	if err := s.open(); err != nil {
		s.Close()
		return s, err
	}
	return s, nil
}

// stopped is the error of step op once the session's context is done: temporary, since neither the settings
// nor the server are at fault.
func (s *Session) stopped(op string) *Error {
	return &Error{Op: op, Temp: true, Err: fmt.Errorf("the session was stopped: %w", s.ctx.Err())}
}

// ioError is the error of step op after reading or writing failed with err. A reply that breaks the SMTP
// grammar is permanent (the peer is no SMTP server we can talk to); a timeout, a dropped connection, or a reply
// beyond our size limits may pass.
func (s *Session) ioError(op string, err error) *Error {
	if s.ctx.Err() != nil {
		return s.stopped(op) // the connection was closed under the step: that, not the error it saw, is the cause
	}
	temp := !errors.Is(err, smtpauth.ErrMalformedReply) || errors.Is(err, smtpauth.ErrReplyTooLarge)
	return &Error{Op: op, Temp: temp, Err: err}
}

// unusable is the error of step op in a session that an earlier failure left out of step.
func (s *Session) unusable(op string) *Error {
	if s.ctx.Err() != nil {
		return s.stopped(op)
	}
	return &Error{Op: op, Temp: true, Err: fmt.Errorf("session unusable: %w", s.broken)}
}

func (s *Session) setConn(c net.Conn) {
	s.conn = c
	s.r = smtpauth.NewReader(c)
	if s.opts.Trace != nil {
		s.r.SetTrace(func(line string) { s.opts.Trace("S: " + line) })
	}
	s.w = bufio.NewWriter(c)
}

func (s *Session) open() error {
	if s.acct.Security == ImplicitTLS {
		if err := s.handshake(false); err != nil {
			return err
		}
	}
	if err := s.greeting(); err != nil {
		return err
	}
	if err := s.hello(); err != nil {
		return err
	}
	if s.acct.Security == StartTLS {
		if err := s.startTLS(); err != nil {
			return err
		}
	}
	if s.acct.authenticates() {
		return s.auth()
	}
	return nil
}

// greeting reads the server's 220. With StartTLS, a server that sends not a single byte within the greeting
// probe time is probed with TLS (probeTLS); one that has sent part of its greeting is slow, not mismatched, and
// gets the whole command timeout.
func (s *Session) greeting() error {
	wait := s.opts.Timeouts.Command
	probe := s.acct.Security == StartTLS
	if probe {
		wait = min(wait, s.opts.Timeouts.GreetingProbe)
	}
	s.conn.SetReadDeadline(time.Now().Add(wait))
	if err := s.r.Peek(); err != nil {
		s.broken = err
		if probe && isTimeout(err) && s.ctx.Err() == nil {
			return s.probeTLS(wait, err)
		}
		return s.ioError("greeting", err)
	}
	_, err := s.await("greeting", s.opts.Timeouts.Command, 220)
	return err
}

// probeTLS finds out why a StartTLS server said nothing for wait (silence is the error of that wait): it sends
// a TLS ClientHello and looks at the first bytes of the answer. A port that starts with TLS (465, RFC 8314 §3.3)
// answers with a TLS record, a ServerHello or an alert; a slow plain server answers in text, or not at all.
// Either way the session ends here, since the ClientHello went where the server expected SMTP.
func (s *Session) probeTLS(wait time.Duration, silence error) error {
	sc := &sniffConn{Conn: s.conn}
	pctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeouts.TLSProbe)
	defer cancel()
	s.conn.SetDeadline(time.Now().Add(s.opts.Timeouts.TLSProbe)) // the greeting's deadline has passed
	herr := tls.Client(sc, s.tlsConfig()).HandshakeContext(pctx)
	switch {
	case s.ctx.Err() != nil:
		return s.stopped("greeting")
	case herr == nil || isTLSRecord(sc.first):
		return &Error{Op: "greeting", Err: fmt.Errorf("%w: port %s expects security = tls (it starts with TLS, not with a greeting)",
			ErrSecurityMismatch, s.port)}
	case len(sc.first) > 0:
		return &Error{Op: "greeting", Temp: true,
			Err: fmt.Errorf("the server sent no greeting within %v (it answered later, in plain text): %w", wait, silence)}
	}
	return &Error{Op: "greeting", Temp: true, Err: fmt.Errorf("the server sent no greeting within %v: %w", wait, silence)}
}

// sniffConn keeps the first bytes read from the connection, so that a failed handshake can still tell what the
// peer answered.
type sniffConn struct {
	net.Conn
	first []byte
}

func (c *sniffConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if k := min(n, 2-len(c.first)); k > 0 {
		c.first = append(c.first, p[:k]...)
	}
	return n, err
}

// isTLSRecord reports whether b starts like a TLS record (RFC 8446 §5.1): a content type from 20
// (change_cipher_spec) to 23 (application_data), alert (21) and handshake (22) among them, then major version 3.
func isTLSRecord(b []byte) bool {
	return len(b) > 0 && b[0] >= 20 && b[0] <= 23 && (len(b) == 1 || b[1] == 3)
}

// isPlainSMTP reports whether the first bytes of an answer to a ClientHello are an SMTP reply code: the server
// greeted in clear.
func isPlainSMTP(b [5]byte) bool {
	for _, c := range b[:3] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// hello sends EHLO, or HELO if the server does not know EHLO, and records the extensions.
func (s *Session) hello() error {
	name := s.acct.HelloName
	if name == "" {
		name = "localhost"
	}
	s.ext, s.esmtp = nil, false
	rep, err := s.expect("EHLO", "EHLO "+name, 250)
	if err != nil {
		if rep == nil || rep.Class() != 5 {
			return err
		}
		// A server that does not know EHLO refuses it with a 5xx (RFC 5321 §4.1.4): greet it the old way,
		// without extensions.
		_, err = s.expect("HELO", "HELO "+name, 250)
		return err
	}
	s.esmtp = true
	s.ext = make(map[string]string)
	for _, l := range rep.Lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		s.ext[strings.ToUpper(k)] = v
	}
	return nil
}

// Extension reports whether the server advertised an EHLO keyword (case-insensitive), and its parameters.
func (s *Session) Extension(name string) (bool, string) {
	v, ok := s.ext[strings.ToUpper(name)]
	return ok, v
}

// authMechanisms returns whether the server offers AUTH, and the SASL mechanisms it advertised. RFC 4954 §3
// advertises them as "AUTH MECH ..."; servers that predate it (old Exchange, appliances) send
// "AUTH=MECH ..." instead or as well. The "AUTH=" lines count only when no "AUTH" line came: the standard
// form is the one the server maintains.
func (s *Session) authMechanisms() (bool, []string) {
	if ok, v := s.Extension("AUTH"); ok {
		return true, strings.Fields(v)
	}
	var keys []string
	for k := range s.ext {
		if strings.HasPrefix(k, "AUTH=") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // the ext map has no order; an error message listing the mechanisms should
	var mechs []string
	for _, k := range keys {
		// "AUTH=LOGIN PLAIN" is stored as the keyword "AUTH=LOGIN" with the parameter "PLAIN".
		mechs = append(mechs, strings.Fields(strings.TrimPrefix(k, "AUTH=")+" "+s.ext[k])...)
	}
	return len(keys) > 0, mechs
}

// startTLS upgrades the connection. A server that does not offer STARTTLS or refuses it ends the session here,
// before any credential or message is sent.
func (s *Session) startTLS() error {
	if ok, _ := s.Extension("STARTTLS"); !ok {
		if s.acct.AllowInsecureAuth {
			return nil // lab use: go on in clear
		}
		s.quit()
		return &Error{Op: "STARTTLS", Temp: true, Err: ErrNoStartTLS}
	}
	if _, err := s.expect("STARTTLS", "STARTTLS", 220); err != nil {
		s.quit() // after a refusal (454); a session out of step sends nothing
		return err
	}
	if s.r.Buffered() > 0 {
		// More text came in clear right behind the 220. It is not TLS, and text that arrived in clear cannot
		// belong to the protected session (RFC 3207 §4.2: what was learned before TLS is discarded).
		s.broken = errNoTLSAfterStartTLS
		return &Error{Op: "TLS", Temp: true, Err: errNoTLSAfterStartTLS}
	}
	if err := s.handshake(true); err != nil {
		return err
	}
	// RFC 3207 §4.2: forget everything learned before TLS and ask again.
	return s.hello()
}

// ErrNoStartTLS means the server did not offer STARTTLS although the account requires it.
var ErrNoStartTLS = errors.New("the server does not offer STARTTLS")

// ErrCertificate is wrapped by errors about a server certificate that does not verify.
var ErrCertificate = errors.New("the server certificate is not valid")

// errNoTLSAfterStartTLS is a server that said 220 to STARTTLS and then went on in plain text, a fault of the
// server or of something in the path that may be gone by the next attempt.
var errNoTLSAfterStartTLS = errors.New("the server agreed to STARTTLS but did not start TLS")

// tlsConfig is the client's TLS configuration for the account's server.
func (s *Session) tlsConfig() *tls.Config {
	cfg := &tls.Config{
		ServerName: s.host,
		RootCAs:    s.acct.RootCAs,
		MinVersion: tls.VersionTLS12,
		Time:       s.opts.Now,
		// Scan mails are bulk data: full-size TLS records from the start, not small ones ramping up.
		DynamicRecordSizingDisabled: true,
	}
	if s.acct.ClientCert != nil {
		cfg.Certificates = []tls.Certificate{*s.acct.ClientCert}
	}
	if len(s.acct.PinSHA256) > 0 {
		// Verification is done here instead: the pinned certificate, or a normal chain and name check.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyPinned(cs, s.host, s.acct.RootCAs, s.acct.PinSHA256, s.opts.Now())
		}
	}
	return cfg
}

// handshake runs the TLS handshake as the client: at once with implicit TLS, or after the server's 220 to
// STARTTLS (afterStartTLS).
func (s *Session) handshake(afterStartTLS bool) error {
	tc := tls.Client(s.conn, s.tlsConfig())
	hctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeouts.Connect)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		s.broken = err
		if s.ctx.Err() != nil {
			return s.stopped("TLS")
		}
		var certErr *tls.CertificateVerificationError
		if errors.As(err, &certErr) {
			// The names in the certificate are the server's words: made safe for display.
			return &Error{Op: "TLS", Err: fmt.Errorf("%w: %w", ErrCertificate, displayError{certErr.Err})}
		}
		var pinErr *pinError
		if errors.As(err, &pinErr) {
			return &Error{Op: "TLS", Err: fmt.Errorf("%w: %w", ErrCertificate, displayError{pinErr})}
		}
		// The answer to the ClientHello was no TLS record: the server speaks plain text here.
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) {
			if afterStartTLS {
				return &Error{Op: "TLS", Temp: true, Err: fmt.Errorf("%w: %w", errNoTLSAfterStartTLS, err)}
			}
			if isPlainSMTP(rh.RecordHeader) {
				return &Error{Op: "TLS", Err: fmt.Errorf("%w: port %s expects security = starttls (it speaks plain SMTP first)",
					ErrSecurityMismatch, s.port)}
			}
		}
		// A handshake cut short may be passing; a protocol failure (no common version) is not.
		return &Error{Op: "TLS", Temp: transient(err), Err: err}
	}
	st := tc.ConnectionState()
	s.tlsState = &st
	s.setConn(tc)
	return nil
}

// displayError shows an error's text made safe for display (smtpauth.Sanitize), for errors that quote the
// server's words, such as the names in its certificate. errors.Is and errors.As see the error it holds.
type displayError struct{ err error }

func (e displayError) Error() string { return smtpauth.Sanitize(e.err.Error()) }
func (e displayError) Unwrap() error { return e.err }

// transient reports a network failure that may pass: a timeout, a connection closed or reset.
func transient(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// TLS returns the state of the TLS connection, or nil before TLS.
func (s *Session) TLS() *tls.ConnectionState { return s.tlsState }

// Mechanism returns the SASL mechanism the session authenticated with (or last tried), or "".
func (s *Session) Mechanism() string { return s.authMech }

func (s *Session) auth() error {
	ch := smtpauth.Channel{TLS: s.tlsState, Verified: s.tlsState != nil, AllowInsecure: s.acct.AllowInsecureAuth}
	if !ch.Verified && !ch.AllowInsecure {
		// Unreachable with StartTLS or ImplicitTLS, kept as the last guard before credentials are sent.
		return &Error{Op: "AUTH", Err: errors.New("refusing to send credentials without TLS")}
	}
	ok, mechs := s.authMechanisms()
	if !ok {
		s.quit()
		return &Error{Op: "AUTH", Err: &smtpauth.Error{Kind: smtpauth.Unsupported,
			Err: errors.New("the server does not offer AUTH")}}
	}
	cred := smtpauth.Credentials{User: s.acct.User, Password: s.acct.Password, Token: s.acct.Token,
		ClientCert: s.acct.ClientCert != nil}
	o := smtpauth.Options{Prefer: s.acct.Mechanisms, PasswordTransition: s.acct.PasswordTransition}
	name, err := smtpauth.Negotiate(s.lineConn(), mechs, cred, ch, o)
	s.authMech = name
	if err != nil {
		if s.ctx.Err() != nil {
			return s.stopped("AUTH")
		}
		var ae *smtpauth.Error
		temp := errors.As(err, &ae) && ae.Temporary()
		if !temp && !errors.Is(err, smtpauth.ErrProtocol) {
			s.quit() // the session is still in step: end it politely
		}
		return &Error{Op: "AUTH", Temp: temp, Err: err}
	}
	return nil
}

// authConn adapts the session to smtpauth.Conn: each reply has its own absolute deadline.
type authConn struct{ s *Session }

func (s *Session) lineConn() smtpauth.Conn { return authConn{s} }

// WriteLine and ReadReply mark the session unusable when they fail: the exchange is out of step then, and a
// later QUIT must not wait on it.
func (a authConn) WriteLine(line string, secret bool) error {
	err := a.s.writeLine(line, secret, a.s.opts.Timeouts.Command)
	if err != nil {
		a.s.broken = err
	}
	return err
}

func (a authConn) ReadReply() (*smtpauth.Reply, error) {
	a.s.conn.SetReadDeadline(time.Now().Add(a.s.opts.Timeouts.Command))
	rep, err := a.s.r.ReadReply()
	if err != nil {
		a.s.broken = err
	}
	return rep, err
}

// writeLine sends one command line under the deadline d.
func (s *Session) writeLine(line string, secret bool, d time.Duration) error {
	if s.opts.Trace != nil {
		s.opts.Trace("C: " + redact(line, secret))
	}
	s.conn.SetWriteDeadline(time.Now().Add(d))
	if _, err := s.w.WriteString(line + "\r\n"); err != nil {
		return err
	}
	return s.w.Flush()
}

// writeLines sends several commands in one flight (PIPELINING).
func (s *Session) writeLines(lines []string) error {
	s.conn.SetWriteDeadline(time.Now().Add(s.opts.Timeouts.Command))
	for _, l := range lines {
		if s.opts.Trace != nil {
			s.opts.Trace("C: " + l)
		}
		if _, err := s.w.WriteString(l + "\r\n"); err != nil {
			return err
		}
	}
	return s.w.Flush()
}

// redact hides the credentials of a line marked secret, keeping "AUTH <MECH>" readable.
func redact(line string, secret bool) string {
	if !secret {
		return line
	}
	if f := strings.Fields(line); len(f) == 3 && strings.EqualFold(f[0], "AUTH") {
		return f[0] + " " + f[1] + " [credentials redacted]"
	}
	return "[credentials redacted]"
}

// read waits for one reply under timeout d.
func (s *Session) read(op string, d time.Duration) (*smtpauth.Reply, error) {
	s.conn.SetReadDeadline(time.Now().Add(d))
	rep, err := s.r.ReadReply()
	if err != nil {
		s.broken = err
		return nil, s.ioError(op, err)
	}
	return rep, nil
}

// cmd sends one command and reads its reply, each under the command timeout.
func (s *Session) cmd(op, line string) (*smtpauth.Reply, error) {
	return s.cmdWithin(op, line, s.opts.Timeouts.Command)
}

// expect sends one command and reads its reply, each under the command timeout. A reply whose code is not one
// of codes becomes the step's *Error, temporary for 4xx: every command that needs a given answer is judged
// here. The reply comes back with that error too, for a step that goes on after a refusal (EHLO falls back to
// HELO); after a failure to send or to read there is none.
func (s *Session) expect(op, line string, codes ...int) (*smtpauth.Reply, error) {
	return s.expectWithin(op, line, s.opts.Timeouts.Command, codes...)
}

// expectWithin is expect under the timeout d.
func (s *Session) expectWithin(op, line string, d time.Duration, codes ...int) (*smtpauth.Reply, error) {
	if err := s.sendLine(op, line, d); err != nil {
		return nil, err
	}
	return s.await(op, d, codes...)
}

// await reads the reply of step op under the timeout d and judges it as expect does.
func (s *Session) await(op string, d time.Duration, codes ...int) (*smtpauth.Reply, error) {
	rep, err := s.read(op, d)
	if err != nil {
		return nil, err
	}
	if e := unexpected(op, rep, codes...); e != nil {
		return rep, e
	}
	return rep, nil
}

// unexpected returns nil when rep's code is one of codes, or else the error of step op that carries the reply.
// RFC 5321 §4.2.1: 4xx may succeed later, 5xx will not.
func unexpected(op string, rep *smtpauth.Reply, codes ...int) *Error {
	if slices.Contains(codes, rep.Code) {
		return nil
	}
	return &Error{Op: op, Reply: rep, Temp: rep.Class() == 4}
}

// cmdWithin sends one command and reads its reply, each under the timeout d.
func (s *Session) cmdWithin(op, line string, d time.Duration) (*smtpauth.Reply, error) {
	if err := s.sendLine(op, line, d); err != nil {
		return nil, err
	}
	return s.read(op, d)
}

// sendLine writes the command line of step op under the timeout d, unless the session is unusable already.
func (s *Session) sendLine(op, line string, d time.Duration) error {
	if s.broken != nil {
		return s.unusable(op)
	}
	if err := s.writeLine(line, false, d); err != nil {
		s.broken = err
		return s.ioError(op, err)
	}
	return nil
}

// Envelope is the SMTP envelope of one message.
type Envelope struct {
	From string   // the sender's address (addr-spec, without angle brackets)
	To   []string // the recipients' addresses
	// Size is the message size in octets, sent as SIZE= when the server advertises SIZE; 0 means unknown.
	Size int64
	// Submitter, when the server advertises AUTH, is sent as the AUTH= parameter of MAIL (RFC 4954 §5): the
	// mailbox of the original submitter, or "<>" when it is not known. Empty means no AUTH= parameter.
	Submitter string
	// EightBit says the body holds 8-bit text; BODY=8BITMIME is sent where the server advertises 8BITMIME.
	EightBit bool
}

// RcptError is one recipient the server refused while others were accepted.
type RcptError struct {
	Addr string
	Err  *Error
}

// mailCommand builds MAIL FROM with the parameters the server advertised (RFC 5321 §4.1.1.3: no others).
func (s *Session) mailCommand(env Envelope) (string, error) {
	cmd := "MAIL FROM:<" + env.From + ">"
	if ok, max := s.Extension("SIZE"); ok && env.Size > 0 {
		if limit, err := strconv.ParseInt(max, 10, 64); err == nil && limit > 0 && env.Size > limit {
			return "", &Error{Op: "MAIL", Err: fmt.Errorf("%w: %d octets, the server accepts %d", ErrTooLarge, env.Size, limit)}
		}
		cmd += " SIZE=" + strconv.FormatInt(env.Size, 10)
	}
	if ok, _ := s.Extension("8BITMIME"); ok && env.EightBit {
		cmd += " BODY=8BITMIME"
	}
	// Only with the RFC 4954 "AUTH" keyword: a server that advertises just the older "AUTH=" form may not know
	// the parameter.
	if ok, _ := s.Extension("AUTH"); ok && env.Submitter != "" {
		cmd += " AUTH=" + xtext(env.Submitter)
	}
	return cmd, nil
}

// xtext encodes an AUTH= value (RFC 3461 §4): "+", "=" and characters outside "!".."~" become +XX. "<>" is
// kept as it is: it means "submitter unknown".
func xtext(s string) string {
	if s == "<>" {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || c == '+' || c == '=' {
			fmt.Fprintf(&b, "+%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Send submits one message: MAIL, RCPT for each recipient, DATA with body (dot-stuffed here; body must use
// CRLF line ends). Where the server advertises PIPELINING, MAIL, the RCPTs and DATA go in one flight and their
// replies are read in order (RFC 2920). Send returns the recipients the server refused when at least one was
// accepted; when all are refused or any other step fails it returns an error and resets the transaction so
// that the session can go on with the next message.
//
// Errors are *submit.Error, whose Op names the step (MAIL, RCPT, DATA) and whose Reply is the server's refusal,
// if it sent one; each refused recipient's RcptError.Err is one too. A message larger than the server's SIZE
// wraps ErrTooLarge; a failure to read or write wraps the network error, and leaves the session unusable.
func (s *Session) Send(env Envelope, body io.Reader) ([]RcptError, error) {
	if len(env.To) == 0 {
		return nil, &Error{Op: "RCPT", Err: errors.New("no recipients")}
	}
	mail, err := s.mailCommand(env)
	if err != nil {
		return nil, err
	}
	cmds := []string{mail}
	for _, to := range env.To {
		cmds = append(cmds, "RCPT TO:<"+to+">")
	}
	cmds = append(cmds, "DATA")
	if ok, _ := s.Extension("PIPELINING"); !ok {
		return s.sendLockStep(cmds, env.To, body)
	}
	return s.sendPipelined(cmds, env.To, body)
}

// sendLockStep waits for each reply before the next command (RFC 5321 §4.3.1).
func (s *Session) sendLockStep(cmds, to []string, body io.Reader) ([]RcptError, error) {
	if _, err := s.expect("MAIL", cmds[0], 250); err != nil {
		s.reset() // after a refusal; a session out of step sends nothing
		return nil, err
	}
	var refused []RcptError
	for i, addr := range to {
		// A refused recipient does not end the transaction: the reply is kept, and the others go on.
		rep, err := s.cmd("RCPT", cmds[1+i])
		if err != nil {
			return nil, err
		}
		if e := unexpected("RCPT", rep, 250, 251); e != nil {
			refused = append(refused, RcptError{Addr: addr, Err: e})
		}
	}
	if len(refused) == len(to) {
		s.reset()
		return nil, allRefused(refused)
	}
	rep, err := s.cmd("DATA", "DATA")
	if err != nil {
		return nil, err
	}
	return refused, s.data(rep, body)
}

// sendPipelined sends MAIL, RCPT... and DATA in one flight, then reads their replies in order.
func (s *Session) sendPipelined(cmds, to []string, body io.Reader) ([]RcptError, error) {
	if s.broken != nil {
		return nil, s.unusable("MAIL")
	}
	if err := s.writeLines(cmds); err != nil {
		s.broken = err
		return nil, s.ioError("MAIL", err)
	}
	mailRep, err := s.read("MAIL", s.opts.Timeouts.Command)
	if err != nil {
		return nil, err
	}
	var refused []RcptError
	for _, addr := range to {
		rep, err := s.read("RCPT", s.opts.Timeouts.Command)
		if err != nil {
			return nil, err
		}
		if e := unexpected("RCPT", rep, 250, 251); e != nil {
			refused = append(refused, RcptError{Addr: addr, Err: e})
		}
	}
	dataRep, err := s.read("DATA", s.opts.Timeouts.Command)
	if err != nil {
		return nil, err
	}
	switch mailErr := unexpected("MAIL", mailRep, 250); {
	case mailErr != nil:
		err = mailErr
	case len(refused) == len(to):
		err = allRefused(refused)
		refused = nil
	default:
		return refused, s.data(dataRep, body)
	}
	// The transaction failed. A server that still said 354 to DATA gets an empty message end, which it must
	// refuse for want of recipients (RFC 2920 §3.1); then the transaction is reset.
	if dataRep.Code == 354 {
		if s.writeLine(".", false, s.opts.Timeouts.Command) == nil {
			s.read("DATA", s.opts.Timeouts.DataEnd)
		}
	}
	s.reset()
	return nil, err
}

func allRefused(refused []RcptError) error {
	if len(refused) == 1 {
		return refused[0].Err
	}
	return &Error{Op: "RCPT", Temp: allTemporary(refused), Err: errors.New("every recipient was refused")}
}

// data sends the body after the 354 reply rep and reads the final reply.
func (s *Session) data(rep *smtpauth.Reply, body io.Reader) error {
	if e := unexpected("DATA", rep, 354); e != nil {
		s.reset()
		return e
	}
	if err := s.writeBody(body); err != nil {
		s.broken = err
		return s.ioError("DATA", err)
	}
	_, err := s.await("DATA", s.opts.Timeouts.DataEnd, 250)
	return err
}

// ErrTooLarge means the message is larger than the server accepts.
var ErrTooLarge = errors.New("message too large")

func allTemporary(r []RcptError) bool {
	for _, e := range r {
		if !e.Err.Temp {
			return false
		}
	}
	return true
}

// writeBody copies the message through a dot-stuffing writer, renewing the write deadline for every block.
func (s *Session) writeBody(body io.Reader) error {
	dw := newDotWriter(&deadlineWriter{s.conn, s.opts.Timeouts.DataBlock})
	if _, err := io.Copy(dw, body); err != nil {
		dw.Close()
		return err
	}
	if s.opts.Trace != nil {
		s.opts.Trace("C: [message body]")
		s.opts.Trace("C: .")
	}
	return dw.Close()
}

type deadlineWriter struct {
	c net.Conn
	d time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.c.SetWriteDeadline(time.Now().Add(w.d))
	return w.c.Write(p)
}

// reset abandons the current transaction (RSET), ignoring the outcome: a failure shows on the next command.
func (s *Session) reset() { s.cmd("RSET", "RSET") }

// Quit ends the session politely and closes the connection. It waits for the reply to QUIT at most
// Timeouts.Quit, and not at all once the session's context is done.
//
// Errors are *submit.Error with Op "QUIT": a reply other than 221, or a failure to send, read or close, which
// wraps the network error. The mail sent before is accepted whatever Quit returns.
func (s *Session) Quit() error {
	err := s.quit()
	if cerr := s.Close(); err == nil && cerr != nil {
		err = s.ioError("QUIT", cerr)
	}
	return err
}

func (s *Session) quit() error {
	_, err := s.expectWithin("QUIT", "QUIT", s.opts.Timeouts.Quit, 221)
	return err
}

// Close drops the connection without QUIT, and releases the session's context.
func (s *Session) Close() error {
	s.stop()
	return s.conn.Close()
}

package relay

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/scangate/gateway/spool"
)

// The replies of the policy (see the package comment).
var (
	errEncryptionRequired = &smtp.SMTPError{Code: 538, EnhancedCode: smtp.EnhancedCode{5, 7, 11},
		Message: "Encryption required: STARTTLS first"}
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0},
		Message: "Authentication required"}
	errAuthFailed = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message: "Authentication credentials invalid"}
	errLockedOut = &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0},
		Message: fmt.Sprintf("Too many failed logins from your address: try again in %d minutes", int(AuthLockout/time.Minute))}
	errFull = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1},
		Message: "Insufficient system storage: the gateway's queue is full, try again later"}
	errTooManyRcpts = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3},
		Message: "Too many recipients"}
	errStopping = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2},
		Message: "The gateway is stopping, try again later"}
	errCannotQueue = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "Cannot queue the message now, try again later"}
)

func errTooLarge(max int64) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
		Message: fmt.Sprintf("Message too large: at most %d bytes", max)}
}

type backend struct{ r *Relay }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	peer := peerAddr(c.Conn().RemoteAddr())
	return &session{r: b.r, conn: c, peer: peer, allowed: b.r.allowed(peer)}, nil
}

type session struct {
	r       *Relay
	conn    *smtp.Conn
	peer    netip.Addr
	allowed bool   // the peer is in Allow
	user    string // authenticated
	from    string
	to      []string
}

func (s *session) tls() bool {
	_, ok := s.conn.TLSConnectionState()
	return ok
}

func (s *session) peerString() string {
	if s.peer.IsValid() {
		return s.peer.String()
	}
	return s.conn.Conn().RemoteAddr().String()
}

// AuthMechanisms offers AUTH over TLS, and in cleartext to an Allow address only.
func (s *session) AuthMechanisms() []string {
	if len(s.r.opts.Users) == 0 || !s.tls() && !s.allowed {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if len(s.r.opts.Users) == 0 {
		return nil, smtp.ErrAuthUnsupported
	}
	if !s.tls() && !s.allowed {
		return nil, errEncryptionRequired
	}
	if s.r.lockedOut(s.peer) {
		return nil, errLockedOut
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return s.refused(mech, user)
			}
			return s.login(mech, user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: func(user, pass string) error { return s.login(mech, user, pass) }}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// login checks user and pass against the users, in constant time whatever the user.
func (s *session) login(mech, user, pass string) error {
	want, ok := s.r.opts.Users[user]
	a, b := sha256.Sum256([]byte(pass)), sha256.Sum256([]byte(want.Reveal()))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 || !ok {
		return s.refused(mech, user)
	}
	s.user = user
	return nil
}

// refused records and logs a failed login.
func (s *session) refused(mech, user string) error {
	locked := s.r.failed(s.peer)
	s.r.log.Warn("relay: login refused", "peer", s.peerString(), "user", user, "mechanism", mech, "locked_out", locked)
	return errAuthFailed
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.user == "" && !s.allowed {
		return errAuthRequired
	}
	max := s.r.core.RelayMaxBytes()
	if opts != nil && opts.Size > max {
		return errTooLarge(max)
	}
	var size int64
	if opts != nil {
		size = opts.Size
	}
	if err := s.r.core.RelayRoom(size); err != nil {
		if errors.Is(err, spool.ErrFull) {
			return errFull
		}
		return errCannotQueue
	}
	s.from, s.to = from, nil
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.user == "" && !s.allowed {
		return errAuthRequired
	}
	if len(s.to) >= MaxRecipients {
		return errTooManyRcpts
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if s.user == "" && !s.allowed || len(s.to) == 0 {
		return errAuthRequired
	}
	if !s.r.enter(s.conn.Conn()) {
		return errStopping
	}
	defer s.r.leave(s.conn.Conn())
	max := s.r.core.RelayMaxBytes()
	body := &body{r: r, conn: s.conn.Conn()}
	env := Envelope{From: s.from, To: append([]string(nil), s.to...), Peer: s.conn.Conn().RemoteAddr().String(), User: s.user}
	job, err := s.r.core.EnqueueMessage(env, body)
	switch {
	case errors.Is(body.err, smtp.ErrDataTooLarge):
		return errTooLarge(max)
	case body.err != nil && !errors.Is(body.err, io.EOF):
		return errCannotQueue // the connection failed: nobody is there to read the reply
	case errors.Is(err, spool.ErrFull):
		return errFull
	case err != nil && body.n > max:
		return errTooLarge(max)
	case err != nil:
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se
		}
		s.r.log.Error("relay: message not queued", "peer", s.peerString(), "user", s.user, "from", s.from, "err", err)
		return errCannotQueue
	}
	s.r.accepted()
	number := 0
	if job != nil {
		number = job.Number
	}
	tlsVersion := "none"
	if st, ok := s.conn.TLSConnectionState(); ok {
		tlsVersion = tls.VersionName(st.Version)
	}
	s.r.log.Info("relay: message accepted", "peer", s.peerString(), "user", s.user, "from", s.from,
		"rcpts", strings.Join(s.to, ","), "bytes", body.n, "job", number, "tls", tlsVersion)
	if f := s.r.opts.OnAccepted; f != nil {
		f(job)
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// body is the message's data as the core reads it: each read waits at most ReadTimeout (go-smtp sets the
// deadline once, for the DATA command), and the first error and the count are kept.
type body struct {
	r    io.Reader
	conn net.Conn
	n    int64
	err  error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	b.conn.SetReadDeadline(time.Now().Add(ReadTimeout))
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil {
		b.err = err
	}
	return n, err
}

// loginServer is the server side of the LOGIN mechanism (draft-murchison-sasl-login): the prompts
// "Username:" and "Password:", and a user name sent as an initial response taken as the first answer.
// go-sasl has no LOGIN server.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		if response != nil {
			l.user, l.step = string(response), 2
			return []byte("Password:"), false, nil
		}
		l.step = 1
		return []byte("Username:"), false, nil
	case 1:
		l.user, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

package smtpserver

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/scangate/gateway/internal/atomicfile"
)

// Timeouts of the server's side of a session.
const (
	// readTimeout bounds the wait for each client command.
	readTimeout = 2 * time.Minute
	// writeTimeout bounds each reply.
	writeTimeout = time.Minute
)

// Config describes a server.
type Config struct {
	// Addr is the listening address; "127.0.0.1:0" picks a free port.
	Addr string
	// Domain is the name the server greets with and the name of its certificate; default "localhost".
	Domain string
	// Users maps user names to passwords for AUTH PLAIN.
	Users map[string]string
	// Token, when set, offers AUTH OAUTHBEARER (RFC 7628) and says whether it accepts the OAuth access token
	// for the user.
	Token func(user, token string) bool
	// Maildir is where accepted messages are stored; created if missing.
	Maildir string
	// ImplicitTLS serves TLS from the first byte (port 465 style) instead of offering STARTTLS.
	ImplicitTLS bool
	// Certificate is the server's certificate; nil means one issued by a fresh private authority.
	Certificate *tls.Certificate
	// MaxMessageBytes is advertised with SIZE and enforced; 0 means 64 MiB.
	MaxMessageBytes int64
	// Refuse lists recipients refused with 550 5.1.1 (for tests of per-recipient outcomes).
	Refuse []string
	// OnDeliver, if set, is called after each message is stored.
	OnDeliver func(Delivery)
}

// Delivery describes one stored message.
type Delivery struct {
	Path       string // the file in Maildir/new
	From       string
	To         []string
	User       string // the authenticated user
	TLSVersion string // e.g. "TLS 1.3"
}

// Server is a running SMTP server.
type Server struct {
	srv   *smtp.Server
	ln    net.Listener
	cfg   Config
	ca    *Authority
	done  chan struct{}
	mu    sync.Mutex
	stats Stats
	conns map[string]bool // remote addresses seen, to count connections
}

// Stats counts what the server has seen.
type Stats struct {
	Sessions     int // connections that said EHLO or HELO (once per connection, STARTTLS or not)
	Auths        int // successful authentications
	AuthFailures int // refused authentications
	Messages     int // messages stored
}

// Start opens the Maildir, listens and serves in the background until Close.
func Start(cfg Config) (*Server, error) {
	if cfg.Domain == "" {
		cfg.Domain = "localhost"
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = 64 << 20
	}
	for _, d := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(cfg.Maildir, d), 0o700); err != nil {
			return nil, fmt.Errorf("smtpserver: maildir: %w", err)
		}
	}
	s := &Server{cfg: cfg, done: make(chan struct{}), conns: map[string]bool{}}
	cert := cfg.Certificate
	if cert == nil {
		now := time.Now()
		ca, err := NewAuthority(now)
		if err != nil {
			return nil, err
		}
		c, err := ca.Issue([]string{cfg.Domain, "127.0.0.1", "::1"}, now.Add(-time.Hour))
		if err != nil {
			return nil, err
		}
		s.ca, cert = ca, &c
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = cfg.Domain
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = 100
	srv.ReadTimeout = readTimeout
	srv.WriteTimeout = writeTimeout
	srv.ErrorLog = discardLogger{}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtpserver: %w", err)
	}
	if cfg.ImplicitTLS {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	s.srv, s.ln = srv, ln
	go func() {
		defer close(s.done)
		srv.Serve(ln)
	}()
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Authority returns the private authority that issued the server's certificate, or nil when the
// certificate came from the Config.
func (s *Server) Authority() *Authority { return s.ca }

// CertPool returns a pool that trusts the server's certificate (nil with a configured certificate).
func (s *Server) CertPool() *x509.CertPool {
	if s.ca == nil {
		return nil
	}
	return s.ca.Pool()
}

// Stats returns what the server has seen so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// Close stops listening, drops open sessions and waits for the server to finish.
func (s *Server) Close() error {
	err := s.srv.Close()
	// go-smtp closes only the listeners Serve has registered; a Close that comes before Serve has started
	// would leave Serve blocked in Accept. Closing ours too ends Serve either way.
	s.ln.Close()
	<-s.done
	if errors.Is(err, smtp.ErrServerClosed) {
		err = nil
	}
	return err
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	remote := c.Conn().RemoteAddr().String()
	b.s.count(func(st *Stats) {
		if !b.s.conns[remote] {
			b.s.conns[remote] = true
			st.Sessions++
		}
	})
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.cfg.Token != nil {
		return []string{sasl.Plain, sasl.OAuthBearer}
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	switch {
	case mech == sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			want, ok := ss.s.cfg.Users[user]
			return ss.authenticated(user, ok && want == pass && (identity == "" || identity == user))
		}), nil
	case mech == sasl.OAuthBearer && ss.s.cfg.Token != nil:
		return refusal{sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if ss.authenticated(o.Username, o.Username != "" && ss.s.cfg.Token(o.Username, o.Token)) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		})}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// refusal ends a refused OAUTHBEARER exchange with 535 5.7.8, as real servers do; go-smtp would answer the
// mechanism's own error with 454, which means "try again later".
type refusal struct{ sasl.Server }

func (r refusal) Next(response []byte) ([]byte, bool, error) {
	challenge, done, err := r.Server.Next(response)
	var be *sasl.OAuthBearerError
	if errors.As(err, &be) {
		err = smtp.ErrAuthFailed
	}
	return challenge, done, err
}

// authenticated records the outcome of an AUTH exchange for user.
func (ss *session) authenticated(user string, ok bool) error {
	if !ok {
		ss.s.count(func(st *Stats) { st.AuthFailures++ })
		return smtp.ErrAuthFailed
	}
	ss.user = user
	ss.s.count(func(st *Stats) { st.Auths++ })
	return nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.user == "" {
		return smtp.ErrAuthRequired
	}
	if slices.Contains(ss.s.cfg.Refuse, to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if ss.user == "" {
		return smtp.ErrAuthRequired
	}
	tlsVersion := "none"
	proto := "ESMTPA"
	if st, ok := ss.conn.TLSConnectionState(); ok {
		tlsVersion = tls.VersionName(st.Version)
		proto = "ESMTPSA"
	}
	id := newID()
	var hdr bytes.Buffer
	fmt.Fprintf(&hdr, "Return-Path: <%s>\r\n", ss.from)
	fmt.Fprintf(&hdr, "Received: from %s (%s)\r\n\tby %s with %s (%s) id %s\r\n\tfor <%s>\r\n\t(authenticated user %s); %s\r\n",
		ss.conn.Hostname(), remoteIP(ss.conn.Conn()), ss.s.cfg.Domain, proto, tlsVersion, id,
		strings.Join(ss.to, ">, <"), ss.user, time.Now().Format(time.RFC1123Z))
	path, err := ss.s.store(id, io.MultiReader(&hdr, r))
	var serr *smtp.SMTPError
	if errors.As(err, &serr) {
		return serr // the message broke a limit (too large)
	}
	if err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Cannot store the message now"}
	}
	ss.s.count(func(st *Stats) { st.Messages++ })
	if f := ss.s.cfg.OnDeliver; f != nil {
		f(Delivery{Path: path, From: ss.from, To: append([]string(nil), ss.to...), User: ss.user, TLSVersion: tlsVersion})
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// store writes one message into the Maildir: into tmp/ first, synced, then renamed into new/, whose directory is
// synced too, so that an accepted message survives a power cut.
func (s *Server) store(id string, r io.Reader) (string, error) {
	name := fmt.Sprintf("%d.%s.%s", time.Now().Unix(), id, s.cfg.Domain)
	p, err := atomicfile.Create(filepath.Join(s.cfg.Maildir, "tmp"), name+".*")
	if err != nil {
		return "", fmt.Errorf("smtpserver: maildir: %w", err)
	}
	defer p.Abort()
	if _, err := io.Copy(p.File(), r); err != nil {
		return "", err // a limit broken by the client is an *smtp.SMTPError, which Data passes on
	}
	final := filepath.Join(s.cfg.Maildir, "new", name)
	if err := p.Commit(final, 0o600); err != nil {
		return "", fmt.Errorf("smtpserver: maildir: %w", err)
	}
	return final, nil
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return c.RemoteAddr().String()
}

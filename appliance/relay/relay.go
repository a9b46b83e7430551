package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/scangate/gateway/internal/secret"
	"github.com/scangate/gateway/spool"
)

// Limits of a session, and the failed-login limit (see the package comment).
const (
	// MaxRecipients bounds the recipients of one message.
	MaxRecipients = 100
	// MaxLineLength bounds a command line and a line of the message (RFC 5321's 1000, doubled, as go-smtp does).
	MaxLineLength = 2000
	// ReadTimeout bounds the wait for each command and for each block of a message's data.
	ReadTimeout = 2 * time.Minute
	// WriteTimeout bounds each reply.
	WriteTimeout = time.Minute
	// MaxConnsPerPeer and MaxConns bound the open connections from one address and in all.
	MaxConnsPerPeer = 8
	MaxConns        = 32
	// MaxAuthFailures failed logins from one address within AuthWindow lock it out of AUTH for AuthLockout.
	MaxAuthFailures = 5
	AuthWindow      = 10 * time.Minute
	AuthLockout     = 10 * time.Minute
	// maxTracked is how many addresses with failed logins are kept before the old ones are pruned.
	maxTracked = 1024
	// StopGrace is how long a message in progress may go on after the relay is told to stop; the sessions
	// still open then are cut off (the client sends the message again later).
	StopGrace = 1500 * time.Millisecond
)

// Envelope is the envelope of one accepted message, as the core takes it (appliance.RelayEnvelope).
type Envelope struct {
	From string
	To   []string
	Peer string // the client's address, "192.168.1.20:51234"
	User string // the authenticated user; "" for an Allow address that did not log in
}

// Core is what the relay needs of the gateway (the adapter over *appliance.Gateway is Start's).
type Core interface {
	// EnqueueMessage makes msg a durable job, or fails without leaving one.
	EnqueueMessage(env Envelope, msg io.Reader) (*spool.Job, error)
	// RelayMaxBytes is the largest message accepted.
	RelayMaxBytes() int64
	// RelayRoom says whether the spool has room for n more bytes (an error wrapping spool.ErrFull if not).
	RelayRoom(n int64) error
}

// Options are the relay's settings (OptionsFrom makes them from [relay]) and its hooks.
type Options struct {
	// Listen are the addresses to listen on ("0.0.0.0:587"; port 0 picks a free one).
	Listen []string
	// Allow are the client networks that may send without AUTH and may AUTH in cleartext.
	Allow []netip.Prefix
	// Users are the accounts for AUTH: name to password.
	Users map[string]secret.Secret
	// LegacyTLS accepts TLS 1.0 and 1.1.
	LegacyTLS bool
	// CertFile and KeyFile are the certificate offered with STARTTLS; when empty, the gateway makes one at its
	// first start and keeps it in StateDir.
	CertFile, KeyFile string
	// StateDir holds the certificate the gateway made (spool.dir).
	StateDir string
	// Domain is the name in the greeting; default the host name.
	Domain string
	// Log gets one INFO line per accepted message and a WARN line per refused login; nil discards.
	Log *slog.Logger
	// OnAccepted, if set, is called after each accepted message (the delivery loop is kicked there).
	OnAccepted func(*spool.Job)
	// Now is the clock of the login limit and the day's count; default time.Now.
	Now func() time.Time
}

// Relay is a running relay listener.
type Relay struct {
	core  Core
	opts  Options
	log   *slog.Logger
	srv   *smtp.Server
	cert  tls.Certificate
	fp    string
	lns   []*listener
	serve sync.WaitGroup // the Serve loops
	busy  sync.WaitGroup // messages being handed to the core

	mu       sync.Mutex
	closing  bool                    // Close has begun: no new message is taken
	gone     *sync.Cond              // on mu: signalled when a connection is forgotten
	conns    map[net.Conn]netip.Addr // by the accepted connection
	inData   map[net.Conn]bool       // the connections whose message is being handed to the core
	perPeer  map[netip.Addr]int
	failures map[netip.Addr][]time.Time
	locked   map[netip.Addr]time.Time // locked out of AUTH until
	stats    Stats

	stopOnce sync.Once
	stopped  chan struct{}
}

// Stats counts the accepted messages.
type Stats struct {
	Day   string // the local date of Today, "2006-01-02"
	Today int    // messages accepted on Day
	Total int    // messages accepted since Start
}

// ErrNoListen is returned by Start without a listening address.
var ErrNoListen = errors.New("relay: no listen address")

// start listens on every address of opts.Listen and serves until ctx ends or Close.
func start(ctx context.Context, core Core, opts Options) (*Relay, error) {
	if len(opts.Listen) == 0 {
		return nil, ErrNoListen
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Domain == "" {
		opts.Domain, _ = os.Hostname()
		if opts.Domain == "" {
			opts.Domain = "scangate"
		}
	}
	cert, err := certificate(opts, opts.Now())
	if err != nil {
		return nil, err
	}
	r := &Relay{core: core, opts: opts, log: log, cert: cert, fp: fingerprint(cert.Certificate[0]),
		conns: map[net.Conn]netip.Addr{}, inData: map[net.Conn]bool{}, perPeer: map[netip.Addr]int{}, failures: map[netip.Addr][]time.Time{},
		locked: map[netip.Addr]time.Time{}, stopped: make(chan struct{})}
	r.gone = sync.NewCond(&r.mu)
	srv := smtp.NewServer(backend{r})
	srv.Domain = opts.Domain
	srv.TLSConfig = tlsConfig(cert, opts.LegacyTLS)
	srv.MaxMessageBytes = core.RelayMaxBytes()
	srv.MaxRecipients = MaxRecipients
	srv.MaxLineLength = MaxLineLength
	srv.ReadTimeout = ReadTimeout
	srv.WriteTimeout = WriteTimeout
	// Cleartext AUTH is decided per peer by the session: AuthMechanisms offers it only over TLS or to an
	// Allow address, and Auth refuses it elsewhere with 538.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = errorLog{log}
	r.srv = srv
	for _, a := range opts.Listen {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range r.lns {
				l.Listener.Close()
			}
			return nil, fmt.Errorf("relay: %w", err)
		}
		r.lns = append(r.lns, &listener{Listener: ln, r: r})
	}
	for _, l := range r.lns {
		r.serve.Go(func() { srv.Serve(l) })
	}
	go func() {
		select {
		case <-ctx.Done():
			r.Close()
		case <-r.stopped:
		}
	}()
	return r, nil
}

// tlsConfig is the STARTTLS configuration: TLS 1.2 and later, or with legacy from TLS 1.0 with the CBC
// suites that old machines speak.
func tlsConfig(cert tls.Certificate, legacy bool) *tls.Config {
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if legacy {
		c.MinVersion = tls.VersionTLS10
		for _, s := range tls.CipherSuites() {
			c.CipherSuites = append(c.CipherSuites, s.ID)
		}
	}
	return c
}

// Addrs returns the addresses the relay listens on.
func (r *Relay) Addrs() []string {
	var out []string
	for _, l := range r.lns {
		out = append(out, l.Addr().String())
	}
	return out
}

// Fingerprint is the SHA-256 fingerprint of the certificate offered with STARTTLS ("AB:CD:...").
func (r *Relay) Fingerprint() string { return r.fp }

// Stats returns the count of accepted messages.
func (r *Relay) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats
	if today := r.opts.Now().Format(time.DateOnly); st.Day != today {
		st.Day, st.Today = today, 0
	}
	return st
}

// Close stops listening, lets the messages in progress go on for StopGrace (a DATA that begins now gets
// 421 4.3.2), cuts off the sessions still open then, and waits until every session has ended and no message
// is being handed to the core. It is also what the end of Start's context does.
func (r *Relay) Close() error {
	r.stopOnce.Do(func() {
		close(r.stopped)
		// Sessions that are not handing a message to the core are cut off at once; the others get StopGrace.
		r.mu.Lock()
		r.closing = true
		for c := range r.conns {
			if !r.inData[c] {
				c.Close()
			}
		}
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), StopGrace)
		defer cancel()
		// Shutdown closes the listeners Serve registered; ours are closed too in case Serve had not yet.
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.srv.Shutdown(ctx)
		}()
		for _, l := range r.lns {
			l.Listener.Close()
		}
		<-done
		r.mu.Lock()
		for c := range r.conns {
			c.Close()
		}
		// Each session forgets its connection as it ends (go-smtp closes it on the way out).
		for len(r.conns) > 0 {
			r.gone.Wait()
		}
		r.mu.Unlock()
		r.serve.Wait()
		r.busy.Wait()
	})
	return nil
}

// errorLog takes go-smtp's reports: a panic in a session (which go-smtp survives, answering 421) is an
// ERROR; the rest (a client that went away, a failed TLS handshake) is a client's business, logged at DEBUG.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Printf(format string, v ...interface{}) { l.line(fmt.Sprintf(format, v...)) }
func (l errorLog) Println(v ...interface{})               { l.line(strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

func (l errorLog) line(s string) {
	if strings.HasPrefix(s, "panic") {
		l.log.Error("relay: " + s)
		return
	}
	l.log.Debug("relay: " + s)
}

// listener bounds the connections per peer and in all, and keeps them so that Close can cut them off.
type listener struct {
	net.Listener
	r *Relay
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		peer := peerAddr(c.RemoteAddr())
		r := l.r
		r.mu.Lock()
		over := len(r.conns) >= MaxConns || r.perPeer[peer] >= MaxConnsPerPeer
		if !over {
			r.conns[c] = peer
			r.perPeer[peer]++
		}
		r.mu.Unlock()
		if over {
			c.SetWriteDeadline(time.Now().Add(time.Second))
			io.WriteString(c, "421 4.7.0 Too many connections, try again later\r\n")
			c.Close()
			continue
		}
		return &conn{Conn: c, r: r}, nil
	}
}

// conn forgets its connection in the relay's count when closed.
type conn struct {
	net.Conn
	r    *Relay
	once sync.Once
}

func (c *conn) Close() error {
	c.once.Do(func() {
		r := c.r
		r.mu.Lock()
		if peer, ok := r.conns[c.Conn]; ok {
			delete(r.conns, c.Conn)
			if r.perPeer[peer]--; r.perPeer[peer] <= 0 {
				delete(r.perPeer, peer)
			}
			r.gone.Broadcast()
		}
		r.mu.Unlock()
	})
	return c.Conn.Close()
}

// peerAddr is the IP address of a remote address (unmapped from IPv4-in-IPv6); the zero Addr when it has none.
func peerAddr(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

// allowed reports whether peer lies in the Allow networks.
func (r *Relay) allowed(peer netip.Addr) bool {
	if !peer.IsValid() {
		return false
	}
	for _, p := range r.opts.Allow {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}

// lockedOut reports whether peer may not AUTH now.
func (r *Relay) lockedOut(peer netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.locked[peer]
	if ok && r.opts.Now().Before(until) {
		return true
	}
	delete(r.locked, peer)
	return false
}

// failed records a failed login from peer, and locks it out after MaxAuthFailures within AuthWindow.
func (r *Relay) failed(peer netip.Addr) (locked bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	recent := r.failures[peer][:0]
	for _, t := range r.failures[peer] {
		if now.Sub(t) < AuthWindow {
			recent = append(recent, t)
		}
	}
	recent = append(recent, now)
	if len(r.failures) >= maxTracked {
		// Many addresses failing (a scan of the network): forget those whose failures are past the window.
		for a, ts := range r.failures {
			if now.Sub(ts[len(ts)-1]) >= AuthWindow {
				delete(r.failures, a)
			}
		}
	}
	if len(recent) >= MaxAuthFailures {
		r.locked[peer] = now.Add(AuthLockout)
		delete(r.failures, peer)
		return true
	}
	r.failures[peer] = recent
	return false
}

// enter registers a message being handed to the core on the connection c (as the session sees it, TLS or
// not); false once Close has begun. leave ends it.
func (r *Relay) enter(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false
	}
	r.busy.Add(1)
	r.inData[accepted(c)] = true
	return true
}

func (r *Relay) leave(c net.Conn) {
	r.mu.Lock()
	delete(r.inData, accepted(c))
	r.mu.Unlock()
	r.busy.Done()
}

// accepted is the connection as the listener accepted it under the session's (*conn, maybe inside TLS).
func accepted(c net.Conn) net.Conn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if w, ok := c.(*conn); ok {
		return w.Conn
	}
	return c
}

// accepted counts one accepted message.
func (r *Relay) accepted() {
	r.mu.Lock()
	defer r.mu.Unlock()
	today := r.opts.Now().Format(time.DateOnly)
	if r.stats.Day != today {
		r.stats.Day, r.stats.Today = today, 0
	}
	r.stats.Today++
	r.stats.Total++
}

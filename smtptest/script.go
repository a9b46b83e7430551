package smtptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/smtpserver"
)

// stepTimeout bounds the wait for each client line, so that a client that goes quiet fails the test instead
// of hanging it.
const stepTimeout = 10 * time.Second

// Scripted is a server that plays a Script to the first client that connects.
type Scripted struct {
	// Addr is the address to connect to.
	Addr string
	// CA trusts the certificate the server presents after TLS.
	CA *x509.CertPool

	ln     net.Listener
	tlsCfg *tls.Config
	steps  []string
	done   chan struct{}
	ended  chan struct{} // closed when the test ends: a SILENT step stops waiting
	mu     sync.Mutex
	err    error
	got    bytes.Buffer // every byte the client sent, TLS or not, decrypted
	lines  []string     // the client's lines in order
}

// ScriptOptions tune a scripted server.
type ScriptOptions struct {
	// ImplicitTLS starts TLS as soon as the client connects (port 465 style).
	ImplicitTLS bool
	// TLS is the server's TLS configuration; nil means a certificate for localhost, 127.0.0.1 and
	// smtp.example.com from a fresh private authority (CA), TLS 1.2 or later.
	TLS *tls.Config
}

// Script starts a scripted server on 127.0.0.1. steps is the conversation (see the package documentation).
// The server stops when the script ends, the client hangs up, or the test ends.
func Script(t testing.TB, opts ScriptOptions, steps ...string) *Scripted {
	t.Helper()
	s := &Scripted{steps: steps, done: make(chan struct{}), ended: make(chan struct{}), tlsCfg: opts.TLS}
	if s.tlsCfg == nil {
		ca, err := smtpserver.NewAuthority(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cert, err := ca.Issue([]string{"localhost", "127.0.0.1", "smtp.example.com"}, time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		s.tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.CA = ca.Pool()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln, s.Addr = ln, ln.Addr().String()
	go s.serve(opts.ImplicitTLS)
	t.Cleanup(func() {
		close(s.ended)
		ln.Close()
		<-s.done
	})
	return s
}

// recorder copies what the client sends into the Scripted's record.
type recorder struct {
	net.Conn
	s *Scripted
}

func (r recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.s.mu.Lock()
	r.s.got.Write(p[:n])
	r.s.mu.Unlock()
	return n, err
}

func (s *Scripted) serve(implicit bool) {
	defer close(s.done)
	raw, err := s.ln.Accept()
	s.ln.Close()
	if err != nil {
		s.fail(fmt.Errorf("no client connected: %v", err))
		return
	}
	defer raw.Close()
	var conn net.Conn = raw
	if implicit {
		conn = tls.Server(raw, s.tlsCfg)
	}
	r := bufio.NewReader(recorder{conn, s})
	for i, step := range s.steps {
		verb, arg, _ := strings.Cut(step, " ")
		var err error
		switch verb {
		case "S:":
			_, err = io.WriteString(conn, arg+"\r\n")
		case "C:":
			err = s.expect(conn, r, arg)
		case "TLS":
			tc := tls.Server(raw, s.tlsCfg)
			tc.SetDeadline(time.Now().Add(stepTimeout))
			if err = tc.Handshake(); err == nil {
				tc.SetDeadline(time.Time{})
				conn, r = tc, bufio.NewReader(recorder{tc, s})
			}
		case "TLSFAIL":
			tc := tls.Server(raw, s.tlsCfg)
			tc.SetDeadline(time.Now().Add(stepTimeout))
			if tc.Handshake() == nil {
				err = fmt.Errorf("the client accepted the TLS handshake")
			}
			conn, r = tc, bufio.NewReader(recorder{tc, s})
		case "HELLO":
			conn.SetReadDeadline(time.Now().Add(stepTimeout))
			b := make([]byte, 3)
			if _, err = io.ReadFull(r, b); err == nil && (b[0] != 0x16 || b[1] != 0x03) {
				err = fmt.Errorf("first bytes % x are not a TLS ClientHello", b)
			}
			s.record(string(b))
			return
		case "SKIPHELLO":
			err = s.skipHello(conn, r)
		case "CLOSE":
			return
		case "SILENT":
			d, perr := time.ParseDuration(arg)
			if perr != nil {
				err = perr
				break
			}
			select {
			case <-time.After(d):
			case <-s.ended:
				return // the test is over: stop waiting for nothing
			}
		case "RAW":
			b, herr := hex.DecodeString(arg)
			if herr != nil {
				err = herr
				break
			}
			_, err = conn.Write(b)
		default:
			err = fmt.Errorf("bad script step %q", step)
		}
		if err != nil {
			s.fail(fmt.Errorf("step %d %q: %v", i+1, step, err))
			return
		}
	}
	// Script done: note anything more the client says before it hangs up.
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if line, err := r.ReadString('\n'); line != "" {
		s.record(strings.TrimSuffix(line, "\r\n"))
		s.fail(fmt.Errorf("client sent %q after the end of the script", line))
	} else {
		_ = err
	}
}

// skipHello reads one TLS ClientHello record whole, so that the script can go on in clear after it.
func (s *Scripted) skipHello(conn net.Conn, r *bufio.Reader) error {
	conn.SetReadDeadline(time.Now().Add(stepTimeout))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return fmt.Errorf("client sent no TLS record: %v", err)
	}
	s.record(string(hdr[:3]))
	if hdr[0] != 0x16 || hdr[1] != 0x03 {
		return fmt.Errorf("first bytes % x are not a TLS ClientHello", hdr)
	}
	_, err := io.CopyN(io.Discard, r, int64(hdr[3])<<8|int64(hdr[4]))
	return err
}

func (s *Scripted) expect(conn net.Conn, r *bufio.Reader, want string) error {
	conn.SetReadDeadline(time.Now().Add(stepTimeout))
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("client sent nothing (%v), want %q", err, want)
	}
	got := strings.TrimSuffix(line, "\r\n")
	s.record(got)
	if got != want {
		return fmt.Errorf("client sent %q, want %q", got, want)
	}
	return nil
}

func (s *Scripted) record(line string) {
	s.mu.Lock()
	s.lines = append(s.lines, line)
	s.mu.Unlock()
}

func (s *Scripted) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

// Wait waits for the conversation to end and fails the test if the client strayed from the script.
func (s *Scripted) Wait(t testing.TB) {
	t.Helper()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		t.Errorf("scripted server: %v\nclient lines: %q", s.err, s.lines)
	}
}

// Received returns every byte the client sent (decrypted after TLS), once the conversation has ended.
func (s *Scripted) Received() []byte {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.got.Bytes())
}

// Lines returns the client's lines as the server read them, once the conversation has ended.
func (s *Scripted) Lines() []string {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

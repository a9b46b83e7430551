package smtpserver

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// client speaks raw SMTP to the server and checks reply codes.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	cl := &client{t: t, conn: c, r: bufio.NewReader(c)}
	cl.expect("220")
	return cl
}

// expect reads one whole reply and checks its code; it returns the reply's lines.
func (c *client) expect(code string) []string {
	c.t.Helper()
	var lines []string
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading reply: %v", err)
		}
		lines = append(lines, strings.TrimRight(l, "\r\n"))
		if len(l) < 4 || l[3] != '-' {
			break
		}
	}
	if !strings.HasPrefix(lines[0], code) {
		c.t.Fatalf("reply %q, want %s", lines, code)
	}
	return lines
}

func (c *client) cmd(line, code string) []string {
	c.t.Helper()
	c.conn.Write([]byte(line + "\r\n"))
	return c.expect(code)
}

func (c *client) startTLS(s *Server) {
	c.t.Helper()
	c.cmd("STARTTLS", "220")
	tc := tls.Client(c.conn, &tls.Config{ServerName: "localhost", RootCAs: s.CertPool()})
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}

func start(t *testing.T, onDeliver func(Delivery)) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Start(Config{Addr: "127.0.0.1:0", Users: map[string]string{"u": "p"}, Maildir: dir, OnDeliver: onDeliver})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestNoAuthBeforeTLS(t *testing.T) {
	s, _ := start(t, nil)
	c := dial(t, s)
	ehlo := strings.Join(c.cmd("EHLO gw.test", "250"), "\n")
	if strings.Contains(ehlo, "AUTH") || !strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("EHLO before TLS:\n%s", ehlo)
	}
	c.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00u\x00p")), "523")
	c.cmd("MAIL FROM:<a@b.c>", "502")
	if auths := s.Stats().Auths; auths != 0 {
		t.Errorf("%d authentications in clear", auths)
	}
}

func TestDeliveryNeedsAuth(t *testing.T) {
	var got []Delivery
	s, dir := start(t, func(d Delivery) { got = append(got, d) })
	c := dial(t, s)
	c.cmd("EHLO gw.test", "250")
	c.startTLS(s)
	ehlo := strings.Join(c.cmd("EHLO gw.test", "250"), "\n")
	if !strings.Contains(ehlo, "AUTH PLAIN") {
		t.Fatalf("EHLO after TLS:\n%s", ehlo)
	}
	c.cmd("MAIL FROM:<a@b.c>", "502")
	c.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00u\x00wrong")), "535")
	c.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00u\x00p")), "235")
	c.cmd("MAIL FROM:<a@b.c>", "250")
	c.cmd("RCPT TO:<d@e.f>", "250")
	c.cmd("DATA", "354")
	c.cmd("Subject: hi\r\n\r\nbody\r\n.", "250")
	c.cmd("QUIT", "221")

	files, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
	if len(files) != 1 || len(got) != 1 || got[0].Path != files[0] || got[0].User != "u" || got[0].TLSVersion != "TLS 1.3" {
		t.Fatalf("files %v, deliveries %+v", files, got)
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Error("a file was left in tmp/")
	}
	b, _ := os.ReadFile(files[0])
	msg := string(b)
	for _, want := range []string{"Return-Path: <a@b.c>\r\n", "with ESMTPSA (TLS 1.3)", "(authenticated user u)", "Subject: hi\r\n\r\nbody\r\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stored message lacks %q:\n%s", want, msg)
		}
	}
}

func TestImplicitTLS(t *testing.T) {
	s, err := Start(Config{Addr: "127.0.0.1:0", Users: map[string]string{"u": "p"}, Maildir: t.TempDir(), ImplicitTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := tls.Dial("tcp", s.Addr(), &tls.Config{ServerName: "localhost", RootCAs: s.CertPool()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	l, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(l, "220 ") {
		t.Fatalf("greeting %q, %v", l, err)
	}
}

// Closing right after Start, before the serving goroutine has run, must not hang.
func TestCloseRightAfterStart(t *testing.T) {
	for i := 0; i < 200; i++ {
		s, err := Start(Config{Addr: "127.0.0.1:0", Maildir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

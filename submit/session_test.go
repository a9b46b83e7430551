package submit

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/smtpserver"
)

const testUser, testPass = "scanner", "s3cret-pass"

func startServer(t *testing.T, cfg smtpserver.Config) *smtpserver.Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.Maildir == "" {
		cfg.Maildir = t.TempDir()
	}
	cfg.Users = map[string]string{testUser: testPass}
	srv, err := smtpserver.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type transcript struct {
	mu    sync.Mutex
	lines []string
}

func (tr *transcript) add(l string) { tr.mu.Lock(); tr.lines = append(tr.lines, l); tr.mu.Unlock() }
func (tr *transcript) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.lines, "\n")
}

func account(srv *smtpserver.Server, sec Security) Account {
	return Account{Server: srv.Addr(), Security: sec, User: testUser, Password: testPass,
		RootCAs: srv.CertPool(), HelloName: "gw.test"}
}

func TestSendThroughEmbeddedServer(t *testing.T) {
	for _, sec := range []Security{StartTLS, ImplicitTLS} {
		t.Run(sec.String(), func(t *testing.T) {
			maildir := t.TempDir()
			srv := startServer(t, smtpserver.Config{Maildir: maildir, ImplicitTLS: sec == ImplicitTLS})
			var tr transcript
			s, err := Dial(context.Background(), account(srv, sec), Options{Trace: tr.add})
			if err != nil {
				t.Fatalf("Dial: %v\n%s", err, &tr)
			}
			if s.TLS() == nil || s.Mechanism() != "PLAIN" {
				t.Errorf("TLS %v, mechanism %q", s.TLS(), s.Mechanism())
			}
			body := "Subject: test\r\n\r\n.leading dot\r\nbody\r\n"
			for i := 0; i < 2; i++ { // two messages in one session
				refused, err := s.Send(Envelope{From: "scanner@example.com", To: []string{"a@example.com"}, Size: int64(len(body))},
					strings.NewReader(body))
				if err != nil || len(refused) > 0 {
					t.Fatalf("Send: %v %v\n%s", refused, err, &tr)
				}
			}
			if err := s.Quit(); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
			if len(files) != 2 {
				t.Fatalf("%d messages in the Maildir, want 2", len(files))
			}
			got, _ := os.ReadFile(files[0])
			if !strings.Contains(string(got), "with ESMTPSA (TLS 1.3)") || !strings.Contains(string(got), "\r\n.leading dot\r\n") {
				t.Errorf("stored message:\n%s", got)
			}
			// The transcript shows the exchange but not the credentials.
			secret := base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPass))
			if s := tr.String(); strings.Contains(s, testPass) || strings.Contains(s, secret) ||
				!strings.Contains(s, "C: AUTH PLAIN [credentials redacted]") {
				t.Errorf("transcript:\n%s", s)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	srv := startServer(t, smtpserver.Config{})
	acct := account(srv, StartTLS)
	acct.Password = "wrong"
	_, err := Dial(context.Background(), acct, Options{})
	if !errors.Is(err, smtpauth.ErrCredentials) || IsTemporary(err) {
		t.Fatalf("Dial with a wrong password = %v (temporary %v), want credentials rejected", err, IsTemporary(err))
	}
}

// RFC 8314 §5.3, RFC 4954 §14: a certificate that does not verify ends the session before any credential is
// sent.
func TestCertificateNotTrusted(t *testing.T) {
	ca, err := smtpserver.NewAuthority(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	otherName, err := ca.Issue([]string{"mail.example.org"}, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expired, err := ca.Issue([]string{"127.0.0.1"}, time.Now().Add(-30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cert *smtpserver.Server
		pool bool
	}{
		{"self-signed, system roots", startServer(t, smtpserver.Config{}), false},
		{"wrong name", startServer(t, smtpserver.Config{Certificate: &otherName}), true},
		{"expired", startServer(t, smtpserver.Config{Certificate: &expired}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := account(tt.cert, StartTLS)
			acct.RootCAs = nil
			if tt.pool {
				acct.RootCAs = ca.Pool()
			}
			var tr transcript
			_, err := Dial(context.Background(), acct, Options{Trace: tr.add})
			if !errors.Is(err, ErrCertificate) {
				t.Fatalf("Dial = %v, want a certificate error", err)
			}
			if strings.Contains(tr.String(), "C: AUTH") {
				t.Errorf("AUTH was sent:\n%s", &tr)
			}
			if auths := tt.cert.Stats().Auths + tt.cert.Stats().AuthFailures; auths != 0 {
				t.Errorf("server saw %d authentications", auths)
			}
		})
	}
}

// RFC 8314 §5.2: a server that does not offer STARTTLS gets QUIT, never AUTH or MAIL.
func TestNoStartTLS(t *testing.T) {
	got := fakeServer(t, []string{
		"S: 220 mx.test ESMTP",
		"C: EHLO gw.test",
		"S: 250-mx.test", "S: 250 AUTH PLAIN LOGIN",
		"C: QUIT",
		"S: 221 bye",
	})
	_, err := Dial(context.Background(), Account{Server: got.addr, User: "u", Password: "p", HelloName: "gw.test"}, Options{})
	if !errors.Is(err, ErrNoStartTLS) || !IsTemporary(err) {
		t.Fatalf("Dial = %v, want no STARTTLS (temporary)", err)
	}
	got.wait(t)
}

// RFC 3207 §4: 454 to STARTTLS is temporary, and the session ends without AUTH.
func TestStartTLSRefused(t *testing.T) {
	got := fakeServer(t, []string{
		"S: 220 mx.test ESMTP",
		"C: EHLO gw.test",
		"S: 250-mx.test", "S: 250 STARTTLS",
		"C: STARTTLS",
		"S: 454 4.7.0 TLS not available",
		"C: QUIT",
		"S: 221 bye",
	})
	_, err := Dial(context.Background(), Account{Server: got.addr, User: "u", Password: "p", HelloName: "gw.test"}, Options{})
	if !IsTemporary(err) {
		t.Fatalf("Dial = %v, want temporary", err)
	}
	got.wait(t)
}

func TestConnectionRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := Dial(context.Background(), Account{Server: addr}, Options{})
	if !IsTemporary(err) {
		t.Fatalf("Dial = %v, want temporary", err)
	}
}

func TestGreetingTimeout(t *testing.T) {
	got := fakeServer(t, nil) // says nothing
	_, err := Dial(context.Background(), Account{Server: got.addr}, Options{Timeouts: Timeouts{Command: 50 * time.Millisecond,
		TLSProbe: 50 * time.Millisecond}})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !IsTemporary(err) {
		t.Fatalf("Dial = %v, want a temporary timeout", err)
	}
}

func TestMessageTooLarge(t *testing.T) {
	srv := startServer(t, smtpserver.Config{MaxMessageBytes: 100})
	s, err := Dial(context.Background(), account(srv, StartTLS), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Quit()
	_, err = s.Send(Envelope{From: "a@b.c", To: []string{"d@e.f"}, Size: 1000}, strings.NewReader("x"))
	if !errors.Is(err, ErrTooLarge) || IsTemporary(err) {
		t.Fatalf("Send = %v, want too large", err)
	}
}

func TestParseSecurity(t *testing.T) {
	for in, want := range map[string]Security{"starttls": StartTLS, "STARTTLS": StartTLS, "tls": ImplicitTLS} {
		if got, err := ParseSecurity(in); err != nil || got != want {
			t.Errorf("ParseSecurity(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSecurity("none"); err == nil {
		t.Error("ParseSecurity(none) accepted")
	}
}

func TestCompose(t *testing.T) {
	var b strings.Builder
	err := Compose(&b, Mail{
		From:        &mail.Address{Name: "Scanner", Address: "scanner@example.com"},
		To:          []*mail.Address{{Name: "Sales", Address: "sales@example.com"}},
		Subject:     "Scan from Front desk (3 pages)",
		Date:        time.Date(2026, 11, 29, 14, 5, 0, 0, time.UTC),
		MessageID:   "1.abc@gw.test",
		Text:        "Attached: 3 pages.\n",
		Attachments: []Attachment{{Name: "Reçu 1.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4 test")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"From: \"Scanner\" <scanner@example.com>\r\n", "To: \"Sales\" <sales@example.com>\r\n",
		"Subject: Scan from Front desk (3 pages)\r\n", "Message-Id: <1.abc@gw.test>\r\n",
		"Date: Sun, 29 Nov 2026 14:05:00 +0000\r\n",
		"filename*=utf-8''Re%C3%A7u%201.pdf", base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 test")),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("composed mail lacks %q:\n%s", want, got)
		}
	}
}

// fakeServer plays a scripted SMTP server on one connection ("S: " lines are sent, "C: " lines must arrive).
type scripted struct {
	addr string
	done chan error
}

func fakeServer(t *testing.T, script []string) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scripted{addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() {
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			s.done <- err
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for _, step := range script {
			if line, ok := strings.CutPrefix(step, "S: "); ok {
				c.Write([]byte(line + "\r\n"))
				continue
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			got, err := r.ReadString('\n')
			if err != nil {
				s.done <- err
				return
			}
			if want := strings.TrimPrefix(step, "C: ") + "\r\n"; got != want {
				s.done <- errors.New("client sent " + got + ", want " + want)
				return
			}
		}
		if script == nil {
			time.Sleep(time.Second) // hold the connection open, silent
		}
		s.done <- nil
	}()
	return s
}

func (s *scripted) wait(t *testing.T) {
	t.Helper()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
}

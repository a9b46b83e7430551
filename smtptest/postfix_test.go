package smtptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
)

const (
	postfixUser, postfixPassword = "scanner", "pf-s3cret"
	// postfixDeliveryGuard bounds the wait for Postfix's asynchronous delivery into the Maildir.
	postfixDeliveryGuard = 30 * time.Second
	// postfixTestTimeout bounds every exchange of a test with Postfix.
	postfixTestTimeout = 30 * time.Second
)

// dialPostfix connects to one of the instance's ports and returns a net/smtp client, already in TLS.
func dialPostfix(t *testing.T, p *Postfix, implicit bool) *smtp.Client {
	t.Helper()
	addr := p.StartTLSAddr
	if implicit {
		addr = p.TLSAddr
	}
	tlsConf := &tls.Config{RootCAs: p.CertPool(), ServerName: "127.0.0.1"}
	c, err := net.DialTimeout("tcp", addr, postfixTestTimeout)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(postfixTestTimeout))
	if implicit {
		c = tls.Client(c, tlsConf)
	}
	cl, err := smtp.NewClient(c, "127.0.0.1")
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	if err := cl.Hello("gw.test"); err != nil {
		t.Fatal(err)
	}
	if !implicit {
		if err := cl.StartTLS(tlsConf); err != nil {
			t.Fatalf("STARTTLS: %v\n%s", err, p.Log())
		}
	}
	return cl
}

// dialPostfixText opens a raw SMTP connection to addr, under postfixTestTimeout.
func dialPostfixText(t *testing.T, addr string) *textproto.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, postfixTestTimeout)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(postfixTestTimeout))
	tc := textproto.NewConn(c)
	t.Cleanup(func() { tc.Close() })
	return tc
}

// TestPostfixDelivers submits through both ports and reads every message back from the Maildir, unchanged.
func TestPostfixDelivers(t *testing.T) {
	t.Parallel()
	p := StartPostfix(t, PostfixConfig{Users: map[string]string{postfixUser: postfixPassword, "other": "x"},
		MessageSizeLimit: 2 << 20})
	if log := p.Log(); strings.Contains(log, "warning:") || strings.Contains(log, "fatal:") {
		t.Errorf("Postfix complains about its configuration:\n%s", log)
	}
	type sent struct {
		rcpt string
		msg  []byte
	}
	var all []sent
	for _, implicit := range []bool{false, true} {
		for i := range 2 {
			name := fmt.Sprintf("implicit=%v/%d", implicit, i)
			t.Run(name, func(t *testing.T) {
				cl := dialPostfix(t, p, implicit)
				if ok, v := cl.Extension("AUTH"); !ok || !slices.Equal(strings.Fields(v), DefaultMechanisms) {
					t.Errorf("AUTH after TLS = %v %q, want %v", ok, v, DefaultMechanisms)
				}
				if ok, v := cl.Extension("SIZE"); !ok || v != "2097152" {
					t.Errorf("SIZE = %v %q, want 2097152", ok, v)
				}
				if err := cl.Auth(smtp.PlainAuth("", postfixUser, postfixPassword, "127.0.0.1")); err != nil {
					t.Fatalf("AUTH PLAIN: %v\n%s", err, p.Log())
				}
				rcpt := strings.ToLower(strings.ReplaceAll(name, "/", ".")) + "@example.com"
				msg := []byte("From: scanner@example.com\r\nTo: " + rcpt + "\r\nSubject: " + name +
					"\r\n\r\n.leading dot\r\nline two\r\n")
				if err := cl.Mail("scanner@example.com"); err != nil {
					t.Fatal(err)
				}
				if err := cl.Rcpt(rcpt); err != nil {
					t.Fatal(err)
				}
				w, err := cl.Data()
				if err != nil {
					t.Fatal(err)
				}
				w.Write(msg)
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if err := cl.Quit(); err != nil {
					t.Fatal(err)
				}
				all = append(all, sent{rcpt, msg})
			})
		}
	}
	paths := p.WaitDelivered(t, len(all), postfixDeliveryGuard)
	if len(paths) != len(all) {
		t.Fatalf("%d messages delivered, want %d", len(paths), len(all))
	}
	for _, s := range all {
		found := false
		for _, path := range paths {
			added, msg := ReadDelivered(t, path)
			if !slices.Contains(added, "Delivered-To: "+s.rcpt+"\r\n") {
				continue
			}
			found = true
			if !bytes.Equal(msg, s.msg) {
				t.Errorf("message to %s stored as\n%q\nwant\n%q", s.rcpt, msg, s.msg)
			}
		}
		if !found {
			t.Errorf("no message delivered to %s", s.rcpt)
		}
	}
}

// TestPostfixMechanisms authenticates with every default mechanism through msmtp (GNU SASL), which speaks them
// all: the sasldb serves each of them in the instance's realm.
func TestPostfixMechanisms(t *testing.T) {
	t.Parallel()
	msmtp := toolrun.Path(t, "msmtp")
	p := StartPostfix(t, PostfixConfig{Users: map[string]string{postfixUser: postfixPassword}})
	_, port, _ := net.SplitHostPort(p.StartTLSAddr)
	for _, mech := range DefaultMechanisms {
		t.Run(mech, func(t *testing.T) {
			conf := filepath.Join(t.TempDir(), "msmtprc")
			text := fmt.Sprintf("host 127.0.0.1\nport %s\ntls on\ntls_starttls on\ntls_trust_file %s\nauth %s\n"+
				"user %s\npassword %s\nfrom scanner@example.com\n",
				port, p.CAFile, strings.ToLower(mech), postfixUser, postfixPassword)
			if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), postfixTestTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, msmtp, "-C", conf, strings.ToLower(mech)+"@example.com")
			cmd.Stdin = strings.NewReader("Subject: " + mech + "\r\n\r\nbody\r\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("msmtp with AUTH %s: %v: %s\nmail log:\n%s", mech, err, out, p.Log())
			}
		})
	}
	p.WaitDelivered(t, len(DefaultMechanisms), postfixDeliveryGuard)
	for _, mech := range DefaultMechanisms {
		if !strings.Contains(p.Log(), "sasl_method="+mech+",") {
			t.Errorf("the mail log shows no submission with %s", mech)
		}
	}
}

// TestPostfixRefusals: TLS comes before everything, credentials are checked, and only authenticated clients may
// send mail.
func TestPostfixRefusals(t *testing.T) {
	t.Parallel()
	p := StartPostfix(t, PostfixConfig{
		Users:      map[string]string{postfixUser: postfixPassword},
		Mechanisms: []string{"PLAIN"},
	})

	t.Run("cleartext", func(t *testing.T) {
		c := dialPostfixText(t, p.StartTLSAddr)
		expect := func(cmd string, code int) string {
			t.Helper()
			if cmd != "" {
				if err := c.PrintfLine("%s", cmd); err != nil {
					t.Fatal(err)
				}
			}
			_, msg, err := c.ReadResponse(code)
			if err != nil {
				t.Fatalf("%q: %v", cmd, err)
			}
			return msg
		}
		expect("", 220)
		ehlo := expect("EHLO gw.test", 250)
		if !strings.Contains(ehlo, "STARTTLS") || strings.Contains(ehlo, "AUTH") {
			t.Errorf("EHLO before TLS:\n%s", ehlo)
		}
		plain := base64.StdEncoding.EncodeToString([]byte("\x00" + postfixUser + "\x00" + postfixPassword))
		if msg := expect("AUTH PLAIN "+plain, 530); !strings.Contains(msg, "STARTTLS") {
			t.Errorf("AUTH before TLS: %q", msg)
		}
		expect("MAIL FROM:<scanner@example.com>", 530)
		expect("QUIT", 221)
	})

	t.Run("wrong password", func(t *testing.T) {
		cl := dialPostfix(t, p, false)
		if ok, v := cl.Extension("AUTH"); !ok || v != "PLAIN" {
			t.Errorf("AUTH = %v %q, want PLAIN alone", ok, v)
		}
		err := cl.Auth(smtp.PlainAuth("", postfixUser, "wrong", "127.0.0.1"))
		var tpe *textproto.Error
		if !errors.As(err, &tpe) || tpe.Code != 535 {
			t.Fatalf("AUTH with a wrong password = %v, want 535", err)
		}
	})

	t.Run("no relay without AUTH", func(t *testing.T) {
		cl := dialPostfix(t, p, true)
		if err := cl.Mail("scanner@example.com"); err != nil {
			t.Fatal(err)
		}
		err := cl.Rcpt("sales@example.com")
		var tpe *textproto.Error
		if !errors.As(err, &tpe) || tpe.Code/100 != 5 {
			t.Fatalf("RCPT without AUTH = %v, want a 5xx refusal", err)
		}
	})
}

// TestPostfixStopsWithTheTest: the instance's master and ports are gone once the test that started it ends.
func TestPostfixStopsWithTheTest(t *testing.T) {
	t.Parallel()
	var p *Postfix
	var pid string
	t.Run("running", func(t *testing.T) {
		p = StartPostfix(t, PostfixConfig{Main: map[string]string{"smtpd_banner": "$myhostname ESMTP custom"}})
		b, err := os.ReadFile(p.pidFile)
		if err != nil {
			t.Fatal(err)
		}
		pid = strings.TrimSpace(string(b))
		_, msg, err := dialPostfixText(t, p.StartTLSAddr).ReadResponse(220)
		if err != nil || !strings.HasSuffix(msg, "ESMTP custom") {
			t.Errorf("greeting %q, %v: the Main override was not applied", msg, err)
		}
	})
	if p == nil { // a failed subtest has failed this test too
		t.Skip("the instance did not start")
	}
	n, err := strconv.Atoi(pid)
	if err != nil || postfixGroupAlive(n) {
		t.Errorf("master %q or its children still running after the test ended", pid)
	}
	for _, addr := range []string{p.StartTLSAddr, p.TLSAddr} {
		if c, err := net.DialTimeout("tcp", addr, postfixTestTimeout); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections", addr)
		}
	}
}

func TestReadDelivered(t *testing.T) {
	tests := []struct {
		name, stored string
		added        []string
		msg          string
	}{
		{"postfix fields", "Return-Path: <a@b>\nDelivered-To: c@d\nReceived: from x\n\tby y; date\nFrom: a@b\n\nbody\n",
			[]string{"Return-Path: <a@b>\r\n", "Delivered-To: c@d\r\n", "Received: from x\r\n\tby y; date\r\n"},
			"From: a@b\r\n\r\nbody\r\n"},
		{"nothing added", "Subject: s\n\nReceived: in the body\n", nil, "Subject: s\r\n\r\nReceived: in the body\r\n"},
		{"fields only", "Received: x", []string{"Received: x"}, ""},
		{"empty", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := t.TempDir() + "/m"
			if err := os.WriteFile(path, []byte(tt.stored), 0o600); err != nil {
				t.Fatal(err)
			}
			added, msg := ReadDelivered(t, path)
			if !slices.Equal(added, tt.added) || string(msg) != tt.msg {
				t.Errorf("ReadDelivered = %q, %q; want %q, %q", added, msg, tt.added, tt.msg)
			}
		})
	}
}

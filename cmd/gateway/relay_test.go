package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scangate/gateway/internal/toolrun"
)

// freePort returns a port on 127.0.0.1 that was free a moment ago (the settings must name one).
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// relaySettings is [relay] on addr: 127.0.0.1 may send without a login, and the user mfp may log in.
func (r *mailRig) relaySettings(t *testing.T, addr string) string {
	t.Helper()
	pw := filepath.Join(r.dir, "relay-mfp.pw")
	writeSettings(t, pw, "mfp-pass\n")
	return fmt.Sprintf("\n[relay]\nlisten = [%q]\nallow = [\"127.0.0.1\"]\nrewrite_from = false\n\n[[relay.user]]\nname = \"mfp\"\npassword_file = %q\n", addr, pw)
}

// runTool runs an outside client, bounded, and fails the test if it fails.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	path := toolrun.Path(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), toolrun.Timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

// gateway run with [relay], without a panel and with one: a mail relayed by a machine is queued, delivered
// through the account byte for byte, and the port closes at SIGTERM. gateway check prints the certificate's
// fingerprint, the one run logs.
func TestRunRelay(t *testing.T) {
	for _, board := range []string{"none", "sim"} {
		t.Run(board, func(t *testing.T) {
			r := newMailRig(t)
			cfg := filepath.Join(r.dir, "gateway.toml")
			addr := freePort(t)
			writeSettings(t, cfg, r.settings("scanner", board, "Sales")+r.relaySettings(t, addr))
			if res := gateway(t, "check", "-config", cfg); res.code != 0 ||
				!strings.Contains(res.stdout, "RELAY "+addr+": the certificate is made at the first start of gateway run") {
				t.Errorf("check before the first run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			s := startService(t, nil, "-config", cfg, "-v")
			s.expect(t, "READY=1")
			m := regexp.MustCompile(`msg="relay listening" addrs=(\S+) fingerprint=(\S+)`).FindStringSubmatch(s.stderr.String())
			if m == nil || m[1] != addr {
				t.Fatalf("run does not log the relay:\n%s", s.stderr.String())
			}
			fp := m[2]
			msg := []byte("Date: Sun, 06 Dec 2026 00:30:00 +0000\r\nFrom: MFP <mfp@office.example>\r\nTo: sales@example.com\r\n" +
				"Subject: relayed\r\nMessage-ID: <relayed@office.example>\r\n\r\nscan\r\n.dot\r\n")
			file := filepath.Join(r.dir, "msg.eml")
			writeSettings(t, file, string(msg))
			runTool(t, "curl", "-sS", "--url", "smtp://"+addr, "--mail-from", "mfp@office.example", "--mail-rcpt", "sales@example.com",
				"--upload-file", file)
			got := r.waitMail(t, s, 1)
			// The relay kicked the delivery loop after its 250: the loop, woken, sent the mail (not its next
			// idle look at the queue).
			if log := s.stderr.String(); !kickedBeforeSent(log) {
				t.Errorf("the relayed mail was not sent by the loop the relay kicked:\n%s", log)
			}
			if !bytes.HasSuffix(got, msg) {
				t.Errorf("the delivered mail does not end with the bytes relayed:\n%s", got)
			}
			// Over TLS with a login, pinned to the fingerprint.
			pwfile := filepath.Join(r.dir, "relay-mfp.pw")
			host, port, _ := net.SplitHostPort(addr)
			cmd := exec.Command(toolrun.Path(t, "msmtp"), "--host="+host, "--port="+port, "--tls=on", "--tls-starttls=on",
				"--tls-fingerprint="+fp, "--auth=login", "--user=mfp", "--passwordeval=cat "+pwfile, "--from=mfp@office.example",
				"--", "sales@example.com")
			cmd.Stdin = bytes.NewReader(msg)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("msmtp: %v\n%s", err, out)
			}
			r.waitMail(t, s, 2)
			// One INFO line per accepted message, with every field.
			if log := s.stderr.String(); strings.Count(log, `msg="relay: message accepted"`) != 2 || !strings.Contains(log, "user=mfp") ||
				!regexp.MustCompile(`msg="relay: message accepted" peer=127\.0\.0\.1 user=mfp from=mfp@office\.example rcpts=sales@example\.com bytes=\d+ job=2 tls="TLS 1\.3"`).MatchString(log) ||
				strings.Contains(log, "relayed mail queued") {
				t.Errorf("log:\n%s", log)
			}
			if res := gateway(t, "check", "-config", cfg); !strings.Contains(res.stdout, "RELAY "+addr+": certificate SHA-256 "+fp) {
				t.Errorf("check: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			s.stop(t)
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				t.Error("the relay port is open after run ended")
			}
			if _, err := os.Stat(filepath.Join(r.spool, "relay-key.pem")); err != nil {
				t.Error(err)
			}
		})
	}
}

// kickedBeforeSent reports whether run's log (at -v) has, after the relay's first accepted message, the
// delivery loop woken by a kick and then job 1 sent.
func kickedBeforeSent(log string) bool {
	accepted := strings.Index(log, `msg="relay: message accepted"`)
	if accepted < 0 {
		return false
	}
	rest := log[accepted:]
	kicked := strings.Index(rest, `msg="delivery loop kicked: looking at the queue"`)
	sent := strings.Index(rest, `msg="job sent" job=1 `)
	return kicked >= 0 && sent > kicked
}

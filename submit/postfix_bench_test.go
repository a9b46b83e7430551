package submit_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
	"github.com/scangate/gateway/smtptest"
	"github.com/scangate/gateway/submit"
)

const (
	// benchMessages is how many messages one benchmark operation submits.
	benchMessages = 50
	// benchAttachmentSize makes a mail of about 300 KB once base64-encoded.
	benchAttachmentSize = 220 << 10
	benchRecipient      = "frontdesk@example.com"
	// benchToolTimeout bounds one run of an outside client (curl: all messages; msmtp: one message).
	benchToolTimeout = 5 * time.Minute
	// benchDeliveryGuard bounds the wait, after the timed loop, for Postfix to deliver what was submitted.
	benchDeliveryGuard = 10 * time.Minute
)

// BenchmarkSubmit50x300K submits 50 scan mails of about 300 KB to a real Postfix on its STARTTLS port with AUTH
// PLAIN, to one recipient: with this package (one session, 50 transactions), with curl (one process, one
// connection that it reuses for all 50 uploads), with curl run once per mail (as scripts and cron jobs use it)
// and with msmtp (one process and session per message, as msmtp works). Only submission is timed; Postfix delivers in the background, and after the loop the benchmark checks
// that every message arrived unchanged.
func BenchmarkSubmit50x300K(b *testing.B) {
	pf := smtptest.StartPostfix(b, smtptest.PostfixConfig{Users: map[string]string{postfixUser: postfixPassword}})
	msg := scanMail(b, benchRecipient, benchAttachmentSize)
	dir := b.TempDir()
	msgFile := filepath.Join(dir, "scan.eml")
	if err := os.WriteFile(msgFile, msg, 0o600); err != nil {
		b.Fatal(err)
	}
	curlAll := curlArgs(b, pf, dir, msgFile, benchMessages)
	curlOne := curlArgs(b, pf, dir, msgFile, 1)
	msmtpConf := msmtpConfig(b, pf, dir)

	clients := []struct {
		name, tool string // tool is the outside program needed, if any
		submit     func(b *testing.B, tool string)
	}{
		{"scangate", "", func(b *testing.B, _ string) {
			s, err := submit.Dial(b.Context(), postfixAccount(pf, submit.StartTLS, "PLAIN"), submit.Options{})
			if err != nil {
				b.Fatal(err)
			}
			env := submit.Envelope{From: postfixSender, To: []string{benchRecipient}, Size: int64(len(msg))}
			for range benchMessages {
				if _, err := s.Send(env, bytes.NewReader(msg)); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.Quit(); err != nil {
				b.Fatal(err)
			}
		}},
		{"curl", "curl", func(b *testing.B, curl string) {
			runTool(b, nil, curl, curlAll...)
		}},
		{"curl-per-mail", "curl", func(b *testing.B, curl string) {
			for range benchMessages {
				runTool(b, nil, curl, curlOne...)
			}
		}},
		{"msmtp", "msmtp", func(b *testing.B, msmtp string) {
			for range benchMessages {
				runTool(b, bytes.NewReader(msg), msmtp, "-C", msmtpConf, "-a", "bench", benchRecipient)
			}
		}},
	}
	for _, c := range clients {
		b.Run(c.name, func(b *testing.B) {
			var tool string
			if c.tool != "" {
				tool = toolrun.Path(b, c.tool)
			}
			before := pf.Delivered(b)
			b.SetBytes(int64(len(msg)) * benchMessages)
			for b.Loop() {
				c.submit(b, tool)
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*benchMessages), "s/msg")
			// Every message this client submitted arrived, byte for byte.
			after := pf.WaitDelivered(b, len(before)+b.N*benchMessages, benchDeliveryGuard)
			if n := len(after) - len(before); n != b.N*benchMessages {
				b.Fatalf("%s: %d messages delivered, %d submitted", c.name, n, b.N*benchMessages)
			}
			for _, path := range after {
				if slices.Contains(before, path) {
					continue
				}
				if _, got := smtptest.ReadDelivered(b, path); !bytes.Equal(got, msg) {
					b.Fatalf("%s: %s differs from the message submitted (%d bytes, want %d)", c.name, path, len(got), len(msg))
				}
			}
		})
	}
}

// curlArgs has curl upload the message n times in one run: for several URLs of one server curl keeps the
// connection and sends one transaction after the other. The password is read from a netrc file.
func curlArgs(b *testing.B, pf *smtptest.Postfix, dir, msgFile string, n int) []string {
	netrc := filepath.Join(dir, "netrc")
	entry := "machine 127.0.0.1 login " + postfixUser + " password " + postfixPassword + "\n"
	if err := os.WriteFile(netrc, []byte(entry), 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"--silent", "--show-error", "--fail-early", "--ssl-reqd", "--cacert", pf.CAFile,
		"--netrc-file", netrc, "--login-options", "AUTH=PLAIN",
		"--mail-from", postfixSender, "--mail-rcpt", benchRecipient}
	for range n {
		args = append(args, "--upload-file", msgFile)
	}
	for range n {
		args = append(args, "smtp://"+pf.StartTLSAddr+"/gw.test")
	}
	return args
}

// msmtpConfig writes msmtp's configuration, which holds the password and so must be private to its owner.
func msmtpConfig(b *testing.B, pf *smtptest.Postfix, dir string) string {
	_, port, _ := strings.Cut(pf.StartTLSAddr, ":")
	conf := filepath.Join(dir, "msmtprc")
	text := fmt.Sprintf(`account bench
host 127.0.0.1
port %s
tls on
tls_starttls on
tls_trust_file %s
auth plain
user %s
password %s
from %s
domain gw.test
`, port, pf.CAFile, postfixUser, postfixPassword, postfixSender)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	return conf
}

// runTool runs an outside client under benchToolTimeout and fails the benchmark with its output if it fails.
func runTool(b *testing.B, stdin io.Reader, path string, args ...string) {
	ctx, cancel := context.WithTimeout(b.Context(), benchToolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = stdin
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v: %s", filepath.Base(path), err, bytes.TrimSpace(out))
	}
}

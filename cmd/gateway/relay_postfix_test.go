package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
	"github.com/scangate/gateway/smtptest"
	"github.com/scangate/gateway/spool"
)

// relayPostfixSettings are postfixGateway's settings with [relay] on relayAddr (127.0.0.1 sends without a
// login) and the account's server at server.
func relayPostfixSettings(t *testing.T, base []byte, pf *smtptest.Postfix, server, relayAddr string) string {
	t.Helper()
	s := strings.Replace(string(base), fmt.Sprintf("server = %q", pf.StartTLSAddr), fmt.Sprintf("server = %q", server), 1)
	if !strings.Contains(s, fmt.Sprintf("server = %q", server)) {
		t.Fatalf("no server line in the settings:\n%s", base)
	}
	return s + fmt.Sprintf("\n[relay]\nlisten = [%q]\nallow = [\"127.0.0.1\"]\n", relayAddr)
}

// relayMessage is a message of about size bytes as a machine sends it: CRLF lines of 78 characters.
func relayMessage(subject string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Date: Sun, 06 Dec 2026 00:30:00 +0000\r\nFrom: MFP <mfp@office.example>\r\nTo: sales@example.com\r\n"+
		"Subject: %s\r\nMessage-ID: <%s@office.example>\r\n\r\n", subject, strings.ReplaceAll(subject, " ", "-"))
	line := strings.Repeat("0123456789", 7) + "abcdefgh\r\n"
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%08d", i)
		b.WriteString(line[8:])
	}
	return b.Bytes()
}

// relaySend submits msg to the relay at addr with net/smtp and returns once the relay has answered the DATA.
func relaySend(addr string, msg []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail("mfp@office.example"); err != nil {
		return err
	}
	if err := c.Rcpt("sales@example.com"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close() // the relay's reply to the end of DATA: nil on 250
}

// A machine's mail answered 250 survives a SIGKILL of gateway run at once, while the mail server cannot be
// reached: run started again with the server back delivers it to the real Postfix exactly once.
func TestRelayKill9AfterAccept(t *testing.T) {
	pf, _, cfgFile, spoolDir := postfixGateway(t)
	base, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	relayAddr := freePort(t)
	closed := freePort(t) // nothing listens there: every attempt fails and the job stays queued
	writeSettings(t, cfgFile, relayPostfixSettings(t, base, pf, closed, relayAddr))

	s := startService(t, nil, "--board", "none", "-config", cfgFile)
	s.expect(t, "READY=1")
	msg := relayMessage("kill after accept", 2<<10)
	if err := relaySend(relayAddr, msg); err != nil {
		t.Fatalf("the relay did not accept the mail: %v\n%s", err, s.stderr.String())
	}
	s.cmd.Process.Kill() // at once after the 250
	<-s.done

	sp, err := spool.Open(spoolDir, spool.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	jobs, broken, err := sp.List()
	if err != nil || len(broken) > 0 || len(jobs) != 1 || jobs[0].State == spool.Sent || jobs[0].Source != spool.SourceRelay {
		t.Fatalf("after the kill: jobs %+v, broken %v, err %v\n%s", jobs, broken, err, s.stderr.String())
	}
	if n := len(pf.Delivered(t)); n != 0 {
		t.Fatalf("%d mails delivered while the server was unreachable", n)
	}

	// The server is back: the same spool, a new run.
	writeSettings(t, cfgFile, relayPostfixSettings(t, base, pf, pf.StartTLSAddr, relayAddr))
	s2 := startService(t, nil, "--board", "none", "-config", cfgFile)
	s2.expect(t, "READY=1")
	for deadline := time.Now().Add(hangGuard); !allSent(t, sp); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the relayed mail was not sent after the restart:\n%s", s2.stderr.String())
		}
	}
	s2.stop(t)
	delivered := pf.WaitDelivered(t, 1, hangGuard)
	if len(delivered) != 1 {
		t.Fatalf("%d mails delivered, want exactly 1", len(delivered))
	}
	_, got := smtptest.ReadDelivered(t, delivered[0])
	_, body, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !bytes.HasSuffix(got, body) || !bytes.Contains(got, []byte("Message-ID: <kill-after-accept@office.example>")) {
		t.Errorf("the delivered mail is not the one relayed:\n%.2000s", got)
	}
	if entries, _, _ := sp.ReadJournal(); len(entries) != 1 || entries[0].Outcome != "sent" {
		t.Errorf("journal: %+v", entries)
	}
}

// Against a mail server whose SIZE is 10 MB, once the gateway has seen it (a first small mail delivered), the
// relay refuses with 552 a 30 MB mail (curl, which announces the size in MAIL: over the relay's own 25 MiB
// too) and a 12 MB one, announced (curl: at MAIL) or not (swaks: at the end of DATA), keeping nothing of
// them; a 9 MB mail is accepted and delivered.
func TestRelayUpstreamSize(t *testing.T) {
	const limit = 10 << 20
	pf, dir, cfgFile, spoolDir := postfixGatewayWith(t, smtptest.PostfixConfig{MessageSizeLimit: limit})
	base, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	relayAddr := freePort(t)
	writeSettings(t, cfgFile, relayPostfixSettings(t, base, pf, pf.StartTLSAddr, relayAddr))
	s := startService(t, nil, "--board", "none", "-config", cfgFile)
	s.expect(t, "READY=1")
	sp, err := spool.Open(spoolDir, spool.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	waitSent := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(hangGuard); ; time.Sleep(50 * time.Millisecond) {
			if jobs, _, _ := sp.List(); len(jobs) == n && allSent(t, sp) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d relayed mails not sent:\n%s", n, s.stderr.String())
			}
		}
	}

	// A first small mail: the delivery loop learns the server's SIZE.
	if err := relaySend(relayAddr, relayMessage("small", 1<<10)); err != nil {
		t.Fatal(err)
	}
	waitSent(1)
	pf.WaitDelivered(t, 1, hangGuard)

	big := filepath.Join(dir, "big.eml")
	writeSettings(t, big, string(relayMessage("thirty", 30<<20)))
	out, err := runOutput(t, "curl", "-sS", "-v", "--url", "smtp://"+relayAddr, "--mail-from", "mfp@office.example",
		"--mail-rcpt", "sales@example.com", "--upload-file", big)
	t.Logf("curl with 30 MB: %s", lineWith(out, "< 552"))
	if err == nil || !strings.Contains(out, "< 552 5.3.4") {
		t.Errorf("curl with 30 MB: %v\n%.3000s", err, out)
	}
	mid := filepath.Join(dir, "twelve.eml")
	writeSettings(t, mid, string(relayMessage("twelve", 12<<20)))
	out, err = runOutput(t, "swaks", "--server", relayAddr, "--from", "mfp@office.example", "--to", "sales@example.com",
		"--data", "@"+mid, "--suppress-data")
	t.Logf("swaks with 12 MB: %s", lineWith(out, "<** 552"))
	if err == nil || !strings.Contains(out, "<** 552 5.3.4") {
		t.Errorf("swaks with 12 MB: %v\n%.3000s", err, out)
	}
	// Announced in MAIL, the 12 MB mail is refused there with the server's limit.
	out, err = runOutput(t, "curl", "-sS", "-v", "--url", "smtp://"+relayAddr, "--mail-from", "mfp@office.example",
		"--mail-rcpt", "sales@example.com", "--upload-file", mid)
	t.Logf("curl with 12 MB: %s", lineWith(out, "< 552"))
	if err == nil || !strings.Contains(out, "< 552 5.3.4 Message too large: at most") {
		t.Errorf("curl with 12 MB: %v\n%.3000s", err, out)
	}
	if jobs, _, _ := sp.List(); len(jobs) != 1 {
		t.Errorf("a refused mail left a job: %d jobs", len(jobs))
	}
	// Nothing of the refused mails is kept anywhere in the spool.
	filepath.WalkDir(spoolDir, func(path string, e fs.DirEntry, err error) error {
		if info, ierr := e.Info(); err == nil && ierr == nil && info.Mode().IsRegular() && info.Size() > 1<<20 {
			t.Errorf("%s (%d bytes) kept after the refusals", path, info.Size())
		}
		return nil
	})

	nine := relayMessage("nine", 9<<20)
	if err := relaySend(relayAddr, nine); err != nil {
		t.Fatalf("9 MB refused: %v", err)
	}
	waitSent(2)
	delivered := pf.WaitDelivered(t, 2, hangGuard)
	found := false
	_, body, _ := bytes.Cut(nine, []byte("\r\n\r\n"))
	for _, p := range delivered {
		if _, got := smtptest.ReadDelivered(t, p); bytes.Contains(got, []byte("Message-ID: <nine@office.example>")) {
			found = bytes.HasSuffix(got, body)
		}
	}
	if !found {
		t.Error("the 9 MB mail was not delivered whole")
	}
	s.stop(t)
}

// runOutput runs an outside client, bounded, and returns its output and error (a refusal is an exit status).
func runOutput(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	path := toolrun.Path(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), toolrun.Timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	return string(out), err
}

// lineWith is the first line of out that contains s.
func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

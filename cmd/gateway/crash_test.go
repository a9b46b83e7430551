package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/smtptest"
	"github.com/scangate/gateway/spool"
)

// postfixGateway starts the private Postfix with one user and writes the settings of a gateway that submits
// through it with AUTH over STARTTLS and retries within seconds: dir is the test's directory, cfgFile the
// settings and spoolDir the spool they name.
func postfixGateway(t *testing.T) (pf *smtptest.Postfix, dir, cfgFile, spoolDir string) {
	t.Helper()
	return postfixGatewayWith(t, smtptest.PostfixConfig{})
}

// postfixGatewayWith is postfixGateway with more of the server's configuration (its users are set here).
func postfixGatewayWith(t *testing.T, pcfg smtptest.PostfixConfig) (pf *smtptest.Postfix, dir, cfgFile, spoolDir string) {
	t.Helper()
	pcfg.Users = map[string]string{"scanner": "gateway-pass"}
	pf = smtptest.StartPostfix(t, pcfg)
	dir = t.TempDir()
	pw := filepath.Join(dir, "pw")
	cfgFile = filepath.Join(dir, "gateway.toml")
	spoolDir = filepath.Join(dir, "spool")
	if err := os.WriteFile(pw, []byte("gateway-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(`
[account]
server = %q
user = "scanner"
password_file = %q
ca_file = %q
from = "Scanner <scanner@example.com>"

[spool]
dir = %q
retry_first = "1s"
retry_max = "2s"
`, pf.StartTLSAddr, pw, pf.CAFile, spoolDir)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return pf, dir, cfgFile, spoolDir
}

// Crash test: 30 jobs, a delivery daemon killed with SIGKILL at random moments at least 20 times and started
// again, against a real Postfix. Every job must arrive with its attachment intact; a duplicate may only be
// the same mail again (same Message-ID), sent when a kill fell between the end of DATA and the spool's record.
func TestCrashKill9(t *testing.T) {
	const (
		jobs  = 30
		kills = 20
	)
	pf, dir, cfgFile, spoolDir := postfixGateway(t)
	scan := filepath.Join(dir, "scan.tif")
	os.WriteFile(scan, mfpsim.SamplePages().Data, 0o600)

	for i := range jobs {
		r := gateway(t, "send", "-config", cfgFile, "--no-wait", "--to", fmt.Sprintf("job%02d@example.com", i+1), scan)
		if r.code != 0 {
			t.Fatalf("queueing job %d: %s", i+1, r.stderr)
		}
	}
	sp, err := spool.Open(spoolDir, spool.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	queued, _, _ := sp.List()
	want := map[string]*spool.Job{} // Message-ID → job
	sums := map[string][32]byte{}   // Message-ID → SHA-256 of the attachment as queued
	for _, j := range queued {
		want[j.MessageID] = j
		pdf, err := os.ReadFile(filepath.Join(sp.JobDir(j.ID), "scan.pdf"))
		if err != nil {
			t.Fatal(err)
		}
		sums[j.MessageID] = sha256.Sum256(pdf)
	}

	rnd := rand.New(rand.NewPCG(1, 2))
	killed, midMail, progressed := 0, 0, 0
	for killed < kills || !allSent(t, sp) {
		cmd := exec.Command(gatewayBin, "run", "--board", "none", "-config", cfgFile)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if killed < kills {
			before := countState(t, sp, spool.Sent)
			// Every other run dies a few milliseconds into an attempt; the others at a random moment, often
			// before connecting. No run may send more than a few mails, so the kills spread over the queue.
			killAt := time.Now().Add(time.Duration(10+rnd.IntN(150)) * time.Millisecond)
			if killed%2 == 1 {
				killAt = time.Now().Add(hangGuard)
			}
			for time.Now().Before(killAt) && countState(t, sp, spool.Sent) < before+3 && !allSent(t, sp) {
				if killed%2 == 1 && countState(t, sp, spool.Sending) > 0 {
					time.Sleep(time.Duration(rnd.IntN(4)) * time.Millisecond)
					break
				}
				time.Sleep(time.Millisecond)
			}
			cmd.Process.Kill()
			cmd.Wait()
			killed++
			if countState(t, sp, spool.Sending) > 0 {
				midMail++ // the kill fell inside an attempt
			}
			if countState(t, sp, spool.Sent) > before {
				progressed++
			}
			continue
		}
		deadline := time.Now().Add(hangGuard)
		for !allSent(t, sp) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("the last run: %v\n%s", err, stderr.String())
		}
		if !allSent(t, sp) {
			t.Fatalf("jobs left after the last run:\n%s", stderr.String())
		}
	}

	delivered := pf.WaitDelivered(t, jobs, hangGuard)
	seen := map[string]int{}
	for _, path := range delivered {
		_, msg := smtptest.ReadDelivered(t, path)
		id, sum := attachment(t, msg)
		j, ok := want[id]
		if !ok {
			t.Fatalf("%s: unknown Message-ID %q", path, id)
		}
		if sum != sums[id] {
			t.Errorf("job #%d: the attachment differs from the queued PDF", j.Number)
		}
		seen[id]++
	}
	for id, j := range want {
		if seen[id] == 0 {
			t.Errorf("job #%d (%s) was lost", j.Number, j.To[0])
		}
	}
	duplicates := len(delivered) - len(seen)
	t.Logf("crash test: %d jobs, %d kills (%d inside an attempt, %d after some mail went out), %d mails delivered, "+
		"%d duplicates (same Message-ID: a kill between the end of DATA and the spool's record)",
		jobs, killed, midMail, progressed, len(delivered), duplicates)
	if midMail == 0 {
		t.Error("no kill fell inside an attempt: the test did not test anything")
	}
	if duplicates > killed {
		t.Errorf("%d duplicates for %d kills", duplicates, killed)
	}
}

func allSent(t *testing.T, sp *spool.Spool) bool {
	t.Helper()
	jobs, _, _ := sp.List()
	return countState(t, sp, spool.Sent) == len(jobs)
}

func countState(t *testing.T, sp *spool.Spool, st spool.State) int {
	t.Helper()
	jobs, broken, err := sp.List()
	if err != nil || len(broken) > 0 {
		t.Fatalf("spool: %v %v", err, broken)
	}
	n := 0
	for _, j := range jobs {
		if j.State == st {
			n++
		}
	}
	return n
}

// attachment parses a delivered mail (a corrupt one fails the test) and returns its Message-ID and the
// SHA-256 of its PDF.
func attachment(t *testing.T, msg []byte) (string, [32]byte) {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("corrupt mail: %v", err)
	}
	id, err := mr.Header.MessageID()
	if err != nil {
		t.Fatalf("Message-ID: %v", err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("corrupt mail %s: %v", id, err)
		}
		if _, ok := p.Header.(*mail.AttachmentHeader); ok {
			b, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatalf("corrupt attachment in %s: %v", id, err)
			}
			return id, sha256.Sum256(b)
		}
	}
	t.Fatalf("mail %s has no attachment", id)
	return "", [32]byte{}
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/spool"
)

// spoolArgs returns the flags after "send" that name the account and the spool, from sendSetup's arguments.
func spoolArgs(args []string) []string { return args[1:13] }

func TestSendNoWaitThenRun(t *testing.T) {
	_, maildir, args := sendSetup(t, "right-pass")
	noWait := append([]string{"send", "--no-wait"}, args[1:]...)
	if r := gateway(t, noWait...); r.code != 0 || !strings.Contains(r.stdout, "Queued as job #1: 3 pages to sales@example.com") {
		t.Fatalf("send --no-wait: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	queueArgs := append([]string{"queue"}, args[11:13]...) // --spool DIR
	if r := gateway(t, queueArgs...); !regexp.MustCompile(`#1\s+queued\s+3\s+sales@example.com`).MatchString(r.stdout) {
		t.Fatalf("queue:\n%s%s", r.stdout, r.stderr)
	}

	// The daemon delivers it; SIGTERM ends it cleanly.
	run := exec.Command(gatewayBin, append([]string{"run", "--board", "none"}, spoolArgs(args)...)...)
	var stderr strings.Builder
	run.Stderr = &stderr
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- run.Wait() }()
	deadline := time.Now().Add(hangGuard)
	for mailCount(maildir) == 0 && time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("run exited: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	run.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		t.Fatalf("run after SIGTERM: %v\n%s", err, stderr.String())
	}
	if n := mailCount(maildir); n != 1 {
		t.Fatalf("%d mails delivered", n)
	}
	// One line per job at the default level, without a time stamp (the journal of a service adds its own).
	if log := stderr.String(); !regexp.MustCompile(`(?m)^level=INFO msg="job sent" job=1 to=sales@example.com pages=3 `).MatchString(log) ||
		strings.Contains(log, "time=") {
		t.Errorf("run's log:\n%s", log)
	}
	if r := gateway(t, queueArgs...); !strings.Contains(r.stdout, "The queue is empty.") {
		t.Errorf("queue after delivery:\n%s", r.stdout)
	}
	r := gateway(t, append([]string{"journal"}, args[11:13]...)...)
	if !strings.Contains(r.stdout, "#1") || !strings.Contains(r.stdout, "250") || !strings.Contains(r.stdout, "Sent") {
		t.Errorf("journal:\n%s", r.stdout)
	}
}

func TestQueueShowsHeldJobs(t *testing.T) {
	_, _, args := sendSetup(t, "wrong-pass")
	gateway(t, args...) // held: wrong password
	spoolFlag := args[11:13]
	r := gateway(t, append([]string{"queue"}, spoolFlag...)...)
	for _, want := range []string{"Account held since", "Wrong password", `#1\s+held\s+3`} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("queue lacks %q:\n%s", want, r.stdout)
		}
	}
	r = gateway(t, append([]string{"journal"}, spoolFlag...)...)
	if !strings.Contains(r.stdout, "535 5.7.8") || !strings.Contains(r.stdout, "Wrong password") {
		t.Errorf("journal:\n%s", r.stdout)
	}
	if r := gateway(t, append([]string{"queue", "retry", "1"}, spoolFlag...)...); r.code != 0 || !strings.Contains(r.stdout, "Job #1 queued again") {
		t.Errorf("queue retry: %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := gateway(t, append([]string{"queue", "delete", "#1"}, spoolFlag...)...); r.code != 0 {
		t.Errorf("queue delete: %d %s", r.code, r.stderr)
	}
	if r := gateway(t, append([]string{"queue", "delete", "7"}, spoolFlag...)...); r.code != exitFail || !strings.Contains(r.stderr, "no such job") {
		t.Errorf("queue delete of a missing job: %d %s", r.code, r.stderr)
	}
}

func mailCount(maildir string) int {
	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	return len(files)
}

// A pull cut short shows in the queue, with what to do, and can be deleted there.
func TestQueueShowsKeptPull(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(dir, spool.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sp.Stage()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(st.Dir, "scan0001.tif"), make([]byte, 5000), 0o600)
	if err := st.Keep(); err != nil {
		t.Fatal(err)
	}
	r := gateway(t, "queue", "--spool", dir)
	for _, want := range []string{`kept\s+cut short\s+1 file, 5 KB`, "Press Send to go on from there", `gateway queue delete kept`} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("queue lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := gateway(t, "queue", "delete", "kept", "--spool", dir); r.code != 0 {
		t.Fatalf("queue delete kept: %d %s", r.code, r.stderr)
	}
	if r := gateway(t, "queue", "--spool", dir); !strings.Contains(r.stdout, "The queue is empty.") {
		t.Errorf("queue after deleting the kept pull:\n%s", r.stdout)
	}
}

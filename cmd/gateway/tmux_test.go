package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
)

// The simulated panel in a real terminal: gateway demo runs inside tmux, the test presses keys with
// send-keys and reads the screen with capture-pane.
func TestDemoInTmux(t *testing.T) {
	tmux := toolrun.Path(t, "tmux")
	dir := t.TempDir()
	sock := filepath.Join(dir, "tmux.sock")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	maildir := filepath.Join(dir, "mail")
	cmd := strings.Join([]string{gatewayBin, "demo", "--dir", dir, "--maildir", maildir}, " ")
	run("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "env", "TERM=xterm-256color", "NO_COLOR=1", "sh", "-c", cmd+"; sleep 30")
	pid, _ := strconv.Atoi(strings.TrimSpace(run("display-message", "-p", "#{pid}")))
	t.Cleanup(func() {
		exec.Command(tmux, "-S", sock, "kill-server").Run()
		if pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL) // the server, by PID, should it still run
		}
	})
	screen := func(want string) string {
		t.Helper()
		deadline := time.Now().Add(hangGuard)
		for {
			s := run("capture-pane", "-p")
			if strings.Contains(s, want) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("the screen never showed %q:\n%s", want, s)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	s := screen("To: Demo inbox")
	for _, want := range []string{"┌────────────────┐", "Ready", "Sending", "Error", "s send"} {
		if !strings.Contains(s, want) {
			t.Errorf("the panel lacks %q:\n%s", want, s)
		}
	}
	run("send-keys", "Down")
	screen("To: Sales")
	run("send-keys", "Up")
	screen("To: Demo inbox")
	run("send-keys", "s")
	screen("Sent to Demo inb")
	run("send-keys", "q")
	screen("Delivered: " + maildir)
	if files, _ := filepath.Glob(filepath.Join(maildir, "new", "*")); len(files) != 1 {
		t.Errorf("%d mails delivered", len(files))
	}
}

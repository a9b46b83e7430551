package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
)

// tmuxSession is a command running in a private tmux server, a real terminal the test reads and types into.
type tmuxSession struct {
	t         *testing.T
	bin, sock string
	log       string // a file the screen's failure message shows, if not empty
}

// startTmux runs command (through sh, with env) in a new tmux session of 100x30 on a private socket, and ends
// the server, by PID, when the test ends.
func startTmux(t *testing.T, env []string, command, log string) *tmuxSession {
	t.Helper()
	s := &tmuxSession{t: t, bin: toolrun.Path(t, "tmux"), sock: filepath.Join(t.TempDir(), "tmux.sock"), log: log}
	args := append([]string{"-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "env", "TERM=xterm-256color", "NO_COLOR=1"}, env...)
	s.run(append(args, "sh", "-c", command+"; sleep 30")...)
	pid, _ := strconv.Atoi(strings.TrimSpace(s.run("display-message", "-p", "#{pid}")))
	t.Cleanup(func() {
		exec.Command(s.bin, "-S", s.sock, "kill-server").Run()
		if pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL) // the server, by PID, should it still run
		}
	})
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.bin, append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen waits until the terminal shows want and returns the screen and want's submatches.
func (s *tmuxSession) screen(want *regexp.Regexp) (string, []string) {
	s.t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		text := s.run("capture-pane", "-p")
		if m := want.FindStringSubmatch(text); m != nil {
			return text, m
		}
		if time.Now().After(deadline) {
			log := ""
			if s.log != "" {
				b, _ := os.ReadFile(s.log)
				log = "\nlog:\n" + string(b)
			}
			s.t.Fatalf("the screen never showed %v:\n%s%s", want, text, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The simulated panel in a real terminal: gateway demo runs inside tmux, the test presses keys with
// send-keys and reads the screen with capture-pane.
func TestDemoInTmux(t *testing.T) {
	dir := t.TempDir()
	maildir := filepath.Join(dir, "mail")
	tm := startTmux(t, nil, strings.Join([]string{gatewayBin, "demo", "--dir", dir, "--maildir", maildir}, " "), "")
	screen := func(want string) string {
		t.Helper()
		s, _ := tm.screen(regexp.MustCompile(regexp.QuoteMeta(want)))
		return s
	}
	run := tm.run
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

package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/spool"
)

// signalGuard bounds the wait for a command told to stop by a signal. It is a hang guard, far above the 2 s
// a command takes, and far below the minutes a stuck peer used to hold it.
const signalGuard = 30 * time.Second

// stuckPeer listens on 127.0.0.1 and takes connections without ever saying a word; accepted receives each
// connection as it comes.
func stuckPeer(t *testing.T) (addr string, accepted <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			ch <- c
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), ch
}

// interrupt starts the gateway, waits until it has reached the peer, sends sig and returns how it ended.
func interrupt(t *testing.T, sig syscall.Signal, accepted <-chan net.Conn, args ...string) result {
	t.Helper()
	cmd := exec.Command(gatewayBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-accepted:
	case err := <-done:
		t.Fatalf("gateway %v ended before reaching the peer: %v\n%s", args, err, errb.String())
	case <-time.After(signalGuard):
		cmd.Process.Kill()
		t.Fatalf("gateway %v never reached the peer", args)
	}
	cmd.Process.Signal(sig)
	var err error
	select {
	case err = <-done:
	case <-time.After(signalGuard):
		cmd.Process.Kill()
		t.Fatalf("gateway %v still runs %v after %v:\n%s", args, signalGuard, sig, errb.String())
	}
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	}
	return r
}

// A server that never greets cannot hold send: SIGTERM ends it (75, the job stays queued), Ctrl-C too (130).
func TestSendStoppedBySignal(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, exitTemp}, {syscall.SIGINT, exitInterrupt}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			_, _, args := sendSetup(t, "right-pass")
			addr, accepted := stuckPeer(t)
			args[2] = addr
			r := interrupt(t, tt.sig, accepted, args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tt.code, r.stderr)
			}
			oneLine(t, r, "gateway send: interrupted; job #1 stays queued")
			sp, err := spool.Open(args[12], spool.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			jobs, _, _ := sp.List()
			if len(jobs) != 1 || jobs[0].State != spool.Queued {
				t.Fatalf("jobs after the signal: %+v", jobs)
			}
			if ents, _ := os.ReadDir(filepath.Join(args[12], "staging")); len(ents) != 0 {
				t.Errorf("staging holds %d entries", len(ents))
			}
		})
	}
}

// check against a server that never greets ends on SIGTERM too.
func TestCheckStoppedBySignal(t *testing.T) {
	_, _, args := sendSetup(t, "right-pass")
	addr, accepted := stuckPeer(t)
	args[2] = addr
	r := interrupt(t, syscall.SIGTERM, accepted, append([]string{"check"}, args[1:11]...)...)
	if r.code != exitTemp || !strings.Contains(r.stderr, "gateway check: interrupted") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// pull from a machine that never answers ends on SIGTERM, with nothing left in the output directory.
func TestPullStoppedBySignal(t *testing.T) {
	addr, accepted := stuckPeer(t)
	out := t.TempDir()
	r := interrupt(t, syscall.SIGTERM, accepted, "pull", "--tcp", addr, "--out", out, "--timeout", "10m")
	if r.code != exitTemp || !strings.Contains(r.stderr, "gateway pull: interrupted") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("the output directory holds %d entries", len(ents))
	}
}

// Help is help: it prints and exits 0, and the command does not run.
func TestHelpDoesNotRun(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"demo", "--help"}, {"demo", "-h"}, {"send", "--help", "--to", "a@example.com", "x.tif"},
		{"run", "--help", "--spool", dir}, {"convert", "--help"}, {"queue", "--spool", dir, "--help"},
		{"version", "--help"}, {"devices", "-h"},
	} {
		r := gateway(t, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: gateway "+args[0]) || r.stderr != "" {
			t.Errorf("gateway %v: exit %d\nstdout %q\nstderr %q", args, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout, "Scangate demo") || strings.Contains(r.stdout, "scangate gateway ") {
			t.Errorf("gateway %v ran the command:\n%s", args, r.stdout)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("help made a spool in %s", dir)
	}
}

// Recipients are parsed as mail addresses: a display name goes into the To: header and the envelope gets the
// address alone; a bad list is a usage error that names the flag.
func TestSendRecipients(t *testing.T) {
	_, maildir, args := sendSetup(t, "right-pass")
	args[14] = "Bob Smith <bob@example.com>"
	r := gateway(t, args...)
	if r.code != 0 {
		t.Fatalf("send exit %d: %s", r.code, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	if len(files) != 1 {
		t.Fatalf("%d mails", len(files))
	}
	b, _ := os.ReadFile(files[0])
	if !bytes.Contains(b, []byte("To: \"Bob Smith\" <bob@example.com>")) && !bytes.Contains(b, []byte("To: Bob Smith <bob@example.com>")) {
		t.Errorf("To: header of the mail:\n%s", headerOf(b))
	}
	for _, bad := range []string{"Bob Smith <bob@example.com", "not an address", "bob@"} {
		args[14] = bad
		r := gateway(t, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--to") {
			t.Errorf("--to %q: exit %d, %s", bad, r.code, r.stderr)
		}
	}
}

func headerOf(mail []byte) []byte {
	h, _, _ := bytes.Cut(mail, []byte("\r\n\r\n"))
	return h
}

// convert never replaces its own input, a link or a device with its output.
func TestConvertRefusesOutputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "scan.tif")
	scan := mfpsim.SamplePages().Data
	os.WriteFile(in, scan, 0o600)
	target := filepath.Join(dir, "target.txt")
	os.WriteFile(target, []byte("keep me"), 0o600)
	link := filepath.Join(dir, "link.pdf")
	os.Symlink(target, link)
	fifo := filepath.Join(dir, "pipe.tif")
	syscall.Mkfifo(fifo, 0o600)
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"input as output", []string{"convert", "-o", in, in}, exitUsage, "is the input"},
		{"symlink", []string{"convert", "-o", link, in}, exitUsage, "not a regular file (a symbolic link)"},
		{"device", []string{"convert", "-o", "/dev/null", in}, exitUsage, "not a regular file (a device)"},
		{"directory", []string{"convert", "-o", dir, in}, exitUsage, "not a regular file (a directory)"},
		{"fifo input", []string{"convert", "-o", filepath.Join(dir, "out.pdf"), fifo}, exitFail, "not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := gateway(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(in); !bytes.Equal(b, scan) {
		t.Error("the input was changed")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Error("the link's target was changed")
	}
}

// First boot: run without its settings file starts the panel in Setup (the sim prints its screens when it
// has no terminal); delivery alone cannot be set up that way and says what to write.
func TestRunFirstBoot(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "etc", "gateway.toml")
	cmd := exec.Command(gatewayBin, "run", "--board", "sim", "-config", missing, "--spool", filepath.Join(dir, "spool"))
	var out, errb lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for deadline := time.Now().Add(signalGuard); !strings.Contains(out.String(), "Setup: Back key"); {
		select {
		case err := <-done:
			t.Fatalf("run ended: %v\n%s%s", err, out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no Setup screen:\n%s%s", out.String(), errb.String())
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := <-done; err != nil {
		t.Fatalf("run after SIGTERM: %v\n%s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "no mail account set up") || !strings.Contains(errb.String(), missing) {
		t.Errorf("run's log does not say why it shows Setup:\n%s", errb.String())
	}
	r := gateway(t, "run", "--board", "none", "-config", missing)
	if r.code != exitFail || !strings.Contains(r.stderr, missing+": no such file") {
		t.Errorf("run --board none without settings: exit %d, %s", r.code, r.stderr)
	}
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

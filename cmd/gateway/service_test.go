package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/board/watchdog"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/smtpserver"
)

// ---- the decisions, without a process

// fakeFeed is a watchdog that records its kicks and answers with err.
type fakeFeed struct {
	kicks chan struct{}
	err   atomic.Pointer[error]
}

func newFakeFeed() *fakeFeed { return &fakeFeed{kicks: make(chan struct{}, 100)} }

func (f *fakeFeed) kick() error {
	f.kicks <- struct{}{}
	if err := f.err.Load(); err != nil {
		return *err
	}
	return nil
}

func (f *fakeFeed) fail(err error) { f.err.Store(&err) }

// count takes the kicks made so far.
func (f *fakeFeed) count() int {
	n := 0
	for {
		select {
		case <-f.kicks:
			n++
		default:
			return n
		}
	}
}

// The watchdogs are fed at each tick while the gateway is healthy, and at none while it is hung: the board
// resets, systemd restarts the service. A feed that fails is logged once and tried again; a closed one is left.
func TestKeepAliveFeedsOnlyWhileHealthy(t *testing.T) {
	hw, sd, gone := newFakeFeed(), newFakeFeed(), newFakeFeed()
	gone.fail(fmt.Errorf("%w: /dev/watchdog", watchdog.ErrClosed))
	feeds := []feed{{"hw", 5 * time.Second, hw.kick}, {"systemd", time.Second, sd.kick}, {"gone", time.Second, gone.kick}}
	if d := feedInterval(feeds); d != time.Second {
		t.Errorf("feedInterval = %v, want the shortest period", d)
	}
	var logb lockedBuffer
	log := slog.New(slog.NewTextHandler(&logb, nil))
	// Each look at the health waits for the test's answer, and a tick is taken only when keepAlive waits for
	// it: every step is in the test's hands.
	health := make(chan bool)
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		keepAlive(ctx, ticks, func() bool { return <-health }, feeds, log)
		close(done)
	}()
	// at answers the health of one round and returns the kicks it made, once keepAlive waits for a tick again.
	at := func(healthy bool) (int, int) {
		health <- healthy
		ticks <- time.Time{}
		return hw.count(), sd.count()
	}
	if h, s := at(true); h != 1 || s != 1 {
		t.Fatalf("healthy: %d and %d kicks, want 1 each", h, s)
	}
	if h, s := at(true); h != 1 || s != 1 {
		t.Fatalf("healthy at a tick: %d and %d kicks, want 1 each", h, s)
	}
	if n := gone.count(); n != 1 {
		t.Errorf("a closed watchdog was kicked %d times, want once (then left alone)", n)
	}
	for range 3 {
		if h, s := at(false); h != 0 || s != 0 {
			t.Fatalf("hung: %d and %d kicks, want none", h, s)
		}
	}
	if n := strings.Count(logb.String(), "no longer fed"); n != 1 {
		t.Errorf("the hang is logged %d times, want once:\n%s", n, logb.String())
	}
	sd.fail(errors.New("connection refused"))
	for range 3 {
		if h, s := at(true); h != 1 || s != 1 {
			t.Fatalf("healthy again, systemd failing: %d and %d kicks, want 1 each", h, s)
		}
	}
	if n := strings.Count(logb.String(), "feeding the watchdog"); n != 1 {
		t.Errorf("a failing feed is logged %d times, want once:\n%s", n, logb.String())
	}
	if !strings.Contains(logb.String(), "shows life again") {
		t.Errorf("the recovery is not logged:\n%s", logb.String())
	}
	health <- false
	cancel()
	<-done
}

// The notifications keep systemd's order: nothing before the first READY=1 claims a reload, a reload is
// RELOADING=1 with MONOTONIC_USEC and then READY=1, and nothing follows STOPPING=1.
func TestManagerOrder(t *testing.T) {
	var sent []string
	m := &manager{send: func(s string) (bool, error) { sent = append(sent, s); return true, nil }, log: slog.New(slog.DiscardHandler)}
	m.reloading()
	m.reloaded("Ready: early")
	if len(sent) != 0 {
		t.Fatalf("before READY=1: %q", sent)
	}
	m.ready("Ready: sending through mail:587")
	m.reloading()
	m.reloaded("Ready: sending through other:587")
	m.stopping()
	m.ready("Ready: late")
	m.reloaded("Ready: late")
	if len(sent) != 4 {
		t.Fatalf("sent %q", sent)
	}
	if sent[0] != "READY=1\nSTATUS=Ready: sending through mail:587" {
		t.Errorf("ready: %q", sent[0])
	}
	lines := strings.Split(sent[1], "\n")
	if lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Errorf("reloading: %q", sent[1])
	} else if usec, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64); err != nil || usec <= 0 {
		t.Errorf("MONOTONIC_USEC: %q", lines[1])
	}
	if sent[2] != "READY=1\nSTATUS=Ready: sending through other:587" || !strings.HasPrefix(sent[3], "STOPPING=1") {
		t.Errorf("reloaded, stopping: %q", sent[2:])
	}
}

// A long start (the clock wait) asks systemd for more time at every period, with the reason, until it ends.
func TestManagerWaiting(t *testing.T) {
	sent := make(chan string, 100)
	m := &manager{send: func(s string) (bool, error) { sent <- s; return true, nil }, log: slog.New(slog.DiscardHandler)}
	stop := m.waiting("Waiting for the clock", 10*time.Millisecond)
	for range 3 {
		if s := <-sent; s != "EXTEND_TIMEOUT_USEC=30000\nSTATUS=Waiting for the clock" {
			t.Fatalf("sent %q", s)
		}
	}
	stop()
	for len(sent) > 0 {
		<-sent
	}
	time.Sleep(30 * time.Millisecond)
	if len(sent) != 0 {
		t.Errorf("%d notifications after the wait ended", len(sent))
	}
}

// The status line follows changes made without a reload (a panel save that ends the setup), once each.
func TestManagerFollowsStatus(t *testing.T) {
	sent := make(chan string, 100)
	m := &manager{send: func(s string) (bool, error) { sent <- s; return true, nil }, log: slog.New(slog.DiscardHandler)}
	var status atomic.Pointer[string]
	set := func(s string) { status.Store(&s) }
	set("Not set up: fill in [account]")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.follow(ctx, func() string { return *status.Load() }, 5*time.Millisecond)
		close(done)
	}()
	time.Sleep(30 * time.Millisecond)
	if len(sent) != 0 {
		t.Fatalf("a status before READY=1: %q", <-sent)
	}
	m.ready("Not set up: fill in [account]")
	<-sent
	set("Ready: sending through mail:587")
	if s := <-sent; s != "STATUS=Ready: sending through mail:587" {
		t.Errorf("sent %q", s)
	}
	time.Sleep(30 * time.Millisecond)
	if len(sent) != 0 {
		t.Errorf("the same status sent again: %q", <-sent)
	}
	cancel()
	<-done
}

// systemd's watchdog is fed every half of WATCHDOG_USEC, and only by the process WATCHDOG_PID names.
func TestWatchdogFeedFromEnvironment(t *testing.T) {
	var sent []string
	m := &manager{send: func(s string) (bool, error) { sent = append(sent, s); return true, nil }, log: slog.New(slog.DiscardHandler)}
	t.Setenv("WATCHDOG_USEC", "")
	if _, ok := m.watchdogFeed(); ok {
		t.Error("a feed without WATCHDOG_USEC")
	}
	t.Setenv("WATCHDOG_USEC", "2000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	f, ok := m.watchdogFeed()
	if !ok || f.every != time.Second {
		t.Fatalf("feed %v %v, want one every second", ok, f.every)
	}
	if err := f.kick(); err != nil || len(sent) != 1 || sent[0] != "WATCHDOG=1" {
		t.Errorf("kick: %v, sent %q", err, sent)
	}
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	if _, ok := m.watchdogFeed(); ok {
		t.Error("a feed for another process's watchdog")
	}
}

// ---- run under a fake systemd

// notifySocket listens where the gateway's notifications go (NOTIFY_SOCKET) and hands over each datagram.
func notifySocket(t *testing.T) (path string, msgs <-chan string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sd") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path = filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch := make(chan string, 1024)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return path, ch
}

// service is a gateway run under the fake systemd. Its output goes to files, which hold what it wrote before
// a notification when the notification arrives (a pipe's copy could lag).
type service struct {
	cmd            *exec.Cmd
	msgs           <-chan string
	stdout, stderr output
	done           chan struct{} // closed when the process has ended, with its error in err
	err            error
}

// output is a file that a process writes.
type output string

func (o output) String() string {
	b, _ := os.ReadFile(string(o))
	return string(b)
}

// startService starts gateway run with args, NOTIFY_SOCKET pointing at a socket of the test, and env added.
func startService(t *testing.T, env []string, args ...string) *service {
	t.Helper()
	path, msgs := notifySocket(t)
	cmd := exec.Command(gatewayBin, append([]string{"run"}, args...)...)
	cmd.Env = append(withoutSystemd(os.Environ()), "NOTIFY_SOCKET="+path)
	cmd.Env = append(cmd.Env, env...)
	dir := t.TempDir()
	s := &service{cmd: cmd, msgs: msgs, stdout: output(filepath.Join(dir, "stdout")), stderr: output(filepath.Join(dir, "stderr")),
		done: make(chan struct{})}
	out, err := os.Create(string(s.stdout))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errf, err := os.Create(string(s.stderr))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd.Stdout, cmd.Stderr = out, errf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill() // fails harmlessly once the process has ended
		<-s.done
	})
	return s
}

// withoutSystemd drops what a test runner started by systemd would pass on.
func withoutSystemd(env []string) []string {
	var out []string
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != "NOTIFY_SOCKET" && k != "WATCHDOG_USEC" && k != "WATCHDOG_PID" {
			out = append(out, kv)
		}
	}
	return out
}

// expect waits for the next notification whose first line is first, skipping watchdog pings, and returns it.
// Any other notification on the way fails the test: the order is part of the protocol.
func (s *service) expect(t *testing.T, first string) string {
	t.Helper()
	timeout := time.After(signalGuard)
	done := s.done
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				t.Fatalf("the notify socket closed while waiting for %s", first)
			}
			if m == "WATCHDOG=1" && first != m {
				continue
			}
			if line, _, _ := strings.Cut(m, "\n"); line != first {
				t.Fatalf("notification %q, want %s first\n%s", m, first, s.stderr.String())
			}
			return m
		case <-done:
			// What it sent before it ended may still wait in the socket.
			done, timeout = nil, time.After(time.Second)
		case <-timeout:
			if done == nil {
				t.Fatalf("run ended (%v) without %s:\n%s", s.err, first, s.stderr.String())
			}
			t.Fatalf("no %s within %v:\n%s", first, signalGuard, s.stderr.String())
		}
	}
}

// reload sends SIGHUP and returns the READY=1 that ends the reload, after its RELOADING=1.
func (s *service) reload(t *testing.T) string {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGHUP)
	if m := s.expect(t, "RELOADING=1"); !strings.Contains(m, "\nMONOTONIC_USEC=") {
		t.Errorf("reload notification without MONOTONIC_USEC: %q", m)
	}
	return s.expect(t, "READY=1")
}

// stop sends SIGTERM and checks STOPPING=1 and the exit status 0.
func (s *service) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.expect(t, "STOPPING=1")
	select {
	case <-s.done:
		if s.err != nil {
			t.Errorf("run after SIGTERM: %v\n%s", s.err, s.stderr.String())
		}
	case <-time.After(signalGuard):
		t.Fatalf("run still runs %v after SIGTERM", signalGuard)
	}
}

// mailRig is a mail server with two accounts, and the files that the settings name.
type mailRig struct {
	srv                *smtpserver.Server
	dir, maildir, scan string
	ca, spool          string
}

func newMailRig(t *testing.T) *mailRig {
	t.Helper()
	dir := t.TempDir()
	r := &mailRig{dir: dir, maildir: filepath.Join(dir, "mail"), scan: filepath.Join(dir, "scan.tif"),
		ca: filepath.Join(dir, "ca.pem"), spool: filepath.Join(dir, "spool")}
	srv, err := smtpserver.Start(smtpserver.Config{Addr: "127.0.0.1:0", Maildir: r.maildir,
		Users: map[string]string{"scanner": "right-pass", "other": "other-pass"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r.srv = srv
	os.WriteFile(r.ca, srv.Authority().PEM, 0o600)
	os.WriteFile(r.scan, mfpsim.SamplePages().Data, 0o600)
	for user, pw := range map[string]string{"scanner": "right-pass", "other": "other-pass"} {
		os.WriteFile(filepath.Join(dir, user+".pw"), []byte(pw+"\n"), 0o600)
	}
	return r
}

// settings returns a settings file's text: the account of user (none when empty), the board, and a one-entry
// address book.
func (r *mailRig) settings(user, board, dest string) string {
	var b strings.Builder
	if user != "" {
		fmt.Fprintf(&b, "[account]\nserver = %q\nsecurity = \"starttls\"\nuser = %q\npassword_file = %q\nca_file = %q\nfrom = \"Scanner <%s@example.com>\"\n\n",
			r.srv.Addr(), user, filepath.Join(r.dir, user+".pw"), r.ca, user)
	}
	fmt.Fprintf(&b, "[spool]\ndir = %q\n\n[board]\nprofile = %q\n\n[[addressbook]]\nname = %q\naddress = \"sales@example.com\"\n", r.spool, board, dest)
	return b.String()
}

func writeSettings(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// queue queues the scan for sales@example.com with the settings file cfg, without waiting.
func (r *mailRig) queue(t *testing.T, cfg string) {
	t.Helper()
	if res := gateway(t, "send", "--no-wait", "-config", cfg, "--to", "sales@example.com", r.scan); res.code != 0 {
		t.Fatalf("send --no-wait: exit %d %s", res.code, res.stderr)
	}
}

// waitMail waits for the n-th mail and returns it.
func (r *mailRig) waitMail(t *testing.T, s *service, n int) []byte {
	t.Helper()
	for deadline := time.Now().Add(signalGuard); ; time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(r.maildir, "new", "*"))
		if len(files) > n {
			t.Fatalf("%d mails, want %d", len(files), n)
		}
		if len(files) == n {
			var newest []byte
			var when time.Time
			for _, f := range files {
				if st, err := os.Stat(f); err == nil && !st.ModTime().Before(when) {
					when = st.ModTime()
					newest, _ = os.ReadFile(f)
				}
			}
			return newest
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail %d not delivered within %v:\n%s", n, signalGuard, s.stderr.String())
		}
	}
}

// Under systemd, run tells when it is ready, feeds the watchdog, reloads its settings on SIGHUP (a broken
// file leaves the old ones in force) and tells when it stops.
func TestRunUnderSystemd(t *testing.T) {
	r := newMailRig(t)
	cfg := filepath.Join(r.dir, "gateway.toml")
	writeSettings(t, cfg, r.settings("scanner", "none", "Sales"))
	s := startService(t, []string{"WATCHDOG_USEC=2000000"}, "-config", cfg)
	if m := s.expect(t, "READY=1"); m != "READY=1\nSTATUS=Ready: sending through "+r.srv.Addr() {
		t.Errorf("ready: %q", m)
	}
	for range 3 {
		s.expect(t, "WATCHDOG=1")
	}

	// Another account, reloaded: the next job goes out with it.
	writeSettings(t, cfg, r.settings("other", "none", "Sales"))
	if m := s.reload(t); m != "READY=1\nSTATUS=Ready: sending through "+r.srv.Addr() {
		t.Errorf("ready after the reload: %q", m)
	}
	if !strings.Contains(s.stderr.String(), `msg="settings reloaded"`) {
		t.Errorf("the reload is not logged:\n%s", s.stderr.String())
	}
	good := filepath.Join(r.dir, "good.toml")
	writeSettings(t, good, r.settings("other", "none", "Sales"))
	r.queue(t, good)
	if m := r.waitMail(t, s, 1); !bytes.Contains(headerOf(m), []byte("(authenticated user other)")) {
		t.Errorf("the job did not go out with the reloaded account:\n%s", headerOf(m))
	}

	// A broken file: logged with the setting at fault; the service goes on with the settings in force.
	writeSettings(t, cfg, strings.Replace(r.settings("scanner", "none", "Sales"), `"starttls"`, `"sometimes"`, 1))
	m := s.reload(t)
	if !strings.HasPrefix(m, "READY=1\nSTATUS=Ready: sending through ") || !strings.Contains(m, "not reloaded") || !strings.Contains(m, "account.security") {
		t.Errorf("ready after a failed reload: %q", m)
	}
	if log := s.stderr.String(); !strings.Contains(log, `level=ERROR msg="settings not reloaded: the previous settings stay in force"`) ||
		!strings.Contains(log, "account.security") || !strings.Contains(log, cfg) {
		t.Errorf("the failed reload is not logged with its cause and file:\n%s", log)
	}
	r.queue(t, good)
	if m := r.waitMail(t, s, 2); !bytes.Contains(headerOf(m), []byte("(authenticated user other)")) {
		t.Errorf("after a failed reload the job did not go out with the settings in force:\n%s", headerOf(m))
	}
	s.expect(t, "WATCHDOG=1") // still fed
	s.stop(t)
}

// First boot of a service without a panel: the settings file has no account yet. Under systemd run stays up,
// says what to do, and once the file is filled in and reloaded, the queued job goes out. Run by hand, it exits
// with the same advice as before.
func TestRunFirstBootUnderSystemd(t *testing.T) {
	r := newMailRig(t)
	cfg := filepath.Join(r.dir, "gateway.toml")
	writeSettings(t, cfg, r.settings("", "none", "Sales"))

	if res := gateway(t, "run", "-config", cfg); res.code != exitFail || !strings.Contains(res.stderr, "account.") {
		t.Errorf("run without an account, by hand: exit %d, %s", res.code, res.stderr)
	}

	s := startService(t, nil, "-config", cfg)
	want := "READY=1\nSTATUS=Not set up: fill in [account] in " + cfg + ", then systemctl reload scangate"
	if m := s.expect(t, "READY=1"); m != want {
		t.Errorf("ready: %q, want %q", m, want)
	}
	if log := s.stderr.String(); strings.Count(log, "no mail account in "+cfg+": fill in [account], then systemctl reload scangate") != 1 {
		t.Errorf("run does not say once what to write:\n%s", log)
	}
	good := filepath.Join(r.dir, "good.toml")
	writeSettings(t, good, r.settings("scanner", "none", "Sales"))
	r.queue(t, good)

	// A reload of a file still without an account changes nothing.
	if m := s.reload(t); !strings.HasPrefix(m, "READY=1\nSTATUS=Not set up: ") {
		t.Errorf("ready after reloading a file without an account: %q", m)
	}
	if n := mailCount(r.maildir); n != 0 {
		t.Fatalf("%d mails sent without an account", n)
	}

	writeSettings(t, cfg, r.settings("scanner", "none", "Sales"))
	if m := s.reload(t); m != "READY=1\nSTATUS=Ready: sending through "+r.srv.Addr() {
		t.Errorf("ready after the account was filled in: %q", m)
	}
	if m := r.waitMail(t, s, 1); !bytes.Contains(headerOf(m), []byte("(authenticated user scanner)")) {
		t.Errorf("mail:\n%s", headerOf(m))
	}
	s.stop(t)
}

// With a panel, READY=1 comes once the panel's key loop runs (the sim prints its first screen before); a
// reloaded address book reaches the panel.
func TestRunSimReadyAfterPanel(t *testing.T) {
	r := newMailRig(t)
	cfg := filepath.Join(r.dir, "gateway.toml")
	writeSettings(t, cfg, r.settings("scanner", "sim", "Sales"))
	s := startService(t, nil, "-config", cfg)
	s.expect(t, "READY=1")
	screens := s.stdout.String
	if !strings.Contains(screens(), "To: Sales") {
		t.Errorf("READY=1 before the panel showed its ready screen:\n%s", screens())
	}
	writeSettings(t, cfg, r.settings("scanner", "sim", "Accounts"))
	s.reload(t)
	for deadline := time.Now().Add(signalGuard); !strings.Contains(screens(), "To: Accounts"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the panel does not show the reloaded address book:\n%s\n%s", screens(), s.stderr.String())
		}
	}
	s.stop(t)
}

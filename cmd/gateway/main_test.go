package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/document"
	"github.com/scangate/gateway/internal/toolrun"
	"github.com/scangate/gateway/smtpserver"
)

// gatewayBin is the binary built once for the tests that run it as a user would.
var gatewayBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gateway-test-")
	if err != nil {
		panic(err)
	}
	gatewayBin = filepath.Join(dir, "gateway")
	out, err := exec.Command("go", "build", "-o", gatewayBin, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hangGuard bounds a whole command run, so that a hang fails the test instead of stalling the suite.
// It is not a speed check.
const hangGuard = 3 * time.Minute

type result struct {
	code           int
	stdout, stderr string
}

func gateway(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatewayBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("gateway %v: %v", args, err)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Fatalf("gateway %v crashed:\n%s", args, r.stderr)
	}
	return r
}

// oneLine checks that a failure is told in one plain line (plus, for usage errors, a hint).
func oneLine(t *testing.T, r result, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("stderr = %q, want one line containing %q", r.stderr, want)
	}
}

func TestDemoOnce(t *testing.T) {
	maildir := filepath.Join(t.TempDir(), "mail")
	r := gateway(t, "demo", "--once", "--keys", "send", "--maildir", maildir, "--dir", t.TempDir())
	if r.code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	if len(files) != 1 {
		t.Fatalf("%d mails in %s/new, want 1\n%s", len(files), maildir, r.stdout)
	}
	if !strings.Contains(r.stdout, "Delivered: "+files[0]) {
		t.Errorf("demo did not say where the mail landed:\n%s", r.stdout)
	}
	sample := mfpsim.SamplePages()
	pages, err := document.ReadTIFF(bytes.NewReader(sample.Data), int64(len(sample.Data)))
	if err != nil {
		t.Fatal(err)
	}
	checkMail(t, files[0], len(pages), "demo")
}

// checkMail reads a delivered mail: headers present, received with TLS and AUTH, and a PDF attachment that
// passes qpdf --check and has the expected number of pages.
func checkMail(t *testing.T, path string, wantPages int, wantUser string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mr, err := mail.CreateReader(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"From", "To", "Subject", "Date", "Message-Id"} {
		if mr.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if rcv := mr.Header.Get("Received"); !strings.Contains(rcv, "with ESMTPSA (TLS 1.") || !strings.Contains(rcv, "authenticated user "+wantUser) {
		t.Errorf("Received: %s (want TLS and AUTH)", rcv)
	}
	var pdf []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ah, ok := p.Header.(*mail.AttachmentHeader); ok {
			ct, _, _ := mime.ParseMediaType(ah.Get("Content-Type"))
			if ct != "application/pdf" {
				t.Errorf("attachment type %q", ct)
			}
			pdf, _ = io.ReadAll(p.Body)
		}
	}
	if pdf == nil {
		t.Fatal("no attachment")
	}
	pdfPath := filepath.Join(t.TempDir(), "scan.pdf")
	os.WriteFile(pdfPath, pdf, 0o600)
	toolrun.Need(t, "qpdf", "pdfinfo")
	if out, err := exec.Command("qpdf", "--check", pdfPath).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command("pdfinfo", pdfPath).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindStringSubmatch(string(out))
	if m == nil || m[1] != strconv.Itoa(wantPages) {
		t.Errorf("pdfinfo says %v pages, want %d", m, wantPages)
	}
}

// sendSetup starts an embedded server and writes what "gateway send" needs: a CA file, a password file and
// a scanned TIFF.
func sendSetup(t *testing.T, password string) (srv *smtpserver.Server, maildir string, args []string) {
	t.Helper()
	dir := t.TempDir()
	maildir = filepath.Join(dir, "mail")
	srv, err := smtpserver.Start(smtpserver.Config{Addr: "127.0.0.1:0", Users: map[string]string{"scanner": "right-pass"}, Maildir: maildir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ca := filepath.Join(dir, "ca.pem")
	pw := filepath.Join(dir, "pw")
	tif := filepath.Join(dir, "scan.tif")
	os.WriteFile(ca, srv.Authority().PEM, 0o600)
	os.WriteFile(pw, []byte(password+"\n"), 0o600)
	os.WriteFile(tif, mfpsim.SamplePages().Data, 0o600)
	return srv, maildir, []string{"send", "--server", srv.Addr(), "--user", "scanner", "--password-file", pw,
		"--ca-file", ca, "--from", "Scanner <scanner@example.com>", "--spool", filepath.Join(dir, "spool"),
		"--to", "sales@example.com", tif}
}

func TestSend(t *testing.T) {
	_, maildir, args := sendSetup(t, "right-pass")
	r := gateway(t, args...)
	if r.code != 0 {
		t.Fatalf("send exit %d: %s", r.code, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	if len(files) != 1 {
		t.Fatalf("%d mails delivered", len(files))
	}
	checkMail(t, files[0], 3, "scanner")
}

func TestSendWrongPassword(t *testing.T) {
	_, maildir, args := sendSetup(t, "wrong-pass")
	r := gateway(t, args...)
	if r.code != exitFail {
		t.Fatalf("exit %d, want %d: %s", r.code, exitFail, r.stderr)
	}
	oneLine(t, r, "job #1 held: The mail server rejected the user name or password (535 5.7.8")
	if strings.Contains(r.stderr, "wrong-pass") {
		t.Error("the password was printed")
	}
	if files, _ := filepath.Glob(filepath.Join(maildir, "new", "*")); len(files) != 0 {
		t.Error("a mail was delivered")
	}
}

func TestSendServerUnreachable(t *testing.T) {
	_, _, args := sendSetup(t, "right-pass")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	args[2] = closed
	r := gateway(t, args...)
	if r.code != exitTemp {
		t.Fatalf("exit %d, want %d (temporary): %s", r.code, exitTemp, r.stderr)
	}
	oneLine(t, r, "job #1 not sent yet: Cannot reach the mail server")
}

func TestConvert(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "scan.tif")
	os.WriteFile(in, mfpsim.SamplePages().Data, 0o600)
	out := filepath.Join(dir, "scan.pdf")
	r := gateway(t, "convert", "-o", out, in, in)
	if r.code != 0 {
		t.Fatalf("convert exit %d: %s", r.code, r.stderr)
	}
	toolrun.Need(t, "qpdf")
	if o, err := exec.Command("qpdf", "--check", out).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, o)
	}
	if !strings.Contains(r.stdout, ": 6 pages") {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("not a scan\n"), 0o600)
	unreadable := filepath.Join(dir, "locked.tif")
	os.WriteFile(unreadable, []byte("II*\x00"), 0o000)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"convert", "-o", filepath.Join(dir, "a.pdf"), filepath.Join(dir, "missing.tif")}, exitFail, "no such file"},
		{"not a TIFF", []string{"convert", "-o", filepath.Join(dir, "b.pdf"), txt}, exitFail, "not a TIFF file"},
		{"no output", []string{"convert", txt}, exitUsage, "-o OUT is required"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"bad key", []string{"demo", "--keys", "sned"}, exitUsage, "unknown key"},
		{"send without server", []string{"send", "--to", "a@b.c", txt}, exitFail, "account.server: missing"},
	}
	if os.Geteuid() != 0 { // root reads any file
		tests = append(tests, struct {
			name string
			args []string
			code int
			want string
		}{"unreadable file", []string{"convert", "-o", filepath.Join(dir, "c.pdf"), unreadable}, exitFail, "permission denied"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gateway(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
	for _, name := range []string{"a.pdf", "b.pdf"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was left behind after a failed conversion", name)
		}
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	r := gateway(t, "help")
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		if !strings.Contains(r.stdout, "  "+c.name) {
			t.Errorf("help does not list %s", c.name)
		}
	}
	if r := gateway(t, "help", "send"); !strings.Contains(r.stdout, "-password-file") {
		t.Errorf("help send:\n%s", r.stdout)
	}
}

func TestCheck(t *testing.T) {
	_, _, args := sendSetup(t, "right-pass")
	account := append([]string{"check", "-v"}, args[1:11]...) // the account flags of send, without --to and the file
	r := gateway(t, account...)
	if r.code != 0 {
		t.Fatalf("check exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"  DNS ", "  TCP   connected to 127.0.0.1:", "  TLS   TLS 1.3", "  AUTH  PLAIN accepted",
		"C: AUTH PLAIN [credentials redacted]", "The account works: the server accepted PLAIN authentication over TLS 1.3."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, r.stdout)
		}
	}
	secret := base64.StdEncoding.EncodeToString([]byte("\x00scanner\x00right-pass"))
	if strings.Contains(r.stdout, "right-pass") || strings.Contains(r.stdout, secret) {
		t.Errorf("the transcript shows the password:\n%s", r.stdout)
	}

	_, _, args = sendSetup(t, "wrong-pass")
	r = gateway(t, append([]string{"check"}, args[1:11]...)...)
	if r.code != exitFail || !strings.Contains(r.stdout, "Not working: The mail server rejected the user name or password (535 5.7.8") ||
		!strings.Contains(r.stdout, "FAIL  at AUTH") {
		t.Fatalf("check with a wrong password: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

package appliance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/document"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/panel/paneltest"
	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/smtpserver"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// hangGuard bounds a test's wait for the appliance; it is not a speed check.
const hangGuard = 2 * time.Minute

type rig struct {
	cfg     *config.Config
	srv     *smtpserver.Server
	maildir string
}

// newRig wires an embedded mail server and a config around the given machine port.
func newRig(t *testing.T, port, password string) *rig {
	t.Helper()
	dir := t.TempDir()
	maildir := filepath.Join(dir, "mail")
	srv, err := smtpserver.Start(smtpserver.Config{Addr: "127.0.0.1:0", Users: map[string]string{"scanner": "right"}, Maildir: maildir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg := config.Default()
	cfg.Account = config.Account{Server: srv.Addr(), Security: "starttls", User: "scanner",
		Password: config.Secret(password), From: "Scanner <scanner@example.com>"}
	cfg.AddressBook = []config.Destination{{Name: "Sales", Address: "sales@example.com"}}
	cfg.Device.Port = port
	cfg.Device.Timeout = config.Duration{Duration: 5 * time.Second}
	cfg.Spool.Dir = filepath.Join(dir, "spool")
	return &rig{cfg: cfg, srv: srv, maildir: maildir}
}

func machine(t *testing.T) *mfpsim.MFP {
	t.Helper()
	m, err := mfpsim.Start(context.Background(), []mfpsim.Document{mfpsim.SamplePages()}, "zmodem")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func (r *rig) gateway(t *testing.T) *Gateway {
	t.Helper()
	g, err := New(r.cfg, Options{RootCAs: r.srv.CertPool(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func runScript(t *testing.T, g *Gateway, keys ...panel.Key) (*paneltest.Display, error) {
	t.Helper()
	d := paneltest.NewDisplay(16, 2)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	err := g.Run(ctx, &board.Board{Display: d}, PanelOptions{Script: keys, Once: true})
	return d, err
}

func jobs(t *testing.T, dir string) []*spool.Job {
	t.Helper()
	s, err := spool.Open(dir, spool.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	js, broken, err := s.List()
	if err != nil || len(broken) > 0 {
		t.Fatal(err, broken)
	}
	return js
}

func TestSendKeyDeliversAScan(t *testing.T) {
	r := newRig(t, machine(t).PortPath(), "right")
	d, err := runScript(t, r.gateway(t), panel.KeySend)
	if err != nil {
		t.Fatalf("RunPanel: %v\n%s", err, d)
	}
	if got := d.Lines(); !strings.HasPrefix(got[0], "Sent to Sales") || !strings.HasPrefix(got[1], "3 pages") {
		t.Errorf("screen after delivery:\n%s", d)
	}
	files, _ := filepath.Glob(filepath.Join(r.maildir, "new", "*"))
	if len(files) != 1 {
		t.Fatalf("%d mails", len(files))
	}
	js := jobs(t, r.cfg.Spool.Dir)
	if len(js) != 1 || js[0].State != spool.Sent || js[0].Attempts != 1 {
		t.Fatalf("jobs: %+v", js)
	}
	// Once sent, the job's files go: the journal keeps the record, and a spool of sent jobs never fills the
	// card.
	for _, f := range []string{"scan0001.tif", "scan.pdf", "message.eml"} {
		if _, err := os.Stat(filepath.Join(r.cfg.Spool.Dir, "jobs", js[0].ID, f)); !os.IsNotExist(err) {
			t.Errorf("%s of a sent job: %v", f, err)
		}
	}
	sp, _ := spool.Open(r.cfg.Spool.Dir, spool.Limits{})
	if e, _, _ := sp.ReadJournal(); len(e) != 1 || e[0].Outcome != "sent" || e[0].Pages != 3 {
		t.Errorf("journal %+v", e)
	}
}

func TestWrongPasswordIsShownAndKept(t *testing.T) {
	r := newRig(t, machine(t).PortPath(), "wrong")
	d, err := runScript(t, r.gateway(t), panel.KeySend)
	if !errors.Is(err, smtpauth.ErrCredentials) {
		t.Fatalf("RunPanel = %v, want credentials rejected", err)
	}
	if !strings.Contains(d.String(), "Wrong password") {
		t.Errorf("screen:\n%s", d)
	}
	js := jobs(t, r.cfg.Spool.Dir)
	if len(js) != 1 || js[0].State != spool.Held || !js[0].AccountHold || js[0].LastResult != "Wrong password" {
		t.Fatalf("the scan must stay in the spool, held with its reason: %+v", js)
	}
	// The scan, its PDF and its mail are the office's documents: no other user of the board reads them.
	filepath.WalkDir(r.cfg.Spool.Dir, func(path string, e fs.DirEntry, err error) error {
		if info, ierr := e.Info(); err == nil && ierr == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v", path, info.Mode().Perm())
		}
		return nil
	})
}

// A machine that never answers: Stop ends the pull, and nothing half-received is kept.
func TestStopDuringPull(t *testing.T) {
	pty, err := mfpsim.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	r := newRig(t, pty.Path(), "right")
	r.cfg.Device.Timeout = config.Duration{Duration: hangGuard}
	g := r.gateway(t)
	d := paneltest.NewDisplay(16, 2)
	keys := make(chan panel.Key)
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	go func() {
		done <- g.Run(ctx, &board.Board{Display: d, Keys: keys}, PanelOptions{Once: true, OnResult: func(o Outcome) { t.Logf("outcome %v", o.Err) }})
	}()
	keys <- panel.KeySend
	// Wait until the gateway asks the machine for a scan (YMODEM's 'C').
	pty.Port().SetReadTimeout(hangGuard)
	if _, err := io.ReadFull(pty.Port(), make([]byte, 1)); err != nil {
		t.Fatalf("the gateway did not ask the machine: %v\n%s", err, d)
	}
	select {
	case keys <- panel.KeyStop:
	case err := <-done:
		t.Fatalf("the job ended before Stop: %v\n%s", err, d)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunPanel = %v, want cancelled", err)
	}
	if !strings.Contains(d.String(), "Stopped") {
		t.Errorf("screen:\n%s", d)
	}
	if js := jobs(t, r.cfg.Spool.Dir); len(js) != 0 {
		t.Errorf("a stopped pull left jobs: %+v", js)
	}
	if st, _ := os.ReadDir(filepath.Join(r.cfg.Spool.Dir, "staging")); len(st) != 0 {
		t.Errorf("a stopped pull left staging directories")
	}
}

func TestScriptWithoutSend(t *testing.T) {
	r := newRig(t, "/dev/null", "right")
	if _, err := runScript(t, r.gateway(t), panel.KeyDown, panel.KeyUp); !errors.Is(err, ErrScriptEnded) {
		t.Fatalf("RunPanel = %v, want the script to end without a delivery", err)
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		err   error
		short string
		long  string
	}{
		{&submit.Error{Op: "AUTH", Err: &smtpauth.Error{Kind: smtpauth.CredentialsRejected,
			Reply: &smtpauth.Reply{Code: 535, Enhanced: [3]int{5, 7, 8}, Lines: []string{"no"}}}},
			"Wrong password", "rejected the user name or password (535 5.7.8 no)"},
		{&submit.Error{Op: "TLS", Err: fmt.Errorf("%w: x509: certificate signed by unknown authority", submit.ErrCertificate)},
			"Server cert bad", "unknown authority"},
		{&submit.Error{Op: "STARTTLS", Temp: true, Err: submit.ErrNoStartTLS}, "TLS refused", "does not offer STARTTLS"},
		{&submit.Error{Op: "connect", Temp: true, Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}},
			"Server down", "Cannot reach the mail server: dial tcp: connection refused"},
		{&submit.Error{Op: "connect", Temp: true, Err: &net.DNSError{Err: "no such host", Name: "smtp.example.com"}},
			"Server unknown", "smtp.example.com"},
		{&submit.Error{Op: "MAIL", Temp: true, Reply: &smtpauth.Reply{Code: 421}}, "Server busy", "try again later"},
		{&submit.Error{Op: "RCPT", Reply: &smtpauth.Reply{Code: 550, Lines: []string{"no such user"}}}, "Mail refused", "550 no such user"},
		{&submit.Error{Op: "MAIL", Err: fmt.Errorf("%w: 9 octets", submit.ErrTooLarge)}, "Mail too large", "larger than"},
		{fmt.Errorf("device: %w", device.ErrTimeout), "No scan waiting", "did not answer"},
		{device.ErrCancelled, "Machine stopped", "cancelled"},
		{&document.InputError{File: "a.tif", Page: 2, Err: document.ErrDamaged}, "Bad scan file", "a.tif page 2"},
		{context.Canceled, "Stopped", "Stop"},
		{fmt.Errorf("%w: the queue holds 300 MB", spool.ErrFull), "Queue full", "no room"},
		{&submit.Error{Op: "TLS", Temp: true, Err: submit.ErrClockNotSet}, "Clock not set", "clock"},
		{&submit.Error{Op: "DNS", Err: &net.DNSError{Err: "no such host", Name: "smtp.example.com"}}, "Server unknown", "DNS"},
		{&submit.Error{Op: "AUTH", Err: &smtpauth.Error{Kind: smtpauth.CredentialsRejected, Mechanism: "XOAUTH2",
			Detail: "token refused: invalid_token", Reply: &smtpauth.Reply{Code: 535}}}, "Token refused", "invalid_token"},
		{errors.New("disk on fire"), "Failed", "disk on fire"},
	}
	for _, tt := range tests {
		short, long := Explain(tt.err)
		if short != tt.short || !strings.Contains(long, tt.long) {
			t.Errorf("Explain(%v) = %q, %q; want %q and %q", tt.err, short, long, tt.short, tt.long)
		}
		if len(short) > panel.MinCols {
			t.Errorf("%q does not fit a %d-column line", short, panel.MinCols)
		}
	}
}

// A missing machine port shows on the ready screen, and clears when it is back.
func TestMachineNotice(t *testing.T) {
	r := newRig(t, filepath.Join(t.TempDir(), "ttyUSB0"), "right")
	g := r.gateway(t)
	if n := g.machineNotice().Notice; n == nil || n.Text != "No machine" || !n.Problem {
		t.Fatalf("missing port: %+v", n)
	}
	os.WriteFile(r.cfg.Device.Port, nil, 0o600) // plugged in
	if n := g.machineNotice().Notice; n == nil || n.Text != "" {
		t.Fatalf("port back: %+v", n)
	}
	_, err := device.OpenSerial(device.SerialConfig{Path: filepath.Join(t.TempDir(), "ttyUSB9"), Baud: 9600})
	if short, _ := Explain(err); short != "No machine" {
		t.Errorf("Explain(%v) = %q, want No machine", err, short)
	}
	// A missing file is not a missing machine.
	dir := t.TempDir()
	_, err = document.Convert(context.Background(), filepath.Join(dir, "scan.pdf"), []string{filepath.Join(dir, "scan.tif")}, document.Info{})
	if short, long := Explain(err); short != "File missing" || strings.Contains(long, "cable") {
		t.Errorf("Explain(%v) = %q, %q", err, short, long)
	}
}

// A file from the machine that cannot fit in the spool is refused before it is taken: the card never fills,
// the machine keeps its document, the panel says the queue is full, and nothing is kept that would block the
// next Send.
func TestPullWithinTheSpoolsRoom(t *testing.T) {
	big := make([]byte, 3<<20)
	rand.NewChaCha8([32]byte{3}).Read(big)
	m, err := mfpsim.Start(context.Background(), []mfpsim.Document{{Name: "big.tif", Data: big}}, "zmodem")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	r := newRig(t, m.PortPath(), "right")
	r.cfg.Spool.MaxMB = 1
	d, err := runScript(t, r.gateway(t), panel.KeySend)
	if !errors.Is(err, spool.ErrFull) || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("RunPanel = %v", err)
	}
	if !strings.Contains(d.String(), "Queue full") {
		t.Errorf("screen:\n%s", d)
	}
	sp, _ := spool.Open(r.cfg.Spool.Dir, spool.Limits{})
	if used, _ := sp.Usage(); used > 64<<10 {
		t.Errorf("the spool holds %d bytes after a refused file", used)
	}
	if k, _ := sp.Kept(); k != nil {
		t.Errorf("a refused pull was kept: %+v", k)
	}
}

package frontpanel

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/appliance/appliancetest"
	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/panel/paneltest"
	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/spool"
)

// hangGuard bounds a test's wait for the appliance; it is not a speed check.
const hangGuard = 2 * time.Minute

// rig is the shared rig, for the tests of this package.
type rig struct{ *appliancetest.Rig }

func newRig(t *testing.T, port, password string) *rig {
	return &rig{appliancetest.NewRig(t, port, password)}
}

func machine(t *testing.T) *mfpsim.MFP { return appliancetest.Machine(t) }

func (r *rig) gateway(t *testing.T) *appliance.Gateway {
	t.Helper()
	g, err := appliance.New(r.Cfg, appliance.Options{RootCAs: r.Srv.CertPool(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func jobs(t *testing.T, dir string) []*spool.Job { return appliancetest.Jobs(t, dir) }

func runScript(t *testing.T, g *appliance.Gateway, keys ...panel.Key) (*paneltest.Display, error) {
	t.Helper()
	d := paneltest.NewDisplay(16, 2)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	err := Run(ctx, g, &board.Board{Display: d}, Options{Script: keys, Once: true})
	return d, err
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
	files, _ := filepath.Glob(filepath.Join(r.Maildir, "new", "*"))
	if len(files) != 1 {
		t.Fatalf("%d mails", len(files))
	}
	js := jobs(t, r.Cfg.Spool.Dir)
	if len(js) != 1 || js[0].State != spool.Sent || js[0].Attempts != 1 {
		t.Fatalf("jobs: %+v", js)
	}
	// Once sent, the job's files go: the journal keeps the record, and a spool of sent jobs never fills the
	// card.
	for _, f := range []string{"scan0001.tif", "scan.pdf", "message.eml"} {
		if _, err := os.Stat(filepath.Join(r.Cfg.Spool.Dir, "jobs", js[0].ID, f)); !os.IsNotExist(err) {
			t.Errorf("%s of a sent job: %v", f, err)
		}
	}
	sp, _ := spool.Open(r.Cfg.Spool.Dir, spool.Limits{})
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
	js := jobs(t, r.Cfg.Spool.Dir)
	if len(js) != 1 || js[0].State != spool.Held || !js[0].AccountHold || js[0].LastResult != "Wrong password" {
		t.Fatalf("the scan must stay in the spool, held with its reason: %+v", js)
	}
	// The scan, its PDF and its mail are the office's documents: no other user of the board reads them.
	filepath.WalkDir(r.Cfg.Spool.Dir, func(path string, e fs.DirEntry, err error) error {
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
	r.Cfg.Device.Timeout = config.Duration{Duration: hangGuard}
	g := r.gateway(t)
	d := paneltest.NewDisplay(16, 2)
	keys := make(chan panel.Key)
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	go func() {
		done <- Run(ctx, g, &board.Board{Display: d, Keys: keys}, Options{Once: true, OnResult: func(o appliance.Outcome) { t.Logf("outcome %v", o.Err) }})
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
	if js := jobs(t, r.Cfg.Spool.Dir); len(js) != 0 {
		t.Errorf("a stopped pull left jobs: %+v", js)
	}
	if st, _ := os.ReadDir(filepath.Join(r.Cfg.Spool.Dir, "staging")); len(st) != 0 {
		t.Errorf("a stopped pull left staging directories")
	}
}

func TestScriptWithoutSend(t *testing.T) {
	r := newRig(t, "/dev/null", "right")
	if _, err := runScript(t, r.gateway(t), panel.KeyDown, panel.KeyUp); !errors.Is(err, ErrScriptEnded) {
		t.Fatalf("RunPanel = %v, want the script to end without a delivery", err)
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
	r.Cfg.Spool.MaxMB = 1
	d, err := runScript(t, r.gateway(t), panel.KeySend)
	if !errors.Is(err, spool.ErrFull) || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("RunPanel = %v", err)
	}
	if !strings.Contains(d.String(), "Queue full") {
		t.Errorf("screen:\n%s", d)
	}
	sp, _ := spool.Open(r.Cfg.Spool.Dir, spool.Limits{})
	if used, _ := sp.Usage(); used > 64<<10 {
		t.Errorf("the spool holds %d bytes after a refused file", used)
	}
	if k, _ := sp.Kept(); k != nil {
		t.Errorf("a refused pull was kept: %+v", k)
	}
}

// A job stopped on purpose waits in the queue without lighting the Error LED; a held one lights it.
func TestStoppedJobIsNoError(t *testing.T) {
	r := newRig(t, "/dev/null", "right")
	g := r.gateway(t)
	d, err := g.NewDeliverer()
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := g.Spool()
	scan := filepath.Join(t.TempDir(), "scan.tif")
	os.WriteFile(scan, mfpsim.SamplePages().Data, 0o600)
	j, err := g.Enqueue([]string{scan}, []string{"sales@example.com"}, "")
	if err != nil {
		t.Fatal(err)
	}
	d.Stop(j.ID)
	if j, _ = sp.Get(j.ID); j.State != spool.Held || !j.Stopped {
		t.Fatalf("stopped job %+v", j)
	}
	p, err := panel.New(paneltest.NewDisplay(16, 2), panel.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &front{g: g, d: d}
	p.Event(f.queueEvent())
	if p.LEDs().Error {
		t.Errorf("the Error LED is lit for a stopped job:\n%s", p.Screen())
	}
	j.State, j.Stopped, j.LastResult = spool.Held, false, "Mail too large"
	sp.Update(j)
	p.Event(f.queueEvent())
	if !p.LEDs().Error {
		t.Error("the Error LED is off for a held job")
	}
}

// A missing machine port shows on the ready screen, and clears when it is back.
func TestMachineNotice(t *testing.T) {
	r := newRig(t, filepath.Join(t.TempDir(), "ttyUSB0"), "right")
	g := r.gateway(t)
	if n := (&front{g: g}).notice().Notice; n == nil || n.Text != "No machine" || !n.Problem {
		t.Fatalf("missing port: %+v", n)
	}
	os.WriteFile(r.Cfg.Device.Port, nil, 0o600) // plugged in
	if n := (&front{g: g}).notice().Notice; n == nil || n.Text != "" {
		t.Fatalf("port back: %+v", n)
	}
}

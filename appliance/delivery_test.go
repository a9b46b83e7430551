package appliance

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/document"
	"github.com/scangate/gateway/smtpserver"
	"github.com/scangate/gateway/smtptest"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// clock is a settable clock for the delivery loop. It starts at the real time, since the mail server's
// certificate is checked against it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// loop is a gateway with its delivery loop and a spool of its own, for tests that step the loop by hand.
type loop struct {
	*rig
	clock *clock
	g     *Gateway
	d     *Deliverer
	sp    *spool.Spool
	scan  string // a sample scan file to enqueue
}

func newLoop(t *testing.T, password string) *loop {
	t.Helper()
	r := newRig(t, "/dev/null", password)
	l := &loop{rig: r, clock: newClock()}
	l.scan = filepath.Join(t.TempDir(), "scan.tif")
	os.WriteFile(l.scan, mfpsim.SamplePages().Data, 0o600)
	l.reload(t)
	return l
}

// reload makes a gateway from the rig's current config, as a restart after a settings change does.
func (l *loop) reload(t *testing.T) {
	t.Helper()
	g, err := New(l.Cfg, Options{RootCAs: l.Srv.CertPool(), Version: "test", Now: l.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.NewDeliverer()
	if err != nil {
		t.Fatal(err)
	}
	d.jitter = func() float64 { return 0 }
	sp, _ := g.Spool()
	l.g, l.d, l.sp = g, d, sp
}

func (l *loop) enqueue(t *testing.T, to ...string) *spool.Job {
	t.Helper()
	if len(to) == 0 {
		to = []string{"sales@example.com"}
	}
	j, err := l.g.Enqueue([]string{l.scan}, to, "")
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func (l *loop) job(t *testing.T, id string) *spool.Job {
	t.Helper()
	j, err := l.sp.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// serverDown stops the mail server and returns a function that starts a new one on the same address.
func (l *loop) serverDown(t *testing.T) (up func()) {
	t.Helper()
	addr := l.Srv.Addr()
	l.Srv.Close()
	return func() {
		srv, err := smtpserver.Start(smtpserver.Config{Addr: addr, Users: map[string]string{"scanner": "right"}, Maildir: l.Maildir})
		if err != nil {
			t.Fatalf("restarting the server on %s: %v", addr, err)
		}
		t.Cleanup(func() { srv.Close() })
		l.Srv = srv
		l.reload(t) // trust the new server's certificate
	}
}

func mails(t *testing.T, maildir string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	return len(files)
}

func TestDeferThenDeliverInOneSession(t *testing.T) {
	l := newLoop(t, "right")
	up := l.serverDown(t)
	a, b := l.enqueue(t), l.enqueue(t)
	start := l.clock.Now()
	l.d.Step(context.Background())
	for _, id := range []string{a.ID, b.ID} {
		j := l.job(t, id)
		if j.State != spool.Deferred || j.Attempts != 1 || j.NextAttempt.Sub(start) != time.Minute ||
			!strings.HasPrefix(j.LastResult, "Server down - retry ") {
			t.Fatalf("after a failed connection: %+v", j)
		}
	}
	// Not due yet: nothing is tried.
	l.clock.Add(30 * time.Second)
	l.d.Step(context.Background())
	if j := l.job(t, a.ID); j.Attempts != 1 {
		t.Fatalf("attempted before it was due: %+v", j)
	}
	up()
	l.clock.Add(time.Minute)
	l.d.Step(context.Background())
	for _, id := range []string{a.ID, b.ID} {
		if j := l.job(t, id); j.State != spool.Sent || j.Attempts != 2 {
			t.Fatalf("after the server came back: %+v", j)
		}
	}
	if st := l.Srv.Stats(); st.Sessions != 1 || st.Messages != 2 {
		t.Errorf("server saw %+v, want both mails in one session", st)
	}
	if n := mails(t, l.Maildir); n != 2 {
		t.Errorf("%d mails delivered", n)
	}
	entries, _, _ := l.sp.ReadJournal()
	var outcomes []string
	for _, e := range entries {
		outcomes = append(outcomes, e.Outcome)
	}
	if got := strings.Join(outcomes, ","); got != "deferred,deferred,sent,sent" {
		t.Errorf("journal outcomes %s", got)
	}
	if last := entries[len(entries)-1]; last.Code != 250 || last.Bytes == 0 || last.Pages != 3 {
		t.Errorf("journal entry %+v", last)
	}
}

func TestLifetimeRunsOut(t *testing.T) {
	l := newLoop(t, "right")
	l.Cfg.Spool.Lifetime = config.Duration{Duration: 3 * time.Hour}
	l.reload(t)
	l.serverDown(t)
	j := l.enqueue(t)
	for i := 0; i < 50; i++ {
		l.d.Step(context.Background())
		j = l.job(t, j.ID)
		if j.State != spool.Deferred {
			break
		}
		l.clock.Set(j.NextAttempt)
	}
	if j.State != spool.Failed || j.LastResult != "Gave up" {
		t.Fatalf("after the lifetime: %+v", j)
	}
	// Attempts at 0, 1, 3, 7, 15, 31, 63 and 123 minutes (the delay doubles, capped at an hour), then the last one
	// at the end of the lifetime.
	if j.Attempts != 9 || j.LastAttempt.Sub(j.Created) != 3*time.Hour {
		t.Errorf("%d attempts, the last %v after queueing", j.Attempts, j.LastAttempt.Sub(j.Created))
	}
}

func TestWrongPasswordHoldsTheAccount(t *testing.T) {
	l := newLoop(t, "wrong")
	jobs := []*spool.Job{l.enqueue(t), l.enqueue(t), l.enqueue(t)}
	for i := 0; i < 5; i++ {
		l.d.Step(context.Background())
		l.clock.Add(2 * time.Hour)
	}
	if st := l.Srv.Stats(); st.AuthFailures != 1 {
		t.Fatalf("the server saw %d failed logins: a wrong password must not be retried", st.AuthFailures)
	}
	for _, j := range jobs {
		if j = l.job(t, j.ID); j.State != spool.Held || !j.AccountHold || j.LastResult != "Wrong password" {
			t.Fatalf("job %+v", j)
		}
	}
	if h, _ := l.sp.GetHold(); h == nil || !strings.Contains(h.Detail, "535 5.7.8") {
		t.Fatalf("hold %+v", h)
	}
	// The operator retries one job: one more login, and the account is held again.
	if _, err := l.sp.Retry(jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	l.d.Step(context.Background())
	if st := l.Srv.Stats(); st.AuthFailures != 2 {
		t.Fatalf("after an operator retry: %d failed logins", st.AuthFailures)
	}
	// New settings lift the hold: every job goes, in one session.
	l.Cfg.Account.Password = "right"
	l.reload(t)
	l.d.Step(context.Background())
	for _, j := range jobs {
		if j = l.job(t, j.ID); j.State != spool.Sent {
			t.Fatalf("after the password was fixed: %+v", j)
		}
	}
	if h, _ := l.sp.GetHold(); h != nil {
		t.Errorf("hold still set: %+v", h)
	}
}

func TestRefusedRecipientOthersDelivered(t *testing.T) {
	l := newLoop(t, "right")
	addr := l.Srv.Addr()
	l.Srv.Close()
	srv, err := smtpserver.Start(smtpserver.Config{Addr: addr, Users: map[string]string{"scanner": "right"},
		Maildir: l.Maildir, Refuse: []string{"gone@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	l.Srv = srv
	l.reload(t)
	j := l.enqueue(t, "sales@example.com", "gone@example.com")
	l.d.Step(context.Background())
	j = l.job(t, j.ID)
	if j.State != spool.Sent || len(j.Refused) != 1 || j.Refused[0] != "gone@example.com" || j.LastResult != "Sent, 1 refused" {
		t.Fatalf("job %+v", j)
	}
	entries, _, _ := l.sp.ReadJournal()
	if e := entries[len(entries)-1]; !strings.Contains(e.Outcome, "refused gone@example.com") || !strings.Contains(e.Detail, "550") {
		t.Errorf("journal %+v", e)
	}
}

// A job file damaged by a power cut is reported once and left alone; the other jobs go.
func TestDamagedJobDoesNotStopTheLoop(t *testing.T) {
	l := newLoop(t, "right")
	var log bytes.Buffer
	l.g.opts.Log = slog.New(slog.NewTextHandler(&log, nil))
	bad, good := l.enqueue(t), l.enqueue(t)
	os.WriteFile(filepath.Join(l.sp.JobDir(bad.ID), "job.json"), []byte(`{"id": "00`), 0o600)
	l.d.Step(context.Background())
	if j := l.job(t, good.ID); j.State != spool.Sent {
		t.Fatalf("good job %+v", j)
	}
	if _, broken, _ := l.sp.List(); len(broken) != 1 {
		t.Errorf("broken jobs %v", broken)
	}
	for range 3 {
		l.clock.Add(time.Minute)
		l.d.Step(context.Background())
	}
	if n := strings.Count(log.String(), "unreadable job"); n != 1 {
		t.Errorf("the unreadable job was logged %d times:\n%s", n, log.String())
	}
}

// An interrupted attempt ("sending" in the spool) is sent again when the loop starts.
func TestRunRecoversInterruptedJobs(t *testing.T) {
	l := newLoop(t, "right")
	j := l.enqueue(t)
	j.State = spool.Sending
	l.sp.Update(j)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.g.Deliver(ctx, nil) }()
	deadline := time.Now().Add(hangGuard)
	for l.job(t, j.ID).State != spool.Sent && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := l.job(t, j.ID); got.State != spool.Sent {
		t.Fatalf("job %+v", got)
	}
}

// send's two ways to wait: deliver itself, or watch the running daemon deliver.
func TestSendWaits(t *testing.T) {
	l := newLoop(t, "right")
	out, err := l.g.Send(context.Background(), []string{l.scan}, []string{"a@example.com"}, "", true)
	if err != nil || out.Job.State != spool.Sent {
		t.Fatalf("Send without a daemon: %+v, %v", out.Job, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	daemon, err := New(l.Cfg, Options{RootCAs: l.Srv.CertPool(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- daemon.Deliver(ctx, nil) }()
	for daemon.beatDelivery.Load() == 0 { // the delivery loop has not started yet
		select {
		case err := <-done:
			t.Fatalf("the daemon stopped: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	out, err = l.g.Send(ctx, []string{l.scan}, []string{"b@example.com"}, "", true)
	if err != nil || out.Job.State != spool.Sent {
		t.Fatalf("Send with a daemon: %+v, %v", out.Job, err)
	}
	if err := l.g.Deliver(ctx, nil); err == nil {
		t.Error("a second delivery loop started on the same spool")
	}
	cancel()
	<-done
}

// noisePBM writes a PBM file of n fax pages sprinkled with black dots: pages that stay large in G4.
func noisePBM(t *testing.T, n int) string {
	t.Helper()
	const w, h = 1728, 2292
	rnd := rand.New(rand.NewPCG(7, 7))
	var b bytes.Buffer
	for range n {
		fmt.Fprintf(&b, "P4\n%d %d\n", w, h)
		row := make([]byte, w/8)
		for range h {
			clear(row)
			for x := 0; x < w; x++ {
				if rnd.IntN(300) == 0 {
					row[x/8] |= 0x80 >> (x % 8)
				}
			}
			b.Write(row)
		}
	}
	path := filepath.Join(t.TempDir(), "noise.pbm")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A server with a 2 MB SIZE limit: a 60-page job goes as several mails, "part n of m", and every part arrives.
func TestSplitBySize(t *testing.T) {
	l := newLoop(t, "right")
	addr := l.Srv.Addr()
	l.Srv.Close()
	srv, err := smtpserver.Start(smtpserver.Config{Addr: addr, Users: map[string]string{"scanner": "right"},
		Maildir: l.Maildir, MaxMessageBytes: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	l.Srv = srv
	l.reload(t)
	j, err := l.g.Enqueue([]string{noisePBM(t, 60)}, []string{"sales@example.com"}, "")
	if err != nil {
		t.Fatal(err)
	}
	l.d.Step(context.Background())
	j = l.job(t, j.ID)
	if j.State != spool.Sent || len(j.Parts) < 2 || !strings.HasPrefix(j.LastResult, "Sent in ") {
		t.Fatalf("job %+v", j)
	}
	files, _ := filepath.Glob(filepath.Join(l.Maildir, "new", "*"))
	if len(files) != len(j.Parts) {
		t.Fatalf("%d mails for %d parts", len(files), len(j.Parts))
	}
	pages := 0
	for _, f := range files {
		st, _ := os.Stat(f)
		if st.Size() > 2<<20 {
			t.Errorf("%s: %d bytes, over the limit", f, st.Size())
		}
		b, _ := os.ReadFile(f)
		m := regexp.MustCompile(`Subject: .* \(part (\d+) of (\d+)\)`).FindSubmatch(b)
		if m == nil || string(m[2]) != strconv.Itoa(len(j.Parts)) {
			t.Errorf("%s: subject does not say the part", f)
		}
	}
	for _, p := range j.Parts {
		pages += p.Last - p.First + 1
	}
	if pages != 60 {
		t.Errorf("parts cover %d pages: %+v", pages, j.Parts)
	}
	entries, _, _ := l.sp.ReadJournal()
	if len(entries) != len(j.Parts) || entries[0].Part != "1/"+strconv.Itoa(len(j.Parts)) {
		t.Errorf("journal %+v", entries)
	}
	t.Logf("60 pages, %d parts: %+v", len(j.Parts), j.Parts)
}

// A page that alone is too large holds the job with the reason.
func TestPageTooLarge(t *testing.T) {
	l := newLoop(t, "right")
	addr := l.Srv.Addr()
	l.Srv.Close()
	srv, err := smtpserver.Start(smtpserver.Config{Addr: addr, Users: map[string]string{"scanner": "right"},
		Maildir: l.Maildir, MaxMessageBytes: 50 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	l.Srv = srv
	l.reload(t)
	j, _ := l.g.Enqueue([]string{noisePBM(t, 2)}, []string{"sales@example.com"}, "")
	l.d.Step(context.Background())
	j = l.job(t, j.ID)
	if j.State != spool.Held || j.LastResult != "Mail too large" || !strings.Contains(j.LastDetail, "page 1 alone") {
		t.Fatalf("job %+v", j)
	}
}

// A mail of several megabytes sends more progress than a watch channel holds; the outcome must still reach
// Send, which reads the channel only after the pass (it used to block the loop for good).
func TestSendLargeMailReturns(t *testing.T) {
	l := newLoop(t, "right")
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	done := make(chan struct{})
	var out Outcome
	var err error
	go func() {
		defer close(done)
		out, err = l.g.Send(ctx, []string{noisePBM(t, 90)}, []string{"a@example.com"}, "", true)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("Send of a large mail never returned")
	}
	if err != nil || out.Job.State != spool.Sent {
		t.Fatalf("Send: %+v, %v", out.Job, err)
	}
}

// A full card while the PDF is made is a trouble that passes: the job stays queued, is retried, and goes out
// once there is room (it used to fail for good).
func TestCardFullWhilePreparingIsRetried(t *testing.T) {
	l := newLoop(t, "right")
	full := true
	real := convertPages
	defer func() { convertPages = real }()
	convertPages = func(ctx context.Context, out string, in []string, first, last int, info document.Info) (int, error) {
		if full {
			return 0, &fs.PathError{Op: "write", Path: out, Err: syscall.ENOSPC}
		}
		return real(ctx, out, in, first, last, info)
	}
	j := l.enqueue(t)
	if j.State != spool.Queued || j.LastResult != "Card full" {
		t.Fatalf("job after a full card: %+v", j)
	}
	l.d.Step(context.Background())
	if j = l.job(t, j.ID); j.State != spool.Deferred || !strings.HasPrefix(j.LastResult, "Card full") {
		t.Fatalf("job after an attempt on a full card: %+v", j)
	}
	full = false
	l.clock.Add(time.Hour)
	l.d.Step(context.Background())
	if j = l.job(t, j.ID); j.State != spool.Sent || mails(t, l.Maildir) != 1 {
		t.Fatalf("job once there is room: %+v, %d mails", j, mails(t, l.Maildir))
	}
}

// A job whose scan is gone fails at once: no retry for the whole lifetime brings the file back.
func TestMissingScanFailsOnce(t *testing.T) {
	l := newLoop(t, "right")
	j := l.enqueue(t)
	for _, f := range []string{"message.eml", "scan.pdf", j.Files[0]} {
		os.Remove(filepath.Join(l.sp.JobDir(j.ID), f))
	}
	l.d.Step(context.Background())
	if j = l.job(t, j.ID); j.State != spool.Failed || j.LastResult != "File missing" || j.Attempts != 1 {
		t.Fatalf("job without its scan: %+v", j)
	}
}

// A security setting that does not match the port holds the account with words that say which setting to
// change, both ways round; the job is not failed.
func TestSecurityMismatchHoldsTheAccount(t *testing.T) {
	for _, tt := range []struct {
		name, security string
		implicitPort   bool
		want           string
	}{
		{"tls against a plain port", "tls", false, "expects security = starttls"},
		{"starttls against an implicit TLS port", "starttls", true, "expects security = tls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newLoop(t, "right")
			if tt.implicitPort {
				srv := smtptest.Script(t, smtptest.ScriptOptions{}, "TLS") // a server that waits for a ClientHello
				l.Cfg.Account.Server = srv.Addr
			}
			l.Cfg.Account.Security = tt.security
			l.reload(t)
			l.g.opts.Timeouts = submit.Timeouts{GreetingProbe: 50 * time.Millisecond, TLSProbe: 5 * time.Second}
			j := l.enqueue(t)
			l.d.Step(context.Background())
			j = l.job(t, j.ID)
			if j.State != spool.Held || !j.AccountHold || j.LastResult != "Check security" || !strings.Contains(j.LastDetail, tt.want) {
				t.Fatalf("job %+v", j)
			}
		})
	}
}

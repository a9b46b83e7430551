package spool

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 29, 14, 5, 2, 0, time.UTC)

func open(t *testing.T) *Spool {
	t.Helper()
	s, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// queue stages one file and commits a job.
func queue(t *testing.T, s *Spool) *Job {
	t.Helper()
	st, err := s.Stage()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(st.Dir, "scan0001.tif"), []byte("II*\x00"), 0o600)
	j, err := st.Commit(Job{Files: []string{"scan0001.tif"}, To: []string{"a@example.com"}, MessageID: "m@x", Pages: 3}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestJobLifecycle(t *testing.T) {
	s := open(t)
	j := queue(t, s)
	if j.State != Queued || j.ID != "000001" || j.Number != 1 {
		t.Fatalf("committed job %+v", j)
	}
	if j2 := queue(t, s); j2.ID != "000002" {
		t.Fatalf("second job %s", j2.ID)
	}
	if _, err := os.Stat(filepath.Join(s.JobDir(j.ID), "scan0001.tif")); err != nil {
		t.Fatal(err)
	}
	j.State, j.Attempts = Sent, 1
	if err := s.Update(j); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(j.ID)
	if err != nil || got.State != Sent || got.Attempts != 1 || got.MessageID != "m@x" || !got.Created.Equal(t0) || got.Pages != 3 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	jobs, broken, err := s.List()
	if err != nil || len(jobs) != 2 || len(broken) != 0 || jobs[0].ID != j.ID {
		t.Fatalf("List = %v, %v, %v", jobs, broken, err)
	}
}

// A sequence file lost in a power cut never makes a number be given out twice.
func TestNumbersSurviveALostSequenceFile(t *testing.T) {
	s := open(t)
	queue(t, s)
	queue(t, s)
	os.Remove(filepath.Join(s.Dir(), seqFile))
	if j := queue(t, s); j.Number != 3 {
		t.Fatalf("after losing the sequence file: job %d", j.Number)
	}
}

func TestParseID(t *testing.T) {
	for in, want := range map[string]string{"42": "000042", "#42": "000042", "000042": "000042"} {
		if got, err := ParseID(in); err != nil || got != want {
			t.Errorf("ParseID(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "x", "-1", "0", "../1"} {
		if _, err := ParseID(bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("ParseID(%q) = %v", bad, err)
		}
	}
}

func TestCommitRefusesEmptyAndBadNames(t *testing.T) {
	s := open(t)
	st, _ := s.Stage()
	for _, j := range []Job{{}, {Files: []string{"../x"}}, {Files: []string{".hidden"}}, {Files: []string{"missing.tif"}}} {
		if _, err := st.Commit(j, t0); err == nil {
			t.Errorf("Commit(%v) accepted", j.Files)
		}
	}
	if err := st.Discard(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(st.Dir); !os.IsNotExist(err) {
		t.Error("Discard left the staging directory")
	}
}

// Power cut simulations: a truncated, emptied or missing job file is reported, never fatal, and the job can be
// deleted by the operator.
func TestDamagedJobs(t *testing.T) {
	s := open(t)
	for i, damage := range []func(path string){
		func(p string) { os.WriteFile(p, []byte("{\"id\": \"0000"), 0o600) },
		func(p string) { os.WriteFile(p, nil, 0o600) },
		func(p string) { os.Remove(p) },
		func(p string) { os.WriteFile(p, []byte(strings.Repeat(" ", maxJobBytes+1)), 0o600) },
	} {
		j := queue(t, s)
		damage(filepath.Join(s.JobDir(j.ID), jobFile))
		jobs, broken, err := s.List()
		if err != nil || len(broken) != 1 || broken[0].ID != j.ID || len(jobs) != 0 {
			t.Fatalf("damage %d: List = %d jobs, broken %v, %v", i, len(jobs), broken, err)
		}
		if err := s.Delete(j.ID); err != nil {
			t.Fatalf("damage %d: Delete: %v", i, err)
		}
	}
	if _, err := s.Get("../etc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(../etc) = %v", err)
	}
}

func TestRetryDeleteAndLocks(t *testing.T) {
	s := open(t)
	j := queue(t, s)
	j.State, j.NextAttempt = Held, t0.Add(time.Hour)
	s.Update(j)
	s.SetHold(Hold{Result: "Wrong password", Account: "x"})
	got, err := s.Retry(j.ID)
	if err != nil || got.State != Queued || !got.NextAttempt.IsZero() {
		t.Fatalf("Retry = %+v, %v", got, err)
	}
	if h, _ := s.GetHold(); h != nil {
		t.Error("Retry left the account hold")
	}
	got.State = Sent
	s.Update(got)
	if _, err := s.Retry(j.ID); !errors.Is(err, ErrState) {
		t.Errorf("Retry of a sent job = %v", err)
	}

	unlock, err := s.Lock(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(j.ID); !errors.Is(err, ErrBusy) {
		t.Errorf("second Lock = %v, want busy", err)
	}
	if err := s.Delete(j.ID); !errors.Is(err, ErrBusy) {
		t.Errorf("Delete of a locked job = %v", err)
	}
	unlock()
	if err := s.Delete(j.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(j.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted job: %v", err)
	}

	stop, err := s.LockDaemon()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockDaemon(); !errors.Is(err, ErrBusy) {
		t.Errorf("a second LockDaemon while the lock is held: %v, want ErrBusy", err)
	}
	stop()
	again, err := s.LockDaemon()
	if err != nil {
		t.Fatalf("LockDaemon after release: %v", err)
	}
	again()
}

func TestRecover(t *testing.T) {
	s := open(t)
	a, b := queue(t, s), queue(t, s)
	a.State = Sending
	s.Update(a)
	b.State = Deferred
	s.Update(b)
	st, _ := s.Stage() // a pull cut short by a crash: the process, and its lock, are gone
	os.WriteFile(filepath.Join(st.Dir, "partial.tif"), []byte("II"), 0o600)
	st.release()
	busy, _ := s.Stage() // a pull in progress in another process: left alone
	rec, err := s.Recover()
	if err != nil || len(rec) != 1 || rec[0].ID != a.ID {
		t.Fatalf("Recover = %v, %v", rec, err)
	}
	if got, _ := s.Get(a.ID); got.State != Queued || got.LastResult != "Interrupted" {
		t.Errorf("recovered job %+v", got)
	}
	if got, _ := s.Get(b.ID); got.State != Deferred {
		t.Errorf("a deferred job changed: %+v", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Dir(), "staging")); len(ents) != 1 || ents[0].Name() != filepath.Base(busy.Dir) {
		t.Errorf("staging after Recover: %v, want only the busy %s", ents, busy.Dir)
	}
}

// Recover runs when the delivery loop starts, often while the panel already stages a pull: it must never take
// a directory that Stage has just made.
func TestStageDuringRecover(t *testing.T) {
	s := open(t)
	for range 300 {
		done := make(chan error, 1)
		go func() { _, err := s.Recover(); done <- err }()
		st, err := s.Stage()
		if err != nil {
			t.Fatalf("Stage while Recover runs: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(st.Dir, "scan.tif"), []byte("II*\x00"), 0o600); err != nil {
			t.Fatalf("the staging directory was swept away: %v", err)
		}
		st.Discard()
	}
}

func TestFull(t *testing.T) {
	s, err := Open(t.TempDir(), Limits{MaxBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	queue(t, s) // the first job fits: the spool was empty
	if _, err := s.Stage(); !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "send or delete jobs") {
		t.Fatalf("Stage on a full spool = %v", err)
	}
	s, _ = Open(t.TempDir(), Limits{MinFree: 1 << 62})
	if _, err := s.Stage(); !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "must stay free") {
		t.Fatalf("Stage on a full card = %v", err)
	}
}

func TestJournal(t *testing.T) {
	s := open(t)
	if e, n, err := s.ReadJournal(); err != nil || len(e) != 0 || n != 0 {
		t.Fatalf("empty journal: %v %d %v", e, n, err)
	}
	s.Journal(Entry{Time: t0, Job: 1, Outcome: "deferred", Code: 421, Result: "Server busy"})
	// A power cut in the middle of a line.
	f, _ := os.OpenFile(filepath.Join(s.Dir(), journalFile), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"time":"2026-11-29T14:06:00Z","job":1,"outc`)
	f.Close()
	s.Journal(Entry{Time: t0.Add(time.Minute), Job: 1, Outcome: "sent", Code: 250, Enhanced: "2.0.0", Result: "Sent", Pages: 3, Bytes: 1234})
	e, damaged, err := s.ReadJournal()
	if err != nil || damaged != 1 || len(e) != 2 || e[1].Outcome != "sent" || e[1].Enhanced != "2.0.0" {
		t.Fatalf("ReadJournal = %+v, %d damaged, %v", e, damaged, err)
	}
}

func TestHold(t *testing.T) {
	s := open(t)
	if h, err := s.GetHold(); h != nil || err != nil {
		t.Fatalf("no hold: %v %v", h, err)
	}
	s.SetHold(Hold{Since: t0, Result: "Wrong password", Account: "abc"})
	if h, _ := s.GetHold(); h == nil || h.Result != "Wrong password" || h.Account != "abc" {
		t.Fatalf("hold %+v", h)
	}
	os.WriteFile(filepath.Join(s.Dir(), holdFile), []byte("{"), 0o600)
	if h, _ := s.GetHold(); h == nil {
		t.Fatal("a damaged hold file must still hold")
	}
	s.ClearHold()
	if h, _ := s.GetHold(); h != nil {
		t.Fatal("ClearHold")
	}
}

func TestPolicy(t *testing.T) {
	p := Policy{}.WithDefaults()
	tests := []struct {
		attempts int
		since    time.Duration // since the job was queued
		jitter   float64
		want     time.Duration // from now; -1 means expired
	}{
		{1, 0, 0, time.Minute},
		{2, 0, 0, 2 * time.Minute},
		{3, 0, 0, 4 * time.Minute},
		{7, 0, 0, 60 * time.Minute}, // 64 min capped at 1 h
		{30, 0, 0, time.Hour},
		{1, 0, 0.999, time.Minute},                              // jitter takes it down to 75% of a minute
		{5, 72*time.Hour - 10*time.Minute, 0, 10 * time.Minute}, // the last attempt at the end of the lifetime
		{5, 72 * time.Hour, 0, -1},
	}
	for _, tt := range tests {
		created := t0
		now := t0.Add(tt.since)
		at, expired := p.Next(tt.attempts, created, now, tt.jitter)
		if tt.want < 0 {
			if !expired {
				t.Errorf("%+v: not expired", tt)
			}
			continue
		}
		if got := at.Sub(now); expired || got > tt.want || got < tt.want*3/4 {
			t.Errorf("%+v: next in %v (expired %v), want about %v", tt, got, expired, tt.want)
		}
	}
}

// A pull cut short is kept out of Recover's way and taken up by the next pull, whole.
func TestKeepAndStageKept(t *testing.T) {
	s := open(t)
	st, err := s.Stage()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(st.Dir, "scan0001.tif"), []byte("done"), 0o600)
	os.WriteFile(filepath.Join(st.Dir, ".partial-9-0-scan0002.tif"), []byte("half"), 0o600)
	if err := st.Keep(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recover(); err != nil {
		t.Fatal(err)
	}
	again, kept, err := s.StageKept()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kept, []string{"scan0001.tif"}) {
		t.Errorf("kept %v, want [scan0001.tif]", kept)
	}
	if b, err := os.ReadFile(filepath.Join(again.Dir, ".partial-9-0-scan0002.tif")); string(b) != "half" {
		t.Errorf("the kept beginning: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), keptDir)); !os.IsNotExist(err) {
		t.Errorf("the kept directory is still there: %v", err)
	}
	// Taken up, it is a staging directory like any other: locked against Recover, committed as a job.
	if _, err := s.Recover(); err != nil {
		t.Fatal(err)
	}
	j, err := again.Commit(Job{Files: kept, To: []string{"a@example.com"}, MessageID: "m@x"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(s.JobDir(j.ID), "scan0001.tif")); string(b) != "done" {
		t.Errorf("job file %q", b)
	}
	fresh, kept, err := s.StageKept()
	if err != nil || len(kept) != 0 {
		t.Fatalf("StageKept with nothing kept: %v, %v", kept, err)
	}
	if ents, _ := os.ReadDir(fresh.Dir); len(ents) != 1 { // the lock file
		t.Errorf("a fresh staging directory holds %d entries", len(ents))
	}
}

// A message staged whole (the relay) that a crash left before Commit is removed by Recover, whatever it holds:
// the sender got no reply and sends it again. A pull's finished files are kept, as before.
func TestRecoverRemovesStagedMessages(t *testing.T) {
	s := open(t)
	msg, err := s.StageMessage()
	if err != nil {
		t.Fatal(err)
	}
	pull, err := s.Stage()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*Staging{msg, pull} {
		os.WriteFile(filepath.Join(st.Dir, "message.eml"), []byte("Subject: x\r\n\r\nbody\r\n"), 0o600)
		os.WriteFile(filepath.Join(st.Dir, ".message.eml.1.tmp"), []byte("Subj"), 0o600)
		st.release() // the process died: its locks are gone
	}
	if _, err := s.Recover(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(msg.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the staged message is still there: %v", err)
	}
	k, err := s.Kept()
	if err != nil || k == nil || !slices.Equal(k.Files, []string{"message.eml"}) {
		t.Fatalf("kept %+v, %v: the pull's file only", k, err)
	}
	if jobs, _, _ := s.List(); len(jobs) != 0 {
		t.Errorf("jobs %v", jobs)
	}
}

// A relayed job keeps its source fields through the job file.
func TestRelayJobFields(t *testing.T) {
	s := open(t)
	st, err := s.StageMessage()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(st.Dir, "message.eml"), []byte("Subject: x\r\n\r\nbody\r\n"), 0o600)
	j, err := st.Commit(Job{Files: []string{"message.eml"}, To: []string{"a@example.com"}, Source: SourceRelay,
		Peer: "192.168.1.20:4000", RelayUser: "mfp", Sender: "mfp@office.example", EightBit: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(j.ID)
	if err != nil || got.Source != SourceRelay || got.Peer != j.Peer || got.RelayUser != "mfp" || got.Sender != j.Sender || !got.EightBit {
		t.Fatalf("job %+v, %v", got, err)
	}
}

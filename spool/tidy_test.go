package spool

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sent marks j sent at the given time, as the delivery loop does.
func sent(t *testing.T, s *Spool, j *Job, at time.Time) {
	t.Helper()
	j.State, j.LastAttempt = Sent, at
	if err := s.Update(j); err != nil {
		t.Fatal(err)
	}
}

// A sent job leaves only its small record, and Sweep removes the record later: a queue of sent jobs never
// fills the card.
func TestTidyAndSweepSentJobs(t *testing.T) {
	s := open(t)
	j := queue(t, s)
	os.WriteFile(filepath.Join(s.JobDir(j.ID), "message.eml"), make([]byte, 4096), 0o600)
	if err := s.Tidy(j); !errors.Is(err, ErrState) {
		t.Fatalf("Tidy of a queued job: %v", err)
	}
	sent(t, s, j, t0)
	if err := s.Tidy(j); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(s.JobDir(j.ID))
	for _, e := range ents {
		if e.Name() != jobFile && e.Name() != ".lock" {
			t.Errorf("a tidied job holds %s", e.Name())
		}
	}
	if got, err := s.Get(j.ID); err != nil || got.State != Sent {
		t.Fatalf("the record of a tidied job: %+v, %v", got, err)
	}

	// A crash between the record and the tidying leaves files; the next sweep tidies them.
	k := queue(t, s)
	sent(t, s, k, t0.Add(30*time.Minute))
	if sw, err := s.Sweep(t0.Add(31*time.Minute), time.Hour, 72*time.Hour); err != nil || sw.Jobs != 0 {
		t.Fatalf("Sweep = %+v, %v", sw, err)
	}
	if _, err := os.Stat(filepath.Join(s.JobDir(k.ID), "scan0001.tif")); !os.IsNotExist(err) {
		t.Errorf("Sweep left the files of a sent job: %v", err)
	}
	sw, err := s.Sweep(t0.Add(time.Hour+time.Minute), time.Hour, 72*time.Hour)
	if err != nil || sw.Jobs != 1 {
		t.Fatalf("Sweep an hour later = %+v, %v", sw, err)
	}
	if _, err := s.Get(j.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the old record is still there: %v", err)
	}
	if _, err := s.Get(k.ID); err != nil {
		t.Errorf("the recent record is gone: %v", err)
	}
}

// Numbers go on after the sent jobs left the spool, even when the sequence file is lost too.
func TestNumbersAfterSentJobsLeft(t *testing.T) {
	s := open(t)
	for range 3 {
		j := queue(t, s)
		sent(t, s, j, t0)
		s.Journal(Entry{Time: t0, Job: j.Number, Outcome: "sent"})
	}
	if _, err := s.Sweep(t0.Add(2*time.Hour), time.Hour, time.Hour); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(s.Dir(), seqFile))
	if j := queue(t, s); j.Number != 4 {
		t.Fatalf("job %d after 3 sent and swept", j.Number)
	}
}

// A kept pull is visible, can be deleted, and expires.
func TestKeptPullShownDeletedAndExpired(t *testing.T) {
	s := open(t)
	if k, err := s.Kept(); k != nil || err != nil {
		t.Fatalf("Kept on a fresh spool: %+v, %v", k, err)
	}
	keep := func() {
		st, err := s.Stage()
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(st.Dir, "scan0001.tif"), []byte("done"), 0o600)
		os.WriteFile(filepath.Join(st.Dir, ".partial-9-0-scan0002.tif"), []byte("half"), 0o600)
		if err := st.Keep(); err != nil {
			t.Fatal(err)
		}
	}
	keep()
	k, err := s.Kept()
	if err != nil || k == nil || len(k.Files) != 1 || !k.Partial || k.Bytes != 8 {
		t.Fatalf("Kept = %+v, %v", k, err)
	}
	if err := s.DeleteKept(); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.Kept(); k != nil {
		t.Fatalf("kept pull still there after DeleteKept: %+v", k)
	}
	if err := s.DeleteKept(); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteKept with nothing kept: %v", err)
	}
	keep()
	k, _ = s.Kept()
	if sw, _ := s.Sweep(k.Since.Add(time.Hour), time.Hour, 2*time.Hour); sw.Kept {
		t.Fatal("a recent kept pull expired")
	}
	if sw, err := s.Sweep(k.Since.Add(3*time.Hour), time.Hour, 2*time.Hour); err != nil || !sw.Kept {
		t.Fatalf("Sweep past the kept pull's age = %+v, %v", sw, err)
	}
	if k, _ := s.Kept(); k != nil {
		t.Fatalf("expired kept pull still there: %+v", k)
	}
	if used, _ := s.Usage(); used > 16 { // the sequence file at most
		t.Errorf("the spool still uses %d bytes", used)
	}
}

// A min_free of 0 keeps nothing back; it used to mean 32 MB.
func TestMinFreeAsGiven(t *testing.T) {
	defer func(f func(string) (int64, error)) { freeSpace = f }(freeSpace)
	freeSpace = func(string) (int64, error) { return 10 << 20, nil }
	s, err := Open(t.TempDir(), Limits{MaxBytes: 1 << 30, MinFree: 0})
	if err != nil {
		t.Fatal(err)
	}
	if room, err := s.Room(); err != nil || room != 10<<20 {
		t.Fatalf("Room with 10 MB free and min_free 0 = %d, %v", room, err)
	}
	s, _ = Open(t.TempDir(), Limits{MaxBytes: 1 << 30, MinFree: 4 << 20})
	if room, err := s.Room(); err != nil || room != 6<<20 {
		t.Fatalf("Room with 10 MB free and min_free 4 MB = %d, %v", room, err)
	}
	s, _ = Open(t.TempDir(), Limits{MaxBytes: 1 << 30, MinFree: 10 << 20})
	if _, err := s.Room(); !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "must stay free") {
		t.Fatalf("Room at min_free = %v", err)
	}
}

// The journal starts a new file past its size and keeps the one before; reading sees both, in order.
func TestJournalRotates(t *testing.T) {
	s := open(t)
	long := strings.Repeat("x", 1000)
	n := MaxJournalBytes/1000 + 50
	for i := range n {
		if err := s.Journal(Entry{Time: t0, Job: i + 1, Outcome: "sent", Detail: long}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(filepath.Join(s.Dir(), journalFile))
	if err != nil || st.Size() > MaxJournalBytes {
		t.Fatalf("current journal: %v, %v", st, err)
	}
	e, damaged, err := s.ReadJournal()
	if err != nil || damaged != 0 || len(e) != n || e[0].Job != 1 || e[n-1].Job != n {
		t.Fatalf("ReadJournal: %d entries (%d damaged), %v", len(e), damaged, err)
	}
	for i := range 3 * n { // two more rotations: the oldest generation is dropped
		s.Journal(Entry{Time: t0, Job: n + i + 1, Outcome: "sent", Detail: long})
	}
	var total int64
	for _, f := range []string{journalFile, oldJournalFile} {
		st, _ := os.Stat(filepath.Join(s.Dir(), f))
		total += st.Size()
	}
	if total > 2*MaxJournalBytes {
		t.Errorf("the journal occupies %d bytes", total)
	}
}

// A pull broken off by a crash or a power cut (its staging directory left without a lock) keeps the files it
// finished, which the machine may have forgotten; what was still coming in was never synced and goes.
func TestRecoverKeepsFinishedFiles(t *testing.T) {
	s := open(t)
	broken := func(files map[string]string) {
		st, err := s.Stage()
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			os.WriteFile(filepath.Join(st.Dir, name), []byte(data), 0o600)
		}
		st.release() // the process died: its lock is gone
	}
	broken(map[string]string{"scan0001.tif": "done", ".incoming-123": "half"})
	if _, err := s.Recover(); err != nil {
		t.Fatal(err)
	}
	k, err := s.Kept()
	if err != nil || k == nil || len(k.Files) != 1 || k.Files[0] != "scan0001.tif" || k.Partial {
		t.Fatalf("kept after a crash: %+v, %v", k, err)
	}
	// A second broken pull joins what is kept; a name taken already gets a new one.
	broken(map[string]string{"scan0001.tif": "other", ".partial-9-0-scan0002.tif": "begin"})
	broken(nil) // an empty pull is just removed
	if _, err := s.Recover(); err != nil {
		t.Fatal(err)
	}
	k, _ = s.Kept()
	if k == nil || len(k.Files) != 2 || !k.Partial {
		t.Fatalf("kept after two crashes: %+v", k)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Dir(), "staging")); len(ents) != 0 {
		t.Errorf("staging holds %d entries", len(ents))
	}
}

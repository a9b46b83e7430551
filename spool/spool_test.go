package spool

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 29, 14, 5, 2, 0, time.UTC)

func TestJobLifecycle(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stage()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(st.Dir, "scan0001.tif"), []byte("II*\x00"), 0o600)
	j, err := st.Commit(Job{Files: []string{"scan0001.tif"}, To: []string{"a@example.com"}, MessageID: "m@x"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != Queued || j.ID == "" || st.Dir != s.JobDir(j.ID) {
		t.Fatalf("committed job %+v in %s", j, st.Dir)
	}
	if _, err := os.Stat(filepath.Join(s.JobDir(j.ID), "scan0001.tif")); err != nil {
		t.Fatal(err)
	}
	j.State, j.Attempts = Sent, 1
	if err := s.Update(j); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(j.ID)
	if err != nil || got.State != Sent || got.Attempts != 1 || got.MessageID != "m@x" || !got.Created.Equal(t0) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := WriteFileAtomic(filepath.Join(s.JobDir(j.ID), "scan.pdf"), func(f *os.File) error { _, err := f.WriteString("%PDF"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(s.JobDir(j.ID), "scan.pdf")); string(b) != "%PDF" {
		t.Errorf("scan.pdf = %q", b)
	}
	jobs, err := s.List()
	if err != nil || len(jobs) != 1 || jobs[0].ID != j.ID {
		t.Fatalf("List = %v, %v", jobs, err)
	}
}

func TestCommitRefusesEmptyAndBadNames(t *testing.T) {
	s, _ := Open(t.TempDir())
	st, _ := s.Stage()
	if _, err := st.Commit(Job{}, t0); err == nil {
		t.Error("a job without files was accepted")
	}
	if _, err := st.Commit(Job{Files: []string{"../x"}}, t0); err == nil {
		t.Error("a file outside the job was accepted")
	}
	if _, err := st.Commit(Job{Files: []string{"missing.tif"}}, t0); err == nil {
		t.Error("a missing file was accepted")
	}
	if err := st.Discard(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(st.Dir); !os.IsNotExist(err) {
		t.Error("Discard left the staging directory")
	}
}

func TestDamagedJobStaysVisible(t *testing.T) {
	s, _ := Open(t.TempDir())
	os.MkdirAll(s.JobDir("20261129-000000-aaaaaa"), 0o700)
	os.WriteFile(filepath.Join(s.JobDir("20261129-000000-aaaaaa"), jobFile), []byte("{trunc"), 0o600)
	jobs, err := s.List()
	if err != nil || len(jobs) != 1 || jobs[0].LastResult == "" {
		t.Fatalf("List = %+v, %v", jobs, err)
	}
	if _, err := s.Get("../etc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(../etc) = %v", err)
	}
}

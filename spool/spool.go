package spool

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// State is where a job is in its life.
type State string

// Job states.
const (
	Queued  State = "queued"  // safe on disk, waiting to be sent
	Sending State = "sending" // a delivery attempt is running
	Sent    State = "sent"    // the server accepted the mail
	Failed  State = "failed"  // the last attempt failed; LastResult says why
)

// Job is one scan to be mailed.
type Job struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Files are the documents as received from the machine, in order, relative to the job's directory.
	Files []string `json:"files"`
	// DestName is the address-book name of the destination, for the panel and the journal.
	DestName string   `json:"dest_name"`
	To       []string `json:"to"`
	// MessageID is chosen when the job is queued and kept across retries.
	MessageID  string `json:"message_id"`
	State      State  `json:"state"`
	Attempts   int    `json:"attempts"`
	LastResult string `json:"last_result,omitempty"`
}

// Spool is a job queue in a directory.
type Spool struct {
	dir string
}

// ErrNotFound is returned for a job ID that the spool does not hold.
var ErrNotFound = errors.New("spool: no such job")

const jobFile = "job.json"

// Open opens (creating if needed) the spool in dir.
func Open(dir string) (*Spool, error) {
	for _, d := range []string{"staging", "jobs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
	}
	return &Spool{dir: dir}, nil
}

// Staging is a directory where the files of a future job are received.
type Staging struct {
	// Dir is the directory to receive files into.
	Dir string
	s   *Spool
}

// Stage makes a new staging directory.
func (s *Spool) Stage() (*Staging, error) {
	d, err := os.MkdirTemp(filepath.Join(s.dir, "staging"), "in-")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	return &Staging{Dir: d, s: s}, nil
}

// Discard removes the staging directory and what it holds.
func (st *Staging) Discard() error { return os.RemoveAll(st.Dir) }

// Commit turns the staging directory into a queued job. j.Files must name files inside the staging
// directory. Commit fills in ID, Created and State. When it returns, the job survives a power cut.
func (st *Staging) Commit(j Job, now time.Time) (*Job, error) {
	if len(j.Files) == 0 {
		return nil, errors.New("spool: a job needs at least one file")
	}
	for _, f := range j.Files {
		if f != filepath.Base(f) || strings.HasPrefix(f, ".") {
			return nil, fmt.Errorf("spool: bad file name %q", f)
		}
		if err := syncFile(filepath.Join(st.Dir, f)); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
	}
	j.ID = newID(now)
	j.Created = now
	j.State = Queued
	if err := writeJSON(filepath.Join(st.Dir, jobFile), &j); err != nil {
		return nil, err
	}
	final := st.s.JobDir(j.ID)
	if err := os.Rename(st.Dir, final); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syncDir(filepath.Join(st.s.dir, "jobs")); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	st.Dir = final
	return &j, nil
}

// JobDir returns the directory of job id.
func (s *Spool) JobDir(id string) string { return filepath.Join(s.dir, "jobs", id) }

// Get reads one job.
func (s *Spool) Get(id string) (*Job, error) {
	if id == "" || id != filepath.Base(id) || strings.HasPrefix(id, ".") {
		return nil, ErrNotFound
	}
	b, err := os.ReadFile(filepath.Join(s.JobDir(id), jobFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("spool: job %s: %w", id, err)
	}
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("spool: job %s: damaged job file: %w", id, err)
	}
	return &j, nil
}

// Update writes the job's new state durably.
func (s *Spool) Update(j *Job) error {
	if _, err := os.Stat(s.JobDir(j.ID)); err != nil {
		return ErrNotFound
	}
	return writeJSON(filepath.Join(s.JobDir(j.ID), jobFile), j)
}

// List returns the jobs in the order they were queued. A job whose file cannot be read is returned with
// State "" and its error in LastResult, so that it stays visible.
func (s *Spool) List() ([]*Job, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "jobs"))
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var jobs []*Job
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		j, err := s.Get(e.Name())
		if err != nil {
			j = &Job{ID: e.Name(), LastResult: err.Error()}
		}
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].ID < jobs[b].ID })
	return jobs, nil
}

// newID returns a job ID that sorts by time: 20261129-140502-1a2b3c.
func newID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return WriteFileAtomic(path, func(f *os.File) error {
		_, err := f.Write(append(b, '\n'))
		return err
	})
}

// WriteFileAtomic writes the file at path through a temporary file in the same directory: write, fsync,
// rename, fsync the directory. Readers see the old file or the whole new one, never a part.
func WriteFileAtomic(path string, write func(f *os.File) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("spool: %s: %w", filepath.Base(path), err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

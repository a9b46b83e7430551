package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/gateway/internal/atomicfile"
)

// State is where a job is in its life.
type State string

// Job states.
const (
	Queued   State = "queued"   // safe on disk, waiting to be sent
	Sending  State = "sending"  // a delivery attempt is running
	Deferred State = "deferred" // a temporary failure; the next attempt is due at NextAttempt
	Sent     State = "sent"     // the server accepted the mail
	Held     State = "held"     // needs someone to act; LastResult says what
	Failed   State = "failed"   // refused for good, or retried for too long
)

// Job is one scan to be mailed.
type Job struct {
	// ID is the job's directory name, its number zero-padded: "000042".
	ID     string `json:"id"`
	Number int    `json:"number"`
	// Created is when the job was queued.
	Created time.Time `json:"created"`
	// Files are the documents as received from the machine, in order, relative to the job's directory.
	Files []string `json:"files"`
	// Pages is how many pages the files hold.
	Pages int `json:"pages"`
	// DestName is the address-book name of the destination, for the panel and the journal.
	DestName string   `json:"dest_name"`
	From     string   `json:"from"`
	To       []string `json:"to"`
	Subject  string   `json:"subject"`
	// MessageID is chosen when the job is queued and kept across retries.
	MessageID string `json:"message_id"`

	State       State     `json:"state"`
	Attempts    int       `json:"attempts"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// LastResult is the last outcome in a few words (for the panel), LastDetail in a sentence.
	LastResult string `json:"last_result,omitempty"`
	LastDetail string `json:"last_detail,omitempty"`
	// AccountHold marks a job held because the whole account is held (see Hold), not for a fault of its own;
	// it goes back to the queue when the hold is lifted.
	AccountHold bool `json:"account_hold,omitempty"`
	// Stopped marks a job held because staff stopped it with the Stop key: nothing is wrong with it, and it
	// waits for a retry or a delete.
	Stopped bool `json:"stopped,omitempty"`
	// Refused lists recipients the server refused for good while it accepted others.
	Refused []string `json:"refused,omitempty"`
	// Parts, when the mail had to be split to fit the server's size limit, are the page ranges sent as
	// separate mails and whether each has been accepted.
	Parts []Part `json:"parts,omitempty"`

	// Source says where the job came from: "" for a scan (from the machine, or gateway send), SourceRelay for
	// a mail accepted on the relay port, SourceBounce for a failure report the gateway made about one. A
	// relayed mail or a report is sent as it is stored (its message file), never split.
	Source string `json:"source,omitempty"`
	// Peer is the address of the host that handed a relayed mail over, RelayUser the login it used ("" for a
	// host let in by relay.allow).
	Peer      string `json:"peer,omitempty"`
	RelayUser string `json:"relay_user,omitempty"`
	// Sender is the envelope sender of a relayed mail as received (before relay.rewrite_from): a failure is
	// reported to it. "" for the null sender.
	Sender string `json:"sender,omitempty"`
	// EightBit says the message holds 8-bit bytes (sent with BODY=8BITMIME where the server offers it).
	EightBit bool `json:"eight_bit,omitempty"`
}

// Sources of a job besides a scan (see Job.Source).
const (
	SourceRelay  = "relay"
	SourceBounce = "bounce"
)

// Part is one mail of a job split by pages.
type Part struct {
	First, Last int  // pages, from 1, inclusive
	Sent        bool `json:"sent"`
}

// Due reports whether the job should be attempted at now.
func (j *Job) Due(now time.Time) bool {
	return j.State == Queued || j.State == Deferred && !now.Before(j.NextAttempt)
}

// Spool is a job queue in a directory.
type Spool struct {
	dir    string
	limits Limits
}

// Errors callers branch on.
var (
	ErrNotFound = errors.New("spool: no such job")
	// ErrState means the job is not in a state that allows the operation (retrying a sent job, say).
	ErrState = errors.New("spool: not possible in this state")
)

const (
	jobFile     = "job.json"
	seqFile     = "seq"
	idDigits    = 6
	maxJobBytes = 1 << 20 // a job.json larger than this is damaged, not read
)

// Open opens (creating if needed) the spool in dir.
func Open(dir string, limits Limits) (*Spool, error) {
	for _, d := range []string{"staging", "jobs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
	}
	return &Spool{dir: dir, limits: limits.withDefaults()}, nil
}

// Dir returns the spool's directory.
func (s *Spool) Dir() string { return s.dir }

// Staging is a directory where the files of a future job are received.
type Staging struct {
	// Dir is the directory to receive files into.
	Dir    string
	s      *Spool
	unlock func() // the staging lock, held until Commit or Discard so that Recover leaves the directory alone
}

// Stage makes a new staging directory, or refuses with an error wrapping ErrFull when the spool has no room.
func (s *Spool) Stage() (*Staging, error) {
	st, _, err := s.stage(false, pullPrefix)
	return st, err
}

// StageMessage is Stage for a message received whole (a mail accepted on the relay port, a failure report):
// a crash before Commit leaves nothing that Recover keeps, since the sender got no reply and sends it again.
func (s *Spool) StageMessage() (*Staging, error) {
	st, _, err := s.stage(false, messagePrefix)
	return st, err
}

// Prefixes of the staging directories: a pull's files may be kept by Recover, a message's never.
const (
	pullPrefix    = "in-"
	messagePrefix = "msg-"
)

// keptDir is where Keep puts the directory of a pull cut short, out of Recover's way, until StageKept.
const keptDir = "kept"

// StageKept is Stage, starting from the directory that the last pull cut short left with Keep, if there is
// one: the files it finished and the beginnings it kept, so that the next pull resumes instead of starting
// over. kept lists the finished files, in name order.
func (s *Spool) StageKept() (st *Staging, kept []string, err error) {
	return s.stage(true, pullPrefix)
}

func (s *Spool) stage(takeKept bool, prefix string) (*Staging, []string, error) {
	if err := s.checkRoom(); err != nil {
		return nil, nil, err
	}
	// Under the staging mutex, so that Recover cannot take a directory between its making and its lock.
	unlockStaging, err := s.lockStaging()
	if err != nil {
		return nil, nil, err
	}
	defer unlockStaging()
	d, err := os.MkdirTemp(filepath.Join(s.dir, "staging"), prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	from := filepath.Join(s.dir, keptDir)
	if _, err := os.Stat(from); err != nil {
		takeKept = false
	}
	if takeKept {
		// The kept directory takes the fresh name, which the mutex keeps Stage from choosing meanwhile.
		os.Remove(d)
		if err := os.Rename(from, d); err != nil {
			return nil, nil, fmt.Errorf("spool: taking up the kept pull: %w", err)
		}
		if err := atomicfile.SyncDir(s.dir); err != nil {
			// Put it back: unlocked in staging, Recover would remove files the machine may have forgotten.
			os.Rename(d, from)
			return nil, nil, fmt.Errorf("spool: taking up the kept pull: %w", err)
		}
	}
	unlock, err := lockFile(filepath.Join(d, ".lock"), false)
	if err != nil {
		os.RemoveAll(d)
		return nil, nil, err
	}
	var kept []string
	if takeKept {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if safeName(e.Name()) && e.Type().IsRegular() {
				kept = append(kept, e.Name())
			}
		}
	}
	return &Staging{Dir: d, s: s, unlock: unlock}, kept, nil
}

// Keep sets the staging directory aside for the next StageKept. A pull cut short keeps in it the files it
// finished and the beginning of the one in progress. One rename does it, so a power cut leaves the
// directory either kept or in staging, where Recover keeps it too; when something is kept already
// (StageKept normally took it up), the files join it.
func (st *Staging) Keep() error {
	defer st.release()
	if err := st.s.keep(st.Dir); err != nil {
		return fmt.Errorf("spool: keeping the pull: %w", err)
	}
	st.Dir = filepath.Join(st.s.dir, keptDir)
	return nil
}

// keep sets the pull directory dir aside as the kept pull: renamed when nothing is kept yet, otherwise its
// files are moved into the kept pull (under a new name where one is taken) and dir is removed. Files still
// being received when a crash came (the sink's hidden temporary names) were never synced and are dropped.
func (s *Spool) keep(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	to := filepath.Join(s.dir, keptDir)
	_, err = os.Stat(to)
	merge := err == nil
	for _, e := range ents {
		name := e.Name()
		switch {
		case name == ".lock":
		case !keepable(e):
			os.Remove(filepath.Join(dir, name))
		case merge:
			if err := os.Rename(filepath.Join(dir, name), freeName(to, name)); err != nil {
				return err
			}
		}
	}
	if merge {
		if err := atomicfile.SyncDir(to); err != nil {
			return err
		}
		return os.RemoveAll(dir)
	}
	if err := os.Rename(dir, to); err != nil {
		return err
	}
	return atomicfile.SyncDir(s.dir)
}

// keepable reports whether a pull's file is worth keeping: a finished file (it was synced when it landed) or
// the synced beginning of a file set aside to resume (".partial-").
func keepable(e os.DirEntry) bool {
	return e.Type().IsRegular() && (safeName(e.Name()) || strings.HasPrefix(e.Name(), ".partial-"))
}

// freeName is name in dir, or the first "name-N" not taken there.
func freeName(dir, name string) string {
	path := filepath.Join(dir, name)
	ext := filepath.Ext(name)
	for i := 1; ; i++ {
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			return path
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), i, ext))
	}
}

// Discard removes the staging directory and what it holds.
func (st *Staging) Discard() error {
	err := os.RemoveAll(st.Dir)
	st.release()
	return err
}

func (st *Staging) release() {
	if st.unlock != nil {
		st.unlock()
		st.unlock = nil
	}
}

// Commit turns the staging directory into a queued job. j.Files must name files inside the staging
// directory. Commit fills in ID, Number, Created and State. When it returns, the job survives a power cut.
func (st *Staging) Commit(j Job, now time.Time) (*Job, error) {
	if len(j.Files) == 0 {
		return nil, errors.New("spool: a job needs at least one file")
	}
	for _, f := range j.Files {
		if !safeName(f) {
			return nil, fmt.Errorf("spool: bad file name %q", f)
		}
		if err := syncFile(filepath.Join(st.Dir, f)); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
	}
	n, err := st.s.nextNumber()
	if err != nil {
		return nil, err
	}
	j.Number, j.ID = n, formatID(n)
	j.Created = now
	j.State = Queued
	if err := writeJSON(filepath.Join(st.Dir, jobFile), &j); err != nil {
		return nil, err
	}
	final := st.s.JobDir(j.ID)
	if err := os.Rename(st.Dir, final); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	st.release()
	if err := atomicfile.SyncDir(filepath.Join(st.s.dir, "jobs")); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	st.Dir = final
	return &j, nil
}

func formatID(n int) string { return fmt.Sprintf("%0*d", idDigits, n) }

// ParseID accepts "42", "#42" or "000042".
func ParseID(s string) (string, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(s), "#"))
	if err != nil || n <= 0 {
		return "", fmt.Errorf("%w: %q", ErrNotFound, s)
	}
	return formatID(n), nil
}

func safeName(f string) bool {
	return f != "" && f == filepath.Base(f) && !strings.HasPrefix(f, ".")
}

// nextNumber hands out the next job number, under a lock so that two processes never get the same one.
func (s *Spool) nextNumber() (int, error) {
	unlock, err := lockFile(filepath.Join(s.dir, seqFile+".lock"), true)
	if err != nil {
		return 0, err
	}
	defer unlock()
	last := 0
	if b, err := os.ReadFile(filepath.Join(s.dir, seqFile)); err == nil {
		last, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	} else if entries, _, _ := s.ReadJournal(); len(entries) > 0 {
		// Sent jobs leave the spool; the journal still names them.
		for _, e := range entries {
			last = max(last, e.Job)
		}
	}
	// A sequence file lost in a power cut must not hand out a number twice: never below the largest job.
	if ents, err := os.ReadDir(filepath.Join(s.dir, "jobs")); err == nil {
		for _, e := range ents {
			if n, err := strconv.Atoi(e.Name()); err == nil && n > last {
				last = n
			}
		}
	}
	n := last + 1
	err = writeFile(filepath.Join(s.dir, seqFile), func(f *os.File) error {
		_, err := fmt.Fprintf(f, "%d\n", n)
		return err
	})
	return n, err
}

// JobDir returns the directory of job id.
func (s *Spool) JobDir(id string) string { return filepath.Join(s.dir, "jobs", id) }

// Get reads one job.
func (s *Spool) Get(id string) (*Job, error) {
	if !safeName(id) {
		return nil, ErrNotFound
	}
	f, err := os.Open(filepath.Join(s.JobDir(id), jobFile))
	if errors.Is(err, os.ErrNotExist) {
		if _, derr := os.Stat(s.JobDir(id)); derr == nil {
			return nil, fmt.Errorf("spool: job %s: its job file is missing (power cut?)", id)
		}
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("spool: job %s: %w", id, err)
	}
	defer f.Close()
	var j Job
	dec := json.NewDecoder(&limitedReader{f, maxJobBytes})
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("spool: job %s: damaged job file: %w", id, err)
	}
	if j.ID != id {
		return nil, fmt.Errorf("spool: job %s: its job file names job %q", id, j.ID)
	}
	return &j, nil
}

// limitedReader fails past n bytes instead of ending quietly.
type limitedReader struct {
	f *os.File
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("job file too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}

// Update writes the job's new state durably.
func (s *Spool) Update(j *Job) error {
	if _, err := os.Stat(s.JobDir(j.ID)); err != nil {
		return ErrNotFound
	}
	return writeJSON(filepath.Join(s.JobDir(j.ID), jobFile), j)
}

// Broken is a job directory whose job file cannot be read.
type Broken struct {
	ID  string
	Err error
}

// List returns the jobs in the order they were queued, and the job directories that could not be read, so
// that they stay visible.
func (s *Spool) List() ([]*Job, []Broken, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "jobs"))
	if err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	var jobs []*Job
	var broken []Broken
	for _, e := range ents {
		if !e.IsDir() || !safeName(e.Name()) {
			continue
		}
		j, err := s.Get(e.Name())
		if err != nil {
			broken = append(broken, Broken{ID: e.Name(), Err: err})
			continue
		}
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].Number < jobs[b].Number })
	return jobs, broken, nil
}

// Retry makes a held, failed or deferred job due now, and clears the account hold.
func (s *Spool) Retry(id string) (*Job, error) {
	j, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	switch j.State {
	case Held, Failed, Deferred, Queued:
	default:
		return nil, fmt.Errorf("%w: job %s is %s", ErrState, id, j.State)
	}
	j.State, j.NextAttempt, j.Stopped, j.AccountHold = Queued, time.Time{}, false, false
	if err := s.Update(j); err != nil {
		return nil, err
	}
	return j, s.ClearHold()
}

// Delete removes a job that is not being sent. A job directory that cannot be read can be deleted too.
func (s *Spool) Delete(id string) error {
	if !safeName(id) {
		return ErrNotFound
	}
	unlock, err := s.Lock(id)
	if err != nil {
		return err
	}
	defer unlock()
	if j, err := s.Get(id); err == nil && j.State == Sending {
		return fmt.Errorf("%w: job %s is being sent", ErrState, id)
	} else if errors.Is(err, ErrNotFound) {
		return err
	}
	// Rename first, so that a power cut leaves either the whole job or a trash directory that Recover removes.
	trash := filepath.Join(s.dir, "staging", "deleted-"+id)
	if err := os.Rename(s.JobDir(id), trash); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	// The job is out of the queue either way; a power cut may bring it back when the sync failed.
	serr := atomicfile.SyncDir(filepath.Join(s.dir, "jobs"))
	if err := os.RemoveAll(trash); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("spool: deleting job %s: %w", id, serr)
	}
	return nil
}

// Recover is run when the delivery loop starts: jobs left "sending" by a crash go back to the queue, and
// staging directories no process works in are cleared. A pull that a crash or a power cut broke off may have
// finished files the machine has forgotten since: they are kept for the next pull, like those of a pull cut
// short; half-deleted jobs and empty pulls are removed. It returns the recovered jobs.
func (s *Spool) Recover() ([]*Job, error) {
	unlockStaging, err := s.lockStaging()
	if err != nil {
		return nil, err
	}
	ents, _ := os.ReadDir(filepath.Join(s.dir, "staging"))
	var errs []error
	for _, e := range ents {
		dir := filepath.Join(s.dir, "staging", e.Name())
		unlock, err := lockFile(filepath.Join(dir, ".lock"), false)
		if err != nil {
			continue // a pull in progress in another process
		}
		if strings.HasPrefix(e.Name(), pullPrefix) && hasKeepable(dir) {
			if err := s.keep(dir); err != nil {
				errs = append(errs, fmt.Errorf("spool: keeping what a broken-off pull finished: %w", err))
			}
		} else {
			os.RemoveAll(dir)
		}
		unlock()
	}
	unlockStaging()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	jobs, _, err := s.List()
	if err != nil {
		return nil, err
	}
	var recovered []*Job
	for _, j := range jobs {
		if j.State != Sending {
			continue
		}
		j.State = Queued
		j.LastResult, j.LastDetail = "Interrupted", "The last attempt was interrupted (restart or power cut); sending again."
		if err := s.Update(j); err != nil {
			return recovered, err
		}
		recovered = append(recovered, j)
	}
	return recovered, nil
}

// hasKeepable reports whether a pull directory holds a file worth keeping.
func hasKeepable(dir string) bool {
	ents, _ := os.ReadDir(dir)
	return slices.ContainsFunc(ents, keepable)
}

// writeFile replaces the file at path, with mode 0600, by what write writes to f: through a temporary file
// in the same directory, fsynced and renamed onto path, and an fsync of the directory. Readers see the old file
// or the whole new one, never a part; when writeFile returns nil, the new file survives a power cut. On an
// error the temporary file is removed and the old file is untouched, except when only the sync of the directory
// failed: the new file is then in place, but a power cut may bring the old one back.
func writeFile(path string, write func(f *os.File) error) error {
	if err := atomicfile.WriteFile(path, 0o600, write); err != nil {
		return fmt.Errorf("spool: %s: %w", filepath.Base(path), err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return writeFile(path, func(f *os.File) error {
		_, err := f.Write(append(b, '\n'))
		return err
	})
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

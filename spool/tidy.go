package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scangate/gateway/internal/atomicfile"
)

// Tidy removes the files of a sent job, all but its job file: the scans, the PDF and the mails are no longer
// needed once the server has accepted every part, and the journal keeps the record. The job file stays a
// while for those who wait for the outcome (another process's send); Sweep removes it later.
func (s *Spool) Tidy(j *Job) error {
	if j.State != Sent {
		return fmt.Errorf("%w: job %s is %s, not sent", ErrState, j.ID, j.State)
	}
	dir := s.JobDir(j.ID)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if e.Name() == jobFile || e.Name() == ".lock" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("spool: tidying job %s: %w", j.ID, err)
	}
	return nil
}

// Swept is what Sweep removed.
type Swept struct {
	// Jobs are the sent jobs whose records were removed.
	Jobs int
	// Kept reports that a kept pull expired.
	Kept bool
}

// Sweep removes what the spool no longer needs: the records of jobs sent before now-sentFor (tidying any
// whose files a crash left behind), and a kept pull older than keptFor, which nobody continued. It is cheap
// enough to run on every pass of the delivery loop.
func (s *Spool) Sweep(now time.Time, sentFor, keptFor time.Duration) (Swept, error) {
	var out Swept
	jobs, _, err := s.List()
	if err != nil {
		return out, err
	}
	var errs []error
	for _, j := range jobs {
		if j.State != Sent {
			continue
		}
		if j.LastAttempt.After(now.Add(-sentFor)) {
			if err := s.Tidy(j); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if err := s.Delete(j.ID); err != nil && !errors.Is(err, ErrBusy) && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		out.Jobs++
	}
	if k, err := s.Kept(); err == nil && k != nil && k.Since.Before(now.Add(-keptFor)) {
		if err := s.DeleteKept(); err != nil {
			errs = append(errs, err)
		} else {
			out.Kept = true
		}
	}
	return out, errors.Join(errs...)
}

// KeptPull is a pull cut short that the spool keeps for the next one to continue (see Staging.Keep).
type KeptPull struct {
	// Since is when the pull last landed something.
	Since time.Time
	// Files are the files it finished, in name order.
	Files []string
	// Partial reports that it also holds the beginning of an unfinished file.
	Partial bool
	// Bytes is what it occupies.
	Bytes int64
}

// Kept returns the kept pull, or nil when there is none.
func (s *Spool) Kept() (*KeptPull, error) {
	dir := filepath.Join(s.dir, keptDir)
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	k := &KeptPull{Since: st.ModTime()}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || e.Name() == ".lock" {
			continue
		}
		k.Bytes += info.Size()
		if safeName(e.Name()) {
			k.Files = append(k.Files, e.Name())
		} else if strings.HasPrefix(e.Name(), ".") && info.Size() > 0 {
			k.Partial = true
		}
	}
	return k, nil
}

// DeleteKept removes the kept pull: the next Send starts afresh. A pull in progress has taken it up already and
// is not touched.
func (s *Spool) DeleteKept() error {
	unlock, err := s.lockStaging()
	if err != nil {
		return err
	}
	defer unlock()
	dir := filepath.Join(s.dir, keptDir)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	// Rename first: a power cut leaves the kept pull whole, or a staging directory that Recover removes.
	trash := filepath.Join(s.dir, "staging", "deleted-kept")
	os.RemoveAll(trash)
	if err := os.Rename(dir, trash); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := atomicfile.SyncDir(s.dir); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return os.RemoveAll(trash)
}

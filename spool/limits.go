package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Limits bound the spool's disk use.
type Limits struct {
	// MaxBytes is the most the spool's files may occupy; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MinFree is the free space the file system must keep, as given: 0 keeps nothing back.
	MinFree int64
}

// DefaultMaxBytes bounds a spool whose limits say nothing: enough for hundreds of fax jobs.
const DefaultMaxBytes = 256 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	l.MinFree = max(l.MinFree, 0)
	return l
}

// ErrFull is wrapped by the errors of Stage and Room when the spool has no room for more.
var ErrFull = errors.New("spool: full")

// Usage returns the bytes the spool's files occupy.
func (s *Spool) Usage() (int64, error) {
	var total int64
	err := filepath.WalkDir(s.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file that vanished while walking counts for nothing
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return total, err
}

// freeSpace returns the bytes an unprivileged writer may still use on the file system that holds dir; tests
// replace it.
var freeSpace = func(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Room returns how many more bytes the spool may take: what is left under MaxBytes, and of the file system's
// free space above MinFree, whichever is less. When nothing is left the error wraps ErrFull and says which
// limit was reached, in words for the panel's detail and the log.
func (s *Spool) Room() (int64, error) {
	used, err := s.Usage()
	if err != nil {
		return 0, fmt.Errorf("spool: %w", err)
	}
	room := s.limits.MaxBytes - used
	if room <= 0 {
		return 0, fmt.Errorf("%w: the queue holds %d MB, its limit is %d MB; send or delete jobs", ErrFull, used>>20, s.limits.MaxBytes>>20)
	}
	free, err := freeSpace(s.dir)
	if err != nil {
		return room, nil // no statfs here: the queue's own limit still holds
	}
	if free-s.limits.MinFree <= 0 {
		return 0, fmt.Errorf("%w: only %d MB free on the storage card, %d MB must stay free", ErrFull, free>>20, s.limits.MinFree>>20)
	}
	return min(room, free-s.limits.MinFree), nil
}

// checkRoom refuses new work when the spool holds MaxBytes or the file system is down to MinFree.
func (s *Spool) checkRoom() error {
	_, err := s.Room()
	return err
}

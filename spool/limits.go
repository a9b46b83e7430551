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
	// MaxBytes is the most the jobs may occupy; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MinFree is the free space the file system must keep; 0 means DefaultMinFree.
	MinFree int64
}

// Default limits: enough for hundreds of fax jobs, and room left on a small card.
const (
	DefaultMaxBytes = 256 << 20
	DefaultMinFree  = 32 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MinFree == 0 {
		l.MinFree = DefaultMinFree
	}
	return l
}

// ErrFull is wrapped by the error of Stage when the spool has no room for another job.
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

// checkRoom refuses new work when the spool holds MaxBytes or the file system is down to MinFree.
func (s *Spool) checkRoom() error {
	used, err := s.Usage()
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if used >= s.limits.MaxBytes {
		return fmt.Errorf("%w: the queue holds %d MB, its limit is %d MB; send or delete jobs", ErrFull, used>>20, s.limits.MaxBytes>>20)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(s.dir, &st); err == nil {
		free := int64(st.Bavail) * int64(st.Bsize)
		if free < s.limits.MinFree {
			return fmt.Errorf("%w: only %d MB free on the storage card, %d MB must stay free", ErrFull, free>>20, s.limits.MinFree>>20)
		}
	}
	return nil
}

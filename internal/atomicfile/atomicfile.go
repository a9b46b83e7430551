package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// syncDirFile flushes an open directory; tests replace it to make the directory sync fail.
var syncDirFile = (*os.File).Sync

// WriteFile replaces the file at path with what write writes to f, and gives it the permission mode (whatever the
// umask). write gets a temporary file named ".<base>.*.tmp" in path's directory, and must neither close it nor
// rename it.
//
// When WriteFile returns nil, the new file is at path and survives a power cut. When write fails, its error is
// returned as it is; when another step fails before the rename, that step's error: either way the temporary file
// is removed and the old file at path is untouched. When only the final sync of the directory fails, the new file
// is already at path, but a power cut may still bring the old one back: the error says so. A power cut while
// WriteFile runs leaves the old file or the whole new one at path, and at most a hidden temporary file beside it.
func WriteFile(path string, mode fs.FileMode, write func(f *os.File) error) error {
	p, err := Create(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer p.Abort() // also when write panics: no temporary file stays
	if err := write(p.f); err != nil {
		return err
	}
	return p.Commit(path, mode)
}

// Pending is a new file being written under a temporary name, out of sight, until Commit puts it in place. A
// Pending is for one goroutine at a time.
type Pending struct {
	f    *os.File
	done bool // Commit or Abort has run: the file is closed and no longer this Pending's
}

// Create starts a new file in dir, named after pattern as os.CreateTemp names files (a "*" becomes a random string);
// a pattern starting with a dot keeps the file hidden. The file has mode 0600 until Commit.
func Create(dir, pattern string) (*Pending, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &Pending{f: f}, nil
}

// Reopen takes up the file at path, which an earlier Commit set aside under a name of its own to be finished later,
// as a Pending: it is open for reading and writing, at its start; Commit moves it to its final name, and Abort
// removes it. The bytes already in it are as durable as that Commit made them.
func Reopen(path string) (*Pending, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &Pending{f: f}, nil
}

// File returns the file to write to. Commit and Abort close it; callers must not.
func (p *Pending) File() *os.File { return p.f }

// Commit gives the file the permission mode (whatever the umask), fsyncs and closes it, renames it onto path and
// fsyncs path's directory. path must be on the file system of the temporary file; it may be in another directory
// (a Maildir's tmp and new), and then only path's directory is synced.
//
// When Commit returns nil, the file is at path and survives a power cut. When a step before the rename fails, the
// file is removed and whatever was at path is untouched. When only the sync of the directory fails, the file is
// already at path, but a power cut may undo the rename: the error says so. Either way the Pending is over: a later
// Abort does nothing, and a later Commit fails with an error wrapping os.ErrClosed.
func (p *Pending) Commit(path string, mode fs.FileMode) error {
	if p.done {
		return fmt.Errorf("commit after commit or abort: %w", os.ErrClosed)
	}
	p.done = true
	tmp := p.f.Name()
	// The mode is set before the sync so that the sync makes it durable too.
	err := p.f.Chmod(mode)
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("new file in place, but a power cut may undo the rename: %w", err)
	}
	return nil
}

// Abort closes and removes the file, unless Commit or Abort has run already, in which case it does nothing: callers
// may defer Abort.
func (p *Pending) Abort() error {
	if p.done {
		return nil
	}
	p.done = true
	p.f.Close()
	if err := os.Remove(p.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// SyncDir fsyncs the directory dir, so that the changes to its entries made so far (a file or a directory renamed
// into it, an entry removed) survive a power cut.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = syncDirFile(d)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err // the os errors name the directory already
}

package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrBusy means another process holds the lock: it is sending the job, or running the delivery loop.
var ErrBusy = errors.New("spool: busy in another process")

// lockFile takes an advisory lock (flock) on path, creating it. With wait it waits for the lock; otherwise
// it fails at once with ErrBusy. The kernel drops the lock when the process dies, so a crash leaves no stale
// lock behind.
func lockFile(path string, wait bool) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("spool: lock %s: %w", filepath.Base(path), err)
	}
	return func() { f.Close() }, nil
}

// Lock takes the job's lock, held while the job is sent, deleted or retried. It fails with ErrBusy at once if
// another process holds it.
func (s *Spool) Lock(id string) (unlock func(), err error) {
	if !safeName(id) {
		return nil, ErrNotFound
	}
	if _, err := os.Stat(s.JobDir(id)); err != nil {
		return nil, ErrNotFound
	}
	return lockFile(filepath.Join(s.JobDir(id), ".lock"), false)
}

// LockDaemon takes the spool's delivery lock: only one process runs the delivery loop on a spool. It fails with
// ErrBusy if another one does.
func (s *Spool) LockDaemon() (unlock func(), err error) {
	return lockFile(filepath.Join(s.dir, "daemon.lock"), false)
}

// lockStaging takes the staging mutex (waiting for it), which orders the making of a staging directory and
// Recover's sweep of abandoned ones, in this process and in others.
func (s *Spool) lockStaging() (unlock func(), err error) {
	return lockFile(filepath.Join(s.dir, "staging.lock"), true)
}

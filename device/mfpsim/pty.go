package mfpsim

import (
	"errors"
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/scangate/gateway/device"
)

// PTY is a pseudo-terminal pair in raw mode: the machine's end (the master)
// as a device.Port, and the slave, which the gateway opens by its path as
// if it were a serial port.
type PTY struct {
	master *os.File
	slave  *os.File
	port   device.Port
}

// OpenPTY opens a pseudo-terminal pair in raw mode (no echo, no line
// editing, no CR/LF translation). The slave stays open until Close, so
// that the master keeps working while the gateway opens and closes its end.
func OpenPTY() (*PTY, error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("mfpsim: open pty: %w", err)
	}
	if _, err := term.MakeRaw(int(s.Fd())); err != nil {
		m.Close()
		s.Close()
		return nil, fmt.Errorf("mfpsim: pty raw mode: %w", err)
	}
	master, err := pollable(m)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("mfpsim: pty master: %w", err)
	}
	return &PTY{master: master, slave: s, port: device.DeadlinePort(master)}, nil
}

// pollable returns a copy of f in non-blocking mode, so that read deadlines
// work on it, and closes f. The pty package leaves its master in blocking
// mode, where deadlines are not supported.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// Port returns the machine's end of the pair.
func (p *PTY) Port() device.Port { return p.port }

// Path returns the path of the slave, to open with device.OpenSerial.
func (p *PTY) Path() string { return p.slave.Name() }

// Close closes both ends.
func (p *PTY) Close() error {
	return errors.Join(p.master.Close(), p.slave.Close())
}

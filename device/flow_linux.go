package device

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// control is the second descriptor of an open serial port: the serial
// library cannot set flow control or bound a write, this descriptor can.
// It is non-blocking, so its writes wait in the runtime's poller and honour
// deadlines, and a Close during a Write is safe.
type control struct {
	f *os.File
}

// openControl opens path without making it the controlling terminal and
// without waiting for the carrier.
func openControl(path string) (*control, error) {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.EBUSY) {
		return nil, fmt.Errorf("%w: %v", ErrPortBusy, err)
	}
	if err != nil {
		return nil, err
	}
	return &control{f: f}, nil
}

// setFlow sets the flow control in the terminal settings (CRTSCTS for
// rtscts, IXON and IXOFF for xonxoff, neither for none) and reads them back,
// since a driver may ignore a setting it does not support.
func (c *control) setFlow(flow string) error {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ferr = err
			return
		}
		t.Cflag &^= unix.CRTSCTS
		t.Iflag &^= unix.IXON | unix.IXOFF | unix.IXANY
		switch flow {
		case FlowRTSCTS:
			t.Cflag |= unix.CRTSCTS
		case FlowXONXOFF:
			t.Iflag |= unix.IXON | unix.IXOFF
			t.Cc[unix.VSTART] = flowXON
			t.Cc[unix.VSTOP] = flowXOFF
		}
		if ferr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t); ferr != nil {
			return
		}
		got, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ferr = err
			return
		}
		if got.Cflag&unix.CRTSCTS != t.Cflag&unix.CRTSCTS || got.Iflag&(unix.IXON|unix.IXOFF) != t.Iflag&(unix.IXON|unix.IXOFF) {
			ferr = fmt.Errorf("%w: the port's driver does not support it", ErrInvalidConfig)
		}
	})
	if err != nil {
		return err
	}
	return ferr
}

// The software flow control bytes.
const (
	flowXON  = 0x11
	flowXOFF = 0x13
)

// write writes all of p. It fails with an error wrapping ErrTimeout when
// no byte could be written for stall: the peer holds the line with flow
// control, or the line is gone.
func (c *control) write(p []byte, stall time.Duration) (int, error) {
	total := 0
	for total < len(p) {
		if err := c.f.SetWriteDeadline(time.Now().Add(stall)); err != nil {
			return total, err
		}
		n, err := c.f.Write(p[total:])
		total += n
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && n > 0:
			// Progress: wait again for the rest.
		case errors.Is(err, os.ErrDeadlineExceeded):
			return total, fmt.Errorf("no progress for %v: %w", stall, ErrTimeout)
		default:
			return total, err
		}
	}
	return total, nil
}

// close closes the descriptor; closing it again does nothing.
func (c *control) close() error {
	if err := c.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

package device

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Port is an open byte link to the machine: a serial port, a pseudo-terminal
// or a TCP connection. The transfer protocols take an already open Port and
// never open or configure one themselves.
//
// A transfer whose context is done stops waiting for a Write that the peer
// holds up (with flow control): that Write may still be under way when the
// transfer writes its cancel sequence, or when the caller closes the port,
// so a Port's Write and Close must be safe to call during a Write. The
// ports of this package are.
type Port interface {
	io.ReadWriteCloser
	// SetReadTimeout bounds every following Read. A Read that times out
	// returns an error wrapping ErrTimeout. Zero or a negative d removes the
	// bound.
	SetReadTimeout(d time.Duration) error
}

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrTimeout reports that the peer stayed silent for too long: a Read
	// that hit its timeout, or a transfer whose idle timeout ran out.
	ErrTimeout = errors.New("device: timeout")
	// ErrCancelled reports that the peer cancelled the transfer (CAN CAN on
	// the line). A transfer cancelled through its context returns the
	// context's error instead.
	ErrCancelled = errors.New("device: transfer cancelled by the peer")
	// ErrDamaged reports a transfer that failed because of line errors:
	// too many damaged blocks, or a file that ended short of its announced
	// size. Trying again may succeed.
	ErrDamaged = errors.New("device: transfer damaged")
	// ErrProtocol reports a peer that broke the protocol (a block out of
	// sequence, a malformed file header).
	ErrProtocol = errors.New("device: protocol violation")
	// ErrUnknownProtocol reports a protocol name that NewReceiver or
	// NewSender does not know.
	ErrUnknownProtocol = errors.New("device: unknown protocol")
	// ErrInvalidConfig reports a SerialConfig that cannot be applied.
	ErrInvalidConfig = errors.New("device: invalid serial configuration")
	// ErrPortBusy reports a serial port that another program holds open.
	ErrPortBusy = errors.New("device: port busy")
	// ErrNoPort reports a serial port, or a USB serial device, that is not there. It is also an
	// fs.ErrNotExist for errors.Is.
	ErrNoPort error = noPort{}
)

// DeadlineConn is a byte link with read deadlines, such as a net.Conn or an
// *os.File that supports deadlines (a pseudo-terminal master in
// non-blocking mode).
type DeadlineConn interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
}

// DeadlinePort turns a DeadlineConn into a Port whose read timeouts are
// carried out with read deadlines.
func DeadlinePort(c DeadlineConn) Port {
	return &deadlinePort{c: c}
}

type deadlinePort struct {
	c       DeadlineConn
	timeout time.Duration
}

func (p *deadlinePort) SetReadTimeout(d time.Duration) error {
	p.timeout = d
	return nil
}

func (p *deadlinePort) Read(b []byte) (int, error) {
	var deadline time.Time
	if p.timeout > 0 {
		deadline = time.Now().Add(p.timeout)
	}
	if err := p.c.SetReadDeadline(deadline); err != nil {
		return 0, fmt.Errorf("device: set read deadline: %w", err)
	}
	n, err := p.c.Read(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, fmt.Errorf("device: read: %w", ErrTimeout)
	}
	return n, err
}

func (p *deadlinePort) Write(b []byte) (int, error) { return p.c.Write(b) }

func (p *deadlinePort) Close() error { return p.c.Close() }

type noPort struct{}

func (noPort) Error() string        { return "no such port" }
func (noPort) Is(target error) bool { return target == fs.ErrNotExist }

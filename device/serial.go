package device

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"go.bug.st/serial"
)

// SerialConfig describes how to open a serial port. The zero values of
// DataBits, Parity and StopBits mean 8, "none" and 1.
type SerialConfig struct {
	Path     string // device path, for example /dev/ttyUSB0 or a pty slave
	Baud     int    // line rate in bits per second, for example 115200
	DataBits int    // 5 to 8
	Parity   string // "none", "even" or "odd"
	StopBits int    // 1 or 2
}

// Validate reports whether the configuration can be applied, without
// opening anything. The error wraps ErrInvalidConfig.
func (c SerialConfig) Validate() error {
	_, err := c.mode()
	return err
}

func (c SerialConfig) mode() (*serial.Mode, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if c.Path == "" {
		return nil, bad("no port path")
	}
	if c.Baud <= 0 {
		return nil, bad("baud rate must be positive, got %d", c.Baud)
	}
	m := &serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits}
	switch {
	case c.DataBits == 0:
		m.DataBits = 8
	case c.DataBits < 5 || c.DataBits > 8:
		return nil, bad("data bits must be 5 to 8, got %d", c.DataBits)
	}
	switch strings.ToLower(c.Parity) {
	case "", "none":
		m.Parity = serial.NoParity
	case "even":
		m.Parity = serial.EvenParity
	case "odd":
		m.Parity = serial.OddParity
	default:
		return nil, bad("unknown parity %q (want none, even or odd)", c.Parity)
	}
	switch c.StopBits {
	case 0, 1:
		m.StopBits = serial.OneStopBit
	case 2:
		m.StopBits = serial.TwoStopBits
	default:
		return nil, bad("stop bits must be 1 or 2, got %d", c.StopBits)
	}
	// Modem output bits stay untouched: setting them fails on a pseudo-terminal.
	return m, nil
}

// OpenSerial opens and configures a serial port (raw mode, no flow control)
// and discards whatever input was waiting on it.
func OpenSerial(cfg SerialConfig) (Port, error) {
	m, err := cfg.mode()
	if err != nil {
		return nil, err
	}
	p, err := serial.Open(cfg.Path, m)
	if err != nil {
		return nil, fmt.Errorf("device: open %s: %w", cfg.Path, serialError(err))
	}
	if err := p.ResetInputBuffer(); err != nil {
		p.Close()
		return nil, fmt.Errorf("device: open %s: discard input: %w", cfg.Path, serialError(err))
	}
	return &serialPort{p: p, path: cfg.Path}, nil
}

// serialError maps the serial library's error codes onto errors callers
// can branch on without importing that library.
func serialError(err error) error {
	var pe *serial.PortError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code() {
	case serial.PortBusy:
		return fmt.Errorf("%w: %v", ErrPortBusy, pe)
	case serial.PortNotFound:
		return fmt.Errorf("%w: %v", fs.ErrNotExist, pe)
	case serial.PermissionDenied:
		return fmt.Errorf("%w: %v", fs.ErrPermission, pe)
	case serial.PortClosed:
		return fmt.Errorf("%w: %v", os.ErrClosed, pe)
	case serial.InvalidSpeed, serial.InvalidDataBits, serial.InvalidParity, serial.InvalidStopBits:
		return fmt.Errorf("%w: %v", ErrInvalidConfig, pe)
	}
	return err
}

// serialPort adapts the serial library, whose Read returns (0, nil) when
// its timeout expires, to the Port contract.
type serialPort struct {
	p    serial.Port
	path string
}

func (s *serialPort) SetReadTimeout(d time.Duration) error {
	if d <= 0 {
		d = serial.NoTimeout
	}
	if err := s.p.SetReadTimeout(d); err != nil {
		return fmt.Errorf("device: %s: set read timeout: %w", s.path, serialError(err))
	}
	return nil
}

func (s *serialPort) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := s.p.Read(b)
	if err != nil {
		return n, fmt.Errorf("device: %s: read: %w", s.path, serialError(err))
	}
	if n == 0 {
		return 0, fmt.Errorf("device: %s: read: %w", s.path, ErrTimeout)
	}
	return n, nil
}

func (s *serialPort) Write(b []byte) (int, error) {
	n, err := s.p.Write(b)
	if err != nil {
		return n, fmt.Errorf("device: %s: write: %w", s.path, serialError(err))
	}
	return n, nil
}

func (s *serialPort) Close() error {
	if err := s.p.Close(); err != nil {
		return fmt.Errorf("device: %s: close: %w", s.path, serialError(err))
	}
	return nil
}

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

// DefaultWriteTimeout bounds a serial write that makes no progress when
// SerialConfig.WriteTimeout is zero: a peer that holds the line with flow
// control (CTS low, or XOFF) for this long, or a line that vanished, fails
// the write with an error wrapping ErrTimeout.
const DefaultWriteTimeout = 10 * time.Second

// Flow control settings of SerialConfig.Flow.
const (
	FlowNone    = "none"    // no flow control (the default)
	FlowRTSCTS  = "rtscts"  // hardware flow control on the RTS and CTS lines
	FlowXONXOFF = "xonxoff" // software flow control with the XON (0x11) and XOFF (0x13) bytes
)

// SerialConfig describes how to open a serial port. The zero values of
// DataBits, Parity, StopBits, Flow and WriteTimeout mean 8, "none", 1,
// "none" and DefaultWriteTimeout.
type SerialConfig struct {
	Path     string // device path, for example /dev/ttyUSB0 or a pty slave
	Baud     int    // line rate in bits per second, for example 115200
	DataBits int    // 5 to 8
	Parity   string // "none", "even" or "odd"
	StopBits int    // 1 or 2
	// Flow is the flow control: FlowNone, FlowRTSCTS or FlowXONXOFF.
	// XON/XOFF takes the bytes 0x11 and 0x13 out of the data: it suits
	// ZMODEM, which escapes them, and neither YMODEM nor XMODEM.
	Flow string
	// WriteTimeout bounds how long a Write may make no progress.
	WriteTimeout time.Duration
}

// Validate reports whether the configuration can be applied, without
// opening anything. The error wraps ErrInvalidConfig.
func (c SerialConfig) Validate() error {
	_, _, err := c.mode()
	return err
}

func invalidConfig(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// mode checks c and returns the serial library's mode and the flow
// control name.
func (c SerialConfig) mode() (*serial.Mode, string, error) {
	if c.Path == "" {
		return nil, "", invalidConfig("no port path")
	}
	if c.Baud <= 0 {
		return nil, "", invalidConfig("baud rate must be positive, got %d", c.Baud)
	}
	m := &serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits}
	switch {
	case c.DataBits == 0:
		m.DataBits = 8
	case c.DataBits < 5 || c.DataBits > 8:
		return nil, "", invalidConfig("data bits must be 5 to 8, got %d", c.DataBits)
	}
	switch strings.ToLower(c.Parity) {
	case "", "none":
		m.Parity = serial.NoParity
	case "even":
		m.Parity = serial.EvenParity
	case "odd":
		m.Parity = serial.OddParity
	default:
		return nil, "", invalidConfig("unknown parity %q (want none, even or odd)", c.Parity)
	}
	switch c.StopBits {
	case 0, 1:
		m.StopBits = serial.OneStopBit
	case 2:
		m.StopBits = serial.TwoStopBits
	default:
		return nil, "", invalidConfig("stop bits must be 1 or 2, got %d", c.StopBits)
	}
	flow := strings.ToLower(c.Flow)
	switch flow {
	case "":
		flow = FlowNone
	case FlowNone, FlowRTSCTS, FlowXONXOFF:
	default:
		return nil, "", invalidConfig("unknown flow control %q (want none, rtscts or xonxoff)", c.Flow)
	}
	if c.WriteTimeout < 0 {
		return nil, "", invalidConfig("negative write timeout %v", c.WriteTimeout)
	}
	// Modem output bits stay untouched: setting them fails on a pseudo-terminal.
	return m, flow, nil
}

// OpenSerial opens and configures a serial port (raw mode, the flow
// control of cfg) and discards whatever input was waiting on it.
//
// The serial library opens the port, sets its mode and reads from it. It
// has no flow control settings, so OpenSerial keeps a second descriptor
// of the same device, opened first, through which it sets the flow
// control in the terminal settings and writes with a bound on how long a
// write may make no progress.
func OpenSerial(cfg SerialConfig) (Port, error) {
	m, flow, err := cfg.mode()
	if err != nil {
		return nil, err
	}
	fail := func(err error) (Port, error) {
		if errors.Is(err, fs.ErrNotExist) {
			err = ErrNoPort
		}
		return nil, fmt.Errorf("device: open %s: %w", cfg.Path, err)
	}
	ctl, err := openControl(cfg.Path)
	if err != nil {
		return fail(err)
	}
	p, err := serial.Open(cfg.Path, m)
	if err != nil {
		ctl.close()
		return fail(serialError(err))
	}
	s := &serialPort{p: p, ctl: ctl, path: cfg.Path, writeTimeout: cfg.WriteTimeout}
	if s.writeTimeout == 0 {
		s.writeTimeout = DefaultWriteTimeout
	}
	if err := ctl.setFlow(flow); err != nil {
		s.Close()
		return fail(fmt.Errorf("set %s flow control: %w", flow, err))
	}
	if err := p.ResetInputBuffer(); err != nil {
		s.Close()
		return fail(fmt.Errorf("discard input: %w", serialError(err)))
	}
	return s, nil
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
// its timeout expires, to the Port contract, and writes through the
// control descriptor.
type serialPort struct {
	p            serial.Port
	ctl          *control
	path         string
	writeTimeout time.Duration
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

// Write returns an error wrapping ErrTimeout when no byte could be written
// for the write timeout.
func (s *serialPort) Write(b []byte) (int, error) {
	n, err := s.ctl.write(b, s.writeTimeout)
	if err != nil {
		return n, fmt.Errorf("device: %s: write: %w", s.path, err)
	}
	return n, nil
}

func (s *serialPort) Close() error {
	err := s.p.Close()
	if cerr := s.ctl.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("device: %s: close: %w", s.path, serialError(err))
	}
	return nil
}

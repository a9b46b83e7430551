//go:build !linux

package device

import (
	"errors"
	"time"
)

// control stands for the second descriptor of a serial port, which only
// the Linux build has: elsewhere OpenSerial reports that it cannot work.
type control struct{}

func openControl(string) (*control, error) {
	return nil, errors.New("serial ports are supported on Linux only")
}

func (*control) setFlow(string) error                     { return errors.ErrUnsupported }
func (*control) write([]byte, time.Duration) (int, error) { return 0, errors.ErrUnsupported }
func (*control) close() error                             { return nil }

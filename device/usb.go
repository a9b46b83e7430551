package device

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// ErrUnplugged reports a USB serial device that went away while its port
// was open. Port.Read and Port.Write of a USBPort return it until Reopen
// succeeds.
var ErrUnplugged = errors.New("device: USB device unplugged")

// Waits of a USB port.
const (
	// DefaultReplugWait bounds how long Reopen waits for an unplugged
	// device to come back when it is given no wait.
	DefaultReplugWait = 30 * time.Second
	// DefaultReplugPoll is how often Reopen looks for the device.
	DefaultReplugPoll = 500 * time.Millisecond
)

// USBConfig describes a serial port to open by the identity of its USB
// device, wherever the kernel puts it (/dev/ttyUSB0 today, /dev/ttyUSB1
// after the cable was pulled and plugged back).
type USBConfig struct {
	ID USBID
	// Line holds the line settings; its Path is ignored.
	Line SerialConfig
	// Poll is how often Reopen looks for the device; zero means
	// DefaultReplugPoll.
	Poll time.Duration

	// List, Open, Now and Sleep stand in for the system in tests; nil means
	// ListPorts, OpenSerial, time.Now and a sleep that ends early when the
	// context is done.
	List  PortLister
	Open  func(SerialConfig) (Port, error)
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (c USBConfig) withDefaults() USBConfig {
	if c.Poll <= 0 {
		c.Poll = DefaultReplugPoll
	}
	if c.List == nil {
		c.List = ListPorts
	}
	if c.Open == nil {
		c.Open = OpenSerial
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// USBPort is a serial port found by USB identity. When the device is
// unplugged, its Read and Write fail with an error wrapping ErrUnplugged;
// Reopen waits for the device to come back and opens it again.
type USBPort struct {
	cfg USBConfig

	mu        sync.Mutex
	port      Port // nil while unplugged
	path      string
	timeout   time.Duration // the last read timeout set, kept across Reopen
	unplugged error         // why the port was given up, nil while open
}

var _ Port = (*USBPort)(nil)

// OpenUSB finds the USB device of cfg.ID and opens its serial port. A
// device that is not plugged in is an error wrapping fs.ErrNotExist.
func OpenUSB(cfg USBConfig) (*USBPort, error) {
	cfg = cfg.withDefaults()
	id, err := cfg.ID.normal()
	if err != nil {
		return nil, err
	}
	cfg.ID = id
	p := &USBPort{cfg: cfg}
	if err := p.open(); err != nil {
		return nil, err
	}
	return p, nil
}

// open finds the device and opens its port.
func (p *USBPort) open() error {
	path, err := p.cfg.ID.find(p.cfg.List)
	if err != nil {
		return err
	}
	line := p.cfg.Line
	line.Path = path
	port, err := p.cfg.Open(line)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timeout != 0 {
		if err := port.SetReadTimeout(p.timeout); err != nil {
			port.Close()
			return err
		}
	}
	p.port, p.path, p.unplugged = port, path, nil
	return nil
}

// Path returns the device path of the port as last opened.
func (p *USBPort) Path() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.path
}

// Reopen waits for the device to be listed again, at most wait
// (DefaultReplugWait if zero or negative), looking every Poll, and opens
// its port. It closes the old port first. A device that does not come back
// in time is an error wrapping ErrUnplugged.
func (p *USBPort) Reopen(ctx context.Context, wait time.Duration) error {
	if wait <= 0 {
		wait = DefaultReplugWait
	}
	p.mu.Lock()
	if p.port != nil {
		p.port.Close()
		p.port = nil
	}
	p.mu.Unlock()
	end := p.cfg.Now().Add(wait)
	for {
		err := p.open()
		if err == nil {
			return nil
		}
		left := end.Sub(p.cfg.Now())
		if left <= 0 {
			return fmt.Errorf("device: USB %s not back after %v: %w (last: %v)", p.cfg.ID, wait, ErrUnplugged, err)
		}
		if err := p.cfg.Sleep(ctx, min(p.cfg.Poll, left)); err != nil {
			return fmt.Errorf("device: USB %s: %w", p.cfg.ID, err)
		}
	}
}

// current returns the open port, or the error that ended it.
func (p *USBPort) current() (Port, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.port == nil {
		if p.unplugged != nil {
			return nil, p.path, p.unplugged
		}
		return nil, p.path, fmt.Errorf("device: USB %s: %w", p.cfg.ID, os.ErrClosed)
	}
	return p.port, p.path, nil
}

// check turns the error of a read or write into ErrUnplugged when the
// device is no longer listed at the port's path.
func (p *USBPort) check(port Port, path string, err error) error {
	if err == nil || errors.Is(err, ErrTimeout) {
		return err
	}
	ports, lerr := p.cfg.List()
	if lerr != nil {
		return err
	}
	for _, info := range ports {
		if info.Path == path && p.cfg.ID.matches(info) {
			return err // still there: an ordinary error
		}
	}
	gone := fmt.Errorf("device: %s (USB %s): %w: %v", path, p.cfg.ID, ErrUnplugged, err)
	p.mu.Lock()
	if p.port == port {
		p.port.Close()
		p.port, p.unplugged = nil, gone
	}
	p.mu.Unlock()
	return gone
}

// Read implements Port.
func (p *USBPort) Read(b []byte) (int, error) {
	port, path, err := p.current()
	if err != nil {
		return 0, err
	}
	n, err := port.Read(b)
	return n, p.check(port, path, err)
}

// Write implements Port.
func (p *USBPort) Write(b []byte) (int, error) {
	port, path, err := p.current()
	if err != nil {
		return 0, err
	}
	n, err := port.Write(b)
	return n, p.check(port, path, err)
}

// SetReadTimeout implements Port. The timeout also applies after Reopen.
func (p *USBPort) SetReadTimeout(d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timeout = d
	if p.port == nil {
		return nil
	}
	return p.port.SetReadTimeout(d)
}

// Close implements Port.
func (p *USBPort) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.port == nil {
		return nil
	}
	err := p.port.Close()
	p.port, p.unplugged = nil, nil
	return err
}

package gpiofake

import (
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

// Pin is a fake gpio.PinIO. It is safe for concurrent use.
type Pin struct {
	// N is the pin's name.
	N string

	mu     sync.Mutex
	level  gpio.Level
	pull   gpio.Pull
	input  bool
	output bool
	outs   []gpio.Level
	err    error
}

var _ gpio.PinIO = (*Pin)(nil)

// New returns a pin named name that reads level.
func New(name string, level gpio.Level) *Pin { return &Pin{N: name, level: level} }

// Set sets the level the pin reads.
func (p *Pin) Set(l gpio.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.level = l
}

// Fail makes In and Out return err (nil: succeed again).
func (p *Pin) Fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
}

// Input reports whether the pin was made an input, and with which pull.
func (p *Pin) Input() (bool, gpio.Pull) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.input, p.pull
}

// Outs returns every level Out was called with, in order.
func (p *Pin) Outs() []gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]gpio.Level(nil), p.outs...)
}

// String returns the name.
func (p *Pin) String() string { return p.N }

// Halt does nothing.
func (p *Pin) Halt() error { return nil }

// Name returns the name.
func (p *Pin) Name() string { return p.N }

// Number returns -1.
func (p *Pin) Number() int { return -1 }

// Function describes the pin's use.
func (p *Pin) Function() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.output:
		return "Out/" + p.level.String()
	case p.input:
		return "In/" + p.level.String()
	}
	return ""
}

// In makes the pin an input; edges are not supported.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if edge != gpio.NoEdge {
		return fmt.Errorf("gpiofake: %s: edges not supported", p.N)
	}
	p.input, p.output, p.pull = true, false, pull
	return nil
}

// Read returns the level set by Set or Out.
func (p *Pin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// WaitForEdge reports no edge.
func (p *Pin) WaitForEdge(time.Duration) bool { return false }

// Pull returns the pull In was called with.
func (p *Pin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull returns gpio.PullNoChange.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.PullNoChange }

// Out makes the pin an output driven to l.
func (p *Pin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.input, p.output, p.level = false, true, l
	p.outs = append(p.outs, l)
	return nil
}

// PWM is not supported.
func (p *Pin) PWM(gpio.Duty, physic.Frequency) error {
	return fmt.Errorf("gpiofake: %s: no PWM", p.N)
}

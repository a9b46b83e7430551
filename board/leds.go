package board

import (
	"errors"
	"fmt"

	"periph.io/x/conn/v3/gpio"

	"github.com/scangate/gateway/panel"
)

// gpioLEDs drives the three lights on GPIO outputs, high for lit (an LED
// and its resistor from the pin to ground).
type gpioLEDs struct {
	pins [3]gpio.PinOut // Ready, Sending, Error; nil: no such light
}

// newLEDs makes the pins outputs, all lights off.
func newLEDs(pins [3]gpio.PinOut) (*gpioLEDs, error) {
	l := &gpioLEDs{pins: pins}
	if err := l.out(panel.LEDs{}); err != nil {
		return nil, err
	}
	return l, nil
}

// set lights the LEDs that s says are on and darkens the others.
func (l *gpioLEDs) set(s panel.LEDs) error {
	if err := l.out(s); err != nil {
		return fmt.Errorf("board: %w", err)
	}
	return nil
}

func (l *gpioLEDs) out(s panel.LEDs) error {
	var errs []error
	for i, on := range [3]bool{s.Ready, s.Sending, s.Error} {
		if p := l.pins[i]; p != nil {
			if err := p.Out(gpio.Level(on)); err != nil {
				errs = append(errs, fmt.Errorf("%s LED on %s: %w", ledNames[i], p, err))
			}
		}
	}
	return errors.Join(errs...)
}

package board

import (
	"errors"
	"slices"
	"testing"

	"periph.io/x/conn/v3/gpio"

	"github.com/scangate/gateway/board/internal/gpiofake"
	"github.com/scangate/gateway/panel"
)

func TestLEDs(t *testing.T) {
	ready, errLED := gpiofake.New("ready", gpio.High), gpiofake.New("error", gpio.High)
	l, err := newLEDs([3]gpio.PinOut{ready, nil, errLED}) // no Sending light
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []panel.LEDs{{Ready: true}, {Sending: true}, {Ready: true, Sending: true, Error: true}} {
		if err := l.set(s); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := ready.Outs(), []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High}; !slices.Equal(got, want) {
		t.Errorf("ready: %v, want %v", got, want)
	}
	if got, want := errLED.Outs(), []gpio.Level{gpio.Low, gpio.Low, gpio.Low, gpio.High}; !slices.Equal(got, want) {
		t.Errorf("error: %v, want %v", got, want)
	}
	broken := errors.New("gone")
	errLED.Fail(broken)
	if err := l.set(panel.LEDs{Error: true}); !errors.Is(err, broken) || err.Error() != "board: error LED on error: gone" {
		t.Errorf("set = %v", err)
	}
	if got := ready.Outs(); got[len(got)-1] != gpio.Low {
		t.Error("a failing light stopped the others")
	}
}

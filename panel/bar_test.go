package panel_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"periph.io/x/conn/v3/display"

	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/panel/paneltest"
)

// plainLCD is a display without custom characters.
type plainLCD struct{ display.TextDisplay }

// noCGRAM is a display whose custom characters are not implemented.
type noCGRAM struct{ *fake }

func (noCGRAM) SetCustomChar(int, [8]byte) error {
	return fmt.Errorf("lcd: %w", display.ErrNotImplemented)
}

// cgramLCD counts the custom characters defined and can fail.
type cgramLCD struct {
	*fake
	sets   int
	broken error
}

func (c *cgramLCD) SetCustomChar(i int, p [8]byte) error {
	if c.broken != nil {
		return c.broken
	}
	c.sets++
	return c.fake.SetCustomChar(i, p)
}

func (c *cgramLCD) MoveTo(row, col int) error {
	if c.broken != nil {
		return c.broken
	}
	return c.fake.MoveTo(row, col)
}

func sendingAt(t *testing.T, d display.TextDisplay, done int64) *panel.Panel {
	t.Helper()
	p, err := panel.New(d, panel.Config{Book: book}, func() time.Time { return noon })
	if err != nil {
		t.Fatal(err)
	}
	p.Key(panel.KeySend)
	p.Event(panel.Event{Stage: panel.StageSending, Done: done, Total: 100})
	return p
}

func TestBar(t *testing.T) {
	tests := []struct {
		done          int64
		custom, plain string
	}{
		{0, "", ""},
		{1, "", ""},
		{2, "=", ""},
		{3, "=", ""},
		{4, "=", "="},
		{45, "#######=", "#######"},
		{47, "#######=", "#######="},
		{50, "########", "########"},
		{99, "###############=", "###############="},
		{100, "################", "################"},
		{250, "################", "################"},
	}
	for _, tt := range tests {
		d := paneltest.NewDisplay(16, 2)
		p := sendingAt(t, d, tt.done)
		want := fmt.Sprintf("%-16s", tt.custom)
		if got := p.Screen()[1]; got != want || d.Lines()[1] != want {
			t.Errorf("%d%% with custom characters: Screen %q, display %q; want %q", tt.done, got, d.Lines()[1], want)
		}
		for _, plain := range []display.TextDisplay{plainLCD{paneltest.NewDisplay(16, 2)}, noCGRAM{paneltest.NewDisplay(16, 2)}} {
			p := sendingAt(t, plain, tt.done)
			want := fmt.Sprintf("%-16s", tt.plain)
			if got := p.Screen()[1]; got != want {
				t.Errorf("%d%% on %T: %q, want %q", tt.done, plain, got, want)
			}
		}
	}
}

func TestBarCharacters(t *testing.T) {
	d := paneltest.NewDisplay(16, 2)
	sendingAt(t, d, 47)
	for i, bits := range []byte{0x10, 0x18, 0x1c, 0x1e, 0x1f} {
		if got, want := d.CustomChar(i), [8]byte{bits, bits, bits, bits, bits, bits, bits, bits}; got != want {
			t.Errorf("custom character %d = %#v, want %#v", i, got, want)
		}
	}
	// Only the bar uses them: cell 8 holds character 0 (one column lit).
	p := sendingAt(t, plainLCD{d}, 47)
	if got := p.Screen()[1]; got != "#######=        " {
		t.Errorf("Screen()[1] = %q", got)
	}
	if d.CustomChar(5) != ([8]byte{}) {
		t.Error("character 5 defined")
	}
}

// TestBarCharactersReloaded checks that the custom characters are defined
// again after a display error, in case the display lost them.
func TestBarCharactersReloaded(t *testing.T) {
	d := &cgramLCD{fake: paneltest.NewDisplay(16, 2)}
	p := sendingAt(t, d, 47)
	if d.sets != 5 {
		t.Fatalf("%d characters defined at start, want 5", d.sets)
	}
	d.broken = errI2C
	p.Event(panel.Event{Stage: panel.StageSending, Done: 48, Total: 100})
	if !errors.Is(p.Err(), errI2C) {
		t.Fatalf("Err() = %v", p.Err())
	}
	d.broken = nil
	p.Tick()
	if d.sets != 10 || p.Err() != nil {
		t.Errorf("after recovery: %d characters defined, Err() = %v; want 10, nil", d.sets, p.Err())
	}
	if got := d.Lines(); !slices.Equal(got, []string{"Sending 48%     ", "#######=        "}) {
		t.Errorf("screen after recovery:\n%s", d)
	}
}

func TestNewFailsOnBrokenCustomChars(t *testing.T) {
	d := &cgramLCD{fake: paneltest.NewDisplay(16, 2)}
	d.broken = errI2C
	if _, err := panel.New(d, panel.Config{}, nil); !errors.Is(err, errI2C) {
		t.Errorf("New() err = %v, want the display's error", err)
	}
}

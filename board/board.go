package board

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
	"periph.io/x/conn/v3/display"

	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/panel/paneltest"
)

// Default display size.
const (
	DefaultCols = 16
	DefaultRows = 2
)

// ErrUnknownProfile is wrapped by Open's error for a profile it does not know.
var ErrUnknownProfile = errors.New("unknown profile")

// ErrNotBuilt is wrapped by Open's error for a known profile whose hardware
// support does not exist yet.
var ErrNotBuilt = errors.New("not built yet")

// profiles lists every profile name Open knows, and whether it is built.
var profiles = []struct {
	name  string
	built bool
}{{"sim", true}, {"none", true}, {"rpi", false}, {"beaglebone", false}}

// Profiles returns the names of the profiles Open knows.
func Profiles() []string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.name
	}
	return names
}

// Options tune Open.
type Options struct {
	// Cols and Rows are the size of the display; 0 means DefaultCols or
	// DefaultRows.
	Cols, Rows int
	// In is the keyboard of the interactive sim, usually os.Stdin.
	In *os.File
	// Out is where the sim draws the panel (interactive) or writes one line
	// per screen (script mode). The sim needs it.
	Out io.Writer
	// Interactive asks the sim to draw the panel in the terminal and read
	// keys from In. It takes effect only when In is a terminal; otherwise
	// the sim runs in script mode.
	Interactive bool
	// NoColor turns colour off in the interactive sim. Colour is also off
	// when the environment sets NO_COLOR or TERM is "dumb" or empty.
	NoColor bool
}

// Board is the front-panel hardware of one board profile.
type Board struct {
	// Display is the character LCD.
	Display display.TextDisplay
	// Keys delivers key presses. It is nil when the caller must feed keys
	// itself (sim in script mode) or there are none. The interactive sim
	// closes it when the user quits (q or Ctrl-C), when input ends, and on
	// Close.
	Keys <-chan panel.Key

	leds      func(panel.LEDs) error // nil: no lights
	close     func() error           // nil: nothing to release
	closeOnce sync.Once
	closeErr  error
}

// SetLEDs shows l on the board's three lights.
func (b *Board) SetLEDs(l panel.LEDs) error {
	if b.leds == nil {
		return nil
	}
	return b.leds(l)
}

// Close releases the board: the interactive sim stops reading keys, clears
// its drawing and restores the terminal. Close may be called more than once.
func (b *Board) Close() error {
	b.closeOnce.Do(func() {
		if b.close != nil {
			b.closeErr = b.close()
		}
	})
	return b.closeErr
}

// Open opens the board of the named profile:
//
//   - "sim": the panel simulated in a terminal (see the package
//     documentation for its interactive and script modes);
//   - "none": no panel; the display remembers what it is sent and shows it
//     nowhere, there are no keys and no lights.
//
// The profiles "rpi" and "beaglebone" are known but not built yet; Open
// returns an error wrapping ErrNotBuilt for them and one wrapping
// ErrUnknownProfile for any other name.
func Open(profile string, opts Options) (*Board, error) {
	cols, rows := opts.Cols, opts.Rows
	if cols == 0 {
		cols = DefaultCols
	}
	if rows == 0 {
		rows = DefaultRows
	}
	if cols < 0 || rows < 0 {
		return nil, fmt.Errorf("board: display size %dx%d", cols, rows)
	}
	switch profile {
	case "sim":
		return openSim(cols, rows, opts)
	case "none":
		return &Board{Display: paneltest.NewDisplay(cols, rows)}, nil
	}
	for _, p := range profiles {
		if p.name == profile && !p.built {
			return nil, fmt.Errorf("board: profile %s is %w", profile, ErrNotBuilt)
		}
	}
	return nil, fmt.Errorf("board: %w %q (known: %s)", ErrUnknownProfile, profile, strings.Join(Profiles(), ", "))
}

// lcd names paneltest.Display so that, embedded, it keeps its Display
// method promoted instead of becoming a field of that name.
type lcd = paneltest.Display

// openSim opens the simulated panel, interactive when asked and possible.
func openSim(cols, rows int, opts Options) (*Board, error) {
	if opts.Out == nil {
		return nil, errors.New("board: sim needs Options.Out")
	}
	lcd := paneltest.NewDisplay(cols, rows)
	if !opts.Interactive || opts.In == nil || !term.IsTerminal(int(opts.In.Fd())) {
		s := newScript(lcd, opts.Out)
		return &Board{Display: s, leds: s.setLEDs}, nil
	}
	color := !opts.NoColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && os.Getenv("TERM") != ""
	return openInteractive(lcd, opts.In, opts.Out, color)
}

package board

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	"golang.org/x/term"
	"periph.io/x/conn/v3/display"

	"github.com/scangate/gateway/board/simlcd"
	"github.com/scangate/gateway/board/watchdog"
	"github.com/scangate/gateway/panel"
)

// Default display size.
const (
	DefaultCols = 16
	DefaultRows = 2
)

// ErrUnknownProfile is wrapped by the errors of Open and Validate for a
// profile they do not know.
var ErrUnknownProfile = errors.New("unknown profile")

// profiles lists every profile name Open knows.
var profiles = []string{"sim", "none", "rpi", "beaglebone"}

// Profiles returns the names of the profiles Open knows.
func Profiles() []string { return slices.Clone(profiles) }

// Options tune Open. The fields other than In, Out, Interactive, NoColor
// and Log are settings of the gateway's settings file (its board table);
// Validate checks them.
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

	// The rest concerns the hardware profiles, rpi and beaglebone.

	// I2CBus is the I2C bus of the LCD, by number ("1") or name
	// ("/dev/i2c-1"); empty means the profile's.
	I2CBus string
	// LCDAddress is the 7-bit I2C address of the LCD's backpack; 0 tries
	// 0x27, then 0x3F.
	LCDAddress int
	// KeyPins overrides the profile's key pins: key name as panel.ParseKey
	// reads it ("up", "send"...) to GPIO pin name as periph knows it
	// ("GPIO17", "P8_7"); an empty pin name takes the key away.
	KeyPins map[string]string
	// LEDPins overrides the profile's LED pins the same way; the names are
	// those of LEDNames.
	LEDPins map[string]string
	// Watchdog is the path of the hardware watchdog device, usually
	// "/dev/watchdog"; empty means none.
	Watchdog string
	// Log receives one line for each piece of hardware the board runs
	// without (a missing LCD or watchdog); nil discards them.
	Log *slog.Logger
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
	// Watchdog is the hardware watchdog, or nil. The caller kicks it at
	// least every watchdog.KeepAliveInterval while the gateway is healthy
	// (gateway run does, beside systemd's watchdog); Close disarms it.
	Watchdog *watchdog.Watchdog

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
// its drawing and restores the terminal; a hardware board stops reading
// keys, darkens the LEDs, halts the LCD (dark and blank, see
// hd44780.LCD.Halt) before it closes the I2C bus, and disarms the watchdog.
// Close may be called more than once.
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
//     nowhere, there are no keys and no lights;
//   - "rpi", "beaglebone": an HD44780 LCD on an I2C backpack, keys and LEDs
//     on GPIO, and the hardware watchdog (see the package documentation for
//     the pins). A missing LCD or watchdog is logged and the board runs
//     without it; a key or LED pin that cannot be had is an error.
//
// Open first checks profile and opts with Validate, and returns its error
// (wrapping ErrUnknownProfile for a name not above) before it touches any
// hardware. The hardware options are not used by sim and none, but must
// still be valid.
func Open(profile string, opts Options) (*Board, error) {
	return open(profile, opts, periphHost{})
}

func open(profile string, opts Options, m machine) (*Board, error) {
	if err := opts.Validate(profile); err != nil {
		return nil, err
	}
	cols, rows := cmp.Or(opts.Cols, DefaultCols), cmp.Or(opts.Rows, DefaultRows)
	switch profile {
	case "sim":
		return openSim(cols, rows, opts)
	case "none":
		return &Board{Display: simlcd.New(cols, rows)}, nil
	case "rpi", "beaglebone":
		return openHardware(profile, cols, rows, opts, m)
	}
	return nil, fmt.Errorf("board: %w %q (known: %s)", ErrUnknownProfile, profile, strings.Join(Profiles(), ", "))
}

// lcd names simlcd.Display so that, embedded, it keeps its Display method
// promoted instead of becoming a field of that name.
type lcd = simlcd.Display

// openSim opens the simulated panel, interactive when asked and possible.
func openSim(cols, rows int, opts Options) (*Board, error) {
	if opts.Out == nil {
		return nil, errors.New("board: sim needs Options.Out")
	}
	lcd := simlcd.New(cols, rows)
	if !opts.Interactive || opts.In == nil || !term.IsTerminal(int(opts.In.Fd())) {
		s := newScript(lcd, opts.Out)
		return &Board{Display: s, leds: s.setLEDs}, nil
	}
	color := !opts.NoColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && os.Getenv("TERM") != ""
	return openInteractive(lcd, opts.In, opts.Out, color)
}

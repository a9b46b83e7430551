package board

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"

	"github.com/scangate/gateway/board/hd44780"
	"github.com/scangate/gateway/board/keys"
	"github.com/scangate/gateway/board/simlcd"
	"github.com/scangate/gateway/board/watchdog"
	"github.com/scangate/gateway/panel"
)

// ledNames are the names of the three lights, Ready, Sending and Error.
var ledNames = []string{"ready", "sending", "error"}

// LEDNames returns the names of the three lights, as Options.LEDPins takes
// them: "ready", "sending" and "error".
func LEDNames() []string { return slices.Clone(ledNames) }

// ledIndex returns the light a name stands for, ignoring case and
// surrounding spaces: 0 for Ready, 1 for Sending, 2 for Error.
func ledIndex(name string) (int, bool) {
	i := slices.Index(ledNames, strings.ToLower(strings.TrimSpace(name)))
	return i, i >= 0
}

// keyNames returns the names of the panel's keys, as Options.KeyPins takes
// them. They are panel's own: its keys are numbered from 0, and each name
// is what panel.ParseKey reads back as the same key.
func keyNames() []string {
	var names []string
	for k := panel.Key(0); ; k++ {
		if p, err := panel.ParseKey(k.String()); err != nil || p != k {
			return names
		}
		names = append(names, k.String())
	}
}

// wiring is how a board with a real panel is connected.
type wiring struct {
	i2cBus string
	keys   map[panel.Key]string // pin names
	leds   [3]string            // pin names of Ready, Sending, Error
	// pull is set on the key pins: the keys connect their pin to ground.
	pull gpio.Pull
}

// wirings are the default connections of the hardware profiles. See the
// package documentation for the reasons.
var wirings = map[string]wiring{
	"rpi": {
		i2cBus: "1",
		keys: map[panel.Key]string{
			panel.KeyUp: "GPIO17", panel.KeyDown: "GPIO27", panel.KeyLeft: "GPIO22", panel.KeyRight: "GPIO23",
			panel.KeyOK: "GPIO24", panel.KeyBack: "GPIO25", panel.KeySend: "GPIO5", panel.KeyStop: "GPIO6",
		},
		leds: [3]string{"GPIO16", "GPIO20", "GPIO21"},
		pull: gpio.PullUp,
	},
	"beaglebone": {
		i2cBus: "2",
		keys: map[panel.Key]string{
			panel.KeyUp: "P8_7", panel.KeyDown: "P8_8", panel.KeyLeft: "P8_9", panel.KeyRight: "P8_10",
			panel.KeyOK: "P8_11", panel.KeyBack: "P8_12", panel.KeySend: "P8_14", panel.KeyStop: "P8_15",
		},
		leds: [3]string{"P9_12", "P9_15", "P9_23"},
		pull: gpio.PullNoChange, // its sysfs GPIO driver cannot set pulls
	},
}

// The 7-bit I2C addresses a device may have; the others are reserved.
const (
	minI2CAddr = 0x08
	maxI2CAddr = 0x77
)

// repeating are the keys that repeat while held.
var repeating = []panel.Key{panel.KeyUp, panel.KeyDown, panel.KeyLeft, panel.KeyRight}

// machine is what the hardware profiles need from the computer they run
// on: periph's drivers, or fakes in tests.
type machine interface {
	// init loads the drivers of the host.
	init() error
	// openI2C opens a bus by name or number.
	openI2C(name string) (i2c.BusCloser, error)
	// pin returns the GPIO pin of a name, or nil.
	pin(name string) gpio.PinIO
	// lcdSleep is how the LCD driver waits; nil means its own way.
	lcdSleep() func(time.Duration)
}

// periphHost is the real machine.
type periphHost struct{}

func (periphHost) init() error {
	_, err := host.Init()
	return err
}

func (periphHost) openI2C(name string) (i2c.BusCloser, error) { return i2creg.Open(name) }
func (periphHost) pin(name string) gpio.PinIO                 { return gpioreg.ByName(name) }
func (periphHost) lcdSleep() func(time.Duration)              { return nil }

// hardware is a board being opened: what is open so far, for Close and for
// cleaning up after a failure.
type hardware struct {
	keys     *keys.Keys
	leds     *gpioLEDs
	lcd      *hd44780.LCD
	bus      i2c.BusCloser
	watchdog *watchdog.Watchdog
}

func (h *hardware) close() error {
	var errs []error
	if h.keys != nil {
		errs = append(errs, h.keys.Close())
	}
	if h.leds != nil {
		errs = append(errs, h.leds.set(panel.LEDs{}))
	}
	if h.lcd != nil {
		errs = append(errs, h.lcd.Halt()) // on the bus, so before it closes
	}
	if h.bus != nil {
		errs = append(errs, h.bus.Close())
	}
	if h.watchdog != nil {
		errs = append(errs, h.watchdog.Close())
	}
	return errors.Join(errs...)
}

// openHardware opens the board of a hardware profile on m; Validate has
// checked the options.
func openHardware(profile string, cols, rows int, opts Options, m machine) (b *Board, err error) {
	w := wirings[profile]
	keyPins, ledPins := pinNames(w, opts)
	if err := m.init(); err != nil {
		return nil, fmt.Errorf("board: %s: host drivers: %w", profile, err)
	}
	h := &hardware{}
	defer func() {
		if err != nil {
			h.close()
			err = fmt.Errorf("board: %s: %w", profile, err)
		}
	}()
	pins, err := resolve(m, keyPins, ledPins)
	if err != nil {
		return nil, err
	}
	var ks []keys.Key
	for _, k := range slices.Sorted(maps.Keys(keyPins)) {
		ks = append(ks, keys.Key{Key: k, Pin: pins[keyPins[k]], Repeat: slices.Contains(repeating, k)})
	}
	if h.keys, err = keys.Open(ks, keys.Config{Pull: w.pull}); err != nil {
		return nil, err
	}
	var leds [3]gpio.PinOut
	for i, name := range ledPins {
		if name != "" {
			leds[i] = pins[name]
		}
	}
	if h.leds, err = newLEDs(leds); err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b = &Board{Keys: h.keys.C(), leds: h.leds.set, close: h.close}
	bus := cmp.Or(opts.I2CBus, w.i2cBus)
	if lcd, err := openLCD(h, m, bus, cols, rows, opts.LCDAddress); err != nil {
		log.Warn("board: no LCD, running without a display", "profile", profile, "i2c_bus", bus, "err", err)
		b.Display = simlcd.New(cols, rows)
	} else {
		b.Display = lcd
	}
	if opts.Watchdog != "" {
		if wd, err := watchdog.Open(opts.Watchdog); err != nil {
			log.Warn("board: no hardware watchdog, running without one", "profile", profile, "err", err)
		} else {
			h.watchdog, b.Watchdog = wd, wd
		}
	}
	return b, nil
}

// pinNames applies the overrides of opts to the wiring's pins, ignoring
// names that are no key or light (Validate reports them). A pin name of ""
// takes a key or light away.
func pinNames(w wiring, opts Options) (map[panel.Key]string, [3]string) {
	keyPins := maps.Clone(w.keys)
	for _, name := range slices.Sorted(maps.Keys(opts.KeyPins)) {
		if k, err := panel.ParseKey(name); err == nil {
			keyPins[k] = strings.TrimSpace(opts.KeyPins[name])
		}
	}
	maps.DeleteFunc(keyPins, func(_ panel.Key, pin string) bool { return pin == "" })
	ledPins := w.leds
	for _, name := range slices.Sorted(maps.Keys(opts.LEDPins)) {
		if i, ok := ledIndex(name); ok {
			ledPins[i] = strings.TrimSpace(opts.LEDPins[name])
		}
	}
	return keyPins, ledPins
}

// resolve finds the pins by name and checks that no pin serves twice.
func resolve(m machine, keyPins map[panel.Key]string, ledPins [3]string) (map[string]gpio.PinIO, error) {
	pins := map[string]gpio.PinIO{}
	users := map[string]string{} // real pin name -> its first user
	use := func(user, name string) error {
		p := m.pin(name)
		if p == nil {
			return fmt.Errorf("%s: no GPIO pin %q on this board", user, name)
		}
		id := p.Name()
		if r, ok := p.(gpio.RealPin); ok {
			id = r.Real().Name()
		}
		if other, ok := users[id]; ok {
			return fmt.Errorf("%s: pin %q is %s's already", user, name, other)
		}
		users[id], pins[name] = user, p
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(keyPins)) {
		if err := use("key "+k.String(), keyPins[k]); err != nil {
			return nil, err
		}
	}
	for i, name := range ledPins {
		if name != "" {
			if err := use(ledNames[i]+" LED", name); err != nil {
				return nil, err
			}
		}
	}
	return pins, nil
}

// openLCD opens the I2C bus and the LCD on it, at addr or, when addr is 0,
// at the first of the two usual addresses that answers.
func openLCD(h *hardware, m machine, bus string, cols, rows, addr int) (*hd44780.LCD, error) {
	b, err := m.openI2C(bus)
	if err != nil {
		return nil, fmt.Errorf("I2C bus %s: %w", bus, err)
	}
	addrs := []int{hd44780.AddrPCF8574, hd44780.AddrPCF8574A}
	if addr != 0 {
		addrs = []int{addr}
	}
	var errs []error
	for _, a := range addrs {
		lcd, err := hd44780.Open(b, uint16(a), hd44780.Options{Cols: cols, Rows: rows, Sleep: m.lcdSleep()})
		if err == nil {
			h.bus, h.lcd = b, lcd
			return lcd, nil
		}
		errs = append(errs, fmt.Errorf("address %#x: %w", a, err))
	}
	b.Close()
	return nil, errors.Join(errs...)
}

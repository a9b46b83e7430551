package board

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"

	"github.com/scangate/gateway/board/hd44780"
	"github.com/scangate/gateway/board/internal/gpiofake"
	"github.com/scangate/gateway/board/simlcd"
	"github.com/scangate/gateway/panel"
)

var errNoAck = errors.New("no acknowledge")

// fakeBus is an I2C bus with devices that acknowledge every write at their
// addresses, until the bus is closed.
type fakeBus struct {
	name    string
	mu      sync.Mutex
	devices map[uint16]bool
	writes  map[uint16]int
	last    [][]byte // the bytes of the acknowledged writes, most recent last
	closed  bool
}

func newBus(name string, addrs ...uint16) *fakeBus {
	b := &fakeBus{name: name, devices: map[uint16]bool{}, writes: map[uint16]int{}}
	for _, a := range addrs {
		b.devices[a] = true
	}
	return b
}

func (b *fakeBus) String() string                  { return b.name }
func (b *fakeBus) SetSpeed(physic.Frequency) error { return nil }

func (b *fakeBus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || !b.devices[addr] {
		return errNoAck
	}
	b.writes[addr]++
	b.last = append(b.last, slices.Clone(w))
	return nil
}

// tail returns the bytes of the last n acknowledged writes.
func (b *fakeBus) tail(n int) [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last[max(len(b.last)-n, 0):]
}

func (b *fakeBus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// fakeMachine has the pins and buses a test gives it.
type fakeMachine struct {
	initErr error
	pins    map[string]*gpiofake.Pin
	buses   map[string]*fakeBus
}

// newMachine returns a machine with every pin of the profile's wiring and
// the extra pins, all reading high (keys released), and the buses.
func newMachine(profile string, extra []string, buses ...*fakeBus) *fakeMachine {
	m := &fakeMachine{pins: map[string]*gpiofake.Pin{}, buses: map[string]*fakeBus{}}
	w := wirings[profile]
	for _, name := range append(append(slices.Collect(maps.Values(w.keys)), w.leds[:]...), extra...) {
		m.pins[name] = gpiofake.New(name, gpio.High)
	}
	for _, b := range buses {
		m.buses[b.name] = b
	}
	return m
}

func (m *fakeMachine) init() error { return m.initErr }

func (m *fakeMachine) openI2C(name string) (i2c.BusCloser, error) {
	if b, ok := m.buses[name]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("i2creg: can't open unknown bus: %q", name)
}

// lcdSleep is the sleep of the bubble's virtual clock: the LCD driver's own
// spins through short waits, which a virtual clock never ends.
func (m *fakeMachine) lcdSleep() func(time.Duration) { return time.Sleep }

func (m *fakeMachine) pin(name string) gpio.PinIO {
	if p, ok := m.pins[name]; ok {
		return p
	}
	return nil
}

// watchdogFile makes a stand-in for the watchdog device.
func watchdogFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "watchdog")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pending returns the keys waiting on b.Keys once the bubble is idle.
func pending(b *Board) []panel.Key {
	synctest.Wait()
	var got []panel.Key
	for {
		select {
		case k, ok := <-b.Keys:
			if !ok {
				return append(got, -1)
			}
			got = append(got, k)
		default:
			return got
		}
	}
}

// press holds pin down for d of virtual time and returns the keys
// delivered, after a release long enough to count.
func press(b *Board, pin *gpiofake.Pin, d time.Duration) []panel.Key {
	pin.Set(gpio.Low)
	time.Sleep(d)
	pin.Set(gpio.High)
	time.Sleep(100 * time.Millisecond)
	return pending(b)
}

func TestRPi(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := newBus("1", hd44780.AddrPCF8574)
		m := newMachine("rpi", nil, bus)
		var logs bytes.Buffer
		wd := watchdogFile(t)
		b, err := open("rpi", Options{Watchdog: wd, Log: slog.New(slog.NewTextHandler(&logs, nil))}, m)
		if err != nil {
			t.Fatal(err)
		}
		lcd, ok := b.Display.(*hd44780.LCD)
		if !ok || lcd.Cols() != 16 || lcd.Rows() != 2 || bus.writes[hd44780.AddrPCF8574] == 0 {
			t.Fatalf("display %v, writes %v", b.Display, bus.writes)
		}
		for _, name := range wirings["rpi"].keys {
			if in, pull := m.pins[name].Input(); !in || pull != gpio.PullUp {
				t.Errorf("key pin %s: input %v, pull %v", name, in, pull)
			}
		}
		if got := press(b, m.pins["GPIO5"], time.Second); !slices.Equal(got, []panel.Key{panel.KeySend}) {
			t.Errorf("send held 1 s: %v", got)
		}
		if got := press(b, m.pins["GPIO17"], 700*time.Millisecond); !slices.Equal(got, []panel.Key{panel.KeyUp, panel.KeyUp}) {
			t.Errorf("up held 0.7 s: %v", got)
		}
		if err := b.SetLEDs(panel.LEDs{Ready: true, Error: true}); err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string][]gpio.Level{
			"GPIO16": {gpio.Low, gpio.High}, "GPIO20": {gpio.Low, gpio.Low}, "GPIO21": {gpio.Low, gpio.High},
		} {
			if got := m.pins[name].Outs(); !slices.Equal(got, want) {
				t.Errorf("LED %s: %v, want %v", name, got, want)
			}
		}
		if b.Watchdog == nil {
			t.Fatal("no watchdog")
		}
		for i, want := range []string{"\x00", "\x00\x00", "\x00\x00\x00"} {
			if err := b.Watchdog.Kick(); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(wd); string(got) != want {
				t.Fatalf("kick %d: watchdog got %q, want %q", i+1, got, want)
			}
		}
		if err := errors.Join(b.Close(), b.Close()); err != nil {
			t.Fatal(err)
		}
		if got := pending(b); !slices.Equal(got, []panel.Key{-1}) {
			t.Errorf("after Close, keys %v", got)
		}
		if got, _ := os.ReadFile(wd); string(got) != "\x00\x00\x00V" {
			t.Errorf("watchdog got %q", got)
		}
		if got := m.pins["GPIO16"].Outs(); got[len(got)-1] != gpio.Low || !bus.closed {
			t.Errorf("after Close: ready LED %v, bus closed %v", got, bus.closed)
		}
		// The LCD's halt (see hd44780's golden traffic) went out before the
		// bus closed: display off and clear, with the backlight bit low.
		if got, want := bus.tail(2), [][]byte{{0x04, 0x00, 0x84, 0x80}, {0x04, 0x00, 0x14, 0x10}}; !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("last LCD writes % x, want the halt % x", got, want)
		}
		if logs.Len() > 0 {
			t.Errorf("logged:\n%s", logs.String())
		}
	})
}

func TestBeagleBone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := newBus("2", hd44780.AddrPCF8574A) // the A variant of the expander
		m := newMachine("beaglebone", nil, bus)
		b, err := open("beaglebone", Options{Cols: 20, Rows: 4}, m)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if lcd, ok := b.Display.(*hd44780.LCD); !ok || lcd.Cols() != 20 || bus.writes[hd44780.AddrPCF8574A] == 0 {
			t.Fatalf("display %v, writes %v", b.Display, bus.writes)
		}
		if in, pull := m.pins["P8_15"].Input(); !in || pull != gpio.PullNoChange {
			t.Errorf("stop key pin: input %v, pull %v", in, pull)
		}
		if got := press(b, m.pins["P8_11"], 50*time.Millisecond); !slices.Equal(got, []panel.Key{panel.KeyOK}) {
			t.Errorf("ok: %v", got)
		}
		if b.Watchdog != nil {
			t.Error("a watchdog nobody asked for")
		}
	})
}

func TestOverrides(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := newBus("3", 0x20)
		m := newMachine("rpi", []string{"GPIO4", "GPIO26"}, bus)
		b, err := open("rpi", Options{
			I2CBus: "3", LCDAddress: 0x20,
			KeyPins: map[string]string{" UP ": "GPIO4", "stop": ""},
			LEDPins: map[string]string{"Error": "", "ready": "GPIO26"},
		}, m)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if bus.writes[0x20] == 0 {
			t.Errorf("LCD writes %v", bus.writes)
		}
		for name, used := range map[string]bool{"GPIO4": true, "GPIO17": false, "GPIO6": false, "GPIO26": true, "GPIO16": false, "GPIO21": false} {
			in, _ := m.pins[name].Input()
			if got := in || len(m.pins[name].Outs()) > 0; got != used {
				t.Errorf("pin %s used: %v, want %v", name, got, used)
			}
		}
		if got := press(b, m.pins["GPIO4"], 50*time.Millisecond); !slices.Equal(got, []panel.Key{panel.KeyUp}) {
			t.Errorf("up: %v", got)
		}
	})
}

// TestDegrade checks that a board without its LCD or watchdog runs without
// them, with one log line each.
func TestDegrade(t *testing.T) {
	for _, tt := range []struct {
		name  string
		buses []*fakeBus
		want  string
	}{
		{"no device answers", []*fakeBus{newBus("1")}, "address 0x27: hd44780: reset: no acknowledge"},
		{"no bus", nil, `I2C bus 1: i2creg: can't open unknown bus: \"1\"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := newMachine("rpi", nil, tt.buses...)
				var logs bytes.Buffer
				missing := filepath.Join(t.TempDir(), "watchdog")
				b, err := open("rpi", Options{Watchdog: missing, Log: slog.New(slog.NewTextHandler(&logs, nil))}, m)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				if _, ok := b.Display.(*simlcd.Display); !ok {
					t.Errorf("display %v", b.Display)
				}
				if b.Watchdog != nil {
					t.Error("watchdog without a device")
				}
				lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
				if len(lines) != 2 || !strings.Contains(lines[0], "no LCD") || !strings.Contains(lines[0], tt.want) ||
					!strings.Contains(lines[1], "no hardware watchdog") {
					t.Errorf("logged:\n%s", logs.String())
				}
				if got := press(b, m.pins["GPIO24"], 50*time.Millisecond); !slices.Equal(got, []panel.Key{panel.KeyOK}) {
					t.Errorf("keys without an LCD: %v", got)
				}
			})
		})
	}
}

func TestHardwareErrors(t *testing.T) {
	busy := errors.New("busy")
	tests := []struct {
		name  string
		opts  Options
		setup func(m *fakeMachine)
		want  string
	}{
		{"host drivers", Options{}, func(m *fakeMachine) { m.initErr = busy }, "board: rpi: host drivers: busy"},
		{"invalid options", Options{KeyPins: map[string]string{"enter": "GPIO4"}}, nil,
			`board.key_pins: unknown name "enter" (valid: up, down, left, right, ok, back, send, stop)`},
		{"missing pin", Options{KeyPins: map[string]string{"ok": "GPIO99"}}, nil,
			`board: rpi: key ok: no GPIO pin "GPIO99" on this board`},
		// Two names of one pin, which only the board can tell.
		{"pin used twice", Options{KeyPins: map[string]string{"ok": "P1_36"}}, func(m *fakeMachine) { m.pins["P1_36"] = m.pins["GPIO16"] },
			`board: rpi: ready LED: pin "GPIO16" is key ok's already`},
		{"key pin fails", Options{}, func(m *fakeMachine) { m.pins["GPIO17"].Fail(busy) }, "board: rpi: keys: key up on GPIO17: busy"},
		{"LED pin fails", Options{}, func(m *fakeMachine) { m.pins["GPIO21"].Fail(busy) }, "board: rpi: error LED on GPIO21: busy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := newMachine("rpi", []string{"GPIO4"}, newBus("1", hd44780.AddrPCF8574))
				if tt.setup != nil {
					tt.setup(m)
				}
				b, err := open("rpi", tt.opts, m)
				if err == nil || err.Error() != tt.want {
					t.Errorf("open = %v, %v; want error %q", b, err, tt.want)
				}
				if b != nil {
					b.Close()
				}
				// The bubble ends only if a failed open stopped the key poller.
			})
		})
	}
}

// TestInvalidOptionsOpenNothing checks that Open refuses invalid options
// before it loads the host drivers.
func TestInvalidOptionsOpenNothing(t *testing.T) {
	m := newMachine("rpi", nil, newBus("1", hd44780.AddrPCF8574))
	m.initErr = errors.New("host drivers loaded")
	_, err := open("rpi", Options{LCDAddress: 0x78}, m)
	var se *SettingError
	if !errors.As(err, &se) || se.Setting != "board.lcd_address" {
		t.Errorf("open = %v, want the board.lcd_address error", err)
	}
}

// TestWirings checks that each hardware profile gives every key and light
// a pin of its own, and that the arrows are the keys that repeat.
func TestWirings(t *testing.T) {
	for _, profile := range Profiles() {
		w, ok := wirings[profile]
		if profile == "sim" || profile == "none" {
			if ok {
				t.Errorf("%s has a wiring", profile)
			}
			continue
		}
		if !ok {
			t.Fatalf("%s has no wiring", profile)
		}
		if len(w.keys) != len(keyNames()) || w.i2cBus == "" {
			t.Errorf("%s: keys %v, I2C bus %q", profile, w.keys, w.i2cBus)
		}
		pins := map[string]bool{}
		for _, p := range append(slices.Collect(maps.Values(w.keys)), w.leds[:]...) {
			if p == "" || pins[strings.ToUpper(p)] {
				t.Errorf("%s: pin %q empty or given twice", profile, p)
			}
			pins[strings.ToUpper(p)] = true
		}
		if err := (Options{}).Validate(profile); err != nil {
			t.Errorf("%s: defaults invalid: %v", profile, err)
		}
	}
	if !slices.Equal(repeating, []panel.Key{panel.KeyUp, panel.KeyDown, panel.KeyLeft, panel.KeyRight}) {
		t.Errorf("repeating keys %v", repeating)
	}
}

package hd44780

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/display/displaytest"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/scangate/gateway/board/simlcd"
)

// The golden traffic below is derived from the datasheet (figure 24, table
// 6) and the default wiring: data nibble on P7-P4 (bits 7-4), backlight on
// P3 (0x08), E on P2 (0x04), RW on P1 (0x02, always low), RS on P0 (0x01).
// A byte b of the controller goes out as four expander bytes:
//
//	hi(b)|bl|rs|E, hi(b)|bl|rs, lo(b)<<4|bl|rs|E, lo(b)<<4|bl|rs
//
// E high then low latches each nibble. When RS differs from the last byte on
// the port, hi(b)|bl|rs comes first, so RS is set before E rises. With the
// backlight on (0x08), instruction 0x28 is thus 2C 28 8C 88 and data 'H'
// (0x48) after an instruction is 49 4D 49 8D 89.

const addr = AddrPCF8574

func io(w ...byte) i2ctest.IO { return i2ctest.IO{Addr: addr, W: w} }

// goldenInit is the whole initialization.
var goldenInit = []i2ctest.IO{
	io(0x08),                   // every line low but the backlight; then more than 40 ms
	io(0x3c, 0x38),             // nibble 0x3: function set, 8-bit interface; more than 4.1 ms
	io(0x3c, 0x38),             // nibble 0x3 again; more than 100 µs
	io(0x3c, 0x38),             // nibble 0x3 a third time
	io(0x2c, 0x28),             // nibble 0x2: function set, 4-bit interface
	io(0x2c, 0x28, 0x8c, 0x88), // 0x28 function set: 4-bit, two lines, 5x8 dots
	io(0x0c, 0x08, 0x8c, 0x88), // 0x08 display off
	io(0x0c, 0x08, 0x1c, 0x18), // 0x01 clear display; 1.52 ms
	io(0x0c, 0x08, 0x6c, 0x68), // 0x06 entry mode: increment, no shift
	io(0x0c, 0x08, 0xcc, 0xc8), // 0x0C display on, cursor off, no blink
}

// playback opens an LCD on a Playback bus that expects the initialization
// followed by ops, and returns it with the bus.
func playback(t *testing.T, opts Options, ops ...i2ctest.IO) (*LCD, *i2ctest.Playback) {
	t.Helper()
	bus := &i2ctest.Playback{Ops: append(slices.Clone(goldenInit), ops...), DontPanic: true}
	opts.Sleep = func(time.Duration) {}
	l, err := Open(bus, addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l, bus
}

func TestGoldenTraffic(t *testing.T) {
	tests := []struct {
		name string
		run  func(l *LCD) error
		ops  []i2ctest.IO
	}{
		{"init", func(*LCD) error { return nil }, nil},
		{
			"Hi at row 1 col 3",
			func(l *LCD) error {
				if err := l.MoveTo(1, 3); err != nil {
					return err
				}
				_, err := l.WriteString("Hi")
				return err
			},
			[]i2ctest.IO{
				io(0xcc, 0xc8, 0x3c, 0x38),       // set DDRAM address 0x80|0x43: row 1 starts at 0x40, col 3
				io(0x49, 0x4d, 0x49, 0x8d, 0x89), // RS up first, then 'H' 0x48
				io(0x6d, 0x69, 0x9d, 0x99),       // 'i' 0x69, RS already up
			},
		},
		{
			"row 3 col 0 of 20x4",
			func(l *LCD) error { return l.MoveTo(3, 0) },
			[]i2ctest.IO{io(0xdc, 0xd8, 0x4c, 0x48)}, // 0x80|0x54: row 3 starts at 0x40+20
		},
		{"clear", (*LCD).Clear, []i2ctest.IO{io(0x0c, 0x08, 0x1c, 0x18)}},
		{"home", (*LCD).Home, []i2ctest.IO{io(0x0c, 0x08, 0x2c, 0x28)}},
		{
			"backlight off then on",
			func(l *LCD) error {
				return errors.Join(l.Backlight(0), l.Clear(), l.Backlight(255))
			},
			[]i2ctest.IO{
				io(0x00),                   // P3 low: backlight off
				io(0x04, 0x00, 0x14, 0x10), // clear, with the backlight bit staying low
				io(0x08),                   // P3 high again
			},
		},
		{
			"custom character 2",
			func(l *LCD) error {
				if err := l.MoveTo(0, 5); err != nil {
					return err
				}
				return l.SetCustomChar(2, [8]byte{0x1f, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1f, 0xe0})
			},
			[]i2ctest.IO{
				io(0x8c, 0x88, 0x5c, 0x58),       // 0x85: the cursor at row 0 col 5
				io(0x5c, 0x58, 0x0c, 0x08),       // 0x50 set CGRAM address 0x40|2<<3
				io(0x19, 0x1d, 0x19, 0xfd, 0xf9), // RS up, row 0x1f
				io(0x1d, 0x19, 0x1d, 0x19),       // 0x11
				io(0x1d, 0x19, 0x1d, 0x19),       // 0x11
				io(0x1d, 0x19, 0x1d, 0x19),       // 0x11
				io(0x1d, 0x19, 0x1d, 0x19),       // 0x11
				io(0x1d, 0x19, 0x1d, 0x19),       // 0x11
				io(0x1d, 0x19, 0xfd, 0xf9),       // 0x1f
				io(0x0d, 0x09, 0x0d, 0x09),       // 0xe0 keeps its five low bits: 0x00
				io(0x88, 0x8c, 0x88, 0x5c, 0x58), // RS down, 0x85: back to the cursor in DDRAM
			},
		},
		{
			"cursor and display modes",
			func(l *LCD) error {
				return errors.Join(l.Cursor(display.CursorUnderline, display.CursorBlink), l.Display(false),
					l.Display(true), l.Cursor(display.CursorOff), l.AutoScroll(true), l.AutoScroll(false))
			},
			[]i2ctest.IO{
				io(0x0c, 0x08, 0xfc, 0xf8), // 0x0F display on, cursor, blink
				io(0x0c, 0x08, 0xbc, 0xb8), // 0x0B display off, cursor and blink kept
				io(0x0c, 0x08, 0xfc, 0xf8), // 0x0F
				io(0x0c, 0x08, 0xcc, 0xc8), // 0x0C
				io(0x0c, 0x08, 0x7c, 0x78), // 0x07 entry mode with display shift
				io(0x0c, 0x08, 0x6c, 0x68), // 0x06
			},
		},
		{
			"move",
			func(l *LCD) error {
				return errors.Join(l.Move(display.Forward), l.Move(display.Down), l.Move(display.Backward), l.Move(display.Up))
			},
			[]i2ctest.IO{
				io(0x1c, 0x18, 0x4c, 0x48), // 0x14 cursor right: col 1
				io(0xcc, 0xc8, 0x1c, 0x18), // 0xC1: row 1 col 1
				io(0x1c, 0x18, 0x0c, 0x08), // 0x10 cursor left: row 1 col 0
				io(0x8c, 0x88, 0x0c, 0x08), // 0x80: row 0 col 0
			},
		},
		{
			"halt",
			(*LCD).Halt,
			[]i2ctest.IO{
				io(0x04, 0x00, 0x84, 0x80), // 0x08 display off, with P3 low: backlight off from the first byte
				io(0x04, 0x00, 0x14, 0x10), // 0x01 clear display
			},
		},
		{
			"text, halt, and on again",
			func(l *LCD) error {
				_, err := l.WriteString("H")
				return errors.Join(err, l.Halt(), l.Display(true), l.Backlight(255))
			},
			[]i2ctest.IO{
				io(0x49, 0x4d, 0x49, 0x8d, 0x89), // RS up, 'H' 0x48
				io(0x00, 0x04, 0x00, 0x84, 0x80), // RS down with the backlight off, 0x08 display off
				io(0x04, 0x00, 0x14, 0x10),       // 0x01 clear display
				io(0x04, 0x00, 0xc4, 0xc0),       // 0x0C display on, the backlight still off
				io(0x08),                         // P3 high: backlight on
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{}
			if strings.Contains(tt.name, "20x4") {
				opts = Options{Cols: 20, Rows: 4}
			}
			l, bus := playback(t, opts, tt.ops...)
			if err := tt.run(l); err != nil {
				t.Fatal(err)
			}
			if err := bus.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// emulated opens an LCD on the controller model.
func emulated(t *testing.T, cols, rows int) (*LCD, *controller) {
	t.Helper()
	c := newController(addr)
	l, err := Open(c, addr, Options{Cols: cols, Rows: rows, Now: c.now, Sleep: c.sleep})
	if err != nil {
		t.Fatal(err)
	}
	checkController(t, c)
	return l, c
}

func checkController(t *testing.T, c *controller) {
	t.Helper()
	for _, e := range c.errs {
		t.Error(e)
	}
	c.errs = nil
}

// TestDatasheetTiming checks that the initialization and every kind of
// write respect the datasheet's waits, the set-up and hold rules and leave
// the controller in 4-bit, two-line mode, display on, cursor off.
func TestDatasheetTiming(t *testing.T) {
	l, c := emulated(t, 16, 2)
	if !c.fourBit || !c.twoLines || !c.on || c.cur || c.blink || !c.inc || c.shift || !c.backlight {
		t.Errorf("after init: %+v", c)
	}
	if c.sets8 != 3 {
		t.Errorf("%d function sets in 8-bit mode, want 3", c.sets8)
	}
	steps := []error{
		l.Clear(), l.Home(), l.MoveTo(1, 15), func() error { _, err := l.WriteString("xyz"); return err }(),
		l.SetCustomChar(7, [8]byte{1, 2, 3}), l.Cursor(display.CursorBlock), l.Move(display.Backward),
		l.AutoScroll(true), l.Backlight(0), l.Display(false),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	checkController(t, c)
	if c.backlight || c.on || !c.blink || !c.shift {
		t.Errorf("after the steps: %+v", c)
	}
}

// TestWaits checks the waits of the initialization against the datasheet's
// minimums, in order, on a clock that bus writes do not advance.
func TestWaits(t *testing.T) {
	bus := &i2ctest.Record{}
	var clock time.Duration
	waits := map[int]time.Duration{} // after write i
	opts := Options{
		Now:   func() time.Time { return time.Unix(0, 0).Add(clock) },
		Sleep: func(d time.Duration) { clock += d; waits[len(bus.Ops)-1] += d },
	}
	l, err := Open(bus, addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Home(); err != nil { // waits for the last instruction of the initialization
		t.Fatal(err)
	}
	const us = time.Microsecond
	least := []time.Duration{40000 * us, 4100 * us, 100 * us, 37 * us, 37 * us, 37 * us, 37 * us, 1520 * us, 37 * us, 37 * us}
	if len(bus.Ops) != len(least)+1 {
		t.Fatalf("%d writes, want %d", len(bus.Ops), len(least)+1)
	}
	for i, want := range least {
		if waits[i] < want {
			t.Errorf("wait after write %d %x: %v, datasheet minimum %v", i, bus.Ops[i].W, waits[i], want)
		}
	}
}

// TestBusTimeCounts checks that the driver sleeps only for the part of a
// wait that writing on the bus did not already take.
func TestBusTimeCounts(t *testing.T) {
	var clock, slept time.Duration
	opts := Options{
		Now:   func() time.Time { clock += 450 * time.Microsecond; return time.Unix(0, 0).Add(clock) }, // a write at 100 kHz
		Sleep: func(d time.Duration) { clock += d; slept += d },
	}
	l, err := Open(&i2ctest.Record{}, addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	slept = 0
	if _, err := l.WriteString("0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	if slept != 0 {
		t.Errorf("slept %v writing text", slept)
	}
	if err := errors.Join(l.Clear(), l.Home()); err != nil {
		t.Fatal(err)
	}
	if want := clearWait - 450*time.Microsecond; slept != want {
		t.Errorf("slept %v after clear, want %v", slept, want)
	}
}

func TestPeriphConformance(t *testing.T) {
	for _, size := range [][2]int{{16, 2}, {20, 4}} {
		l, c := emulated(t, size[0], size[1])
		for _, err := range displaytest.TestTextDisplay(l, false) {
			t.Errorf("%dx%d: %v", size[0], size[1], err)
		}
		checkController(t, c)
	}
}

// customChars is implemented by displays with user-defined characters.
type customChars interface {
	SetCustomChar(index int, pattern [8]byte) error
}

// op is one call on a display, described by name for failures.
type op struct {
	name string
	do   func(d display.TextDisplay) error
}

// ops decodes a script of display calls from data: random bytes make a
// random, valid or invalid, use of the display.
func ops(data []byte, cols, rows int) []op {
	var out []op
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	for len(data) > 0 {
		switch next() % 9 {
		case 0:
			r, c := next()%(rows+1), next()%(cols+1)
			out = append(out, op{"MoveTo", func(d display.TextDisplay) error { return d.MoveTo(r, c) }})
		case 1:
			n := next() % 24
			s := make([]byte, n)
			for i := range s {
				s[i] = byte(next())
			}
			out = append(out, op{"Write " + string(s), func(d display.TextDisplay) error { _, err := d.Write(s); return err }})
		case 2:
			dir := display.CursorDirection(next() % 5)
			out = append(out, op{"Move", func(d display.TextDisplay) error { return d.Move(dir) }})
		case 3:
			on := next()%2 == 0
			out = append(out, op{"AutoScroll", func(d display.TextDisplay) error { return d.AutoScroll(on) }})
		case 4:
			on := next()%2 == 0
			out = append(out, op{"Display", func(d display.TextDisplay) error { return d.Display(on) }})
		case 5:
			out = append(out, op{"Home", display.TextDisplay.Home})
		case 6:
			out = append(out, op{"Clear", display.TextDisplay.Clear})
		case 7:
			m := display.CursorMode(next() % 5)
			out = append(out, op{"Cursor", func(d display.TextDisplay) error { return d.Cursor(m) }})
		case 8:
			i, p := next()%9, [8]byte{byte(next()), byte(next())}
			if next()%2 == 0 {
				p = [8]byte{0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f}
			}
			out = append(out, op{"SetCustomChar", func(d display.TextDisplay) error {
				return d.(customChars).SetCustomChar(i, p)
			}})
		}
	}
	return out
}

// checkModel runs a script on the LCD, on the controller model and on
// simlcd's display, and checks that the glass shows what simlcd shows after
// every call, and that both accept or refuse the same calls.
func checkModel(t *testing.T, data []byte) {
	cols, rows := 16, 2
	if len(data) > 0 && data[0]%2 == 1 {
		cols, rows = 20, 4
	}
	l, c := emulated(t, cols, rows)
	m := simlcd.New(cols, rows)
	for i, o := range ops(data, cols, rows) {
		errL, errM := o.do(l), o.do(m)
		if (errL == nil) != (errM == nil) {
			t.Fatalf("op %d %s: LCD error %v, model error %v", i, o.name, errL, errM)
		}
		if got, want := c.lines(cols, rows), m.Lines(); !slices.Equal(got, want) {
			t.Fatalf("op %d %s: glass\n%q\nmodel\n%q", i, o.name, got, want)
		}
		if len(c.errs) > 0 {
			t.Fatalf("op %d %s: %s", i, o.name, strings.Join(c.errs, "; "))
		}
	}
}

func TestAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		data := make([]byte, 200)
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		checkModel(t, data)
	}
}

func FuzzAgainstModel(f *testing.F) {
	f.Add([]byte{0, 0, 1, 3, 1, 5, 'h', 'e', 'l', 'l', 'o'})
	f.Add([]byte{1, 0, 3, 18, 1, 5, 'x', 'y', 'z', 'w', 'v', 2, 1, 2, 3})
	f.Add([]byte{0, 3, 0, 1, 20, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 5})
	f.Fuzz(checkModel)
}

// TestHalt checks on the controller model that Halt leaves the glass dark
// and blank, keeps the modes and characters, and that the LCD comes back
// blank; and that a halt after an I2C error brings the controller up dark.
func TestHalt(t *testing.T) {
	l, c := emulated(t, 16, 2)
	arrow := [8]byte{0x04, 0x0e, 0x15, 0x04, 0x04, 0x04, 0x04, 0x00}
	if err := errors.Join(l.SetCustomChar(1, arrow), l.Cursor(display.CursorUnderline), l.MoveTo(1, 4)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.WriteString("secret\x01"); err != nil {
		t.Fatal(err)
	}
	if err := l.Halt(); err != nil {
		t.Fatal(err)
	}
	checkController(t, c)
	if c.on || c.backlight || !c.cur || c.char(1) != arrow {
		t.Errorf("after Halt: %+v", c)
	}
	for i, b := range c.ddram {
		if b != ' ' {
			t.Fatalf("after Halt, DDRAM %d holds %q", i, b)
		}
	}
	if err := errors.Join(l.Display(true), l.Backlight(255)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.WriteString("back"); err != nil {
		t.Fatal(err)
	}
	checkController(t, c)
	if got := c.lines(16, 2); got[0] != "back            " || got[1] != strings.Repeat(" ", 16) || !c.backlight {
		t.Errorf("on again: glass %q, backlight %v", got, c.backlight)
	}

	c.failAfter = 2
	if _, err := l.WriteString("lost"); !errors.Is(err, errNoAck) {
		t.Fatalf("write = %v", err)
	}
	c.errs = nil
	if err := l.Halt(); err != nil {
		t.Fatal(err)
	}
	// The write cut short left E high; the reset byte that brings it low
	// latches a stray nibble, which the initialization overcomes.
	if len(c.errs) > 0 && strings.Contains(c.errs[0], "as E falls") {
		c.errs = c.errs[1:]
	}
	checkController(t, c)
	if c.on || c.backlight || !c.fourBit || c.char(1) != arrow {
		t.Errorf("halted after an I2C error: %+v", c)
	}
}

func TestCustomChars(t *testing.T) {
	l, c := emulated(t, 16, 2)
	smiley := [8]byte{0x00, 0x0a, 0x0a, 0x00, 0x11, 0x0e, 0x00, 0x00}
	if err := l.MoveTo(1, 2); err != nil {
		t.Fatal(err)
	}
	if err := l.SetCustomChar(0, smiley); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Write([]byte{0, 'A'}); err != nil {
		t.Fatal(err)
	}
	checkController(t, c)
	if got := c.char(0); got != smiley {
		t.Errorf("CGRAM 0 = %x, want %x", got, smiley)
	}
	if c.ddram[lineLen+2] != 0 || c.ddram[lineLen+3] != 'A' {
		t.Errorf("row 1 = %q: the cursor moved", c.ddram[lineLen:lineLen+5])
	}
	for _, i := range []int{-1, 8} {
		if err := l.SetCustomChar(i, smiley); !errors.Is(err, display.ErrInvalidCommand) {
			t.Errorf("SetCustomChar(%d) = %v", i, err)
		}
	}
}

func TestMissingLCD(t *testing.T) {
	c := newController(AddrPCF8574A) // the module answers elsewhere
	_, err := Open(c, AddrPCF8574, Options{Now: c.now, Sleep: c.sleep})
	if !errors.Is(err, errNoAck) || !strings.HasPrefix(err.Error(), "hd44780: reset: ") {
		t.Errorf("Open = %v", err)
	}
}

// TestRecovery cuts writes short in the middle of a byte, as a loose wire
// would, and checks that the next call brings the controller back in step
// with its modes and custom characters.
func TestRecovery(t *testing.T) {
	for cut := range 5 {
		l, c := emulated(t, 16, 2)
		arrow := [8]byte{0x04, 0x0e, 0x15, 0x04, 0x04, 0x04, 0x04, 0x00}
		if err := errors.Join(l.SetCustomChar(3, arrow), l.Cursor(display.CursorUnderline), l.Backlight(0)); err != nil {
			t.Fatal(err)
		}
		if _, err := l.WriteString("ab"); err != nil {
			t.Fatal(err)
		}
		c.failAfter = cut
		if _, err := l.WriteString("cd"); !errors.Is(err, errNoAck) {
			t.Fatalf("cut %d: write = %v", cut, err)
		}
		c.cgram = [len(c.cgram)]byte{} // as if the module lost power
		c.errs = nil
		if err := l.MoveTo(1, 0); err != nil {
			t.Fatal(err)
		}
		// A write cut short may leave E high; the reset byte that brings it
		// low latches a stray nibble, which the initialization overcomes.
		if len(c.errs) > 0 && strings.Contains(c.errs[0], "as E falls: 0x00 after") {
			c.errs = c.errs[1:]
		}
		if _, err := l.WriteString("ok"); err != nil {
			t.Fatal(err)
		}
		checkController(t, c)
		if got := c.lines(16, 2); got[0] != strings.Repeat(" ", 16) || got[1] != "ok"+strings.Repeat(" ", 14) {
			t.Errorf("cut %d: glass %q", cut, got)
		}
		if !c.fourBit || !c.twoLines || !c.cur || c.backlight || c.char(3) != arrow {
			t.Errorf("cut %d: modes not restored: %+v", cut, c)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{Cols: 16, Rows: 1}, "hd44780: 16x1: unsupported size"},
		{Options{Cols: 21, Rows: 4}, "hd44780: 21x4: unsupported size"},
		{Options{Cols: 41, Rows: 2}, "hd44780: 41x2: unsupported size"},
		{Options{Pins: PinMap{RS: 0, RW: 1, E: 2, Backlight: 3, D: [4]uint8{4, 5, 6, 6}}}, "hd44780: pin map"},
		{Options{Pins: PinMap{RS: 8, RW: 1, E: 2, Backlight: 3, D: [4]uint8{4, 5, 6, 7}}}, "hd44780: pin map"},
	}
	for _, tt := range tests {
		if _, err := Open(&i2ctest.Record{}, addr, tt.opts); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Open(%+v) = %v, want %q", tt.opts, err, tt.want)
		}
	}
}

// TestOtherWiring checks a backpack wired differently: data on P0-P3, RS on
// P4, RW on P5, E on P6, backlight on P7.
func TestOtherWiring(t *testing.T) {
	pins := PinMap{RS: 4, RW: 5, E: 6, Backlight: 7, D: [4]uint8{0, 1, 2, 3}}
	c := newController(addr)
	c.pins = pins
	l, err := Open(c, addr, Options{Pins: pins, Now: c.now, Sleep: c.sleep})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.WriteString("wired"); err != nil {
		t.Fatal(err)
	}
	checkController(t, c)
	if got := c.lines(16, 2)[0]; got != "wired           " || !c.backlight {
		t.Errorf("glass %q, backlight %v", got, c.backlight)
	}
}

func TestString(t *testing.T) {
	l, _ := emulated(t, 20, 4)
	if got := l.String(); got != "HD44780 20x4 on PCF8574 emulated(39)" {
		t.Errorf("String() = %q", got)
	}
}

// TestPause checks that the default sleep waits at least as long as asked,
// spinning or not.
func TestPause(t *testing.T) {
	for _, d := range []time.Duration{0, 53 * time.Microsecond, spinLimit, 2 * time.Millisecond} {
		start := time.Now()
		pause(d)
		if took := time.Since(start); took < d {
			t.Errorf("pause(%v) took %v", d, took)
		}
	}
}

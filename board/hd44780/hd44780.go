package hd44780

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/i2c"
)

// Common I2C addresses of PCF8574 backpacks: PCF8574 with A0-A2 open, and
// PCF8574A with A0-A2 open.
const (
	AddrPCF8574  = 0x27
	AddrPCF8574A = 0x3F
)

// Instructions of the controller (datasheet table 6) and their flags.
const (
	cmdClear         = 0x01
	cmdHome          = 0x02
	cmdEntryMode     = 0x04
	entryIncrement   = 0x02 // I/D: the address counter counts up
	entryShift       = 0x01 // S: the display shifts with every write
	cmdDisplay       = 0x08
	displayOn        = 0x04 // D
	cursorOn         = 0x02 // C: underline cursor
	blinkOn          = 0x01 // B: blinking block at the cursor
	cmdShift         = 0x10
	shiftRight       = 0x04 // R/L: cursor one place right (else left)
	cmdFunction      = 0x20 // DL=0 (4-bit), F=0 (5x8 dots)
	functionTwoLines = 0x08 // N
	cmdCGRAM         = 0x40
	cmdDDRAM         = 0x80
)

// Waits of the datasheet (figure 24 and table 6). Execution times there are
// for the nominal 270 kHz oscillator; the datasheet allows 190 kHz, so they
// are scaled by 270/190. The driver never reads the busy flag (RW stays
// low), so it makes sure these times pass between the end of one write and
// the start of the next: it sleeps only for what is left of them, which at
// the expander's 100 kHz is nothing but for the clear and home commands
// and the start-up.
const (
	// powerOnWait: more than 40 ms after the supply reaches 2.7 V.
	powerOnWait = 50 * time.Millisecond
	// firstNibbleWait: more than 4.1 ms after the first 8-bit function set.
	firstNibbleWait = 4500 * time.Microsecond
	// secondNibbleWait: more than 100 µs after the second.
	secondNibbleWait = 150 * time.Microsecond
	// execWait: 37 µs, the execution time of every other instruction and of
	// a data write.
	execWait = 53 * time.Microsecond
	// clearWait: 1.52 ms, for Clear display and Return home.
	clearWait = 2200 * time.Microsecond
)

// Geometry of display data RAM in two-line mode: two lines of 40 bytes, the
// second at address 0x40.
const (
	lineLen   = 40
	line1Addr = 0x40
	ramLen    = 2 * lineLen
	numChars  = 8 // custom characters in CGRAM
)

// PinMap says which bit of the PCF8574's port drives which line of the LCD.
// Each field is a bit number, 0 to 7 (P0 to P7).
type PinMap struct {
	RS, RW, E, Backlight uint8
	// D4 to D7: the four data lines of the 4-bit interface.
	D [4]uint8
}

// DefaultPins is the wiring of nearly every backpack sold: P0=RS, P1=RW,
// P2=E, P3=backlight, P4 to P7=D4 to D7.
var DefaultPins = PinMap{RS: 0, RW: 1, E: 2, Backlight: 3, D: [4]uint8{4, 5, 6, 7}}

func (p PinMap) validate() error {
	var seen uint16
	for _, b := range []uint8{p.RS, p.RW, p.E, p.Backlight, p.D[0], p.D[1], p.D[2], p.D[3]} {
		if b > 7 || seen&(1<<b) != 0 {
			return fmt.Errorf("hd44780: pin map %+v: each line needs its own bit 0-7", p)
		}
		seen |= 1 << b
	}
	return nil
}

// ErrSize is wrapped by Open's error for a size the driver does not
// support.
var ErrSize = errors.New("unsupported size: want 2 rows of 1 to 40 columns or 4 rows of 1 to 20")

// CheckSize returns an error wrapping ErrSize unless the driver supports a
// display of cols x rows.
func CheckSize(cols, rows int) error {
	if (rows == 2 && cols >= 1 && cols <= lineLen) || (rows == 4 && cols >= 1 && cols <= lineLen/2) {
		return nil
	}
	return fmt.Errorf("hd44780: %dx%d: %w", cols, rows, ErrSize)
}

// Options tune Open.
type Options struct {
	// Cols and Rows are the size of the display: 2 rows of up to 40
	// columns, or 4 rows of up to 20. Both zero mean 16x2.
	Cols, Rows int
	// Pins is the backpack's wiring; the zero value means DefaultPins.
	Pins PinMap
	// Now and Sleep are the clock; nil means time.Now and a sleep that
	// spins through waits shorter than spinLimit. Tests pass a virtual
	// clock.
	Now   func() time.Time
	Sleep func(time.Duration)
}

// spinLimit is the shortest wait the default Sleep leaves to the
// scheduler: a timer sleeps about a millisecond at least, which would make
// every 53 µs wait after a byte a millisecond long.
const spinLimit = time.Millisecond

// pause waits for d, spinning when d is shorter than spinLimit.
func pause(d time.Duration) {
	if d >= spinLimit {
		time.Sleep(d)
		return
	}
	for start := time.Now(); time.Since(start) < d; {
	}
}

// LCD is an HD44780 character LCD on a PCF8574 I2C backpack. It implements
// display.TextDisplay and display.DisplayBacklight, keeps eight custom
// characters, and is a conn.Resource whose Halt leaves it dark. It is safe
// for concurrent use.
type LCD struct {
	mu         sync.Mutex
	dev        i2c.Dev
	pins       PinMap
	now        func() time.Time
	sleep      func(time.Duration)
	cols, rows int
	idleAt     time.Time // when the controller will have executed the last write

	ctrl      byte // display control flags: displayOn, cursorOn, blinkOn
	entry     byte // entry mode flags
	backlight bool
	cursor    int  // the address counter as line*lineLen + offset
	port      byte // the byte the expander drives
	chars     [numChars]*[8]byte
	lost      bool // an I2C error left the controller in an unknown state
}

var (
	_ display.TextDisplay      = (*LCD)(nil)
	_ display.DisplayBacklight = (*LCD)(nil)
	_ conn.Resource            = (*LCD)(nil)
)

// Open initializes the LCD at addr on bus and returns it cleared, switched
// on, with the cursor off and the backlight on. An error from the bus (no
// device answers at addr) is wrapped in the returned error.
func Open(bus i2c.Bus, addr uint16, opts Options) (*LCD, error) {
	cols, rows := opts.Cols, opts.Rows
	if cols == 0 && rows == 0 {
		cols, rows = 16, 2
	}
	if err := CheckSize(cols, rows); err != nil {
		return nil, err
	}
	pins := opts.Pins
	if pins == (PinMap{}) {
		pins = DefaultPins
	}
	if err := pins.validate(); err != nil {
		return nil, err
	}
	now, sleep := opts.Now, opts.Sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = pause
	}
	l := &LCD{
		dev: i2c.Dev{Bus: bus, Addr: addr}, pins: pins, now: now, sleep: sleep, cols: cols, rows: rows,
		ctrl: displayOn, entry: entryIncrement, backlight: true,
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.init(); err != nil {
		return nil, err
	}
	return l, nil
}

// init runs the initialization by instruction of datasheet figure 24 for
// the 4-bit interface, which brings the controller into 4-bit mode from any
// state, even from the middle of a byte. It then restores the display
// control, entry mode and custom characters kept by l, with a clear screen
// and the cursor home.
func (l *LCD) init() error {
	l.lost = true
	l.port = l.bits(false, 0, false) // E, RS and RW low: the expander powers up with all lines high
	if err := l.tx("reset", powerOnWait, l.port); err != nil {
		return err
	}
	for _, n := range []struct {
		nibble byte
		wait   time.Duration
	}{
		{0x3, firstNibbleWait}, {0x3, secondNibbleWait}, {0x3, execWait}, // function set, 8-bit interface
		{0x2, execWait}, // function set: 4-bit interface from here on
	} {
		if err := l.tx("init", n.wait, l.bits(false, n.nibble, true), l.bits(false, n.nibble, false)); err != nil {
			return err
		}
	}
	for _, c := range []byte{
		cmdFunction | functionTwoLines, // two lines, 5x8 dots
		cmdDisplay,                     // display off
		cmdClear,
		cmdEntryMode | l.entry,
		cmdDisplay | l.ctrl,
	} {
		if err := l.command(c); err != nil {
			return err
		}
	}
	l.cursor = 0
	for i, p := range l.chars {
		if p != nil {
			if err := l.storeChar(i, *p); err != nil {
				return err
			}
		}
	}
	l.lost = false
	return nil
}

// ready re-initializes the controller after an I2C error.
func (l *LCD) ready() error {
	if l.lost {
		return l.init()
	}
	return nil
}

// bits returns the expander byte for one nibble with RS and E as given and
// RW low.
func (l *LCD) bits(rs bool, nibble byte, e bool) byte {
	var b byte
	for i, pin := range l.pins.D {
		if nibble&(1<<i) != 0 {
			b |= 1 << pin
		}
	}
	if rs {
		b |= 1 << l.pins.RS
	}
	if e {
		b |= 1 << l.pins.E
	}
	if l.backlight {
		b |= 1 << l.pins.Backlight
	}
	return b
}

// tx writes bytes to the expander in one I2C write, once the controller is
// idle, and notes that it will be busy for wait after it.
func (l *LCD) tx(what string, wait time.Duration, bytes ...byte) error {
	if d := l.idleAt.Sub(l.now()); d > 0 {
		l.sleep(d)
	}
	if _, err := l.dev.Write(bytes); err != nil {
		l.lost = true
		return fmt.Errorf("hd44780: %s: %w", what, err)
	}
	l.port = bytes[len(bytes)-1]
	l.idleAt = l.now().Add(wait)
	return nil
}

// send writes one byte to the controller, high nibble first, each nibble
// latched by E going high then low, which then executes for wait. When RS
// changes, a first byte sets it with E low, so that RS is settled before E
// rises (address set-up time).
func (l *LCD) send(rs bool, b byte, wait time.Duration) error {
	hi, lo := b>>4, b&0x0f
	buf := make([]byte, 0, 5)
	if rsBit := byte(1) << l.pins.RS; (l.port&rsBit != 0) != rs {
		buf = append(buf, l.bits(rs, hi, false))
	}
	buf = append(buf, l.bits(rs, hi, true), l.bits(rs, hi, false), l.bits(rs, lo, true), l.bits(rs, lo, false))
	what := "command"
	if rs {
		what = "data"
	}
	return l.tx(what, wait, buf...)
}

// command sends an instruction.
func (l *LCD) command(c byte) error {
	wait := execWait
	if c == cmdClear || c == cmdHome {
		wait = clearWait
	}
	return l.send(false, c, wait)
}

// setCursor moves the address counter to the cursor index i.
func (l *LCD) setCursor(i int) error {
	if err := l.command(cmdDDRAM | byte(i/lineLen*line1Addr+i%lineLen)); err != nil {
		return err
	}
	l.cursor = i
	return nil
}

// advance moves the tracked cursor by step places, as the controller's
// address counter does: the end of the first line continues at the start
// of the second, and the end of the second at the start of the first.
func (l *LCD) advance(step int) {
	l.cursor = ((l.cursor+step)%ramLen + ramLen) % ramLen
}

// index returns the cursor index of row, col.
func (l *LCD) index(row, col int) int {
	return row%2*lineLen + row/2*l.cols + col
}

// AutoScroll turns on or off the display shift with every written byte.
func (l *LCD) AutoScroll(enabled bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ready(); err != nil {
		return err
	}
	entry := l.entry &^ entryShift
	if enabled {
		entry |= entryShift
	}
	if err := l.command(cmdEntryMode | entry); err != nil {
		return err
	}
	l.entry = entry
	return nil
}

// Cols returns the number of columns.
func (l *LCD) Cols() int { return l.cols }

// Rows returns the number of rows.
func (l *LCD) Rows() int { return l.rows }

// MinCol returns 0: columns are numbered from 0.
func (l *LCD) MinCol() int { return 0 }

// MinRow returns 0: rows are numbered from 0.
func (l *LCD) MinRow() int { return 0 }

// Clear blanks the display, undoes any shift and moves the cursor home.
func (l *LCD) Clear() error { return l.home(cmdClear) }

// Home moves the cursor to row 0, column 0 and undoes any display shift.
func (l *LCD) Home() error { return l.home(cmdHome) }

func (l *LCD) home(c byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ready(); err != nil {
		return err
	}
	if err := l.command(c); err != nil {
		return err
	}
	l.cursor = 0
	return nil
}

// Cursor sets the cursor: CursorOff hides it, CursorUnderline shows the
// underline, CursorBlock and CursorBlink show the controller's blinking
// block (it has no steady block). Modes combine; CursorOff clears the ones
// before it. A mode outside CursorOff..CursorBlink is an error wrapping
// display.ErrInvalidCommand.
func (l *LCD) Cursor(modes ...display.CursorMode) error {
	var flags byte
	for _, m := range modes {
		switch m {
		case display.CursorOff:
			flags = 0
		case display.CursorUnderline:
			flags |= cursorOn
		case display.CursorBlock, display.CursorBlink:
			flags |= blinkOn
		default:
			return fmt.Errorf("hd44780: cursor mode %d: %w", m, display.ErrInvalidCommand)
		}
	}
	return l.control(l.ctrl&displayOn | flags)
}

// Display switches the display on or off; the text stays in the
// controller's memory.
func (l *LCD) Display(on bool) error {
	ctrl := l.ctrl &^ displayOn
	if on {
		ctrl |= displayOn
	}
	return l.control(ctrl)
}

func (l *LCD) control(ctrl byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ready(); err != nil {
		return err
	}
	if err := l.command(cmdDisplay | ctrl); err != nil {
		return err
	}
	l.ctrl = ctrl
	return nil
}

// Move moves the cursor one place forward or backward through the
// controller's memory (past the end of a row into hidden memory or another
// row, as the controller does), or one row up or down in the same column.
// Up or down past the screen's edge, or from hidden memory, is an error
// wrapping display.ErrInvalidCommand.
func (l *LCD) Move(dir display.CursorDirection) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch dir {
	case display.Forward, display.Backward:
		if err := l.ready(); err != nil {
			return err
		}
		c, step := byte(cmdShift|shiftRight), 1
		if dir == display.Backward {
			c, step = cmdShift, -1
		}
		if err := l.command(c); err != nil {
			return err
		}
		l.advance(step)
		return nil
	case display.Up, display.Down:
		line, off := l.cursor/lineLen, l.cursor%lineLen
		row, col := off/l.cols*2+line, off%l.cols
		visible := row < l.rows
		if dir == display.Up {
			row--
		} else {
			row++
		}
		if !visible || row < 0 || row >= l.rows {
			return fmt.Errorf("hd44780: move %d leaves the screen: %w", dir, display.ErrInvalidCommand)
		}
		if err := l.ready(); err != nil {
			return err
		}
		return l.setCursor(l.index(row, col))
	}
	return fmt.Errorf("hd44780: move direction %d: %w", dir, display.ErrInvalidCommand)
}

// MoveTo places the cursor at row, col, counted from 0. A position outside
// the screen is an error wrapping display.ErrInvalidCommand.
func (l *LCD) MoveTo(row, col int) error {
	if row < 0 || row >= l.rows || col < 0 || col >= l.cols {
		return fmt.Errorf("hd44780: position (%d, %d) outside %dx%d: %w", row, col, l.cols, l.rows, display.ErrInvalidCommand)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ready(); err != nil {
		return err
	}
	return l.setCursor(l.index(row, col))
}

// String describes the LCD and where it is.
func (l *LCD) String() string {
	return fmt.Sprintf("HD44780 %dx%d on PCF8574 %s", l.cols, l.rows, &l.dev)
}

// Write writes p at the cursor, which advances one place per byte as in
// the controller: text longer than the row runs on into hidden memory or
// another row. Bytes 0 to 7 show the custom characters. It returns the
// number of bytes written.
func (l *LCD) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ready(); err != nil {
		return 0, err
	}
	for i, b := range p {
		if err := l.send(true, b, execWait); err != nil {
			return i, err
		}
		l.advance(1)
	}
	return len(p), nil
}

// WriteString writes text at the cursor like Write.
func (l *LCD) WriteString(text string) (int, error) { return l.Write([]byte(text)) }

// Backlight switches the backlight off (intensity 0) or on (any other
// value); the backpack cannot dim it.
func (l *LCD) Backlight(intensity display.Intensity) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ready(); err != nil {
		return err
	}
	l.backlight = intensity > 0
	return l.tx("backlight", 0, l.bits(false, 0, false))
}

// Halt leaves the LCD dark and blank, as a board that stops should leave
// it: the backlight off, the display off and its memory cleared, so that
// nothing that was on the screen shows again when the display is switched
// back on. The custom characters and the cursor mode are kept; Display and
// Backlight switch the LCD on again. After an I2C error Halt first
// re-initializes the controller, which then comes up dark.
func (l *LCD) Halt() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	// The backlight and display flags are set first: every expander byte
	// from here on keeps the backlight off, and a re-initialization ends
	// with the display off.
	l.backlight = false
	l.ctrl &^= displayOn
	if err := l.ready(); err != nil {
		return err
	}
	// Display off first, so the text vanishes at once; clearing takes the
	// controller 1.52 ms.
	if err := l.command(cmdDisplay | l.ctrl); err != nil {
		return err
	}
	if err := l.command(cmdClear); err != nil {
		return err
	}
	l.cursor = 0
	return nil
}

// SetCustomChar stores pattern as custom character index (0 to 7), shown
// where byte index (or index+8) is written. Each byte of pattern is one row
// of dots, top first, in its five low bits (bit 4 is the leftmost dot). The
// cursor stays where it was. The LCD keeps the patterns and stores them
// again if it has to re-initialize the controller. Another index is an
// error wrapping display.ErrInvalidCommand.
func (l *LCD) SetCustomChar(index int, pattern [8]byte) error {
	if index < 0 || index >= numChars {
		return fmt.Errorf("hd44780: custom character %d of 0-%d: %w", index, numChars-1, display.ErrInvalidCommand)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.chars[index] = &pattern
	if l.lost {
		return l.init() // which stores every kept character
	}
	return l.storeChar(index, pattern)
}

// storeChar writes pattern into CGRAM and moves the address counter back to
// the cursor in display data RAM.
func (l *LCD) storeChar(index int, pattern [8]byte) error {
	if err := l.command(cmdCGRAM | byte(index)<<3); err != nil {
		return err
	}
	for _, row := range pattern {
		if err := l.send(true, row&0x1f, execWait); err != nil {
			return err
		}
	}
	return l.setCursor(l.cursor)
}

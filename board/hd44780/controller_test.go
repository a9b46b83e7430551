package hd44780

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"
)

// errNoAck is what the fake bus returns for a write nobody acknowledges.
var errNoAck = errors.New("no acknowledge")

// controller is a model of a PCF8574 backpack with an HD44780 behind it,
// fed with the bytes written on the I2C bus. It follows the lines the
// expander drives, latches a nibble when E falls, executes instructions as
// the datasheet describes, and notes every broken rule in errs:
//
//   - RW high in a byte the driver wrote;
//   - RS changing as E rises (no address set-up time), or RS or data
//     changing as E falls (no hold time);
//   - a nibble latched while the controller is still busy. Time advances
//     only by the driver's sleeps; bus time is not counted.
type controller struct {
	pins      PinMap
	addr      uint16
	port      byte          // expander outputs; all high at power-up
	clock     time.Duration // since power-up
	busyUntil time.Duration
	sets8     int // 8-bit function sets executed since power-up

	fourBit, twoLines bool
	pending           int // high nibble waiting for its low half, or -1
	ddram             [ramLen]byte
	cgram             [numChars * 8]byte
	ac                int  // address counter: DDRAM index (line*40+offset) or CGRAM address
	inCG              bool // the address counter points into CGRAM
	inc, shift        bool // entry mode
	offset            int  // display shift
	on, cur, blink    bool
	backlight         bool

	failAfter int // when >= 0, the next write stops after this many bytes and fails
	writes    int // I2C writes acknowledged
	errs      []string
}

func newController(addr uint16) *controller {
	c := &controller{pins: DefaultPins, addr: addr, port: 0xff, busyUntil: 40 * time.Millisecond, pending: -1, failAfter: -1, inc: true}
	for i := range c.ddram {
		c.ddram[i] = ' '
	}
	return c
}

func (c *controller) String() string                  { return "emulated" }
func (c *controller) SetSpeed(physic.Frequency) error { return nil }

// Tx takes the bytes of one I2C write.
func (c *controller) Tx(addr uint16, w, r []byte) error {
	if addr != c.addr || len(r) > 0 {
		return errNoAck
	}
	n, fail := len(w), c.failAfter >= 0
	if fail {
		n, c.failAfter = min(n, c.failAfter), -1
	}
	for _, b := range w[:n] {
		c.output(b)
	}
	if fail {
		return errNoAck
	}
	c.writes++
	return nil
}

// sleep and now are the virtual clock of the driver.
func (c *controller) sleep(d time.Duration) { c.clock += d }
func (c *controller) now() time.Time        { return time.Unix(0, 0).Add(c.clock) }

func (c *controller) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("at %v: ", c.clock)+fmt.Sprintf(format, args...))
}

func (c *controller) bit(b byte, pin uint8) bool { return b&(1<<pin) != 0 }

func (c *controller) nibble(b byte) byte {
	var n byte
	for i, pin := range c.pins.D {
		if c.bit(b, pin) {
			n |= 1 << i
		}
	}
	return n
}

// output sets the expander's lines to b.
func (c *controller) output(b byte) {
	p := c.pins
	prev := c.port
	c.port = b
	c.backlight = c.bit(b, p.Backlight)
	if c.bit(b, p.RW) {
		c.errorf("RW high in %#02x", b)
	}
	if c.bit(prev, p.RW) {
		return // the power-up state: a read cycle, if anything
	}
	rsData := byte(1)<<p.RS | byte(1)<<p.D[0] | byte(1)<<p.D[1] | byte(1)<<p.D[2] | byte(1)<<p.D[3]
	switch {
	case !c.bit(prev, p.E) && c.bit(b, p.E) && c.bit(prev, p.RS) != c.bit(b, p.RS):
		c.errorf("RS changes as E rises: %#02x after %#02x", b, prev)
	case c.bit(prev, p.E) && !c.bit(b, p.E):
		if (prev^b)&rsData != 0 {
			c.errorf("RS or data change as E falls: %#02x after %#02x", b, prev)
		}
		c.latch(c.bit(prev, p.RS), c.nibble(prev))
	}
}

func (c *controller) latch(rs bool, n byte) {
	if c.clock < c.busyUntil {
		c.errorf("nibble %#x while busy until %v", n, c.busyUntil)
	}
	switch {
	case !c.fourBit:
		c.exec(rs, n<<4) // D0-D3 are not wired: they read 0
	case c.pending < 0:
		c.pending = int(n)
	default:
		b := byte(c.pending)<<4 | n
		c.pending = -1
		c.exec(rs, b)
	}
}

// exec runs one instruction or data write.
func (c *controller) exec(rs bool, b byte) {
	wait := 37 * time.Microsecond
	switch {
	case rs && c.inCG:
		c.cgram[c.ac] = b
		c.ac = (c.ac + 1) % len(c.cgram)
	case rs:
		c.ddram[c.ac] = b
		c.step(c.inc)
		if c.shift {
			if c.inc {
				c.offset++
			} else {
				c.offset--
			}
		}
	case b&0x80 != 0:
		a := int(b & 0x7f)
		c.inCG = false
		switch {
		case !c.twoLines && a < ramLen:
			c.ac = a
		case c.twoLines && a&0x3f < lineLen && a&^0x7f == 0:
			c.ac = a>>6*lineLen + a&0x3f
		default:
			c.errorf("DDRAM address %#02x does not exist", a)
		}
	case b&0x40 != 0:
		c.inCG, c.ac = true, int(b&0x3f)
	case b&0x20 != 0:
		if b&0x10 != 0 {
			c.sets8++
			switch c.sets8 {
			case 1:
				wait = 4100 * time.Microsecond
			case 2:
				wait = 100 * time.Microsecond
			}
		}
		c.fourBit, c.twoLines, c.pending = b&0x10 == 0, b&0x08 != 0, -1
	case b&0x10 != 0:
		right := b&0x04 != 0
		if b&0x08 != 0 {
			if right {
				c.offset--
			} else {
				c.offset++
			}
		} else {
			c.step(right)
		}
	case b&0x08 != 0:
		c.on, c.cur, c.blink = b&0x04 != 0, b&0x02 != 0, b&0x01 != 0
	case b&0x04 != 0:
		c.inc, c.shift = b&0x02 != 0, b&0x01 != 0
	case b&0x02 != 0:
		c.ac, c.offset, c.inCG = 0, 0, false
		wait = 1520 * time.Microsecond
	case b&0x01 != 0:
		for i := range c.ddram {
			c.ddram[i] = ' '
		}
		c.ac, c.offset, c.inCG, c.inc = 0, 0, false, true
		wait = 1520 * time.Microsecond
	}
	c.busyUntil = c.clock + wait
}

// step moves the DDRAM address counter one place forward or back.
func (c *controller) step(forward bool) {
	if forward {
		c.ac = (c.ac + 1) % ramLen
	} else {
		c.ac = (c.ac + ramLen - 1) % ramLen
	}
}

// lines returns what the glass shows on a cols x rows module as
// simlcd.Display.Lines does: blank rows while the display is off, custom
// characters (0x00-0x0F) as ' ' when blank, '#' when full and '=' otherwise,
// other bytes outside 0x20-0x7E as '?'.
func (c *controller) lines(cols, rows int) []string {
	out := make([]string, rows)
	for r := range out {
		var s strings.Builder
		for col := range cols {
			b := byte(' ')
			switch {
			case !c.on:
			case c.twoLines:
				b = c.ddram[r%2*lineLen+((r/2*cols+col+c.offset)%lineLen+lineLen)%lineLen]
			case r == 0:
				b = c.ddram[((col+c.offset)%ramLen+ramLen)%ramLen]
			}
			switch {
			case b < 2*numChars:
				b = c.glyph(int(b % numChars))
			case b < 0x20 || b > 0x7e:
				b = '?'
			}
			s.WriteByte(b)
		}
		out[r] = s.String()
	}
	return out
}

func (c *controller) glyph(i int) byte {
	switch c.char(i) {
	case [8]byte{}:
		return ' '
	case [8]byte{0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f}:
		return '#'
	}
	return '='
}

// char returns custom character i as stored in CGRAM, five dots a row.
func (c *controller) char(i int) [8]byte {
	var p [8]byte
	for r := range p {
		p[r] = c.cgram[i*8+r] & 0x1f
	}
	return p
}

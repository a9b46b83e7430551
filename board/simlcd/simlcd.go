package simlcd

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"periph.io/x/conn/v3/display"
)

// ddramBytes is the display data RAM of one HD44780 controller.
const ddramBytes = 80

// Display is an in-memory character LCD with HD44780 cursor and write
// semantics. See the package documentation for the model.
type Display struct {
	mu          sync.Mutex
	cols, rows  int
	nlines      int      // DDRAM lines: 1 or 2
	lineLen     int      // bytes per DDRAM line
	ram         [][]byte // nlines x lineLen
	line, pos   int      // the cursor (DDRAM address)
	shift       int      // the display window's offset into each line
	row         int      // the row the cursor was last placed on
	on          bool
	autoScroll  bool
	writes      int
	overflows   int
	cursorModes []display.CursorMode
	cgram       [cgramChars][8]byte
}

// cgramChars is the number of custom characters of an HD44780 with 5x8
// dots; bytes 0x00-0x07 and again 0x08-0x0F show them.
const cgramChars = 8

// New returns a blank, switched-on display of cols x rows characters.
// Values below 1 are taken as 1.
func New(cols, rows int) *Display {
	cols, rows = max(cols, 1), max(rows, 1)
	d := &Display{cols: cols, rows: rows, nlines: min(rows, 2), on: true}
	rowsPerLine := (rows + d.nlines - 1) / d.nlines
	d.lineLen = max(ddramBytes/d.nlines, cols*rowsPerLine)
	d.ram = make([][]byte, d.nlines)
	for i := range d.ram {
		d.ram[i] = make([]byte, d.lineLen)
	}
	d.clear()
	return d
}

func (d *Display) clear() {
	for _, l := range d.ram {
		for i := range l {
			l[i] = ' '
		}
	}
	d.home()
}

func (d *Display) home() { d.line, d.pos, d.shift, d.row = 0, 0, 0, 0 }

// rowStart returns the DDRAM line and offset where row r begins.
func (d *Display) rowStart(r int) (line, pos int) {
	return r % d.nlines, (r / d.nlines) * d.cols
}

// cursorRowCol maps the cursor address to a visible row and column, ignoring
// any display shift; ok is false when the address is in hidden RAM.
func (d *Display) cursorRowCol() (row, col int, ok bool) {
	row = (d.pos/d.cols)*d.nlines + d.line
	if row >= d.rows {
		return 0, 0, false
	}
	return row, d.pos % d.cols, true
}

// AutoScroll turns the entry-mode display shift on or off.
func (d *Display) AutoScroll(enabled bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.autoScroll = enabled
	return nil
}

// Cols returns the number of visible columns.
func (d *Display) Cols() int { return d.cols }

// Rows returns the number of visible rows.
func (d *Display) Rows() int { return d.rows }

// MinCol returns 0: columns are numbered from 0.
func (d *Display) MinCol() int { return 0 }

// MinRow returns 0: rows are numbered from 0.
func (d *Display) MinRow() int { return 0 }

// Clear fills DDRAM with spaces, undoes any shift and moves the cursor home.
func (d *Display) Clear() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clear()
	return nil
}

// Home moves the cursor to row 0, column 0 and undoes any display shift.
func (d *Display) Home() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.home()
	return nil
}

// Cursor sets the cursor modes. A mode outside CursorOff..CursorBlink is an
// error wrapping display.ErrInvalidCommand.
func (d *Display) Cursor(modes ...display.CursorMode) error {
	for _, m := range modes {
		if m < display.CursorOff || m > display.CursorBlink {
			return fmt.Errorf("simlcd: cursor mode %d: %w", m, display.ErrInvalidCommand)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cursorModes = append(d.cursorModes[:0], modes...)
	return nil
}

// CursorModes returns the modes last passed to Cursor.
func (d *Display) CursorModes() []display.CursorMode {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]display.CursorMode(nil), d.cursorModes...)
}

// Move moves the cursor one address forward or backward (wrapping through
// hidden RAM like the controller's cursor shift), or one row up or down in
// the same column. Up or Down past the screen's edge, or from hidden RAM, is
// an error.
func (d *Display) Move(dir display.CursorDirection) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch dir {
	case display.Forward:
		d.advance(1)
	case display.Backward:
		d.advance(-1)
	case display.Up, display.Down:
		row, col, ok := d.cursorRowCol()
		if dir == display.Up {
			row--
		} else {
			row++
		}
		if !ok || row < 0 || row >= d.rows {
			return fmt.Errorf("simlcd: move %d leaves the screen: %w", dir, display.ErrInvalidCommand)
		}
		d.moveTo(row, col)
	default:
		return fmt.Errorf("simlcd: move direction %d: %w", dir, display.ErrInvalidCommand)
	}
	return nil
}

// advance moves the cursor by step addresses: the end of line 0 continues at
// the start of line 1 and the end of the last line at the start of line 0.
func (d *Display) advance(step int) {
	a := d.line*d.lineLen + d.pos + step
	n := d.nlines * d.lineLen
	a = ((a % n) + n) % n
	d.line, d.pos = a/d.lineLen, a%d.lineLen
}

// MoveTo places the cursor at row, col. A position outside the screen is an
// error wrapping display.ErrInvalidCommand.
func (d *Display) MoveTo(row, col int) error {
	if row < 0 || row >= d.rows || col < 0 || col >= d.cols {
		return fmt.Errorf("simlcd: position (%d, %d) outside %dx%d: %w", row, col, d.cols, d.rows, display.ErrInvalidCommand)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.moveTo(row, col)
	return nil
}

func (d *Display) moveTo(row, col int) {
	d.line, d.pos = d.rowStart(row)
	d.pos += col
	d.row = row
}

// Display switches the display on or off; DDRAM keeps its contents.
func (d *Display) Display(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.on = on
	return nil
}

// Write stores p at the cursor, advancing it one address per byte. It always
// accepts all of p.
func (d *Display) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, b := range p {
		line, pos := d.rowStart(d.row)
		if d.line != line || d.pos < pos || d.pos >= pos+d.cols {
			d.overflows++
		}
		d.ram[d.line][d.pos] = b
		d.advance(1)
		if d.autoScroll {
			d.shift = (d.shift + 1) % d.lineLen
		}
	}
	d.writes += len(p)
	return len(p), nil
}

// WriteString stores text at the cursor like Write.
func (d *Display) WriteString(text string) (int, error) {
	return d.Write([]byte(text))
}

// Writes returns the number of bytes written since the display was made.
func (d *Display) Writes() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writes
}

// Overflows returns the number of bytes written outside the row the cursor
// was last placed on with MoveTo, Move Up/Down, Home or Clear.
func (d *Display) Overflows() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.overflows
}

// SetCustomChar defines custom character index (0 to 7) with the eight
// pixel rows of pattern, top first, five low bits each. Another index is an
// error wrapping display.ErrInvalidCommand.
func (d *Display) SetCustomChar(index int, pattern [8]byte) error {
	if index < 0 || index >= cgramChars {
		return fmt.Errorf("simlcd: custom character %d of 0-%d: %w", index, cgramChars-1, display.ErrInvalidCommand)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range pattern {
		pattern[i] &= 0x1f
	}
	d.cgram[index] = pattern
	return nil
}

// CustomChar returns the pattern of custom character index&7, all zero
// until SetCustomChar defines it.
func (d *Display) CustomChar(index int) [8]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cgram[index&(cgramChars-1)]
}

// CursorAt returns the row and column of the cursor and whether it shows:
// a mode other than CursorOff is set, the display is on and the cursor is
// in a visible position (the window's shift is ignored).
func (d *Display) CursorAt() (row, col int, visible bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	row, col, ok := d.cursorRowCol()
	visible = ok && d.on && slices.ContainsFunc(d.cursorModes, func(m display.CursorMode) bool { return m != display.CursorOff })
	return row, col, visible
}

// glyph returns the character that stands for custom character c in Lines:
// ' ' when it is blank, '#' when every pixel is lit, '=' otherwise.
func (d *Display) glyph(c byte) byte {
	blank, full := true, true
	for _, bits := range d.cgram[c&(cgramChars-1)] {
		blank = blank && bits == 0
		full = full && bits == 0x1f
	}
	switch {
	case blank:
		return ' '
	case full:
		return '#'
	}
	return '='
}

// Lines returns the visible rows, each exactly Cols() bytes long.
func (d *Display) Lines() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, d.rows)
	buf := make([]byte, d.cols)
	for r := range out {
		line, start := d.rowStart(r)
		for c := range buf {
			b := d.ram[line][(start+c+d.shift)%d.lineLen]
			switch {
			case !d.on:
				b = ' '
			case b < 2*cgramChars:
				b = d.glyph(b)
			case b < 0x20 || b > 0x7e:
				b = '?'
			}
			buf[c] = b
		}
		out[r] = string(buf)
	}
	return out
}

// String returns the visible rows framed by '|', one per line, for logs
// and test failure messages.
func (d *Display) String() string {
	var b strings.Builder
	for _, l := range d.Lines() {
		b.WriteString("|" + l + "|\n")
	}
	return b.String()
}

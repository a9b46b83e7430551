package panel

import (
	"errors"
	"fmt"
	"strings"
)

// Wheels are the characters the up and down keys cycle through in a field.
var (
	// textWheel starts with what e-mail addresses and host names need, then
	// upper case, then the rest of printable ASCII, with the space last so
	// that one press of down gives it.
	textWheel = func() string {
		first := "abcdefghijklmnopqrstuvwxyz0123456789.@-_+ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		var b strings.Builder
		b.WriteString(first)
		for c := byte('!'); c <= '~'; c++ {
			if !strings.ContainsRune(first, rune(c)) {
				b.WriteByte(c)
			}
		}
		b.WriteByte(' ')
		return b.String()
	}()
	digitWheel = "0123456789"
)

// Longest values of the text fields, in characters.
const (
	maxName     = 40
	maxAddress  = 254
	maxHost     = 253
	maxPassword = 128
	maxPath     = 64
	maxPortLen  = 5
)

// editor is the text entry of one field on one row. The cursor is on a
// character or just past the end; up and down turn the character under it
// on the wheel (past the end they add one), left and right move it, send
// inserts a space, stop deletes, ok accepts and back cancels. A pin editor
// works like the PIN pad instead: back (or left) deletes the last digit and
// cancels when there is none.
type editor struct {
	label  string
	buf    []rune
	cur    int // the cursor: 0..len(buf)
	start  int // the first character shown
	wheel  string
	max    int
	secret bool // show '*' for every character but the one under the cursor
	pin    bool // the PIN pad's keys
	locks  bool // the admin PIN: shows the lockout instead while it lasts
	// done is called with the editor when ok is pressed; it decides what
	// becomes of the editor.
	done func(p *Panel, e *editor) Request
}

func newEditor(label, value string, wheel string, max int, done func(p *Panel, e *editor) Request) *editor {
	buf := []rune(value)
	return &editor{label: label, buf: buf, cur: len(buf), wheel: wheel, max: max, done: done}
}

func (e *editor) text() string { return string(e.buf) }

func (e *editor) clear() { e.buf, e.cur, e.start = nil, 0, 0 }

func (e *editor) key(p *Panel, k Key) Request {
	if e.locks && p.locked() {
		if k == KeyBack || k == KeyLeft {
			p.pop(1)
		}
		return Request{}
	}
	switch k {
	case KeyUp, KeyDown:
		e.turn(p, k == KeyUp)
	case KeyRight:
		e.cur = min(e.cur+1, len(e.buf))
	case KeyLeft, KeyBack:
		switch {
		case e.pin && len(e.buf) == 0:
			p.pop(1)
		case e.pin:
			e.buf = e.buf[:len(e.buf)-1]
			e.cur = len(e.buf)
		case k == KeyLeft:
			e.cur = max(e.cur-1, 0)
		default:
			p.pop(1)
		}
	case KeySend:
		if len(e.buf) >= e.max {
			p.setHint(hintTooLong)
			break
		}
		e.buf = append(e.buf[:e.cur], append([]rune{' '}, e.buf[e.cur:]...)...)
	case KeyStop:
		if e.cur == len(e.buf) && e.cur > 0 {
			e.cur--
		}
		if e.cur < len(e.buf) {
			e.buf = append(e.buf[:e.cur], e.buf[e.cur+1:]...)
		}
	case KeyOK:
		return e.done(p, e)
	}
	return Request{}
}

// turn moves the character under the cursor one step along the wheel, or
// adds the wheel's first (up) or last (down) character past the end.
func (e *editor) turn(p *Panel, up bool) {
	n := len(e.wheel)
	if e.cur == len(e.buf) {
		if len(e.buf) >= e.max {
			p.setHint(hintTooLong)
			return
		}
		c := e.wheel[n-1]
		if up {
			c = e.wheel[0]
		}
		e.buf = append(e.buf, rune(c))
		return
	}
	i := strings.IndexRune(e.wheel, e.buf[e.cur])
	switch {
	case i < 0 && up:
		i = 0
	case i < 0:
		i = n - 1
	case up:
		i = (i + 1) % n
	default:
		i = (i + n - 1) % n
	}
	e.buf[e.cur] = rune(e.wheel[i])
}

func (e *editor) rows(p *Panel) []row {
	if e.locks && p.locked() {
		left := p.lockedUntil.Sub(p.now())
		secs := int((left + 999_999_999) / 1_000_000_000)
		return []row{{text: e.label}, {text: fmt.Sprintf("Locked %d:%02d", secs/60, secs%60)}}
	}
	w := p.cols
	// Keep the cursor on screen, moving the window as little as possible,
	// and use the whole row when the text shrinks.
	e.start = min(e.start, e.cur, max(len(e.buf)+1-w, 0))
	e.start = max(e.start, e.cur-w+1)
	cells := make([]byte, w)
	for i := range cells {
		j := e.start + i
		switch {
		case j >= len(e.buf):
			cells[i] = ' '
		case e.secret && j != e.cur:
			cells[i] = '*'
		default:
			cells[i] = cell(e.buf[j])
		}
	}
	p.cursor = cursor{row: 1, col: e.cur - e.start, on: true}
	rows := []row{{text: e.label}, {text: string(cells)}}
	if p.rows >= 4 {
		help := "Send ins  Stop del"
		if e.pin {
			help = "Right next  OK done"
		}
		rows = append(rows, row{}, row{text: help})
	}
	return rows
}

// cell returns the one character that shows r in a field: r itself when it
// is printable ASCII, else the first letter of its look-alike, else '?'.
func cell(r rune) byte {
	switch {
	case r >= 0x20 && r < 0x7f:
		return byte(r)
	case asciiFolds[r] != "":
		return asciiFolds[r][0]
	}
	return '?'
}

// ErrNotTypeable is wrapped by the errors of KeysFor and KeysForDigits for a
// character the field's wheel does not have.
var ErrNotTypeable = errors.New("not on the wheel")

// KeysFor returns the key presses that type text into an empty text field
// (a name, an address, the server...): for each character the shortest run
// of up or down, and right between characters. Press KeyOK after them to
// accept the field. Text must be printable ASCII.
func KeysFor(text string) ([]Key, error) { return keysFor(text, textWheel) }

// KeysForDigits returns the key presses that type digits into an empty
// number field or the PIN pad, like KeysFor. Press KeyOK after them.
func KeysForDigits(digits string) ([]Key, error) { return keysFor(digits, digitWheel) }

func keysFor(text, wheel string) ([]Key, error) {
	var keys []Key
	for i, r := range []rune(text) {
		at := strings.IndexRune(wheel, r)
		if at < 0 {
			return nil, fmt.Errorf("panel: character %d of %q: %q is %w", i+1, text, r, ErrNotTypeable)
		}
		if i > 0 {
			keys = append(keys, KeyRight)
		}
		// The first press of up gives wheel[0], of down the last character.
		k, n := KeyUp, at+1
		if down := len(wheel) - at; down < n {
			k, n = KeyDown, down
		}
		for range n {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// FormatKeys returns keys as a comma-separated list that ParseKeys reads
// back, e.g. "up,up,right,ok".
func FormatKeys(keys []Key) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.String()
	}
	return strings.Join(names, ",")
}

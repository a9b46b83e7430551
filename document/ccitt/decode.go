package ccitt

import (
	"fmt"
	"io"
	"math/bits"
)

// sentinels is how many copies of the width follow the changing elements
// of a reference row, so that b1 and b2 can be read past its last change.
const sentinels = 4

// Decoder decodes CCITT T.4 or T.6 data row by row. It keeps two rows of
// changing elements and an input buffer, whatever the size of the data.
// It reads ahead from r, so r is not left at the end of the coded data.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	p   Params
	br  bitReader
	ref []int // changing elements of the previous row, then sentinels
	cur []int // the row being decoded
	row int   // rows decoded so far
	err error // sticky: io.EOF or the first error
}

// NewDecoder returns a decoder that reads data coded as p says from r.
// Invalid parameters are reported by the first ReadRow.
func NewDecoder(r io.Reader, p Params) *Decoder {
	d := &Decoder{p: p, br: bitReader{r: r, rev: p.ReverseBits}}
	if err := p.check(); err != nil {
		d.err = err
		return d
	}
	// A row has at most Width+1 changing elements: they strictly increase
	// from 0 to Width.
	d.ref = withSentinels(make([]int, 0, p.Width+1+sentinels), p.Width) // the imaginary white row above the first
	d.cur = make([]int, 0, p.Width+1+sentinels)
	return d
}

// ReadRow decodes the next row into row, which must hold at least
// (Width+7)/8 bytes: pixels are packed most significant bit first, 1 for
// black (the colour of the codes T.4 calls black), and the bits after the
// last pixel are 0. At the end of the data (EOFB, RTC, or no more input
// where a row would start) it returns io.EOF. Problems in the data are
// *DataError values; after one, every call returns it again.
func (d *Decoder) ReadRow(row []byte) error {
	if d.err != nil {
		return d.err
	}
	if len(row) < d.p.stride() {
		return fmt.Errorf("%w: row buffer of %d bytes, a %d-pixel row needs %d", ErrParams, len(row), d.p.Width, d.p.stride())
	}
	if err := d.decodeRow(); err != nil {
		d.err = err
		return err
	}
	d.row++
	fillRow(row[:d.p.stride()], d.cur, d.p.Width)
	d.ref, d.cur = withSentinels(d.cur, d.p.Width), d.ref[:0]
	return nil
}

// withSentinels appends the sentinels after a row's changing elements.
func withSentinels(changes []int, w int) []int {
	for range sentinels {
		changes = append(changes, w)
	}
	return changes
}

// fail returns a DataError for the row being decoded.
func (d *Decoder) fail(kind error, format string, args ...any) error {
	return &DataError{Row: d.row + 1, Detail: fmt.Sprintf(format, args...), Err: kind}
}

// truncated returns the error for data that end inside a row, or the
// reader's error if reading failed.
func (d *Decoder) truncated() error {
	if d.br.err != nil {
		return d.fail(d.br.err, "read: %v", d.br.err)
	}
	return d.fail(io.ErrUnexpectedEOF, "data end inside the row")
}

// decodeRow decodes one row's changing elements into d.cur.
func (d *Decoder) decodeRow() error {
	br := &d.br
	if d.p.ByteAlign && !d.p.EOL {
		br.align()
	}
	eol, end := d.skipEOL()
	if end {
		return d.endOfData()
	}
	if d.p.EOL && !eol {
		return d.fail(ErrCorrupt, "missing EOL")
	}
	twoD := d.p.K < 0
	if d.p.K > 0 {
		if br.exhausted() {
			return d.endOfData()
		}
		twoD = br.peek(1) == 0 // tag bit: 1 one-dimensional, 0 two-dimensional
		br.skip(1)
	}
	if eol {
		// EOFB (two EOLs) or RTC (six, with tag bits in 2-D T.4) ends the data.
		if again, end := d.skipEOL(); again || end {
			return d.endOfData()
		}
	}
	d.cur = d.cur[:0]
	if twoD {
		return d.decode2D()
	}
	return d.decode1D()
}

// endOfData reports the regular end of the data, unless reading failed.
func (d *Decoder) endOfData() error {
	if d.br.err != nil {
		return d.truncated()
	}
	return io.EOF
}

// skipEOL consumes an EOL code and the fill bits before it, if the input
// continues with one. end reports that only 0 bits remain.
func (d *Decoder) skipEOL() (eol, end bool) {
	br := &d.br
	zeros := uint(0)
	for {
		br.fill()
		if br.n == 0 {
			return false, true
		}
		z := uint(bits.LeadingZeros64(br.acc))
		if z < br.n { // a 1 bit in sight
			if zeros+z < eolZero {
				return false, false // zeros is 0 here: see below
			}
			br.skip(z + 1)
			return true, false
		}
		// Every buffered bit is 0. Unless the input has ended, fill
		// left more than eolZero of them, so this is fill before an EOL.
		zeros += br.n
		br.skip(br.n)
	}
}

// run decodes one run of colour color (0 white, 1 black): make-up codes
// and a terminating code. The run may not go past limit pixels.
func (d *Decoder) run(color, limit int) (int, error) {
	br := &d.br
	total := 0
	for {
		if br.n < runBits {
			br.fill()
		}
		e := runTable[color][br.peek(runBits)]
		if e.len == 0 || uint(e.len) > br.n {
			if br.n < runBits { // fill stopped short: the data end here
				return 0, d.truncated()
			}
			if br.peek(eolLen) == eolCode {
				return 0, d.fail(ErrCorrupt, "EOL inside the row")
			}
			return 0, d.fail(ErrCorrupt, "invalid %s code", colorName[color])
		}
		br.skip(uint(e.len))
		total += int(e.run)
		if total > limit {
			return 0, d.fail(ErrCorrupt, "%s run of %d pixels past the end of a %d-pixel row",
				colorName[color], total, d.p.Width)
		}
		if !e.makeup {
			return total, nil
		}
	}
}

var colorName = [2]string{"white", "black"}

// add appends changing element a to the row; a change at the position of
// the previous one cancels it (a run of 0 pixels), so the elements
// strictly increase.
func (d *Decoder) add(a int) {
	if n := len(d.cur); n > 0 && d.cur[n-1] == a {
		d.cur = d.cur[:n-1]
		return
	}
	d.cur = append(d.cur, a)
}

// decode1D decodes a row of alternating white and black runs.
func (d *Decoder) decode1D() error {
	w := d.p.Width
	for a0, color := 0, 0; a0 < w; color ^= 1 {
		n, err := d.run(color, w-a0)
		if err != nil {
			return err
		}
		a0 += n
		d.add(a0)
	}
	return nil
}

// decode2D decodes a row coded against the reference row d.ref.
func (d *Decoder) decode2D() error {
	br := &d.br
	w, ref := d.p.Width, d.ref
	a0, color := -1, 0 // a0 starts on an imaginary pixel left of the row
	bi := 0            // index of b1 in ref; bi%2 == color
	for a0 < w {
		// b1 is the first change right of a0 to the other colour.
		for ref[bi] <= a0 {
			bi += 2
		}
		if br.n < modeBits {
			br.fill()
		}
		e := modeTable[br.peek(modeBits)]
		if e.len == 0 || uint(e.len) > br.n {
			if br.n < modeBits {
				return d.truncated()
			}
			if br.peek(eolLen) == eolCode {
				return d.fail(ErrCorrupt, "EOL inside the row")
			}
			return d.fail(ErrCorrupt, "invalid mode code")
		}
		br.skip(uint(e.len))
		switch e.m {
		case modePass:
			a0 = ref[bi+1] // b2; the colour goes on below it
			bi += 2
		case modeHoriz:
			start := max(a0, 0)
			r1, err := d.run(color, w-start)
			if err != nil {
				return err
			}
			r2, err := d.run(color^1, w-start-r1)
			if err != nil {
				return err
			}
			d.add(start + r1)
			d.add(start + r1 + r2)
			a0 = start + r1 + r2
		case modeExt:
			if br.n < 3 {
				br.fill()
			}
			if br.n >= 3 && br.peek(3) == 7 {
				return d.fail(ErrUnsupported, "uncompressed mode")
			}
			return d.fail(ErrUnsupported, "extension code")
		default:
			a1 := ref[bi] + vDelta[e.m]
			if a1 < max(a0, 0) || a1 > w {
				return d.fail(ErrCorrupt, "vertical mode puts a change at %d, outside %d..%d", a1, max(a0, 0), w)
			}
			d.add(a1)
			a0, color = a1, color^1
			// The next b1 has the other parity; it may lie left of this
			// one, but never left of the element before it.
			if bi > 0 {
				bi--
			} else {
				bi++
			}
		}
	}
	return nil
}

// fillRow sets the black runs of a row of changing elements in row.
func fillRow(row []byte, changes []int, w int) {
	clear(row)
	for i := 0; i < len(changes); i += 2 {
		end := w
		if i+1 < len(changes) {
			end = changes[i+1]
		}
		setBits(row, changes[i], end)
	}
}

// setBits sets pixels [s, e) of a packed row.
func setBits(row []byte, s, e int) {
	if s >= e {
		return
	}
	i, j := s>>3, (e-1)>>3
	first := byte(0xff >> (s & 7))
	last := byte(0xff << (7 - (e-1)&7))
	if i == j {
		row[i] |= first & last
		return
	}
	row[i] |= first
	for k := i + 1; k < j; k++ {
		row[k] = 0xff
	}
	row[j] |= last
}

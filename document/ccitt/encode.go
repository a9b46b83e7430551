package ccitt

import (
	"fmt"
	"io"
	"math/bits"
)

// Encoder codes rows as T.4 or T.6 data. It keeps two rows of changing
// elements and an output buffer; Close writes the trailer and flushes.
//
// An Encoder is not safe for concurrent use.
type Encoder struct {
	p      Params
	bw     bitWriter
	ref    []int // changing elements of the previous row, then sentinels
	cur    []int
	rows   int
	err    error // sticky: the first error
	closed bool
}

// NewEncoder returns an encoder that writes rows coded as p says to w.
// Invalid parameters are reported by the first WriteRow or Close.
func NewEncoder(w io.Writer, p Params) *Encoder {
	e := &Encoder{p: p, bw: bitWriter{w: w, rev: p.ReverseBits}}
	if err := p.check(); err != nil {
		e.err = err
		return e
	}
	e.bw.buf = make([]byte, 0, ioBufSize+4)
	e.ref = withSentinels(make([]int, 0, p.Width+1+sentinels), p.Width)
	e.cur = make([]int, 0, p.Width+1+sentinels)
	return e
}

// WriteRow codes one row: (Width+7)/8 bytes or more, pixels packed most
// significant bit first, 1 for black; bits past the last pixel are
// ignored. Errors from the underlying writer are returned, possibly by a
// later call, and stick.
func (e *Encoder) WriteRow(row []byte) error {
	if e.closed {
		return ErrClosed
	}
	if e.err != nil {
		return e.err
	}
	if len(row) < e.p.stride() {
		return fmt.Errorf("%w: row of %d bytes, a %d-pixel row needs %d", ErrParams, len(row), e.p.Width, e.p.stride())
	}
	e.cur = withSentinels(changes(row, e.p.Width, e.cur[:0]), e.p.Width)

	oneD := e.p.K == 0 || e.p.K > 0 && e.rows%e.p.K == 0
	e.startRow(oneD)
	if oneD {
		e.encode1D()
	} else {
		e.encode2D()
	}
	e.ref, e.cur = e.cur, e.ref
	e.rows++
	if e.bw.err != nil {
		e.err = fmt.Errorf("ccitt: write: %w", e.bw.err)
	}
	return e.err
}

// startRow writes what goes before a row's codes: fill bits, EOL, tag bit.
func (e *Encoder) startRow(oneD bool) {
	switch {
	case e.p.EOL:
		e.eol()
	case e.p.ByteAlign:
		e.bw.zeros(e.bw.pad(0))
	}
	if e.p.K > 0 {
		tag := uint32(0)
		if oneD {
			tag = 1
		}
		e.bw.put(tag, 1)
	}
}

// eol writes an EOL code, after fill bits when the EOL must end on a
// byte boundary.
func (e *Encoder) eol() {
	if e.p.ByteAlign {
		e.bw.zeros(e.bw.pad(eolLen))
	}
	e.bw.put(eolCode, eolLen)
}

// putRun writes a run of colour color.
func (e *Encoder) putRun(color, n int) {
	for n >= maxMakeup+64 {
		e.bw.putCode(makeupCodes[color][maxMakeup/64-1])
		n -= maxMakeup
	}
	if n >= 64 {
		e.bw.putCode(makeupCodes[color][n/64-1])
		n %= 64
	}
	e.bw.putCode(termCodes[color][n])
}

// encode1D writes the row as alternating white and black runs.
func (e *Encoder) encode1D() {
	a0, color := 0, 0
	for _, a1 := range e.cur {
		if a1 >= e.p.Width {
			break
		}
		e.putRun(color, a1-a0)
		a0, color = a1, color^1
	}
	e.putRun(color, e.p.Width-a0)
}

// Mode codes for encoding.
var modeCode [modeExt + 1]code

func init() {
	for _, mc := range modeCodes {
		modeCode[mc.m] = parseCode(mc.code)
	}
}

// vModes[d+3] is the vertical mode for a1-b1 = d.
var vModes = [7]mode{modeVL3, modeVL2, modeVL1, modeV0, modeVR1, modeVR2, modeVR3}

// encode2D writes the row against the reference row (T.4 4.2.1.3, T.6 2.2).
func (e *Encoder) encode2D() {
	w, ref, cur := e.p.Width, e.ref, e.cur
	a0, color := -1, 0
	ai, bi := 0, 0 // indexes of a1 in cur and b1 in ref; bi%2 == color
	for a0 < w {
		for cur[ai] <= a0 {
			ai++
		}
		for ref[bi] <= a0 {
			bi += 2
		}
		a1, b1, b2 := cur[ai], ref[bi], ref[bi+1]
		switch d := a1 - b1; {
		case b2 < a1:
			e.bw.putCode(modeCode[modePass])
			a0 = b2
			bi += 2
		case d >= -3 && d <= 3:
			e.bw.putCode(modeCode[vModes[d+3]])
			a0, color = a1, color^1
			if bi > 0 {
				bi--
			} else {
				bi++
			}
		default:
			a2 := cur[ai+1]
			e.bw.putCode(modeCode[modeHoriz])
			e.putRun(color, a1-max(a0, 0))
			e.putRun(color^1, a2-a1)
			a0 = a2
		}
	}
}

// Close writes the trailer chosen by Params.Trailer, pads the last byte
// with 0 bits and flushes. It does not close the underlying writer.
func (e *Encoder) Close() error {
	if e.closed {
		return ErrClosed
	}
	e.closed = true
	if e.err != nil {
		return e.err
	}
	switch {
	case e.p.Trailer == TrailerNone:
	case e.p.K < 0: // EOFB, where the next row would start
		if e.p.ByteAlign && !e.p.EOL {
			e.bw.zeros(e.bw.pad(0))
		}
		e.bw.put(eolCode, eolLen)
		e.bw.put(eolCode, eolLen)
	case e.p.Trailer == TrailerEnd && e.p.EOL: // RTC
		for range 6 {
			e.eol()
			if e.p.K > 0 {
				e.bw.put(1, 1)
			}
		}
	}
	e.bw.finish()
	if e.bw.err != nil {
		e.err = fmt.Errorf("ccitt: write: %w", e.bw.err)
	}
	return e.err
}

// changes appends to dst the changing elements of a packed row: the
// positions where the colour differs from the pixel before, starting from
// white.
func changes(row []byte, w int, dst []int) []int {
	x, color := 0, 0
	for {
		x = nextChange(row, x, w, color)
		if x >= w {
			return dst
		}
		dst = append(dst, x)
		color ^= 1
	}
}

// nextChange returns the first position at or after x whose pixel is not
// of colour color, or w.
func nextChange(row []byte, x, w, color int) int {
	flip := byte(0)
	if color == 1 {
		flip = 0xff
	}
	i := x >> 3
	b := (row[i] ^ flip) & (0xff >> (x & 7))
	last := (w - 1) >> 3
	for b == 0 {
		if i++; i > last {
			return w
		}
		b = row[i] ^ flip
	}
	return min(i<<3+bits.LeadingZeros8(b), w)
}

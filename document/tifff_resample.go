package document

import (
	"math"
	"math/bits"
	"sort"
)

// resampler scales a bilevel page onto a fax line at fax resolution, as
// TIFFF describes: centred, cropped or padded, each output pixel the OR of
// the input pixels whose centres lie in it (or the one under its centre).
// Rows stream through: it keeps one output row and one reduced input row.
type resampler struct {
	inW, inH int
	outH     int
	sy       float64 // input rows per output row
	lo, hi   []int32 // input columns [lo[j], hi[j]) make output column j
	acc      []byte  // the output row being gathered
	cur      []byte  // the input row reduced to output columns
	i        int     // output row being gathered
	y        int     // input rows taken
	emit     func([]byte) error
}

// newResampler returns a resampler of w x h pixels at xres x yres dpi onto
// outW columns at outXRes x outYRes dpi, passing output rows to emit.
func newResampler(w, h int, xres, yres float64, outW int, outXRes, outYRes float64, emit func([]byte) error) *resampler {
	sx, sy := xres/outXRes, yres/outYRes
	rs := &resampler{
		inW: w, inH: h, sy: sy, emit: emit,
		outH: resampledRows(h, yres, outYRes),
		lo:   make([]int32, outW), hi: make([]int32, outW),
		acc: make([]byte, packedRowBytes(outW)), cur: make([]byte, packedRowBytes(outW)),
	}
	off := (float64(outW) - float64(w)/sx) / 2 // output columns left of the page
	for j := range outW {
		lo, hi := span(float64(j)-off, sx, w)
		rs.lo[j], rs.hi[j] = int32(lo), int32(hi)
	}
	return rs
}

// resampledRows returns how many rows at outYRes dpi a page of h rows at
// yres dpi becomes.
func resampledRows(h int, yres, outYRes float64) int {
	return int(max(1, math.Min(math.Round(float64(h)*outYRes/yres), math.MaxInt32)))
}

// span returns the input pixels [lo, hi) of n that make output pixel k
// (which starts at output position k; k may be fractional after
// centring) at scale s input pixels per output pixel: those whose centres
// lie in the box, or else the one under the box's centre; an empty span
// outside the input.
func span(k, s float64, n int) (int, int) {
	a, b := k*s, (k+1)*s
	lo := clampInt(math.Ceil(a-0.5), n)
	hi := clampInt(math.Ceil(b-0.5), n)
	if lo < hi {
		return lo, hi
	}
	if c := (a + b) / 2; c >= 0 && c < float64(n) {
		return int(c), int(c) + 1
	}
	return lo, lo
}

// clampInt converts v to an int in 0..n.
func clampInt(v float64, n int) int { return int(math.Max(0, math.Min(v, float64(n)))) }

// addRow takes the next input row, packed with 1 for black.
func (rs *resampler) addRow(row []byte) error {
	y := rs.y
	rs.y++
	clear(rs.cur)
	blackRuns(row, rs.inW, func(s, e int) {
		// The output columns whose spans meet [s, e): spans grow with j.
		j1 := sort.Search(len(rs.hi), func(j int) bool { return int(rs.hi[j]) > s })
		j2 := sort.Search(len(rs.lo), func(j int) bool { return int(rs.lo[j]) >= e })
		setRun(rs.cur, j1, j2)
	})
	for rs.i < rs.outH {
		lo, hi := span(float64(rs.i), rs.sy, rs.inH)
		if y < lo {
			return nil // no output row uses this input row
		}
		if y < hi {
			for k, b := range rs.cur {
				rs.acc[k] |= b
			}
		}
		if y < hi-1 {
			return nil // the output row needs more input rows
		}
		if err := rs.flush(); err != nil {
			return err
		}
	}
	return nil
}

// flush emits the output row being gathered and starts the next.
func (rs *resampler) flush() error {
	err := rs.emit(rs.acc)
	clear(rs.acc)
	rs.i++
	return err
}

// finish emits the output rows that no input row reached (white, or what
// rounding left of the bottom row).
func (rs *resampler) finish() error {
	for rs.i < rs.outH {
		if err := rs.flush(); err != nil {
			return err
		}
	}
	return nil
}

// blackRuns calls f for every run [s, e) of black pixels of a packed row of
// w pixels.
func blackRuns(row []byte, w int, f func(s, e int)) {
	for x := 0; x < w; {
		s := nextBit(row, x, w, 0)
		if s >= w {
			return
		}
		x = nextBit(row, s, w, 0xff)
		f(s, x)
	}
}

// nextBit returns the first pixel at or after x that is black (flip 0) or
// white (flip 0xff), or w.
func nextBit(row []byte, x, w int, flip byte) int {
	i := x >> 3
	b := (row[i] ^ flip) & (0xff >> (x & 7))
	for b == 0 {
		if i++; i<<3 >= w {
			return w
		}
		b = row[i] ^ flip
	}
	return min(i<<3+bits.LeadingZeros8(b), w)
}

// setRun sets pixels [s, e) of a packed row.
func setRun(row []byte, s, e int) {
	for ; s < e && s%8 != 0; s++ {
		row[s/8] |= 0x80 >> (s % 8)
	}
	for ; s+8 <= e; s += 8 {
		row[s/8] = 0xff
	}
	for ; s < e; s++ {
		row[s/8] |= 0x80 >> (s % 8)
	}
}

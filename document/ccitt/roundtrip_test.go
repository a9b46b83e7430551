package ccitt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// page is a bilevel picture: rows packed 8 pixels a byte, most significant
// bit first, 1 = black.
type page struct {
	w, h int
	bits []byte
}

func (p page) stride() int         { return (p.w + 7) / 8 }
func (p page) row(y int) []byte    { return p.bits[y*p.stride() : (y+1)*p.stride()] }
func (p page) black(x, y int) bool { return p.bits[y*p.stride()+x/8]&(0x80>>(x%8)) != 0 }

// randomPage makes a w x h page of runs of random length, about density
// of them black; many rows repeat the row above or change it a little, as
// scanned rows do, so that every 2-D mode appears.
func randomPage(rng *rand.Rand, w, h int, density float64) page {
	p := page{w: w, h: h, bits: make([]byte, h*((w+7)/8))}
	for y := range h {
		row := p.row(y)
		switch r := rng.IntN(4); {
		case y > 0 && r == 0: // copy the row above
			copy(row, p.row(y-1))
		case y > 0 && r == 1: // the row above, with a few pixels flipped
			copy(row, p.row(y-1))
			for range rng.IntN(4) {
				x := rng.IntN(w)
				row[x/8] ^= 0x80 >> (x % 8)
			}
		default: // fresh runs
			x, black := 0, rng.Float64() < density
			for x < w {
				n := 1 + int(rng.ExpFloat64()*runMean(density, black))
				if black {
					setBits(row, x, min(x+n, w))
				}
				x += n
				black = !black
			}
		}
		if w%8 != 0 { // keep the padding bits clear, as decoders return them
			row[len(row)-1] &= byte(0xff << (8 - w%8))
		}
	}
	return p
}

// runMean is the mean length of runs of a colour at a black density.
func runMean(density float64, black bool) float64 {
	const scale = 40 // twice the mean run at density 0.5
	if black {
		return scale * density
	}
	return scale * (1 - density)
}

// encode codes every row of p with our encoder.
func encode(t testing.TB, p page, params Params) []byte {
	t.Helper()
	var buf bytes.Buffer
	params.Width = p.w
	e := NewEncoder(&buf, params)
	for y := range p.h {
		if err := e.WriteRow(p.row(y)); err != nil {
			t.Fatalf("row %d: %v", y+1, err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decode decodes h rows of width w and checks that the data end there.
func decode(t testing.TB, data []byte, w, h int, params Params) page {
	t.Helper()
	params.Width = w
	d := NewDecoder(bytes.NewReader(data), params)
	p := page{w: w, h: h, bits: make([]byte, h*((w+7)/8))}
	for y := range h {
		if err := d.ReadRow(p.row(y)); err != nil {
			t.Fatalf("row %d of %d: %v", y+1, h, err)
		}
	}
	if err := d.ReadRow(make([]byte, p.stride())); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last row: %v, want io.EOF", err)
	}
	return p
}

// diffPages counts differing pixels and names the first.
func diffPages(got, want page) (int, string) {
	if got.w != want.w || got.h != want.h {
		return -1, fmt.Sprintf("size %dx%d, want %dx%d", got.w, got.h, want.w, want.h)
	}
	n, first := 0, ""
	for y := range want.h {
		if bytes.Equal(got.row(y), want.row(y)) {
			continue
		}
		for x := range want.w {
			if got.black(x, y) != want.black(x, y) {
				if n == 0 {
					first = fmt.Sprintf("first at x=%d y=%d", x, y)
				}
				n++
			}
		}
	}
	return n, first
}

// codings are the parameter sets the round trips cover.
var codings = []struct {
	name string
	p    Params
}{
	{"G4", Params{K: -1}},
	{"G4 aligned", Params{K: -1, ByteAlign: true}},
	{"G4 no EOFB", Params{K: -1, Trailer: TrailerNone}},
	{"G4 reversed", Params{K: -1, ReverseBits: true}},
	{"G3 1D", Params{EOL: true}},
	{"G3 1D fill", Params{EOL: true, ByteAlign: true}},
	{"G3 1D fill RTC reversed", Params{EOL: true, ByteAlign: true, Trailer: TrailerEnd, ReverseBits: true}},
	{"G3 2D K=2", Params{K: 2, EOL: true}},
	{"G3 2D K=4 fill RTC", Params{K: 4, EOL: true, ByteAlign: true, Trailer: TrailerEnd}},
	{"G3 2D K=1000 fill", Params{K: 1000, EOL: true, ByteAlign: true}},
	{"RLE", Params{ByteAlign: true}},
	{"MH no EOL", Params{}},
	{"2D no EOL", Params{K: 3}},
	{"2D no EOL aligned", Params{K: 3, ByteAlign: true}},
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range codings {
		for _, w := range []int{1, 2, 7, 8, 9, 63, 64, 65, 1728, 1729, 2432, 2561, 5000} {
			for _, density := range []float64{0, 0.02, 0.3, 0.5, 0.9, 1} {
				p := randomPage(rng, w, 37, density)
				t.Run(fmt.Sprintf("%s/w=%d/d=%g", c.name, w, density), func(t *testing.T) {
					data := encode(t, p, c.p)
					got := decode(t, data, w, p.h, c.p)
					if n, where := diffPages(got, p); n != 0 {
						t.Fatalf("%d pixels differ (%s)", n, where)
					}
				})
			}
		}
	}
}

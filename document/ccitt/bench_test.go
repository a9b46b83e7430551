package ccitt

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// textPage draws a w x h page that codes like a typed letter: lines of
// word-shaped glyphs of strokes and bars, a few rules, wide margins.
func textPage(w, h int) page {
	p := page{w: w, h: h, bits: make([]byte, h*((w+7)/8))}
	rng := rand.New(rand.NewPCG(9, 10))
	const margin, lineGap, xHeight = 150, 42, 22
	for top := margin; top+lineGap < h-margin; top += lineGap {
		if rng.IntN(12) == 0 { // a rule
			for y := top + 10; y < top+13; y++ {
				setBits(p.row(y), margin, w-margin)
			}
			continue
		}
		for x := margin; x < w-margin-20; {
			if rng.IntN(6) == 0 { // a space between words
				x += 12
				continue
			}
			gw := 8 + rng.IntN(9)
			asc := 0
			if rng.IntN(3) == 0 {
				asc = 8 // an ascender
			}
			for range 1 + rng.IntN(2) { // vertical strokes
				sx := x + rng.IntN(gw-2)
				for y := top - asc; y < top+xHeight; y++ {
					setBits(p.row(y), sx, sx+2)
				}
			}
			for range rng.IntN(3) { // bars and bowls
				y := top + rng.IntN(xHeight-2)
				for dy := range 2 {
					setBits(p.row(y+dy), x, x+gw)
				}
			}
			x += gw + 3
		}
	}
	return p
}

// benchCodings are the codings a fax page is benchmarked in.
var benchCodings = []struct {
	name string
	p    Params
}{
	{"G4", Params{K: -1}},
	{"G3-1D", Params{EOL: true, ByteAlign: true}},
	{"G3-2D", Params{K: 4, EOL: true, ByteAlign: true}},
}

// reportPages adds pages/s to the MB/s of packed rows (one 1728x2292 page
// is 495072 bytes).
func reportPages(b *testing.B) { b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s") }

func BenchmarkDecode(b *testing.B) {
	pg := textPage(1728, 2292)
	for _, c := range benchCodings {
		b.Run(c.name, func(b *testing.B) {
			data := encode(b, pg, c.p)
			p := c.p
			p.Width = pg.w
			row := make([]byte, pg.stride())
			b.SetBytes(int64(len(pg.bits)))
			for b.Loop() {
				d := NewDecoder(bytes.NewReader(data), p)
				for range pg.h {
					if err := d.ReadRow(row); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportPages(b)
			b.ReportMetric(float64(len(data)), "coded-bytes")
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	pg := textPage(1728, 2292)
	for _, c := range benchCodings {
		b.Run(c.name, func(b *testing.B) {
			p := c.p
			p.Width = pg.w
			var out bytes.Buffer
			b.SetBytes(int64(len(pg.bits)))
			for b.Loop() {
				out.Reset()
				e := NewEncoder(&out, p)
				for y := range pg.h {
					if err := e.WriteRow(pg.row(y)); err != nil {
						b.Fatal(err)
					}
				}
				if err := e.Close(); err != nil {
					b.Fatal(err)
				}
			}
			reportPages(b)
		})
	}
}

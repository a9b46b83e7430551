package ccitt

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// fuzzParams maps fuzz arguments onto every combination of Params.
func fuzzParams(width uint16, k int8, flags uint8) Params {
	return Params{
		Width: int(width), K: int(k),
		EOL: flags&1 != 0, ByteAlign: flags&2 != 0, ReverseBits: flags&4 != 0,
		Trailer: Trailer(flags >> 3 % 3),
	}
}

// fuzzSeeds adds coded pages in every coding as seeds.
func fuzzSeeds(f *testing.F, add func(data []byte, width uint16, k int8, flags uint8)) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range codings {
		flags := uint8(0)
		for i, on := range []bool{c.p.EOL, c.p.ByteAlign, c.p.ReverseBits} {
			if on {
				flags |= 1 << i
			}
		}
		flags |= uint8(c.p.Trailer) << 3
		for _, w := range []int{1, 13, 200} {
			p := randomPage(rng, w, 6, 0.3)
			add(encode(f, p, c.p), uint16(w), int8(c.p.K), flags)
		}
	}
}

// FuzzDecode feeds the decoder any bytes with any parameters: it must not
// panic, must return only io.EOF, *DataError or ErrParams, must write no
// more than a row, and each row must consume input.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f, func(data []byte, width uint16, k int8, flags uint8) { f.Add(data, width, k, flags) })
	f.Add(bitsOf(eol+"1"+white8+eol+"0"+"0000001111"), uint16(8), int8(2), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, width uint16, k int8, flags uint8) {
		p := fuzzParams(width, k, flags)
		d := NewDecoder(bytes.NewReader(data), p)
		stride := max(p.stride(), 0)
		row := make([]byte, stride+1)
		for rows := 0; ; rows++ {
			row[stride] = 0xa5 // must stay untouched
			err := d.ReadRow(row)
			if err != nil {
				var de *DataError
				switch {
				case err == io.EOF, errors.As(err, &de):
				case errors.Is(err, ErrParams):
					if p.Width >= 1 && p.Width <= MaxWidth {
						t.Fatalf("ErrParams for width %d: %v", p.Width, err)
					}
				default:
					t.Fatalf("unexpected error %T %v", err, err)
				}
				return
			}
			if rows >= 8*len(data) {
				t.Fatalf("%d rows from %d bytes", rows+1, len(data))
			}
			if row[stride] != 0xa5 {
				t.Fatalf("ReadRow wrote past the row")
			}
			if p.Width%8 != 0 && row[stride-1]&(0xff>>(p.Width%8)) != 0 {
				t.Fatalf("padding bits set: %08b", row[stride-1])
			}
		}
	})
}

// FuzzRoundTrip codes any bitmap with any parameters and decodes it back.
func FuzzRoundTrip(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range codings {
		for _, w := range []int{1, 9, 300} {
			p := randomPage(rng, w, 5, 0.4)
			f.Add(p.bits, uint16(w), int8(c.p.K), uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, pixels []byte, width uint16, k int8, flags uint8) {
		p := fuzzParams(width%3000+1, k, flags)
		pg := page{w: p.Width}
		pg.h = min(len(pixels)/pg.stride(), 64)
		if pg.h == 0 {
			return
		}
		pg.bits = bytes.Clone(pixels[:pg.h*pg.stride()])
		if pg.w%8 != 0 {
			for y := range pg.h {
				pg.row(y)[pg.stride()-1] &= byte(0xff << (8 - pg.w%8))
			}
		}
		got := decode(t, encode(t, pg, p), pg.w, pg.h, p)
		if n, where := diffPages(got, pg); n != 0 {
			t.Fatalf("%+v: %d pixels differ (%s)", p, n, where)
		}
	})
}

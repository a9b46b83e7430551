package ccitt

// These tests check the codec against libtiff, with inputs made at test
// time by Ghostscript and libtiff: our decoder must read every coding they
// write exactly as libtiff does, and libtiff must read everything our
// encoder writes, without a warning, into the very pixels we coded.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/scangate/gateway/internal/toolrun"
)

// needTools fails the test unless the tools these tests run are installed.
func needTools(t *testing.T) {
	t.Helper()
	toolrun.Need(t, "gs", "tiffcp", "tiffset")
}

// run runs a tool and returns its standard error, failing the test when
// the tool fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	_, stderr := toolrun.Run(t, name, args...)
	return stderr
}

// testPostScript draws three pages of text, rules, diagonals and solid
// areas, which exercise every kind of CCITT code.
const testPostScript = `%!PS
/Helvetica findfont 24 scalefont setfont
72 720 moveto (Scangate fax test, page 1) show
/Times-Roman findfont 11 scalefont setfont
72 690 moveto (The quick brown fox jumps over the lazy dog. 0123456789) show
2 setlinewidth 72 670 moveto 540 670 lineto stroke
0.5 setlinewidth
0 1 24 { 18 mul 72 add 120 moveto 0 500 rlineto stroke } for
showpage
/Helvetica-Bold findfont 18 scalefont setfont
72 720 moveto (Page 2: solid areas and diagonals) show
100 400 200 200 rectfill
0 0 20 792 rectfill
1 setlinewidth
0 1 30 { 10 mul 320 add 300 moveto 200 300 rlineto stroke } for
72 72 moveto 540 720 lineto stroke
showpage
/Courier findfont 9 scalefont setfont
0 1 60 { dup 11 mul 60 add 72 exch moveto pop (Page 3 line of small text ... Zz 1l| ;:,. #@%&) show } for
0.5 setgray 300 100 200 100 rectfill
showpage
`

// gsTIFF renders the test pages with a Ghostscript TIFF device.
func gsTIFF(t *testing.T, dir, device, res string, extra ...string) string {
	t.Helper()
	return toolrun.GhostscriptTIFF(t, dir, testPostScript, device, res, extra...)
}

// tiffcp copies in with tiffcp options into a new file.
func tiffcp(t *testing.T, in string, opts ...string) string {
	t.Helper()
	return toolrun.Tiffcp(t, in, opts...)
}

// tiffPage is what the tests need of one TIFF page.
type tiffPage struct {
	w, h, compression, photometric, fillOrder, rowsPerStrip int
	t4Options                                               uint32
	strips                                                  [][]byte
}

// readTIFF reads the pages of a classic TIFF file, both byte orders, with
// the tags the tests need.
func readTIFF(t *testing.T, path string) []tiffPage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if string(b[:2]) == "MM" {
		bo = binary.BigEndian
	}
	var pages []tiffPage
	for off := bo.Uint32(b[4:]); off != 0; {
		n := int(bo.Uint16(b[off:]))
		tags := map[uint16][]uint32{}
		for i := range n {
			e := b[int(off)+2+12*i:]
			tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), int(bo.Uint32(e[4:]))
			size := map[uint16]int{1: 1, 3: 2, 4: 4, 5: 8}[typ]
			if size == 0 || typ == 5 {
				continue // only integer tags are needed
			}
			val := e[8:12]
			if size*count > 4 {
				val = b[bo.Uint32(e[8:]):]
			}
			for j := range count {
				switch size {
				case 1:
					tags[tag] = append(tags[tag], uint32(val[j]))
				case 2:
					tags[tag] = append(tags[tag], uint32(bo.Uint16(val[2*j:])))
				default:
					tags[tag] = append(tags[tag], bo.Uint32(val[4*j:]))
				}
			}
		}
		one := func(tag uint16, def int) int {
			if v, ok := tags[tag]; ok {
				return int(v[0])
			}
			return def
		}
		p := tiffPage{w: one(256, 0), h: one(257, 0), compression: one(259, 1), photometric: one(262, 0),
			fillOrder: one(266, 1), rowsPerStrip: one(278, math.MaxInt32), t4Options: uint32(one(292, 0))}
		p.rowsPerStrip = min(p.rowsPerStrip, p.h)
		for i, so := range tags[273] {
			p.strips = append(p.strips, b[so:so+tags[279][i]])
		}
		pages = append(pages, p)
		off = bo.Uint32(b[int(off)+2+12*n:])
	}
	return pages
}

// params returns the codec parameters for a page's coding.
func (p tiffPage) params(t *testing.T) Params {
	c := Params{Width: p.w, ReverseBits: p.fillOrder == 2}
	switch p.compression {
	case 2:
		c.ByteAlign = true
	case 3:
		c.EOL, c.ByteAlign = true, p.t4Options&4 != 0
		if p.t4Options&1 != 0 {
			c.K = 4 // the decoder only looks at the sign
		}
	case 4:
		c.K = -1
	default:
		t.Fatalf("compression %d is not CCITT", p.compression)
	}
	return c
}

// libtiffDecode decodes every page of a TIFF file with libtiff (tiffcp -c
// none) and returns the pages with 1 bits where the codes say black:
// libtiff's CCITT decoder writes the codes' colours as they are, whatever
// the photometric. It fails the test if libtiff warns.
func libtiffDecode(t *testing.T, path string) []page {
	t.Helper()
	out := strings.TrimSuffix(path, ".tif") + "-libtiff-none.tif"
	if warn := run(t, "tiffcp", "-c", "none", "-f", "msb2lsb", path, out); warn != "" {
		t.Errorf("libtiff warns about %s:\n%s", filepath.Base(path), warn)
	}
	var pages []page
	for _, tp := range readTIFF(t, out) {
		p := page{w: tp.w, h: tp.h, bits: bytes.Join(tp.strips, nil)}
		if tp.compression != 1 || len(p.bits) != p.h*p.stride() {
			t.Fatalf("tiffcp -c none wrote compression %d, %d bytes for %dx%d", tp.compression, len(p.bits), p.w, p.h)
		}
		pages = append(pages, p)
	}
	return pages
}

// ourDecode decodes every page of a TIFF file with our decoder, strip by
// strip, and checks that each strip's data end after its rows.
func ourDecode(t *testing.T, path string) []page {
	t.Helper()
	var pages []page
	for n, tp := range readTIFF(t, path) {
		p := page{w: tp.w, h: tp.h, bits: make([]byte, tp.h*((tp.w+7)/8))}
		for i, s := range tp.strips {
			d := NewDecoder(bytes.NewReader(s), tp.params(t))
			first := i * tp.rowsPerStrip
			for y := first; y < min(first+tp.rowsPerStrip, tp.h); y++ {
				if err := d.ReadRow(p.row(y)); err != nil {
					t.Fatalf("%s page %d strip %d row %d: %v", filepath.Base(path), n+1, i+1, y-first+1, err)
				}
			}
			if err := d.ReadRow(make([]byte, p.stride())); !errors.Is(err, io.EOF) {
				t.Errorf("%s page %d strip %d: after the last row: %v, want io.EOF", filepath.Base(path), n+1, i+1, err)
			}
		}
		pages = append(pages, p)
	}
	return pages
}

func comparePages(t *testing.T, got, want []page) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d pages, want %d", len(got), len(want))
	}
	for i := range want {
		if n, where := diffPages(got[i], want[i]); n != 0 {
			t.Errorf("page %d: %d pixels differ from libtiff (%s)", i+1, n, where)
		}
	}
}

// TestDecodeLibtiffFiles decodes pages that Ghostscript and libtiff coded
// in every CCITT variant and compares them with libtiff's decoding.
func TestDecodeLibtiffFiles(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	fine := gsTIFF(t, dir, "tiffg4", "204x196")
	normal := gsTIFF(t, dir, "tiffg4", "204x98")
	minIsBlack := tiffcp(t, fine, "-c", "none")
	for d := range 3 {
		run(t, "tiffset", "-d", strconv.Itoa(d), "-s", "262", "1", minIsBlack)
	}
	a3 := gsTIFF(t, dir, "tiffg4", "204x196", "-dFIXEDMEDIA", "-g2432x3300")
	cases := []struct{ name, tif string }{
		{"gs tiffg4 fine", fine},
		{"gs tiffg4 normal", normal},
		{"gs tiffg3", gsTIFF(t, dir, "tiffg3", "204x196")},
		{"gs tiffg32d", gsTIFF(t, dir, "tiffg32d", "204x98")},
		{"gs tiffcrle", gsTIFF(t, dir, "tiffcrle", "204x196")},
		{"gs tiffg4 odd width", gsTIFF(t, dir, "tiffg4", "300", "-dFIXEDMEDIA", "-g1001x1400")},
		{"gs tiffg4 A3 width", a3},
		{"gs tiffg32d A3 width", gsTIFF(t, dir, "tiffg32d", "204x196", "-dFIXEDMEDIA", "-g2432x3300")},
		{"tiffcp g3 1d", tiffcp(t, fine, "-c", "g3:1d")},
		{"tiffcp g3 1d fill", tiffcp(t, fine, "-c", "g3:1d:fill")},
		{"tiffcp g3 2d", tiffcp(t, fine, "-c", "g3:2d")},
		{"tiffcp g3 2d fill", tiffcp(t, normal, "-c", "g3:2d:fill")},
		{"tiffcp g3 2d A3 width", tiffcp(t, a3, "-c", "g3:2d")},
		{"tiffcp g3 1d fill lsb2msb", tiffcp(t, fine, "-c", "g3:1d:fill", "-f", "lsb2msb")},
		{"tiffcp g3 2d lsb2msb", tiffcp(t, fine, "-c", "g3:2d", "-f", "lsb2msb")},
		{"tiffcp g4 lsb2msb", tiffcp(t, fine, "-c", "g4", "-f", "lsb2msb")},
		{"tiffcp g4 64 rows per strip", tiffcp(t, fine, "-c", "g4", "-r", "64")},
		{"tiffcp g3 2d fill 100 rows per strip big-endian", tiffcp(t, normal, "-B", "-c", "g3:2d:fill", "-r", "100")},
		{"min-is-black g4", tiffcp(t, minIsBlack, "-c", "g4")},
		{"min-is-black g3 2d fill", tiffcp(t, minIsBlack, "-c", "g3:2d:fill")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			comparePages(t, ourDecode(t, tc.tif), libtiffDecode(t, tc.tif))
		})
	}
}

// writeTIFF writes pages, each one strip of CCITT data coded as p says
// (with p.Width the page's width), into a little-endian TIFF file for
// libtiff to read.
func writeTIFF(t *testing.T, path string, p Params, pages []page, strips [][]byte) {
	t.Helper()
	compression, opts := uint32(4), uint32(0)
	switch {
	case p.K >= 0 && !p.EOL:
		compression = 2
	case p.K >= 0:
		compression = 3
		if p.K > 0 {
			opts |= 1
		}
		if p.ByteAlign {
			opts |= 4
		}
	}
	fillOrder := uint32(1)
	if p.ReverseBits {
		fillOrder = 2
	}
	le := binary.LittleEndian
	b := []byte("II*\x00\x00\x00\x00\x00")
	link := 4 // where the offset of the next IFD goes
	for i, pg := range pages {
		stripOff := len(b)
		b = append(b, strips[i]...)
		if len(b)%2 != 0 {
			b = append(b, 0)
		}
		le.PutUint32(b[link:], uint32(len(b)))
		type entry struct {
			tag, typ uint16
			val      uint32
		}
		entries := []entry{
			{256, 4, uint32(pg.w)}, {257, 4, uint32(pg.h)}, {258, 3, 1}, {259, 3, compression},
			{262, 3, 0}, {266, 3, fillOrder}, {273, 4, uint32(stripOff)}, {277, 3, 1},
			{278, 4, uint32(pg.h)}, {279, 4, uint32(len(strips[i]))},
		}
		switch compression {
		case 3:
			entries = append(entries, entry{292, 4, opts})
		case 4:
			entries = append(entries, entry{293, 4, 0})
		}
		b = le.AppendUint16(b, uint16(len(entries)))
		for _, e := range entries {
			b = le.AppendUint16(b, e.tag)
			b = le.AppendUint16(b, e.typ)
			b = le.AppendUint32(b, 1)
			if e.typ == 3 {
				b = le.AppendUint16(le.AppendUint16(b, uint16(e.val)), 0)
			} else {
				b = le.AppendUint32(b, e.val)
			}
		}
		link = len(b)
		b = le.AppendUint32(b, 0)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ladderPage has, in row y, a white run of y pixels and a black run of
// y+1, so that together its rows use every terminating and make-up code
// of both colours, extended ones included.
func ladderPage() page {
	const rows = maxMakeup + 80
	p := page{w: 2*rows + 41, h: rows}
	p.bits = make([]byte, p.h*p.stride())
	for y := range p.h {
		setBits(p.row(y), y, 2*y+1)
	}
	return p
}

// TestEncodeLibtiff codes random and real pages with our encoder in every
// coding and checks that libtiff decodes them, without a warning, into
// the same pixels.
func TestEncodeLibtiff(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	var pages []page
	for _, w := range []int{1, 7, 1001, 1728, 2432} {
		for _, density := range []float64{0.01, 0.2, 0.5, 0.95} {
			pages = append(pages, randomPage(rng, w, 50, density))
		}
	}
	pages = append(pages, ladderPage())
	pages = append(pages, libtiffDecode(t, gsTIFF(t, dir, "tiffg4", "204x196"))...)
	pages = append(pages, libtiffDecode(t, gsTIFF(t, dir, "tiffg4", "300", "-dFIXEDMEDIA", "-g2551x3300"))...)

	for _, c := range codings {
		if c.p.K >= 0 && !c.p.EOL && (c.p.K > 0 || !c.p.ByteAlign) || c.p.K < 0 && (c.p.ByteAlign || c.p.EOL) {
			continue // codings that only PDF can describe
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var strips [][]byte
			for _, pg := range pages {
				strips = append(strips, encode(t, pg, c.p))
			}
			tif := filepath.Join(dir, strings.NewReplacer(" ", "-", "=", "").Replace(c.name)+".tif")
			writeTIFF(t, tif, c.p, pages, strips)
			comparePages(t, libtiffDecode(t, tif), pages)
			comparePages(t, ourDecode(t, tif), pages)
			total := 0
			for _, s := range strips {
				total += len(s)
			}
			t.Logf("%d pages, %d bytes coded", len(pages), total)
		})
	}
}

// TestEncodeMatchesLibtiffBytes re-codes pages that libtiff and
// Ghostscript coded and expects the very same bytes: T.4 and T.6 leave an
// encoder no choices, so any difference would be a bug.
func TestEncodeMatchesLibtiffBytes(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	fine := gsTIFF(t, dir, "tiffg4", "204x196")
	normal := gsTIFF(t, dir, "tiffg4", "204x98")
	cases := []struct {
		name string
		tif  string
		p    Params
	}{
		{"gs tiffg4", fine, Params{K: -1}},
		{"gs tiffg4 A3 width", gsTIFF(t, dir, "tiffg4", "204x196", "-dFIXEDMEDIA", "-g2432x3300"), Params{K: -1}},
		{"gs tiffcrle", gsTIFF(t, dir, "tiffcrle", "204x196"), Params{ByteAlign: true}},
		{"tiffcp g3 1d", tiffcp(t, fine, "-c", "g3:1d"), Params{EOL: true}},
		{"tiffcp g3 1d fill lsb2msb", tiffcp(t, fine, "-c", "g3:1d:fill", "-f", "lsb2msb"), Params{EOL: true, ByteAlign: true, ReverseBits: true}},
		// libtiff codes every 4th row 1-D above 150 dpi, every 2nd below.
		{"tiffcp g3 2d fine", tiffcp(t, fine, "-c", "g3:2d"), Params{K: 4, EOL: true}},
		{"tiffcp g3 2d fill normal", tiffcp(t, normal, "-c", "g3:2d:fill"), Params{K: 2, EOL: true, ByteAlign: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pages := ourDecode(t, tc.tif)
			for i, tp := range readTIFF(t, tc.tif) {
				if len(tp.strips) != 1 {
					t.Fatalf("page %d has %d strips", i+1, len(tp.strips))
				}
				got := encode(t, pages[i], tc.p)
				if !bytes.Equal(got, tp.strips[0]) {
					at := 0
					for at < min(len(got), len(tp.strips[0])) && got[at] == tp.strips[0][at] {
						at++
					}
					t.Errorf("page %d: %d bytes, libtiff wrote %d; first difference at byte %d", i+1, len(got), len(tp.strips[0]), at)
				}
			}
		})
	}
}

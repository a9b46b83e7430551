package document

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/scangate/gateway/document/ccitt"
)

// seekBuffer is an in-memory io.WriteSeeker.
type seekBuffer struct {
	buf []byte
	pos int64
}

func (s *seekBuffer) Write(p []byte) (int, error) {
	if end := s.pos + int64(len(p)); end > int64(len(s.buf)) {
		s.buf = append(s.buf, make([]byte, end-int64(len(s.buf)))...)
	}
	copy(s.buf[s.pos:], p)
	s.pos += int64(len(p))
	return len(p), nil
}

func (s *seekBuffer) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += s.pos
	case io.SeekEnd:
		off += int64(len(s.buf))
	}
	if off < 0 {
		return 0, errors.New("negative position")
	}
	s.pos = off
	return off, nil
}

// sizeOnly is an io.WriteSeeker that keeps nothing but its size, so that
// allocation counts measure the writer alone.
type sizeOnly struct{ pos, size int64 }

func (s *sizeOnly) Write(p []byte) (int, error) {
	s.pos += int64(len(p))
	s.size = max(s.size, s.pos)
	return len(p), nil
}

func (s *sizeOnly) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekCurrent {
		off += s.pos
	}
	s.pos = off
	return off, nil
}

// testRows makes h rows of w pixels of runs of random length, 1 = black.
func testRows(rng *rand.Rand, w, h int) []byte {
	stride := (w + 7) / 8
	b := make([]byte, stride*h)
	for y := range h {
		row := b[y*stride : (y+1)*stride]
		for x, black := rng.IntN(50), false; x < w; black = !black {
			n := 1 + rng.IntN(40)
			if black {
				setRun(row, x, min(x+n, w))
			}
			x += n
		}
	}
	return b
}

// g4Strip codes packed rows of width w as G4.
func g4Strip(t testing.TB, rows []byte, w int) []byte {
	var buf bytes.Buffer
	enc := ccitt.NewEncoder(&buf, ccitt.Params{Width: w, K: -1})
	stride := (w + 7) / 8
	for y := 0; y < len(rows); y += stride {
		if err := enc.WriteRow(rows[y : y+stride]); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rational(tag uint16, v uint32) field { return field{tag, typeRational, []uint32{v, 1}} }

// addFile adds every page of an in-memory file to t.
func addPages(t *testing.T, tf *TIFFF, file []byte) {
	t.Helper()
	pages, err := ReadPages(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range pages {
		if err := tf.AddPage(bytes.NewReader(file), pg); err != nil {
			t.Fatal(err)
		}
	}
}

// readStrip decodes the one MH strip of a TIFF-F page.
func readStrip(t *testing.T, file []byte, pg Page) []byte {
	t.Helper()
	s := pg.Strips[0]
	dec := ccitt.NewDecoder(bytes.NewReader(file[s.Offset:s.Offset+s.Length]), ccitt.Params{Width: faxLine, EOL: true, ByteAlign: true})
	out := make([]byte, pg.Height*faxLine/8)
	for y := range pg.Height {
		if err := dec.ReadRow(out[y*faxLine/8:]); err != nil {
			t.Fatalf("page %d row %d: %v", pg.Number, y+1, err)
		}
	}
	if err := dec.ReadRow(make([]byte, faxLine/8)); err != io.EOF {
		t.Errorf("page %d: after the last row: %v", pg.Number, err)
	}
	return out
}

// TestTIFFFLayout writes two fax pages and checks the file tag by tag and
// pixel by pixel.
func TestTIFFFLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	fine := testRows(rng, faxLine, 300)
	normal := testRows(rng, faxLine, 150)
	// The normal page is stored uncompressed, min-is-black, least
	// significant bit first: the writer must undo both.
	stored := bytes.Clone(normal)
	for i, b := range stored {
		stored[i] = bits.Reverse8(^b)
	}
	in1 := onePage(binary.BigEndian, faxLine, 300, CompressionG4, g4Strip(t, fine, faxLine))
	in2 := onePage(binary.LittleEndian, faxLine, 150, CompressionNone, stored,
		short(tagPhotometric, 1), short(tagFillOrder, 2), rational(tagYResolution, 98))

	out := &seekBuffer{buf: []byte("prefix")} // the file need not start at 0
	out.pos = 6
	tf := NewTIFFF(out)
	addPages(t, tf, in1)
	addPages(t, tf, in2)
	if err := tf.Close(); err != nil {
		t.Fatal(err)
	}
	file := out.buf[6:]
	if string(file[:4]) != "II*\x00" {
		t.Fatalf("header % x, want little-endian TIFF", file[:4])
	}
	pages, err := ReadTIFF(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 {
		t.Fatalf("%d pages", len(pages))
	}
	le := binary.LittleEndian
	ifd := int64(le.Uint32(file[4:]))
	for i, want := range []struct {
		h    int
		yres float64
		rows []byte
	}{{300, 196, fine}, {150, 98, normal}} {
		pg := pages[i]
		if pg.Width != faxLine || pg.Height != want.h || pg.XRes != 204 || pg.YRes != want.yres || pg.ResGuessed ||
			pg.Compression != CompressionG3 || pg.T4Options != T4FillBits || pg.Photometric != 0 || pg.FillOrder != 1 ||
			pg.BitsPerSample != 1 || pg.SamplesPerPixel != 1 || pg.RowsPerStrip != want.h || len(pg.Strips) != 1 {
			t.Errorf("page %d: %+v", i+1, pg)
		}
		// The IFD is word-aligned and comes before its strip.
		if ifd%2 != 0 || ifd >= pg.Strips[0].Offset {
			t.Errorf("page %d: IFD at %d, strip at %d", i+1, ifd, pg.Strips[0].Offset)
		}
		n := int64(le.Uint16(file[ifd:]))
		tags := map[uint16][]byte{}
		for k := range n {
			e := file[ifd+2+12*k:]
			tags[le.Uint16(e)] = e[2:12]
		}
		if v := tags[tagNewSubfileType]; le.Uint16(v) != typeLong || le.Uint32(v[6:]) != 2 {
			t.Errorf("page %d: NewSubfileType % x, want LONG 2", i+1, v)
		}
		if v := tags[tagPageNumber]; le.Uint16(v) != typeShort || le.Uint32(v[2:]) != 2 ||
			le.Uint16(v[6:]) != uint16(i) || le.Uint16(v[8:]) != 2 {
			t.Errorf("page %d: PageNumber % x, want SHORT %d, 2", i+1, v, i)
		}
		if v := tags[tagResolutionUnit]; le.Uint16(v[6:]) != 2 {
			t.Errorf("page %d: ResolutionUnit % x, want inch", i+1, v)
		}
		if got := readStrip(t, file, pg); !bytes.Equal(got, want.rows) {
			t.Errorf("page %d: pixels differ", i+1)
		}
		ifd = int64(le.Uint32(file[ifd+2+12*n:]))
	}
	if ifd != 0 {
		t.Errorf("the last IFD links to %d", ifd)
	}
}

// resample runs the resampler over a page and returns its rows.
func resample(w, h int, xres, yres float64, rows []byte, outW int) ([][]byte, int) {
	var out [][]byte
	rs := newResampler(w, h, xres, yres, outW, 204, 196, func(r []byte) error {
		out = append(out, bytes.Clone(r))
		return nil
	})
	stride := (w + 7) / 8
	for y := range h {
		rs.addRow(rows[y*stride : (y+1)*stride])
	}
	rs.finish()
	return out, rs.outH
}

func blackSpans(row []byte, w int) string {
	var s string
	blackRuns(row, w, func(a, b int) { s += fmt.Sprintf("[%d,%d)", a, b) })
	return s
}

func TestResampleGeometry(t *testing.T) {
	tests := []struct {
		name       string
		w, h       int
		xres, yres float64
		outW       int
		draw       func(row []byte, y int)
		rows       int
		want       func(y int) string
	}{
		{"identity", 40, 3, 204, 196, 40, func(r []byte, y int) { setRun(r, y, y+5) }, 3,
			func(y int) string { return fmt.Sprintf("[%d,%d)", y, y+5) }},
		{"centred: 1 in of black at 100 dpi on a 3 in line", 100, 100, 100, 100, 612, func(r []byte, y int) { setRun(r, 0, 100) }, 196,
			func(y int) string { return "[204,408)" }},
		{"cropped: a 2 in line at 204 dpi on a 1 in one", 408, 2, 204, 196, 204, func(r []byte, y int) { setRun(r, 100, 110); setRun(r, 300, 310) }, 2,
			func(y int) string { return "[0,8)[198,204)" }},
		{"rows doubled from 98 dpi", 8, 3, 204, 98, 8, func(r []byte, y int) { setRun(r, y, y+1) }, 6,
			func(y int) string { return fmt.Sprintf("[%d,%d)", y/2, y/2+1) }},
		{"a dot at 400 dpi survives", 400, 400, 400, 400, 204, func(r []byte, y int) {
			if y == 201 {
				setRun(r, 201, 202)
			}
		}, 196, func(y int) string {
			if y == 98 {
				return "[102,103)"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stride := (tt.w + 7) / 8
			in := make([]byte, stride*tt.h)
			for y := range tt.h {
				tt.draw(in[y*stride:(y+1)*stride], y)
			}
			out, n := resample(tt.w, tt.h, tt.xres, tt.yres, in, tt.outW)
			if n != tt.rows || len(out) != tt.rows {
				t.Fatalf("%d rows emitted, %d announced, want %d", len(out), n, tt.rows)
			}
			for y, row := range out {
				if got, want := blackSpans(row, tt.outW), tt.want(y); got != want {
					t.Errorf("row %d: black %s, want %s", y, got, want)
				}
			}
		})
	}
}

// TestResampleKeepsThinLines reduces one-pixel lines at every phase from
// 300 and 400 dpi: none may vanish.
func TestResampleKeepsThinLines(t *testing.T) {
	for _, res := range []float64{300, 400, 600} {
		const w, h = 97, 97
		stride := (w + 7) / 8
		in := make([]byte, stride*h)
		for y := range h {
			for x := 1; x < w; x += 6 {
				setRun(in[y*stride:], x, x+1) // vertical lines
			}
		}
		out, _ := resample(w, h, res, res, in, 100)
		for y, row := range out {
			if popcount(row) == 0 {
				t.Fatalf("%g dpi: row %d is empty", res, y)
			}
		}
		// Each line comes out as its own black column: count the runs.
		runs := 0
		blackRuns(out[len(out)/2], 100, func(a, b int) { runs++ })
		if want := (w - 1 + 5) / 6; runs != want {
			t.Errorf("%g dpi: %d lines, want %d: %s", res, runs, want, blackSpans(out[len(out)/2], 100))
		}
	}
}

func popcount(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n += uint64(bits.OnesCount8(c))
	}
	return n
}

func TestTIFFFErrors(t *testing.T) {
	good := onePage(binary.LittleEndian, faxLine, 10, CompressionG4, g4Strip(t, make([]byte, 216*10), faxLine))
	page := func(file []byte) Page {
		pages, err := ReadPages(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		return pages[0]
	}

	t.Run("refused page leaves the writer usable", func(t *testing.T) {
		tf := NewTIFFF(&seekBuffer{})
		grey := onePage(binary.LittleEndian, 100, 10, CompressionNone, make([]byte, 1000), short(tagBitsPerSample, 8))
		err := tf.AddPage(bytes.NewReader(grey), page(grey))
		var ie *InputError
		if !errors.As(err, &ie) || !errors.Is(err, ErrUnsupported) || ie.Page != 1 {
			t.Fatalf("8-bit page: %v", err)
		}
		if err := tf.AddPage(bytes.NewReader(good), page(good)); err != nil {
			t.Fatal(err)
		}
		if err := tf.Close(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a page too long at fax resolution", func(t *testing.T) {
		tf := NewTIFFF(&seekBuffer{})
		pg := page(good)
		pg.YRes = 0.01 // ten rows 83 ft long
		if err := tf.AddPage(bytes.NewReader(good), pg); !errors.Is(err, ErrLimit) {
			t.Fatalf("AddPage: %v", err)
		}
		if err := tf.AddPage(bytes.NewReader(good), page(good)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("damaged data", func(t *testing.T) {
		bad := onePage(binary.LittleEndian, faxLine, 10, CompressionG4, []byte{0x01, 0x00, 0xff, 0xff})
		tf := NewTIFFF(&seekBuffer{})
		err := tf.AddPage(bytes.NewReader(bad), page(bad))
		var de *ccitt.DataError
		if !errors.Is(err, ErrDamaged) || !errors.As(err, &de) || err.Error() != "document: page 1: strip 1: ccitt: row 1: invalid mode code" {
			t.Fatalf("damaged G4: %v", err)
		}
		if again := tf.AddPage(bytes.NewReader(good), page(good)); again != err {
			t.Errorf("after a failed page: %v, want the same error", again)
		}
		if cerr := tf.Close(); cerr != err {
			t.Errorf("Close: %v", cerr)
		}
	})

	t.Run("data that end early are white", func(t *testing.T) {
		rows := testRows(rand.New(rand.NewPCG(2, 2)), faxLine, 5)
		short := onePage(binary.LittleEndian, faxLine, 10, CompressionG4, g4Strip(t, rows, faxLine))
		out := &seekBuffer{}
		tf := NewTIFFF(out)
		addPages(t, tf, short)
		if err := tf.Close(); err != nil {
			t.Fatal(err)
		}
		pages, err := ReadTIFF(bytes.NewReader(out.buf), int64(len(out.buf)))
		if err != nil {
			t.Fatal(err)
		}
		want := append(bytes.Clone(rows), make([]byte, 216*5)...)
		if got := readStrip(t, out.buf, pages[0]); !bytes.Equal(got, want) {
			t.Errorf("rows differ")
		}
	})

	t.Run("closed and empty", func(t *testing.T) {
		tf := NewTIFFF(&seekBuffer{})
		if err := tf.Close(); !errors.Is(err, ErrNoPages) {
			t.Errorf("Close without pages: %v", err)
		}
		if err := tf.AddPage(bytes.NewReader(good), page(good)); !errors.Is(err, ErrTIFFFClosed) {
			t.Errorf("AddPage after Close: %v", err)
		}
		if err := tf.Close(); !errors.Is(err, ErrTIFFFClosed) {
			t.Errorf("second Close: %v", err)
		}
	})

	t.Run("output fails", func(t *testing.T) {
		tf := NewTIFFF(failingSeeker{})
		err := tf.AddPage(bytes.NewReader(good), page(good))
		if !errors.Is(err, errDiskFull) || err.Error() != "document: write tiff-f: "+errDiskFull.Error() {
			t.Errorf("AddPage: %v", err)
		}
	})
}

type failingSeeker struct{}

func (failingSeeker) Write([]byte) (int, error)      { return 0, errDiskFull }
func (failingSeeker) Seek(int64, int) (int64, error) { return 0, nil }

// TestTIFFFMemory converts a long fax page and a long 300 dpi page and
// checks that the writer's allocations stay near a few rows' worth.
func TestTIFFFMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const h = 10000
	fax := onePage(binary.LittleEndian, faxLine, h, CompressionG4, g4Strip(t, testRows(rng, faxLine, h), faxLine))
	scan := onePage(binary.LittleEndian, 2550, h, CompressionG4, g4Strip(t, testRows(rng, 2550, h), 2550),
		rational(tagXResolution, 300), rational(tagYResolution, 300))
	for _, tc := range []struct {
		name string
		file []byte
	}{{"fax page", fax}, {"300 dpi page", scan}} {
		pages, err := ReadTIFF(bytes.NewReader(tc.file), int64(len(tc.file)))
		if err != nil {
			t.Fatal(err)
		}
		out := &sizeOnly{}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		tf := NewTIFFF(out)
		if err := tf.AddPage(bytes.NewReader(tc.file), pages[0]); err != nil {
			t.Fatal(err)
		}
		if err := tf.Close(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		raw := pages[0].Width * h / 8
		t.Logf("%s: %d rows, %d bytes of pixels, %d bytes out, %d bytes allocated", tc.name, h, raw, out.size, alloc)
		if alloc > 512<<10 {
			t.Errorf("%s: %d bytes allocated for a page of %d bytes of pixels", tc.name, alloc, raw)
		}
	}
}

// BenchmarkTIFFF converts the three test pages, rendered by Ghostscript,
// into TIFF-F: fax pages are re-coded, 300 dpi pages resampled.
func BenchmarkTIFFF(b *testing.B) {
	needTools(b)
	dir := b.TempDir()
	for _, bc := range []struct{ name, tif string }{
		{"fax-G4-fine", gsTIFF(b, dir, "tiffg4", "204x196")},
		{"300dpi-G4", gsTIFF(b, dir, "tiffg4", "300", "-dAdjustWidth=0")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			file, err := os.ReadFile(bc.tif)
			if err != nil {
				b.Fatal(err)
			}
			pages, err := ReadPages(bytes.NewReader(file), int64(len(file)))
			if err != nil {
				b.Fatal(err)
			}
			out := &sizeOnly{}
			for b.Loop() {
				*out = sizeOnly{}
				tf := NewTIFFF(out)
				for _, pg := range pages {
					if err := tf.AddPage(bytes.NewReader(file), pg); err != nil {
						b.Fatal(err)
					}
				}
				if err := tf.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(pages))/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(out.size), "out-bytes")
		})
	}
}

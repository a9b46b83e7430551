package document

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"reflect"
	"strconv"
	"testing"
)

func readBytes(b []byte) ([]Page, error) { return ReadTIFF(bytes.NewReader(b), int64(len(b))) }

func TestReadTIFFFields(t *testing.T) {
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(bo.String(), func(t *testing.T) {
			b := newTIFF(bo)
			s1 := b.data([]byte("strip-one"))
			s2 := b.data([]byte("two"))
			s3 := b.data([]byte("page-two"))
			first := b.ifd(pageFields(1728, 100, CompressionG3, 64, []uint32{s1, s2}, []uint32{9, 3},
				long(tagT4Options, T4TwoDimensional|T4FillBits), short(tagFillOrder, 2))...)
			second := b.ifd(pageFields(2000, 50, CompressionG4, 0, []uint32{s3}, []uint32{8},
				short(tagPhotometric, 1), long(tagT6Options, 0), short(tagResolutionUnit, 3),
				field{tagXResolution, typeRational, []uint32{80, 1}},
				field{tagYResolution, typeRational, []uint32{40, 1}})...)
			b.link(first, second)

			pages, err := readBytes(b.buf)
			if err != nil {
				t.Fatal(err)
			}
			want := []Page{{
				Number: 1, Width: 1728, Height: 100, XRes: 204, YRes: 196,
				Compression: 3, Photometric: 0, FillOrder: 2, T4Options: 5,
				BitsPerSample: 1, SamplesPerPixel: 1, PlanarConfig: 1, RowsPerStrip: 64,
				Strips: []Strip{{int64(s1), 9}, {int64(s2), 3}},
			}, {
				Number: 2, Width: 2000, Height: 50, XRes: 80 * 2.54, YRes: 40 * 2.54,
				Compression: 4, Photometric: 1, FillOrder: 1,
				BitsPerSample: 1, SamplesPerPixel: 1, PlanarConfig: 1, RowsPerStrip: 50,
				Strips: []Strip{{int64(s3), 8}},
			}}
			if !reflect.DeepEqual(pages, want) {
				t.Errorf("got  %+v\nwant %+v", pages, want)
			}
		})
	}
}

func TestReadTIFFResolution(t *testing.T) {
	rat := func(tag uint16, v uint32) field { return field{tag, typeRational, []uint32{v, 1}} }
	tests := []struct {
		name        string
		w, h        uint32
		extra       []field
		x, y        float64
		wantGuessed bool
	}{
		{"inch", 1728, 2200, []field{rat(tagXResolution, 300), rat(tagYResolution, 150)}, 300, 150, false},
		{"default unit is inch", 1728, 2200, []field{without(tagResolutionUnit)}, 204, 196, false},
		{"centimetre", 1728, 2200, []field{short(tagResolutionUnit, 3), rat(tagXResolution, 80), rat(tagYResolution, 77)}, 203.2, 195.58, false},
		{"integer type", 1000, 1000, []field{short(tagXResolution, 300), long(tagYResolution, 300)}, 300, 300, false},
		{"unit none: fax fine", 1728, 2200, []field{short(tagResolutionUnit, 1)}, 204, 196, true},
		{"missing: fax fine", 1728, 2156, []field{without(tagXResolution), without(tagYResolution)}, 204, 196, true},
		{"missing: fax normal", 1728, 1078, []field{without(tagXResolution), without(tagYResolution)}, 204, 98, true},
		{"missing: B4 fax", 2048, 2800, []field{without(tagXResolution), without(tagYResolution)}, 204, 196, true},
		{"missing: other", 2480, 3508, []field{without(tagXResolution), without(tagYResolution)}, 200, 200, true},
		{"zero denominator", 1728, 1100, []field{{tagXResolution, typeRational, []uint32{204, 0}}, without(tagYResolution)}, 204, 98, true},
		{"only X, fax", 1728, 1100, []field{without(tagYResolution)}, 204, 98, true},
		{"only X, other", 2550, 3300, []field{rat(tagXResolution, 300), without(tagYResolution)}, 300, 300, true},
		{"only Y, other", 2550, 3300, []field{without(tagXResolution), rat(tagYResolution, 150)}, 150, 150, true},
		{"implausible", 1728, 2200, []field{rat(tagXResolution, 1), rat(tagYResolution, 1000000)}, 204, 196, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := readBytes(onePage(binary.LittleEndian, tt.w, tt.h, CompressionG4, []byte{1}, tt.extra...))
			if err != nil {
				t.Fatal(err)
			}
			pg := pages[0]
			near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
			if !near(pg.XRes, tt.x) || !near(pg.YRes, tt.y) || pg.ResGuessed != tt.wantGuessed {
				t.Errorf("got %gx%g guessed=%v, want %gx%g guessed=%v", pg.XRes, pg.YRes, pg.ResGuessed, tt.x, tt.y, tt.wantGuessed)
			}
		})
	}
}

func TestReadTIFFSkipsReducedResolution(t *testing.T) {
	b := newTIFF(binary.LittleEndian)
	s := b.data([]byte{1, 2})
	main := b.ifd(pageFields(1728, 10, CompressionG4, 10, []uint32{s}, []uint32{1})...)
	thumb := b.ifd(pageFields(100, 10, 7, 10, []uint32{s + 1}, []uint32{1}, long(tagNewSubfileType, 1))...)
	b.link(main, thumb)
	pages, err := readBytes(b.buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || pages[0].Number != 1 {
		t.Errorf("got %+v, want only page 1", pages)
	}
}

// hostileCase is a broken input and the error ReadTIFF must give for it.
type hostileCase struct {
	name string
	file []byte
	kind error
	msg  string // the whole error message
}

func hostileFiles(t testing.TB) []hostileCase {
	le := binary.LittleEndian
	page := func(extra ...field) []byte { return onePage(le, 1728, 100, CompressionG4, []byte("data"), extra...) }
	withFirstIFD := func(off uint32) []byte {
		b := page()
		le.PutUint32(b[4:], off)
		return b
	}

	// An IFD whose next pointer leads back to the first IFD.
	loop := newTIFF(le)
	s := loop.data([]byte("ab"))
	i1 := loop.ifd(pageFields(1728, 10, CompressionG4, 10, []uint32{s}, []uint32{1})...)
	i2 := loop.ifd(pageFields(1728, 10, CompressionG4, 10, []uint32{s + 1}, []uint32{1})...)
	loop.link(i1, i2)
	loop.link(i2, i1)

	self := page()
	first := le.Uint32(self[4:])
	self = append(self[:0:0], self...)
	(&tiffBuilder{bo: le, buf: self}).link(first, first)

	hugeCount := page()
	le.PutUint16(hugeCount[le.Uint32(hugeCount[4:]):], 0xffff)
	shortIFD := page()
	le.PutUint16(shortIFD[le.Uint32(shortIFD[4:]):], 900)

	// MaxPages+1 identical IFDs, all naming the same one-byte strip.
	many := newTIFF(le)
	ms := many.data([]byte{0})
	prev := many.ifd(pageFields(1728, 10, CompressionG4, 10, []uint32{ms}, []uint32{1})...)
	for range MaxPages {
		next := many.ifd(pageFields(1728, 10, CompressionG4, 10, []uint32{ms}, []uint32{1})...)
		many.link(prev, next)
		prev = next
	}

	// 2000 strips that all name the same 1000 bytes.
	overlap := newTIFF(le)
	shared := overlap.data(make([]byte, 1000))
	var offs, lens []uint32
	for range 2000 {
		offs, lens = append(offs, shared), append(lens, 1000)
	}
	overlap.ifd(pageFields(1728, 2000, CompressionG4, 1, offs, lens)...)

	// A strip offset table that points past the end of the file.
	table := newTIFF(le)
	tifd := table.ifd(pageFields(1728, 100, CompressionG4, 1, make([]uint32, 100), make([]uint32, 100))...)
	table.setValue(tifd, tagStripOffsets, 1<<20)
	tablePastEnd := table.buf

	sample := readSample(t)
	return []hostileCase{
		{"empty", nil, ErrNotTIFF, "document: not a TIFF file"},
		{"text", []byte("Dear customer,\nplease find attached"), ErrNotTIFF, "document: not a TIFF file"},
		{"pdf", []byte("%PDF-1.4\n"), ErrNotTIFF, "document: not a TIFF file"},
		{"wrong magic", []byte("II\x2b\x01\x08\x00\x00\x00"), ErrNotTIFF, "document: not a TIFF file"},
		{"bigtiff IFD past end", []byte("II\x2b\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"), ErrDamaged, "document: page 1: IFD extends past end of file"},
		{"truncated header", []byte("MM\x00\x2a\x00"), ErrDamaged, "document: file ends inside the header"},
		{"truncated in IFD", sample[:20], ErrDamaged, "document: page 1: IFD extends past end of file"},
		{"truncated in strip", sample[:len(sample)-1], ErrDamaged, "document: page 1: strip 1 extends past end of file"},
		{"IFD past end", withFirstIFD(1 << 30), ErrDamaged, "document: page 1: IFD extends past end of file"},
		{"IFD in header", withFirstIFD(4), ErrDamaged, "document: page 1: IFD offset 4 points into the header"},
		{"IFD loop", loop.buf, ErrDamaged, "document: page 3: IFD chain loops back to offset " + itoa(i1)},
		{"IFD self loop", self, ErrDamaged, "document: page 2: IFD chain loops back to offset " + itoa(first)},
		{"absurd entry count", hugeCount, ErrLimit, "document: page 1: IFD has 65535 entries, more than 1000"},
		{"entries past end", shortIFD, ErrDamaged, "document: page 1: IFD extends past end of file"},
		{"too many pages", many.buf, ErrLimit, "document: page 10001: more than 10000 pages"},
		{"huge width", page(long(tagImageWidth, 100000)), ErrLimit, "document: page 1: width 100000 is more than 65535 pixels"},
		{"huge height", page(long(tagImageLength, 1<<31)), ErrLimit, "document: page 1: height 2147483647 is more than 65535 pixels"},
		{"zero width", page(long(tagImageWidth, 0)), ErrDamaged, "document: page 1: width is 0"},
		{"missing width", page(without(tagImageWidth)), ErrDamaged, "document: page 1: missing required tag 256 (image width)"},
		{"missing strip offsets", page(without(tagStripOffsets)), ErrDamaged, "document: page 1: missing required tag 273 (strip offsets)"},
		{"missing strip lengths", page(without(tagStripByteCounts)), ErrDamaged, "document: page 1: missing required tag 279 (strip byte counts)"},
		{"strip past end", page(long(tagStripOffsets, 1<<20)), ErrDamaged, "document: page 1: strip 1 extends past end of file"},
		{"empty strip", page(long(tagStripByteCounts, 0)), ErrDamaged, "document: page 1: strip 1 is empty"},
		{"too few strips", page(long(tagRowsPerStrip, 10)), ErrDamaged,
			"document: page 1: 100 rows in strips of 10 need 10 strips, the file lists 1 offsets and 1 lengths"},
		{"strip table past end", tablePastEnd, ErrDamaged, "document: page 1: strip offset table extends past end of file"},
		{"wrong type", page(field{tagImageWidth, 2, []uint32{'1', '7', '2', '8', 0}}), ErrDamaged, "document: page 1: tag 256 has type 2, want an integer"},
		{"no value", page(field{tagImageWidth, typeLong, nil}), ErrDamaged, "document: page 1: tag 256 has no value"},
		{"tiled without tile length", page(long(tagTileWidth, 256)), ErrDamaged, "document: page 1: missing required tag 323 (tile length)"},
		{"overlapping strips", overlap.buf, ErrDamaged, "document: page 1: strips overlap: 2000000 bytes of strip data in a " + strconv.Itoa(len(overlap.buf)) + "-byte file"},
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

func TestReadTIFFHostile(t *testing.T) {
	for _, tc := range hostileFiles(t) {
		t.Run(tc.name, func(t *testing.T) {
			pages, err := readBytes(tc.file)
			if err == nil {
				t.Fatalf("no error, pages %+v", pages)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q is not %q", err, tc.kind)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("error %q is not an *InputError", err)
			}
			if err.Error() != tc.msg {
				t.Errorf("error %q, want %q", err, tc.msg)
			}
		})
	}
}

// failingReader fails every read at or after offset from.
type failingReader struct {
	r    *bytes.Reader
	from int64
	err  error
}

func (f *failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.from {
		return 0, f.err
	}
	return f.r.ReadAt(p, off)
}

func TestReadTIFFReadError(t *testing.T) {
	b := onePage(binary.BigEndian, 1728, 10, CompressionG4, []byte("data"))
	ioErr := errors.New("input/output error")
	_, err := ReadTIFF(&failingReader{bytes.NewReader(b), 8, ioErr}, int64(len(b)))
	if !errors.Is(err, ioErr) || err.Error() != "document: page 1: input/output error" {
		t.Errorf("got %v", err)
	}
}

// readSample returns the checked-in one-page G4 sample.
func readSample(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/fax-g4.tif")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

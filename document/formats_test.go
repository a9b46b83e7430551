package document

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/scangate/gateway/document/ccitt"
)

func TestReadBigTIFF(t *testing.T) {
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(bo.String(), func(t *testing.T) {
			build := func(b *tiffBuilder, offType uint16) []byte {
				s1 := b.data([]byte("strip-one"))
				s2 := b.data([]byte("two"))
				s3 := b.data([]byte("page-two"))
				first := b.ifd(pageFields(1728, 100, CompressionG3, 64, nil, []uint32{9, 3},
					field{tagStripOffsets, offType, []uint32{s1, s2}},
					long(tagT4Options, T4TwoDimensional|T4FillBits), short(tagFillOrder, 2))...)
				second := b.ifd(pageFields(2000, 50, CompressionG4, 0, []uint32{s3}, []uint32{8},
					short(tagPhotometric, 1), short(tagResolutionUnit, 3),
					field{tagXResolution, typeRational, []uint32{80, 1}},
					field{tagYResolution, typeRational, []uint32{40, 1}})...)
				b.link(first, second)
				return b.buf
			}
			classic, err := readBytes(build(newTIFF(bo), typeLong))
			if err != nil {
				t.Fatal(err)
			}
			for _, offType := range []uint16{typeLong, typeLong8} {
				big, err := readBytes(build(newBigTIFF(bo), offType))
				if err != nil {
					t.Fatal(err)
				}
				// The same pages, their data 8 bytes further on (the longer header).
				for i := range big {
					for k := range big[i].Strips {
						big[i].Strips[k].Offset -= 8
					}
				}
				if !reflect.DeepEqual(big, classic) {
					t.Errorf("type %d offsets:\nBigTIFF %+v\nclassic %+v", offType, big, classic)
				}
			}
		})
	}
}

func TestReadTIFFTiles(t *testing.T) {
	b := newTIFF(binary.BigEndian)
	var offs, lens []uint32
	for i := range 12 {
		offs, lens = append(offs, b.data([]byte{byte(i), 1})), append(lens, 2)
	}
	b.ifd(pageFields(1000, 700, CompressionG4, 0, nil, nil, without(tagStripOffsets), without(tagStripByteCounts),
		without(tagRowsPerStrip), long(tagTileWidth, 256), long(tagTileLength, 256),
		long(tagTileOffsets, offs...), long(tagTileByteCounts, lens...))...)
	pages, err := readBytes(b.buf)
	if err != nil {
		t.Fatal(err)
	}
	pg := pages[0]
	if !pg.Tiled() || pg.TileWidth != 256 || pg.TileLength != 256 || pg.RowsPerStrip != 0 || len(pg.Strips) != 12 {
		t.Fatalf("page %+v", pg)
	}
	for i, want := range map[int]image.Rectangle{
		0: image.Rect(0, 0, 256, 256), 3: image.Rect(768, 0, 1024, 256), 4: image.Rect(0, 256, 256, 512), 11: image.Rect(768, 512, 1024, 768),
	} {
		if got := pg.Cell(i); got != want {
			t.Errorf("cell %d: %v, want %v", i, got, want)
		}
	}
	strips := Page{Width: 100, Height: 50, RowsPerStrip: 20}
	for i, want := range []image.Rectangle{image.Rect(0, 0, 100, 20), image.Rect(0, 20, 100, 40), image.Rect(0, 40, 100, 50)} {
		if got := strips.Cell(i); got != want {
			t.Errorf("strip cell %d: %v, want %v", i, got, want)
		}
	}
}

func TestReadTIFFHostileNew(t *testing.T) {
	le := binary.LittleEndian
	tiled := func(extra ...field) []byte {
		fs := append([]field{without(tagStripOffsets), without(tagStripByteCounts), long(tagTileWidth, 16), long(tagTileLength, 16),
			long(tagTileOffsets, 8), long(tagTileByteCounts, 1)}, extra...)
		return onePage(le, 16, 16, CompressionG4, []byte("tile"), fs...)
	}
	big := func(mod func(b []byte)) []byte {
		b := newBigTIFF(le)
		s := b.data([]byte("data"))
		b.ifd(pageFields(1728, 10, CompressionG4, 10, []uint32{s}, []uint32{4})...)
		mod(b.buf)
		return b.buf
	}
	ifdAt := func(b []byte) []byte { return b[le.Uint64(b[8:]):] }
	tests := []hostileCase{
		{"bigtiff offset size 4", []byte("II\x2b\x00\x04\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"), ErrDamaged, "document: BigTIFF offset size 4, want 8"},
		{"bigtiff truncated header", []byte("II\x2b\x00\x08\x00\x00\x00\x10"), ErrDamaged, "document: file ends inside the header"},
		{"bigtiff IFD in header", big(func(b []byte) { le.PutUint64(b[8:], 8) }), ErrDamaged, "document: page 1: IFD offset 8 points into the header"},
		{"bigtiff IFD beyond int64", big(func(b []byte) { le.PutUint64(b[8:], math.MaxUint64) }), ErrDamaged, "document: page 1: IFD extends past end of file"},
		{"bigtiff huge entry count", big(func(b []byte) { le.PutUint64(ifdAt(b), 1<<40) }), ErrLimit, "document: page 1: IFD has 1099511627776 entries, more than 1000"},
		{"bigtiff strip beyond int64", big(func(b []byte) {
			e := ifdAt(b)[8:]
			for le.Uint16(e) != tagStripOffsets {
				e = e[20:]
			}
			le.PutUint16(e[2:], typeLong8)
			le.PutUint64(e[12:], math.MaxUint64)
		}), ErrDamaged, "document: page 1: strip 1 extends past end of file"},
		{"tile width 0", tiled(long(tagTileWidth, 0)), ErrDamaged, "document: page 1: tile width is 0"},
		{"tile too long", tiled(long(tagTileLength, 70000)), ErrLimit, "document: page 1: tile length 70000 is more than 65535 pixels"},
		{"missing tile offsets", tiled(without(tagTileOffsets)), ErrDamaged, "document: page 1: missing required tag 324 (tile offsets)"},
		{"too few tiles", tiled(long(tagTileWidth, 8)), ErrDamaged, "document: page 1: 16x16 pixels in tiles of 8x16 need 2 tiles, the file lists 1 offsets and 1 lengths"},
		{"too many tiles", onePage(le, 65535, 65535, CompressionG4, []byte("x"), without(tagStripOffsets), long(tagTileWidth, 1), long(tagTileLength, 1)),
			ErrLimit, "document: page 1: more than 262144 strips and tiles in the file"},
		{"empty tile", tiled(long(tagTileByteCounts, 0)), ErrDamaged, "document: page 1: tile 1 is empty"},
		{"JPEG tables too long", onePage(le, 16, 16, CompressionJPEG, []byte("x"), field{tagJPEGTables, typeUndefined, make([]uint32, MaxJPEGTables+1)}),
			ErrLimit, "document: page 1: JPEG tables of 65537 bytes, more than 65536"},
		{"JPEG tables of wrong type", onePage(le, 16, 16, CompressionJPEG, []byte("x"), long(tagJPEGTables, 1, 2)),
			ErrDamaged, "document: page 1: tag 347 has type 4, want bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readBytes(tc.file)
			var ie *InputError
			if !errors.Is(err, tc.kind) || !errors.As(err, &ie) || err.Error() != tc.msg {
				t.Errorf("got %v, want %q (%v)", err, tc.msg, tc.kind)
			}
		})
	}
}

func TestPDFTiles(t *testing.T) {
	b := newTIFF(binary.LittleEndian)
	var offs, lens []uint32
	for i := range 4 {
		offs, lens = append(offs, b.data([]byte{'t', byte('1' + i)})), append(lens, 2)
	}
	b.ifd(pageFields(40, 20, CompressionG4, 0, nil, nil, without(tagStripOffsets), without(tagStripByteCounts),
		long(tagTileWidth, 32), long(tagTileLength, 16), long(tagTileOffsets, offs...), long(tagTileByteCounts, lens...))...)
	pages, err := readBytes(b.buf)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p := NewPDF(&out, Info{})
	if err := p.AddPage(bytes.NewReader(b.buf), pages[0]); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	checkXref(t, out.Bytes())
	for _, want := range []string{
		"/Width 32 /Height 16 /ColorSpace /DeviceGray /BitsPerComponent 1\n/Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 32 /Rows 16 /EndOfBlock false >> /Length 2 >>\nstream\nt1\nendstream",
		"stream\nt4\nendstream",
		// Tiles in their grid cells from the top-left, clipped to the 40x20 page.
		"0 0 40 20 re W n\nq 32 0 0 16 0 4 cm /Im1 Do Q\nq 32 0 0 16 32 4 cm /Im2 Do Q\nq 32 0 0 16 0 -12 cm /Im3 Do Q\nq 32 0 0 16 32 -12 cm /Im4 Do Q\nQ",
	} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("PDF lacks %q", want)
		}
	}
}

// goJPEG encodes a small test picture with Go's encoder: grey or YCbCr,
// no JFIF segment.
func goJPEG(t testing.TB, grey bool, w, h int) []byte {
	var img image.Image
	if grey {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = byte(i * 7)
		}
		img = g
	} else {
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range c.Pix {
			c.Pix[i] = byte(i * 5)
		}
		img = c
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// splitJPEG splits a JPEG stream as TIFF writers do: the quantization and
// Huffman tables into a tables stream (SOI, tables, EOI), the rest into an
// abbreviated stream that starts with SOI.
func splitJPEG(t testing.TB, data []byte) (tables, strip []byte) {
	tables, strip = []byte{0xff, markSOI}, []byte{0xff, markSOI}
	for p := 2; ; {
		m, n := data[p+1], int(binary.BigEndian.Uint16(data[p+2:]))
		if m == markSOS {
			strip = append(strip, data[p:]...)
			return append(tables, 0xff, markEOI), strip
		}
		if m == 0xdb || m == markDHT {
			tables = append(tables, data[p:p+2+n]...)
		} else {
			strip = append(strip, data[p:p+2+n]...)
		}
		p += 2 + n
	}
}

// withSegment puts a marker segment into a JPEG stream after its SOI.
func withSegment(data []byte, m byte, payload []byte) []byte {
	seg := []byte{0xff, m, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return append(append(append([]byte{0xff, markSOI}, seg...), payload...), data[2:]...)
}

// jpegTIFF builds a one-page TIFF whose one strip is strip, with tables in
// JPEGTables when there are any.
func jpegTIFF(w, h, spp, photometric uint32, tables, strip []byte, extra ...field) []byte {
	b := newTIFF(binary.LittleEndian)
	off := b.data(strip)
	fs := []field{short(tagBitsPerSample, 8), short(tagSamplesPerPixel, spp), short(tagPhotometric, photometric)}
	if tables != nil {
		vals := make([]uint32, len(tables))
		for i, c := range tables {
			vals[i] = uint32(c)
		}
		fs = append(fs, field{tagJPEGTables, typeUndefined, vals})
	}
	b.ifd(pageFields(w, h, CompressionJPEG, h, []uint32{off}, []uint32{uint32(len(strip))}, append(fs, extra...)...)...)
	return b.buf
}

// onePDF writes the pages of file into a PDF and returns it.
func onePDF(t *testing.T, file []byte, info Info) ([]byte, error) {
	t.Helper()
	pages, err := ReadPages(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	p := NewPDF(&out, info)
	for _, pg := range pages {
		if err := p.AddPage(bytes.NewReader(file), pg); err != nil {
			return nil, err
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	checkXref(t, out.Bytes())
	return out.Bytes(), nil
}

// streams returns the data of the image XObjects of a PDF whose lengths
// are direct.
func streams(pdf []byte) [][]byte {
	var out [][]byte
	for _, m := range regexp.MustCompile(`(?s)/Subtype /Image .*?/Length (\d+) >>\nstream\n`).FindAllSubmatchIndex(pdf, -1) {
		n := 0
		for _, c := range pdf[m[2]:m[3]] {
			n = n*10 + int(c-'0')
		}
		out = append(out, pdf[m[1]:m[1]+n])
	}
	return out
}

func TestPDFJPEGInTIFF(t *testing.T) {
	colour := goJPEG(t, false, 40, 24)
	grey := goJPEG(t, true, 40, 24)
	adobe := func(transform byte) []byte { return []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, transform} }
	tests := []struct {
		name        string
		src         []byte
		spp, photo  uint32
		split       bool
		dict        string
		wantAdobeIn bool // the stream gains an Adobe segment for RGB
	}{
		{"ycbcr with tables", colour, 3, 6, true, "/ColorSpace /DeviceRGB /BitsPerComponent 8\n/Filter /DCTDecode /DecodeParms << /ColorTransform 1 >> /Length", false},
		{"ycbcr whole strips", colour, 3, 6, false, "/DecodeParms << /ColorTransform 1 >> /Length", false},
		{"rgb", colour, 3, 2, true, "/ColorSpace /DeviceRGB /BitsPerComponent 8\n/Filter /DCTDecode /DecodeParms << /ColorTransform 0 >> /Length", true},
		{"rgb with Adobe segment", withSegment(colour, markAPP14, adobe(0)), 3, 2, true, "/DecodeParms << /ColorTransform 0 >> /Length", false},
		{"grey min-is-black", grey, 1, 1, true, "/ColorSpace /DeviceGray /BitsPerComponent 8\n/Filter /DCTDecode /Length", false},
		{"grey min-is-white", grey, 1, 0, true, "/ColorSpace /DeviceGray /BitsPerComponent 8\n/Filter /DCTDecode /Decode [1 0] /Length", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tables []byte
			strip := tt.src
			if tt.split {
				tables, strip = splitJPEG(t, tt.src)
			}
			// FillOrder 2 does not apply to JPEG data (libtiff ignores it too).
			pdf, err := onePDF(t, jpegTIFF(40, 24, tt.spp, tt.photo, tables, strip, short(tagFillOrder, 2)), Info{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(pdf, []byte(tt.dict)) || !bytes.Contains(pdf, []byte("/ProcSet [/PDF /Image")) {
				t.Errorf("PDF lacks %q:\n%s", tt.dict, pdf[:min(len(pdf), 400)])
			}
			s := streams(pdf)
			if len(s) != 1 {
				t.Fatalf("%d image streams", len(s))
			}
			want := append([]byte{0xff, markSOI}, tables[min(2, len(tables)):max(len(tables)-2, 0)]...)
			if tt.wantAdobeIn {
				want = append(want, adobeRGB...)
			}
			want = append(want, strip[2:]...)
			if !bytes.Equal(s[0], want) {
				t.Errorf("stream is not the strip with the tables put in after SOI")
			}
			got, err := jpeg.Decode(bytes.NewReader(s[0]))
			if err != nil {
				t.Fatal(err)
			}
			orig, _ := jpeg.Decode(bytes.NewReader(tt.src))
			if tt.wantAdobeIn {
				return // Go's decoder now reads the samples as RGB, as the page says
			}
			if !reflect.DeepEqual(got, orig) {
				t.Errorf("the PDF's JPEG stream decodes to another picture")
			}
		})
	}
}

// jpegFrame returns a JPEG header: SOI, a frame header of the given kind,
// and an SOS segment, with extra segments before the frame.
func jpegFrame(sof byte, precision, w, h, comps int, extra ...[]byte) []byte {
	b := []byte{0xff, markSOI}
	for _, e := range extra {
		b = append(b, e...)
	}
	b = append(b, 0xff, sof, 0, byte(8+3*comps), byte(precision), byte(h>>8), byte(h), byte(w>>8), byte(w), byte(comps))
	for i := range comps {
		b = append(b, byte(i+1), 0x11, 0)
	}
	return append(b, 0xff, markSOS, 0, 8, 1, 1, 0, 0, 63, 0, 0xff, markEOI)
}

// segment returns a marker segment with its payload.
func segment(m byte, payload ...byte) []byte {
	return append([]byte{0xff, m, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
}

func TestPDFJPEGRefuses(t *testing.T) {
	colour := goJPEG(t, false, 40, 24)
	tables, strip := splitJPEG(t, colour)
	tests := []struct {
		name string
		file []byte
		kind error
		msg  string
	}{
		{"no SOI", jpegTIFF(40, 24, 3, 6, nil, []byte("not jpeg")), ErrDamaged, "document: page 1: strip 1: JPEG data does not start with an SOI marker"},
		{"lossless", jpegTIFF(40, 24, 3, 6, nil, jpegFrame(0xc3, 8, 40, 24, 3)), ErrUnsupported,
			"document: page 1: strip 1: unsupported JPEG coding process SOF3 (lossless, hierarchical or arithmetic)"},
		{"arithmetic", jpegTIFF(40, 24, 3, 6, nil, jpegFrame(0xc9, 8, 40, 24, 3)), ErrUnsupported,
			"document: page 1: strip 1: unsupported JPEG coding process SOF9 (lossless, hierarchical or arithmetic)"},
		{"12-bit", jpegTIFF(40, 24, 3, 6, nil, jpegFrame(markSOF1, 12, 40, 24, 3)), ErrUnsupported, "document: page 1: strip 1: unsupported JPEG with 12-bit samples"},
		{"2 components", jpegTIFF(40, 24, 3, 6, nil, jpegFrame(markSOF0, 8, 40, 24, 2)), ErrUnsupported, "document: page 1: strip 1: unsupported JPEG with 2 components"},
		{"DNL height", jpegTIFF(40, 24, 3, 6, nil, jpegFrame(markSOF0, 8, 40, 0, 3)), ErrUnsupported,
			"document: page 1: strip 1: unsupported JPEG whose height is given after its first scan (DNL)"},
		{"no frame", jpegTIFF(40, 24, 3, 6, nil, []byte{0xff, markSOI, 0xff, markSOS, 0, 2}), ErrDamaged,
			"document: page 1: strip 1: JPEG data has no frame header before its first scan"},
		{"components for samples", jpegTIFF(40, 24, 3, 6, nil, jpegFrame(markSOF0, 8, 40, 24, 1)), ErrDamaged,
			"document: page 1: strip 1: 1 JPEG components for 3 samples per pixel"},
		{"size", jpegTIFF(40, 24, 3, 6, nil, jpegFrame(markSOF0, 8, 40, 16, 3)), ErrDamaged,
			"document: page 1: strip 1: JPEG data of 40x16 pixels for a place of 40x24"},
		{"Adobe contradicts", jpegTIFF(40, 24, 3, 2, nil, jpegFrame(markSOF0, 8, 40, 24, 3, segment(markAPP14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 1))),
			ErrUnsupported, "document: page 1: strip 1: unsupported JPEG whose Adobe colour transform 1 contradicts photometric interpretation 2"},
		{"tables with a frame", jpegTIFF(40, 24, 3, 6, colour, strip), ErrDamaged, "document: page 1: JPEG tables hold a frame or a scan"},
		{"tables without SOI", jpegTIFF(40, 24, 3, 6, tables[2:], strip), ErrDamaged, "document: page 1: JPEG tables: JPEG data does not start with an SOI marker"},
		{"bits per sample", jpegTIFF(40, 24, 3, 6, nil, colour, short(tagBitsPerSample, 12)), ErrUnsupported, "document: page 1: unsupported JPEG with 12 bits per sample"},
		{"palette", jpegTIFF(40, 24, 1, 3, nil, colour), ErrUnsupported, "document: page 1: unsupported JPEG with 1 samples per pixel in photometric interpretation 3"},
		{"CMYK in 3 samples", jpegTIFF(40, 24, 3, 5, nil, colour), ErrUnsupported, "document: page 1: unsupported JPEG with 3 samples per pixel in photometric interpretation 5"},
		{"separate planes", jpegTIFF(40, 24, 1, 1, nil, colour, short(tagPlanarConfig, 2), short(tagSamplesPerPixel, 3), short(tagPhotometric, 6),
			long(tagRowsPerStrip, 24), long(tagStripOffsets, 8, 8, 8), long(tagStripByteCounts, 1, 1, 1)), ErrUnsupported, "document: page 1: unsupported JPEG in separate colour planes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := onePDF(t, tt.file, Info{})
			if !errors.Is(err, tt.kind) || err == nil || err.Error() != tt.msg {
				t.Errorf("got %v, want %q (%v)", err, tt.msg, tt.kind)
			}
		})
	}
}

func TestReadJPEG(t *testing.T) {
	plain := goJPEG(t, false, 64, 48)
	jfif := func(unit byte, x, y uint16) []byte {
		return []byte{'J', 'F', 'I', 'F', 0, 1, 2, unit, byte(x >> 8), byte(x), byte(y >> 8), byte(y), 0, 0}
	}
	exif := func(x, y uint32) []byte {
		b := newTIFF(binary.BigEndian)
		b.ifd(field{tagXResolution, typeRational, []uint32{x, 1}}, field{tagYResolution, typeRational, []uint32{y, 1}}, short(tagResolutionUnit, 2))
		return append([]byte("Exif\x00\x00"), b.buf...)
	}
	withIDs := func(data []byte, ids string) []byte {
		b := bytes.Clone(data)
		i := bytes.Index(b, []byte{0xff, markSOF0})
		for k := range 3 {
			b[i+10+3*k] = ids[k]
		}
		return b
	}
	tests := []struct {
		name        string
		file        []byte
		x, y        float64
		guessed     bool
		photometric int
		comps       int
	}{
		{"no density: 200 dpi", plain, 200, 200, true, 6, 3},
		{"JFIF dpi", withSegment(plain, markAPP0, jfif(1, 300, 150)), 300, 150, false, 6, 3},
		{"JFIF dots per cm", withSegment(plain, markAPP0, jfif(2, 80, 80)), 203.2, 203.2, false, 6, 3},
		{"JFIF aspect only, EXIF", withSegment(withSegment(plain, markAPP1, exif(240, 240)), markAPP0, jfif(0, 1, 1)), 240, 240, false, 6, 3},
		{"JFIF X only", withSegment(plain, markAPP0, jfif(1, 300, 0)), 300, 300, true, 6, 3},
		{"EXIF", withSegment(plain, markAPP1, exif(600, 300)), 600, 300, false, 6, 3},
		{"damaged EXIF ignored", withSegment(plain, markAPP1, []byte("Exif\x00\x00II*\x00\xff\xff\xff\x7f")), 200, 200, true, 6, 3},
		{"Adobe transform 0: RGB", withSegment(plain, markAPP14, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0}), 200, 200, true, 2, 3},
		{"component ids RGB", withIDs(plain, "RGB"), 200, 200, true, 2, 3},
		{"component ids RGB with JFIF", withSegment(withIDs(plain, "RGB"), markAPP0, jfif(1, 100, 100)), 100, 100, false, 6, 3},
		{"grey", goJPEG(t, true, 64, 48), 200, 200, true, 1, 1},
		{"CMYK", jpegFrame(markSOF0, 8, 64, 48, 4), 200, 200, true, 5, 4},
		{"progressive", jpegFrame(markSOF2, 8, 64, 48, 3), 200, 200, true, 6, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := ReadJPEG(bytes.NewReader(tt.file), int64(len(tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			want := Page{
				Number: 1, Format: FormatJPEG, Width: 64, Height: 48, XRes: tt.x, YRes: tt.y, ResGuessed: tt.guessed,
				Compression: CompressionJPEG, Photometric: tt.photometric, FillOrder: 1, BitsPerSample: 8,
				SamplesPerPixel: tt.comps, PlanarConfig: 1, RowsPerStrip: 48, Strips: []Strip{{0, int64(len(tt.file))}},
			}
			if len(pages) != 1 || math.Abs(pages[0].XRes-tt.x) > 1e-9 || math.Abs(pages[0].YRes-tt.y) > 1e-9 {
				t.Fatalf("got %+v", pages)
			}
			pages[0].XRes, pages[0].YRes = tt.x, tt.y
			if !reflect.DeepEqual(pages[0], want) {
				t.Errorf("got  %+v\nwant %+v", pages[0], want)
			}
		})
	}
}

func TestPDFJPEGFile(t *testing.T) {
	cmyk := withSegment(jpegFrame(markSOF0, 8, 64, 48, 4), markAPP14, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0})
	ycck := withSegment(jpegFrame(markSOF0, 8, 64, 48, 4), markAPP14, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 2})
	tests := []struct {
		name string
		file []byte
		dict string
	}{
		{"colour", goJPEG(t, false, 64, 48), "/Width 64 /Height 48 /ColorSpace /DeviceRGB /BitsPerComponent 8\n/Filter /DCTDecode /DecodeParms << /ColorTransform 1 >> /Length"},
		{"Adobe CMYK, inverted", cmyk, "/ColorSpace /DeviceCMYK /BitsPerComponent 8\n/Filter /DCTDecode /DecodeParms << /ColorTransform 0 >> /Decode [1 0 1 0 1 0 1 0] /Length"},
		{"Adobe YCCK", ycck, "/DecodeParms << /ColorTransform 1 >> /Decode [1 0 1 0 1 0 1 0] /Length"},
		{"CMYK without Adobe", jpegFrame(markSOF0, 8, 64, 48, 4), "/ColorSpace /DeviceCMYK /BitsPerComponent 8\n/Filter /DCTDecode /DecodeParms << /ColorTransform 0 >> /Length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdf, err := onePDF(t, tt.file, Info{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(pdf, []byte(tt.dict)) {
				t.Errorf("PDF lacks %q", tt.dict)
			}
			// 200 dpi: 64x48 pixels are 23.04x17.28 pt.
			if !bytes.Contains(pdf, []byte("/MediaBox [0 0 23.04 17.28]")) || !bytes.Contains(pdf, []byte("/ProcSet [/PDF /Image")) {
				t.Errorf("page:\n%s", pdf)
			}
			if s := streams(pdf); len(s) != 1 || !bytes.Equal(s[0], tt.file) {
				t.Errorf("the PDF does not hold the file unchanged")
			}
		})
	}
}

func TestReadJPEGErrors(t *testing.T) {
	many := []byte{0xff, markSOI}
	for range maxJPEGSegments + 1 {
		many = append(many, segment(0xe5, 'x')...)
	}
	tests := []struct {
		name string
		file []byte
		kind error
		msg  string
	}{
		{"not JPEG", []byte("GIF89a"), ErrFormat, "document: not a JPEG file"},
		{"truncated", goJPEG(t, true, 8, 8)[:30], ErrDamaged, "document: page 1: JPEG data ends inside its header"},
		{"bad length", []byte{0xff, markSOI, 0xff, 0xe0, 0, 1}, ErrDamaged, "document: page 1: JPEG segment at byte 2 has length 1"},
		{"no marker", []byte{0xff, markSOI, 0xff, 0xe0, 0, 2, 'x', 'y'}, ErrDamaged, "document: page 1: no JPEG marker at byte 6"},
		{"too many segments", many, ErrLimit, "document: page 1: more than 1000 JPEG segments before the first scan"},
		{"only EOI", []byte{0xff, markSOI, 0xff, markEOI}, ErrDamaged, "document: page 1: JPEG data has no frame header before its first scan"},
		{"two frames", jpegFrame(markSOF0, 8, 8, 8, 1, jpegFrame(markSOF0, 8, 8, 8, 1)[2:15]), ErrDamaged, "document: page 1: JPEG stream has two frame headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJPEG(bytes.NewReader(tt.file), int64(len(tt.file)))
			var ie *InputError
			if !errors.Is(err, tt.kind) || !errors.As(err, &ie) || err.Error() != tt.msg {
				t.Errorf("got %v, want %q (%v)", err, tt.msg, tt.kind)
			}
		})
	}
}

func TestReadPBM(t *testing.T) {
	file := []byte("P4\n# scanned\n16 2\n\xff\x00\x0f\xf0\nP1 3 # width\n2\n0 0\n1\n11 1\n\n")
	p4Raster := int64(len("P4\n# scanned\n16 2\n"))
	p1Raster := int64(bytes.Index(file, []byte("P1")) + len("P1 3 # width\n2\n"))
	p1Length := int64(len("0 0\n1\n11 1"))
	pages, err := ReadPBM(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	base := Page{XRes: 200, YRes: 200, ResGuessed: true, Compression: CompressionNone, FillOrder: 1,
		BitsPerSample: 1, SamplesPerPixel: 1, PlanarConfig: 1}
	p1, p2 := base, base
	p1.Number, p1.Format, p1.Width, p1.Height, p1.RowsPerStrip, p1.Strips = 1, FormatPBM, 16, 2, 2, []Strip{{p4Raster, 4}}
	p2.Number, p2.Format, p2.Width, p2.Height, p2.RowsPerStrip, p2.Strips = 2, FormatPlainPBM, 3, 2, 2, []Strip{{p1Raster, p1Length}}
	if !reflect.DeepEqual(pages, []Page{p1, p2}) {
		t.Fatalf("got  %+v\nwant %+v", pages, []Page{p1, p2})
	}
	// The plain image's digits pack into rows as a binary PBM would hold them.
	rows, err := io.ReadAll(newPlainRows(bytes.NewReader(file[p1Raster:p1Raster+p1Length]), 3, 2))
	if err != nil || !bytes.Equal(rows, []byte{0x20, 0xe0}) {
		t.Errorf("plain rows %x, %v", rows, err)
	}

	// Both pages leave as G4 images that decode to the same rows.
	pdf, err := onePDF(t, file, Info{})
	if err != nil {
		t.Fatal(err)
	}
	var images [][]byte
	for _, m := range regexp.MustCompile(`(?s)/Length (\d+) 0 R >>\nstream\n(.*?)\nendstream`).FindAllSubmatch(pdf, -1) {
		images = append(images, m[2])
	}
	if len(images) != 2 {
		t.Fatalf("%d G4 images", len(images))
	}
	if got := decodeG4(t, images[0], 16, 2); !bytes.Equal(got, []byte{0xff, 0x00, 0x0f, 0xf0}) {
		t.Errorf("page 1 rows %x", got)
	}
	if got := decodeG4(t, images[1], 3, 2); !bytes.Equal(got, []byte{0x20, 0xe0}) {
		t.Errorf("page 2 rows %x", got)
	}
	if !strings.Contains(string(pdf), "/MediaBox [0 0 5.76 0.72]") {
		t.Errorf("page 1 is not 16x2 pixels at 200 dpi")
	}
}

func TestReadPBMErrors(t *testing.T) {
	many := bytes.Repeat([]byte("P4 1 1\n\x00"), MaxPages+1)
	tests := []struct {
		name string
		file string
		kind error
		msg  string
	}{
		{"not PBM", "P6 1 1 255\n", ErrFormat, "document: not a PBM file"},
		{"empty", "", ErrFormat, "document: not a PBM file"},
		{"no width", "P4 x", ErrDamaged, "document: page 1: PBM width is not a number"},
		{"header ends", "P4 16", ErrDamaged, "document: page 1: file ends inside the header"},
		{"zero height", "P4 16 0\n", ErrDamaged, "document: page 1: height is 0"},
		{"huge width", "P4 70000 1\n", ErrLimit, "document: page 1: width 70000 is more than 65535 pixels"},
		{"long number", "P4 00000000001 1\n", ErrLimit, "document: page 1: width has more than 10 digits"},
		{"raster past end", "P4 16 2\n\x00\x00\x00", ErrDamaged, "document: page 1: raster extends past end of file"},
		{"plain raster ends", "P1 2 2\n0 1 1", ErrDamaged, "document: page 1: file ends inside the raster"},
		{"plain raster junk", "P1 2 2\n0 1 2 1", ErrDamaged, "document: page 1: plain PBM raster holds '2' at byte 11"},
		{"grey image after", "P4 8 1\n\x00P5 1 1 255\n\x00", ErrUnsupported, "document: page 2: unsupported netpbm image P5 (only bilevel PBM, P1 and P4, is converted)"},
		{"junk after", "P4 8 1\n\x00junk", ErrDamaged, "document: page 2: data after image 1 is not a PBM image"},
		{"too many pages", string(many), ErrLimit, "document: page 10001: more than 10000 pages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPBM(strings.NewReader(tt.file), int64(len(tt.file)))
			var ie *InputError
			if !errors.Is(err, tt.kind) || !errors.As(err, &ie) || err.Error() != tt.msg {
				t.Errorf("got %v, want %q (%v)", err, tt.msg, tt.kind)
			}
		})
	}
}

func TestReadPages(t *testing.T) {
	tests := []struct {
		name   string
		file   []byte
		format Format
		err    string
	}{
		{"TIFF", readSample(t), FormatTIFF, ""},
		{"BigTIFF", func() []byte {
			b := newBigTIFF(binary.BigEndian)
			s := b.data([]byte("g4"))
			b.ifd(pageFields(1728, 10, CompressionG4, 10, []uint32{s}, []uint32{2})...)
			return b.buf
		}(), FormatTIFF, ""},
		{"JPEG", goJPEG(t, true, 8, 8), FormatJPEG, ""},
		{"PBM", []byte("P4 8 1\n\x00"), FormatPBM, ""},
		{"plain PBM", []byte("P1\n8 1\n00000000\n"), FormatPlainPBM, ""},
		{"TIFF-like", []byte("II\x00\x00"), 0, "document: not a TIFF file"},
		{"text", []byte("P1ease call"), 0, "document: not a TIFF file, nor a JPEG or PBM image"},
		{"PNG", []byte("\x89PNG\r\n\x1a\n"), 0, "document: not a TIFF file, nor a JPEG or PBM image"},
		{"empty", nil, 0, "document: not a TIFF file, nor a JPEG or PBM image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := ReadPages(bytes.NewReader(tt.file), int64(len(tt.file)))
			switch {
			case tt.err != "":
				if !errors.Is(err, ErrFormat) || err.Error() != tt.err {
					t.Errorf("got %v, want %q", err, tt.err)
				}
			case err != nil:
				t.Fatal(err)
			case pages[0].Format != tt.format:
				t.Errorf("format %d, want %d", pages[0].Format, tt.format)
			}
		})
	}
}

// g3Page codes rows as a G3 2-D page in strips of rps rows and returns
// its TIFF file.
func g3Page(t *testing.T, w, rps int, rows [][]byte) []byte {
	b := newTIFF(binary.LittleEndian)
	var offs, lens []uint32
	for start := 0; start < len(rows); start += rps {
		var data bytes.Buffer
		enc := ccitt.NewEncoder(&data, ccitt.Params{Width: w, K: 2, EOL: true, ByteAlign: true})
		for _, row := range rows[start:min(len(rows), start+rps)] {
			if err := enc.WriteRow(row); err != nil {
				t.Fatal(err)
			}
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		offs, lens = append(offs, b.data(data.Bytes())), append(lens, uint32(data.Len()))
	}
	b.ifd(pageFields(uint32(w), uint32(len(rows)), CompressionG3, uint32(rps), offs, lens,
		long(tagT4Options, T4TwoDimensional|T4FillBits))...)
	return b.buf
}

func TestCompact(t *testing.T) {
	const w = 200
	var rows [][]byte
	for y := range 60 {
		row := make([]byte, (w+7)/8)
		for x := range w {
			if (x/7+y/5)%3 == 0 || x == y {
				row[x/8] |= 0x80 >> (x % 8)
			}
		}
		rows = append(rows, row)
	}
	file := g3Page(t, w, 25, rows)

	plain, err := onePDF(t, file, Info{})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(plain), "/DecodeParms << /K 25 /Columns 200"); n != 2 {
		t.Errorf("without Compact, %d G3 strips of 25 rows pass through, want 2", n)
	}
	compact, err := onePDF(t, file, Info{Compact: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(compact), "/DecodeParms << /K -1 /Columns 200 /Rows 60 /EndOfBlock false >> /Length") ||
		strings.Count(string(compact), "/Subtype /Image") != 1 {
		t.Fatalf("with Compact, the page is not one G4 image:\n%s", compact)
	}
	s := streams(compact)
	if got := decodeG4(t, s[0], w, 60); !bytes.Equal(got, bytes.Join(rows, nil)) {
		t.Errorf("the G4 image holds other rows")
	}
	if len(compact) >= len(plain) {
		t.Errorf("compact PDF %d bytes, plain %d", len(compact), len(plain))
	}

	// Data that do not decode pass through as they are.
	broken := bytes.Clone(file)
	copy(broken[8:], bytes.Repeat([]byte{0xff}, 20))
	out, err := onePDF(t, broken, Info{Compact: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), "/DecodeParms << /K 25 /Columns 200"); n != 2 {
		t.Errorf("broken G3 data: %d G3 strips pass through, want 2", n)
	}
}

// TestJPEGColourTransform checks a YCbCr page through Go's decoder: the
// PDF's stream decodes to the colours of the source.
func TestJPEGColourTransform(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 * 16 {
		img.Set(i%16, i/16, color.RGBA{200, 30, 40, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	tables, strip := splitJPEG(t, b.Bytes())
	pdf, err := onePDF(t, jpegTIFF(16, 16, 3, 6, tables, strip), Info{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := jpeg.Decode(bytes.NewReader(streams(pdf)[0]))
	if err != nil {
		t.Fatal(err)
	}
	r, g, bl, _ := got.At(8, 8).RGBA()
	if r>>8 < 190 || g>>8 > 45 || bl>>8 > 55 {
		t.Errorf("colour %d %d %d, want about 200 30 40", r>>8, g>>8, bl>>8)
	}
}

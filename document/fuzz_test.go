package document

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

// checkParsed checks what a reader made of fuzzed data: a document
// *InputError, or plausible pages whose strips lie inside the data, which
// the writer then refuses or writes without panicking, with and without
// Compact.
func checkParsed(t *testing.T, data []byte, pages []Page, err error) {
	size := int64(len(data))
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "document: ") {
			t.Fatalf("error %q is not a document *InputError", err)
		}
		return
	}
	if len(pages) == 0 || len(pages) > MaxPages {
		t.Fatalf("%d pages", len(pages))
	}
	for _, pg := range pages {
		if pg.Width < 1 || pg.Width > MaxDimension || pg.Height < 1 || pg.Height > MaxDimension ||
			!(pg.XRes >= minDPI && pg.YRes >= minDPI) || len(pg.Strips) == 0 ||
			(pg.RowsPerStrip < 1) == (pg.TileWidth < 1) {
			t.Fatalf("implausible page %+v", pg)
		}
		for _, s := range pg.Strips {
			if s.Offset < 0 || s.Length <= 0 || s.Offset+s.Length > size {
				t.Fatalf("strip %+v outside a %d-byte file", s, size)
			}
		}
	}
	for _, compact := range []bool{false, true} {
		p := NewPDF(io.Discard, Info{Compact: compact})
		for _, pg := range pages {
			p.AddPage(bytes.NewReader(data), pg)
		}
		p.Close()
	}
}

func FuzzReadTIFF(f *testing.F) {
	f.Add(readSample(f))
	f.Add(onePage(binary.BigEndian, 1728, 10, CompressionG3, []byte("g3-data"), long(tagT4Options, T4TwoDimensional|T4FillBits)))
	f.Add(onePage(binary.LittleEndian, 12, 2, CompressionNone, []byte{1, 2, 3, 4}, short(tagFillOrder, 2), short(tagPhotometric, 1)))
	big := newBigTIFF(binary.LittleEndian)
	s := big.data([]byte{0x26, 0xa0})
	big.ifd(pageFields(16, 2, CompressionCCITTRLE, 2, []uint32{s}, []uint32{2})...)
	f.Add(big.buf)
	f.Add(onePage(binary.LittleEndian, 16, 16, CompressionG4, []byte("tile"), without(tagStripOffsets), without(tagStripByteCounts),
		long(tagTileWidth, 16), long(tagTileLength, 16), long(tagTileOffsets, 8), long(tagTileByteCounts, 4)))
	tables, strip := splitJPEG(f, goJPEG(f, false, 16, 8))
	f.Add(jpegTIFF(16, 8, 3, 6, tables, strip))
	for _, tc := range hostileFiles(f) {
		if len(tc.file) < 64<<10 {
			f.Add(tc.file)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pages, err := ReadTIFF(bytes.NewReader(data), int64(len(data)))
		checkParsed(t, data, pages, err)
	})
}

func FuzzReadJPEG(f *testing.F) {
	f.Add(goJPEG(f, false, 16, 8))
	f.Add(goJPEG(f, true, 8, 8))
	f.Add(withSegment(jpegFrame(markSOF2, 8, 16, 16, 4), markAPP14, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 2}))
	f.Add(withSegment(goJPEG(f, true, 8, 8), markAPP0, []byte{'J', 'F', 'I', 'F', 0, 1, 2, 1, 0, 200, 0, 200, 0, 0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		pages, err := ReadJPEG(bytes.NewReader(data), int64(len(data)))
		checkParsed(t, data, pages, err)
	})
}

func FuzzReadPBM(f *testing.F) {
	f.Add([]byte("P4\n# scan\n16 2\n\xff\x00\x0f\xf0\nP1 3 2\n0 0 1 1 1 1\n"))
	f.Add([]byte("P1\n8 1\n00000000\n"))
	f.Add([]byte("P4 8 1\n\x00P5 1 1 255\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pages, err := ReadPBM(bytes.NewReader(data), int64(len(data)))
		checkParsed(t, data, pages, err)
	})
}

package document

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

func FuzzReadTIFF(f *testing.F) {
	f.Add(readSample(f))
	f.Add(onePage(binary.BigEndian, 1728, 10, CompressionG3, []byte("g3-data"), long(tagT4Options, T4TwoDimensional|T4FillBits)))
	f.Add(onePage(binary.LittleEndian, 12, 2, CompressionNone, []byte{1, 2, 3, 4}, short(tagFillOrder, 2), short(tagPhotometric, 1)))
	for _, tc := range hostileFiles(f) {
		if len(tc.file) < 64<<10 {
			f.Add(tc.file)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		size := int64(len(data))
		pages, err := ReadTIFF(bytes.NewReader(data), size)
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
				!(pg.XRes >= minDPI && pg.YRes >= minDPI) || pg.RowsPerStrip < 1 || len(pg.Strips) == 0 {
				t.Fatalf("implausible page %+v", pg)
			}
			for _, s := range pg.Strips {
				if s.Offset < 0 || s.Length <= 0 || s.Offset+s.Length > size {
					t.Fatalf("strip %+v outside a %d-byte file", s, size)
				}
			}
		}
		// Whatever the reader accepts, the writer refuses or writes
		// without panicking.
		p := NewPDF(io.Discard, Info{})
		for _, pg := range pages {
			p.AddTIFFPage(bytes.NewReader(data), pg)
		}
		p.Close()
	})
}

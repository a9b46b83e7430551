package document

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// FuzzTIFFF converts whatever ReadPages accepts into TIFF-F: no panic, only
// document errors, and what Close accepts reads back as fax pages.
func FuzzTIFFF(f *testing.F) {
	rng := rand.New(rand.NewPCG(4, 4))
	f.Add(readSample(f))
	f.Add(onePage(binary.LittleEndian, faxLine, 20, CompressionG4, g4Strip(f, testRows(rng, faxLine, 20), faxLine)))
	f.Add(onePage(binary.BigEndian, 90, 30, CompressionG4, g4Strip(f, testRows(rng, 90, 30), 90),
		rational(tagXResolution, 300), rational(tagYResolution, 300)))
	f.Add(onePage(binary.LittleEndian, 16, 4, CompressionNone, make([]byte, 8), short(tagFillOrder, 2), short(tagPhotometric, 1)))
	f.Add([]byte("P1\n3 2\n1 0 1\n0 1 0\n"))
	f.Add([]byte("P4\n8 2\n\xf0\x0f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pages, err := ReadPages(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		out := &seekBuffer{}
		tf := NewTIFFF(out)
		added := 0
		for _, pg := range pages {
			if int64(pg.Width)*int64(pg.Height) > 1<<24 {
				continue // keep each run quick
			}
			err := tf.AddPage(bytes.NewReader(data), pg)
			var ie *InputError
			if err != nil && (!errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "document: ")) {
				t.Fatalf("error %q is not a document *InputError", err)
			}
			if err == nil {
				added++
			}
		}
		if err := tf.Close(); err != nil {
			if added > 0 && errors.Is(err, ErrNoPages) {
				t.Fatalf("Close: %v after %d pages", err, added)
			}
			return
		}
		got, err := ReadTIFF(bytes.NewReader(out.buf), int64(len(out.buf)))
		if err != nil || len(got) != added {
			t.Fatalf("reading the TIFF-F back: %d pages, %v; want %d", len(got), err, added)
		}
		for _, pg := range got {
			if pg.Width != faxLine || pg.XRes != faxXRes || (pg.YRes != faxFineYRes && pg.YRes != faxNormalYRes) || len(pg.Strips) != 1 {
				t.Fatalf("page %+v", pg)
			}
		}
	})
}

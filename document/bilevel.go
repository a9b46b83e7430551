package document

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/scangate/gateway/document/ccitt"
)

// Bounds of recoding, beyond which CCITT data pass through unchanged.
const (
	// maxRecode bounds the CCITT data of one image that is recoded to G4:
	// the G4 result is kept in memory until it proves smaller than the
	// original. No fax page comes near.
	maxRecode = 16 << 20
	// maxPixelsPerByte bounds the pixels that recoding decodes for each
	// byte of CCITT data, so that a small hostile file (a G4 bit makes a
	// row of up to 65535 pixels) cannot cost much more time than a real
	// one: a blank A3 fax page in G4 has about 20,000 pixels a byte.
	maxPixelsPerByte = 1 << 16
)

// coding is how CCITT data are coded, in the terms of PDF's CCITTFaxDecode.
type coding struct {
	k          int  // < 0 G4; 0 G3 1-D (or CCITT RLE); > 0 G3 2-D
	eol, align bool // rows start with EOL codes; fill bits align EOLs (or, without EOLs, rows) to bytes
}

// g4 is the coding this package writes.
var g4 = coding{k: -1}

// pageCoding returns the coding of a CCITT page's strips of the given rows.
func pageCoding(pg *Page, rows int) coding {
	switch pg.Compression {
	case CompressionCCITTRLE:
		return coding{k: 0, align: true} // modified Huffman rows, each starting on a byte, no EOL codes
	case CompressionG3:
		// TIFF G3 rows each start with an EOL code. With fill bits the
		// EOL ends on a byte boundary; readers take EncodedByteAlign that
		// way only when EndOfLine is true (Ghostscript misreads the rows
		// otherwise).
		c := coding{k: 0, eol: true, align: pg.T4Options&T4FillBits != 0}
		if pg.T4Options&T4TwoDimensional != 0 {
			// Readers only look at the sign of K; the strip's row count
			// is a bound that holds for any 2-D run length.
			c.k = max(rows, 1)
		}
		return c
	}
	return g4
}

// ccittDict returns the image dictionary entries of CCITT data of the given
// coding and size, for a page of the given photometric interpretation.
func ccittDict(c coding, columns, rows, photometric int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "/ColorSpace /DeviceGray /BitsPerComponent 1\n/Filter /CCITTFaxDecode /DecodeParms << /K %d /Columns %d /Rows %d /EndOfBlock false", c.k, columns, rows)
	if c.eol {
		b.WriteString(" /EndOfLine true")
	}
	if c.align {
		b.WriteString(" /EncodedByteAlign true")
	}
	if photometric == 1 {
		// CCITT codes describe runs of 0 bits ("white" codes) and 1 bits.
		// In a min-is-black page 0 bits are black, so the codes' 1 bits
		// stand for white, which is what BlackIs1 false assumes for 0.
		b.WriteString(" /BlackIs1 true")
	}
	b.WriteString(" >>")
	return b.String()
}

// planBilevel plans the images of a CCITT or uncompressed page. G4 strips
// and tiles pass through, and so do G3 ones unless compact is set;
// uncompressed rows are coded as G4, CCITT RLE and (with compact) G3 data
// are recoded as G4. A page in strips that is coded or recoded becomes one
// image, which saves restarting the coding and an image object at every
// strip; with compact, G4 pages in several strips are recoded for that.
func planBilevel(pg *Page, compact bool) []imagePlan {
	kind := copyData
	switch {
	case pg.Compression == CompressionNone:
		kind = encodeRows
	case pg.Compression == CompressionCCITTRLE, pg.Compression == CompressionG3 && compact,
		pg.Compression == CompressionG4 && compact && !pg.Tiled() && len(pg.Strips) > 1:
		kind = recodeCCITT
	}
	if kind == copyData {
		return copyPlans(pg, 0, len(pg.Strips))
	}
	if !pg.Tiled() {
		return []imagePlan{{kind: kind, first: 0, n: len(pg.Strips), w: pg.Width, h: pg.Height,
			dict: ccittDict(g4, pg.Width, pg.Height, pg.Photometric)}}
	}
	plans := make([]imagePlan, len(pg.Strips))
	for i := range plans {
		cell := pg.Cell(i)
		plans[i] = imagePlan{kind: kind, first: i, n: 1, w: cell.Dx(), h: cell.Dy(),
			dict: ccittDict(g4, cell.Dx(), cell.Dy(), pg.Photometric)}
	}
	return plans
}

// copyPlans plans n CCITT strips or tiles from first on to pass through as
// they are.
func copyPlans(pg *Page, first, n int) []imagePlan {
	plans := make([]imagePlan, n)
	for k := range plans {
		cell := pg.Cell(first + k)
		plans[k] = imagePlan{kind: copyData, first: first + k, n: 1, w: cell.Dx(), h: cell.Dy(),
			dict: ccittDict(pageCoding(pg, cell.Dy()), cell.Dx(), cell.Dy(), pg.Photometric)}
	}
	return plans
}

// rowWriter cuts a stream of packed rows into rows for a G4 encoder.
type rowWriter struct {
	enc *ccitt.Encoder
	row []byte
	n   int // bytes of row filled
}

func (w *rowWriter) Write(b []byte) (int, error) {
	total := len(b)
	for len(b) > 0 {
		k := copy(w.row[w.n:], b)
		w.n, b = w.n+k, b[k:]
		if w.n == len(w.row) {
			if err := w.enc.WriteRow(w.row); err != nil {
				return total - len(b), err
			}
			w.n = 0
		}
	}
	return total, nil
}

// encodeRows codes the uncompressed rows of a plan's strips (stacked) or
// tile as G4 into w.
func (p *PDF) encodeRows(w io.Writer, r io.ReaderAt, pg *Page, pl *imagePlan) error {
	enc := ccitt.NewEncoder(w, ccitt.Params{Width: pl.w, K: -1, Trailer: ccitt.TrailerNone})
	rw := &rowWriter{enc: enc, row: make([]byte, packedRowBytes(pl.w))}
	for i := pl.first; i < pl.first+pl.n; i++ {
		if err := p.copyRows(rw, r, pg, i); err != nil {
			return err
		}
	}
	return enc.Close()
}

// copyRows copies the uncompressed rows of strip or tile i to dst: packed
// 8 pixels a byte, most significant bit first, each row padded to a byte,
// 1 bits meaning what the page's photometric interpretation says.
func (p *PDF) copyRows(dst io.Writer, r io.ReaderAt, pg *Page, i int) error {
	cell := pg.Cell(i)
	if pg.Format != FormatPlainPBM {
		return p.copyRange(dst, r, pg, i, 0, int64(cell.Dy())*packedRowBytes(cell.Dx()))
	}
	s := pg.Strips[i]
	rows := newPlainRows(io.NewSectionReader(r, s.Offset, s.Length), cell.Dx(), cell.Dy())
	if _, err := io.Copy(dst, rows); err != nil {
		return p.readErr(pg, i, err) // writeStream reports a failed output instead
	}
	return nil
}

// errNoGain stops a recoding whose G4 data grow as large as the original.
var errNoGain = errors.New("recoded data are no smaller")

// cappedBuffer is a buffer that refuses to grow past limit bytes.
type cappedBuffer struct {
	buf   []byte
	limit int
}

func (c *cappedBuffer) Write(b []byte) (int, error) {
	if len(c.buf)+len(b) > c.limit {
		return 0, errNoGain
	}
	c.buf = append(c.buf, b...)
	return len(b), nil
}

// recode decodes the CCITT data of a plan's strips (stacked) or tile and
// codes their rows as one G4 image. It returns false, and the caller copies
// the original data instead, when the data do not decode to the rows the
// page needs (readers then show what they make of them, as before) or when
// G4 is no smaller. The returned data are valid until the next recode.
func (p *PDF) recode(r io.ReaderAt, pg *Page, pl *imagePlan) ([]byte, bool) {
	var total int64
	for _, s := range pg.Strips[pl.first : pl.first+pl.n] {
		total += s.Length
	}
	if total > maxRecode || int64(pl.w)*int64(pl.h) > total*maxPixelsPerByte {
		return nil, false
	}
	out := &cappedBuffer{buf: p.recoded[:0], limit: int(total) - 1}
	enc := ccitt.NewEncoder(out, ccitt.Params{Width: pl.w, K: -1, Trailer: ccitt.TrailerNone})
	row := make([]byte, packedRowBytes(pl.w))
	for i := pl.first; i < pl.first+pl.n; i++ {
		s, cell := pg.Strips[i], pg.Cell(i)
		c := pageCoding(pg, cell.Dy())
		dec := ccitt.NewDecoder(io.NewSectionReader(r, s.Offset, s.Length), ccitt.Params{
			Width: cell.Dx(), K: c.k, EOL: c.eol, ByteAlign: c.align, ReverseBits: pg.FillOrder == 2,
		})
		for range cell.Dy() {
			if dec.ReadRow(row) != nil || enc.WriteRow(row) != nil {
				return nil, false
			}
		}
	}
	if enc.Close() != nil {
		return nil, false
	}
	p.recoded = out.buf
	return out.buf, true
}

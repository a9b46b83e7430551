package document

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/scangate/gateway/document/ccitt"
)

// rawBufSize is the read buffer for the rows of one uncompressed strip or tile.
const rawBufSize = 8 << 10

// pageRows reads the pixels of a bilevel page row by row, whatever its
// coding (CCITT RLE, G3 1-D or 2-D with or without fill bits, G4, or
// uncompressed TIFF or PBM), fill order, photometric, strips or tiles.
// Rows come out packed most significant bit first with 1 for black, and
// the bits after the last pixel are 0. It decodes one band at a time (a
// strip, or a row of tiles), so memory does not grow with the page.
//
// A piece whose CCITT data end (EOFB, RTC, or no more bytes) before its
// last row is completed with white rows, as libtiff does.
type pageRows struct {
	r      io.ReaderAt
	pg     *Page
	y      int // rows returned
	next   int // the first strip or tile of the next band
	left   int // rows left in the current band
	pieces []pieceRows
	tmp    []byte // one row of a tile, before it goes into the page row
	invert bool   // min-is-black: 1 bits are white
}

// pieceRows reads the rows of one strip or tile.
type pieceRows struct {
	index int // in pg.Strips
	x, w  int // the piece's columns in the page
	dec   *ccitt.Decoder
	raw   io.Reader
	ended bool // the CCITT data ended early
}

// newPageRows returns a reader of the rows of pg, a page found in r. A page
// that is not bilevel, or that the PDF writer would refuse, is refused
// with an *InputError.
func newPageRows(r io.ReaderAt, pg *Page) (*pageRows, error) {
	err := checkPage(pg)
	if err == nil && pg.Compression > CompressionG4 {
		err = unsupported("compression %d in a fax page (only bilevel pages are converted)", pg.Compression)
	}
	if err != nil {
		return nil, &InputError{Page: pg.Number, Err: err}
	}
	return &pageRows{r: r, pg: pg, invert: pg.Photometric == 1}, nil
}

// ReadRow reads the next row into row, (Width+7)/8 bytes or more. After
// the last row it returns io.EOF. Errors are *InputError values naming the
// page and piece; those in coded data match ErrDamaged (or ErrUnsupported
// for the CCITT uncompressed mode) and the codec's *ccitt.DataError.
func (pr *pageRows) ReadRow(row []byte) error {
	pg := pr.pg
	if pr.y == pg.Height {
		return io.EOF
	}
	stride := int(packedRowBytes(pg.Width))
	row = row[:stride]
	if pr.left == 0 {
		pr.nextBand()
	}
	for i := range pr.pieces {
		if err := pr.readPiece(&pr.pieces[i], row); err != nil {
			return &InputError{Page: pg.Number, Err: err}
		}
	}
	if pr.invert {
		for i := range row {
			row[i] = ^row[i]
		}
	}
	if pg.Width%8 != 0 {
		row[stride-1] &= byte(0xff << (8 - pg.Width%8))
	}
	pr.y++
	pr.left--
	return nil
}

// nextBand starts the next strip, or the next row of tiles.
func (pr *pageRows) nextBand() {
	pg := pr.pg
	n := 1
	if pg.Tiled() {
		n = pg.tilesAcross()
	}
	pr.pieces = pr.pieces[:0]
	for i := pr.next; i < pr.next+n; i++ {
		cell := pg.Cell(i)
		s := pg.Strips[i]
		src := io.NewSectionReader(pr.r, s.Offset, s.Length)
		p := pieceRows{index: i, x: cell.Min.X, w: cell.Dx()}
		switch {
		case pg.Format == FormatPlainPBM:
			p.raw = newPlainRows(src, cell.Dx(), cell.Dy())
		case pg.Compression == CompressionNone:
			p.raw = bufio.NewReaderSize(src, rawBufSize)
		default:
			c := pageCoding(pg, cell.Dy())
			p.dec = ccitt.NewDecoder(src, ccitt.Params{
				Width: cell.Dx(), K: c.k, EOL: c.eol, ByteAlign: c.align, ReverseBits: pg.FillOrder == 2,
			})
		}
		pr.pieces = append(pr.pieces, p)
	}
	cell := pg.Cell(pr.next)
	pr.left = min(cell.Max.Y, pg.Height) - cell.Min.Y
	pr.next += n
}

// readPiece reads the next row of a piece into its place in the page row.
func (pr *pageRows) readPiece(p *pieceRows, row []byte) error {
	dst := row
	whole := p.x == 0 && p.w == pr.pg.Width
	if !whole {
		n := int(packedRowBytes(p.w))
		if cap(pr.tmp) < n {
			pr.tmp = make([]byte, n)
		}
		dst = pr.tmp[:n]
	}
	if err := pr.decodePiece(p, dst); err != nil {
		return err
	}
	if !whole {
		copyBits(row, p.x, dst, min(p.w, pr.pg.Width-p.x))
	}
	return nil
}

// decodePiece reads the next row of a piece, as stored but for the fill order.
func (pr *pageRows) decodePiece(p *pieceRows, dst []byte) error {
	where := func(err error) error { return fmt.Errorf("%s %d: %w", pieceName(pr.pg), p.index+1, err) }
	if p.raw != nil {
		if _, err := io.ReadFull(p.raw, dst); err != nil {
			return where(err)
		}
		if pr.pg.FillOrder == 2 {
			for i, b := range dst {
				dst[i] = bits.Reverse8(b)
			}
		}
		return nil
	}
	if p.ended {
		clear(dst)
		return nil
	}
	err := p.dec.ReadRow(dst)
	switch {
	case err == nil:
		return nil
	case err == io.EOF:
		p.ended = true
		clear(dst)
		return nil
	case errors.Is(err, ccitt.ErrUnsupported):
		return where(&codingError{ErrUnsupported, err})
	case errors.Is(err, ccitt.ErrCorrupt), errors.Is(err, io.ErrUnexpectedEOF):
		return where(&codingError{ErrDamaged, err})
	}
	return where(err)
}

// codingError is a problem in coded data. It reads as the codec's error
// and matches both that error and kind (ErrDamaged, ErrUnsupported) with
// errors.Is.
type codingError struct{ kind, err error }

func (e *codingError) Error() string   { return e.err.Error() }
func (e *codingError) Unwrap() []error { return []error{e.kind, e.err} }

// copyBits copies n pixels from the start of src to dst at pixel x.
func copyBits(dst []byte, x int, src []byte, n int) {
	if x%8 == 0 {
		k := n / 8
		copy(dst[x/8:], src[:k])
		if r := n % 8; r != 0 {
			mask := byte(0xff << (8 - r))
			dst[x/8+k] = dst[x/8+k]&^mask | src[k]&mask
		}
		return
	}
	for i := range n { // tiles are 16 pixels wide or more, so this is rare
		d := x + i
		bit := src[i/8] >> (7 - i%8) & 1
		dst[d/8] = dst[d/8]&^(0x80>>(d%8)) | bit<<(7-d%8)
	}
}

package document

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/scangate/gateway/document/ccitt"
)

// The TIFF-F page (RFC 3949 profile S): a 1728-pixel T.4 line at 204 dpi
// across, 98 (standard) or 196 (fine) rows per inch down.
const (
	faxLine = 1728
	// faxResTolerance is how far, relatively, a resolution may be from
	// 204, 98 or 196 dpi and still be that fax resolution: 8 dots/mm
	// (203.2 dpi) and 3.85 or 7.7 lines/mm (97.79, 195.58) are.
	faxResTolerance = 0.01
	// maxTIFFFPages is the most pages a TIFF-F file can number (PageNumber is 16 bits).
	maxTIFFFPages = math.MaxUint16
	// maxTIFFSize is the largest classic TIFF file: its offsets are 32 bits.
	maxTIFFSize = math.MaxUint32
)

// ErrTIFFFClosed is returned by a TIFFF after Close.
var ErrTIFFFClosed = errors.New("document: tiff-f already closed")

// ErrNoPages is returned by TIFFF.Close when no page was added: a TIFF
// file needs at least one.
var ErrNoPages = errors.New("document: tiff-f has no pages")

// TIFFF writes a TIFF-F file, the format of Internet fax (RFC 3949
// profile S, ITU-T T.37 simple mode), page by page: a little-endian TIFF
// whose every page is one strip of T.4 one-dimensional (Modified Huffman)
// rows, each starting with an EOL code that ends on a byte boundary
// (T4Options 4), 1728 pixels wide at 204 x 98 or 204 x 196 dpi,
// min-is-white, FillOrder 1, with NewSubfileType 2 (a page of a document)
// and PageNumber (page, count). Each page's IFD comes before its image
// data, the layout RFC 3949 shows for receivers that read in one pass.
//
// A fax page (1728 pixels wide at 204 x 98 or 204 x 196 dpi, within 1%, so
// 8 dots/mm and 3.85 or 7.7 lines/mm count) is decoded and re-coded row by
// row: the pixels stay exactly as they were. Any other page is resampled
// to 204 x 196 dpi at its physical size, centred on the 8.47-inch line
// and cropped or padded with white at both sides: each output pixel is
// black when an input pixel whose centre lies inside it is black (or, where
// the input is coarser, the input pixel under its centre). No black input
// pixel is lost, so thin lines and dots survive a reduction from 300 or
// 400 dpi, at the cost of strokes up to one pixel bolder. Pages must be
// bilevel: CCITT or uncompressed TIFF, or PBM; JPEG pages are refused.
//
// The writer streams: it holds a few rows, and seeks back to fill in each
// strip's length, the link from one IFD to the next, and at Close the page
// count. A TIFFF is not safe for concurrent use.
type TIFFF struct {
	ws       io.WriteSeeker
	base     int64 // where the file starts in ws
	bw       *bufio.Writer
	pos      int64   // bytes written so far, buffered or not
	link     int64   // where the offset of the next IFD goes
	pageNums []int64 // where each page's PageNumber values are
	err      error   // first failure that left the output unusable
	closed   bool
}

// NewTIFFF starts a TIFF-F file at the current position of w. A write or
// seek error is kept and returned by the next AddPage or Close.
func NewTIFFF(w io.WriteSeeker) *TIFFF {
	t := &TIFFF{ws: w, bw: bufio.NewWriterSize(w, ioBufSize)}
	t.base, t.err = w.Seek(0, io.SeekCurrent)
	if t.err != nil {
		t.err = tifffWriteErr(t.err)
	}
	t.write([]byte{'I', 'I', 42, 0, 0, 0, 0, 0}) // the first IFD's offset is filled in by the first page
	t.link = 4
	return t
}

func tifffWriteErr(err error) error { return fmt.Errorf("document: write tiff-f: %w", err) }

// write appends b to the file.
func (t *TIFFF) write(b []byte) {
	if t.err != nil {
		return
	}
	n, err := t.bw.Write(b)
	t.pos += int64(n)
	if err != nil {
		t.err = tifffWriteErr(err)
	}
}

// stripWriter passes the encoder's output to the file.
type stripWriter struct{ t *TIFFF }

func (s stripWriter) Write(b []byte) (int, error) {
	s.t.write(b)
	if s.t.err != nil {
		return 0, s.t.err
	}
	return len(b), nil
}

// patch overwrites the bytes at file offset off, which were written before.
func (t *TIFFF) patch(off int64, b []byte) {
	if t.err != nil {
		return
	}
	err := t.bw.Flush()
	if err == nil {
		_, err = t.ws.Seek(t.base+off, io.SeekStart)
	}
	if err == nil {
		_, err = t.ws.Write(b)
	}
	if err == nil {
		_, err = t.ws.Seek(t.base+t.pos, io.SeekStart)
	}
	if err != nil {
		t.err = tifffWriteErr(err)
	}
}

// faxYRes returns the vertical resolution of a page that goes into TIFF-F
// as it is, or 0 for a page that must be resampled.
func faxYRes(pg *Page) float64 {
	near := func(v, want float64) bool { return math.Abs(v-want) <= want*faxResTolerance }
	if pg.Width != faxLine || !near(pg.XRes, faxXRes) {
		return 0
	}
	for _, y := range []float64{faxNormalYRes, faxFineYRes} {
		if near(pg.YRes, y) {
			return y
		}
	}
	return 0
}

// AddPage adds one page whose image data are read from r, the file that pg
// was read from (by ReadPages, ReadTIFF or ReadPBM). A page the writer
// cannot convert is refused with an *InputError before anything is
// written, and the TIFFF stays usable; any later failure (damaged image
// data, reading r, writing the output) leaves it unusable, and every
// further call returns that error.
func (t *TIFFF) AddPage(r io.ReaderAt, pg Page) error {
	if t.closed {
		return ErrTIFFFClosed
	}
	if t.err != nil {
		return t.err
	}
	rows, err := newPageRows(r, &pg)
	if err != nil {
		return err
	}
	if len(t.pageNums) == maxTIFFFPages {
		return &InputError{Page: pg.Number, Err: overLimit("more than %d pages in a TIFF-F file", maxTIFFFPages)}
	}
	lay := layoutFax(&pg)
	if lay.rows > MaxDimension {
		return &InputError{Page: pg.Number, Err: overLimit("page %.0f in long at fax resolution: more than %d rows",
			float64(pg.Height)/pg.YRes, MaxDimension)}
	}
	if err := t.writePage(&pg, rows, lay); err != nil {
		t.err = err
		return err
	}
	return nil
}

// faxLayout is how a page goes into a TIFF-F file.
type faxLayout struct {
	yres     float64 // vertical resolution in the file
	rows     int     // rows in the file
	resample bool    // false: the page is a fax page, re-coded as it is
}

// layoutFax decides how a page goes into a TIFF-F file.
func layoutFax(pg *Page) faxLayout {
	if y := faxYRes(pg); y != 0 {
		return faxLayout{yres: y, rows: pg.Height}
	}
	return faxLayout{yres: faxFineYRes, rows: resampledRows(pg.Height, pg.YRes, faxFineYRes), resample: true}
}

// writePage writes a page's IFD and strip.
func (t *TIFFF) writePage(pg *Page, rows *pageRows, lay faxLayout) error {
	enc := ccitt.NewEncoder(stripWriter{t}, ccitt.Params{Width: faxLine, EOL: true, ByteAlign: true})
	put, finish := enc.WriteRow, func() error { return nil }
	if lay.resample {
		rs := newResampler(pg.Width, pg.Height, pg.XRes, pg.YRes, faxLine, faxXRes, lay.yres, enc.WriteRow)
		put, finish = rs.addRow, rs.finish
	}

	if t.pos%2 != 0 {
		t.write([]byte{0}) // IFDs start on a word boundary
	}
	ifd := t.pos
	at := t.writeIFD(lay, len(t.pageNums))
	t.patch(t.link, binary.LittleEndian.AppendUint32(nil, uint32(ifd)))
	t.link = at.next
	t.pageNums = append(t.pageNums, at.pageNumber)
	start := t.pos

	in := make([]byte, packedRowBytes(pg.Width))
	for range pg.Height {
		if err := rows.ReadRow(in); err != nil {
			return err
		}
		if err := put(in); err != nil {
			return t.encodeErr(err)
		}
	}
	if err := finish(); err != nil {
		return t.encodeErr(err)
	}
	if err := enc.Close(); err != nil {
		return t.encodeErr(err)
	}
	if t.pos > maxTIFFSize {
		return &InputError{Page: pg.Number, Err: overLimit("TIFF-F file larger than 4 GiB")}
	}
	t.patch(at.stripLength, binary.LittleEndian.AppendUint32(nil, uint32(t.pos-start)))
	return t.err
}

// encodeErr reports a failure of the encoder, which can only come from
// writing the output.
func (t *TIFFF) encodeErr(err error) error {
	if t.err != nil {
		return t.err
	}
	return tifffWriteErr(err)
}

// tagPageNumber is the TIFF tag of a page's number and the document's page count.
const tagPageNumber = 297

// ifdBlanks are the file offsets of the IFD values filled in later.
type ifdBlanks struct {
	stripLength int64 // StripByteCounts, once the strip is written
	pageNumber  int64 // PageNumber: the page count goes 2 bytes further, at Close
	next        int64 // the next IFD's offset, when there is one
}

// writeIFD writes the IFD of page number page (0-based) and the values
// that do not fit in it; the page's strip follows.
func (t *TIFFF) writeIFD(lay faxLayout, page int) ifdBlanks {
	const entries = 16
	le := binary.LittleEndian
	ifd := t.pos
	rationals := ifd + 2 + 12*entries + 4
	strip := rationals + 16
	b := le.AppendUint16(make([]byte, 0, strip-ifd), entries)
	// entry appends an IFD entry and returns where its value is. SHORT
	// values sit in the low bytes of v, as little-endian TIFF wants.
	entry := func(tag uint16, typ uint16, count, v uint32) int64 {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, count)
		at := ifd + int64(len(b))
		b = le.AppendUint32(b, v)
		return at
	}
	entry(tagNewSubfileType, typeLong, 1, 2) // a page of a multi-page document
	entry(tagImageWidth, typeLong, 1, faxLine)
	entry(tagImageLength, typeLong, 1, uint32(lay.rows))
	entry(tagBitsPerSample, typeShort, 1, 1)
	entry(tagCompression, typeShort, 1, CompressionG3)
	entry(tagPhotometric, typeShort, 1, 0) // min-is-white
	entry(tagFillOrder, typeShort, 1, 1)
	entry(tagStripOffsets, typeLong, 1, uint32(strip))
	entry(tagSamplesPerPixel, typeShort, 1, 1)
	entry(tagRowsPerStrip, typeLong, 1, uint32(lay.rows))
	var at ifdBlanks
	at.stripLength = entry(tagStripByteCounts, typeLong, 1, 0)
	entry(tagXResolution, typeRational, 1, uint32(rationals))
	entry(tagYResolution, typeRational, 1, uint32(rationals+8))
	entry(tagT4Options, typeLong, 1, T4FillBits)
	entry(tagResolutionUnit, typeShort, 1, 2) // inch
	at.pageNumber = entry(tagPageNumber, typeShort, 2, uint32(page))
	at.next = ifd + int64(len(b))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(le.AppendUint32(b, faxXRes), 1)
	b = le.AppendUint32(le.AppendUint32(b, uint32(lay.yres)), 1)
	t.write(b)
	return at
}

// Close fills in the page count of every page and flushes the output. It
// does not close the underlying writer. A TIFFF without pages is an error,
// ErrNoPages: the output then holds only a header.
func (t *TIFFF) Close() error {
	if t.closed {
		return ErrTIFFFClosed
	}
	t.closed = true
	if t.err != nil {
		return t.err
	}
	if len(t.pageNums) == 0 {
		return ErrNoPages
	}
	total := binary.LittleEndian.AppendUint16(nil, uint16(len(t.pageNums)))
	for _, at := range t.pageNums {
		t.patch(at+2, total)
	}
	if t.err == nil {
		if err := t.bw.Flush(); err != nil {
			t.err = tifffWriteErr(err)
		}
	}
	return t.err
}

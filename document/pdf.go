package document

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Info is what the PDF's document information dictionary says.
type Info struct {
	Title    string    // document title shown by viewers; omitted when empty
	Producer string    // program that made the file, e.g. "Scangate 1.2"; omitted when empty
	Created  time.Time // CreationDate; omitted when zero
}

// Object numbers fixed up front so that pages can point at their parent
// before the page tree is written at Close.
const (
	catalogObj  = 1
	pageTreeObj = 2
	infoObj     = 3
)

// pagesPerNode is how many pages hang under one node of the page tree. It
// keeps every /Kids array far below 8191 entries, the array size PDF 1.4
// readers may limit themselves to.
const pagesPerNode = 1024

// ioBufSize is the size of the output buffer and of the strip copy buffer.
const ioBufSize = 64 << 10

// PDF writes a PDF 1.4 file page by page. Image data is copied straight from
// the TIFF input to the output; the writer keeps only the byte offset of each
// object and the object number of each page, so memory does not grow with the
// size of the pages. Close writes the page tree, the information dictionary,
// the cross-reference table and the trailer; the caller closes w.
//
// A PDF is not safe for concurrent use.
type PDF struct {
	bw      *bufio.Writer
	w       countWriter
	info    Info
	offsets []int64 // byte offset of each object, indexed by object number
	pages   []int   // object number of each page, in order
	nodes   []int   // nodes[k] is the tree node holding pages (k+1)*pagesPerNode onwards
	buf     []byte
	zw      *zlib.Writer
	err     error // first failure that left the output unusable
	closed  bool
}

// countWriter counts the bytes written and keeps the first write error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.err = err
	return n, err
}

// NewPDF starts a PDF on w. A write error is kept and returned by the next
// AddTIFFPage or Close.
func NewPDF(w io.Writer, info Info) *PDF {
	p := &PDF{bw: bufio.NewWriterSize(w, ioBufSize), info: info}
	p.w.w = p.bw
	p.offsets = make([]int64, infoObj+1)
	// The second line's bytes above 127 mark the file as binary for transfer programs.
	p.printf("%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n")
	return p
}

func (p *PDF) printf(format string, args ...any) { fmt.Fprintf(&p.w, format, args...) }

// newObj reserves the next object number.
func (p *PDF) newObj() int {
	p.offsets = append(p.offsets, 0)
	return len(p.offsets) - 1
}

// beginObj records where object num starts and writes its header.
func (p *PDF) beginObj(num int) {
	p.offsets[num] = p.w.n
	p.printf("%d 0 obj\n", num)
}

// writeErr reports a failure of the output.
func writeErr(err error) error { return fmt.Errorf("document: write pdf: %w", err) }

// AddTIFFPage adds one page whose image data is read from r, the TIFF file
// that pg was read from. A page the writer cannot represent is refused with
// an *InputError before anything is written, and the PDF stays usable; any
// later failure (reading r, writing the output) leaves it unusable, and
// every further call returns that error.
func (p *PDF) AddTIFFPage(r io.ReaderAt, pg Page) error {
	if p.closed {
		return ErrClosed
	}
	if p.err != nil {
		return p.err
	}
	if err := checkPage(&pg); err != nil {
		return &InputError{Page: pg.Number, Err: err}
	}
	if err := p.writePage(r, &pg); err != nil {
		p.err = err
		return err
	}
	return nil
}

// checkPage refuses a page the writer cannot turn into PDF.
func checkPage(pg *Page) error {
	switch pg.Compression {
	case CompressionNone, CompressionCCITTRLE:
	case CompressionG3:
		if pg.T4Options&T4Uncompressed != 0 {
			return unsupported("G3 uncompressed mode")
		}
	case CompressionG4:
		if pg.T6Options&T6Uncompressed != 0 {
			return unsupported("G4 uncompressed mode")
		}
	default:
		return unsupported("compression %d", pg.Compression)
	}
	switch {
	case pg.BitsPerSample != 1:
		return unsupported("bits per sample %d", pg.BitsPerSample)
	case pg.SamplesPerPixel != 1:
		return unsupported("samples per pixel %d", pg.SamplesPerPixel)
	case pg.Photometric != 0 && pg.Photometric != 1:
		return unsupported("photometric interpretation %d", pg.Photometric)
	case pg.FillOrder != 1 && pg.FillOrder != 2:
		return unsupported("fill order %d", pg.FillOrder)
	case pg.Width < 1 || pg.Height < 1 || pg.Width > MaxDimension || pg.Height > MaxDimension:
		return damaged("page size %dx%d outside 1..%d pixels", pg.Width, pg.Height, MaxDimension)
	case !(pg.XRes > 0 && pg.YRes > 0) || math.IsInf(pg.XRes, 0) || math.IsInf(pg.YRes, 0):
		return damaged("resolution %gx%g", pg.XRes, pg.YRes)
	case pg.RowsPerStrip < 1:
		return damaged("rows per strip %d", pg.RowsPerStrip)
	}
	if want := pg.stripsNeeded(); len(pg.Strips) != want {
		return damaged("%d rows in strips of %d need %d strips, the page has %d",
			pg.Height, pg.RowsPerStrip, want, len(pg.Strips))
	}
	for i, s := range pg.Strips {
		if s.Offset < 0 || s.Length <= 0 {
			return damaged("strip %d has offset %d and length %d", i+1, s.Offset, s.Length)
		}
		if need := int64(pg.stripRows(i)) * pg.rowBytes(); pg.Compression == CompressionNone && s.Length < need {
			return damaged("strip %d holds %d bytes, %d rows need %d", i+1, s.Length, pg.stripRows(i), need)
		}
	}
	return nil
}

// writePage writes the image XObjects of every strip, the content stream
// that stacks them, and the page object.
func (p *PDF) writePage(r io.ReaderAt, pg *Page) error {
	images := make([]int, len(pg.Strips))
	for i := range pg.Strips {
		num, err := p.writeStrip(r, pg, i)
		if err != nil {
			return err
		}
		images[i] = num
	}

	// Draw in pixel units: one unit is one TIFF pixel, so each strip sits at
	// whole-number coordinates and non-square pixels scale the page, not
	// the picture.
	var c bytes.Buffer
	fmt.Fprintf(&c, "q %s 0 0 %s 0 0 cm\n", num(72/pg.XRes), num(72/pg.YRes))
	top := 0
	for i := range images {
		rows := pg.stripRows(i)
		fmt.Fprintf(&c, "q %d 0 0 %d 0 %d cm /Im%d Do Q\n", pg.Width, rows, pg.Height-top-rows, i+1)
		top += rows
	}
	c.WriteString("Q")
	content := p.newObj()
	p.beginObj(content)
	p.printf("<< /Length %d >>\nstream\n", c.Len())
	p.w.Write(c.Bytes())
	p.printf("\nendstream\nendobj\n")

	parent := pageTreeObj
	if i := len(p.pages); i >= pagesPerNode {
		k := i/pagesPerNode - 1
		if k == len(p.nodes) {
			p.nodes = append(p.nodes, p.newObj())
		}
		parent = p.nodes[k]
	}
	page := p.newObj()
	p.beginObj(page)
	p.printf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s]\n", parent,
		num(float64(pg.Width)/pg.XRes*72), num(float64(pg.Height)/pg.YRes*72))
	p.printf("/Resources << /ProcSet [/PDF /ImageB] /XObject <<")
	for i, obj := range images {
		p.printf(" /Im%d %d 0 R", i+1, obj)
	}
	p.printf(" >> >>\n/Contents %d 0 R >>\nendobj\n", content)
	p.pages = append(p.pages, page)
	if p.w.err != nil {
		return writeErr(p.w.err)
	}
	return nil
}

// writeStrip writes strip i of the page as an image XObject and returns its
// object number.
func (p *PDF) writeStrip(r io.ReaderAt, pg *Page, i int) (int, error) {
	rows := pg.stripRows(i)
	obj := p.newObj()
	p.beginObj(obj)
	p.printf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1\n",
		pg.Width, rows)
	if pg.Compression == CompressionNone {
		return obj, p.writeFlate(r, pg, i)
	}
	p.printf("/Filter /CCITTFaxDecode /DecodeParms %s\n/Length %d >>\nstream\n", ccittParams(pg, rows), pg.Strips[i].Length)
	if err := p.copyStrip(&p.w, r, pg, i, pg.Strips[i].Length); err != nil {
		return 0, err
	}
	p.printf("\nendstream\nendobj\n")
	return obj, nil
}

// ccittParams returns the /DecodeParms dictionary for a CCITT strip of the
// given rows.
func ccittParams(pg *Page, rows int) string {
	k, eol, align := -1, false, false // Group 4
	switch pg.Compression {
	case CompressionCCITTRLE:
		k, align = 0, true // modified Huffman rows, each starting on a byte, no EOL codes
	case CompressionG3:
		// TIFF G3 rows each start with an EOL code. With fill bits the
		// EOL ends on a byte boundary; readers take EncodedByteAlign that
		// way only when EndOfLine is true (Ghostscript misreads the rows
		// otherwise).
		k, eol, align = 0, true, pg.T4Options&T4FillBits != 0
		if pg.T4Options&T4TwoDimensional != 0 {
			// Readers only look at the sign of K; the strip's row count
			// is a bound that holds for any 2-D run length.
			k = max(rows, 1)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<< /K %d /Columns %d /Rows %d /EndOfBlock false", k, pg.Width, rows)
	if eol {
		b.WriteString(" /EndOfLine true")
	}
	if align {
		b.WriteString(" /EncodedByteAlign true")
	}
	if pg.Photometric == 1 {
		// CCITT codes describe runs of 0 bits ("white" codes) and 1 bits.
		// In a min-is-black page 0 bits are black, so the codes' 1 bits
		// stand for white, which is what BlackIs1 false assumes for 0.
		b.WriteString(" /BlackIs1 true")
	}
	b.WriteString(" >>")
	return b.String()
}

// writeFlate writes the rows of uncompressed strip i through zlib, with the
// stream length as a separate object that follows.
func (p *PDF) writeFlate(r io.ReaderAt, pg *Page, i int) error {
	lenObj := p.newObj()
	decode := ""
	if pg.Photometric == 0 {
		decode = " /Decode [1 0]" // 1 bits are black; DeviceGray 1 is white
	}
	p.printf("/Filter /FlateDecode%s /Length %d 0 R >>\nstream\n", decode, lenObj)
	start := p.w.n
	if p.zw == nil {
		p.zw = zlib.NewWriter(&p.w)
	} else {
		p.zw.Reset(&p.w)
	}
	if err := p.copyStrip(p.zw, r, pg, i, int64(pg.stripRows(i))*pg.rowBytes()); err != nil {
		return err
	}
	if err := p.zw.Close(); err != nil {
		return writeErr(err)
	}
	n := p.w.n - start
	p.printf("\nendstream\nendobj\n")
	p.beginObj(lenObj)
	p.printf("%d\nendobj\n", n)
	return nil
}

// copyStrip copies the first n bytes of strip i to dst, reversing the bits
// of each byte for FillOrder 2.
func (p *PDF) copyStrip(dst io.Writer, r io.ReaderAt, pg *Page, i int, n int64) error {
	if p.buf == nil {
		p.buf = make([]byte, ioBufSize)
	}
	src := io.NewSectionReader(r, pg.Strips[i].Offset, n)
	for n > 0 {
		b := p.buf[:min(int64(len(p.buf)), n)]
		if _, err := io.ReadFull(src, b); err != nil {
			return &InputError{Page: pg.Number, Err: fmt.Errorf("strip %d: %w", i+1, err)}
		}
		if pg.FillOrder == 2 {
			for j, v := range b {
				b[j] = bits.Reverse8(v)
			}
		}
		if _, err := dst.Write(b); err != nil {
			return writeErr(err)
		}
		n -= int64(len(b))
	}
	return nil
}

// Close writes the page tree, the information dictionary, the
// cross-reference table and the trailer, and flushes the output. It does
// not close the underlying writer.
func (p *PDF) Close() error {
	if p.closed {
		return ErrClosed
	}
	p.closed = true
	if p.err != nil {
		return p.err
	}

	direct := p.pages[:min(len(p.pages), pagesPerNode)]
	for k, node := range p.nodes {
		kids := p.pages[(k+1)*pagesPerNode : min(len(p.pages), (k+2)*pagesPerNode)]
		p.beginObj(node)
		p.printf("<< /Type /Pages /Parent %d 0 R /Count %d /Kids [%s] >>\nendobj\n", pageTreeObj, len(kids), refs(kids))
	}
	p.beginObj(pageTreeObj)
	p.printf("<< /Type /Pages /Count %d /Kids [%s] >>\nendobj\n", len(p.pages), refs(append(direct[:len(direct):len(direct)], p.nodes...)))
	p.beginObj(catalogObj)
	p.printf("<< /Type /Catalog /Pages %d 0 R >>\nendobj\n", pageTreeObj)
	p.beginObj(infoObj)
	p.printf("<<")
	if p.info.Title != "" {
		p.printf(" /Title %s", pdfString(p.info.Title))
	}
	if p.info.Producer != "" {
		p.printf(" /Producer %s", pdfString(p.info.Producer))
	}
	if !p.info.Created.IsZero() {
		p.printf(" /CreationDate %s", pdfString(pdfDate(p.info.Created)))
	}
	p.printf(" >>\nendobj\n")

	xref := p.w.n
	p.printf("xref\n0 %d\n0000000000 65535 f \n", len(p.offsets))
	for _, off := range p.offsets[1:] {
		p.printf("%010d 00000 n \n", off)
	}
	p.printf("trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n",
		len(p.offsets), catalogObj, infoObj, xref)
	if p.w.err == nil {
		p.w.err = p.bw.Flush()
	}
	if p.w.err != nil {
		p.err = writeErr(p.w.err)
		return p.err
	}
	return nil
}

// refs formats object numbers as a list of indirect references.
func refs(objs []int) string {
	var b strings.Builder
	for i, o := range objs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d 0 R", o)
	}
	return b.String()
}

// num formats a real number for PDF: fixed point, no exponent, shortest form
// that reads back as the same float64.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// pdfString encodes s as a PDF text string: a literal string when s is
// printable ASCII, else UTF-16BE with a byte order mark in hex.
func pdfString(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		ascii = ascii && s[i] >= 0x20 && s[i] < 0x7f
	}
	if ascii {
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return "(" + r.Replace(s) + ")"
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// pdfDate formats t as a PDF date, D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off/60%60)
}

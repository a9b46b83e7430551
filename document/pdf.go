package document

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"io"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Info describes the document: what its information dictionary says, and
// how its pages are written.
type Info struct {
	Title    string    // document title shown by viewers; omitted when empty
	Producer string    // program that made the file, e.g. "Scangate 1.2"; omitted when empty
	Created  time.Time // CreationDate; omitted when zero
	// Compact recodes G3 pages (T.4, 1-D or 2-D) as G4, and G4 pages in
	// several strips as one G4 image: lossless, and a third to a half
	// smaller, at the cost of decoding them. Without it G3 and G4 data
	// pass through unchanged.
	Compact bool
	// Mode is the permission of the finished file; 0 means 0644. A spool
	// keeps its files private (0600).
	Mode os.FileMode
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
	recoded []byte // G4 data of the image being recoded
	err     error  // first failure that left the output unusable
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
// AddPage or Close.
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

// AddPage adds one page whose image data is read from r, the file that pg
// was read from (by ReadPages, ReadTIFF, ReadJPEG or ReadPBM). A page the
// writer cannot represent is refused with an *InputError before anything is
// written, and the PDF stays usable; any later failure (reading r, writing
// the output) leaves it unusable, and every further call returns that error.
func (p *PDF) AddPage(r io.ReaderAt, pg Page) error {
	if p.closed {
		return ErrClosed
	}
	if p.err != nil {
		return p.err
	}
	plans, err := p.plan(r, &pg)
	if err != nil {
		return &InputError{Page: pg.Number, Err: err}
	}
	if err := p.writePage(r, &pg, plans); err != nil {
		p.err = err
		return err
	}
	return nil
}

// imageKind is how the data of an image XObject reach the PDF.
type imageKind int

const (
	copyData    imageKind = iota // the coded bytes of one strip or tile unchanged (CCITT, JPEG), bits reversed for FillOrder 2
	encodeRows                   // uncompressed rows coded as G4
	recodeCCITT                  // CCITT data decoded and coded again as G4, or copied when that does not pay
)

// imagePlan is how strips or tiles of a page become an image XObject.
type imagePlan struct {
	kind     imageKind
	first, n int    // the strips (stacked) or the tile the image is made of
	w, h     int    // size of the coded image in pixels
	dict     string // the image dictionary's entries from /ColorSpace up to /Length
	// tables go into a JPEG strip after its SOI marker: the page's shared
	// JPEGTables without their own SOI and EOI, and for RGB samples an
	// Adobe segment that says so.
	tables []byte
}

// plan checks a page and works out how its strips or tiles are written,
// reading only JPEG headers.
func (p *PDF) plan(r io.ReaderAt, pg *Page) ([]imagePlan, error) {
	if err := checkPage(pg); err != nil {
		return nil, err
	}
	if pg.Compression == CompressionJPEG {
		return planJPEG(r, pg)
	}
	return planBilevel(pg, p.info.Compact), nil
}

// pieceName is what the page's pieces are called in messages.
func pieceName(pg *Page) string {
	if pg.Tiled() {
		return "tile"
	}
	return "strip"
}

// checkPage refuses a page the writer cannot turn into PDF.
func checkPage(pg *Page) error {
	switch pg.Compression {
	case CompressionNone, CompressionCCITTRLE, CompressionG3, CompressionG4:
		if err := checkBilevel(pg); err != nil {
			return err
		}
	case CompressionJPEG:
		if err := checkJPEG(pg); err != nil {
			return err
		}
	default:
		return unsupported("compression %d", pg.Compression)
	}
	switch {
	case pg.Width < 1 || pg.Height < 1 || pg.Width > MaxDimension || pg.Height > MaxDimension:
		return damaged("page size %dx%d outside 1..%d pixels", pg.Width, pg.Height, MaxDimension)
	case !(pg.XRes > 0 && pg.YRes > 0) || math.IsInf(pg.XRes, 0) || math.IsInf(pg.YRes, 0):
		return damaged("resolution %gx%g", pg.XRes, pg.YRes)
	case pg.Tiled() && (pg.TileLength < 1 || pg.TileWidth > MaxDimension || pg.TileLength > MaxDimension):
		return damaged("tile size %dx%d outside 1..%d pixels", pg.TileWidth, pg.TileLength, MaxDimension)
	case !pg.Tiled() && pg.RowsPerStrip < 1:
		return damaged("rows per strip %d", pg.RowsPerStrip)
	case pg.Format == FormatPlainPBM && pg.Compression != CompressionNone:
		return damaged("plain PBM page with compression %d", pg.Compression)
	}
	if want := pg.cells(); int64(len(pg.Strips)) != want {
		if pg.Tiled() {
			return damaged("%dx%d pixels in tiles of %dx%d need %d tiles, the page has %d",
				pg.Width, pg.Height, pg.TileWidth, pg.TileLength, want, len(pg.Strips))
		}
		return damaged("%d rows in strips of %d need %d strips, the page has %d",
			pg.Height, pg.RowsPerStrip, want, len(pg.Strips))
	}
	for i, s := range pg.Strips {
		if s.Offset < 0 || s.Length <= 0 {
			return damaged("%s %d has offset %d and length %d", pieceName(pg), i+1, s.Offset, s.Length)
		}
		cell := pg.Cell(i)
		if need := int64(cell.Dy()) * packedRowBytes(cell.Dx()); pg.Compression == CompressionNone && pg.Format != FormatPlainPBM && s.Length < need {
			return damaged("%s %d holds %d bytes, %d rows need %d", pieceName(pg), i+1, s.Length, cell.Dy(), need)
		}
	}
	return nil
}

// checkBilevel refuses a CCITT or uncompressed page that is not plain
// black and white.
func checkBilevel(pg *Page) error {
	switch {
	case pg.Compression == CompressionG3 && pg.T4Options&T4Uncompressed != 0:
		return unsupported("G3 uncompressed mode")
	case pg.Compression == CompressionG4 && pg.T6Options&T6Uncompressed != 0:
		return unsupported("G4 uncompressed mode")
	case pg.BitsPerSample != 1:
		return unsupported("bits per sample %d", pg.BitsPerSample)
	case pg.SamplesPerPixel != 1:
		return unsupported("samples per pixel %d", pg.SamplesPerPixel)
	case pg.Photometric != 0 && pg.Photometric != 1:
		return unsupported("photometric interpretation %d", pg.Photometric)
	case pg.FillOrder != 1 && pg.FillOrder != 2:
		return unsupported("fill order %d", pg.FillOrder)
	}
	return nil
}

// placed is an image XObject and where its top-left corner goes on the
// page, in pixels from the page's top-left corner.
type placed struct {
	obj  int
	at   image.Point
	w, h int
}

// writePage writes the image XObjects of a page, the content stream that
// places them, and the page object.
func (p *PDF) writePage(r io.ReaderAt, pg *Page, plans []imagePlan) error {
	images, err := p.writePlans(r, pg, plans)
	if err != nil {
		return err
	}

	// Draw in pixel units: one unit is one pixel, so each image sits at
	// whole-number coordinates and non-square pixels scale the page, not
	// the picture. Tiles that reach past the page are clipped.
	var c bytes.Buffer
	fmt.Fprintf(&c, "q %s 0 0 %s 0 0 cm\n", num(72/pg.XRes), num(72/pg.YRes))
	page := image.Rect(0, 0, pg.Width, pg.Height)
	for _, im := range images {
		if !image.Rect(im.at.X, im.at.Y, im.at.X+im.w, im.at.Y+im.h).In(page) {
			fmt.Fprintf(&c, "0 0 %d %d re W n\n", pg.Width, pg.Height)
			break
		}
	}
	for i, im := range images {
		fmt.Fprintf(&c, "q %d 0 0 %d %d %d cm /Im%d Do Q\n", im.w, im.h, im.at.X, pg.Height-im.at.Y-im.h, i+1)
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
	procSet := "/ImageB"
	if pg.SamplesPerPixel > 1 {
		procSet = "/ImageC"
	}
	obj := p.newObj()
	p.beginObj(obj)
	p.printf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s]\n", parent,
		num(float64(pg.Width)/pg.XRes*72), num(float64(pg.Height)/pg.YRes*72))
	p.printf("/Resources << /ProcSet [/PDF %s] /XObject <<", procSet)
	for i, im := range images {
		p.printf(" /Im%d %d 0 R", i+1, im.obj)
	}
	p.printf(" >> >>\n/Contents %d 0 R >>\nendobj\n", content)
	p.pages = append(p.pages, obj)
	if p.w.err != nil {
		return writeErr(p.w.err)
	}
	return nil
}

// writePlans writes the image XObjects of plans: one each, except where
// recoding falls back to copying each strip.
func (p *PDF) writePlans(r io.ReaderAt, pg *Page, plans []imagePlan) ([]placed, error) {
	var images []placed
	for i := range plans {
		pl := &plans[i]
		var obj int
		switch pl.kind {
		case recodeCCITT:
			data, ok := p.recode(r, pg, pl)
			if !ok {
				ims, err := p.writePlans(r, pg, copyPlans(pg, pl.first, pl.n))
				if err != nil {
					return nil, err
				}
				images = append(images, ims...)
				continue
			}
			obj = p.beginImage(pl)
			p.printf(" /Length %d >>\nstream\n", len(data))
			p.w.Write(data)
			p.printf("\nendstream\nendobj\n")
		case encodeRows:
			obj = p.beginImage(pl)
			if err := p.writeStream(func(w io.Writer) error { return p.encodeRows(w, r, pg, pl) }); err != nil {
				return nil, err
			}
		default:
			obj = p.beginImage(pl)
			if err := p.writeCopy(r, pg, pl.first, pl.tables); err != nil {
				return nil, err
			}
		}
		images = append(images, placed{obj, pg.Cell(pl.first).Min, pl.w, pl.h})
	}
	return images, nil
}

// beginImage starts an image XObject, writes its dictionary up to /Length
// and returns its object number.
func (p *PDF) beginImage(pl *imagePlan) int {
	obj := p.newObj()
	p.beginObj(obj)
	p.printf("<< /Type /XObject /Subtype /Image /Width %d /Height %d %s", pl.w, pl.h, pl.dict)
	return obj
}

// writeCopy writes the stream of strip i as it is in the file, with tables
// put in after its first two bytes (a JPEG SOI marker).
func (p *PDF) writeCopy(r io.ReaderAt, pg *Page, i int, tables []byte) error {
	s := pg.Strips[i]
	p.printf(" /Length %d >>\nstream\n", s.Length+int64(len(tables)))
	var err error
	if len(tables) > 0 {
		err = p.copyRange(&p.w, r, pg, i, 0, 2)
		p.w.Write(tables)
		if err == nil {
			err = p.copyRange(&p.w, r, pg, i, 2, s.Length-2)
		}
	} else {
		err = p.copyRange(&p.w, r, pg, i, 0, s.Length)
	}
	if err != nil {
		return err
	}
	p.printf("\nendstream\nendobj\n")
	return nil
}

// writeStream writes a stream whose length is known only once fill has
// written it, with that length as a separate object that follows.
func (p *PDF) writeStream(fill func(w io.Writer) error) error {
	lenObj := p.newObj()
	p.printf(" /Length %d 0 R >>\nstream\n", lenObj)
	start := p.w.n
	if err := fill(&p.w); err != nil {
		if p.w.err != nil {
			return writeErr(p.w.err)
		}
		return err
	}
	n := p.w.n - start
	p.printf("\nendstream\nendobj\n")
	p.beginObj(lenObj)
	p.printf("%d\nendobj\n", n)
	return nil
}

// copyRange copies n bytes from offset off of strip i to dst, reversing the
// bits of each byte for FillOrder 2 (which, as in libtiff, JPEG data ignore).
func (p *PDF) copyRange(dst io.Writer, r io.ReaderAt, pg *Page, i int, off, n int64) error {
	reverse := pg.FillOrder == 2 && pg.Compression != CompressionJPEG
	if p.buf == nil {
		p.buf = make([]byte, ioBufSize)
	}
	src := io.NewSectionReader(r, pg.Strips[i].Offset+off, n)
	for n > 0 {
		b := p.buf[:min(int64(len(p.buf)), n)]
		if _, err := io.ReadFull(src, b); err != nil {
			return p.readErr(pg, i, err)
		}
		if reverse {
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

// readErr reports a failure to read strip i of a page.
func (p *PDF) readErr(pg *Page, i int, err error) error {
	return &InputError{Page: pg.Number, Err: fmt.Errorf("%s %d: %w", pieceName(pg), i+1, err)}
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

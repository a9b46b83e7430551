package document

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
)

// Limits of the TIFF reader. They bound the memory and time spent on one file
// whatever its content; a file beyond them is refused with ErrLimit.
const (
	// MaxPages is the largest number of IFDs (pages) read from one file.
	MaxPages = 10000
	// MaxDimension is the largest width or height of a page, in pixels.
	MaxDimension = 65535
	// MaxIFDEntries is the largest number of tag entries in one IFD. Real
	// fax and scanner files carry a few dozen.
	MaxIFDEntries = 1000
	// MaxStrips is the largest number of strips in one file, all pages
	// together (each costs 16 bytes of memory).
	MaxStrips = 1 << 18
)

// Resolution defaults, used when a page carries no usable resolution.
const (
	faxXRes       = 204  // dpi across a fax page (8 dots/mm)
	faxFineYRes   = 196  // dpi down a fine-mode fax page (7.7 lines/mm)
	faxNormalYRes = 98   // dpi down a normal-mode fax page (3.85 lines/mm)
	otherRes      = 200  // dpi both ways for a page that is not fax-shaped
	normalMaxRows = 1500 // a fax page this tall or less is normal mode (an A4/letter/legal page is 1078-1372 rows at 98 dpi)
	minDPI        = 10   // resolutions outside [minDPI, maxDPI] are treated as missing
	maxDPI        = 10000
)

// faxWidths are the T.4 line widths at 8 dots/mm: A4, B4 and A3.
var faxWidths = [...]int{1728, 2048, 2432}

// TIFF tags read by ReadTIFF; every other tag is skipped unread.
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagFillOrder       = 266
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagYResolution     = 283
	tagPlanarConfig    = 284
	tagT4Options       = 292
	tagT6Options       = 293
	tagResolutionUnit  = 296
	tagTileWidth       = 322
)

// TIFF field types that carry numbers this reader uses.
const (
	typeByte     = 1
	typeShort    = 3
	typeLong     = 4
	typeRational = 5
)

// Compression values (tag 259) known to this package.
const (
	CompressionNone     = 1 // uncompressed
	CompressionCCITTRLE = 2 // CCITT modified Huffman, each row byte-aligned, no EOL
	CompressionG3       = 3 // CCITT T.4 (Group 3), 1-D or 2-D per T4Options
	CompressionG4       = 4 // CCITT T.6 (Group 4)
)

// T4Options and T6Options bits.
const (
	T4TwoDimensional = 1 << 0 // G3 data mixes 1-D and 2-D coded rows
	T4Uncompressed   = 1 << 1 // G3 data may use uncompressed mode
	T4FillBits       = 1 << 2 // EOL codes are padded to end on a byte boundary
	T6Uncompressed   = 1 << 1 // G4 data may use uncompressed mode
)

// Page describes one TIFF page (IFD) without its image data.
type Page struct {
	Number          int     // 1-based position of the IFD in its file
	Width, Height   int     // pixels
	XRes, YRes      float64 // dots per inch, after unit conversion and defaults
	ResGuessed      bool    // XRes or YRes came from the default rule, not the file
	Compression     int     // TIFF tag 259 (1 none, 2 CCITT RLE, 3 G3, 4 G4, ...)
	Photometric     int     // 0 min-is-white, 1 min-is-black (0 when the tag is missing)
	FillOrder       int     // 1 most significant bit first, 2 least significant first
	T4Options       uint32  // tag 292, for compression 3
	T6Options       uint32  // tag 293, for compression 4
	BitsPerSample   int     // first value of tag 258
	SamplesPerPixel int
	RowsPerStrip    int // at most Height
	Strips          []Strip
}

// Strip is one independently coded run of rows in the file.
type Strip struct{ Offset, Length int64 }

// stripRows returns how many rows strip i of the page holds.
func (pg *Page) stripRows(i int) int {
	return min(pg.RowsPerStrip, pg.Height-i*pg.RowsPerStrip)
}

// stripsNeeded returns how many strips hold the page's rows (per sample plane).
func (pg *Page) stripsNeeded() int { return (pg.Height + pg.RowsPerStrip - 1) / pg.RowsPerStrip }

// rowBytes returns the size of one uncompressed row.
func (pg *Page) rowBytes() int64 { return int64(pg.Width+7) / 8 }

// ReadTIFF reads the structure of a classic TIFF file of size bytes: every
// IFD in the chain, in order, except reduced-resolution copies (thumbnails).
// It reads only tags, never image data, and checks that every strip lies
// inside the file. Errors are *InputError values naming the page.
func ReadTIFF(r io.ReaderAt, size int64) ([]Page, error) {
	t := &tiffReader{r: r, size: size}
	var hdr [8]byte
	if size < 4 {
		return nil, &InputError{Err: ErrNotTIFF}
	}
	if err := t.readAt(hdr[:4], 0); err != nil {
		return nil, &InputError{Err: err}
	}
	switch string(hdr[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return nil, &InputError{Err: ErrNotTIFF}
	}
	switch t.bo.Uint16(hdr[2:]) {
	case 42:
	case 43:
		return nil, &InputError{Err: unsupported("BigTIFF")}
	default:
		return nil, &InputError{Err: ErrNotTIFF}
	}
	if size < 8 {
		return nil, &InputError{Err: damaged("file ends inside the header")}
	}
	if err := t.readAt(hdr[4:], 4); err != nil {
		return nil, &InputError{Err: err}
	}

	var pages []Page
	visited := make(map[int64]bool)
	off := int64(t.bo.Uint32(hdr[4:]))
	for n := 1; off != 0; n++ {
		fail := func(err error) ([]Page, error) { return nil, &InputError{Page: n, Err: err} }
		if n > MaxPages {
			return fail(overLimit("more than %d pages", MaxPages))
		}
		if off < 8 {
			return fail(damaged("IFD offset %d points into the header", off))
		}
		if visited[off] {
			return fail(damaged("IFD chain loops back to offset %d", off))
		}
		visited[off] = true
		pg, next, err := t.readIFD(off, n)
		if err != nil {
			return fail(err)
		}
		if pg != nil {
			pages = append(pages, *pg)
		}
		off = next
	}
	if len(pages) == 0 {
		return nil, &InputError{Err: damaged("no pages")}
	}
	return pages, nil
}

// tiffReader reads bounded pieces of one TIFF file and keeps the running
// totals that the limits apply to.
type tiffReader struct {
	r          io.ReaderAt
	size       int64
	bo         binary.ByteOrder
	nstrips    int   // strips seen so far, all pages
	stripBytes int64 // their total length
}

// readAt fills b from offset off, which the caller has checked lies in the file.
func (t *tiffReader) readAt(b []byte, off int64) error {
	n, err := t.r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return damaged("file is shorter than its stated size")
	}
	return err
}

// read returns n bytes at off, or an error naming what lies past the end.
func (t *tiffReader) read(off int64, n uint64, what string) ([]byte, error) {
	if off < 0 || off > t.size || n > uint64(t.size-off) {
		return nil, damaged("%s extends past end of file", what)
	}
	b := make([]byte, n)
	return b, t.readAt(b, off)
}

// entry is one 12-byte IFD entry.
type entry struct {
	tag, typ uint16
	count    uint32
	value    [4]byte // the value itself when it fits, else its offset
}

// typeSize is the byte size of one value of the field types read here.
func typeSize(typ uint16) uint64 {
	switch typ {
	case typeShort:
		return 2
	case typeLong:
		return 4
	case typeRational:
		return 8
	}
	return 1
}

// data returns the bytes of the entry's first max values.
func (t *tiffReader) data(e entry, max uint32) ([]byte, error) {
	sz := typeSize(e.typ) // callers have checked the type
	if e.count == 0 {
		return nil, damaged("tag %d has no value", e.tag)
	}
	if uint64(e.count)*sz <= 4 {
		return e.value[:uint64(min(e.count, max))*sz], nil
	}
	return t.read(int64(t.bo.Uint32(e.value[:])), uint64(min(e.count, max))*sz, tagName(e.tag))
}

// ints returns the entry's values as integers; the type must be BYTE, SHORT or LONG.
func (t *tiffReader) ints(e entry, max uint32) ([]uint32, error) {
	if e.typ != typeByte && e.typ != typeShort && e.typ != typeLong {
		return nil, damaged("tag %d has type %d, want an integer", e.tag, e.typ)
	}
	b, err := t.data(e, max)
	if err != nil {
		return nil, err
	}
	sz := int(typeSize(e.typ))
	v := make([]uint32, len(b)/sz)
	for i := range v {
		switch sz {
		case 1:
			v[i] = uint32(b[i])
		case 2:
			v[i] = uint32(t.bo.Uint16(b[2*i:]))
		default:
			v[i] = t.bo.Uint32(b[4*i:])
		}
	}
	return v, nil
}

// int1 returns the entry's first integer value.
func (t *tiffReader) int1(e entry) (uint32, error) {
	v, err := t.ints(e, 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// number returns the entry's first value as a number; RATIONAL and the
// integer types are accepted. ok is false for a zero denominator.
func (t *tiffReader) number(e entry) (v float64, ok bool, err error) {
	if e.typ != typeRational {
		n, err := t.int1(e)
		return float64(n), err == nil, err
	}
	b, err := t.data(e, 1)
	if err != nil {
		return 0, false, err
	}
	num, den := t.bo.Uint32(b), t.bo.Uint32(b[4:])
	if den == 0 {
		return 0, false, nil
	}
	return float64(num) / float64(den), true, nil
}

func tagName(tag uint16) string {
	switch tag {
	case tagStripOffsets:
		return "strip offset table"
	case tagStripByteCounts:
		return "strip length table"
	}
	return "value of tag " + strconv.Itoa(int(tag))
}

// readIFD reads the IFD at off, which is page n. It returns a nil page for a
// reduced-resolution image, and the offset of the next IFD.
func (t *tiffReader) readIFD(off int64, n int) (*Page, int64, error) {
	cb, err := t.read(off, 2, "IFD")
	if err != nil {
		return nil, 0, err
	}
	count := uint64(t.bo.Uint16(cb))
	if count == 0 {
		return nil, 0, damaged("IFD has no entries")
	}
	if count > MaxIFDEntries {
		return nil, 0, overLimit("IFD has %d entries, more than %d", count, MaxIFDEntries)
	}
	b, err := t.read(off+2, count*12+4, "IFD")
	if err != nil {
		return nil, 0, err
	}
	next := int64(t.bo.Uint32(b[count*12:]))

	tags := make(map[uint16]entry, count)
	for i := range count {
		p := b[i*12:]
		e := entry{tag: t.bo.Uint16(p), typ: t.bo.Uint16(p[2:]), count: t.bo.Uint32(p[4:])}
		copy(e.value[:], p[8:12])
		tags[e.tag] = e
	}
	if e, ok := tags[tagNewSubfileType]; ok {
		v, err := t.int1(e)
		if err != nil {
			return nil, 0, err
		}
		if v&1 != 0 { // a reduced-resolution copy of another page
			return nil, next, nil
		}
	}
	pg, err := t.page(tags, n)
	return pg, next, err
}

// intField maps an integer tag onto a Page field; def < 0 marks a required tag.
type intField struct {
	tag  uint16
	dst  *int
	def  int
	name string
}

// page builds and checks a Page from the tags of one IFD.
func (t *tiffReader) page(tags map[uint16]entry, n int) (*Page, error) {
	if _, ok := tags[tagTileWidth]; ok {
		return nil, unsupported("tiled image")
	}
	pg := &Page{Number: n}
	var planar, rps int
	// Integer tags with their defaults; required ones have default -1.
	fields := []intField{
		{tagImageWidth, &pg.Width, -1, "image width"},
		{tagImageLength, &pg.Height, -1, "image length"},
		{tagBitsPerSample, &pg.BitsPerSample, 1, ""},
		{tagSamplesPerPixel, &pg.SamplesPerPixel, 1, ""},
		{tagCompression, &pg.Compression, CompressionNone, ""},
		{tagPhotometric, &pg.Photometric, 0, ""},
		{tagFillOrder, &pg.FillOrder, 1, ""},
		{tagPlanarConfig, &planar, 1, ""},
		{tagRowsPerStrip, &rps, 0, ""},
	}
	for _, f := range fields {
		e, ok := tags[f.tag]
		if !ok {
			if f.def < 0 {
				return nil, damaged("missing required tag %d (%s)", f.tag, f.name)
			}
			*f.dst = f.def
			continue
		}
		v, err := t.int1(e)
		if err != nil {
			return nil, err
		}
		*f.dst = int(min(v, math.MaxInt32))
	}
	for _, opt := range []struct {
		tag uint16
		dst *uint32
	}{{tagT4Options, &pg.T4Options}, {tagT6Options, &pg.T6Options}} {
		if e, ok := tags[opt.tag]; ok {
			v, err := t.int1(e)
			if err != nil {
				return nil, err
			}
			*opt.dst = v
		}
	}

	for _, d := range []struct {
		v    int
		name string
	}{{pg.Width, "width"}, {pg.Height, "height"}} {
		if d.v == 0 {
			return nil, damaged("%s is 0", d.name)
		}
		if d.v > MaxDimension {
			return nil, overLimit("%s %d is more than %d pixels", d.name, d.v, MaxDimension)
		}
	}
	if rps <= 0 || rps > pg.Height {
		rps = pg.Height
	}
	pg.RowsPerStrip = rps

	if err := t.strips(tags, pg, planar); err != nil {
		return nil, err
	}
	if err := t.resolution(tags, pg); err != nil {
		return nil, err
	}
	return pg, nil
}

// strips reads the strip tables into pg.Strips and checks every strip lies
// inside the file.
func (t *tiffReader) strips(tags map[uint16]entry, pg *Page, planar int) error {
	planes := int64(1)
	if planar == 2 {
		planes = int64(max(pg.SamplesPerPixel, 1)) // each sample has its own strips
	}
	want64 := int64(pg.stripsNeeded()) * planes
	if int64(t.nstrips)+want64 > MaxStrips {
		return overLimit("more than %d strips in the file", MaxStrips)
	}
	want := int(want64)
	oe, ok := tags[tagStripOffsets]
	if !ok {
		return damaged("missing required tag %d (strip offsets)", tagStripOffsets)
	}
	ce, ok := tags[tagStripByteCounts]
	if !ok {
		return damaged("missing required tag %d (strip byte counts)", tagStripByteCounts)
	}
	if int64(oe.count) < int64(want) || int64(ce.count) < int64(want) {
		return damaged("%d rows in strips of %d need %d strips, the file lists %d offsets and %d lengths",
			pg.Height, pg.RowsPerStrip, want, oe.count, ce.count)
	}
	offs, err := t.ints(oe, uint32(want))
	if err != nil {
		return err
	}
	lens, err := t.ints(ce, uint32(want))
	if err != nil {
		return err
	}
	pg.Strips = make([]Strip, want)
	for i := range pg.Strips {
		s := Strip{Offset: int64(offs[i]), Length: int64(lens[i])}
		if s.Length == 0 {
			return damaged("strip %d is empty", i+1)
		}
		if s.Offset+s.Length > t.size {
			return damaged("strip %d extends past end of file", i+1)
		}
		t.stripBytes += s.Length
		pg.Strips[i] = s
	}
	t.nstrips += want
	// Strips of a sound file do not overlap, so together they fit in the
	// file. Checking this stops a small file from naming the same bytes
	// many times over and blowing up the output.
	if t.stripBytes > t.size {
		return damaged("strips overlap: %d bytes of strip data in a %d-byte file", t.stripBytes, t.size)
	}
	return nil
}

// resolution sets pg.XRes and pg.YRes from tags 282, 283 and 296, falling
// back to the default rule (see doc.go) for what is missing or implausible.
func (t *tiffReader) resolution(tags map[uint16]entry, pg *Page) error {
	unit := uint32(2)
	if e, ok := tags[tagResolutionUnit]; ok {
		v, err := t.int1(e)
		if err != nil {
			return err
		}
		unit = v
	}
	read := func(tag uint16) (float64, bool, error) {
		e, ok := tags[tag]
		if !ok || (unit != 2 && unit != 3) {
			return 0, false, nil
		}
		v, ok, err := t.number(e)
		if unit == 3 {
			v *= 2.54
		}
		return v, ok && v >= minDPI && v <= maxDPI, err
	}
	x, xok, err := read(tagXResolution)
	if err != nil {
		return err
	}
	y, yok, err := read(tagYResolution)
	if err != nil {
		return err
	}
	pg.XRes, pg.YRes, pg.ResGuessed = guessResolution(pg.Width, pg.Height, x, y, xok, yok)
	return nil
}

// guessResolution completes a page's resolution. A page of a T.4 fax width
// is a fax page: 204 dpi across and 196 dpi down, or 98 dpi down when it is
// at most normalMaxRows tall. Any other page is taken as 200x200 dpi. When
// only one of the two values is known, a fax page takes the other from the
// fax rule, and any other page is taken as square.
func guessResolution(w, h int, x, y float64, xok, yok bool) (float64, float64, bool) {
	if xok && yok {
		return x, y, false
	}
	fax := false
	for _, fw := range faxWidths {
		fax = fax || w == fw
	}
	dx, dy := float64(otherRes), float64(otherRes)
	if fax {
		dx, dy = faxXRes, faxFineYRes
		if h <= normalMaxRows {
			dy = faxNormalYRes
		}
	}
	switch {
	case xok && fax:
		return x, dy, true
	case xok:
		return x, x, true
	case yok && fax:
		return dx, y, true
	case yok:
		return y, y, true
	}
	return dx, dy, true
}

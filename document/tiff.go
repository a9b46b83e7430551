package document

import (
	"encoding/binary"
	"errors"
	"image"
	"io"
	"math"
	"strconv"
)

// Limits of the readers. They bound the memory and time spent on one file
// whatever its content; a file beyond them is refused with ErrLimit.
const (
	// MaxPages is the largest number of pages (TIFF IFDs, PBM images) read
	// from one file.
	MaxPages = 10000
	// MaxDimension is the largest width or height of a page, in pixels.
	MaxDimension = 65535
	// MaxIFDEntries is the largest number of tag entries in one IFD. Real
	// fax and scanner files carry a few dozen.
	MaxIFDEntries = 1000
	// MaxStrips is the largest number of strips and tiles in one file, all
	// pages together (each costs 16 bytes of memory).
	MaxStrips = 1 << 18
	// MaxJPEGTables is the largest JPEGTables field (tag 347) accepted.
	// Real tables are a few hundred bytes; they are read once per page.
	MaxJPEGTables = 64 << 10
)

// Resolution defaults, used when a page carries no usable resolution.
const (
	faxXRes       = 204  // dpi across a fax page (8 dots/mm)
	faxFineYRes   = 196  // dpi down a fine-mode fax page (7.7 lines/mm)
	faxNormalYRes = 98   // dpi down a normal-mode fax page (3.85 lines/mm)
	otherRes      = 200  // dpi both ways for a page that is not fax-shaped, and for JPEG and PBM pages
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
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
	tagJPEGTables      = 347
)

// TIFF field types that carry values this reader uses.
const (
	typeByte      = 1
	typeShort     = 3
	typeLong      = 4
	typeRational  = 5
	typeUndefined = 7
	typeLong8     = 16 // BigTIFF
)

// Compression values (tag 259) known to this package.
const (
	CompressionNone     = 1 // uncompressed
	CompressionCCITTRLE = 2 // CCITT modified Huffman, each row byte-aligned, no EOL
	CompressionG3       = 3 // CCITT T.4 (Group 3), 1-D or 2-D per T4Options
	CompressionG4       = 4 // CCITT T.6 (Group 4)
	CompressionJPEG     = 7 // JPEG ("new-style", TIFF Technical Note 2), tables in JPEGTables
)

// T4Options and T6Options bits.
const (
	T4TwoDimensional = 1 << 0 // G3 data mixes 1-D and 2-D coded rows
	T4Uncompressed   = 1 << 1 // G3 data may use uncompressed mode
	T4FillBits       = 1 << 2 // EOL codes are padded to end on a byte boundary
	T6Uncompressed   = 1 << 1 // G4 data may use uncompressed mode
)

// Format is the kind of file a page was read from.
type Format int

// Input formats. A page of every format is described the same way: its
// pixels are in Strips, coded as Compression says.
const (
	FormatTIFF     Format = iota // TIFF or BigTIFF
	FormatJPEG                   // a JPEG file: one page whose one strip is the whole file
	FormatPBM                    // binary PBM (P4): each image's raster is one uncompressed strip
	FormatPlainPBM               // plain PBM (P1): the strip holds the raster as ASCII digits
)

// Page describes one page without its image data: a TIFF IFD, a JPEG file or
// one image of a PBM file.
type Page struct {
	Number          int     // 1-based position of the page (IFD, image) in its file
	Format          Format  // the kind of file the page is in
	Width, Height   int     // pixels
	XRes, YRes      float64 // dots per inch, after unit conversion and defaults
	ResGuessed      bool    // XRes or YRes came from the default rule, not the file
	Compression     int     // TIFF tag 259 (1 none, 2 CCITT RLE, 3 G3, 4 G4, 7 JPEG, ...)
	Photometric     int     // 0 min-is-white, 1 min-is-black, 2 RGB, 5 CMYK, 6 YCbCr (0 when the tag is missing)
	FillOrder       int     // 1 most significant bit first, 2 least significant first
	T4Options       uint32  // tag 292, for compression 3
	T6Options       uint32  // tag 293, for compression 4
	BitsPerSample   int     // first value of tag 258
	SamplesPerPixel int
	PlanarConfig    int // 1 samples of a pixel together, 2 each sample in its own plane
	// RowsPerStrip is the number of rows in each strip but the last, at most
	// Height; 0 for a tiled page.
	RowsPerStrip int
	// TileWidth and TileLength are the size of each tile of a tiled page
	// (tags 322, 323); 0 for a page in strips.
	TileWidth, TileLength int
	// Strips are the independently coded pieces of the page: its strips
	// from the top, or its tiles row by row, each row from the left. Cell
	// tells where each one goes.
	Strips []Strip
	// JPEGTables locates the quantization and Huffman tables (tag 347) that
	// the strips of a compression 7 page share; zero when absent.
	JPEGTables Strip
}

// Strip is one independently coded piece of a page (a strip or a tile) in
// the file.
type Strip struct{ Offset, Length int64 }

// Tiled reports whether the page is stored in tiles rather than strips.
func (pg *Page) Tiled() bool { return pg.TileWidth > 0 }

// Cell returns the pixels that strip or tile i codes, in page coordinates
// (x to the right and y down from the top-left corner). A tile at the right
// or bottom edge reaches past the page, since TIFF codes whole tiles; the
// last strip holds only the rows that remain. For a page in separate planes
// only the first plane's pieces have cells.
func (pg *Page) Cell(i int) image.Rectangle {
	if pg.Tiled() {
		across := pg.tilesAcross()
		x, y := i%across*pg.TileWidth, i/across*pg.TileLength
		return image.Rect(x, y, x+pg.TileWidth, y+pg.TileLength)
	}
	y := i * pg.RowsPerStrip
	return image.Rect(0, y, pg.Width, min(pg.Height, y+pg.RowsPerStrip))
}

// tilesAcross returns the number of tiles in one row of tiles.
func (pg *Page) tilesAcross() int { return (pg.Width + pg.TileWidth - 1) / pg.TileWidth }

// cells returns how many strips or tiles cover the page (one sample plane).
func (pg *Page) cells() int64 {
	if pg.Tiled() {
		down := (pg.Height + pg.TileLength - 1) / pg.TileLength
		return int64(pg.tilesAcross()) * int64(down)
	}
	return int64((pg.Height + pg.RowsPerStrip - 1) / pg.RowsPerStrip)
}

// packedRowBytes returns the size of one uncompressed bilevel row of width pixels.
func packedRowBytes(width int) int64 { return int64(width+7) / 8 }

// ReadTIFF reads the structure of a TIFF or BigTIFF file of size bytes:
// every IFD in the chain, in order, except reduced-resolution copies
// (thumbnails). It reads only tags, never image data, and checks that every
// strip or tile lies inside the file. Errors are *InputError values naming
// the page.
func ReadTIFF(r io.ReaderAt, size int64) ([]Page, error) {
	t := &tiffReader{r: r, size: size}
	off, err := t.header()
	if err != nil {
		return nil, &InputError{Err: err}
	}
	var pages []Page
	visited := make(map[int64]bool)
	for n := 1; off != 0; n++ {
		fail := func(err error) ([]Page, error) { return nil, &InputError{Page: n, Err: err} }
		if n > MaxPages {
			return fail(overLimit("more than %d pages", MaxPages))
		}
		if off < t.hdrSize {
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
	big        bool  // BigTIFF: 8-byte offsets and counts, 20-byte entries
	hdrSize    int64 // 8, or 16 for BigTIFF
	nstrips    int64 // strips and tiles seen so far, all pages
	stripBytes int64 // their total length
}

// header reads the file header and returns the offset of the first IFD.
func (t *tiffReader) header() (int64, error) {
	var hdr [16]byte
	if t.size < 4 {
		return 0, ErrNotTIFF
	}
	if err := t.readAt(hdr[:4], 0); err != nil {
		return 0, err
	}
	switch string(hdr[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return 0, ErrNotTIFF
	}
	switch t.bo.Uint16(hdr[2:]) {
	case 42:
		t.hdrSize = 8
	case 43:
		t.big, t.hdrSize = true, 16
	default:
		return 0, ErrNotTIFF
	}
	if t.size < t.hdrSize {
		return 0, damaged("file ends inside the header")
	}
	if err := t.readAt(hdr[4:t.hdrSize], 4); err != nil {
		return 0, err
	}
	if t.big {
		if sz := t.bo.Uint16(hdr[4:]); sz != 8 || t.bo.Uint16(hdr[6:]) != 0 {
			return 0, damaged("BigTIFF offset size %d, want 8", sz)
		}
		return t.offset(hdr[8:]), nil
	}
	return t.offset(hdr[4:]), nil
}

// offset decodes a file offset (4 bytes, or 8 in BigTIFF). Offsets beyond
// what int64 holds come back as math.MaxInt64, past the end of any file.
func (t *tiffReader) offset(b []byte) int64 {
	if !t.big {
		return int64(t.bo.Uint32(b))
	}
	return int64(min(t.bo.Uint64(b), math.MaxInt64))
}

// readAt fills b from offset off, which the caller has checked lies in the file.
func (t *tiffReader) readAt(b []byte, off int64) error { return readFull(t.r, b, off) }

// readFull fills b from offset off of r, which the caller has checked lies
// inside the input's stated size.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return damaged("file is shorter than its stated size")
	}
	return err
}

// inFile reports whether n bytes at off lie inside the file.
func (t *tiffReader) inFile(off int64, n uint64) bool {
	return off >= 0 && off <= t.size && n <= uint64(t.size-off)
}

// read returns n bytes at off, or an error naming what lies past the end.
func (t *tiffReader) read(off int64, n uint64, what string) ([]byte, error) {
	if !t.inFile(off, n) {
		return nil, damaged("%s extends past end of file", what)
	}
	b := make([]byte, n)
	return b, t.readAt(b, off)
}

// entry is one IFD entry.
type entry struct {
	tag, typ uint16
	count    uint64
	value    [8]byte // the value itself when it fits (4 bytes, 8 in BigTIFF), else its offset
	pos      int64   // where value lies in the file
}

// typeSize is the byte size of one value of a field type.
func typeSize(typ uint16) uint64 {
	switch typ {
	case typeShort:
		return 2
	case typeLong:
		return 4
	case typeRational, typeLong8:
		return 8
	}
	return 1
}

// offsetSize is the size of an offset, and of an entry's value field.
func (t *tiffReader) offsetSize() uint64 {
	if t.big {
		return 8
	}
	return 4
}

// where returns the file offset of an entry's values: the value field
// itself when they fit in it, else the offset it holds.
func (t *tiffReader) where(e entry) int64 {
	if e.count <= t.offsetSize()/typeSize(e.typ) {
		return e.pos
	}
	return t.offset(e.value[:])
}

// data returns the bytes of the entry's first max values.
func (t *tiffReader) data(e entry, max uint64) ([]byte, error) {
	if e.count == 0 {
		return nil, damaged("tag %d has no value", e.tag)
	}
	n := min(e.count, max) * typeSize(e.typ)
	if t.where(e) == e.pos {
		return e.value[:n], nil
	}
	return t.read(t.where(e), n, tagName(e.tag))
}

// ints returns the entry's first max values as integers; the type must be
// BYTE, SHORT, LONG or LONG8.
func (t *tiffReader) ints(e entry, max uint64) ([]uint64, error) {
	if e.typ != typeByte && e.typ != typeShort && e.typ != typeLong && e.typ != typeLong8 {
		return nil, damaged("tag %d has type %d, want an integer", e.tag, e.typ)
	}
	b, err := t.data(e, max)
	if err != nil {
		return nil, err
	}
	sz := int(typeSize(e.typ))
	v := make([]uint64, len(b)/sz)
	for i := range v {
		switch sz {
		case 1:
			v[i] = uint64(b[i])
		case 2:
			v[i] = uint64(t.bo.Uint16(b[2*i:]))
		case 4:
			v[i] = uint64(t.bo.Uint32(b[4*i:]))
		default:
			v[i] = t.bo.Uint64(b[8*i:])
		}
	}
	return v, nil
}

// int1 returns the entry's first integer value.
func (t *tiffReader) int1(e entry) (uint64, error) {
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
	case tagTileOffsets:
		return "tile offset table"
	case tagTileByteCounts:
		return "tile length table"
	}
	return "value of tag " + strconv.Itoa(int(tag))
}

// readTags reads the entries of the IFD at off, and the offset of the next IFD.
func (t *tiffReader) readTags(off int64) (map[uint16]entry, int64, error) {
	countSize, entrySize := uint64(2), uint64(12)
	if t.big {
		countSize, entrySize = 8, 20
	}
	cb, err := t.read(off, countSize, "IFD")
	if err != nil {
		return nil, 0, err
	}
	var count uint64
	if t.big {
		count = t.bo.Uint64(cb)
	} else {
		count = uint64(t.bo.Uint16(cb))
	}
	if count == 0 {
		return nil, 0, damaged("IFD has no entries")
	}
	if count > MaxIFDEntries {
		return nil, 0, overLimit("IFD has %d entries, more than %d", count, MaxIFDEntries)
	}
	start := off + int64(countSize)
	b, err := t.read(start, count*entrySize+t.offsetSize(), "IFD") // entries, then the next IFD's offset
	if err != nil {
		return nil, 0, err
	}
	tags := make(map[uint16]entry, count)
	for i := range count {
		p := b[i*entrySize:]
		e := entry{tag: t.bo.Uint16(p), typ: t.bo.Uint16(p[2:])}
		if t.big {
			e.count = t.bo.Uint64(p[4:])
			copy(e.value[:], p[12:20])
			e.pos = start + int64(i*entrySize) + 12
		} else {
			e.count = uint64(t.bo.Uint32(p[4:]))
			copy(e.value[:], p[8:12])
			e.pos = start + int64(i*entrySize) + 8
		}
		tags[e.tag] = e
	}
	return tags, t.offset(b[count*entrySize:]), nil
}

// readIFD reads the IFD at off, which is page n. It returns a nil page for a
// reduced-resolution image, and the offset of the next IFD.
func (t *tiffReader) readIFD(off int64, n int) (*Page, int64, error) {
	tags, next, err := t.readTags(off)
	if err != nil {
		return nil, 0, err
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
	pg := &Page{Number: n}
	var rps int
	_, tiled := tags[tagTileWidth]
	tileDefault := 0
	if tiled {
		tileDefault = -1 // a tiled page needs both tile dimensions
	}
	// Integer tags with their defaults; required ones have default -1.
	fields := []intField{
		{tagImageWidth, &pg.Width, -1, "image width"},
		{tagImageLength, &pg.Height, -1, "image length"},
		{tagBitsPerSample, &pg.BitsPerSample, 1, ""},
		{tagSamplesPerPixel, &pg.SamplesPerPixel, 1, ""},
		{tagCompression, &pg.Compression, CompressionNone, ""},
		{tagPhotometric, &pg.Photometric, 0, ""},
		{tagFillOrder, &pg.FillOrder, 1, ""},
		{tagPlanarConfig, &pg.PlanarConfig, 1, ""},
		{tagRowsPerStrip, &rps, 0, ""},
		{tagTileWidth, &pg.TileWidth, tileDefault, "tile width"},
		{tagTileLength, &pg.TileLength, tileDefault, "tile length"},
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
			*opt.dst = uint32(min(v, math.MaxUint32))
		}
	}

	type dim struct {
		v    int
		name string
	}
	dims := []dim{{pg.Width, "width"}, {pg.Height, "height"}}
	if tiled {
		dims = append(dims, dim{pg.TileWidth, "tile width"}, dim{pg.TileLength, "tile length"})
	}
	for _, d := range dims {
		if d.v == 0 {
			return nil, damaged("%s is 0", d.name)
		}
		if d.v > MaxDimension {
			return nil, overLimit("%s %d is more than %d pixels", d.name, d.v, MaxDimension)
		}
	}
	if !tiled {
		if rps <= 0 || rps > pg.Height {
			rps = pg.Height
		}
		pg.RowsPerStrip = rps
	}

	if err := t.strips(tags, pg); err != nil {
		return nil, err
	}
	if err := t.jpegTables(tags, pg); err != nil {
		return nil, err
	}
	x, y, xok, yok, err := t.density(tags)
	if err != nil {
		return nil, err
	}
	pg.XRes, pg.YRes, pg.ResGuessed = guessResolution(pg.Width, pg.Height, x, y, xok, yok)
	return pg, nil
}

// strips reads the strip or tile tables into pg.Strips and checks every
// piece lies inside the file.
func (t *tiffReader) strips(tags map[uint16]entry, pg *Page) error {
	what, offTag, lenTag := "strip", uint16(tagStripOffsets), uint16(tagStripByteCounts)
	if pg.Tiled() {
		what, offTag, lenTag = "tile", tagTileOffsets, tagTileByteCounts
	}
	planes := int64(1)
	if pg.PlanarConfig == 2 {
		planes = int64(max(pg.SamplesPerPixel, 1)) // each sample has its own strips
	}
	want := pg.cells() * planes
	if t.nstrips+want > MaxStrips {
		return overLimit("more than %d strips and tiles in the file", MaxStrips)
	}
	oe, ok := tags[offTag]
	if !ok {
		return damaged("missing required tag %d (%s offsets)", offTag, what)
	}
	ce, ok := tags[lenTag]
	if !ok {
		return damaged("missing required tag %d (%s byte counts)", lenTag, what)
	}
	if oe.count < uint64(want) || ce.count < uint64(want) {
		if pg.Tiled() {
			return damaged("%dx%d pixels in tiles of %dx%d need %d tiles, the file lists %d offsets and %d lengths",
				pg.Width, pg.Height, pg.TileWidth, pg.TileLength, want, oe.count, ce.count)
		}
		return damaged("%d rows in strips of %d need %d strips, the file lists %d offsets and %d lengths",
			pg.Height, pg.RowsPerStrip, want, oe.count, ce.count)
	}
	offs, err := t.ints(oe, uint64(want))
	if err != nil {
		return err
	}
	lens, err := t.ints(ce, uint64(want))
	if err != nil {
		return err
	}
	pg.Strips = make([]Strip, want)
	for i := range pg.Strips {
		if lens[i] == 0 {
			return damaged("%s %d is empty", what, i+1)
		}
		if offs[i] > uint64(t.size) || lens[i] > uint64(t.size)-offs[i] {
			return damaged("%s %d extends past end of file", what, i+1)
		}
		s := Strip{Offset: int64(offs[i]), Length: int64(lens[i])}
		t.stripBytes += s.Length
		pg.Strips[i] = s
	}
	t.nstrips += want
	// Strips of a sound file do not overlap, so together they fit in the
	// file. Checking this stops a small file from naming the same bytes
	// many times over and blowing up the output.
	if t.stripBytes > t.size {
		return damaged("%ss overlap: %d bytes of %s data in a %d-byte file", what, t.stripBytes, what, t.size)
	}
	return nil
}

// jpegTables locates the JPEGTables field (tag 347) of a page.
func (t *tiffReader) jpegTables(tags map[uint16]entry, pg *Page) error {
	e, ok := tags[tagJPEGTables]
	if !ok {
		return nil
	}
	if e.typ != typeUndefined && e.typ != typeByte {
		return damaged("tag %d has type %d, want bytes", e.tag, e.typ)
	}
	if e.count > MaxJPEGTables {
		return overLimit("JPEG tables of %d bytes, more than %d", e.count, MaxJPEGTables)
	}
	off := t.where(e)
	if !t.inFile(off, e.count) {
		return damaged("JPEG tables extend past end of file")
	}
	pg.JPEGTables = Strip{Offset: off, Length: int64(e.count)}
	return nil
}

// density returns the resolution that tags 282, 283 and 296 give, in dpi;
// xok and yok are false for what is missing or implausible.
func (t *tiffReader) density(tags map[uint16]entry) (x, y float64, xok, yok bool, err error) {
	unit := uint64(2)
	if e, ok := tags[tagResolutionUnit]; ok {
		if unit, err = t.int1(e); err != nil {
			return 0, 0, false, false, err
		}
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
		return v, ok && plausibleDPI(v), err
	}
	if x, xok, err = read(tagXResolution); err != nil {
		return 0, 0, false, false, err
	}
	y, yok, err = read(tagYResolution)
	return x, y, xok, yok, err
}

// plausibleDPI reports whether a resolution is one a scanner could have made.
func plausibleDPI(v float64) bool { return v >= minDPI && v <= maxDPI }

// guessResolution completes a page's resolution. A page of a T.4 fax width
// is a fax page: 204 dpi across and 196 dpi down, or 98 dpi down when it is
// at most normalMaxRows tall. Any other page is taken as 200x200 dpi. When
// only one of the two values is known, a fax page takes the other from the
// fax rule, and any other page is taken as square.
func guessResolution(w, h int, x, y float64, xok, yok bool) (float64, float64, bool) {
	fax := false
	for _, fw := range faxWidths {
		fax = fax || w == fw
	}
	return completeResolution(fax, h, x, y, xok, yok)
}

// completeResolution applies the default rule to a page of h rows that is a
// fax page or not.
func completeResolution(fax bool, h int, x, y float64, xok, yok bool) (float64, float64, bool) {
	if xok && yok {
		return x, y, false
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

package document

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
)

// JPEG markers read by this package.
const (
	markSOF0  = 0xc0 // baseline
	markSOF1  = 0xc1 // extended sequential, Huffman
	markSOF2  = 0xc2 // progressive, Huffman
	markDHT   = 0xc4
	markJPG   = 0xc8
	markDAC   = 0xcc
	markSOI   = 0xd8
	markEOI   = 0xd9
	markSOS   = 0xda
	markAPP0  = 0xe0 // JFIF
	markAPP1  = 0xe1 // EXIF
	markAPP14 = 0xee // Adobe
	markTEM   = 0x01
)

// maxJPEGSegments bounds the marker segments read before the first scan; a
// real header has a dozen.
const maxJPEGSegments = 1000

// jpegInfo is what the markers of a JPEG stream say before its first scan.
type jpegInfo struct {
	sof            byte // the frame's SOFn marker; 0 when there is none
	precision      int  // bits per sample
	width, height  int
	comps          int
	ids            [4]byte // identifiers of the first four components
	adobe          bool    // an Adobe APP14 segment is present
	adobeTransform byte    // its colour transform: 0 none (RGB, CMYK), 1 YCbCr, 2 YCCK
	jfif           bool    // a JFIF APP0 segment is present
	jfifUnit       byte    // 0 aspect ratio only, 1 dots per inch, 2 dots per cm
	jfifX, jfifY   int
	exifX, exifY   float64 // EXIF resolution in dpi, when exifXOK, exifYOK
	exifXOK        bool
	exifYOK        bool
	end            int64 // offset (from the stream's start) of the SOS or EOI marker that ended the header
	sos            bool  // the header ended with a scan, not with EOI
}

// readJPEGHeader reads the markers of the JPEG stream of n bytes at off in r,
// from its SOI up to its first SOS or its EOI. It reads only the segments
// it needs, a few bytes at a time.
func readJPEGHeader(r io.ReaderAt, off, n int64) (jpegInfo, error) {
	var info jpegInfo
	var b [4]byte
	read := func(p []byte, pos int64) error {
		if pos+int64(len(p)) > n {
			return damaged("JPEG data ends inside its header")
		}
		return readFull(r, p, off+pos)
	}
	if err := read(b[:2], 0); err != nil {
		return info, err
	}
	if b[0] != 0xff || b[1] != markSOI {
		return info, damaged("JPEG data does not start with an SOI marker")
	}
	pos := int64(2)
	for range maxJPEGSegments {
		if err := read(b[:2], pos); err != nil {
			return info, err
		}
		if b[0] != 0xff {
			return info, damaged("no JPEG marker at byte %d", pos)
		}
		m := b[1]
		switch {
		case m == 0xff: // fill byte before a marker
			pos++
			continue
		case m == markTEM || m >= 0xd0 && m <= 0xd7: // markers without a length
			pos += 2
			continue
		case m == markEOI:
			info.end = pos
			return info, nil
		case m == markSOI || m == 0:
			return info, damaged("misplaced JPEG marker %#02x at byte %d", m, pos)
		}
		if err := read(b[2:4], pos+2); err != nil {
			return info, err
		}
		length := int64(binary.BigEndian.Uint16(b[2:]))
		if length < 2 {
			return info, damaged("JPEG segment at byte %d has length %d", pos, length)
		}
		if m == markSOS {
			info.end, info.sos = pos, true
			return info, nil
		}
		if err := info.segment(m, length-2, func(p []byte) error { return read(p, pos+4) }); err != nil {
			return info, err
		}
		pos += 2 + length
	}
	return info, overLimit("more than %d JPEG segments before the first scan", maxJPEGSegments)
}

// segment reads what matters of one marker segment of size payload bytes;
// read fills a buffer from the payload's start.
func (info *jpegInfo) segment(m byte, size int64, read func([]byte) error) error {
	isSOF := m >= 0xc0 && m <= 0xcf && m != markDHT && m != markJPG && m != markDAC
	switch {
	case isSOF:
		if info.sof != 0 {
			return damaged("JPEG stream has two frame headers")
		}
		if size < 6 {
			return damaged("JPEG frame header of %d bytes", size)
		}
		p := make([]byte, min(size, 6+3*4))
		if err := read(p); err != nil {
			return err
		}
		info.sof, info.precision = m, int(p[0])
		info.height, info.width = int(binary.BigEndian.Uint16(p[1:])), int(binary.BigEndian.Uint16(p[3:]))
		info.comps = int(p[5])
		if size < 6+3*int64(info.comps) {
			return damaged("JPEG frame header of %d bytes for %d components", size, info.comps)
		}
		for i := 0; i < min(info.comps, 4); i++ {
			info.ids[i] = p[6+3*i]
		}
	case m == markAPP0 && size >= 12:
		p := make([]byte, 12)
		if err := read(p); err != nil {
			return err
		}
		if string(p[:5]) == "JFIF\x00" {
			info.jfif, info.jfifUnit = true, p[7]
			info.jfifX, info.jfifY = int(binary.BigEndian.Uint16(p[8:])), int(binary.BigEndian.Uint16(p[10:]))
		}
	case m == markAPP14 && size >= 12:
		p := make([]byte, 12)
		if err := read(p); err != nil {
			return err
		}
		if string(p[:5]) == "Adobe" {
			info.adobe, info.adobeTransform = true, p[11]
		}
	case m == markAPP1 && size > 6:
		p := make([]byte, size) // at most 64 KB
		if err := read(p); err != nil {
			return err
		}
		if string(p[:6]) == "Exif\x00\x00" {
			info.exif(p[6:])
		}
	}
	return nil
}

// exif reads the resolution of the EXIF data in p, a TIFF structure whose
// first IFD describes the main image. A damaged EXIF block is ignored: the
// picture is still good.
func (info *jpegInfo) exif(p []byte) {
	t := &tiffReader{r: bytes.NewReader(p), size: int64(len(p))}
	off, err := t.header()
	if err != nil || off < t.hdrSize {
		return
	}
	tags, _, err := t.readTags(off)
	if err != nil {
		return
	}
	x, y, xok, yok, err := t.density(tags)
	if err == nil {
		info.exifX, info.exifY, info.exifXOK, info.exifYOK = x, y, xok, yok
	}
}

// resolution returns the density the JFIF segment gives when it has a unit,
// else what the EXIF data gives, completed by the default rule for a page
// that is not a fax (200 dpi when neither says anything).
func (info *jpegInfo) resolution() (x, y float64, guessed bool) {
	if info.jfif && (info.jfifUnit == 1 || info.jfifUnit == 2) {
		x, y = float64(info.jfifX), float64(info.jfifY)
		if info.jfifUnit == 2 {
			x, y = x*2.54, y*2.54
		}
		if plausibleDPI(x) || plausibleDPI(y) {
			return completeResolution(false, info.height, x, y, plausibleDPI(x), plausibleDPI(y))
		}
	}
	return completeResolution(false, info.height, info.exifX, info.exifY, info.exifXOK, info.exifYOK)
}

// check refuses a frame that PDF's DCTDecode filter does not decode
// everywhere: only Huffman-coded baseline, extended and progressive frames
// of 8-bit samples with 1, 3 or 4 components pass.
func (info *jpegInfo) check() error {
	switch {
	case !info.sos || info.sof == 0:
		return damaged("JPEG data has no frame header before its first scan")
	case info.sof != markSOF0 && info.sof != markSOF1 && info.sof != markSOF2:
		return unsupported("JPEG coding process SOF%d (lossless, hierarchical or arithmetic)", info.sof-markSOF0)
	case info.precision != 8:
		return unsupported("JPEG with %d-bit samples", info.precision)
	case info.comps != 1 && info.comps != 3 && info.comps != 4:
		return unsupported("JPEG with %d components", info.comps)
	case info.height == 0:
		return unsupported("JPEG whose height is given after its first scan (DNL)")
	case info.width == 0:
		return damaged("JPEG width is 0")
	}
	return nil
}

// photometric returns the TIFF photometric interpretation of the decoded
// samples, as libjpeg decides it: for three components an Adobe segment's
// transform, else JFIF means YCbCr, else the component identifiers 'R', 'G',
// 'B' mean RGB; four components are CMYK (stored as YCCK under Adobe
// transform 2).
func (info *jpegInfo) photometric() int {
	switch info.comps {
	case 1:
		return 1 // min-is-black
	case 4:
		return 5
	}
	switch {
	case info.adobe:
		if info.adobeTransform == 0 {
			return 2
		}
	case !info.jfif && info.ids[0] == 'R' && info.ids[1] == 'G' && info.ids[2] == 'B':
		return 2
	}
	return 6
}

// ReadJPEG describes a JPEG file of size bytes as one page whose one strip
// is the whole file, with compression 7 and no tables. The resolution comes
// from the JFIF density when it has a unit, else from the EXIF resolution,
// else it is 200 dpi (ResGuessed). Frames that PDF readers do not all
// decode (12-bit, lossless, hierarchical, arithmetic-coded) are refused with
// ErrUnsupported.
func ReadJPEG(r io.ReaderAt, size int64) ([]Page, error) {
	var magic [3]byte
	if size < 3 {
		return nil, &InputError{Err: notJPEG}
	}
	if err := readFull(r, magic[:], 0); err != nil {
		return nil, &InputError{Err: err}
	}
	if magic != [3]byte{0xff, markSOI, 0xff} {
		return nil, &InputError{Err: notJPEG}
	}
	info, err := readJPEGHeader(r, 0, size)
	if err == nil {
		err = info.check()
	}
	if err != nil {
		return nil, &InputError{Page: 1, Err: err}
	}
	pg := Page{
		Number: 1, Format: FormatJPEG, Width: info.width, Height: info.height,
		Compression: CompressionJPEG, Photometric: info.photometric(), FillOrder: 1,
		BitsPerSample: 8, SamplesPerPixel: info.comps, PlanarConfig: 1, RowsPerStrip: info.height,
		Strips: []Strip{{0, size}},
	}
	pg.XRes, pg.YRes, pg.ResGuessed = info.resolution()
	return []Page{pg}, nil
}

// notJPEG is the error for a file that does not start like JPEG.
var notJPEG error = &kindError{ErrFormat, "not a JPEG file"}

// checkJPEG refuses a JPEG page whose samples PDF cannot take as they are.
func checkJPEG(pg *Page) error {
	colour := map[int][]int{1: {0, 1}, 3: {2, 6}, 4: {5}} // samples per pixel: photometric interpretations
	switch {
	case pg.BitsPerSample != 8:
		return unsupported("JPEG with %d bits per sample", pg.BitsPerSample)
	case !slices.Contains(colour[pg.SamplesPerPixel], pg.Photometric):
		return unsupported("JPEG with %d samples per pixel in photometric interpretation %d", pg.SamplesPerPixel, pg.Photometric)
	case pg.SamplesPerPixel > 1 && pg.PlanarConfig != 1:
		return unsupported("JPEG in separate colour planes")
	case pg.JPEGTables.Length > MaxJPEGTables || pg.JPEGTables.Length < 0 || pg.JPEGTables.Offset < 0:
		return overLimit("JPEG tables of %d bytes, more than %d", pg.JPEGTables.Length, MaxJPEGTables)
	}
	return nil
}

// planJPEG reads the header of every JPEG strip or tile of a page and plans
// a /DCTDecode image for each: the strip's own bytes with the page's shared
// tables put in after its SOI marker, which makes a complete JPEG stream.
func planJPEG(r io.ReaderAt, pg *Page) ([]imagePlan, error) {
	plans := make([]imagePlan, len(pg.Strips))
	var shared jpegInfo
	var tables []byte
	if t := pg.JPEGTables; t.Length > 0 {
		tables = make([]byte, t.Length)
		if err := readFull(r, tables, t.Offset); err != nil {
			return nil, err
		}
		var err error
		if shared, err = readJPEGHeader(bytes.NewReader(tables), 0, t.Length); err != nil {
			return nil, fmt.Errorf("JPEG tables: %w", err)
		}
		if shared.sos || shared.sof != 0 {
			return nil, damaged("JPEG tables hold a frame or a scan")
		}
		tables = tables[2:shared.end]
	}
	var rgbTables []byte // tables and an Adobe segment saying the samples are RGB
	for i, s := range pg.Strips {
		fail := func(err error) ([]imagePlan, error) { return nil, fmt.Errorf("%s %d: %w", pieceName(pg), i+1, err) }
		info, err := readJPEGHeader(r, s.Offset, s.Length)
		if err == nil {
			err = info.check()
		}
		if err != nil {
			return fail(err)
		}
		if shared.adobe && !info.adobe {
			info.adobe, info.adobeTransform = true, shared.adobeTransform
		}
		cell := pg.Cell(i)
		last := i == len(pg.Strips)-1
		switch {
		case info.comps != pg.SamplesPerPixel:
			return fail(damaged("%d JPEG components for %d samples per pixel", info.comps, pg.SamplesPerPixel))
		case pg.Tiled() && (info.width != pg.TileWidth || info.height != pg.TileLength),
			!pg.Tiled() && (info.width != pg.Width || info.height != cell.Dy() && !(last && info.height == pg.RowsPerStrip)):
			return fail(damaged("JPEG data of %dx%d pixels for a place of %dx%d", info.width, info.height, cell.Dx(), cell.Dy()))
		}
		dict, err := dctParams(pg, &info)
		if err != nil {
			return fail(err)
		}
		pl := imagePlan{kind: copyData, first: i, n: 1, w: info.width, h: info.height, dict: dict, tables: tables}
		if info.comps == 3 && pg.Photometric == 2 && !info.adobe {
			// Without an Adobe segment, readers take three components
			// for YCbCr, and some (Ghostscript 10) ignore /ColorTransform 0.
			if rgbTables == nil {
				rgbTables = append(slices.Clip(tables), adobeRGB...)
			}
			pl.tables = rgbTables
		}
		plans[i] = pl
	}
	return plans, nil
}

// adobeRGB is an Adobe APP14 segment that marks three JPEG components as
// RGB, not colour-transformed: version 100, no flags, transform 0.
var adobeRGB = []byte{0xff, markAPP14, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0}

// dctParams returns the colour space and filter entries of a JPEG image.
// PDF readers take the colour transform from an Adobe segment when there is
// one, else from /ColorTransform, whose default (1 for three components)
// this always overrides with what the page says.
func dctParams(pg *Page, info *jpegInfo) (string, error) {
	var b strings.Builder
	transform := 0
	switch info.comps {
	case 1:
		b.WriteString("/ColorSpace /DeviceGray")
	case 3:
		b.WriteString("/ColorSpace /DeviceRGB")
		if pg.Photometric == 6 {
			transform = 1
		}
		if info.adobe && (info.adobeTransform == 0) != (transform == 0) {
			return "", unsupported("JPEG whose Adobe colour transform %d contradicts photometric interpretation %d", info.adobeTransform, pg.Photometric)
		}
	case 4:
		b.WriteString("/ColorSpace /DeviceCMYK")
		if info.adobe && info.adobeTransform == 2 {
			transform = 1 // YCCK
		}
	}
	b.WriteString(" /BitsPerComponent 8\n/Filter /DCTDecode")
	if info.comps > 1 {
		fmt.Fprintf(&b, " /DecodeParms << /ColorTransform %d >>", transform)
	}
	switch {
	case info.comps == 1 && pg.Photometric == 0:
		b.WriteString(" /Decode [1 0]")
	case info.comps == 4 && pg.Format == FormatJPEG && info.adobe:
		// Adobe applications store CMYK JPEG inverted (0 is full ink);
		// a JPEG file with an Adobe segment is taken to be one of theirs.
		b.WriteString(" /Decode [1 0 1 0 1 0 1 0]")
	}
	return b.String(), nil
}

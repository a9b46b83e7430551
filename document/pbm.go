package document

import (
	"bufio"
	"io"
)

// pbmBufSize is the read buffer of the PBM scanner.
const pbmBufSize = 16 << 10

// maxPBMDigits bounds a number in a PBM header (MaxDimension has 5 digits).
const maxPBMDigits = 10

// ReadPBM reads the structure of a PBM file of size bytes: each image, in
// order, is one page; images may follow each other in one file, as netpbm
// writes them. Binary (P4) images point at their raster, which is already
// packed as uncompressed rows; plain (P1) images are checked digit by digit
// and point at their ASCII raster. PBM carries no resolution: every page is
// 200x200 dpi (ResGuessed). Errors are *InputError values naming the image.
func ReadPBM(r io.ReaderAt, size int64) ([]Page, error) {
	s := &pbmScanner{r: r, size: size}
	s.seek(0)
	var pages []Page
	for n := 1; ; n++ {
		if n > MaxPages {
			return nil, &InputError{Page: n, Err: overLimit("more than %d pages", MaxPages)}
		}
		pg, err := s.image(n)
		if err == notPBM {
			return nil, &InputError{Err: err}
		}
		if err != nil {
			return nil, &InputError{Page: n, Err: err}
		}
		pages = append(pages, pg)
		more, err := s.another()
		if err != nil {
			return nil, &InputError{Page: n + 1, Err: err}
		}
		if !more {
			return pages, nil
		}
	}
}

// pbmScanner reads a PBM file byte by byte through a buffer, knowing its
// position.
type pbmScanner struct {
	r    io.ReaderAt
	size int64
	br   *bufio.Reader
	pos  int64 // offset of the next byte br returns
}

// notPBM is the error for a file that does not start like PBM.
var notPBM error = &kindError{ErrFormat, "not a PBM file"}

func (s *pbmScanner) seek(pos int64) {
	src := io.NewSectionReader(s.r, pos, s.size-pos)
	if s.br == nil {
		s.br = bufio.NewReaderSize(src, pbmBufSize)
	} else {
		s.br.Reset(src)
	}
	s.pos = pos
}

// next returns the next byte; at the end of the file it returns io.EOF.
func (s *pbmScanner) next() (byte, error) {
	c, err := s.br.ReadByte()
	if err == nil {
		s.pos++
	}
	return c, err
}

// eof turns the end of the file inside an image into a damage report.
func eof(err error, what string) error {
	if err == io.EOF {
		return damaged("file ends inside the %s", what)
	}
	return err
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// number reads a header number: whitespace and comments, then digits, then
// the one whitespace character that ends it.
func (s *pbmScanner) number(name string) (int, error) {
	c, err := s.next()
	for ; err == nil; c, err = s.next() {
		if c == '#' {
			for err == nil && c != '\n' && c != '\r' {
				c, err = s.next()
			}
		} else if !isSpace(c) {
			break
		}
	}
	if err != nil {
		return 0, eof(err, "header")
	}
	v, digits := 0, 0
	for ; err == nil && c >= '0' && c <= '9'; c, err = s.next() {
		if digits++; digits > maxPBMDigits {
			return 0, overLimit("%s has more than %d digits", name, maxPBMDigits)
		}
		v = v*10 + int(c-'0')
	}
	switch {
	case err != nil:
		return 0, eof(err, "header")
	case digits == 0 || !isSpace(c):
		return 0, damaged("PBM %s is not a number", name)
	case v == 0:
		return 0, damaged("%s is 0", name)
	case v > MaxDimension:
		return 0, overLimit("%s %d is more than %d pixels", name, v, MaxDimension)
	}
	return v, nil
}

// image reads the header and raster of image n.
func (s *pbmScanner) image(n int) (Page, error) {
	var magic [2]byte
	for i := range magic {
		c, err := s.next()
		if err != nil {
			return Page{}, notPBM
		}
		magic[i] = c
	}
	if magic[0] != 'P' || magic[1] != '1' && magic[1] != '4' {
		switch {
		case n == 1:
			return Page{}, notPBM
		case magic[0] == 'P' && magic[1] >= '2' && magic[1] <= '7':
			return Page{}, unsupported("netpbm image P%c (only bilevel PBM, P1 and P4, is converted)", magic[1])
		}
		return Page{}, damaged("data after image %d is not a PBM image", n-1)
	}
	w, err := s.number("width")
	if err != nil {
		return Page{}, err
	}
	h, err := s.number("height")
	if err != nil {
		return Page{}, err
	}
	pg := Page{
		Number: n, Format: FormatPBM, Width: w, Height: h, XRes: otherRes, YRes: otherRes, ResGuessed: true,
		Compression: CompressionNone, FillOrder: 1, BitsPerSample: 1, SamplesPerPixel: 1, PlanarConfig: 1,
		RowsPerStrip: h,
	}
	start := s.pos
	if magic[1] == '4' {
		length := int64(h) * packedRowBytes(w)
		if length > s.size-start {
			return Page{}, damaged("raster extends past end of file")
		}
		pg.Strips = []Strip{{start, length}}
		s.seek(start + length)
		return pg, nil
	}
	pg.Format = FormatPlainPBM
	for left := int64(w) * int64(h); left > 0; {
		c, err := s.next()
		switch {
		case err != nil:
			return Page{}, eof(err, "raster")
		case c == '0' || c == '1':
			left--
		case !isSpace(c):
			return Page{}, damaged("plain PBM raster holds %q at byte %d", c, s.pos-1)
		}
	}
	pg.Strips = []Strip{{start, s.pos - start}}
	return pg, nil
}

// another skips the whitespace after an image and reports whether another
// image follows.
func (s *pbmScanner) another() (bool, error) {
	for {
		c, err := s.next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !isSpace(c) {
			s.seek(s.pos - 1)
			return true, nil
		}
	}
}

// plainRows turns the ASCII raster of a plain PBM image into packed rows,
// 1 bit a pixel, most significant bit first, 1 = black.
type plainRows struct {
	br    *bufio.Reader
	width int
	rows  int // rows not yet produced
	row   []byte
	rest  []byte // the part of row not yet returned
}

func newPlainRows(src io.Reader, width, rows int) *plainRows {
	return &plainRows{br: bufio.NewReaderSize(src, pbmBufSize), width: width, rows: rows, row: make([]byte, packedRowBytes(width))}
}

func (p *plainRows) Read(b []byte) (int, error) {
	if len(p.rest) == 0 {
		if p.rows == 0 {
			return 0, io.EOF
		}
		clear(p.row)
		for x := 0; x < p.width; {
			c, err := p.br.ReadByte()
			if err != nil {
				return 0, eof(err, "raster")
			}
			switch {
			case c == '1':
				p.row[x/8] |= 0x80 >> (x % 8)
				fallthrough
			case c == '0':
				x++
			case !isSpace(c):
				return 0, damaged("plain PBM raster holds %q", c)
			}
		}
		p.rows--
		p.rest = p.row
	}
	n := copy(b, p.rest)
	p.rest = p.rest[n:]
	return n, nil
}

package ccitt

import (
	"errors"
	"fmt"
)

// MaxWidth is the widest row the codec accepts, the largest width a TIFF
// page may have in package document. The decoder's memory is a few arrays
// of this many entries at most.
const MaxWidth = 65535

// Params describe a coding the way TIFF tags and PDF's /CCITTFaxDecode
// parameters do.
type Params struct {
	// Width is the number of pixels in a row (TIFF ImageWidth, PDF
	// /Columns), 1..MaxWidth.
	Width int
	// K selects the coding: below 0 T.6 (Group 4, MMR); 0 T.4
	// one-dimensional (Modified Huffman, Group 3 1-D); above 0 T.4
	// two-dimensional (Group 3 2-D, MR), where a tag bit before each row
	// says how it is coded. The encoder codes every K-th row
	// one-dimensionally and the others two-dimensionally.
	K int
	// EOL means every row starts with an EOL code (TIFF Group 3 does; CCITT
	// RLE, TIFF compression 2, does not). The decoder accepts EOL codes
	// anywhere a row may start and requires them only when EOL is set.
	EOL bool
	// ByteAlign pads with 0 bits: with EOL, before each EOL so that the
	// EOL ends on a byte boundary (TIFF Group 3 "fill bits", PDF
	// /EncodedByteAlign with /EndOfLine); without EOL, before each row so
	// that the row starts on a byte boundary (CCITT RLE, always; PDF
	// /EncodedByteAlign). The decoder skips any number of fill bits before
	// an EOL whether ByteAlign is set or not.
	ByteAlign bool
	// ReverseBits means the bits of each byte are stored least significant
	// first (TIFF FillOrder 2).
	ReverseBits bool
	// Trailer chooses what the encoder's Close writes after the last row.
	// The decoder accepts data with or without any of them.
	Trailer Trailer
}

// Trailer is what an encoder writes after the last row.
type Trailer int

const (
	// TrailerTIFF writes what TIFF writers (libtiff, Ghostscript) write:
	// EOFB after T.6 data, nothing after T.4 data.
	TrailerTIFF Trailer = iota
	// TrailerNone writes nothing: the row count alone ends the data (PDF
	// /EndOfBlock false; RFC 3949 readers take the row count from the
	// ImageLength tag).
	TrailerNone
	// TrailerEnd writes EOFB after T.6 data and RTC (six EOL codes, each
	// with a 1 tag bit for two-dimensional T.4) after T.4 data, as a fax
	// transmission ends a page.
	TrailerEnd
)

// stride returns the bytes in one packed row.
func (p *Params) stride() int { return (p.Width + 7) / 8 }

// check refuses parameters the codec cannot work with.
func (p *Params) check() error {
	if p.Width < 1 || p.Width > MaxWidth {
		return fmt.Errorf("%w: width %d outside 1..%d", ErrParams, p.Width, MaxWidth)
	}
	return nil
}

// Kinds of errors, for errors.Is.
var (
	// ErrCorrupt means the coded data break the rules of T.4 or T.6: a
	// bit pattern that is no code, runs past the end of a row, a missing
	// EOL.
	ErrCorrupt = errors.New("ccitt: corrupt data")
	// ErrUnsupported means valid data that this codec does not decode:
	// the uncompressed mode and other extensions.
	ErrUnsupported = errors.New("ccitt: unsupported feature")
	// ErrParams means unusable Params (a width of 0) or a row buffer
	// shorter than a row.
	ErrParams = errors.New("ccitt: invalid parameters")
	// ErrClosed is returned by an Encoder after Close.
	ErrClosed = errors.New("ccitt: encoder closed")
)

// DataError locates a problem in coded data. Err is ErrCorrupt,
// ErrUnsupported, io.ErrUnexpectedEOF (the data end inside a row), or the
// error of the underlying reader.
type DataError struct {
	Row    int    // 1-based row being decoded
	Detail string // what is wrong, e.g. "invalid black code"
	Err    error
}

// Error reads like "ccitt: row 12: white run of 1800 pixels past the end of a 1728-pixel row".
func (e *DataError) Error() string { return fmt.Sprintf("ccitt: row %d: %s", e.Row, e.Detail) }

// Unwrap returns the kind of the problem.
func (e *DataError) Unwrap() error { return e.Err }

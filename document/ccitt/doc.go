// Package ccitt codes bilevel rows with the CCITT fax codes of ITU-T T.4
// (Group 3: Modified Huffman and Modified READ) and T.6 (Group 4: Modified
// Modified READ), the codings that TIFF compressions 2, 3 and 4 and PDF's
// /CCITTFaxDecode filter hold. It is pure Go and streams: a Decoder or an
// Encoder keeps two rows and an 8 KB buffer, however long the page.
//
// # Rows
//
// A row is (Width+7)/8 bytes, pixels packed most significant bit first, a
// 1 bit for black. "Black" is the colour of the codes T.4 calls black,
// which is also what libtiff writes for them: in a TIFF page whose
// photometric is min-is-black (1), those pixels are white on screen, and
// the caller inverts.
//
// # Codings
//
// Params say how the data are coded, in the terms TIFF tags and PDF
// filter parameters use:
//
//	TIFF                                 Params
//	Compression 2 (CCITT RLE)            K 0, ByteAlign
//	Compression 3, T4Options 0           K 0, EOL
//	Compression 3, T4Options bit 0       K > 0, EOL (the encoder codes every K-th row 1-D; libtiff uses 4 above 150 dpi, else 2)
//	Compression 3, T4Options bit 2       ByteAlign (fill bits: each EOL ends on a byte boundary)
//	Compression 4                        K -1
//	FillOrder 2                          ReverseBits
//
// One-dimensional rows are alternating white and black runs, each coded as
// make-up codes (multiples of 64, up to 2560 with the extended codes for
// wide lines) and a terminating code (0..63). Two-dimensional rows are
// coded against the row above, the reference row: an edge that moved by
// at most three pixels costs a vertical-mode code (1 to 7 bits), an edge
// that ended a pass-mode code, anything else a horizontal-mode code and
// two runs. T.6 codes every row that way, starting from an imaginary white
// row; two-dimensional T.4 starts each row with a tag bit that says which
// way it is coded.
//
// # Decoding
//
// The decoder reads what libtiff and Ghostscript write, and is tested
// against libtiff's decoding of their files: all three codings, both fill
// orders, fill bits, A3-wide lines with extended make-up codes, strips
// ending with EOFB, RTC, or nothing. It accepts an EOL (after any number
// of fill bits) wherever a row may start, and requires one when Params.EOL
// is set. Two EOLs in a row (EOFB, RTC) or the end of the input where a
// row would start end the data: ReadRow returns io.EOF. The number of rows
// comes from the caller (TIFF's ImageLength), not from the data.
//
// Hostile data cost no more than the reading: every code is looked up in
// tables, rows never grow past Width, and every row consumes input. A
// bit pattern that is no code, a run past the end of the row, an EOL
// inside a row, or data that end inside a row are *DataError values that
// name the row and wrap ErrCorrupt or io.ErrUnexpectedEOF; the
// uncompressed mode and other T.4/T.6 extensions wrap ErrUnsupported.
//
// # Encoding
//
// The encoder writes all three codings. T.4 and T.6 leave an encoder no
// choices (the mode for each edge is fixed by the standard), so its output
// is byte for byte what libtiff writes for the same rows and parameters,
// which the tests check. Close writes the trailer that Params.Trailer
// chooses: by default EOFB after T.6 data and nothing after T.4 data, as
// TIFF writers do.
package ccitt

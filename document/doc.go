// Package document turns fax and scanner TIFF files into one PDF without
// decoding or re-compressing the fax data.
//
// # Why pass-through
//
// A fax page is already compressed with the CCITT codes (T.4 "Group 3" or
// T.6 "Group 4"), and PDF readers decode exactly those codes with the
// /CCITTFaxDecode filter. So the converter never decodes a page: it reads
// the TIFF structure (tags only, see ReadTIFF), copies each strip's bytes
// into the PDF as an image XObject, and describes the coding in the image's
// /DecodeParms. This is
//
//   - pixel-exact: the PDF holds the very bits the machine scanned; the tests
//     compare Ghostscript's and poppler's rendering with libtiff's decoding
//     and find zero differing pixels;
//   - fast and small: the work is a copy, memory stays flat, and the output
//     is the input plus a few hundred bytes of PDF structure per strip.
//
// # Reading TIFF
//
// ReadTIFF reads classic TIFF in both byte orders ("II" and "MM") and walks
// every IFD in the chain; each IFD is one Page, except reduced-resolution
// copies (thumbnails), which are skipped. It reads no image data, checks
// that every strip lies inside the file, and refuses hostile files with an
// error instead of spending memory or time on them: IFD loops, offsets past
// the end, more than MaxIFDEntries entries, pages larger than MaxDimension,
// more than MaxPages pages or MaxStrips strips, strips that overlap (a small
// file naming the same bytes many times would blow up the output), and
// missing required tags. BigTIFF and tiled images are refused as
// unsupported for now.
//
// Errors are *InputError values that name the file and the page
// ("document: scan.tif page 2: strip 1 extends past end of file") and wrap
// ErrNotTIFF, ErrDamaged, ErrUnsupported or ErrLimit for errors.Is.
//
// # From TIFF tags to PDF
//
// Each strip of a page is coded on its own (a G4 strip starts from an
// imaginary white line, a G3 2-D strip with a 1-D line), so each strip
// becomes its own image XObject, and the page's content stream stacks them
// from the top. The image dictionary is built from the tags:
//
//	TIFF                                PDF image
//	Compression 4 (T.6, Group 4)        /CCITTFaxDecode, /K -1
//	Compression 3 (T.4), 1-D            /CCITTFaxDecode, /K 0, /EndOfLine true
//	Compression 3, T4Options bit 0      /K > 0 (the strip's rows; readers use only the sign)
//	Compression 3, T4Options bit 2      /EncodedByteAlign true (fill bits: each EOL ends on a byte)
//	Compression 2 (CCITT RLE)           /CCITTFaxDecode, /K 0, /EncodedByteAlign true (no EOLs)
//	Compression 1 (none)                /FlateDecode of the rows (compress/zlib)
//	ImageWidth, rows of the strip       /Width, /Height, /Columns, /Rows; /EndOfBlock false
//	Photometric 0 (min-is-white)        CCITT: defaults; none: /Decode [1 0]
//	Photometric 1 (min-is-black)        CCITT: /BlackIs1 true; none: defaults
//	FillOrder 2                         every byte bit-reversed while copying
//
// TIFF's G3 rows each start with an EOL code. With fill bits the EOL ends on
// a byte boundary, which readers take from /EncodedByteAlign only together
// with /EndOfLine true: Ghostscript and MuPDF misread the rows without it.
//
// CCITT codes describe runs of 0 bits ("white" codes) and 1 bits; libtiff
// keeps that meaning whatever the photometric, so in a min-is-black page the
// white codes are black pixels, which is what /BlackIs1 true says.
//
// Uncompressed 1-bit pages are deflated for now (a G4 encoder is future
// work); pages in any other compression, bit depth or colour are refused
// with ErrUnsupported, as are G3/G4 pages that allow the CCITT uncompressed
// mode, which PDF readers do not all decode.
//
// # Page size
//
// A page is as large as its pixels at its resolution:
// width = Width/XRes*72 pt, height = Height/YRes*72 pt. The content stream
// first scales by 72/XRes and 72/YRes and then works in whole pixels, so fax
// pixels, which are not square (204x196 or 204x98 dpi), scale the page and
// never stretch it: a 1728-pixel fax line is 8.47 in wide either way.
//
// Resolution comes from XResolution and YResolution (tags 282, 283) in the
// unit of ResolutionUnit (296): 2 inch (the default), 3 centimetre
// (converted to dpi), 1 none (the values are ignored). A missing, zero or
// implausible value (outside 10..10000 dpi) is completed by this rule, and
// Page.ResGuessed reports it:
//
//   - a page as wide as a T.4 fax line (1728, 2048 or 2432 pixels) is a fax
//     page at 204 dpi across and 196 dpi down, or 98 dpi down when it is at
//     most 1500 rows tall (a normal-mode letter, A4 or legal page has
//     1078-1372 rows; a fine-mode page twice as many);
//   - any other page is taken as 200x200 dpi;
//   - when only one value is present, a fax page takes the other from the
//     rule above, and any other page is taken as square.
//
// # Writing PDF
//
// PDF streams a PDF 1.4 file: each page's objects are written as soon as
// the page is added, and the writer keeps only the byte offset of each
// object and the object number of each page. Close writes the page tree
// (with intermediate nodes every 1024 pages, so no array grows past what
// old readers accept), the information dictionary (Title, Producer,
// CreationDate), the cross-reference table and the trailer.
//
// Convert puts it together for files on disk: it writes to a temporary file
// beside the output, syncs it, and renames it onto the output, so the
// output is either the complete new PDF or what was there before; on any
// error the temporary file is removed.
package document

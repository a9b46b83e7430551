// Package document turns fax and scanner pages (TIFF, JPEG and PBM files)
// into one PDF without re-compressing what is already compressed.
//
// # Why pass-through
//
// A fax page is already compressed with the CCITT codes (T.4 "Group 3" or
// T.6 "Group 4"), and PDF readers decode exactly those codes with the
// /CCITTFaxDecode filter; a colour copier's page is already a JPEG, which
// they decode with /DCTDecode. So the converter reads only the files'
// structure (tags, marker segments, headers), copies each strip's bytes
// into the PDF as an image XObject, and describes the coding in the
// image's dictionary. This is
//
//   - pixel-exact: the PDF holds the very bits the machine scanned; the tests
//     compare Ghostscript's and poppler's rendering with libtiff's decoding
//     and find zero differing pixels (for JPEG, the decoders' usual
//     differences of a level or two);
//   - fast and small: the work is a copy, memory stays flat, and the output
//     is the input plus a few hundred bytes of PDF structure per strip.
//
// Bilevel pages that are not in G3 or G4 are coded as G4 with the
// document/ccitt codec, losslessly: uncompressed rows (TIFF compression 1,
// PBM) and CCITT RLE (compression 2). With Info.Compact, G3 pages (and G4
// pages in several strips) are recoded as G4 too: decoded and coded again,
// the same pixels in a third to a half fewer bytes. A page in strips that
// is coded this way becomes one image. Recoded data are kept only when
// they decode to every row of the page and come out smaller; otherwise
// the original data pass through as before.
//
// # Inputs
//
// ReadPages tells the formats apart by their first bytes, never by the
// file's name: "II" or "MM" starts a TIFF or BigTIFF file (ReadTIFF), FF D8
// FF a JPEG file (ReadJPEG), "P1" or "P4" and a space a PBM file (ReadPBM).
// Each reader returns Page values that describe where each page's coded
// pieces lie in the file (Strips, with Cell telling where each goes), and
// how they are coded (Compression and the fields beside it); PDF.AddPage
// then reads the pieces from the same file.
//
// # Reading TIFF
//
// ReadTIFF reads classic TIFF and BigTIFF (version 43, 8-byte offsets and
// counts) in both byte orders and walks every IFD in the chain; each IFD is
// one Page, except reduced-resolution copies (thumbnails), which are
// skipped. It reads no image data, checks that every strip or tile lies
// inside the file, and refuses hostile files with an error instead of
// spending memory or time on them: IFD loops, offsets past the end (or
// beyond what an int64 holds), more than MaxIFDEntries entries, pages or
// tiles larger than MaxDimension, more than MaxPages pages or MaxStrips
// strips and tiles, JPEG tables over MaxJPEGTables, strips that overlap (a
// small file naming the same bytes many times would blow up the output),
// and missing required tags.
//
// Errors are *InputError values that name the file and the page
// ("document: scan.tif page 2: strip 1 extends past end of file") and wrap
// ErrFormat (ErrNotTIFF), ErrDamaged, ErrUnsupported or ErrLimit for
// errors.Is.
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
//	Compression 2 (CCITT RLE)           coded as G4 (else /K 0, /EncodedByteAlign true, no EOLs)
//	Compression 1 (none)                coded as G4
//	Compression 7 (JPEG)                /DCTDecode, see below
//	ImageWidth, rows of the strip       /Width, /Height, /Columns, /Rows; /EndOfBlock false
//	Photometric 0 (min-is-white)        CCITT: defaults; grey JPEG: /Decode [1 0]
//	Photometric 1 (min-is-black)        CCITT: /BlackIs1 true; grey JPEG: defaults
//	FillOrder 2                         every byte bit-reversed while copying
//
// TIFF's G3 rows each start with an EOL code. With fill bits the EOL ends on
// a byte boundary, which readers take from /EncodedByteAlign only together
// with /EndOfLine true: Ghostscript and MuPDF misread the rows without it.
//
// CCITT codes describe runs of 0 bits ("white" codes) and 1 bits; libtiff
// keeps that meaning whatever the photometric, so in a min-is-black page the
// white codes are black pixels, which is what /BlackIs1 true says. Coding
// uncompressed rows keeps the bits as they are, with the same dictionary.
//
// Pages in other compressions (LZW, old-style JPEG, ...), other bit depths
// or colour models are refused with ErrUnsupported, as are G3/G4 pages that
// allow the CCITT uncompressed mode, which PDF readers do not all decode.
//
// # Tiles
//
// Tiles are coded independently like strips (TIFF codes whole tiles, so
// those of the last column and row reach past the page). Each tile becomes
// an image placed in its grid cell, and the page's content is clipped to
// the page. Ghostscript and poppler render tiled CCITT pages exactly like
// libtiff's decoding (the tests check both, pixel for pixel).
//
// # JPEG
//
// A JPEG-compressed TIFF page (compression 7, TIFF Technical Note 2)
// usually keeps its quantization and Huffman tables once, in JPEGTables,
// and each strip or tile is an abbreviated JPEG stream. The PDF needs a
// complete stream per image, so the tables' segments (without their SOI
// and EOI markers) are put in after each strip's SOI: the coded data are
// never decoded or changed. The frame header of every strip is read first
// and must match its place; frames PDF readers do not all decode are
// refused (12-bit samples, lossless, hierarchical and arithmetic coding).
//
// Colour: three samples are /DeviceRGB, one is /DeviceGray, four (CMYK) are
// /DeviceCMYK. JPEG data hold either YCbCr (photometric 6: readers convert
// to RGB) or RGB as it is (photometric 2). Readers take the colour transform
// from an Adobe APP14 segment when there is one, else from /ColorTransform,
// which this package always writes; but Ghostscript 10 ignores
// /ColorTransform 0 for three components, so RGB strips without an Adobe
// segment also get one (transform 0) put in beside the tables. A TIFF whose
// Adobe segment contradicts its photometric is refused.
//
// A JPEG file is one page whose one strip is the whole file, copied
// unchanged (an Adobe segment is put in only for RGB data that lack one).
// Its colour model is what libjpeg decides: an Adobe segment's transform,
// else JFIF means YCbCr, else component identifiers 'R', 'G', 'B' mean RGB.
// CMYK files with an Adobe segment are taken to be stored inverted, as
// Adobe applications write them, and get /Decode [1 0 1 0 1 0 1 0].
// Progressive files pass through (PDF 1.3 readers decode them).
//
// # PBM
//
// PBM files (binary P4 and plain P1, several images in one file as netpbm
// writes them) are pages of uncompressed rows, 1 for black; each page is
// coded as one G4 image. ReadPBM checks a plain raster digit by digit and
// AddPage reads it again while coding.
//
// # Page size
//
// A page is as large as its pixels at its resolution:
// width = Width/XRes*72 pt, height = Height/YRes*72 pt. The content stream
// first scales by 72/XRes and 72/YRes and then works in whole pixels, so fax
// pixels, which are not square (204x196 or 204x98 dpi), scale the page and
// never stretch it: a 1728-pixel fax line is 8.47 in wide either way.
//
// TIFF resolution comes from XResolution and YResolution (tags 282, 283) in
// the unit of ResolutionUnit (296): 2 inch (the default), 3 centimetre
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
// A JPEG file's resolution is its JFIF density when that has a unit (dots
// per inch or per centimetre), else the EXIF XResolution and YResolution,
// else 200 dpi (one value alone makes the page square). PBM has no
// resolution: its pages are 200x200 dpi. Both are ResGuessed then.
//
// # Writing PDF
//
// PDF streams a PDF 1.4 file: each page's objects are written as soon as
// the page is added, and the writer keeps only the byte offset of each
// object and the object number of each page (and, while recoding, one
// image's G4 data). Close writes the page tree (with intermediate nodes
// every 1024 pages, so no array grows past what old readers accept), the
// information dictionary (Title, Producer, CreationDate), the
// cross-reference table and the trailer.
//
// # TIFF-F
//
// Internet fax receivers want TIFF-F (RFC 3949 profile S): G3 one-dimensional rows, 1728 pixels wide, at fax
// resolution. TIFFF writes it; ConvertTIFFF is its Convert. Fax pages are decoded and re-coded row by row with
// package ccitt, so their pixels stay exactly as scanned; pages at other resolutions are resampled (see TIFFF).
// This is the one place where fax data is re-coded, because the receiver demands the coding.
//
// # Parts
//
// ConvertPages writes a range of the pages only: the parts of a scan too large for the mail server's limit.
//
// Convert puts it together for files on disk: it writes to a temporary file
// beside the output, syncs it, and renames it onto the output, so the
// output is either the complete new PDF or what was there before; on any
// error the temporary file is removed.
package document

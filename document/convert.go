package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/scangate/gateway/internal/atomicfile"
)

// ErrNoInput is returned by Convert when it is given no input files.
var ErrNoInput = errors.New("document: no input files")

// outputMode is the permission of a finished document unless Info.Mode says otherwise.
const outputMode = 0o644

// ErrNotRegular is wrapped by the error about an input that is not a regular file (a FIFO, a device, a
// directory): reading one could block for ever or never end.
var ErrNotRegular = errors.New("not a regular file")

// Convert writes every page of the input files, in order, into one PDF at
// out and returns the number of pages written. Inputs are TIFF (every
// page), JPEG or PBM files, told apart by their first bytes (see ReadPages).
// The PDF is written to a temporary file in out's directory, synced and
// renamed onto out, and the directory is synced, so that a power cut leaves
// either the complete new PDF or the old file at out. On any error the
// temporary file is removed and Convert returns 0 pages; out is untouched,
// unless only the final sync of the directory failed: then the new PDF is
// in place, and the error says that it may not survive a power cut. Errors
// about an input are *InputError values naming the file and page. When ctx
// ends the conversion stops at the next page, removes the temporary file
// and returns ctx's error.
func Convert(ctx context.Context, out string, inputs []string, info Info) (pages int, err error) {
	return convert(ctx, out, inputs, allPages, info.Mode, func(f *os.File) pageWriter { return NewPDF(f, info) })
}

// ConvertPages is Convert for the pages first to last (counted from 1 across all inputs, inclusive) only: the
// parts of a document too large for one mail.
func ConvertPages(ctx context.Context, out string, inputs []string, first, last int, info Info) (pages int, err error) {
	if first < 1 || last < first {
		return 0, fmt.Errorf("document: no pages %d to %d", first, last)
	}
	return convert(ctx, out, inputs, pageRange{first, last}, info.Mode, func(f *os.File) pageWriter { return NewPDF(f, info) })
}

// pageRange selects pages by their number across the inputs, from 1; allPages selects every page.
type pageRange struct{ first, last int }

var allPages = pageRange{1, int(^uint(0) >> 1)}

func (r pageRange) has(n int) bool { return n >= r.first && n <= r.last }

// ConvertTIFFF is Convert for a TIFF-F file (see TIFFF): the same inputs,
// except JPEG pages, which TIFF-F cannot hold; the same atomic replacement
// of out.
func ConvertTIFFF(ctx context.Context, out string, inputs []string) (pages int, err error) {
	return convert(ctx, out, inputs, allPages, 0, func(f *os.File) pageWriter { return NewTIFFF(f) })
}

// pageWriter is a document being written page by page: a PDF or a TIFFF.
type pageWriter interface {
	AddPage(r io.ReaderAt, pg Page) error
	Close() error
}

// convert writes every page of the inputs through the writer that start
// returns for a temporary file, and puts the file in place at out with the
// permission mode (0: outputMode).
func convert(ctx context.Context, out string, inputs []string, sel pageRange, mode os.FileMode, start func(*os.File) pageWriter) (pages int, err error) {
	if len(inputs) == 0 {
		return 0, ErrNoInput
	}
	if mode == 0 {
		mode = outputMode
	}
	var failed error // the conversion's own error, already in the package's words
	err = atomicfile.WriteFile(out, mode, func(f *os.File) error {
		pages, failed = writePages(ctx, start(f), inputs, sel)
		return failed
	})
	if failed != nil {
		return 0, failed
	}
	if err != nil {
		return 0, fmt.Errorf("document: %w", err)
	}
	return pages, nil
}

// writePages adds the selected pages of the inputs to doc and closes it. It returns how many pages it added.
func writePages(ctx context.Context, doc pageWriter, inputs []string, sel pageRange) (pages int, err error) {
	seen := 0 // pages of the inputs so far, selected or not
	for _, in := range inputs {
		n, total, err := addFile(ctx, doc, in, seen, sel)
		if err != nil {
			return 0, err
		}
		pages += n
		seen += total
	}
	if pages == 0 {
		return 0, fmt.Errorf("document: no pages %d to %d in %d pages", sel.first, sel.last, seen)
	}
	if err := doc.Close(); err != nil {
		return 0, err
	}
	return pages, nil
}

// addFile adds the selected pages of the file name to doc; before counts the pages of the inputs before it.
// It returns how many pages it added and how many the file has.
func addFile(ctx context.Context, doc pageWriter, name string, before int, sel pageRange) (added, total int, err error) {
	// Stat before opening: opening a FIFO waits for a writer, which may never come.
	if st, err := os.Stat(name); err == nil && !st.Mode().IsRegular() {
		return 0, 0, &InputError{File: name, Err: ErrNotRegular}
	}
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, fmt.Errorf("document: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("document: %w", err)
	}
	pages, err := ReadPages(f, st.Size())
	for i, pg := range pages {
		if !sel.has(before + i + 1) {
			continue
		}
		if err = ctx.Err(); err != nil {
			break
		}
		if err = doc.AddPage(f, pg); err != nil {
			break
		}
		added++
	}
	if ie := (*InputError)(nil); errors.As(err, &ie) {
		ie.File = name
	}
	if err != nil {
		return 0, 0, err
	}
	return added, len(pages), nil
}

// ReadPages reads the structure of a TIFF, JPEG or PBM file of size bytes,
// recognised by its first bytes whatever its name: "II" or "MM" for TIFF
// (ReadTIFF), FF D8 FF for JPEG (ReadJPEG), "P1" or "P4" and a space for
// PBM (ReadPBM). Anything else is refused with ErrFormat.
func ReadPages(r io.ReaderAt, size int64) ([]Page, error) {
	var magic [3]byte
	n, err := r.ReadAt(magic[:min(size, 3)], 0)
	if err != nil && err != io.EOF {
		return nil, &InputError{Err: err}
	}
	switch m := magic[:n]; {
	case bytes.HasPrefix(m, []byte("II")), bytes.HasPrefix(m, []byte("MM")):
		return ReadTIFF(r, size)
	case bytes.Equal(m, []byte{0xff, markSOI, 0xff}):
		return ReadJPEG(r, size)
	case n == 3 && m[0] == 'P' && (m[1] == '1' || m[1] == '4') && isSpace(m[2]):
		return ReadPBM(r, size)
	}
	return nil, &InputError{Err: ErrFormat}
}

package document

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoInput is returned by Convert when it is given no input files.
var ErrNoInput = errors.New("document: no input files")

// outputMode is the permission of a finished PDF.
const outputMode = 0o644

// Convert writes every page of the TIFF files inputs, in order, into one PDF
// at out and returns the number of pages written. The PDF is written to a
// temporary file in out's directory, synced and renamed onto out, so out is
// either the complete new PDF or untouched: on any error the temporary file
// is removed. Errors about an input are *InputError values naming the file
// and page. Only when the final sync of the directory fails is the new PDF
// already in place at out; the error then says the rename may not survive
// a power cut.
func Convert(out string, inputs []string, info Info) (pages int, err error) {
	if len(inputs) == 0 {
		return 0, ErrNoInput
	}
	dir := filepath.Dir(out)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("document: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	pdf := NewPDF(tmp, info)
	for _, in := range inputs {
		n, err := addFile(pdf, in)
		if err != nil {
			return 0, err
		}
		pages += n
	}
	if err := pdf.Close(); err != nil {
		return 0, err
	}
	if err := tmp.Chmod(outputMode); err != nil {
		return 0, fmt.Errorf("document: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("document: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("document: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return 0, fmt.Errorf("document: %w", err)
	}
	// Make the rename itself durable.
	if err := syncDir(dir); err != nil {
		return pages, fmt.Errorf("%w (the new %s is in place but may not survive a power cut)", err, out)
	}
	return pages, nil
}

// addFile adds every page of the TIFF file name to pdf.
func addFile(pdf *PDF, name string) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, fmt.Errorf("document: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("document: %w", err)
	}
	pages, err := ReadTIFF(f, st.Size())
	for _, pg := range pages {
		if err = pdf.AddTIFFPage(f, pg); err != nil {
			break
		}
	}
	if ie := (*InputError)(nil); errors.As(err, &ie) {
		ie.File = name
	}
	if err != nil {
		return 0, err
	}
	return len(pages), nil
}

// syncDir flushes directory dir, so that a rename in it survives a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("document: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("document: sync %s: %w", dir, err)
	}
	return nil
}

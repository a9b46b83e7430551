package document

import (
	"errors"
	"fmt"
)

// Kinds of input problems. Every error about an input's content wraps one of
// these, so callers can tell a bad scan (permanent, tell the user) from an I/O
// failure with errors.Is.
var (
	// ErrFormat means the input is none of the formats this package reads:
	// TIFF, JPEG or PBM (recognised by their first bytes, not their names).
	ErrFormat = errors.New("not a TIFF file, nor a JPEG or PBM image")
	// ErrNotTIFF means the input does not start like a TIFF file. It wraps
	// ErrFormat.
	ErrNotTIFF error = &kindError{ErrFormat, "not a TIFF file"}
	// ErrDamaged means the file's structure is broken: truncated, looping,
	// pointing outside the file, or missing a required part.
	ErrDamaged = errors.New("damaged file")
	// ErrUnsupported means the file is valid but uses a feature this package
	// does not convert (a compression, bit depth, colour model or coding
	// process the PDF could not carry unchanged).
	ErrUnsupported = errors.New("unsupported feature")
	// ErrLimit means the file exceeds one of the reader's limits (MaxPages,
	// MaxDimension, MaxIFDEntries, MaxStrips, MaxJPEGTables).
	ErrLimit = errors.New("file exceeds a limit")
	// ErrClosed is returned by a PDF after Close.
	ErrClosed = errors.New("document: pdf already closed")
)

// InputError locates a problem in an input: the file (when known) and the
// 1-based page. Err wraps one of ErrFormat (ErrNotTIFF), ErrDamaged,
// ErrUnsupported, ErrLimit, or the I/O error met while reading the input.
type InputError struct {
	File string // input name as given to Convert; empty from the readers and AddPage
	Page int    // 1-based page number in its file (IFD, or image of a PBM file); 0 when the problem is not in one page
	Err  error
}

// Error reads like "document: scan.tif page 2: strip 1 extends past end of file".
func (e *InputError) Error() string {
	where := e.File
	if e.Page > 0 {
		if where != "" {
			where += " "
		}
		where += fmt.Sprintf("page %d", e.Page)
	}
	if where == "" {
		return "document: " + e.Err.Error()
	}
	return "document: " + where + ": " + e.Err.Error()
}

// Unwrap returns the underlying problem.
func (e *InputError) Unwrap() error { return e.Err }

// kindError carries its own message and unwraps to one of the kind sentinels,
// so the message stays short ("strip 1 extends past end of file") while
// errors.Is(err, ErrDamaged) still holds.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func damaged(format string, args ...any) error {
	return &kindError{ErrDamaged, fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &kindError{ErrUnsupported, "unsupported " + fmt.Sprintf(format, args...)}
}

func overLimit(format string, args ...any) error {
	return &kindError{ErrLimit, fmt.Sprintf(format, args...)}
}

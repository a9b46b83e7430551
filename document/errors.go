package document

import (
	"errors"
	"fmt"
)

// Kinds of input problems. Every error about an input's content wraps one of
// these, so callers can tell a bad scan (permanent, tell the user) from an I/O
// failure with errors.Is.
var (
	// ErrNotTIFF means the input does not start like a TIFF file.
	ErrNotTIFF = errors.New("not a TIFF file")
	// ErrDamaged means the TIFF structure is broken: truncated, looping,
	// pointing outside the file, or missing a required tag.
	ErrDamaged = errors.New("damaged TIFF file")
	// ErrUnsupported means the file is valid TIFF but uses a feature this
	// package does not convert yet (compression, bit depth, tiles, BigTIFF).
	ErrUnsupported = errors.New("unsupported TIFF feature")
	// ErrLimit means the file exceeds one of the reader's limits (MaxPages,
	// MaxDimension, MaxIFDEntries, MaxStrips).
	ErrLimit = errors.New("TIFF file exceeds a limit")
	// ErrClosed is returned by a PDF after Close.
	ErrClosed = errors.New("document: pdf already closed")
)

// InputError locates a problem in an input: the file (when known) and the
// 1-based page. Err wraps one of ErrNotTIFF, ErrDamaged, ErrUnsupported,
// ErrLimit, or the I/O error met while reading the input.
type InputError struct {
	File string // input name as given to Convert; empty from ReadTIFF and AddTIFFPage
	Page int    // 1-based page (IFD) number; 0 when the problem is not in one page
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

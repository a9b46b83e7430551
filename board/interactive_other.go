//go:build !unix

package board

import (
	"errors"
	"io"
	"os"
)

// openInteractive reports that the interactive sim needs a unix terminal;
// script mode works everywhere.
func openInteractive(*lcd, *os.File, io.Writer, bool) (*Board, error) {
	return nil, errors.New("board: the interactive sim needs a unix terminal")
}

package paneltest

import "github.com/scangate/gateway/board/simlcd"

// Display is an in-memory character LCD with HD44780 cursor and write
// semantics: the one of package board/simlcd, which documents the model.
type Display = simlcd.Display

// NewDisplay returns a blank, switched-on display of cols x rows characters.
// Values below 1 are taken as 1.
func NewDisplay(cols, rows int) *Display { return simlcd.New(cols, rows) }

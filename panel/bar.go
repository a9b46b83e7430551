package panel

import (
	"errors"

	"periph.io/x/conn/v3/display"
)

// The progress bar is a row of cells that fill from the left. With custom
// characters a cell has five steps, one per pixel column: character i
// lights the i+1 left columns, so character fullCell is a solid block.
// Without them a cell is '#' when full and '=' when half full.
const (
	barSteps = 5
	fullCell = barSteps - 1
)

// barGlyph returns the pattern of the custom character that lights the n
// left pixel columns of a cell.
func barGlyph(n int) [8]byte {
	var g [8]byte
	for i := range g {
		g[i] = byte(0x1f<<(barSteps-n)) & 0x1f
	}
	return g
}

// loadChars defines the bar's characters on a display that has custom
// characters; a display that says it has none gets the ASCII bar.
func (p *Panel) loadChars() error {
	p.loaded, p.custom = true, false
	cc, ok := p.d.(CustomChars)
	if !ok {
		return nil
	}
	for i := range barSteps {
		if err := cc.SetCustomChar(i, barGlyph(i+1)); err != nil {
			if errors.Is(err, display.ErrNotImplemented) {
				return nil
			}
			p.loaded = false
			return err
		}
	}
	p.custom = true
	return nil
}

// bar returns the progress bar of the job in progress as a raw row as wide
// as the display, and false when the progress has no known total.
func (p *Panel) bar() (row, bool) {
	e := p.progress
	if e.Total <= 0 || e.Stage == StageQueued {
		return row{}, false
	}
	steps := 2
	if p.custom {
		steps = barSteps
	}
	lit := percent(e.Done, e.Total) * p.cols * steps / 100
	cells := make([]byte, p.cols)
	for i := range cells {
		n := min(max(lit-i*steps, 0), steps)
		switch {
		case n == 0:
			cells[i] = ' '
		case p.custom:
			cells[i] = byte(n - 1)
		case n == steps:
			cells[i] = '#'
		default:
			cells[i] = '='
		}
	}
	return row{text: string(cells), raw: true}, true
}

// readable returns a rendered line with the bar's custom characters as
// '#' (a full cell) and '=' (a part of one).
func readable(line string) string {
	b := []byte(line)
	for i, c := range b {
		switch {
		case c == fullCell:
			b[i] = '#'
		case c < fullCell:
			b[i] = '='
		}
	}
	return string(b)
}

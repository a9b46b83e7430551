package board

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/scangate/gateway/panel"
)

// ANSI control sequences of the terminal renderer.
const (
	ansiStart = "\x1b[?1049h\x1b[?25l\x1b[2J" // alternate screen, hide cursor, clear
	ansiStop  = "\x1b[?25h\x1b[?1049l"        // show cursor, back to the main screen
	ansiHome  = "\x1b[H"                      // cursor to the top left corner
	ansiEOL   = "\x1b[K\r\n"                  // clear the rest of the line, next line
	ansiEOS   = "\x1b[J"                      // clear the rest of the screen
	ansiReset = "\x1b[0m"
	ansiLCD   = "\x1b[30;42m" // black on green, like a backlit LCD
	ansiDim   = "\x1b[2m"
)

// legend explains the keyboard of the interactive sim.
var legend = []string{
	"arrows move   Enter ok   Backspace/Esc back",
	"s send   x/space stop   q quit",
}

// terminal draws the simulated panel in place on a terminal: the LCD in a
// box, the three lights and the key legend, redrawn whole at the top of the
// alternate screen on every flush and every change of the lights.
type terminal struct {
	*lcd
	mu     sync.Mutex
	out    io.Writer
	color  bool
	leds   panel.LEDs
	closed bool
}

// start switches the terminal to the alternate screen and draws the panel.
func (t *terminal) start() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.write(ansiStart + t.frame())
}

// stop leaves the alternate screen; later draws do nothing.
func (t *terminal) stop() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	return t.write(ansiStop)
}

// Flush redraws the panel.
func (t *terminal) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.draw()
}

// setLEDs redraws the panel with the lights l.
func (t *terminal) setLEDs(l panel.LEDs) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.leds = l
	return t.draw()
}

func (t *terminal) draw() error {
	if t.closed {
		return nil
	}
	return t.write(t.frame())
}

func (t *terminal) write(s string) error {
	if _, err := io.WriteString(t.out, s); err != nil {
		return fmt.Errorf("board: terminal: %w", err)
	}
	return nil
}

// frame returns the sequence that redraws the whole panel from the top left
// corner of the screen.
func (t *terminal) frame() string {
	rows := t.Lines()
	width := t.Cols()
	var b strings.Builder
	b.WriteString(ansiHome)
	line := func(s string) { b.WriteString(s + ansiEOL) }
	line("┌" + strings.Repeat("─", width) + "┐")
	for _, r := range rows {
		if t.color {
			r = ansiLCD + r + ansiReset
		}
		line("│" + r + "│")
	}
	line("└" + strings.Repeat("─", width) + "┘")
	line("")
	var leds []string
	for _, l := range ledList(t.leds) {
		switch {
		case l.on && t.color:
			leds = append(leds, "\x1b[1;"+l.color+"m● "+l.name+ansiReset)
		case l.on:
			leds = append(leds, "● "+l.name)
		case t.color:
			leds = append(leds, ansiDim+"○ "+l.name+ansiReset)
		default:
			leds = append(leds, "○ "+l.name)
		}
	}
	line(" " + strings.Join(leds, "   "))
	line("")
	for _, l := range legend {
		line(" " + l)
	}
	b.WriteString(ansiEOS)
	return b.String()
}

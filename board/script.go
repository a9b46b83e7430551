package board

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/scangate/gateway/panel"
)

// script is the sim's display in script mode: each flushed screen that
// differs from the last one becomes one line on out, and each change of the
// lights another.
type script struct {
	*lcd
	mu       sync.Mutex
	out      io.Writer
	last     string
	leds     panel.LEDs
	ledsSeen bool
}

func newScript(d *lcd, out io.Writer) *script { return &script{lcd: d, out: out} }

// Flush writes the screen as one line, e.g. "[panel] Ready 12:04 | To:
// Accounts", unless it reads the same as the line before.
func (s *script) Flush() error {
	line := "[panel] " + screenLine(s.Lines())
	s.mu.Lock()
	defer s.mu.Unlock()
	if line == s.last {
		return nil
	}
	s.last = line
	if _, err := fmt.Fprintln(s.out, line); err != nil {
		return fmt.Errorf("board: %w", err)
	}
	return nil
}

// screenLine joins the rows of a screen with " | ", each row's runs of
// spaces squeezed to one, and drops blank rows at the end.
func screenLine(rows []string) string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(strings.Fields(r), " ")
	}
	for len(out) > 1 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, " | ")
}

// setLEDs writes the lit lights as one line, e.g. "[leds] Sending", when
// they changed.
func (s *script) setLEDs(l panel.LEDs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ledsSeen && l == s.leds {
		return nil
	}
	s.leds, s.ledsSeen = l, true
	var lit []string
	for _, led := range ledList(l) {
		if led.on {
			lit = append(lit, led.name)
		}
	}
	if len(lit) == 0 {
		lit = []string{"off"}
	}
	if _, err := fmt.Fprintln(s.out, "[leds] "+strings.Join(lit, ", ")); err != nil {
		return fmt.Errorf("board: %w", err)
	}
	return nil
}

// led is one light as the sims show it.
type led struct {
	name  string
	on    bool
	color string // ANSI SGR colour when lit
}

func ledList(l panel.LEDs) []led {
	return []led{{"Ready", l.Ready, "32"}, {"Sending", l.Sending, "33"}, {"Error", l.Error, "31"}}
}

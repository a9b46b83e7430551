package panel

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"periph.io/x/conn/v3/display"
)

// TickInterval is how often the caller should call Panel.Tick.
const TickInterval = 500 * time.Millisecond

const (
	// resultTicks is how long a success stays on screen: about 30 s.
	resultTicks = 60
	// hintTicks is how long a hint replaces the last row: about 2 s.
	hintTicks = 4
)

// Minimum display size the screens are laid out for.
const (
	MinCols = 16
	MinRows = 2
)

// Hints shown on the last row for a moment.
const (
	hintBusy     = "Stop to cancel"
	hintStopping = "Please wait"
	hintNoDest   = "No destination"
	hintAck      = "OK to clear"
)

// Config is what the panel needs to know at start.
type Config struct {
	// Book is the address book, in the order the up/down keys walk it.
	Book []Destination
	// Selected is the index in Book chosen at start.
	Selected int
	// DeviceName is shown on the ready screen; "Ready" when empty.
	DeviceName string
}

// Flusher is implemented by displays that collect changes and show them as
// one frame, like the simulated boards. The panel calls Flush after each
// screen update that changed something.
type Flusher interface {
	Flush() error
}

// mode is the screen the panel is on.
type mode int

const (
	modeReady   mode = iota // idle: device name, clock, destination
	modeDetails             // idle: the destination's name and address
	modeBusy                // a job is in progress
	modeResult              // the outcome of the last job
)

// Panel is the front-panel state machine. It is driven by its caller (Key,
// Event, Tick) from one goroutine and draws on a display.TextDisplay.
type Panel struct {
	d          display.TextDisplay
	cols, rows int
	row0, col0 int
	book       []Destination
	name       string
	now        func() time.Time

	sel      int
	mode     mode
	job      Destination // the destination of the job in progress
	progress Event
	stopping bool
	result   Result
	detail   bool // the failure screen shows Result.Detail
	left     int  // ticks before a result returns to the ready screen
	hint     string
	hintLeft int
	ticks    int // ticks since the screen last changed, for scrolling

	screen []string // the lines last rendered
	shown  []string // the lines known to be on the display; "" = unknown
	err    error
}

// New returns a panel drawing on d, showing the ready screen. d must have at
// least MinCols columns and MinRows rows; rows beyond the fourth stay blank.
// now gives the time of day for the clock; nil means time.Now.
func New(d display.TextDisplay, cfg Config, now func() time.Time) (*Panel, error) {
	if d == nil {
		return nil, errors.New("panel: no display")
	}
	cols, rows := d.Cols(), d.Rows()
	if cols < MinCols || rows < MinRows {
		return nil, fmt.Errorf("panel: display is %dx%d, need at least %dx%d", cols, rows, MinCols, MinRows)
	}
	if cfg.Selected < 0 || cfg.Selected >= max(len(cfg.Book), 1) {
		return nil, fmt.Errorf("panel: selected destination %d outside the address book of %d", cfg.Selected, len(cfg.Book))
	}
	if now == nil {
		now = time.Now
	}
	p := &Panel{
		d: d, cols: cols, rows: rows, row0: d.MinRow(), col0: d.MinCol(),
		book: append([]Destination(nil), cfg.Book...), name: cfg.DeviceName, now: now,
		sel: cfg.Selected, shown: make([]string, rows),
	}
	for _, err := range []error{d.AutoScroll(false), d.Cursor(display.CursorOff)} {
		if err != nil && !errors.Is(err, display.ErrNotImplemented) {
			return nil, fmt.Errorf("panel: display: %w", err)
		}
	}
	p.render()
	if p.err != nil {
		return nil, p.err
	}
	return p, nil
}

// Key handles a key press and returns what the appliance must do.
func (p *Panel) Key(k Key) Request {
	req := p.key(k)
	p.render()
	return req
}

func (p *Panel) key(k Key) Request {
	p.hint = ""
	switch p.mode {
	case modeBusy:
		if k == KeyStop {
			p.stopping = true
			return Request{Kind: RequestStop}
		}
		if p.stopping {
			p.setHint(hintStopping)
		} else {
			p.setHint(hintBusy)
		}
	case modeResult:
		if !p.result.failed() {
			p.setMode(modeReady)
			break
		}
		switch k {
		case KeyOK, KeyBack:
			p.setMode(modeReady)
		case KeyUp, KeyDown, KeyLeft, KeyRight:
			p.detail = !p.detail
			p.ticks = 0
		default:
			p.setHint(hintAck)
		}
	default:
		switch k {
		case KeyUp:
			p.step(-1)
		case KeyDown:
			p.step(1)
		case KeyOK, KeyRight:
			if p.mode == modeReady && len(p.book) > 0 {
				p.setMode(modeDetails)
			} else if k == KeyOK {
				p.setMode(modeReady)
			}
		case KeyBack, KeyLeft:
			p.setMode(modeReady)
		case KeySend:
			if len(p.book) == 0 {
				p.setHint(hintNoDest)
				break
			}
			p.job = p.book[p.sel]
			p.progress = Event{}
			p.stopping = false
			p.setMode(modeBusy)
			return Request{Kind: RequestSend, Dest: p.job}
		}
	}
	return Request{}
}

// step moves the selection through the address book, wrapping at its ends.
func (p *Panel) step(by int) {
	if n := len(p.book); n > 0 {
		p.sel = (p.sel + by + n) % n
		p.ticks = 0
	}
}

func (p *Panel) setMode(m mode) {
	p.mode = m
	p.ticks = 0
}

func (p *Panel) setHint(h string) {
	p.hint, p.hintLeft = h, hintTicks
}

// Event takes news from the job flow. Progress is shown while a job started
// with Send is in progress and ignored otherwise; a Result is always shown.
func (p *Panel) Event(e Event) {
	switch {
	case e.Result != nil:
		p.result = *e.Result
		if p.result.Dest.Name == "" {
			p.result.Dest = p.job
		}
		p.detail, p.stopping, p.left = false, false, resultTicks
		p.setMode(modeResult)
	case p.mode == modeBusy:
		p.progress = e
	}
	p.render()
}

// Tick advances the panel's clock: the time of day, scrolling text, hints
// and the timeout of a success screen. Call it every TickInterval.
func (p *Panel) Tick() {
	p.ticks++
	if p.hintLeft > 0 {
		if p.hintLeft--; p.hintLeft == 0 {
			p.hint = ""
		}
	}
	if p.mode == modeResult && !p.result.failed() {
		if p.left--; p.left <= 0 {
			p.setMode(modeReady)
		}
	}
	p.render()
}

// LEDs returns the state the three lights should show.
func (p *Panel) LEDs() LEDs {
	failed := p.mode == modeResult && p.result.failed()
	return LEDs{
		Ready:   p.mode != modeBusy && !failed,
		Sending: p.mode == modeBusy,
		Error:   failed,
	}
}

// Busy reports whether a job is in progress: from the Send request until
// the Result arrives.
func (p *Panel) Busy() bool { return p.mode == modeBusy }

// Selected returns the index of the selected destination in the address book.
func (p *Panel) Selected() int { return p.sel }

// Screen returns the lines currently shown, each exactly as wide as the
// display.
func (p *Panel) Screen() []string { return append([]string(nil), p.screen...) }

// Err returns the display's error from the last screen update, or nil when
// it succeeded. After an error the next update redraws the whole screen.
func (p *Panel) Err() error { return p.err }

// row is one line of a screen before it is fitted to the display.
type row struct {
	text   string
	scroll bool // scroll when longer than the display is wide
}

// rowsFor returns the screen for the current state; the first two rows carry
// everything essential, further rows add detail on larger displays.
func (p *Panel) rowsFor() []row {
	var dest Destination
	if len(p.book) > 0 {
		dest = p.book[p.sel]
	}
	switch p.mode {
	case modeDetails:
		return []row{{dest.Name, true}, {dest.Address, true}}
	case modeBusy:
		status := progressText(p.progress)
		if p.stopping {
			status = "Stopping..."
		}
		page := ""
		if p.progress.Page > 0 {
			page = "Page " + strconv.Itoa(p.progress.Page)
		}
		return []row{{text: status}, {text: "To: " + p.job.Name}, {text: page}}
	case modeResult:
		r := p.result
		switch {
		case r.OK:
			return []row{{text: "Sent to " + r.Dest.Name}, {text: r.Short}}
		case r.Stopped:
			return []row{{text: "Stopped"}, {text: r.Short}}
		case p.detail:
			return []row{{text: "Not sent"}, {r.Detail, true}, {text: "To: " + r.Dest.Name}}
		}
		return []row{{text: "Not sent"}, {text: r.Short}, {text: "To: " + r.Dest.Name}, {r.Detail, true}}
	}
	title := p.name
	if title == "" {
		title = "Ready"
	}
	c := clock(p.now())
	to := "No destinations"
	if len(p.book) > 0 {
		to = "To: " + dest.Name
	}
	return []row{{text: fit(toASCII(title), p.cols-len(c)-1) + " " + c}, {text: to}, {text: dest.Address}}
}

// progressText returns the first row of the progress screen.
func progressText(e Event) string {
	label := "Working"
	switch e.Stage {
	case StageQueued:
		return "Queued"
	case StageReceiving:
		label = "Receiving"
	case StageConverting:
		label = "Converting"
	case StageSending:
		label = "Sending"
	}
	switch {
	case e.Total > 0:
		return label + " " + strconv.Itoa(percent(e.Done, e.Total)) + "%"
	case e.Done > 0:
		return label + " " + size(e.Done)
	}
	return label
}

// render lays out the current screen and writes what changed.
func (p *Panel) render() {
	rows := p.rowsFor()
	want := make([]string, p.rows)
	for i := range want {
		var r row
		if i < len(rows) {
			r = rows[i]
		}
		text := toASCII(r.text)
		if r.scroll {
			text = text[scrollOffset(len(text), p.cols, p.ticks):]
		}
		want[i] = fit(text, p.cols)
	}
	if p.hint != "" {
		want[p.rows-1] = fit(p.hint, p.cols)
	}
	p.screen = want
	if p.err = p.draw(want); p.err != nil {
		p.shown = make([]string, p.rows)
		p.err = fmt.Errorf("panel: display: %w", p.err)
	}
}

// draw writes the changed part of each changed line and flushes.
func (p *Panel) draw(want []string) error {
	changed := false
	for i, w := range want {
		first, end := diffSpan(p.shown[i], w)
		if first == end {
			continue
		}
		if err := p.d.MoveTo(p.row0+i, p.col0+first); err != nil {
			return err
		}
		if _, err := p.d.WriteString(w[first:end]); err != nil {
			return err
		}
		p.shown[i] = w
		changed = true
	}
	if f, ok := p.d.(Flusher); ok && changed {
		return f.Flush()
	}
	return nil
}

// diffSpan returns the span [first, end) of new that differs from old; all
// of new when their lengths differ.
func diffSpan(old, new string) (first, end int) {
	if len(old) != len(new) {
		return 0, len(new)
	}
	first, end = 0, len(new)
	for first < end && old[first] == new[first] {
		first++
	}
	for end > first && old[end-1] == new[end-1] {
		end--
	}
	return first, end
}

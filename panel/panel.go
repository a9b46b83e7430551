package panel

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
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
	// confirmTicks is how long "Stop? OK=yes" waits for OK: about 10 s.
	confirmTicks = 20
	// idleTicks is how long the menu stays open without a key press: about
	// 2 minutes. Unsaved settings are dropped.
	idleTicks = 240
	// jump is how far left and right move in the address book.
	jump = 10
)

// Minimum display size the screens are laid out for.
const (
	MinCols = 16
	MinRows = 2
)

// Hints shown on the last row for a moment.
const (
	hintBusy      = "Stop to cancel"
	hintNoDest    = "No destination"
	hintAck       = "OK to clear"
	hintKept      = "Will be sent"
	hintWait      = "Please wait"
	hintTooLong   = "Too long"
	hintWrongPIN  = "Wrong PIN"
	hintPINLength = "4 to 8 digits"
	hintDeleted   = "Deleted"
	hintCancel    = "Back to cancel"
	askStop       = "Stop? OK=yes"
)

// Config is what the panel needs to know at start.
type Config struct {
	// Book is the address book, in the order the up/down keys walk it.
	Book []Destination
	// Selected is the index in Book chosen at start.
	Selected int
	// DeviceName is shown on the ready screen; "Ready" when empty.
	DeviceName string
	// Account, Device and PIN are the rest of the settings the admin
	// edits; with Book they make the Settings of RequestSaveSettings.
	Account Account
	Device  Device
	// PIN is the admin PIN (MinPIN to MaxPIN digits); empty means
	// DefaultPIN.
	PIN string
	// Choices are the values offered where a setting is picked from a list.
	Choices Choices
	// SignIn says that the account signs in with OAuth: Settings > Account
	// offers "Sign in" (RequestSignIn) in place of the password, which is
	// not used.
	SignIn bool
	// Version and Serial are shown under About.
	Version, Serial string
	// Blink makes the marker of a held or failed job blink. Leave it off
	// where every screen is logged (the script-mode sim): each blink is a
	// new screen.
	Blink bool
}

// Flusher is implemented by displays that collect changes and show them as
// one frame, like the simulated boards. The panel calls Flush after each
// screen update that changed something.
type Flusher interface {
	Flush() error
}

// CustomChars is implemented by displays that can define their own
// characters, like the eight CGRAM characters of an HD44780: pattern holds
// the eight pixel rows of character index (0 to 7), top first, the five
// low bits of each byte its pixels with bit 4 on the left. Writing the byte
// index then shows the character. The panel draws its progress bar with
// them; on other displays, or when SetCustomChar returns an error wrapping
// display.ErrNotImplemented, it uses '#' and '='.
type CustomChars interface {
	SetCustomChar(index int, pattern [8]byte) error
}

// mode is the screen the panel is on.
type mode int

const (
	modeReady   mode = iota // idle: device name, clock, destination
	modeDetails             // idle: the destination's name and address
	modeBusy                // a job is in progress
	modeResult              // the outcome of the last job
	modeMenu                // the menu: the views on the stack
)

// cursor is where the display's cursor shows, when on.
type cursor struct {
	row, col int
	on       bool
}

// Panel is the front-panel state machine. It is driven by its caller (Key,
// Event, Tick) from one goroutine and draws on a display.TextDisplay.
type Panel struct {
	d          display.TextDisplay
	cols, rows int
	row0, col0 int
	name       string
	now        func() time.Time
	version    string
	serial     string
	blink      bool
	choices    Choices
	signIn     bool

	set      Settings // the settings in force, the address book among them
	sel      int
	mode     mode
	job      Destination // the destination of the job in progress
	progress Event
	stopping bool
	confirm  int // ticks left of the stop question; 0: not asking
	result   Result
	detail   bool // the failure screen shows Result.Detail
	left     int  // ticks before a result returns to the ready screen
	hint     string
	hintLeft int
	ticks    int // ticks since the screen last changed, for scrolling
	beat     int // ticks since the start, for blinking

	relay  *Relay // the relay listener; nil when there is none
	queue  []QueueJob
	notice Notice

	stack       []view
	edit        *Settings             // the settings being edited, behind the PIN
	changed     bool                  // edit differs from set
	saving      *Settings             // the settings whose save is under way
	pending     [numRequestKinds]bool // requests awaiting their answer
	idle        int                   // ticks without a key in the menu
	tries       int                   // wrong PINs in a row
	lockedUntil time.Time

	loaded  bool     // the bar's characters were offered to the display
	custom  bool     // the display shows them
	screen  []string // the lines last rendered
	shown   []string // the lines known to be on the display; "" = unknown
	cursor  cursor   // where the cursor goes on the screen being rendered
	curShow cursor   // the cursor known to be on the display
	err     error
}

// New returns a panel drawing on d, showing the ready screen. d must have at
// least MinCols columns and MinRows rows; rows beyond the fourth stay blank.
// now gives the time of day for the clock and the PIN lockout; nil means
// time.Now.
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
	if cfg.PIN != "" && !ValidPIN(cfg.PIN) {
		return nil, fmt.Errorf("panel: the PIN must be %d to %d digits", MinPIN, MaxPIN)
	}
	if now == nil {
		now = time.Now
	}
	p := &Panel{
		d: d, cols: cols, rows: rows, row0: d.MinRow(), col0: d.MinCol(),
		name: cfg.DeviceName, now: now, version: cfg.Version, serial: cfg.Serial, blink: cfg.Blink, choices: cfg.Choices,
		signIn: cfg.SignIn, set: Settings{Account: cfg.Account, Book: slices.Clone(cfg.Book), Device: cfg.Device, PIN: cfg.PIN},
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
		return p.busyKey(k)
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
	case modeMenu:
		p.idle, p.ticks = 0, 0
		return p.top().key(p, k)
	default:
		switch k {
		case KeyUp:
			p.step(-1)
		case KeyDown:
			p.step(1)
		case KeyLeft:
			p.jump(-jump)
		case KeyRight:
			p.jump(jump)
		case KeyOK:
			if p.mode == modeReady && len(p.set.Book) > 0 {
				p.setMode(modeDetails)
			} else {
				p.setMode(modeReady)
			}
		case KeyBack:
			if p.mode == modeDetails {
				p.setMode(modeReady)
			} else {
				p.openMenu()
			}
		case KeySend:
			if len(p.set.Book) == 0 {
				p.setHint(hintNoDest)
				break
			}
			p.job = p.set.Book[p.sel]
			p.progress = Event{}
			p.stopping, p.confirm = false, 0
			p.setMode(modeBusy)
			return Request{Kind: RequestSend, Dest: p.job}
		}
	}
	return Request{}
}

// busyKey handles a key while a job is in progress. Stop stops the pull at
// once; once the scan is queued it asks first, and without OK the scan is
// sent all the same.
func (p *Panel) busyKey(k Key) Request {
	switch {
	case p.confirm > 0 && k == KeyOK:
		p.confirm, p.stopping = 0, true
		return Request{Kind: RequestStop}
	case p.confirm > 0:
		p.confirm = 0
		p.setHint(hintKept)
	case p.stopping:
		p.setHint(hintWait)
	case k == KeyStop && p.progress.Stage == StageReceiving:
		p.stopping = true
		return Request{Kind: RequestStop}
	case k == KeyStop:
		p.confirm = confirmTicks
	default:
		p.setHint(hintBusy)
	}
	return Request{}
}

// step moves the selection through the address book, wrapping at its ends.
func (p *Panel) step(by int) {
	if n := len(p.set.Book); n > 0 {
		p.sel = (p.sel + by + n) % n
		p.ticks = 0
	}
}

// jump moves the selection by, stopping at the ends of the address book.
func (p *Panel) jump(by int) {
	if n := len(p.set.Book); n > 0 {
		p.sel = min(max(p.sel+by, 0), n-1)
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

// adopt puts saved settings in force, keeping the selected destination
// when it is still in the address book.
func (p *Panel) adopt(s Settings) {
	var selected Destination
	if p.sel < len(p.set.Book) {
		selected = p.set.Book[p.sel]
	}
	p.set = s.clone()
	p.sel = max(slices.Index(p.set.Book, selected), 0)
}

// Event takes news from the appliance. Progress is shown while a job
// started with Send is in progress and ignored otherwise; a Result is
// always shown, closing the menu if it is open; queue news, notices and
// answers are taken whenever they come.
func (p *Panel) Event(e Event) {
	if e.Notice != nil {
		p.notice = *e.Notice
	}
	if e.Queue != nil {
		p.queue = slices.Clone(e.Queue.Jobs)
	}
	if e.Relay != nil {
		r := *e.Relay
		r.Addrs = slices.Clone(r.Addrs)
		p.relay = &r
	}
	if e.Answer != nil {
		p.answer(*e.Answer)
	}
	switch {
	case e.Result != nil:
		if p.mode == modeMenu {
			p.closeMenu()
		}
		p.result = *e.Result
		if p.result.Dest.Name == "" {
			p.result.Dest = p.job
		}
		p.detail, p.stopping, p.confirm, p.left = false, false, 0, resultTicks
		p.setMode(modeResult)
	case p.mode == modeBusy && e.progress():
		p.progress = e
	}
	p.render()
}

// Tick advances the panel's clock: the time of day, scrolling text, hints,
// blinking, the PIN lockout, and the timeouts of a success screen, of the
// stop question and of an idle menu. Call it every TickInterval.
func (p *Panel) Tick() {
	p.ticks++
	p.beat++
	if p.hintLeft > 0 {
		if p.hintLeft--; p.hintLeft == 0 {
			p.hint = ""
		}
	}
	switch p.mode {
	case modeResult:
		if !p.result.failed() {
			if p.left--; p.left <= 0 {
				p.setMode(modeReady)
			}
		}
	case modeBusy:
		if p.confirm > 0 {
			if p.confirm--; p.confirm == 0 {
				p.setHint(hintKept)
			}
		}
	case modeMenu:
		if v, ok := p.top().(*signInView); ok && v.live(p) {
			p.idle = 0 // someone is getting the code or typing it elsewhere
		} else if p.idle++; p.idle >= idleTicks && p.saving == nil {
			p.closeMenu()
		}
	}
	p.render()
}

// LEDs returns the state the three lights should show. Error is lit by a
// failed job not yet acknowledged, a queued job with a problem, and a
// notice with a problem.
func (p *Panel) LEDs() LEDs {
	failed := p.mode == modeResult && p.result.failed()
	return LEDs{
		Ready:   p.mode != modeBusy && !failed,
		Sending: p.mode == modeBusy,
		Error:   failed || p.alert() != "" || p.notice.Problem && p.notice.Text != "",
	}
}

// Busy reports whether a job is in progress: from the Send request until
// the Result arrives.
func (p *Panel) Busy() bool { return p.mode == modeBusy }

// Waiting reports whether the panel waits for the Answer to a request; a
// sign-in waits from RequestSignIn until its end (or RequestCancelSignIn),
// the person approving the code included. Keys pressed while a save is under
// way are ignored, so a script should wait for the answer before pressing
// the next key.
func (p *Panel) Waiting() bool { return slices.Contains(p.pending[:], true) }

// Selected returns the index of the selected destination in the address book.
func (p *Panel) Selected() int { return p.sel }

// Settings returns a copy of the settings in force: those given to New,
// or the last ones the appliance saved.
func (p *Panel) Settings() Settings { return p.set.clone() }

// Screen returns the lines currently shown, each exactly as wide as the
// display. The progress bar's custom characters read as '#' (a full cell)
// and '=' (a part).
func (p *Panel) Screen() []string {
	out := make([]string, len(p.screen))
	for i, l := range p.screen {
		out[i] = readable(l)
	}
	return out
}

// Err returns the display's error from the last screen update, or nil when
// it succeeded. After an error the next update redraws the whole screen.
func (p *Panel) Err() error { return p.err }

// alert returns the status of the first queued job with a problem, or "".
func (p *Panel) alert() string {
	for _, j := range p.queue {
		if j.Problem {
			return cmp.Or(j.Status, "Needs attention")
		}
	}
	return ""
}

// row is one line of a screen before it is fitted to the display.
type row struct {
	text   string
	scroll bool // scroll when longer than the display is wide
	raw    bool // bytes to write as they are (the progress bar)
}

// rowsFor returns the screen for the current state; the first two rows carry
// everything essential, further rows add detail on larger displays.
func (p *Panel) rowsFor() []row {
	var dest Destination
	if len(p.set.Book) > 0 {
		dest = p.set.Book[p.sel]
	}
	switch p.mode {
	case modeMenu:
		return p.top().rows(p)
	case modeDetails:
		return []row{{text: strconv.Itoa(p.sel+1) + " " + dest.Name, scroll: true}, {text: dest.Address, scroll: true}}
	case modeBusy:
		status := p.progressText()
		if p.stopping {
			status = "Stopping..."
		}
		rows := []row{{text: status}}
		to := row{text: "To: " + p.job.Name}
		bar, ok := p.bar()
		switch {
		case p.rows >= 4 && ok:
			rows = append(rows, to, bar)
		case ok:
			rows = append(rows, bar)
		default:
			rows = append(rows, to)
		}
		return rows
	case modeResult:
		r := p.result
		switch {
		case r.OK:
			return []row{{text: "Sent to " + r.Dest.Name}, {text: r.Short}}
		case r.Stopped:
			return []row{{text: "Stopped"}, {text: r.Short}}
		case p.detail:
			return []row{{text: "Not sent"}, {text: r.Detail, scroll: true}, {text: "To: " + r.Dest.Name}}
		}
		return []row{{text: "Not sent"}, {text: r.Short}, {text: "To: " + r.Dest.Name}, {text: r.Detail, scroll: true}}
	}
	return p.readyRows(dest)
}

// readyRows lays out the ready screen: the device name (or a notice, or on
// a small display the problem of a queued job) with the queue count and the
// clock, the destination, and on a larger display its address and the
// problem of a queued job.
func (p *Panel) readyRows(dest Destination) []row {
	marker := "!"
	if p.blink && p.beat%2 == 1 {
		marker = " "
	}
	big := p.rows >= 4
	alert := p.alert()
	c := clock(p.now())
	count := ""
	if n := len(p.queue); n > 0 {
		count = "Q:" + strconv.Itoa(n)
		c = count + " " + c
	}
	var top string
	switch {
	case p.notice.Text != "" && p.notice.Problem:
		top = marker + p.notice.Text
	case p.notice.Text != "":
		top = p.notice.Text
	case alert != "" && !big:
		top = marker + alert
	}
	if top != "" {
		// The notice or problem comes first: then the queue count and the
		// clock, as far as they fit.
		top = toASCII(top)
		for _, right := range []string{c, count} {
			if right != "" && len(top)+1+len(right) <= p.cols {
				top = fit(top, p.cols-len(right)) + right
				break
			}
		}
	} else {
		top = fit(toASCII(cmp.Or(p.name, "Ready")), p.cols-len(c)-1) + " " + c
	}
	to := "No destinations"
	if len(p.set.Book) > 0 {
		to = "To: " + dest.Name
	}
	rows := []row{{text: top}, {text: to}}
	if big {
		rows = append(rows, row{text: dest.Address})
		switch {
		case alert != "":
			rows = append(rows, row{text: marker + alert})
		case p.relay != nil:
			rows = append(rows, row{text: p.relay.todayText()})
		}
	}
	return rows
}

// progressText returns the first row of the progress screen, e.g.
// "Receiving p2 34%"; the page number goes first when it does not fit.
func (p *Panel) progressText() string {
	e := p.progress
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
	amount := ""
	switch {
	case e.Total > 0:
		amount = " " + strconv.Itoa(percent(e.Done, e.Total)) + "%"
	case e.Done > 0:
		amount = " " + size(e.Done)
	}
	if e.Page > 0 {
		if full := label + " p" + strconv.Itoa(e.Page) + amount; len(full) <= p.cols {
			return full
		}
	}
	return label + amount
}

// render lays out the current screen and writes what changed.
func (p *Panel) render() {
	p.cursor = cursor{}
	rows := p.rowsFor()
	want := make([]string, p.rows)
	for i := range want {
		var r row
		if i < len(rows) {
			r = rows[i]
		}
		text := r.text
		if !r.raw {
			text = toASCII(text)
		}
		if r.scroll {
			text = text[scrollOffset(len(text), p.cols, p.ticks):]
		}
		want[i] = fit(text, p.cols)
	}
	last := ""
	switch {
	case p.mode == modeBusy && p.confirm > 0:
		last = askStop
	case p.hint != "":
		last = p.hint
	}
	if last != "" {
		want[p.rows-1] = fit(last, p.cols)
		if p.cursor.row == p.rows-1 {
			p.cursor.on = false
		}
	}
	p.screen = want
	if p.err = p.draw(want); p.err != nil {
		p.shown = make([]string, p.rows)
		p.curShow, p.loaded = cursor{}, false
		p.err = fmt.Errorf("panel: display: %w", p.err)
	}
}

// draw loads the bar's characters when needed, writes the changed part of
// each changed line, places the cursor and flushes.
func (p *Panel) draw(want []string) error {
	if !p.loaded {
		if err := p.loadChars(); err != nil {
			return err
		}
	}
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
	if c := p.cursor; c != p.curShow || changed && c.on {
		if c.on {
			if err := p.d.MoveTo(p.row0+c.row, p.col0+c.col); err != nil {
				return err
			}
		}
		if c.on != p.curShow.on {
			mode := display.CursorOff
			if c.on {
				mode = display.CursorUnderline
			}
			if err := p.d.Cursor(mode); err != nil && !errors.Is(err, display.ErrNotImplemented) {
				return err
			}
		}
		p.curShow = c
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

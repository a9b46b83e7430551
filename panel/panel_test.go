package panel_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/display"

	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/panel/paneltest"
)

var (
	demo     = panel.Destination{Name: "Demo inbox", Address: "demo@scangate.test"}
	accounts = panel.Destination{Name: "Accounts", Address: "accounts@example.com"}
	mueller  = panel.Destination{Name: "Müller & Söhne Büro", Address: "buero@mueller-soehne.example"}
	book     = []panel.Destination{demo, accounts, mueller}
	noon     = time.Date(2026, 3, 14, 12, 4, 30, 0, time.UTC)
)

// step is one thing that happens to a panel in a scripted test.
type step struct {
	key   *panel.Key
	event *panel.Event
	ticks int
}

func key(k panel.Key) step        { return step{key: &k} }
func ticks(n int) step            { return step{ticks: n} }
func progress(e panel.Event) step { return step{event: &e} }
func result(r panel.Result) step  { return step{event: &panel.Event{Result: &r}} }
func keys(ks ...panel.Key) []step {
	s := make([]step, len(ks))
	for i, k := range ks {
		s[i] = key(k)
	}
	return s
}

// rig is a panel on a fake display with a settable clock.
type rig struct {
	t    *testing.T
	d    *paneltest.Display
	p    *panel.Panel
	now  time.Time
	reqs []panel.Request
}

func newRig(t *testing.T, cols, rows int, cfg panel.Config) *rig {
	t.Helper()
	r := &rig{t: t, d: paneltest.NewDisplay(cols, rows), now: noon}
	p, err := panel.New(r.d, cfg, func() time.Time { return r.now })
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r.p = p
	r.check()
	return r
}

func (r *rig) run(steps ...step) {
	r.t.Helper()
	for _, s := range steps {
		switch {
		case s.key != nil:
			r.reqs = append(r.reqs, r.p.Key(*s.key))
		case s.event != nil:
			r.p.Event(*s.event)
		}
		for range s.ticks {
			r.p.Tick()
			r.check()
		}
		r.check()
	}
}

// check asserts the invariants of every screen: the panel's idea of the
// screen is what the display shows, every row is exactly as wide as the
// display, and nothing was written past a row's end.
func (r *rig) check() {
	r.t.Helper()
	got, shown := r.p.Screen(), r.d.Lines()
	if !slices.Equal(got, shown) {
		r.t.Fatalf("Screen() = %q, display shows\n%s", got, r.d)
	}
	for _, l := range got {
		if len(l) != r.d.Cols() {
			r.t.Fatalf("row %q is %d wide, display %d", l, len(l), r.d.Cols())
		}
	}
	if n := r.d.Overflows(); n != 0 {
		r.t.Fatalf("%d bytes written past a row's end:\n%s", n, r.d)
	}
	if err := r.p.Err(); err != nil {
		r.t.Fatalf("Err() = %v", err)
	}
}

// pad returns want padded to rows lines of cols characters.
func pad(want []string, cols, rows int) []string {
	out := make([]string, rows)
	for i := range out {
		if i < len(want) {
			out[i] = want[i]
		}
		out[i] += strings.Repeat(" ", cols-len(out[i]))
	}
	return out
}

var (
	ready   = panel.LEDs{Ready: true}
	sending = panel.LEDs{Sending: true}
	failed  = panel.LEDs{Error: true}
)

func TestScreens(t *testing.T) {
	none := panel.Request{}
	send := func(d panel.Destination) panel.Request { return panel.Request{Kind: panel.RequestSend, Dest: d} }
	stop := panel.Request{Kind: panel.RequestStop}
	wrongPassword := panel.Result{Short: "Wrong password", Detail: "535 5.7.8 Authentication credentials invalid"}

	tests := []struct {
		name     string
		cfg      panel.Config
		steps    []step
		want16   []string // 16x2 screen
		want20   []string // 20x4 screen
		leds     panel.LEDs
		lastReq  panel.Request
		selected int
	}{
		{
			name:   "ready",
			cfg:    panel.Config{Book: book},
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "device name is cut before the clock",
			cfg:    panel.Config{Book: book, DeviceName: "Front desk gateway"},
			want16: []string{"Front desk 12:04", "To: Demo inbox"},
			want20: []string{"Front desk gat 12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "start on the configured destination",
			cfg:    panel.Config{Book: book, Selected: 1},
			want16: []string{"Ready      12:04", "To: Accounts"},
			want20: []string{"Ready          12:04", "To: Accounts", "accounts@example.com"},
			leds:   ready, selected: 1,
		},
		{
			name:   "down walks the book, accents are folded and long names cut",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyDown, panel.KeyDown),
			want16: []string{"Ready      12:04", "To: Muller & Soh"},
			want20: []string{"Ready          12:04", "To: Muller & Sohne B", "buero@mueller-soehne"},
			leds:   ready, lastReq: none, selected: 2,
		},
		{
			name:   "down wraps to the first",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyDown, panel.KeyDown, panel.KeyDown),
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "up wraps to the last",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyUp),
			want16: []string{"Ready      12:04", "To: Muller & Soh"},
			want20: []string{"Ready          12:04", "To: Muller & Sohne B", "buero@mueller-soehne"},
			leds:   ready, selected: 2,
		},
		{
			name:   "ok shows the address",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyOK),
			want16: []string{"Demo inbox", "demo@scangate.te"},
			want20: []string{"Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "a long address scrolls on ticks",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeyDown), key(panel.KeyRight), ticks(5)},
			want16: []string{"Accounts", "ounts@example.co"},
			want20: []string{"Accounts", "accounts@example.com"},
			leds:   ready, selected: 1,
		},
		{
			name:   "the scroll rests at the end, then starts over",
			cfg:    panel.Config{Book: book, Selected: 1},
			steps:  []step{key(panel.KeyOK), ticks(2 + 4 + 2)},
			want16: []string{"Accounts", "accounts@example"},
			want20: []string{"Accounts", "accounts@example.com"},
			leds:   ready, selected: 1,
		},
		{
			name:   "up/down keep walking on the details screen",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyOK, panel.KeyDown),
			want16: []string{"Accounts", "accounts@example"},
			want20: []string{"Accounts", "accounts@example.com"},
			leds:   ready, selected: 1,
		},
		{
			name:   "back returns from the details",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyOK, panel.KeyBack),
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "send",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyDown, panel.KeySend),
			want16: []string{"Receiving", "To: Accounts"},
			want20: []string{"Receiving", "To: Accounts"},
			leds:   sending, lastReq: send(accounts), selected: 1,
		},
		{
			name:   "send from the details screen",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyOK, panel.KeySend),
			want16: []string{"Receiving", "To: Demo inbox"},
			want20: []string{"Receiving", "To: Demo inbox"},
			leds:   sending, lastReq: send(demo),
		},
		{
			name:   "receiving with a known total",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageReceiving, Page: 1, Done: 34, Total: 100})},
			want16: []string{"Receiving 34%", "To: Demo inbox"},
			want20: []string{"Receiving 34%", "To: Demo inbox", "Page 1"},
			leds:   sending, lastReq: send(demo),
		},
		{
			name:   "receiving with an unknown total",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageReceiving, Page: 2, Done: 12 * 1024})},
			want16: []string{"Receiving 12 KB", "To: Demo inbox"},
			want20: []string{"Receiving 12 KB", "To: Demo inbox", "Page 2"},
			leds:   sending, lastReq: send(demo),
		},
		{
			name:   "the longest size fits",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageConverting, Done: 999 * 1024})},
			want16: []string{"Converting 999 K", "To: Demo inbox"},
			want20: []string{"Converting 999 KB", "To: Demo inbox"},
			leds:   sending, lastReq: send(demo),
		},
		{
			name:   "queued",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageQueued})},
			want16: []string{"Queued", "To: Demo inbox"},
			want20: []string{"Queued", "To: Demo inbox"},
			leds:   sending, lastReq: send(demo),
		},
		{
			name:   "converting",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageConverting, Page: 3})},
			want16: []string{"Converting", "To: Demo inbox"},
			want20: []string{"Converting", "To: Demo inbox", "Page 3"},
			leds:   sending, lastReq: send(demo),
		},
		{
			name:   "sending",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageSending, Done: 450, Total: 1000})},
			want16: []string{"Sending 45%", "To: Demo inbox"},
			want20: []string{"Sending 45%", "To: Demo inbox"},
			leds:   sending, lastReq: send(demo),
		},
		{
			name:   "keys but stop are ignored while busy, with a hint",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeySend, panel.KeyDown, panel.KeySend),
			want16: []string{"Receiving", "Stop to cancel"},
			want20: []string{"Receiving", "To: Demo inbox", "", "Stop to cancel"},
			leds:   sending, lastReq: none,
		},
		{
			name:   "the hint goes after a while",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), key(panel.KeyOK), ticks(4)},
			want16: []string{"Receiving", "To: Demo inbox"},
			want20: []string{"Receiving", "To: Demo inbox"},
			leds:   sending, lastReq: none,
		},
		{
			name:   "stop",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageSending, Done: 1, Total: 2}), key(panel.KeyStop)},
			want16: []string{"Stopping...", "To: Demo inbox"},
			want20: []string{"Stopping...", "To: Demo inbox"},
			leds:   sending, lastReq: stop,
		},
		{
			name:   "stopped",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), key(panel.KeyStop), result(panel.Result{Stopped: true, Short: "Scan kept"})},
			want16: []string{"Stopped", "Scan kept"},
			want20: []string{"Stopped", "Scan kept"},
			leds:   ready, lastReq: stop,
		},
		{
			name:   "sent",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), result(panel.Result{OK: true, Short: "2 pages"})},
			want16: []string{"Sent to Demo inb", "2 pages"},
			want20: []string{"Sent to Demo inbox", "2 pages"},
			leds:   ready, lastReq: send(demo),
		},
		{
			name:   "sent stays for 59 ticks",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), result(panel.Result{OK: true, Dest: accounts}), ticks(59)},
			want16: []string{"Sent to Accounts", ""},
			want20: []string{"Sent to Accounts", ""},
			leds:   ready, lastReq: send(demo),
		},
		{
			name:   "sent goes after about 30 s",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), result(panel.Result{OK: true}), ticks(60)},
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready, lastReq: send(demo),
		},
		{
			name:   "any key clears sent and does nothing else",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), result(panel.Result{OK: true}), key(panel.KeySend)},
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready, lastReq: none,
		},
		{
			name:   "a failure",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), result(wrongPassword), ticks(7 * 28)}, // 28 ticks: one scroll cycle of the detail
			want16: []string{"Not sent", "Wrong password"},
			want20: []string{"Not sent", "Wrong password", "To: Demo inbox", "535 5.7.8 Authentica"},
			leds:   failed, lastReq: send(demo),
		},
		{
			name:   "a failure is not cleared by send",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), result(wrongPassword), key(panel.KeySend)},
			want16: []string{"Not sent", "OK to clear"},
			want20: []string{"Not sent", "Wrong password", "To: Demo inbox", "OK to clear"},
			leds:   failed, lastReq: none,
		},
		{
			name:   "arrows show the detail of a failure",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), result(wrongPassword), key(panel.KeyRight), ticks(4)},
			want16: []string{"Not sent", "5 5.7.8 Authenti"},
			want20: []string{"Not sent", "5 5.7.8 Authenticati", "To: Demo inbox"},
			leds:   failed, lastReq: none,
		},
		{
			name:   "ok acknowledges a failure",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), result(wrongPassword), key(panel.KeyOK)},
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready, lastReq: none,
		},
		{
			name:   "back acknowledges a failure",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), result(wrongPassword), key(panel.KeyBack)},
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready, lastReq: none,
		},
		{
			name:   "a result arriving while idle is shown",
			cfg:    panel.Config{Book: book},
			steps:  []step{result(panel.Result{Dest: accounts, Short: "Server down"})},
			want16: []string{"Not sent", "Server down"},
			want20: []string{"Not sent", "Server down", "To: Accounts"},
			leds:   failed,
		},
		{
			name:   "progress while idle is ignored",
			cfg:    panel.Config{Book: book},
			steps:  []step{progress(panel.Event{Stage: panel.StageSending, Done: 5, Total: 10})},
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "an empty address book",
			cfg:    panel.Config{},
			steps:  keys(panel.KeyDown, panel.KeyOK),
			want16: []string{"Ready      12:04", "No destinations"},
			want20: []string{"Ready          12:04", "No destinations"},
			leds:   ready, lastReq: none,
		},
		{
			name:   "send with an empty address book",
			cfg:    panel.Config{},
			steps:  keys(panel.KeySend),
			want16: []string{"Ready      12:04", "No destination"},
			want20: []string{"Ready          12:04", "No destinations", "", "No destination"},
			leds:   ready, lastReq: none,
		},
	}
	for _, tt := range tests {
		for _, size := range []struct {
			cols, rows int
			want       []string
		}{{16, 2, tt.want16}, {20, 4, tt.want20}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tt.name, size.cols, size.rows), func(t *testing.T) {
				r := newRig(t, size.cols, size.rows, tt.cfg)
				r.run(tt.steps...)
				if want := pad(size.want, size.cols, size.rows); !slices.Equal(r.d.Lines(), want) {
					t.Errorf("screen:\n%swant:\n%s", r.d, strings.Join(want, "\n"))
				}
				if got := r.p.LEDs(); got != tt.leds {
					t.Errorf("LEDs() = %+v, want %+v", got, tt.leds)
				}
				if got := r.p.Busy(); got != tt.leds.Sending {
					t.Errorf("Busy() = %v", got)
				}
				var last panel.Request
				if len(r.reqs) > 0 {
					last = r.reqs[len(r.reqs)-1]
				}
				if last != tt.lastReq {
					t.Errorf("last request = %+v, want %+v", last, tt.lastReq)
				}
				if got := r.p.Selected(); got != tt.selected {
					t.Errorf("Selected() = %d, want %d", got, tt.selected)
				}
			})
		}
	}
}

func TestClock(t *testing.T) {
	r := newRig(t, 16, 2, panel.Config{Book: book})
	before := r.d.Writes()
	r.run(ticks(1))
	if n := r.d.Writes() - before; n != 0 {
		t.Errorf("a tick that changes nothing wrote %d bytes", n)
	}
	r.now = noon.Add(time.Minute)
	r.run(ticks(1))
	if n := r.d.Writes() - before; n != 1 {
		t.Errorf("12:04 -> 12:05 wrote %d bytes, want 1", n)
	}
	if got := r.d.Lines()[0]; got != "Ready      12:05" {
		t.Errorf("row 0 = %q", got)
	}
	r.now = time.Unix(0, 0) // a board without a real-time clock
	r.run(ticks(1))
	if got := r.d.Lines()[0]; got != "Ready      --:--" {
		t.Errorf("row 0 = %q", got)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		d    display.TextDisplay
		cfg  panel.Config
	}{
		{"no display", nil, panel.Config{}},
		{"too narrow", paneltest.NewDisplay(15, 2), panel.Config{}},
		{"too short", paneltest.NewDisplay(16, 1), panel.Config{}},
		{"selected past the book", paneltest.NewDisplay(16, 2), panel.Config{Book: book, Selected: 3}},
		{"selected negative", paneltest.NewDisplay(16, 2), panel.Config{Book: book, Selected: -1}},
		{"selected in an empty book", paneltest.NewDisplay(16, 2), panel.Config{Selected: 1}},
	}
	for _, tt := range tests {
		if _, err := panel.New(tt.d, tt.cfg, nil); err == nil || !strings.HasPrefix(err.Error(), "panel: ") {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}

func TestNewSetsUpDisplay(t *testing.T) {
	d := paneltest.NewDisplay(16, 2)
	d.AutoScroll(true)
	d.Cursor(display.CursorBlink)
	if _, err := panel.New(d, panel.Config{Book: book}, func() time.Time { return noon }); err != nil {
		t.Fatal(err)
	}
	if got := d.CursorModes(); !slices.Equal(got, []display.CursorMode{display.CursorOff}) {
		t.Errorf("cursor modes %v, want off", got)
	}
	if d.Overflows() != 0 {
		t.Errorf("autoscroll left on:\n%s", d)
	}
}

// fake is paneltest.Display under a name that does not hide its Display
// method when embedded.
type fake = paneltest.Display

// flaky is a display that fails while broken and counts flushes.
type flaky struct {
	*fake
	broken  bool
	flushes int
}

var errI2C = errors.New("i2c: no ack")

func (f *flaky) MoveTo(row, col int) error {
	if f.broken {
		return errI2C
	}
	return f.fake.MoveTo(row, col)
}

func (f *flaky) Flush() error {
	f.flushes++
	return nil
}

func TestDisplayErrorsAndFlush(t *testing.T) {
	f := &flaky{fake: paneltest.NewDisplay(16, 2)}
	p, err := panel.New(f, panel.Config{Book: book}, func() time.Time { return noon })
	if err != nil {
		t.Fatal(err)
	}
	if f.flushes != 1 {
		t.Errorf("flushes after New = %d, want 1", f.flushes)
	}
	p.Tick()
	if f.flushes != 1 {
		t.Errorf("a tick that changes nothing flushed")
	}
	f.broken = true
	p.Key(panel.KeyDown)
	if !errors.Is(p.Err(), errI2C) {
		t.Fatalf("Err() = %v, want the display's error", p.Err())
	}
	f.broken = false
	before := f.Writes()
	p.Tick()
	if err := p.Err(); err != nil {
		t.Fatalf("Err() after recovery = %v", err)
	}
	if n := f.Writes() - before; n != 32 {
		t.Errorf("after an error the next update wrote %d bytes, want the whole screen (32)", n)
	}
	if got := f.Lines(); !slices.Equal(got, []string{"Ready      12:04", "To: Accounts    "}) {
		t.Errorf("screen after recovery:\n%s", f)
	}
	if f.flushes != 2 {
		t.Errorf("flushes = %d, want 2", f.flushes)
	}
}

func TestNewFailsOnBrokenDisplay(t *testing.T) {
	f := &flaky{fake: paneltest.NewDisplay(16, 2), broken: true}
	if _, err := panel.New(f, panel.Config{}, nil); !errors.Is(err, errI2C) {
		t.Errorf("err = %v, want the display's error", err)
	}
}

// alphabet is every input a panel can get, for exhaustive walks.
var alphabet = func() []step {
	var s []step
	for k := panel.KeyUp; k <= panel.KeyStop; k++ {
		s = append(s, key(k))
	}
	return append(s,
		ticks(1), ticks(7),
		progress(panel.Event{Stage: panel.StageReceiving, Page: 12345, Done: 1 << 40}),
		progress(panel.Event{Stage: panel.StageSending, Done: 3, Total: 4}),
		progress(panel.Event{Stage: panel.Stage(9), Done: -1, Total: -1}),
		result(panel.Result{OK: true, Short: strings.Repeat("long ", 10)}),
		result(panel.Result{Short: "Wrong password", Detail: strings.Repeat("ünïcode ", 9)}),
		result(panel.Result{Stopped: true}),
	)
}()

// TestEveryScreenFits walks every sequence of three inputs from every
// starting point in 16x2 and 20x4; rig.check asserts the invariants after
// each step.
func TestEveryScreenFits(t *testing.T) {
	long := []panel.Destination{{Name: strings.Repeat("Very long name ", 5), Address: strings.Repeat("a", 100) + "@example.com"}, demo}
	cfgs := []panel.Config{{Book: long, DeviceName: strings.Repeat("ä", 30)}, {}}
	for _, size := range [][2]int{{16, 2}, {20, 4}} {
		for _, cfg := range cfgs {
			for _, a := range alphabet {
				for _, b := range alphabet {
					for _, c := range alphabet {
						r := newRig(t, size[0], size[1], cfg)
						r.run(a, b, c)
					}
				}
			}
		}
	}
}

// FuzzScreens drives a panel with arbitrary input sequences and checks the
// screen invariants after each step.
func FuzzScreens(f *testing.F) {
	f.Add([]byte{6, 9, 10, 11, 7, 14, 4})
	f.Add([]byte{1, 1, 4, 8, 8, 8, 0, 15})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, size := range [][2]int{{16, 2}, {20, 4}} {
			r := newRig(t, size[0], size[1], panel.Config{Book: book})
			for _, b := range in {
				r.run(alphabet[int(b)%len(alphabet)])
			}
		}
	})
}

func Example() {
	d := paneltest.NewDisplay(16, 2)
	now := func() time.Time { return time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC) }
	p, err := panel.New(d, panel.Config{Book: []panel.Destination{{Name: "Accounts", Address: "accounts@example.com"}}}, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	req := p.Key(panel.KeySend)
	fmt.Println(req.Kind, req.Dest.Address)
	p.Event(panel.Event{Stage: panel.StageSending, Done: 45, Total: 100})
	fmt.Print(d)
	p.Event(panel.Event{Result: &panel.Result{OK: true, Short: "2 pages"}})
	fmt.Print(d)
	fmt.Printf("%+v\n", p.LEDs())
	// Output:
	// send accounts@example.com
	// |Sending 45%     |
	// |To: Accounts    |
	// |Sent to Accounts|
	// |2 pages         |
	// {Ready:true Sending:false Error:false}
}

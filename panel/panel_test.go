package panel_test

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/display"

	"github.com/scangate/gateway/internal/secret"
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
	wait  time.Duration // the clock moves on
}

func key(k panel.Key) step        { return step{key: &k} }
func ticks(n int) step            { return step{ticks: n} }
func wait(d time.Duration) step   { return step{wait: d} }
func progress(e panel.Event) step { return step{event: &e} }
func result(r panel.Result) step  { return step{event: &panel.Event{Result: &r}} }
func answer(a panel.Answer) step  { return step{event: &panel.Event{Answer: &a}} }
func notice(n panel.Notice) step  { return step{event: &panel.Event{Notice: &n}} }
func queued(jobs ...panel.QueueJob) step {
	return step{event: &panel.Event{Queue: &panel.Queue{Jobs: jobs}}}
}
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
		r.now = r.now.Add(s.wait)
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
	ready    = panel.LEDs{Ready: true}
	readyErr = panel.LEDs{Ready: true, Error: true}
	sending  = panel.LEDs{Sending: true}
	failed   = panel.LEDs{Error: true}
)

var (
	waiting = panel.QueueJob{ID: "000041", Dest: "Accounts", Pages: 2, Status: "Retry at 14:05", Detail: "The mail server failed for now."}
	held    = panel.QueueJob{ID: "000042", Dest: "Sales", Pages: 1, Status: "Wrong password", Detail: "The mail server rejected the user name or password.", Problem: true}
)

// numbered returns an address book of n entries "Entry 1"... "Entry n".
func numbered(n int) []panel.Destination {
	book := make([]panel.Destination, n)
	for i := range book {
		book[i] = panel.Destination{Name: fmt.Sprintf("Entry %d", i+1), Address: fmt.Sprintf("e%d@example.com", i+1)}
	}
	return book
}

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
			name:   "ok shows the speed-dial number and the address",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyOK),
			want16: []string{"1 Demo inbox", "demo@scangate.te"},
			want20: []string{"1 Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "a long address scrolls on ticks",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeyDown), key(panel.KeyOK), ticks(5)},
			want16: []string{"2 Accounts", "ounts@example.co"},
			want20: []string{"2 Accounts", "accounts@example.com"},
			leds:   ready, selected: 1,
		},
		{
			name:   "the scroll rests at the end, then starts over",
			cfg:    panel.Config{Book: book, Selected: 1},
			steps:  []step{key(panel.KeyOK), ticks(2 + 4 + 2)},
			want16: []string{"2 Accounts", "accounts@example"},
			want20: []string{"2 Accounts", "accounts@example.com"},
			leds:   ready, selected: 1,
		},
		{
			name:   "up/down keep walking on the details screen",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyOK, panel.KeyDown),
			want16: []string{"2 Accounts", "accounts@example"},
			want20: []string{"2 Accounts", "accounts@example.com"},
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
			want16: []string{"Receiving p1 34%", "#####="},
			want20: []string{"Receiving p1 34%", "To: Demo inbox", "######="},
			leds:   sending, lastReq: send(demo),
		},
		{
			name:   "receiving with an unknown total",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageReceiving, Page: 2, Done: 12 * 1024})},
			want16: []string{"Receiving 12 KB", "To: Demo inbox"},
			want20: []string{"Receiving p2 12 KB", "To: Demo inbox"},
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
			want16: []string{"Converting p3", "To: Demo inbox"},
			want20: []string{"Converting p3", "To: Demo inbox"},
			leds:   sending, lastReq: send(demo),
		},
		{
			name:   "sending",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageSending, Done: 450, Total: 1000})},
			want16: []string{"Sending 45%", "#######="},
			want20: []string{"Sending 45%", "To: Demo inbox", "#########"},
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
			name:   "stop while receiving stops at once",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageReceiving, Done: 1}), key(panel.KeyStop)},
			want16: []string{"Stopping...", "To: Demo inbox"},
			want20: []string{"Stopping...", "To: Demo inbox"},
			leds:   sending, lastReq: stop,
		},
		{
			name:   "a key while stopping",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeySend, panel.KeyStop, panel.KeyStop),
			want16: []string{"Stopping...", "Please wait"},
			want20: []string{"Stopping...", "To: Demo inbox", "", "Please wait"},
			leds:   sending, lastReq: none,
		},
		{
			name:   "stop once the scan is queued asks first",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageSending, Done: 1, Total: 2}), key(panel.KeyStop)},
			want16: []string{"Sending 50%", "Stop? OK=yes"},
			want20: []string{"Sending 50%", "To: Demo inbox", "##########", "Stop? OK=yes"},
			leds:   sending, lastReq: none,
		},
		{
			name:   "stop confirmed",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageSending, Done: 1, Total: 2}), key(panel.KeyStop), key(panel.KeyOK)},
			want16: []string{"Stopping...", "########"},
			want20: []string{"Stopping...", "To: Demo inbox", "##########"},
			leds:   sending, lastReq: stop,
		},
		{
			name:   "stop not confirmed: the scan is sent",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageQueued}), key(panel.KeyStop), key(panel.KeyBack)},
			want16: []string{"Queued", "Will be sent"},
			want20: []string{"Queued", "To: Demo inbox", "", "Will be sent"},
			leds:   sending, lastReq: none,
		},
		{
			name:   "the stop question goes after about 10 s",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageConverting, Page: 1}), key(panel.KeyStop), ticks(20)},
			want16: []string{"Converting p1", "Will be sent"},
			want20: []string{"Converting p1", "To: Demo inbox", "", "Will be sent"},
			leds:   sending, lastReq: none,
		},
		{
			name:   "the stop question stays for 19 ticks",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageConverting, Page: 1}), key(panel.KeyStop), ticks(19)},
			want16: []string{"Converting p1", "Stop? OK=yes"},
			want20: []string{"Converting p1", "To: Demo inbox", "", "Stop? OK=yes"},
			leds:   sending, lastReq: none,
		},
		{
			name:   "a result ends the stop question",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageSending}), key(panel.KeyStop), result(panel.Result{OK: true, Short: "1 page"})},
			want16: []string{"Sent to Demo inb", "1 page"},
			want20: []string{"Sent to Demo inbox", "1 page"},
			leds:   ready, lastReq: none,
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
			name:   "right jumps ten entries, stopping at the last",
			cfg:    panel.Config{Book: book},
			steps:  keys(panel.KeyRight),
			want16: []string{"Ready      12:04", "To: Muller & Soh"},
			want20: []string{"Ready          12:04", "To: Muller & Sohne B", "buero@mueller-soehne"},
			leds:   ready, selected: 2,
		},
		{
			name:   "left jumps ten entries, stopping at the first",
			cfg:    panel.Config{Book: book, Selected: 2},
			steps:  keys(panel.KeyLeft),
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "jumps in a long book",
			cfg:    panel.Config{Book: numbered(25)},
			steps:  keys(panel.KeyRight, panel.KeyRight, panel.KeyDown, panel.KeyOK, panel.KeyLeft),
			want16: []string{"12 Entry 12", "e12@example.com"},
			want20: []string{"12 Entry 12", "e12@example.com"},
			leds:   ready, selected: 11,
		},
		{
			name:   "the queue count",
			cfg:    panel.Config{Book: book},
			steps:  []step{queued(waiting, waiting)},
			want16: []string{"Ready  Q:2 12:04", "To: Demo inbox"},
			want20: []string{"Ready      Q:2 12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "a held job shows its reason with a marker",
			cfg:    panel.Config{Book: book, DeviceName: "Front desk"},
			steps:  []step{queued(waiting, held)},
			want16: []string{"!Wrong password", "To: Demo inbox"},
			want20: []string{"Front desk Q:2 12:04", "To: Demo inbox", "demo@scangate.test", "!Wrong password"},
			leds:   readyErr,
		},
		{
			name:   "a short reason leaves room for the count and the clock",
			cfg:    panel.Config{Book: book},
			steps:  []step{queued(panel.QueueJob{ID: "7", Dest: "Sales", Status: "Held", Problem: true})},
			want16: []string{"!Held  Q:1 12:04", "To: Demo inbox"},
			want20: []string{"Ready      Q:1 12:04", "To: Demo inbox", "demo@scangate.test", "!Held"},
			leds:   readyErr,
		},
		{
			name:   "the marker stays without Blink",
			cfg:    panel.Config{Book: book},
			steps:  []step{queued(held), ticks(1)},
			want16: []string{"!Wrong password", "To: Demo inbox"},
			want20: []string{"Ready      Q:1 12:04", "To: Demo inbox", "demo@scangate.test", "!Wrong password"},
			leds:   readyErr,
		},
		{
			name:   "the marker blinks with Blink",
			cfg:    panel.Config{Book: book, Blink: true},
			steps:  []step{queued(held), ticks(1)},
			want16: []string{" Wrong password", "To: Demo inbox"},
			want20: []string{"Ready      Q:1 12:04", "To: Demo inbox", "demo@scangate.test", " Wrong password"},
			leds:   readyErr,
		},
		{
			name:   "and comes back on the next tick",
			cfg:    panel.Config{Book: book, Blink: true},
			steps:  []step{queued(held), ticks(2)},
			want16: []string{"!Wrong password", "To: Demo inbox"},
			want20: []string{"Ready      Q:1 12:04", "To: Demo inbox", "demo@scangate.test", "!Wrong password"},
			leds:   readyErr,
		},
		{
			name:   "the alert goes with the job",
			cfg:    panel.Config{Book: book},
			steps:  []step{queued(held), queued()},
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "a notice takes the device name's place",
			cfg:    panel.Config{Book: book, DeviceName: "Front desk"},
			steps:  []step{notice(panel.Notice{Text: "Setting clock"})},
			want16: []string{"Setting clock", "To: Demo inbox"},
			want20: []string{"Setting clock  12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "a notice with a problem",
			cfg:    panel.Config{Book: book},
			steps:  []step{queued(held), notice(panel.Notice{Text: "No machine", Problem: true})},
			want16: []string{"!No machine  Q:1", "To: Demo inbox"},
			want20: []string{"!No machine      Q:1", "To: Demo inbox", "demo@scangate.test", "!Wrong password"},
			leds:   readyErr,
		},
		{
			name:   "an empty notice clears it",
			cfg:    panel.Config{Book: book},
			steps:  []step{notice(panel.Notice{Text: "No machine", Problem: true}), notice(panel.Notice{})},
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test"},
			leds:   ready,
		},
		{
			name:   "queue news while sending keeps the progress",
			cfg:    panel.Config{Book: book},
			steps:  []step{key(panel.KeySend), progress(panel.Event{Stage: panel.StageSending, Done: 1, Total: 4}), queued(held)},
			want16: []string{"Sending 25%", "####"},
			want20: []string{"Sending 25%", "To: Demo inbox", "#####"},
			leds:   panel.LEDs{Sending: true, Error: true}, lastReq: send(demo),
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
		{"a PIN too short", paneltest.NewDisplay(16, 2), panel.Config{PIN: "123"}},
		{"a PIN too long", paneltest.NewDisplay(16, 2), panel.Config{PIN: "123456789"}},
		{"a PIN with a letter", paneltest.NewDisplay(16, 2), panel.Config{PIN: "12a4"}},
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

// moves are everything a panel can get, the menu's macros among them (a
// PIN, typed text, the appliance's answers), for random walks and fuzzing.
var moves = func() [][]step {
	var m [][]step
	for _, s := range alphabet {
		m = append(m, []step{s})
	}
	for k := panel.KeyUp; k <= panel.KeyStop; k++ {
		m = append(m, keys(k), keys(k, k)) // keys are the most of what happens
	}
	long := strings.Repeat("The server said something long and unexpected. ", 6)
	for k := panel.RequestSaveSettings; k <= panel.RequestCancelSignIn; k++ {
		m = append(m,
			[]step{answer(panel.Answer{To: k, OK: true, Lines: []string{"eth0 192.168.1.20", long}, Journal: journal})},
			[]step{answer(panel.Answer{To: k, Short: strings.Repeat("ö", 30), Detail: long})},
		)
	}
	// The sign-in: codes (one with a page and a code too long for any
	// row), its ends, and the way to it.
	odd := panel.SignInCode{URI: "https://" + strings.Repeat("ü", 50), UserCode: strings.Repeat("X", 30), Expires: noon.Add(time.Hour)}
	m = append(m, []step{codeShown}, []step{codeAnswer(odd)}, []step{expiredAnswer}, []step{refused}, []step{signedIn},
		toSignIn, []step{wait(15 * time.Minute), ticks(1)})
	return append(m,
		seq(digits("2468"), keys(ok)), seq(digits("0000"), keys(ok)), wrongPIN, digits("13579"),
		typed("sales@example.com"), typed(strings.Repeat("a", 45)), digits("465"),
		[]step{queued(waiting, held, panel.QueueJob{ID: "9", Dest: strings.Repeat("Long name ", 5), Status: strings.Repeat("ä", 20), Problem: true})},
		[]step{queued()},
		[]step{notice(panel.Notice{Text: "No machine", Problem: true})},
		[]step{notice(panel.Notice{Text: strings.Repeat("Waiting ", 5)})},
		[]step{notice(panel.Notice{})},
		[]step{relayed(7, "0.0.0.0:587", "[fd00::20]:587")}, []step{relayed(123456)},
		// Paths that go deep when they start on the ready screen.
		toSave, seq(toBook, keys(down, ok, up, ok)), seq(toBook, keys(ok)), toNewPIN, toDevice, toAccount,
		[]step{wait(20 * time.Second), ticks(1)},
		[]step{wait(61 * time.Second), ticks(1)},
		[]step{ticks(240)},
	)
}()

// walkConfigs are the configurations random walks start from.
var walkConfigs = []panel.Config{
	office,
	{},
	with(func(c *panel.Config) {
		c.Book = numbered(100)
		c.Book[0] = panel.Destination{Name: strings.Repeat("Very long name ", 5), Address: strings.Repeat("a", 100) + "@example.com"}
		c.DeviceName, c.Blink = strings.Repeat("ä", 30), true
		c.Account.Password = secret.Secret(strings.Repeat("p", 128))
		c.Device.Baud = 7200
	}),
	oauth,
}

// TestRandomWalks walks the menu tree at random, from each configuration
// on 16x2 and 20x4; rig.check asserts the invariants after each step. The
// walks are steered a little so that they go deep: mostly keys, the right
// PIN when asked for one, an answer when one is awaited. The test also
// checks that they reached every kind of screen.
func TestRandomWalks(t *testing.T) {
	walks, length := 40, 300
	if testing.Short() {
		walks = 5
	}
	seen := map[string]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{16, 2}, {20, 4}} {
		for _, cfg := range walkConfigs {
			for range walks {
				r := newRig(t, size[0], size[1], cfg)
				for range length {
					r.run(r.nextMove(rng, cfg)...)
					for _, l := range r.d.Lines() {
						seen[strings.TrimSpace(l)] = true
					}
				}
			}
		}
	}
	if testing.Short() {
		return
	}
	for _, want := range []string{"Admin PIN", "Locked 0:", ">Account", ">Server", ">Password", ">New entry", "Name", "Address",
		"Delete entry?", "New PIN", "Repeat PIN", "PIN changed", "Saving...", "Saved", "Discard changes?", "Security", "Baud",
		"Protocol", "Flow", "Testing...", "Loading...", "Network", "Scangate", "Delete the job?", "Please wait", "Book is full",
		"Stop? OK=yes", "Not sent", "Sent to Demo inbox", "Queue is empty", "No entries", "Wrong password",
		">Sign in", "Getting code...", "Code expired", "Signed in", "Sign-in refused", "ABCD-EFGH"} {
		if !seen[want] && !seenPrefix(seen, want) {
			t.Errorf("no walk reached a screen with %q", want)
		}
	}
}

// nextMove picks the next move of a random walk.
func (r *rig) nextMove(rng *rand.Rand, cfg panel.Config) []step {
	x := rng.IntN(100)
	top := r.d.Lines()[0]
	switch {
	case strings.HasPrefix(top, "Admin PIN") && x < 30:
		return seq(digits(cmp.Or(cfg.PIN, panel.DefaultPIN)), keys(ok))
	case strings.HasPrefix(top, "Admin PIN") && x < 45:
		return wrongPIN
	case (strings.HasPrefix(top, "New PIN") || strings.HasPrefix(top, "Repeat PIN")) && x < 40:
		return seq(digits("13579"), keys(ok))
	case r.p.Waiting() && x < 50:
		last := r.reqs[len(r.reqs)-1].Kind
		for i := len(r.reqs) - 1; last == panel.RequestNone && i >= 0; i-- {
			last = r.reqs[i].Kind
		}
		switch {
		case last == panel.RequestSignIn && x%3 == 0:
			return []step{codeAnswer(panel.SignInCode{URI: msCode.URI, UserCode: msCode.UserCode, Expires: r.now.Add(time.Minute)})}
		case last == panel.RequestSignIn && x%3 == 1:
			return []step{refused}
		}
		return []step{answer(panel.Answer{To: last, OK: x%2 == 0, Journal: journal[:x%3], Detail: "Why it failed."})}
	case strings.HasPrefix(top, ">Sign in") && x < 50:
		return keys(ok)
	case x < 75:
		return keys(panel.Key(rng.IntN(int(panel.KeyStop) + 1)))
	case cfg.SignIn && x >= 97:
		return toSignIn
	}
	return moves[rng.IntN(len(moves))]
}

func seenPrefix(seen map[string]bool, prefix string) bool {
	for s := range seen {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// FuzzScreens drives a panel with arbitrary input sequences and checks the
// screen invariants after each step.
func FuzzScreens(f *testing.F) {
	f.Add([]byte{6, 9, 10, 11, 7, 14, 4}, uint8(0))
	f.Add([]byte{1, 1, 4, 8, 8, 8, 0, 15}, uint8(1))
	f.Add([]byte{5, 0, 4, byte(len(moves) - 15), 4, 4, byte(len(moves) - 9), 4}, uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, config uint8) {
		cfg := walkConfigs[int(config)%len(walkConfigs)]
		for _, size := range [][2]int{{16, 2}, {20, 4}} {
			r := newRig(t, size[0], size[1], cfg)
			for _, b := range in {
				r.run(moves[int(b)%len(moves)]...)
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
	// |#######=        |
	// |Sent to Accounts|
	// |2 pages         |
	// {Ready:true Sending:false Error:false}
}

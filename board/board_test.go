package board

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/board/simlcd"
	"github.com/scangate/gateway/panel"
)

func TestOpenProfiles(t *testing.T) {
	tests := []struct {
		profile string
		opts    Options
		wantErr string
		is      error
	}{
		{profile: "pi", wantErr: `board.profile: "pi" is not one of sim, none, rpi, beaglebone`, is: ErrUnknownProfile},
		{profile: "", wantErr: `board.profile: "" is not one of sim, none, rpi, beaglebone`, is: ErrUnknownProfile},
		{profile: "SIM", wantErr: `board.profile: "SIM" is not one of`, is: ErrUnknownProfile},
		{profile: "sim", wantErr: "board: sim needs Options.Out"},
		{profile: "none", opts: Options{Cols: -1}, wantErr: "board.cols: -1x2 is not an LCD size"},
		// The hardware settings must be valid for sim and none too.
		{profile: "none", opts: Options{LEDPins: map[string]string{"power": "GPIO4"}}, wantErr: `board.led_pins: unknown name "power"`},
	}
	for _, tt := range tests {
		b, err := Open(tt.profile, tt.opts)
		if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("Open(%q) = %v, %v; want error %q", tt.profile, b, err, tt.wantErr)
		}
	}
}

func TestOpenNone(t *testing.T) {
	b, err := Open("none", Options{Cols: 20, Rows: 4})
	if err != nil {
		t.Fatal(err)
	}
	if b.Keys != nil {
		t.Error("none has keys")
	}
	if b.Display.Cols() != 20 || b.Display.Rows() != 4 {
		t.Errorf("display %dx%d", b.Display.Cols(), b.Display.Rows())
	}
	if err := b.SetLEDs(panel.LEDs{Error: true}); err != nil {
		t.Error(err)
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}

// TestScript drives a real panel on the sim in script mode and checks the
// lines it writes.
func TestScript(t *testing.T) {
	var out bytes.Buffer
	// An interactive request with a non-terminal In falls back to script mode.
	b, err := Open("sim", Options{Out: &out, Interactive: true, In: notATerminal(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Keys != nil {
		t.Fatal("script mode has a Keys channel")
	}
	now := time.Date(2026, 3, 14, 12, 4, 0, 0, time.Local)
	p, err := panel.New(b.Display, panel.Config{Book: []panel.Destination{
		{Name: "Demo inbox", Address: "demo@scangate.test"},
		{Name: "Accounts", Address: "accounts@example.com"},
	}}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	leds := func() {
		if err := b.SetLEDs(p.LEDs()); err != nil {
			t.Fatal(err)
		}
	}
	leds()
	p.Key(panel.KeyDown)
	p.Key(panel.KeyUp)
	p.Tick() // nothing changes: no line
	p.Key(panel.KeySend)
	leds()
	p.Event(panel.Event{Stage: panel.StageReceiving, Done: 34, Total: 100})
	p.Event(panel.Event{Stage: panel.StageReceiving, Done: 34, Total: 100}) // same screen: no line
	leds()                                                                  // same lights: no line
	p.Event(panel.Event{Stage: panel.StageSending, Done: 1, Total: 2})
	p.Event(panel.Event{Result: &panel.Result{OK: true, Short: "2 pages"}})
	leds()
	want := `[panel] Ready 12:04 | To: Demo inbox
[leds] Ready
[panel] Ready 12:04 | To: Accounts
[panel] Ready 12:04 | To: Demo inbox
[panel] Receiving | To: Demo inbox
[leds] Sending
[panel] Receiving 34% | #####=
[panel] Sending 50% | ########
[panel] Sent to Demo inb | 2 pages
[leds] Ready
`
	if got := out.String(); got != want {
		t.Errorf("script output:\n%s\nwant:\n%s", got, want)
	}
}

func notATerminal(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestScreenLine(t *testing.T) {
	tests := []struct {
		rows []string
		want string
	}{
		{[]string{"Ready      12:04", "To: Demo inbox  "}, "Ready 12:04 | To: Demo inbox"},
		{[]string{"Not sent        ", "                "}, "Not sent"},
		{[]string{"Receiving", "To: X", "   ", "Stop to cancel"}, "Receiving | To: X |  | Stop to cancel"},
		{[]string{"    ", "  "}, ""},
	}
	for _, tt := range tests {
		if got := screenLine(tt.rows); got != tt.want {
			t.Errorf("screenLine(%q) = %q, want %q", tt.rows, got, tt.want)
		}
	}
}

func TestScriptWriteError(t *testing.T) {
	s := newScript(simlcd.New(16, 2), failingWriter{})
	if err := s.Flush(); err == nil || !strings.HasPrefix(err.Error(), "board: ") {
		t.Errorf("Flush() = %v", err)
	}
	if err := s.setLEDs(panel.LEDs{}); err == nil {
		t.Error("setLEDs() did not fail")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// TestTerminalFrame checks the terminal renderer's output byte for byte.
func TestTerminalFrame(t *testing.T) {
	d := simlcd.New(16, 2)
	d.WriteString("Ready      12:04")
	d.MoveTo(1, 0)
	d.WriteString("To: Demo inbox")

	const plain = "\x1b[H" +
		"┌────────────────┐\x1b[K\r\n" +
		"│Ready      12:04│\x1b[K\r\n" +
		"│To: Demo inbox  │\x1b[K\r\n" +
		"└────────────────┘\x1b[K\r\n" +
		"\x1b[K\r\n" +
		" ● Ready   ○ Sending   ● Error\x1b[K\r\n" +
		"\x1b[K\r\n" +
		" arrows move   Enter ok   Backspace/Esc back\x1b[K\r\n" +
		" s send   x/space stop   q quit\x1b[K\r\n" +
		"\x1b[J"
	const colored = "\x1b[H" +
		"┌────────────────┐\x1b[K\r\n" +
		"│\x1b[30;42mReady      12:04\x1b[0m│\x1b[K\r\n" +
		"│\x1b[30;42mTo: Demo inbox  \x1b[0m│\x1b[K\r\n" +
		"└────────────────┘\x1b[K\r\n" +
		"\x1b[K\r\n" +
		" \x1b[1;32m● Ready\x1b[0m   \x1b[2m○ Sending\x1b[0m   \x1b[1;31m● Error\x1b[0m\x1b[K\r\n" +
		"\x1b[K\r\n" +
		" arrows move   Enter ok   Backspace/Esc back\x1b[K\r\n" +
		" s send   x/space stop   q quit\x1b[K\r\n" +
		"\x1b[J"
	for _, tt := range []struct {
		color bool
		frame string
	}{{false, plain}, {true, colored}} {
		var out bytes.Buffer
		term := &terminal{lcd: d, out: &out, color: tt.color}
		steps := []func() error{
			term.start, // draws with all lights dark
			func() error { return term.setLEDs(panel.LEDs{Ready: true, Error: true}) },
			term.Flush,
			term.stop,
			term.Flush, // after stop: draws nothing
		}
		for i, step := range steps {
			if err := step(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		dark := strings.NewReplacer("\x1b[1;32m● Ready", "\x1b[2m○ Ready", "\x1b[1;31m● Error", "\x1b[2m○ Error",
			"● Ready", "○ Ready", "● Error", "○ Error").Replace(tt.frame)
		want := "\x1b[?1049h\x1b[?25l\x1b[2J" + dark + tt.frame + tt.frame + "\x1b[?25h\x1b[?1049l"
		if got := out.String(); got != want {
			t.Errorf("color %v: terminal output\n%q\nwant\n%q", tt.color, got, want)
		}
	}
}

func TestTerminalDisplayOff(t *testing.T) {
	d := simlcd.New(16, 2)
	d.WriteString("secret")
	d.Display(false)
	term := &terminal{lcd: d}
	if f := term.frame(); strings.Contains(f, "secret") || !strings.Contains(f, "│                │") {
		t.Errorf("switched-off display drawn as\n%s", f)
	}
}

func TestProfilesAndLEDNames(t *testing.T) {
	for _, tt := range []struct {
		name string
		get  func() []string
		want []string
	}{
		{"Profiles", Profiles, []string{"sim", "none", "rpi", "beaglebone"}},
		{"LEDNames", LEDNames, []string{"ready", "sending", "error"}},
	} {
		got := tt.get()
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s() = %v, want %v", tt.name, got, tt.want)
		}
		got[0] = "changed"
		if again := tt.get(); !slices.Equal(again, tt.want) {
			t.Errorf("%s() shares its slice: %v after a change", tt.name, again)
		}
	}
}

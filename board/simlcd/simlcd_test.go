package simlcd

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/display/displaytest"
)

var _ display.TextDisplay = (*Display)(nil)

// TestPeriphConformance runs periph's own exercise of a TextDisplay.
func TestPeriphConformance(t *testing.T) {
	for _, size := range [][2]int{{16, 2}, {20, 4}} {
		d := New(size[0], size[1])
		for _, err := range displaytest.TestTextDisplay(d, false) {
			t.Errorf("%dx%d: %v", size[0], size[1], err)
		}
	}
}

// op is one step of a scripted use of a Display.
type op func(d *Display) error

func moveTo(r, c int) op { return func(d *Display) error { return d.MoveTo(r, c) } }
func write(s string) op {
	return func(d *Display) error { _, err := d.WriteString(s); return err }
}
func move(dir display.CursorDirection) op { return func(d *Display) error { return d.Move(dir) } }
func autoScroll(on bool) op               { return func(d *Display) error { return d.AutoScroll(on) } }
func power(on bool) op                    { return func(d *Display) error { return d.Display(on) } }
func home() op                            { return func(d *Display) error { return d.Home() } }
func clear() op                           { return func(d *Display) error { return d.Clear() } }
func setChar(i int, pattern [8]byte) op {
	return func(d *Display) error { return d.SetCustomChar(i, pattern) }
}

func TestDisplayScripts(t *testing.T) {
	tests := []struct {
		name       string
		cols, rows int
		ops        []op
		want       []string
		overflows  int
	}{
		{
			name: "write at cursor", cols: 16, rows: 2,
			ops:  []op{moveTo(1, 3), write("abc"), moveTo(0, 0), write("Hi")},
			want: []string{"Hi              ", "   abc          "},
		},
		{
			name: "16x2 row 0 runs into hidden RAM, then into row 1", cols: 16, rows: 2,
			ops:       []op{write("0123456789abcdefGHIJKLMNOPQRSTUVWXYZ!\"#$"), write("row1")},
			want:      []string{"0123456789abcdef", "row1            "},
			overflows: 24 + 4,
		},
		{
			name: "20x4 row 0 continues on row 2", cols: 20, rows: 4,
			ops:       []op{write("01234567890123456789ABC")},
			want:      []string{"01234567890123456789", "", "ABC", ""},
			overflows: 3,
		},
		{
			name: "20x4 row 3 wraps to row 0", cols: 20, rows: 4,
			ops:       []op{moveTo(3, 18), write("xyZ")},
			want:      []string{"Z", "", "", "                  xy"},
			overflows: 1,
		},
		{
			name: "move forward and backward", cols: 16, rows: 2,
			ops:  []op{write("ab"), move(display.Forward), write("c"), move(display.Backward), move(display.Backward), write("X")},
			want: []string{"abXc", ""},
		},
		{
			name: "backward from home wraps to the end of the last line", cols: 20, rows: 4,
			ops:       []op{move(display.Backward), write("E")},
			want:      []string{"", "", "", "                   E"},
			overflows: 1,
		},
		{
			name: "autoscroll shifts the window per byte", cols: 16, rows: 2,
			ops:       []op{write("0123456789abcdef"), autoScroll(true), write("XY")},
			want:      []string{"23456789abcdefXY", "                "},
			overflows: 2,
		},
		{
			name: "home undoes the shift", cols: 16, rows: 2,
			ops:       []op{moveTo(0, 14), autoScroll(true), write("XY"), home()},
			want:      []string{"              XY", ""},
			overflows: 0,
		},
		{
			name: "clear blanks and homes", cols: 16, rows: 2,
			ops:  []op{moveTo(1, 1), write("gone"), clear(), write("new")},
			want: []string{"new", ""},
		},
		{
			name: "switched off shows nothing, keeps RAM", cols: 16, rows: 2,
			ops:  []op{write("kept"), power(false)},
			want: []string{"", ""},
		},
		{
			name: "switched on again", cols: 16, rows: 2,
			ops:  []op{write("kept"), power(false), power(true)},
			want: []string{"kept", ""},
		},
		{
			name: "non-ASCII bytes show as ?", cols: 16, rows: 2,
			ops:  []op{write("a\x1fb\x7fc\xe2")},
			want: []string{"a?b?c?", ""},
		},
		{
			name: "custom characters", cols: 16, rows: 2,
			ops: []op{
				setChar(1, [8]byte{0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0xff}),
				setChar(2, [8]byte{0x10, 0x10}),
				write("\x00\x01\x02\x09|"),
			},
			want: []string{" #=#|", ""},
		},
		{
			name: "one-row display has one 80-byte line", cols: 16, rows: 1,
			ops:       []op{moveTo(0, 10), write(strings.Repeat("x", 70) + "yz")},
			want:      []string{"yz        xxxxxx"},
			overflows: 64,
		},
		{
			name: "40x4 gets lines long enough", cols: 40, rows: 4,
			ops:  []op{moveTo(3, 39), write("L"), moveTo(2, 0), write("F")},
			want: []string{"", "", "F", strings.Repeat(" ", 39) + "L"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(tt.cols, tt.rows)
			for i, o := range tt.ops {
				if err := o(d); err != nil {
					t.Fatalf("op %d: %v", i, err)
				}
			}
			want := make([]string, tt.rows)
			for i := range want {
				if i < len(tt.want) {
					want[i] = tt.want[i]
				}
				want[i] += strings.Repeat(" ", tt.cols-len(want[i]))
			}
			if got := d.Lines(); !slices.Equal(got, want) {
				t.Errorf("screen:\n%swant:\n%q", d, want)
			}
			if got := d.Overflows(); got != tt.overflows {
				t.Errorf("Overflows() = %d, want %d", got, tt.overflows)
			}
		})
	}
}

func TestMoveDownUp(t *testing.T) {
	d := New(20, 4)
	for _, o := range []op{moveTo(1, 5), move(display.Down), write("d"), move(display.Up), move(display.Up), write("u")} {
		if err := o(d); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"      u             ",
		"                    ",
		"     d              ",
		"                    ",
	}
	if got := d.Lines(); !slices.Equal(got, want) {
		t.Errorf("screen:\n%swant %q", d, want)
	}
}

func TestInvalidCommands(t *testing.T) {
	d := New(16, 2)
	tests := []struct {
		name string
		o    op
	}{
		{"row below", moveTo(-1, 0)},
		{"row past", moveTo(2, 0)},
		{"col below", moveTo(0, -1)},
		{"col past", moveTo(0, 16)},
		{"up from top", func(d *Display) error { d.MoveTo(0, 3); return d.Move(display.Up) }},
		{"down from bottom", func(d *Display) error { d.MoveTo(1, 3); return d.Move(display.Down) }},
		{"down from hidden RAM", func(d *Display) error {
			d.MoveTo(0, 15)
			d.Move(display.Forward)
			return d.Move(display.Down)
		}},
		{"bad direction", move(display.Down + 1)},
		{"bad cursor mode", func(d *Display) error { return d.Cursor(display.CursorOff, display.CursorBlink+1) }},
		{"custom character 8", setChar(8, [8]byte{})},
		{"custom character -1", setChar(-1, [8]byte{})},
	}
	for _, tt := range tests {
		if err := tt.o(d); !errors.Is(err, display.ErrInvalidCommand) {
			t.Errorf("%s: err = %v, want display.ErrInvalidCommand", tt.name, err)
		}
	}
}

func TestCountersAndCursorModes(t *testing.T) {
	d := New(16, 2)
	d.WriteString("hello")
	d.Write([]byte{'!'})
	if got := d.Writes(); got != 6 {
		t.Errorf("Writes() = %d, want 6", got)
	}
	if err := d.Cursor(display.CursorUnderline, display.CursorBlink); err != nil {
		t.Fatal(err)
	}
	if got := d.CursorModes(); !slices.Equal(got, []display.CursorMode{display.CursorUnderline, display.CursorBlink}) {
		t.Errorf("CursorModes() = %v", got)
	}
}

func TestCustomCharAndCursor(t *testing.T) {
	d := New(20, 4)
	if err := d.SetCustomChar(3, [8]byte{0xff, 1}); err != nil {
		t.Fatal(err)
	}
	if got := d.CustomChar(11); got != [8]byte{0x1f, 1} {
		t.Errorf("CustomChar(11) = %v, want the 5 low bits of what was set", got)
	}
	if _, _, visible := d.CursorAt(); visible {
		t.Error("cursor visible before a cursor mode is set")
	}
	d.Cursor(display.CursorUnderline)
	d.MoveTo(2, 7)
	if row, col, visible := d.CursorAt(); row != 2 || col != 7 || !visible {
		t.Errorf("CursorAt() = %d, %d, %v; want 2, 7, true", row, col, visible)
	}
	d.Display(false)
	if _, _, visible := d.CursorAt(); visible {
		t.Error("cursor visible on a switched-off display")
	}
	d.Display(true)
	d.Cursor(display.CursorOff)
	if _, _, visible := d.CursorAt(); visible {
		t.Error("cursor visible with CursorOff")
	}
}

func TestSmallSizesClamp(t *testing.T) {
	d := New(0, -3)
	if d.Cols() != 1 || d.Rows() != 1 {
		t.Fatalf("size %dx%d, want 1x1", d.Cols(), d.Rows())
	}
	d.WriteString("ab")
	if got := d.Lines(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("Lines() = %q", got)
	}
}

func TestString(t *testing.T) {
	d := New(16, 2)
	d.WriteString("Ready")
	want := "|Ready           |\n|                |\n"
	if got := d.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

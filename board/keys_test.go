package board

import (
	"slices"
	"testing"

	"github.com/scangate/gateway/panel"
)

var (
	up    = input{key: panel.KeyUp}
	down  = input{key: panel.KeyDown}
	left  = input{key: panel.KeyLeft}
	right = input{key: panel.KeyRight}
	ok    = input{key: panel.KeyOK}
	back  = input{key: panel.KeyBack}
	send  = input{key: panel.KeySend}
	stop  = input{key: panel.KeyStop}
	quit  = input{quit: true}
)

func TestDecodeKeys(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		final bool
		want  []input
		used  int // -1: all of in
	}{
		{"arrows CSI", "\x1b[A\x1b[B\x1b[C\x1b[D", false, []input{up, down, right, left}, -1},
		{"arrows SS3", "\x1bOA\x1bOB\x1bOC\x1bOD", false, []input{up, down, right, left}, -1},
		{"arrow with modifier", "\x1b[1;5A\x1b[1;2D", false, []input{up, left}, -1},
		{"enter", "\r", true, []input{ok}, -1},
		{"CR LF is one enter", "\r\n\r\n", false, []input{ok, ok}, -1},
		{"LF alone", "\n", false, []input{ok}, -1},
		{"keypad enter", "\x1bOM", false, []input{ok}, -1},
		{"backspace", "\x7f\x08", false, []input{back, back}, -1},
		{"lone esc when final", "\x1b", true, []input{back}, -1},
		{"esc then letter", "\x1bs", false, []input{back, send}, -1},
		{"esc esc arrow", "\x1b\x1b[A", false, []input{back, up}, -1},
		{"letters", "sSxX qQ", false, []input{send, send, stop, stop, stop, quit, quit}, -1},
		{"ctrl-c and ctrl-d quit", "\x03\x04", false, []input{quit, quit}, -1},
		{"other bytes ignored", "abz9\t\x00é", false, nil, -1},
		{"function keys ignored", "\x1bOP\x1b[15~\x1b[H\x1b[3~s", false, []input{send}, -1},
		{"broken CSI: next byte starts afresh", "\x1b[1\x1b[A", false, []input{up}, -1},
		{"overlong CSI skipped", "\x1b[" + "1111111111111111" + "As", false, []input{send}, -1},
		{"CSI control byte breaks it off", "\x1b[2\rx", false, []input{ok, stop}, -1},
		{"pending esc", "s\x1b", false, []input{send}, 1},
		{"pending CSI", "s\x1b[1;", false, []input{send}, 1},
		{"pending SS3", "\x1bO", false, nil, 0},
		{"pending CR", "x\r", false, []input{stop}, 1},
		{"incomplete CSI dropped when final", "\x1b[1;", true, nil, -1},
		{"incomplete SS3 dropped when final", "s\x1bO", true, []input{send}, -1},
		{"empty", "", false, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, used := decodeKeys([]byte(tt.in), tt.final)
			if !slices.Equal(got, tt.want) {
				t.Errorf("inputs = %v, want %v", got, tt.want)
			}
			want := tt.used
			if want < 0 {
				want = len(tt.in)
			}
			if used != want {
				t.Errorf("used = %d, want %d", used, want)
			}
		})
	}
}

// FuzzDecodeKeys checks that decoding never fails, that final input is used
// up, and that input split across two reads decodes as if it came at once.
func FuzzDecodeKeys(f *testing.F) {
	for _, s := range []string{"\x1b[A", "\x1bOB\r\n", "\x1b[1;5C s", "\x1b", "\x1b[" + "99999999999999999999", "q\x03"} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		whole, used := decodeKeys(in, true)
		if used != len(in) {
			t.Fatalf("final decode used %d of %d bytes", used, len(in))
		}
		k := int(cut) % (len(in) + 1)
		first, n := decodeKeys(in[:k], false)
		if n < 0 || n > k {
			t.Fatalf("used %d of %d bytes", n, k)
		}
		rest, _ := decodeKeys(append(in[n:k:k], in[k:]...), true)
		if split := append(first, rest...); !slices.Equal(split, whole) {
			t.Fatalf("split at %d: %v, whole: %v", k, split, whole)
		}
	})
}

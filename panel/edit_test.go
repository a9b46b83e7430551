package panel_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/scangate/gateway/panel"
)

// finishEntry completes a new entry whose name was typed, and saves.
var finishEntry = seq(keys(ok), typed("x@example.com"), keys(ok, back, up, up, ok))

// savedSettings returns the settings of the last request, which must be a
// save.
func (r *rig) savedSettings() panel.Settings {
	r.t.Helper()
	last := r.reqs[len(r.reqs)-1]
	if last.Kind != panel.RequestSaveSettings || last.Settings == nil {
		r.t.Fatalf("last request %s is no save", showRequest(last))
	}
	return *last.Settings
}

func TestTextEntry(t *testing.T) {
	newName := seq(toBook, keys(ok))
	password := seq(toAccount, keys(down, down, down, down, ok))
	tests := []struct {
		name  string
		steps []step
		row   string // row 1 of the 16x2 screen
		col   int    // the cursor's column
		value string // the name saved, when not empty
	}{
		{name: "an empty field", steps: newName, row: "", col: 0},
		{name: "typing", steps: seq(newName, typed("Sales")), row: "Sales", col: 4, value: "Sales"},
		{name: "right moves past the end", steps: seq(newName, typed("Sales"), keys(right, right)), row: "Sales", col: 5, value: "Sales"},
		{name: "up past the end adds an a", steps: seq(newName, typed("Sales"), keys(right, up)), row: "Salesa", col: 5, value: "Salesa"},
		{name: "down past the end adds a space", steps: seq(newName, typed("Sales"), keys(right, down)), row: "Sales", col: 5, value: "Sales "},
		{name: "left moves the cursor", steps: seq(newName, typed("Sales"), keys(left, left)), row: "Sales", col: 2, value: "Sales"},
		{name: "left stops at the start", steps: seq(newName, typed("ab"), keys(left, left, left)), row: "ab", col: 0, value: "ab"},
		{name: "up turns the character under the cursor", steps: seq(newName, typed("Sales"), keys(left, left, left, left, up)),
			row: "Tales", col: 0, value: "Tales"},
		{name: "down turns it back", steps: seq(newName, typed("Sales"), keys(left, left, left, left, up, down)),
			row: "Sales", col: 0, value: "Sales"},
		{name: "the wheel wraps", steps: seq(newName, typed("a"), keys(down, down)), row: "~", col: 0, value: "~"},
		{name: "send inserts a space", steps: seq(newName, typed("Sales"), keys(left, left, send)), row: "Sa les", col: 2, value: "Sa les"},
		{name: "which up makes an a", steps: seq(newName, typed("Sales"), keys(left, left, send, up)), row: "Saales", col: 2, value: "Saales"},
		{name: "stop deletes under the cursor", steps: seq(newName, typed("Sales"), keys(left, left, stop)), row: "Saes", col: 2, value: "Saes"},
		{name: "stop past the end deletes the last", steps: seq(newName, typed("Sales"), keys(right, stop)), row: "Sale", col: 4, value: "Sale"},
		{name: "stop on the last deletes it", steps: seq(newName, typed("Sales"), keys(stop)), row: "Sale", col: 4, value: "Sale"},
		{name: "stop in an empty field", steps: seq(newName, keys(stop)), row: "", col: 0},
		{name: "long text scrolls", steps: seq(newName, typed("abcdefghijklmnopqrst")), row: "efghijklmnopqrst", col: 15},
		{name: "back to the start", steps: seq(newName, typed("abcdefghijklmnopqrst"), keys(slices.Repeat([]panel.Key{left}, 19)...)),
			row: "abcdefghijklmnop", col: 0},
		{name: "the window moves only when it must", steps: seq(newName, typed("abcdefghijklmnopqrst"), keys(slices.Repeat([]panel.Key{left}, 19)...),
			keys(slices.Repeat([]panel.Key{right}, 15)...)), row: "abcdefghijklmnop", col: 15},
		{name: "then by one", steps: seq(newName, typed("abcdefghijklmnopqrst"), keys(slices.Repeat([]panel.Key{left}, 19)...),
			keys(slices.Repeat([]panel.Key{right}, 16)...)), row: "bcdefghijklmnopq", col: 15},
		{name: "deleting pulls the text back", steps: seq(newName, typed("abcdefghijklmnopqrst"), keys(right, stop, stop, stop)),
			row: "cdefghijklmnopq", col: 15, value: "abcdefghijklmnopq"},
		{name: "the last character is the limit", steps: seq(newName, typed(strings.Repeat("a", 40)), keys(right, up)),
			row: "Too long", col: 0, value: strings.Repeat("a", 40)},
		{name: "and insert is refused", steps: seq(newName, typed(strings.Repeat("a", 40)), keys(send)),
			row: "Too long", col: 0, value: strings.Repeat("a", 40)},
		{name: "a password is masked", steps: password, row: "******", col: 6},
		{name: "but the character under the cursor", steps: seq(password, keys(left)), row: "*****t", col: 5},
		{name: "moves with it", steps: seq(password, keys(left, left)), row: "****e*", col: 4},
		{name: "typing a password", steps: seq(password, keys(stop, stop, stop, stop, stop, stop), typed("pw")), row: "*w", col: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 16, 2, office)
			r.run(tt.steps...)
			if got := strings.TrimRight(r.d.Lines()[1], " "); got != tt.row {
				t.Errorf("row 1 = %q, want %q\n%s", got, tt.row, r.d)
			}
			row, col, visible := r.d.CursorAt()
			if tt.row == "Too long" {
				if visible {
					t.Error("the cursor shows under a hint")
				}
			} else if row != 1 || col != tt.col || !visible {
				t.Errorf("cursor at %d, %d (visible %v), want 1, %d", row, col, visible, tt.col)
			}
			if tt.value == "" {
				return
			}
			r.run(finishEntry...)
			s := r.savedSettings()
			if got := s.Book[len(s.Book)-1].Name; got != tt.value {
				t.Errorf("saved name %q, want %q", got, tt.value)
			}
		})
	}
}

func TestTextEntryCancel(t *testing.T) {
	r := newRig(t, 16, 2, office)
	r.run(seq(toAccount, keys(ok, stop, stop, back))...) // edit the server, then cancel
	if _, _, visible := r.d.CursorAt(); visible {
		t.Error("the cursor shows after the field closed")
	}
	r.run(keys(back, up, ok)...) // nothing changed: no question, save
	if got := r.savedSettings(); !slicesEqualSettings(got, officeSettings()) {
		t.Errorf("saved %+v, want the settings unchanged", got)
	}
}

func slicesEqualSettings(a, b panel.Settings) bool {
	return a.Account == b.Account && a.Device == b.Device && a.PIN == b.PIN && slices.Equal(a.Book, b.Book)
}

// TestTextEntryKeepsOtherCharacters edits a name with characters the wheel
// does not have: those not touched stay as they are.
func TestTextEntryKeepsOtherCharacters(t *testing.T) {
	r := newRig(t, 16, 2, office)
	r.run(seq(toBook, keys(down, down, down, ok, ok))...) // entry 3, its name
	if got := r.d.Lines()[1]; got != "er & Sohne Buro " {
		t.Errorf("row 1 = %q", got)
	}
	r.run(keys(stop, stop, stop, stop, ok, back, back, up, up, ok)...)
	if got := r.savedSettings().Book[2].Name; got != "Müller & Söhne " {
		t.Errorf("saved name %q", got)
	}
}

func TestKeysFor(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"", ""},
		{"a", "up"},
		{"ab", "up,right,up,up"},
		{" ", "down"},
		{"~", "down,down"},
		{"0", strings.Repeat("up,", 26) + "up"},
	}
	for _, tt := range tests {
		ks, err := panel.KeysFor(tt.text)
		if err != nil || panel.FormatKeys(ks) != tt.want {
			t.Errorf("KeysFor(%q) = %s, %v; want %s", tt.text, panel.FormatKeys(ks), err, tt.want)
		}
	}
	ks, err := panel.KeysForDigits("1905")
	if want := "up,up,right,down,right,up,right,down,down,down,down,down"; err != nil || panel.FormatKeys(ks) != want {
		t.Errorf("KeysForDigits(1905) = %s, %v; want %s", panel.FormatKeys(ks), err, want)
	}
	for _, bad := range []string{"é", "tab\t"} {
		if _, err := panel.KeysFor(bad); !errors.Is(err, panel.ErrNotTypeable) || !strings.HasPrefix(err.Error(), "panel: ") {
			t.Errorf("KeysFor(%q) err = %v", bad, err)
		}
	}
	if _, err := panel.KeysForDigits("12a"); !errors.Is(err, panel.ErrNotTypeable) {
		t.Errorf("KeysForDigits(12a) err = %v", err)
	}
	again, err := panel.ParseKeys(panel.FormatKeys(ks))
	if err != nil || !slices.Equal(again, ks) {
		t.Errorf("FormatKeys does not read back: %v, %v", again, err)
	}
}

// TestKeysForTypesEveryCharacter types all of printable ASCII, a name at
// a time, and checks what is saved.
func TestKeysForTypesEveryCharacter(t *testing.T) {
	var all []byte
	for c := byte(' '); c <= '~'; c++ {
		all = append(all, c)
	}
	for chunk := range slices.Chunk(all, 40) {
		r := newRig(t, 16, 2, office)
		r.run(seq(toBook, keys(ok), typed(string(chunk)), finishEntry)...)
		s := r.savedSettings()
		if got := s.Book[len(s.Book)-1].Name; got != string(chunk) {
			t.Errorf("typed %q, saved %q", chunk, got)
		}
	}
}

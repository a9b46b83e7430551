package panel_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scangate/gateway/panel"
)

// TestSaveProblems checks every message of the validation: settings that
// cannot be saved show what is wrong and where, and ask nothing.
func TestSaveProblems(t *testing.T) {
	tests := []struct {
		name        string
		change      func(c *panel.Config)
		what, where string
	}{
		{"no server", func(c *panel.Config) { c.Account.Server = " " }, "Missing", "Account server"},
		{"a server with a space", func(c *panel.Config) { c.Account.Server = "smtp example.com" }, "Bad server name", "Account server"},
		{"a server with a path", func(c *panel.Config) { c.Account.Server = "smtp.example.com/x" }, "Bad server name", "Account server"},
		{"port 0", func(c *panel.Config) { c.Account.Port = 0 }, "Port 1 to 65535", "Account port"},
		{"port 65536", func(c *panel.Config) { c.Account.Port = 65536 }, "Port 1 to 65535", "Account port"},
		{"no security", func(c *panel.Config) { c.Account.Security = "" }, "Pick security", "Account security"},
		{"ssl", func(c *panel.Config) { c.Account.Security = "ssl" }, "Pick security", "Account security"},
		{"no sender", func(c *panel.Config) { c.Account.From = "" }, "Missing", "Account sender"},
		{"a sender without a domain", func(c *panel.Config) { c.Account.From = "scanner" }, "Not an address", "Account sender"},
		{"a sender with a space", func(c *panel.Config) { c.Account.From = "scan ner@example.com" }, "Not an address", "Account sender"},
		{"101 entries", func(c *panel.Config) { c.Book = numbered(101) }, "Max 100 entries", "Address book"},
		{"an entry without a name", func(c *panel.Config) { c.Book[1].Name = "" }, "Missing", "Book 2 name"},
		{"an entry without an address", func(c *panel.Config) { c.Book[1].Address = "" }, "Missing", "Book 2 address"},
		{"an entry with a bad address", func(c *panel.Config) { c.Book[2].Address = "nobody" }, "Not an address", "Book 3 address"},
		{"the 100th entry", func(c *panel.Config) { c.Book = numbered(100); c.Book[99].Address = "@" }, "Not an address", "Book 100 address"},
		{"no serial port", func(c *panel.Config) { c.Device.Port = "" }, "Missing", "Device port"},
		{"no speed", func(c *panel.Config) { c.Device.Baud = 0 }, "Pick a speed", "Device baud"},
		{"kermit", func(c *panel.Config) { c.Device.Protocol = "kermit" }, "Pick a protocol", "Device protocol"},
		{"dtr", func(c *panel.Config) { c.Device.Flow = "dtr" }, "Pick a flow", "Device flow"},
	}
	for _, tt := range tests {
		for _, size := range [][2]int{{16, 2}, {20, 4}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tt.name, size[0], size[1]), func(t *testing.T) {
				r := newRig(t, size[0], size[1], with(tt.change))
				r.run(toSave...)
				want := pad([]string{tt.what, tt.where}, size[0], size[1])
				if got := r.d.Lines(); !slices.Equal(got, want) {
					t.Errorf("screen:\n%swant %q", r.d, want)
				}
				if last := r.reqs[len(r.reqs)-1]; last.Kind != panel.RequestNone {
					t.Errorf("request %s for settings that cannot be saved", showRequest(last))
				}
				r.run(key(ok))
				if !strings.Contains(r.d.String(), "|>Save") {
					t.Errorf("after the message:\n%swant the settings with Save chosen", r.d)
				}
			})
		}
	}
}

func TestSaveValidSettings(t *testing.T) {
	for _, change := range []func(c *panel.Config){
		func(c *panel.Config) { c.Device.Flow, c.Device.Protocol = "xonxoff", "zmodem" },
		// Every protocol the device layer offers can be saved (xmodem-1k could not).
		func(c *panel.Config) { c.Device.Protocol = "xmodem-1k" },
		func(c *panel.Config) { c.Account.From = "Front desk <scanner@example.com>" },
		func(c *panel.Config) { c.Account.User, c.Account.Password = "", "" },
		func(c *panel.Config) { c.Account.Server = "192.0.2.7" },
		func(c *panel.Config) { c.Book = nil },
		func(c *panel.Config) { c.PIN = "" }, // the default PIN
	} {
		cfg := with(change)
		r := newRig(t, 16, 2, cfg)
		r.run(seq(toPIN, digits(cmp.Or(cfg.PIN, panel.DefaultPIN)), keys(ok, up, ok))...)
		want := panel.Settings{Account: cfg.Account, Book: cfg.Book, Device: cfg.Device, PIN: cfg.PIN}
		if got := r.savedSettings(); !slicesEqualSettings(got, want) {
			t.Errorf("saved %+v, want %+v", got, want)
		}
	}
}

var (
	addSales = seq(toBook, keys(ok), typed("Sales"), keys(ok), typed("sales@example.com"), keys(ok))
	saveBook = keys(back, up, up, ok) // from the address book
	sales    = panel.Destination{Name: "Sales", Address: "sales@example.com"}
)

// TestSave adds an entry to the address book, saves it and sends to it.
func TestSave(t *testing.T) {
	r := newRig(t, 16, 2, office)
	r.run(seq(addSales, saveBook)...)
	want := officeSettings()
	want.Book = append(want.Book, sales)
	got := r.savedSettings()
	if !slicesEqualSettings(got, want) {
		t.Fatalf("saved %+v, want %+v", got, want)
	}
	if !r.p.Waiting() {
		t.Error("Waiting() = false while the save is under way")
	}
	got.Book[0].Name = "changed by the appliance" // the appliance's own copy
	if s := r.p.Settings(); !slicesEqualSettings(s, officeSettings()) {
		t.Errorf("Settings() = %+v before the answer", s)
	}
	r.run(answer(panel.Answer{To: panel.RequestSaveSettings, OK: true}))
	if r.p.Waiting() {
		t.Error("Waiting() = true after the answer")
	}
	if s := r.p.Settings(); !slicesEqualSettings(s, want) {
		t.Errorf("Settings() = %+v after the save, want %+v", s, want)
	}
	r.run(keys(ok, back, back)...) // the message, the settings (saved: no question), the menu
	if got := r.d.Lines(); !slices.Equal(got, []string{"Front desk 12:04", "To: Demo inbox  "}) {
		t.Errorf("ready screen after the save:\n%s", r.d)
	}
	r.run(keys(up, send)...)
	if last := r.reqs[len(r.reqs)-1]; last != (panel.Request{Kind: panel.RequestSend, Dest: sales}) {
		t.Errorf("send request %s, want to Sales", showRequest(last))
	}
}

// TestFailedSave checks that a failed save leaves the settings in force as
// they were and says why in plain words; the edits can be saved again.
func TestFailedSave(t *testing.T) {
	for _, size := range [][2]int{{16, 2}, {20, 4}} {
		r := newRig(t, size[0], size[1], office)
		r.run(seq(addSales, saveBook)...)
		r.run(answer(panel.Answer{To: panel.RequestSaveSettings, Short: "Not saved", Detail: "The memory card is full."}))
		want := pad([]string{"Not saved", "The memory card", "is full."}, size[0], size[1])
		if size[0] == 20 {
			want = pad([]string{"Not saved", "The memory card is", "full."}, 20, 4)
		}
		if got := r.d.Lines(); !slices.Equal(got, want[:size[1]]) {
			t.Errorf("%dx%d screen:\n%swant %q", size[0], size[1], r.d, want)
		}
		if s := r.p.Settings(); !slicesEqualSettings(s, officeSettings()) {
			t.Errorf("Settings() = %+v after a failed save", s)
		}
		r.run(keys(ok, ok)...) // the message; Save again
		again := r.savedSettings()
		if n := len(again.Book); n != 4 {
			t.Errorf("saving again sent %d entries, want the 4 edited", n)
		}
		r.run(answer(panel.Answer{To: panel.RequestSaveSettings, Short: "Not saved"}))
		r.run(keys(ok, back, ok, back)...) // the message; leave; discard; leave the menu
		r.run(keys(up)...)
		if got := r.d.Lines()[1]; !strings.HasPrefix(got, "To: Muller") {
			t.Errorf("%dx%d: up from the first entry shows %q, want the old last entry", size[0], size[1], got)
		}
	}
}

// TestSaveKeepsSelection deletes the entry before the selected one: the
// selection follows its destination.
func TestSaveKeepsSelection(t *testing.T) {
	r := newRig(t, 16, 2, office)
	r.run(key(down)) // Accounts
	r.run(seq(toBook, keys(down, ok, up, ok, ok), saveBook)...)
	r.run(answer(panel.Answer{To: panel.RequestSaveSettings, OK: true}))
	r.run(keys(ok, back, back)...)
	if got := r.p.Selected(); got != 0 || r.d.Lines()[1] != "To: Accounts    " {
		t.Errorf("Selected() = %d, screen\n%s", got, r.d)
	}
	// Deleting the selected entry selects the first.
	r.run(seq(toBook, keys(down, ok, up, ok, ok), saveBook)...)
	r.run(answer(panel.Answer{To: panel.RequestSaveSettings, OK: true}))
	r.run(keys(ok, back, back)...)
	if got := r.p.Selected(); got != 0 || r.d.Lines()[1] != "To: Muller & Soh" {
		t.Errorf("Selected() = %d, screen\n%s", got, r.d)
	}
}

// TestIdleMenuDropsEdits leaves the settings untouched for two minutes.
func TestIdleMenuDropsEdits(t *testing.T) {
	r := newRig(t, 16, 2, office)
	r.run(seq(toAccount, keys(down, ok, stop, ok))...) // port 58
	r.run(ticks(240))
	if got := r.d.Lines()[0]; got != "Front desk 12:04" {
		t.Fatalf("after 2 idle minutes:\n%s", r.d)
	}
	r.run(seq(toAccount, keys(down))...)
	if got := r.d.Lines()[1]; got != " 587            " {
		t.Errorf("port after the idle menu closed: %q", got)
	}
}

// TestLateAnswers checks answers that come when nothing waits for them.
func TestLateAnswers(t *testing.T) {
	r := newRig(t, 16, 2, office)
	before := r.d.Lines()
	for k := panel.RequestKind(-1); k <= panel.RequestCancelSignIn+1; k++ {
		r.run(answer(panel.Answer{To: k, OK: true, Short: "Late"}))
	}
	if got := r.d.Lines(); !slices.Equal(got, before) || !slicesEqualSettings(r.p.Settings(), officeSettings()) {
		t.Errorf("late answers changed the panel:\n%s", r.d)
	}
	// A save answered after a result closed the menu still takes effect.
	r.run(seq(addSales, saveBook)...)
	r.run(result(panel.Result{Short: "Server down"}))
	r.run(answer(panel.Answer{To: panel.RequestSaveSettings, OK: true}))
	if got := r.p.Settings(); len(got.Book) != 4 {
		t.Errorf("a save answered after the menu closed was lost: %+v", got)
	}
	if got := r.d.Lines()[0]; got != "Not sent        " {
		t.Errorf("the answer replaced the result:\n%s", r.d)
	}
}

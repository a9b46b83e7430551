package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/gateway/panel"
)

// The acceptance script: Settings (PIN) → Address book → add an entry → save → back → choose that entry
// → Send; the mail arrives for that address, and the new entry is in the saved settings.
func TestDemoAddressBookScript(t *testing.T) {
	must := func(k []panel.Key, err error) []panel.Key {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	const name, addr = "Front desk", "front.desk@scangate.test"
	var keys []panel.Key
	add := func(k ...panel.Key) { keys = append(keys, k...) }
	add(panel.KeyBack, panel.KeyUp, panel.KeyOK) // the menu, up to Settings
	add(must(panel.KeysForDigits(panel.DefaultPIN))...)
	add(panel.KeyOK)
	add(panel.KeyDown, panel.KeyOK, panel.KeyOK) // Address book, New entry
	add(must(panel.KeysFor(name))...)
	add(panel.KeyOK)
	add(must(panel.KeysFor(addr))...)
	add(panel.KeyOK)
	add(panel.KeyBack, panel.KeyUp, panel.KeyUp, panel.KeyOK) // Save
	add(panel.KeyOK, panel.KeyBack, panel.KeyBack)            // back to the ready screen
	add(panel.KeyUp, panel.KeySend)                           // the new entry is the last one

	dir := t.TempDir()
	maildir := filepath.Join(dir, "mail")
	r := gateway(t, "demo", "--once", "--key-delay", "0", "--keys", panel.FormatKeys(keys), "--maildir", maildir, "--dir", dir)
	if r.code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", r.code, tail(r.stdout, 30), r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	if len(files) != 1 {
		t.Fatalf("%d mails", len(files))
	}
	mail, _ := os.ReadFile(files[0])
	if !strings.Contains(string(mail), "for <"+addr+">") || !strings.Contains(string(mail), `To: "`+name+`" <`+addr+`>`) {
		t.Errorf("the mail did not go to the new entry:\n%s", tail(string(mail), 0)[:800])
	}
	saved, err := os.ReadFile(filepath.Join(dir, "gateway.toml"))
	if err != nil || !strings.Contains(string(saved), addr) {
		t.Errorf("saved settings lack the new entry: %v\n%s", err, saved)
	}
	if !strings.Contains(r.stdout, "Sent to Front de") {
		t.Errorf("the panel did not show the result:\n%s", tail(r.stdout, 10))
	}
}

// tail returns the last n lines of s (all of it when n is 0).
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

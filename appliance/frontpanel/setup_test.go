package frontpanel

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/panel/paneltest"
	"github.com/scangate/gateway/smtpserver"
)

// memLCD names paneltest.Display so that, embedded, its Display method stays promoted.
type memLCD = paneltest.Display

// recorder keeps every screen the panel shows.
type recorder struct {
	*memLCD
	screens []string
}

func (r *recorder) Flush() error {
	r.screens = append(r.screens, strings.Join(r.Lines(), "|"))
	return nil
}

// First boot: no settings file. The panel shows Setup, Send says what is missing, and the admin reaches
// Settings behind the default PIN, enters the account and saves: the file is created (0600) and the gateway
// is ready.
func TestFirstBootSetup(t *testing.T) {
	dir := t.TempDir()
	maildir := filepath.Join(dir, "mail")
	srv, err := smtpserver.Start(smtpserver.Config{Addr: "127.0.0.1:0", Users: map[string]string{"scanner": "right"}, Maildir: maildir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := config.Default()
	cfg.Spool.Dir = filepath.Join(dir, "spool")
	cfg.AddressBook = []config.Destination{{Name: "Sales", Address: "sales@example.com"}}
	g, err := appliance.NewSetup(cfg, appliance.Options{RootCAs: srv.CertPool(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !g.NeedsSetup() {
		t.Fatal("a gateway without an account does not need setting up")
	}

	host, port, _ := net.SplitHostPort(srv.Addr())
	must := func(k []panel.Key, err error) []panel.Key {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	var keys []panel.Key
	add := func(k ...panel.Key) { keys = append(keys, k...) }
	text := func(s string) { add(panel.KeyOK); add(must(panel.KeysFor(s))...); add(panel.KeyOK, panel.KeyDown) }
	add(panel.KeySend, panel.KeyOK)              // Send says what is missing; OK clears it
	add(panel.KeyBack, panel.KeyUp, panel.KeyOK) // the menu, up to Settings
	add(must(panel.KeysForDigits(panel.DefaultPIN))...)
	add(panel.KeyOK, panel.KeyOK) // the PIN, then Account
	text(host)
	add(panel.KeyOK)
	add(must(panel.KeysForDigits(port))...)
	add(panel.KeyOK, panel.KeyDown, panel.KeyDown) // Port; Security stays starttls
	text("scanner")
	text("right")
	text("scanner@example.com")
	add(panel.KeyBack, panel.KeyUp, panel.KeyOK) // Save
	add(panel.KeyOK, panel.KeyBack, panel.KeyBack)

	path := filepath.Join(dir, "etc", "gateway.toml")
	d := &recorder{memLCD: paneltest.NewDisplay(16, 2)}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	err = Run(ctx, g, &board.Board{Display: d}, Options{Script: keys, ConfigPath: path, Once: true})
	if err != ErrScriptEnded {
		t.Fatalf("Run: %v\n%s", err, d)
	}
	seen := strings.Join(d.screens, "\n")
	for _, want := range []string{"!Setup: Back key", "Set up first", "Saved"} {
		if !strings.Contains(seen, want) {
			t.Errorf("no screen shows %q:\n%s", want, seen)
		}
	}
	if g.NeedsSetup() {
		t.Fatalf("still in setup after saving:\n%s", seen)
	}
	if got := d.Lines(); strings.Contains(got[0], "Setup") || !strings.HasPrefix(got[1], "To: Sales") {
		t.Errorf("ready screen after setup:\n%s", d)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("settings file: %v, %v", st, err)
	}
	saved, err := config.Load(path)
	if err != nil || saved.Account.Server != net.JoinHostPort(host, port) || saved.Account.User != "scanner" ||
		saved.Account.Password.Reveal() != "right" || saved.Account.From != "scanner@example.com" {
		t.Fatalf("saved settings: %+v, %v", saved, err)
	}
}

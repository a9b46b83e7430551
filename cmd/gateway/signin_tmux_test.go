package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/oauthtest"
	"github.com/scangate/gateway/panel"
)

// tmuxKeys are the terminal keys of the sim board's panel keys, as tmux send-keys names them.
var tmuxKeys = map[panel.Key]string{panel.KeyUp: "Up", panel.KeyDown: "Down", panel.KeyLeft: "Left",
	panel.KeyRight: "Right", panel.KeyOK: "Enter", panel.KeyBack: "BSpace"}

// The sign-in from the front panel of the sim board in a real terminal: Settings, the PIN, Account, Sign in;
// the LCD shows the code of a real authorization server, the test approves it at the server's user-code
// endpoint, and the panel says "Signed in" and the token store is written.
func TestSignInOnSimPanelInTmux(t *testing.T) {
	idp := oauthtest.Start(t, oauthtest.Options{})
	dir := t.TempDir()
	cfg := writeOAuthSettings(t, dir, idp, "server = \"127.0.0.1:1\"\n", "")
	store := filepath.Join(dir, "state", "oauth.json")

	command := strings.Join([]string{gatewayBin, "run", "--board", "sim", "-config", cfg, "2>" + filepath.Join(dir, "log")}, " ")
	tm := startTmux(t, []string{"SSL_CERT_FILE=" + idp.CAFile}, command, filepath.Join(dir, "log"))
	screen := func(want *regexp.Regexp) []string {
		t.Helper()
		_, m := tm.screen(want)
		return m
	}
	press := func(keys ...panel.Key) {
		t.Helper()
		for _, k := range keys {
			tm.run("send-keys", tmuxKeys[k])
			time.Sleep(30 * time.Millisecond)
		}
	}
	lit := func(s string) *regexp.Regexp { return regexp.MustCompile(regexp.QuoteMeta(s)) }

	screen(lit("Not signed in")) // the ready screen says what holds the mail
	press(panel.KeyBack)         // the menu
	screen(lit(">Queue"))
	press(panel.KeyUp, panel.KeyOK) // up wraps to Settings
	screen(lit("Admin PIN"))
	pin, err := panel.KeysForDigits(panel.DefaultPIN)
	if err != nil {
		t.Fatal(err)
	}
	press(append(pin, panel.KeyOK)...)
	screen(lit(">Account"))
	press(panel.KeyOK, panel.KeyDown, panel.KeyDown, panel.KeyDown, panel.KeyDown)
	screen(lit(">Sign in"))
	press(panel.KeyOK)
	m := screen(regexp.MustCompile(`│([A-Z0-9]{4}-[A-Z0-9]{4}) +\d+:\d\d│`))
	if err := idp.Approve(t.Context(), m[1], "scanner@example.com"); err != nil {
		t.Fatalf("approving %s: %v", m[1], err)
	}
	screen(lit("Signed in"))
	if st, err := os.Stat(store); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token store after the panel's sign-in: %v %v", st, err)
	}
	if idp.SignIns() != 1 {
		t.Fatalf("%d sign-ins at the server", idp.SignIns())
	}
}

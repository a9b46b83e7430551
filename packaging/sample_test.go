package packaging

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/appliance/frontpanel"
	"github.com/scangate/gateway/config"
)

// TestSampleConfig loads the sample settings of each package as gateway run does: valid, with the board profile
// of the architecture, the packaged paths, and no mail account, which is the first-boot Setup state.
func TestSampleConfig(t *testing.T) {
	for _, tgt := range Targets {
		t.Run(tgt.Arch, func(t *testing.T) {
			b, err := SampleConfig(tgt.Profile)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "gateway.toml")
			if err := os.WriteFile(path, b, 0o640); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if err := appliance.Validate(cfg, false); err != nil {
				t.Errorf("appliance.Validate: %v", err)
			}
			if err := frontpanel.Validate(cfg, false); err != nil { // what run checks, with the board's rules
				t.Errorf("frontpanel.Validate: %v", err)
			}
			// No account: run starts in the Setup state, and check says what to fill in.
			if err := appliance.Validate(cfg, true); err == nil || !strings.Contains(err.Error(), "account.server: missing") {
				t.Errorf("the sample has a mail account, or says nothing of it: %v", err)
			}
			want := "none"
			if tgt.Arch == "armhf" || tgt.Arch == "arm64" {
				want = "rpi" // a Pi with the LCD shows Setup on the panel
			}
			if cfg.Board.Profile != want || tgt.Profile != want {
				t.Errorf("board.profile = %q, want %q", cfg.Board.Profile, want)
			}
			if cfg.Spool.Dir != "/var/spool/scangate" || cfg.OAuth != nil {
				t.Errorf("spool.dir = %q, [oauth] %+v", cfg.Spool.Dir, cfg.OAuth)
			}
			if !strings.Contains(string(b), `# store     = "/var/lib/scangate/oauth.json"`) {
				t.Error("the sample does not show [oauth] store in /var/lib/scangate")
			}
		})
	}
}

// setting is a commented-out setting of the sample: "# key = value", or a table's header.
var setting = regexp.MustCompile(`^# ?((\[\[?[a-z.]+\]\]?)|([a-z_0-9]+ *= .*))$`)

// TestSampleConfigCommentsAreSettings uncomments every setting the sample shows and loads the result: each
// name and example value is one the gateway knows (Load refuses unknown keys), so the comments cannot teach a
// setting that does not exist.
func TestSampleConfigCommentsAreSettings(t *testing.T) {
	b, err := SampleConfig("rpi")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if m := setting.FindStringSubmatch(line); m != nil {
			line = m[1]
			n++
		}
		out = append(out, line)
	}
	if n < 40 {
		t.Fatalf("only %d commented settings found", n)
	}
	path := filepath.Join(t.TempDir(), "all.toml")
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the uncommented sample: %v", err)
	}
	if cfg.OAuth == nil || cfg.OAuth.Store != "/var/lib/scangate/oauth.json" || len(cfg.AddressBook) != 1 || cfg.Device.USB == "" ||
		cfg.Relay == nil || len(cfg.Relay.Users) != 1 {
		t.Errorf("the uncommented sample lost settings: %+v", cfg)
	}
}

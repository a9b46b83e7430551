package panel_test

import (
	"strings"
	"testing"

	"github.com/scangate/gateway/panel"
)

// relayFP is a SHA-256 fingerprint as the relay gives it: 32 bytes, far wider than any display.
var relayFP = strings.TrimSuffix(strings.Repeat("AB:CD:EF:01:", 8), ":")

func relayed(today int, addrs ...string) step {
	return step{event: &panel.Event{Relay: &panel.Relay{Addrs: addrs, Fingerprint: relayFP, Today: today}}}
}

// About lists the relay's addresses, its fingerprint (scrolling) and the day's count under the version
// and the serial number, as the last Event.Relay told.
func TestAboutRelay(t *testing.T) {
	about := seq(toMenu, keys(down, down, down, down, ok))
	runMenuTests(t, []menuTest{
		{name: "about with a relay", steps: seq([]step{relayed(3, "0.0.0.0:587")}, about),
			want16: []string{"Scangate", "Version 1.4.0"},
			want20: []string{"Scangate", "Version 1.4.0", "Serial SG-0042", "Relay 0.0.0.0:587"},
		},
		{name: "about scrolls to the relay", steps: seq([]step{relayed(3, "0.0.0.0:587")}, about, keys(down, down)),
			want16: []string{"Scangate", "Relay 0.0.0.0:58"},
			want20: []string{"Scangate", "Relay 0.0.0.0:587", "SHA-256 AB:CD:EF:01:", "Relay: 3 today"},
		},
		{name: "the fingerprint", steps: seq([]step{relayed(3, "0.0.0.0:587")}, about, keys(down, down, down)),
			want16: []string{"Scangate", "SHA-256 AB:CD:EF"},
			want20: []string{"Scangate", "Relay 0.0.0.0:587", "SHA-256 AB:CD:EF:01:", "Relay: 3 today"},
		},
		{name: "the fingerprint scrolls", steps: seq([]step{relayed(3, "0.0.0.0:587")}, about, keys(down, down, down), []step{ticks(10)}),
			want16: []string{"Scangate", "AB:CD:EF:01:AB:C"},
			want20: []string{"Scangate", "Relay 0.0.0.0:587", "AB:CD:EF:01:AB:CD:EF", "Relay: 3 today"},
		},
		{name: "the day's count, last", steps: seq([]step{relayed(3, "0.0.0.0:587")}, about, keys(down, down, down, down, down)),
			want16: []string{"Scangate", "Relay: 3 today"},
			want20: []string{"Scangate", "Relay 0.0.0.0:587", "SHA-256 AB:CD:EF:01:", "Relay: 3 today"},
		},
		{name: "every address", steps: seq([]step{relayed(12, "192.168.1.20:587", "[fd00::20]:587")}, about, keys(down, down, down, down, down, down)),
			want16: []string{"Scangate", "Relay: 12 today"},
			want20: []string{"Scangate", "Relay [fd00::20]:587", "SHA-256 AB:CD:EF:01:", "Relay: 12 today"},
		},
		{name: "the count follows the news", steps: seq([]step{relayed(3, "0.0.0.0:587")}, about, keys(down, down, down, down),
			[]step{relayed(4, "0.0.0.0:587")}),
			want16: []string{"Scangate", "Relay: 4 today"},
			want20: []string{"Scangate", "Relay 0.0.0.0:587", "SHA-256 AB:CD:EF:01:", "Relay: 4 today"},
		},
		{name: "about without a relay", steps: seq(about, keys(down, down, down)),
			want16: []string{"Scangate", "Serial SG-0042"},
			want20: []string{"Scangate", "Version 1.4.0", "Serial SG-0042"},
		},
	})
}

// The ready screen of a 20x4 shows the day's count on its last row when no queued job has a problem to
// show there; a 16x2 has no room for it.
func TestReadyRelay(t *testing.T) {
	for _, tt := range []struct {
		name           string
		steps          []step
		want16, want20 []string
	}{
		{name: "the count", steps: []step{relayed(3, "0.0.0.0:587")},
			want16: []string{"Ready      12:04", "To: Demo inbox"},
			want20: []string{"Ready          12:04", "To: Demo inbox", "demo@scangate.test", "Relay: 3 today"}},
		{name: "a problem goes first", steps: []step{relayed(3, "0.0.0.0:587"), queued(waiting, held)},
			want16: []string{"!Wrong password", "To: Demo inbox"},
			want20: []string{"Ready      Q:2 12:04", "To: Demo inbox", "demo@scangate.test", "!Wrong password"}},
		{name: "the count again once the problem is gone", steps: []step{relayed(3, "0.0.0.0:587"), queued(waiting, held), queued(waiting), relayed(5)},
			want16: []string{"Ready  Q:1 12:04", "To: Demo inbox"},
			want20: []string{"Ready      Q:1 12:04", "To: Demo inbox", "demo@scangate.test", "Relay: 5 today"}},
	} {
		for _, size := range []struct {
			cols, rows int
			want       []string
		}{{16, 2, tt.want16}, {20, 4, tt.want20}} {
			r := newRig(t, size.cols, size.rows, panel.Config{Book: book})
			r.run(tt.steps...)
			if want := pad(size.want, size.cols, size.rows); !slicesEqual(r.d.Lines(), want) {
				t.Errorf("%s %dx%d:\n%swant:\n%s", tt.name, size.cols, size.rows, r.d, strings.Join(want, "\n"))
			}
		}
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

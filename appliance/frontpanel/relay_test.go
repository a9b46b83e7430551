package frontpanel

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/panel/paneltest"
)

// OnLoop hands out the running delivery loop, without a display and with one: a mail queued from outside
// the panel (the relay's) is sent once the loop is kicked.
func TestOnLoopKicksRelayedMail(t *testing.T) {
	for _, withPanel := range []bool{false, true} {
		name := "none"
		if withPanel {
			name = "panel"
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t, machine(t).PortPath(), "right")
			g := r.gateway(t)
			var b *board.Board
			if withPanel {
				b = &board.Board{Display: newScreens()}
			}
			loops := make(chan *appliance.Deliverer, 2)
			ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- Run(ctx, g, b, Options{OnLoop: func(d *appliance.Deliverer) { loops <- d }}) }()
			var d *appliance.Deliverer
			select {
			case d = <-loops:
			case err := <-done:
				t.Fatalf("Run: %v", err)
			}
			if d == nil {
				t.Fatal("OnLoop got no loop")
			}
			msg := "From: mfp@office.example\r\nTo: sales@example.com\r\nSubject: relayed\r\n\r\nscan\r\n"
			j, err := g.EnqueueMessage(appliance.RelayEnvelope{From: "mfp@office.example", To: []string{"sales@example.com"},
				Peer: "127.0.0.1:5000"}, strings.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			watch, attempted := d.WatchQueued(j)
			if attempted == nil {
				d.Kick()
				for u := range watch {
					if u.Outcome != nil {
						attempted = u.Outcome
					}
				}
			}
			if attempted == nil || attempted.Err != nil {
				t.Fatalf("the relayed mail was not sent: %+v", attempted)
			}
			cancel()
			<-done
			if len(loops) != 0 {
				t.Error("OnLoop called more than once")
			}
		})
	}
}

// The panel shows what Options.Relay tells: the day's count on a 20x4's ready screen, as it changes, and the
// relay's addresses and fingerprint under About.
func TestPanelShowsRelay(t *testing.T) {
	r := newRig(t, machine(t).PortPath(), "right")
	g := r.gateway(t)
	var today atomic.Int64
	today.Store(2)
	stats := func() panel.Relay {
		return panel.Relay{Addrs: []string{"0.0.0.0:587"}, Fingerprint: "AB:CD:EF:01", Today: int(today.Load())}
	}
	d := &screens{memLCD: paneltest.NewDisplay(20, 4), frame: make(chan struct{}, 1)}
	keys := make(chan panel.Key, 8)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, g, &board.Board{Display: d, Keys: keys}, Options{Relay: stats, Version: "1.4.0"})
	}()
	d.waitFor(t, "|Relay: 2 today")
	today.Store(3) // the count is looked at again with the queue
	d.waitFor(t, "|Relay: 3 today")
	keys <- panel.KeyBack // the menu
	for range 4 {
		keys <- panel.KeyDown
	}
	keys <- panel.KeyOK // About
	keys <- panel.KeyDown
	keys <- panel.KeyDown
	if f := d.waitFor(t, "Scangate            |Relay 0.0.0.0:587"); !strings.Contains(f, "SHA-256 AB:CD:EF:01") ||
		!strings.Contains(f, "Relay: 3 today") {
		t.Errorf("About: %q", f)
	}
	cancel()
	<-done
}

package frontpanel

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/config"
)

// OnReady comes once the panel shows its first complete screen, with the delivery loop running; settings put
// in force from outside (a reload) reach the panel, here the end of a first boot's setup and a new address book.
func TestReadyAndReloaded(t *testing.T) {
	r := newRig(t, filepath.Join(t.TempDir(), "ttyUSB0"), "right")
	first := *r.Cfg
	first.Account = config.Account{}
	g, err := appliance.NewSetup(&first, appliance.Options{RootCAs: r.Srv.CertPool(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	d := newScreens()
	ready := make(chan string, 2)
	reloaded := make(chan struct{}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, g, &board.Board{Display: d}, Options{Reloaded: reloaded, OnReady: func() { ready <- d.last() }})
	}()
	select {
	case s := <-ready:
		if !strings.Contains(s, "Setup: Back key") || !strings.Contains(s, "To: Sales") {
			t.Errorf("ready before the first complete screen: %q", s)
		}
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}

	next := *r.Cfg
	next.AddressBook = []config.Destination{{Name: "Accounts", Address: "accounts@example.com"}}
	if err := Validate(&next, true); err != nil {
		t.Fatal(err)
	}
	if err := g.Apply(&next); err != nil {
		t.Fatal(err)
	}
	reloaded <- struct{}{}
	for deadline := time.Now().Add(hangGuard); ; time.Sleep(20 * time.Millisecond) {
		if s := d.last(); strings.Contains(s, "To: Accounts") && !strings.Contains(s, "Setup") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the panel does not show the reloaded settings: %q", d.last())
		}
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run: %v", err)
	}
	if len(ready) != 0 {
		t.Error("OnReady called more than once")
	}
}

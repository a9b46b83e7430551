package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/appliance/frontpanel"
	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/internal/secret"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/smtpserver"
)

// demoOptions tune demo.
type demoOptions struct {
	// Dir holds the demo's Maildir and spool when they are not given; empty means a new temporary directory,
	// kept after the demo so that the mail can be read.
	Dir string
	// Maildir is where the embedded mail server stores mail; empty means Dir/maildir.
	Maildir string
	// Keys, when not empty, are pressed in order instead of reading the keyboard.
	Keys []panel.Key
	// Once ends the demo after the first delivery.
	Once bool
	// Interactive draws the panel in the terminal and reads keys from In.
	Interactive bool
	In          *os.File
	// Out receives the demo's messages and, in script mode, one line per panel screen.
	Out io.Writer
	// Log receives the gateway's log lines; nil discards them.
	Log *slog.Logger
	// Version is the gateway's version.
	Version string
	// KeyDelay paces scripted keys (DemoKeyDelay lets a reader follow the screens).
	KeyDelay time.Duration
}

// demoPasswordBytes is the size of the demo account's random password.
const demoPasswordBytes = 12

// demoKeyDelay paces scripted keys so that the screens can be followed.
const demoKeyDelay = 300 * time.Millisecond

// demo runs the whole appliance on this machine: an embedded SMTP server with STARTTLS and AUTH PLAIN storing
// into a Maildir, a simulated MFP serving sample scanned pages over a pseudo-terminal, and the front panel in
// the terminal. The first entry of the address book is selected, so pressing Send alone mails a scan. The demo's
// peers live here, in the command, so that the appliance itself links neither a mail server nor a simulator.
func demo(ctx context.Context, o demoOptions) error {
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "scangate-demo-")
		if err != nil {
			return err
		}
		o.Dir = d
	}
	if o.Maildir == "" {
		o.Maildir = filepath.Join(o.Dir, "maildir")
	}
	var pw [demoPasswordBytes]byte
	rand.Read(pw[:])
	password := hex.EncodeToString(pw[:])

	var mu sync.Mutex
	var delivered []string
	srv, err := smtpserver.Start(smtpserver.Config{
		Addr:    "127.0.0.1:0",
		Users:   map[string]string{"demo": password},
		Maildir: o.Maildir,
		OnDeliver: func(d smtpserver.Delivery) {
			mu.Lock()
			delivered = append(delivered, d.Path)
			mu.Unlock()
		},
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	mfp, err := mfpsim.Start(ctx, []mfpsim.Document{mfpsim.SamplePages()}, "zmodem")
	if err != nil {
		return err
	}
	defer mfp.Close()

	cfg := config.Default()
	cfg.Account = config.Account{
		Server:   srv.Addr(),
		Security: "starttls",
		User:     "demo",
		Password: secret.Secret(password),
		From:     "Scangate demo <scanner@scangate.test>",
	}
	cfg.AddressBook = []config.Destination{
		{Name: "Demo inbox", Address: "inbox@scangate.test"},
		{Name: "Sales", Address: "sales@scangate.test"},
		{Name: "Accounts", Address: "accounts@scangate.test"},
	}
	cfg.Device.Name = "Demo MFP"
	cfg.Device.Port = mfp.PortPath()
	cfg.Device.Protocol = "zmodem"
	cfg.Device.Timeout = config.Duration{Duration: 10 * time.Second}
	cfg.Board.Profile = "sim"
	cfg.Spool.Dir = filepath.Join(o.Dir, "spool")

	g, err := appliance.New(cfg, appliance.Options{Log: o.Log, RootCAs: srv.CertPool(), Version: o.Version})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Scangate demo\n  mail server  %s (STARTTLS, AUTH PLAIN as demo)\n  machine      %s (ZMODEM)\n  mail lands   %s\n",
		srv.Addr(), mfp.PortPath(), filepath.Join(o.Maildir, "new"))
	b, err := board.Open("sim", board.Options{In: o.In, Out: o.Out, Interactive: o.Interactive && len(o.Keys) == 0})
	if err != nil {
		return err
	}
	interactive := b.Keys != nil
	err = frontpanel.Run(ctx, g, b, frontpanel.Options{Script: o.Keys, KeyDelay: o.KeyDelay, Once: o.Once, Blink: interactive,
		ConfigPath: filepath.Join(o.Dir, "gateway.toml"), Version: o.Version, Serial: "demo"})
	b.Close()
	mu.Lock()
	defer mu.Unlock()
	for _, p := range delivered {
		fmt.Fprintf(o.Out, "Delivered: %s\n", p)
	}
	if errors.Is(err, frontpanel.ErrQuit) {
		err = nil
	}
	return err
}

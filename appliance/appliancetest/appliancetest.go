// Package appliancetest gives the appliance's tests and its edges' tests what they share: a rig of settings
// around an embedded mail server, and a simulated machine.
package appliancetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/internal/secret"
	"github.com/scangate/gateway/smtpserver"
	"github.com/scangate/gateway/spool"
)

// User and Password are the account the rig's mail server accepts.
const (
	User     = "scanner"
	Password = "right"
)

// Rig is a mail server on 127.0.0.1 (STARTTLS, AUTH, a Maildir) and settings that send through it.
type Rig struct {
	Cfg     *config.Config
	Srv     *smtpserver.Server
	Maildir string
}

// NewRig starts the mail server and makes settings for it: the account with password (Password is the right
// one), an address book of one entry ("Sales"), the machine on port, a spool in a temporary directory. The
// server stops when the test ends.
func NewRig(t testing.TB, port, password string) *Rig {
	t.Helper()
	dir := t.TempDir()
	maildir := filepath.Join(dir, "mail")
	srv, err := smtpserver.Start(smtpserver.Config{Addr: "127.0.0.1:0", Users: map[string]string{User: Password}, Maildir: maildir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg := config.Default()
	cfg.Account = config.Account{Server: srv.Addr(), Security: "starttls", User: User,
		Password: secret.Secret(password), From: "Scanner <scanner@example.com>"}
	cfg.AddressBook = []config.Destination{{Name: "Sales", Address: "sales@example.com"}}
	cfg.Device.Port = port
	cfg.Device.Timeout = config.Duration{Duration: 5 * time.Second}
	cfg.Spool.Dir = filepath.Join(dir, "spool")
	return &Rig{Cfg: cfg, Srv: srv, Maildir: maildir}
}

// Machine starts a simulated machine that serves the sample scan with ZMODEM; it stops when the test ends.
func Machine(t testing.TB) *mfpsim.MFP {
	t.Helper()
	m, err := mfpsim.Start(context.Background(), []mfpsim.Document{mfpsim.SamplePages()}, "zmodem")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// Jobs lists the jobs of the spool in dir, and fails the test on an unreadable one.
func Jobs(t testing.TB, dir string) []*spool.Job {
	t.Helper()
	s, err := spool.Open(dir, spool.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	js, broken, err := s.List()
	if err != nil || len(broken) > 0 {
		t.Fatal(err, broken)
	}
	return js
}

package appliance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/appliance/appliancetest"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/document"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// hangGuard bounds a test's wait for the appliance; it is not a speed check.
const hangGuard = 2 * time.Minute

// rig is the shared rig, for the tests of this package.
type rig struct{ *appliancetest.Rig }

func newRig(t *testing.T, port, password string) *rig {
	return &rig{appliancetest.NewRig(t, port, password)}
}

func machine(t *testing.T) *mfpsim.MFP { return appliancetest.Machine(t) }

func (r *rig) gateway(t *testing.T) *Gateway {
	t.Helper()
	g, err := New(r.Cfg, Options{RootCAs: r.Srv.CertPool(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func jobs(t *testing.T, dir string) []*spool.Job { return appliancetest.Jobs(t, dir) }

func TestExplain(t *testing.T) {
	tests := []struct {
		err   error
		short string
		long  string
	}{
		{&submit.Error{Op: "AUTH", Err: &smtpauth.Error{Kind: smtpauth.CredentialsRejected,
			Reply: &smtpauth.Reply{Code: 535, Enhanced: [3]int{5, 7, 8}, Lines: []string{"no"}}}},
			"Wrong password", "rejected the user name or password (535 5.7.8 no)"},
		{&submit.Error{Op: "TLS", Err: fmt.Errorf("%w: x509: certificate signed by unknown authority", submit.ErrCertificate)},
			"Server cert bad", "unknown authority"},
		{&submit.Error{Op: "STARTTLS", Temp: true, Err: submit.ErrNoStartTLS}, "TLS refused", "does not offer STARTTLS"},
		{&submit.Error{Op: "connect", Temp: true, Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}},
			"Server down", "Cannot reach the mail server: dial tcp: connection refused"},
		{&submit.Error{Op: "connect", Temp: true, Err: &net.DNSError{Err: "no such host", Name: "smtp.example.com"}},
			"Server unknown", "smtp.example.com"},
		{&submit.Error{Op: "MAIL", Temp: true, Reply: &smtpauth.Reply{Code: 421}}, "Server busy", "try again later"},
		{&submit.Error{Op: "RCPT", Reply: &smtpauth.Reply{Code: 550, Lines: []string{"no such user"}}}, "Mail refused", "550 no such user"},
		{&submit.Error{Op: "MAIL", Err: fmt.Errorf("%w: 9 octets", submit.ErrTooLarge)}, "Mail too large", "larger than"},
		{fmt.Errorf("device: %w", device.ErrTimeout), "No scan waiting", "did not answer"},
		{device.ErrCancelled, "Machine stopped", "cancelled"},
		{&document.InputError{File: "a.tif", Page: 2, Err: document.ErrDamaged}, "Bad scan file", "a.tif page 2"},
		{context.Canceled, "Stopped", "Stop"},
		{fmt.Errorf("%w: the queue holds 300 MB", spool.ErrFull), "Queue full", "no room"},
		{&submit.Error{Op: "TLS", Temp: true, Err: submit.ErrClockNotSet}, "Clock not set", "clock"},
		{&submit.Error{Op: "DNS", Err: &net.DNSError{Err: "no such host", Name: "smtp.example.com"}}, "Server unknown", "DNS"},
		{&submit.Error{Op: "AUTH", Err: &smtpauth.Error{Kind: smtpauth.CredentialsRejected, Mechanism: "XOAUTH2",
			Detail: "token refused: invalid_token", Reply: &smtpauth.Reply{Code: 535}}}, "Token refused", "invalid_token"},
		{errors.New("disk on fire"), "Failed", "disk on fire"},
	}
	for _, tt := range tests {
		short, long := Explain(tt.err)
		if short != tt.short || !strings.Contains(long, tt.long) {
			t.Errorf("Explain(%v) = %q, %q; want %q and %q", tt.err, short, long, tt.short, tt.long)
		}
		if len(short) > panel.MinCols {
			t.Errorf("%q does not fit a %d-column line", short, panel.MinCols)
		}
	}
}

// A missing machine port is "No machine"; a missing file is not.
func TestExplainMachineErrors(t *testing.T) {
	_, err := device.OpenSerial(device.SerialConfig{Path: filepath.Join(t.TempDir(), "ttyUSB9"), Baud: 9600})
	if short, _ := Explain(err); short != "No machine" {
		t.Errorf("Explain(%v) = %q, want No machine", err, short)
	}
	// A missing file is not a missing machine.
	dir := t.TempDir()
	_, err = document.Convert(context.Background(), filepath.Join(dir, "scan.pdf"), []string{filepath.Join(dir, "scan.tif")}, document.Info{})
	if short, long := Explain(err); short != "File missing" || strings.Contains(long, "cable") {
		t.Errorf("Explain(%v) = %q, %q", err, short, long)
	}
}

package appliance

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"sync"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// Options are what the caller adds to the configuration.
type Options struct {
	// Log receives one line per job step; nil discards.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RootCAs overrides the account's CA file (the demo trusts its own mail server this way).
	RootCAs *x509.CertPool
	// Trace receives the SMTP wire transcript with credentials redacted; nil means none.
	Trace func(line string)
	// Version names the gateway in the PDF's producer field.
	Version string
}

// Gateway runs jobs with one configuration.
type Gateway struct {
	// fingerprint identifies the account settings (see accountFingerprint).
	fingerprint string
	cfg         *config.Config
	acct        submit.Account
	from        *mail.Address
	spoolMu     sync.Mutex // guards spool, opened on first use
	spool       *spool.Spool
	opts        Options
}

// New checks cfg and prepares a Gateway. It opens no device, no connection, and the spool only when a job
// needs it.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	if err := cfg.Validate(true); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	acct, err := Account(cfg, opts.RootCAs)
	if err != nil {
		return nil, err
	}
	if acct.AllowInsecureAuth {
		opts.Log.Warn("account.allow_insecure_auth is on: credentials may cross the network without verified TLS; lab use only")
	}
	from, _ := mail.ParseAddress(cfg.Account.From) // checked by Validate
	pw, _ := cfg.Account.PasswordValue()           // read by Account above
	token, _ := cfg.Account.TokenValue()
	return &Gateway{cfg: cfg, acct: acct, from: from, opts: opts,
		fingerprint: accountFingerprint(cfg.Account, cfg.Auth, pw, token)}, nil
}

// Account turns the account settings into a submit.Account: it reads the password file and the CA file.
// rootCAs, when not nil, replaces the CA file.
func Account(cfg *config.Config, rootCAs *x509.CertPool) (submit.Account, error) {
	a := cfg.Account
	sec, err := submit.ParseSecurity(a.Security)
	if err != nil {
		return submit.Account{}, err
	}
	pw, err := a.PasswordValue()
	if err != nil {
		return submit.Account{}, err
	}
	token, err := a.TokenValue()
	if err != nil {
		return submit.Account{}, err
	}
	var pin []byte
	if a.PinSHA256 != "" {
		if pin, err = submit.ParsePin(a.PinSHA256); err != nil {
			return submit.Account{}, fmt.Errorf("config: account.pin_sha256: %w", err)
		}
	}
	var clientCert *tls.Certificate
	if a.ClientCert != "" {
		c, err := tls.LoadX509KeyPair(a.ClientCert, a.ClientKey)
		if err != nil {
			return submit.Account{}, fmt.Errorf("config: account.client_cert: %w", err)
		}
		clientCert = &c
	}
	if rootCAs == nil && a.CAFile != "" {
		pem, err := os.ReadFile(a.CAFile)
		if err != nil {
			return submit.Account{}, fmt.Errorf("config: account.ca_file: %w", err)
		}
		rootCAs = x509.NewCertPool()
		if !rootCAs.AppendCertsFromPEM(pem) {
			return submit.Account{}, fmt.Errorf("config: account.ca_file: %s holds no PEM certificate", a.CAFile)
		}
	}
	return submit.Account{
		Server:             a.Server,
		Security:           sec,
		User:               a.User,
		Password:           pw.Reveal(),
		Token:              token.Reveal(),
		ClientCert:         clientCert,
		Mechanisms:         cfg.Auth.Mechanisms,
		PasswordTransition: cfg.Auth.PasswordTransition,
		RootCAs:            rootCAs,
		PinSHA256:          pin,
		HelloName:          a.HelloName,
		AllowInsecureAuth:  a.AllowInsecureAuth,
	}, nil
}

// Destinations returns the address book as panel destinations.
func Destinations(cfg *config.Config) []panel.Destination {
	book := make([]panel.Destination, len(cfg.AddressBook))
	for i, d := range cfg.AddressBook {
		book[i] = panel.Destination{Name: d.Name, Address: d.Address}
	}
	return book
}

func (g *Gateway) submitOptions() submit.Options {
	return submit.Options{Trace: g.opts.Trace, Now: g.opts.Now}
}

// Check runs the account self-test (DNS, TCP, TLS, EHLO, AUTH) and sends nothing.
func (g *Gateway) Check(ctx context.Context) (*submit.Report, error) {
	return submit.Check(ctx, g.acct, g.submitOptions())
}

// queue opens the spool on first use.
func (g *Gateway) queue() (*spool.Spool, error) {
	g.spoolMu.Lock()
	defer g.spoolMu.Unlock()
	if g.spool == nil {
		sp, err := spool.Open(g.cfg.Spool.Dir, spool.Limits{
			MaxBytes: int64(g.cfg.Spool.MaxMB) << 20,
			MinFree:  int64(g.cfg.Spool.MinFreeMB) << 20,
		})
		if err != nil {
			return nil, err
		}
		g.spool = sp
	}
	return g.spool, nil
}

// Spool returns the gateway's spool, opening it if needed.
func (g *Gateway) Spool() (*spool.Spool, error) { return g.queue() }

// policy is the retry schedule of the configuration.
func (g *Gateway) policy() spool.Policy {
	return spool.Policy{First: g.cfg.Spool.RetryFirst.Duration, Max: g.cfg.Spool.RetryMax.Duration,
		Lifetime: g.cfg.Spool.Lifetime.Duration}
}

func (g *Gateway) pull(ctx context.Context, dir string, report func(panel.Event)) ([]device.File, error) {
	report(panel.Event{Stage: panel.StageReceiving})
	files, err := Pull(ctx, g.cfg.Device, device.DirSink(dir), func(p device.Progress) {
		report(panel.Event{Stage: panel.StageReceiving, Page: p.Index + 1, Done: p.Bytes, Total: p.Total})
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, ErrNothingScanned
	}
	return files, nil
}

// Pull receives one batch of files from the machine the settings name into sink: it opens the link, sends
// the trigger if one is set, and runs the protocol's receiver. It returns the files committed, also on error.
func Pull(ctx context.Context, d config.Device, sink device.Sink, progress func(device.Progress)) ([]device.File, error) {
	rx, err := device.NewReceiver(d.Protocol, device.Options{Timeout: d.Timeout.Duration, Progress: progress})
	if err != nil {
		return nil, err
	}
	port, err := OpenDevice(ctx, d)
	if err != nil {
		return nil, err
	}
	defer port.Close()
	if d.Trigger != "" {
		if _, err := port.Write([]byte(d.Trigger)); err != nil {
			return nil, fmt.Errorf("device: sending the trigger: %w", err)
		}
	}
	return rx.Receive(ctx, port, sink)
}

// OpenDevice opens the link to the machine that the settings name: a network serial server, a USB device, or
// a serial port.
func OpenDevice(ctx context.Context, d config.Device) (device.Port, error) {
	if d.TCP != "" {
		return device.DialTCP(ctx, d.TCP, 0)
	}
	line := device.SerialConfig{Path: d.Port, Baud: d.Baud, DataBits: d.DataBits, Parity: d.Parity, StopBits: d.StopBits, Flow: d.Flow}
	if d.USB != "" {
		id, err := device.ParseUSBID(d.USB)
		if err != nil {
			return nil, err
		}
		return device.OpenUSB(device.USBConfig{ID: id, Line: line})
	}
	return device.OpenSerial(line)
}

// ErrNothingScanned means the machine answered but had no document to send.
var ErrNothingScanned = errors.New("appliance: the machine sent no document")

// domain is the part of the sender's address after "@", for Message-IDs.
func (g *Gateway) domain() string {
	for i := len(g.from.Address) - 1; i >= 0; i-- {
		if g.from.Address[i] == '@' {
			return g.from.Address[i+1:]
		}
	}
	return "localhost"
}

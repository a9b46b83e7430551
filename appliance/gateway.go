package appliance

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/oauth"
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
	// Timeouts bound the steps of each SMTP session; zero fields mean submit's defaults.
	Timeouts submit.Timeouts
}

func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Gateway runs jobs with one configuration, which Apply can replace while it runs.
type Gateway struct {
	cur atomic.Pointer[settings]
	// beatPanel and beatDelivery are the Unix times (ns) when the panel loop and the delivery loop last showed
	// life, 0 while they don't run; Healthy reads them for the hardware watchdog.
	beatPanel, beatDelivery atomic.Int64
	// upstreamSize is the mail server's SIZE as the delivery loop last saw it (0: none or not yet), for
	// RelayMaxBytes.
	upstreamSize atomic.Int64
	spoolMu      sync.Mutex // guards spool, opened on first use
	spool        *spool.Spool
	opts         Options
}

// settings are the configuration in force and what is derived from it. A job reads them once (s) and works
// with that snapshot, so a change made from the panel never mixes old and new settings within one step.
type settings struct {
	cfg  *config.Config
	acct submit.Account
	// tokens signs the account in with OAuth and keeps its tokens; nil without [oauth].
	tokens *oauth.Client
	from   *mail.Address
	// fingerprint identifies the account settings (see accountFingerprint).
	fingerprint string
	// setup is set while no usable mail account is configured (a first boot): the panel offers Settings, and
	// nothing is pulled or sent.
	setup bool
}

// New checks cfg and prepares a Gateway. It opens no device, no connection, and the spool only when a job
// needs it.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	g := &Gateway{opts: opts.withDefaults()}
	if err := g.Apply(cfg); err != nil {
		return nil, err
	}
	return g, nil
}

// NewSetup prepares a Gateway for a first boot: cfg holds no usable mail account yet (its other settings must
// be valid). The panel shows Setup and leads to Settings; the first save that completes the account (Apply)
// puts the gateway to work.
func NewSetup(cfg *config.Config, opts Options) (*Gateway, error) {
	if err := Validate(cfg, false); err != nil {
		return nil, err
	}
	if g, err := New(cfg, opts); err == nil {
		return g, nil // the account is complete after all
	}
	g := &Gateway{opts: opts.withDefaults()}
	g.cur.Store(&settings{cfg: cfg, setup: true})
	return g, nil
}

// NeedsSetup reports whether the gateway waits for its mail account to be set up (see NewSetup).
func (g *Gateway) NeedsSetup() bool { return g.s().setup }

// ErrNotSetUp is the error of work that needs the mail account while none is set up.
var ErrNotSetUp = errors.New("appliance: the mail account is not set up")

// Apply checks cfg and puts it in force: the next job, delivery attempt or panel screen uses it. The spool
// directory is the one the gateway started with.
func (g *Gateway) Apply(cfg *config.Config) error {
	if err := Validate(cfg, true); err != nil {
		return err
	}
	acct, err := Account(cfg, g.opts.RootCAs)
	if err != nil {
		return err
	}
	if acct.AllowInsecureAuth {
		g.opts.Log.Warn("account.allow_insecure_auth is on: credentials may cross the network without verified TLS; lab use only")
	}
	tokens, err := oauth.New(cfg, oauth.Options{Now: g.opts.Now})
	if err != nil {
		return err
	}
	from, _ := mail.ParseAddress(cfg.Account.From) // checked by Validate
	pw, _ := cfg.Account.PasswordValue()           // read by Account above
	token, _ := cfg.Account.TokenValue()
	g.cur.Store(&settings{cfg: cfg, acct: acct, tokens: tokens, from: from,
		fingerprint: accountFingerprint(cfg.Account, cfg.OAuth, cfg.Auth, pw, token)})
	return nil
}

// Health limits: how long each loop may go without a sign of life before the gateway counts as hung. The
// delivery loop may wait minutes on a slow server within its own timeouts (DATA end: 10 minutes).
const (
	panelSilence    = 30 * time.Second
	deliverySilence = 15 * time.Minute
)

// Healthy reports whether the running loops have shown life recently: the hardware watchdog is fed only while
// it is true, so that a hung gateway is restarted by the board.
func (g *Gateway) Healthy() bool {
	now := g.opts.Now().UnixNano()
	ok := func(beat *atomic.Int64, limit time.Duration) bool {
		t := beat.Load()
		return t == 0 || now-t < int64(limit)
	}
	return ok(&g.beatPanel, panelSilence) && ok(&g.beatDelivery, deliverySilence)
}

func (g *Gateway) beat(b *atomic.Int64) { b.Store(g.opts.Now().UnixNano()) }

// PanelAlive tells Healthy that the front panel's loop is alive; an edge with a panel calls it every tick.
func (g *Gateway) PanelAlive() { g.beat(&g.beatPanel) }

// PanelGone tells Healthy that the front panel's loop has ended on purpose.
func (g *Gateway) PanelGone() { g.beatPanel.Store(0) }

// Log returns the gateway's logger, for its edges.
func (g *Gateway) Log() *slog.Logger { return g.opts.Log }

// Now returns the gateway's clock reading, for its edges.
func (g *Gateway) Now() time.Time { return g.opts.Now() }

// s returns the settings in force.
func (g *Gateway) s() *settings { return g.cur.Load() }

// Config returns the configuration in force. It must not be modified.
func (g *Gateway) Config() *config.Config { return g.s().cfg }

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
		Password:           pw,
		Token:              token,
		ClientCert:         clientCert,
		Mechanisms:         cfg.Auth.Mechanisms,
		PasswordTransition: cfg.Auth.PasswordTransition,
		RootCAs:            rootCAs,
		PinSHA256:          pin,
		HelloName:          a.HelloName,
		AllowInsecureAuth:  a.AllowInsecureAuth,
	}, nil
}

func (g *Gateway) submitOptions() submit.Options {
	return submit.Options{Trace: g.opts.Trace, Now: g.opts.Now, Timeouts: g.opts.Timeouts}
}

// Check runs the account self-test (DNS, TCP, TLS, EHLO, AUTH, with a fresh OAuth token when the account signs
// in) and sends nothing.
func (g *Gateway) Check(ctx context.Context) (*submit.Report, error) {
	s := g.s()
	if s.setup {
		return &submit.Report{}, ErrNotSetUp
	}
	acct, err := s.sessionAccount(ctx, false)
	if err != nil {
		return &submit.Report{}, err
	}
	return submit.Check(ctx, acct, g.submitOptions())
}

// sessionAccount is the account for one session: with the OAuth access token of the moment (refreshed first
// when it has little life left, or when fresh asks it), or the one token_file holds now (something else keeps
// that file fresh).
func (s *settings) sessionAccount(ctx context.Context, fresh bool) (submit.Account, error) {
	acct := s.acct
	var err error
	switch {
	case s.tokens != nil:
		acct.Token, err = s.tokens.Token(ctx, fresh)
	case s.cfg.Account.TokenFile != "":
		acct.Token, err = s.cfg.Account.TokenValue()
	}
	return acct, err
}

// queue opens the spool on first use.
func (g *Gateway) queue() (*spool.Spool, error) {
	g.spoolMu.Lock()
	defer g.spoolMu.Unlock()
	if g.spool == nil {
		sp, err := OpenSpool(g.s().cfg)
		if err != nil {
			return nil, err
		}
		g.spool = sp
	}
	return g.spool, nil
}

// OpenSpool opens the spool that the settings name, with their size limits.
func OpenSpool(cfg *config.Config) (*spool.Spool, error) {
	return spool.Open(cfg.Spool.Dir, spool.Limits{MaxBytes: int64(cfg.Spool.MaxMB) << 20, MinFree: int64(cfg.Spool.MinFreeMB) << 20})
}

// Spool returns the gateway's spool, opening it if needed.
func (g *Gateway) Spool() (*spool.Spool, error) { return g.queue() }

// policy is the retry schedule of the configuration.
func (g *Gateway) policy() spool.Policy {
	return spool.Policy{First: g.s().cfg.Spool.RetryFirst.Duration, Max: g.s().cfg.Spool.RetryMax.Duration,
		Lifetime: g.s().cfg.Spool.Lifetime.Duration}
}

func (g *Gateway) pull(ctx context.Context, sink device.Sink, report func(Progress)) ([]device.File, error) {
	report(Progress{Stage: StageReceiving})
	files, err := Pull(ctx, g.s().cfg.Device, sink, func(p device.Progress) {
		report(Progress{Stage: StageReceiving, Page: p.Index + 1, Done: p.Bytes, Total: p.Total})
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
	rx, err := device.NewReceiver(d.Protocol, device.Options{Timeout: d.Timeout.Duration, Baud: d.Baud, Progress: progress})
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
	if from := g.s().from; from != nil {
		if at := strings.LastIndexByte(from.Address, '@'); at >= 0 {
			return from.Address[at+1:]
		}
	}
	return "localhost"
}

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
	"path/filepath"
	"strconv"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/document"
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
	cfg   *config.Config
	acct  submit.Account
	from  *mail.Address
	spool *spool.Spool
	opts  Options
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
	return &Gateway{cfg: cfg, acct: acct, from: from, opts: opts}, nil
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
	if g.spool == nil {
		sp, err := spool.Open(g.cfg.Spool.Dir)
		if err != nil {
			return nil, err
		}
		g.spool = sp
	}
	return g.spool, nil
}

// Scan pulls one batch of documents from the machine and queues it as a job for dest. When Scan returns a
// job, the scan is safe on disk.
func (g *Gateway) Scan(ctx context.Context, dest panel.Destination, report func(panel.Event)) (*spool.Job, error) {
	sp, err := g.queue()
	if err != nil {
		return nil, err
	}
	st, err := sp.Stage()
	if err != nil {
		return nil, err
	}
	files, err := g.pull(ctx, st.Dir, report)
	if err != nil {
		st.Discard()
		return nil, err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f.Path)
	}
	now := g.opts.Now()
	job, err := st.Commit(spool.Job{
		Files:     names,
		DestName:  dest.Name,
		To:        []string{dest.Address},
		MessageID: submit.NewMessageID(now, g.domain()),
	}, now)
	if err != nil {
		st.Discard()
		return nil, err
	}
	g.opts.Log.Info("scan queued", "job", job.ID, "files", len(names), "dest", dest.Name)
	report(panel.Event{Stage: panel.StageQueued})
	return job, nil
}

func (g *Gateway) pull(ctx context.Context, dir string, report func(panel.Event)) ([]device.File, error) {
	d := g.cfg.Device
	rx, err := device.NewReceiver(d.Protocol, device.Options{
		Timeout: d.Timeout.Duration,
		Progress: func(p device.Progress) {
			report(panel.Event{Stage: panel.StageReceiving, Page: p.Index + 1, Done: p.Bytes, Total: p.Total})
		},
	})
	if err != nil {
		return nil, err
	}
	port, err := device.OpenSerial(device.SerialConfig{Path: d.Port, Baud: d.Baud, DataBits: 8, Parity: "none", StopBits: 1})
	if err != nil {
		return nil, err
	}
	defer port.Close()
	report(panel.Event{Stage: panel.StageReceiving})
	files, err := rx.Receive(ctx, port, device.DirSink(dir))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, ErrNothingScanned
	}
	return files, nil
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

// Delivered is the outcome of a successful delivery.
type Delivered struct {
	Pages int
	Bytes int64
	// Refused lists recipients the server refused while it accepted others.
	Refused []submit.RcptError
}

// Deliver converts, composes and submits one queued job, and records the outcome in the spool.
func (g *Gateway) Deliver(ctx context.Context, job *spool.Job, report func(panel.Event)) (*Delivered, error) {
	sp, err := g.queue()
	if err != nil {
		return nil, err
	}
	job.State = spool.Sending
	job.Attempts++
	if err := sp.Update(job); err != nil {
		return nil, err
	}
	dir := sp.JobDir(job.ID)
	l := letter{dir: dir, to: job.To, destName: job.DestName, messageID: job.MessageID, created: job.Created}
	for _, f := range job.Files {
		l.inputs = append(l.inputs, filepath.Join(dir, f))
	}
	d, err := g.send(ctx, l, report)
	if err != nil {
		short, _ := Explain(err)
		job.State, job.LastResult = spool.Failed, short+": "+err.Error()
		g.opts.Log.Warn("delivery failed", "job", job.ID, "err", err)
	} else {
		job.State, job.LastResult = spool.Sent, fmt.Sprintf("%d pages, %d bytes", d.Pages, d.Bytes)
		g.opts.Log.Info("delivered", "job", job.ID, "pages", d.Pages, "bytes", d.Bytes)
	}
	if uerr := sp.Update(job); uerr != nil && err == nil {
		err = uerr
	}
	return d, err
}

// SendFiles converts files into one PDF and mails it to the addresses now, without the spool (the send
// command). subject, when not empty, replaces the configured subject template.
func (g *Gateway) SendFiles(ctx context.Context, to []string, subject string, files []string, report func(panel.Event)) (*Delivered, error) {
	dir, err := os.MkdirTemp("", "scangate-send-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	now := g.opts.Now()
	return g.send(ctx, letter{dir: dir, inputs: files, to: to, messageID: submit.NewMessageID(now, g.domain()),
		created: now, subject: subject}, report)
}

// letter is one mail to make and send: the pages, where to put the PDF and the message, and the envelope.
type letter struct {
	dir       string // where scan.pdf and message.eml are written
	inputs    []string
	to        []string
	destName  string
	messageID string
	created   time.Time
	subject   string // overrides the subject template when not empty
}

func (g *Gateway) send(ctx context.Context, l letter, report func(panel.Event)) (*Delivered, error) {
	report(panel.Event{Stage: panel.StageConverting})
	created := l.created.In(time.Local)
	values := map[string]string{
		"device": g.cfg.Device.Name,
		"date":   created.Format("2006-01-02"),
		"time":   created.Format("15:04"),
		"dest":   l.destName,
	}
	title, _ := config.Expand("Scan from {device} {date} {time}", values)
	pdfPath := filepath.Join(l.dir, "scan.pdf")
	pages, err := document.Convert(pdfPath, l.inputs, document.Info{Title: title, Producer: "Scangate " + g.opts.Version, Created: created})
	if err != nil {
		return nil, err
	}
	values["pages"] = strconv.Itoa(pages)
	msgPath := filepath.Join(l.dir, "message.eml")
	if err := g.compose(msgPath, l, values, pdfPath); err != nil {
		return nil, err
	}
	s, err := sendFile(ctx, g.acct, g.submitOptions(), g.from.Address, l.to, msgPath, report)
	if err != nil {
		return nil, err
	}
	return &Delivered{Pages: pages, Bytes: s.bytes, Refused: s.refused}, nil
}

// compose writes the mail of l to path, atomically.
func (g *Gateway) compose(path string, l letter, values map[string]string, pdfPath string) error {
	subject := l.subject
	if subject == "" {
		var err error
		if subject, err = config.Expand(g.cfg.Mail.Subject, values); err != nil {
			return fmt.Errorf("config: mail.subject: %w", err)
		}
	}
	body, err := config.Expand(g.cfg.Mail.Body, values)
	if err != nil {
		return fmt.Errorf("config: mail.body: %w", err)
	}
	to := make([]*mail.Address, len(l.to))
	for i, a := range l.to {
		to[i] = &mail.Address{Address: a}
		if len(l.to) == 1 {
			to[i].Name = l.destName
		}
	}
	pdf, err := os.Open(pdfPath)
	if err != nil {
		return err
	}
	defer pdf.Close()
	created := l.created.In(time.Local)
	m := submit.Mail{
		From:      g.from,
		To:        to,
		Subject:   subject,
		Date:      created,
		MessageID: l.messageID,
		Text:      body,
		Attachments: []submit.Attachment{{
			Name:        "scan-" + created.Format("20060102-1504") + ".pdf",
			ContentType: "application/pdf",
			Body:        pdf,
		}},
	}
	return spool.WriteFileAtomic(path, func(f *os.File) error { return submit.Compose(f, m) })
}

type sent struct {
	bytes   int64
	refused []submit.RcptError
}

// sendFile submits the composed message at path in one session, reporting progress by bytes written.
func sendFile(ctx context.Context, acct submit.Account, opts submit.Options, from string, to []string, path string, report func(panel.Event)) (sent, error) {
	f, err := os.Open(path)
	if err != nil {
		return sent{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return sent{}, err
	}
	report(panel.Event{Stage: panel.StageSending, Total: st.Size()})
	s, err := submit.Dial(ctx, acct, opts)
	if err != nil {
		return sent{}, err
	}
	body := &progressReader{r: f, total: st.Size(), report: report}
	refused, err := s.Send(submit.Envelope{From: from, To: to, Size: st.Size()}, body)
	if err != nil {
		s.Close()
		return sent{}, err
	}
	s.Quit() // the mail is accepted; a failed QUIT changes nothing
	return sent{bytes: st.Size(), refused: refused}, nil
}

// progressReader reports sending progress about every percent.
type progressReader struct {
	r      io.Reader
	done   int64
	total  int64
	last   int64
	report func(panel.Event)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.last >= p.total/100 || err == io.EOF {
		p.last = p.done
		p.report(panel.Event{Stage: panel.StageSending, Done: p.done, Total: p.total})
	}
	return n, err
}

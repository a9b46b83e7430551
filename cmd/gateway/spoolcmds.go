package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/appliance/frontpanel"
	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/board/watchdog"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/internal/procstat"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// spoolOpts are the flags of the commands that only read or change the spool.
type spoolOpts struct {
	config string
	spool  string
}

func spoolFlags(fs *flag.FlagSet, o *spoolOpts) {
	fs.StringVar(&o.config, "config", "", "settings file (TOML)")
	fs.StringVar(&o.spool, "spool", "", "spool directory (spool.dir)")
}

// load reads the config and applies --spool.
func (o *spoolOpts) load() (*config.Config, error) {
	cfg, err := loadConfig(o.config)
	if err != nil {
		return nil, err
	}
	if o.spool != "" {
		cfg.Spool.Dir = o.spool
	}
	return cfg, nil
}

// open loads the settings and opens their spool.
func (o *spoolOpts) open() (*spool.Spool, error) {
	cfg, err := o.load()
	if err != nil {
		return nil, err
	}
	return appliance.OpenSpool(cfg)
}

// ---- send

type sendOpts struct {
	spoolOpts
	to      string
	subject string
	noWait  bool
	verbose bool
	acct    accountFlags
}

func sendFlags(fs *flag.FlagSet, o *sendOpts) {
	spoolFlags(fs, &o.spoolOpts)
	fs.StringVar(&o.to, "to", "", "recipient address(es), comma-separated")
	fs.StringVar(&o.subject, "subject", "", "subject (default: the mail.subject template)")
	fs.BoolVar(&o.noWait, "no-wait", false, "only queue the mail; the running gateway delivers it")
	fs.BoolVar(&o.verbose, "v", false, "print the SMTP transcript (credentials redacted) on stderr")
	o.acct.register(fs)
}

// errDeferred is the exit of a send whose mail stays queued for a later attempt.
type errDeferred struct{ job *spool.Job }

func (e *errDeferred) Error() string   { return "deferred" }
func (e *errDeferred) Temporary() bool { return true }

// queuedError is a send stopped (by a signal) after its job was queued: the job stays in the queue.
type queuedError struct {
	number int
	err    error
}

func (e *queuedError) Error() string { return fmt.Sprintf("job #%d stays queued: %v", e.number, e.err) }
func (e *queuedError) Unwrap() error { return e.err }

// parseRecipients reads the --to list: addresses as net/mail reads them ("bob@example.com",
// "Bob Smith <bob@example.com>", several separated by commas).
func parseRecipients(list string) ([]string, error) {
	addrs, err := mail.ParseAddressList(list)
	if err != nil {
		return nil, usagef("--to %q: %v", list, err)
	}
	to := make([]string, len(addrs))
	for i, a := range addrs {
		to[i] = a.Address
		if a.Name != "" {
			to[i] = a.String()
		}
	}
	return to, nil
}

func cmdSend(ctx context.Context, e env, args []string) error {
	var o sendOpts
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	sendFlags(fs, &o)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if o.to == "" {
		return usagef("--to is required")
	}
	if fs.NArg() == 0 {
		return usagef("no files to send")
	}
	to, err := parseRecipients(o.to)
	if err != nil {
		return err
	}
	cfg, err := o.load()
	if err != nil {
		return err
	}
	o.acct.apply(cfg)
	opts := appliance.Options{Log: logger(e, slog.LevelWarn, o.verbose), Version: version}
	if o.verbose {
		opts.Trace = func(line string) { fmt.Fprintln(e.stderr, line) }
	}
	g, err := appliance.New(cfg, opts)
	if err != nil {
		return err
	}
	out, err := g.Send(ctx, fs.Args(), to, o.subject, !o.noWait)
	opts.Log.Debug("send finished", "peak_rss_bytes", procstat.PeakRSS())
	j := out.Job
	if j == nil {
		return err
	}
	if ctx.Err() != nil && j.State != spool.Sent {
		return &queuedError{j.Number, cmp.Or(err, ctx.Err())}
	}
	switch {
	case o.noWait && err == nil:
		fmt.Fprintf(e.stdout, "Queued as job #%d: %d pages to %s\n", j.Number, j.Pages, strings.Join(to, ", "))
		return nil
	case j.State == spool.Sent:
		fmt.Fprintf(e.stdout, "Sent job #%d: %d pages to %s\n", j.Number, j.Pages, strings.Join(to, ", "))
		if len(j.Refused) > 0 {
			fmt.Fprintf(e.stdout, "  %s\n", j.LastDetail)
		}
		return nil
	case j.State == spool.Deferred:
		fmt.Fprintf(e.stderr, "gateway send: job #%d not sent yet: %s\n", j.Number, j.LastDetail)
		return fmt.Errorf("%w: %w", errShown, &errDeferred{j})
	case err != nil && j.State != spool.Held:
		return err
	default:
		fmt.Fprintf(e.stderr, "gateway send: job #%d %s: %s\n", j.Number, j.State, j.LastDetail)
		return fmt.Errorf("%w: job %s", errShown, j.State)
	}
}

// ---- run

type runOpts struct {
	spoolOpts
	board   string
	verbose bool
	acct    accountFlags
}

func runFlags(fs *flag.FlagSet, o *runOpts) {
	spoolFlags(fs, &o.spoolOpts)
	o.acct.register(fs)
	fs.StringVar(&o.board, "board", "", "board profile: rpi, beaglebone, sim (terminal panel), none (delivery only) (board.profile)")
	fs.BoolVar(&o.verbose, "v", false, "log every step")
}

func cmdRun(ctx context.Context, e env, args []string) error {
	var o runOpts
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	runFlags(fs, &o)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	// From here SIGHUP reloads the settings (systemctl reload) instead of ending the process.
	hup, stopHangups := hangups()
	defer stopHangups()
	cfg, savePath, missing, err := o.settings()
	if err != nil && !missing {
		return err
	}
	// A service logs one line per job at INFO: what an office reads in its journal.
	log := logger(e, slog.LevelInfo, o.verbose)
	m := newManager(log)
	g, err := newRunGateway(cfg, savePath, missing, managed(), log)
	if err != nil {
		return err
	}
	// SIGTERM or SIGINT: STOPPING=1 at once. AfterFunc runs it in a goroutine of its own, which run waits for
	// before it returns: the process must not exit before the notification is out.
	stopped := make(chan struct{})
	notStarted := context.AfterFunc(ctx, func() { m.stopping(); close(stopped) })
	defer func() {
		if !notStarted() {
			<-stopped
		}
	}()
	var feeds []feed // the watchdogs fed while the gateway is healthy
	var b *board.Board
	if cfg.Board.Profile != "none" {
		bo := frontpanel.BoardOptions(cfg.Board)
		bo.Log, bo.In, bo.Out, bo.Interactive = log, e.stdin, e.stdout, isTerminal(e.stdin)
		b, err = board.Open(cfg.Board.Profile, bo)
		if err != nil {
			return err
		}
		defer b.Close()
		if b.Watchdog != nil {
			feeds = append(feeds, feed{name: b.Watchdog.String(), every: watchdog.KeepAliveInterval, kick: b.Watchdog.Kick})
		}
	}
	if f, ok := m.watchdogFeed(); ok {
		feeds = append(feeds, f)
	}
	if len(feeds) > 0 {
		wctx, stopWatchdogs := context.WithCancel(ctx)
		defer stopWatchdogs() // before b.Close: the watchdog is closed with its magic byte, not left to bite
		t := time.NewTicker(feedInterval(feeds))
		defer t.Stop()
		go keepAlive(wctx, t.C, g.Healthy, feeds, log)
	}
	if b != nil {
		// A board without a real-time clock starts in 1970: no TLS (and no honest time on the panel) until
		// the network time is in. systemd is asked to wait for it beyond its start timeout.
		stopWaiting := func() {}
		show := func(text string) {
			b.Display.Clear()
			b.Display.WriteString(text)
			stopWaiting = m.waiting("Waiting for the clock to be set (network time)", clockPoll)
		}
		err := board.WaitForClock(ctx, submit.DefaultEarliestTime(), time.Now, clockPoll, show)
		stopWaiting()
		if err != nil {
			return err
		}
	}
	// A mail the relay accepted is handed to the delivery loop with its Kick once the loop runs (until then the
	// loop's first look at the queue finds it).
	var loop atomic.Pointer[appliance.Deliverer]
	kick := func() {
		if d := loop.Load(); d != nil {
			d.Kick()
		}
	}
	// The relay listener starts once the clock is set: the certificate it makes at its first start must not
	// be dated 1970.
	rl, err := startRelay(ctx, cfg, g, log, kick)
	if err != nil {
		return err
	}
	if rl != nil {
		defer rl.Close() // after the delivery loop: a message in progress gets its grace, then the port closes
	}
	reloaded := make(chan struct{}, 1)
	r := &reloader{o: &o, file: savePath, g: g, log: log, m: m, panel: b != nil, reloaded: reloaded}
	rctx, stopReloading := context.WithCancel(ctx)
	var reloading sync.WaitGroup
	reloading.Go(func() { r.run(rctx, hup) })
	reloading.Go(func() { m.follow(rctx, r.status, statusRefresh) })
	defer func() {
		stopReloading()
		reloading.Wait()
	}()
	log.Info("gateway running", "spool", cfg.Spool.Dir, "board", cfg.Board.Profile, "server", cfg.Account.Server)
	err = frontpanel.Run(ctx, g, b, frontpanel.Options{ConfigPath: savePath, Blink: true, Version: version, Serial: machineSerial(),
		OnReady: func() { m.ready(r.status()) }, Reloaded: reloaded, OnLoop: loop.Store, Relay: relayPanel(rl)})
	log.Debug("gateway stopped", "peak_rss_bytes", procstat.PeakRSS())
	if errors.Is(err, frontpanel.ErrQuit) || ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		return nil // stopped as asked: a service that ends on SIGTERM has done nothing wrong
	}
	return err
}

// newRunGateway makes the gateway that run runs. A first boot (no settings file, or one without a complete mail
// account) starts on a board with a panel in the Setup state, where the admin enters the account. Delivery
// alone (board none) cannot be set up that way: under a service manager (managed) it starts in the Setup state
// too and waits for the file to be filled in and reloaded (SIGHUP), so that systemd does not restart it in a
// loop; run by hand it fails with what to write.
func newRunGateway(cfg *config.Config, savePath string, missing, managed bool, log *slog.Logger) (*appliance.Gateway, error) {
	if err := frontpanel.Validate(cfg, false); err != nil {
		return nil, err // wrong whatever the account: reported before any device is opened
	}
	opts := appliance.Options{Log: log, Version: version}
	g, err := appliance.New(cfg, opts)
	if err == nil {
		return g, nil
	}
	if frontpanel.Validate(cfg, true) == nil {
		return nil, err // the account is complete but cannot be used (its password file is missing, say)
	}
	why := err.Error()
	if missing {
		why = "no settings file at " + savePath
	}
	switch {
	case cfg.Board.Profile != "none":
		log.Warn("no mail account set up: the panel shows Setup", "settings_file", savePath, "why", why)
	case managed:
		log.Warn(fmt.Sprintf("no mail account in %s: fill in [account], then systemctl reload %s", savePath, serviceName), "why", why)
	case missing:
		return nil, fmt.Errorf("config: %s: no such file; write the settings there or give -config (see README.md)", savePath)
	default:
		return nil, err
	}
	return appliance.NewSetup(cfg, opts)
}

// clockPoll is how often run looks at the clock while it waits for it to be set.
const clockPoll = 5 * time.Second

// statusRefresh is how often run looks whether its status line for systemd has changed without a reload.
const statusRefresh = 5 * time.Second

// machineSerial is the board's serial number (a Raspberry Pi's, from /proc/cpuinfo) or the machine id, for
// the panel's About screen; "unknown" when neither can be read.
func machineSerial() string {
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "Serial" {
				return strings.TrimSpace(v)
			}
		}
	}
	if b, err := os.ReadFile("/etc/machine-id"); err == nil && len(b) >= 12 {
		return string(b[:12])
	}
	return "unknown"
}

// ---- queue

// parseMixed parses flags that may come before, between or after the positional arguments
// ("queue retry 7 --spool DIR"), and returns the positional ones.
func parseMixed(fs *flag.FlagSet, e env, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, e, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func cmdQueue(_ context.Context, e env, args []string) error {
	var o spoolOpts
	fs := flag.NewFlagSet("queue", flag.ContinueOnError)
	spoolFlags(fs, &o)
	pos, err := parseMixed(fs, e, args)
	if err != nil {
		return err
	}
	sp, err := o.open()
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		return listQueue(e.stdout, sp)
	case 2:
		if pos[1] == appliance.KeptID && pos[0] == "delete" {
			if err := sp.DeleteKept(); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "The pull cut short is deleted; the next Send starts afresh.")
			return nil
		}
		id, err := spool.ParseID(pos[1])
		if err != nil {
			return err
		}
		switch pos[0] {
		case "retry":
			j, err := sp.Retry(id)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Job #%d queued again; the account hold, if any, is lifted.\n", j.Number)
			return nil
		case "delete":
			if err := sp.Delete(id); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Job %s deleted.\n", pos[1])
			return nil
		}
	}
	return usagef("want: queue, queue retry ID, or queue delete ID (or kept)")
}

func listQueue(w io.Writer, sp *spool.Spool) error {
	jobs, broken, err := sp.List()
	if err != nil {
		return err
	}
	if h, _ := sp.GetHold(); h != nil {
		fmt.Fprintf(w, "Account held since %s: %s. %s\nFix the account settings, or run \"gateway queue retry ID\" to try again.\n\n",
			h.Since.In(time.Local).Format("2006-01-02 15:04"), h.Result, h.Detail)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSTATE\tPAGES\tTO\tTRIES\tNEXT\tRESULT")
	pending := 0
	for _, j := range jobs {
		if j.State == spool.Sent {
			continue
		}
		pending++
		next := ""
		if j.State == spool.Deferred {
			next = j.NextAttempt.In(time.Local).Format("01-02 15:04")
		}
		fmt.Fprintf(tw, "#%d\t%s\t%d\t%s\t%d\t%s\t%s\n", j.Number, j.State, j.Pages, strings.Join(j.To, ", "), j.Attempts, next, j.LastResult)
	}
	for _, b := range broken {
		fmt.Fprintf(tw, "%s\tunreadable\t\t\t\t\t%v\n", b.ID, b.Err)
	}
	kept, err := sp.Kept()
	if err != nil {
		return err
	}
	if kept != nil {
		files := "files"
		if len(kept.Files) == 1 {
			files = "file"
		}
		fmt.Fprintf(tw, "%s\tcut short\t\t\t\t\t%d %s, %d KB\n", appliance.KeptID, len(kept.Files), files, (kept.Bytes+1023)>>10)
	}
	tw.Flush()
	switch {
	case kept != nil:
		fmt.Fprintf(w, "\n%s\nRun \"gateway queue delete %s\" to drop it.\n", appliance.KeptDetail(kept), appliance.KeptID)
	case pending == 0 && len(broken) == 0:
		fmt.Fprintln(w, "The queue is empty.")
	}
	return nil
}

// ---- journal

type journalOpts struct {
	spoolOpts
	last int
}

func journalFlags(fs *flag.FlagSet, o *journalOpts) {
	spoolFlags(fs, &o.spoolOpts)
	fs.IntVar(&o.last, "n", 50, "show the last N entries (0: all)")
}

func cmdJournal(_ context.Context, e env, args []string) error {
	var o journalOpts
	fs := flag.NewFlagSet("journal", flag.ContinueOnError)
	journalFlags(fs, &o)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	sp, err := o.open()
	if err != nil {
		return err
	}
	entries, damaged, err := sp.ReadJournal()
	if err != nil {
		return err
	}
	if o.last > 0 && len(entries) > o.last {
		entries = entries[len(entries)-o.last:]
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tJOB\tPART\tTO\tPAGES\tBYTES\tCODE\tRESULT")
	for _, en := range entries {
		code := ""
		if en.Code != 0 {
			code = fmt.Sprint(en.Code)
			if en.Enhanced != "" {
				code += " " + en.Enhanced
			}
		}
		to := strings.Join(en.To, ", ")
		if en.DestName != "" {
			to = en.DestName
		}
		fmt.Fprintf(tw, "%s\t#%d\t%s\t%s\t%d\t%d\t%s\t%s\n", en.Time.In(time.Local).Format("2006-01-02 15:04:05"),
			en.Job, en.Part, to, en.Pages, en.Bytes, code, en.Result)
	}
	tw.Flush()
	if len(entries) == 0 {
		fmt.Fprintln(e.stdout, "The journal is empty.")
	}
	if damaged > 0 {
		fmt.Fprintf(e.stdout, "(%d damaged lines skipped)\n", damaged)
	}
	return nil
}

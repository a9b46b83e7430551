package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/document"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/submit"
)

// command is one subcommand of gateway.
type command struct {
	name    string
	args    string // argument synopsis
	summary string
	// issue names the capability a command waits for; empty when the command is built.
	pending string
	run     func(ctx context.Context, e env, args []string) error
	flags   func(fs *flag.FlagSet) // registers the command's flags, for help
}

var errNotBuilt = errors.New("not built yet")

func commands() []*command {
	return []*command{
		{name: "run", args: "[-config FILE]", summary: "run the appliance: board, panel, machine, spool, mail",
			pending: "the delivery loop and the boards"},
		{name: "demo", args: "[--once] [--keys LIST] [--maildir DIR]", summary: "the whole appliance simulated on this machine",
			run: cmdDemo, flags: demoFlags},
		{name: "send", args: "--to ADDR [flags] FILE...", summary: "convert files and mail them now through the configured account",
			run: cmdSend, flags: func(fs *flag.FlagSet) { sendFlags(fs, &sendOpts{}) }},
		{name: "check", args: "[-v] [-config FILE] [account flags]", summary: "self-test of the account: DNS, TCP, TLS, AUTH, with a plain verdict",
			run: cmdCheck, flags: func(fs *flag.FlagSet) { checkFlags(fs, &checkOpts{}) }},
		{name: "pull", args: "--port PATH [--baud N] [--protocol ymodem] --out DIR", summary: "receive documents from the machine once",
			run: cmdPull, flags: func(fs *flag.FlagSet) { pullFlags(fs, &pullOpts{}) }},
		{name: "convert", args: "-o OUT.pdf IN...", summary: "turn TIFF pages into one PDF without re-compressing them",
			run: cmdConvert, flags: func(fs *flag.FlagSet) { convertFlags(fs, new(string), new(string)) }},
		{name: "queue", summary: "list the queued jobs; queue retry|delete ID", pending: "the queue commands"},
		{name: "journal", summary: "print the transmission journal", pending: "the transmission journal"},
		{name: "devices", summary: "list serial and USB ports with VID:PID", pending: "port enumeration"},
		{name: "version", summary: "print the version", run: cmdVersion},
		{name: "help", args: "[COMMAND]", summary: "show help", run: cmdHelp},
	}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			if c.run == nil {
				c.run = func(context.Context, env, []string) error {
					return fmt.Errorf("%w (waiting for %s); see \"gateway help\"", errNotBuilt, c.pending)
				}
			}
			return c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `gateway: the Scangate scan-to-email gateway.

Usage: gateway COMMAND [flags] [arguments]

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range commands() {
		note := ""
		if c.pending != "" {
			note = " (not built yet)"
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", c.name, c.summary, note)
	}
	tw.Flush()
	fmt.Fprint(w, `
Settings come from the TOML file given with -config (see README.md), and flags override them.
Exit status: 0 success, 1 failure (the message says what to do), 2 usage error or command not built yet,
75 temporary failure (server down or busy: the same command may succeed later).
`)
}

func cmdHelp(_ context.Context, e env, args []string) error {
	if len(args) == 0 {
		usage(e.stdout)
		return nil
	}
	c := lookup(args[0])
	if c == nil {
		return usagef("unknown command %q", args[0])
	}
	fmt.Fprintf(e.stdout, "Usage: gateway %s %s\n\n%s.\n", c.name, c.args, capitalize(c.summary))
	if c.pending != "" {
		fmt.Fprintf(e.stdout, "\nNot built yet: waiting for %s.\n", c.pending)
	}
	if c.flags != nil {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs)
		fmt.Fprintln(e.stdout, "\nFlags:")
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parse parses a command's flags; -h prints help for it.
func parse(fs *flag.FlagSet, e env, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cmdHelp(context.Background(), e, []string{fs.Name()})
		}
		return usagef("%v", err)
	}
	return nil
}

func cmdVersion(_ context.Context, e env, args []string) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(e.stdout, "scangate gateway %s%s (%s/%s, %s)\n", version, rev, runtime.GOOS, runtime.GOARCH, runtime.Version())
	return nil
}

// logger makes the program's one logger: warnings and errors on stderr, everything with -v.
func logger(e env, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

// ---- demo

type demoOpts struct {
	once    bool
	keys    string
	maildir string
	dir     string
	verbose bool
}

func demoFlags(fs *flag.FlagSet) { demoFlagsInto(fs, &demoOpts{}) }

func demoFlagsInto(fs *flag.FlagSet, o *demoOpts) {
	fs.BoolVar(&o.once, "once", false, "exit after the first delivery (exit status 1 if it fails)")
	fs.StringVar(&o.keys, "keys", "", "press these keys in order instead of reading the keyboard, e.g. \"down,send\"\n(up, down, left, right, ok, back, send, stop)")
	fs.StringVar(&o.maildir, "maildir", "", "Maildir of the embedded mail server (default: DIR/maildir)")
	fs.StringVar(&o.dir, "dir", "", "directory for the demo's Maildir and spool (default: a new temporary directory)")
	fs.BoolVar(&o.verbose, "v", false, "log every step on stderr")
}

func cmdDemo(ctx context.Context, e env, args []string) error {
	var o demoOpts
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	demoFlagsInto(fs, &o)
	if err := parse(fs, e, args); err != nil || fs.NArg() > 0 {
		if err == nil {
			err = usagef("unexpected argument %q", fs.Arg(0))
		}
		return err
	}
	var keys []panel.Key
	if o.keys != "" {
		var err error
		if keys, err = panel.ParseKeys(o.keys); err != nil {
			return usagef("--keys: %v", err)
		}
	}
	interactive := len(keys) == 0
	if interactive && !isTerminal(e.stdin) {
		return usagef("the interactive demo needs a terminal; give --keys to run without one")
	}
	log := slog.New(slog.DiscardHandler)
	if o.verbose {
		log = logger(e, true)
	}
	return appliance.Demo(ctx, appliance.DemoOptions{
		Dir: o.dir, Maildir: o.maildir, Keys: keys, Once: o.once, Interactive: interactive,
		In: e.stdin, Out: e.stdout, Log: log, Version: version,
	})
}

func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// ---- send

type sendOpts struct {
	config  string
	to      string
	subject string
	verbose bool
	acct    accountFlags
}

// accountFlags are the flags that override the account settings of the config file.

type accountFlags struct {
	server, security, user, passwordFile, caFile, from, mech, pin string
}

func (a *accountFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.server, "server", "", "mail server host:port (account.server)")
	fs.StringVar(&a.security, "security", "", "starttls or tls (account.security)")
	fs.StringVar(&a.user, "user", "", "user name (account.user)")
	fs.StringVar(&a.passwordFile, "password-file", "", "file that holds the password (account.password_file)")
	fs.StringVar(&a.caFile, "ca-file", "", "PEM file of CAs to trust instead of the system's (account.ca_file)")
	fs.StringVar(&a.from, "from", "", "sender address (account.from)")
	fs.StringVar(&a.mech, "mech", "", "use only this SASL mechanism, for diagnosis (auth.mechanisms)")
	fs.StringVar(&a.pin, "pin", "", "SHA-256 fingerprint of the server's certificate (account.pin_sha256)")
}

func (a *accountFlags) apply(c *config.Config) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Account.Server, a.server)
	set(&c.Account.Security, a.security)
	set(&c.Account.User, a.user)
	if a.passwordFile != "" {
		c.Account.PasswordFile, c.Account.Password = a.passwordFile, ""
	}
	set(&c.Account.CAFile, a.caFile)
	set(&c.Account.From, a.from)
	set(&c.Account.PinSHA256, a.pin)
	if a.mech != "" {
		c.Auth.Mechanisms = []string{a.mech}
	}
}

func sendFlags(fs *flag.FlagSet, o *sendOpts) {
	fs.StringVar(&o.config, "config", "", "settings file (TOML)")
	fs.StringVar(&o.to, "to", "", "recipient address(es), comma-separated")
	fs.StringVar(&o.subject, "subject", "", "subject (default: the mail.subject template)")
	fs.BoolVar(&o.verbose, "v", false, "print the SMTP transcript (credentials redacted) on stderr")
	o.acct.register(fs)
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
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
	cfg, err := loadConfig(o.config)
	if err != nil {
		return err
	}
	o.acct.apply(cfg)
	var to []string
	for _, a := range strings.Split(o.to, ",") {
		if a = strings.TrimSpace(a); a != "" {
			to = append(to, a)
			cfg.AddressBook = append(cfg.AddressBook, config.Destination{Name: a, Address: a}) // validated with the book
		}
	}
	opts := appliance.Options{Log: logger(e, o.verbose), Version: version}
	if o.verbose {
		opts.Trace = func(line string) { fmt.Fprintln(e.stderr, line) }
	}
	g, err := appliance.New(cfg, opts)
	if err != nil {
		return err
	}
	d, err := g.SendFiles(ctx, to, o.subject, fs.Args(), func(panel.Event) {})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Sent %d pages (%d bytes) to %s\n", d.Pages, d.Bytes, strings.Join(to, ", "))
	for _, r := range d.Refused {
		fmt.Fprintf(e.stdout, "  refused: %s: %v\n", r.Addr, r.Err)
	}
	return nil
}

// ---- check

type checkOpts struct {
	config  string
	verbose bool
	acct    accountFlags
}

func checkFlags(fs *flag.FlagSet, o *checkOpts) {
	fs.StringVar(&o.config, "config", "", "settings file (TOML)")
	fs.BoolVar(&o.verbose, "v", false, "print the SMTP transcript (credentials redacted)")
	o.acct.register(fs)
}

func cmdCheck(ctx context.Context, e env, args []string) error {
	var o checkOpts
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	checkFlags(fs, &o)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(o.config)
	if err != nil {
		return err
	}
	o.acct.apply(cfg)
	opts := appliance.Options{Log: logger(e, false), Version: version}
	if o.verbose {
		opts.Trace = func(line string) { fmt.Fprintln(e.stdout, "    "+line) }
	}
	g, err := appliance.New(cfg, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Checking %s (%s) as %s\n", cfg.Account.Server, cfg.Account.Security, cfg.Account.User)
	rep, err := g.Check(ctx)
	printReport(e.stdout, cfg.Account.Server, rep, err)
	fmt.Fprintln(e.stdout, appliance.Verdict(rep, err, time.Now()))
	if err != nil {
		return fmt.Errorf("%w: %w", errShown, err)
	}
	return nil
}

// printReport shows each step of the self-test that was reached, and where it stopped.
func printReport(w io.Writer, server string, rep *submit.Report, err error) {
	failedAt := ""
	var se *submit.Error
	if errors.As(err, &se) {
		failedAt = se.Op
	}
	host, _, _ := net.SplitHostPort(server)
	step := func(name, text string) { fmt.Fprintf(w, "  %-5s %s\n", name, text) }
	if len(rep.Addrs) > 0 {
		step("DNS", host+" is "+strings.Join(rep.Addrs, ", "))
	}
	if rep.Remote != "" {
		step("TCP", "connected to "+rep.Remote)
	}
	if st := rep.TLS; st != nil {
		text := tls.VersionName(st.Version) + ", " + tls.CipherSuiteName(st.CipherSuite)
		if len(st.PeerCertificates) > 0 {
			c := st.PeerCertificates[0]
			text += fmt.Sprintf("; certificate for %s from %q, valid until %s", certNames(c), c.Issuer.CommonName, c.NotAfter.Format("2006-01-02"))
		}
		step("TLS", text)
	}
	if len(rep.Extensions) > 0 {
		step("EHLO", strings.Join(rep.Extensions, "; "))
	}
	if rep.Mechanism != "" && err == nil {
		step("AUTH", rep.Mechanism+" accepted")
	}
	if failedAt != "" {
		step("FAIL", "at "+failedAt)
	}
}

func certNames(c *x509.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		names = []string{c.Subject.CommonName}
	}
	return strings.Join(names, ", ")
}

// ---- convert

func convertFlags(fs *flag.FlagSet, out, format *string) {
	fs.StringVar(out, "o", "", "output file (required)")
	fs.StringVar(format, "format", "pdf", "output format: pdf (tiff-f is not built yet)")
}

func cmdConvert(_ context.Context, e env, args []string) error {
	var out, format string
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	convertFlags(fs, &out, &format)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if out == "" {
		return usagef("-o OUT is required")
	}
	if fs.NArg() == 0 {
		return usagef("no input files")
	}
	switch format {
	case "pdf":
	case "tiff-f":
		return fmt.Errorf("--format tiff-f: %w (TIFF-F output)", errNotBuilt)
	default:
		return usagef("--format %q: want pdf", format)
	}
	pages, err := document.Convert(out, fs.Args(), document.Info{
		Title:    strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)),
		Producer: "Scangate " + version,
		Created:  time.Now(),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d pages\n", out, pages)
	return nil
}

// ---- pull

type pullOpts struct {
	port, protocol, out string
	baud                int
	timeout             time.Duration
}

func pullFlags(fs *flag.FlagSet, o *pullOpts) {
	fs.StringVar(&o.port, "port", "", "serial port, e.g. /dev/ttyUSB0 (required)")
	fs.IntVar(&o.baud, "baud", 115200, "line speed")
	fs.StringVar(&o.protocol, "protocol", "ymodem", "transfer protocol: "+strings.Join(device.Protocols(), ", "))
	fs.StringVar(&o.out, "out", "", "directory for the received files (required)")
	fs.DurationVar(&o.timeout, "timeout", device.DefaultTimeout, "how long the line may stay silent")
}

func cmdPull(ctx context.Context, e env, args []string) error {
	var o pullOpts
	fs := flag.NewFlagSet("pull", flag.ContinueOnError)
	pullFlags(fs, &o)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if o.port == "" || o.out == "" {
		return usagef("--port and --out are required")
	}
	rx, err := device.NewReceiver(o.protocol, device.Options{Timeout: o.timeout})
	if err != nil {
		return usagef("%v", err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	port, err := device.OpenSerial(device.SerialConfig{Path: o.port, Baud: o.baud, DataBits: 8, Parity: "none", StopBits: 1})
	if err != nil {
		return err
	}
	defer port.Close()
	files, err := rx.Receive(ctx, port, device.DirSink(o.out))
	for _, f := range files {
		fmt.Fprintf(e.stdout, "%s\t%d\t%x\n", f.Path, f.Size, f.SHA256)
	}
	return err
}

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
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
	run     func(ctx context.Context, e env, args []string) error
	flags   func(fs *flag.FlagSet) // registers the command's flags, for help
	hidden  bool                   // left out of usage and the manual page (help COMMAND still shows it)
}

func commands() []*command {
	return []*command{
		{name: "run", args: "[-config FILE] [--board rpi|beaglebone|sim|none] [--spool DIR]", summary: "run the appliance: board, panel, machine, spool, mail",
			run: cmdRun, flags: func(fs *flag.FlagSet) { runFlags(fs, &runOpts{}) }},
		{name: "demo", args: "[--once] [--keys LIST] [--maildir DIR]", summary: "the whole appliance simulated on this machine",
			run: cmdDemo, flags: demoFlags},
		{name: "send", args: "--to ADDR [--no-wait] [flags] FILE...", summary: "queue files as one mail and wait for the outcome",
			run: cmdSend, flags: func(fs *flag.FlagSet) { sendFlags(fs, &sendOpts{}) }},
		{name: "check", args: "[-v] [-config FILE] [account flags]", summary: "self-test of the account: DNS, TCP, TLS, AUTH, with a plain verdict",
			run: cmdCheck, flags: func(fs *flag.FlagSet) { checkFlags(fs, &checkOpts{}) }},
		{name: "signin", args: "[-config FILE] [--no-qr]", summary: "sign the account in with OAuth (Microsoft 365, Google): shows a code to enter on a phone",
			run: cmdSignin, flags: func(fs *flag.FlagSet) { signinFlags(fs, &signinOpts{}) }},
		{name: "pull", args: "--port PATH|--usb VID:PID[:SERIAL]|--tcp HOST:PORT --out DIR [flags]", summary: "receive documents from the machine once",
			run: cmdPull, flags: func(fs *flag.FlagSet) { pullFlags(fs, &pullOpts{}) }},
		{name: "convert", args: "-o OUT [--format pdf|tiff-f] [--compact] IN...", summary: "turn TIFF, JPEG and PBM pages into one PDF (or TIFF-F) without re-compressing fax data",
			run: cmdConvert, flags: func(fs *flag.FlagSet) { convertFlags(fs, new(string), new(string)) }},
		{name: "queue", args: "[retry|delete ID] [-config FILE] [--spool DIR]", summary: "list the queued jobs, or retry or delete one",
			run: cmdQueue, flags: func(fs *flag.FlagSet) { spoolFlags(fs, &spoolOpts{}) }},
		{name: "journal", args: "[-n N] [-config FILE] [--spool DIR]", summary: "print the transmission journal",
			run: cmdJournal, flags: func(fs *flag.FlagSet) { journalFlags(fs, &journalOpts{}) }},
		{name: "devices", summary: "list serial and USB ports with VID:PID", run: cmdDevices},
		{name: "version", summary: "print the version", run: cmdVersion},
		{name: "help", args: "[COMMAND]", summary: "show help", run: cmdHelp},
		{name: "manpage", summary: "write the manual page gateway(1) in roff, for the Debian package", run: cmdManpage, hidden: true},
	}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
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
		if c.hidden {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, `
Settings come from the TOML file given with -config (see README.md), and flags override them.
Exit status: 0 success, 1 failure (the message says what to do), 2 usage error,
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

// parse parses a command's flags; -h and --help print help for it and return errHelp, so that the command
// does not run.
func parse(fs *flag.FlagSet, e env, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if err := cmdHelp(context.Background(), e, []string{fs.Name()}); err != nil {
				return err
			}
			return errHelp
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

// logger makes the program's one logger on stderr: from level up, everything with -v. When stderr is not a
// terminal (a service under systemd, whose journal stamps every line itself) the lines carry no time.
func logger(e env, level slog.Level, verbose bool) *slog.Logger {
	if verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if f, ok := e.stderr.(*os.File); !ok || !isTerminal(f) {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// ---- demo

type demoOpts struct {
	once     bool
	keys     string
	keyDelay time.Duration
	maildir  string
	dir      string
	verbose  bool
}

func demoFlags(fs *flag.FlagSet) { demoFlagsInto(fs, &demoOpts{}) }

func demoFlagsInto(fs *flag.FlagSet, o *demoOpts) {
	fs.BoolVar(&o.once, "once", false, "exit after the first delivery (exit status 1 if it fails)")
	fs.StringVar(&o.keys, "keys", "", "press these keys in order instead of reading the keyboard, e.g. \"down,send\"\n(up, down, left, right, ok, back, send, stop)")
	fs.DurationVar(&o.keyDelay, "key-delay", demoKeyDelay, "pause before each scripted key")
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
		log = logger(e, slog.LevelDebug, true)
	}
	return demo(ctx, demoOptions{
		Dir: o.dir, Maildir: o.maildir, Keys: keys, Once: o.once, Interactive: interactive,
		In: e.stdin, Out: e.stdout, Log: log, Version: version, KeyDelay: o.keyDelay,
	})
}

func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
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
	opts := appliance.Options{Log: logger(e, slog.LevelWarn, false), Version: version}
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
	if lines, ok := g.SignInStatus(); ok { // after the check, which may have refreshed the token
		for _, l := range lines {
			fmt.Fprintln(e.stdout, "  OAUTH "+l)
		}
	}
	printRelay(e.stdout, cfg)
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

// convertFlags registers the flags of convert and returns the --compact switch.
func convertFlags(fs *flag.FlagSet, out, format *string) (compact *bool) {
	fs.StringVar(out, "o", "", "output file (required)")
	fs.StringVar(format, "format", "pdf", "output format: pdf, or tiff-f (Internet fax: bilevel pages only, G3 1-D)")
	return fs.Bool("compact", false, "PDF: recode G3 fax pages (and G4 pages in several strips) as one G4 image each: lossless, smaller, slower")
}

// cmdConvert turns TIFF, JPEG and PBM files, told apart by their first bytes, into one PDF or TIFF-F file.
func cmdConvert(ctx context.Context, e env, args []string) error {
	var out, format string
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	compact := convertFlags(fs, &out, &format)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if out == "" {
		return usagef("-o OUT is required")
	}
	if fs.NArg() == 0 {
		return usagef("no input files")
	}
	if err := checkOutput(out, fs.Args()); err != nil {
		return err
	}
	var pages int
	var err error
	switch format {
	case "pdf":
		pages, err = document.Convert(ctx, out, fs.Args(), document.Info{
			Title:    strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)),
			Producer: "Scangate " + version,
			Created:  time.Now(),
			Compact:  *compact,
		})
	case "tiff-f":
		if *compact {
			return usagef("--compact applies to PDF output only")
		}
		pages, err = document.ConvertTIFFF(ctx, out, fs.Args())
	default:
		return usagef("--format %q: want pdf or tiff-f", format)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d pages\n", out, pages)
	return nil
}

// checkOutput refuses an output that convert must not replace: one of its inputs, or anything but a regular
// file (a symlink, a device node, a directory).
func checkOutput(out string, inputs []string) error {
	st, err := os.Lstat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return usagef("-o %s: not a regular file (%s); name a new file or a regular one to replace", out, fileKind(st.Mode()))
	}
	for _, in := range inputs {
		if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
			return usagef("-o %s: is the input %s; name another output file", out, in)
		}
	}
	return nil
}

// fileKind names the type of a file mode in words.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// ---- pull

type pullOpts struct {
	config, port, usb, tcp, protocol, flow, out, trigger string
	baud                                                 int
	timeout                                              time.Duration
}

func pullFlags(fs *flag.FlagSet, o *pullOpts) {
	d := config.Default().Device
	fs.StringVar(&o.config, "config", "", "settings file (TOML): its [device] settings, which these flags override")
	fs.StringVar(&o.port, "port", "", "serial port, e.g. /dev/ttyUSB0 (device.port)")
	fs.StringVar(&o.usb, "usb", "", "USB serial device, VID:PID or VID:PID:SERIAL in hex, e.g. 0403:6001 (device.usb)")
	fs.StringVar(&o.tcp, "tcp", "", "network serial server in raw TCP mode, HOST:PORT (device.tcp)")
	fs.IntVar(&o.baud, "baud", d.Baud, "line speed (device.baud)")
	fs.StringVar(&o.flow, "flow", d.Flow, "flow control: none, rtscts, or xonxoff for zmodem only (device.flow)")
	fs.StringVar(&o.protocol, "protocol", d.Protocol, "transfer protocol: "+strings.Join(device.Protocols(), ", ")+" (device.protocol)")
	fs.StringVar(&o.out, "out", "", "directory for the received files (required)")
	fs.DurationVar(&o.timeout, "timeout", d.Timeout.Duration, "how long the line may stay silent, also before the machine begins;\n"+
		"when nothing arrived in that time pull exits with status 75: try again later (device.timeout)")
	fs.StringVar(&o.trigger, "trigger", "", "bytes sent to the machine before receiving, with Go escapes, e.g. 'SEND\\r' (device.trigger)")
}

// temporary marks a failure that may pass, so that the same command may succeed later: exit status 75.
type temporary struct{ error }

func (temporary) Temporary() bool { return true }
func (t temporary) Unwrap() error { return t.error }

func cmdPull(ctx context.Context, e env, args []string) error {
	var o pullOpts
	fs := flag.NewFlagSet("pull", flag.ContinueOnError)
	pullFlags(fs, &o)
	if err := parse(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if o.out == "" {
		return usagef("--out is required")
	}
	cfg, err := loadConfig(o.config)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	links := 0
	for _, name := range []string{"port", "usb", "tcp"} {
		if set[name] {
			links++
		}
	}
	switch {
	case links > 1:
		return usagef("give one of --port, --usb and --tcp")
	case links == 0 && o.config == "":
		return usagef("give --port, --usb or --tcp (or -config)")
	case links == 1:
		cfg.Device.Port, cfg.Device.USB, cfg.Device.TCP = o.port, o.usb, o.tcp
	}
	d := &cfg.Device
	if set["baud"] {
		d.Baud = o.baud
	}
	if set["flow"] {
		d.Flow = o.flow
	}
	if set["protocol"] {
		d.Protocol = o.protocol
	}
	if set["timeout"] {
		d.Timeout.Duration = o.timeout
	}
	if set["trigger"] {
		if d.Trigger, err = strconv.Unquote(`"` + strings.ReplaceAll(o.trigger, `"`, `\"`) + `"`); err != nil {
			return usagef("--trigger %q: bad escape", o.trigger)
		}
	}
	if d.TCP != "" && (set["baud"] || set["flow"]) {
		return usagef("--baud and --flow set a serial line; with --tcp the server sets them")
	}
	if err := appliance.Validate(cfg, false); err != nil {
		return usagef("%v", err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	files, err := appliance.Pull(ctx, *d, device.DirSink(o.out), nil)
	for _, f := range files {
		fmt.Fprintf(e.stdout, "%s\t%d\t%x\n", f.Name, f.Size, f.SHA256)
	}
	if errors.Is(err, device.ErrTimeout) && len(files) == 0 {
		return temporary{err}
	}
	return err
}

// ---- devices

func cmdDevices(_ context.Context, e env, args []string) error {
	if len(args) > 0 {
		return usagef("devices takes no arguments")
	}
	ports, err := device.ListPorts()
	if err != nil {
		return err
	}
	printPorts(e.stdout, ports)
	return nil
}

// printPorts writes one tab-separated line per port under a header, "-" for what a port does not have.
func printPorts(w io.Writer, ports []device.PortInfo) {
	if len(ports) == 0 {
		fmt.Fprintln(w, "no serial ports found")
		return
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintln(w, "PORT\tVID:PID\tSERIAL\tPRODUCT")
	for _, p := range ports {
		id := "-"
		if p.USB {
			id = p.VID + ":" + p.PID
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.Path, id, dash(p.Serial), dash(p.Product))
	}
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/gateway/config"
)

// cmdManpage writes the manual page gateway(1) in roff on standard output. It is made from the command table
// and the same flag registrations that help prints, so the page cannot drift from the binary; the Debian
// package ships it (packaging/mkdeb runs this command). The date in the page's title line comes from
// SOURCE_DATE_EPOCH when it is set, so that a rebuild of the same commit writes the same page.
func cmdManpage(_ context.Context, e env, args []string) error {
	if len(args) > 0 {
		return usagef("manpage takes no arguments")
	}
	date := ""
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return usagef("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
		}
		date = time.Unix(sec, 0).UTC().Format("2006-01-02")
	}
	return writeManpage(e.stdout, commands(), version, date)
}

// writeManpage writes the page for the commands that usage lists.
func writeManpage(w io.Writer, cmds []*command, version, date string) error {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	text := func(s string) { line(roffText(s)) }

	line(`.\" gateway(1), written by "gateway manpage" from the commands' help: change the help, not this page.`)
	line(fmt.Sprintf(`.TH GATEWAY 1 "%s" "scangate %s" "Scangate"`, date, roffQuoted(version)))
	line(".nh") // no hyphenation: a setting's name or a flag split at the end of a line reads wrong
	line(".ad l")
	line(".SH NAME")
	line(`gateway \- the Scangate scan\-to\-email gateway`)
	line(".SH SYNOPSIS")
	line(`\fBgateway\fR \fICOMMAND\fR [\fIflags\fR] [\fIarguments\fR]`)
	line(".SH DESCRIPTION")
	text("gateway is the firmware service of a scan-to-email gateway beside an office fax or MFP machine. It pulls " +
		"scanned documents from the machine over a serial port or a USB serial link, turns the fax-coded pages into " +
		"a PDF without re-compressing them, and mails the PDF with SMTP AUTH over TLS. Staff choose a destination " +
		"on the front panel (a character LCD with keys and LEDs) and press Send.")
	line(".PP")
	text("The service is \"gateway run\", started by systemd as scangate.service under the user scangate. The " +
		"other commands help to set it up and look after it: they test the mail account, sign it in with OAuth, " +
		"receive or convert documents by hand, and show or change the queue.")
	line(".PP")
	text("Settings come from the TOML file given with -config, by default " + config.DefaultPath + " when it " +
		"exists, and flags override them. Unknown settings are errors, and every problem is reported with the " +
		"setting's name before any device is opened. \"gateway COMMAND --help\" prints the help of one command.")
	line(".SH COMMANDS")
	for _, c := range cmds {
		if c.hidden {
			continue
		}
		line(".SS " + roffText(c.name))
		synopsis := `\fBgateway ` + roffCode(c.name) + `\fR`
		if c.args != "" {
			synopsis += " " + roffCode(c.args)
		}
		line(synopsis)
		line(".PP")
		text(capitalize(c.summary) + ".")
		if c.flags == nil {
			continue
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs)
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			tag := `\fB\-` + roffCode(f.Name) + `\fR`
			if name != "" {
				tag += ` \fI` + roffCode(name) + `\fR`
			}
			line(".TP")
			line(tag)
			for _, l := range strings.Split(usage, "\n") {
				text(l)
			}
			if !isZeroFlag(f) {
				text("(default " + f.DefValue + ")")
			}
		})
	}
	line(".SH EXIT STATUS")
	for _, s := range []struct {
		code int
		what string
	}{
		{exitOK, "success; also \"run\" stopped by SIGTERM, after giving a mail in flight a moment to finish."},
		{exitFail, "failure: a one-line message says what to do."},
		{exitUsage, "usage error."},
		{exitTemp, "temporary failure (mail server down or busy, machine silent, or another command stopped by SIGTERM): the same command may succeed later."},
		{exitInterrupt, "stopped with Ctrl-C."},
	} {
		line(".TP")
		line(strconv.Itoa(s.code))
		text(capitalize(s.what))
	}
	line(".SH FILES")
	for _, f := range []struct{ path, what string }{
		{config.DefaultPath, "The settings (TOML). The package installs a commented sample, owned root:scangate, mode 0640; " +
			"settings saved from the front panel replace it, written atomically through a temporary file in the same directory."},
		{config.Default().Spool.Dir, "The spool (spool.dir): the jobs not yet sent, the transmission journal, and a pull cut short. Private to the service (mode 0700)."},
		{"/var/lib/scangate", "The service's state: the home directory of the user scangate, and the place for the OAuth token store ([oauth] store)."},
		{"/lib/systemd/system/scangate.service", "The systemd unit that runs \"gateway run\"."},
	} {
		line(".TP")
		line(`.I ` + roffCode(f.path))
		text(f.what)
	}
	line(".SH ENVIRONMENT")
	line(".TP")
	line(".B SSL_CERT_FILE")
	text("A PEM file of certificate authorities to trust instead of the system's, for the mail and sign-in servers.")
	line(".SH SEE ALSO")
	line(`.BR systemctl (1),`)
	line(`.BR journalctl (1)`)
	line(".PP")
	text("/usr/share/doc/scangate/README.md: the front panel, the settings, signing in with OAuth, the first boot.")
	_, err := io.WriteString(w, b.String())
	return err
}

// isZeroFlag reports whether a flag's default is its type's zero value, which help does not print; it asks
// the flag's own type, as package flag does.
func isZeroFlag(f *flag.Flag) bool {
	t := reflect.TypeOf(f.Value)
	var z reflect.Value
	if t.Kind() == reflect.Pointer {
		z = reflect.New(t.Elem())
	} else {
		z = reflect.Zero(t)
	}
	if v, ok := z.Interface().(flag.Value); ok {
		return f.DefValue == v.String()
	}
	return f.DefValue == ""
}

// roffText escapes a line of running text: backslashes, a control character at the start of the line, and
// a hyphen that starts a word (an option such as -config or --to), which roff must print as a minus sign.
func roffText(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	var b strings.Builder
	for i, r := range s {
		if r == '-' && (i == 0 || strings.ContainsRune(" ([|\"'=,-", rune(s[i-1]))) {
			b.WriteString(`\-`)
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if strings.HasPrefix(out, ".") || strings.HasPrefix(out, "'") {
		out = `\&` + out
	}
	return out
}

// roffCode escapes a command-line token, in which every hyphen is a minus sign.
func roffCode(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\e`), "-", `\-`)
}

// roffQuoted escapes a macro argument given in double quotes.
func roffQuoted(s string) string {
	return strings.ReplaceAll(roffCode(s), `"`, `\(dq`)
}

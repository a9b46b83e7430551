// Command gateway is the firmware service of the Scangate scan-to-email gateway: it pulls scans from an
// office fax/MFP over a serial link, turns them into a PDF without re-compressing them and mails them with SMTP
// AUTH over TLS. Run "gateway help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/submit"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0  // success
	exitFail  = 1  // a failure that the message explains and that needs someone to act
	exitUsage = 2  // bad command line
	exitTemp  = 75 // a temporary failure (server down, 4xx): the same command may succeed later (EX_TEMPFAIL)
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a command may touch of the outside world.
type env struct {
	stdin          *os.File
	stdout, stderr io.Writer
}

// run dispatches to a command and turns its error into a message and an exit code.
func run(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		name = "help"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "gateway: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	err := c.run(ctx, e, args[1:])
	return report(stderr, c.name, err)
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// errShown means the command has already told the user what went wrong.
var errShown = errors.New("failed")

func report(stderr io.Writer, cmd string, err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "gateway %s: %s\nRun \"gateway help %s\" for usage.\n", cmd, ue.msg, cmd)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "gateway %s: interrupted\n", cmd)
		return exitFail
	}
	if !errors.Is(err, errShown) { // check prints its own verdict
		_, long := appliance.Explain(err)
		fmt.Fprintf(stderr, "gateway %s: %s\n", cmd, long)
	}
	if submit.IsTemporary(err) {
		return exitTemp
	}
	return exitFail
}

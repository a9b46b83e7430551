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
	exitOK        = 0   // success
	exitFail      = 1   // a failure that the message explains and that needs someone to act
	exitUsage     = 2   // bad command line
	exitTemp      = 75  // a temporary failure (server down, 4xx): the same command may succeed later (EX_TEMPFAIL)
	exitInterrupt = 130 // stopped with Ctrl-C (128 + SIGINT, as shells report it)
)

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalError is the cause of a command's context when a signal ended it.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "stopped by " + e.sig.String() }

// signalContext returns a context that SIGINT or SIGTERM cancels, with a signalError as its cause; a second
// signal ends the process at once, for a command that does not stop by itself.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig, ok := <-ch
		if !ok {
			return
		}
		cancel(signalError{sig})
		if sig, ok := <-ch; ok {
			os.Exit(signalExit(sig))
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(ch)
		cancel(nil)
	}
}

// signalExit is the exit code after a signal stopped a command: 130 for Ctrl-C, 75 for SIGTERM (a service
// stopped; what it was doing stays queued for later).
func signalExit(sig os.Signal) int {
	if sig == os.Interrupt {
		return exitInterrupt
	}
	return exitTemp
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
	if isHelpFlag(name) {
		name = "help"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "gateway: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	if c.flags == nil && len(args) > 1 && isHelpFlag(args[1]) { // commands with flags see it in parse
		return report(stderr, c.name, cmdHelp(ctx, e, []string{c.name}))
	}
	err := c.run(ctx, e, args[1:])
	var sig signalError
	if err != nil && errors.As(context.Cause(ctx), &sig) {
		fmt.Fprintf(stderr, "gateway %s: %s\n", c.name, interrupted(err))
		return signalExit(sig.sig)
	}
	return report(stderr, c.name, err)
}

// interrupted says what a command stopped by a signal leaves behind.
func interrupted(err error) string {
	var q *queuedError
	if errors.As(err, &q) {
		return fmt.Sprintf("interrupted; job #%d stays queued and goes out with the next delivery", q.number)
	}
	return "interrupted"
}

func isHelpFlag(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// errShown means the command has already told the user what went wrong.
var errShown = errors.New("failed")

// errHelp means the command printed its help instead of running: exit 0.
var errHelp = errors.New("help shown")

func report(stderr io.Writer, cmd string, err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
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

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/skip2/go-qrcode"
)

// ---- signin

type signinOpts struct {
	config string
	noQR   bool
}

func signinFlags(fs *flag.FlagSet, o *signinOpts) {
	fs.StringVar(&o.config, "config", "", "settings file (TOML) with an [oauth] section")
	fs.BoolVar(&o.noQR, "no-qr", false, "do not print the QR code of the sign-in page")
}

// cmdSignin signs the account in with the OAuth device flow: it shows the page and the code, waits until a
// person has approved them on another device, and stores the tokens.
func cmdSignin(ctx context.Context, e env, args []string) error {
	var o signinOpts
	fs := flag.NewFlagSet("signin", flag.ContinueOnError)
	signinFlags(fs, &o)
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
	g, err := appliance.New(cfg, appliance.Options{Log: logger(e, slog.LevelWarn, false), Version: version})
	if err != nil {
		return err
	}
	if !g.SignInEnabled() {
		return appliance.ErrNoOAuth
	}
	s, err := g.StartSignIn(ctx)
	if err != nil {
		return signinFailed(e, err)
	}
	c := s.Code
	fmt.Fprintf(e.stdout, "To sign the gateway in as %s, open this page on a phone or a computer:\n\n    %s\n\nand enter the code\n\n    %s\n\n",
		cfg.Account.User, c.URI, c.UserCode)
	if c.Complete != "" && !o.noQR {
		if q, err := qrcode.New(c.Complete, qrcode.Low); err == nil {
			fmt.Fprintf(e.stdout, "Or scan this code, which opens the page with the code filled in:\n\n%s\n", q.ToSmallString(false))
		}
	}
	fmt.Fprintf(e.stdout, "Sign in as %s and accept. The code works until %s (%s). Waiting... (Ctrl-C cancels)\n",
		cfg.Account.User, c.Expires.Local().Format("15:04"), time.Until(c.Expires).Round(time.Minute))
	if err := s.Wait(ctx); err != nil {
		return signinFailed(e, err)
	}
	_, long := appliance.ExplainSignIn(nil)
	fmt.Fprintln(e.stdout, long)
	if lines, ok := g.SignInStatus(); ok {
		for _, l := range lines {
			fmt.Fprintln(e.stdout, "  "+l)
		}
	}
	return nil
}

// signinFailed prints the words for a sign-in that did not end well.
func signinFailed(e env, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	_, long := appliance.ExplainSignIn(err)
	if errors.Is(err, appliance.ErrCodeExpired) {
		long = "Code expired: run gateway signin again for a new one."
	}
	fmt.Fprintf(e.stderr, "gateway signin: %s\n", long)
	return fmt.Errorf("%w: %w", errShown, err)
}

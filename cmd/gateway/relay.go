package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/appliance/relay"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/spool"
)

// startRelay starts the relay listener of [relay] in front of g, when the settings have one (nil, nil
// otherwise). It serves until ctx ends; the caller closes it too, which waits for the message in progress.
// kick is called after each accepted message: it wakes the delivery loop, which sends the message at once.
func startRelay(ctx context.Context, cfg *config.Config, g *appliance.Gateway, log *slog.Logger, kick func()) (*relay.Relay, error) {
	if cfg.Relay == nil {
		return nil, nil
	}
	o, err := relay.OptionsFrom(cfg)
	if err != nil {
		return nil, err
	}
	o.Log = log
	o.OnAccepted = func(*spool.Job) { kick() }
	r, err := relay.Start(ctx, g, o)
	if err != nil {
		return nil, err
	}
	log.Info("relay listening", "addrs", strings.Join(r.Addrs(), ","), "fingerprint", r.Fingerprint(),
		"max_bytes", g.RelayMaxBytes(), "legacy_tls", o.LegacyTLS)
	return r, nil
}

// printRelay tells gateway check's reader the relay port's certificate, for pinning on the machines.
func printRelay(w io.Writer, cfg *config.Config) {
	if cfg.Relay == nil {
		return
	}
	o, err := relay.OptionsFrom(cfg)
	if err != nil {
		fmt.Fprintf(w, "  RELAY %v\n", err)
		return
	}
	fp, made, err := relay.Fingerprint(o)
	switch {
	case err != nil:
		fmt.Fprintf(w, "  RELAY %s: %v\n", strings.Join(o.Listen, ", "), err)
	case !made:
		fmt.Fprintf(w, "  RELAY %s: the certificate is made at the first start of gateway run\n", strings.Join(o.Listen, ", "))
	default:
		fmt.Fprintf(w, "  RELAY %s: certificate SHA-256 %s\n", strings.Join(o.Listen, ", "), fp)
	}
}

// relayPanel is what the panel shows of the relay rl (nil without one): its addresses, its certificate's
// fingerprint and the day's count.
func relayPanel(rl *relay.Relay) func() panel.Relay {
	if rl == nil {
		return nil
	}
	return func() panel.Relay {
		return panel.Relay{Addrs: rl.Addrs(), Fingerprint: rl.Fingerprint(), Today: rl.Stats().Today}
	}
}

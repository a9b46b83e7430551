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
)

// startRelay starts the relay listener of [relay] in front of g, when the settings have one (nil, nil
// otherwise). It serves until ctx ends; the caller closes it too, which waits for the message in progress.
// A relayed message is picked up by the delivery loop at its next look at the queue (within its idle wait).
func startRelay(ctx context.Context, cfg *config.Config, g *appliance.Gateway, log *slog.Logger) (*relay.Relay, error) {
	if cfg.Relay == nil {
		return nil, nil
	}
	o, err := relay.OptionsFrom(cfg)
	if err != nil {
		return nil, err
	}
	o.Log = log
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

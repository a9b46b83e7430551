package appliance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/spool"
)

// ErrDaemonRunning means another process already runs the delivery loop on this spool.
var ErrDaemonRunning = errors.New("appliance: another gateway process already delivers from this spool")

// Run runs the appliance: the delivery loop and, when the board has a panel, the front panel. It returns when
// ctx ends (after the mail in flight), when the user quits the panel, or with PanelOptions.Once after the first
// job.
func (g *Gateway) Run(ctx context.Context, b *board.Board, o PanelOptions) error {
	sp, err := g.queue()
	if err != nil {
		return err
	}
	unlock, err := sp.LockDaemon()
	if errors.Is(err, spool.ErrBusy) {
		return fmt.Errorf("%w (%s)", ErrDaemonRunning, sp.Dir())
	}
	if err != nil {
		return err
	}
	defer unlock()
	d, err := g.NewDeliverer()
	if err != nil {
		return err
	}
	if b == nil || b.Display == nil {
		return d.Run(ctx)
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(lctx) }()
	err = g.RunPanel(ctx, b, d, o)
	cancel()
	<-done
	return err
}

// pollInterval is how often Send looks at its job while another process delivers it.
const pollInterval = 500 * time.Millisecond

// Send queues files for the recipients and, with wait, returns the outcome of the first attempt: made by the
// gateway process that runs the delivery loop on this spool, or by this one when none does.
func (g *Gateway) Send(ctx context.Context, files, to []string, subject string, wait bool) (Outcome, error) {
	job, err := g.Enqueue(files, to, subject)
	if err != nil || !wait || job.State != spool.Queued {
		return Outcome{Job: job, Err: err}, err
	}
	sp, err := g.queue()
	if err != nil {
		return Outcome{Job: job}, err
	}
	unlock, err := sp.LockDaemon()
	if errors.Is(err, spool.ErrBusy) {
		return g.waitFor(ctx, sp, job.ID)
	}
	if err != nil {
		return Outcome{Job: job}, err
	}
	defer unlock()
	d, err := g.NewDeliverer()
	if err != nil {
		return Outcome{Job: job}, err
	}
	watch := d.Watch(job.ID)
	d.Step(ctx)
	for m := range watch {
		if o, ok := m.(Outcome); ok {
			return o, nil
		}
	}
	// The job was not attempted (the account is held, say): report it as it stands.
	j, err := sp.Get(job.ID)
	return Outcome{Job: j}, err
}

// waitFor polls a job until another process has attempted it.
func (g *Gateway) waitFor(ctx context.Context, sp *spool.Spool, id string) (Outcome, error) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		j, err := sp.Get(id)
		if err != nil {
			return Outcome{}, err
		}
		if j.Attempts > 0 && j.State != spool.Sending || j.State == spool.Held {
			return Outcome{Job: j}, nil
		}
		select {
		case <-ctx.Done():
			return Outcome{Job: j}, ctx.Err()
		case <-t.C:
		}
	}
}

package appliance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scangate/gateway/spool"
)

// ErrDaemonRunning means another process already runs the delivery loop on this spool.
var ErrDaemonRunning = errors.New("appliance: another gateway process already delivers from this spool")

// Deliver runs the delivery loop on the spool until ctx ends: it takes the spool's daemon lock (only one
// process delivers from a spool), calls ready, if not nil, with the running loop, for the edges that hand it
// jobs (the front panel), and returns once the loop has stopped (the mail in flight has had its grace).
func (g *Gateway) Deliver(ctx context.Context, ready func(*Deliverer)) error {
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
	if ready != nil {
		ready(d)
	}
	return d.Run(ctx)
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
	// The pass ran in this goroutine: whatever it had to say about the job is in the channel now.
	for len(watch) > 0 {
		if u := <-watch; u.Outcome != nil {
			return *u.Outcome, nil
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

package appliance

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/spool"
)

// PanelOptions tune RunPanel.
type PanelOptions struct {
	// Script, when not empty, is pressed key by key instead of reading the board's keys. A key is pressed
	// once the previous one has been handled and no job is running.
	Script []panel.Key
	// KeyDelay is the pause before each scripted key, so that a reader can follow the screens.
	KeyDelay time.Duration
	// Once makes RunPanel return after the first job ends: nil if it was delivered, its error otherwise.
	Once bool
	// OnResult, if set, is called with the outcome of each job.
	OnResult func(Outcome)
	// ConfigPath is where settings changed on the panel are saved; empty applies them until the next start.
	ConfigPath string
	// Blink makes the marker of a held or failed job blink (real displays and the interactive sim).
	Blink bool
	// Version and Serial are shown under About.
	Version, Serial string
}

// ErrScriptEnded is returned with Once when the scripted keys ran out without starting a job.
var ErrScriptEnded = errors.New("appliance: the scripted keys ended without sending anything")

// ErrQuit is returned when the user quits the interactive panel.
var ErrQuit = errors.New("appliance: quit")

// RunPanel runs the front panel on board b until ctx ends, the user quits, or (with Once) the first job ends.
// Jobs are pulled and queued here and delivered by d, whose loop must be running. Slow work the panel asks for
// (saving settings, testing the account, queue actions) runs in the background and comes back as events, so
// the key loop never waits on the network or the disk.
func (g *Gateway) RunPanel(ctx context.Context, b *board.Board, d *Deliverer, o PanelOptions) error {
	p, err := panel.New(b.Display, g.panelConfig(o), g.opts.Now)
	if err != nil {
		return err
	}
	b.SetLEDs(p.LEDs())
	events := make(chan panel.Event, 16)
	answers := make(chan panel.Event, 8)
	ends := make(chan Outcome, 1)
	var stop context.CancelFunc // cancels the running job; nil when idle
	defer func() {
		if stop != nil {
			stop()
			<-ends
		}
	}()
	ticker := time.NewTicker(panel.TickInterval)
	defer ticker.Stop()
	script := o.Script
	scripted := len(script) > 0
	p.Event(g.queueEvent(d))
	p.Event(g.machineNotice())
	ticks := 0
	g.beat(&g.beatPanel)
	defer g.beatPanel.Store(0)

	press := func(k panel.Key) {
		req := p.Key(k)
		switch req.Kind {
		case panel.RequestSend:
			if stop != nil {
				return
			}
			if g.s().setup {
				short, long := Explain(ErrNotSetUp)
				p.Event(panel.Event{Result: &panel.Result{Short: short, Detail: long}})
				return
			}
			var jctx context.Context
			jctx, stop = context.WithCancel(ctx)
			go func() { ends <- g.runJob(jctx, d, req.Dest, events) }()
		case panel.RequestStop:
			if stop != nil {
				stop()
			}
		case panel.RequestNone:
		default:
			go func() { answers <- g.answer(ctx, d, req, o.ConfigPath) }()
		}
	}

	var next <-chan time.Time // armed while a scripted key waits to be pressed
	for {
		idle := stop == nil && !p.Waiting()
		if scripted && len(script) == 0 && idle && o.Once {
			return ErrScriptEnded
		}
		if next == nil && len(script) > 0 && idle {
			next = time.After(o.KeyDelay)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case k, ok := <-b.Keys:
			if !ok {
				return ErrQuit
			}
			press(k)
		case <-next:
			next = nil
			k := script[0]
			script = script[1:]
			press(k)
		case ev := <-events:
			p.Event(ev)
		case ev := <-answers:
			p.Event(ev)
			p.Event(g.queueEvent(d))
			p.Event(g.machineNotice()) // a save may have ended the setup
		case end := <-ends:
			stop() // release the job's context
			stop = nil
			drain(events, p)
			p.Event(panel.Event{Result: panelResult(end)})
			p.Event(g.queueEvent(d))
			b.SetLEDs(p.LEDs())
			if o.OnResult != nil {
				o.OnResult(end)
			}
			if o.Once {
				return end.Err
			}
		case <-ticker.C:
			g.beat(&g.beatPanel)
			p.Tick()
			if ticks++; ticks%queueRefresh == 0 {
				p.Event(g.queueEvent(d))
				p.Event(g.machineNotice())
			}
		}
		b.SetLEDs(p.LEDs())
	}
}

// queueRefresh is how many ticks pass between two looks at the queue (jobs queued by gateway send, retries
// made by the delivery loop).
const queueRefresh = 20

// drain hands the panel the progress events still buffered when a job ends.
func drain(events chan panel.Event, p *panel.Panel) {
	for {
		select {
		case ev := <-events:
			p.Event(ev)
		default:
			return
		}
	}
}

func pagesText(n int) string {
	if n == 1 {
		return "1 page"
	}
	return strconv.Itoa(n) + " pages"
}

// runJob pulls and queues one scan, has the delivery loop send it, and returns the outcome of that attempt.
// Progress goes to events, dropped rather than block the job when the panel is behind.
func (g *Gateway) runJob(ctx context.Context, d *Deliverer, dest panel.Destination, events chan<- panel.Event) Outcome {
	report := func(ev panel.Event) {
		select {
		case events <- ev:
		default:
		}
	}
	job, err := g.Scan(ctx, dest, report)
	if err != nil || job.State == spool.Failed {
		return Outcome{Job: job, Err: err}
	}
	watch := d.Watch(job.ID)
	d.Kick()
	for {
		select {
		case <-ctx.Done():
			// Stop, confirmed, once the scan is queued: it is held, not sent (unless it has gone already).
			d.Stop(job.ID)
			return Outcome{Job: job, Err: ctx.Err()}
		case m := <-watch:
			switch m := m.(type) {
			case panel.Event:
				report(m)
			case Outcome:
				return m
			}
		}
	}
}

// panelResult puts an outcome on the panel: pages sent, or the reason in a few words.
func panelResult(o Outcome) *panel.Result {
	if o.Err == nil && o.Job != nil && o.Job.State == spool.Sent {
		return &panel.Result{OK: true, Short: pagesText(o.Job.Pages)}
	}
	short, long := Explain(o.Err)
	switch {
	case o.Job != nil && o.Job.State == spool.Deferred:
		short = "Retry at " + o.Job.NextAttempt.In(time.Local).Format("15:04")
		long = o.Job.LastDetail
	case o.Err == nil && o.Job != nil: // held with the account, without an attempt of its own
		short, long = o.Job.LastResult, o.Job.LastDetail
	}
	return &panel.Result{Stopped: errors.Is(o.Err, context.Canceled), Short: short, Detail: long}
}

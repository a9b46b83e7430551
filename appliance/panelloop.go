package appliance

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/panel"
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
	OnResult func(*Delivered, error)
}

// ErrScriptEnded is returned with Once when the scripted keys ran out without starting a job.
var ErrScriptEnded = errors.New("appliance: the scripted keys ended without sending anything")

// ErrQuit is returned when the user quits the interactive panel.
var ErrQuit = errors.New("appliance: quit")

type jobEnd struct {
	d   *Delivered
	err error
}

// RunPanel runs the front panel on board b until ctx ends, the user quits, or (with Once) the first job ends.
func (g *Gateway) RunPanel(ctx context.Context, b *board.Board, o PanelOptions) error {
	p, err := panel.New(b.Display, panel.Config{Book: Destinations(g.cfg), DeviceName: g.cfg.Device.Name}, g.opts.Now)
	if err != nil {
		return err
	}
	b.SetLEDs(p.LEDs())
	events := make(chan panel.Event, 16)
	ends := make(chan jobEnd, 1)
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

	press := func(k panel.Key) {
		req := p.Key(k)
		switch req.Kind {
		case panel.RequestSend:
			if stop != nil {
				return
			}
			var jctx context.Context
			jctx, stop = context.WithCancel(ctx)
			go func() { d, err := g.runJob(jctx, req.Dest, events); ends <- jobEnd{d, err} }()
		case panel.RequestStop:
			if stop != nil {
				stop()
			}
		}
	}

	var next <-chan time.Time // armed while a scripted key waits to be pressed
	for {
		if scripted && len(script) == 0 && stop == nil && o.Once {
			return ErrScriptEnded
		}
		if next == nil && len(script) > 0 && stop == nil {
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
		case end := <-ends:
			stop() // release the job's context
			stop = nil
			drain(events, p)
			short, long := Explain(end.err)
			res := &panel.Result{OK: end.err == nil, Stopped: errors.Is(end.err, context.Canceled), Short: short, Detail: long}
			if end.d != nil && end.err == nil {
				res.Short = pagesText(end.d.Pages)
			}
			p.Event(panel.Event{Result: res})
			b.SetLEDs(p.LEDs())
			if o.OnResult != nil {
				o.OnResult(end.d, end.err)
			}
			if o.Once {
				return end.err
			}
		case <-ticker.C:
			p.Tick()
		}
		b.SetLEDs(p.LEDs())
	}
}

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

// runJob pulls, queues and delivers one scan, sending progress to events. Progress is dropped rather than
// block the job when the panel is behind; only the newest state matters.
func (g *Gateway) runJob(ctx context.Context, dest panel.Destination, events chan<- panel.Event) (*Delivered, error) {
	report := func(ev panel.Event) {
		select {
		case events <- ev:
		default:
		}
	}
	job, err := g.Scan(ctx, dest, report)
	if err != nil {
		return nil, err
	}
	// Stop during delivery cancels this attempt only: the job stays in the spool, marked failed.
	return g.Deliver(ctx, job, report)
}

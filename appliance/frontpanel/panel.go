package frontpanel

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/spool"
)

// Options tune Run.
type Options struct {
	// Script, when not empty, is pressed key by key instead of reading the board's keys. A key is pressed
	// once the previous one has been handled and no job is running.
	Script []panel.Key
	// KeyDelay is the pause before each scripted key, so that a reader can follow the screens.
	KeyDelay time.Duration
	// Once makes Run return after the first job ends: nil if it was delivered, its error otherwise.
	Once bool
	// OnResult, if set, is called with the outcome of each job.
	OnResult func(appliance.Outcome)
	// ConfigPath is where settings changed on the panel are saved; empty applies them until the next start.
	ConfigPath string
	// Blink makes the marker of a held or failed job blink (real displays and the interactive sim).
	Blink bool
	// Version and Serial are shown under About.
	Version, Serial string
	// OnReady, if set, is called once the gateway is at work: the delivery loop runs and, on a board with a
	// display, the panel's key loop too (a service manager is told then that the gateway is ready).
	OnReady func()
	// Reloaded, if not nil, tells Run that settings were put in force from outside the panel (the settings
	// file read again, checked with Validate and given to Gateway.Apply): Run wakes the delivery loop, so
	// that jobs waiting for an account, or held with the old one, go out now, and the panel takes the new
	// settings up (address book, account, PIN) once no job, request or sign-in of its own is under way and
	// nobody has pressed a key for settleTime.
	Reloaded <-chan struct{}
	// OnLoop, if set, is called once with the delivery loop when it runs, before OnReady: a job queued from
	// outside the panel (a mail the relay accepted) is handed over with its Kick at once, not at the loop's
	// next idle look at the queue.
	OnLoop func(*appliance.Deliverer)
	// Relay, if set, tells the panel the relay listener's state (About, and the ready screen of a 20x4).
	Relay func() panel.Relay
}

// ErrScriptEnded is returned with Once when the scripted keys ran out without starting a job.
var ErrScriptEnded = errors.New("frontpanel: the scripted keys ended without sending anything")

// ErrQuit is returned when the user quits the interactive panel.
var ErrQuit = errors.New("frontpanel: quit")

// Run runs the appliance with its front panel: the delivery loop, and the panel on board b when it has a
// display. It returns when ctx ends (after the mail in flight has had its grace), when the user quits the
// panel, or with Options.Once after the first job.
func Run(ctx context.Context, g *appliance.Gateway, b *board.Board, o Options) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if b == nil || b.Display == nil {
		return g.Deliver(lctx, func(d *appliance.Deliverer) {
			if o.OnLoop != nil {
				o.OnLoop(d)
			}
			if o.Reloaded != nil {
				go kickOnReload(lctx, d, o.Reloaded)
			}
			if o.OnReady != nil {
				o.OnReady()
			}
		})
	}
	loop := make(chan *appliance.Deliverer, 1)
	done := make(chan error, 1)
	go func() { done <- g.Deliver(lctx, func(d *appliance.Deliverer) { loop <- d }) }()
	var d *appliance.Deliverer
	select {
	case d = <-loop:
		if o.OnLoop != nil {
			o.OnLoop(d)
		}
	case err := <-done:
		return err // the loop could not start (another process delivers from this spool, say)
	}
	err := (&front{g: g, d: d, b: b, o: o}).run(ctx)
	cancel()
	<-done
	return err
}

// kickOnReload wakes the delivery loop d whenever settings were put in force from outside, until ctx ends.
func kickOnReload(ctx context.Context, d *appliance.Deliverer, reloaded <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-reloaded:
			d.Kick()
		}
	}
}

// settleTime is how long the panel must be left alone (no key pressed, no job ended) before it takes up
// settings put in force from outside: longer than the panel keeps an idle menu open (2 minutes), so that
// it is back on the ready screen and nobody's edits or result screen are swept away.
const settleTime = 130 * time.Second

// front is the panel's key loop and what it needs at hand.
type front struct {
	g *appliance.Gateway
	d *appliance.Deliverer
	b *board.Board
	o Options
	// signer and kick stand in for the Gateway's sign-in and for d.Kick when not nil (tests).
	signer signer
	kick   func()
}

// queueRefresh is how many ticks pass between two looks at the queue and the machine (jobs queued by
// gateway send, retries made by the delivery loop, a USB adapter plugged in).
const queueRefresh = 20

// run runs the front panel until ctx ends, the user quits, or (with Once) the first job ends. Jobs are pulled
// and queued here and delivered by f.d, whose loop is running. Slow work runs in the background and comes back
// as events, so the key loop never waits on the network or the disk: the panel's requests (saving settings,
// testing the account, queue actions), and the looks at the spool and at sysfs for the ready screen.
func (f *front) run(ctx context.Context) error {
	g, b, o := f.g, f.b, f.o
	p, err := panel.New(b.Display, f.panelConfig(), g.Now)
	if err != nil {
		return err
	}
	// The first look is made before the loop starts, so that the first screen is complete. The last queue
	// and notice seen are kept for a panel made anew on reloaded settings.
	var seenQueue, seenNotice panel.Event
	show := func(ev panel.Event) {
		if ev.Queue != nil {
			seenQueue = panel.Event{Queue: ev.Queue}
		}
		if ev.Notice != nil {
			seenNotice = panel.Event{Notice: ev.Notice}
		}
		p.Event(ev)
	}
	show(f.queueEvent())
	show(f.notice())
	b.SetLEDs(p.LEDs())

	events := make(chan panel.Event, 16)   // progress of the job in progress
	answers := make(chan []panel.Event, 8) // answers to the panel's requests, with the looks they call for
	news := make(chan panel.Event, 2)      // the queue and the notice, looked at in the background
	look := make(chan struct{}, 1)         // asks for a new look
	ends := make(chan appliance.Outcome, 1)
	lctx, stopLooking := context.WithCancel(ctx)
	defer stopLooking()
	go f.looker(lctx, look, news)
	refresh := func() {
		select {
		case look <- struct{}{}:
		default: // a look is due already
		}
	}
	var stop context.CancelFunc // cancels the running job; nil when idle
	defer func() {
		if stop != nil {
			stop()
			<-ends
		}
	}()
	// The sign-in runs in a goroutine of its own; its news comes on signIns. Cancelling it, replacing it with a
	// new one or its end moves turn on, so that news of an older sign-in still on its way is dropped.
	signIns := make(chan signInNews, 2)
	var (
		turn         int
		cancelSignIn context.CancelFunc // cancels the sign-in under way; nil when none is
		signing      sync.WaitGroup
	)
	endSignIn := func() {
		turn++
		if cancelSignIn != nil {
			cancelSignIn()
			cancelSignIn = nil
		}
	}
	defer func() {
		endSignIn()
		signing.Wait()
	}()
	ticker := time.NewTicker(panel.TickInterval)
	defer ticker.Stop()
	script := o.Script
	scripted := len(script) > 0
	ticks := 0
	g.PanelAlive()
	defer g.PanelGone()
	// Settings put in force from outside wait in stale until the panel is left alone (see Options.Reloaded).
	stale := false
	var lastActive time.Time // the last key press or job end

	press := func(k panel.Key) {
		lastActive = time.Now()
		req := p.Key(k)
		switch req.Kind {
		case panel.RequestSend:
			if stop != nil {
				return
			}
			if g.NeedsSetup() {
				short, long := appliance.Explain(appliance.ErrNotSetUp)
				p.Event(panel.Event{Result: &panel.Result{Short: short, Detail: long}})
				return
			}
			var jctx context.Context
			jctx, stop = context.WithCancel(ctx)
			dest := config.Destination{Name: req.Dest.Name, Address: req.Dest.Address}
			go func() { ends <- f.runJob(jctx, dest, events) }()
		case panel.RequestStop:
			if stop != nil {
				stop()
			}
		case panel.RequestSignIn:
			endSignIn() // a new code replaces the sign-in under way
			sctx, cancel := context.WithCancel(ctx)
			cancelSignIn = cancel
			signing.Add(1)
			go func(turn int) {
				defer signing.Done()
				f.signIn(sctx, turn, signIns)
			}(turn)
		case panel.RequestCancelSignIn:
			endSignIn()
		case panel.RequestNone:
		default:
			go func() {
				// A request may change the queue or end the setup: the answer comes with a fresh look.
				answers <- []panel.Event{f.answer(ctx, req), f.queueEvent(), f.notice()}
			}()
		}
	}

	if o.OnReady != nil {
		o.OnReady() // the delivery loop runs (Run started it first), the key loop starts now
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
		case ev := <-news:
			show(ev)
		case evs := <-answers:
			for _, ev := range evs {
				show(ev)
			}
		case n := <-signIns:
			if n.turn != turn {
				break // a sign-in cancelled or replaced since
			}
			for _, ev := range n.events {
				p.Event(ev)
			}
			if n.end {
				endSignIn()
			}
		case end := <-ends:
			stop() // release the job's context
			stop = nil
			lastActive = time.Now()
			drain(events, p)
			p.Event(panel.Event{Result: result(end)})
			refresh()
			b.SetLEDs(p.LEDs())
			if o.OnResult != nil {
				o.OnResult(end)
			}
			if o.Once {
				return end.Err
			}
		case <-o.Reloaded:
			f.kickLoop() // jobs that waited for the account, or were held with the old one, go out now
			stale = true
			refresh() // the notice may change (the setup done)
		case <-ticker.C:
			g.PanelAlive()
			p.Tick()
			if ticks++; ticks%queueRefresh == 0 {
				refresh()
			}
		}
		if stale && stop == nil && cancelSignIn == nil && !p.Waiting() && !p.Busy() && time.Since(lastActive) >= settleTime {
			if np := f.renew(p); np != nil {
				p = np
				p.Event(seenQueue)
				p.Event(seenNotice)
			}
			stale = false
			refresh()
		}
		b.SetLEDs(p.LEDs())
	}
}

// renew makes a panel anew on the settings in force, on the ready screen, with the destination old had
// selected when it is still in the address book. When the panel cannot be made (which Validate prevents),
// the error is logged and renew returns nil: old stays.
func (f *front) renew(old *panel.Panel) *panel.Panel {
	pc := f.panelConfig()
	if set, i := old.Settings(), old.Selected(); i < len(set.Book) {
		pc.Selected = max(slices.Index(pc.Book, set.Book[i]), 0)
	}
	p, err := panel.New(f.b.Display, pc, f.g.Now)
	if err != nil {
		f.g.Log().Error("the panel keeps its settings: the reloaded ones cannot be shown", "err", err)
		return nil
	}
	f.g.Log().Debug("the panel shows the reloaded settings")
	return p
}

// looker makes the looks the key loop asks for on look, and posts what it sees on news, until ctx ends.
func (f *front) looker(ctx context.Context, look <-chan struct{}, news chan<- panel.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-look:
		}
		for _, ev := range []panel.Event{f.queueEvent(), f.notice()} {
			select {
			case news <- ev:
			case <-ctx.Done():
				return
			}
		}
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

// runJob pulls and queues one scan, has the delivery loop send it, and returns the outcome of that attempt.
// Progress goes to events, dropped rather than block the job when the panel is behind.
func (f *front) runJob(ctx context.Context, dest config.Destination, events chan<- panel.Event) appliance.Outcome {
	report := func(pr appliance.Progress) {
		select {
		case events <- progressEvent(pr):
		default:
		}
	}
	job, err := f.g.Scan(ctx, dest, report)
	if err != nil || job.State == spool.Failed {
		return appliance.Outcome{Job: job, Err: err}
	}
	watch, attempted := f.d.WatchQueued(job)
	if attempted != nil {
		return *attempted
	}
	f.d.Kick()
	for {
		select {
		case <-ctx.Done():
			// Stop, confirmed, once the scan is queued: it is held, not sent (unless it has gone already).
			f.d.Stop(job.ID)
			return appliance.Outcome{Job: job, Err: ctx.Err()}
		case u := <-watch:
			if u.Outcome != nil {
				return *u.Outcome
			}
			report(*u.Progress)
		}
	}
}

// stages maps the job's stages to the panel's.
var stages = map[appliance.Stage]panel.Stage{
	appliance.StageReceiving:  panel.StageReceiving,
	appliance.StageConverting: panel.StageConverting,
	appliance.StageQueued:     panel.StageQueued,
	appliance.StageSending:    panel.StageSending,
}

// progressEvent is a job's progress as the panel shows it.
func progressEvent(p appliance.Progress) panel.Event {
	return panel.Event{Stage: stages[p.Stage], Page: p.Page, Done: p.Done, Total: p.Total}
}

// result puts an outcome on the panel: pages sent, or the reason in a few words.
func result(o appliance.Outcome) *panel.Result {
	if o.Err == nil && o.Job != nil && o.Job.State == spool.Sent {
		return &panel.Result{OK: true, Short: pagesText(o.Job.Pages)}
	}
	short, long := appliance.Explain(o.Err)
	switch {
	case o.Job != nil && o.Job.State == spool.Deferred:
		short, long = retryStatus(o.Job.NextAttempt), o.Job.LastDetail
	case o.Err == nil && o.Job != nil: // held with the account, without an attempt of its own
		short, long = o.Job.LastResult, o.Job.LastDetail
	}
	return &panel.Result{Stopped: errors.Is(o.Err, context.Canceled), Short: short, Detail: long}
}

// retryStatus is a deferred job's status on the panel: "Retry at 14:05".
func retryStatus(at time.Time) string { return "Retry at " + appliance.RetryTime(at) }

func pagesText(n int) string {
	if n == 1 {
		return "1 page"
	}
	return strconv.Itoa(n) + " pages"
}

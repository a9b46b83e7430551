package appliance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/internal/secret"
	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// Deliverer runs the delivery loop over the spool: it sends the jobs that are due, several in one SMTP session,
// and applies the retry policy to each outcome.
type Deliverer struct {
	g      *Gateway
	sp     *spool.Spool
	kick   chan struct{}
	jitter func() float64

	mu       sync.Mutex
	watchers map[string][]chan Update // job ID → the channels of those who watch it
	stopped  map[string]bool          // jobs staff stopped: held instead of sent

	// Owned by the loop's goroutine:
	told      map[string]bool // unreadable jobs already logged, so that each is logged once
	lastSweep time.Time       // when Sweep last ran
	lastFresh time.Time       // when keepSignedIn last looked
}

// NewDeliverer prepares the delivery loop. Only one process may run it on a spool: the caller holds the spool's
// daemon lock (spool.LockDaemon).
func (g *Gateway) NewDeliverer() (*Deliverer, error) {
	sp, err := g.queue()
	if err != nil {
		return nil, err
	}
	return &Deliverer{g: g, sp: sp, kick: make(chan struct{}, 1), jitter: rand.Float64,
		watchers: map[string][]chan Update{}, stopped: map[string]bool{}, told: map[string]bool{}}, nil
}

// Kick makes the loop look at the queue now (a job was queued or retried).
func (d *Deliverer) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// watchBuffer is the room of a watch channel: progress for a reader that is a little behind, and one slot that
// progress never takes, for the outcome.
const watchBuffer = 64

// Watch returns a channel that receives the progress and then the outcome of the next attempt at job id; it is
// closed after the outcome. The loop never waits for the reader: progress that finds the channel full is
// dropped, and the outcome always finds its slot.
func (d *Deliverer) Watch(id string) <-chan Update { return d.watch(id) }

func (d *Deliverer) watch(id string) chan Update {
	ch := make(chan Update, watchBuffer)
	d.mu.Lock()
	d.watchers[id] = append(d.watchers[id], ch)
	d.mu.Unlock()
	return ch
}

// WatchQueued is Watch for a job just queued, which the loop may have attempted already, between the queueing
// and the call: then there is nothing left to watch, and done holds the outcome as the job records it.
func (d *Deliverer) WatchQueued(j *spool.Job) (updates <-chan Update, done *Outcome) {
	ch := d.watch(j.ID)
	now, err := d.sp.Get(j.ID)
	if err != nil || now.Attempts == j.Attempts || now.State == spool.Sending {
		return ch, nil // still to come: the outcome will reach ch
	}
	d.unwatch(j.ID, ch)
	return nil, &Outcome{Job: now}
}

// unwatch drops the watch ch of job id.
func (d *Deliverer) unwatch(id string, ch chan Update) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.watchers[id] = slices.DeleteFunc(d.watchers[id], func(c chan Update) bool { return c == ch })
	if len(d.watchers[id]) == 0 {
		delete(d.watchers, id)
	}
}

func (d *Deliverer) report(id string, p Progress) {
	d.g.beat(&d.g.beatDelivery)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ch := range d.watchers[id] {
		// Every send on a registered channel happens under d.mu, so the length cannot grow under us.
		if len(ch) < cap(ch)-1 {
			ch <- Update{Progress: &p}
		}
	}
}

func (d *Deliverer) finish(o Outcome) {
	d.mu.Lock()
	chs := d.watchers[o.Job.ID]
	delete(d.watchers, o.Job.ID)
	d.mu.Unlock()
	for _, ch := range chs {
		ch <- Update{Outcome: &o} // never blocks: report leaves the last slot free
		close(ch)
	}
}

// Stop holds job id instead of sending it (staff pressed Stop and confirmed). A mail already on its way is
// finished: cutting DATA short could not take it back.
func (d *Deliverer) Stop(id string) {
	d.mu.Lock()
	d.stopped[id] = true
	d.mu.Unlock()
	unlock, err := d.sp.Lock(id)
	if err != nil {
		return // an attempt is running: attempted holds the job if it was not sent
	}
	defer unlock()
	if j, err := d.sp.Get(id); err == nil && j.State != spool.Sent {
		d.hold(j)
	}
}

func (d *Deliverer) isStopped(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stopped[id]
}

// hold marks a stopped job held: not an error, it waits for someone to retry or delete it.
func (d *Deliverer) hold(j *spool.Job) {
	j.State, j.Stopped = spool.Held, true
	j.LastResult, j.LastDetail = "Stopped", "Stopped with the Stop key; retry it from the queue to send it."
	d.update(j)
	d.finish(Outcome{Job: j})
}

// idleWait is the longest the loop sleeps when nothing is due: jobs queued by another process (gateway send)
// are noticed within it.
const idleWait = 5 * time.Second

// Run recovers interrupted jobs, then delivers until ctx ends. When ctx ends during an attempt, the mail in
// flight may finish within shutdownGrace; a server that takes longer is cut off and the job stays queued.
func (d *Deliverer) Run(ctx context.Context) error {
	if rec, err := d.sp.Recover(); err != nil {
		d.g.opts.Log.Error("recovering the spool", "err", err)
	} else if len(rec) > 0 {
		d.g.opts.Log.Info("recovered interrupted jobs", "jobs", len(rec))
	}
	defer d.g.beatDelivery.Store(0)
	for {
		d.g.beat(&d.g.beatDelivery)
		next := d.Step(ctx)
		d.g.beat(&d.g.beatDelivery)
		if ctx.Err() != nil {
			return nil
		}
		wait := idleWait
		if !next.IsZero() {
			wait = min(max(next.Sub(d.g.opts.Now()), 0), idleWait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.kick:
			d.g.opts.Log.Debug("delivery loop kicked: looking at the queue")
		case <-t.C:
		}
		t.Stop()
	}
}

// Ages past which the spool lets go of what it kept: a sent job's record (its files go at once), which a send
// command waiting in another process reads; a pull cut short that nobody continued is kept as long as a job
// is retried (spool.lifetime).
const (
	sentRecordAge = time.Hour
	sweepEvery    = time.Minute
)

// Step makes one pass: it attempts every due job once, in one session, and returns when the next deferred job
// falls due (zero when none waits). A spool problem is logged and retried at the next pass; it never stops the
// loop. When ctx ends during an attempt, the mail in flight has shutdownGrace to finish.
func (d *Deliverer) Step(ctx context.Context) time.Time {
	now := d.g.opts.Now()
	d.sweep(now)
	d.keepSignedIn(ctx, now)
	if d.g.s().setup {
		return time.Time{} // no account to send with: the jobs wait
	}
	if h := d.accountHeld(); h != nil {
		d.holdQueued(h)
		return time.Time{}
	}
	jobs, broken, err := d.sp.List()
	if err != nil {
		d.g.opts.Log.Error("reading the spool", "err", err)
		return now.Add(time.Minute)
	}
	for _, b := range broken {
		if !d.told[b.ID] {
			d.told[b.ID] = true
			d.g.opts.Log.Warn("unreadable job: delete it from the queue", "job", b.ID, "err", b.Err)
		}
	}
	var due []*spool.Job
	next := time.Time{}
	for _, j := range jobs {
		if j.Due(now) {
			due = append(due, j)
		} else if j.State == spool.Deferred && (next.IsZero() || j.NextAttempt.Before(next)) {
			next = j.NextAttempt
		}
	}
	if len(due) == 0 || ctx.Err() != nil {
		return next
	}
	sctx, cancel := withGrace(ctx, shutdownGrace)
	defer cancel()
	d.deliver(ctx, sctx, due)
	// Deferrals made now are due later; the caller computes the wait from the spool on the next pass.
	return d.nextDue()
}

// shutdownGrace is how long a mail in flight may still take once the loop is told to stop: enough for a
// healthy server to take the rest of a scan, short enough that a stuck one never holds the process
// (systemd and the board's watchdog expect a service to end within seconds).
const shutdownGrace = 1500 * time.Millisecond

// errShutdown is the cause of a session cut off at shutdown.
var errShutdown = errors.New("appliance: stopped while sending")

// withGrace returns a context that ends grace after ctx ends.
func withGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	gctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, func() { cancel(errShutdown) })
		context.AfterFunc(gctx, func() { t.Stop() })
	})
	return gctx, func() {
		stop()
		cancel(context.Canceled)
	}
}

// sweep lets the spool drop what it no longer needs, at most once every sweepEvery.
func (d *Deliverer) sweep(now time.Time) {
	if now.Sub(d.lastSweep) < sweepEvery {
		return
	}
	d.lastSweep = now
	sw, err := d.sp.Sweep(now, sentRecordAge, d.g.policy().WithDefaults().Lifetime)
	if err != nil {
		d.g.opts.Log.Error("tidying the spool", "err", err)
	}
	if sw.Kept {
		d.g.opts.Log.Info("a pull cut short was not continued: its files are removed", "age_limit", d.g.policy().WithDefaults().Lifetime)
	}
}

// keepSignedInEvery is how often the loop lets an OAuth account's refresh token be used when it has been idle
// (oauth.IdleRefresh decides whether it is due).
const keepSignedInEvery = time.Hour

// keepSignedIn keeps an idle OAuth account signed in: unused refresh tokens lapse. Once an hour at most.
func (d *Deliverer) keepSignedIn(ctx context.Context, now time.Time) {
	tokens := d.g.s().tokens
	if tokens == nil || now.Sub(d.lastFresh) < keepSignedInEvery || ctx.Err() != nil {
		return
	}
	d.lastFresh = now
	refreshed, err := tokens.KeepFresh(ctx)
	switch {
	case err != nil:
		_, long := Explain(err)
		d.g.opts.Log.Warn("keeping the OAuth sign-in fresh", "result", long)
	case refreshed:
		d.g.opts.Log.Info("OAuth sign-in kept fresh: the refresh token was used while idle")
	}
}

func (d *Deliverer) nextDue() time.Time {
	jobs, _, _ := d.sp.List()
	var next time.Time
	for _, j := range jobs {
		if j.State == spool.Queued {
			return d.g.opts.Now()
		}
		if j.State == spool.Deferred && (next.IsZero() || j.NextAttempt.Before(next)) {
			next = j.NextAttempt
		}
	}
	return next
}

// accountHeld returns the account hold, or nil. A hold set under other settings is lifted here, and jobs held
// with the account go back to the queue.
func (d *Deliverer) accountHeld() *spool.Hold {
	h, err := d.sp.GetHold()
	if err != nil {
		d.g.opts.Log.Error("reading the account hold", "err", err)
		return &spool.Hold{Result: "Spool error", Detail: err.Error()}
	}
	if h != nil && h.Account == d.g.s().holdKey() {
		return h
	}
	if h != nil {
		d.g.opts.Log.Info("the account settings or its sign-in changed: lifting the hold", "was", h.Result)
		if err := d.sp.ClearHold(); err != nil {
			d.g.opts.Log.Error("lifting the account hold", "err", err)
		}
	}
	d.changeJobs(func(j *spool.Job) bool { return j.State == spool.Held && j.AccountHold },
		func(j *spool.Job) { j.State, j.AccountHold = spool.Queued, false })
	return nil
}

// holdQueued holds the jobs queued while the account is held, and tells whoever waits for them.
func (d *Deliverer) holdQueued(h *spool.Hold) {
	held := d.changeJobs(func(j *spool.Job) bool { return j.State == spool.Queued }, func(j *spool.Job) {
		j.State, j.AccountHold, j.LastResult, j.LastDetail = spool.Held, true, h.Result, h.Detail
	})
	for _, j := range held {
		d.finish(Outcome{Job: j})
	}
}

// changeJobs makes change to every job that match selects, each under the job's lock and read afresh, so that
// what another process did meanwhile (gateway queue retry) is not overwritten; a job busy elsewhere is left
// for the next pass. It returns the jobs changed.
func (d *Deliverer) changeJobs(match func(*spool.Job) bool, change func(*spool.Job)) []*spool.Job {
	jobs, _, err := d.sp.List()
	if err != nil {
		d.g.opts.Log.Error("reading the spool", "err", err)
		return nil
	}
	var changed []*spool.Job
	for _, j := range jobs {
		if !match(j) {
			continue
		}
		unlock, err := d.sp.Lock(j.ID)
		if err != nil {
			continue
		}
		if j, err = d.sp.Get(j.ID); err == nil && match(j) {
			change(j)
			d.update(j)
			changed = append(changed, j)
		}
		unlock()
	}
	return changed
}

// update writes the job's new state; a failure is logged: the loop goes on, and the job's file keeps its last
// state, which Recover and the next pass make good.
func (d *Deliverer) update(j *spool.Job) {
	if err := d.sp.Update(j); err != nil {
		d.g.opts.Log.Error("updating job", "job", j.Number, "err", err)
	}
}

// accountFingerprint identifies the account settings, so that a hold is lifted when they change. It is made
// of the settings as written (and the CA file's content), so that it is the same in every process.
func accountFingerprint(a config.Account, o *config.OAuth, auth config.Auth, pw, token secret.Secret) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", a.Server, a.Security, a.User, pw.Reveal(),
		token.Reveal(), strings.Join(auth.Mechanisms, ","), a.PinSHA256, a.ClientCert, a.ClientKey)
	if o != nil {
		fmt.Fprintf(h, "\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", o.Provider, o.ClientID, o.Tenant, o.DeviceAuthURL,
			o.TokenURL, strings.Join(o.Scopes, " "), o.Store)
	}
	if a.CAFile != "" {
		if b, err := os.ReadFile(a.CAFile); err == nil {
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// holdKey identifies what an account hold is about: the account settings and, for an account that signs in
// with OAuth, the sign-in, so that a new sign-in (here, on the panel, or by gateway signin in another process)
// releases the jobs held for want of one.
func (s *settings) holdKey() string {
	if s.tokens == nil {
		return s.fingerprint
	}
	return s.fingerprint + "/" + s.tokens.Status().Generation()
}

// deliver attempts the due jobs in one session, which lives as long as sctx; once ctx ends it starts no other
// job.
func (d *Deliverer) deliver(ctx, sctx context.Context, due []*spool.Job) {
	sess, err := d.dial(sctx)
	if err != nil {
		// Nothing was sent: every due job shares the outcome of the connection.
		for _, j := range due {
			d.attempted(j, err, nil, 0)
		}
		return
	}
	d.g.upstreamSize.Store(sizeLimit(sess))
	defer func() {
		if sess != nil {
			sess.Quit()
		}
	}()
	for _, j := range due {
		if ctx.Err() != nil {
			return // SIGTERM: the mail in flight was finished; start no other
		}
		unlock, err := d.sp.Lock(j.ID)
		if err != nil {
			continue // another process is at it
		}
		broken := d.attemptOne(sess, j)
		unlock()
		if broken {
			sess.Close()
			sess = nil
			return // the next pass dials again
		}
	}
}

// dial opens a session with the account. When the server refuses an OAuth token that came from the store, the
// token is refreshed and the session dialled once more: the provider may have revoked it early (a changed
// password, a revoked sign-in), and only a refresh tells whether the account must sign in again.
func (d *Deliverer) dial(ctx context.Context) (*submit.Session, error) {
	s := d.g.s()
	acct, err := s.sessionAccount(ctx, false)
	if err != nil {
		return nil, err
	}
	sess, err := submit.Dial(ctx, acct, d.g.submitOptions())
	if s.tokens == nil || !errors.Is(err, smtpauth.ErrCredentials) || !tokenMechanism(err) {
		return sess, err
	}
	d.g.opts.Log.Info("the mail server refused the OAuth token: refreshing it", "reply", reply(err))
	if acct, err = s.sessionAccount(ctx, true); err != nil {
		return nil, err
	}
	return submit.Dial(ctx, acct, d.g.submitOptions())
}

// attemptOne sends one job in the open session and reports whether the session is broken.
func (d *Deliverer) attemptOne(sess *submit.Session, j *spool.Job) (broken bool) {
	j, err := d.sp.Get(j.ID) // fresh: another process may have changed it
	if err != nil || !j.Due(d.g.opts.Now()) {
		return false
	}
	if d.isStopped(j.ID) {
		d.hold(j)
		return false
	}
	j.State, j.LastAttempt = spool.Sending, d.g.opts.Now()
	j.Attempts++
	if err := d.sp.Update(j); err != nil {
		d.g.opts.Log.Error("updating job", "job", j.ID, "err", err)
		return false
	}
	if err := d.g.prepare(d.sp, j); err != nil {
		d.attempted(j, err, nil, 0)
		return false
	}
	refused, sent, err := d.send(sess, j)
	d.attempted(j, err, refused, sent)
	return err != nil && submit.IsTemporary(err)
}

// send submits the job's mail, or its parts when the server's size limit asks for a split. It returns the
// recipients refused and the bytes sent.
func (d *Deliverer) send(sess *submit.Session, j *spool.Job) ([]submit.RcptError, int64, error) {
	dir := d.sp.JobDir(j.ID)
	if len(j.Parts) == 0 {
		st, err := os.Stat(filepath.Join(dir, messageFile))
		if err != nil {
			return nil, 0, err
		}
		limit := sizeLimit(sess)
		if limit == 0 || st.Size() <= limit {
			return d.sendFile(sess, j, filepath.Join(dir, messageFile))
		}
		if asStored(j) {
			return nil, 0, fmt.Errorf("%w: the mail is %d KB and the server now accepts %d KB; a relayed mail cannot be split like a scan: delete it, or have it sent again in smaller mails",
				submit.ErrTooLarge, (st.Size()+1023)>>10, limit>>10)
		}
		parts, err := d.g.split(d.sp, j, limit)
		if err != nil {
			return nil, 0, err
		}
		j.Parts = parts
		if err := d.sp.Update(j); err != nil {
			return nil, 0, err
		}
	}
	var refused []submit.RcptError
	var total int64
	for i := range j.Parts {
		if j.Parts[i].Sent {
			continue
		}
		r, n, err := d.sendFile(sess, j, filepath.Join(dir, partFile(i, ".eml")))
		if err != nil {
			return refused, total, err
		}
		refused, total = append(refused, r...), total+n
		j.Parts[i].Sent = true
		d.journalPart(j, i, n)
		if err := d.sp.Update(j); err != nil {
			// The part went, but the spool cannot say so: a later attempt would send it again. Stop here
			// rather than send more parts the spool cannot account for.
			return refused, total, fmt.Errorf("appliance: recording part %d of job %d as sent: %w", i+1, j.Number, err)
		}
	}
	return refused, total, nil
}

// sendFile submits one composed mail of the job.
func (d *Deliverer) sendFile(sess *submit.Session, j *spool.Job, path string) ([]submit.RcptError, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	d.report(j.ID, Progress{Stage: StageSending, Total: st.Size()})
	from := j.From
	if a, err := mail.ParseAddress(j.From); err == nil {
		from = a.Address
	}
	body := &progressReader{r: f, total: st.Size(), report: func(p Progress) { d.report(j.ID, p) }}
	refused, err := sess.Send(submit.Envelope{From: from, To: j.To, Size: st.Size(), EightBit: j.EightBit}, body)
	return refused, st.Size(), err
}

// sizeLimit is the server's SIZE limit, or 0 when it announced none.
func sizeLimit(sess *submit.Session) int64 {
	ok, v := sess.Extension("SIZE")
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// journalPart records one part of a split job as sent.
func (d *Deliverer) journalPart(j *spool.Job, i int, bytes int64) {
	p := j.Parts[i]
	e := spool.Entry{Time: d.g.opts.Now(), Job: j.Number, Part: fmt.Sprintf("%d/%d", i+1, len(j.Parts)),
		DestName: j.DestName, To: j.To, Pages: p.Last - p.First + 1, Bytes: bytes, Outcome: "sent", Code: 250, Source: j.Source,
		Result: "Sent", Detail: fmt.Sprintf("Part %d of %d (pages %d-%d) accepted.", i+1, len(j.Parts), p.First, p.Last)}
	if err := d.sp.Journal(e); err != nil {
		d.g.opts.Log.Error("writing the journal", "err", err)
	}
}

// attempted records the outcome of an attempt: the job's new state, the journal line, the watchers.
func (d *Deliverer) attempted(j *spool.Job, err error, refused []submit.RcptError, bytes int64) {
	now := d.g.opts.Now()
	if j.State != spool.Sending { // the session failed before this job's turn: it counts as an attempt
		j.Attempts++
		j.LastAttempt = now
	}
	act := decide(err)
	if act != actSent && d.isStopped(j.ID) {
		d.hold(j)
		return
	}
	short, long := Explain(err)
	code, enh := replyCodes(err)
	entry := spool.Entry{Time: now, Job: j.Number, DestName: j.DestName, To: j.To, Pages: j.Pages, Code: code, Enhanced: enh,
		Source: j.Source}
	switch act {
	case actSent:
		j.State, j.NextAttempt = spool.Sent, time.Time{}
		short, long = "Sent", "The mail server accepted the mail."
		if n := len(j.Parts); n > 0 {
			short = fmt.Sprintf("Sent in %d parts", n)
			long = fmt.Sprintf("The mail was too large for the server, so it went in %d parts; all were accepted.", n)
		}
		entry.Code, entry.Bytes = 250, bytes
		j.Refused = nil
		for _, r := range refused {
			j.Refused = append(j.Refused, r.Addr)
			long += fmt.Sprintf(" It refused %s: %s.", r.Addr, r.Err.Reply)
		}
		if len(refused) > 0 {
			short = fmt.Sprintf("Sent, %d refused", len(refused))
		}
	case actDefer:
		at, expired := d.g.policy().Next(j.Attempts, j.Created, now, d.jitter())
		if expired {
			act = actFail
			j.State = spool.Failed
			short, long = "Gave up", "Gave up after retrying for "+d.g.policy().WithDefaults().Lifetime.String()+": "+long
		} else {
			j.State, j.NextAttempt = spool.Deferred, at
			retry := RetryTime(at)
			short = short + " - retry " + retry
			long = long + " The " + noun(j) + " stays queued; next attempt at " + retry + "."
		}
	case actHoldJob:
		j.State = spool.Held
	case actRequeue:
		j.State = spool.Queued
		short, long = "Interrupted", "The gateway was stopped while sending; the "+noun(j)+" stays queued and goes out when it runs again."
	case actHoldAccount:
		j.State, j.AccountHold = spool.Held, true
		d.holdAccount(short, long, now)
	case actFail:
		j.State = spool.Failed
	}
	j.LastResult, j.LastDetail = short, long
	d.update(j)
	entry.Outcome, entry.Result, entry.Detail = actionNames[act], short, long
	if len(refused) > 0 {
		entry.Outcome = "sent, refused " + strings.Join(j.Refused, ", ")
	}
	if act == actSent && len(j.Parts) > 0 {
		// The parts have their journal lines already.
	} else if jerr := d.sp.Journal(entry); jerr != nil {
		d.g.opts.Log.Error("writing the journal", "err", jerr)
	}
	d.bounce(j, act, err, refused)
	if act == actSent {
		if terr := d.sp.Tidy(j); terr != nil {
			d.g.opts.Log.Error("removing the files of a sent job", "job", j.Number, "err", terr)
		}
	}
	d.g.opts.Log.Info("job "+actionNames[act], "job", j.Number, "to", strings.Join(j.To, ","), "pages", j.Pages,
		"bytes", bytes, "result", long)
	d.finish(Outcome{Job: j, Err: err})
}

// holdAccount holds the account and every job waiting in the queue with it.
func (d *Deliverer) holdAccount(short, long string, now time.Time) {
	if err := d.sp.SetHold(spool.Hold{Since: now, Result: short, Detail: long, Account: d.g.s().holdKey()}); err != nil {
		d.g.opts.Log.Error("holding the account", "err", err)
	}
	d.changeJobs(func(j *spool.Job) bool { return j.State == spool.Queued || j.State == spool.Deferred }, func(j *spool.Job) {
		j.State, j.AccountHold, j.LastResult, j.LastDetail = spool.Held, true, short, long
	})
}

// progressReader reports sending progress about every percent.
type progressReader struct {
	r      io.Reader
	done   int64
	total  int64
	last   int64
	report func(Progress)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.last >= p.total/100 || err == io.EOF {
		p.last = p.done
		p.report(Progress{Stage: StageSending, Done: p.done, Total: p.total})
	}
	return n, err
}

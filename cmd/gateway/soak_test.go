//go:build soak

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/device/mfpsim"
)

// Soak test: an office's day of scans in half a minute. One delivery daemon runs against a real Postfix (AUTH over
// STARTTLS) while 200 scans are queued beside it with "gateway send --no-wait". Every scan must arrive, and
// the daemon must not grow: neither its resident memory, nor its open files, nor the spool it leaves behind.
// Only the outcome and the footprint are checked; the speeds are logged, never asserted.
//
// Run it with: go test -tags soak -count=1 -run TestSoak -v ./cmd/gateway/
func TestSoak(t *testing.T) {
	const (
		jobs = 200
		// The office queues in bursts (someone feeds a stack of documents) while the daemon runs, so that it
		// finds new work on several passes and opens several SMTP sessions: a leak per session shows. Within a
		// burst, queueWorkers "send --no-wait" run at once.
		burst        = 10
		burstEvery   = time.Second
		queueWorkers = 4
		// baselineAfter is how many mails must have arrived before the daemon's footprint is taken as the
		// baseline: by then it has read its settings, opened the spool, and been through TLS, AUTH and a score
		// of mail transactions.
		baselineAfter = 20
		// maxSpoolBytes bounds what the spool may hold once every job is sent: the journal and the bookkeeping,
		// not the scans.
		maxSpoolBytes = 8 << 20
		// maxRSSGrowth bounds the daemon's resident memory at the end against the baseline.
		maxRSSGrowth = 1.5
		// fdSlack is how many more open files than at the baseline the idle daemon may hold at the end.
		fdSlack = 4
		// deliveryGuard bounds queueing and delivering all the jobs; it is a hang guard, not a speed check.
		deliveryGuard = 150 * time.Second
		// drainGuard bounds the wait for the daemon to record the last outcomes once the last mail arrived.
		drainGuard = 15 * time.Second
		// spoolSettle is how long the spool is given to shrink after the queue is empty: longer than the
		// daemon's idle pass, so cleanup done on the next pass is seen.
		spoolSettle = 8 * time.Second
		// stopGuard bounds the daemon's exit after SIGTERM; it is a hang guard, not a speed check.
		stopGuard = 20 * time.Second
		// pollEvery is how often the Maildir and the daemon are looked at.
		pollEvery = 20 * time.Millisecond
	)
	// The private Postfix needs its packages and root: without them the test is skipped, or fails under
	// SCANGATE_INTEGRATION=1.
	pf, dir, cfgFile, spoolDir := postfixGateway(t)
	// Scans of 3, 6 and 9 pages in turn, so that the mails differ in size the whole way through and the
	// baseline and the end see the same mix. Each copy has its own name, as separate files from the machine do.
	sample := mfpsim.SamplePages().Data
	var scans []string
	for _, name := range []string{"scan-a.tif", "scan-b.tif", "scan-c.tif"} {
		path := filepath.Join(dir, name)
		soakWrite(t, path, sample)
		scans = append(scans, path)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The daemon runs first, as on the board: the office queues while it delivers.
	run := exec.Command(gatewayBin, "run", "--board", "none", "-config", cfgFile)
	var runErr lockedBuffer
	run.Stderr = &runErr
	runStart := time.Now()
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	pid := run.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- run.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			run.Process.Kill()
			<-exited
		}
	})

	rcpt := func(i int) string { return fmt.Sprintf("job%03d@example.com", i+1) }
	queue := soakQueue(ctx, jobs, burst, burstEvery, queueWorkers, func(i int) []string {
		return append([]string{"send", "-config", cfgFile, "--no-wait", "--to", rcpt(i)}, scans[:1+i%3]...)
	})

	// Each file of the Maildir is read once, as it appears.
	arrived := map[string][]string{} // recipient → Message-IDs, one per mail delivered
	read := map[string]bool{}
	var mailBytes int64
	var lastArrival time.Time
	scan := func() {
		entries, err := os.ReadDir(filepath.Join(pf.Maildir, "new"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if read[e.Name()] {
				continue
			}
			read[e.Name()] = true
			to, id, size := soakHeader(t, filepath.Join(pf.Maildir, "new", e.Name()))
			arrived[to] = append(arrived[to], id)
			mailBytes += size
			lastArrival = time.Now()
		}
	}

	// Watch until every recipient has its mail.
	var baseline, peak soakProc
	baselineAt := 0
	deadline := runStart.Add(deliveryGuard)
	for len(arrived) < jobs {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the daemon exited while jobs were outstanding: %v\n%s", err, runErr.String())
		case err := <-queue.failed:
			t.Fatalf("queueing: %v\ndaemon:\n%s", err, runErr.String())
		case <-time.After(pollEvery):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d recipients have their mail after %v (%d jobs queued)\ndaemon:\n%s\nmail log:\n%s",
				len(arrived), jobs, deliveryGuard, queue.done(), runErr.String(), soakTail(pf.Log(), 4000))
		}
		scan()
		p, err := soakSample(pid)
		if err != nil {
			t.Fatalf("reading the daemon's /proc entry: %v", err)
		}
		peak.max(p)
		if baselineAt == 0 && len(arrived) >= baselineAfter {
			baseline, baselineAt = p, len(arrived)
		}
	}
	queued := queue.wait()

	// The last mail is in; the daemon records the last outcomes and goes idle. The queue as the operator
	// sees it says when.
	drainEnd := time.Now().Add(drainGuard)
	for {
		r := gateway(t, "queue", "-config", cfgFile)
		if strings.Contains(r.stdout, "The queue is empty.") {
			break
		}
		if time.Now().After(drainEnd) {
			t.Fatalf("the queue is not empty %v after the last mail arrived:\n%s%s\ndaemon:\n%s",
				drainGuard, r.stdout, r.stderr, runErr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	end, err := soakSample(pid)
	if err != nil {
		t.Fatalf("reading the daemon's /proc entry: %v", err)
	}
	peak.max(end)

	// Sent jobs may be cleared at once or on the daemon's next pass: give the spool one idle pass to shrink.
	var usage soakUsage
	for settle := time.Now().Add(spoolSettle); ; time.Sleep(250 * time.Millisecond) {
		usage = soakSpoolUsage(t, spoolDir)
		if usage.bytes < maxSpoolBytes || time.Now().After(settle) {
			break
		}
	}

	run.Process.Signal(syscall.SIGTERM)
	termAt := time.Now()
	var exitErr error
	select {
	case exitErr = <-exited:
		stopped = true
	case <-time.After(stopGuard):
		t.Fatalf("the daemon did not exit within %v of SIGTERM\n%s", stopGuard, runErr.String())
	}
	stopTook := time.Since(termAt)
	took := lastArrival.Sub(runStart)
	scan() // a mail sent twice may land after the last recipient had its first

	duplicates := 0
	var dupNotes []string
	for i := range jobs {
		ids := arrived[rcpt(i)]
		switch {
		case len(ids) == 0:
			t.Errorf("%s: no mail arrived", rcpt(i))
		case len(ids) > 1:
			for _, id := range ids[1:] {
				if id != ids[0] {
					t.Errorf("%s: two different mails arrived (Message-IDs %s and %s)", rcpt(i), ids[0], id)
				}
			}
			duplicates += len(ids) - 1
			dupNotes = append(dupNotes, fmt.Sprintf("%s ×%d (%s)", rcpt(i), len(ids), ids[0]))
		}
		delete(arrived, rcpt(i))
	}
	for to := range arrived {
		t.Errorf("a mail arrived for %q, which no job was sent to", to)
	}

	sessions, mails := soakSessions(pf.Log())
	t.Logf("queueing: %d jobs in bursts of %d every %v, %d at a time, in %.1f s; one send --no-wait took %v on "+
		"average for the first 20 jobs, %v for the last 20, %v at most",
		jobs, burst, burstEvery, queueWorkers, queued.took.Seconds(),
		queued.meanFirst(20).Round(time.Millisecond), queued.meanLast(20).Round(time.Millisecond),
		queued.slowest.Round(time.Millisecond))
	t.Logf("delivery: %d mails (%.1f MB) in %.1f s from the daemon's start: %.1f jobs/s; the last arrived %.1f s "+
		"after the last was queued; %d SMTP sessions carried %d mails; %d duplicates (same Message-ID)",
		len(read), soakMB(mailBytes), took.Seconds(), float64(jobs)/took.Seconds(),
		lastArrival.Sub(queued.end).Seconds(), sessions, mails, duplicates)
	if duplicates > 0 {
		t.Logf("duplicates: %s", strings.Join(dupNotes, ", "))
	}
	t.Logf("daemon RSS: %.1f MB at the baseline (after %d mails), %.1f MB at the end (%.2fx), peak %.1f MB (VmHWM)",
		soakMB(baseline.rss), baselineAt, soakMB(end.rss), float64(end.rss)/float64(baseline.rss), soakMB(end.hwm))
	t.Logf("daemon open files: %d at the baseline, %d at the end, %d at most while delivering", baseline.fds, end.fds, peak.fds)
	t.Logf("spool: %d bytes (%.1f MB) apparent size, %d bytes (%.1f MB) on disk, %d files, %d directories",
		usage.bytes, soakMB(usage.bytes), usage.disk, soakMB(usage.disk), usage.files, usage.dirs)
	t.Logf("SIGTERM: exit after %v (%v)", stopTook.Round(time.Millisecond), exitErr)

	if usage.bytes >= maxSpoolBytes {
		t.Errorf("the spool holds %d bytes after every job was sent, want under %d: sent jobs stay on the card",
			usage.bytes, maxSpoolBytes)
	}
	if float64(end.rss) > maxRSSGrowth*float64(baseline.rss) {
		t.Errorf("the daemon's resident memory grew from %d to %d bytes, more than %.1fx", baseline.rss, end.rss, maxRSSGrowth)
	}
	if end.fds > baseline.fds+fdSlack {
		t.Errorf("the daemon holds %d open files at the end, %d at the baseline: it leaks descriptors", end.fds, baseline.fds)
	}
	if exitErr != nil {
		t.Errorf("the daemon's exit after SIGTERM: %v\n%s", exitErr, runErr.String())
	}
	if s := runErr.String(); strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") {
		t.Errorf("the daemon crashed:\n%s", s)
	} else if w := warnings(s); w != "" {
		t.Logf("the daemon warned:\n%s", soakTail(w, 4000))
	}
}

// warnings keeps the lines of a log above INFO (each delivery has an INFO line).
func warnings(log string) string {
	var keep []string
	for _, l := range strings.Split(log, "\n") {
		if l != "" && !strings.HasPrefix(l, "level=INFO ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func soakWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// soakQueued is the record of the queueing: how long it took in all and how long each send took.
type soakQueued struct {
	took    time.Duration
	end     time.Time       // when the last send ended
	each    []time.Duration // by job
	slowest time.Duration
}

func (q soakQueued) meanFirst(n int) time.Duration { return soakMean(q.each[:min(n, len(q.each))]) }
func (q soakQueued) meanLast(n int) time.Duration {
	return soakMean(q.each[len(q.each)-min(n, len(q.each)):])
}

func soakMean(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}

// soakQueuer runs the sends in the background.
type soakQueuer struct {
	failed chan error // the first send that failed
	result chan soakQueued
	mu     sync.Mutex
	n      int
}

func (q *soakQueuer) done() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// wait returns the record once every send has ended.
func (q *soakQueuer) wait() soakQueued { return <-q.result }

// soakQueue runs "gateway send --no-wait" for jobs 0..n-1 with the arguments args(i), in the job order: a
// burst of jobs every pace, workers at a time.
func soakQueue(ctx context.Context, n, burst int, pace time.Duration, workers int, args func(i int) []string) *soakQueuer {
	q := &soakQueuer{failed: make(chan error, 1), result: make(chan soakQueued, 1)}
	next := make(chan int)
	rec := soakQueued{each: make([]time.Duration, n)}
	var wg sync.WaitGroup
	var once sync.Once
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range next {
				began := time.Now()
				cmd := exec.CommandContext(ctx, gatewayBin, args(i)...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				took := time.Since(began)
				if err == nil && !strings.HasPrefix(stdout.String(), "Queued as job #") {
					err = errors.New("no job number")
				}
				if err != nil {
					once.Do(func() {
						q.failed <- fmt.Errorf("job %d: %v\n%s%s", i+1, err, stdout.String(), stderr.String())
					})
					continue
				}
				q.mu.Lock()
				rec.each[i] = took
				rec.slowest = max(rec.slowest, took)
				q.n++
				q.mu.Unlock()
			}
		})
	}
	go func() {
	feed:
		for i := range n {
			if i%burst == 0 {
				select {
				case <-time.After(time.Until(start.Add(time.Duration(i/burst) * pace))):
				case <-ctx.Done():
					break feed
				}
			}
			select {
			case next <- i:
			case <-ctx.Done():
				break feed
			}
		}
		close(next)
		wg.Wait()
		rec.end = time.Now()
		rec.took = rec.end.Sub(start)
		q.result <- rec
	}()
	return q
}

// soakHeader reads the envelope recipient (X-Original-To, added by Postfix), the Message-ID and the size of
// a delivered mail.
func soakHeader(t *testing.T, path string) (to, id string, size int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bufio.NewReader(f))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	to, id = m.Header.Get("X-Original-To"), m.Header.Get("Message-Id")
	if to == "" || id == "" {
		t.Fatalf("%s: X-Original-To %q, Message-ID %q", path, to, id)
	}
	return to, id, st.Size()
}

// soakSessions counts the authenticated SMTP sessions in Postfix's mail log and the mails they carried, from
// the statistics smtpd logs as a client disconnects ("disconnect from ... auth=1 mail=12 ...").
func soakSessions(log string) (sessions, mails int) {
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, " disconnect from ") || !strings.Contains(line, " auth=1") {
			continue
		}
		sessions++
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "mail="); ok {
				n, _ := strconv.Atoi(strings.Split(v, "/")[0])
				mails += n
			}
		}
	}
	return sessions, mails
}

// soakProc is a sample of a process's footprint from /proc.
type soakProc struct {
	rss, hwm int64 // resident memory now and at its peak, bytes
	fds      int   // open file descriptors
}

func (p *soakProc) max(q soakProc) {
	p.rss, p.hwm, p.fds = max(p.rss, q.rss), max(p.hwm, q.hwm), max(p.fds, q.fds)
}

func soakSample(pid int) (soakProc, error) {
	var p soakProc
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			p.rss = kb << 10
		case "VmHWM:":
			p.hwm = kb << 10
		}
	}
	if p.rss == 0 {
		return p, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return p, err
	}
	p.fds = len(fds)
	return p, nil
}

// soakUsage is what a directory tree takes: the sum of the sizes of its entries (du --apparent-size) and the
// blocks they occupy (du).
type soakUsage struct {
	bytes, disk int64
	files, dirs int
}

func soakSpoolUsage(t *testing.T, dir string) soakUsage {
	t.Helper()
	var u soakUsage
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while the walk ran
		}
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(path, &st); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				return nil
			}
			return err
		}
		u.bytes += st.Size
		u.disk += st.Blocks * 512 // st_blocks counts 512-byte units whatever the file system's block size
		if d.IsDir() {
			u.dirs++
		} else {
			u.files++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func soakTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func soakMB(b int64) float64 { return float64(b) / (1 << 20) }

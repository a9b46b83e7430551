package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pollInterval bounds each single Read so that a blocked transfer notices
// its context being cancelled within this time.
const pollInterval = 100 * time.Millisecond

// linkBufSize is the read buffer of a link: room for a few 1K blocks.
const linkBufSize = 4096

// cancelWait bounds how long the cancel sequence may take to go out once a
// transfer has failed or its context is done: a peer that holds the line
// with flow control must not keep the transfer from ending.
const cancelWait = 500 * time.Millisecond

// errQuiet is returned by link reads whose own wait elapsed while the idle
// timeout still had time left; the protocol decides whether to ask again.
var errQuiet = errors.New("device: line quiet")

// link is the single place where protocol code touches a Port: buffered
// reads with a wait per call, an idle timeout over the whole transfer and
// a total bound on each file received, context checks, writes, and
// cancelling the peer.
type link struct {
	ctx   context.Context
	p     Port
	now   func() time.Time
	idle  time.Duration // the transfer's idle timeout
	buf   [linkBufSize]byte
	r, w  int
	heard time.Time // when the peer last sent something (start of the link before that)
	spoke bool      // the peer has sent at least one byte
	// single makes every Read ask for one byte only, so that the link
	// never takes bytes meant for the next transfer on the same port. A
	// sender, which reads only short replies, uses it: the receiver's next
	// request may follow its last reply closely.
	single bool

	// A receiver's link bounds the total time of each file (see
	// Options.FileTime) and reports its progress.
	opts Options
	file fileClock
}

// fileClock follows the file being received, for its total bound.
type fileClock struct {
	on    bool
	start time.Time // when the receiver asked for the file
	size  int64     // announced size, -1 if unknown
	got   int64     // bytes of the file received so far
}

func newLink(ctx context.Context, p Port, idle time.Duration, now func() time.Time) *link {
	return &link{ctx: ctx, p: p, now: now, idle: idle, heard: now()}
}

// receiving makes l the link of a receiver with opts: it bounds each file
// the receiver announces with startFile and reports progress to
// opts.Progress.
func (l *link) receiving(opts Options) *link {
	l.opts = opts
	return l
}

// startFile starts the total bound of the next file: from now, for a file
// whose size is not known yet.
func (l *link) startFile() {
	l.file = fileClock{on: true, start: l.now(), size: -1}
}

// fileSize sets the announced size of the current file (-1 if unknown);
// its bound still runs from startFile.
func (l *link) fileSize(size int64) {
	l.file.size = size
}

// endFile stops the total bound: the batch is over.
func (l *link) endFile() {
	l.file.on = false
}

// progress notes how far the current file has come and reports it.
func (l *link) progress(p Progress) {
	l.file.got = p.Bytes
	l.opts.report(p)
}

// fileEnd returns when the current file's total bound runs out, and false
// if no file is under way. Data beyond the assumed size of a file of
// unknown size extends its bound, so that only a line that is far too
// slow runs out of time.
func (l *link) fileEnd() (time.Time, bool) {
	f := l.file
	if !f.on {
		return time.Time{}, false
	}
	size := f.size
	if size < 0 {
		size = AssumedSize
	}
	return f.start.Add(l.opts.FileTime(max(size, f.got))), true
}

// slowFile is the error of a file whose total bound ran out.
func (l *link) slowFile() error {
	f := l.file
	of := "of a file of unannounced size"
	if f.size >= 0 {
		of = "of " + sizeText(f.size)
	}
	return fmt.Errorf("the machine sent %s %s in %s: far slower than %d baud: %w",
		sizeText(f.got), of, durationText(l.now().Sub(f.start)), l.opts.baud(), ErrTimeout)
}

// sizeText spells a number of bytes for a person: "830 bytes", "12.5 kB",
// "1.2 MB".
func sizeText(n int64) string {
	unit := func(v float64, name string) string {
		return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + name
	}
	switch {
	case n == 1:
		return "1 byte"
	case n < 1000:
		return strconv.FormatInt(n, 10) + " bytes"
	case n < 1000*1000:
		return unit(float64(n)/1e3, "kB")
	default:
		return unit(float64(n)/1e6, "MB")
	}
}

// durationText spells d to the second, without trailing zero units:
// "10m", "58m30s", "1h".
func durationText(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// What ends a wait of fill.
const (
	endWait = iota // the wait itself: errQuiet
	endIdle        // the idle timeout
	endFile        // the total bound of the file
)

// fill reads more bytes into the buffer, waiting at most wait. It returns
// errQuiet when wait elapsed, an error wrapping ErrTimeout when the idle
// timeout or the current file's total bound ran out first, and the
// context's error when it is done. The bound is checked before every
// read, so a peer that keeps sending does not escape it.
func (l *link) fill(wait time.Duration) error {
	if l.r == l.w {
		l.r, l.w = 0, 0
	} else if l.w == len(l.buf) {
		l.w = copy(l.buf[:], l.buf[l.r:l.w])
		l.r = 0
	}
	until, end := l.now().Add(wait), endWait
	if idleEnd := l.heard.Add(l.idle); !idleEnd.After(until) {
		until, end = idleEnd, endIdle
	}
	if fileEnd, ok := l.fileEnd(); ok && !fileEnd.After(until) {
		until, end = fileEnd, endFile
	}
	for {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		left := until.Sub(l.now())
		if left <= 0 {
			switch end {
			case endIdle:
				return fmt.Errorf("peer silent for %v: %w", l.idle, ErrTimeout)
			case endFile:
				return l.slowFile()
			}
			return errQuiet
		}
		if err := l.p.SetReadTimeout(min(left, pollInterval)); err != nil {
			return err
		}
		end := len(l.buf)
		if l.single {
			end = l.w + 1
		}
		n, err := l.p.Read(l.buf[l.w:end])
		if n > 0 {
			l.w += n
			l.heard = l.now()
			l.spoke = true
			return nil
		}
		if err != nil && !errors.Is(err, ErrTimeout) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read: %w", err)
		}
	}
}

// readByte returns the next byte, waiting at most wait for it.
func (l *link) readByte(wait time.Duration) (byte, error) {
	if l.r == l.w {
		if err := l.fill(wait); err != nil {
			return 0, err
		}
	}
	b := l.buf[l.r]
	l.r++
	return b, nil
}

// cancelled reports whether the CAN just read is followed by a second one
// within gap; any other byte is left for the next read.
func (l *link) cancelled(gap time.Duration) (bool, error) {
	b, err := l.readByte(gap)
	switch {
	case errors.Is(err, errQuiet):
		return false, nil
	case err != nil:
		return false, err
	case b == can:
		return true, nil
	}
	l.r-- // leave b for the next read
	return false, nil
}

// readFull fills p, waiting at most gap for each further chunk of bytes.
func (l *link) readFull(p []byte, gap time.Duration) error {
	for len(p) > 0 {
		if l.r == l.w {
			if err := l.fill(gap); err != nil {
				return err
			}
		}
		n := copy(p, l.buf[l.r:l.w])
		l.r += n
		p = p[n:]
	}
	return nil
}

// purge discards input until the line has been quiet for quiet, or for at
// most limit in all.
func (l *link) purge(quiet, limit time.Duration) error {
	l.r, l.w = 0, 0
	end := l.now().Add(limit)
	for l.now().Before(end) {
		err := l.fill(quiet)
		if errors.Is(err, errQuiet) {
			return nil
		}
		if err != nil {
			return err
		}
		l.r, l.w = 0, 0
	}
	return nil
}

// write sends b to the peer. It returns the context's error as soon as
// the context is done, also while the port's Write is held up (a peer
// holding the line with flow control); that Write then goes on with a
// copy of b until the port's own write timeout, or until the port is
// closed.
func (l *link) write(b ...byte) error {
	done := l.ctx.Done()
	if done == nil {
		return l.put(b) // the context can never be cancelled
	}
	if err := l.ctx.Err(); err != nil {
		return err
	}
	if err := l.putUntil(b, done); err != nil {
		if cerr := l.ctx.Err(); cerr != nil {
			return cerr
		}
		return err
	}
	return nil
}

// errWriteHeld reports a write that stop ended while the port still held
// it.
var errWriteHeld = errors.New("device: write held up by the peer")

// putUntil writes b, giving up when stop is closed first.
func (l *link) putUntil(b []byte, stop <-chan struct{}) error {
	b = slices.Clone(b)
	res := make(chan error, 1)
	go func() { res <- l.put(b) }()
	select {
	case err := <-res:
		return err
	case <-stop:
		return errWriteHeld
	}
}

// put writes b to the port.
func (l *link) put(b []byte) error {
	n, err := l.p.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// sendCancel writes a cancel sequence, waiting at most cancelWait for the
// port to take it: the transfer is over whatever the peer does.
func (l *link) sendCancel(b []byte) {
	stop := make(chan struct{})
	t := time.AfterFunc(cancelWait, func() { close(stop) })
	defer t.Stop()
	l.putUntil(b, stop)
}

// cancelCount is how many CAN bytes tell the peer to stop; lrzsz sends
// eight, and two in a row are enough for any receiver or sender.
const cancelCount = 8

// cancelledError marks a transfer the peer cancelled: it needs no CAN.
type cancelledError struct{ error }

func (e cancelledError) Unwrap() error { return e.error }

// abort asks the peer to stop after a transfer failed with err, unless the
// peer cancelled it or never showed up at all: a machine that never
// answered must not find stray cancel bytes later.
func (l *link) abort(err error) {
	var ce cancelledError
	if !l.spoke || errors.As(err, &ce) {
		return
	}
	var b [cancelCount]byte
	for i := range b {
		b[i] = can
	}
	l.sendCancel(b[:])
}

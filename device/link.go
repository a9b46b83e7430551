package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// pollInterval bounds each single Read so that a blocked transfer notices
// its context being cancelled within this time.
const pollInterval = 100 * time.Millisecond

// linkBufSize is the read buffer of a link: room for a few 1K blocks.
const linkBufSize = 4096

// errQuiet is returned by link reads whose own wait elapsed while the idle
// timeout still had time left; the protocol decides whether to ask again.
var errQuiet = errors.New("device: line quiet")

// link is the single place where protocol code touches a Port: buffered
// reads with a wait per call and an idle timeout over the whole transfer,
// context checks, writes, and cancelling the peer.
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
}

func newLink(ctx context.Context, p Port, idle time.Duration, now func() time.Time) *link {
	return &link{ctx: ctx, p: p, now: now, idle: idle, heard: now()}
}

// fill reads more bytes into the buffer, waiting at most wait. It returns
// errQuiet when wait elapsed, an error wrapping ErrTimeout when the idle
// timeout ran out first, and the context's error when it is done.
func (l *link) fill(wait time.Duration) error {
	if l.r == l.w {
		l.r, l.w = 0, 0
	} else if l.w == len(l.buf) {
		l.w = copy(l.buf[:], l.buf[l.r:l.w])
		l.r = 0
	}
	until := l.now().Add(wait)
	idleEnd := l.heard.Add(l.idle)
	idle := !idleEnd.After(until)
	if idle {
		until = idleEnd
	}
	for {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		left := until.Sub(l.now())
		if left <= 0 {
			if idle {
				return fmt.Errorf("peer silent for %v: %w", l.idle, ErrTimeout)
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

// write sends b to the peer.
func (l *link) write(b ...byte) error {
	n, err := l.p.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
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
	l.write(b[:]...)
}

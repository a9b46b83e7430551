package devicetest

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/scangate/gateway/device"
)

// Pipe returns the two ends of an in-memory, full-duplex link. Writes never
// block (the buffer grows); reads honour SetReadTimeout. Closing one end
// makes the other end's reads return io.EOF once it has read what was sent.
func Pipe() (a, b *End) {
	ab, ba := newQueue(), newQueue()
	a = &End{in: ba, out: ab, closed: make(chan struct{})}
	b = &End{in: ab, out: ba, closed: make(chan struct{})}
	return a, b
}

// End is one end of a Pipe. It implements device.Port.
type End struct {
	in, out *queue

	mu      sync.Mutex
	timeout time.Duration
	fault   Fault
	written int64 // bytes written so far, the offset passed to fault

	closeOnce sync.Once
	closed    chan struct{}
}

var _ device.Port = (*End)(nil)

// Fault changes bytes on their way to the other end: it gets each chunk
// written, with off the offset of its first byte in everything this end has
// written, and returns what the other end will read instead.
type Fault func(off int64, p []byte) []byte

// SetFault makes f change everything this end writes from now on; nil
// removes the fault.
func (e *End) SetFault(f Fault) {
	e.mu.Lock()
	e.fault = f
	e.mu.Unlock()
}

// SetReadTimeout implements device.Port.
func (e *End) SetReadTimeout(d time.Duration) error {
	e.mu.Lock()
	e.timeout = d
	e.mu.Unlock()
	return nil
}

// Read implements device.Port. It returns an error wrapping
// device.ErrTimeout when the read timeout expires.
func (e *End) Read(p []byte) (int, error) {
	e.mu.Lock()
	d := e.timeout
	e.mu.Unlock()
	var expired <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		expired = t.C
	}
	for {
		select {
		case <-e.closed:
			return 0, io.ErrClosedPipe
		default:
		}
		n, eof, wake := e.in.take(p)
		if n > 0 || len(p) == 0 {
			return n, nil
		}
		if eof {
			return 0, io.EOF
		}
		select {
		case <-wake:
		case <-e.closed:
		case <-expired:
			return 0, fmt.Errorf("devicetest: read: %w", device.ErrTimeout)
		}
	}
}

// Write implements device.Port.
func (e *End) Write(p []byte) (int, error) {
	select {
	case <-e.closed:
		return 0, io.ErrClosedPipe
	default:
	}
	e.mu.Lock()
	data := slices.Clone(p)
	if e.fault != nil {
		data = e.fault(e.written, data)
	}
	e.written += int64(len(p))
	e.mu.Unlock()
	if !e.out.put(data) {
		return 0, io.ErrClosedPipe
	}
	return len(p), nil
}

// Close implements device.Port.
func (e *End) Close() error {
	e.closeOnce.Do(func() {
		close(e.closed)
		e.out.close()
		e.in.close()
	})
	return nil
}

// queue carries the bytes of one direction.
type queue struct {
	mu     sync.Mutex
	buf    []byte
	closed bool
	wake   chan struct{} // closed and replaced whenever bytes arrive or the queue closes
}

func newQueue() *queue { return &queue{wake: make(chan struct{})} }

// take moves buffered bytes into p. With nothing buffered it reports
// whether the queue is closed, and a channel that is closed on the next
// change.
func (q *queue) take(p []byte) (n int, eof bool, wake <-chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = copy(p, q.buf)
	q.buf = q.buf[n:]
	return n, q.closed, q.wake
}

func (q *queue) put(p []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.buf = append(q.buf, p...)
	close(q.wake)
	q.wake = make(chan struct{})
	return true
}

func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.wake)
		q.wake = make(chan struct{})
	}
}

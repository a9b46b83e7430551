package device

import (
	"context"
	"fmt"
	"time"
)

// DefaultSubpacket is the data subpacket length of the ZMODEM sender when
// ZmodemOptions.Subpacket is zero, as lrzsz's sz uses.
const DefaultSubpacket = 1024

// MaxSubpacket is the longest data subpacket ZMODEM sends and accepts
// (ZMODEM-8K, as sz -8 sends).
const MaxSubpacket = maxSubpacket

// A streaming ZMODEM sender looks for a reply from the receiver (ZRPOS
// after a damaged subpacket, or a cancel) every pollEvery, or sooner once
// it has written pollBytes, so that a link with deep buffers does not
// carry much data the receiver throws away. pollWait bounds each look,
// which costs that long when nothing came.
const (
	pollEvery = 10 * time.Millisecond
	pollBytes = 64 << 10
	pollWait  = time.Millisecond
)

// ZmodemOptions are the settings of ZMODEM beyond Options.
type ZmodemOptions struct {
	// Trigger, if set, is written once by the receiver before it first
	// asks for files: a command line that makes the machine start its
	// sender, such as "sz -b /scans/*\r".
	Trigger []byte
	// Subpacket is the sender's data subpacket length in bytes:
	// DefaultSubpacket when zero, at most MaxSubpacket. A receiver that
	// announces a buffer size gets no longer subpackets than that.
	Subpacket int
	// EscapeControl makes the receiver ask the sender to escape every
	// control character (ESCCTL, as rz -e), and the sender escape them all,
	// for links that eat control characters.
	EscapeControl bool
	// WaitForPull makes the sender stay silent until the receiver's ZRINIT
	// arrives, rather than announce itself with "rz\r" and ZRQINIT: a
	// machine that waits to be pulled, and puts nothing on an unattended
	// line.
	WaitForPull bool
}

// Zmodem is the ZMODEM protocol, both a Receiver and a Sender. It is
// what NewReceiver and NewSender build for "zmodem" with zero
// ZmodemOptions.
type Zmodem struct {
	opts  Options
	z     ZmodemOptions
	now   func() time.Time
	rinit zheader // the receiver's ZRINIT
}

// NewZmodem returns ZMODEM with its own settings.
func NewZmodem(opts Options, z ZmodemOptions) *Zmodem {
	if z.Subpacket <= 0 {
		z.Subpacket = DefaultSubpacket
	}
	z.Subpacket = min(z.Subpacket, MaxSubpacket)
	flags := byte(zCanFDX | zCanOVIO | zCanFC32)
	if z.EscapeControl {
		flags |= zEscCtl
	}
	// Buffer size 0 in ZP0 and ZP1: the sender may stream the whole file.
	return &Zmodem{opts: opts.withDefaults(), z: z, now: time.Now, rinit: zheader{typ: zrinit, arg: [4]byte{3: flags}}}
}

// waits returns the protocol's waits for the idle timeout.
func (m *Zmodem) waits() waits { return waitsFor(m.opts.Timeout) }

func (m *Zmodem) reader(l *link) *zreader {
	w := m.waits()
	return &zreader{l: l, gap: w.gap}
}

// Receive implements Receiver: it takes in one batch of files from a
// ZMODEM sender.
func (m *Zmodem) Receive(ctx context.Context, p Port, sink Sink) ([]File, error) {
	l := newLink(ctx, p, m.opts.Timeout, m.now).receiving(m.opts)
	rx := &zmodemRx{m: m, l: l, r: m.reader(l), w: m.waits()}
	files, err := rx.batch(sink)
	if err != nil {
		rx.r.abort(err)
		return files, fmt.Errorf("device: zmodem: receive: %w", err)
	}
	return files, nil
}

// Send implements Sender: it sends one batch of files to a ZMODEM
// receiver.
func (m *Zmodem) Send(ctx context.Context, p Port, files []SendFile) error {
	l := newLink(ctx, p, m.opts.Timeout, m.now)
	l.single = true
	tx := &zmodemTx{m: m, l: l, r: m.reader(l), w: m.waits()}
	if err := tx.batch(files); err != nil {
		tx.r.abort(err)
		return fmt.Errorf("device: zmodem: send: %w", err)
	}
	return nil
}

package device

import (
	"context"
	"fmt"
	"time"
)

// Waits of the YMODEM receiver and sender. Each is at most a fraction of
// the idle timeout, so that a short idle timeout leaves room for retries.
const (
	// askInterval is how long the receiver lets the line stay silent before
	// it asks again ('C' to start a file, NAK for a block); the idle timeout
	// still bounds the silence as a whole. At most a quarter of it.
	askInterval = 3 * time.Second
	// blockGap is the longest silence allowed inside a block, and between
	// the two bytes of a CAN CAN. At most a quarter of the idle timeout.
	blockGap = time.Second
	// purgeQuiet is how long the line must stay quiet before the receiver
	// answers a damaged block, so that the rest of it is not taken for the
	// next one. At most an eighth of the idle timeout.
	purgeQuiet = 200 * time.Millisecond
	// purgeLimit bounds the discarding of a noisy line.
	purgeLimit = 5 * time.Second
)

// waits are the protocol's waits for one idle timeout.
type waits struct {
	ask, gap, quiet time.Duration
}

func waitsFor(idle time.Duration) waits {
	return waits{
		ask:   min(askInterval, idle/4),
		gap:   min(blockGap, idle/4),
		quiet: min(purgeQuiet, idle/8),
	}
}

type ymodemReceiver struct {
	opts Options
	now  func() time.Time
}

func newYmodemReceiver(o Options) *ymodemReceiver {
	return &ymodemReceiver{opts: o, now: time.Now}
}

// frameKind classifies what arrived at a block boundary.
type frameKind int

const (
	frameBlock  frameKind = iota // a block with a good CRC
	frameEOT                     // end of file
	frameCancel                  // CAN CAN
	frameQuiet                   // nothing within the wait
	frameBad                     // a damaged block or stray bytes
)

type frame struct {
	kind    frameKind
	seq     byte
	payload []byte
	err     error // why a frame is bad
}

// Receive implements Receiver.
func (r *ymodemReceiver) Receive(ctx context.Context, p Port, sink Sink) ([]File, error) {
	l := newLink(ctx, p, r.opts.Timeout, r.now).receiving(r.opts)
	rx := &ymodemRx{opts: r.opts, l: l, w: waitsFor(r.opts.Timeout)}
	var files []File
	for index := 0; ; index++ {
		f, end, err := rx.file(index, sink)
		if err != nil {
			l.abort(err)
			return files, fmt.Errorf("device: ymodem: receive: %w", err)
		}
		if end {
			return files, nil
		}
		files = append(files, f)
	}
}

type ymodemRx struct {
	opts  Options
	l     *link
	w     waits
	frame [longBlock + blockOverhead]byte
}

// next reads what comes at a block boundary, waiting at most wait for it.
func (rx *ymodemRx) next(wait time.Duration) (frame, error) {
	return readFrame(rx.l, rx.frame[:], true, wait, rx.w.gap)
}

// refuse throws away the rest of a damaged frame and asks again with ask.
func (rx *ymodemRx) refuse(ask byte) error {
	if err := rx.l.purge(rx.w.quiet, purgeLimit); err != nil {
		return err
	}
	return rx.l.write(ask)
}

// file receives one file of the batch into sink. end reports the null
// header that closes the batch.
func (rx *ymodemRx) file(index int, sink Sink) (f File, end bool, err error) {
	h, err := rx.header()
	if err != nil || h.end {
		return File{}, h.end, err
	}
	name := CleanName(h.name)
	fail := func(err error) (File, bool, error) {
		return File{}, false, fmt.Errorf("%s: %w", name, err)
	}
	// A file the sink refuses is refused before its header is acknowledged:
	// the transfer is cancelled and the machine keeps the file.
	in, err := sink.Create(h.name, h.size, h.mod)
	if err != nil {
		return fail(err)
	}
	defer in.Abort()
	if err := rx.l.write(ack, crcReq); err != nil {
		return fail(err)
	}
	rx.l.progress(Progress{File: name, Index: index, Total: h.size})

	var (
		want    byte  = 1 // number of the next block
		got     int64     // bytes kept so far
		started bool      // a data block has arrived
		sawEOT  bool
		errs    int
	)
	// ask is how to ask again: for the first data block like for a file.
	ask := func() byte {
		if started {
			return nak
		}
		return crcReq
	}
	for {
		fr, err := rx.next(rx.w.ask)
		if err != nil {
			return fail(err)
		}
		switch fr.kind {
		case frameQuiet:
			if err := rx.l.write(ask()); err != nil {
				return fail(err)
			}
		case frameBad:
			if errs++; errs > rx.opts.Retries {
				return fail(fmt.Errorf("block %d: %d errors in a row, last: %v: %w", want, errs, fr.err, ErrDamaged))
			}
			if err := rx.refuse(ask()); err != nil {
				return fail(err)
			}
		case frameCancel:
			return fail(cancelledError{ErrCancelled})
		case frameEOT:
			// The first EOT is refused: a lone EOT may be a damaged block
			// start. The sender repeats a real one.
			if !sawEOT {
				sawEOT = true
				if err := rx.l.write(nak); err != nil {
					return fail(err)
				}
				continue
			}
			if h.size >= 0 && got < h.size {
				return fail(fmt.Errorf("ended after %d of %d bytes: %w", got, h.size, ErrDamaged))
			}
			f, err := in.Commit()
			if err != nil {
				return fail(err)
			}
			if err := rx.l.write(ack); err != nil {
				return fail(err)
			}
			return f, false, nil
		case frameBlock:
			sawEOT = false
			switch fr.seq {
			case want:
				data := fr.payload
				if h.size >= 0 && int64(len(data)) > h.size-got {
					data = data[:h.size-got]
				}
				if _, err := in.Write(data); err != nil {
					return fail(err)
				}
				got += int64(len(data))
				want++
				started, errs = true, 0
				if err := rx.l.write(ack); err != nil {
					return fail(err)
				}
				rx.l.progress(Progress{File: name, Index: index, Bytes: got, Total: h.size})
			case want - 1:
				// Our ACK was lost and the sender repeated the block. Before
				// any data that block is the header: ask for data again too.
				reply := []byte{ack}
				if !started {
					reply = append(reply, crcReq)
				}
				if err := rx.l.write(reply...); err != nil {
					return fail(err)
				}
			default:
				return fail(fmt.Errorf("block %d while waiting for block %d: %w", fr.seq, want, ErrProtocol))
			}
		}
	}
}

// header asks for and reads block 0 of the next file.
func (rx *ymodemRx) header() (header, error) {
	rx.l.startFile()
	if err := rx.l.write(crcReq); err != nil {
		return header{}, err
	}
	errs := 0
	for {
		fr, err := rx.next(rx.w.ask)
		if err != nil {
			return header{}, err
		}
		switch fr.kind {
		case frameQuiet:
			if err := rx.l.write(crcReq); err != nil {
				return header{}, err
			}
			continue
		case frameCancel:
			return header{}, cancelledError{ErrCancelled}
		case frameEOT:
			// The sender did not hear our ACK of its EOT.
			if err := rx.l.write(ack, crcReq); err != nil {
				return header{}, err
			}
			continue
		case frameBlock:
			if fr.seq == 0 {
				h, err := parseHeader(fr.payload)
				if err != nil {
					return header{}, err
				}
				rx.l.fileSize(h.size)
				if h.end {
					rx.l.endFile()
					err = rx.l.write(ack)
				}
				return h, err
			}
			fr.err = fmt.Errorf("block %d while waiting for a file header", fr.seq)
		}
		if errs++; errs > rx.opts.Retries {
			return header{}, fmt.Errorf("file header: %d errors in a row, last: %v: %w", errs, fr.err, ErrDamaged)
		}
		if err := rx.refuse(crcReq); err != nil {
			return header{}, err
		}
	}
}

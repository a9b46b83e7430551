package device

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// crcRequests is how many times the XMODEM receiver asks for CRC blocks
// ('C') before it falls back to checksum blocks (NAK), for senders that
// know only the original protocol. Each request waits the ask interval.
const crcRequests = 3

// xmodemNameLayout names a received file when XmodemReceiver.Name is
// empty: "xmodem-" and the UTC time the transfer started.
const xmodemNameLayout = "xmodem-20060102-150405.bin"

// XmodemReceiver receives one file with XMODEM: 128-byte blocks or
// 1024-byte blocks (XMODEM-1K), with a CRC-16 or an arithmetic checksum.
// It asks for CRC blocks first and falls back to checksums when the sender
// does not answer. NewReceiver("xmodem", opts) returns one with the zero
// settings below; NewXmodemReceiver lets a caller change them.
//
// XMODEM carries neither name nor size: the file gets Name, and its size is
// a whole number of blocks, the last one padded by the sender, usually with
// SUB (0x1A) bytes. The file is created in the sink when its first block
// arrives, and is bounded in time as one of AssumedSize (see
// Options.FileTime).
type XmodemReceiver struct {
	// Name is the name the file is given in the sink. Empty means
	// "xmodem-YYYYMMDD-HHMMSS.bin", from the UTC time the transfer started.
	Name string
	// TrimPadding removes the SUB bytes that end the last block. It is off
	// by default so that the file keeps every byte sent: a file may end in
	// SUB bytes of its own, which trimming would cut, while the padding
	// after a TIFF's last strip or directory is harmless to its readers.
	TrimPadding bool

	opts Options
	now  func() time.Time
}

// NewXmodemReceiver returns an XMODEM receiver with opts.
func NewXmodemReceiver(opts Options) *XmodemReceiver {
	return &XmodemReceiver{opts: opts.withDefaults(), now: time.Now}
}

// Receive implements Receiver. It returns at most one file.
func (r *XmodemReceiver) Receive(ctx context.Context, p Port, sink Sink) ([]File, error) {
	l := newLink(ctx, p, r.opts.Timeout, r.now).receiving(r.opts)
	l.startFile() // XMODEM announces no size
	name := r.Name
	if name == "" {
		name = r.now().UTC().Format(xmodemNameLayout)
	}
	rx := &xmodemRx{r: r, l: l, w: waitsFor(r.opts.Timeout), crc: true}
	f, err := rx.file(name, sink)
	if err != nil {
		l.abort(err)
		return nil, fmt.Errorf("device: xmodem: receive: %s: %w", CleanName(name), err)
	}
	return []File{f}, nil
}

type xmodemRx struct {
	r       *XmodemReceiver
	l       *link
	w       waits
	crc     bool // blocks carry a CRC; false once the receiver fell back to checksums
	started bool // a data block has arrived
	asks    int  // requests to start sent so far
	frame   [longBlock + blockOverhead]byte
	pending [longBlock]byte // the last block, held back until it is known not to be the last
}

// ask asks the sender to start, or to send the last block again. Before
// the first block it asks for CRC blocks crcRequests times, then falls
// back to checksum blocks.
func (rx *xmodemRx) ask() error {
	if rx.started {
		return rx.l.write(nak)
	}
	rx.asks++
	if rx.crc && rx.asks <= crcRequests {
		return rx.l.write(crcReq)
	}
	rx.crc = false
	return rx.l.write(nak)
}

// next reads what comes at a block boundary, waiting at most wait for it.
func (rx *xmodemRx) next(wait time.Duration) (frame, error) {
	return readFrame(rx.l, rx.frame[:], rx.crc, wait, rx.w.gap)
}

// file receives the file into sink under name.
func (rx *xmodemRx) file(name string, sink Sink) (File, error) {
	opts := rx.r.opts
	// The file is created when the machine has begun to send it (its
	// first block, or the end of an empty file), so that a sink that
	// refuses it has the transfer cancelled towards a machine that is
	// listening, before any of its data was acknowledged.
	var in Incoming
	open := func() error {
		if in != nil {
			return nil
		}
		var err error
		in, err = sink.Create(name, -1, time.Time{})
		return err
	}
	defer func() {
		if in != nil {
			in.Abort()
		}
	}()
	clean := CleanName(name)
	rx.l.progress(Progress{File: clean, Total: -1})
	if err := rx.ask(); err != nil {
		return File{}, err
	}
	var (
		want   byte  = 1 // number of the next block
		got    int64     // bytes accepted so far, the pending block included
		held   int       // length of the pending block
		sawEOT bool
		errs   int
	)
	for {
		fr, err := rx.next(rx.w.ask)
		if err != nil {
			return File{}, err
		}
		switch fr.kind {
		case frameQuiet:
			if err := rx.ask(); err != nil {
				return File{}, err
			}
		case frameBad:
			if errs++; errs > opts.Retries {
				return File{}, fmt.Errorf("block %d: %d errors in a row, last: %v: %w", want, errs, fr.err, ErrDamaged)
			}
			if err := rx.l.purge(rx.w.quiet, purgeLimit); err != nil {
				return File{}, err
			}
			if err := rx.ask(); err != nil {
				return File{}, err
			}
		case frameCancel:
			return File{}, cancelledError{ErrCancelled}
		case frameEOT:
			// The first EOT is refused: a lone EOT may be a damaged block
			// start. The sender repeats a real one.
			if !sawEOT {
				sawEOT = true
				if err := rx.l.write(nak); err != nil {
					return File{}, err
				}
				continue
			}
			last := rx.pending[:held]
			if rx.r.TrimPadding {
				last = bytes.TrimRight(last, string(rune(cpmEOF)))
			}
			if err := open(); err != nil {
				return File{}, err
			}
			if _, err := in.Write(last); err != nil {
				return File{}, err
			}
			f, err := in.Commit()
			if err != nil {
				return File{}, err
			}
			if err := rx.l.write(ack); err != nil {
				return File{}, err
			}
			return f, nil
		case frameBlock:
			sawEOT = false
			switch {
			case fr.seq == want:
				if err := open(); err != nil {
					return File{}, err
				}
				if _, err := in.Write(rx.pending[:held]); err != nil {
					return File{}, err
				}
				held = copy(rx.pending[:], fr.payload)
				got += int64(held)
				want++
				rx.started, errs = true, 0
				if err := rx.l.write(ack); err != nil {
					return File{}, err
				}
				rx.l.progress(Progress{File: clean, Bytes: got, Total: -1})
			case rx.started && fr.seq == want-1:
				// Our ACK was lost and the sender repeated the block.
				if err := rx.l.write(ack); err != nil {
					return File{}, err
				}
			case !rx.started && fr.seq == 0:
				return File{}, fmt.Errorf("block 0 before any data, as a YMODEM sender begins (try the ymodem protocol): %w", ErrProtocol)
			default:
				return File{}, fmt.Errorf("block %d while waiting for block %d: %w", fr.seq, want, ErrProtocol)
			}
		}
	}
}

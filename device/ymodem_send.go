package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// tailBlockLimit is the largest rest of a file sent in 128-byte blocks
// rather than one 1024-byte block: up to four short blocks cost fewer bytes
// on the line than a mostly padded long one, and few turnarounds.
const tailBlockLimit = 4 * shortBlock

type ymodemSender struct {
	opts Options
	now  func() time.Time
}

func newYmodemSender(o Options) *ymodemSender {
	return &ymodemSender{opts: o, now: time.Now}
}

// Send implements Sender.
func (s *ymodemSender) Send(ctx context.Context, p Port, files []SendFile) error {
	l := newLink(ctx, p, s.opts.Timeout, s.now)
	l.single = true
	tx := &ymodemTx{opts: s.opts, l: l}
	err := tx.batch(files)
	if err != nil {
		tx.l.abort(err)
		return fmt.Errorf("device: ymodem: send: %w", err)
	}
	return nil
}

type ymodemTx struct {
	opts Options
	l    *link
	buf  [longBlock]byte
}

func (tx *ymodemTx) batch(files []SendFile) error {
	for i, f := range files {
		if err := tx.awaitRequest(i == 0); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if err := tx.file(i, f); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	if err := tx.awaitRequest(len(files) == 0); err != nil {
		return fmt.Errorf("end of batch: %w", err)
	}
	end, _ := encodeHeader("", 0, time.Time{})
	if err := tx.block(0, end); err != nil {
		return fmt.Errorf("end of batch: %w", err)
	}
	return nil
}

// file sends one file; the receiver has just asked for it.
func (tx *ymodemTx) file(index int, f SendFile) error {
	hdr, err := encodeHeader(f.Name, f.Size, f.ModTime)
	if err != nil {
		return err
	}
	src, err := f.Open()
	if err != nil {
		return err
	}
	defer src.Close()

	if err := tx.block(0, hdr); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if err := tx.awaitRequest(false); err != nil {
		return err
	}
	name := CleanName(f.Name)
	tx.opts.report(Progress{File: name, Index: index, Total: f.Size})
	var sent int64
	for seq := byte(1); ; seq++ {
		n := longBlock
		if f.Size >= 0 {
			rest := f.Size - sent
			if rest == 0 {
				break
			}
			if rest <= tailBlockLimit {
				n = shortBlock
			}
			n = int(min(int64(n), rest))
		}
		k, err := io.ReadFull(src, tx.buf[:n])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if f.Size >= 0 {
				return fmt.Errorf("contents ended after %d of %d bytes", sent+int64(k), f.Size)
			}
			if k == 0 {
				break
			}
		} else if err != nil {
			return err
		}
		size := longBlock
		if k <= shortBlock {
			size = shortBlock
		}
		for i := k; i < size; i++ {
			tx.buf[i] = cpmEOF
		}
		if err := tx.block(seq, tx.buf[:size]); err != nil {
			return fmt.Errorf("block %d: %w", seq, err)
		}
		sent += int64(k)
		tx.opts.report(Progress{File: name, Index: index, Bytes: sent, Total: f.Size})
	}
	return tx.finish()
}

// awaitRequest waits for the receiver to ask for the next file, or for
// the data of the current one: 'C', or NAK except at the start of the
// batch. Before the first request anything, CAN bytes included, is a
// leftover of an earlier transfer: there is nothing to cancel yet.
func (tx *ymodemTx) awaitRequest(first bool) error {
	for {
		var b byte
		var err error
		if first {
			b, err = tx.l.readByte(tx.l.idle)
		} else {
			b, err = tx.reply()
		}
		if err != nil {
			return err
		}
		if b == crcReq || (b == nak && !first) {
			return nil
		}
	}
}

// reply returns the next control byte from the receiver, skipping noise,
// and turns CAN CAN into ErrCancelled.
func (tx *ymodemTx) reply() (byte, error) {
	l := tx.l
	for {
		b, err := l.readByte(l.idle)
		if err != nil {
			return 0, err
		}
		switch b {
		case ack, nak, crcReq:
			return b, nil
		case can:
			cancelled, err := l.cancelled(waitsFor(l.idle).gap)
			if err != nil {
				return 0, err
			}
			if cancelled {
				return 0, cancelledError{ErrCancelled}
			}
		}
	}
}

// block sends one block until the receiver acknowledges it.
func (tx *ymodemTx) block(seq byte, payload []byte) error {
	frame := encodeBlock(seq, payload)
	return tx.until(frame, "block refused")
}

// finish sends EOT until the receiver acknowledges it; receivers that
// check for a damaged block start refuse the first one.
func (tx *ymodemTx) finish() error {
	if err := tx.until([]byte{eot}, "end of file refused"); err != nil {
		return fmt.Errorf("end of file: %w", err)
	}
	return nil
}

// until writes msg and repeats it on each NAK or 'C' until an ACK comes.
func (tx *ymodemTx) until(msg []byte, refused string) error {
	for tries := 0; ; tries++ {
		if tries > tx.opts.Retries {
			return fmt.Errorf("%s %d times: %w", refused, tries, ErrDamaged)
		}
		if err := tx.l.write(msg...); err != nil {
			return err
		}
		b, err := tx.reply()
		if err != nil {
			return err
		}
		if b == ack {
			return nil
		}
	}
}

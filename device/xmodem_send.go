package device

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// xmodemSender sends one file with XMODEM, in the block framing the
// receiver asks for: CRC-16 after 'C', a checksum after NAK. With oneK it
// sends 1024-byte blocks (XMODEM-1K) to a CRC receiver while at least 1024
// bytes remain, so that the padding of the last block stays under 128
// bytes.
type xmodemSender struct {
	opts Options
	now  func() time.Time
	oneK bool
}

func newXmodemSender(o Options, oneK bool) *xmodemSender {
	return &xmodemSender{opts: o, now: time.Now, oneK: oneK}
}

// Send implements Sender. XMODEM carries exactly one file and no name.
func (s *xmodemSender) Send(ctx context.Context, p Port, files []SendFile) error {
	if len(files) != 1 {
		return fmt.Errorf("device: xmodem: send: one file per transfer, got %d", len(files))
	}
	f := files[0]
	l := newLink(ctx, p, s.opts.Timeout, s.now)
	l.single = true
	tx := &xmodemTx{ymodemTx: ymodemTx{opts: s.opts, l: l}, oneK: s.oneK}
	if err := tx.file(f); err != nil {
		l.abort(err)
		return fmt.Errorf("device: xmodem: send: %s: %w", f.Name, err)
	}
	return nil
}

// xmodemTx reuses the reply handling of the YMODEM sender: both resend a
// block on NAK or 'C' and stop at CAN CAN.
type xmodemTx struct {
	ymodemTx
	oneK bool
}

// awaitStart waits for the receiver's first request and returns whether
// it asked for CRC blocks. Anything else before it, CAN bytes included, is
// a leftover of an earlier transfer.
func (tx *xmodemTx) awaitStart() (crc bool, err error) {
	for {
		b, err := tx.l.readByte(tx.l.idle)
		if err != nil {
			return false, err
		}
		switch b {
		case crcReq:
			return true, nil
		case nak:
			return false, nil
		}
	}
}

func (tx *xmodemTx) file(f SendFile) error {
	crc, err := tx.awaitStart()
	if err != nil {
		return err
	}
	src, err := f.Open()
	if err != nil {
		return err
	}
	defer src.Close()
	var r io.Reader = src
	if f.Size >= 0 {
		r = io.LimitReader(src, f.Size)
	}
	br := bufio.NewReaderSize(r, longBlock)
	name := CleanName(f.Name)
	tx.opts.report(Progress{File: name, Total: f.Size})
	var sent int64
	for seq := byte(1); ; seq++ {
		data, err := br.Peek(longBlock)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		if len(data) == 0 {
			break
		}
		size := shortBlock
		if tx.oneK && crc && len(data) == longBlock {
			size = longBlock
		}
		k := copy(tx.buf[:size], data)
		for i := k; i < size; i++ {
			tx.buf[i] = cpmEOF
		}
		if err := tx.until(encodeXBlock(seq, tx.buf[:size], crc), "block refused"); err != nil {
			return fmt.Errorf("block %d: %w", seq, err)
		}
		br.Discard(k)
		sent += int64(k)
		tx.opts.report(Progress{File: name, Bytes: sent, Total: f.Size})
	}
	if f.Size >= 0 && sent != f.Size {
		return fmt.Errorf("contents ended after %d of %d bytes", sent, f.Size)
	}
	return tx.finish()
}

package device

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// minSubpacket is the shortest data subpacket the sender falls back to on
// a bad line.
const minSubpacket = 128

// restartSubpacket is the length of the subpacket that opens a restart
// and waits for its ZACK: short, so that it seldom needs sending again.
const restartSubpacket = 64

// maxZrqinit bounds the ZRQINIT headers a sender puts on a silent line,
// as lrzsz does: some receivers stop after five.
const maxZrqinit = 4

// zmodemTx is one run of the sender.
type zmodemTx struct {
	m       *Zmodem
	l       *link
	r       *zreader
	w       waits
	enc     *zencoder
	maxBlk  int // longest data subpacket: the configured length, or the receiver's buffer size
	blk     int // data subpacket length now, shorter after errors
	bufSize int // receiver's buffer size; 0: it takes a whole file
	out     []byte
	data    [maxSubpacket]byte

	// Where the receiver is in the current file, to tell a ZRPOS to act
	// on from a stale one.
	acked   int64 // the receiver has everything before this offset
	synced  int64 // offset of the last restart, where the receiver asked
	waiting bool  // the first frame of that restart is not acknowledged yet

	// ackTime is the longest a ZACK has taken to come back so far: it
	// includes the receiver's throwing away of the data that was in flight,
	// so it grows with a slow line and with the link's buffers.
	ackTime time.Duration
}

// ackFloor and ackMargin set how long the sender waits for the ZACK of a
// ZCRCW subpacket once it has seen some come back: ackMargin times the
// longest seen, at least ackFloor, at most the ask wait. A damaged
// restart frame then costs a fraction of a second instead of the whole
// ask wait; a ZACK that comes late only makes the frame go again.
const (
	ackFloor  = 250 * time.Millisecond
	ackMargin = 8
)

func (tx *zmodemTx) write(b []byte) error { return tx.l.write(b...) }

func (tx *zmodemTx) hex(h zheader) error { return tx.write(appendHexHeader(nil, h)) }

func (tx *zmodemTx) bin(h zheader) error {
	tx.out = tx.enc.header(tx.out[:0], h)
	return tx.write(tx.out)
}

func (tx *zmodemTx) batch(files []SendFile) error {
	if err := tx.handshake(); err != nil {
		return err
	}
	var left int64
	for _, f := range files {
		left += max(f.Size, 0)
	}
	for i, f := range files {
		if err := tx.file(i, f, len(files)-i, left); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		left -= max(f.Size, 0)
	}
	return tx.finish()
}

// handshake announces the sender (unless it waits to be pulled) and waits
// for the receiver's ZRINIT. Until then, anything else on the line,
// cancel bytes included, is a leftover of an earlier transfer.
func (tx *zmodemTx) handshake() error {
	sent := 0
	announce := func() error {
		if tx.m.z.WaitForPull || sent >= maxZrqinit {
			return nil
		}
		b := []byte("rz\r")
		if sent > 0 {
			b = nil
		}
		sent++
		return tx.write(appendHexHeader(b, zheader{typ: zrqinit}))
	}
	if err := announce(); err != nil {
		return err
	}
	errs := 0
	for {
		h, _, err := tx.r.header(tx.w.ask)
		var ce cancelledError
		switch {
		case errors.Is(err, errQuiet):
			err = announce()
		case errors.Is(err, errGarbled):
			if errs++; errs > tx.m.opts.Retries {
				return fmt.Errorf("waiting for the receiver: %d errors in a row, last: %v: %w", errs, err, ErrDamaged)
			}
			err = nil
		case errors.As(err, &ce):
			err = nil
		case err != nil:
		case h.typ == zrinit:
			tx.setup(h)
			return nil
		case h.typ == zchallenge:
			err = tx.hex(posHeader(zack, h.pos()))
		default:
			if errs++; errs > tx.m.opts.Retries {
				return fmt.Errorf("waiting for the receiver: %d errors in a row, last: unexpected %s: %w", errs, zname(h.typ), ErrDamaged)
			}
		}
		if err != nil {
			return err
		}
	}
}

// setup takes the receiver's capabilities from its ZRINIT.
func (tx *zmodemTx) setup(h zheader) {
	flags := h.zf0()
	tx.enc = newZencoder(tx.m.z.EscapeControl || flags&zEscCtl != 0, flags&zCanFC32 != 0)
	tx.bufSize = int(h.arg[0]) | int(h.arg[1])<<8
	tx.maxBlk = tx.m.z.Subpacket
	if tx.bufSize > 0 {
		tx.maxBlk = min(tx.maxBlk, tx.bufSize)
	}
	tx.blk = tx.maxBlk
	tx.out = make([]byte, 0, 2*maxSubpacket+64)
}

// reply waits at most wait for the receiver's next header. Cancel bytes
// and ZMODEM's abort headers come back as a cancelledError. A ZACK moves
// acked on.
func (tx *zmodemTx) reply(wait time.Duration) (zheader, error) {
	h, _, err := tx.r.header(wait)
	switch {
	case err != nil:
	case h.typ == zabort || h.typ == zferr || h.typ == zcan || h.typ == zfin:
		err = cancelledError{fmt.Errorf("receiver sent %s: %w", zname(h.typ), ErrCancelled)}
	case h.typ == zack && h.pos() > tx.acked:
		tx.acked = h.pos()
		tx.waiting = tx.waiting && tx.acked <= tx.synced
	}
	return h, err
}

// stale reports a ZRPOS that needs no restart: the receiver has gone past
// its offset since, or it repeats the offset of a restart whose first
// frame is still on its way (a receiver asks again while it throws away
// what was in flight; if that frame was damaged, its ZACK does not come
// and ack sends it again). Restarting for each would set off a ping-pong
// of frames and ZRPOS.
func (tx *zmodemTx) stale(h zheader) bool {
	return h.typ == zrpos && (h.pos() < tx.acked || tx.waiting && h.pos() == tx.synced)
}

// file sends one file: ZFILE until the receiver asks for data with ZRPOS
// or skips the file with ZSKIP, then the data.
func (tx *zmodemTx) file(index int, f SendFile, filesLeft int, bytesLeft int64) error {
	if f.Size > maxZPos {
		return fmt.Errorf("%d bytes are beyond ZMODEM offsets", f.Size)
	}
	info, err := zfileInfo(f, filesLeft, bytesLeft)
	if err != nil {
		return err
	}
	src := &zsource{f: f}
	defer src.close()
	tx.m.opts.report(Progress{File: CleanName(f.Name), Index: index, Total: f.Size})

	offer := func() error {
		tx.out = tx.enc.header(tx.out[:0], zheader{typ: zfile, arg: [4]byte{3: zcbin}})
		tx.out = tx.enc.subpacket(tx.out, info, zcrcw)
		return tx.write(tx.out)
	}
	if err := offer(); err != nil {
		return err
	}
	tries := 0
	refused := func(why error) error {
		if tries++; tries > tx.m.opts.Retries {
			return fmt.Errorf("file header: %d tries, last: %v: %w", tries, why, ErrDamaged)
		}
		return offer()
	}
	for {
		h, err := tx.reply(tx.w.ask)
		switch {
		case errors.Is(err, errQuiet), errors.Is(err, errGarbled):
			err = refused(err)
		case err != nil:
		case h.typ == zrpos:
			tx.acked, tx.synced, tx.waiting = h.pos(), h.pos(), false
			return tx.stream(index, f, src, h.pos())
		case h.typ == zskip:
			return nil
		case h.typ == zcrc:
			var crc uint32
			if crc, err = src.crc(h.pos()); err == nil {
				err = tx.bin(posHeader(zcrc, int64(crc)))
			}
		case h.typ == znak:
			err = refused(errors.New("ZNAK"))
		case h.typ == zrinit:
			// The receiver repeats ZRINIT when our ZFILE was lost, but also
			// when it was slow to start: offer again only if nothing else
			// follows.
			var quiet bool
			if quiet, err = tx.quiet(); quiet {
				err = refused(errors.New("ZRINIT again"))
			}
		case h.typ == zchallenge:
			err = tx.hex(posHeader(zack, h.pos()))
		}
		if err != nil {
			return err
		}
	}
}

// quiet reports whether the line stays silent for the purge wait; a byte
// that comes is left for the next read. The CR, LF and XON that end a hex
// header are no sign of more to come: left over from the header just read,
// they would make a receiver that repeats ZRINIT seem never quiet.
func (tx *zmodemTx) quiet() (bool, error) {
	l := tx.l
	until := l.now().Add(tx.w.quiet)
	for {
		for l.r < l.w {
			switch l.buf[l.r] &^ 0x80 {
			case '\r', '\n', xon:
				l.r++
				continue
			}
			return false, nil
		}
		left := until.Sub(l.now())
		if left <= 0 {
			return true, nil
		}
		err := l.fill(left)
		if errors.Is(err, errQuiet) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// stream sends the file's data from pos, in frames of subpackets, then
// ZEOF, until the receiver takes the end of file with ZRINIT (or skips
// the file). A ZRPOS from the receiver, during the stream or after ZEOF,
// sends the data again from where it asks.
func (tx *zmodemTx) stream(index int, f SendFile, src *zsource, pos int64) error {
	name := CleanName(f.Name)
	tries, restart := 0, false
	for {
		if f.Size >= 0 && pos > f.Size {
			return fmt.Errorf("receiver asked for byte %d of %d: %w", pos, f.Size, ErrProtocol)
		}
		if err := src.seek(pos); err != nil {
			return err
		}
		h, err := tx.frame(index, name, f.Size, src, &pos, restart)
		if err == nil && h.typ == zdata {
			h, err = tx.eof(pos)
		}
		if err != nil {
			return err
		}
		restart = false
		if h.typ == zrpos {
			// Replies already on the line may ask again: the last counts.
			if h, err = tx.drain(h); err != nil {
				return err
			}
		}
		switch h.typ {
		case zskip, zrinit:
			return nil
		case znak, zrpos:
			// Going back to the same place again halves the subpackets,
			// down to minSubpacket, and is bounded, at twice the receiver's
			// bound: the receiver sees the damage and decides when to give
			// up. A line that carries many subpackets whole doubles them
			// again.
			to := h.pos()
			switch {
			case to <= tx.synced:
				tx.blk = max(tx.blk/2, min(minSubpacket, tx.maxBlk))
			case to-tx.synced >= 8*int64(tx.blk):
				tx.blk = min(tx.blk*2, tx.maxBlk)
			}
			if to > tx.synced && h.typ == zrpos {
				tries = 0
			}
			if tries++; tries > 2*tx.m.opts.Retries {
				return fmt.Errorf("back to byte %d %d times: %w", to, tries, ErrDamaged)
			}
			pos, restart = to, true
			tx.acked, tx.synced, tx.waiting = max(tx.acked, to), to, true
		}
		// After ZACK the next frame follows from pos.
	}
}

// eof sends ZEOF until the receiver answers it with ZRINIT, ZSKIP or
// ZRPOS. A ZEOF that crosses a lost ZRPOS is at the wrong place for the
// receiver, which ignores it and asks again only once the line has stayed
// quiet for its own timeout (10 s for lrzsz's rz). So the first wait is
// twice as long as our receiver waits for a sender, and each ZEOF that goes
// unanswered doubles it: repeating ZEOF sooner than the receiver's timeout
// would start that timeout over each time, and the two sides would wait
// for each other until the idle timeout ends the transfer.
func (tx *zmodemTx) eof(pos int64) (zheader, error) {
	tx.l.heard = tx.l.now() // the receiver had nothing to say while data streamed
	wait := 2 * tx.w.ask
	for tries := 0; ; tries, wait = tries+1, 2*wait {
		if tries > tx.m.opts.Retries {
			return zheader{}, fmt.Errorf("end of file unanswered %d times: %w", tries, ErrDamaged)
		}
		if err := tx.bin(posHeader(zeof, pos)); err != nil {
			return zheader{}, err
		}
		until := tx.l.now().Add(wait)
		for {
			h, err := tx.reply(until.Sub(tx.l.now()))
			if errors.Is(err, errQuiet) || errors.Is(err, errGarbled) {
				break
			}
			if err != nil {
				return h, err
			}
			switch {
			case h.typ == zrinit, h.typ == zskip, h.typ == zrpos && !tx.stale(h):
				return h, nil
			case h.typ == zchallenge:
				if err := tx.hex(posHeader(zack, h.pos())); err != nil {
					return h, err
				}
			}
		}
	}
}

// frame sends one ZDATA frame from *pos. It returns the header that
// ended it: ZRPOS or ZSKIP/ZRINIT from the receiver during the stream,
// ZACK after a ZCRCW subpacket, ZNAK with the frame's offset when a ZCRCW
// subpacket went unanswered, or ZDATA when the file's data is all sent.
// ZCRCW ends a frame where the receiver's buffer size calls for it, and
// after a restart (ZRPOS) the first subpacket: the receiver may still be
// throwing away data that was on its way, and a frame that waits for its
// ZACK does not fill the link's buffers again meanwhile, as lrzsz's sz
// does.
func (tx *zmodemTx) frame(index int, name string, size int64, src *zsource, pos *int64, restart bool) (zheader, error) {
	start := *pos
	if err := tx.bin(posHeader(zdata, start)); err != nil {
		return zheader{}, err
	}
	frameBytes, unpolled := 0, 0
	lastPoll := tx.l.now()
	for {
		n := tx.blk
		if restart {
			n = min(n, restartSubpacket)
		}
		if tx.bufSize > 0 {
			n = min(n, tx.bufSize-frameBytes)
		}
		if size >= 0 {
			n = int(min(int64(n), size-*pos))
		}
		if err := tx.l.ctx.Err(); err != nil {
			return zheader{}, err
		}
		k, eof, err := src.read(tx.data[:n], size)
		if err != nil {
			return zheader{}, err
		}
		if size >= 0 && *pos+int64(k) == size {
			eof = true
		}
		end := byte(zcrcg)
		switch {
		case eof:
			end = zcrce
		case restart, tx.bufSize > 0 && frameBytes+k >= tx.bufSize:
			end = zcrcw
		}
		tx.out = tx.enc.subpacket(tx.out[:0], tx.data[:k], end)
		if err := tx.write(tx.out); err != nil {
			return zheader{}, err
		}
		*pos += int64(k)
		frameBytes += k
		unpolled += len(tx.out)
		tx.m.opts.report(Progress{File: name, Index: index, Bytes: *pos, Total: size})
		if eof {
			return zheader{typ: zdata}, nil
		}
		if end == zcrcw {
			return tx.ack(start, *pos)
		}
		if now := tx.l.now(); now.Sub(lastPoll) >= pollEvery || unpolled >= pollBytes {
			lastPoll, unpolled = now, 0
			h, ok, err := tx.poll()
			if err != nil {
				return zheader{}, err
			}
			if ok {
				// End the frame before answering, so that the receiver's
				// next header is ours.
				tx.out = tx.enc.subpacket(tx.out[:0], nil, zcrce)
				return h, tx.write(tx.out)
			}
		}
	}
}

// ack waits for the ZACK of a ZCRCW subpacket, which carries pos; a ZACK
// of an earlier frame is stale. Silence or damage returns ZNAK with the
// frame's start, to send the frame again.
func (tx *zmodemTx) ack(start, pos int64) (zheader, error) {
	sent := tx.l.now()
	tx.l.heard = sent // the receiver had nothing to say while data streamed
	wait := tx.w.ask
	if tx.ackTime > 0 {
		wait = min(wait, max(ackFloor, ackMargin*tx.ackTime))
	}
	until := sent.Add(wait)
	for {
		h, err := tx.reply(until.Sub(tx.l.now()))
		switch {
		case errors.Is(err, errQuiet), errors.Is(err, errGarbled):
			return posHeader(znak, start), nil
		case err != nil:
			return h, err
		}
		switch {
		case h.typ == zack && h.pos() == pos:
			tx.ackTime = max(tx.ackTime, tx.l.now().Sub(sent))
			return h, nil
		case h.typ == zskip, h.typ == zrinit, h.typ == zrpos && !tx.stale(h):
			return h, nil
		}
	}
}

// drain reads the replies that follow a ZRPOS h at once, and returns the
// last that asks for a restart or ends the file, as lrzsz's sz does.
func (tx *zmodemTx) drain(h zheader) (zheader, error) {
	for h.typ == zrpos {
		next, ok, err := tx.poll()
		if err != nil || !ok {
			return h, err
		}
		h = next
	}
	return h, nil
}

// poll looks for a header from the receiver without holding up the
// stream: ok reports one that the stream must answer (ZRPOS, ZSKIP,
// ZRINIT); other bytes and headers are dropped.
func (tx *zmodemTx) poll() (h zheader, ok bool, err error) {
	l := tx.l
	for range 64 {
		if l.r == l.w {
			l.heard = l.now() // the receiver is silent while data streams
			err := l.fill(pollWait)
			if errors.Is(err, errQuiet) {
				return h, false, nil
			}
			if err != nil {
				return h, false, err
			}
		}
		if c := l.buf[l.r]; c&0x7f != zpad && c != can {
			l.r++
			continue
		}
		h, err = tx.reply(tx.w.ask)
		switch {
		case errors.Is(err, errQuiet), errors.Is(err, errGarbled):
		case err != nil:
			return h, false, err
		case h.typ == zrpos && !tx.stale(h), h.typ == zskip, h.typ == zrinit:
			return h, true, nil
		}
	}
	return h, false, nil
}

// finish ends the batch: ZFIN until the receiver answers ZFIN, then "OO".
// The files are all delivered by then, so a receiver that does not
// answer is no error.
func (tx *zmodemTx) finish() error {
	for range finishTries {
		if err := tx.hex(zheader{typ: zfin}); err != nil {
			return err
		}
		h, _, err := tx.r.header(tx.w.ask)
		switch {
		case err == nil && h.typ == zfin:
			return tx.write([]byte("OO"))
		case errors.Is(err, errQuiet), errors.Is(err, errGarbled), err == nil:
		case tx.l.ctx.Err() != nil:
			return err
		default:
			return nil
		}
	}
	return nil
}

// zsource reads a file to send and goes back or ahead in it when the
// receiver asks for another offset: by seeking when the contents are an
// io.Seeker, else by opening them again and skipping.
type zsource struct {
	f   SendFile
	rc  io.ReadCloser
	pos int64
}

func (s *zsource) seek(pos int64) error {
	if s.rc != nil && s.pos == pos {
		return nil
	}
	if sk, ok := s.rc.(io.Seeker); ok {
		if _, err := sk.Seek(pos, io.SeekStart); err == nil {
			s.pos = pos
			return nil
		}
	}
	if s.rc == nil || pos < s.pos {
		s.close()
		rc, err := s.f.Open()
		if err != nil {
			return err
		}
		s.rc, s.pos = rc, 0
	}
	n, err := io.CopyN(io.Discard, s.rc, pos-s.pos)
	s.pos += n
	if err != nil {
		return fmt.Errorf("contents end before byte %d: %w", pos, err)
	}
	return nil
}

// read fills p from the contents; eof reports their end. With a known
// size the contents must not end early.
func (s *zsource) read(p []byte, size int64) (n int, eof bool, err error) {
	n, err = io.ReadFull(s.rc, p)
	s.pos += int64(n)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if size >= 0 {
			return n, true, fmt.Errorf("contents ended after %d of %d bytes", s.pos, size)
		}
		return n, true, nil
	}
	return n, false, err
}

// crc returns the CRC-32 of the first n bytes of the contents, of all of
// them when n is 0, as lrzsz answers ZCRC.
func (s *zsource) crc(n int64) (uint32, error) {
	rc, err := s.f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	var r io.Reader = rc
	if n > 0 {
		r = io.LimitReader(rc, n)
	}
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, r); err != nil {
		return 0, err
	}
	return h.Sum32(), nil
}

func (s *zsource) close() {
	if s.rc != nil {
		s.rc.Close()
		s.rc = nil
	}
}
